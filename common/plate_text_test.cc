#include "common/plate_text.h"

#include "gtest/gtest.h"

namespace yardgate::common {
namespace {

TEST(IsValidPlate, MainlandKinds) {
  EXPECT_TRUE(IsValidPlate("粤B12345"));
  EXPECT_TRUE(IsValidPlate("皖AYL375"));
  EXPECT_TRUE(IsValidPlate("京EA5331"));     // double-row rear plate, read top then bottom
  EXPECT_TRUE(IsValidPlate("沪AF71017"));    // new energy, small
  EXPECT_TRUE(IsValidPlate("沪A12345D"));    // new energy, large
  EXPECT_TRUE(IsValidPlate("鲁B1234挂"));    // trailer
  EXPECT_TRUE(IsValidPlate("粤ZAB12港"));    // cross-boundary
}

TEST(IsValidPlate, Rejects) {
  EXPECT_FALSE(IsValidPlate(""));
  EXPECT_FALSE(IsValidPlate("粤B1234"));      // too short
  EXPECT_FALSE(IsValidPlate("粤BI2345"));     // I is not used
  EXPECT_FALSE(IsValidPlate("粤112345"));     // office must be a letter
  EXPECT_FALSE(IsValidPlate("港B12345"));     // not a province
  EXPECT_FALSE(IsValidPlate("沪AF7101X"));    // new energy tail must be digits
  EXPECT_FALSE(IsValidPlate("粤BAB12港"));    // cross-boundary plates are 粤Z
}

TEST(IsValidPlate, HongKongAndMacau) {
  EXPECT_TRUE(IsValidPlate("AB1234"));
  EXPECT_TRUE(IsValidPlate("HK88"));
  EXPECT_TRUE(IsValidPlate("MA1234"));
  EXPECT_FALSE(IsValidPlate("AB0123"));
  EXPECT_FALSE(IsValidPlate("ABC1234"));
}

TEST(IsHongKongOrMacauPlate, OnlyValidPlatesWithoutProvince) {
  EXPECT_TRUE(IsHongKongOrMacauPlate("AB1234"));
  EXPECT_TRUE(IsHongKongOrMacauPlate("MA1234"));
  EXPECT_FALSE(IsHongKongOrMacauPlate("粤B12345"));
  EXPECT_FALSE(IsHongKongOrMacauPlate("粤Z1234港"));
  EXPECT_FALSE(IsHongKongOrMacauPlate("AB0123"));
  EXPECT_FALSE(IsHongKongOrMacauPlate(""));
}

TEST(SplitCodePoints, Utf8) {
  std::vector<std::string> cps = SplitCodePoints("粤B1挂");
  ASSERT_EQ(cps.size(), 4u);
  EXPECT_EQ(cps[0], "粤");
  EXPECT_EQ(cps[3], "挂");
}

TEST(NormalizePlate, OneSpellingForEveryInput) {
  EXPECT_EQ(NormalizePlate("粤b·12345"), "粤B12345");
  EXPECT_EQ(NormalizePlate(" 粤B 123-45 "), "粤B12345");
  EXPECT_EQ(NormalizePlate("ab.1234"), "AB1234");
}

TEST(ProvincePinyin, EveryProvinceHasOne) {
  for (const std::string& p : ProvinceCharacters()) EXPECT_FALSE(ProvincePinyin(p).empty()) << p;
  EXPECT_EQ(ProvincePinyin("粤"), "YUE");
  EXPECT_EQ(ProvincePinyin("A"), "");
}

}  // namespace
}  // namespace yardgate::common
