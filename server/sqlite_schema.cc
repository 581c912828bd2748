#include "server/sqlite_schema.h"

#include <SQLiteCpp/Transaction.h>

#include <stdexcept>
#include <vector>

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
      // 2: the gate core. One idempotency key space across methods (a key used by two methods
      // before keeps its first use); audit records say what changed and why; other modules'
      // records (seals first) in one keyed table.
      R"sql(
      CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        method TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response BLOB NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0,
        subject TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL);
      INSERT OR IGNORE INTO idempotency_keys (key, method, request_hash, response, created_ms)
        SELECT key, scope, request_hash, response, created_ms FROM idempotency ORDER BY created_ms;
      DROP TABLE idempotency;
      CREATE INDEX idempotency_by_time ON idempotency_keys(created_ms);
      ALTER TABLE audit ADD COLUMN before_text TEXT NOT NULL DEFAULT '';
      ALTER TABLE audit ADD COLUMN after_text TEXT NOT NULL DEFAULT '';
      ALTER TABLE audit ADD COLUMN comment TEXT NOT NULL DEFAULT '';
      CREATE INDEX audit_by_subject ON audit(visit_id, id);
      CREATE TABLE records (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (kind, key));
      INSERT INTO records (kind, key, body) SELECT 'seal', seal_id, body FROM seals;
      DROP TABLE seals;
      )sql",
  };
  return migrations;
}

}  // namespace

void ConfigureSqlite(SQLite::Database& db) {
  db.exec("PRAGMA journal_mode=WAL");
  // Debian's default is FULL already; say so, because durability rests on it.
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=ON");
  db.setBusyTimeout(5000);
}

int MigrateSqlite(SQLite::Database& db) {
  int version = db.execAndGet("PRAGMA user_version").getInt();
  const auto& migrations = Migrations();
  if (version > static_cast<int>(migrations.size())) {
    throw std::runtime_error(absl::StrCat("database schema version ", version, " is newer than this build knows (",
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

int LatestSqliteSchemaVersion() { return static_cast<int>(Migrations().size()); }

}  // namespace yardgate::server
