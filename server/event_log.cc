#include "server/event_log.h"

#include <SQLiteCpp/Statement.h>

namespace yardgate::server {

EventLog::EventLog(Store* store, uint64_t last_sequence, size_t memory_capacity)
    : store_(store), capacity_(memory_capacity), last_sequence_(last_sequence) {}

void EventLog::Publish(const std::vector<v1::Event>& events) {
  std::vector<std::function<void()>> to_call;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const v1::Event& e : events) {
      recent_.push_back(e);
      last_sequence_ = e.sequence();
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

absl::Status EventLog::Read(uint64_t after, size_t max, std::vector<v1::Event>* out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (after >= last_sequence_) return absl::OkStatus();
    // Memory is enough when it holds everything after `after`.
    if (!recent_.empty() && recent_.front().sequence() <= after + 1) {
      for (const v1::Event& e : recent_) {
        if (e.sequence() <= after) continue;
        if (out->size() >= max) break;
        out->push_back(e);
      }
      return absl::OkStatus();
    }
  }
  return store_->Read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    q.bind(1, static_cast<int64_t>(after));
    q.bind(2, static_cast<int64_t>(max));
    while (q.executeStep()) {
      const SQLite::Column body = q.getColumn(0);
      v1::Event e;
      if (!e.ParseFromArray(body.getBlob(), body.getBytes())) {
        throw std::runtime_error("an event in the store does not parse");
      }
      out->push_back(std::move(e));
    }
  });
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
