// Issue 5 through real gRPC with a real lane PLC: the server drives a Modbus TCP server (the
// test's stand-in for the PLC) over loopback. Only an explicit OPEN may raise the open coil.
#include <SQLiteCpp/Database.h>

#include <thread>

#include "gate/lane/modbus_test_server.h"
#include "server/lanes.h"
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {

using gate::lane::ModbusTestServer;

constexpr int kOpenCoil = 0;
constexpr int kCloseCoil = 1;
constexpr int kSafetyLoop = 1;
constexpr int kClosingLoop = 2;

class GateLaneTest : public ServerFixture {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ModbusTestServer>> plc = ModbusTestServer::Start();
    ASSERT_TRUE(plc.ok()) << plc.status();
    plc_ = *std::move(plc);
    config().lanes[0].barrier = "modbus://127.0.0.1:" + std::to_string(plc_->port()) + "?unit=1&base=0";
    StartServer();
    Book("A1", "粤B12345", {"CSQU3054383"});
    SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);
  }

  v1::Visit ArriveWithConfidence(const std::string& plate, const std::vector<std::string>& containers,
                                 double confidence) {
    v1::SubmitArrivalRequest req;
    req.set_idempotency_key(NextKey());
    req.set_lane_id("L1");
    req.mutable_read()->set_plate(plate);
    req.mutable_read()->set_confidence(confidence);
    for (const std::string& c : containers) req.mutable_read()->add_container_numbers(c);
    grpc::ClientContext ctx;
    v1::SubmitArrivalResponse resp;
    const grpc::Status s = Gate()->SubmitArrival(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.visit();
  }

  // The coil must stay off: give the server time it would need to raise it.
  void ExpectOpenCoilStaysOff() {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(plc_->CoilRisingEdges(kOpenCoil), 0);
  }

  // An RFID e-seal on the box, applied by an officer; the appointment expects it.
  void SealTheBox(const std::string& seal_id) {
    v1::ApplySealRequest apply;
    apply.set_idempotency_key(NextKey());
    apply.set_seal_id(seal_id);
    apply.set_kind(v1::SEAL_KIND_RFID_ESEAL);
    apply.add_container_numbers("CSQU3054383");
    apply.set_plate("粤B12345");
    apply.set_officer_id("officer-1");
    grpc::ClientContext ctx;
    v1::Seal seal;
    AsOfficer(&ctx);
    ASSERT_TRUE(Seal()->ApplySeal(&ctx, apply, &seal).ok());
    BookUnderSeal(seal_id);
  }

  std::unique_ptr<ModbusTestServer> plc_;
};

TEST_F(GateLaneTest, IntactSealedReleasedAppointedTruckOpensAndTheSealIsVerified) {
  SealTheBox("RF-0001");
  const v1::Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_EQ(v.decision(), v1::DECISION_OPEN) << v.DebugString();
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
  EXPECT_EQ(GetSeal("RF-0001").state(), v1::SEAL_STATE_VERIFIED);
}

TEST_F(GateLaneTest, SealAlarmIsTroubleAndTheCoilStaysOff) {
  SealTheBox("RF-0002");
  v1::ReportSealEventRequest tamper;
  tamper.set_idempotency_key(NextKey());
  tamper.set_seal_id("RF-0002");
  tamper.set_kind(v1::SEAL_EVENT_KIND_TAMPERED);
  tamper.set_officer_id("officer-1");
  grpc::ClientContext ctx;
  v1::Seal seal;
  AsOfficer(&ctx);
  ASSERT_TRUE(Seal()->ReportSealEvent(&ctx, tamper, &seal).ok());
  const v1::Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(v.decision(), v1::DECISION_TROUBLE);
  ASSERT_EQ(v.reasons_size(), 1) << v.DebugString();
  EXPECT_EQ(v.reasons(0).code(), v1::REASON_CODE_SEAL_ALARM);
  ExpectOpenCoilStaysOff();
  EXPECT_EQ(GetSeal("RF-0002").state(), v1::SEAL_STATE_ALARM);
}

TEST_F(GateLaneTest, AppointedReleasedTruckOpensAndTheOpenCoilGoesOn) {
  const v1::Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_EQ(v.decision(), v1::DECISION_OPEN);
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0);
}

TEST_F(GateLaneTest, EachSingleFaultIsTroubleWithItsReasonAndTheCoilStaysOff) {
  struct Case {
    std::string name;
    std::function<v1::Visit()> arrive;
    v1::ReasonCode reason;
  };
  const std::vector<Case> cases = {
      {"wrong plate", [&] { return Arrive("L1", "粤B54321", {"CSQU3054383"}); }, v1::REASON_CODE_PLATE_MISMATCH},
      {"unknown container", [&] { return Arrive("L1", "粤B12345", {"CSQU3054383", "TGHU1643396"}); },
       v1::REASON_CODE_CONTAINER_NOT_EXPECTED},
      {"low-confidence read", [&] { return ArriveWithConfidence("粤B12345", {"CSQU3054383"}, 0.6); },
       v1::REASON_CODE_LOW_CONFIDENCE},
      {"held container",
       [&] {
         SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_HELD);
         const v1::Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
         SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);
         return v;
       },
       v1::REASON_CODE_CUSTOMS_HOLD},
  };
  for (const Case& c : cases) {
    const v1::Visit v = c.arrive();
    EXPECT_EQ(v.decision(), v1::DECISION_TROUBLE) << c.name;
    // One fault, one kind of reason (a low-confidence device flags both its plate and box).
    ASSERT_GE(v.reasons_size(), 1) << c.name;
    for (const v1::Reason& r : v.reasons()) EXPECT_EQ(r.code(), c.reason) << c.name << ": " << v.DebugString();
  }
  ExpectOpenCoilStaysOff();
}

TEST_F(GateLaneTest, UnreachablePlcIsTroubleLaneFault) {
  plc_->Stop();
  const bool faulted = Eventually([&] {
    return !server()->lanes().supervisor("L1")->Health().ready_to_open();
  });
  ASSERT_TRUE(faulted);
  const v1::Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(v.decision(), v1::DECISION_TROUBLE);
  ASSERT_EQ(v.reasons_size(), 1) << v.DebugString();
  EXPECT_EQ(v.reasons(0).code(), v1::REASON_CODE_LANE_FAULT);
  EXPECT_NE(v.reasons(0).detail().find("PLC_UNREACHABLE"), std::string::npos) << v.reasons(0).detail();
  ExpectOpenCoilStaysOff();
  // The fault is on the event stream too.
  const auto events = ReadEvents(0, 1, [](const v1::Event& e) { return e.has_lane_fault() && !e.lane_fault().cleared(); });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].lane_id(), "L1");
}

TEST_F(GateLaneTest, ClerkApprovalOpensTheBarrierAndIsAudited) {
  const v1::Visit trouble = ArriveWithConfidence("粤B12345", {"CSQU3054383"}, 0.6);
  ASSERT_EQ(trouble.decision(), v1::DECISION_TROUBLE);
  {
    grpc::ClientContext ctx;
    v1::ListTroubleVisitsRequest req;
    v1::ListTroubleVisitsResponse desk;
    ASSERT_TRUE(Terminal()->ListTroubleVisits(&ctx, req, &desk).ok());
    ASSERT_EQ(desk.cases_size(), 1);
    EXPECT_EQ(desk.cases(0).visit().visit_id(), trouble.visit_id());
    // The clerk sees the reads with their confidences, the reasons and what was expected.
    EXPECT_DOUBLE_EQ(desk.cases(0).visit().plate().confidence(), 0.6);
    EXPECT_EQ(desk.cases(0).visit().reasons(0).code(), v1::REASON_CODE_LOW_CONFIDENCE);
    EXPECT_EQ(desk.cases(0).expected().appointment_id(), "A1");
    EXPECT_EQ(desk.cases(0).expected().containers(0).container_number(), "CSQU3054383");
  }
  ExpectOpenCoilStaysOff();

  v1::ResolveTroubleRequest req;
  req.set_idempotency_key(NextKey());
  req.set_visit_id(trouble.visit_id());
  req.set_clerk_id("clerk-7");
  req.set_action(v1::CLERK_ACTION_APPROVE);
  req.set_comment("checked the plate on camera");
  grpc::ClientContext ctx;
  v1::Visit approved;
  AsClerk(&ctx);
  ASSERT_TRUE(Terminal()->ResolveTrouble(&ctx, req, &approved).ok());
  EXPECT_EQ(approved.decision(), v1::DECISION_OPEN);
  EXPECT_EQ(approved.decided_by(), "clerk-7");
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));

  // The desk is empty and the audit trail names who, when and what.
  grpc::ClientContext ctx2;
  v1::ListTroubleVisitsRequest list;
  v1::ListTroubleVisitsResponse desk;
  ASSERT_TRUE(Terminal()->ListTroubleVisits(&ctx2, list, &desk).ok());
  EXPECT_EQ(desk.cases_size(), 0);
  grpc::ClientContext ctx3;
  v1::ListAuditRequest audit_request;
  audit_request.set_subject(trouble.visit_id());
  v1::ListAuditResponse audit;
  ASSERT_TRUE(Terminal()->ListAudit(&ctx3, audit_request, &audit).ok());
  ASSERT_EQ(audit.records_size(), 1);
  const v1::AuditRecord& record = audit.records(0);
  EXPECT_EQ(record.actor(), "clerk-7");
  EXPECT_EQ(record.action(), "APPROVE");
  EXPECT_EQ(record.subject(), trouble.visit_id());
  EXPECT_EQ(record.comment(), "checked the plate on camera");
  EXPECT_NE(record.before().find("decision=TROUBLE"), std::string::npos) << record.before();
  EXPECT_NE(record.after().find("decision=OPEN"), std::string::npos) << record.after();
  EXPECT_GT(record.time().seconds(), 0);
}

TEST_F(GateLaneTest, OnlyAuthorisedClerksResolveTrouble) {
  const v1::Visit trouble = ArriveWithConfidence("粤B12345", {"CSQU3054383"}, 0.6);
  v1::ResolveTroubleRequest req;
  req.set_idempotency_key(NextKey());
  req.set_visit_id(trouble.visit_id());
  req.set_clerk_id("clerk-7");
  req.set_action(v1::CLERK_ACTION_APPROVE);
  v1::Visit out;
  {
    grpc::ClientContext ctx;  // no token
    EXPECT_EQ(Terminal()->ResolveTrouble(&ctx, req, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer not-a-token-anyone-was-given");
    EXPECT_EQ(Terminal()->ResolveTrouble(&ctx, req, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    AsOfficer(&ctx);  // an officer is not a clerk
    EXPECT_EQ(Terminal()->ResolveTrouble(&ctx, req, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext ctx;
    AsClerk(&ctx);  // clerk-7's token, claiming to be someone else
    req.set_clerk_id("clerk-9");
    const grpc::Status s = Terminal()->ResolveTrouble(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(s.error_message().find("clerk-9"), std::string::npos) << s.error_message();
  }
  ExpectOpenCoilStaysOff();
}

TEST_F(GateLaneTest, ClerkCannotOpenALaneWithAFault) {
  const v1::Visit trouble = ArriveWithConfidence("粤B12345", {"CSQU3054383"}, 0.6);
  plc_->Stop();
  ASSERT_TRUE(Eventually([&] { return !server()->lanes().supervisor("L1")->Health().ready_to_open(); }));
  v1::ResolveTroubleRequest req;
  req.set_idempotency_key(NextKey());
  req.set_visit_id(trouble.visit_id());
  req.set_clerk_id("clerk-7");
  req.set_action(v1::CLERK_ACTION_APPROVE);
  grpc::ClientContext ctx;
  v1::Visit out;
  AsClerk(&ctx);
  const grpc::Status s = Terminal()->ResolveTrouble(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  ExpectOpenCoilStaysOff();
}

TEST_F(GateLaneTest, ClerkCorrectionGoesThroughTheDecisionAgain) {
  const v1::Visit trouble = Arrive("L1", "粤B12345", {"CSQU3054384"});
  ASSERT_EQ(trouble.decision(), v1::DECISION_TROUBLE);
  v1::ResolveTroubleRequest req;
  req.set_idempotency_key(NextKey());
  req.set_visit_id(trouble.visit_id());
  req.set_clerk_id("clerk-7");
  req.set_action(v1::CLERK_ACTION_CORRECT);
  req.add_corrected_container_numbers("CSQU3054383");
  grpc::ClientContext ctx;
  v1::Visit corrected;
  AsClerk(&ctx);
  ASSERT_TRUE(Terminal()->ResolveTrouble(&ctx, req, &corrected).ok());
  EXPECT_EQ(corrected.decision(), v1::DECISION_OPEN);
  EXPECT_EQ(corrected.containers(0).source(), "clerk");
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
}

TEST_F(GateLaneTest, BarrierNeverClosesOnPresenceAndClosesAfterTheTruckHasPassed) {
  const v1::Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
  // The truck is under the arm and reaches the closing loop, then leaves it while the
  // safety loop still sees something (a trailer): no close.
  plc_->SetDiscreteInput(kSafetyLoop, true);
  plc_->SetDiscreteInput(kClosingLoop, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  plc_->SetDiscreteInput(kClosingLoop, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0);
  // The safety loop clears: now it closes, and the visit is marked passed.
  plc_->SetDiscreteInput(kSafetyLoop, false);
  EXPECT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kCloseCoil) == 1; }));
  EXPECT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    v1::GetVisitRequest req;
    req.set_visit_id(v.visit_id());
    v1::Visit got;
    return Terminal()->GetVisit(&ctx, req, &got).ok() && got.passed();
  }));
}

TEST_F(GateLaneTest, BarrierNeverClosesOnStaleInputs) {
  Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_TRUE(Eventually([&] { return plc_->CoilRisingEdges(kOpenCoil) == 1; }));
  plc_->SetDiscreteInput(kClosingLoop, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The PLC stops answering right as the truck leaves the closing loop.
  plc_->SetAnswering(false);
  plc_->SetDiscreteInput(kClosingLoop, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(plc_->CoilRisingEdges(kCloseCoil), 0);
  EXPECT_FALSE(server()->lanes().supervisor("L1")->Health().ready_to_open());
}

}  // namespace
}  // namespace yardgate::testing
