// The Store contract (store.h), checked on whichever backend instantiates the suite.
#include "gate/store_conformance.h"

#include <gmock/gmock.h>

namespace yardgate::gate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'765'000'000);

Visit MakeVisit(const std::string& id, const std::string& lane, absl::Time at) {
  Visit v;
  v.id = id;
  v.lane_id = lane;
  v.direction = Direction::kIn;
  v.stage = Stage::kInGate;
  v.arrived_at = at;
  v.plate = FieldRead{"粤B12345", 0.97, "ocr", false, true, "position 3 settled", "unsure of position 3"};
  v.other_plates.push_back(FieldRead{"LV1234", 0.9, "ocr", false, false, "", ""});
  v.containers.push_back(FieldRead{"CSQU3054383", 0.95, "ocr", true, false, "", ""});
  v.decision = Verdict::kTrouble;
  v.reasons.push_back({ReasonCode::kLowConfidence, "粤B12345", "unsure"});
  v.appointment_id = "A1";
  v.driver_message_zh = "请稍候";
  v.driver_message_en = "wait";
  v.decided_by = "gate";
  v.transactions.push_back({"CSQU3054383", TransactionType::kReceiveExport, true, true});
  v.stages.push_back({Stage::kInGate, lane, at, Verdict::kTrouble});
  v.barrier = BarrierState::kOpenFailed;
  v.barrier_detail = "busy";
  v.assistance_requested = true;
  return v;
}

Appointment MakeAppointment(const std::string& id) {
  Appointment a;
  a.id = id;
  a.plate = "粤B12345";
  a.second_plate = "LV1234";
  a.direction = Direction::kIn;
  a.containers.push_back({"CSQU3054383", TransactionType::kReceiveEmpty, "22G1", "EL1", true});
  a.window_start = kT0;
  a.window_end = kT0 + absl::Hours(2);
  a.company = "HAULCO";
  a.used = true;
  a.visit_id = "V0000000001";
  a.updated_at = kT0;
  return a;
}

Event MakeEvent(uint64_t sequence, EventPayload payload) {
  Event e;
  e.sequence = sequence;
  e.logged_at = kT0 + absl::Microseconds(static_cast<int64_t>(sequence));
  e.lane_id = "L1";
  e.visit_id = "V0000000001";
  e.payload = std::move(payload);
  return e;
}

void ExpectSameVisit(const Visit& a, const Visit& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.lane_id, b.lane_id);
  EXPECT_EQ(a.direction, b.direction);
  EXPECT_EQ(a.stage, b.stage);
  EXPECT_EQ(a.arrived_at, b.arrived_at);
  EXPECT_EQ(a.plate, b.plate);
  EXPECT_EQ(a.other_plates, b.other_plates);
  EXPECT_EQ(a.containers, b.containers);
  EXPECT_EQ(a.decision, b.decision);
  EXPECT_EQ(a.reasons, b.reasons);
  EXPECT_EQ(a.appointment_id, b.appointment_id);
  EXPECT_EQ(a.driver_message_zh, b.driver_message_zh);
  EXPECT_EQ(a.decided_by, b.decided_by);
  EXPECT_EQ(a.transactions, b.transactions);
  EXPECT_EQ(a.stages, b.stages);
  EXPECT_EQ(a.barrier, b.barrier);
  EXPECT_EQ(a.barrier_detail, b.barrier_detail);
  EXPECT_EQ(a.assistance_requested, b.assistance_requested);
  EXPECT_EQ(a.completed, b.completed);
}

TEST_P(StoreConformanceTest, EveryRecordKindComesBackAfterAReopen) {
  WriteBatch batch;
  batch.visits.push_back(MakeVisit("V0000000001", "L1", kT0));
  batch.frames.push_back({"V0000000001", "FRONT:cam1", std::string("\xff\xd8jpeg\0bytes", 12)});
  batch.appointments.push_back(MakeAppointment("A1"));
  batch.customs.push_back({"CSQU3054383", CustomsStatus::kHeld, kT0});
  batch.audit.push_back({0, kT0, "clerk-7", "APPROVE", "V0000000001", "before", "after", "ok"});
  batch.events.push_back(MakeEvent(1, VisitDecided{Verdict::kTrouble, {{ReasonCode::kNoPlate, "", "x"}}, "粤B12345",
                                                   {"CSQU3054383"}, "A1", "gate"}));
  batch.events.push_back(MakeEvent(2, SealChanged{"EL1", SealStateCode::kArrived, SealStateCode::kVerified, "gate",
                                                  "gate", false, "visit V1"}));
  batch.idempotency.push_back({"k1", "SubmitArrival", "abc", "bytes", false, "V0000000001", kT0});
  batch.blobs.push_back({"seal", "EL1", "seal-bytes", false});
  batch.positions.push_back({"13800000001", "EL1", kT0, 22.57, 114.27, "report"});
  ASSERT_TRUE(CommitAndWait(*store_, batch).ok());
  Reopen();

  const std::optional<Visit> visit = *store_->GetVisit("V0000000001");
  ASSERT_TRUE(visit.has_value());
  ExpectSameVisit(*visit, batch.visits[0]);
  const std::vector<EvidenceFrame> frames = *store_->GetFrames("V0000000001");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].image, batch.frames[0].image);
  EXPECT_EQ(frames[0].camera, "FRONT:cam1");

  const StoredState state = *store_->Load(kT0 - absl::Hours(1));
  ASSERT_EQ(state.appointments.size(), 1u);
  const Appointment& a = state.appointments[0];
  EXPECT_TRUE(a.SameBooking(batch.appointments[0]));
  EXPECT_TRUE(a.used);
  EXPECT_EQ(a.visit_id, "V0000000001");
  ASSERT_EQ(state.customs.size(), 1u);
  EXPECT_EQ(state.customs[0].status, CustomsStatus::kHeld);
  EXPECT_EQ(state.last_sequence, 2u);
  EXPECT_EQ(state.last_logged_at, batch.events[1].logged_at);
  EXPECT_EQ(state.last_visit_id, "V0000000001");
  ASSERT_EQ(state.idempotency.size(), 1u);
  EXPECT_EQ(state.idempotency[0], batch.idempotency[0]);
  ASSERT_EQ(state.blobs.size(), 1u);
  EXPECT_EQ(state.blobs[0], batch.blobs[0]);

  std::vector<Event> events;
  ASSERT_TRUE(store_->ReadEvents(0, 10, &events).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].sequence, 1u);
  EXPECT_EQ(events[0].logged_at, batch.events[0].logged_at);
  const auto& decided = std::get<VisitDecided>(events[0].payload);
  EXPECT_EQ(decided.plate, "粤B12345");
  EXPECT_EQ(decided.reasons[0].code, ReasonCode::kNoPlate);
  const auto& seal = std::get<SealChanged>(events[1].payload);
  EXPECT_EQ(seal.to, SealStateCode::kVerified);

  const std::vector<AuditRecord> audit = *store_->ListAudit({});
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_GT(audit[0].id, 0);
  EXPECT_EQ(audit[0].comment, "ok");
  const std::vector<PositionRecord> trail = *store_->ListPositions("13800000001", 10);
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0], batch.positions[0]);
  EXPECT_EQ((*store_->GetIdempotency("k1"))->response, "bytes");
  EXPECT_FALSE((*store_->GetIdempotency("k2")).has_value());
}

TEST_P(StoreConformanceTest, EventsReadBackInSequenceOrderFromAnyCursor) {
  for (uint64_t s = 1; s <= 10; ++s) {
    WriteBatch b;
    b.events.push_back(MakeEvent(s, TruckPassed{Direction::kIn, "kiosk"}));
    ASSERT_TRUE(CommitAndWait(*store_, b).ok());
  }
  std::vector<Event> events;
  ASSERT_TRUE(store_->ReadEvents(4, 3, &events).ok());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].sequence, 5u);
  EXPECT_EQ(events[2].sequence, 7u);
  events.clear();
  ASSERT_TRUE(store_->ReadEvents(10, 5, &events).ok());
  EXPECT_THAT(events, IsEmpty());
}

TEST_P(StoreConformanceTest, VisitsPageByIdAndFilterByLane) {
  WriteBatch b;
  for (int i = 1; i <= 5; ++i) {
    b.visits.push_back(MakeVisit("V000000000" + std::to_string(i), i % 2 ? "L1" : "L2", kT0));
  }
  ASSERT_TRUE(CommitAndWait(*store_, b).ok());
  const std::vector<Visit> page = *store_->ListVisits({"", "V0000000002", 2});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, "V0000000003");
  EXPECT_EQ(page[1].id, "V0000000004");
  std::vector<std::string> l1;
  const std::vector<Visit> visits = *store_->ListVisits({"L1", "", 10});
  for (const Visit& v : visits) l1.push_back(v.id);
  EXPECT_THAT(l1, ElementsAre("V0000000001", "V0000000003", "V0000000005"));
}

TEST_P(StoreConformanceTest, LoadKeepsOpenAndRecentVisitsAndOpenTroubleOfAnyAge) {
  WriteBatch b;
  Visit old_done = MakeVisit("V0000000001", "L1", kT0 - absl::Hours(100));
  old_done.decision = Verdict::kOpen;
  old_done.passed = true;
  Visit old_trouble = MakeVisit("V0000000002", "L1", kT0 - absl::Hours(100));
  Visit recent = MakeVisit("V0000000003", "L1", kT0);
  recent.decision = Verdict::kOpen;
  Visit completed = MakeVisit("V0000000004", "L1", kT0);
  completed.decision = Verdict::kOpen;
  completed.passed = true;
  completed.completed = true;
  b.visits = {old_done, old_trouble, recent, completed};
  b.idempotency.push_back({"old", "M", "h", "r", false, "", kT0 - absl::Hours(100)});
  b.idempotency.push_back({"new", "M", "h", "r", false, "", kT0});
  ASSERT_TRUE(CommitAndWait(*store_, b).ok());
  const StoredState state = *store_->Load(kT0 - absl::Hours(72));
  std::vector<std::string> ids;
  for (const Visit& v : state.visits) ids.push_back(v.id);
  EXPECT_THAT(ids, ElementsAre("V0000000002", "V0000000003"));
  ASSERT_EQ(state.idempotency.size(), 1u);
  EXPECT_EQ(state.idempotency[0].key, "new");
  EXPECT_EQ(state.last_visit_id, "V0000000004");
}

TEST_P(StoreConformanceTest, LaterWritesReplaceEarlierOnesAndBlobsCanBeErased) {
  WriteBatch first;
  first.visits.push_back(MakeVisit("V0000000001", "L1", kT0));
  first.blobs.push_back({"seal", "EL1", "v1", false});
  first.blobs.push_back({"seal", "EL2", "v1", false});
  ASSERT_TRUE(CommitAndWait(*store_, first).ok());
  WriteBatch second;
  Visit v = first.visits[0];
  v.decision = Verdict::kOpen;
  v.reasons.clear();
  second.visits.push_back(v);
  second.blobs.push_back({"seal", "EL1", "v2", false});
  second.blobs.push_back({"seal", "EL2", "", true});
  ASSERT_TRUE(CommitAndWait(*store_, second).ok());
  EXPECT_EQ((*store_->GetVisit("V0000000001"))->decision, Verdict::kOpen);
  const StoredState state = *store_->Load(kT0 - absl::Hours(1));
  ASSERT_EQ(state.blobs.size(), 1u);
  EXPECT_EQ(state.blobs[0].body, "v2");
}

TEST_P(StoreConformanceTest, FramesOfAContinuedVisitFollowTheEarlierOnes) {
  WriteBatch a, b;
  a.frames.push_back({"V0000000001", "A", "1"});
  b.frames.push_back({"V0000000001", "B", "2"});
  b.frames.push_back({"V0000000001", "C", "3"});
  ASSERT_TRUE(CommitAndWait(*store_, a).ok());
  ASSERT_TRUE(CommitAndWait(*store_, b).ok());
  std::vector<std::string> cameras;
  const std::vector<EvidenceFrame> frames = *store_->GetFrames("V0000000001");
  for (const EvidenceFrame& f : frames) cameras.push_back(f.camera);
  EXPECT_THAT(cameras, ElementsAre("A", "B", "C"));
}

TEST_P(StoreConformanceTest, AuditIdsGrowAndFilter) {
  WriteBatch b;
  b.audit.push_back({0, kT0, "clerk-7", "APPROVE", "V1", "", "", ""});
  b.audit.push_back({0, kT0, "clerk-8", "REJECT", "V2", "", "", ""});
  b.audit.push_back({0, kT0, "clerk-7", "CORRECT", "V2", "", "", ""});
  ASSERT_TRUE(CommitAndWait(*store_, b).ok());
  const std::vector<AuditRecord> all = *store_->ListAudit({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_LT(all[0].id, all[1].id);
  EXPECT_LT(all[1].id, all[2].id);
  EXPECT_EQ((*store_->ListAudit({"V2", "", 0, 10})).size(), 2u);
  EXPECT_EQ((*store_->ListAudit({"", "clerk-7", 0, 10})).size(), 2u);
  EXPECT_EQ((*store_->ListAudit({"", "", all[0].id, 10})).size(), 2u);
}

// A batch is all or nothing, and one that fails poisons the store: what was queued after it
// fails unwritten, until Recover().
TEST_P(StoreConformanceTest, AFailedBatchWritesNothingAndPoisonsTheStoreUntilRecovered) {
  WriteBatch first;
  first.events.push_back(MakeEvent(1, TruckPassed{}));
  ASSERT_TRUE(CommitAndWait(*store_, first).ok());

  WriteBatch clash;  // sequence 1 again: the store must refuse it whole
  clash.visits.push_back(MakeVisit("V0000000009", "L1", kT0));
  clash.events.push_back(MakeEvent(1, TruckPassed{}));
  EXPECT_FALSE(CommitAndWait(*store_, clash).ok());
  EXPECT_FALSE((*store_->GetVisit("V0000000009")).has_value());

  WriteBatch after;
  after.visits.push_back(MakeVisit("V0000000010", "L1", kT0));
  EXPECT_FALSE(CommitAndWait(*store_, after).ok());
  EXPECT_FALSE((*store_->GetVisit("V0000000010")).has_value());

  ASSERT_TRUE(store_->Recover().ok());
  EXPECT_TRUE(CommitAndWait(*store_, after).ok());
  EXPECT_TRUE((*store_->GetVisit("V0000000010")).has_value());
}

TEST_P(StoreConformanceTest, CommitAfterCloseFailsAtOnce) {
  store_->Close();
  EXPECT_FALSE(CommitAndWait(*store_, WriteBatch{}).ok());
}

}  // namespace
}  // namespace yardgate::gate
