#include "server/auth/transport.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace yardgate::auth {
namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(key, " '", path, "' cannot be read"));
  std::stringstream s;
  s << in.rdbuf();
  if (s.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(key, " '", path, "' is not PEM"));
  }
  return s.str();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::unique_ptr<X509, X509Free> FirstCertificate(const std::string& pem) {
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(MemoryBio(pem).get(), nullptr, nullptr, nullptr));
}

// gRPC reports an unusable certificate or key only as a failed AddListeningPort (port 0) or a
// failing handshake; checking here names the file instead.
absl::Status CheckServerPems(const TransportConfig& c, const std::string& cert, const std::string& key,
                             const std::string& ca) {
  std::unique_ptr<X509, X509Free> x509 = FirstCertificate(cert);
  if (x509 == nullptr) return absl::InvalidArgumentError(absl::StrCat("tls_cert '", c.tls_cert_file, "' holds no certificate"));
  std::unique_ptr<EVP_PKEY, KeyFree> pkey(PEM_read_bio_PrivateKey(MemoryBio(key).get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("tls_key '", c.tls_key_file, "' holds no unencrypted private key"));
  }
  if (X509_check_private_key(x509.get(), pkey.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls_key '", c.tls_key_file, "' is not the key of tls_cert '", c.tls_cert_file, "'"));
  }
  if (FirstCertificate(ca) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("client_ca '", c.client_ca_file, "' holds no certificate"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerTransport> Tls(const TransportConfig& c, absl::string_view listen,
                                    std::shared_ptr<grpc::AuthMetadataProcessor> processor) {
  absl::StatusOr<std::string> cert = ReadPem("tls_cert", c.tls_cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("tls_key", c.tls_key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem("client_ca", c.client_ca_file);
  if (!ca.ok()) return ca.status();
  if (absl::Status s = CheckServerPems(c, *cert, *key, *ca); !s.ok()) return s;

  // Requested and verified when presented, not required: kiosks and seal terminals present
  // one, token callers do not, and a certificate from another CA fails the handshake.
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  ServerTransport t;
  t.credentials = grpc::SslServerCredentials(options);
  t.credentials->SetAuthMetadataProcessor(std::move(processor));
  t.mode = TransportMode::kTls;
  t.notice = absl::StrCat("gRPC on ", listen, ": TLS with ", c.tls_cert_file, "; client certificates verified against ",
                          c.client_ca_file, " when presented");
  return t;
}

// The host part of "host:port", "[v6]:port" or "host".
absl::string_view HostOf(absl::string_view address) {
  if (absl::StartsWith(address, "[")) {
    const size_t end = address.find(']');
    return end == absl::string_view::npos ? absl::string_view() : address.substr(1, end - 1);
  }
  const size_t colon = address.rfind(':');
  return colon == absl::string_view::npos ? address : address.substr(0, colon);
}

bool IsUnixSocket(absl::string_view address) {
  return absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:");
}

}  // namespace

bool IsLoopbackListenAddress(absl::string_view address) {
  if (IsUnixSocket(address)) return true;
  const std::string host(HostOf(address));
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::StatusOr<ServerTransport> BuildServerTransport(const TransportConfig& config, absl::string_view listen_address,
                                                     std::shared_ptr<grpc::AuthMetadataProcessor> processor) {
  std::vector<absl::string_view> missing;
  if (config.tls_cert_file.empty()) missing.push_back("tls_cert");
  if (config.tls_key_file.empty()) missing.push_back("tls_key");
  if (config.client_ca_file.empty()) missing.push_back("client_ca");
  if (!missing.empty() && missing.size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("[auth] TLS needs tls_cert, tls_key and client_ca; missing ", absl::StrJoin(missing, ", ")));
  }
  const bool tls = missing.empty();
  const bool loopback = IsLoopbackListenAddress(listen_address);
  if (processor == nullptr && (tls || loopback)) {
    return absl::InvalidArgumentError("no authentication processor given for the gRPC listener");
  }
  if (tls) return Tls(config, listen_address, std::move(processor));

  ServerTransport t;
  if (loopback) {
    t.credentials = grpc::experimental::LocalServerCredentials(IsUnixSocket(listen_address) ? UDS : LOCAL_TCP);
    t.credentials->SetAuthMetadataProcessor(std::move(processor));
    t.mode = TransportMode::kDevelopment;
    t.notice = absl::StrCat("gRPC on ", listen_address,
                            ": DEVELOPMENT MODE without TLS, loopback clients only (set tls_cert, tls_key and "
                            "client_ca in [auth] for TLS)");
    return t;
  }
  if (!config.allow_insecure_non_loopback) {
    return absl::FailedPreconditionError(absl::StrCat(
        "gRPC would listen on ", listen_address,
        " beyond loopback without TLS: set tls_cert, tls_key and client_ca in [auth], listen on 127.0.0.1, or set "
        "allow_insecure_non_loopback = true to accept clear text on the network"));
  }
  t.credentials = grpc::InsecureServerCredentials();
  t.mode = TransportMode::kInsecure;
  t.notice = absl::StrCat("gRPC on ", listen_address,
                          ": WARNING: no TLS beyond loopback (allow_insecure_non_loopback): tokens cross the network "
                          "in clear text, no client certificates, and only the services' own checks run (health and "
                          "reflection are open)");
  return t;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(const ClientTlsFiles& files) {
  if (files.ca_file.empty()) {
    if (!files.cert_file.empty() || !files.key_file.empty()) {
      return absl::InvalidArgumentError("a client certificate needs the CA to trust as well");
    }
    return grpc::InsecureChannelCredentials();
  }
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both its certificate and its key");
  }
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = ReadPem("CA", files.ca_file);
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (!files.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPem("certificate", files.cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem("key", files.key_file);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

std::string BearerValue(absl::string_view token) { return absl::StrCat("Bearer ", token); }

}  // namespace yardgate::auth
