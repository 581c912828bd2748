#include "seal_bridge/device_link.h"

#include "absl/strings/str_cat.h"

namespace yardgate::seal {

absl::StatusOr<std::string> NormalizeTerminalId(absl::string_view id) {
  if (id.empty() || id.size() > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("terminal id must be 1-20 digits, got ", id.size(), " characters"));
  }
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::InvalidArgumentError("terminal id must be decimal digits (or lower-case hex)");
    }
  }
  const size_t first = id.find_first_not_of('0');
  return first == absl::string_view::npos ? std::string("0") : std::string(id.substr(first));
}

const char* SecurityAlarmKindName(SecurityAlarmKind kind) {
  switch (kind) {
    case SecurityAlarmKind::kUnknownTerminal: return "UNKNOWN_TERMINAL";
    case SecurityAlarmKind::kDuplicateSession: return "DUPLICATE_SESSION";
    case SecurityAlarmKind::kAuthFailuresRateLimited: return "AUTH_FAILURES_RATE_LIMITED";
    case SecurityAlarmKind::kFloodCutOff: return "FLOOD_CUT_OFF";
  }
  return "UNKNOWN";
}

}  // namespace yardgate::seal
