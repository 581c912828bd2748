// Gateway tests over real loopback TCP: simulated e-locks and raw sockets.
#include "seal_bridge/jt808_gateway.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "seal_bridge/elock_simulator.h"

namespace yardgate::seal {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kFamily[] = "jointech";
constexpr char kPassword[] = "s3cret-pw";
constexpr uint64_t kSimFirst = 13800000000;  // ElockSimulatorOptions::first_phone

class RecordingListener : public DeviceListener {
 public:
  // Stores codes in memory at once (auto_store) or holds the `stored` callbacks for the test.
  void OnAuthCodeIssued(const KnownTerminal& t, StoredCallback stored) override {
    absl::MutexLock lock(&mu_);
    issued_.push_back(t);
    if (!auto_store_) {
      held_.push_back(std::move(stored));
      return;
    }
    codes_[t.device_id] = t.auth_code;
    stored(absl::OkStatus());
  }
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
  void OnSecurityAlarm(const SecurityAlarm& a) override {
    absl::MutexLock lock(&mu_);
    alarms_.push_back(a);
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
  std::vector<SecurityAlarm> alarms() {
    absl::MutexLock lock(&mu_);
    return alarms_;
  }
  size_t AlarmsOf(SecurityAlarmKind kind) {
    size_t n = 0;
    for (const SecurityAlarm& a : alarms()) n += a.kind == kind;
    return n;
  }
  std::string code(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return codes_[id];
  }
  // Acknowledges every report received so far (as the store's writer would, off the loop).
  void AcknowledgeAll() {
    std::vector<DeviceReport> reports;
    {
      absl::MutexLock lock(&mu_);
      reports.assign(reports_.begin() + static_cast<long>(acked_), reports_.end());
      acked_ = reports_.size();
    }
    for (const DeviceReport& r : reports) {
      if (r.acknowledge) r.acknowledge();
    }
  }

  absl::Mutex mu_;
  bool auto_store_ = true;
  std::map<std::string, std::string> codes_;
  std::vector<KnownTerminal> issued_;
  std::vector<StoredCallback> held_;
  std::vector<std::string> registered_, authenticated_, disconnected_;
  std::vector<DeviceReport> reports_;
  std::vector<SecurityAlarm> alarms_;
  size_t acked_ = 0;
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

// Options with one family whose terminals are 13900000001-9 and the simulator's first 1,100.
Jt808GatewayOptions TestOptions() {
  Jt808GatewayOptions o;
  o.listen = "127.0.0.1:0";
  o.lock_families[kFamily].unlock_password = kPassword;
  o.max_frames_per_second = 100;  // simulated devices report every 100 ms and beat every 150
  o.frame_burst = 100;
  for (int i = 1; i <= 9; ++i) o.known_terminals.push_back({absl::StrCat(13900000000 + i), kFamily, ""});
  for (int i = 0; i < 1100; ++i) o.known_terminals.push_back({absl::StrCat(kSimFirst + i), kFamily, ""});
  return o;
}

class GatewayTest : public ::testing::Test {
 protected:
  void StartGateway(Jt808GatewayOptions o = TestOptions()) {
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
    o.loopback_source_addresses = 50;
    o.unlock_password = kPassword;  // a lock opens only with its family's password
    return o;
  }

  RecordingListener listener_;
  std::unique_ptr<Jt808Gateway> gateway_;
};

// Blocking raw client for protocol-level tests; `source` is the local loopback address.
class RawClient {
 public:
  explicit RawClient(int port, const char* source = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  void SendRaw(const Bytes& b) { send(fd_, b.data(), b.size(), MSG_NOSIGNAL); }
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
  // Registers; returns the 0x8100 (nullopt without an answer).
  std::optional<RegisterResponse> Register(const std::string& phone, absl::Duration timeout = absl::Seconds(3)) {
    Registration r;
    r.maker = "RAW";
    Send(kRegister, EncodeRegistration(r, false), 1, phone);
    std::optional<Jt808Frame> f = Read(timeout);
    if (!f || f->header.msg_id != kRegisterResponse) return std::nullopt;
    absl::StatusOr<RegisterResponse> rr = DecodeRegisterResponse(f->body);
    if (!rr.ok()) return std::nullopt;
    return *rr;
  }
  // Authenticates; returns the 0x8001 result (-1 without an answer).
  int Authenticate(const std::string& phone, const std::string& code) {
    Send(kAuthenticate, EncodeAuthentication({code, "", ""}, false), 2, phone);
    std::optional<Jt808Frame> f = Read();
    if (!f || f->header.msg_id != kPlatformGeneralResponse) return -1;
    absl::StatusOr<GeneralResponse> g = DecodeGeneralResponse(f->body);
    if (!g.ok() || g->reply_serial != 2 || g->reply_id != kAuthenticate) return -1;
    return g->result;
  }
  // Registers and authenticates; returns true on success.
  bool Login(const std::string& phone = "13900000001") {
    std::optional<RegisterResponse> rr = Register(phone);
    return rr && rr->result == 0 && Authenticate(phone, rr->auth_code) == kResultOk;
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

// --- Start: nothing compiled in ---------------------------------------------------------

TEST(GatewayStartTest, RefusesToStartWithoutWhatTheConfigMustGive) {
  struct Case {
    const char* name;
    std::function<void(Jt808GatewayOptions&)> change;
    const char* message;
  };
  const Case cases[] = {
      {"no family", [](Jt808GatewayOptions& o) { o.lock_families.clear(); }, "no lock family configured"},
      {"empty password", [](Jt808GatewayOptions& o) { o.lock_families[kFamily].unlock_password = ""; },
       "unlock password must be"},
      {"password breaking the command", [](Jt808GatewayOptions& o) { o.lock_families[kFamily].unlock_password = "a,b)"; },
       "unlock password must be"},
      {"unknown family", [](Jt808GatewayOptions& o) { o.known_terminals.push_back({"13900000042", "nope", ""}); },
       "lock family 'nope' is not configured"},
      {"bad terminal id", [](Jt808GatewayOptions& o) { o.known_terminals.push_back({"13x", kFamily, ""}); },
       "terminal id must be"},
      {"bad stored code", [](Jt808GatewayOptions& o) { o.known_terminals.push_back({"13900000042", kFamily, "a b"}); },
       "auth code must be"},
  };
  RecordingListener listener;
  for (const Case& c : cases) {
    Jt808GatewayOptions o = TestOptions();
    c.change(o);
    absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(o, &listener);
    EXPECT_EQ(gw.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(gw.status().message(), HasSubstr(c.message)) << c.name;
    EXPECT_THAT(gw.status().message(), ::testing::Not(HasSubstr(kPassword))) << c.name;
  }
}

TEST(GatewayStartTest, DefaultMaxConnectionsLeavesHeadroom) {
  struct Case {
    long limit;
    size_t expected;
  };
  for (const Case& c : {Case{1024, 768}, Case{20000, 15000}, Case{65536, 49152}, Case{128, 64},
                        Case{4'000'000, 100000}, Case{0, 0}}) {
    EXPECT_EQ(DefaultMaxConnections(c.limit), c.expected) << c.limit;
  }
  EXPECT_GT(RaiseFileDescriptorLimit(), 0);
}

TEST(NormalizeTerminalIdTest, StripsLeadingZerosAndRefusesNonDigits) {
  EXPECT_EQ(*NormalizeTerminalId("013800000001"), "13800000001");
  EXPECT_EQ(*NormalizeTerminalId("000"), "0");
  EXPECT_EQ(*NormalizeTerminalId("0b3a73ce2ff2"), "b3a73ce2ff2");
  EXPECT_FALSE(NormalizeTerminalId("").ok());
  EXPECT_FALSE(NormalizeTerminalId("13800000001 ").ok());
  EXPECT_FALSE(NormalizeTerminalId(std::string(21, '1')).ok());
}

// --- Trust ------------------------------------------------------------------------------

TEST_F(GatewayTest, UnknownTerminalCannotRegisterAndIsRaised) {
  StartGateway();
  RawClient raw(gateway_->port());
  std::optional<RegisterResponse> rr = raw.Register("13999999999");
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->result, 4);  // terminal unknown
  EXPECT_TRUE(rr->auth_code.empty());
  // Nor can it authenticate with a guessed code.
  EXPECT_EQ(raw.Authenticate("13999999999", "0000000000000000"), kResultFailed);
  EXPECT_TRUE(listener_.registered_.empty());
  EXPECT_TRUE(listener_.issued_.empty());
  EXPECT_FALSE(gateway_->IsOnline("13999999999"));
  // Raised once (de-duplicated within a minute), counted twice.
  ASSERT_EQ(listener_.AlarmsOf(SecurityAlarmKind::kUnknownTerminal), 1u);
  EXPECT_EQ(listener_.alarms()[0].device_id, "13999999999");
  EXPECT_EQ(gateway_->counters().unknown_terminals, 2u);
  // A known one beside it is served.
  RawClient other(gateway_->port());
  EXPECT_TRUE(other.Login("13900000002"));
}

TEST_F(GatewayTest, KnownTerminalWithAWrongAuthCodeIsRefused) {
  StartGateway();
  RawClient raw(gateway_->port());
  std::optional<RegisterResponse> rr = raw.Register("13900000001");
  ASSERT_TRUE(rr.has_value());
  ASSERT_EQ(rr->result, 0);
  raw.Send(kLocationReport, SimpleLocation(1, 1), 5);
  std::optional<Jt808Frame> f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(DecodeGeneralResponse(f->body)->result, kResultFailed);  // not authenticated
  std::string wrong = rr->auth_code;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(raw.Authenticate("13900000001", wrong), kResultFailed);
  EXPECT_EQ(raw.Authenticate("13900000001", rr->auth_code + "0"), kResultFailed);
  EXPECT_EQ(raw.Authenticate("13900000001", ""), kResultBadMessage);  // no code at all
  EXPECT_FALSE(gateway_->IsOnline("13900000001"));
  EXPECT_EQ(gateway_->counters().auth_failures, 2u);
  EXPECT_EQ(listener_.reports(), 0u);
  // Another known terminal's code does not open this one.
  RawClient other(gateway_->port());
  std::optional<RegisterResponse> other_code = other.Register("13900000002");
  ASSERT_TRUE(other_code && other_code->result == 0);
  EXPECT_EQ(raw.Authenticate("13900000001", other_code->auth_code), kResultFailed);
  // The right code still works on the same connection (3 failures < 5).
  EXPECT_EQ(raw.Authenticate("13900000001", rr->auth_code), kResultOk);
}

TEST_F(GatewayTest, AuthCodeIsRandomStoredBeforeItIsAnsweredAndSurvivesARestart) {
  listener_.auto_store_ = false;
  StartGateway();
  RawClient raw(gateway_->port());
  // No answer until the listener has stored the code.
  EXPECT_FALSE(raw.Register("13900000001", absl::Milliseconds(300)).has_value());
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.held_.size() == 1; }));
  const KnownTerminal issued = listener_.issued_[0];
  EXPECT_EQ(issued.device_id, "13900000001");
  EXPECT_EQ(issued.lock_family, kFamily);
  EXPECT_THAT(issued.auth_code, ::testing::MatchesRegex("[0-9a-f]{16}"));
  // Not usable before it is stored.
  RawClient early(gateway_->port());
  EXPECT_EQ(early.Authenticate("13900000001", issued.auth_code), kResultFailed);
  listener_.held_[0](absl::OkStatus());
  std::optional<Jt808Frame> f = raw.Read();
  ASSERT_TRUE(f.has_value());
  absl::StatusOr<RegisterResponse> rr = DecodeRegisterResponse(f->body);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->result, 0);
  EXPECT_EQ(rr->auth_code, issued.auth_code);
  // Registering again gets the same code, without asking the listener again.
  std::optional<RegisterResponse> again = raw.Register("13900000001");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->auth_code, issued.auth_code);
  EXPECT_EQ(listener_.issued_.size(), 1u);
  // Another terminal gets another code.
  RawClient second(gateway_->port());
  second.Send(kRegister, EncodeRegistration({}, false), 1, "13900000002");
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.held_.size() == 2; }));
  EXPECT_NE(listener_.issued_[1].auth_code, issued.auth_code);

  // A restart: the server hands the stored terminal back with its code; the device
  // authenticates with it, without registering.
  gateway_->Stop();
  gateway_.reset();
  Jt808GatewayOptions o = TestOptions();
  o.known_terminals.push_back({"013900000001", kFamily, issued.auth_code});
  StartGateway(o);
  RawClient after(gateway_->port());
  EXPECT_EQ(after.Authenticate("13900000001", issued.auth_code), kResultOk);
  EXPECT_TRUE(gateway_->IsOnline("13900000001"));
}

TEST_F(GatewayTest, ACodeTheListenerFailedToStoreIsNeverAnswered) {
  listener_.auto_store_ = false;
  StartGateway();
  RawClient raw(gateway_->port());
  raw.Send(kRegister, EncodeRegistration({}, false), 1, "13900000003");
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.held_.size() == 1; }));
  listener_.held_[0](absl::UnavailableError("disk full"));
  EXPECT_FALSE(raw.Read(absl::Milliseconds(300)).has_value());
  EXPECT_EQ(raw.Authenticate("13900000003", listener_.issued_[0].auth_code), kResultFailed);
  EXPECT_EQ(gateway_->counters().auth_code_store_failures, 1u);
  // The terminal registers again later: a new code, this time stored.
  raw.Send(kRegister, EncodeRegistration({}, false), 3, "13900000003");
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.held_.size() == 2; }));
  EXPECT_NE(listener_.issued_[1].auth_code, listener_.issued_[0].auth_code);
  listener_.held_[1](absl::OkStatus());
  std::optional<Jt808Frame> f = raw.Read();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(DecodeRegisterResponse(f->body)->auth_code, listener_.issued_[1].auth_code);
}

TEST_F(GatewayTest, SecondSessionForAnOnlineTerminalGetsNothingAndTheUnlockReachesTheRealOne) {
  StartGateway();
  ElockSimulatorOptions so = SimOptions(1);
  ElockSimulator real(so);
  ASSERT_TRUE(real.Start().ok());
  const std::string id = real.DeviceId(0);
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return l.reports_.size() >= 2; }));
  const std::string code = listener_.code(id);
  ASSERT_FALSE(code.empty());

  // An impostor with the right code (stolen, say) from another address.
  RawClient impostor(gateway_->port(), "127.0.0.9");
  EXPECT_EQ(impostor.Authenticate(id, code), kResultFailed);
  EXPECT_TRUE(impostor.WaitClosed(absl::Seconds(2)));
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) {
    for (const SecurityAlarm& a : l.alarms_) {
      if (a.kind == SecurityAlarmKind::kDuplicateSession) return true;
    }
    return false;
  }));
  EXPECT_EQ(gateway_->counters().duplicate_sessions, 1u);

  // The unlock goes to the real lock, which stays online (it answers the probe).
  auto result = std::make_shared<UnlockResult>();
  gateway_->SendUnlock(id, absl::Seconds(3), Capture(result));
  ASSERT_TRUE(result->done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(result->outcome, UnlockOutcome::kAcknowledged) << result->detail;
  EXPECT_EQ(real.stats().unlocks_received, 1u);
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener&) { return real.stats().probes_answered == 1; }));
  EXPECT_TRUE(gateway_->IsOnline(id));
  EXPECT_EQ(real.stats().disconnects, 0u);
  EXPECT_EQ(listener_.authenticated_.size(), 1u);
}

TEST_F(GatewayTest, RegisteringAnOnlineTerminalFromAnotherConnectionGetsNoCode) {
  StartGateway();
  RawClient real(gateway_->port());
  ASSERT_TRUE(real.Login("13900000003"));
  RawClient impostor(gateway_->port(), "127.0.0.8");
  std::optional<RegisterResponse> rr = impostor.Register("13900000003");
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->result, 3);  // terminal already registered
  EXPECT_TRUE(rr->auth_code.empty());
  EXPECT_TRUE(impostor.WaitClosed(absl::Seconds(2)));
  EXPECT_EQ(listener_.AlarmsOf(SecurityAlarmKind::kDuplicateSession), 1u);
  EXPECT_EQ(gateway_->counters().duplicate_sessions, 1u);
  EXPECT_TRUE(gateway_->IsOnline("13900000003"));
}

TEST_F(GatewayTest, ReregistrationCanBeRefusedForTerminalsThatKeepTheirCode) {
  Jt808GatewayOptions o = TestOptions();
  o.reregistration_gets_code = false;
  StartGateway(o);
  RawClient first(gateway_->port());
  std::optional<RegisterResponse> issued = first.Register("13900000004");
  ASSERT_TRUE(issued && issued->result == 0);
  RawClient again(gateway_->port());
  std::optional<RegisterResponse> refused = again.Register("13900000004");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result, 3);
  EXPECT_TRUE(refused->auth_code.empty());
  EXPECT_EQ(again.Authenticate("13900000004", issued->auth_code), kResultOk);
}

TEST_F(GatewayTest, HalfOpenSessionIsProbedThenTheDeviceMayReconnect) {
  Jt808GatewayOptions o = TestOptions();
  o.probe_timeout = absl::Milliseconds(300);
  StartGateway(o);
  RawClient stale(gateway_->port());  // logs in, then neither reads nor answers
  ASSERT_TRUE(stale.Login("13900000004"));
  const std::string code = listener_.code("13900000004");
  RawClient fresh(gateway_->port(), "127.0.0.2");
  EXPECT_EQ(fresh.Authenticate("13900000004", code), kResultFailed);
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) {
    return !l.disconnected_.empty() && l.disconnected_[0] == "13900000004: no answer to a liveness probe (half-open)";
  }));
  RawClient retry(gateway_->port(), "127.0.0.2");
  EXPECT_EQ(retry.Authenticate("13900000004", code), kResultOk);
  EXPECT_EQ(gateway_->counters().half_open_closed, 1u);
}

TEST_F(GatewayTest, RepeatedFailuresBlockThePeerForABackoffAndAreRaisedOnce) {
  Jt808GatewayOptions o = TestOptions();
  o.peer_backoff = absl::Milliseconds(800);
  StartGateway(o);
  RawClient bystander(gateway_->port(), "127.0.0.1");  // unauthenticated, same address
  RawClient good(gateway_->port(), "127.0.0.1");
  ASSERT_TRUE(good.Login("13900000005"));
  RawClient guesser(gateway_->port(), "127.0.0.1");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(guesser.Authenticate("13900000001", absl::StrCat("guess", i)), kResultFailed);
  // The fifth failure blocks 127.0.0.1: its unauthenticated connections are closed.
  guesser.Authenticate("13900000001", "guess4");
  EXPECT_TRUE(guesser.WaitClosed(absl::Seconds(2)));
  EXPECT_TRUE(bystander.WaitClosed(absl::Seconds(2)));
  EXPECT_EQ(listener_.AlarmsOf(SecurityAlarmKind::kAuthFailuresRateLimited), 1u);
  EXPECT_EQ(listener_.alarms().back().peer, "127.0.0.1");
  // New connections from it are refused; the authenticated session is kept; other peers are served.
  RawClient refused(gateway_->port(), "127.0.0.1");
  EXPECT_TRUE(refused.WaitClosed(absl::Seconds(2)));
  EXPECT_GE(gateway_->counters().connections_refused_blocked, 1u);
  EXPECT_TRUE(gateway_->IsOnline("13900000005"));
  RawClient elsewhere(gateway_->port(), "127.0.0.3");
  EXPECT_TRUE(elsewhere.Login("13900000006"));
  // After the back-off the address is served again.
  absl::SleepFor(absl::Milliseconds(900));
  RawClient later(gateway_->port(), "127.0.0.1");
  EXPECT_TRUE(later.Login("13900000007"));
  EXPECT_EQ(listener_.AlarmsOf(SecurityAlarmKind::kAuthFailuresRateLimited), 1u);
}

TEST_F(GatewayTest, UnlockCarriesThePasswordOfTheTerminalsFamily) {
  Jt808GatewayOptions o = TestOptions();
  o.lock_families["other"].unlock_password = "0ther-pw";
  StartGateway(o);
  ASSERT_TRUE(gateway_->AddKnownTerminal({"13900000010", "other", ""}).ok());
  EXPECT_EQ(gateway_->AddKnownTerminal({"13900000011", "missing", ""}).code(), absl::StatusCode::kInvalidArgument);
  for (const auto& [phone, password] : std::vector<std::pair<std::string, std::string>>{
           {"13900000001", kPassword}, {"13900000010", "0ther-pw"}}) {
    RawClient lock(gateway_->port());
    ASSERT_TRUE(lock.Login(phone)) << phone;
    auto result = std::make_shared<UnlockResult>();
    gateway_->SendUnlock(phone, absl::Seconds(1), Capture(result));
    std::optional<Jt808Frame> command = lock.Read();
    ASSERT_TRUE(command.has_value());
    ASSERT_EQ(command->header.msg_id, kDownlinkPassThrough);
    absl::StatusOr<PassThrough> p = DecodePassThrough(command->body);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(std::string(p->payload.begin(), p->payload.end()), absl::StrCat("(P43,", password, ")"));
  }
  // An unknown terminal is never sent anything.
  auto unknown = std::make_shared<UnlockResult>();
  gateway_->SendUnlock("13999999999", absl::Seconds(1), Capture(unknown));
  ASSERT_TRUE(unknown->done.WaitForNotificationWithTimeout(absl::Seconds(2)));
  EXPECT_EQ(unknown->outcome, UnlockOutcome::kFailed);
}

TEST_F(GatewayTest, RemovedTerminalIsDisconnectedAndCannotComeBack) {
  StartGateway();
  RawClient lock(gateway_->port());
  ASSERT_TRUE(lock.Login("13900000008"));
  const std::string code = listener_.code("13900000008");
  gateway_->RemoveKnownTerminal("013900000008");
  EXPECT_TRUE(lock.WaitClosed(absl::Seconds(2)));
  RawClient again(gateway_->port());
  EXPECT_EQ(again.Authenticate("13900000008", code), kResultFailed);
  EXPECT_EQ(again.Register("13900000008")->result, 4);
}

TEST_F(GatewayTest, AConnectionCannotSwitchDevices) {
  Jt808GatewayOptions o = TestOptions();
  o.known_terminals.push_back({"13900000002", kFamily, "code-of-two"});
  StartGateway(o);
  RawClient raw(gateway_->port());
  ASSERT_TRUE(raw.Login("13900000001"));
  EXPECT_EQ(raw.Authenticate("13900000002", "code-of-two"), kResultFailed);
  EXPECT_TRUE(gateway_->IsOnline("13900000001"));
  EXPECT_FALSE(gateway_->IsOnline("13900000002"));
}

// --- Devices and unlocks ----------------------------------------------------------------

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
  EXPECT_EQ(c.auth_codes_issued, 1u);
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
  EXPECT_THAT(second->detail, HasSubstr("already in progress"));
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
  EXPECT_THAT(result->detail, HasSubstr("refused"));
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

// Issue 14, defect 3: with acknowledge-when-durable, no package of a sub-packaged batch is
// acknowledged before every position of the batch is stored.
TEST_F(GatewayTest, SubpackagedBatchIsAcknowledgedOnlyOnceEveryPositionIsStored) {
  Jt808GatewayOptions o = TestOptions();
  o.ack_reports_when_durable = true;
  StartGateway(o);
  RawClient raw(gateway_->port());
  ASSERT_TRUE(raw.Login());
  BatchLocation batch;
  Location l;
  l.status_bits = 0x2;
  l.time = absl::FromUnixSeconds(1790000000);
  for (int i = 0; i < 20; ++i) batch.locations.push_back(l);
  Jt808Header h;
  h.msg_id = kBatchLocation;
  h.phone = "13900000001";
  h.serial = 200;
  std::vector<Bytes> parts = EncodeSubpackaged(h, EncodeBatchLocation(batch), 300);
  ASSERT_GE(parts.size(), 2u);
  // The first package alone: nothing acknowledged, nothing delivered.
  raw.SendRaw(parts[0]);
  EXPECT_FALSE(raw.Read(absl::Milliseconds(200)).has_value());
  for (size_t i = 1; i < parts.size(); ++i) raw.SendRaw(parts[i]);
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.reports_.size() == 20; }));
  // Delivered but not stored: still nothing acknowledged.
  EXPECT_FALSE(raw.Read(absl::Milliseconds(200)).has_value());
  std::vector<DeviceReport> reports = listener_.all_reports();
  for (size_t i = 0; i + 1 < reports.size(); ++i) reports[i].acknowledge();
  EXPECT_FALSE(raw.Read(absl::Milliseconds(200)).has_value());
  reports.back().acknowledge();
  for (size_t i = 0; i < parts.size(); ++i) {
    std::optional<Jt808Frame> ack = raw.Read();
    ASSERT_TRUE(ack.has_value()) << "package " << i;
    absl::StatusOr<GeneralResponse> g = DecodeGeneralResponse(ack->body);
    EXPECT_EQ(g->reply_serial, 200 + i);
    EXPECT_EQ(g->reply_id, kBatchLocation);
    EXPECT_EQ(g->result, kResultOk);
  }
  EXPECT_EQ(gateway_->counters().unacked_reports, 0u);
}

TEST_F(GatewayTest, SilentAndHalfOpenConnectionsAreTimedOut) {
  Jt808GatewayOptions o = TestOptions();
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

TEST_F(GatewayTest, DurableModeAcknowledgesAReportOnlyWhenTheListenerSaysItIsSafe) {
  Jt808GatewayOptions o = TestOptions();
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

// --- Floods and limits (issue 14, defects 4-6) ------------------------------------------

TEST_F(GatewayTest, ConnectionsPerPeerAreCapped) {
  Jt808GatewayOptions o = TestOptions();
  o.max_connections_per_peer = 3;
  StartGateway(o);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawClient>(gateway_->port(), "127.0.0.1"));
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener&) { return gateway_->counters().connections_open == 3; }));
  RawClient fourth(gateway_->port(), "127.0.0.1");
  EXPECT_TRUE(fourth.WaitClosed(absl::Seconds(2)));
  EXPECT_EQ(gateway_->counters().connections_rejected_per_peer, 1u);
  RawClient other_peer(gateway_->port(), "127.0.0.2");
  EXPECT_TRUE(other_peer.Login("13900000003"));
  // A freed slot is usable again.
  held.pop_back();
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener&) { return gateway_->counters().connections_open == 3; }));
  RawClient again(gateway_->port(), "127.0.0.1");
  EXPECT_TRUE(again.Login("13900000004"));
}

// Issue 14, defect 5: one device flooding reports is throttled (not read past its rate),
// then cut off and raised; the others keep being served.
TEST_F(GatewayTest, FloodingDeviceIsThrottledThenCutOffAndRaised) {
  Jt808GatewayOptions o = TestOptions();
  o.max_frames_per_second = 50;
  o.frame_burst = 50;
  o.flood_cutoff_after = absl::Seconds(1);
  StartGateway(o);
  ElockSimulatorOptions so = SimOptions(4);
  so.flood_devices = 1;
  ElockSimulator sim(so);
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE(sim.Start().ok());
  const std::string flooder = sim.DeviceId(0);
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) {
    for (const SecurityAlarm& a : l.alarms_) {
      if (a.kind == SecurityAlarmKind::kFloodCutOff) return true;
    }
    return false;
  }));
  const absl::Duration flooded = absl::Now() - t0;
  const SecurityAlarm alarm = listener_.alarms().back();
  EXPECT_EQ(alarm.device_id, flooder);
  EXPECT_FALSE(gateway_->IsOnline(flooder));
  size_t from_flooder = 0;
  for (const DeviceReport& r : listener_.all_reports()) from_flooder += r.device_id == flooder;
  // Its rate plus one burst plus a small read's overshoot, nowhere near what it sent.
  EXPECT_LT(from_flooder, 50 * absl::ToDoubleSeconds(flooded) + 50 + 20);
  EXPECT_GT(sim.stats().flood_reports_sent, 3 * from_flooder);
  EXPECT_GE(gateway_->counters().throttled, 1u);
  // Refused for the back-off, even with its code.
  RawClient retry(gateway_->port());
  EXPECT_EQ(retry.Authenticate(flooder, listener_.code(flooder)), kResultFailed);
  // The other three kept reporting, every report acknowledged.
  const size_t acked = sim.stats().reports_acked;
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener&) { return sim.stats().reports_acked > acked + 6; }));
  EXPECT_EQ(sim.stats().reports_nacked, 0u);
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(gateway_->IsOnline(sim.DeviceId(i)));
}

// Issue 14, defect 6: reports the listener has not acknowledged are bounded per device and
// in all; past the caps the gateway stops reading, and reading resumes as they drain.
TEST_F(GatewayTest, UnacknowledgedReportsAreBoundedAndReadingResumesAsTheyDrain) {
  Jt808GatewayOptions o = TestOptions();
  o.ack_reports_when_durable = true;
  o.max_unacked_reports_per_device = 40;
  o.max_unacked_reports = 100;
  o.max_frames_per_second = 0;  // backpressure alone
  StartGateway(o);
  ElockSimulatorOptions so = SimOptions(6);
  so.flood_devices = 6;
  ElockSimulator sim(so);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.reports_.size() >= 100; }));
  absl::SleepFor(absl::Milliseconds(300));
  // Bounded by the global cap plus a small read's overshoot per device.
  const size_t held = listener_.reports();
  EXPECT_LT(held, 100u + 6 * 10u);
  EXPECT_GE(gateway_->counters().backpressure_pauses, 1u);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(listener_.reports(), held);  // nothing read while paused
  // Storing them lets the devices through again.
  listener_.AcknowledgeAll();
  ASSERT_TRUE(listener_.WaitFor([&](RecordingListener& l) { return l.reports_.size() > held + 50; }));
  EXPECT_TRUE(listener_.WaitFor([&](RecordingListener&) { return sim.stats().flood_reports_acked > 0; }));
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(gateway_->IsOnline(sim.DeviceId(i))) << i;
  EXPECT_THAT(listener_.disconnected_, ::testing::IsEmpty());
}

// Issue 14, defect 6: Stop() is prompt whatever the backlog.
TEST_F(GatewayTest, StopIsPromptWithAFullBacklog) {
  Jt808GatewayOptions o = TestOptions();
  o.ack_reports_when_durable = true;
  StartGateway(o);
  ElockSimulatorOptions so = SimOptions(50);
  so.flood_devices = 10;
  ElockSimulator sim(so);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(listener_.WaitFor([](RecordingListener& l) { return l.reports_.size() >= 1000; }));
  absl::SleepFor(absl::Milliseconds(500));
  const absl::Time t0 = absl::Now();
  gateway_->Stop();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  EXPECT_LE(listener_.reports(), o.max_unacked_reports + 50 * 160u);
  // Acknowledgements after Stop are ignored, not a crash.
  listener_.AcknowledgeAll();
  sim.Stop();
}

}  // namespace
}  // namespace yardgate::seal
