#include "server/journal.h"

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"

namespace yardgate::server {
namespace {

// Events carry microseconds, the resolution of every time the server logs.
absl::Time ToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

}  // namespace

bool Journal::Entry::Awaits(const gate::Effect& effect) const {
  return awaits ? awaits(effect) : gate::GateCore::AwaitsResult(effect);
}

Journal::Journal(gate::Store* store, common::Clock* clock, EffectRunner* effects, Options options)
    : store_(store), clock_(clock), effects_(effects), options_(options) {}

Journal::~Journal() { Stop(); }

void Journal::SetHealthListener(HealthListener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  health_listener_ = std::move(listener);
}

bool Journal::healthy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return healthy_;
}

absl::Status Journal::Start(Restore restore, OnEffectResult on_effect_result, RenderPending render_pending) {
  restore_ = std::move(restore);
  on_effect_result_ = std::move(on_effect_result);
  render_pending_ = std::move(render_pending);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status loaded = LoadLocked(); !loaded.ok()) return loaded;
  }
  recovery_ = std::thread([this] { RecoveryLoop(); });
  return absl::OkStatus();
}

void Journal::RememberLocked(const gate::IdempotencyRecord& record) {
  KeyState& k = keys_[record.key];
  k.method = record.method;
  k.request_hash = record.request_hash;
  k.response = record.response;
  k.in_flight = false;
  k.created_at = record.created_at;
  key_order_.emplace_back(record.created_at, record.key);
}

absl::Status Journal::LoadLocked() {
  const absl::Time now = clock_->Now();
  absl::StatusOr<gate::StoredState> state = store_->Load(now - options_.remember_keys);
  if (!state.ok()) return state.status();
  if (events_ == nullptr) events_ = std::make_unique<EventLog>(store_, state->last_sequence);
  next_sequence_ = state->last_sequence + 1;
  last_logged_ = state->last_logged_at;
  absl::StatusOr<gate::Change> restored = restore_(*state);
  if (!restored.ok()) return restored.status();
  gate::Change recovery = *std::move(restored);

  keys_.clear();
  key_order_.clear();
  for (const gate::IdempotencyRecord& record : state->idempotency) {
    if (!record.pending) {
      RememberLocked(record);
      continue;
    }
    // The call's effects were still running when the server stopped, so it was never answered:
    // its answer is the subject's state now (after `restore` settled it).
    gate::IdempotencyRecord final = record;
    absl::StatusOr<std::string> answer = render_pending_ ? render_pending_(record) : absl::NotFoundError("");
    if (!answer.ok()) continue;
    final.pending = false;
    final.response = *std::move(answer);
    recovery.writes.idempotency.push_back(final);
    RememberLocked(final);
  }
  if (recovery.events.empty() && recovery.writes.empty()) return absl::OkStatus();
  const absl::Time logged = std::max(ToMicros(now), last_logged_);
  last_logged_ = logged;
  for (gate::Event& e : recovery.events) {
    e.sequence = next_sequence_++;
    e.logged_at = logged;
  }
  gate::WriteBatch batch = recovery.writes;
  batch.events = recovery.events;
  // Nothing else can be queued now (the journal serves only after this), so waiting is safe.
  if (absl::Status s = gate::CommitAndWait(*store_, std::move(batch)); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("recording the state after a restart failed: ", s.message()));
  }
  events_->Publish(recovery.events);
  return absl::OkStatus();
}

void Journal::ForgetKeysLocked(absl::Time now) {
  const absl::Time cutoff = now - options_.remember_keys;
  while (!key_order_.empty() && key_order_.front().first < cutoff) {
    const auto it = keys_.find(key_order_.front().second);
    if (it != keys_.end() && !it->second.in_flight && it->second.created_at < cutoff) keys_.erase(it);
    key_order_.pop_front();
  }
}

bool Journal::Replay(const Call& call, Reply& reply) {
  std::unique_lock<std::mutex> lock(mu_);
  return ReplayLocked(call, reply, lock);
}

bool Journal::ReplayLocked(const Call& call, Reply& reply, std::unique_lock<std::mutex>& lock) {
  if (call.key.empty()) return false;
  ForgetKeysLocked(clock_->Now());
  const auto it = keys_.find(call.key);
  if (it == keys_.end()) return false;
  KeyState& k = it->second;
  if (k.method != call.method || k.request_hash != call.request_hash) {
    const std::string used_for = k.method == call.method ? "a different request" : absl::StrCat("a ", k.method, " request");
    lock.unlock();
    reply(absl::FailedPreconditionError(
        absl::StrCat("idempotency key '", call.key.substr(0, 64), "' was already used for ", used_for)));
    return true;
  }
  if (k.in_flight) {
    k.waiters.push_back(std::move(reply));  // answered with the first call, once it is durable
    return true;
  }
  const std::string bytes = k.response;
  lock.unlock();
  reply(bytes);
  return true;
}

void Journal::Execute(const Call& call, Compute compute, Reply reply) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!healthy_) {
    const std::string why = unhealthy_why_;
    lock.unlock();
    reply(absl::UnavailableError(
        absl::StrCat("the store refused a write (", why, "); changes are refused until it recovers")));
    return;
  }
  const absl::Time now = clock_->Now();
  if (ReplayLocked(call, reply, lock)) return;
  absl::StatusOr<Entry> entry = compute();
  if (!entry.ok()) {
    lock.unlock();
    reply(entry.status());
    return;
  }
  // One logged time for the change's events, never earlier than the last one logged.
  const absl::Time logged = std::max(ToMicros(now), last_logged_);
  last_logged_ = logged;
  std::vector<uint64_t> sequences;
  for (gate::Event& e : entry->change.events) {
    e.sequence = next_sequence_++;
    e.logged_at = logged;
    sequences.push_back(e.sequence);
  }
  if (!call.key.empty()) {
    KeyState& k = keys_[call.key];
    k.method = call.method;
    k.request_hash = call.request_hash;
    k.in_flight = true;
    k.created_at = now;
    key_order_.emplace_back(now, call.key);
  }
  Submit(call, *std::move(entry), std::move(sequences), std::move(reply));
}

// REQUIRES: mu_ held (the batch's place in the store's queue is its place in the sequence).
void Journal::Submit(const Call& call, Entry entry, std::vector<uint64_t> sequences, Reply reply) {
  const bool awaits = std::any_of(entry.change.effects.begin(), entry.change.effects.end(),
                                  [&](const gate::Effect& e) { return entry.Awaits(e); });
  gate::WriteBatch batch = entry.change.writes;
  batch.events.insert(batch.events.end(), entry.change.events.begin(), entry.change.events.end());
  std::optional<absl::StatusOr<std::string>> answer;
  if (!awaits) answer = entry.respond ? entry.respond(Committed{sequences, {}}) : absl::StatusOr<std::string>("");
  if (!call.key.empty()) {
    gate::IdempotencyRecord record{call.key, call.method, call.request_hash, "", false, entry.subject, clock_->Now()};
    if (answer.has_value() && answer->ok()) {
      record.response = **answer;
      batch.idempotency.push_back(record);
    } else if (awaits && !entry.subject.empty()) {
      record.pending = true;  // so that a retry after a crash here finds the call, not a new one
      batch.idempotency.push_back(record);
    }
  }
  auto shared = std::make_shared<Entry>(std::move(entry));
  std::vector<gate::Event> events = shared->change.events;
  store_->Commit(std::move(batch), [this, call, shared, sequences, events = std::move(events), answer,
                                    reply = std::move(reply)](absl::Status committed) mutable {
    if (!committed.ok()) {
      MarkUnhealthy(committed);
      std::vector<Reply> waiters;
      {
        std::lock_guard<std::mutex> lock(mu_);
        FailKeyLocked(call.key, committed, &waiters);
      }
      reply(committed);
      for (Reply& w : waiters) w(committed);
      return;
    }
    events_->Publish(events);
    if (answer.has_value()) {
      // Nothing to wait for: effects run on their own, the caller hears now.
      for (const gate::Effect& effect : shared->change.effects) {
        effects_->Run(effect, [this, effect](absl::Status result) {
          if (std::optional<Compute> follow = on_effect_result_(effect, result)) {
            Execute(Call{}, *std::move(follow), [](absl::StatusOr<std::string>) {});
          }
        });
      }
      Finish(call, *std::move(answer), std::move(reply));
      return;
    }
    RunEffects(call, std::move(shared), std::move(sequences), std::move(reply));
  });
}

void Journal::RunEffects(const Call& call, std::shared_ptr<Entry> entry, std::vector<uint64_t> sequences,
                         Reply reply) {
  // Counts the awaited effects still running; the last one to be recorded answers the call.
  struct Pending {
    std::mutex mu;
    size_t left = 0;
    std::vector<absl::Status> results;
  };
  auto pending = std::make_shared<Pending>();
  std::vector<size_t> awaited_index(entry->change.effects.size(), SIZE_MAX);
  for (size_t i = 0; i < entry->change.effects.size(); ++i) {
    if (entry->Awaits(entry->change.effects[i])) awaited_index[i] = pending->left++;
  }
  pending->results.resize(pending->left);
  auto answer = [this, call, entry, sequences, pending, reply]() {
    absl::StatusOr<std::string> bytes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      bytes = entry->respond ? entry->respond(Committed{sequences, pending->results}) : absl::StatusOr<std::string>("");
    }
    if (call.key.empty() || !bytes.ok()) {
      Finish(call, std::move(bytes), reply);
      return;
    }
    // The key's final answer is durable before anyone hears it.
    gate::WriteBatch final;
    final.idempotency.push_back({call.key, call.method, call.request_hash, *bytes, false, entry->subject, clock_->Now()});
    store_->Commit(std::move(final), [this, call, bytes, reply](absl::Status s) {
      if (!s.ok()) MarkUnhealthy(s);
      Finish(call, s.ok() ? bytes : absl::StatusOr<std::string>(s), reply);
    });
  };
  for (size_t i = 0; i < entry->change.effects.size(); ++i) {
    const gate::Effect effect = entry->change.effects[i];
    const size_t slot = awaited_index[i];
    effects_->Run(effect, [this, effect, slot, pending, answer](absl::Status result) {
      auto recorded = [slot, pending, answer, result](absl::StatusOr<std::string>) {
        if (slot == SIZE_MAX) return;
        bool last = false;
        {
          std::lock_guard<std::mutex> lock(pending->mu);
          pending->results[slot] = result;
          last = --pending->left == 0;
        }
        if (last) answer();
      };
      if (std::optional<Compute> follow = on_effect_result_(effect, result)) {
        Execute(Call{}, *std::move(follow), recorded);
      } else {
        recorded(std::string());
      }
    });
  }
}

void Journal::Finish(const Call& call, absl::StatusOr<std::string> answer, Reply reply) {
  std::vector<Reply> waiters;
  if (!call.key.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (answer.ok()) {
      const auto it = keys_.find(call.key);
      if (it != keys_.end()) {
        it->second.response = *answer;
        it->second.in_flight = false;
        waiters.swap(it->second.waiters);
      }
    } else {
      // Only a success is remembered: a refused call may be retried once its cause is gone.
      FailKeyLocked(call.key, answer.status(), &waiters);
    }
  }
  reply(answer);
  for (Reply& w : waiters) w(answer);
}

void Journal::FailKeyLocked(const std::string& key, const absl::Status&, std::vector<Reply>* to_answer) {
  if (key.empty()) return;
  const auto it = keys_.find(key);
  if (it == keys_.end()) return;
  to_answer->insert(to_answer->end(), std::make_move_iterator(it->second.waiters.begin()),
                    std::make_move_iterator(it->second.waiters.end()));
  keys_.erase(it);
}

void Journal::MarkUnhealthy(const absl::Status& why) {
  HealthListener listener;
  std::string message;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!healthy_) return;
    healthy_ = false;
    unhealthy_why_ = std::string(why.message());
    message = unhealthy_why_;
    listener = health_listener_;
  }
  cv_.notify_all();
  if (listener) listener(false, message);
}

void Journal::RecoveryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !healthy_; });
    if (stopping_) return;
    const absl::Duration wait = options_.recovery_interval;
    if (cv_.wait_for(lock, absl::ToChronoMilliseconds(wait), [this] { return stopping_; })) return;
    lock.unlock();
    // Recover() passes through the store's queue: when it answers, every commit queued before it
    // has finished (refused), and the journal takes no new ones while unhealthy.
    const absl::Status recovered = store_->Recover();
    lock.lock();
    if (!recovered.ok()) {
      unhealthy_why_ = std::string(recovered.message());
      continue;
    }
    // Memory was ahead of the disk: start again from what the store holds.
    const absl::Status loaded = LoadLocked();
    if (!loaded.ok()) {
      unhealthy_why_ = std::string(loaded.message());
      continue;
    }
    healthy_ = true;
    unhealthy_why_.clear();
    HealthListener listener = health_listener_;
    lock.unlock();
    if (listener) listener(true, "");
    lock.lock();
  }
}

void Journal::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (recovery_.joinable()) recovery_.join();
}

}  // namespace yardgate::server
