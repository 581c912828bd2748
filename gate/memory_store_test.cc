#include "gate/memory_store.h"

#include <gtest/gtest.h>

#include "gate/store_conformance.h"

namespace yardgate::gate {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"memory", [] {
                           auto disk = std::make_shared<MemoryDisk>();
                           return std::function<std::unique_ptr<Store>()>(
                               [disk] { return std::make_unique<MemoryStore>(disk); });
                         }}));

TEST(MemoryStore, TheNthCommitFailsAndTheStoreStaysPoisonedUntilRecovered) {
  auto disk = std::make_shared<MemoryDisk>();
  MemoryStore store(disk);
  disk->FailNthCommit(2, absl::ResourceExhaustedError("disk full"));
  EXPECT_TRUE(CommitAndWait(store, WriteBatch{}).ok());
  const absl::Status failed = CommitAndWait(store, WriteBatch{});
  EXPECT_EQ(failed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(CommitAndWait(store, WriteBatch{}).ok());
  EXPECT_TRUE(store.Recover().ok());
  EXPECT_TRUE(CommitAndWait(store, WriteBatch{}).ok());
  EXPECT_EQ(disk->commits(), 2);
}

TEST(MemoryStore, AFullDiskRefusesRecoveryUntilSpaceIsFreed) {
  auto disk = std::make_shared<MemoryDisk>();
  MemoryStore store(disk);
  disk->FailAllCommits(absl::ResourceExhaustedError("disk full"));
  EXPECT_FALSE(CommitAndWait(store, WriteBatch{}).ok());
  EXPECT_EQ(store.Recover().code(), absl::StatusCode::kResourceExhausted);
  disk->ClearFaults();
  EXPECT_TRUE(store.Recover().ok());
  EXPECT_TRUE(CommitAndWait(store, WriteBatch{}).ok());
}

}  // namespace
}  // namespace yardgate::gate
