// Issue 4 end to end: an officer applies a seal over gRPC, its e-lock reports over real
// JT/T 808 TCP from the road, the truck arrives at the gate, the gate verifies the seal and the
// lock is unlocked, all on the one event log.
#include <thread>

#include "seal_bridge/elock_simulator.h"
#include "server/seals.h"
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {

// The simulated lock's terminal id (ElockSimulatorOptions::first_phone).
constexpr char kLockId[] = "13800000000";

class SealGateTest : public ServerFixture {
 protected:
  void SetUp() override {
    config().jt808_listen = "127.0.0.1:0";
    config().seals.yard_areas.push_back({"yard", 22.60, 114.00, 500});
    StartServer();
  }

  std::unique_ptr<seal::ElockSimulator> StartLock(bool answer_unlock = true) {
    seal::ElockSimulatorOptions o;
    o.server = "127.0.0.1:" + std::to_string(server()->seals().jt808_port());
    o.devices = 1;
    o.report_interval = absl::Milliseconds(100);
    o.ramp_up = absl::Milliseconds(1);
    o.answer_unlock = answer_unlock;
    o.start_latitude = 22.54;
    o.start_longitude = 113.95;
    o.step_degrees = 0;
    auto sim = std::make_unique<seal::ElockSimulator>(o);
    EXPECT_TRUE(sim->Start().ok());
    EXPECT_TRUE(Eventually([&] { return sim->stats().authenticated == 1; }));
    return sim;
  }

  grpc::Status Apply(const std::string& seal_id, v1::SealKind kind, const std::string& device, v1::Seal* out) {
    v1::ApplySealRequest req;
    req.set_idempotency_key("apply-" + seal_id);
    req.set_seal_id(seal_id);
    req.set_kind(kind);
    req.add_container_numbers("CSQU3054383");
    req.set_plate("粤B12345");
    req.set_device_id(device);
    req.set_officer_id("officer-1");
    req.set_place("Shekou inspection site");
    req.set_latitude(22.54);
    req.set_longitude(113.95);
    grpc::ClientContext ctx;
    AsOfficer(&ctx);
    return Seal()->ApplySeal(&ctx, req, out);
  }

};

TEST_F(SealGateTest, AppliedReportedOnTheRoadArrivesIsVerifiedAndUnlocked) {
  // The seal names the lock first: only known terminals are served.
  v1::Seal applied;
  ASSERT_TRUE(Apply("JT-0001", v1::SEAL_KIND_GPS_ELOCK, kLockId, &applied).ok());
  std::unique_ptr<seal::ElockSimulator> lock = StartLock();
  EXPECT_EQ(applied.state(), v1::SEAL_STATE_APPLIED);

  // On the road, well away from where it was applied.
  lock->SetPosition(0, 22.57, 113.98);
  ASSERT_TRUE(Eventually([&] { return GetSeal("JT-0001").state() == v1::SEAL_STATE_IN_TRANSIT; }));
  EXPECT_NEAR(GetSeal("JT-0001").last_latitude(), 22.57, 1e-6);

  BookUnderSeal("JT-0001");
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);
  const v1::Visit visit = Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_EQ(visit.decision(), v1::DECISION_OPEN) << visit.DebugString();

  ASSERT_TRUE(Eventually([&] { return GetSeal("JT-0001").state() == v1::SEAL_STATE_UNLOCKED; }));
  EXPECT_EQ(lock->stats().unlocks_received, 1u);

  // The whole story is on the subscription, in order.
  std::vector<v1::SealState> states;
  const auto events = ReadUntil(0, [&](const std::vector<v1::Event>& e) {
    return !e.empty() && e.back().has_seal_changed() && e.back().seal_changed().to() == v1::SEAL_STATE_UNLOCKED;
  });
  for (const v1::Event& e : events) {
    if (e.has_seal_changed() && !e.seal_changed().refused() && e.seal_changed().from() != e.seal_changed().to()) {
      states.push_back(e.seal_changed().to());
    }
  }
  EXPECT_EQ(states, (std::vector<v1::SealState>{v1::SEAL_STATE_APPLIED, v1::SEAL_STATE_IN_TRANSIT,
                                                 v1::SEAL_STATE_ARRIVED, v1::SEAL_STATE_VERIFIED,
                                                 v1::SEAL_STATE_UNLOCKED}));
}

TEST_F(SealGateTest, ArrivalByYardAreaThenGate) {
  // The seal names the lock first: only known terminals are served.
  v1::Seal applied;
  ASSERT_TRUE(Apply("JT-0002", v1::SEAL_KIND_GPS_ELOCK, kLockId, &applied).ok());
  std::unique_ptr<seal::ElockSimulator> lock = StartLock();
  lock->SetPosition(0, 22.57, 113.98);
  ASSERT_TRUE(Eventually([&] { return GetSeal("JT-0002").state() == v1::SEAL_STATE_IN_TRANSIT; }));
  lock->SetPosition(0, 22.6001, 114.0001);  // inside the yard's area
  ASSERT_TRUE(Eventually([&] { return GetSeal("JT-0002").state() == v1::SEAL_STATE_ARRIVED; }));
}

TEST_F(SealGateTest, SealAlarmOnTheRoadSendsTheTruckToTroubleAndNothingIsUnlocked) {
  // The seal names the lock first: only known terminals are served.
  v1::Seal applied;
  ASSERT_TRUE(Apply("JT-0003", v1::SEAL_KIND_GPS_ELOCK, kLockId, &applied).ok());
  std::unique_ptr<seal::ElockSimulator> lock = StartLock();
  lock->InjectAlarms(0, /*rope_cut=*/true, /*cover_open=*/false, /*battery_percent=*/80);
  ASSERT_TRUE(Eventually([&] { return GetSeal("JT-0003").state() == v1::SEAL_STATE_ALARM; }));
  EXPECT_EQ(GetSeal("JT-0003").open_alarms(0), "rope_cut");

  BookUnderSeal("JT-0003");
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);
  const v1::Visit visit = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(visit.decision(), v1::DECISION_TROUBLE);
  ASSERT_EQ(visit.reasons_size(), 1) << visit.DebugString();
  EXPECT_EQ(visit.reasons(0).code(), v1::REASON_CODE_SEAL_ALARM);
  EXPECT_EQ(visit.reasons(0).subject(), "JT-0003");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(lock->stats().unlocks_received, 0u);
}

TEST_F(SealGateTest, OfficerUnlockIsOneShotAndOnlyForAuthorisedOfficers) {
  // The seal names the lock first: only known terminals are served.
  v1::Seal applied;
  ASSERT_TRUE(Apply("JT-0004", v1::SEAL_KIND_GPS_ELOCK, kLockId, &applied).ok());
  std::unique_ptr<seal::ElockSimulator> lock = StartLock();

  v1::RequestUnlockRequest req;
  req.set_idempotency_key(NextKey());
  req.set_seal_id("JT-0004");
  req.set_officer_id("someone-else");
  req.set_reason("inspection");
  {
    grpc::ClientContext ctx;
    v1::RequestUnlockResponse resp;
    AsOfficer(&ctx);
    EXPECT_EQ(Seal()->RequestUnlock(&ctx, req, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  req.set_officer_id("officer-1");
  req.set_idempotency_key("unlock-1");
  v1::RequestUnlockResponse first;
  {
    grpc::ClientContext ctx;
    AsOfficer(&ctx);
    ASSERT_TRUE(Seal()->RequestUnlock(&ctx, req, &first).ok());
  }
  EXPECT_EQ(first.result(), v1::UNLOCK_RESULT_ACKNOWLEDGED) << first.DebugString();
  EXPECT_EQ(first.seal().state(), v1::SEAL_STATE_UNLOCKED);
  // A retry with the same key returns the first answer and sends nothing.
  v1::RequestUnlockResponse again;
  {
    grpc::ClientContext ctx;
    AsOfficer(&ctx);
    ASSERT_TRUE(Seal()->RequestUnlock(&ctx, req, &again).ok());
  }
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(lock->stats().unlocks_received, 1u);
}

TEST_F(SealGateTest, UnlockIsNeverQueuedForAnOfflineLock) {
  v1::Seal applied;
  ASSERT_TRUE(Apply("JT-0005", v1::SEAL_KIND_GPS_ELOCK, "13999999999", &applied).ok());
  v1::RequestUnlockRequest req;
  req.set_idempotency_key(NextKey());
  req.set_seal_id("JT-0005");
  req.set_officer_id("officer-1");
  grpc::ClientContext ctx;
  v1::RequestUnlockResponse resp;
  AsOfficer(&ctx);
  ASSERT_TRUE(Seal()->RequestUnlock(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.result(), v1::UNLOCK_RESULT_DEVICE_OFFLINE);
  EXPECT_NE(resp.seal().state(), v1::SEAL_STATE_UNLOCKED);
  // The lock connecting later receives nothing.
  seal::ElockSimulatorOptions o;
  o.server = "127.0.0.1:" + std::to_string(server()->seals().jt808_port());
  o.first_phone = 13999999999;
  o.report_interval = absl::Milliseconds(100);
  seal::ElockSimulator late(o);
  ASSERT_TRUE(late.Start().ok());
  ASSERT_TRUE(Eventually([&] { return late.stats().reports_acked >= 3; }));
  EXPECT_EQ(late.stats().unlocks_received, 0u);
}

TEST_F(SealGateTest, ASenselessTransitionIsRefusedAndLogged) {
  v1::Seal applied;
  ASSERT_TRUE(Apply("RF-0001", v1::SEAL_KIND_RFID_ESEAL, "", &applied).ok());
  v1::ReportSealEventRequest req;
  req.set_idempotency_key(NextKey());
  req.set_seal_id("RF-0001");
  req.set_kind(v1::SEAL_EVENT_KIND_VERIFIED);  // not arrived yet
  req.set_officer_id("officer-1");
  grpc::ClientContext ctx;
  v1::Seal out;
  AsOfficer(&ctx);
  const grpc::Status s = Seal()->ReportSealEvent(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_FALSE(s.error_message().empty());
  const auto refused = ReadEvents(0, 1, [](const v1::Event& e) { return e.has_seal_changed() && e.seal_changed().refused(); });
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].seal_changed().seal_id(), "RF-0001");
  EXPECT_EQ(refused[0].seal_changed().source(), "officer-1");
  EXPECT_EQ(refused[0].seal_changed().to(), v1::SEAL_STATE_VERIFIED);
}

// Issue 11: a terminal nobody made known gets no auth code, and the attempt is raised.
TEST_F(SealGateTest, AnUnknownTerminalCannotRegisterAndIsRaised) {
  seal::ElockSimulatorOptions o;
  o.server = "127.0.0.1:" + std::to_string(server()->seals().jt808_port());
  o.first_phone = 13700000000;
  seal::ElockSimulator stranger(o);
  ASSERT_TRUE(stranger.Start().ok());
  const auto raised = ReadEvents(0, 1, [](const v1::Event& e) { return e.has_security_alarm(); });
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].security_alarm().kind(), "UNKNOWN_TERMINAL");
  EXPECT_EQ(raised[0].security_alarm().device_id(), "13700000000");
  EXPECT_EQ(stranger.stats().authenticated, 0u);
}

// An admin makes a terminal known without a seal: its reports are kept, and raised as unbound.
TEST_F(SealGateTest, AnAdminRegisteredLockWithoutASealReportsAndIsRaisedAsUnbound) {
  v1::RegisterTerminalRequest reg;
  reg.set_idempotency_key(NextKey());
  reg.set_device_id(kLockId);
  reg.set_operator_id("admin-1");
  grpc::ClientContext ctx;
  AsAdmin(&ctx);
  v1::Terminal terminal;
  ASSERT_TRUE(Seal()->RegisterTerminal(&ctx, reg, &terminal).ok());
  EXPECT_EQ(terminal.lock_family(), "test-locks");
  EXPECT_FALSE(terminal.has_auth_code());
  std::unique_ptr<seal::ElockSimulator> lock = StartLock();
  const auto raised = ReadEvents(0, 1, [](const v1::Event& e) { return e.has_device_report(); });
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].device_report().device_id(), lock->DeviceId(0));
  EXPECT_TRUE(raised[0].device_report().seal_id().empty());
  // Only an admin may register: a clerk's token is refused.
  grpc::ClientContext clerk_ctx;
  AsClerk(&clerk_ctx);
  reg.set_idempotency_key(NextKey());
  reg.set_operator_id("clerk-7");
  EXPECT_FALSE(Seal()->RegisterTerminal(&clerk_ctx, reg, &terminal).ok());
}

// The auth code is stored before the lock hears it: after a restart the server still holds it,
// and the lock is served again.
TEST_F(SealGateTest, TheAuthCodeIsStoredAndTheLockIsServedAfterARestart) {
  v1::Seal applied;
  ASSERT_TRUE(Apply("JT-0009", v1::SEAL_KIND_GPS_ELOCK, kLockId, &applied).ok());
  std::unique_ptr<seal::ElockSimulator> lock = StartLock();
  lock->Stop();
  StopServer();
  StartServer();
  v1::RegisterTerminalRequest reg;
  reg.set_idempotency_key(NextKey());
  reg.set_device_id(kLockId);
  reg.set_operator_id("admin-1");
  grpc::ClientContext ctx;
  AsAdmin(&ctx);
  v1::Terminal terminal;
  ASSERT_TRUE(Seal()->RegisterTerminal(&ctx, reg, &terminal).ok());
  EXPECT_TRUE(terminal.has_auth_code());
  EXPECT_EQ(terminal.known_by(), "seal JT-0009");
  std::unique_ptr<seal::ElockSimulator> again = StartLock();
  EXPECT_EQ(again->stats().authenticated, 1u);
}

TEST_F(SealGateTest, BadSealRequestsSayWhatIsWrong) {
  v1::Seal out;
  v1::ApplySealRequest req;
  req.set_idempotency_key(NextKey());
  req.set_seal_id("X");
  req.set_kind(v1::SEAL_KIND_GPS_ELOCK);
  req.set_officer_id("officer-1");
  req.add_container_numbers("CSQU3054383");
  grpc::ClientContext ctx;
  AsOfficer(&ctx);
  grpc::Status s = Seal()->ApplySeal(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("device_id"), std::string::npos);
  req.set_device_id("13800000001");
  req.set_container_numbers(0, "CSQU3054384");
  grpc::ClientContext ctx2;
  AsOfficer(&ctx2);
  s = Seal()->ApplySeal(&ctx2, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("check digit"), std::string::npos);
  v1::GetSealRequest get;
  get.set_seal_id("nope");
  grpc::ClientContext ctx3;
  EXPECT_EQ(Seal()->GetSeal(&ctx3, get, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(SealGateTest, SealsSurviveARestart) {
  v1::Seal applied;
  ASSERT_TRUE(Apply("RF-0002", v1::SEAL_KIND_RFID_ESEAL, "", &applied).ok());
  StopServer();
  StartServer();
  const v1::Seal after = GetSeal("RF-0002");
  EXPECT_EQ(after.state(), v1::SEAL_STATE_APPLIED);
  EXPECT_EQ(after.applied_by(), "officer-1");
  EXPECT_EQ(after.container_numbers(0), "CSQU3054383");
}

}  // namespace
}  // namespace yardgate::testing
