// Reading licence plates from one camera frame: mainland Chinese plates (blue, yellow
// including double-row rear and trailer plates, green new-energy) and the Hong Kong / Macau
// plates of cross-border trucks.
//
// Stages: find plate-coloured rectangles of plate proportions (or take the whole image when it
// is already a tight crop), rectify and binarise each, segment characters (the Latin tail as
// components, the province character one pitch left of them), recognise each character with
// the plate character classifier (char_classifier.h) and the tail also as one line with
// Tesseract, combine the two, then validate the text against the plate patterns
// (plate_text.h).
//
// Thread-safety: ReadPlates may be called from many threads at once with the same pools.
#ifndef YARDGATE_OCR_PLATE_READER_H_
#define YARDGATE_OCR_PLATE_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ocr/char_classifier.h"
#include "ocr/tess_pool.h"
#include "opencv2/core.hpp"

namespace yardgate::ocr {

struct FramePlate {
  std::string text;        // UTF-8
  bool valid = false;      // matches a plate pattern
  double ocr_mean = 0;     // mean character confidence, [0,1]
  double ocr_min = 0;      // lowest character confidence, [0,1]
  double confidence = 0;   // [0,1]
  cv::Rect box;            // in the frame
  std::string raw;         // recogniser output before validation
};

struct PlateReaderOptions {
  int max_candidates = 4;       // plate regions recognised per frame
  const CharClassifier* classifier = nullptr;  // plate characters; Tesseract only when null
  std::string debug_prefix;     // when set, writes crops and binarisations
};

// Plates in `bgr` (CV_8UC3), best first, one per distinct text.
absl::StatusOr<std::vector<FramePlate>> ReadPlates(const cv::Mat& bgr, TessPool& chinese,
                                                   TessPool& latin,
                                                   const PlateReaderOptions& options);

// For training the character classifier on what the pipeline really sees: the glyphs this
// reader would classify in `bgr` (a synthetic plate image), paired with the characters of
// `truth` when the segmentation found as many cells as `truth` has characters.
std::vector<std::pair<cv::Mat, std::string>> PlateTrainingGlyphs(const cv::Mat& bgr,
                                                                 const std::string& truth);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_PLATE_READER_H_
