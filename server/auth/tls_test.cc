// Over real TLS on loopback, with certificates made by deploy/make-test-certs.sh at run time:
// kiosk certificates, a certificate from another CA, bearer tokens and their rotation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "server/auth/auth_config.h"
#include "server/auth/authorizer.h"
#include "server/auth/testing.h"
#include "yardgate/v1/gate_service.grpc.pb.h"
#include "yardgate/v1/seal_service.grpc.pb.h"
#include "yardgate/v1/terminal_service.grpc.pb.h"

namespace yardgate::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!certs_.ok()) GTEST_SKIP() << certs_.error();
    tos_ = Mint(Role::kTerminalSystem, "tos");
    officer_ = Mint(Role::kOfficer, "officer-3");
    lane_token_ = Mint(Role::kLane, "lane-L1", {"L1"});
    Configure({"lane lane-L1 L1", "seal_terminal seal-ST1"}, {tos_, officer_, lane_token_});
    store_ = std::make_unique<CredentialStore>(credentials_);
    authorizer_ = std::make_unique<Authorizer>(store_.get(), audit_.Sink(), nullptr);
    absl::StatusOr<std::unique_ptr<StandInServer>> server =
        StandInServer::Start(certs_.ServerConfig(), "127.0.0.1:0", authorizer_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_EQ(server_->mode(), TransportMode::kTls);
  }

  MintedToken Mint(Role role, const std::string& id, const std::vector<std::string>& lanes = {}) {
    absl::StatusOr<MintedToken> m = MintToken(role, id, lanes);
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }

  // The credentials an [auth] section with these cert lines and minted tokens gives.
  void Configure(const std::vector<std::string>& cert_lines, const std::vector<MintedToken>& tokens) {
    AuthConfig config;
    for (const std::string& l : cert_lines) ASSERT_TRUE(SetAuthKey(config, "cert", l).ok());
    for (const MintedToken& t : tokens) {
      ASSERT_TRUE(SetAuthKey(config, "token", t.config_line.substr(std::string("token = ").size())).ok());
    }
    absl::StatusOr<std::shared_ptr<const Credentials>> c = Credentials::Create(config.tokens, config.certificates);
    ASSERT_TRUE(c.ok()) << c.status();
    credentials_ = *c;
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& client_certificate = "") {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = ClientCredentials(certs_.Client(client_certificate));
    EXPECT_TRUE(creds.ok()) << creds.status();
    return grpc::CreateChannel(server_->address(), *creds);
  }

  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  grpc::Status ListVisits(const std::shared_ptr<grpc::Channel>& channel, const std::string& token) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    if (!token.empty()) ctx.AddMetadata(kAuthorizationHeader, BearerValue(token));
    v1::ListVisitsRequest request;
    v1::ListVisitsResponse response;
    return v1::TerminalService::NewStub(channel)->ListVisits(&ctx, request, &response);
  }

  grpc::Status SubmitArrival(const std::string& client_certificate, const std::string& lane) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::SubmitArrivalRequest request;
    v1::SubmitArrivalResponse response;
    request.set_lane_id(lane);
    return v1::GateService::NewStub(Channel(client_certificate))->SubmitArrival(&ctx, request, &response);
  }

  std::vector<Refusal> audit() const { return audit_.records(); }

  TestCertificates certs_;
  MintedToken tos_, officer_, lane_token_;
  std::shared_ptr<const Credentials> credentials_;
  std::unique_ptr<CredentialStore> store_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<StandInServer> server_;
  AuditLog audit_;
};

TEST_F(TlsTest, AKioskCertificateWorksForItsOwnLaneAndIsRefusedForAnother) {
  const grpc::Status own = SubmitArrival("lane-L1", "L1");
  ASSERT_TRUE(own.ok()) << own.error_message();
  ASSERT_EQ(server_->reached().size(), 1u);
  EXPECT_EQ(server_->reached()[0].principal, (Principal{Role::kLane, "lane-L1", {"L1"}}));

  const grpc::Status s = SubmitArrival("lane-L1", "L2");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(),
            "/yardgate.v1.GateService/SubmitArrival: lane lane-L1 (lanes L1) may act for its own lanes only, not for "
            "lane 'L2'");
  EXPECT_EQ(server_->reached().size(), 1u);
  ASSERT_EQ(audit().size(), 1u);
  EXPECT_EQ(audit()[0].method, "/yardgate.v1.GateService/SubmitArrival");
  EXPECT_EQ(audit()[0].caller, "lane lane-L1 (lanes L1)");
  EXPECT_THAT(audit()[0].peer, StartsWith("ipv4:127.0.0.1:"));
}

TEST_F(TlsTest, AKioskMayNotCallWhatTheTableDoesNotGiveIt) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::SetCustomsStatusRequest request;
  v1::SetCustomsStatusResponse response;
  const grpc::Status s = v1::TerminalService::NewStub(Channel("lane-L1"))->SetCustomsStatus(&ctx, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(),
            "/yardgate.v1.TerminalService/SetCustomsStatus may not be called by lane lane-L1 (lanes L1) (role lane): "
            "it is for customs");
  ASSERT_EQ(audit().size(), 1u);
  // Refused by the processor, which knows the certificate but not the address.
  EXPECT_EQ(audit()[0].peer, "tls CN=lane-L1");
}

TEST_F(TlsTest, ACertificateFromAnotherCaIsRefusedAtTheHandshake) {
  // other-lane-L1 has the kiosk's very CN, signed by an unrelated CA.
  const grpc::Status s = SubmitArrival("other-lane-L1", "L1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // No call was made: nothing reached the service, the processor saw nothing to audit.
  EXPECT_TRUE(server_->reached().empty());
  EXPECT_TRUE(audit().empty());
}

TEST_F(TlsTest, ABearerTokenWorksAndARotatedOutTokenStops) {
  const MintedToken next = Mint(Role::kTerminalSystem, "tos");
  std::shared_ptr<grpc::Channel> channel = Channel();  // no client certificate
  ASSERT_TRUE(ListVisits(channel, tos_.token).ok());
  ASSERT_EQ(server_->reached().size(), 1u);
  EXPECT_EQ(server_->reached()[0].principal.ToString(), "terminal_system tos");

  // Rotation: both lines, then the new one only, as two successive SIGHUP reloads would.
  Configure({"lane lane-L1 L1"}, {tos_, next});
  store_->Replace(credentials_);
  EXPECT_TRUE(ListVisits(channel, tos_.token).ok());
  EXPECT_TRUE(ListVisits(channel, next.token).ok());
  Configure({"lane lane-L1 L1"}, {next});
  store_->Replace(credentials_);
  // The same connection: the check is per call, nothing is remembered from the first call.
  const grpc::Status old = ListVisits(channel, tos_.token);
  EXPECT_EQ(old.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(old.error_message(),
            "/yardgate.v1.TerminalService/ListVisits: the bearer token is not known (revoked, rotated out or mistyped)");
  EXPECT_TRUE(ListVisits(channel, next.token).ok());
  ASSERT_EQ(audit().size(), 1u);
  EXPECT_EQ(audit()[0].caller, "unidentified");
  EXPECT_THAT(audit()[0].status.message(), ::testing::Not(HasSubstr(tos_.token.substr(4))));
}

TEST_F(TlsTest, AMethodWithNoPolicyIsRefused) {
  v1::GetVisitRequest request;
  const grpc::Status s = CallMethod(Channel(), "/yardgate.v1.TerminalService/DeleteEverything", request, tos_.token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), StartsWith("/yardgate.v1.TerminalService/DeleteEverything has no policy"));
  EXPECT_TRUE(server_->reached().empty());
}

TEST_F(TlsTest, DeviceTokensAreRefusedOverTls) {
  v1::SubmitArrivalRequest request;
  request.set_lane_id("L1");
  const grpc::Status s = CallMethod(Channel(), "/yardgate.v1.GateService/SubmitArrival", request, lane_token_.token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("lane principals authenticate with their client certificate over TLS"));
}

TEST_F(TlsTest, ACertificateNoCertLineMapsIsRefused) {
  Configure({"lane lane-L1 L1"}, {tos_});  // seal-ST1 no longer mapped
  store_->Replace(credentials_);
  v1::GetSealRequest request;
  const grpc::Status s = CallMethod(Channel("seal-ST1"), "/yardgate.v1.SealService/GetSeal", request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("the client certificate CN=seal-ST1 SAN=seal-ST1 is not mapped by a cert line of [auth]"));
}

TEST_F(TlsTest, AnOfficersTokenOnASealTerminalActsAsTheOfficer) {
  v1::RequestUnlockRequest request;
  request.set_officer_id("officer-3");
  // The terminal alone may not order an unlock; the officer's token on it may.
  EXPECT_EQ(CallMethod(Channel("seal-ST1"), "/yardgate.v1.SealService/RequestUnlock", request).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const grpc::Status s = CallMethod(Channel("seal-ST1"), "/yardgate.v1.SealService/RequestUnlock", request, officer_.token);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(server_->reached().back().principal.ToString(), "officer officer-3");
}

TEST_F(TlsTest, HealthNeedsNoCredentialsReflectionDoes) {
  std::shared_ptr<grpc::Channel> channel = Channel();
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status s = grpc::health::v1::Health::NewStub(channel)->Check(&ctx, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  for (const std::string& token : {std::string(), tos_.token}) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    if (!token.empty()) ctx.AddMetadata(kAuthorizationHeader, BearerValue(token));
    auto stream = grpc::reflection::v1alpha::ServerReflection::NewStub(channel)->ServerReflectionInfo(&ctx);
    grpc::reflection::v1alpha::ServerReflectionRequest request;
    request.set_list_services("");
    stream->Write(request);
    stream->WritesDone();
    grpc::reflection::v1alpha::ServerReflectionResponse response;
    const bool answered = stream->Read(&response);
    const grpc::Status s = stream->Finish();
    if (token.empty()) {
      EXPECT_FALSE(answered);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    } else {
      EXPECT_TRUE(answered);
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_GT(response.list_services_response().service_size(), 0);
    }
  }
}

}  // namespace
}  // namespace yardgate::auth
