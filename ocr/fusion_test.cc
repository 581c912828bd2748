#include "ocr/fusion.h"

#include "common/iso6346.h"
#include "gtest/gtest.h"

namespace yardgate::ocr {
namespace {

Observation Obs(size_t frame, const std::string& text, bool valid, double conf) {
  Observation o;
  o.frame = frame;
  o.text = text;
  o.valid = valid;
  o.confidence = conf;
  o.ocr_mean = conf;
  o.evidence.image = "f" + std::to_string(frame);
  return o;
}

bool Valid(const std::string& s) { return common::ValidateContainerNumber(s).ok(); }

TEST(Fusion, AgreeingFramesRaiseConfidence) {
  FusionOptions opts;
  opts.is_valid = &Valid;
  std::vector<Fused> one = FuseObservations({Obs(0, "CSQU3054383", true, 0.8)}, {}, opts);
  std::vector<Fused> three = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.8), Obs(1, "CSQU3054383", true, 0.8),
       Obs(2, "CSQU3054383", true, 0.8)},
      {}, opts);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(three.size(), 1u);
  EXPECT_GT(three[0].confidence, one[0].confidence);
  EXPECT_EQ(three[0].frames.size(), 3u);
}

TEST(Fusion, DisagreeingFramesLowerConfidence) {
  FusionOptions opts;
  std::vector<Fused> agree = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.9), Obs(1, "CSQU3054383", true, 0.9)}, {}, opts);
  std::vector<Fused> disagree = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.9), Obs(1, "CSQU3054383", true, 0.9),
       Obs(2, "CSQU3054388", false, 0.3)},
      {}, opts);
  ASSERT_FALSE(disagree.empty());
  EXPECT_EQ(disagree[0].text, "CSQU3054383");
  EXPECT_LT(disagree[0].confidence, agree[0].confidence);
}

TEST(Fusion, TwoBoxesStaySeparate) {
  FusionOptions opts;
  std::vector<Fused> f = FuseObservations(
      {Obs(0, "TRHU1700369", true, 0.9), Obs(1, "BEAU2656931", true, 0.9)}, {}, opts);
  ASSERT_EQ(f.size(), 2u);
}

TEST(Fusion, SameFrameCountsOnce) {
  FusionOptions opts;
  std::vector<Fused> f = FuseObservations(
      {Obs(0, "CSQU3054383", true, 0.8), Obs(0, "CSQU3054383", true, 0.8)}, {}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NEAR(f[0].confidence, 0.8, 1e-9);
}

TEST(Fusion, ExpectationSettlesOneUncertainCharacter) {
  FusionOptions opts;
  opts.is_valid = &Valid;
  std::vector<Fused> f =
      FuseObservations({Obs(0, "CSQU3054388", false, 0.25)}, {"CSQU3054383"}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].text, "CSQU3054383");
  EXPECT_TRUE(f[0].valid);
  EXPECT_TRUE(f[0].settled_by_expectation);
}

TEST(Fusion, ExpectationNeverSettlesAnInvalidNumber) {
  FusionOptions opts;
  opts.is_valid = &Valid;
  std::vector<Fused> f =
      FuseObservations({Obs(0, "MSCU1234568", false, 0.25)}, {"MSCU1234567"}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].valid);
  EXPECT_FALSE(f[0].settled_by_expectation);
}

TEST(Fusion, FarFromExpectationIsNotSettled) {
  FusionOptions opts;
  opts.is_valid = &Valid;
  std::vector<Fused> f =
      FuseObservations({Obs(0, "CSQU3054788", false, 0.25)}, {"CSQU3054383"}, opts);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].settled_by_expectation);
}

TEST(CodePointDistance, Utf8) {
  EXPECT_EQ(CodePointDistance("粤B12345", "粤B12345"), 0);
  EXPECT_EQ(CodePointDistance("粤B12345", "皖B12345"), 1);
}

}  // namespace
}  // namespace yardgate::ocr
