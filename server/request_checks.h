// Checks every request passes before the gate sees it: idempotency keys present and bounded,
// ids bounded, strings valid UTF-8. Errors are InvalidArgument naming the field and quoting at
// most a short prefix of what was sent (a 1 MiB id must not come back in an error message).
//
// Plain functions, safe from any thread.
#ifndef YARDGATE_SERVER_REQUEST_CHECKS_H_
#define YARDGATE_SERVER_REQUEST_CHECKS_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace yardgate::server {

// The longest id or idempotency key accepted, in bytes.
inline constexpr size_t kMaxIdBytes = 128;

// `value` for an error message: at most 32 bytes (whole UTF-8 characters), marked when cut.
std::string Quote(absl::string_view value);

// Every mutating call names its idempotency key; one key space spans every method.
absl::Status CheckIdempotencyKey(absl::string_view key);

// An id: required (non-empty) or optional, at most kMaxIdBytes, valid UTF-8 without controls.
absl::Status CheckId(absl::string_view field, absl::string_view value, bool required = true);

// Free text (a comment, a message): at most `max_bytes`, valid UTF-8.
absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_bytes = 4096);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_REQUEST_CHECKS_H_
