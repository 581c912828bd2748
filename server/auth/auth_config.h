// AuthConfig: the [auth] section of the server's config, key by key.
//
//   [auth]
//   tls_cert  = /etc/yardgate/server.crt    ; TLS: all three, or none (development mode)
//   tls_key   = /etc/yardgate/server.key
//   client_ca = /etc/yardgate/ca.crt        ; the CA of kiosk and seal-terminal certificates
//   allow_insecure_non_loopback = false     ; true: no TLS on a non-loopback address (see transport.h)
//   token = clerk clerk-7 <salt> <hash>     ; from `yardgatectl mint-token --role clerk --id clerk-7`
//   token = terminal_system tos <salt> <hash>
//   cert  = lane lane-L1 L1                 ; a client certificate with CN (or SAN) lane-L1
//   cert  = seal_terminal seal-ST1
//
// The config reader hands each "key = value" line of [auth] to SetAuthKey and adds the line
// number to an error. The tokens and certs become a Credentials with
// Credentials::Create(config.tokens, config.certificates); a SIGHUP reload parses the file
// again and replaces the CredentialStore's content, while the transport keys take effect at
// the next start.
//
// Thread-safety: a plain value type.
#ifndef YARDGATE_SERVER_AUTH_AUTH_CONFIG_H_
#define YARDGATE_SERVER_AUTH_AUTH_CONFIG_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/auth/credentials.h"
#include "server/auth/transport.h"

namespace yardgate::auth {

struct AuthConfig {
  std::vector<TokenEntry> tokens;
  std::vector<CertificatePrincipal> certificates;
  TransportConfig transport;
};

// Applies one key of [auth]; an error names the key and what is wrong with the value.
absl::Status SetAuthKey(AuthConfig& config, absl::string_view key, absl::string_view value);

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_AUTH_CONFIG_H_
