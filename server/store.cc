#include "server/store.h"

#include <future>
#include <vector>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "absl/strings/str_cat.h"

namespace yardgate::server {
namespace {

// Each entry moves the schema one version up; entry i makes version i + 1. Never edit an entry
// that has shipped: add a new one.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> migrations = {
      // 1: the foundation.
      R"sql(
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        lane_id TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        body BLOB NOT NULL);
      CREATE TABLE visits (
        visit_id TEXT PRIMARY KEY,
        lane_id TEXT NOT NULL,
        arrived_ms INTEGER NOT NULL,
        decision INTEGER NOT NULL,
        body BLOB NOT NULL);
      CREATE INDEX visits_by_lane ON visits(lane_id, arrived_ms);
      CREATE TABLE visit_frames (
        visit_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        camera TEXT NOT NULL,
        image BLOB NOT NULL,
        PRIMARY KEY (visit_id, idx));
      CREATE TABLE appointments (
        appointment_id TEXT PRIMARY KEY,
        plate TEXT NOT NULL,
        body BLOB NOT NULL);
      CREATE TABLE customs (
        container TEXT PRIMARY KEY,
        status INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL);
      CREATE TABLE seals (
        seal_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        body BLOB NOT NULL);
      CREATE TABLE idempotency (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response BLOB NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (scope, key));
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        detail TEXT NOT NULL);
      CREATE TABLE device_positions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        seal_id TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        latitude REAL NOT NULL,
        longitude REAL NOT NULL,
        body BLOB NOT NULL);
      CREATE INDEX device_positions_by_device ON device_positions(device_id, time_ms);
      )sql",
  };
  return migrations;
}

void Configure(SQLite::Database& db) {
  db.exec("PRAGMA journal_mode=WAL");
  // Debian's default is FULL already; say so, because durability rests on it.
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=ON");
  db.setBusyTimeout(5000);
}

int Migrate(SQLite::Database& db) {
  int version = db.execAndGet("PRAGMA user_version").getInt();
  const auto& migrations = Migrations();
  if (version > static_cast<int>(migrations.size())) {
    throw std::runtime_error(absl::StrCat("database schema version ", version,
                                          " is newer than this build knows (",
                                          migrations.size(), ")"));
  }
  for (; version < static_cast<int>(migrations.size()); ++version) {
    // user_version rolls back with its transaction, so the step and its bump go together.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    db.exec(migrations[version]);
    db.exec(absl::StrCat("PRAGMA user_version=", version + 1));
    tx.commit();
  }
  return version;
}

}  // namespace

int Store::LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  try {
    auto writer = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    Configure(*writer);
    const int version = Migrate(*writer);
    auto reader = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    Configure(*reader);
    return std::unique_ptr<Store>(new Store(std::move(writer), std::move(reader), version));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot open the store at ", path, ": ", e.what()));
  }
}

Store::Store(std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> reader,
             int version)
    : writer_db_(std::move(writer)), reader_db_(std::move(reader)), schema_version_(version) {
  writer_ = std::thread([this] { WriterLoop(); });
}

Store::~Store() { Close(); }

void Store::Submit(Work work, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      queue_.push_back(Job{std::move(work), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  if (done) done(absl::UnavailableError("the store is closed"));
}

absl::Status Store::SubmitAndWait(Work work) {
  std::promise<absl::Status> promise;
  std::future<absl::Status> result = promise.get_future();
  Submit(std::move(work), [&promise](absl::Status s) { promise.set_value(std::move(s)); });
  return result.get();
}

absl::Status Store::Read(const std::function<void(SQLite::Database&)>& read) {
  std::lock_guard<std::mutex> lock(reader_mu_);
  try {
    read(*reader_db_);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("store read failed: ", e.what()));
  }
}

void Store::WriterLoop() {
  constexpr size_t kMaxBatch = 512;
  for (;;) {
    std::deque<Job> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and drained
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++stats_.batches;
      stats_.works += batch.size();
    }
    RunBatch(batch);
  }
}

void Store::RunBatch(std::deque<Job>& batch) {
  std::vector<absl::Status> results(batch.size());
  absl::Status commit_status;
  try {
    SQLite::Transaction tx(*writer_db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (size_t i = 0; i < batch.size(); ++i) {
      writer_db_->exec("SAVEPOINT job");
      try {
        batch[i].work(*writer_db_);
        writer_db_->exec("RELEASE job");
      } catch (const std::exception& e) {
        writer_db_->exec("ROLLBACK TO job");
        writer_db_->exec("RELEASE job");
        results[i] = absl::InternalError(absl::StrCat("store write failed: ", e.what()));
      }
    }
    tx.commit();
  } catch (const std::exception& e) {
    commit_status = absl::UnavailableError(absl::StrCat("store commit failed: ", e.what()));
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(commit_status.ok() ? results[i] : commit_status);
  }
}

void Store::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ && !writer_.joinable()) return;
    closing_ = true;
    cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  try {
    writer_db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const std::exception&) {
    // A checkpoint that cannot run now runs when the database next opens; nothing is lost.
  }
}

Store::Stats Store::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace yardgate::server
