#include "seal_bridge/jt808_frame.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace yardgate::seal {
namespace {

Bytes Hex(const std::string& hex) {
  absl::StatusOr<Bytes> b = ParseHex(hex);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : Bytes();
}

std::vector<Bytes> FeedAll(Jt808Framer& framer, const Bytes& wire) {
  std::vector<Bytes> out;
  framer.Feed(wire.data(), wire.size(), &out);
  return out;
}

// Wire frames from the vectors (protocols/jt808-dev-vectors.tsv), with their source.
struct WireVector {
  const char* source;
  const char* hex;
  uint16_t msg_id;
  const char* phone;
  uint16_t serial;
  bool v2019;
  uint16_t body_length;
};

const WireVector kWireVectors[] = {
    {"SmallChi/JT808@c9552b0:JT808_0x0001Test.cs#L37",
     "7E0001000501234567890004B303E8000200D37E", 0x0001, "12345678900", 1203, false, 5},
    {"SmallChi/JT808@c9552b0:JT808_0x0002Test.cs#L33", "7E00020000012345678900000A817E", 0x0002,
     "12345678900", 10, false, 0},
    {"SmallChi/JT808@c9552b0:JT808_0x0002Test.cs#L44 (check 7E escaped)",
     "7E00020000040021679287002B7D027E", 0x0002, "40021679287", 43, false, 0},
    {"SmallChi/JT808@c9552b0:JT808_0x0100Test.cs#L41",
     "7E0100002D000123456789000A002800323132333400736D616C6C6368693132330000000000000000004348"
     "493132330001D4C14131323334358A7E",
     0x0100, "123456789", 10, false, 45},
    {"SmallChi/JT808@c9552b0:JT808_0x0100Test.cs#L89",
     "7E010040540100000000000123456789000A00280032313233340000000000000073"
     "6D616C6C6368693132330000000000000000000000000000000000000043484931323300000000000000000000"
     "000000000000000000000000000001D4C1413132333435B27E",
     0x0100, "123456789", 10, true, 84},
    {"SmallChi/JT808@c9552b0:JT808_0x0102Test.cs#L91",
     "7E010200090123456789003039343536313231313131BE7E", 0x0102, "12345678900", 12345, false, 9},
    {"SmallChi/JT808@c9552b0:README.md#L143 (serial 0x007E, fuel 0x007D escaped)",
     "7E02000026123456789012007D02000000010000000200BA7F0E07E4F11C0028003C000018101510101001040000"
     "00640202007D01137E",
     0x0200, "123456789012", 126, false, 38},
    {"SmallChi/JT808@c9552b0:JT808_0x8001Test.cs#L45", "7E80010005012345678900000A0064020000617E",
     0x8001, "12345678900", 10, false, 5},
    {"SmallChi/JT808@c9552b0:JT808_0x8300Test.cs#L72",
     "7E8300400E010000000001234567890000010501736D616C6C63686920353138417E", 0x8300, "12345678900",
     1, true, 14},
    {"SmallChi/JT808@c9552b0:JT808_0x8105Test.cs#L115", "7E81050001012345678900000105087E", 0x8105,
     "12345678900", 1, false, 1},
    {"SmallChi/JT808@c9552b0:JT808_0x8300Test.cs#L36",
     "7E8300000D012345678900000105736D616C6C63686920353138027E", 0x8300, "12345678900", 1, false, 13},
    {"SmallChi/JT808@c9552b0:JT808_0x8100Test.cs#L45", "7E81000009012345678900000A006400313233343536687E",
     0x8100, "12345678900", 10, false, 9},
    {"SmallChi/JT808@c9552b0:JT808_0x8100Test.cs#L91", "7E81000003012345678900000A006404617E", 0x8100,
     "12345678900", 10, false, 3},
    {"SmallChi/JT808@c9552b0:JT808_0x0200Test.cs#L298",
     "7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C00001807151010100104000000"
     "6402020037577E",
     0x0200, "112233445566", 8888, false, 38},
    {"SmallChi/JT808@c9552b0:JT808_0x0704Test.cs#L129",
     "7E0704005311223344556622B80002000026000000010000000200BA7F0E07E4F11C0028003C0000180715101010"
     "010400000064020200370026000000020000000100CB735507E6A32300290036007818071510103001040000006002"
     "020042D47E",
     0x0704, "112233445566", 8888, false, 83},
    {"SmallChi/JT808@c9552b0:JT808_0x0900Test.cs#L46", "7E09000009000123456789000A83736D616C6C6368691D7E",
     0x0900, "123456789", 10, false, 9},
};

class WireVectorTest : public ::testing::TestWithParam<WireVector> {};

TEST_P(WireVectorTest, FramesAndDecodesHeader) {
  const WireVector& v = GetParam();
  SCOPED_TRACE(v.source);
  Jt808Framer framer;
  std::vector<Bytes> contents = FeedAll(framer, Hex(v.hex));
  ASSERT_EQ(contents.size(), 1u);
  absl::StatusOr<Jt808Frame> frame = DecodeFrame(contents[0]);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->header.msg_id, v.msg_id);
  EXPECT_EQ(frame->header.phone, v.phone);
  EXPECT_EQ(frame->header.serial, v.serial);
  EXPECT_EQ(frame->header.v2019, v.v2019);
  EXPECT_EQ(frame->header.body_length, v.body_length);
  EXPECT_EQ(frame->body.size(), v.body_length);
  if (v.v2019) {
    EXPECT_EQ(frame->header.protocol_version, 1);
  }

  // Re-encoding yields the same wire bytes.
  Bytes again = EncodeFrame(frame->header, frame->body);
  EXPECT_EQ(ToHex(again), ToHex(Hex(v.hex)));
}

INSTANTIATE_TEST_SUITE_P(Vectors, WireVectorTest, ::testing::ValuesIn(kWireVectors));

// traccar/traccar@9e5c458:src/test/java/org/traccar/protocol/Jt808FrameDecoderTest.java#L18
TEST(Jt808FramerTest, DeEscapes) {
  Jt808Framer framer;
  std::vector<Bytes> contents = FeedAll(framer, Hex("7e307d02087d01557e"));
  ASSERT_EQ(contents.size(), 1u);
  absl::StatusOr<Bytes> raw = Unescape(contents[0]);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(ToHex(*raw), "307e087d55");
}

// traccar/traccar@9e5c458:src/test/java/org/traccar/protocol/Jt808FrameDecoderTest.java#L22
TEST(Jt808FramerTest, SkipsLeadingGarbage) {
  Jt808Framer framer;
  std::vector<Bytes> contents = FeedAll(framer, Hex("24247e307d02087d01557e"));
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_EQ(ToHex(*Unescape(contents[0])), "307e087d55");
  EXPECT_EQ(framer.stats().garbage_bytes, 2u);
}

// traccar/traccar@9e5c458:src/test/java/org/traccar/protocol/Jt808FrameDecoderTest.java#L14
// Traccar passes "(...)" ASCII frames (JT600 text protocol) through; this gateway speaks JT/T
// 808 only, so they are skipped as garbage and the next 7E frame is still found.
TEST(Jt808FramerTest, AsciiJt600FrameIsSkippedAsGarbage) {
  Bytes wire = Hex("283734303139303331313138352c312c3030312c454c4f434b2c332c35323934333929");
  const size_t ascii = wire.size();
  Bytes good = Hex("7E00020000012345678900000A817E");
  wire.insert(wire.end(), good.begin(), good.end());
  Jt808Framer framer;
  std::vector<Bytes> out = FeedAll(framer, wire);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(DecodeFrame(out[0]).ok());
  EXPECT_EQ(framer.stats().garbage_bytes, ascii);
}

// traccar/traccar@9e5c458:src/test/java/org/traccar/protocol/Jt808FrameEncoderTest.java#L16
TEST(Jt808FramerTest, EscapesOnSend) {
  EXPECT_EQ(ToHex(Escape(Hex("307e087d55"))), "307d02087d0155");
}

TEST(Jt808FramerTest, ByteAtATimeAndSharedFlags) {
  // Two heartbeats sharing one flag, delivered a byte at a time.
  Bytes wire = Hex("7E00020000012345678900000A81" "7E" "00020000040021679287002B7D02" "7E");
  Jt808Framer framer;
  std::vector<Bytes> out;
  for (uint8_t b : wire) framer.Feed(&b, 1, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(DecodeFrame(out[0]).ok());
  EXPECT_TRUE(DecodeFrame(out[1]).ok());
}

TEST(Jt808FramerTest, OversizeIsDroppedAndResyncs) {
  Jt808Framer framer(64);
  Bytes wire = {0x7e};
  wire.insert(wire.end(), 200, 0x11);
  Bytes good = Hex("7E00020000012345678900000A817E");
  wire.insert(wire.end(), good.begin(), good.end());
  std::vector<Bytes> out = FeedAll(framer, wire);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(DecodeFrame(out[0]).ok());
  EXPECT_EQ(framer.stats().oversize_frames, 1u);
}

TEST(Jt808DecodeTest, BadChecksumIsRejectedNotGuessed) {
  Bytes wire = Hex("7E0001000501234567890004B303E8000200D47E");  // check D3 -> D4
  Jt808Framer framer;
  std::vector<Bytes> out = FeedAll(framer, wire);
  ASSERT_EQ(out.size(), 1u);
  absl::StatusOr<Jt808Frame> f = DecodeFrame(out[0]);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(f.status().message()), ::testing::HasSubstr("checksum"));
}

TEST(Jt808DecodeTest, BadLengthIsRejected) {
  // 0x8001 with length bits 6 instead of 5, check recomputed so only the length is wrong.
  Bytes raw = Hex("80010006012345678900000A00640200 00");
  raw.back() = XorChecksum(ByteSpan(raw.data(), raw.size() - 1));
  absl::StatusOr<Jt808Frame> f = DecodeUnescapedFrame(raw);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(Jt808DecodeTest, BadEscapeAndShortFrames) {
  EXPECT_EQ(Unescape(Hex("307d03")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Unescape(Hex("307d")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeFrame(Hex("0102")).status().code(), absl::StatusCode::kInvalidArgument);
}

// Traccar's encoder test frames (stored pre-escape, with flags): the terminal id there is
// IMEI 12345678901234 as a 6-byte binary integer (0b3a73ce2ff2), not BCD.
struct TraccarEncoderVector {
  const char* source;
  const char* hex;
  uint16_t msg_id;
  const char* body;
};
const TraccarEncoderVector kTraccarEncoder[] = {
    {"traccar/traccar@9e5c458:src/test/java/org/traccar/protocol/Jt808ProtocolEncoderTest.java#L18",
     "7e810500010b3a73ce2ff20000f0247e", 0x8105, "f0"},
    {"traccar/traccar@9e5c458:src/test/java/org/traccar/protocol/Jt808ProtocolEncoderTest.java#L33",
     "7e830000140b3a73ce2ff2000001546573742c20436f6d6d616e642c2031323323a57e", 0x8300,
     "01546573742c20436f6d6d616e642c2031323323"},
    {"traccar/traccar@9e5c458:src/test/java/org/traccar/protocol/Jt808ProtocolEncoderTest.java#L49",
     "7e890000050b3a73ce2ff20000f0544553543b7e", 0x8900, "f054455354"},
};

TEST(Jt808DecodeTest, TraccarEncoderFramesWithBinaryTerminalId) {
  for (const TraccarEncoderVector& v : kTraccarEncoder) {
    SCOPED_TRACE(v.source);
    Jt808Framer framer;
    std::vector<Bytes> c = FeedAll(framer, Hex(v.hex));
    ASSERT_EQ(c.size(), 1u);
    absl::StatusOr<Jt808Frame> f = DecodeFrame(c[0]);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->header.msg_id, v.msg_id);
    EXPECT_FALSE(f->header.phone_is_bcd);
    EXPECT_EQ(f->header.phone, "b3a73ce2ff2");
    EXPECT_EQ(f->header.serial, 0);
    EXPECT_EQ(ToHex(f->body), v.body);
    EXPECT_EQ(ToHex(EncodeFrame(f->header, f->body)), v.hex);
  }
}

TEST(Jt808ReassemblerTest, ReassemblesOutOfOrderPackages) {
  Bytes body(2500);
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>(i * 7);
  Jt808Header h;
  h.msg_id = 0x0704;
  h.phone = "13800138000";
  h.serial = 65534;  // serial wraps inside the message
  std::vector<Bytes> frames = EncodeSubpackaged(h, body, 1000);
  ASSERT_EQ(frames.size(), 3u);
  Jt808Reassembler reassembler;
  std::vector<int> order = {2, 0, 1};
  std::optional<Jt808Frame> whole;
  for (int i : order) {
    Jt808Framer framer;
    std::vector<Bytes> c = FeedAll(framer, frames[i]);
    ASSERT_EQ(c.size(), 1u);
    absl::StatusOr<Jt808Frame> f = DecodeFrame(c[0]);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_TRUE(f->header.subpackaged);
    auto r = reassembler.Add(*std::move(f));
    ASSERT_TRUE(r.ok());
    if (r->has_value()) whole = std::move(**r);
  }
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->body, body);
  EXPECT_EQ(whole->header.serial, 65534);
  EXPECT_EQ(reassembler.in_progress(), 0u);
}

TEST(Jt808ReassemblerTest, BoundsPendingMessages) {
  Jt808Reassembler reassembler(2, 8);
  for (uint16_t s = 0; s < 10; s += 2) {
    Jt808Frame f;
    f.header.msg_id = 0x0704;
    f.header.subpackaged = true;
    f.header.package_total = 2;
    f.header.package_index = 1;
    f.header.serial = s;
    ASSERT_TRUE(reassembler.Add(f).ok());
  }
  EXPECT_EQ(reassembler.in_progress(), 2u);
  EXPECT_EQ(reassembler.dropped(), 3u);
  EXPECT_EQ(reassembler.bytes_held(), 0u);
  Jt808Frame bad;
  bad.header.subpackaged = true;
  bad.header.package_total = 100;
  bad.header.package_index = 1;
  EXPECT_FALSE(reassembler.Add(bad).ok());
}

TEST(Jt808ReassemblerTest, BoundsBytesHeld) {
  Jt808Reassembler reassembler(4, 64, 3000);
  for (uint16_t m = 0; m < 3; ++m) {
    Jt808Frame f;
    f.header.msg_id = 0x0704;
    f.header.subpackaged = true;
    f.header.package_total = 3;
    f.header.package_index = 1;
    f.header.serial = static_cast<uint16_t>(m * 10);
    f.body.assign(1000, 0xAA);
    ASSERT_TRUE(reassembler.Add(f).ok());
  }
  EXPECT_EQ(reassembler.bytes_held(), 3000u);
  // One more package of the first message does not fit: the oldest other message goes.
  Jt808Frame f;
  f.header.msg_id = 0x0704;
  f.header.subpackaged = true;
  f.header.package_total = 3;
  f.header.package_index = 2;
  f.header.serial = 1;
  f.body.assign(1000, 0xBB);
  ASSERT_TRUE(reassembler.Add(f).ok());
  EXPECT_EQ(reassembler.in_progress(), 2u);
  EXPECT_LE(reassembler.bytes_held(), 3000u);
  EXPECT_EQ(reassembler.dropped(), 1u);
}

TEST(Jt808PhoneTest, Bcd) {
  EXPECT_EQ(ToHex(*EncodeBcdDigits("12345678900", 6)), "012345678900");
  EXPECT_FALSE(EncodeBcdDigits("1234567890123", 6).ok());
  EXPECT_FALSE(EncodeBcdDigits("12a", 6).ok());
  EXPECT_EQ(ToHex(*EncodeBcdDigits("b3a73ce2ff2", 6, true)), "0b3a73ce2ff2");
  EXPECT_FALSE(DecodeBcdDigits(Hex("1a")).ok());
}

}  // namespace
}  // namespace yardgate::seal
