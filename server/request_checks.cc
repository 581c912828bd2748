#include "server/request_checks.h"

#include "absl/strings/str_cat.h"

namespace yardgate::server {
namespace {

// The length of the well-formed UTF-8 character at s[i], or 0.
size_t CharLength(absl::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

absl::Status CheckUtf8(absl::string_view field, absl::string_view value, bool allow_controls) {
  for (size_t i = 0; i < value.size();) {
    const size_t n = CharLength(value, i);
    if (n == 0) return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8 (byte ", i, ")"));
    if (n == 1 && !allow_controls && (static_cast<unsigned char>(value[i]) < 0x20 || value[i] == 0x7F)) {
      return absl::InvalidArgumentError(absl::StrCat(field, " holds a control character (byte ", i, ")"));
    }
    i += n;
  }
  return absl::OkStatus();
}

}  // namespace

std::string Quote(absl::string_view value) {
  constexpr size_t kShown = 32;
  if (value.size() <= kShown) return absl::StrCat("'", value, "'");
  size_t cut = 0;
  while (cut < value.size()) {
    const size_t n = CharLength(value, cut);
    if (n == 0 || cut + n > kShown) break;
    cut += n;
  }
  return absl::StrCat("'", value.substr(0, cut), "...' (", value.size(), " bytes)");
}

absl::Status CheckIdempotencyKey(absl::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError(
        "idempotency_key is required: a retry with the same key returns the first result and changes nothing");
  }
  return CheckId("idempotency_key", key);
}

absl::Status CheckId(absl::string_view field, absl::string_view value, bool required) {
  if (value.empty()) {
    return required ? absl::InvalidArgumentError(absl::StrCat(field, " is required")) : absl::OkStatus();
  }
  if (value.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", Quote(value), " is longer than ", kMaxIdBytes, " bytes"));
  }
  return CheckUtf8(field, value, /*allow_controls=*/false);
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", value.size(), " bytes, more than ", max_bytes));
  }
  return CheckUtf8(field, value, /*allow_controls=*/true);
}

}  // namespace yardgate::server
