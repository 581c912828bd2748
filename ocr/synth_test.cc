#include "ocr/synth.h"

#include "common/iso6346.h"
#include "gtest/gtest.h"
#include "common/plate_text.h"

namespace yardgate::ocr {
namespace {

TEST(Synthesizer, DeterministicAndValid) {
  absl::StatusOr<std::unique_ptr<Synthesizer>> s = Synthesizer::Create();
  ASSERT_TRUE(s.ok()) << s.status();
  ContainerSpec spec;
  spec.seed = 5;
  spec.degradation.noise = 5;
  SynthImage a = (*s)->Container(spec), b = (*s)->Container(spec);
  EXPECT_EQ(a.truth, b.truth);
  EXPECT_EQ(cv::norm(a.bgr, b.bgr, cv::NORM_INF), 0);
  EXPECT_TRUE(common::ValidateContainerNumber(a.truth).ok());
  EXPECT_EQ(a.bgr.size(), cv::Size(spec.width, spec.height));
  EXPECT_GT(a.box.area(), 0);
}

TEST(Synthesizer, RandomPlatesAreValid) {
  std::mt19937 rng(3);
  for (PlateKind kind : {PlateKind::kBlue, PlateKind::kYellow, PlateKind::kYellowDoubleRow,
                         PlateKind::kGreen, PlateKind::kTrailer}) {
    for (int i = 0; i < 20; ++i) {
      std::string p = Synthesizer::RandomPlate(rng, kind);
      EXPECT_TRUE(common::IsValidPlate(p)) << p;
    }
  }
}

TEST(Synthesizer, PlatesRender) {
  absl::StatusOr<std::unique_ptr<Synthesizer>> s = Synthesizer::Create();
  ASSERT_TRUE(s.ok());
  PlateSpec spec;
  spec.kind = PlateKind::kYellowDoubleRow;
  spec.tight_crop = true;
  SynthImage img = (*s)->Plate(spec);
  EXPECT_FALSE(img.bgr.empty());
  EXPECT_TRUE(common::IsValidPlate(img.truth));
}

TEST(Synthesizer, TrainingPlatesAreValidAndReproducible) {
  absl::StatusOr<std::unique_ptr<Synthesizer>> s = Synthesizer::Create();
  ASSERT_TRUE(s.ok()) << s.status();
  int double_rows = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SynthImage a = (*s)->TrainingPlate(seed);
    EXPECT_TRUE(common::IsValidPlate(a.truth)) << a.truth;
    EXPECT_FALSE(a.bgr.empty());
    EXPECT_EQ(a.box, cv::Rect(0, 0, a.bgr.cols, a.bgr.rows));
    double_rows += a.double_row;
    SynthImage b = (*s)->TrainingPlate(seed);
    EXPECT_EQ(a.truth, b.truth);
    EXPECT_EQ(cv::norm(a.bgr, b.bgr, cv::NORM_INF), 0) << seed;
  }
  EXPECT_GT(double_rows, 0);
}

}  // namespace
}  // namespace yardgate::ocr
