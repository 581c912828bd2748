#include "ocr/fusion.h"

#include "common/plate_text.h"
#include "gtest/gtest.h"

namespace yardgate::ocr {
namespace {

Observation Obs(size_t frame, const std::string& text, bool valid, double conf) {
  Observation o;
  o.frame = frame;
  o.text = text;
  o.valid = valid;
  o.confidence = conf;
  o.evidence.image = "f" + std::to_string(frame);
  return o;
}

// Alternatives for each character of `text`: every one at `sure`, except position `at`, where
// the read character has `read_p` and `other` has `other_p`.
std::vector<CharAlternatives> Positions(const std::string& text, double sure, size_t at = 99,
                                        double read_p = 0, const std::string& other = "",
                                        double other_p = 0) {
  std::vector<CharAlternatives> out;
  const std::vector<std::string> chars = common::SplitCodePoints(text);
  for (size_t i = 0; i < chars.size(); ++i) {
    if (i == at) {
      out.push_back({{chars[i], read_p}, {other, other_p}});
    } else {
      out.push_back({{chars[i], sure}});
    }
  }
  return out;
}

// An observation that JudgeSettlement lets settle to `expected` at confidence `as_expected`.
Observation Settleable(size_t frame, const std::string& text, bool valid, double conf,
                       const std::string& expected, double as_expected) {
  Observation o = Obs(frame, text, valid, conf);
  const std::vector<std::string> r = common::SplitCodePoints(text), e = common::SplitCodePoints(expected);
  size_t at = 0;
  while (at < r.size() && r[at] == e[at]) ++at;
  std::optional<Settlement> s =
      JudgeSettlement(text, expected, Positions(text, 0.99, at, 0.5, e[at], 0.45));
  EXPECT_TRUE(s.has_value());
  if (s) o.settle_to.push_back({expected, *s, as_expected});
  return o;
}

TEST(Fusion, AgreeingFramesRaiseConfidence) {
  FusionOptions opts;
  std::vector<Fused> one = FuseObservations({Obs(0, "CSQU3054383", true, 0.8)}, opts);
  std::vector<Fused> three = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.8), Obs(1, "CSQU3054383", true, 0.8),
       Obs(2, "CSQU3054383", true, 0.8)},
      opts);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(three.size(), 1u);
  EXPECT_GT(three[0].confidence, one[0].confidence);
  EXPECT_EQ(three[0].frames.size(), 3u);
}

TEST(Fusion, DisagreeingFramesLowerConfidence) {
  FusionOptions opts;
  std::vector<Fused> agree = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.9), Obs(1, "CSQU3054383", true, 0.9)}, opts);
  std::vector<Fused> disagree = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.9), Obs(1, "CSQU3054383", true, 0.9),
       Obs(2, "CSQU3054388", false, 0.3)},
      opts);
  ASSERT_FALSE(disagree.empty());
  EXPECT_EQ(disagree[0].text, "CSQU3054383");
  EXPECT_LT(disagree[0].confidence, agree[0].confidence);
}

TEST(Fusion, TwoBoxesStaySeparate) {
  FusionOptions opts;
  std::vector<Fused> f = FuseObservations(
      {Obs(0, "TRHU1700369", true, 0.9), Obs(1, "BEAU2656931", true, 0.9)}, opts);
  ASSERT_EQ(f.size(), 2u);
}

TEST(Fusion, SameFrameCountsOnce) {
  FusionOptions opts;
  std::vector<Fused> f = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.8), Obs(0, "CSQU3054383", true, 0.8)}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NEAR(f[0].confidence, 0.8, 1e-9);
}

TEST(JudgeSettlement, OnlyWhereTheRecogniserWasUnsure) {
  const std::string read = "粤B12845", expected = "粤B12345";
  struct Case {
    const char* name;
    std::string expected;
    std::vector<CharAlternatives> positions;
    bool allowed;
  } cases[] = {
      {"unsure, expected among the alternatives", expected, Positions(read, 0.97, 4, 0.55, "3", 0.4), true},
      {"a confident read of another character", expected, Positions(read, 0.97, 4, 0.95, "3", 0.04), false},
      {"expected character not offered", expected, Positions(read, 0.97, 4, 0.55, "6", 0.4), false},
      {"expected character offered too faintly", expected, Positions(read, 0.97, 4, 0.6, "3", 0.05), false},
      {"the rest of the read unsure", expected, Positions(read, 0.7, 4, 0.55, "3", 0.4), false},
      {"two characters differ", "粤B13345", Positions(read, 0.97, 4, 0.55, "3", 0.4), false},
      {"another length", "粤B123456", Positions(read, 0.97, 4, 0.55, "3", 0.4), false},
      {"the same text", read, Positions(read, 0.97), false},
  };
  for (const Case& c : cases) {
    std::optional<Settlement> s = JudgeSettlement(read, c.expected, c.positions);
    EXPECT_EQ(s.has_value(), c.allowed) << c.name;
    if (!s) continue;
    ASSERT_EQ(s->characters.size(), 1u);
    EXPECT_EQ(s->characters[0].position, 4);
    EXPECT_EQ(s->characters[0].read, "8");
    EXPECT_EQ(s->characters[0].expected, "3");
    EXPECT_DOUBLE_EQ(s->characters[0].expected_probability, 0.4);
    EXPECT_NE(s->reason.find("position 5: read '8' at 0.55, expected '3' at 0.40"), std::string::npos)
        << s->reason;
  }
}

TEST(Fusion, ExpectationSettlesAnUnsureReadAndSaysSo) {
  FusionOptions opts;
  std::vector<Fused> f = FuseObservations(
      {Settleable(0, "CSQU3054388", false, 0.25, "CSQU3054383", 0.5)}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].text, "CSQU3054383");
  EXPECT_TRUE(f[0].valid);
  ASSERT_EQ(f[0].settlement.characters.size(), 1u);
  EXPECT_EQ(f[0].settlement.characters[0].position, 10);
  // The settled confidence is what the recogniser gave the expected text, no more.
  EXPECT_NEAR(f[0].confidence, 0.5, 1e-9);
}

TEST(Fusion, SettledReadNeverScoresAboveAnExactRead) {
  FusionOptions opts;
  const double exact = FuseObservations({Obs(0, "粤B12345", true, 0.8)}, opts)[0].confidence;
  std::vector<Fused> settled =
      FuseObservations({Settleable(0, "粤B12845", true, 0.3, "粤B12345", 0.3)}, opts);
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].text, "粤B12345");
  EXPECT_LE(settled[0].confidence, exact);
  EXPECT_LE(settled[0].confidence, 0.3 + 1e-9);
}

TEST(Fusion, AConfidentReadOfAnotherValidTextIsNeverSettled) {
  FusionOptions opts;
  // Even were a frame's alternatives to allow it: the read is a confident valid plate.
  std::vector<Fused> f =
      FuseObservations({Settleable(0, "粤B12845", true, 0.9, "粤B12345", 0.4)}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].text, "粤B12845");
  EXPECT_TRUE(f[0].settlement.empty());
  // A second camera's confident read of the other plate forbids it as well.
  f = FuseObservations({Settleable(0, "粤B12845", true, 0.3, "粤B12345", 0.3),
                        Obs(1, "粤B12845", true, 0.6)},
                       opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].text, "粤B12845");
  EXPECT_TRUE(f[0].settlement.empty());
}

TEST(Fusion, WithoutASettleOptionNothingIsSettled) {
  FusionOptions opts;
  std::vector<Fused> f = FuseObservations({Obs(0, "CSQU3054388", false, 0.25)}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].valid);
  EXPECT_TRUE(f[0].settlement.empty());
}

TEST(Fusion, CheckBlindReadNeedsASecondFrame) {
  FusionOptions opts;
  Observation a = Obs(0, "CSQU3054383", true, 0.9);
  a.check_blind = true;
  Observation b = Obs(1, "CSQU3054383", true, 0.9);
  b.check_blind = true;
  EXPECT_TRUE(FuseObservations({a}, opts)[0].check_blind);
  EXPECT_FALSE(FuseObservations({a, b}, opts)[0].check_blind);
}

ContainerRead Box(const std::string& number, double confidence, const std::string& image, int x) {
  ContainerRead c;
  c.number = number;
  c.check_digit_ok = true;
  c.confidence = confidence;
  c.frames.push_back({image, x, 100, 300, 40, number, confidence, confidence});
  return c;
}

TEST(WithoutPhantomBoxes, AWeakCompetingReadIsNotASecondBox) {
  struct Case {
    const char* name;
    ContainerRead second;
    bool second_box;
  } cases[] = {
      // TRHU1700369 and TRHU1706367 (both valid) are two characters apart.
      {"weak and a few characters from the better read", Box("TRHU1706367", 0.3, "b.jpg", 900), false},
      {"far weaker", Box("BEAU2656931", 0.2, "b.jpg", 900), false},
      {"the same place in the same frame", Box("BEAU2656931", 0.7, "a.jpg", 150), false},
      {"a box of its own", Box("BEAU2656931", 0.6, "b.jpg", 900), true},
      {"a confident neighbouring serial", Box("TRHU1700374", 0.8, "b.jpg", 900), true},
  };
  for (const Case& c : cases) {
    std::vector<ContainerRead> out =
        WithoutPhantomBoxes({Box("TRHU1700369", 0.95, "a.jpg", 100), c.second}, 2);
    EXPECT_EQ(out.size(), c.second_box ? 2u : 1u) << c.name;
    EXPECT_EQ(out[0].number, "TRHU1700369") << c.name;
  }
  // At most max_boxes valid ones.
  EXPECT_EQ(WithoutPhantomBoxes({Box("TRHU1700369", 0.95, "a.jpg", 100),
                                 Box("BEAU2656931", 0.9, "b.jpg", 900)},
                                1)
                .size(),
            1u);
}

TEST(CodePointDistance, Utf8) {
  EXPECT_EQ(CodePointDistance("粤B12345", "粤B12345"), 0);
  EXPECT_EQ(CodePointDistance("粤B12345", "皖B12345"), 1);
}

}  // namespace
}  // namespace yardgate::ocr
