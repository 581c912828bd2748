// The committed event log as streams read it: the newest events in memory, older ones from the
// store, and a way to be told when the next one commits. Events are held as shared, immutable
// wire messages, so any number of streams send the same bytes without a copy each.
//
// Events reach the log only after the store has committed them, in sequence order, so a reader
// that walks by sequence number sees each event exactly once and never one that could still be
// lost. Sequence numbers only grow; a gap (a batch that failed to commit) is skipped.
//
// Thread-safety: all methods may be called from any thread. Callbacks given to NotifyAfter run
// on the thread that publishes (the store's writer) or the caller's, and must not block.
#ifndef YARDGATE_SERVER_EVENT_LOG_H_
#define YARDGATE_SERVER_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "gate/model.h"
#include "gate/store.h"
#include "yardgate/v1/common.pb.h"

namespace yardgate::server {

using SharedEvent = std::shared_ptr<const v1::Event>;

class EventLog {
 public:
  // `last_sequence` is the highest sequence already in the store.
  EventLog(gate::Store* store, uint64_t last_sequence, size_t memory_capacity = 16384);
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // REQUIRES: `events` committed, in increasing sequence order, above every earlier one.
  void Publish(const std::vector<gate::Event>& events);

  // Appends to `out` up to `max` committed events with sequence > `after`, in order.
  // Reads the store when `after` is older than what memory holds.
  absl::Status Read(uint64_t after, size_t max, std::vector<SharedEvent>* out);

  // Calls `ready` once, as soon as an event with sequence > `after` has committed or the log
  // is shut down (at once if either is already true). Returns an id for CancelNotify.
  uint64_t NotifyAfter(uint64_t after, std::function<void()> ready);
  void CancelNotify(uint64_t id);

  // Wakes every waiter; streams then finish. Idempotent.
  void Shutdown();
  bool is_shut_down() const;

  uint64_t last_sequence() const;

 private:
  struct Waiter {
    uint64_t after;
    std::function<void()> ready;
  };

  gate::Store* const store_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<SharedEvent> recent_;     // guarded by mu_; the newest committed events
  uint64_t last_sequence_;             // guarded by mu_
  std::map<uint64_t, Waiter> waiters_;  // guarded by mu_
  uint64_t next_waiter_id_ = 1;        // guarded by mu_
  bool shut_down_ = false;             // guarded by mu_
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_EVENT_LOG_H_
