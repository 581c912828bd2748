#include "server/store.h"

#include <filesystem>
#include <future>

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

namespace yardgate::server {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : path_(std::filesystem::temp_directory_path() / ("store-test-" + std::to_string(::getpid()) + ".db")) {
    Remove();
  }
  ~StoreTest() override { Remove(); }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  int64_t Count(Store& store, const std::string& table) {
    int64_t n = -1;
    EXPECT_TRUE(store.Read([&](SQLite::Database& db) { n = db.execAndGet("SELECT COUNT(*) FROM " + table).getInt64(); }).ok());
    return n;
  }
  std::filesystem::path path_;
};

TEST_F(StoreTest, MigratesToTheLatestSchemaOnceAndReopens) {
  {
    auto store = Store::Open(path_.string());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), Store::LatestSchemaVersion());
  }
  auto again = Store::Open(path_.string());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->schema_version(), Store::LatestSchemaVersion());
}

TEST_F(StoreTest, RefusesADatabaseFromANewerBuild) {
  {
    SQLite::Database db(path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version=999");
  }
  auto store = Store::Open(path_.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer than this build"), std::string::npos);
}

TEST_F(StoreTest, ManySubmissionsCommitInBatchesAndInOrder) {
  auto store = *Store::Open(path_.string());
  std::vector<std::future<absl::Status>> done;
  std::vector<int> order;
  std::mutex mu;
  for (int i = 0; i < 2000; ++i) {
    auto p = std::make_shared<std::promise<absl::Status>>();
    done.push_back(p->get_future());
    store->Submit(
        [i](SQLite::Database& db) {
          SQLite::Statement q(db, "INSERT INTO customs (container, status, updated_ms) VALUES (?, 1, 0)");
          q.bind(1, "C" + std::to_string(i));
          q.exec();
        },
        [p, i, &order, &mu](absl::Status s) {
          std::lock_guard<std::mutex> lock(mu);
          order.push_back(i);
          p->set_value(s);
        });
  }
  for (auto& f : done) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(Count(*store, "customs"), 2000);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(order[i], i);
  EXPECT_LT(store->stats().batches, 2000u);
}

TEST_F(StoreTest, AFailingWorkIsRolledBackAloneAndReported) {
  auto store = *Store::Open(path_.string());
  auto insert = [](const std::string& c) {
    return [c](SQLite::Database& db) {
      db.exec("INSERT INTO customs (container, status, updated_ms) VALUES ('" + c + "', 1, 0)");
    };
  };
  std::promise<absl::Status> a, b, c;
  store->Submit(insert("A"), [&](absl::Status s) { a.set_value(s); });
  store->Submit(
      [](SQLite::Database& db) {
        db.exec("INSERT INTO customs (container, status, updated_ms) VALUES ('B', 1, 0)");
        db.exec("INSERT INTO customs (container, status, updated_ms) VALUES ('B', 1, 0)");  // duplicate key
      },
      [&](absl::Status s) { b.set_value(s); });
  store->Submit(insert("C"), [&](absl::Status s) { c.set_value(s); });
  EXPECT_TRUE(a.get_future().get().ok());
  const absl::Status failed = b.get_future().get();
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  EXPECT_NE(failed.message().find("UNIQUE"), std::string::npos) << failed;
  EXPECT_TRUE(c.get_future().get().ok());
  EXPECT_EQ(Count(*store, "customs"), 2);  // A and C, and no half of B
}

TEST_F(StoreTest, SubmitAfterCloseIsUnavailable) {
  auto store = *Store::Open(path_.string());
  store->Close();
  EXPECT_EQ(store->SubmitAndWait([](SQLite::Database&) {}).code(), absl::StatusCode::kUnavailable);
}

TEST_F(StoreTest, WalAndFullSyncAreOn) {
  auto store = *Store::Open(path_.string());
  std::string mode;
  int sync = -1;
  ASSERT_TRUE(store->Read([&](SQLite::Database& db) {
    mode = db.execAndGet("PRAGMA journal_mode").getString();
    sync = db.execAndGet("PRAGMA synchronous").getInt();
  }).ok());
  EXPECT_EQ(mode, "wal");
  EXPECT_EQ(sync, 2);  // FULL
}

}  // namespace
}  // namespace yardgate::server
