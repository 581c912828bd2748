// The gate's rules as invariants of GateCore, with a manual clock, fake lanes and seals, and an
// in-memory store: no SQLite, no gRPC, no sleeps. tests/gate_rules_test.cc proves the same
// rules through the whole server over gRPC.
#include "gate/gate_core.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "gate/memory_store.h"

namespace yardgate::gate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class FakeLanes final : public LaneStatus {
 public:
  absl::Status Ready(const std::string& lane_id) override {
    const auto it = faults_.find(lane_id);
    return it == faults_.end() ? absl::OkStatus() : it->second;
  }
  void Fault(const std::string& lane, const std::string& why) { faults_[lane] = absl::UnavailableError(why); }
  void Clear(const std::string& lane) { faults_.erase(lane); }

 private:
  std::map<std::string, absl::Status> faults_;
};

class FakeSeals final : public SealDirectory {
 public:
  std::vector<SealView> SealsFor(const std::vector<std::string>&, const std::vector<std::string>& containers,
                                 const std::vector<std::string>& seal_ids) override {
    std::vector<SealView> out;
    for (const SealView& s : seals) {
      const bool named = std::find(seal_ids.begin(), seal_ids.end(), s.seal_id) != seal_ids.end();
      const bool on_box = std::any_of(s.containers.begin(), s.containers.end(), [&](const std::string& c) {
        return std::find(containers.begin(), containers.end(), c) != containers.end();
      });
      if (named || on_box) out.push_back(s);
    }
    return out;
  }
  Change OnGateArrival(const std::string&, const std::string&, const std::vector<std::string>&,
                       const std::vector<std::string>&) override {
    ++arrivals;
    return {};
  }
  Change OnGateOpen(const std::string& visit_id, const std::vector<std::string>& seal_ids) override {
    Change change;
    for (const std::string& id : seal_ids) change.effects.push_back(UnlockSeal{id, "dev-" + id, visit_id});
    return change;
  }
  std::vector<SealView> seals;
  int arrivals = 0;
};

const absl::Time kStart = absl::FromUnixSeconds(1'765'000'000);

class GateCoreTest : public ::testing::Test {
 protected:
  GateCoreTest() : clock_(kStart), disk_(std::make_shared<MemoryDisk>()), store_(std::make_unique<MemoryStore>(disk_)) {
    options_.lanes = {{"P1", Direction::kIn, Stage::kPreGate},
                      {"L1", Direction::kIn, Stage::kInGate},
                      {"L3", Direction::kIn, Stage::kInGate},
                      {"L2", Direction::kOut, Stage::kOutGate}};
    core_ = std::make_unique<GateCore>(options_, &clock_, &lanes_, &seals_);
  }

  // Commits a change as the journal would (sequence numbers, logged times) and keeps its events.
  template <class T>
  T Commit(absl::StatusOr<Outcome<T>> out) {
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return T{};
    CommitChange(out->change);
    last_effects_ = out->change.effects;
    return out->result;
  }
  void CommitChange(Change change) {
    for (Event& e : change.events) {
      e.sequence = ++sequence_;
      e.logged_at = clock_.Now();
      change.writes.events.push_back(e);
      events_.push_back(e);
    }
    ASSERT_TRUE(CommitAndWait(*store_, std::move(change.writes)).ok());
  }

  static FieldRead Read(const std::string& text, double confidence = 0.9995) {
    FieldRead r;
    r.text = text;
    r.confidence = confidence;
    r.source = "lane";
    return r;
  }

  Appointment Book(const std::string& id, const std::string& plate, const std::vector<std::string>& boxes,
                   Direction direction = Direction::kIn, TransactionType type = TransactionType::kReceiveExport) {
    Appointment a;
    a.id = id;
    a.plate = plate;
    a.direction = direction;
    for (const std::string& b : boxes) {
      ContainerMove m;
      m.container_number = b;
      m.transaction_type = type;
      a.containers.push_back(m);
    }
    return Commit(core_->UpsertAppointment(a));
  }

  Visit Arrive(const std::string& lane, const std::string& plate, const std::vector<std::string>& boxes,
               double confidence = 0.9995) {
    Arrival arrival;
    arrival.lane_id = lane;
    if (!plate.empty()) arrival.plates.push_back(Read(plate, confidence));
    for (const std::string& b : boxes) arrival.containers.push_back(Read(b, confidence));
    return Commit(core_->SubmitArrival(arrival));
  }

  Visit Pass(const Visit& v, PassageSource source = PassageSource::kKiosk) {
    return Commit(core_->ReportPassage(v.id, source));
  }

  Visit Opened(Visit v) {
    // The lane confirms the open pulse, as the server's effect runner reports it.
    absl::StatusOr<Outcome<std::optional<Visit>>> r =
        core_->RecordBarrierResult({OpenBarrier{v.lane_id, v.id}, absl::OkStatus()});
    return *Commit(std::move(r));
  }

  int Count(const std::vector<Effect>& effects, size_t index) {
    return static_cast<int>(std::count_if(effects.begin(), effects.end(), [&](const Effect& e) { return e.index() == index; }));
  }
  std::vector<ReasonCode> Codes(const Visit& v) {
    std::vector<ReasonCode> codes;
    for (const Reason& r : v.reasons) codes.push_back(r.code);
    return codes;
  }
  template <class P>
  std::vector<Event> EventsOf() {
    std::vector<Event> out;
    for (const Event& e : events_) {
      if (std::holds_alternative<P>(e.payload)) out.push_back(e);
    }
    return out;
  }

  common::ManualClock clock_;
  std::shared_ptr<MemoryDisk> disk_;
  std::unique_ptr<MemoryStore> store_;
  GateOptions options_;
  FakeLanes lanes_;
  FakeSeals seals_;
  std::unique_ptr<GateCore> core_;
  std::vector<Event> events_;
  std::vector<Effect> last_effects_;
  uint64_t sequence_ = 0;
};

constexpr size_t kOpenBarrier = 0, kReleaseAllow = 1, kCloseBarrier = 2, kResetLaneFault = 3, kUnlockSeal = 4;

TEST_F(GateCoreTest, AnAppointedTruckOpensOnceAndItsBarrierIsAskedForOnce) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(v.decision, Verdict::kOpen);
  EXPECT_EQ(v.barrier, BarrierState::kOpenRequested);
  EXPECT_EQ(Count(last_effects_, kOpenBarrier), 1);
  EXPECT_EQ(core_->FindAppointment("A1")->visit_id, v.id);  // its ALLOW, held
}

// Rule 1: the kiosk's report and the closing loop's edge are two reports of one passage.
TEST_F(GateCoreTest, OneOpenLetsOneTruckThroughWhicheverReportComesFirst) {
  for (PassageSource first : {PassageSource::kKiosk, PassageSource::kClosingLoop}) {
    const std::string id = first == PassageSource::kKiosk ? "A1" : "A2";
    Book(id, "粤B12345", {"CSQU3054383"});
    const Visit v = Opened(Arrive("L1", "粤B12345", {"CSQU3054383"}));
    ASSERT_EQ(v.decision, Verdict::kOpen);
    const Visit passed = Pass(v, first);
    EXPECT_TRUE(passed.passed);
    EXPECT_EQ(passed.barrier, BarrierState::kPassed);
    // Only the kiosk's report has to free the lane's ALLOW; the loop's edge already did.
    EXPECT_EQ(Count(last_effects_, kReleaseAllow), first == PassageSource::kKiosk ? 1 : 0);
    EXPECT_TRUE(core_->FindAppointment(id)->used);

    const size_t events_before = events_.size();
    const PassageSource second = first == PassageSource::kKiosk ? PassageSource::kClosingLoop : PassageSource::kKiosk;
    const Visit repeat = Pass(v, second);
    EXPECT_TRUE(repeat.passed);
    EXPECT_THAT(last_effects_, IsEmpty());
    EXPECT_EQ(events_.size(), events_before);  // a repeat logs nothing
  }
  EXPECT_EQ(EventsOf<TruckPassed>().size(), 2u);
}

TEST_F(GateCoreTest, ManyTrucksInARowEachOpenOnce) {
  for (int i = 0; i < 20; ++i) {
    const std::string plate = "粤B1" + std::to_string(1000 + i);
    Book("A" + std::to_string(i), plate, {});
    const Visit v = Opened(Arrive("L1", plate, {}));
    ASSERT_EQ(v.decision, Verdict::kOpen) << i;
    Pass(v);
  }
  EXPECT_EQ(EventsOf<TruckPassed>().size(), 20u);
}

// Rule 2: a barrier that does not open is part of the visit, and the driver is not told to go.
TEST_F(GateCoreTest, ABarrierThatFailsToOpenSendsTheVisitToTheDesk) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  absl::StatusOr<Outcome<std::optional<Visit>>> r = core_->RecordBarrierResult(
      {OpenBarrier{"L1", v.id}, absl::ResourceExhaustedError("lane L1 busy: 2 ALLOW(s) not used up yet")});
  const Visit failed = *Commit(std::move(r));
  EXPECT_EQ(failed.decision, Verdict::kTrouble);
  EXPECT_EQ(failed.barrier, BarrierState::kOpenFailed);
  EXPECT_THAT(Codes(failed), ElementsAre(ReasonCode::kLaneFault));
  EXPECT_EQ(failed.driver_message_en.find("proceed"), std::string::npos) << failed.driver_message_en;
  EXPECT_EQ(core_->FindVisit(v.id)->barrier, BarrierState::kOpenFailed);
  // The event log says so too.
  ASSERT_FALSE(EventsOf<BarrierChanged>().empty());
  EXPECT_FALSE(std::get<BarrierChanged>(EventsOf<BarrierChanged>().back().payload).ok);
  EXPECT_EQ(std::get<VisitDecided>(EventsOf<VisitDecided>().back().payload).decision, Verdict::kTrouble);
  // And no passage can be claimed on it.
  EXPECT_EQ(core_->ReportPassage(v.id, PassageSource::kKiosk).status().code(), absl::StatusCode::kFailedPrecondition);
}

// Rule 3: a used appointment never opens the gate again.
TEST_F(GateCoreTest, AUsedAppointmentNeverOpensAgainEvenWhenReSentUnchanged) {
  const Appointment booked = Book("A1", "粤B12345", {"CSQU3054383"});
  Pass(Opened(Arrive("L1", "粤B12345", {"CSQU3054383"})));
  clock_.Advance(absl::Hours(20));
  // The terminal system re-sends yesterday's pre-advice (with a new idempotency key).
  const Appointment resent = Commit(core_->UpsertAppointment(booked));
  EXPECT_TRUE(resent.used);
  const Visit again = Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(again.decision, Verdict::kTrouble);
  EXPECT_THAT(Codes(again), ElementsAre(ReasonCode::kAppointmentInUse));
  // A changed booking under the used id is refused; a new booking opens.
  Appointment changed = booked;
  changed.containers[0].container_number = "TGHU1643396";
  EXPECT_EQ(core_->UpsertAppointment(changed).status().code(), absl::StatusCode::kFailedPrecondition);
  Book("A2", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(Arrive("L1", "粤B12345", {"CSQU3054383"}).decision, Verdict::kOpen);
}

TEST_F(GateCoreTest, AnAppointmentHeldByAnOpenVisitDoesNotOpenForASecondArrival) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  ASSERT_EQ(Arrive("L1", "粤B12345", {"CSQU3054383"}).decision, Verdict::kOpen);
  const Visit second = Arrive("L3", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(second.decision, Verdict::kTrouble);
  EXPECT_THAT(Codes(second), ElementsAre(ReasonCode::kAppointmentInUse));
}

TEST_F(GateCoreTest, ACancelledAppointmentStaysCancelledWhenReSent) {
  const Appointment a = Book("A1", "粤B12345", {});
  Commit(core_->CancelAppointment("A1"));
  EXPECT_TRUE(Commit(core_->UpsertAppointment(a)).cancelled);
  EXPECT_THAT(Codes(Arrive("L1", "粤B12345", {})), ElementsAre(ReasonCode::kNoAppointment));
}

// Rule 4: a clerk's approval never overrides customs, seals or a lane fault.
TEST_F(GateCoreTest, ApprovalNeverOverridesCustomsSealsOrALaneFault) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  Commit(core_->SetCustomsStatus("CSQU3054383", CustomsStatus::kHeld));
  const Visit held = Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_THAT(Codes(held), ElementsAre(ReasonCode::kCustomsHold));
  ClerkResolution approve{held.id, "clerk-7", ClerkAction::kApprove, "looks fine", "", {}};
  absl::StatusOr<Outcome<Visit>> refused = core_->ResolveTrouble(approve);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("CUSTOMS_HOLD"), std::string::npos) << refused.status();
  // Customs clears it: then the approval has nothing to override and the visit is decided OPEN.
  Commit(core_->SetCustomsStatus("CSQU3054383", CustomsStatus::kReleased));
  EXPECT_EQ(Commit(core_->ResolveTrouble(approve)).decision, Verdict::kOpen);

  Book("A2", "粤B22222", {"TGHU1643396"});
  seals_.seals = {SealView{"EL1", SealCondition::kAlarm, {"rope_cut"}, "粤B22222", {"TGHU1643396"}}};
  const Visit alarm = Arrive("L1", "粤B22222", {"TGHU1643396"});
  ASSERT_THAT(Codes(alarm), ElementsAre(ReasonCode::kSealAlarm));
  EXPECT_EQ(core_->ResolveTrouble({alarm.id, "clerk-7", ClerkAction::kApprove, "", "", {}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  seals_.seals.clear();

  Book("A3", "粤B33333", {});
  lanes_.Fault("L1", "ESTOP: E-stop/fire input active");
  const Visit fault = Arrive("L1", "粤B33333", {});
  ASSERT_THAT(Codes(fault), ElementsAre(ReasonCode::kLaneFault));
  EXPECT_EQ(core_->ResolveTrouble({fault.id, "clerk-7", ClerkAction::kApprove, "", "", {}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(GateCoreTest, ApprovalOverridesReadsWindowAndRiskByDefault) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const Visit unsure = Arrive("L1", "粤B12345", {"CSQU3054383"}, 0.5);
  ASSERT_THAT(Codes(unsure), ElementsAre(ReasonCode::kLowConfidence, ReasonCode::kLowConfidence));
  const Visit approved = Commit(core_->ResolveTrouble({unsure.id, "clerk-7", ClerkAction::kApprove, "plate checked", "", {}}));
  EXPECT_EQ(approved.decision, Verdict::kOpen);
  EXPECT_EQ(approved.decided_by, "clerk-7");
  EXPECT_EQ(Count(last_effects_, kOpenBarrier), 1);
  const std::vector<AuditRecord> audit = *store_->ListAudit({});
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "APPROVE");
  EXPECT_EQ(audit[0].comment, "plate checked");
  EXPECT_NE(audit[0].after.find("overriding LOW_CONFIDENCE"), std::string::npos) << audit[0].after;
}

TEST_F(GateCoreTest, WhichReasonsAClerkMayOverrideIsConfigured) {
  DecisionPolicy strict = options_.policy;
  strict.clerk_overridable = {};
  core_->SetPolicy(strict);
  Book("A1", "粤B12345", {});
  const Visit unsure = Arrive("L1", "粤B12345", {}, 0.5);
  EXPECT_EQ(core_->ResolveTrouble({unsure.id, "clerk-7", ClerkAction::kApprove, "", "", {}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Rule 5: DENY is final; help raises assistance and nothing else.
TEST_F(GateCoreTest, ADenialIsFinalAndTheHelpButtonChangesNothing) {
  Book("A1", "粤B12345", {});
  const Visit unsure = Arrive("L1", "粤B12345", {}, 0.5);
  const Visit denied = Commit(core_->ResolveTrouble({unsure.id, "clerk-7", ClerkAction::kReject, "wrong truck", "", {}}));
  ASSERT_EQ(denied.decision, Verdict::kDeny);
  const std::optional<Visit> helped = Commit(core_->RequestAssistance("L1", denied.id, "please"));
  EXPECT_EQ(helped->decision, Verdict::kDeny);
  EXPECT_EQ(EventsOf<AssistanceRequested>().size(), 1u);
  EXPECT_EQ(core_->ResolveTrouble({denied.id, "clerk-7", ClerkAction::kApprove, "", "", {}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(core_->FindVisit(denied.id)->decision, Verdict::kDeny);
  // The denied truck at the out-gate: the same visit, still denied.
  const Visit out = Arrive("L2", "粤B12345", {});
  EXPECT_EQ(out.id, denied.id);
  EXPECT_EQ(out.decision, Verdict::kDeny);
}

TEST_F(GateCoreTest, EveryDecisionChangeIsAVisitDecidedEvent) {
  Book("A1", "粤B12345", {});
  const Visit unsure = Arrive("L1", "粤B12345", {}, 0.5);
  Commit(core_->ResolveTrouble({unsure.id, "clerk-7", ClerkAction::kApprove, "", "", {}}));
  Commit(core_->RecordBarrierResult({OpenBarrier{"L1", unsure.id}, absl::UnavailableError("PLC down")}));
  const std::vector<Event> decided = EventsOf<VisitDecided>();
  ASSERT_EQ(decided.size(), 3u);
  EXPECT_EQ(std::get<VisitDecided>(decided[0].payload).decision, Verdict::kTrouble);
  EXPECT_EQ(std::get<VisitDecided>(decided[1].payload).decision, Verdict::kOpen);
  EXPECT_EQ(std::get<VisitDecided>(decided[2].payload).decision, Verdict::kTrouble);
  EXPECT_EQ(std::get<VisitDecided>(decided.back().payload).decision, core_->FindVisit(unsure.id)->decision);
}

// Rule 6: a refused call changes nothing, in memory or on disk.
TEST_F(GateCoreTest, ARefusedApprovalChangesNothing) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const Visit unsure = Arrive("L1", "粤B12345", {"CSQU3054384"}, 0.5);  // wrong check digit
  lanes_.Fault("L1", "PLC_UNREACHABLE");
  const int commits = disk_->commits();
  const absl::StatusOr<Outcome<Visit>> refused = core_->ResolveTrouble(
      {unsure.id, "clerk-7", ClerkAction::kApprove, "", "", {"CSQU3054383"}});
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  const Visit now = *core_->FindVisit(unsure.id);
  EXPECT_EQ(now.containers, unsure.containers);  // the reads were not rewritten
  EXPECT_EQ(now.decision, unsure.decision);
  EXPECT_EQ(disk_->commits(), commits);
  EXPECT_EQ(core_->FindAppointment("A1")->visit_id, "");
}

// Rule 7: a truck continues its visit by its plate, not by visit-id order.
TEST_F(GateCoreTest, ATruckContinuesItsOwnVisitWhateverCameInBetween) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const Visit pre = Arrive("P1", "粤B12345", {"CSQU3054383"});
  // Other trucks pass the portal meanwhile.
  for (int i = 0; i < 5; ++i) Arrive("P1", "粤B5000" + std::to_string(i), {});
  const Visit in = Arrive("L1", "粤B12345", {});
  EXPECT_EQ(in.id, pre.id);
  EXPECT_EQ(in.stage, Stage::kInGate);
  ASSERT_EQ(in.containers.size(), 1u);  // the portal's read stands
  EXPECT_EQ(in.decision, Verdict::kOpen);
}

TEST_F(GateCoreTest, ACaptureFarFromTheClockIsRefusedWithAReason) {
  Arrival old;
  old.lane_id = "L1";
  old.captured_at = kStart - absl::Hours(26);
  old.plates.push_back(Read("粤B12345"));
  const absl::StatusOr<Outcome<Visit>> refused = core_->SubmitArrival(old);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("captured_at"), std::string::npos);
  old.captured_at = kStart - absl::Seconds(30);
  EXPECT_TRUE(core_->SubmitArrival(old).ok());
}

TEST_F(GateCoreTest, CustomsHoldingABoxCancelsAnUnusedAllow) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  const Visit v = Arrive("L1", "粤B12345", {"CSQU3054383"});
  ASSERT_EQ(v.decision, Verdict::kOpen);
  Commit(core_->SetCustomsStatus("CSQU3054383", CustomsStatus::kHeld));
  EXPECT_EQ(Count(last_effects_, kCloseBarrier), 1);
  const Visit after = *core_->FindVisit(v.id);
  EXPECT_EQ(after.decision, Verdict::kTrouble);
  EXPECT_EQ(after.barrier, BarrierState::kCancelled);
  EXPECT_EQ(core_->ReportPassage(v.id, PassageSource::kClosingLoop).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(GateCoreTest, OperatorsCancelAnAllowCloseALaneAndResetAFault) {
  Book("A1", "粤B12345", {});
  Book("A2", "粤B22222", {});
  const Visit v1 = Arrive("L1", "粤B12345", {});
  const Visit cancelled = Commit(core_->CancelAllow(v1.id, "clerk-7", "truck turned away"));
  EXPECT_EQ(cancelled.barrier, BarrierState::kCancelled);
  EXPECT_THAT(Codes(cancelled), ElementsAre(ReasonCode::kAllowCancelled));
  EXPECT_EQ(core_->FindAppointment("A1")->visit_id, "");  // the booking is free again
  EXPECT_EQ(core_->CancelAllow(v1.id, "clerk-7", "").status().code(), absl::StatusCode::kFailedPrecondition);

  const Visit v2 = Arrive("L1", "粤B22222", {});
  const std::vector<Visit> closed = Commit(core_->CloseBarrier("L1", "admin", "end of shift"));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].id, v2.id);
  EXPECT_EQ(Count(last_effects_, kCloseBarrier), 1);

  EXPECT_EQ(Commit(core_->ResetLaneFault("L1", "admin", "E-stop cleared")), "L1");
  EXPECT_EQ(Count(last_effects_, kResetLaneFault), 1);
  EXPECT_TRUE(GateCore::AwaitsResult(last_effects_[0]));
  std::vector<std::string> actions;
  const std::vector<AuditRecord> audit = *store_->ListAudit({});
  for (const AuditRecord& a : audit) actions.push_back(a.action);
  EXPECT_THAT(actions, ElementsAre("CANCEL_ALLOW", "CLOSE_BARRIER", "RESET_LANE_FAULT"));
}

TEST_F(GateCoreTest, AVerifiedSealIsUnlockedOnOpenButNotOnAnApproval) {
  Appointment a;
  a.id = "A1";
  a.plate = "粤B12345";
  a.direction = Direction::kIn;
  a.containers.push_back(ContainerMove{"CSQU3054383", TransactionType::kReceiveImport, "", "EL1", false});
  Commit(core_->UpsertAppointment(a));
  seals_.seals = {SealView{"EL1", SealCondition::kArrived, {}, "粤B12345", {"CSQU3054383"}}};
  Arrive("L1", "粤B12345", {"CSQU3054383"});
  EXPECT_EQ(Count(last_effects_, kUnlockSeal), 1);
  EXPECT_EQ(seals_.arrivals, 1);

  a.id = "A2";
  Commit(core_->UpsertAppointment(a));
  const Visit unsure = Arrive("L3", "粤B12345", {"CSQU3054383"}, 0.5);
  ASSERT_EQ(unsure.decision, Verdict::kTrouble);
  Commit(core_->ResolveTrouble({unsure.id, "clerk-7", ClerkAction::kApprove, "", "", {}}));
  EXPECT_EQ(Count(last_effects_, kOpenBarrier), 1);
  EXPECT_EQ(Count(last_effects_, kUnlockSeal), 0);
}

// The state is the records: a core restored from the store knows what the first one knew.
TEST_F(GateCoreTest, ARestoredCoreKnowsWhatTheStoreHolds) {
  Book("A1", "粤B12345", {"CSQU3054383"});
  Commit(core_->SetCustomsStatus("CSQU3054383", CustomsStatus::kReleased));
  const Visit passed = Pass(Opened(Arrive("L1", "粤B12345", {"CSQU3054383"})));
  Book("A2", "粤B22222", {});
  const Visit waiting = Arrive("L1", "粤B22222", {});  // OPEN, never confirmed: the server stops

  GateCore restored(options_, &clock_, &lanes_, &seals_);
  Change recovery = restored.Restore(*store_->Load(kStart - absl::Hours(72)));
  EXPECT_TRUE(restored.FindAppointment("A1")->used);
  EXPECT_EQ(restored.FindVisit(passed.id)->appointment_id, "A1");
  // The unconfirmed open is not carried out after a restart: the visit goes to the desk.
  ASSERT_EQ(recovery.writes.visits.size(), 1u);
  EXPECT_EQ(recovery.writes.visits[0].id, waiting.id);
  EXPECT_EQ(restored.FindVisit(waiting.id)->barrier, BarrierState::kOpenFailed);
  // New visits continue the numbering; the truck at the out-gate continues its visit.
  core_ = nullptr;
  const absl::StatusOr<Outcome<Visit>> out = restored.SubmitArrival(
      Arrival{"L2", absl::InfinitePast(), {Read("粤B12345")}, {}, {}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->result.id, passed.id);
}

}  // namespace
}  // namespace yardgate::gate
