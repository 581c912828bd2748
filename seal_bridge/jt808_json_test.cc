#include "seal_bridge/jt808_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace yardgate::seal {
namespace {

using ::testing::HasSubstr;

// SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs#L298
constexpr char kLocation[] =
    "7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C00001807151010100104000000"
    "6402020037577E";

TEST(Jt808JsonTest, LocationFields) {
  absl::StatusOr<std::vector<std::string>> json = DecodeHexToJson(kLocation);
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ(json->size(), 1u);
  const std::string& j = (*json)[0];
  EXPECT_THAT(j, HasSubstr("\"msg_id\":\"0x0200\""));
  EXPECT_THAT(j, HasSubstr("\"phone\":\"112233445566\""));
  EXPECT_THAT(j, HasSubstr("\"serial\":8888"));
  EXPECT_THAT(j, HasSubstr("\"version\":\"2013\""));
  EXPECT_THAT(j, HasSubstr("\"checksum_ok\":true"));
  EXPECT_THAT(j, HasSubstr("\"latitude\":12.222222"));
  EXPECT_THAT(j, HasSubstr("\"longitude\":132.444444"));
  EXPECT_THAT(j, HasSubstr("\"altitude_m\":40"));
  EXPECT_THAT(j, HasSubstr("\"speed_kmh\":6.0"));
  EXPECT_THAT(j, HasSubstr("\"course_deg\":0"));
  EXPECT_THAT(j, HasSubstr("\"time\":\"2018-07-15T02:10:10Z\""));
  EXPECT_THAT(j, HasSubstr("\"alarms\":[\"sos\"]"));
  EXPECT_THAT(j, HasSubstr("\"status\":[\"fix_valid\"]"));
  EXPECT_THAT(j, HasSubstr("\"mileage_km\":10.0"));
  EXPECT_EQ(j.front(), '{');
  EXPECT_EQ(j.back(), '}');
}

TEST(Jt808JsonTest, UnescapedFrameAndOtherBodies) {
  // Same frame without flags (Traccar style): accepted as un-escaped content.
  absl::StatusOr<std::vector<std::string>> json =
      DecodeHexToJson("0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C000018071510101001040000006402020037 57");
  ASSERT_TRUE(json.ok()) << json.status();
  // SmallChi/JT808@c9552b0f9eadc6906aeeaa501335c312ce082232:src/JT808.Protocol.Test/MessageBody/JT808_0x0100Test.cs#L41
  json = DecodeHexToJson(
      "7E0100002D000123456789000A002800323132333400736D616C6C6368693132330000000000000000004348"
      "493132330001D4C14131323334358A7E");
  ASSERT_TRUE(json.ok());
  EXPECT_THAT((*json)[0], HasSubstr("\"plate\":\"粤A12345\""));
}

TEST(Jt808JsonTest, RejectedFramesAreErrors) {
  std::string bad = kLocation;
  bad[bad.size() - 4] = '6';  // check 57 -> 67
  absl::StatusOr<std::vector<std::string>> json = DecodeHexToJson(bad);
  EXPECT_EQ(json.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(DecodeHexToJson("zz").ok());
  EXPECT_FALSE(DecodeHexToJson("7e0102").ok());
}

TEST(Jt808JsonTest, IsValidUtf8) {
  struct Case {
    const char* text;
    bool valid;
  };
  for (const Case& c : {Case{"", true}, Case{"plain", true}, Case{"\xe7\xb2\xa4" "A12345", true},
                        Case{"\xf0\x9f\x94\x92", true}, Case{"\xff", false}, Case{"ab\xc3", false},
                        Case{"\xc3\x28", false}, Case{"\x80", false}}) {
    EXPECT_EQ(IsValidUtf8(c.text), c.valid) << c.text;
  }
}

}  // namespace
}  // namespace yardgate::seal
