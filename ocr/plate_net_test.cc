#include "ocr/plate_net.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "common/plate_text.h"
#include "ocr/synth.h"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

TEST(PlateNetAlphabet, BlankFirstThenEveryPlateCharacterOnce) {
  const std::vector<std::string>& a = PlateNetAlphabet();
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a[0], "");
  const std::set<std::string> unique(a.begin(), a.end());
  EXPECT_EQ(unique.size(), a.size());
  EXPECT_EQ(a.size(), 1u + 31 + 24 + 10 + 5);
  std::mt19937 rng(11);
  for (PlateKind kind : {PlateKind::kBlue, PlateKind::kGreen, PlateKind::kTrailer}) {
    for (int i = 0; i < 50; ++i) {
      for (const std::string& ch : common::SplitCodePoints(Synthesizer::RandomPlate(rng, kind))) {
        EXPECT_TRUE(unique.count(ch)) << ch;
      }
    }
  }
}

TEST(PlateLine, AnyCropBecomesOneGreyLine) {
  for (const cv::Mat& crop : {cv::Mat(24, 94, CV_8UC3, cv::Scalar(200, 50, 10)),
                              cv::Mat(300, 900, CV_8UC1, cv::Scalar(90)),
                              cv::Mat(40, 120, CV_8UC4, cv::Scalar(1, 2, 3, 255)),
                              cv::Mat(3, 5, CV_8UC3, cv::Scalar(0))}) {
    for (bool double_row : {false, true}) {
      cv::Mat line = PlateLine(crop, double_row);
      EXPECT_EQ(line.type(), CV_8UC1);
      EXPECT_EQ(line.size(), cv::Size(kPlateLineWidth, kPlateLineHeight));
    }
  }
}

TEST(PlateLine, DoubleRowPutsTheTopRowFirst) {
  // Top 40 % dark, the rest light: read as one line, the dark part comes first.
  cv::Mat plate(100, 200, CV_8UC1, cv::Scalar(230));
  plate(cv::Rect(0, 0, 200, 40)).setTo(20);
  cv::Mat line = PlateLine(plate, true);
  EXPECT_LT(cv::mean(line.colRange(0, 20))[0], 60);
  EXPECT_GT(cv::mean(line.colRange(kPlateLineWidth - 40, kPlateLineWidth))[0], 200);
}

// Bars standing for a plate's vertical strokes, light on dark, as a one-channel crop.
cv::Mat Bars(double slant) {
  cv::Mat upright(40, 160, CV_8UC1, cv::Scalar(30));
  for (int x = 12; x < 150; x += 18) upright.colRange(x, x + 5).setTo(220);
  if (slant == 0) return upright;
  cv::Mat sheared;
  const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, slant, -slant * 19.5, 0, 1, 0);
  cv::warpAffine(upright, sheared, m, upright.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return sheared;
}

// How sharply the line's columns tell strokes from ground.
double ColumnContrast(const cv::Mat& line) {
  cv::Mat columns;
  cv::reduce(line, columns, 0, cv::REDUCE_AVG, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(columns, mean, stddev);
  return stddev[0];
}

TEST(PlateLine, UprightWritingIsLeftAlone) {
  cv::Mat resized;
  cv::resize(Bars(0), resized, cv::Size(kPlateLineWidth, kPlateLineHeight), 0, 0, cv::INTER_AREA);
  EXPECT_EQ(cv::norm(PlateLine(Bars(0), false), resized, cv::NORM_INF), 0);
}

TEST(PlateLine, SlantedWritingComesOutUpright) {
  const double upright = ColumnContrast(PlateLine(Bars(0), false));
  for (double slant : {-0.45, -0.25, 0.3, 0.5}) {
    cv::Mat plain;
    cv::resize(Bars(slant), plain, cv::Size(kPlateLineWidth, kPlateLineHeight), 0, 0,
               cv::INTER_AREA);
    EXPECT_LT(ColumnContrast(plain), 0.6 * upright) << slant;  // the bars smear into the ground
    EXPECT_GT(ColumnContrast(PlateLine(Bars(slant), false)), 0.85 * upright) << slant;
  }
}

TEST(PlateNet, LoadNamesWhatIsWrong) {
  absl::StatusOr<std::unique_ptr<PlateNet>> missing = PlateNet::Load("/nonexistent/plate_net.pt");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/plate_net.pt"), std::string::npos);
  const std::string junk = (std::filesystem::temp_directory_path() / "plate_net_junk.pt").string();
  std::ofstream(junk) << "not a network";
  absl::StatusOr<std::unique_ptr<PlateNet>> bad = PlateNet::Load(junk);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(junk);
}

// The shipped weights on synthetic plates they were not trained on (training seeds stay
// below 10^8): every kind, degraded as the locator and camera would.
TEST(PlateNet, ShippedModelReadsUnseenSyntheticPlates) {
  absl::StatusOr<std::unique_ptr<PlateNet>> net = PlateNet::Load(DefaultPlateModelPath());
  ASSERT_TRUE(net.ok()) << net.status();
  absl::StatusOr<std::unique_ptr<Synthesizer>> synth = Synthesizer::Create();
  ASSERT_TRUE(synth.ok()) << synth.status();
  int exact = 0;
  const int n = 200;
  for (uint32_t seed = 500000000; seed < 500000000 + n; ++seed) {
    SynthImage img = (*synth)->TrainingPlate(seed);
    std::vector<PlateNet::Reading> r = (*net)->Read(img.bgr, img.double_row);
    ASSERT_FALSE(r.empty());
    for (size_t i = 0; i < r.size(); ++i) {
      EXPECT_GE(r[i].probability, 0.0);
      EXPECT_LE(r[i].probability, 1.0);
      if (i > 0) {
        EXPECT_LE(r[i].probability, r[i - 1].probability);
      }
    }
    exact += r[0].text == img.truth;
  }
  std::printf("unseen synthetic plates: %d/%d exact\n", exact, n);
  // The shipped network (stage 8, fine-tuned on real plates too) reads 85.5 % of the
  // trainer's 2,000 held-out synthetic plates and 168 of these 200; the floor leaves room for
  // a retrained network's run-to-run spread.
  EXPECT_GE(exact, n * 80 / 100);
}

}  // namespace
}  // namespace yardgate::ocr
