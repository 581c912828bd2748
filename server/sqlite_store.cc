#include "server/sqlite_store.h"

#include <future>
#include <vector>

#include <SQLiteCpp/Transaction.h>

#include "absl/strings/str_cat.h"
#include "server/convert.h"
#include "server/sqlite_schema.h"

namespace yardgate::server {
namespace {

int64_t Millis(absl::Time t) {
  if (t == absl::InfinitePast()) return 0;
  return absl::ToUnixMillis(t);
}

template <class Message>
bool ParseColumn(const SQLite::Column& column, Message* out) {
  return out->ParseFromArray(column.getBlob(), column.getBytes());
}

std::string BlobOf(const SQLite::Column& column) {
  return std::string(static_cast<const char*>(column.getBlob()), static_cast<size_t>(column.getBytes()));
}

void BindBlob(SQLite::Statement& q, int index, const std::string& bytes) {
  q.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

gate::Visit ParseVisit(const SQLite::Column& column) {
  v1::Visit v;
  if (!ParseColumn(column, &v)) throw std::runtime_error("a stored visit does not parse");
  return VisitFromStored(v);
}

gate::IdempotencyRecord IdempotencyFrom(SQLite::Statement& q) {
  gate::IdempotencyRecord r;
  r.key = q.getColumn(0).getString();
  r.method = q.getColumn(1).getString();
  r.request_hash = q.getColumn(2).getString();
  r.response = BlobOf(q.getColumn(3));
  r.pending = q.getColumn(4).getInt() != 0;
  r.subject = q.getColumn(5).getString();
  r.created_at = absl::FromUnixMillis(q.getColumn(6).getInt64());
  return r;
}

constexpr char kIdempotencyColumns[] = "key, method, request_hash, response, pending, subject, created_ms";

}  // namespace

int SqliteStore::LatestSchemaVersion() { return LatestSqliteSchemaVersion(); }

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  try {
    auto writer = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    ConfigureSqlite(*writer);
    const int version = MigrateSqlite(*writer);
    auto reader = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    ConfigureSqlite(*reader);
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(writer), std::move(reader), version));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot open the store at ", path, ": ", e.what()));
  }
}

SqliteStore::SqliteStore(std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> reader,
                         int version)
    : writer_db_(std::move(writer)), reader_db_(std::move(reader)), schema_version_(version) {
  writer_ = std::thread([this] { WriterLoop(); });
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Commit(gate::WriteBatch batch, std::function<void(absl::Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      queue_.push_back(Job{std::move(batch), std::move(done), false});
      cv_.notify_one();
      return;
    }
  }
  if (done) done(absl::UnavailableError("the store is closed"));
}

absl::Status SqliteStore::Recover() {
  std::promise<absl::Status> promise;
  std::future<absl::Status> result = promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return absl::UnavailableError("the store is closed");
    queue_.push_back(Job{{}, [&promise](absl::Status s) { promise.set_value(std::move(s)); }, true});
    cv_.notify_one();
  }
  return result.get();
}

void SqliteStore::WriterLoop() {
  constexpr size_t kMaxJobs = 512;
  for (;;) {
    std::deque<Job> jobs;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and drained
      while (!queue_.empty() && jobs.size() < kMaxJobs) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunJobs(jobs);
  }
}

SQLite::Statement& SqliteStore::Prepared(const char* sql) {
  // Keyed by the literal's address: every caller passes a string literal.
  std::unique_ptr<SQLite::Statement>& q = statements_[sql];
  if (q == nullptr) q = std::make_unique<SQLite::Statement>(*writer_db_, sql);
  q->reset();
  q->clearBindings();
  return *q;
}

void SqliteStore::Write(const gate::WriteBatch& b) {
  for (const gate::Visit& visit : b.visits) {
    SQLite::Statement& q = Prepared(
        "INSERT OR REPLACE INTO visits (visit_id, lane_id, arrived_ms, decision, body) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, visit.id);
    q.bind(2, visit.lane_id);
    q.bind(3, static_cast<int64_t>(Millis(visit.arrived_at)));
    q.bind(4, static_cast<int>(visit.decision));
    const std::string body = VisitToWire(visit).SerializeAsString();
    BindBlob(q, 5, body);
    q.exec();
  }
  for (const gate::EvidenceFrame& f : b.frames) {
    // A continued visit adds its new stage's frames after the earlier ones.
    SQLite::Statement& q = Prepared(
        "INSERT INTO visit_frames (visit_id, idx, camera, image) VALUES "
        "(?1, (SELECT COALESCE(MAX(idx) + 1, 0) FROM visit_frames WHERE visit_id = ?1), ?2, ?3)");
    q.bind(1, f.visit_id);
    q.bind(2, f.camera);
    BindBlob(q, 3, f.image);
    q.exec();
  }
  for (const gate::Appointment& a : b.appointments) {
    SQLite::Statement& q =
        Prepared("INSERT OR REPLACE INTO appointments (appointment_id, plate, body) VALUES (?, ?, ?)");
    q.bind(1, a.id);
    q.bind(2, a.plate);
    BindBlob(q, 3, AppointmentToWire(a).SerializeAsString());
    q.exec();
  }
  for (const gate::CustomsRecord& c : b.customs) {
    SQLite::Statement& q = Prepared("INSERT OR REPLACE INTO customs (container, status, updated_ms) VALUES (?, ?, ?)");
    q.bind(1, c.container_number);
    q.bind(2, static_cast<int>(c.status));
    q.bind(3, static_cast<int64_t>(Millis(c.updated_at)));
    q.exec();
  }
  for (const gate::AuditRecord& a : b.audit) {
    SQLite::Statement& q = Prepared(
        "INSERT INTO audit (time_ms, actor, action, visit_id, detail, before_text, after_text, comment) "
        "VALUES (?, ?, ?, ?, '', ?, ?, ?)");
    q.bind(1, static_cast<int64_t>(Millis(a.time)));
    q.bind(2, a.actor);
    q.bind(3, a.action);
    q.bind(4, a.subject);
    q.bind(5, a.before);
    q.bind(6, a.after);
    q.bind(7, a.comment);
    q.exec();
  }
  for (const gate::Event& e : b.events) {
    SQLite::Statement& q =
        Prepared("INSERT INTO events (seq, time_ms, lane_id, visit_id, body) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, static_cast<int64_t>(e.sequence));
    q.bind(2, static_cast<int64_t>(Millis(e.logged_at)));
    q.bind(3, e.lane_id);
    q.bind(4, e.visit_id);
    BindBlob(q, 5, EventToWire(e).SerializeAsString());
    q.exec();
  }
  for (const gate::IdempotencyRecord& r : b.idempotency) {
    SQLite::Statement& q = Prepared(
        "INSERT OR REPLACE INTO idempotency_keys (key, method, request_hash, response, pending, subject, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, r.key);
    q.bind(2, r.method);
    q.bind(3, r.request_hash);
    BindBlob(q, 4, r.response);
    q.bind(5, r.pending ? 1 : 0);
    q.bind(6, r.subject);
    q.bind(7, static_cast<int64_t>(Millis(r.created_at)));
    q.exec();
  }
  for (const gate::BlobRecord& r : b.blobs) {
    if (r.erase) {
      SQLite::Statement& q = Prepared("DELETE FROM records WHERE kind = ? AND key = ?");
      q.bind(1, r.kind);
      q.bind(2, r.key);
      q.exec();
      continue;
    }
    SQLite::Statement& q = Prepared("INSERT OR REPLACE INTO records (kind, key, body) VALUES (?, ?, ?)");
    q.bind(1, r.kind);
    q.bind(2, r.key);
    BindBlob(q, 3, r.body);
    q.exec();
  }
  for (const gate::PositionRecord& p : b.positions) {
    SQLite::Statement& q = Prepared(
        "INSERT INTO device_positions (device_id, seal_id, time_ms, latitude, longitude, body) VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(1, p.device_id);
    q.bind(2, p.seal_id);
    q.bind(3, static_cast<int64_t>(Millis(p.time)));
    q.bind(4, p.latitude);
    q.bind(5, p.longitude);
    BindBlob(q, 6, p.body);
    q.exec();
  }
}

void SqliteStore::RunJobs(std::deque<Job>& jobs) {
  std::vector<absl::Status> results(jobs.size());
  absl::Status poisoned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    poisoned = poisoned_;
    ++stats_.transactions;
    stats_.batches += jobs.size();
  }
  absl::Status commit_status;
  bool probed_ok = false;
  try {
    SQLite::Transaction tx(*writer_db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (jobs[i].probe) continue;
      if (!poisoned.ok()) {
        // Built on a change that was lost: it must not reach the disk either.
        results[i] = poisoned;
        continue;
      }
      writer_db_->exec("SAVEPOINT batch");
      try {
        Write(jobs[i].batch);
        writer_db_->exec("RELEASE batch");
      } catch (const std::exception& e) {
        writer_db_->exec("ROLLBACK TO batch");
        writer_db_->exec("RELEASE batch");
        results[i] = absl::InternalError(absl::StrCat("store write failed: ", e.what()));
        poisoned = absl::Status(results[i].code(), absl::StrCat("an earlier commit failed: ", results[i].message()));
      }
    }
    tx.commit();
    probed_ok = true;
  } catch (const std::exception& e) {
    commit_status = absl::UnavailableError(absl::StrCat("store commit failed: ", e.what()));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!commit_status.ok()) {
      poisoned_ = absl::Status(commit_status.code(), absl::StrCat("an earlier commit failed: ", commit_status.message()));
    } else if (!poisoned.ok()) {
      poisoned_ = poisoned;
    }
    // A probe clears the poison only if it committed after everything before it was refused.
    for (const Job& job : jobs) {
      if (job.probe && probed_ok) poisoned_ = absl::OkStatus();
    }
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!jobs[i].done) continue;
    if (jobs[i].probe) {
      jobs[i].done(commit_status);
    } else {
      jobs[i].done(commit_status.ok() ? results[i] : commit_status);
    }
  }
}

absl::Status SqliteStore::ReadLocked(const std::function<void(SQLite::Database&)>& read) {
  std::lock_guard<std::mutex> lock(reader_mu_);
  try {
    read(*reader_db_);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("store read failed: ", e.what()));
  }
}

absl::StatusOr<gate::StoredState> SqliteStore::Load(absl::Time keep_since) {
  gate::StoredState state;
  const int64_t cutoff = Millis(keep_since);
  absl::Status read = ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement last(db, "SELECT seq, body FROM events ORDER BY seq DESC LIMIT 1");
    if (last.executeStep()) {
      state.last_sequence = static_cast<uint64_t>(last.getColumn(0).getInt64());
      v1::Event e;
      if (ParseColumn(last.getColumn(1), &e)) state.last_logged_at = EventFromStored(e).logged_at;
    }
    SQLite::Statement appointments(db, "SELECT body FROM appointments ORDER BY appointment_id");
    while (appointments.executeStep()) {
      v1::Appointment a;
      if (!ParseColumn(appointments.getColumn(0), &a)) throw std::runtime_error("a stored appointment does not parse");
      state.appointments.push_back(AppointmentFromStored(a));
    }
    SQLite::Statement customs(db, "SELECT container, status, updated_ms FROM customs");
    while (customs.executeStep()) {
      state.customs.push_back({customs.getColumn(0).getString(),
                               static_cast<gate::CustomsStatus>(customs.getColumn(1).getInt()),
                               absl::FromUnixMillis(customs.getColumn(2).getInt64())});
    }
    SQLite::Statement visits(db, "SELECT body FROM visits WHERE arrived_ms >= ? OR decision = ? ORDER BY visit_id");
    visits.bind(1, static_cast<int64_t>(cutoff));
    visits.bind(2, static_cast<int>(gate::Verdict::kTrouble));
    while (visits.executeStep()) {
      gate::Visit v = ParseVisit(visits.getColumn(0));
      const bool open_trouble = v.decision == gate::Verdict::kTrouble && !v.passed;
      if ((!v.completed && v.arrived_at >= keep_since) || open_trouble) state.visits.push_back(std::move(v));
    }
    state.last_visit_id = db.execAndGet("SELECT COALESCE(MAX(visit_id), '') FROM visits").getString();
    SQLite::Statement keys(db, absl::StrCat("SELECT ", kIdempotencyColumns,
                                            " FROM idempotency_keys WHERE created_ms >= ? ORDER BY created_ms"));
    keys.bind(1, static_cast<int64_t>(cutoff));
    while (keys.executeStep()) state.idempotency.push_back(IdempotencyFrom(keys));
    SQLite::Statement records(db, "SELECT kind, key, body FROM records ORDER BY kind, key");
    while (records.executeStep()) {
      state.blobs.push_back({records.getColumn(0).getString(), records.getColumn(1).getString(),
                             BlobOf(records.getColumn(2)), false});
    }
  });
  if (!read.ok()) return read;
  return state;
}

absl::Status SqliteStore::ReadEvents(uint64_t after, size_t max, std::vector<gate::Event>* out) {
  return ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    q.bind(1, static_cast<int64_t>(after));
    q.bind(2, static_cast<int64_t>(max));
    while (q.executeStep()) {
      v1::Event e;
      if (!ParseColumn(q.getColumn(0), &e)) throw std::runtime_error("a stored event does not parse");
      out->push_back(EventFromStored(e));
    }
  });
}

absl::StatusOr<std::optional<gate::Visit>> SqliteStore::GetVisit(const std::string& visit_id) {
  std::optional<gate::Visit> visit;
  absl::Status read = ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT body FROM visits WHERE visit_id = ?");
    q.bind(1, visit_id);
    if (q.executeStep()) visit = ParseVisit(q.getColumn(0));
  });
  if (!read.ok()) return read;
  return visit;
}

absl::StatusOr<std::vector<gate::Visit>> SqliteStore::ListVisits(const gate::VisitQuery& query) {
  std::vector<gate::Visit> out;
  absl::Status read = ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "SELECT body FROM visits WHERE visit_id > ? AND (? = '' OR lane_id = ?) "
                        "ORDER BY visit_id LIMIT ?");
    q.bind(1, query.after_id);
    q.bind(2, query.lane_id);
    q.bind(3, query.lane_id);
    q.bind(4, query.limit);
    while (q.executeStep()) out.push_back(ParseVisit(q.getColumn(0)));
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<gate::EvidenceFrame>> SqliteStore::GetFrames(const std::string& visit_id) {
  std::vector<gate::EvidenceFrame> out;
  absl::Status read = ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT camera, image FROM visit_frames WHERE visit_id = ? ORDER BY idx");
    q.bind(1, visit_id);
    while (q.executeStep()) out.push_back({visit_id, q.getColumn(0).getString(), BlobOf(q.getColumn(1))});
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<gate::AuditRecord>> SqliteStore::ListAudit(const gate::AuditQuery& query) {
  std::vector<gate::AuditRecord> out;
  absl::Status read = ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "SELECT id, time_ms, actor, action, visit_id, detail, before_text, after_text, comment "
                        "FROM audit WHERE id > ? AND (? = '' OR visit_id = ?) AND (? = '' OR actor = ?) "
                        "ORDER BY id LIMIT ?");
    q.bind(1, static_cast<int64_t>(query.after_id));
    q.bind(2, query.subject);
    q.bind(3, query.subject);
    q.bind(4, query.actor);
    q.bind(5, query.actor);
    q.bind(6, query.limit);
    while (q.executeStep()) {
      gate::AuditRecord a;
      a.id = q.getColumn(0).getInt64();
      a.time = absl::FromUnixMillis(q.getColumn(1).getInt64());
      a.actor = q.getColumn(2).getString();
      a.action = q.getColumn(3).getString();
      a.subject = q.getColumn(4).getString();
      a.before = q.getColumn(6).getString();
      a.after = q.getColumn(7).getString();
      a.comment = q.getColumn(8).getString();
      // Records written before schema 2 said everything in one line.
      if (a.before.empty() && a.after.empty()) a.after = q.getColumn(5).getString();
      out.push_back(std::move(a));
    }
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::optional<gate::IdempotencyRecord>> SqliteStore::GetIdempotency(const std::string& key) {
  std::optional<gate::IdempotencyRecord> out;
  absl::Status read = ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement q(db, absl::StrCat("SELECT ", kIdempotencyColumns, " FROM idempotency_keys WHERE key = ?"));
    q.bind(1, key);
    if (q.executeStep()) out = IdempotencyFrom(q);
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<gate::PositionRecord>> SqliteStore::ListPositions(const std::string& device_id, int limit) {
  std::vector<gate::PositionRecord> out;
  absl::Status read = ReadLocked([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "SELECT device_id, seal_id, time_ms, latitude, longitude, body FROM device_positions "
                        "WHERE device_id = ? ORDER BY id DESC LIMIT ?");
    q.bind(1, device_id);
    q.bind(2, limit);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                     absl::FromUnixMillis(q.getColumn(2).getInt64()), q.getColumn(3).getDouble(),
                     q.getColumn(4).getDouble(), BlobOf(q.getColumn(5))});
    }
  });
  if (!read.ok()) return read;
  return out;
}

void SqliteStore::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ && !writer_.joinable()) return;
    closing_ = true;
    cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  statements_.clear();
  try {
    writer_db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const std::exception&) {
    // A checkpoint that cannot run now runs when the database next opens; nothing is lost.
  }
}

SqliteStore::Stats SqliteStore::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace yardgate::server
