#include "ocr/container_code.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/iso6346.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace yardgate::ocr {
namespace {

TEST(ExtractContainerNumbers, CleanReadWithSpaces) {
  std::vector<CodeCandidate> c = ExtractContainerNumbers("BEAU 265693 1", {});
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].number, "BEAU2656931");
  EXPECT_TRUE(c[0].check_ok);
  EXPECT_EQ(c[0].positional, 0);
  EXPECT_EQ(c[0].corrected, 0);
}

TEST(ExtractContainerNumbers, FindsNumberInsideLongerText) {
  std::vector<CodeCandidate> c = ExtractContainerNumbers("XX CSQU3054383 22G1", {});
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].number, "CSQU3054383");
  EXPECT_TRUE(c[0].check_ok);
}

TEST(ExtractContainerNumbers, PositionalLookAlikesAreSwapped) {
  // O read for 0 in the serial, 0 read for O in the owner code.
  std::vector<CodeCandidate> c = ExtractContainerNumbers("0OLU1234567", {});
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].number, "OOLU1234567");
  EXPECT_TRUE(c[0].check_ok);
  EXPECT_EQ(c[0].positional, 1);

  c = ExtractContainerNumbers("APZU3O08O30", {});
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].number, "APZU3008030");
  EXPECT_EQ(c[0].positional, 2);
}

TEST(ExtractContainerNumbers, TooManyForcedSwapsIsNotANumber) {
  // Other text (weights, words) must not turn into container numbers by wholesale swapping.
  for (const CodeCandidate& c : ExtractContainerNumbers("MAXGROSS 30480 KGS", {})) {
    EXPECT_LE(c.positional, 2) << c.number;
  }
  EXPECT_TRUE(ExtractContainerNumbers("17003692261", {}).empty());
}

TEST(ExtractContainerNumbers, RepairsTheLeastConfidentCharacterWithTheCheckDigit) {
  // TRHU1700369 with the 7 misread as 1 at low confidence.
  const std::string raw = "TRHU1100369";
  std::vector<float> conf(11, 0.97f);
  conf[5] = 0.35f;
  std::vector<CharChoices> choices(11);
  for (int i = 0; i < 11; ++i) choices[i] = {{raw[i], conf[i]}};
  choices[5] = {{'1', 0.55f}, {'7', 0.40f}};
  std::vector<CodeCandidate> c = ExtractContainerNumbers(raw, conf, choices);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].number, "TRHU1700369");
  EXPECT_TRUE(c[0].check_ok);
  EXPECT_EQ(c[0].corrected, 1);
}

TEST(ExtractContainerNumbers, FillsOneUnreadableSerialCharacterFromTheCheckDigit) {
  // MSKU3866036 with the second 6 read as F (no digit looks like F), at low confidence.
  std::vector<float> conf(11, 0.99f);
  conf[6] = 0.5f;
  std::vector<CodeCandidate> c = ExtractContainerNumbers("MSKU38F6036", conf);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].number, "MSKU3866036");
  EXPECT_TRUE(c[0].check_ok);
  EXPECT_EQ(c[0].corrected, 1);
  // Two unreadable serial characters are too many to fill.
  for (const CodeCandidate& x : ExtractContainerNumbers("MSKU38FF036", conf)) {
    EXPECT_FALSE(x.check_ok) << x.number;
  }
}

TEST(ExtractContainerNumbers, NeverCallsAFailingNumberValid) {
  // MSCU1234567 fails its check digit (it needs 6); with every character read confidently and
  // no alternatives there is no clear repair, so it stays invalid.
  std::vector<float> conf(11, 0.99f);
  for (const CodeCandidate& c : ExtractContainerNumbers("MSCU1234567", conf)) {
    if (c.check_ok) {
      EXPECT_TRUE(common::ValidateContainerNumber(c.number).ok()) << c.number;
    } else {
      EXPECT_EQ(c.number, "MSCU1234567");
    }
  }
}

TEST(ExtractContainerNumbers, EveryValidCandidatePassesTheGateValidator) {
  const char* raws[] = {"TRHUI7003699", "BEAU26569311", "SEGU6047898", "IMTUS061955",
                        "HALU 2089976", "CXDU1604O74", "WEGU6047895"};
  for (const char* raw : raws) {
    for (const CodeCandidate& c : ExtractContainerNumbers(raw, {})) {
      if (c.check_ok) {
        EXPECT_TRUE(common::ValidateContainerNumber(c.number).ok()) << raw;
      }
    }
  }
}

TEST(ExtractContainerNumbers, WeightsAreNotRepairedIntoNumbers) {
  // Two stacked weight lines ("26660 KG", "58770 LB") must not become a container number.
  for (const CodeCandidate& c : ExtractContainerNumbers("26660KG58770L8", {})) {
    EXPECT_FALSE(c.check_ok) << c.number;
  }
}

TEST(ExtractSizeType, CommonCodesAndLookAlikes) {
  EXPECT_EQ(ExtractSizeType("22G1"), "22G1");
  EXPECT_EQ(ExtractSizeType("2261"), "22G1");
  EXPECT_EQ(ExtractSizeType("45G1"), "45G1");
  EXPECT_EQ(ExtractSizeType("L5G1"), "L5G1");
  EXPECT_EQ(ExtractSizeType("45R1"), "45R1");
  EXPECT_EQ(ExtractSizeType("MAXGROSS"), std::nullopt);
}

TEST(CheckDigitBlindSpots, MAndWPassAlike) {
  // M and W are 24 and 35 in the check digit's letter values: 11 apart, the same modulo 11.
  const std::vector<std::pair<int, char>> spots = CheckDigitBlindSpots("MSKU3866036");
  EXPECT_NE(std::find(spots.begin(), spots.end(), std::make_pair(0, 'W')), spots.end());
  // Nothing for a number whose look-alikes all fail the check digit, nor for an invalid one.
  EXPECT_TRUE(CheckDigitBlindSpots("CSQU3054384").empty());
  for (const auto& [i, c] : CheckDigitBlindSpots("CSQU3054383")) {
    std::string n = "CSQU3054383";
    n[static_cast<size_t>(i)] = c;
    EXPECT_TRUE(common::ValidateContainerNumber(n).ok()) << n;
  }
}

TEST(ExtractContainerNumbers, PositionsCarryTheRecognisersAlternatives) {
  const std::string raw = "CSQU3054383";
  std::vector<float> conf(11, 0.97f);
  conf[6] = 0.55f;
  std::vector<CharChoices> choices(11);
  for (size_t i = 0; i < 11; ++i) choices[i] = {{raw[i], conf[i]}};
  choices[6].push_back({'6', 0.4f});
  std::vector<CodeCandidate> c = ExtractContainerNumbers(raw, conf, choices);
  ASSERT_FALSE(c.empty());
  ASSERT_EQ(c[0].positions.size(), 11u);
  EXPECT_EQ(c[0].positions[6][0], std::make_pair('5', 0.55f));
  EXPECT_EQ(c[0].positions[6][1], std::make_pair('6', 0.4f));
  EXPECT_EQ(c[0].positions[0][0].first, 'C');
}

TEST(HammingDistance, CountsDifferences) {
  EXPECT_EQ(HammingDistance("ABC", "ABC"), 0);
  EXPECT_EQ(HammingDistance("ABC", "ABD"), 1);
  EXPECT_EQ(HammingDistance("ABC", "AB"), 3);
}

}  // namespace
}  // namespace yardgate::ocr
