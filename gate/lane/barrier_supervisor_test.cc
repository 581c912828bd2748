// Interlock rules of BarrierSupervisor, one test per rule, on SimulatedLane with a
// common::ManualClock and PollOnce(): no thread, no sleeps.

#include "gate/lane/barrier_supervisor.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gate/lane/simulated_lane.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/clock.h"

namespace yardgate::gate::lane {
namespace {

using ::testing::HasSubstr;

// Collects events; safe to use from the supervisor thread.
class EventLog {
 public:
  LaneEventCallback Callback() {
    return [this](const LaneEvent& e) {
      absl::MutexLock lock(&mu_);
      events_.push_back(e);
    };
  }
  std::vector<LaneEvent> Take() {
    absl::MutexLock lock(&mu_);
    std::vector<LaneEvent> out;
    out.swap(events_);
    return out;
  }
  static int Count(const std::vector<LaneEvent>& events, LaneEventKind kind,
                   LaneFault fault = LaneFault::kNone) {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const LaneEvent& e) {
      return e.kind == kind && (fault == LaneFault::kNone || e.fault == fault);
    }));
  }

 private:
  absl::Mutex mu_;
  std::vector<LaneEvent> events_ ABSL_GUARDED_BY(mu_);
};

class BarrierSupervisorTest : public ::testing::Test {
 protected:
  BarrierSupervisorTest() {
    auto sim = std::make_unique<SimulatedLane>(&clock_);
    sim_ = sim.get();
    BarrierSupervisorOptions options;
    options.lane_id = "IN-1";
    options.input_watchdog = absl::Milliseconds(500);
    options.clock = &clock_;
    supervisor_ = std::make_unique<BarrierSupervisor>(std::move(sim), options, events_.Callback());
  }

  // One poll 50 ms after the previous one, as the thread would do.
  void Poll() {
    clock_.Advance(absl::Milliseconds(50));
    supervisor_->PollOnce();
  }
  void Set(bool LaneInputs::*field, bool value) {
    sim_->SetInput(field, value);
    Poll();
  }
  // Opens for `visit` with a truck waiting on the arming loop.
  void OpenFor(const std::string& visit) {
    Set(&LaneInputs::arming_loop, true);
    ASSERT_TRUE(supervisor_->RequestOpen(visit).ok());
    Poll();
  }
  // The allowed truck drives through: off the arming loop, over safety and closing loops.
  void DriveThroughKeepingClosingLoop() {
    Set(&LaneInputs::safety_loop, true);
    Set(&LaneInputs::arming_loop, false);
    Set(&LaneInputs::closing_loop, true);
    Set(&LaneInputs::safety_loop, false);
  }

  common::ManualClock clock_;
  EventLog events_;
  SimulatedLane* sim_ = nullptr;
  std::unique_ptr<BarrierSupervisor> supervisor_;
};

TEST_F(BarrierSupervisorTest, RefusesToOpenBeforeAnyInputWasRead) {
  const absl::Status s = supervisor_->RequestOpen("V1");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("IN-1"));
  EXPECT_EQ(sim_->open_pulses(), 0);
  EXPECT_FALSE(supervisor_->Health().ready_to_open());
}

TEST_F(BarrierSupervisorTest, OpensWhenHealthyAndReportsOpened) {
  Poll();
  EXPECT_TRUE(supervisor_->CheckReadyToOpen().ok());
  ASSERT_TRUE(supervisor_->RequestOpen("V1").ok());
  EXPECT_EQ(sim_->open_pulses(), 1);
  Poll();
  const std::vector<LaneEvent> events = events_.Take();
  ASSERT_EQ(EventLog::Count(events, LaneEventKind::kOpened), 1);
  const LaneEvent& opened = *std::find_if(events.begin(), events.end(), [](const LaneEvent& e) {
    return e.kind == LaneEventKind::kOpened;
  });
  EXPECT_EQ(opened.visit_id, "V1");
  EXPECT_EQ(opened.lane_id, "IN-1");
  EXPECT_EQ(sim_->lights(), Light::kGreen);
  EXPECT_EQ(supervisor_->Health().active_visit, "V1");
}

TEST_F(BarrierSupervisorTest, RejectsAnEmptyVisitId) {
  Poll();
  EXPECT_TRUE(absl::IsInvalidArgument(supervisor_->RequestOpen("")));
  EXPECT_EQ(sim_->open_pulses(), 0);
}

TEST_F(BarrierSupervisorTest, PlcUnreachableRefusesOpenWithUnavailableAndRaisesFault) {
  Poll();
  sim_->SetReachable(false);
  Poll();
  const absl::Status ready = supervisor_->CheckReadyToOpen();
  EXPECT_TRUE(absl::IsUnavailable(ready)) << ready;
  EXPECT_THAT(ready.message(), HasSubstr("PLC_UNREACHABLE"));
  EXPECT_TRUE(absl::IsUnavailable(supervisor_->RequestOpen("V1")));
  EXPECT_EQ(sim_->open_pulses(), 0);
  EXPECT_EQ(supervisor_->Health().primary_fault(), LaneFault::kPlcUnreachable);
  EXPECT_EQ(EventLog::Count(events_.Take(), LaneEventKind::kFault, LaneFault::kPlcUnreachable), 1);
  // Retried every poll; cleared when the PLC answers again.
  sim_->SetReachable(true);
  Poll();
  EXPECT_TRUE(supervisor_->CheckReadyToOpen().ok());
  EXPECT_EQ(
      EventLog::Count(events_.Take(), LaneEventKind::kFaultCleared, LaneFault::kPlcUnreachable), 1);
}

TEST_F(BarrierSupervisorTest, FrozenInputsGoStaleAfterTheWatchdog) {
  Poll();
  sim_->SetFrozen(true);
  Poll();  // 50 ms: still fresh
  EXPECT_TRUE(supervisor_->CheckReadyToOpen().ok());
  for (int i = 0; i < 10; ++i) Poll();  // 550 ms
  const LaneHealth health = supervisor_->Health();
  EXPECT_FALSE(health.inputs_fresh);
  EXPECT_TRUE(health.plc_reachable);
  EXPECT_EQ(health.primary_fault(), LaneFault::kInputsStale);
  const absl::Status s = supervisor_->RequestOpen("V1");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("INPUTS_STALE"));
  EXPECT_EQ(sim_->open_pulses(), 0);
  EXPECT_EQ(EventLog::Count(events_.Take(), LaneEventKind::kFault, LaneFault::kInputsStale), 1);
  EXPECT_EQ(sim_->lights(), Light::kRed);
}

TEST_F(BarrierSupervisorTest, StalenessIsSeenWithoutAPoll) {
  Poll();
  clock_.Advance(absl::Milliseconds(600));  // the poll thread is stuck somewhere
  EXPECT_TRUE(absl::IsFailedPrecondition(supervisor_->CheckReadyToOpen()));
  EXPECT_FALSE(supervisor_->RequestOpen("V1").ok());
  EXPECT_EQ(sim_->open_pulses(), 0);
}

TEST_F(BarrierSupervisorTest, RefusesToOpenOnLoopFaultEStopOrManualKey) {
  for (bool LaneInputs::*field : {&LaneInputs::loop_fault, &LaneInputs::manual_key}) {
    Set(field, true);
    EXPECT_TRUE(absl::IsFailedPrecondition(supervisor_->RequestOpen("V1")));
    Set(field, false);
    EXPECT_TRUE(supervisor_->CheckReadyToOpen().ok());
  }
  Set(&LaneInputs::estop, true);
  EXPECT_TRUE(absl::IsFailedPrecondition(supervisor_->RequestOpen("V1")));
  EXPECT_EQ(sim_->open_pulses(), 0);
  const std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFault, LaneFault::kLoopFault), 1);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFault, LaneFault::kManualMode), 1);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFault, LaneFault::kEStop), 1);
}

TEST_F(BarrierSupervisorTest, ClosesOnTheClosingLoopTrailingEdge) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  EXPECT_EQ(sim_->close_pulses(), 0) << "vehicle still on the closing loop";
  Set(&LaneInputs::closing_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
  const std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kVehiclePassed), 1);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kClosed), 1);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kTailgating), 0);
  for (const LaneEvent& e : events) {
    if (e.kind == LaneEventKind::kClosed || e.kind == LaneEventKind::kVehiclePassed) {
      EXPECT_EQ(e.visit_id, "V1");
    }
  }
  EXPECT_EQ(supervisor_->Health().active_visit, "");
  EXPECT_EQ(sim_->lights(), Light::kRed);
  // The close is sent once.
  for (int i = 0; i < 5; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 1);
}

TEST_F(BarrierSupervisorTest, NeverClosesWhileTheSafetyLoopReportsPresence) {
  OpenFor("V1");
  Set(&LaneInputs::safety_loop, true);
  Set(&LaneInputs::arming_loop, false);
  Set(&LaneInputs::closing_loop, true);
  Set(&LaneInputs::closing_loop, false);  // trailing edge while safety is still occupied
  for (int i = 0; i < 40; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  EXPECT_TRUE(supervisor_->Health().close_pending);
  EXPECT_EQ(sim_->lights(), Light::kAmber);
  Set(&LaneInputs::safety_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
  const std::vector<LaneEvent> events = events_.Take();
  auto closed = std::find_if(events.begin(), events.end(),
                             [](const LaneEvent& e) { return e.kind == LaneEventKind::kClosed; });
  ASSERT_NE(closed, events.end());
  EXPECT_THAT(closed->detail, HasSubstr("safety loop occupied"));
}

TEST_F(BarrierSupervisorTest, NeverClosesWhileThePhotoEyeIsBlocked) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  sim_->SetInput(&LaneInputs::photo_eye, true);
  Set(&LaneInputs::closing_loop, false);
  for (int i = 0; i < 10; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  Set(&LaneInputs::photo_eye, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
}

TEST_F(BarrierSupervisorTest, NeverClosesOnALoopFault) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  sim_->SetInput(&LaneInputs::loop_fault, true);
  Set(&LaneInputs::closing_loop, false);
  for (int i = 0; i < 10; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  Set(&LaneInputs::loop_fault, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
}

TEST_F(BarrierSupervisorTest, NeverClosesOnStaleInputs) {
  OpenFor("V1");
  sim_->SetFrozen(true);  // a PLC that stopped scanning: reads succeed, time stands still
  for (int i = 0; i < 12; ++i) Poll();
  ASSERT_FALSE(supervisor_->Health().inputs_fresh);
  ASSERT_TRUE(supervisor_->RequestClose("clerk").ok());
  for (int i = 0; i < 20; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  sim_->SetFrozen(false);
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 1);
  const std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFault, LaneFault::kInputsStale), 1);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFaultCleared, LaneFault::kInputsStale), 1);
}

TEST_F(BarrierSupervisorTest, NeverClosesOnARepeatedSnapshotEvenWithinTheWatchdog) {
  Poll();
  sim_->SetFrozen(true);  // reads succeed but return the same, still young, snapshot
  ASSERT_TRUE(supervisor_->RequestClose("clerk").ok());
  Poll();
  Poll();
  EXPECT_TRUE(supervisor_->Health().inputs_fresh);
  EXPECT_EQ(sim_->close_pulses(), 0);
  sim_->SetFrozen(false);
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 1);
}

TEST_F(BarrierSupervisorTest, NeverClosesOnAnUnresponsivePlc) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  sim_->SetUnresponsive(true);
  sim_->SetInput(&LaneInputs::closing_loop, false);  // nobody can see this
  for (int i = 0; i < 20; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  EXPECT_FALSE(supervisor_->Health().plc_reachable);
  EXPECT_FALSE(supervisor_->Health().inputs_fresh);
  sim_->SetUnresponsive(false);
  Poll();  // sees the trailing edge across the gap, safety clear
  EXPECT_EQ(sim_->close_pulses(), 1);
}

TEST_F(BarrierSupervisorTest, NeverClosesWhenThePlcIsUnreachableAndClosesWhenBack) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  Set(&LaneInputs::safety_loop, true);     // second look: something under the arm
  Set(&LaneInputs::closing_loop, false);   // vehicle passed, close deferred
  sim_->SetReachable(false);
  sim_->SetInput(&LaneInputs::safety_loop, false);
  for (int i = 0; i < 20; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFault, LaneFault::kPlcUnreachable), 1);
  sim_->SetReachable(true);
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 1);
  events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFaultCleared, LaneFault::kPlcUnreachable), 1);
}

TEST_F(BarrierSupervisorTest, CloseFailureOnLinkLossIsRetriedLater) {
  Poll();
  ASSERT_TRUE(supervisor_->RequestClose("clerk").ok());
  sim_->SetReachable(false);
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  EXPECT_TRUE(supervisor_->Health().close_pending);
  sim_->SetReachable(true);
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 1);
  EXPECT_FALSE(supervisor_->Health().close_pending);
}

TEST_F(BarrierSupervisorTest, EStopForcesRedLatchesAndBlocksCommands) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  Set(&LaneInputs::estop, true);
  EXPECT_EQ(sim_->lights(), Light::kRed);
  Set(&LaneInputs::closing_loop, false);  // the vehicle passes during the E-stop
  for (int i = 0; i < 10; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  EXPECT_FALSE(supervisor_->RequestOpen("V2").ok());
  EXPECT_EQ(sim_->open_pulses(), 1);
  // Releasing the button is not enough: the E-stop latches.
  Set(&LaneInputs::estop, false);
  EXPECT_TRUE(supervisor_->Health().estop_latched);
  EXPECT_EQ(supervisor_->Health().primary_fault(), LaneFault::kEStop);
  for (int i = 0; i < 5; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  ASSERT_TRUE(supervisor_->ResetFault().ok());
  EXPECT_EQ(sim_->fault_resets(), 1);
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 1);
  EXPECT_TRUE(supervisor_->CheckReadyToOpen().ok());
  const std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFault, LaneFault::kEStop), 1);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kFaultCleared, LaneFault::kEStop), 1);
}

TEST_F(BarrierSupervisorTest, FaultResetRefusedWhileEStopStillActive) {
  Set(&LaneInputs::estop, true);
  const absl::Status s = supervisor_->ResetFault();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(supervisor_->Health().estop_latched);
}

TEST_F(BarrierSupervisorTest, SecondVehicleOnTheArmingLoopIsTailgating) {
  OpenFor("V1");
  Set(&LaneInputs::safety_loop, true);
  Set(&LaneInputs::arming_loop, false);
  Set(&LaneInputs::arming_loop, true);  // a second truck follows closely
  std::vector<LaneEvent> events = events_.Take();
  ASSERT_EQ(EventLog::Count(events, LaneEventKind::kTailgating), 1);
  // The first truck passes: its ALLOW is used up; the follower keeps the arm open.
  Set(&LaneInputs::closing_loop, true);
  Set(&LaneInputs::closing_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 0) << "safety loop still occupied by the follower";
  // The follower drives through without an ALLOW: reported once already. The deferred
  // close goes out as soon as it leaves the safety loop, and again on its trailing edge
  // (the PLC may have reversed the first one; a second pulse on a closed arm is harmless).
  Set(&LaneInputs::arming_loop, false);
  Set(&LaneInputs::closing_loop, true);
  Set(&LaneInputs::safety_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
  Set(&LaneInputs::closing_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 2);
  events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kTailgating), 0);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kVehiclePassed), 1);
}

TEST_F(BarrierSupervisorTest, VehiclePassingWithoutAllowIsTailgatingAndCloses) {
  Poll();
  Set(&LaneInputs::closing_loop, true);
  Set(&LaneInputs::closing_loop, false);
  const std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kTailgating), 1);
  EXPECT_EQ(sim_->close_pulses(), 1);
}

TEST_F(BarrierSupervisorTest, OneAllowIsOneVehicleAndAllowsQueue) {
  OpenFor("V1");
  // Repeating V1 is harmless and sends nothing.
  EXPECT_TRUE(supervisor_->RequestOpen("V1").ok());
  EXPECT_EQ(sim_->open_pulses(), 1);
  // V2 is decided while V1 is still in the lane: it queues, the barrier stays open.
  ASSERT_TRUE(supervisor_->RequestOpen("V2").ok());
  EXPECT_EQ(sim_->open_pulses(), 2);
  EXPECT_EQ(supervisor_->Health().pending_allows, (std::vector<std::string>{"V1", "V2"}));
  // No room for a third.
  const absl::Status full = supervisor_->RequestOpen("V3");
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_THAT(full.message(), HasSubstr("V1, V2"));
  EXPECT_EQ(sim_->open_pulses(), 2);
  // V1 passes: its ALLOW is used up, V2's keeps the barrier open.
  DriveThroughKeepingClosingLoop();
  Set(&LaneInputs::closing_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 0);
  EXPECT_EQ(supervisor_->Health().active_visit, "V2");
  EXPECT_EQ(sim_->lights(), Light::kGreen);
  // V2 passes: nothing left, the barrier closes.
  Set(&LaneInputs::arming_loop, true);
  DriveThroughKeepingClosingLoop();
  Set(&LaneInputs::closing_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
  EXPECT_EQ(supervisor_->Health().active_visit, "");
  const std::vector<LaneEvent> events = events_.Take();
  std::vector<std::string> passed;
  for (const LaneEvent& e : events) {
    if (e.kind == LaneEventKind::kVehiclePassed) passed.push_back(e.visit_id);
  }
  EXPECT_EQ(passed, (std::vector<std::string>{"V1", "V2"}));
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kTailgating), 0);
}

// Rule 1 of the gate: a kiosk's report and the closing loop's edge are two reports of one
// passage. A lane that only ever hears the kiosk (no closing loop) keeps opening.
TEST_F(BarrierSupervisorTest, AKioskReportedPassageFreesTheAllowAndClosesOnALaneWithoutLoops) {
  Poll();
  for (int i = 0; i < 5; ++i) {
    const std::string visit = "V" + std::to_string(i);
    ASSERT_TRUE(supervisor_->RequestOpen(visit).ok()) << i;
    ASSERT_TRUE(supervisor_->ReleaseAllow(visit).ok());
    Poll();
    EXPECT_EQ(sim_->close_pulses(), i + 1);
  }
  EXPECT_EQ(EventLog::Count(events_.Take(), LaneEventKind::kTailgating), 0);
}

TEST_F(BarrierSupervisorTest, TheClosingLoopEdgeAfterAKioskReportIsThatTruckNotATailgater) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  ASSERT_TRUE(supervisor_->ReleaseAllow("V1").ok());  // the kiosk is first
  Set(&LaneInputs::closing_loop, false);              // then the loop sees it leave
  EXPECT_EQ(sim_->close_pulses(), 1);
  const std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kTailgating), 0);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kVehiclePassed), 0);  // the kiosk reported it
  // The next truck opens the barrier afresh and is not held behind an old ALLOW.
  OpenFor("V2");
  EXPECT_EQ(supervisor_->Health().pending_allows, (std::vector<std::string>{"V2"}));
}

TEST_F(BarrierSupervisorTest, AKioskReportAfterTheLoopIsARepeat) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  Set(&LaneInputs::closing_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
  ASSERT_TRUE(supervisor_->ReleaseAllow("V1").ok());
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 1);
  EXPECT_TRUE(supervisor_->Health().pending_allows.empty());
}

TEST_F(BarrierSupervisorTest, CancellingOneAllowKeepsTheOtherOpen) {
  OpenFor("V1");
  ASSERT_TRUE(supervisor_->RequestOpen("V2").ok());
  ASSERT_TRUE(supervisor_->CancelAllow("V1", "turned away").ok());
  Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  EXPECT_EQ(supervisor_->Health().pending_allows, (std::vector<std::string>{"V2"}));
  ASSERT_TRUE(supervisor_->CancelAllow("V2", "turned away").ok());
  Set(&LaneInputs::arming_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
}

TEST_F(BarrierSupervisorTest, AnAllowForAnAnnouncedTailgaterMakesItLegitimate) {
  OpenFor("V1");
  Set(&LaneInputs::safety_loop, true);
  Set(&LaneInputs::arming_loop, false);
  Set(&LaneInputs::arming_loop, true);  // truck 2 arrives before its decision
  EXPECT_EQ(EventLog::Count(events_.Take(), LaneEventKind::kTailgating), 1);
  ASSERT_TRUE(supervisor_->RequestOpen("V2").ok());  // its decision comes
  Set(&LaneInputs::closing_loop, true);
  Set(&LaneInputs::closing_loop, false);  // V1 passed
  Set(&LaneInputs::arming_loop, false);
  Set(&LaneInputs::closing_loop, true);
  Set(&LaneInputs::safety_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 0) << "V2 still to pass";
  Set(&LaneInputs::closing_loop, false);  // V2 passed
  EXPECT_EQ(sim_->close_pulses(), 1);
  const std::vector<LaneEvent> events = events_.Take();
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kTailgating), 0);
  EXPECT_EQ(EventLog::Count(events, LaneEventKind::kVehiclePassed), 2);
}

TEST_F(BarrierSupervisorTest, ATruckArrivingAfterTheCloseIsNotTailgating) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  Set(&LaneInputs::closing_loop, false);
  ASSERT_EQ(sim_->close_pulses(), 1);
  Set(&LaneInputs::arming_loop, true);  // next truck, waits for its decision
  EXPECT_EQ(EventLog::Count(events_.Take(), LaneEventKind::kTailgating), 0);
}

TEST_F(BarrierSupervisorTest, OpenForTheNextVisitCancelsAPendingClose) {
  OpenFor("V1");
  DriveThroughKeepingClosingLoop();
  sim_->SetInput(&LaneInputs::arming_loop, true);  // next truck already waiting
  sim_->SetInput(&LaneInputs::photo_eye, true);    // and its nose breaks the beam
  Set(&LaneInputs::closing_loop, false);
  EXPECT_TRUE(supervisor_->Health().close_pending);
  ASSERT_TRUE(supervisor_->RequestOpen("V2").ok());
  Set(&LaneInputs::photo_eye, false);
  for (int i = 0; i < 5; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  EXPECT_EQ(supervisor_->Health().active_visit, "V2");
}

TEST_F(BarrierSupervisorTest, RequestCloseCancelsTheAllowAndClosesWhenClear) {
  OpenFor("V1");
  Set(&LaneInputs::safety_loop, true);
  ASSERT_TRUE(supervisor_->RequestClose("driver turned back").ok());
  for (int i = 0; i < 5; ++i) Poll();
  EXPECT_EQ(sim_->close_pulses(), 0);
  Set(&LaneInputs::safety_loop, false);
  EXPECT_EQ(sim_->close_pulses(), 1);
  const std::vector<LaneEvent> events = events_.Take();
  auto closed = std::find_if(events.begin(), events.end(),
                             [](const LaneEvent& e) { return e.kind == LaneEventKind::kClosed; });
  ASSERT_NE(closed, events.end());
  EXPECT_EQ(closed->visit_id, "V1");
  EXPECT_THAT(closed->detail, HasSubstr("driver turned back"));
}

TEST_F(BarrierSupervisorTest, WritesAnIncreasingHeartbeatEveryPoll) {
  for (int i = 0; i < 3; ++i) Poll();
  EXPECT_EQ(sim_->heartbeat_writes(), 3);
  EXPECT_EQ(sim_->heartbeat(), 3);
  sim_->SetReachable(false);
  Poll();
  sim_->SetReachable(true);
  Poll();
  EXPECT_EQ(sim_->heartbeat(), 4);
}

TEST_F(BarrierSupervisorTest, LightsAreReassertedAfterReconnect) {
  Poll();
  EXPECT_EQ(sim_->lights(), Light::kRed);
  sim_->SetReachable(false);
  Poll();
  sim_->SetReachable(true);
  Poll();
  const std::vector<std::string> commands = sim_->commands();
  EXPECT_EQ(std::count(commands.begin(), commands.end(), "lights red"), 2);
}

TEST(BarrierSupervisorThreadTest, PollsOnItsOwnThreadAndStopLeavesTheBarrier) {
  auto sim = std::make_unique<SimulatedLane>();
  SimulatedLane* lane = sim.get();
  EventLog events;
  absl::Mutex mu;
  std::thread::id callback_thread;
  BarrierSupervisorOptions options;
  options.lane_id = "IN-2";
  options.poll_interval = absl::Milliseconds(5);
  BarrierSupervisor supervisor(std::move(sim), options, [&](const LaneEvent& e) {
    absl::MutexLock lock(&mu);
    callback_thread = std::this_thread::get_id();
    events.Callback()(e);
  });
  supervisor.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!supervisor.CheckReadyToOpen().ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_TRUE(supervisor.RequestOpen("V1").ok());
  while (events.Count(events.Take(), LaneEventKind::kOpened) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_NE(callback_thread, std::this_thread::get_id());
  }
  supervisor.Stop();
  const std::vector<std::string> before = lane->commands();
  const int heartbeats = lane->heartbeat_writes();
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(lane->commands(), before) << "Stop() sends nothing";
  EXPECT_EQ(lane->heartbeat_writes(), heartbeats);
  EXPECT_EQ(lane->close_pulses(), 0);
  EXPECT_GT(heartbeats, 0);
}

}  // namespace
}  // namespace yardgate::gate::lane
