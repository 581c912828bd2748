#include "ocr/calibration.h"

#include <random>

#include "gtest/gtest.h"

namespace yardgate::ocr {
namespace {

TEST(Calibration, FitIsMonotoneAndMatchesTheShareRight) {
  // Reads whose chance of being right is their score squared.
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ScoredRead> reads;
  for (int i = 0; i < 20000; ++i) {
    const double s = u(rng);
    reads.push_back({s, u(rng) < s * s});
  }
  const Calibration c = Calibration::Fit(reads);
  double last = 0;
  for (double s = 0; s <= 1; s += 0.01) {
    EXPECT_GE(c.Probability(s), last) << s;
    last = c.Probability(s);
  }
  // A little under the true share (a lower bound), never above it by much.
  EXPECT_NEAR(c.Probability(0.5), 0.25, 0.07);
  EXPECT_NEAR(c.Probability(0.9), 0.81, 0.07);
  EXPECT_EQ(c.Probability(-1), 0);
}

TEST(Calibration, SmallPerfectBlocksAreNotCertain) {
  std::vector<ScoredRead> reads;
  for (int i = 0; i < 10; ++i) reads.push_back({0.2, false});
  for (int i = 0; i < 40; ++i) reads.push_back({0.9, true});
  const Calibration c = Calibration::Fit(reads);
  // 40 of 40 right: the 95 % lower bound, about 0.937.
  EXPECT_NEAR(c.Probability(0.95), 0.937, 0.002);
  EXPECT_LT(c.Probability(0.95), 0.999);
  EXPECT_LT(c.Probability(0.3), 0.1);
}

TEST(Calibration, TextRoundTripsAndBadTablesAreRefused) {
  std::vector<ScoredRead> reads = {{0.1, false}, {0.4, true}, {0.5, false}, {0.8, true}, {0.9, true}};
  const Calibration c = Calibration::Fit(reads);
  absl::StatusOr<Calibration> back = Calibration::Parse(c.ToText());
  ASSERT_TRUE(back.ok()) << back.status();
  for (double s : {0.0, 0.1, 0.45, 0.85, 1.0}) EXPECT_NEAR(back->Probability(s), c.Probability(s), 1e-6);
  for (const char* bad : {"0.5\t0.9\t3\n", "0.5\t1.5\t3\t3\n", "0.5\t0.9\t3\t3\n0.4\t0.95\t3\t3\n",
                          "0.5\t0.9\t3\t3\n0.6\t0.5\t3\t3\n"}) {
    EXPECT_EQ(Calibration::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ReliabilityTable, CountsReadsPerBin) {
  const std::vector<ReliabilityBin> bins =
      ReliabilityTable({{0.1, false}, {0.85, true}, {0.85, false}, {0.9995, true}, {1.0, true}});
  int total = 0;
  for (const ReliabilityBin& b : bins) total += b.count;
  EXPECT_EQ(total, 5);
  EXPECT_EQ(bins.front().count, 1);
  EXPECT_EQ(bins.back().count, 2);  // [0.999, 1] holds 1.0 too
  EXPECT_EQ(bins.back().right, 2);
  const ReliabilityBin& mid = bins[2];  // [0.8, 0.9)
  EXPECT_EQ(mid.count, 2);
  EXPECT_DOUBLE_EQ(mid.share_right(), 0.5);
  EXPECT_NE(FormatReliabilityTable(bins).find("[0.800, 0.900)"), std::string::npos);
}

}  // namespace
}  // namespace yardgate::ocr
