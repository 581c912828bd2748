#include "seal_bridge/jt808_messages.h"

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace yardgate::seal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Wire frame -> verified frame (framing + un-escape + check).
Jt808Frame Frame(const std::string& hex) {
  absl::StatusOr<Bytes> wire = ParseHex(hex);
  EXPECT_TRUE(wire.ok());
  Jt808Framer framer;
  std::vector<Bytes> c;
  framer.Feed(wire->data(), wire->size(), &c);
  EXPECT_EQ(c.size(), 1u);
  absl::StatusOr<Jt808Frame> f = DecodeFrame(c.at(0));
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : Jt808Frame();
}

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0001Test.cs#L37
TEST(Jt808MessagesTest, TerminalGeneralResponse) {
  Jt808Frame f = Frame("7E0001000501234567890004B303E8000200D37E");
  absl::StatusOr<GeneralResponse> r = DecodeGeneralResponse(f.body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reply_serial, 1000);
  EXPECT_EQ(r->reply_id, 0x0002);
  EXPECT_EQ(r->result, 0);
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0100Test.cs#L41
TEST(Jt808MessagesTest, Registration2013) {
  Jt808Frame f = Frame(
      "7E0100002D000123456789000A002800323132333400736D616C6C6368693132330000000000000000004348"
      "493132330001D4C14131323334358A7E");
  absl::StatusOr<Registration> r = DecodeRegistration(f.body, f.header.v2019);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->province, 40);
  EXPECT_EQ(r->city, 50);
  EXPECT_EQ(r->maker, "1234");
  EXPECT_EQ(r->model, "smallchi123");
  EXPECT_EQ(r->terminal_id, "CHI123");
  EXPECT_EQ(r->plate_color, 1);
  EXPECT_EQ(r->plate, "粤A12345");
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0100Test.cs#L89
TEST(Jt808MessagesTest, Registration2019) {
  Jt808Frame f = Frame(
      "7E010040540100000000000123456789000A00280032313233340000000000000073"
      "6D616C6C6368693132330000000000000000000000000000000000000043484931323300000000000000000000"
      "000000000000000000000000000001D4C1413132333435B27E");
  ASSERT_TRUE(f.header.v2019);
  absl::StatusOr<Registration> r = DecodeRegistration(f.body, true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->maker, "1234");
  EXPECT_EQ(r->model, "smallchi123");
  EXPECT_EQ(r->terminal_id, "CHI123");
  EXPECT_EQ(r->plate, "粤A12345");
  // And back.
  EXPECT_EQ(ToHex(EncodeRegistration(*r, true)), ToHex(f.body));
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0102Test.cs#L91
TEST(Jt808MessagesTest, Authentication2013) {
  Jt808Frame f = Frame("7E010200090123456789003039343536313231313131BE7E");
  absl::StatusOr<Authentication> a = DecodeAuthentication(f.body, false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->auth_code, "456121111");
}

TEST(Jt808MessagesTest, Authentication2019RoundTrip) {
  Authentication a{"abc123", "123456789012345", "fw1.0"};
  absl::StatusOr<Authentication> b = DecodeAuthentication(EncodeAuthentication(a, true), true);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->auth_code, "abc123");
  EXPECT_EQ(b->imei, "123456789012345");
  EXPECT_EQ(b->firmware, "fw1.0");
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs#L298
// (also protocols/README.md section 4 "Worked")
TEST(Jt808MessagesTest, Location) {
  Jt808Frame f = Frame(
      "7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C00001807151010100104000000"
      "6402020037577E");
  EXPECT_EQ(f.header.serial, 8888);
  EXPECT_EQ(f.header.phone, "112233445566");
  absl::StatusOr<Location> l = DecodeLocation(f.body);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->alarm_bits, 1u);
  EXPECT_EQ(l->status_bits, 2u);
  EXPECT_THAT(AlarmNames(l->alarm_bits), ElementsAre("sos"));
  EXPECT_THAT(StatusFlags(l->status_bits), ElementsAre("fix_valid"));
  EXPECT_DOUBLE_EQ(l->latitude, 12.222222);
  EXPECT_DOUBLE_EQ(l->longitude, 132.444444);
  EXPECT_EQ(l->altitude_m, 40);
  EXPECT_DOUBLE_EQ(l->speed_kmh, 6.0);
  EXPECT_EQ(l->course_deg, 0);
  ASSERT_TRUE(l->time.has_value());
  EXPECT_EQ(*l->time, Utc(2018, 7, 15, 2, 10, 10));  // 10:10:10 +08:00
  EXPECT_DOUBLE_EQ(*l->mileage_km, 10.0);
  EXPECT_DOUBLE_EQ(*l->fuel_l, 5.5);
  EXPECT_EQ(l->items.size(), 2u);
  EXPECT_THAT(l->warnings, IsEmpty());
  EXPECT_EQ(ToHex(EncodeLocation(*l)), ToHex(f.body));
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:README.md#L143
TEST(Jt808MessagesTest, LocationWithEscapedBytes) {
  Jt808Frame f = Frame(
      "7E02000026123456789012007D02000000010000000200BA7F0E07E4F11C0028003C000018101510101001040000"
      "00640202007D01137E");
  EXPECT_EQ(f.header.serial, 126);
  EXPECT_EQ(f.check, 0x13);
  absl::StatusOr<Location> l = DecodeLocation(f.body);
  ASSERT_TRUE(l.ok());
  EXPECT_DOUBLE_EQ(*l->fuel_l, 12.5);
  EXPECT_EQ(*l->time, Utc(2018, 10, 15, 2, 10, 10));
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0704Test.cs#L129
TEST(Jt808MessagesTest, BatchLocation) {
  Jt808Frame f = Frame(
      "7E0704005311223344556622B80002000026000000010000000200BA7F0E07E4F11C0028003C0000180715101010"
      "010400000064020200370026000000020000000100CB735507E6A32300290036007818071510103001040000006002"
      "020042D47E");
  absl::StatusOr<BatchLocation> b = DecodeBatchLocation(f.body);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->type, 0);
  ASSERT_EQ(b->locations.size(), 2u);
  const Location& p1 = b->locations[1];
  EXPECT_EQ(p1.alarm_bits, 2u);
  EXPECT_EQ(p1.status_bits, 1u);
  EXPECT_DOUBLE_EQ(p1.latitude, 13.333333);
  EXPECT_DOUBLE_EQ(p1.longitude, 132.555555);
  EXPECT_DOUBLE_EQ(p1.speed_kmh, 5.4);
  EXPECT_EQ(p1.course_deg, 120);
  EXPECT_EQ(*p1.time, Utc(2018, 7, 15, 2, 10, 30));
  EXPECT_DOUBLE_EQ(*p1.mileage_km, 9.6);
  EXPECT_DOUBLE_EQ(*p1.fuel_l, 6.6);
  EXPECT_THAT(AlarmNames(p1.alarm_bits), ElementsAre("overspeed"));
  EXPECT_EQ(ToHex(EncodeBatchLocation(*b)), ToHex(f.body));
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x8001Test.cs#L45
TEST(Jt808MessagesTest, PlatformGeneralResponseEncodes) {
  Jt808Header h;
  h.msg_id = kPlatformGeneralResponse;
  h.phone = "12345678900";
  h.serial = 10;
  Bytes wire = EncodeFrame(h, EncodeGeneralResponse({100, 0x0200, 0}));
  EXPECT_EQ(ToHex(wire), "7e80010005012345678900000a0064020000617e");
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x8100Test.cs#L45 and #L91
TEST(Jt808MessagesTest, RegisterResponseEncodes) {
  Jt808Header h;
  h.msg_id = kRegisterResponse;
  h.phone = "12345678900";
  h.serial = 10;
  EXPECT_EQ(ToHex(EncodeFrame(h, EncodeRegisterResponse({100, 0, "123456"}))),
            "7e81000009012345678900000a006400313233343536687e");
  EXPECT_EQ(ToHex(EncodeFrame(h, EncodeRegisterResponse({100, 4, "ignored"}))),
            "7e81000003012345678900000a006404617e");
  absl::StatusOr<RegisterResponse> r = DecodeRegisterResponse(EncodeRegisterResponse({100, 0, "123456"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth_code, "123456");
}

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0900Test.cs#L46
TEST(Jt808MessagesTest, UplinkPassThrough) {
  Jt808Frame f = Frame("7E09000009000123456789000A83736D616C6C6368691D7E");
  absl::StatusOr<PassThrough> p = DecodePassThrough(f.body);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->type, 0x83);
  EXPECT_EQ(std::string(p->payload.begin(), p->payload.end()), "smallchi");
  EXPECT_FALSE(ParseUnlockReply(*p).has_value());
}

// traccar/traccar@9e5c458ad0bf44ceaddf72534bf6874787f41b6c:src/test/java/org/traccar/protocol/Jt808ProtocolEncoderTest.java#L49
// (0x8900 type F0 + ASCII; pre-escape frame 890000050b3a73ce2ff20000f05445535453)
TEST(Jt808MessagesTest, DownlinkPassThroughBodyMatchesTraccar) {
  std::string text = "TEST";
  EXPECT_EQ(ToHex(EncodePassThrough({0xF0, Bytes(text.begin(), text.end())})), "f054455354");
}

TEST(Jt808MessagesTest, UnlockCommandAndReply) {
  // The P43 text is the JT701D manual's (p.42): 285034332c38383838383829.
  Bytes cmd = EncodeUnlockCommand("888888");
  EXPECT_EQ(ToHex(cmd), "f0" "285034332c38383838383829");
  absl::StatusOr<PassThrough> reply =
      DecodePassThrough(EncodeUnlockReply({"8130630001", true, 0}));
  ASSERT_TRUE(reply.ok());
  std::optional<UnlockReply> r = ParseUnlockReply(*reply);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->lock_id, "8130630001");
  EXPECT_TRUE(r->unlocked);
  EXPECT_EQ(r->wrong_password_count, 0);
}

Bytes Fixed(uint32_t alarm, uint32_t status) {
  Location l;
  l.alarm_bits = alarm;
  l.status_bits = status;
  l.latitude = -33.5;
  l.longitude = -70.25;
  l.time = Utc(2026, 11, 27, 23, 59, 59);
  return EncodeLocation(l);
}

TEST(Jt808MessagesTest, SouthWestAndDateRollover) {
  absl::StatusOr<Location> l = DecodeLocation(Fixed(0, 0x2));
  ASSERT_TRUE(l.ok());
  EXPECT_DOUBLE_EQ(l->latitude, -33.5);
  EXPECT_DOUBLE_EQ(l->longitude, -70.25);
  EXPECT_THAT(StatusFlags(l->status_bits), ElementsAre("fix_valid", "south", "west"));
  EXPECT_EQ(*l->time, Utc(2026, 11, 27, 23, 59, 59));  // BCD 261128075959 in Beijing time
}

TEST(Jt808MessagesTest, ElockItemsAndBounds) {
  Bytes body = Fixed(0, 0x2);
  // 0x0B: command 1 + password "888888" + result 1 (refused).
  Bytes b0b = {0x0B, 8, 0x01, '8', '8', '8', '8', '8', '8', 0x01};
  // 0xDA: cut count 2, rope cut + cover open.
  Bytes bda = {0xDA, 3, 0x00, 0x02, 0x09};
  // 0xD5: one lock, battery 7 %, status bit 5 set (unlocked).
  Bytes bd5 = {0xD5, 14, 1, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 7, 0x00, 0x20};
  // Unknown vendor item, then an item that claims more bytes than remain.
  Bytes bunk = {0xEE, 2, 0xAB, 0xCD};
  Bytes bshort = {0x30, 4, 0x01};
  for (const Bytes* b : {&b0b, &bda, &bd5, &bunk, &bshort}) body.insert(body.end(), b->begin(), b->end());
  absl::StatusOr<Location> l = DecodeLocation(body);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(*l->elock.lock_command, 1);
  EXPECT_EQ(*l->elock.lock_password, "888888");
  EXPECT_EQ(*l->elock.unlock_result, 1);
  EXPECT_EQ(*l->elock.rope_cut_count, 2);
  EXPECT_TRUE(*l->elock.rope_cut);
  EXPECT_TRUE(*l->elock.cover_open);
  EXPECT_FALSE(*l->elock.locked);
  EXPECT_EQ(*l->elock.battery_percent, 7);
  ASSERT_EQ(l->items.size(), 5u);
  EXPECT_EQ(l->items[3].id, 0xEE);
  EXPECT_EQ(ToHex(l->items[3].value), "abcd");
  EXPECT_EQ(l->items[4].id, 0x30);
  EXPECT_FALSE(l->rssi.has_value());
  ASSERT_EQ(l->warnings.size(), 1u);
  EXPECT_THAT(l->warnings[0], ::testing::HasSubstr("0x30"));
  EXPECT_THAT(ElockAlarms(*l), ElementsAre("rope_cut", "shell_opened", "wrong_password", "low_battery"));
}

TEST(Jt808MessagesTest, ShortItemsNeverOverRead) {
  // Every item id with lengths 0..3 and the body ending right after: no crash, items kept.
  for (int id = 0; id < 256; ++id) {
    for (int n = 0; n < 4; ++n) {
      Bytes body = Fixed(0, 0);
      body.push_back(static_cast<uint8_t>(id));
      body.push_back(static_cast<uint8_t>(n));
      for (int i = 0; i < n; ++i) body.push_back(0xFF);
      absl::StatusOr<Location> l = DecodeLocation(body);
      ASSERT_TRUE(l.ok());
      EXPECT_EQ(l->items.size(), 1u);
    }
  }
}

TEST(Jt808MessagesTest, RejectsShortBodies) {
  EXPECT_FALSE(DecodeLocation(Bytes(27)).ok());
  EXPECT_FALSE(DecodeGeneralResponse(Bytes(4)).ok());
  EXPECT_FALSE(DecodeRegistration(Bytes(10), false).ok());
  EXPECT_FALSE(DecodeBatchLocation(Bytes{0, 2, 0, 0, 5}).ok());
  Bytes bad_time = Fixed(0, 0);
  for (int i = 22; i < 28; ++i) bad_time[i] = 0;
  absl::StatusOr<Location> l = DecodeLocation(bad_time);
  ASSERT_TRUE(l.ok());
  EXPECT_FALSE(l->time.has_value());
}

TEST(Jt808MessagesTest, AlarmNames2019) {
  EXPECT_THAT(AlarmNames((1u << 7) | (1u << 31), false), ElementsAre("main_power_low", "illegal_door_opening"));
  EXPECT_THAT(AlarmNames((1u << 16), true), ElementsAre("tyre_pressure"));
}

// Deterministic random mutations of real frames through framer, frame decoder and every body
// decoder: nothing may crash or over-read (run under ASan/UBSan too).
TEST(Jt808MessagesTest, MutatedFramesNeverCrash) {
  const char* seeds[] = {
      "7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C00001807151010100104000000"
      "6402020037577E",
      "7E0704005311223344556622B80002000026000000010000000200BA7F0E07E4F11C0028003C0000180715101010"
      "010400000064020200370026000000020000000100CB735507E6A32300290036007818071510103001040000006002"
      "020042D47E",
      "7E010040540100000000000123456789000A00280032313233340000000000000073"
      "6D616C6C6368693132330000000000000000000000000000000000000043484931323300000000000000000000"
      "000000000000000000000000000001D4C1413132333435B27E",
      "7E09000009000123456789000A83736D616C6C6368691D7E",
  };
  std::mt19937 rng(808);
  int decoded = 0;
  for (int round = 0; round < 4000; ++round) {
    Bytes wire = *ParseHex(seeds[round % 4]);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) wire[1 + rng() % (wire.size() - 2)] = static_cast<uint8_t>(rng());
    if (rng() % 3 == 0) wire.resize(1 + rng() % wire.size());
    Jt808Framer framer;
    std::vector<Bytes> contents;
    framer.Feed(wire.data(), wire.size(), &contents);
    for (const Bytes& c : contents) {
      absl::StatusOr<Jt808Frame> f = DecodeFrame(c);
      // Re-checksum so the body decoders see the mutation too.
      absl::StatusOr<Bytes> raw = Unescape(c);
      if (!raw.ok() || raw->size() < 13) continue;
      raw->back() = XorChecksum(ByteSpan(raw->data(), raw->size() - 1));
      absl::StatusOr<Jt808Frame> g = DecodeUnescapedFrame(*raw);
      Bytes body = g.ok() ? g->body : Bytes(raw->begin() + 12, raw->end() - 1);
      decoded += DecodeLocation(body).ok();
      decoded += DecodeBatchLocation(body).ok();
      decoded += DecodeRegistration(body, false).ok();
      decoded += DecodeRegistration(body, true).ok();
      decoded += DecodeAuthentication(body, true).ok();
      decoded += DecodeAuthentication(body, false).ok();
      decoded += DecodeGeneralResponse(body).ok();
      decoded += DecodeRegisterResponse(body).ok();
      if (auto p = DecodePassThrough(body); p.ok()) ParseUnlockReply(*p);
      (void)f;
    }
  }
  EXPECT_GT(decoded, 0);
}

}  // namespace
}  // namespace yardgate::seal
