// Transport: the gRPC server credentials for the configured listen address, and the matching
// client credentials for yardgatectl and the tests.
//
// Three modes, chosen from [auth] (auth_config.h) and the listen address:
//
//   TLS          tls_cert, tls_key and client_ca are set. The server presents its certificate;
//                client certificates are requested and, when presented, verified against
//                client_ca (a certificate from another CA fails the handshake). Lane kiosks
//                and seal terminals present one; token callers need not.
//   development  no TLS files, a loopback address (127.0.0.0/8, [::1], localhost, unix:).
//                LocalServerCredentials: plaintext, and gRPC itself refuses any connection that
//                does not come from loopback. The auth processor still runs, so tokens work
//                (and lane tokens are accepted, as there are no certificates).
//   insecure     no TLS files, a non-loopback address, and allow_insecure_non_loopback = true.
//                InsecureServerCredentials: gRPC 1.51 aborts the process if a processor is set on
//                them, so only the services' Authorizer::Authorize calls check callers; health
//                and reflection are open to anyone, and tokens cross the network in clear text.
//
// Without the flag, a non-loopback address without TLS is an error naming the address and the
// flag. Each mode comes with a one-line notice the server prints at start.
//
//   absl::StatusOr<ServerTransport> t = BuildServerTransport(auth.transport, listen, authorizer.Processor());
//   if (!t.ok()) return t.status();
//   std::fprintf(stderr, "yardgate-server: %s\n", t->notice.c_str());
//   builder.AddListeningPort(listen, t->credentials, &port);
//
// Certificates and keys are read once, here; changing them needs a restart.
//
// Thread-safety: free functions without shared state.
#ifndef YARDGATE_SERVER_AUTH_TRANSPORT_H_
#define YARDGATE_SERVER_AUTH_TRANSPORT_H_

#include <memory>
#include <string>

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace yardgate::auth {

// The transport keys of [auth].
struct TransportConfig {
  std::string tls_cert_file;    // tls_cert: the server's certificate chain (PEM)
  std::string tls_key_file;     // tls_key: its private key (PEM)
  std::string client_ca_file;   // client_ca: the CA that issues kiosk and seal-terminal certificates
  bool allow_insecure_non_loopback = false;  // allow_insecure_non_loopback
};

enum class TransportMode { kTls, kDevelopment, kInsecure };

struct ServerTransport {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  TransportMode mode = TransportMode::kTls;
  std::string notice;  // for the log at start, e.g. "gRPC on 127.0.0.1:50051: development mode ..."
};

// `processor` runs for every call in the TLS and development modes (Authorizer::Processor()).
// Errors name the file or address and what is wrong with it.
absl::StatusOr<ServerTransport> BuildServerTransport(const TransportConfig& config, absl::string_view listen_address,
                                                     std::shared_ptr<grpc::AuthMetadataProcessor> processor);

// Whether a gRPC listen address stays on this machine: 127.x.x.x, ::1, ::ffff:127.x.x.x,
// localhost, or a unix socket. Wildcards (0.0.0.0, [::], ":port") and other names are not.
bool IsLoopbackListenAddress(absl::string_view address);

// Client side. With ca_file: TLS trusting that CA, presenting cert_file/key_file when given.
// Without: plaintext, which a development-mode server accepts from loopback.
struct ClientTlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(const ClientTlsFiles& files);

// The metadata a token caller sends: AddMetadata(kAuthorizationHeader, BearerValue(token)).
inline constexpr char kAuthorizationHeader[] = "authorization";
std::string BearerValue(absl::string_view token);

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_TRANSPORT_H_
