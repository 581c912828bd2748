// Gateway tests over real loopback TCP: simulated e-locks and raw sockets.
#include "seal_bridge/jt808_gateway.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "seal_bridge/elock_simulator.h"

namespace yardgate::seal {
namespace {

using ::testing::Contains;

class RecordingListener : public Jt808Listener {
 public:
  void OnRegistered(const DeviceRegistration& r) override {
    absl::MutexLock lock(&mu_);
    registered_.push_back(r.device_id);
  }
  void OnAuthenticated(const std::string& id, const std::string&) override {
    absl::MutexLock lock(&mu_);
    authenticated_.push_back(id);
  }
  void OnReport(const DeviceReport& r) override {
    absl::MutexLock lock(&mu_);
    reports_.push_back(r);
  }
  void OnDisconnected(const std::string& id, absl::string_view reason) override {
    absl::MutexLock lock(&mu_);
    disconnected_.push_back(id + ": " + std::string(reason));
  }

  // Waits until `pred` holds on the recorded state (up to `timeout`).
  bool WaitFor(std::function<bool(RecordingListener&)> pred, absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        if (pred(*this)) return true;
      }
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  size_t reports() {
    absl::MutexLock lock(&mu_);
    return reports_.size();
  }
  std::vector<DeviceReport> all_reports() {
    absl::MutexLock lock(&mu_);
    return reports_;
  }

  absl::Mutex mu_;
  std::vector<std::string> registered_, authenticated_, disconnected_;
  std::vector<DeviceReport> reports_;
};

struct UnlockResult {
  absl::Notification done;
  UnlockOutcome outcome = UnlockOutcome::kFailed;
  std::string detail;
  int calls = 0;
};

UnlockCallback Capture(std::shared_ptr<UnlockResult> r) {
  return [r](UnlockOutcome o, const std::string& d) {
    r->outcome = o;
    r->detail = d;
    if (++r->calls == 1) r->done.Notify();
  };
}

class GatewayTest : public ::testing::Test {
 protected:
  void StartGateway(Jt808GatewayOptions o = {}) {
    o.listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(o, &listener_);
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = *std::move(gw);
    ASSERT_GT(gateway_->port(), 0);
  }
  ElockSimulatorOptions SimOptions(int devices) {
    ElockSimulatorOptions o;
    o.server = "127.0.0.1:" + std::to_string(gateway_->port());
    o.devices = devices;
    o.ramp_up = absl::Milliseconds(10);
    o.report_interval = absl::Milliseconds(100);
    o.heartbeat_interval = absl::Milliseconds(150);
    return o;
  }

  RecordingListener listener_;
  std::unique_ptr<Jt808Gateway> gateway_;
};

// Blocking raw client for protocol-level tests.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  void SendRaw(const Bytes& b) { ASSERT_EQ(send(fd_, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size())); }
  void Send(uint16_t msg_id, const Bytes& body, uint16_t serial, const std::string& phone = "13900000001") {
    Jt808Header h;
    h.msg_id = msg_id;
    h.phone = phone;
    h.serial = serial;
    SendRaw(EncodeFrame(h, body));
  }
  // Next verified frame, or nullopt on timeout / close.
  std::optional<Jt808Frame> Read(absl::Duration timeout = absl::Seconds(3)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (pending_.empty()) {
      pollfd p{fd_, POLLIN, 0};
      int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
      if (ms <= 0 || poll(&p, 1, ms) <= 0) return std::nullopt;
      uint8_t buf[4096];
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) {
        closed_ = true;
        return std::nullopt;
      }
      framer_.Feed(buf, static_cast<size_t>(n), &pending_);
    }
    Bytes c = std::move(pending_.front());
    pending_.erase(pending_.begin());
    absl::StatusOr<Jt808Frame> f = DecodeFrame(c);
    if (!f.ok()) return std::nullopt;
    return *f;
  }
  // Registers and authenticates; returns true on success.
  bool Login(const std::string& phone = "13900000001") {
    Registration r;
    r.maker = "RAW";
    Send(kRegister, EncodeRegistration(r, false), 1, phone);
    std::optional<Jt808Frame> f = Read();
    if (!f || f->header.msg_id != kRegisterResponse) return false;
    absl::StatusOr<RegisterResponse> rr = DecodeRegisterResponse(f->body);
    if (!rr.ok() || rr->reply_serial != 1) return false;
    Send(kAuthenticate, EncodeAuthentication({rr->auth_code, "", ""}, false), 2, phone);
    f = Read();
    if (!f || f->header.msg_id != kPlatformGeneralResponse) return false;
    absl::StatusOr<GeneralResponse> g = DecodeGeneralResponse(f->body);
    return g.ok() && g->reply_serial == 2 && g->reply_id == kAuthenticate && g->result == 0;
  }
  bool WaitClosed(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!closed_ && absl::Now() < deadline) Read(absl::Milliseconds(50));
    return closed_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  Jt808Framer framer_;
  std::vector<Bytes> pending_;
};

Bytes SimpleLocation(double lat, double lon) {
  Location l;
  l.status_bits = 0x2;
  l.latitude = lat;
  l.longitude = lon;
  l.time = absl::FromUnixSeconds(1790000000);
  return EncodeLocation(l);
}

TEST_F(GatewayTest, SimulatedDeviceRegistersAuthenticatesReportsAndIsUnlocked) {
  StartGateway();
  ElockSimulator sim(SimOptions(1));
  ASSERT_TRUE(sim.Start().ok());
  const std::string id = sim.DeviceId(0);
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return l.reports_.size() >= 2; }));
  EXPECT_THAT(listener_.registered_, Contains(id));
  EXPECT_THAT(listener_.authenticated_, Contains(id));
  EXPECT_TRUE(gateway_->IsOnline(id));
  DeviceReport first = listener_.all_reports()[0];
  EXPECT_EQ(first.device_id, id);
  EXPECT_TRUE(first.position_valid);
  EXPECT_NEAR(first.latitude, 22.54, 0.01);
  EXPECT_EQ(first.lock_state, LockState::kLocked);
  EXPECT_EQ(first.battery_percent, 87);

  auto result = std::make_shared<UnlockResult>();
  gateway_->SendUnlock(id, absl::Seconds(3), Capture(result));
  ASSERT_TRUE(result->done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(result->outcome, UnlockOutcome::kAcknowledged) << result->detail;
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) {
    for (const auto& r : l.reports_) {
      if (r.lock_state == LockState::kUnlocked) return true;
    }
    return false;
  }));
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return l.reports_.size() >= 5; }));
  sim.Stop();
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return !l.disconnected_.empty(); }));
  EXPECT_FALSE(gateway_->IsOnline(id));
  Jt808GatewayCounters c = gateway_->counters();
  EXPECT_EQ(c.unlocks_sent, 1u);
  EXPECT_EQ(c.unlocks_acknowledged, 1u);
  EXPECT_GE(c.heartbeats, 1u);
  EXPECT_EQ(c.bad_checksum, 0u);
  EXPECT_EQ(result->calls, 1);
  ElockSimulatorStats s = sim.stats();
  EXPECT_EQ(s.unlocks_received, 1u);
  EXPECT_GE(s.reports_acked, 4u);
}

TEST_F(GatewayTest, UnlockForOfflineDeviceIsNeverQueued) {
  StartGateway();
  auto result = std::make_shared<UnlockResult>();
  gateway_->SendUnlock("13800000000", absl::Seconds(3), Capture(result));
  ASSERT_TRUE(result->done.WaitForNotificationWithTimeout(absl::Seconds(2)));
  EXPECT_EQ(result->outcome, UnlockOutcome::kDeviceOffline);

  // The device connects afterwards: it must receive nothing.
  ElockSimulator sim(SimOptions(1));
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return l.reports_.size() >= 3; }));
  EXPECT_EQ(sim.stats().unlocks_received, 0u);
  EXPECT_EQ(gateway_->counters().unlocks_sent, 0u);
  EXPECT_EQ(result->calls, 1);
}

TEST_F(GatewayTest, UnlockExpiresWhenTheLockDoesNotConfirm) {
  StartGateway();
  ElockSimulatorOptions o = SimOptions(1);
  o.answer_unlock = false;  // transport ack (0x0001) only
  ElockSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return !l.authenticated_.empty(); }));
  auto result = std::make_shared<UnlockResult>();
  const absl::Time t0 = absl::Now();
  gateway_->SendUnlock(sim.DeviceId(0), absl::Milliseconds(300), Capture(result));
  ASSERT_TRUE(result->done.WaitForNotificationWithTimeout(absl::Seconds(3)));
  EXPECT_EQ(result->outcome, UnlockOutcome::kExpired);
  EXPECT_GE(absl::Now() - t0, absl::Milliseconds(300));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(result->calls, 1);
  EXPECT_EQ(sim.stats().unlocks_received, 1u);
}

TEST_F(GatewayTest, SecondUnlockInFlightFailsAndStopFailsPending) {
  StartGateway();
  ElockSimulatorOptions o = SimOptions(1);
  o.answer_unlock = false;
  ElockSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return !l.authenticated_.empty(); }));
  auto first = std::make_shared<UnlockResult>();
  auto second = std::make_shared<UnlockResult>();
  gateway_->SendUnlock(sim.DeviceId(0), absl::Seconds(30), Capture(first));
  gateway_->SendUnlock(sim.DeviceId(0), absl::Seconds(30), Capture(second));
  ASSERT_TRUE(second->done.WaitForNotificationWithTimeout(absl::Seconds(2)));
  EXPECT_EQ(second->outcome, UnlockOutcome::kFailed);
  EXPECT_THAT(second->detail, ::testing::HasSubstr("already in progress"));
  gateway_->Stop();
  ASSERT_TRUE(first->done.HasBeenNotified());
  EXPECT_EQ(first->outcome, UnlockOutcome::kFailed);
  // After Stop, the callback still runs exactly once.
  auto late = std::make_shared<UnlockResult>();
  gateway_->SendUnlock(sim.DeviceId(0), absl::Seconds(1), Capture(late));
  EXPECT_TRUE(late->done.HasBeenNotified());
  EXPECT_EQ(first->calls + second->calls + late->calls, 3);
}

TEST_F(GatewayTest, UnlockRefusedByTheLockFails) {
  StartGateway();
  ElockSimulatorOptions o = SimOptions(1);
  o.unlock_succeeds = false;
  ElockSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return !l.authenticated_.empty(); }));
  auto result = std::make_shared<UnlockResult>();
  gateway_->SendUnlock(sim.DeviceId(0), absl::Seconds(3), Capture(result));
  ASSERT_TRUE(result->done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(result->outcome, UnlockOutcome::kFailed);
  EXPECT_THAT(result->detail, ::testing::HasSubstr("refused"));
  // The refusal's report carries the wrong_password alarm.
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) {
    for (const auto& r : l.reports_) {
      for (const auto& a : r.seal_alarms) {
        if (a == "wrong_password") return true;
      }
    }
    return false;
  }));
}

TEST_F(GatewayTest, GarbageAndBadFramesAreCountedAndDoNotDisturbOthers) {
  StartGateway();
  ElockSimulator sim(SimOptions(3));
  ASSERT_TRUE(sim.Start().ok());
  RawClient raw(gateway_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Login());

  const size_t before = listener_.reports();
  // Garbage, an oversize run, a bad checksum, a bad length, a bad escape.
  raw.SendRaw(Bytes{0x24, 0x24, 0x00, 0xff, 0x13});
  raw.SendRaw(*ParseHex("7E0001000501234567890004B303E8000200D47E"));  // check D3 -> D4
  Bytes bad_len = *ParseHex("80010006012345678900000A0064020000");
  bad_len.push_back(XorChecksum(bad_len));
  Bytes wire = {kJt808Flag};
  Bytes esc = Escape(bad_len);
  wire.insert(wire.end(), esc.begin(), esc.end());
  wire.push_back(kJt808Flag);
  raw.SendRaw(wire);
  raw.SendRaw(Bytes{0x7e, 0x01, 0x7d, 0x05, 0x7e});
  Bytes noise(5000, 0x55);
  noise.insert(noise.begin(), 0x7e);
  raw.SendRaw(noise);
  // Then a good location: the connection is still served.
  raw.Send(kLocationReport, SimpleLocation(-33.5, -70.25), 77);
  std::optional<Jt808Frame> ack = raw.Read();
  ASSERT_TRUE(ack.has_value());
  absl::StatusOr<GeneralResponse> g = DecodeGeneralResponse(ack->body);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->reply_serial, 77);
  EXPECT_EQ(g->reply_id, kLocationReport);
  EXPECT_EQ(g->result, 0);

  Jt808GatewayCounters c = gateway_->counters();
  EXPECT_EQ(c.bad_checksum, 1u);
  EXPECT_EQ(c.bad_length, 1u);
  EXPECT_GE(c.bad_frames, 2u);        // the garbage run and the bad escape
  EXPECT_GE(c.garbage_bytes, 4096u);  // the oversize run
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) {
    for (const auto& r : l.reports_) {
      if (r.device_id == "13900000001" && r.latitude < 0) return true;
    }
    return false;
  }));
  // The simulated devices kept reporting, every report acknowledged.
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return l.reports_.size() > before + 6; }));
  sim.Stop();
  ElockSimulatorStats s = sim.stats();
  EXPECT_EQ(s.authenticated, 3u);
  EXPECT_EQ(s.reports_nacked, 0u);
  EXPECT_EQ(s.bad_frames, 0u);
}

TEST_F(GatewayTest, WrongAuthCodeAndUnauthenticatedFramesAreRefused) {
  StartGateway();
  RawClient raw(gateway_->port());
  raw.Send(kLocationReport, SimpleLocation(1, 1), 5);
  std::optional<Jt808Frame> f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(DecodeGeneralResponse(f->body)->result, kResultFailed);
  raw.Send(kAuthenticate, EncodeAuthentication({"not-the-code", "", ""}, false), 6);
  f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(DecodeGeneralResponse(f->body)->result, kResultFailed);
  EXPECT_EQ(gateway_->counters().auth_failures, 1u);
  EXPECT_EQ(listener_.reports(), 0u);
  // The right code, computed as the gateway does, works without registering again.
  raw.Send(kAuthenticate,
           EncodeAuthentication({Jt808Gateway::AuthCodeFor(Jt808GatewayOptions().auth_secret, "13900000001"), "", ""}, false), 7);
  f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(DecodeGeneralResponse(f->body)->result, kResultOk);
}

TEST_F(GatewayTest, SubpackagedBatchIsReassembledAndEachPackageAcked) {
  StartGateway();
  RawClient raw(gateway_->port());
  ASSERT_TRUE(raw.Login());
  BatchLocation batch;
  batch.type = 1;
  Location l;
  l.status_bits = 0x2;
  l.time = absl::FromUnixSeconds(1790000000);
  for (int i = 0; i < 20; ++i) {
    l.latitude = 22.0 + i * 0.01;
    l.longitude = 114.0;
    batch.locations.push_back(l);
  }
  Jt808Header h;
  h.msg_id = kBatchLocation;
  h.phone = "13900000001";
  h.serial = 100;
  std::vector<Bytes> parts = EncodeSubpackaged(h, EncodeBatchLocation(batch), 300);
  ASSERT_GE(parts.size(), 2u);
  for (const Bytes& p : parts) raw.SendRaw(p);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::optional<Jt808Frame> ack = raw.Read();
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(DecodeGeneralResponse(ack->body)->reply_serial, 100 + i);
  }
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return l.reports_.size() == 20; }));
  std::vector<DeviceReport> reports = listener_.all_reports();
  EXPECT_TRUE(reports[0].from_batch);
  EXPECT_TRUE(reports[0].blind_area);
  EXPECT_NEAR(reports[19].latitude, 22.19, 1e-9);
}

TEST_F(GatewayTest, SilentAndHalfOpenConnectionsAreTimedOut) {
  Jt808GatewayOptions o;
  o.handshake_timeout = absl::Milliseconds(300);
  o.idle_timeout = absl::Milliseconds(400);
  StartGateway(o);
  RawClient silent(gateway_->port());  // never says anything
  RawClient idle(gateway_->port());    // logs in, then goes quiet
  ASSERT_TRUE(idle.Login("13900000009"));
  EXPECT_TRUE(silent.WaitClosed(absl::Seconds(3)));
  EXPECT_TRUE(idle.WaitClosed(absl::Seconds(3)));
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) {
    return !l.disconnected_.empty() && l.disconnected_[0] == "13900000009: idle timeout";
  }));
  EXPECT_EQ(gateway_->counters().connections_timed_out, 2u);
  EXPECT_EQ(gateway_->counters().connections_open, 0u);
}

TEST_F(GatewayTest, RegistrationPolicyRefusesUnknownTerminals) {
  Jt808GatewayOptions o;
  o.accept_registration = [](const DeviceRegistration& r) { return r.device_id != "13900000001"; };
  StartGateway(o);
  RawClient raw(gateway_->port());
  Registration r;
  raw.Send(kRegister, EncodeRegistration(r, false), 1);
  std::optional<Jt808Frame> f = raw.Read();
  ASSERT_TRUE(f.has_value());
  absl::StatusOr<RegisterResponse> rr = DecodeRegisterResponse(f->body);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->result, 4);
  EXPECT_TRUE(rr->auth_code.empty());
  EXPECT_TRUE(listener_.registered_.empty());
  RawClient other(gateway_->port());
  EXPECT_TRUE(other.Login("13900000002"));
}

TEST_F(GatewayTest, AConnectionCannotSwitchDevices) {
  StartGateway();
  RawClient raw(gateway_->port());
  ASSERT_TRUE(raw.Login("13900000001"));
  raw.Send(kAuthenticate,
           EncodeAuthentication({Jt808Gateway::AuthCodeFor(Jt808GatewayOptions().auth_secret, "13900000002"), "", ""}, false),
           3, "13900000002");
  std::optional<Jt808Frame> f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(DecodeGeneralResponse(f->body)->result, kResultFailed);
  EXPECT_TRUE(gateway_->IsOnline("13900000001"));
  EXPECT_FALSE(gateway_->IsOnline("13900000002"));
}

TEST_F(GatewayTest, ReconnectReplacesTheStaleConnection) {
  StartGateway();
  RawClient first(gateway_->port());
  ASSERT_TRUE(first.Login());
  RawClient second(gateway_->port());
  ASSERT_TRUE(second.Login());
  EXPECT_TRUE(first.WaitClosed(absl::Seconds(2)));
  EXPECT_TRUE(gateway_->IsOnline("13900000001"));
}

TEST_F(GatewayTest, HoldsAThousandDevices) {
  StartGateway();
  ElockSimulatorOptions o = SimOptions(1000);
  o.ramp_up = absl::Milliseconds(500);
  o.report_interval = absl::Milliseconds(500);
  o.duration = absl::Seconds(1);
  o.drain = absl::Milliseconds(500);
  ElockSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Wait());
  ElockSimulatorStats s = sim.stats();
  EXPECT_EQ(s.authenticated, 1000u);
  EXPECT_GE(s.reports_sent, 2000u);
  EXPECT_EQ(s.reports_acked, s.reports_sent);
  EXPECT_EQ(listener_.reports(), s.reports_sent);
}

}  // namespace
}  // namespace yardgate::seal

namespace yardgate::seal {
namespace {

TEST_F(GatewayTest, DurableModeAcknowledgesAReportOnlyWhenTheListenerSaysItIsSafe) {
  Jt808GatewayOptions o;
  o.ack_reports_when_durable = true;
  StartGateway(o);
  RawClient device(gateway_->port());
  ASSERT_TRUE(device.connected());
  ASSERT_TRUE(device.Login());
  device.Send(kLocationReport, SimpleLocation(22.5, 114.0), 7);
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.reports_.size() == 1; }));
  // Not safe yet: no acknowledgement reaches the device.
  EXPECT_FALSE(device.Read(absl::Milliseconds(200)).has_value());
  const DeviceReport report = listener_.all_reports()[0];
  ASSERT_TRUE(report.acknowledge);
  report.acknowledge();  // from the test thread, as the store's writer would
  std::optional<Jt808Frame> ack = device.Read();
  ASSERT_TRUE(ack.has_value());
  ASSERT_EQ(ack->header.msg_id, kPlatformGeneralResponse);
  absl::StatusOr<GeneralResponse> g = DecodeGeneralResponse(ack->body);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->reply_serial, 7);
  EXPECT_EQ(g->reply_id, kLocationReport);
  EXPECT_EQ(g->result, 0);
}

TEST_F(GatewayTest, ImmediateModeAcknowledgesOnReceipt) {
  StartGateway();
  RawClient device(gateway_->port());
  ASSERT_TRUE(device.Login());
  device.Send(kLocationReport, SimpleLocation(22.5, 114.0), 8);
  std::optional<Jt808Frame> ack = device.Read();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->header.msg_id, kPlatformGeneralResponse);
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.reports_.size() == 1; }));
  EXPECT_FALSE(listener_.all_reports()[0].acknowledge);
}

}  // namespace
}  // namespace yardgate::seal
