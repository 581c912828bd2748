// Fuzz target: every JT/T 808 message decoder. The input is a frame's header and body,
// un-escaped, without the check byte (the harness appends the right one, so the fuzzer does
// not spend itself on checksums). A frame that verifies has its body decoded by every body
// decoder (both header versions), turned into a DeviceReport where it is a position, and
// rendered as JSON the way yardgate-seal decode prints it - which must be valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "seal_bridge/device_report.h"
#include "seal_bridge/jt808_frame.h"
#include "seal_bridge/jt808_json.h"
#include "seal_bridge/jt808_messages.h"

namespace yardgate::seal {
namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void DecodeBody(ByteSpan body) {
  for (bool v2019 : {false, true}) {
    (void)DecodeRegistration(body, v2019);
    (void)DecodeAuthentication(body, v2019);
  }
  (void)DecodeGeneralResponse(body);
  (void)DecodeRegisterResponse(body);
  if (absl::StatusOr<Location> l = DecodeLocation(body); l.ok()) {
    for (bool v2019 : {false, true}) {
      (void)MakeDeviceReport("13800000000", *l, v2019, absl::UnixEpoch(), 10);
    }
  }
  (void)DecodeBatchLocation(body);
  if (absl::StatusOr<PassThrough> p = DecodePassThrough(body); p.ok()) (void)ParseUnlockReply(*p);
  Check(IsValidUtf8(GbkToUtf8(body)));
  if (body.size() >= 6) (void)DecodeBeijingTime(body.subspan(0, 6));
}

}  // namespace
}  // namespace yardgate::seal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace yardgate::seal;
  if (size > 4096) return 0;
  Bytes frame(data, data + size);
  frame.push_back(XorChecksum(frame));
  absl::StatusOr<Jt808Frame> f = DecodeUnescapedFrame(frame);
  // The body decoders also get the bytes after a 12-byte 2013 header when the frame does not
  // verify, so a wrong length never hides them from the fuzzer.
  DecodeBody(f.ok() ? ByteSpan(f->body) : ByteSpan(data, size).subspan(std::min<size_t>(size, 12)));
  if (!f.ok()) return 0;
  const std::string json = FrameToJson(*f);
  Check(IsValidUtf8(json) && json.front() == '{' && json.back() == '}');
  Jt808Reassembler reassembler;
  (void)reassembler.Add(*std::move(f));
  return 0;
}
