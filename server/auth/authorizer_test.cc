// The policy table over the wire: every method of the three yardgate services, found in the
// descriptor pool, called by every role and by nobody, through the real processor and
// Authorize in front of a stand-in service, in the development mode and over real TLS.
#include "server/auth/authorizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/auth/testing.h"
#include "yardgate/v1/gate_service.pb.h"
#include "yardgate/v1/seal_service.pb.h"
#include "yardgate/v1/terminal_service.pb.h"

namespace yardgate::auth {
namespace {

using ::testing::HasSubstr;

// One caller per role, plus how it authenticates.
struct Caller {
  Principal principal;
  std::string token;        // empty: a client certificate instead
  std::string certificate;  // make-test-certs.sh name, TLS only
};

absl::StatusOr<std::string> LaneOfTestVisit(const std::string& visit) {
  if (visit == "visit-L1") return std::string("L1");
  if (visit == "visit-L2") return std::string("L2");
  return absl::NotFoundError(visit);
}

void SetString(google::protobuf::Message* m, absl::string_view field, const std::string& value) {
  const google::protobuf::FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(std::string(field));
  ASSERT_NE(f, nullptr) << m->GetDescriptor()->full_name() << "." << field;
  m->GetReflection()->SetString(m, f, value);
}

enum class Mode { kDevelopment, kTls };

class PolicyOverTheWireTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    if (GetParam() == Mode::kTls && !certs_.ok()) GTEST_SKIP() << certs_.error();
    const bool tls = GetParam() == Mode::kTls;
    const std::vector<std::pair<Principal, std::string>> people = {
        {{Role::kLane, "lane-L1", {"L1"}}, "lane-L1"},
        {{Role::kSealTerminal, "seal-ST1", {}}, "seal-ST1"},
        {{Role::kOfficer, "officer-3", {}}, ""},
        {{Role::kCustoms, "customs-1", {}}, ""},
        {{Role::kClerk, "clerk-7", {}}, ""},
        {{Role::kTerminalSystem, "tos", {}}, ""},
        {{Role::kAdmin, "admin", {}}, ""},
    };
    std::vector<TokenEntry> tokens;
    std::vector<CertificatePrincipal> certificates;
    for (const auto& [principal, certificate] : people) {
      Caller c{principal, "", ""};
      // Over TLS the devices use their certificates; without TLS they have tokens too.
      if (tls && !certificate.empty()) {
        c.certificate = certificate;
        certificates.push_back({certificate, principal});
      } else {
        absl::StatusOr<MintedToken> m = MintToken(principal.role, principal.id, principal.lanes);
        ASSERT_TRUE(m.ok()) << m.status();
        c.token = m->token;
        absl::StatusOr<TokenEntry> e = ParseTokenEntry(m->config_line.substr(std::string("token = ").size()));
        ASSERT_TRUE(e.ok());
        tokens.push_back(*e);
      }
      callers_.push_back(c);
    }
    absl::StatusOr<std::shared_ptr<const Credentials>> credentials = Credentials::Create(tokens, certificates);
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    store_ = std::make_unique<CredentialStore>(*credentials);
    authorizer_ = std::make_unique<Authorizer>(store_.get(), audit_.Sink(), LaneOfTestVisit);
    absl::StatusOr<std::unique_ptr<StandInServer>> server =
        StandInServer::Start(tls ? certs_.ServerConfig() : TransportConfig{}, "127.0.0.1:0", authorizer_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // One channel per certificate (the certificate belongs to the connection), one shared by all
  // token callers and by the caller without credentials.
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& certificate) {
    auto it = channels_.find(certificate);
    if (it != channels_.end()) return it->second;
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
        GetParam() == Mode::kTls ? ClientCredentials(certs_.Client(certificate)) : ClientCredentials({});
    EXPECT_TRUE(creds.ok()) << creds.status();
    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(server_->address(), *creds);
    channels_[certificate] = channel;
    return channel;
  }

  TestCertificates certs_;
  std::vector<Caller> callers_;
  AuditLog audit_;
  std::unique_ptr<CredentialStore> store_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<StandInServer> server_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

TEST_P(PolicyOverTheWireTest, EveryMethodAndRoleAsTheTableSays) {
  int calls = 0, allowed = 0, refused = 0;
  const std::vector<const google::protobuf::MethodDescriptor*> methods = YardgateServiceMethods();
  EXPECT_GE(methods.size(), 16u);
  for (const google::protobuf::MethodDescriptor* m : methods) {
    const std::string method = MethodPath(*m);
    const MethodPolicy* policy = FindPolicy(method);
    ASSERT_NE(policy, nullptr) << method << " is not covered by the policy table";
    const google::protobuf::Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(m->input_type());

    // Nobody: every yardgate method needs credentials.
    {
      ASSERT_FALSE(policy->anyone) << method;
      std::unique_ptr<google::protobuf::Message> request(prototype->New());
      const grpc::Status s = CallMethod(ChannelFor(""), method, *request);
      ++calls;
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
      EXPECT_THAT(s.error_message(), HasSubstr(method));
      ASSERT_FALSE(audit_.records().empty());
      EXPECT_EQ(audit_.records().back().method, method);
      EXPECT_EQ(audit_.records().back().caller, "nobody");
      ++refused;
    }

    for (const Caller& c : callers_) {
      const Principal& p = c.principal;
      const bool may = policy->roles.Has(p.role);
      // A request that names the caller's own lane and the caller itself, as a well-behaved
      // client sends it.
      std::unique_ptr<google::protobuf::Message> request(prototype->New());
      if (policy->lane.kind == LaneScope::Kind::kLaneField) SetString(request.get(), policy->lane.field, "L1");
      if (policy->lane.kind == LaneScope::Kind::kVisitField) SetString(request.get(), policy->lane.field, "visit-L1");
      if (!policy->actor_field.empty()) SetString(request.get(), policy->actor_field, p.id);

      const size_t reached_before = server_->reached().size();
      const size_t audited_before = audit_.records().size();
      const grpc::Status s = CallMethod(ChannelFor(c.certificate), method, *request, c.token);
      ++calls;
      if (may) {
        ++allowed;
        EXPECT_TRUE(s.ok()) << method << " by " << p.ToString() << ": " << s.error_message();
        ASSERT_EQ(server_->reached().size(), reached_before + 1) << method << " by " << p.ToString();
        EXPECT_EQ(server_->reached().back().method, method);
        EXPECT_EQ(server_->reached().back().principal, p);
        EXPECT_EQ(audit_.records().size(), audited_before);
      } else {
        ++refused;
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method << " by " << p.ToString();
        EXPECT_THAT(s.error_message(), HasSubstr(method));
        EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("(role ", RoleName(p.role), ")")));
        EXPECT_EQ(server_->reached().size(), reached_before) << method << " by " << p.ToString();
        const std::vector<Refusal> records = audit_.records();
        ASSERT_EQ(records.size(), audited_before + 1);
        const Refusal& r = records.back();
        EXPECT_EQ(r.method, method);
        EXPECT_EQ(r.caller, p.ToString());
        EXPECT_FALSE(r.peer.empty());
      }
      if (!may) continue;

      // The same caller, for another lane or as someone else.
      if (p.role == Role::kLane) {
        std::unique_ptr<google::protobuf::Message> other(request->New());
        other->CopyFrom(*request);
        SetString(other.get(), policy->lane.field,
                  policy->lane.kind == LaneScope::Kind::kVisitField ? "visit-L2" : "L2");
        const grpc::Status o = CallMethod(ChannelFor(c.certificate), method, *other, c.token);
        ++calls;
        ++refused;
        EXPECT_EQ(o.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method;
        EXPECT_THAT(o.error_message(), HasSubstr("may act for its own lanes only, not for lane 'L2'"));
        EXPECT_THAT(audit_.records().back().peer, ::testing::StartsWith("ipv4:127.0.0.1:"));
      }
      if (!policy->actor_field.empty() && !IsDevice(p.role)) {
        std::unique_ptr<google::protobuf::Message> other(request->New());
        other->CopyFrom(*request);
        SetString(other.get(), policy->actor_field, "someone-else");
        const grpc::Status o = CallMethod(ChannelFor(c.certificate), method, *other, c.token);
        ++calls;
        ++refused;
        EXPECT_EQ(o.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method;
        EXPECT_THAT(o.error_message(), HasSubstr("may act only as itself"));
      }
    }
  }
  std::printf("policy over the wire (%s): %d calls, %d allowed, %d refused\n",
              GetParam() == Mode::kTls ? "TLS" : "development mode", calls, allowed, refused);
  EXPECT_EQ(static_cast<int>(audit_.records().size()), refused);
  // No token, nor any part of its secret, in any audit record.
  for (const Caller& c : callers_) {
    if (c.token.empty()) continue;
    const std::string secret = c.token.substr(c.token.rfind('.') + 1);
    for (const Refusal& r : audit_.records()) {
      EXPECT_THAT(absl::StrCat(r.method, r.caller, r.peer, r.status.message()), ::testing::Not(HasSubstr(secret)));
    }
  }
}

TEST_P(PolicyOverTheWireTest, AMethodWithNoPolicyIsRefusedBeforeAnyHandler) {
  const Caller& admin = callers_.back();
  ASSERT_EQ(admin.principal.role, Role::kAdmin);
  v1::GetVisitRequest request;
  const grpc::Status s = CallMethod(ChannelFor(""), "/yardgate.v1.GateService/OpenAllBarriers", request, admin.token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("/yardgate.v1.GateService/OpenAllBarriers has no policy"));
  EXPECT_THAT(s.error_message(), HasSubstr("refused for admin admin"));
  EXPECT_TRUE(server_->reached().empty());
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].peer, GetParam() == Mode::kTls ? "tls without client certificate" : "local");
}

TEST_P(PolicyOverTheWireTest, AnUnknownTokenIsUnauthenticated) {
  absl::StatusOr<MintedToken> stranger = MintToken(Role::kAdmin, "admin");
  ASSERT_TRUE(stranger.ok());
  v1::ListVisitsRequest request;
  const grpc::Status s =
      CallMethod(ChannelFor(""), "/yardgate.v1.TerminalService/ListVisits", request, stranger->token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(),
            "/yardgate.v1.TerminalService/ListVisits: the bearer token is not known (revoked, rotated out or mistyped)");
  ASSERT_EQ(audit_.records().size(), 1u);
  EXPECT_EQ(audit_.records()[0].caller, "unidentified");
}

INSTANTIATE_TEST_SUITE_P(Transports, PolicyOverTheWireTest, ::testing::Values(Mode::kDevelopment, Mode::kTls),
                         [](const ::testing::TestParamInfo<Mode>& i) {
                           return i.param == Mode::kTls ? std::string("Tls") : std::string("Development");
                         });

// Why Authorize identifies the caller again instead of reading what the processor found: in
// gRPC 1.51 a property the processor adds to the AuthContext is seen by every later call on the
// same connection. If this starts failing, gRPC made the context per call, and the processor
// could hand the principal over (and consume the token).
TEST(GrpcBehaviourTest, ProcessorPropertiesBelongToTheConnection) {
  class Tagger final : public grpc::AuthMetadataProcessor {
   public:
    bool IsBlocking() const override { return false; }
    grpc::Status Process(const InputMetadata& md, grpc::AuthContext* ctx, OutputMetadata*, OutputMetadata*) override {
      const auto tag = md.find("x-tag");
      if (tag != md.end()) ctx->AddProperty("tag", tag->second);
      return grpc::Status::OK;
    }
  };
  class Echo final : public grpc::CallbackGenericService {
   public:
    std::vector<std::vector<std::string>> seen;
    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
      std::vector<std::string> tags;
      for (grpc::string_ref v : ctx->auth_context()->FindPropertyValues("tag")) tags.emplace_back(v.data(), v.size());
      seen.push_back(tags);
      class Done final : public grpc::ServerGenericBidiReactor {
       public:
        Done() { Finish(grpc::Status::OK); }
        void OnDone() override { delete this; }
      };
      return new Done();
    }
  };
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  creds->SetAuthMetadataProcessor(std::make_shared<Tagger>());
  Echo echo;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", creds, &port);
  builder.RegisterCallbackGenericService(&echo);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  for (const char* tag : {"first", ""}) {
    grpc::GenericStub stub(channel);
    grpc::ClientContext ctx;
    if (*tag != '\0') ctx.AddMetadata("x-tag", tag);
    grpc::Slice bytes("x");
    grpc::ByteBuffer request(&bytes, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/t.T/M", grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(s); });
    ASSERT_TRUE(done.get_future().get().ok());
  }
  server->Shutdown();
  ASSERT_EQ(echo.seen.size(), 2u);
  EXPECT_EQ(echo.seen[0], std::vector<std::string>{"first"});
  EXPECT_EQ(echo.seen[1], std::vector<std::string>{"first"}) << "the second call carried no tag";
}

}  // namespace
}  // namespace yardgate::auth
