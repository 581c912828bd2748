// End to end without gRPC: seals applied in a SealBook, their e-locks (simulated) reporting
// over real loopback TCP to a Jt808Gateway whose listener feeds the book; the seal leaves,
// enters the yard area, is verified by the gate and unlocked through the gateway. This is
// the wiring yardgate-server does, minus the store and the gRPC services.
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "seal_bridge/elock_simulator.h"
#include "seal_bridge/jt808_gateway.h"
#include "seal_bridge/seal_book.h"

namespace yardgate::seal {
namespace {

// Feeds device reports into the book. Non-blocking: SealBook is in-memory.
class BridgeListener : public DeviceListener {
 public:
  explicit BridgeListener(SealBook* book) : book_(book) {}
  // The server stores the code first; here memory is the store.
  void OnAuthCodeIssued(const KnownTerminal&, StoredCallback stored) override { stored(absl::OkStatus()); }
  void OnReport(const DeviceReport& r) override {
    DeviceReportOutcome o = book_->OnDeviceReport(r);
    absl::MutexLock lock(&mu_);
    if (!o.bound) unbound_.push_back(r.device_id);
    for (const auto& t : o.change.transitions) events_.push_back(t);
  }
  void Record(const SealChange& c) {
    absl::MutexLock lock(&mu_);
    for (const auto& t : c.transitions) events_.push_back(t);
  }
  std::vector<SealTransition> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  size_t unbound() {
    absl::MutexLock lock(&mu_);
    return unbound_.size();
  }

 private:
  SealBook* const book_;
  absl::Mutex mu_;
  std::vector<SealTransition> events_;
  std::vector<std::string> unbound_;
};

bool WaitState(const SealBook& book, const std::string& id, SealState want,
               absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::optional<SealRecord> r = book.Get(id);
    if (r && r->state == want) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

TEST(SealBridgeEndToEndTest, AppliedReportedArrivedVerifiedUnlocked) {
  SealBookOptions bo;
  YardArea yard;
  yard.name = "yard";
  yard.polygon = {{22.546, 113.956}, {22.546, 113.975}, {22.565, 113.975}, {22.565, 113.956}};
  bo.yard_areas = {yard};
  SealBook book(bo);
  BridgeListener listener(&book);
  ElockSimulatorOptions so;
  so.devices = 3;  // 0 -> seal A, 1 -> seal B, 2 -> bound to nothing (an admin registered it)
  Jt808GatewayOptions go;
  go.listen = "127.0.0.1:0";
  go.lock_families["jointech"].unlock_password = "e2e-pw";
  for (int i = 0; i < so.devices; ++i) go.known_terminals.push_back({std::to_string(so.first_phone + i), "jointech", ""});
  absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(go, &listener);
  ASSERT_TRUE(gw.ok()) << gw.status();
  so.server = "127.0.0.1:" + std::to_string((*gw)->port());
  so.unlock_password = "e2e-pw";
  so.ramp_up = absl::Milliseconds(10);
  so.report_interval = absl::Milliseconds(40);
  ElockSimulator sim(so);

  for (int i = 0; i < 2; ++i) {
    ApplySealRequest a;
    a.seal_id = i == 0 ? "SEAL-A" : "SEAL-B";
    a.kind = SealKind::kGpsElock;
    a.container_numbers = {i == 0 ? "CSQU3054383" : "MSCU1234566"};
    a.plate = i == 0 ? "PLATE-A" : "PLATE-B";
    a.device_id = sim.DeviceId(i);
    a.officer_id = "officer-1";
    a.time = absl::Now();
    a.position = GeoPoint{so.start_latitude, so.start_longitude};
    listener.Record(book.Apply(a));
  }
  ASSERT_TRUE(sim.Start().ok());

  // On the road, then inside the yard area.
  ASSERT_TRUE(WaitState(book, "SEAL-A", SealState::kArrived));
  sim.SetPosition(0, 22.55, 113.96);  // parked at the gate
  // Seal B's rope is cut on the way.
  sim.InjectAlarms(1, /*rope_cut=*/true, /*cover_open=*/false, 80);
  ASSERT_TRUE(WaitState(book, "SEAL-B", SealState::kAlarm));
  EXPECT_THAT(book.Get("SEAL-B")->open_alarms, ::testing::Contains("rope_cut"));

  // The gate decision verifies A, authorises the unlock and sends it.
  SealChange verified = book.Verify("SEAL-A", "gate", absl::Now(), "visit V-1");
  ASSERT_TRUE(verified.status.ok()) << verified.status;
  listener.Record(verified);
  UnlockDecision d = book.AuthorizeUnlock({"SEAL-A", "gate", false, "gate decision V-1", absl::Now()});
  ASSERT_TRUE(d.change.status.ok()) << d.change.status;
  listener.Record(d.change);
  ASSERT_TRUE(d.needs_device);
  absl::Notification done;
  UnlockOutcome outcome = UnlockOutcome::kFailed;
  (*gw)->SendUnlock(d.device_id, absl::Seconds(3), [&](UnlockOutcome o, const std::string& detail) {
    outcome = o;
    listener.Record(book.OnUnlockResult("SEAL-A", o, detail, absl::Now()));
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(outcome, UnlockOutcome::kAcknowledged);
  EXPECT_EQ(book.Get("SEAL-A")->state, SealState::kUnlocked);
  // B cannot be unlocked by the gate while alarmed.
  EXPECT_EQ(book.AuthorizeUnlock({"SEAL-B", "gate", false, "", absl::Now()}).change.status.code(),
            absl::StatusCode::kFailedPrecondition);
  // Reports from the unbound device were returned as such, not dropped.
  EXPECT_GT(listener.unbound(), 0u);
  sim.Stop();
  (*gw)->Stop();

  // The event log of A, in order.
  std::vector<std::string> a_path;
  for (const SealTransition& t : listener.events()) {
    if (t.seal_id == "SEAL-A" && !t.refused && t.from != t.to) {
      a_path.push_back(absl::StrCat(SealStateName(t.to), "/", t.cause));
    }
  }
  EXPECT_THAT(a_path, ::testing::ElementsAre("APPLIED/apply", "IN_TRANSIT/departed", "ARRIVED/geofence",
                                             "VERIFIED/gate", "UNLOCKED/unlock"));
}

}  // namespace
}  // namespace yardgate::seal
