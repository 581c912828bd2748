// ModbusLane and BarrierSupervisor against a real Modbus TCP server (ModbusTestServer,
// libmodbus's server side) on 127.0.0.1. Waits poll with deadlines; no fixed sleeps
// decide a result, except where a test shows that something does NOT happen.

#include "gate/lane/modbus_lane.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gate/lane/barrier_supervisor.h"
#include "gate/lane/modbus_test_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/clock.h"

namespace yardgate::gate::lane {
namespace {

using ::testing::HasSubstr;

// Polls `done` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(3)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// A port nothing listens on: start a server, note its port, stop it.
int DeadPort() {
  auto server = ModbusTestServer::Start();
  EXPECT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  (*server)->Stop();
  return port;
}

ModbusLaneOptions FastOptions(int port, int lane_index = 0) {
  ModbusLaneOptions options;
  options.port = port;
  options.map = ModbusRegisterMap::ForLane(lane_index);
  options.response_timeout = absl::Milliseconds(100);
  options.pulse_width = absl::Milliseconds(100);
  options.reconnect_backoff_initial = absl::Milliseconds(20);
  options.reconnect_backoff_max = absl::Milliseconds(100);
  return options;
}

std::unique_ptr<ModbusLane> MakeLane(ModbusLaneOptions options) {
  absl::StatusOr<std::unique_ptr<ModbusLane>> lane = ModbusLane::Create(std::move(options));
  EXPECT_TRUE(lane.ok()) << lane.status();
  return lane.ok() ? std::move(*lane) : nullptr;
}

// ---------------------------------------------------------------------------------
// The register map.

TEST(ModbusRegisterMapTest, ForLaneUsesBaseLaneTimes32) {
  EXPECT_EQ(ModbusRegisterMap::ForLane(0).base, 0);
  EXPECT_EQ(ModbusRegisterMap::ForLane(3).base, 96);
  EXPECT_TRUE(ModbusRegisterMap::ForLane(3).Validate().ok());
}

TEST(ModbusRegisterMapTest, ValidateNamesTheBadField) {
  ModbusRegisterMap map;
  map.close_coil = map.open_coil;
  EXPECT_THAT(map.Validate().message(), HasSubstr("close_coil"));
  map = ModbusRegisterMap{};
  map.safety_loop.offset = -1;
  EXPECT_THAT(map.Validate().message(), HasSubstr("safety_loop"));
  map = ModbusRegisterMap{};
  map.base = 65535;
  EXPECT_TRUE(absl::IsInvalidArgument(map.Validate()));
  map = ModbusRegisterMap{};
  map.horn_coil = -1;  // optional
  map.fault_reset_coil = -1;
  map.led_message_register = -1;
  map.pulse_width_register = -1;
  EXPECT_TRUE(map.Validate().ok());
}

TEST(ModbusLaneCreateTest, RejectsBadOptions) {
  ModbusLaneOptions options;
  options.port = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(ModbusLane::Create(options).status()));
  options = ModbusLaneOptions{};
  options.unit_id = 300;
  EXPECT_TRUE(absl::IsInvalidArgument(ModbusLane::Create(options).status()));
}

// ---------------------------------------------------------------------------------
// The driver alone, over real TCP.

class ModbusLaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ModbusTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    plc_ = std::move(*server);
  }
  std::unique_ptr<ModbusTestServer> plc_;
};

TEST_F(ModbusLaneTest, ReadsDiscreteInputsAtTheLaneBase) {
  ModbusLaneOptions options = FastOptions(plc_->port(), /*lane_index=*/2);
  options.map.closing_loop.active_low = true;  // normally-closed contact: 1 = clear
  std::unique_ptr<ModbusLane> lane = MakeLane(options);
  plc_->SetDiscreteInput(64 + 1, true);  // safety loop
  plc_->SetDiscreteInput(64 + 2, true);  // closing loop contact closed = no vehicle
  plc_->SetDiscreteInput(64 + 7, true);  // E-stop
  plc_->SetDiscreteInput(1, true);       // lane 0's safety loop: not ours
  absl::StatusOr<LaneInputs> in = lane->ReadInputs();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->safety_loop);
  EXPECT_FALSE(in->closing_loop);
  EXPECT_TRUE(in->estop);
  EXPECT_FALSE(in->arming_loop);
  EXPECT_FALSE(in->manual_key);
  plc_->SetDiscreteInput(64 + 2, false);
  in = lane->ReadInputs();
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(in->closing_loop);
  EXPECT_EQ(lane->connects(), 1);
}

TEST_F(ModbusLaneTest, PulsesTheOpenCoilAndReleasesItAfterThePulseWidth) {
  common::ManualClock clock;
  ModbusLaneOptions options = FastOptions(plc_->port(), 1);
  options.clock = &clock;
  std::unique_ptr<ModbusLane> lane = MakeLane(options);
  ASSERT_TRUE(lane->PulseOpen().ok());
  EXPECT_TRUE(plc_->Coil(32 + 0));
  EXPECT_FALSE(plc_->Coil(32 + 1));
  EXPECT_EQ(plc_->HoldingRegister(32 + 2), 100) << "pulse width written on connect";
  ASSERT_TRUE(lane->ReadInputs().ok());
  EXPECT_TRUE(plc_->Coil(32 + 0)) << "released too early";
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(lane->ReadInputs().ok());
  EXPECT_FALSE(plc_->Coil(32 + 0));
  EXPECT_EQ(plc_->CoilRisingEdges(32 + 0), 1);
  // A close pulse drops a pending open at once.
  ASSERT_TRUE(lane->PulseOpen().ok());
  ASSERT_TRUE(lane->PulseClose().ok());
  EXPECT_FALSE(plc_->Coil(32 + 0));
  EXPECT_TRUE(plc_->Coil(32 + 1));
}

TEST_F(ModbusLaneTest, LightsShowExactlyOneAspectAndHeartbeatLandsInItsRegister) {
  std::unique_ptr<ModbusLane> lane = MakeLane(FastOptions(plc_->port()));
  ASSERT_TRUE(lane->SetLights(Light::kGreen).ok());
  EXPECT_FALSE(plc_->Coil(2));
  EXPECT_FALSE(plc_->Coil(3));
  EXPECT_TRUE(plc_->Coil(4));
  ASSERT_TRUE(lane->SetLights(Light::kRed).ok());
  EXPECT_TRUE(plc_->Coil(2));
  EXPECT_FALSE(plc_->Coil(4));
  ASSERT_TRUE(lane->WriteHeartbeat(4242).ok());
  EXPECT_EQ(plc_->HoldingRegister(1), 4242);
  ASSERT_TRUE(lane->WriteLedMessage(17).ok());
  EXPECT_EQ(plc_->HoldingRegister(0), 17);
}

TEST_F(ModbusLaneTest, LightsOnNonAdjacentCoilsAlsoShowOneAspect) {
  ModbusLaneOptions options = FastOptions(plc_->port());
  options.map.red_coil = 10;
  options.map.amber_coil = 12;
  options.map.green_coil = 14;
  std::unique_ptr<ModbusLane> lane = MakeLane(options);
  ASSERT_TRUE(lane->SetLights(Light::kAmber).ok());
  EXPECT_FALSE(plc_->Coil(10));
  EXPECT_TRUE(plc_->Coil(12));
  EXPECT_FALSE(plc_->Coil(14));
}

TEST_F(ModbusLaneTest, AnAddressOutsideThePlcMapIsRefusedAndKeepsTheLink) {
  ModbusLaneOptions options = FastOptions(plc_->port());
  options.map.base = ModbusTestServer::kTableSize + 32;  // beyond the PLC's tables
  options.map.pulse_width_register = -1;
  std::unique_ptr<ModbusLane> lane = MakeLane(options);
  const absl::Status s = lane->ReadInputs().status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("refused"));
  EXPECT_TRUE(lane->connected());
}

TEST_F(ModbusLaneTest, APlcWithoutThePulseWidthRegisterStillWorks) {
  ModbusLaneOptions options = FastOptions(plc_->port());
  options.map.pulse_width_register = ModbusTestServer::kTableSize + 5;  // refused
  std::unique_ptr<ModbusLane> lane = MakeLane(options);
  EXPECT_TRUE(lane->ReadInputs().ok());
  EXPECT_TRUE(lane->PulseOpen().ok());
  EXPECT_TRUE(plc_->Coil(0));
}

TEST_F(ModbusLaneTest, NoServerIsUnavailableAndRetriedWithBackoff) {
  ModbusLaneOptions options = FastOptions(DeadPort());
  options.reconnect_backoff_initial = absl::Seconds(10);
  options.reconnect_backoff_max = absl::Seconds(10);
  std::unique_ptr<ModbusLane> lane = MakeLane(options);
  absl::Status s = lane->ReadInputs().status();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  s = lane->PulseOpen();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("next connect attempt"));
  EXPECT_FALSE(lane->connected());
}

TEST_F(ModbusLaneTest, ReconnectsWhenTheServerComesBack) {
  std::unique_ptr<ModbusLane> lane = MakeLane(FastOptions(plc_->port()));
  ASSERT_TRUE(lane->ReadInputs().ok());
  plc_->Stop();
  EXPECT_TRUE(absl::IsUnavailable(lane->ReadInputs().status()));
  ASSERT_TRUE(plc_->Restart().ok());
  EXPECT_TRUE(WaitFor([&] { return lane->ReadInputs().ok(); }));
  EXPECT_EQ(lane->connects(), 2);
}

TEST_F(ModbusLaneTest, AServerThatStopsAnsweringTimesOut) {
  std::unique_ptr<ModbusLane> lane = MakeLane(FastOptions(plc_->port()));
  ASSERT_TRUE(lane->ReadInputs().ok());
  plc_->SetAnswering(false);
  const absl::Status s = lane->ReadInputs().status();
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  plc_->SetAnswering(true);
  EXPECT_TRUE(WaitFor([&] { return lane->ReadInputs().ok(); }));
}

// ---------------------------------------------------------------------------------
// BarrierSupervisor driving ModbusLane over real TCP.

constexpr int kLane = 1;
constexpr int kBase = kLane * 32;
constexpr int kOpenCoil = kBase + 0;
constexpr int kCloseCoil = kBase + 1;
constexpr int kRedCoil = kBase + 2;
constexpr int kArming = kBase + 0;
constexpr int kSafety = kBase + 1;
constexpr int kClosing = kBase + 2;
constexpr int kHeartbeat = kBase + 1;

class SupervisedModbusLaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ModbusTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    plc_ = std::move(*server);
    std::unique_ptr<ModbusLane> lane = MakeLane(FastOptions(plc_->port(), kLane));
    ASSERT_NE(lane, nullptr);
    driver_ = lane.get();
    BarrierSupervisorOptions options;
    options.lane_id = "IN-2";
    options.poll_interval = absl::Milliseconds(20);
    options.input_watchdog = absl::Milliseconds(300);
    supervisor_ = std::make_unique<BarrierSupervisor>(std::move(lane), options,
                                                      [this](const LaneEvent& e) {
                                                        absl::MutexLock lock(&mu_);
                                                        events_.push_back(e);
                                                      });
    supervisor_->Start();
    ASSERT_TRUE(WaitFor([&] { return supervisor_->CheckReadyToOpen().ok(); }))
        << supervisor_->CheckReadyToOpen();
  }
  void TearDown() override {
    if (supervisor_) supervisor_->Stop();
  }

  bool HasEvent(LaneEventKind kind, LaneFault fault = LaneFault::kNone) {
    absl::MutexLock lock(&mu_);
    return std::any_of(events_.begin(), events_.end(), [&](const LaneEvent& e) {
      return e.kind == kind && (fault == LaneFault::kNone || e.fault == fault);
    });
  }
  bool HasFault(LaneFault fault) {
    const std::vector<LaneFault> faults = supervisor_->Health().faults;
    return std::find(faults.begin(), faults.end(), fault) != faults.end();
  }
  // Lets a few polls go by, for tests that show something does not happen.
  static void SeveralPolls() { absl::SleepFor(absl::Milliseconds(200)); }
  // Opens for V1 with a truck on the arming loop; waits for the open coil.
  void OpenForV1() {
    plc_->SetDiscreteInput(kArming, true);
    ASSERT_TRUE(WaitFor([&] { return supervisor_->Health().inputs.arming_loop; }));
    ASSERT_TRUE(supervisor_->RequestOpen("V1").ok());
    ASSERT_TRUE(WaitFor([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
  }

  std::unique_ptr<ModbusTestServer> plc_;
  ModbusLane* driver_ = nullptr;
  std::unique_ptr<BarrierSupervisor> supervisor_;
  absl::Mutex mu_;
  std::vector<LaneEvent> events_ ABSL_GUARDED_BY(mu_);
};

TEST_F(SupervisedModbusLaneTest, OpenCoilGoesOnAfterRequestOpenAndHeartbeatRuns) {
  EXPECT_FALSE(plc_->Coil(kOpenCoil));
  ASSERT_TRUE(supervisor_->RequestOpen("V1").ok());
  EXPECT_TRUE(plc_->Coil(kOpenCoil));
  EXPECT_TRUE(WaitFor([&] { return !plc_->Coil(kOpenCoil); })) << "pulse released";
  EXPECT_TRUE(WaitFor([&] { return HasEvent(LaneEventKind::kOpened); }));
  const uint16_t hb = plc_->HoldingRegister(kHeartbeat);
  EXPECT_TRUE(WaitFor([&] { return plc_->HoldingRegister(kHeartbeat) != hb; }));
  EXPECT_TRUE(WaitFor([&] { return plc_->Coil(kBase + 4); })) << "green light";
}

TEST_F(SupervisedModbusLaneTest, ClosesOnlyAfterTheClosingLoopTrailingEdgeWithSafetyClear) {
  OpenForV1();
  plc_->SetDiscreteInput(kSafety, true);
  plc_->SetDiscreteInput(kArming, false);
  plc_->SetDiscreteInput(kClosing, true);
  ASSERT_TRUE(WaitFor([&] { return supervisor_->Health().inputs.closing_loop; }));
  SeveralPolls();
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0) << "vehicle still on the closing loop";
  plc_->SetDiscreteInput(kClosing, false);  // trailing edge, safety still occupied
  ASSERT_TRUE(WaitFor([&] { return HasEvent(LaneEventKind::kVehiclePassed); }));
  SeveralPolls();
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0) << "closed onto the safety loop";
  plc_->SetDiscreteInput(kSafety, false);
  EXPECT_TRUE(WaitFor([&] { return plc_->CoilRisingEdges(kCloseCoil) == 1; }));
  EXPECT_TRUE(WaitFor([&] { return HasEvent(LaneEventKind::kClosed); }));
  EXPECT_TRUE(WaitFor([&] { return plc_->Coil(kRedCoil); }));
}

TEST_F(SupervisedModbusLaneTest, NeverClosesOnPresence) {
  plc_->SetDiscreteInput(kSafety, true);
  ASSERT_TRUE(WaitFor([&] { return supervisor_->Health().inputs.safety_loop; }));
  ASSERT_TRUE(supervisor_->RequestClose("test").ok());
  SeveralPolls();
  SeveralPolls();
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0);
  EXPECT_TRUE(supervisor_->Health().close_pending);
}

TEST_F(SupervisedModbusLaneTest, NeverClosesOnStaleInputsWhenThePlcStopsAnswering) {
  plc_->SetAnswering(false);
  ASSERT_TRUE(WaitFor([&] { return HasEvent(LaneEventKind::kFault, LaneFault::kInputsStale); }));
  EXPECT_TRUE(HasFault(LaneFault::kInputsStale));
  ASSERT_TRUE(supervisor_->RequestClose("test").ok());
  const absl::Status open = supervisor_->RequestOpen("V1");
  EXPECT_FALSE(open.ok());
  SeveralPolls();
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0);
  EXPECT_EQ(plc_->CoilRisingEdges(kOpenCoil), 0);
  // Answers again: fresh inputs, nothing under the arm, the pending close goes out.
  plc_->SetAnswering(true);
  EXPECT_TRUE(
      WaitFor([&] { return HasEvent(LaneEventKind::kFaultCleared, LaneFault::kInputsStale); }));
  EXPECT_TRUE(WaitFor([&] { return plc_->CoilRisingEdges(kCloseCoil) == 1; }));
}

TEST_F(SupervisedModbusLaneTest, PlcUnreachableRaisesAFaultKeepsCoilsOffAndClearsOnReconnect) {
  plc_->Stop();
  ASSERT_TRUE(
      WaitFor([&] { return HasEvent(LaneEventKind::kFault, LaneFault::kPlcUnreachable); }));
  const absl::Status ready = supervisor_->CheckReadyToOpen();
  EXPECT_TRUE(absl::IsUnavailable(ready)) << ready;
  EXPECT_EQ(supervisor_->Health().primary_fault(), LaneFault::kPlcUnreachable);
  const absl::Status open = supervisor_->RequestOpen("V1");
  EXPECT_TRUE(absl::IsUnavailable(open)) << open;
  EXPECT_THAT(open.message(), HasSubstr("PLC_UNREACHABLE"));
  ASSERT_TRUE(supervisor_->RequestClose("test").ok());
  SeveralPolls();
  ASSERT_TRUE(plc_->Restart().ok());
  EXPECT_TRUE(WaitFor(
      [&] { return HasEvent(LaneEventKind::kFaultCleared, LaneFault::kPlcUnreachable); }));
  EXPECT_TRUE(WaitFor([&] { return supervisor_->CheckReadyToOpen().ok(); }));
  EXPECT_GE(driver_->connects(), 2);
  EXPECT_EQ(plc_->CoilRisingEdges(kOpenCoil), 0) << "the open coil stayed off";
  // The close asked for during the outage goes out once the lane is back and clear.
  EXPECT_TRUE(WaitFor([&] { return plc_->CoilRisingEdges(kCloseCoil) == 1; }));
}

TEST_F(SupervisedModbusLaneTest, NeverClosesOnPresenceSeenJustBeforeTheLinkDropped) {
  OpenForV1();
  plc_->SetDiscreteInput(kSafety, true);
  plc_->SetDiscreteInput(kArming, false);
  plc_->SetDiscreteInput(kClosing, true);
  ASSERT_TRUE(WaitFor([&] { return supervisor_->Health().inputs.closing_loop; }));
  plc_->SetDiscreteInput(kClosing, false);
  ASSERT_TRUE(WaitFor([&] { return HasEvent(LaneEventKind::kVehiclePassed); }));
  plc_->Stop();
  plc_->SetDiscreteInput(kSafety, false);  // the PLC's memory changes, nobody can read it
  ASSERT_TRUE(
      WaitFor([&] { return HasEvent(LaneEventKind::kFault, LaneFault::kPlcUnreachable); }));
  SeveralPolls();
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0);
  ASSERT_TRUE(plc_->Restart().ok());
  EXPECT_TRUE(WaitFor([&] { return plc_->CoilRisingEdges(kCloseCoil) == 1; }));
}

}  // namespace
}  // namespace yardgate::gate::lane
