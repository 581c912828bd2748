// Issue 11 through the real server: every method of the three services, called by every role and
// by nobody, is allowed or refused exactly as the policy table says; over real TLS (the real
// yardgate-server binary) a kiosk's certificate works for its own lane only, a certificate from
// another CA fails the handshake, a bearer token works and stops working once rotated out and the
// server is sent SIGHUP; and the listener refuses to go beyond loopback without TLS.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <google/protobuf/message.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "server/auth/credentials.h"
#include "server/auth/policy.h"
#include "server/auth/testing.h"
#include "server/auth/transport.h"
#include "tests/free_port.h"
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {

using google::protobuf::FieldDescriptor;

// A request for `method` that a caller acting within its rights would send: the lane it names is
// L1, the actor it names is itself, and a visit it names is on L1.
std::unique_ptr<google::protobuf::Message> RequestFor(const google::protobuf::MethodDescriptor& method,
                                                      const auth::MethodPolicy& policy, const std::string& actor,
                                                      const std::string& visit_on_l1) {
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.input_type())->New());
  const google::protobuf::Reflection* reflection = request->GetReflection();
  auto set = [&](absl::string_view name, const std::string& value) {
    const FieldDescriptor* field = method.input_type()->FindFieldByName(std::string(name));
    if (field != nullptr && field->type() == FieldDescriptor::TYPE_STRING) reflection->SetString(request.get(), field, value);
  };
  if (policy.lane.kind == auth::LaneScope::Kind::kLaneField) set(policy.lane.field, "L1");
  if (policy.lane.kind == auth::LaneScope::Kind::kVisitField) set(policy.lane.field, visit_on_l1);
  if (!policy.actor_field.empty()) set(policy.actor_field, actor);
  return request;
}

bool Refused(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAUTHENTICATED || s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
}

class TrustTest : public ServerFixture {};

TEST_F(TrustTest, EveryMethodAnswersEveryRoleExactlyAsThePolicyTableSays) {
  StartServer();
  Book("A1", "粤B12345", {});
  const std::string visit = Arrive("L1", "粤B12345", {}).visit_id();
  const std::map<std::string, std::string> ids = {{"lane", "lane-test"},        {"terminal_system", "tos-1"},
                                                  {"customs", "customs-1"},     {"officer", "officer-1"},
                                                  {"clerk", "clerk-7"},         {"admin", "admin-1"},
                                                  {"seal_terminal", "seal-ST1"}, {"", ""}};
  int calls = 0, allowed = 0;
  for (const google::protobuf::MethodDescriptor* method : auth::YardgateServiceMethods()) {
    const std::string path = auth::MethodPath(*method);
    const auth::MethodPolicy* policy = auth::FindPolicy(path);
    ASSERT_NE(policy, nullptr) << path << " has no row in the policy table";
    for (const auto& [role, id] : ids) {
      const bool may = policy->anyone || (!role.empty() && policy->roles.Has(*auth::ParseRole(role)));
      std::unique_ptr<google::protobuf::Message> request = RequestFor(*method, *policy, id, visit);
      // Streams stay open for a caller who may watch: a short deadline ends them.
      const auto timeout = method->server_streaming() ? std::chrono::milliseconds(300) : std::chrono::seconds(10);
      const grpc::Status s =
          auth::CallMethod(AnonymousChannel(), path, *request, role.empty() ? "" : TokenOf(role), timeout);
      ++calls;
      allowed += may;
      EXPECT_EQ(Refused(s), !may) << path << " by " << (role.empty() ? "nobody" : role) << ": "
                                  << s.error_code() << " " << s.error_message();
      if (!may && !role.empty()) {
        EXPECT_NE(s.error_message().find(path), std::string::npos) << s.error_message();
        EXPECT_NE(s.error_message().find(role), std::string::npos) << s.error_message();
      }
    }
  }
  std::fprintf(stderr, "%d calls, %d allowed, %d refused\n", calls, allowed, calls - allowed);
  EXPECT_EQ(calls, static_cast<int>(auth::YardgateServiceMethods().size() * ids.size()));
  EXPECT_GE(auth::YardgateServiceMethods().size(), 23u);
}

TEST_F(TrustTest, ALaneMayActForItsOwnLanesOnlyAndTheRefusalIsAudited) {
  const std::string l2 = AddPrincipal(auth::Role::kLane, "lane-L2", {"L2"});
  StartServer();
  v1::SubmitArrivalRequest req;
  req.set_idempotency_key(NextKey());
  req.set_lane_id("L1");
  req.mutable_read()->set_plate("粤B12345");
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", auth::BearerValue(l2));
  v1::SubmitArrivalResponse resp;
  const grpc::Status s = v1::GateService::NewStub(AnonymousChannel())->SubmitArrival(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("L1"), std::string::npos);
  // And the refusal is in the audit trail, with who and what, and no token. The refusal is
  // answered at once and written behind it, so the trail may lag the answer by a commit.
  v1::ListAuditRequest audit_req;
  audit_req.set_subject("/yardgate.v1.GateService/SubmitArrival");
  v1::ListAuditResponse audit;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    grpc::ClientContext audit_ctx;
    ASSERT_TRUE(Terminal()->ListAudit(&audit_ctx, audit_req, &audit).ok());
    if (audit.records_size() > 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < deadline);
  ASSERT_GE(audit.records_size(), 1);
  EXPECT_EQ(audit.records(0).action(), "REFUSED");
  EXPECT_NE(audit.records(0).actor().find("lane-L2"), std::string::npos) << audit.records(0).DebugString();
  EXPECT_EQ(audit.records(0).DebugString().find(l2.substr(4, 16)), std::string::npos);
}

// The real binary, with a config file: TLS, client certificates and tokens, and SIGHUP.
class ServerProcess {
 public:
  ServerProcess(const std::string& config, const std::string& listen, const std::string& data_dir) {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = data_dir + "/server.log";
      std::freopen(log.c_str(), "w", stderr);
      execl(YARDGATE_SERVER_BIN, YARDGATE_SERVER_BIN, "--config", config.c_str(), "--data-dir", data_dir.c_str(),
            "--grpc-listen", listen.c_str(), "--jt808-listen", "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void Signal(int signal) { kill(pid_, signal); }
  // The exit status, waiting at most `ms`; -1 while it still runs.
  int ExitStatus(int ms) {
    for (int waited = 0; waited < ms; waited += 10) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

class TrustTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(certs_.ok()) << certs_.error();  // openssl is a dependency (install-deps): never skip
    port_ = FreePort();
    address_ = "127.0.0.1:" + std::to_string(port_);
    absl::StatusOr<auth::MintedToken> tos = auth::MintToken(auth::Role::kTerminalSystem, "tos-1");
    ASSERT_TRUE(tos.ok());
    tos_ = *tos;
    WriteConfig(/*with_token=*/true);
    server_ = std::make_unique<ServerProcess>(config_, address_, dir_.path());
  }

  void WriteConfig(bool with_token) {
    std::ofstream out(config_);
    out << "[lane L1]\ndirection = in\n[lane L2]\ndirection = out\n[auth]\n"
        << "tls_cert = " << certs_.Path("server.crt") << "\ntls_key = " << certs_.Path("server.key")
        << "\nclient_ca = " << certs_.Path("ca.crt") << "\ncert = lane lane-L1 L1\n";
    if (with_token) out << tos_.config_line << "\n";
  }

  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& client) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = auth::ClientCredentials(certs_.Client(client));
    EXPECT_TRUE(creds.ok()) << creds.status();
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(address_, *creds, args);
  }

  grpc::Status Arrive(const std::shared_ptr<grpc::Channel>& channel, const std::string& lane) {
    v1::SubmitArrivalRequest req;
    req.set_idempotency_key("k-" + lane + std::to_string(++key_));
    req.set_lane_id(lane);
    req.mutable_read()->set_plate("粤B12345");
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(5));
    v1::SubmitArrivalResponse resp;
    return v1::GateService::NewStub(channel)->SubmitArrival(&ctx, req, &resp);
  }

  grpc::Status Book(const std::shared_ptr<grpc::Channel>& channel, const std::string& token) {
    v1::UpsertAppointmentRequest req;
    req.set_idempotency_key("book-" + std::to_string(++key_));
    req.mutable_appointment()->set_appointment_id("A" + std::to_string(key_));
    req.mutable_appointment()->set_plate("粤B12345");
    req.mutable_appointment()->set_direction(v1::DIRECTION_IN);
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(5));
    ctx.AddMetadata("authorization", auth::BearerValue(token));
    v1::Appointment out;
    return v1::TerminalService::NewStub(channel)->UpsertAppointment(&ctx, req, &out);
  }

  // Waits until the server answers over TLS (it is starting).
  bool WaitUp() {
    for (int i = 0; i < 200; ++i) {
      if (Book(ChannelAs(""), tos_.token).ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  auth::TestCertificates certs_;
  TempDir dir_;
  const std::string config_ = dir_.path() + "/yardgate.conf";
  int port_ = 0;
  std::string address_;
  auth::MintedToken tos_;
  std::unique_ptr<ServerProcess> server_;
  int key_ = 0;
};

TEST_F(TrustTlsTest, AKioskCertificateActsForItsOwnLaneAndAnotherCaIsRefusedAtTheHandshake) {
  ASSERT_TRUE(WaitUp());
  EXPECT_TRUE(Arrive(ChannelAs("lane-L1"), "L1").ok());
  const grpc::Status other_lane = Arrive(ChannelAs("lane-L1"), "L2");
  EXPECT_EQ(other_lane.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other_lane.error_message();
  const grpc::Status other_ca = Arrive(ChannelAs("other-lane-L1"), "L1");
  EXPECT_EQ(other_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << other_ca.error_message();
  // Without a certificate and without a token: no one.
  EXPECT_EQ(Arrive(ChannelAs(""), "L1").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TrustTlsTest, ARotatedOutTokenStopsWorkingAfterSighup) {
  ASSERT_TRUE(WaitUp());
  EXPECT_TRUE(Book(ChannelAs(""), tos_.token).ok());
  WriteConfig(/*with_token=*/false);
  server_->Signal(SIGHUP);
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = Book(ChannelAs(""), tos_.token).error_code() == grpc::StatusCode::UNAUTHENTICATED;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(refused);
}

TEST(TrustListenTest, BeyondLoopbackWithoutTlsTheServerRefusesToStart) {
  TempDir dir;
  const std::string config = dir.path() + "/yardgate.conf";
  std::ofstream(config) << "[lane L1]\ndirection = in\n";
  ServerProcess server(config, "0.0.0.0:" + std::to_string(FreePort()), dir.path());
  EXPECT_NE(server.ExitStatus(10000), 0);
  std::ifstream log(dir.path() + "/server.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("allow_insecure_non_loopback"), std::string::npos) << text;
}

}  // namespace
}  // namespace yardgate::testing
