// JSON rendering of decoded JT/T 808 frames, for `yardgate-seal decode` and logs.
//
//   absl::StatusOr<std::vector<std::string>> json = DecodeHexToJson("7e0200...7e");
//
// Output: {"msg_id":"0x0200","phone":"...","serial":N,"version":"2013"|"2019",
// "checksum_ok":true, ...body fields}. For 0x0200: latitude/longitude (signed degrees),
// altitude_m, speed_kmh, course_deg, time (UTC, ISO-8601), alarms (names), status (flags),
// elock {...}, seal_alarms, items (raw hex), warnings.
//
// Thread-safety: pure functions.
#ifndef YARDGATE_SEAL_BRIDGE_JT808_JSON_H_
#define YARDGATE_SEAL_BRIDGE_JT808_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "seal_bridge/jt808_frame.h"

namespace yardgate::seal {

// One JSON object (one line) for a verified frame.
std::string FrameToJson(const Jt808Frame& frame);

// `hex` is either wire bytes with 7E flags (un-escaped here) or one frame already un-escaped
// without flags. One JSON line per frame found. An error (bad hex, bad check, bad length,
// no frame) is returned as a status; nothing is guessed.
absl::StatusOr<std::vector<std::string>> DecodeHexToJson(absl::string_view hex);

// Whether `s` is well-formed UTF-8, as every line rendered here is (tests and the fuzz
// target check it: device bytes are escaped, never copied raw).
bool IsValidUtf8(absl::string_view s);
}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_JT808_JSON_H_
