// MemoryStore: a Store held in memory, for unit tests and for proving what the gate does when
// its store refuses writes.
//
// Its "disk" (MemoryDisk) outlives a store instance, so a test restarts by opening a new
// MemoryStore on the same disk. Faults are injected on the disk: fail the Nth commit from now,
// or fail every commit (a full disk) until told otherwise. A failed commit writes nothing and
// poisons the store as the Store contract says.
//
// Thread-safety: as Store. Commits run on the store's own thread, like a real backend's writer.
//
//   auto disk = std::make_shared<MemoryDisk>();
//   MemoryStore store(disk);
//   disk->FailAllCommits(absl::ResourceExhaustedError("disk full"));
#ifndef YARDGATE_GATE_MEMORY_STORE_H_
#define YARDGATE_GATE_MEMORY_STORE_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "gate/store.h"

namespace yardgate::gate {

class MemoryDisk {
 public:
  // The commit `n` commits from now (1 = the next) fails with `status`.
  void FailNthCommit(int n, absl::Status status);
  // Every commit fails with `status` until ClearFaults().
  void FailAllCommits(absl::Status status);
  void ClearFaults();
  int commits() const;

 private:
  friend class MemoryStore;
  // The fault for the commit being made now, OK for none. REQUIRES: mu_ held.
  absl::Status NextFaultLocked();

  mutable std::mutex mu_;
  int commits_ = 0;                   // guarded by mu_: successful commits
  int fail_in_ = 0;                   // guarded by mu_: 0 = none
  absl::Status fail_nth_status_;      // guarded by mu_
  absl::Status fail_all_;             // guarded by mu_
  std::map<std::string, Visit> visits_;                            // guarded by mu_
  std::map<std::string, std::vector<EvidenceFrame>> frames_;       // guarded by mu_
  std::map<std::string, Appointment> appointments_;                // guarded by mu_
  std::map<std::string, CustomsRecord> customs_;                   // guarded by mu_
  std::vector<AuditRecord> audit_;                                 // guarded by mu_
  std::map<uint64_t, Event> events_;                               // guarded by mu_
  std::map<std::string, IdempotencyRecord> idempotency_;           // guarded by mu_
  std::map<std::pair<std::string, std::string>, BlobRecord> blobs_;  // guarded by mu_
  std::vector<PositionRecord> positions_;                          // guarded by mu_
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::shared_ptr<MemoryDisk> disk);
  ~MemoryStore() override;  // Close()s
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  void Commit(WriteBatch batch, std::function<void(absl::Status)> done) override;
  absl::Status Recover() override;
  absl::StatusOr<StoredState> Load(absl::Time keep_since) override;
  absl::Status ReadEvents(uint64_t after, size_t max, std::vector<Event>* out) override;
  absl::StatusOr<std::optional<Visit>> GetVisit(const std::string& visit_id) override;
  absl::StatusOr<std::vector<Visit>> ListVisits(const VisitQuery& query) override;
  absl::StatusOr<std::vector<EvidenceFrame>> GetFrames(const std::string& visit_id) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(const AuditQuery& query) override;
  absl::StatusOr<std::optional<IdempotencyRecord>> GetIdempotency(const std::string& key) override;
  absl::StatusOr<std::vector<PositionRecord>> ListPositions(const std::string& device_id, int limit) override;
  void Close() override;

 private:
  struct Job {
    WriteBatch batch;
    std::function<void(absl::Status)> done;
    bool probe = false;  // Recover(): clears the poison once every earlier job has failed
  };
  void WriterLoop();
  absl::Status Write(const WriteBatch& batch);

  const std::shared_ptr<MemoryDisk> disk_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;   // guarded by mu_
  bool closing_ = false;    // guarded by mu_
  absl::Status poisoned_;   // guarded by mu_: why commits fail, OK when healthy
  std::thread writer_;
};

}  // namespace yardgate::gate

#endif  // YARDGATE_GATE_MEMORY_STORE_H_
