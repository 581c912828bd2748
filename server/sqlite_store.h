// SqliteStore: the embedded default Store. One SQLite file in WAL mode with synchronous=FULL, a
// versioned schema, and one writer thread that commits queued batches together.
//
// Why one writer: SQLite takes one writer at a time anyway, and committing many small batches in
// one transaction turns ~1,700 fsync-bound commits a second into ~100,000 rows a second. Each
// batch runs in its own savepoint and is acknowledged only after the transaction that holds it
// has committed, so nothing acknowledged is lost on kill -9 or power loss. Bodies are the v1
// messages (server/convert.h), so databases written by earlier builds open and migrate.
//
// Thread-safety: as gate::Store. Reads use their own connection and never wait for the writer's
// batch; `done` callbacks run on the writer thread in commit order.
#ifndef YARDGATE_SERVER_SQLITE_STORE_H_
#define YARDGATE_SERVER_SQLITE_STORE_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "gate/store.h"

namespace yardgate::server {

class SqliteStore final : public gate::Store {
 public:
  // Opens (creating if needed) the database at `path` and migrates it to the current schema.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;  // Close()s
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void Commit(gate::WriteBatch batch, std::function<void(absl::Status)> done) override;
  absl::Status Recover() override;
  absl::StatusOr<gate::StoredState> Load(absl::Time keep_since) override;
  absl::Status ReadEvents(uint64_t after, size_t max, std::vector<gate::Event>* out) override;
  absl::StatusOr<std::optional<gate::Visit>> GetVisit(const std::string& visit_id) override;
  absl::StatusOr<std::vector<gate::Visit>> ListVisits(const gate::VisitQuery& query) override;
  absl::StatusOr<std::vector<gate::EvidenceFrame>> GetFrames(const std::string& visit_id) override;
  absl::StatusOr<std::vector<gate::AuditRecord>> ListAudit(const gate::AuditQuery& query) override;
  absl::StatusOr<std::optional<gate::IdempotencyRecord>> GetIdempotency(const std::string& key) override;
  absl::StatusOr<std::vector<gate::PositionRecord>> ListPositions(const std::string& device_id, int limit) override;
  void Close() override;

  int schema_version() const { return schema_version_; }
  static int LatestSchemaVersion();

  // Writer statistics, for benchmarks.
  struct Stats {
    uint64_t transactions = 0;
    uint64_t batches = 0;
  };
  Stats stats() const;

 private:
  struct Job {
    gate::WriteBatch batch;
    std::function<void(absl::Status)> done;
    bool probe = false;  // Recover(): an empty write transaction that ignores the poison
  };

  SqliteStore(std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> reader, int version);
  void WriterLoop();
  void RunJobs(std::deque<Job>& jobs);
  void Write(const gate::WriteBatch& batch);  // throws on failure
  SQLite::Statement& Prepared(const char* sql);  // writer thread only
  absl::Status ReadLocked(const std::function<void(SQLite::Database&)>& read);

  std::unique_ptr<SQLite::Database> writer_db_;  // writer thread only
  std::map<const char*, std::unique_ptr<SQLite::Statement>> statements_;  // writer thread only
  std::mutex reader_mu_;
  std::unique_ptr<SQLite::Database> reader_db_;  // guarded by reader_mu_
  const int schema_version_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;  // guarded by mu_
  bool closing_ = false;   // guarded by mu_
  absl::Status poisoned_;  // guarded by mu_: why commits fail, OK when healthy
  Stats stats_;            // guarded by mu_
  std::thread writer_;
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_SQLITE_STORE_H_
