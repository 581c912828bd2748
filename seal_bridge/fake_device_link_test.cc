#include "seal_bridge/fake_device_link.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace yardgate::seal {
namespace {

struct Result {
  int calls = 0;
  UnlockOutcome outcome = UnlockOutcome::kFailed;
  std::string detail;
};

UnlockCallback Capture(Result* r) {
  return [r](UnlockOutcome o, const std::string& d) {
    ++r->calls;
    r->outcome = o;
    r->detail = d;
  };
}

TEST(FakeDeviceLinkTest, AnswersLikeTheGateway) {
  FakeDeviceLink link({"jointech"});
  EXPECT_EQ(link.AddKnownTerminal({"13800000001", "other", ""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(link.AddKnownTerminal({"13x", "jointech", ""}).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(link.AddKnownTerminal({"013800000001", "jointech", ""}).ok());
  EXPECT_EQ(link.known("13800000001")->lock_family, "jointech");

  Result unknown, offline, first, second;
  link.SendUnlock("13999999999", absl::Seconds(5), Capture(&unknown));
  EXPECT_EQ(unknown.outcome, UnlockOutcome::kFailed);
  link.SendUnlock("13800000001", absl::Seconds(5), Capture(&offline));
  EXPECT_EQ(offline.outcome, UnlockOutcome::kDeviceOffline);
  link.SetOnline("13800000001", true);
  EXPECT_TRUE(link.IsOnline("013800000001"));
  link.SendUnlock("13800000001", absl::Seconds(5), Capture(&first));
  link.SendUnlock("13800000001", absl::Seconds(5), Capture(&second));
  EXPECT_EQ(first.calls, 0);
  EXPECT_EQ(second.outcome, UnlockOutcome::kFailed);
  ASSERT_EQ(link.sent().size(), 1u);
  EXPECT_EQ(link.sent()[0].lock_family, "jointech");
  EXPECT_TRUE(link.Answer("13800000001", UnlockOutcome::kAcknowledged, "confirmed"));
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(first.outcome, UnlockOutcome::kAcknowledged);
  EXPECT_FALSE(link.Answer("13800000001", UnlockOutcome::kAcknowledged, "again"));
  link.RemoveKnownTerminal("13800000001");
  EXPECT_FALSE(link.IsOnline("13800000001"));
}

}  // namespace
}  // namespace yardgate::seal
