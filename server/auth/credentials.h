// Credentials: which bearer tokens and which client certificates stand for which principal.
//
// Both come from the [auth] section of the config (auth_config.h parses the lines):
//
//   token = ROLE ID SALT HASH [LANE...]   ; a bearer token, stored hashed; minted by
//                                         ; `yardgatectl mint-token`
//   cert  = ROLE NAME [LANE...]           ; a client certificate whose CN or a SAN is NAME
//
// Tokens. MintToken makes a random token and the line to store. The token is
// "yg1.<salt>.<secret>" (16 random bytes of salt and 32 of secret, in hex); the config keeps
// the salt and SHA-256(salt || secret), never the secret. The salt doubles as the entry's
// selector: a presented token is looked up by its salt (a public, random name, not a secret) and
// verified by comparing the hash of its secret with the stored one in constant time
// (CRYPTO_memcmp over the fixed 32 bytes), so a lookup costs one hash however many tokens there
// are and the time taken says nothing about how much of a secret matched. Several tokens may
// stand for one principal, which is how a token is rotated: add the new line, hand the token
// out, remove the old line, SIGHUP.
//
// Certificates. The TLS handshake has already verified the certificate against the site's CA
// (transport.h); this table only names the principal: the role (lane or seal_terminal) and the
// lanes. A certificate matches an entry when its CN or any SAN equals NAME; one that matches two
// entries is refused rather than guessed.
//
//   token = clerk clerk-7 6f1c...e2 9a0b...41
//   cert  = lane lane-L1 L1
//   cert  = lane lane-L3 L3 L4            ; one controller for two lanes
//   cert  = seal_terminal seal-ST1
//
// Thread-safety: Credentials is immutable once created and safe to share. CredentialStore is the
// swappable holder a SIGHUP reload replaces atomically; callers take a snapshot with Current()
// and keep it for one call, so a call never sees half of an old and half of a new table.
#ifndef YARDGATE_SERVER_AUTH_CREDENTIALS_H_
#define YARDGATE_SERVER_AUTH_CREDENTIALS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/auth/principal.h"

namespace yardgate::auth {

// One stored token: its principal, salt and SHA-256(salt || secret), as raw bytes.
struct TokenEntry {
  Principal principal;
  std::string salt;  // 16 bytes
  std::string hash;  // 32 bytes
};

// Parses the value of a "token =" line: "ROLE ID SALT HASH [LANE...]" with SALT (32) and HASH
// (64) in hex; lanes for, and only for, role lane.
absl::StatusOr<TokenEntry> ParseTokenEntry(absl::string_view value);

// The value of the "token =" line that ParseTokenEntry reads back.
std::string FormatTokenEntry(const TokenEntry& entry);

// One certificate mapping: certificates naming `name` act as `principal` (whose id is `name`).
struct CertificatePrincipal {
  std::string name;
  Principal principal;
};

// Parses the value of a "cert =" line: "ROLE NAME [LANE...]", ROLE lane (with at least one lane)
// or seal_terminal. Other roles authenticate with tokens.
absl::StatusOr<CertificatePrincipal> ParseCertificatePrincipal(absl::string_view value);

struct MintedToken {
  std::string token;        // give this to the caller, once; it is not stored anywhere
  std::string config_line;  // "token = ROLE ID SALT HASH [LANE...]", for [auth]
};

// A new random token for the principal (lanes only for role lane). Errors for an invalid id or
// lane, or when the system's random source fails.
absl::StatusOr<MintedToken> MintToken(Role role, absl::string_view id, const std::vector<std::string>& lanes = {});

class Credentials final {
 public:
  // Errors for two token lines with one salt, or two cert lines with one name.
  static absl::StatusOr<std::shared_ptr<const Credentials>> Create(std::vector<TokenEntry> tokens,
                                                                   std::vector<CertificatePrincipal> certificates);

  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  // The principal the token stands for, or null (unknown, rotated out, malformed).
  const Principal* FindToken(absl::string_view token) const;

  // The principal named by a certificate with these names (its CN and SANs), or null when none
  // is mapped. An error when the names match two different entries.
  absl::StatusOr<const Principal*> FindCertificate(const std::vector<std::string>& names) const;

  size_t token_count() const { return tokens_.size(); }
  size_t certificate_count() const { return certificates_.size(); }

 private:
  Credentials() = default;

  std::map<std::string, TokenEntry, std::less<>> tokens_;                    // by salt
  std::map<std::string, CertificatePrincipal, std::less<>> certificates_;  // by name
};

// The current credentials, replaced as a whole on reload.
class CredentialStore final {
 public:
  explicit CredentialStore(std::shared_ptr<const Credentials> initial);
  CredentialStore(const CredentialStore&) = delete;
  CredentialStore& operator=(const CredentialStore&) = delete;

  std::shared_ptr<const Credentials> Current() const;
  // From the next call on, every lookup uses `next`; calls holding the old snapshot finish with it.
  void Replace(std::shared_ptr<const Credentials> next);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const Credentials> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_CREDENTIALS_H_
