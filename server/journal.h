// Journal: the one path every change of the server's state takes.
//
// A call arrives with its idempotency key; a key seen before answers the first call's result
// (the same bytes), and only once that result is durable; a key reused for another request is
// refused. Otherwise the command runs (under the journal's lock, one at a time, so the gate core
// and the seal book need no locks of their own), its events get sequence numbers and logged
// times in commit order (times never run backwards against sequence numbers), and everything it
// wrote goes to the store in one batch. The call is answered after the batch has committed;
// its effects (barrier, unlock) run after that, on the effect runner, never on the store's
// writer thread. A call whose effects it must wait for (the barrier opening) is answered when
// their results are recorded, so a kiosk is never told "proceed" while the arm stays down.
//
// When the store refuses a write, the journal fails closed: it refuses every change with
// Unavailable, says so through the health listener, and tries to recover in the background; once
// the store writes again it reloads the state from the store (memory was ahead of the disk) and
// serves again.
//
// The journal holds no rules: what a change is, is the command's business (gate/gate_core.h,
// the seal book); the journal only orders, persists, answers and runs effects.
//
// Thread-safety: every public method may be called from any thread, including gRPC callback
// threads (Execute never blocks on I/O). Replies run on the store's writer thread or the effect
// runner's, or the caller's for errors found before anything is written; they must not block.
#ifndef YARDGATE_SERVER_JOURNAL_H_
#define YARDGATE_SERVER_JOURNAL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "gate/gate_core.h"
#include "gate/store.h"
#include "server/event_log.h"

namespace yardgate::server {

// Runs effects in the world. Implementations call `done` exactly once, from any thread.
class EffectRunner {
 public:
  virtual ~EffectRunner() = default;
  virtual void Run(const gate::Effect& effect, std::function<void(absl::Status)> done) = 0;
};

class Journal {
 public:
  // Who is calling: the idempotency key (empty for the server's own changes: lane events, device
  // reports, effect results), the method, and the request's fingerprint.
  struct Call {
    std::string key;
    std::string method;
    std::string request_hash;
  };
  // What a committed change produced, for building its answer.
  struct Committed {
    std::vector<uint64_t> sequences;        // of the change's events, in order
    std::vector<absl::Status> effect_results;  // of its awaited effects, in order
  };
  // What a command computed: the change, and how to answer once it is durable (called under the
  // journal's lock, so it may read the core). `subject` names what the answer is about (a visit
  // id), so that an answer interrupted by a crash can be rendered again after the restart.
  struct Entry {
    gate::Change change;
    std::function<absl::StatusOr<std::string>(const Committed&)> respond;
    std::string subject;
    // Which of the change's effects the answer waits for; null: those the gate core awaits
    // (gate::GateCore::AwaitsResult: the barrier opening, a fault reset).
    std::function<bool(const gate::Effect&)> awaits;

    bool Awaits(const gate::Effect& effect) const;
  };
  using Compute = std::function<absl::StatusOr<Entry>()>;
  using Reply = std::function<void(absl::StatusOr<std::string>)>;
  // Rebuilds every module's memory from the store (a start, a recovery); returns what that
  // recovery itself changed (visits whose open was never confirmed), to be committed.
  using Restore = std::function<absl::StatusOr<gate::Change>(const gate::StoredState&)>;
  // What a finished effect means (a barrier result for the core); nullopt when it means nothing.
  using OnEffectResult = std::function<std::optional<Compute>(const gate::Effect&, const absl::Status&)>;
  // Renders, after a restart, the answer of a call whose effects were still running (its key
  // was pending) from the record's method and subject.
  using RenderPending = std::function<absl::StatusOr<std::string>(const gate::IdempotencyRecord&)>;
  // Called with false when the journal starts refusing changes and true when it serves again.
  using HealthListener = std::function<void(bool healthy, const std::string& why)>;

  struct Options {
    absl::Duration remember_keys = absl::Hours(72);
    absl::Duration recovery_interval = absl::Seconds(1);
  };

  Journal(gate::Store* store, common::Clock* clock, EffectRunner* effects, Options options);
  ~Journal();  // Stop()s
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Loads the state (calling `restore`), then serves. REQUIRES: called once, before Execute.
  absl::Status Start(Restore restore, OnEffectResult on_effect_result, RenderPending render_pending);
  void SetHealthListener(HealthListener listener);

  // The one path for every change; see the file comment. `call.key` empty: no idempotency.
  void Execute(const Call& call, Compute compute, Reply reply);

  // If `call.key` was seen before, answers as Execute would (the first result once durable, or
  // the refusal of a reused key) and returns true. For work worth skipping on a retry (reading
  // camera frames) before the command is computed.
  bool Replay(const Call& call, Reply& reply);

  // Runs `read` under the journal's lock, for consistent reads of in-memory state.
  template <class T>
  T Read(const std::function<T()>& read) {
    std::lock_guard<std::mutex> lock(mu_);
    return read();
  }

  EventLog& events() { return *events_; }
  bool healthy() const;

  // Stops the recovery thread. Calls already submitted to the store still complete. Idempotent.
  void Stop();

 private:
  struct KeyState {
    std::string method;
    std::string request_hash;
    std::string response;  // final, durable answer
    bool in_flight = false;
    std::vector<Reply> waiters;  // replays of an in-flight call
    absl::Time created_at;
  };

  absl::Status LoadLocked();
  // REQUIRES: mu_ held; `lock` holds it and is released before answering.
  bool ReplayLocked(const Call& call, Reply& reply, std::unique_lock<std::mutex>& lock);
  void RememberLocked(const gate::IdempotencyRecord& record);
  void ForgetKeysLocked(absl::Time now);
  void Submit(const Call& call, Entry entry, std::vector<uint64_t> sequences, Reply reply);
  void AfterCommit(const Call& call, std::shared_ptr<Entry> entry, std::vector<uint64_t> sequences,
                   const std::vector<gate::Event>& events, Reply reply);
  void RunEffects(const Call& call, std::shared_ptr<Entry> entry, std::vector<uint64_t> sequences, Reply reply);
  // Answers the call and every replay waiting on its key. On success the key becomes final.
  void Finish(const Call& call, absl::StatusOr<std::string> answer, Reply reply);
  void FailKeyLocked(const std::string& key, const absl::Status& status, std::vector<Reply>* to_answer);
  void MarkUnhealthy(const absl::Status& why);
  void RecoveryLoop();

  gate::Store* const store_;
  common::Clock* const clock_;
  EffectRunner* const effects_;
  const Options options_;
  std::unique_ptr<EventLog> events_;
  Restore restore_;
  OnEffectResult on_effect_result_;
  RenderPending render_pending_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_sequence_ = 1;                 // guarded by mu_
  absl::Time last_logged_ = absl::InfinitePast();  // guarded by mu_
  std::map<std::string, KeyState> keys_;       // guarded by mu_
  std::deque<std::pair<absl::Time, std::string>> key_order_;  // guarded by mu_: oldest first
  bool healthy_ = true;                        // guarded by mu_
  std::string unhealthy_why_;                  // guarded by mu_
  bool stopping_ = false;                      // guarded by mu_
  HealthListener health_listener_;             // guarded by mu_
  std::thread recovery_;
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_JOURNAL_H_
