#include "server/event_log.h"

#include <algorithm>

#include "server/convert.h"

namespace yardgate::server {

EventLog::EventLog(gate::Store* store, uint64_t last_sequence, size_t memory_capacity)
    : store_(store), capacity_(memory_capacity), last_sequence_(last_sequence) {}

void EventLog::Publish(const std::vector<gate::Event>& events) {
  std::vector<std::function<void()>> to_call;
  std::vector<SharedEvent> converted;
  for (const gate::Event& e : events) converted.push_back(std::make_shared<const v1::Event>(EventToWire(e)));
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (SharedEvent& e : converted) {
      last_sequence_ = e->sequence();
      recent_.push_back(std::move(e));
    }
    while (recent_.size() > capacity_) recent_.pop_front();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.after < last_sequence_) {
        to_call.push_back(std::move(it->second.ready));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& ready : to_call) ready();
}

absl::Status EventLog::Read(uint64_t after, size_t max, std::vector<SharedEvent>* out) {
  uint64_t last = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = last_sequence_;
    if (after >= last) return absl::OkStatus();
    // Memory is enough when it holds everything after `after`.
    if (!recent_.empty() && recent_.front()->sequence() <= after + 1) {
      const auto first = std::lower_bound(recent_.begin(), recent_.end(), after + 1,
                                          [](const SharedEvent& e, uint64_t s) { return e->sequence() < s; });
      for (auto it = first; it != recent_.end() && out->size() < max; ++it) out->push_back(*it);
      return absl::OkStatus();
    }
  }
  std::vector<gate::Event> stored;
  if (absl::Status read = store_->ReadEvents(after, max, &stored); !read.ok()) return read;
  for (const gate::Event& e : stored) {
    // Only what has been published: the store may hold a batch whose callback has not run yet.
    if (e.sequence > last) break;
    out->push_back(std::make_shared<const v1::Event>(EventToWire(e)));
  }
  return absl::OkStatus();
}

uint64_t EventLog::NotifyAfter(uint64_t after, std::function<void()> ready) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shut_down_ && after >= last_sequence_) {
      const uint64_t id = next_waiter_id_++;
      waiters_.emplace(id, Waiter{after, std::move(ready)});
      return id;
    }
  }
  ready();
  return 0;
}

void EventLog::CancelNotify(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  waiters_.erase(id);
}

void EventLog::Shutdown() {
  std::map<uint64_t, Waiter> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
    waiters.swap(waiters_);
  }
  for (auto& [id, waiter] : waiters) waiter.ready();
}

bool EventLog::is_shut_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shut_down_;
}

uint64_t EventLog::last_sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_sequence_;
}

}  // namespace yardgate::server
