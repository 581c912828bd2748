// JT/T 808 framing: flags, escaping, the XOR check, the message header (2013 and 2019
// layouts), a stream framer and the sub-package reassembler.
//
// Wire format: 7E | header | body | check | 7E, where check is the XOR of header and body,
// and header, body and check are escaped (7E -> 7D 02, 7D -> 7D 01) after the check is
// computed. A receiver cuts the stream at 7E flags (Jt808Framer), un-escapes and verifies
// (DecodeFrame), then parses the body (jt808_messages.h).
//
// Usage:
//   Jt808Framer framer;
//   std::vector<Bytes> contents;
//   framer.Feed(data, n, &contents);
//   for (const Bytes& c : contents) {
//     absl::StatusOr<Jt808Frame> frame = DecodeFrame(c);  // un-escapes and checks
//     ...
//   }
//
// Thread-safety: the free functions are pure and safe from any thread. Jt808Framer and
// Jt808Reassembler hold per-connection state and are not thread-safe: one per connection,
// used by one thread at a time.
#ifndef YARDGATE_SEAL_BRIDGE_JT808_FRAME_H_
#define YARDGATE_SEAL_BRIDGE_JT808_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace yardgate::seal {

using Bytes = std::vector<uint8_t>;
using ByteSpan = absl::Span<const uint8_t>;

inline constexpr uint8_t kJt808Flag = 0x7e;
inline constexpr uint8_t kJt808Escape = 0x7d;
inline constexpr size_t kJt808MaxBodyLength = 1023;  // attribute bits 0-9

// Message ids this module knows by name.
enum Jt808MessageId : uint16_t {
  kTerminalGeneralResponse = 0x0001,
  kHeartbeat = 0x0002,
  kRegister = 0x0100,
  kAuthenticate = 0x0102,
  kLocationReport = 0x0200,
  kQueryPositionResponse = 0x0201,
  kBatchLocation = 0x0704,
  kUplinkPassThrough = 0x0900,
  kPlatformGeneralResponse = 0x8001,
  kRegisterResponse = 0x8100,
  kTerminalControl = 0x8105,
  kQueryPosition = 0x8201,  // empty body; the terminal answers 0x0201 (used as a liveness probe)
  kDownlinkPassThrough = 0x8900,
};

// Result codes of 0x0001 / 0x8001.
enum Jt808Result : uint8_t {
  kResultOk = 0,
  kResultFailed = 1,
  kResultBadMessage = 2,
  kResultUnsupported = 3,
  kResultAlarmConfirmed = 4,  // 0x8001 only
};

struct Jt808Header {
  uint16_t msg_id = 0;
  uint16_t attributes = 0;     // as on the wire; the fields below are decoded from it
  uint16_t body_length = 0;    // bits 0-9
  uint8_t encryption = 0;      // bits 10-12 (0 = none)
  bool subpackaged = false;    // bit 13
  bool v2019 = false;          // bit 14: 2019 layout with a protocol version byte
  uint8_t protocol_version = 0;  // 2019 only (currently 1)
  std::string phone;           // terminal phone number, leading zeros removed ("0" if all 0);
                               // lower-case hex when the field is not BCD (see phone_is_bcd)
  bool phone_is_bcd = true;    // false: a binary id (e.g. Traccar's IMEI-as-integer encoding)
  uint16_t serial = 0;
  uint16_t package_total = 0;  // when subpackaged
  uint16_t package_index = 0;  // 1-based, when subpackaged

  // Header size on the wire for this layout: 12/16 (2013), 17/21 (2019).
  size_t WireSize() const;
};

// One verified, un-escaped frame.
struct Jt808Frame {
  Jt808Header header;
  Bytes body;
  uint8_t check = 0;  // the check byte carried by the frame (it matched)
};

// XOR of all bytes.
uint8_t XorChecksum(ByteSpan data);

// 7E -> 7D 02, 7D -> 7D 01. No flags added.
Bytes Escape(ByteSpan data);

// Inverse of Escape. InvalidArgument on 7D followed by anything but 01/02, or a trailing 7D.
absl::StatusOr<Bytes> Unescape(ByteSpan data);

// Error codes returned by DecodeFrame, so that callers can count them apart:
//   DataLoss        - the XOR check does not match (the frame is not guessed at);
//   OutOfRange      - the body length in the attributes does not match the frame;
//   InvalidArgument - anything else (bad escape, too short).
// A phone field that is not BCD is kept as hex (phone_is_bcd = false), not rejected: the
// check already vouches for the bytes, and some encoders (Traccar) put a binary id there.
//
// `content` is what lies between the flags, still escaped (as Jt808Framer returns it).
absl::StatusOr<Jt808Frame> DecodeFrame(ByteSpan content);
// Same, for content already un-escaped (e.g. frames copied from test suites).
absl::StatusOr<Jt808Frame> DecodeUnescapedFrame(ByteSpan unescaped);

// Builds a complete wire frame (flags included) for `header` and `body`. body_length,
// subpackaged and v2019 bits of the attributes are derived from the header fields and the
// body; header.attributes is ignored except the encryption bits.
// REQUIRES: body.size() <= kJt808MaxBodyLength.
Bytes EncodeFrame(const Jt808Header& header, ByteSpan body);

// Splits `body` into packages of at most `max_part` bytes (<= 1023) with consecutive
// serials starting at header.serial, and encodes each. A body that fits yields one
// unsplit frame.
std::vector<Bytes> EncodeSubpackaged(const Jt808Header& header, ByteSpan body,
                                     size_t max_part = kJt808MaxBodyLength);

// Phone helpers: 12 digits (6 BCD bytes, 2013) or 20 digits (10 bytes, 2019).
// InvalidArgument when a nibble is not a decimal digit.
absl::StatusOr<std::string> DecodeBcdDigits(ByteSpan bcd);
// Left-pads `digits` with zeros to 2 * bytes digits. InvalidArgument if too long or not
// decimal digits; with allow_hex, lower-case hex digits (a binary id) are accepted too.
absl::StatusOr<Bytes> EncodeBcdDigits(absl::string_view digits, size_t bytes,
                                      bool allow_hex = false);

// Hex helpers for tools and tests ("7E 02 00", "7e0200" both accepted).
absl::StatusOr<Bytes> ParseHex(absl::string_view hex);
std::string ToHex(ByteSpan data);  // lower case, no spaces

// Cuts a byte stream into frame contents at 7E flags. Bytes before the first flag are
// garbage and skipped; back-to-back flags (7E 7E) and a single flag shared between two frames
// are both accepted; content longer than max_frame_bytes is dropped and the framer resyncs on
// the next flag.
class Jt808Framer final {
 public:
  struct Stats {
    uint64_t garbage_bytes = 0;     // skipped outside any frame
    uint64_t oversize_frames = 0;   // dropped for exceeding max_frame_bytes
    uint64_t discarded_bytes = 0;   // bytes of those oversize frames
  };

  // Default allows the largest legal frame (21 + 1023 + 1 bytes) fully escaped, plus slack.
  explicit Jt808Framer(size_t max_frame_bytes = 4096) : max_frame_bytes_(max_frame_bytes) {}
  Jt808Framer(const Jt808Framer&) = delete;
  Jt808Framer& operator=(const Jt808Framer&) = delete;

  // Appends every complete content (escaped, without flags, never empty) to `out`.
  void Feed(const uint8_t* data, size_t n, std::vector<Bytes>* out);

  const Stats& stats() const { return stats_; }
  // Bytes held for an unfinished frame.
  size_t pending() const { return buffer_.size(); }

 private:
  enum class State { kHunting, kInFrame, kDiscarding };
  const size_t max_frame_bytes_;
  State state_ = State::kHunting;
  Bytes buffer_;
  Stats stats_;
};

// Reassembles sub-packaged messages (header bit 13). Packages of one message share the msg
// id and total and have consecutive serials, so the key is (msg id, serial - index + 1).
// Bounded: at most max_pending messages in progress and max_bytes of bodies held (the oldest
// message is dropped to make room), each message at most max_packages packages.
class Jt808Reassembler final {
 public:
  explicit Jt808Reassembler(size_t max_pending = 4, uint16_t max_packages = 64,
                            size_t max_bytes = 64 * 1024)
      : max_pending_(max_pending), max_packages_(max_packages), max_bytes_(max_bytes) {}
  Jt808Reassembler(const Jt808Reassembler&) = delete;
  Jt808Reassembler& operator=(const Jt808Reassembler&) = delete;

  // Takes one package. Returns the whole message once its last missing package arrives
  // (header of package 1 with subpackaged cleared and body_length set to the whole body),
  // nullopt while incomplete. InvalidArgument for a package with index 0, index > total, or
  // total > max_packages. An unsplit frame is returned as is.
  absl::StatusOr<std::optional<Jt808Frame>> Add(Jt808Frame frame);

  size_t in_progress() const { return pending_.size(); }
  size_t bytes_held() const { return bytes_; }
  uint64_t dropped() const { return dropped_; }

 private:
  struct Partial {
    uint16_t total = 0;
    uint64_t order = 0;  // insertion order, to evict the oldest
    size_t bytes = 0;
    std::map<uint16_t, Jt808Frame> parts;
  };
  void DropOldest();

  const size_t max_pending_;
  const uint16_t max_packages_;
  const size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t next_order_ = 0;
  uint64_t dropped_ = 0;
  std::map<std::pair<uint16_t, uint16_t>, Partial> pending_;
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_JT808_FRAME_H_
