#include "gate/lane/simulated_lane.h"

#include "gtest/gtest.h"
#include "common/clock.h"

namespace yardgate::gate::lane {
namespace {

TEST(SimulatedLaneTest, ReadsWhatWasScriptedStampedWithTheClock) {
  common::ManualClock clock;
  SimulatedLane lane(&clock);
  lane.SetInput(&LaneInputs::safety_loop, true);
  absl::StatusOr<LaneInputs> in = lane.ReadInputs();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->safety_loop);
  EXPECT_FALSE(in->arming_loop);
  EXPECT_EQ(in->read_time, clock.Now());
  EXPECT_TRUE(in->Presence());
}

TEST(SimulatedLaneTest, UnreachableFailsEveryCallWithUnavailable) {
  SimulatedLane lane;
  lane.SetReachable(false);
  EXPECT_TRUE(absl::IsUnavailable(lane.ReadInputs().status()));
  EXPECT_TRUE(absl::IsUnavailable(lane.PulseOpen()));
  EXPECT_TRUE(absl::IsUnavailable(lane.PulseClose()));
  EXPECT_TRUE(absl::IsUnavailable(lane.SetLights(Light::kGreen)));
  EXPECT_TRUE(absl::IsUnavailable(lane.WriteHeartbeat(1)));
  EXPECT_EQ(lane.open_pulses(), 0);
  EXPECT_EQ(lane.close_pulses(), 0);
  EXPECT_EQ(lane.lights(), Light::kOff);
}

TEST(SimulatedLaneTest, UnresponsiveFailsWithDeadlineExceeded) {
  SimulatedLane lane;
  lane.SetUnresponsive(true);
  EXPECT_TRUE(absl::IsDeadlineExceeded(lane.ReadInputs().status()));
  EXPECT_TRUE(absl::IsDeadlineExceeded(lane.PulseClose()));
}

TEST(SimulatedLaneTest, FrozenKeepsTheOldSnapshotAndItsTime) {
  common::ManualClock clock;
  SimulatedLane lane(&clock);
  lane.SetInput(&LaneInputs::safety_loop, true);
  const absl::Time frozen_at = clock.Now();
  lane.SetFrozen(true);
  clock.Advance(absl::Seconds(2));
  lane.SetInput(&LaneInputs::safety_loop, false);
  absl::StatusOr<LaneInputs> in = lane.ReadInputs();
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(in->safety_loop);
  EXPECT_EQ(in->read_time, frozen_at);
  lane.SetFrozen(false);
  in = lane.ReadInputs();
  ASSERT_TRUE(in.ok());
  EXPECT_FALSE(in->safety_loop);
  EXPECT_EQ(in->read_time, clock.Now());
}

TEST(SimulatedLaneTest, RecordsCommandsInOrder) {
  SimulatedLane lane;
  ASSERT_TRUE(lane.SetLights(Light::kGreen).ok());
  ASSERT_TRUE(lane.PulseOpen().ok());
  ASSERT_TRUE(lane.PulseClose().ok());
  ASSERT_TRUE(lane.PulseFaultReset().ok());
  ASSERT_TRUE(lane.WriteHeartbeat(7).ok());
  EXPECT_EQ(lane.commands(),
            (std::vector<std::string>{"lights green", "open", "close", "fault_reset"}));
  EXPECT_EQ(lane.heartbeat(), 7);
  EXPECT_EQ(lane.lights(), Light::kGreen);
}

}  // namespace
}  // namespace yardgate::gate::lane
