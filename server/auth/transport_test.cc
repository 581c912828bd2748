#include "server/auth/transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "server/auth/authorizer.h"
#include "server/auth/testing.h"
#include "yardgate/v1/terminal_service.pb.h"

namespace yardgate::auth {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<grpc::AuthMetadataProcessor> AnyProcessor() {
  static CredentialStore* const store = [] {
    absl::StatusOr<std::shared_ptr<const Credentials>> c = Credentials::Create({}, {});
    return new CredentialStore(*c);
  }();
  static Authorizer* const authorizer = new Authorizer(store, nullptr, nullptr);
  return authorizer->Processor();
}

TEST(TransportTest, LoopbackAddresses) {
  struct Case {
    const char* address;
    bool loopback;
  };
  const Case cases[] = {
      {"127.0.0.1:50051", true},  {"127.3.4.5:1", true},       {"localhost:50051", true},
      {"[::1]:50051", true},      {"[::ffff:127.0.0.1]:1", true}, {"unix:/run/yardgate.sock", true},
      {"unix-abstract:yg", true}, {"0.0.0.0:50051", false},    {"[::]:50051", false},
      {":50051", false},          {"192.0.2.7:50051", false},  {"10.0.0.1:1", false},
      {"gate.example:50051", false}, {"[::ffff:10.0.0.1]:1", false}, {"", false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsLoopbackListenAddress(c.address), c.loopback) << c.address;
}

TEST(TransportTest, DevelopmentModeOnLoopbackOnly) {
  for (const char* loopback : {"127.0.0.1:50051", "localhost:50051", "[::1]:50051", "unix:/tmp/yg.sock"}) {
    absl::StatusOr<ServerTransport> t = BuildServerTransport({}, loopback, AnyProcessor());
    ASSERT_TRUE(t.ok()) << loopback << ": " << t.status();
    EXPECT_EQ(t->mode, TransportMode::kDevelopment);
    EXPECT_THAT(t->notice, HasSubstr("DEVELOPMENT MODE without TLS, loopback clients only"));
    EXPECT_THAT(t->notice, HasSubstr(loopback));
  }
  for (const char* beyond : {"0.0.0.0:50051", "[::]:50051", ":50051", "192.0.2.7:50051", "gate.example:50051"}) {
    absl::StatusOr<ServerTransport> t = BuildServerTransport({}, beyond, AnyProcessor());
    ASSERT_FALSE(t.ok()) << beyond;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(absl::StrCat("gRPC would listen on ", beyond,
                                                                          " beyond loopback without TLS")));
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("allow_insecure_non_loopback = true"));
  }
}

TEST(TransportTest, TheFlagAllowsClearTextBeyondLoopbackAndSaysSo) {
  TransportConfig c;
  c.allow_insecure_non_loopback = true;
  absl::StatusOr<ServerTransport> t = BuildServerTransport(c, "0.0.0.0:50051", AnyProcessor());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->mode, TransportMode::kInsecure);
  EXPECT_THAT(t->notice, HasSubstr("WARNING: no TLS beyond loopback"));
  // On loopback the flag changes nothing: the processor still runs.
  absl::StatusOr<ServerTransport> local = BuildServerTransport(c, "127.0.0.1:50051", AnyProcessor());
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->mode, TransportMode::kDevelopment);
}

TEST(TransportTest, TlsNeedsAllThreeFilesAndMatchingOnes) {
  TransportConfig partial;
  partial.tls_cert_file = "/nonexistent/server.crt";
  EXPECT_EQ(BuildServerTransport(partial, "0.0.0.0:1", AnyProcessor()).status().message(),
            "[auth] TLS needs tls_cert, tls_key and client_ca; missing tls_key, client_ca");

  TestCertificates certs;
  if (!certs.ok()) GTEST_SKIP() << certs.error();
  absl::StatusOr<ServerTransport> good = BuildServerTransport(certs.ServerConfig(), "0.0.0.0:1", AnyProcessor());
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->mode, TransportMode::kTls);
  EXPECT_THAT(good->notice, HasSubstr("TLS with " + certs.Path("server.crt")));

  TransportConfig wrong_key = certs.ServerConfig();
  wrong_key.tls_key_file = certs.Path("lane-L1.key");
  EXPECT_THAT(std::string(BuildServerTransport(wrong_key, "0.0.0.0:1", AnyProcessor()).status().message()),
              HasSubstr("is not the key of tls_cert"));
  TransportConfig missing = certs.ServerConfig();
  missing.client_ca_file = certs.Path("no-such-ca.crt");
  EXPECT_EQ(BuildServerTransport(missing, "0.0.0.0:1", AnyProcessor()).status().message(),
            absl::StrCat("client_ca '", certs.Path("no-such-ca.crt"), "' cannot be read"));
  TransportConfig not_pem = certs.ServerConfig();
  not_pem.client_ca_file = certs.Path("ca.key.txt");
  std::ofstream(not_pem.client_ca_file) << "not a certificate\n";
  EXPECT_THAT(std::string(BuildServerTransport(not_pem, "0.0.0.0:1", AnyProcessor()).status().message()),
              HasSubstr("is not PEM"));
}

// Without a processor only Authorize checks callers: the services' own check still refuses.
TEST(TransportTest, InsecureModeStillRunsAuthorize) {
  absl::StatusOr<MintedToken> clerk = MintToken(Role::kClerk, "clerk-7");
  ASSERT_TRUE(clerk.ok());
  absl::StatusOr<TokenEntry> entry = ParseTokenEntry(clerk->config_line.substr(std::string("token = ").size()));
  ASSERT_TRUE(entry.ok());
  absl::StatusOr<std::shared_ptr<const Credentials>> credentials = Credentials::Create({*entry}, {});
  ASSERT_TRUE(credentials.ok());
  CredentialStore store(*credentials);
  AuditLog audit;
  Authorizer authorizer(&store, audit.Sink(), nullptr);
  TransportConfig c;
  c.allow_insecure_non_loopback = true;
  absl::StatusOr<std::unique_ptr<StandInServer>> server = StandInServer::Start(c, "0.0.0.0:0", &authorizer);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_EQ((*server)->mode(), TransportMode::kInsecure);
  const std::string port = (*server)->address().substr((*server)->address().rfind(':') + 1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("127.0.0.1:" + port, grpc::InsecureChannelCredentials());

  v1::ListTroubleVisitsRequest list;
  EXPECT_TRUE(CallMethod(channel, "/yardgate.v1.TerminalService/ListTroubleVisits", list, clerk->token).ok());
  EXPECT_EQ(CallMethod(channel, "/yardgate.v1.TerminalService/ListTroubleVisits", list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::SetCustomsStatusRequest customs;
  const grpc::Status s = CallMethod(channel, "/yardgate.v1.TerminalService/SetCustomsStatus", customs, clerk->token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(audit.records().size(), 2u);
  EXPECT_THAT(audit.records()[1].peer, ::testing::StartsWith("ipv4:127.0.0.1:"));
}

}  // namespace
}  // namespace yardgate::auth
