#include "common/json.h"

#include <gtest/gtest.h>

namespace yardgate::common {
namespace {

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(JsonString, WellFormedUtf8PassesThrough) { EXPECT_EQ(JsonString("粤B12345"), "\"粤B12345\""); }

// yardgate-seal decode printed an auth code holding 0xff as a raw byte (invalid JSON).
TEST(JsonString, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(JsonString(std::string("ab\xff" "c", 4)), "\"ab\\u00ffc\"");
  EXPECT_EQ(JsonString(std::string("\xe7\xb2", 2)), "\"\\u00e7\\u00b2\"");  // truncated 粤
  EXPECT_EQ(JsonString(std::string("\xc0\xaf", 2)), "\"\\u00c0\\u00af\"");  // overlong '/'
  EXPECT_EQ(JsonString(std::string("\xed\xa0\x80", 3)), "\"\\u00ed\\u00a0\\u0080\"");  // surrogate
}

}  // namespace
}  // namespace yardgate::common
