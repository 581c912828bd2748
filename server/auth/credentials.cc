#include "server/auth/credentials.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace yardgate::auth {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kSecretBytes = 32;
constexpr size_t kHashBytes = 32;
constexpr absl::string_view kTokenPrefix = "yg1.";

std::vector<absl::string_view> Words(absl::string_view value) {
  return absl::StrSplit(value, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

// Decodes exactly `bytes` bytes of hex, or returns false.
bool DecodeHex(absl::string_view hex, size_t bytes, std::string* out) {
  if (hex.size() != 2 * bytes) return false;
  if (!std::all_of(hex.begin(), hex.end(), [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); })) {
    return false;
  }
  *out = absl::HexStringToBytes(hex);
  return true;
}

std::string Sha256(absl::string_view salt, absl::string_view secret) {
  std::string input = absl::StrCat(salt, secret);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr) != 1 || length != kHashBytes) {
    // SHA-256 does not fail on a working libcrypto; an empty hash matches no stored one.
    OPENSSL_cleanse(input.data(), input.size());
    return "";
  }
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// The lanes part of a line: required for role lane, refused for any other role.
absl::Status CheckLanes(Role role, const std::vector<std::string>& lanes) {
  if (role == Role::kLane && lanes.empty()) return absl::InvalidArgumentError("a lane principal needs at least one lane");
  if (role != Role::kLane && !lanes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("only lane principals have lanes, not ", RoleName(role)));
  }
  for (const std::string& lane : lanes) {
    if (!IsValidId(lane)) return absl::InvalidArgumentError(absl::StrCat("lane '", lane, "' is not a valid lane id"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> MakePrincipal(absl::string_view role_name, absl::string_view id,
                                        std::vector<std::string> lanes) {
  absl::StatusOr<Role> role = ParseRole(role_name);
  if (!role.ok()) return role.status();
  if (!IsValidId(id)) {
    return absl::InvalidArgumentError(absl::StrCat("'", id, "' is not a valid id (letters, digits and . _ @ -)"));
  }
  if (absl::Status s = CheckLanes(*role, lanes); !s.ok()) return s;
  return Principal{*role, std::string(id), std::move(lanes)};
}

// A config line "ROLE ID <fixed - 2 more words> [LANE...]": its principal; errors start with `usage`.
absl::StatusOr<Principal> PrincipalOfLine(absl::string_view usage, const std::vector<absl::string_view>& words,
                                          size_t fixed) {
  if (words.size() < fixed) {
    return absl::InvalidArgumentError(absl::StrCat(usage, fixed, " words or more, got ", words.size()));
  }
  absl::StatusOr<Principal> principal =
      MakePrincipal(words[0], words[1], std::vector<std::string>(words.begin() + fixed, words.end()));
  if (!principal.ok()) return absl::Status(principal.status().code(), absl::StrCat(usage, principal.status().message()));
  return principal;
}

}  // namespace

absl::StatusOr<TokenEntry> ParseTokenEntry(absl::string_view value) {
  constexpr absl::string_view kUsage = "token = ROLE ID SALT HASH [LANE...]: ";
  const std::vector<absl::string_view> words = Words(value);
  absl::StatusOr<Principal> principal = PrincipalOfLine(kUsage, words, 4);
  if (!principal.ok()) return principal.status();
  TokenEntry entry{*std::move(principal), "", ""};
  if (!DecodeHex(words[2], kSaltBytes, &entry.salt)) {
    return absl::InvalidArgumentError(absl::StrCat(kUsage, "SALT is ", 2 * kSaltBytes, " hex digits"));
  }
  if (!DecodeHex(words[3], kHashBytes, &entry.hash)) {
    return absl::InvalidArgumentError(absl::StrCat(kUsage, "HASH is ", 2 * kHashBytes, " hex digits"));
  }
  return entry;
}

std::string FormatTokenEntry(const TokenEntry& entry) {
  std::string out = absl::StrCat(RoleName(entry.principal.role), " ", entry.principal.id, " ",
                                 absl::BytesToHexString(entry.salt), " ", absl::BytesToHexString(entry.hash));
  for (const std::string& lane : entry.principal.lanes) absl::StrAppend(&out, " ", lane);
  return out;
}

absl::StatusOr<CertificatePrincipal> ParseCertificatePrincipal(absl::string_view value) {
  constexpr absl::string_view kUsage = "cert = ROLE NAME [LANE...]: ";
  const std::vector<absl::string_view> words = Words(value);
  absl::StatusOr<Principal> principal = PrincipalOfLine(kUsage, words, 2);
  if (!principal.ok()) return principal.status();
  if (!IsDevice(principal->role)) {
    return absl::InvalidArgumentError(absl::StrCat(kUsage, "certificates name lane or seal_terminal principals; ",
                                                   RoleName(principal->role), " uses a token"));
  }
  return CertificatePrincipal{std::string(words[1]), *std::move(principal)};
}

absl::StatusOr<MintedToken> MintToken(Role role, absl::string_view id, const std::vector<std::string>& lanes) {
  absl::StatusOr<Principal> principal = MakePrincipal(RoleName(role), id, lanes);
  if (!principal.ok()) return principal.status();
  unsigned char random[kSaltBytes + kSecretBytes];
  if (RAND_bytes(random, sizeof random) != 1) {
    return absl::UnavailableError("the system's random source failed; no token minted");
  }
  const std::string salt(reinterpret_cast<const char*>(random), kSaltBytes);
  std::string secret(reinterpret_cast<const char*>(random) + kSaltBytes, kSecretBytes);
  OPENSSL_cleanse(random, sizeof random);
  TokenEntry entry{*std::move(principal), salt, Sha256(salt, secret)};
  if (entry.hash.empty()) return absl::InternalError("SHA-256 failed in libcrypto; no token minted");
  MintedToken minted;
  minted.token = absl::StrCat(kTokenPrefix, absl::BytesToHexString(salt), ".", absl::BytesToHexString(secret));
  OPENSSL_cleanse(secret.data(), secret.size());
  minted.config_line = absl::StrCat("token = ", FormatTokenEntry(entry));
  return minted;
}

absl::StatusOr<std::shared_ptr<const Credentials>> Credentials::Create(
    std::vector<TokenEntry> tokens, std::vector<CertificatePrincipal> certificates) {
  std::shared_ptr<Credentials> c(new Credentials());
  for (TokenEntry& t : tokens) {
    const std::string salt = t.salt;
    if (!c->tokens_.emplace(salt, std::move(t)).second) {
      return absl::InvalidArgumentError(absl::StrCat("two token lines share the salt ", absl::BytesToHexString(salt),
                                                     ": mint a new token instead of copying a line"));
    }
  }
  for (CertificatePrincipal& p : certificates) {
    const std::string name = p.name;
    if (!c->certificates_.emplace(name, std::move(p)).second) {
      return absl::InvalidArgumentError(absl::StrCat("two cert lines name '", name, "'"));
    }
  }
  return std::shared_ptr<const Credentials>(std::move(c));
}

const Principal* Credentials::FindToken(absl::string_view token) const {
  // yg1.<32 hex salt>.<64 hex secret>
  if (token.size() != kTokenPrefix.size() + 2 * kSaltBytes + 1 + 2 * kSecretBytes ||
      token.substr(0, kTokenPrefix.size()) != kTokenPrefix || token[kTokenPrefix.size() + 2 * kSaltBytes] != '.') {
    return nullptr;
  }
  std::string salt, secret;
  if (!DecodeHex(token.substr(kTokenPrefix.size(), 2 * kSaltBytes), kSaltBytes, &salt) ||
      !DecodeHex(token.substr(kTokenPrefix.size() + 2 * kSaltBytes + 1), kSecretBytes, &secret)) {
    return nullptr;
  }
  const auto it = tokens_.find(salt);
  // Hash and compare even for an unknown salt, so the time taken does not tell whether it exists.
  static const std::string kNoHash(kHashBytes, '\0');
  const std::string& stored = it != tokens_.end() ? it->second.hash : kNoHash;
  const std::string presented = Sha256(salt, secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  const bool equal = presented.size() == kHashBytes && stored.size() == kHashBytes &&
                     CRYPTO_memcmp(presented.data(), stored.data(), kHashBytes) == 0;
  return equal && it != tokens_.end() ? &it->second.principal : nullptr;
}

absl::StatusOr<const Principal*> Credentials::FindCertificate(const std::vector<std::string>& names) const {
  const CertificatePrincipal* found = nullptr;
  for (const std::string& name : names) {
    const auto it = certificates_.find(name);
    if (it == certificates_.end() || &it->second == found) continue;
    if (found != nullptr) {
      return absl::UnauthenticatedError(absl::StrCat("the client certificate names both '", found->name, "' and '",
                                                     it->second.name, "' of [auth]; refused rather than guessed"));
    }
    found = &it->second;
  }
  return found != nullptr ? &found->principal : nullptr;
}

CredentialStore::CredentialStore(std::shared_ptr<const Credentials> initial) : current_(std::move(initial)) {}

std::shared_ptr<const Credentials> CredentialStore::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void CredentialStore::Replace(std::shared_ptr<const Credentials> next) {
  std::shared_ptr<const Credentials> old;  // released outside the lock
  absl::MutexLock lock(&mu_);
  old = std::exchange(current_, std::move(next));
}

}  // namespace yardgate::auth
