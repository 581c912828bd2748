#include "server/auth/auth_config.h"

#include "absl/strings/str_cat.h"

namespace yardgate::auth {

absl::Status SetAuthKey(AuthConfig& config, absl::string_view key, absl::string_view value) {
  if (key == "token") {
    absl::StatusOr<TokenEntry> entry = ParseTokenEntry(value);
    if (!entry.ok()) return entry.status();
    config.tokens.push_back(*std::move(entry));
    return absl::OkStatus();
  }
  if (key == "cert") {
    absl::StatusOr<CertificatePrincipal> entry = ParseCertificatePrincipal(value);
    if (!entry.ok()) return entry.status();
    config.certificates.push_back(*std::move(entry));
    return absl::OkStatus();
  }
  std::string* file = key == "tls_cert"    ? &config.transport.tls_cert_file
                      : key == "tls_key"   ? &config.transport.tls_key_file
                      : key == "client_ca" ? &config.transport.client_ca_file
                                           : nullptr;
  if (file != nullptr) {
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(key, " needs a file name"));
    *file = std::string(value);
    return absl::OkStatus();
  }
  if (key == "allow_insecure_non_loopback") {
    if (value != "true" && value != "false") {
      return absl::InvalidArgumentError(absl::StrCat("allow_insecure_non_loopback is true or false, not '", value, "'"));
    }
    config.transport.allow_insecure_non_loopback = value == "true";
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown key '", key, "' in [auth]: use token, cert, tls_cert, tls_key, client_ca or allow_insecure_non_loopback"));
}

}  // namespace yardgate::auth
