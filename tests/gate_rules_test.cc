// The gate's rules (issue 10) through the whole server, as an outside integrator meets them:
// real gRPC over loopback, a real SQLite file (or an in-memory store that refuses writes on
// purpose), a real Modbus TCP server standing in for a lane PLC. gate/gate_core_test.cc proves
// the same rules on the core alone.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cmath>

#include <thread>

#include "gate/lane/modbus_test_server.h"
#include "gate/memory_store.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/lanes.h"
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kOpenCoil = 0;
constexpr int kCloseCoil = 1;
constexpr int kClosingLoop = 2;
constexpr int kEstop = 7;

class GateRulesTest : public ServerFixture {
 protected:
  void SetUp() override {
    config().lanes.push_back(server::LaneConfig{"L3", gate::Direction::kIn, "simulator"});
    config().lanes.push_back(server::LaneConfig{"P1", gate::Direction::kIn, "simulator", 1});
  }

  // Lane L1 on a PLC (a Modbus TCP server on loopback).
  void WithPlc() {
    absl::StatusOr<std::unique_ptr<gate::lane::ModbusTestServer>> plc = gate::lane::ModbusTestServer::Start();
    ASSERT_TRUE(plc.ok()) << plc.status();
    plc_ = *std::move(plc);
    config().lanes[0].barrier = "modbus://127.0.0.1:" + std::to_string(plc_->port()) + "?unit=1&base=0";
  }

  grpc::Status Pass(const std::string& visit_id, v1::Visit* out = nullptr, const std::string& key = "") {
    v1::ReportPassageRequest req;
    req.set_idempotency_key(key.empty() ? NextKey() : key);
    req.set_visit_id(visit_id);
    grpc::ClientContext ctx;
    v1::ReportPassageResponse resp;
    const grpc::Status s = Gate()->ReportPassage(&ctx, req, &resp);
    if (out != nullptr) *out = resp.visit();
    return s;
  }

  grpc::Status Resolve(const std::string& visit_id, v1::ClerkAction action, v1::Visit* out = nullptr,
                       const std::vector<std::string>& corrected = {}) {
    v1::ResolveTroubleRequest req;
    req.set_idempotency_key(NextKey());
    req.set_visit_id(visit_id);
    req.set_clerk_id("clerk-7");
    req.set_action(action);
    for (const std::string& c : corrected) req.add_corrected_container_numbers(c);
    grpc::ClientContext ctx;
    AsClerk(&ctx);
    v1::Visit resp;
    const grpc::Status s = Terminal()->ResolveTrouble(&ctx, req, &resp);
    if (out != nullptr) *out = resp;
    return s;
  }

  grpc::Status Help(const std::string& visit_id) {
    v1::RequestAssistanceRequest req;
    req.set_idempotency_key(NextKey());
    req.set_lane_id("L1");
    req.set_visit_id(visit_id);
    grpc::ClientContext ctx;
    v1::RequestAssistanceResponse resp;
    return Gate()->RequestAssistance(&ctx, req, &resp);
  }

  v1::Visit GetVisit(const std::string& id) {
    v1::GetVisitRequest req;
    req.set_visit_id(id);
    grpc::ClientContext ctx;
    v1::Visit v;
    EXPECT_TRUE(Terminal()->GetVisit(&ctx, req, &v).ok());
    return v;
  }

  static std::vector<v1::ReasonCode> Codes(const v1::Visit& v) {
    std::vector<v1::ReasonCode> codes;
    for (const v1::Reason& r : v.reasons()) codes.push_back(r.code());
    return codes;
  }

  std::unique_ptr<gate::lane::ModbusTestServer> plc_;
};

// Rule 1, on a lane with no loops the server can see (the simulator): a kiosk reports each
// passage and the lane keeps opening (it stopped after two trucks).
TEST_F(GateRulesTest, Rule1_ASimulatedLaneOpensForEveryTruckItsKioskReports) {
  StartServer();
  for (int i = 0; i < 6; ++i) {
    const std::string plate = "粤B2" + std::to_string(1000 + i);
    Book("A" + std::to_string(i), plate, {});
    const v1::Visit v = Arrive("L1", plate, {});
    ASSERT_EQ(v.decision(), v1::DECISION_OPEN) << i << " " << v.DebugString();
    ASSERT_EQ(v.barrier_state(), v1::BARRIER_STATE_OPENED) << i;
    v1::Visit passed;
    ASSERT_TRUE(Pass(v.visit_id(), &passed).ok());
    EXPECT_TRUE(passed.passed());
  }
}

// Rule 1, on a PLC lane: the kiosk's report first, then the closing loop's edge: one passage, the
// barrier closes behind the truck, and the next truck's open is its own.
TEST_F(GateRulesTest, Rule1_OnAPlcLaneTheKioskAndTheClosingLoopReportOnePassage) {
  WithPlc();
  StartServer();
  Book("A1", "粤B12345", {});
  const v1::Visit first = Arrive("L1", "粤B12345", {});
  ASSERT_EQ(first.decision(), v1::DECISION_OPEN) << first.DebugString();
  ASSERT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
  plc_->SetDiscreteInput(kClosingLoop, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_TRUE(Pass(first.visit_id()).ok());  // the kiosk is first
  plc_->SetDiscreteInput(kClosingLoop, false);
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kCloseCoil) == 1; }));

  Book("A2", "粤B22222", {});
  const v1::Visit second = Arrive("L1", "粤B22222", {});
  ASSERT_EQ(second.decision(), v1::DECISION_OPEN);
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 2; }));
  // The loop first this time; the kiosk's report after it is a repeat, answered OK.
  plc_->SetDiscreteInput(kClosingLoop, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  plc_->SetDiscreteInput(kClosingLoop, false);
  EXPECT_TRUE(Eventually([&] { return GetVisit(second.visit_id()).passed(); }));
  v1::Visit repeat;
  ASSERT_TRUE(Pass(second.visit_id(), &repeat).ok());
  EXPECT_TRUE(repeat.passed());
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kCloseCoil) == 2; }));
  // No tailgating was raised for either truck, and the passages were logged once each.
  const std::vector<v1::Event> events = ReadUntil(0, [](const std::vector<v1::Event>& e) {
    int passed = 0;
    for (const v1::Event& x : e) passed += x.has_truck_passed();
    return passed == 2;
  });
  for (const v1::Event& e : events) {
    EXPECT_EQ(e.lane_fault().detail().find("TAILGATING"), std::string::npos) << e.DebugString();
  }
}

// Rule 2: a barrier that does not open (the lane is busy with two unused ALLOWs) is on the visit
// and in WatchLane, and the driver is not told to proceed.
TEST_F(GateRulesTest, Rule2_ABarrierThatDoesNotOpenIsPartOfTheVisit) {
  StartServer();
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(Deadline());
  v1::WatchLaneRequest watch;
  watch.set_lane_id("L1");
  auto gate = Gate();
  auto lane = gate->WatchLane(&watch_ctx, watch);
  for (int i = 0; i < 2; ++i) {
    Book("A" + std::to_string(i), "粤B3000" + std::to_string(i), {});
    ASSERT_EQ(Arrive("L1", "粤B3000" + std::to_string(i), {}).barrier_state(), v1::BARRIER_STATE_OPENED);
  }
  Book("A9", "粤B39999", {});
  const v1::Visit third = Arrive("L1", "粤B39999", {});
  EXPECT_EQ(third.barrier_state(), v1::BARRIER_STATE_OPEN_FAILED) << third.DebugString();
  EXPECT_EQ(third.decision(), v1::DECISION_TROUBLE);
  EXPECT_EQ(Codes(third), std::vector<v1::ReasonCode>{v1::REASON_CODE_LANE_FAULT});
  EXPECT_EQ(third.driver_message_en().find("proceed"), std::string::npos) << third.driver_message_en();
  EXPECT_NE(third.barrier_detail().find("busy"), std::string::npos) << third.barrier_detail();
  EXPECT_EQ(GetVisit(third.visit_id()).barrier_state(), v1::BARRIER_STATE_OPEN_FAILED);
  bool seen = false;
  v1::Event e;
  while (!seen && lane->Read(&e)) {
    seen = e.visit_id() == third.visit_id() && e.has_barrier_changed() && !e.barrier_changed().ok();
  }
  EXPECT_TRUE(seen);
  watch_ctx.TryCancel();
  lane->Finish();
}

// Rule 3: a terminal system re-sending yesterday's pre-advice with a new key does not reopen it.
TEST_F(GateRulesTest, Rule3_AUsedAppointmentReSentUnchangedStaysUsed) {
  StartServer();
  const v1::Appointment booked = Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_EQ(v.decision(), v1::DECISION_OPEN);
  ASSERT_TRUE(Pass(v.visit_id()).ok());
  const v1::Appointment resent = Book("A1", "粤B12345", {"CSQU3054383"});  // a fresh key
  EXPECT_TRUE(resent.used());
  const v1::Visit again = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(again.decision(), v1::DECISION_TROUBLE);
  EXPECT_EQ(Codes(again), std::vector<v1::ReasonCode>{v1::REASON_CODE_APPOINTMENT_IN_USE});
  // A clerk pressing approve cannot reopen it either.
  EXPECT_EQ(Resolve(again.visit_id(), v1::CLERK_ACTION_APPROVE).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Only a new booking opens a new visit.
  Book("A2", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(Arrive("L1", "粤B12345", {"CSQU3054383"}).decision(), v1::DECISION_OPEN);
}

// Rule 4: a clerk pressing approve on everything on the desk opens nothing that customs, a seal
// or a lane fault holds.
TEST_F(GateRulesTest, Rule4_ApprovingEverythingNeverOverridesCustomsSealsOrALaneFault) {
  WithPlc();
  StartServer();
  Book("A1", "粤B11111", {"CSQU3054383"});
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_HELD);
  const v1::Visit held = Arrive("L1", "粤B11111", {"CSQU3054383"});
  ASSERT_EQ(Codes(held), std::vector<v1::ReasonCode>{v1::REASON_CODE_CUSTOMS_HOLD});

  Book("A2", "粤B22222", {"TGHU1643396"}, v1::DIRECTION_IN, v1::TRANSACTION_TYPE_RECEIVE_IMPORT);
  v1::ApplySealRequest apply;
  apply.set_idempotency_key(NextKey());
  apply.set_seal_id("RF-9");
  apply.set_kind(v1::SEAL_KIND_RFID_ESEAL);
  apply.add_container_numbers("TGHU1643396");
  apply.set_plate("粤B22222");
  apply.set_officer_id("officer-1");
  grpc::ClientContext apply_ctx;
  AsOfficer(&apply_ctx);
  v1::Seal seal;
  ASSERT_TRUE(Seal()->ApplySeal(&apply_ctx, apply, &seal).ok());
  v1::ReportSealEventRequest tamper;
  tamper.set_idempotency_key(NextKey());
  tamper.set_seal_id("RF-9");
  tamper.set_kind(v1::SEAL_EVENT_KIND_TAMPERED);
  tamper.set_officer_id("officer-1");
  grpc::ClientContext tamper_ctx;
  AsOfficer(&tamper_ctx);
  ASSERT_TRUE(Seal()->ReportSealEvent(&tamper_ctx, tamper, &seal).ok());
  const v1::Visit alarmed = Arrive("L1", "粤B22222", {"TGHU1643396"});
  ASSERT_EQ(alarmed.decision(), v1::DECISION_TROUBLE);

  Book("A3", "粤B33333", {});
  plc_->SetDiscreteInput(kEstop, true);
  ASSERT_TRUE(Eventually([&] { return !server()->lanes().Ready("L1").ok(); }));
  const v1::Visit faulted = Arrive("L1", "粤B33333", {});
  ASSERT_EQ(faulted.decision(), v1::DECISION_TROUBLE);

  for (const v1::Visit* v : {&held, &alarmed, &faulted}) {
    const grpc::Status s = Resolve(v->visit_id(), v1::CLERK_ACTION_APPROVE);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << v->DebugString();
    EXPECT_EQ(GetVisit(v->visit_id()).decision(), v1::DECISION_TROUBLE);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(plc_->CoilRisingEdges(kOpenCoil), 0);
  // Customs clears its own reason; then the same approval has nothing left to override.
  plc_->SetDiscreteInput(kEstop, false);
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the PLC's input is read clear
  EXPECT_FALSE(server()->lanes().Ready("L1").ok());               // but the E-stop stays latched
  v1::ResetLaneFaultRequest reset;
  reset.set_idempotency_key(NextKey());
  reset.set_lane_id("L1");
  reset.set_operator_id("clerk-7");
  grpc::ClientContext reset_ctx;
  AsClerk(&reset_ctx);
  v1::ResetLaneFaultResponse reset_resp;
  ASSERT_TRUE(Gate()->ResetLaneFault(&reset_ctx, reset, &reset_resp).ok());
  ASSERT_TRUE(Eventually([&] { return server()->lanes().Ready("L1").ok(); }));
  v1::Visit approved;
  ASSERT_TRUE(Resolve(held.visit_id(), v1::CLERK_ACTION_APPROVE, &approved).ok());
  EXPECT_EQ(approved.decision(), v1::DECISION_OPEN);
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
}

// Rule 5: reject, then help, then approve: the truck stays out.
TEST_F(GateRulesTest, Rule5_ADenialIsFinalAndHelpRaisesAssistanceOnly) {
  StartServer();
  Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit trouble = Arrive("L1", "粤B12345", {"CSQU3054384"});  // wrong check digit
  ASSERT_EQ(trouble.decision(), v1::DECISION_TROUBLE);
  ASSERT_TRUE(Resolve(trouble.visit_id(), v1::CLERK_ACTION_REJECT).ok());
  ASSERT_TRUE(Help(trouble.visit_id()).ok());
  EXPECT_EQ(Resolve(trouble.visit_id(), v1::CLERK_ACTION_APPROVE).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const v1::Visit now = GetVisit(trouble.visit_id());
  EXPECT_EQ(now.decision(), v1::DECISION_DENY);
  EXPECT_TRUE(now.assistance_requested());
  // GetVisit and the event log agree: the last VisitDecided of the visit says DENY.
  std::vector<v1::Event> events = ReadUntil(0, [](const std::vector<v1::Event>& e) {
    return !e.empty() && e.back().has_assistance_requested();
  });
  v1::Decision last = v1::DECISION_UNSPECIFIED;
  for (const v1::Event& e : events) {
    if (e.visit_id() == trouble.visit_id() && e.has_visit_decided()) last = e.visit_decided().decision();
  }
  EXPECT_EQ(last, now.decision());
}

// Rule 6: a refused approval changes nothing, in memory (GetVisit) or on disk (after a restart).
TEST_F(GateRulesTest, Rule6_ARefusedCallChangesNothing) {
  WithPlc();
  StartServer();
  Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit trouble = Arrive("L1", "粤B12345", {"CSQU3054384"});
  plc_->SetDiscreteInput(kEstop, true);
  ASSERT_TRUE(Eventually([&] { return !server()->lanes().Ready("L1").ok(); }));
  v1::ResolveTroubleRequest req;
  req.set_idempotency_key(NextKey());
  req.set_visit_id(trouble.visit_id());
  req.set_clerk_id("clerk-7");
  req.set_action(v1::CLERK_ACTION_APPROVE);
  req.add_corrected_container_numbers("CSQU3054383");
  grpc::ClientContext ctx;
  AsClerk(&ctx);
  v1::Visit out;
  ASSERT_EQ(Terminal()->ResolveTrouble(&ctx, req, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const v1::Visit after = GetVisit(trouble.visit_id());
  EXPECT_EQ(after.containers(0).text(), "CSQU3054384");  // the reads were not rewritten
  EXPECT_EQ(after.SerializeAsString(), trouble.SerializeAsString());
  StopServer();
  plc_->SetDiscreteInput(kEstop, false);
  StartServer();
  EXPECT_EQ(GetVisit(trouble.visit_id()).SerializeAsString(), trouble.SerializeAsString());
}

// Rule 7: a truck continues its visit by its plate; a replayed old capture on another lane is
// refused with a message and breaks nothing.
TEST_F(GateRulesTest, Rule7_ATruckContinuesItsVisitAndAReplayedCaptureIsRefused) {
  StartServer();
  Book("A1", "粤B12345", {"CSQU3054383"});
  const v1::Visit pre = Arrive("P1", "粤B12345", {"CSQU3054383"});
  ASSERT_EQ(pre.stage(), v1::STAGE_PRE_GATE);
  v1::SubmitArrivalRequest old;
  old.set_idempotency_key(NextKey());
  old.set_lane_id("L3");
  old.mutable_read()->set_plate("粤B99999");
  *old.mutable_captured_at() = TimeUtil::GetCurrentTime() - TimeUtil::HoursToDuration(30);
  grpc::ClientContext ctx;
  v1::SubmitArrivalResponse resp;
  const grpc::Status refused = Gate()->SubmitArrival(&ctx, old, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("captured_at"), std::string::npos) << refused.error_message();
  for (int i = 0; i < 3; ++i) Arrive("P1", "粤B7000" + std::to_string(i), {});
  const v1::Visit in = Arrive("L1", "粤B12345", {});
  EXPECT_EQ(in.visit_id(), pre.visit_id());
  EXPECT_EQ(in.decision(), v1::DECISION_OPEN) << in.DebugString();
}

// Rule 8: event times never run backwards against sequence numbers; an officer's applied_at is
// when it happened, the logged time is when the server logged it.
TEST_F(GateRulesTest, Rule8_EventTimesNeverRunBackwardsAndSayWhenThingsHappened) {
  StartServer();
  Book("A1", "粤B12345", {"CSQU3054383"});
  v1::ApplySealRequest apply;
  apply.set_idempotency_key(NextKey());
  apply.set_seal_id("RF-1");
  apply.set_kind(v1::SEAL_KIND_RFID_ESEAL);
  apply.add_container_numbers("CSQU3054383");
  apply.set_officer_id("officer-1");
  *apply.mutable_applied_at() = TimeUtil::GetCurrentTime() - TimeUtil::MinutesToDuration(42);
  grpc::ClientContext ctx;
  AsOfficer(&ctx);
  v1::Seal seal;
  ASSERT_TRUE(Seal()->ApplySeal(&ctx, apply, &seal).ok());
  for (int i = 0; i < 5; ++i) Arrive("L1", "粤B12345", {"CSQU3054383"});
  const std::vector<v1::Event> events = ReadEvents(0, 7);
  ASSERT_EQ(events.size(), 7u);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].sequence(), events[i - 1].sequence());
    EXPECT_GE(TimeUtil::TimestampToMicroseconds(events[i].time()),
              TimeUtil::TimestampToMicroseconds(events[i - 1].time()));
  }
  const v1::Event& applied = events[1];
  ASSERT_TRUE(applied.has_seal_changed()) << applied.DebugString();
  EXPECT_EQ(TimeUtil::TimestampToSeconds(applied.occurred_at()), apply.applied_at().seconds());
  EXPECT_GT(TimeUtil::TimestampToSeconds(applied.time()), apply.applied_at().seconds() + 40 * 60);
}

// Rule 9: when the store refuses writes the gate fails closed and says so (NOT_SERVING), and
// serves again once the store recovers.
TEST_F(GateRulesTest, Rule9_AStoreThatRefusesWritesMakesTheGateNotServingUntilItRecovers) {
  auto disk = std::make_shared<gate::MemoryDisk>();
  StartServer(std::make_unique<gate::MemoryStore>(disk));
  Book("A1", "粤B12345", {});
  auto health = grpc::health::v1::Health::NewStub(Channel());
  auto serving = [&] {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    return health->Check(&ctx, req, &resp).ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  };
  ASSERT_TRUE(serving());
  disk->FailAllCommits(absl::ResourceExhaustedError("disk full"));
  v1::SubmitArrivalRequest req;
  req.set_idempotency_key("arrival-1");
  req.set_lane_id("L1");
  req.mutable_read()->set_plate("粤B12345");
  for (int attempt = 0; attempt < 2; ++attempt) {  // a retry with the same key is no better
    grpc::ClientContext ctx;
    v1::SubmitArrivalResponse resp;
    const grpc::Status s = Gate()->SubmitArrival(&ctx, req, &resp);
    EXPECT_FALSE(s.ok());
  }
  EXPECT_TRUE(Eventually([&] { return !serving(); }));
  disk->ClearFaults();
  EXPECT_TRUE(Eventually([&] { return serving(); }));
  grpc::ClientContext ctx;
  v1::SubmitArrivalResponse resp;
  ASSERT_TRUE(Gate()->SubmitArrival(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.visit().decision(), v1::DECISION_OPEN);
}

// Rule 10: every mutating call names its idempotency key; one key space spans every method; an
// empty id is INVALID_ARGUMENT.
TEST_F(GateRulesTest, Rule10_KeysAreRequiredAndOneKeySpaceSpansEveryMethod) {
  StartServer();
  grpc::ClientContext c1;
  v1::SetCustomsStatusRequest customs;
  customs.set_container_number("CSQU3054383");
  customs.set_status(v1::CUSTOMS_STATUS_RELEASED);
  v1::SetCustomsStatusResponse customs_resp;
  const grpc::Status no_key = Terminal()->SetCustomsStatus(&c1, customs, &customs_resp);
  EXPECT_EQ(no_key.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_key.error_message().find("idempotency_key"), std::string::npos);

  Book("A1", "粤B12345", {});
  Arrive("L1", "粤B12345", {}, "shared-key");
  customs.set_idempotency_key("shared-key");
  grpc::ClientContext c2;
  const grpc::Status reused = Terminal()->SetCustomsStatus(&c2, customs, &customs_resp);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(reused.error_message().find("SubmitArrival"), std::string::npos) << reused.error_message();

  EXPECT_EQ(Pass("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetVisitRequest get;
  grpc::ClientContext c3;
  v1::Visit v;
  EXPECT_EQ(Terminal()->GetVisit(&c3, get, &v).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Issue 14, defect 1: an unknown customs status is refused and never replaces a hold.
TEST_F(GateRulesTest, AnUnknownCustomsStatusIsRefusedAndTheHoldStays) {
  StartServer();
  Book("A1", "粤B12345", {"CSQU3054383"});
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_HELD);
  for (int value : {4, -1, 99}) {
    v1::SetCustomsStatusRequest req;
    req.set_idempotency_key(NextKey());
    req.set_container_number("CSQU3054383");
    req.set_status(static_cast<v1::CustomsStatus>(value));
    grpc::ClientContext ctx;
    v1::SetCustomsStatusResponse resp;
    const grpc::Status s = Terminal()->SetCustomsStatus(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << value;
    EXPECT_NE(s.error_message().find("status"), std::string::npos);
  }
  EXPECT_EQ(Codes(Arrive("L1", "粤B12345", {"CSQU3054383"})),
            std::vector<v1::ReasonCode>{v1::REASON_CODE_CUSTOMS_HOLD});
}

TEST_F(GateRulesTest, UnknownEnumValuesFromTheWireAreInvalidArgument) {
  StartServer();
  v1::UpsertAppointmentRequest ap;
  ap.set_idempotency_key(NextKey());
  ap.mutable_appointment()->set_appointment_id("A1");
  ap.mutable_appointment()->set_plate("粤B12345");
  ap.mutable_appointment()->set_direction(static_cast<v1::Direction>(9));
  grpc::ClientContext c1;
  v1::Appointment out;
  EXPECT_EQ(Terminal()->UpsertAppointment(&c1, ap, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ap.mutable_appointment()->set_direction(v1::DIRECTION_IN);
  v1::ContainerMove* m = ap.mutable_appointment()->add_containers();
  m->set_container_number("CSQU3054383");
  m->set_transaction_type(static_cast<v1::TransactionType>(42));
  grpc::ClientContext c2;
  EXPECT_EQ(Terminal()->UpsertAppointment(&c2, ap, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::SubmitArrivalRequest arrival;
  arrival.set_idempotency_key(NextKey());
  arrival.set_lane_id("L1");
  v1::CameraFrame* f = arrival.add_frames();
  f->set_position(static_cast<v1::CameraPosition>(77));
  f->set_jpeg("x");
  grpc::ClientContext c3;
  v1::SubmitArrivalResponse resp;
  EXPECT_EQ(Gate()->SubmitArrival(&c3, arrival, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ResolveTroubleRequest resolve;
  resolve.set_idempotency_key(NextKey());
  resolve.set_visit_id("V0000000001");
  resolve.set_clerk_id("clerk-7");
  resolve.set_action(static_cast<v1::ClerkAction>(8));
  grpc::ClientContext c4;
  AsClerk(&c4);
  v1::Visit v;
  EXPECT_EQ(Terminal()->ResolveTrouble(&c4, resolve, &v).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Issue 14, defect 7: ids are bounded and never echoed whole.
TEST_F(GateRulesTest, LongIdsAreRefusedWithAShortPrefix) {
  StartServer();
  v1::GetVisitRequest get;
  get.set_visit_id(std::string(9000, 'V'));
  grpc::ClientContext ctx;
  v1::Visit v;
  const grpc::Status s = Terminal()->GetVisit(&ctx, get, &v);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(s.error_message().size(), 200u) << s.error_message();
}

// Issue 14, defect 8: bytes that are not a request (malformed protobuf, invalid UTF-8 in a string
// field) are INVALID_ARGUMENT with a message, not a bare UNIMPLEMENTED.
TEST_F(GateRulesTest, ARequestThatDoesNotParseIsInvalidArgumentWithAMessage) {
  StartServer();
  v1::SubmitArrivalRequest with_bad_utf8;
  const std::string malformed[] = {std::string("\xff\xff\xff\xff", 4), std::string("\x12\x03\xff\xfe\xfd", 5)};
  for (const std::string& bytes : malformed) {
    grpc::GenericStub stub(Channel());
    grpc::ClientContext ctx;
    As(&ctx, "lane");
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    grpc::CompletionQueue cq;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        stub.PrepareUnaryCall(&ctx, "/yardgate.v1.GateService/SubmitArrival", request, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("SubmitArrivalRequest"), std::string::npos) << status.error_message();
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  }
}

// Issue 14, defect 9: times beyond year 9999 or with negative nanos, and positions that are not
// numbers or out of range, are refused.
TEST_F(GateRulesTest, ImpossibleTimesAndPositionsAreRefused) {
  StartServer();
  for (const auto& [seconds, nanos] : {std::pair<int64_t, int32_t>{253402300800, 0}, {1765000000, -1}}) {
    v1::SubmitArrivalRequest req;
    req.set_idempotency_key(NextKey());
    req.set_lane_id("L1");
    req.mutable_read()->set_plate("粤B12345");
    req.mutable_captured_at()->set_seconds(seconds);
    req.mutable_captured_at()->set_nanos(nanos);
    grpc::ClientContext ctx;
    v1::SubmitArrivalResponse resp;
    const grpc::Status s = Gate()->SubmitArrival(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << seconds << " " << nanos;
    EXPECT_NE(s.error_message().find("captured_at"), std::string::npos) << s.error_message();
  }
  for (double latitude : {std::nan(""), 91.0, -1e308}) {
    v1::ApplySealRequest apply;
    apply.set_idempotency_key(NextKey());
    apply.set_seal_id("RF-1");
    apply.set_kind(v1::SEAL_KIND_RFID_ESEAL);
    apply.add_container_numbers("CSQU3054383");
    apply.set_officer_id("officer-1");
    apply.set_latitude(latitude);
    apply.set_longitude(114.0);
    grpc::ClientContext ctx;
    v1::Seal seal;
    const grpc::Status s = Seal()->ApplySeal(&ctx, apply, &seal);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << latitude;
    EXPECT_NE(s.error_message().find("latitude"), std::string::npos) << s.error_message();
  }
}

// What integrators asked for: the gate's appointments, the audit trail, and the operators' calls.
TEST_F(GateRulesTest, TerminalSystemsReadAppointmentsAndTheAuditTrail) {
  StartServer();
  for (int i = 0; i < 5; ++i) Book("A" + std::to_string(i), "粤B1000" + std::to_string(i), {"CSQU3054383"});
  grpc::ClientContext c1;
  v1::GetAppointmentRequest get;
  get.set_appointment_id("A3");
  v1::Appointment a;
  ASSERT_TRUE(Terminal()->GetAppointment(&c1, get, &a).ok());
  EXPECT_EQ(a.plate(), "粤B10003");
  get.set_appointment_id("nope");
  grpc::ClientContext c2;
  EXPECT_EQ(Terminal()->GetAppointment(&c2, get, &a).error_code(), grpc::StatusCode::NOT_FOUND);

  std::vector<std::string> ids;
  v1::ListAppointmentsRequest list;
  list.set_page_size(2);
  for (;;) {
    grpc::ClientContext ctx;
    v1::ListAppointmentsResponse page;
    ASSERT_TRUE(Terminal()->ListAppointments(&ctx, list, &page).ok());
    for (const v1::Appointment& x : page.appointments()) ids.push_back(x.appointment_id());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"A0", "A1", "A2", "A3", "A4"}));

  const v1::Visit v = Arrive("L1", "粤B10000", {"CSQU3054384"});
  ASSERT_TRUE(Resolve(v.visit_id(), v1::CLERK_ACTION_CORRECT, nullptr, {"CSQU3054383"}).ok());
  grpc::ClientContext c3;
  v1::ListAuditRequest audit_req;
  audit_req.set_actor("clerk-7");
  v1::ListAuditResponse audit;
  ASSERT_TRUE(Terminal()->ListAudit(&c3, audit_req, &audit).ok());
  ASSERT_EQ(audit.records_size(), 1);
  EXPECT_EQ(audit.records(0).action(), "CORRECT");
  EXPECT_NE(audit.records(0).before().find("CSQU3054384"), std::string::npos);
  EXPECT_NE(audit.records(0).after().find("CSQU3054383"), std::string::npos);
}

TEST_F(GateRulesTest, OperatorsCancelAnUnusedAllowAndCloseTheBarrier) {
  WithPlc();
  StartServer();
  Book("A1", "粤B12345", {});
  const v1::Visit v = Arrive("L1", "粤B12345", {});
  ASSERT_EQ(v.decision(), v1::DECISION_OPEN);
  ASSERT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
  v1::CancelAllowRequest cancel;
  cancel.set_idempotency_key(NextKey());
  cancel.set_visit_id(v.visit_id());
  cancel.set_operator_id("clerk-7");
  cancel.set_comment("driver turned back");
  grpc::ClientContext c1;
  AsClerk(&c1);
  v1::Visit cancelled;
  ASSERT_TRUE(Gate()->CancelAllow(&c1, cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.barrier_state(), v1::BARRIER_STATE_CANCELLED);
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kCloseCoil) == 1; }));
  // Without a clerk's token: refused.
  grpc::ClientContext c2;
  cancel.set_idempotency_key(NextKey());
  EXPECT_EQ(v1::GateService::NewStub(AnonymousChannel())->CancelAllow(&c2, cancel, &cancelled).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The booking is free again: the truck, back at the lane, opens.
  const v1::Visit back = Arrive("L1", "粤B12345", {});
  EXPECT_EQ(back.decision(), v1::DECISION_OPEN) << back.DebugString();
  v1::CloseBarrierRequest close;
  close.set_idempotency_key(NextKey());
  close.set_lane_id("L1");
  close.set_operator_id("clerk-7");
  grpc::ClientContext c3;
  AsClerk(&c3);
  v1::CloseBarrierResponse closed;
  ASSERT_TRUE(Gate()->CloseBarrier(&c3, close, &closed).ok());
  ASSERT_EQ(closed.cancelled_size(), 1);
  EXPECT_EQ(closed.cancelled(0).visit_id(), back.visit_id());
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kCloseCoil) == 2; }));
}

}  // namespace
}  // namespace yardgate::testing
