#include "ocr/dev_set.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace yardgate::ocr {
namespace {

std::vector<LabelledPlate> Rows(const std::string& province, int n, const std::string& prefix) {
  std::vector<LabelledPlate> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({absl::StrCat(prefix, i, ".jpg"), province + absl::StrCat("A", 10000 + i), "blue"});
  }
  return out;
}

TEST(SplitLabelledPlates, SharesPerStratumAndRowsNeverMove) {
  std::vector<LabelledPlate> plates = Rows("皖", 2000, "a");
  std::vector<PlateSplit> split = SplitLabelledPlates(plates);
  std::map<PlateSplit, int> count;
  for (PlateSplit s : split) ++count[s];
  EXPECT_EQ(count[PlateSplit::kHeldOut], 300);
  EXPECT_EQ(count[PlateSplit::kCalibration], 300);
  EXPECT_EQ(count[PlateSplit::kTrain], 1400);
  // Another stratum added: no row of the first one moves.
  std::vector<LabelledPlate> more = plates;
  for (const LabelledPlate& p : Rows("粤", 40, "b")) more.push_back(p);
  std::vector<PlateSplit> again = SplitLabelledPlates(more);
  for (size_t i = 0; i < plates.size(); ++i) EXPECT_EQ(again[i], split[i]) << plates[i].file;
  std::map<PlateSplit, int> second;
  for (size_t i = plates.size(); i < more.size(); ++i) ++second[again[i]];
  EXPECT_EQ(second[PlateSplit::kHeldOut], 6);
  EXPECT_EQ(second[PlateSplit::kCalibration], 6);
}

TEST(DevSetVisit, GroupsPortalFramesByVisit) {
  EXPECT_EQ(DevSetVisit("1-124126001-OCR-AH-A01.jpg"), "124126001");
  EXPECT_EQ(DevSetVisit("plate_001.jpg"), "plate_001.jpg");
}

}  // namespace
}  // namespace yardgate::ocr
