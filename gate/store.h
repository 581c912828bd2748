// Store: where the gate's records live, behind one interface so that the gate core never
// knows the backend. SQLite is the embedded default (server/sqlite_store.h); MemoryStore
// (memory_store.h) serves unit tests and injects faults; a PostgreSQL backend would be a third.
// Every backend passes the same conformance suite (store_conformance.cc).
//
// Writes are batches committed atomically and in order: a batch is durable, with everything
// queued before it, when its `done` says OK. A batch that fails poisons the store: every batch
// after it fails too, without being written, until Recover() succeeds, so that nothing built on
// a change that was lost can reach the disk. The caller (the journal) then reloads its state.
//
// Thread-safety: every method may be called from any thread. `done` callbacks run on the store's
// own thread, in commit order, and must not block.
#ifndef YARDGATE_GATE_STORE_H_
#define YARDGATE_GATE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gate/model.h"

namespace yardgate::gate {

// One idempotent call: its key, which method, the request's fingerprint and the answer's bytes.
struct IdempotencyRecord {
  std::string key;
  std::string method;
  std::string request_hash;
  std::string response;  // the serialized answer; empty while pending
  // The call's effects are still running (the barrier opening): the answer is not final yet.
  // After a crash, the journal finalises such keys from `subject` when it loads.
  bool pending = false;
  std::string subject;   // what the answer is about (a visit id), for that finalisation
  absl::Time created_at = absl::InfinitePast();

  bool operator==(const IdempotencyRecord&) const = default;
};

// A record another module owns and stores whole (a seal, an e-lock terminal, an outbox cursor).
struct BlobRecord {
  std::string kind;  // "seal", "terminal", ...
  std::string key;
  std::string body;
  bool erase = false;  // delete (kind, key) instead of writing it

  bool operator==(const BlobRecord&) const = default;
};

// One position of an e-lock's trail.
struct PositionRecord {
  std::string device_id;
  std::string seal_id;
  absl::Time time = absl::InfinitePast();
  double latitude = 0;
  double longitude = 0;
  std::string body;  // the report as the seal bridge keeps it

  bool operator==(const PositionRecord&) const = default;
};

// What one change writes, all or nothing.
struct WriteBatch {
  std::vector<Visit> visits;
  std::vector<EvidenceFrame> frames;  // appended after the visit's earlier frames
  std::vector<Appointment> appointments;
  std::vector<CustomsRecord> customs;
  std::vector<AuditRecord> audit;     // ids are assigned by the store
  std::vector<Event> events;          // sequenced
  std::vector<IdempotencyRecord> idempotency;
  std::vector<BlobRecord> blobs;
  std::vector<PositionRecord> positions;

  // Adds `later`'s records after these.
  void Append(WriteBatch later);
  bool empty() const;
};

// What the gate needs in memory after a start or a recovery.
struct StoredState {
  std::vector<Appointment> appointments;
  std::vector<CustomsRecord> customs;
  // Visits that are not completed and arrived since `keep_since`, and open trouble visits of
  // any age; ordered by id.
  std::vector<Visit> visits;
  std::vector<IdempotencyRecord> idempotency;  // created since `keep_since`
  std::vector<BlobRecord> blobs;
  uint64_t last_sequence = 0;
  absl::Time last_logged_at = absl::InfinitePast();
  std::string last_visit_id;  // the newest visit ever stored, "" if none
};

struct VisitQuery {
  std::string lane_id;   // "" for any
  std::string after_id;  // page token: visits with a larger id
  int limit = 100;
};

struct AuditQuery {
  std::string subject;  // "" for any
  std::string actor;    // "" for any
  int64_t after_id = 0;
  int limit = 100;
};

class Store {
 public:
  virtual ~Store() = default;

  // Queues `batch`; `done` gets OK once it is durable with everything queued before it, or the
  // reason it is not (then nothing of it was written, and the store is poisoned).
  virtual void Commit(WriteBatch batch, std::function<void(absl::Status)> done) = 0;

  // Clears the poison once the store can write again (an empty write transaction succeeds).
  // OK when the store is healthy; otherwise why it still cannot write.
  virtual absl::Status Recover() = 0;

  virtual absl::StatusOr<StoredState> Load(absl::Time keep_since) = 0;

  // Appends to `out` up to `max` events with sequence > `after`, in order.
  virtual absl::Status ReadEvents(uint64_t after, size_t max, std::vector<Event>* out) = 0;

  virtual absl::StatusOr<std::optional<Visit>> GetVisit(const std::string& visit_id) = 0;
  virtual absl::StatusOr<std::vector<Visit>> ListVisits(const VisitQuery& query) = 0;
  virtual absl::StatusOr<std::vector<EvidenceFrame>> GetFrames(const std::string& visit_id) = 0;
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(const AuditQuery& query) = 0;
  virtual absl::StatusOr<std::optional<IdempotencyRecord>> GetIdempotency(const std::string& key) = 0;
  // Newest first, at most `limit`.
  virtual absl::StatusOr<std::vector<PositionRecord>> ListPositions(const std::string& device_id, int limit) = 0;

  // Commits what is queued and stops the writer. Commit after Close fails at once. Idempotent.
  virtual void Close() = 0;
};

// Commit and wait. Not for threads that the store's `done` callbacks need.
absl::Status CommitAndWait(Store& store, WriteBatch batch);

}  // namespace yardgate::gate

#endif  // YARDGATE_GATE_STORE_H_
