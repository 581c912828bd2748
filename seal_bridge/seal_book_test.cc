#include "seal_bridge/seal_book.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace yardgate::seal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1790000000);
absl::Time At(int s) { return kT0 + absl::Seconds(s); }

// Yard: a square around 22.50..22.52 N, 113.90..113.92 E.
SealBookOptions YardOptions() {
  SealBookOptions o;
  YardArea yard;
  yard.name = "yard";
  yard.polygon = {{22.50, 113.90}, {22.50, 113.92}, {22.52, 113.92}, {22.52, 113.90}};
  o.yard_areas.push_back(yard);
  o.departure_radius_m = 200;
  o.signal_lost_after = absl::Minutes(10);
  return o;
}

ApplySealRequest ElockApply(const std::string& seal = "JT-0001", const std::string& device = "13800000001") {
  ApplySealRequest r;
  r.seal_id = seal;
  r.kind = SealKind::kGpsElock;
  r.container_numbers = {"CSQU 305438-3"};
  r.plate = "粤B 12345";
  r.device_id = device;
  r.officer_id = "officer-7";
  r.place = "Origin depot";
  r.time = At(0);
  r.position = GeoPoint{22.70, 114.10};
  return r;
}

DeviceReport Report(double lat, double lon, int t, const std::string& device = "13800000001") {
  DeviceReport r;
  r.device_id = device;
  r.time = r.received = At(t);
  r.position_valid = true;
  r.latitude = lat;
  r.longitude = lon;
  r.lock_state = LockState::kLocked;
  return r;
}

std::vector<std::string> Causes(const SealChange& c) {
  std::vector<std::string> out;
  for (const auto& t : c.transitions) out.push_back(t.cause);
  return out;
}

TEST(SealBookTest, FullLifecycleFromApplyToRemoval) {
  SealBook book(YardOptions());
  SealChange c = book.Apply(ElockApply());
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].from, SealState::kNone);
  EXPECT_EQ(c.transitions[0].to, SealState::kApplied);
  EXPECT_EQ(c.seals[0].container_numbers, std::vector<std::string>{"CSQU3054383"});

  // Still at the depot: no move.
  DeviceReportOutcome o = book.OnDeviceReport(Report(22.7005, 114.1005, 10));
  EXPECT_TRUE(o.bound);
  EXPECT_EQ(o.seal_id, "JT-0001");
  EXPECT_THAT(o.change.transitions, IsEmpty());
  // Leaves: IN_TRANSIT on the first report beyond 200 m.
  o = book.OnDeviceReport(Report(22.69, 114.09, 60));
  ASSERT_EQ(o.change.transitions.size(), 1u);
  EXPECT_EQ(o.change.transitions[0].from, SealState::kApplied);
  EXPECT_EQ(o.change.transitions[0].to, SealState::kInTransit);
  EXPECT_EQ(o.change.transitions[0].cause, "departed");
  EXPECT_EQ(o.change.transitions[0].source, "13800000001");
  // On the road.
  o = book.OnDeviceReport(Report(22.60, 114.00, 600));
  EXPECT_THAT(o.change.transitions, IsEmpty());
  // Enters the yard polygon: ARRIVED.
  o = book.OnDeviceReport(Report(22.51, 113.91, 1200));
  ASSERT_EQ(o.change.transitions.size(), 1u);
  EXPECT_EQ(o.change.transitions[0].to, SealState::kArrived);
  EXPECT_EQ(o.change.transitions[0].cause, "geofence");
  // The gate decision verifies.
  c = book.Verify("JT-0001", "gate", At(1300), "visit V-1");
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(c.seals[0].state, SealState::kVerified);
  // Unlock goes out for a verified seal.
  UnlockDecision d = book.AuthorizeUnlock({"JT-0001", "gate", false, "gate decision", At(1301)});
  ASSERT_TRUE(d.change.status.ok());
  EXPECT_TRUE(d.needs_device);
  EXPECT_EQ(d.device_id, "13800000001");
  EXPECT_THAT(Causes(d.change), ElementsAre("unlock_authorized"));
  c = book.OnUnlockResult("JT-0001", UnlockOutcome::kAcknowledged, "P43 ok", At(1302));
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].to, SealState::kUnlocked);
  // The lock's own report of being open changes nothing more.
  DeviceReport open = Report(22.51, 113.91, 1303);
  open.lock_state = LockState::kUnlocked;
  o = book.OnDeviceReport(open);
  EXPECT_THAT(o.change.transitions, IsEmpty());
  c = book.ReportEvent({"JT-0001", SealEventKind::kRemoved, "officer-9", "", At(1400)});
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(c.seals[0].state, SealState::kRemoved);
  // The device is free again: its reports are unbound.
  EXPECT_FALSE(book.OnDeviceReport(Report(22.51, 113.91, 1500)).bound);
}

TEST(SealBookTest, RefusedTransitionsAreFailedPreconditionAndLogged) {
  SealBook book(YardOptions());
  ASSERT_TRUE(book.Apply(ElockApply()).status.ok());
  SealChange c = book.Verify("JT-0001", "gate", At(5));
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(c.status.message()), ::testing::HasSubstr("APPLIED"));
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_TRUE(c.transitions[0].refused);
  EXPECT_EQ(c.transitions[0].from, SealState::kApplied);
  EXPECT_EQ(c.transitions[0].to, SealState::kVerified);
  EXPECT_EQ(c.transitions[0].source, "gate");
  EXPECT_EQ(book.Get("JT-0001")->state, SealState::kApplied);

  UnlockDecision d = book.AuthorizeUnlock({"JT-0001", "gate", false, "", At(6)});
  EXPECT_EQ(d.change.status.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(d.change.transitions.size(), 1u);
  EXPECT_TRUE(d.change.transitions[0].refused);
  // An officer without the role is refused too; with it, allowed.
  EXPECT_FALSE(book.AuthorizeUnlock({"JT-0001", "officer-7", false, "", At(7)}).change.status.ok());
  EXPECT_TRUE(book.AuthorizeUnlock({"JT-0001", "officer-7", true, "inspection", At(8)}).change.status.ok());

  c = book.ReportEvent({"JT-0001", SealEventKind::kRemoved, "officer-7", "", At(9)});
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition);
  c = book.ReportEvent({"JT-0001", SealEventKind::kAlarmCleared, "officer-7", "", At(9)});
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition);
  c = book.Apply(ElockApply());
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(c.transitions.at(0).refused);
  c = book.Apply(ElockApply("JT-0002"));  // same device, other seal
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(c.status.message()), ::testing::HasSubstr("bound to seal JT-0001"));
  EXPECT_EQ(book.Verify("nope", "gate", At(1)).status.code(), absl::StatusCode::kNotFound);
  ApplySealRequest no_device = ElockApply("JT-0003", "");
  EXPECT_EQ(book.Apply(no_device).status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(book.ReportEvent({"JT-0001", SealEventKind::kBroken, "", "", At(1)}).status.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(book.ReportEvent({"JT-0001", static_cast<SealEventKind>(0), "officer-7", "", At(1)}).status.code(),
            absl::StatusCode::kInvalidArgument);
  ApplySealRequest unknown_kind = ElockApply("JT-0004", "13800000004");
  unknown_kind.kind = static_cast<SealKind>(0);
  EXPECT_EQ(book.Apply(unknown_kind).status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(SealBookTest, AlarmsFromEveryArmedStateEdgeTriggeredAndCleared) {
  SealBook book(YardOptions());
  ASSERT_TRUE(book.Apply(ElockApply()).status.ok());
  book.OnDeviceReport(Report(22.69, 114.09, 60));  // IN_TRANSIT
  DeviceReport cut = Report(22.68, 114.08, 120);
  cut.seal_alarms = {"rope_cut"};
  DeviceReportOutcome o = book.OnDeviceReport(cut);
  ASSERT_EQ(o.change.transitions.size(), 1u);
  EXPECT_EQ(o.change.transitions[0].from, SealState::kInTransit);
  EXPECT_EQ(o.change.transitions[0].to, SealState::kAlarm);
  EXPECT_EQ(o.change.transitions[0].cause, "rope_cut");
  // The same level again: nothing new.
  cut.time = cut.received = At(121);
  EXPECT_THAT(book.OnDeviceReport(cut).change.transitions, IsEmpty());
  // A second alarm is added (ALARM -> ALARM event).
  cut.seal_alarms = {"rope_cut", "shell_opened"};
  o = book.OnDeviceReport(cut);
  ASSERT_EQ(o.change.transitions.size(), 1u);
  EXPECT_EQ(o.change.transitions[0].from, SealState::kAlarm);
  EXPECT_EQ(o.change.transitions[0].to, SealState::kAlarm);
  EXPECT_THAT(book.Get("JT-0001")->open_alarms, ElementsAre("rope_cut", "shell_opened"));
  // Verification is refused while alarmed; the gate arrival too.
  EXPECT_FALSE(book.Verify("JT-0001", "gate", At(130)).status.ok());
  SealChange g = book.OnGateArrival({"gate:IN-1", "粤B12345", {}, At(131)});
  EXPECT_EQ(g.status.code(), absl::StatusCode::kFailedPrecondition);
  // The officer clears: back to IN_TRANSIT.
  SealChange c = book.ReportEvent({"JT-0001", SealEventKind::kAlarmCleared, "officer-7", "rope replaced", At(140)});
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(c.seals[0].state, SealState::kInTransit);
  EXPECT_THAT(c.seals[0].open_alarms, IsEmpty());
  // The device still reports the same level: not re-raised (edge-triggered).
  EXPECT_THAT(book.OnDeviceReport(cut).change.transitions, IsEmpty());

  // ALARM is reachable from ARRIVED and VERIFIED as well.
  ASSERT_TRUE(book.OnGateArrival({"gate:IN-1", "", {"CSQU3054383"}, At(200)}).status.ok());
  SealChange t = book.ReportEvent({"JT-0001", SealEventKind::kTampered, "officer-7", "", At(201)});
  EXPECT_EQ(t.transitions.at(0).from, SealState::kArrived);
  book.ReportEvent({"JT-0001", SealEventKind::kAlarmCleared, "officer-7", "", At(202)});
  ASSERT_TRUE(book.Verify("JT-0001", "officer-7", At(203)).status.ok());
  // Verified by an officer, not by the gate decision: the gate may not unlock it.
  UnlockDecision gate_unlock = book.AuthorizeUnlock({"JT-0001", "gate", false, "", At(203)});
  EXPECT_EQ(gate_unlock.change.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(gate_unlock.change.status.message()), ::testing::HasSubstr("gate decision"));
  t = book.ReportEvent({"JT-0001", SealEventKind::kBroken, "officer-7", "", At(204)});
  EXPECT_EQ(t.transitions.at(0).from, SealState::kVerified);
  EXPECT_EQ(t.transitions.at(0).to, SealState::kAlarm);
}

TEST(SealBookTest, UnboundReportsAreReturnedNotDropped) {
  SealBook book(YardOptions());
  DeviceReportOutcome o = book.OnDeviceReport(Report(22.5, 113.9, 1, "19999999999"));
  EXPECT_FALSE(o.bound);
  EXPECT_TRUE(o.seal_id.empty());
}

TEST(SealBookTest, GateArrivalByPlateOrContainerForSealsWithoutDevice) {
  SealBook book(YardOptions());
  ApplySealRequest mech;
  mech.seal_id = "ISO17712-H-000123";
  mech.kind = SealKind::kMechanical;
  mech.container_numbers = {"MSCU1234566"};
  mech.plate = "AB-123-CD";
  mech.officer_id = "officer-1";
  mech.time = At(0);
  ASSERT_TRUE(book.Apply(mech).status.ok());
  EXPECT_EQ(book.OnGateArrival({"gate:IN-2", "ZZ999", {}, At(5)}).status.code(), absl::StatusCode::kNotFound);
  SealChange c = book.OnGateArrival({"gate:IN-2", "ab 123 cd", {}, At(10)});
  ASSERT_TRUE(c.status.ok()) << c.status;
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].from, SealState::kApplied);
  EXPECT_EQ(c.transitions[0].to, SealState::kArrived);
  EXPECT_EQ(c.transitions[0].source, "gate:IN-2");
  // A second arrival is not an event.
  EXPECT_THAT(book.OnGateArrival({"gate:IN-2", "", {"MSCU1234566"}, At(11)}).transitions, IsEmpty());
  ASSERT_TRUE(book.Verify(mech.seal_id, "gate", At(12)).status.ok());
  UnlockDecision d = book.AuthorizeUnlock({mech.seal_id, "gate", false, "", At(13)});
  ASSERT_TRUE(d.change.status.ok());
  EXPECT_FALSE(d.needs_device);
  EXPECT_TRUE(book.ReportEvent({mech.seal_id, SealEventKind::kRemoved, "officer-1", "cut", At(14)}).status.ok());
}

TEST(SealBookTest, LockOpenedWithoutAuthorisationIsTamper) {
  SealBook book(YardOptions());
  ASSERT_TRUE(book.Apply(ElockApply()).status.ok());
  DeviceReport open = Report(22.7, 114.1, 10);
  open.lock_state = LockState::kUnlocked;
  DeviceReportOutcome o = book.OnDeviceReport(open);
  ASSERT_EQ(o.change.transitions.size(), 1u);
  EXPECT_EQ(o.change.transitions[0].to, SealState::kAlarm);
  EXPECT_EQ(o.change.transitions[0].cause, "lock_opened");
  EXPECT_THAT(book.Get("JT-0001")->open_alarms, ElementsAre("tamper"));
}

TEST(SealBookTest, UnlockFailuresAreRefusedEventsAndAuthorisationIsOneShot) {
  SealBook book(YardOptions());
  ASSERT_TRUE(book.Apply(ElockApply()).status.ok());
  book.OnGateArrival({"gate:IN-1", "粤B12345", {}, At(1)});
  book.Verify("JT-0001", "gate", At(2));
  ASSERT_TRUE(book.AuthorizeUnlock({"JT-0001", "gate", false, "", At(3)}).change.status.ok());
  SealChange c = book.OnUnlockResult("JT-0001", UnlockOutcome::kExpired, "no confirmation", At(8));
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_TRUE(c.transitions[0].refused);
  EXPECT_EQ(c.transitions[0].cause, "unlock_EXPIRED");
  EXPECT_EQ(c.seals[0].state, SealState::kVerified);
  EXPECT_FALSE(c.seals[0].unlock_authorized);
  // A late acknowledgement with no authorisation pending is suspicious.
  c = book.OnUnlockResult("JT-0001", UnlockOutcome::kAcknowledged, "late", At(9));
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.seals[0].state, SealState::kAlarm);
}

TEST(SealBookTest, SignalLost) {
  SealBook book(YardOptions());
  ASSERT_TRUE(book.Apply(ElockApply()).status.ok());
  book.OnDeviceReport(Report(22.69, 114.09, 60));
  EXPECT_THAT(book.CheckSignal(At(60) + absl::Minutes(5)).transitions, IsEmpty());
  SealChange c = book.CheckSignal(At(60) + absl::Minutes(11));
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].cause, "signal_lost");
  EXPECT_EQ(c.transitions[0].to, SealState::kAlarm);
  EXPECT_THAT(book.CheckSignal(At(60) + absl::Minutes(30)).transitions, IsEmpty());
}

TEST(SealBookTest, RestoreFromPersistedRecords) {
  SealBook book(YardOptions());
  ASSERT_TRUE(book.Apply(ElockApply()).status.ok());
  book.OnDeviceReport(Report(22.69, 114.09, 60));
  std::vector<SealRecord> saved = book.All();
  SealBook restored(YardOptions());
  ASSERT_TRUE(restored.Restore(saved).ok());
  std::optional<SealRecord> r = restored.Get("JT-0001");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, SealState::kInTransit);
  EXPECT_EQ(restored.FindByDevice("13800000001")->seal_id, "JT-0001");
  DeviceReportOutcome o = restored.OnDeviceReport(Report(22.51, 113.91, 900));
  ASSERT_EQ(o.change.transitions.size(), 1u);
  EXPECT_EQ(o.change.transitions[0].to, SealState::kArrived);
  saved.push_back(saved[0]);
  EXPECT_EQ(restored.Restore(saved).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SealBookTest, YardAreas) {
  YardArea circle;
  circle.center = {22.5, 113.9};
  circle.radius_m = 500;
  EXPECT_TRUE(circle.Contains({22.503, 113.9}));
  EXPECT_FALSE(circle.Contains({22.51, 113.9}));
  YardArea poly = YardOptions().yard_areas[0];
  EXPECT_TRUE(poly.Contains({22.51, 113.91}));
  EXPECT_FALSE(poly.Contains({22.53, 113.91}));
  EXPECT_NEAR(DistanceMeters({0, 0}, {0, 1}), 111195, 10);
}

TEST(SealBookTest, ConcurrentReportsAreSafe) {
  SealBook book(YardOptions());
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(book.Apply(ElockApply("S" + std::to_string(i), "D" + std::to_string(i))).status.ok());
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&book, i] {
      for (int k = 0; k < 500; ++k) {
        book.OnDeviceReport(Report(22.7 - k * 0.001, 113.91, k, "D" + std::to_string(i)));
        book.Get("S" + std::to_string((i + 1) % 8));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const SealRecord& r : book.All()) EXPECT_EQ(r.state, SealState::kArrived) << r.seal_id;
}

}  // namespace
}  // namespace yardgate::seal
