// Reading ISO 6346 container numbers and size-type codes from one camera frame.
//
// Stages: find character groups (text_regions.h), recognise each group as one line with
// Tesseract (tess_pool.h), then look for container numbers in each line and in pairs of
// stacked lines (codes printed on two or three rows), correcting look-alikes with the check
// digit (container_code.h). A missing check digit (the boxed digit is often damaged) is read
// again on its own.
//
// Thread-safety: ReadContainers may be called from many threads at once with the same pool.
#ifndef YARDGATE_OCR_CONTAINER_READER_H_
#define YARDGATE_OCR_CONTAINER_READER_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ocr/container_code.h"
#include "ocr/tess_pool.h"
#include "ocr/text_regions.h"
#include "opencv2/core.hpp"

namespace yardgate::ocr {

// One container number read in one frame.
struct FrameCode {
  std::string number;      // 11 characters
  bool check_ok = false;   // the check digit holds
  int positional = 0;      // letter<->digit swaps forced by position
  int corrected = 0;       // look-alike swaps made to satisfy the check digit
  double ocr_min = 0;      // lowest character confidence, [0,1]
  double ocr_mean = 0;     // mean character confidence, [0,1]
  double confidence = 0;   // this frame's belief that `number` is right, [0,1]
  cv::Rect box;            // where in the frame
  std::string raw;         // what the recogniser printed
  std::string iso_type;    // size-type code seen next to it, or empty
  std::vector<CharChoices> positions;  // CodeCandidate::positions
};

struct ContainerReaderOptions {
  int max_groups = 10;     // groups recognised per frame, most promising first
  // After a clean check-digit-valid read, recognise at most this many more groups (for a
  // second box, a size-type code or a split code) and stop.
  int groups_after_sure = 3;
  // When the first pass finds no plausible number, a second pass on opened binarisations
  // (TextFinderOptions::open_radius) recognises at most this many groups; 0 disables it.
  int second_pass_groups = 6;
  TextFinderOptions finder;
  std::string debug_prefix;  // when set, writes the rendered lines as <prefix>-gNN.png
  // Past this time no further groups are recognised (at least two are) and no second pass
  // runs. The default (epoch) means no deadline.
  std::chrono::steady_clock::time_point deadline{};
};

// Confidence for one frame's read, from how it was obtained. Exposed for tests.
double FrameCodeConfidence(const FrameCode& code);

// Container numbers in `gray` (CV_8UC1), best first, at most one per distinct number.
absl::StatusOr<std::vector<FrameCode>> ReadContainers(const cv::Mat& gray, TessPool& pool,
                                                      const ContainerReaderOptions& options);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_CONTAINER_READER_H_
