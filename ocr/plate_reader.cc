#include "ocr/plate_reader.h"

namespace yardgate::ocr {

absl::StatusOr<std::vector<FramePlate>> ReadPlates(const cv::Mat& bgr, TessPool& chinese,
                                                   TessPool& latin,
                                                   const PlateReaderOptions& options) {
  (void)bgr;
  (void)chinese;
  (void)latin;
  (void)options;
  return std::vector<FramePlate>{};
}

}  // namespace yardgate::ocr
