// A truck visit through its stages: the pre-gate portal reads it, the in-gate continues the
// same visit with what the portal read, the out-gate closes it; a visit holds the transactions
// of its appointment (drop an empty, pick up a full).
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {

class StagesTest : public ServerFixture {
 protected:
  void SetUp() override {
    server::LaneConfig pre{"P1", gate::Direction::kIn, "simulator", /*stage=*/1};
    config().lanes.insert(config().lanes.begin(), pre);
    StartServer();
  }

  v1::Visit Pass(const v1::Visit& v) {
    v1::ReportPassageRequest req;
    req.set_idempotency_key(NextKey());
    req.set_visit_id(v.visit_id());
    grpc::ClientContext ctx;
    v1::ReportPassageResponse resp;
    const grpc::Status s = Gate()->ReportPassage(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.visit();
  }

  // Drop an empty (RM) and pick up an import box (DI) in one appointment.
  void BookDropAndPick() {
    v1::UpsertAppointmentRequest req;
    req.set_idempotency_key(NextKey());
    v1::Appointment* a = req.mutable_appointment();
    a->set_appointment_id("A1");
    a->set_plate("粤B12345");
    a->set_direction(v1::DIRECTION_IN);
    v1::ContainerMove* drop = a->add_containers();
    drop->set_container_number("TGHU1643396");
    drop->set_transaction_type(v1::TRANSACTION_TYPE_RECEIVE_EMPTY);
    v1::ContainerMove* pick = a->add_containers();
    pick->set_container_number("CSQU3054383");
    pick->set_transaction_type(v1::TRANSACTION_TYPE_DELIVER_IMPORT);
    pick->set_customs_release_required(true);
    grpc::ClientContext ctx;
    v1::Appointment out;
    ASSERT_TRUE(Terminal()->UpsertAppointment(&ctx, req, &out).ok());
  }
};

TEST_F(StagesTest, OneVisitFromPreGateToOutGate) {
  BookDropAndPick();
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);

  // The portal reads the plate and the empty on the truck.
  const v1::Visit pre = Arrive("P1", "粤B12345", {"TGHU1643396"});
  EXPECT_EQ(pre.stage(), v1::STAGE_PRE_GATE);
  EXPECT_EQ(pre.decision(), v1::DECISION_OPEN) << pre.DebugString();
  ASSERT_EQ(pre.transactions_size(), 2);

  // The in-gate reads only the plate (an RFID e-plate): the same visit, the portal's read stands.
  const v1::Visit in = Arrive("L1", "粤B12345", {});
  EXPECT_EQ(in.visit_id(), pre.visit_id());
  EXPECT_EQ(in.stage(), v1::STAGE_IN_GATE);
  EXPECT_EQ(in.decision(), v1::DECISION_OPEN) << in.DebugString();
  ASSERT_EQ(in.containers_size(), 1);
  EXPECT_EQ(in.containers(0).text(), "TGHU1643396");
  Pass(in);

  // Out it goes with the import box it picked up.
  const v1::Visit out = Arrive("L2", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(out.visit_id(), pre.visit_id());
  EXPECT_EQ(out.stage(), v1::STAGE_OUT_GATE);
  EXPECT_EQ(out.decision(), v1::DECISION_OPEN) << out.DebugString();
  ASSERT_EQ(out.stages_size(), 3);
  EXPECT_EQ(out.stages(0).lane_id(), "P1");
  EXPECT_EQ(out.stages(1).lane_id(), "L1");
  EXPECT_EQ(out.stages(2).lane_id(), "L2");
  const v1::Visit done = Pass(out);
  EXPECT_TRUE(done.passed());

  // The empty was returned once, at the in-gate, not again at the out-gate.
  const auto returns = ReadUntil(0, [](const std::vector<v1::Event>& e) {
    return !e.empty() && e.back().has_truck_passed() && e.back().truck_passed().direction() == v1::DIRECTION_OUT;
  });
  int returned = 0;
  for (const v1::Event& e : returns) returned += e.has_container_returned();
  EXPECT_EQ(returned, 1);
}

TEST_F(StagesTest, OutGateWithoutThePickedUpBoxIsTrouble) {
  BookDropAndPick();
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);
  Pass(Arrive("L1", "粤B12345", {"TGHU1643396"}));
  const v1::Visit out = Arrive("L2", "粤B12345", {});
  EXPECT_EQ(out.decision(), v1::DECISION_TROUBLE);
  ASSERT_EQ(out.reasons_size(), 1) << out.DebugString();
  EXPECT_EQ(out.reasons(0).code(), v1::REASON_CODE_CONTAINER_MISSING);
  EXPECT_EQ(out.reasons(0).subject(), "CSQU3054383");
}

TEST_F(StagesTest, AHeldImportBoxDoesNotLeave) {
  BookDropAndPick();
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_RELEASED);
  Pass(Arrive("L1", "粤B12345", {"TGHU1643396"}));
  SetCustoms("CSQU3054383", v1::CUSTOMS_STATUS_HELD);  // held while the truck was inside
  const v1::Visit out = Arrive("L2", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(out.decision(), v1::DECISION_TROUBLE);
  ASSERT_EQ(out.reasons_size(), 1) << out.DebugString();
  EXPECT_EQ(out.reasons(0).code(), v1::REASON_CODE_CUSTOMS_HOLD);
}

TEST_F(StagesTest, AnotherTruckOrTheSameStageStartsANewVisit) {
  BookDropAndPick();
  const v1::Visit first = Arrive("L1", "粤B12345", {"TGHU1643396"});
  // Same stage again: a new visit (the lane read again), not a continuation.
  EXPECT_NE(Arrive("L1", "粤B12345", {"TGHU1643396"}).visit_id(), first.visit_id());
  // Another plate at the out-gate: its own visit.
  EXPECT_NE(Arrive("L2", "粤B99999", {}).visit_id(), first.visit_id());
}

}  // namespace
}  // namespace yardgate::testing
