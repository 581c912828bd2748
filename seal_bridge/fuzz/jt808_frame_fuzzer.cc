// Fuzz target: the JT/T 808 byte stream as a gateway connection sees it. The input is cut
// into reads (its first byte picks the read size and the framer's limit), framed, each frame
// un-escaped and verified, every verified frame re-encoded and decoded again (it must come
// back the same), and fed to one reassembler. Also: Unescape(Escape(x)) == x.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "seal_bridge/jt808_frame.h"

namespace yardgate::seal {
namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckRoundTrip(const Jt808Frame& f) {
  Bytes wire = EncodeFrame(f.header, f.body);
  Check(wire.size() >= 2 && wire.front() == kJt808Flag && wire.back() == kJt808Flag);
  absl::StatusOr<Jt808Frame> again = DecodeFrame(ByteSpan(wire).subspan(1, wire.size() - 2));
  Check(again.ok());
  const Jt808Header& a = f.header;
  const Jt808Header& b = again->header;
  Check(a.msg_id == b.msg_id && a.body_length == b.body_length && a.encryption == b.encryption &&
        a.subpackaged == b.subpackaged && a.v2019 == b.v2019 && a.protocol_version == b.protocol_version &&
        a.phone == b.phone && a.phone_is_bcd == b.phone_is_bcd && a.serial == b.serial &&
        a.package_total == b.package_total && a.package_index == b.package_index);
  Check(again->body == f.body);
}

}  // namespace
}  // namespace yardgate::seal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace yardgate::seal;
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const size_t max_frame = data[0] & 0x80 ? 64 : 4096;
  ++data;
  --size;

  absl::StatusOr<Bytes> unescaped = Unescape(ByteSpan(data, size));
  Bytes escaped = Escape(ByteSpan(data, size));
  absl::StatusOr<Bytes> back = Unescape(escaped);
  Check(back.ok() && *back == Bytes(data, data + size));
  for (uint8_t b : escaped) Check(b != kJt808Flag);

  Jt808Framer framer(max_frame);
  Jt808Reassembler reassembler(2, 8, 2048);
  std::vector<Bytes> contents;
  for (size_t off = 0; off < size; off += chunk) {
    const size_t n = std::min(chunk, size - off);
    framer.Feed(data + off, n, &contents);
    Check(framer.pending() <= max_frame);
  }
  for (const Bytes& c : contents) {
    Check(!c.empty());
    for (uint8_t b : c) Check(b != kJt808Flag);
    absl::StatusOr<Jt808Frame> f = DecodeFrame(c);
    if (!f.ok()) continue;
    CheckRoundTrip(*f);
    absl::StatusOr<std::optional<Jt808Frame>> whole = reassembler.Add(*std::move(f));
    Check(reassembler.in_progress() <= 2 && reassembler.bytes_held() <= 2048);
    if (whole.ok() && whole->has_value()) Check(!(*whole)->header.subpackaged);
  }
  if (unescaped.ok()) (void)DecodeUnescapedFrame(*unescaped);
  return 0;
}
