#include "server/sqlite_store.h"

#include <filesystem>
#include <future>

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include "gate/store_conformance.h"
#include "tests/temp_dir.h"

namespace yardgate::gate {
namespace {

// The Store contract on SQLite: a fresh database file per test, reopened by each call.
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"sqlite", [] {
                           auto dir = std::make_shared<testing::TempDir>();
                           return std::function<std::unique_ptr<Store>()>([dir]() -> std::unique_ptr<Store> {
                             return *server::SqliteStore::Open(dir->path() + "/yardgate.db");
                           });
                         }}));

}  // namespace
}  // namespace yardgate::gate

namespace yardgate::server {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/yardgate.db"; }
  testing::TempDir dir_;
};

TEST_F(SqliteStoreTest, MigratesToTheLatestSchemaOnceAndReopens) {
  {
    auto store = SqliteStore::Open(path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), SqliteStore::LatestSchemaVersion());
  }
  auto again = SqliteStore::Open(path());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->schema_version(), SqliteStore::LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerBuild) {
  {
    SQLite::Database db(path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version=999");
  }
  auto store = SqliteStore::Open(path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer than this build"), std::string::npos);
}

// A database the first yardgate builds wrote (schema 1) opens: its seals, idempotency keys and
// audit lines are carried over.
TEST_F(SqliteStoreTest, ASchemaOneDatabaseMigratesWithItsRecords) {
  {
    SQLite::Database db(path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(R"sql(
      CREATE TABLE events (seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, lane_id TEXT NOT NULL,
                           visit_id TEXT NOT NULL, body BLOB NOT NULL);
      CREATE TABLE visits (visit_id TEXT PRIMARY KEY, lane_id TEXT NOT NULL, arrived_ms INTEGER NOT NULL,
                           decision INTEGER NOT NULL, body BLOB NOT NULL);
      CREATE INDEX visits_by_lane ON visits(lane_id, arrived_ms);
      CREATE TABLE visit_frames (visit_id TEXT NOT NULL, idx INTEGER NOT NULL, camera TEXT NOT NULL,
                                 image BLOB NOT NULL, PRIMARY KEY (visit_id, idx));
      CREATE TABLE appointments (appointment_id TEXT PRIMARY KEY, plate TEXT NOT NULL, body BLOB NOT NULL);
      CREATE TABLE customs (container TEXT PRIMARY KEY, status INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
      CREATE TABLE seals (seal_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, body BLOB NOT NULL);
      CREATE TABLE idempotency (scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
                                response BLOB NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (scope, key));
      CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL, actor TEXT NOT NULL,
                          action TEXT NOT NULL, visit_id TEXT NOT NULL, detail TEXT NOT NULL);
      CREATE TABLE device_positions (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL,
                                     seal_id TEXT NOT NULL, time_ms INTEGER NOT NULL, latitude REAL NOT NULL,
                                     longitude REAL NOT NULL, body BLOB NOT NULL);
      INSERT INTO seals VALUES ('EL1', '13800000001', x'0a03454c31');
      INSERT INTO idempotency VALUES ('SubmitArrival', 'k1', 'h1', x'0102', 4102444800000);
      INSERT INTO idempotency VALUES ('SetCustomsStatus', 'k1', 'h2', x'03', 4102444800001);
      INSERT INTO audit (time_ms, actor, action, visit_id, detail) VALUES (1, 'clerk-7', 'APPROVE', 'V1', 'before: x');
      PRAGMA user_version=1;
    )sql");
  }
  auto store = SqliteStore::Open(path());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<gate::StoredState> state = (*store)->Load(absl::UnixEpoch());
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->blobs.size(), 1u);
  EXPECT_EQ(state->blobs[0].kind, "seal");
  EXPECT_EQ(state->blobs[0].key, "EL1");
  // One key space now: the key's first use is kept.
  ASSERT_EQ(state->idempotency.size(), 1u);
  EXPECT_EQ(state->idempotency[0].method, "SubmitArrival");
  EXPECT_EQ(state->idempotency[0].response, std::string("\x01\x02", 2));
  absl::StatusOr<std::vector<gate::AuditRecord>> audit = (*store)->ListAudit({});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].after, "before: x");
}

TEST_F(SqliteStoreTest, ManyCommitsShareTransactionsAndKeepTheirOrder) {
  auto store = *SqliteStore::Open(path());
  std::vector<std::future<absl::Status>> done;
  std::vector<int> order;
  std::mutex mu;
  for (int i = 0; i < 2000; ++i) {
    auto p = std::make_shared<std::promise<absl::Status>>();
    done.push_back(p->get_future());
    gate::WriteBatch b;
    b.customs.push_back({"C" + std::to_string(i), gate::CustomsStatus::kReleased, absl::UnixEpoch()});
    store->Commit(std::move(b), [p, i, &order, &mu](absl::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      p->set_value(s);
    });
  }
  for (auto& f : done) EXPECT_TRUE(f.get().ok());
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(order[i], i);
  EXPECT_LT(store->stats().transactions, 2000u);
  EXPECT_EQ(store->Load(absl::UnixEpoch())->customs.size(), 2000u);
}

TEST_F(SqliteStoreTest, WalAndFullSyncAreOn) {
  auto store = *SqliteStore::Open(path());
  store->Close();
  SQLite::Database db(path(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

}  // namespace
}  // namespace yardgate::server
