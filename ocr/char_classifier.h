// A small character classifier for licence plates: HOG and a coarse ink grid into a softmax
// (multinomial logistic) regression, trained on synthetic glyphs (synth.h) by
// yardgate-ocr-train and shipped as ocr/models/plate_chars.yml.gz.
//
// Tesseract reads plate characters poorly: they are tiny (12 x 20 pixels in typical LPR crops),
// condensed, and the province characters come from a set of 31. A classifier that knows
// exactly the plate alphabet does better there.
//
// Thread-safety: Classify is const and safe from many threads once loaded.
//
//   absl::StatusOr<std::unique_ptr<CharClassifier>> c = CharClassifier::Load(path);
//   std::vector<std::pair<std::string, float>> top = (*c)->Classify(glyph, CharSet::kProvince);
#ifndef YARDGATE_OCR_CHAR_CLASSIFIER_H_
#define YARDGATE_OCR_CHAR_CLASSIFIER_H_

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"

namespace yardgate::ocr {

class Synthesizer;

// kTail: letters, digits and the suffixes 挂 学 警 港 澳 (the last character of a plate).
enum class CharSet { kProvince, kLetter, kAlnum, kTail, kAny };

class CharClassifier final {
 public:
  static absl::StatusOr<std::unique_ptr<CharClassifier>> Load(const std::string& path);

  // Trains on `samples_per_class` augmented synthetic glyphs of every plate character, plus
  // `extra` labelled glyphs (e.g. cut from synthetic plates by the reader's own pipeline).
  static absl::StatusOr<std::unique_ptr<CharClassifier>> Train(
      Synthesizer& synth, int samples_per_class, uint32_t seed,
      const std::vector<std::pair<cv::Mat, std::string>>& extra = {});
  absl::Status Save(const std::string& path) const;

  // Candidates for one character, best first, with scores in [0,1] summing to about 1 over
  // the allowed set. `glyph` is CV_8UC1, dark ink on light ground, roughly cropped.
  std::vector<std::pair<std::string, float>> Classify(const cv::Mat& glyph, CharSet set) const;

  // The labels the classifier knows, UTF-8.
  const std::vector<std::string>& labels() const { return labels_; }

  // Feature vector (CV_32F, 1 row) of a glyph; exposed for tests.
  static cv::Mat Features(const cv::Mat& glyph);

  // A plate-like training glyph: `ch` rendered in `font`, condensed and degraded at random.
  static cv::Mat AugmentedGlyph(Synthesizer& synth, const std::string& ch, std::mt19937& rng);

 private:
  CharClassifier() = default;
  std::vector<std::string> labels_;
  cv::Mat mean_, scale_;  // feature standardisation, 1 x d
  cv::Mat weights_;       // classes x (d + 1), last column the bias
};

// Every character a mainland plate uses: 31 provinces, 24 letters (no I, O), 10 digits and
// the suffixes 挂 学 警 港 澳.
std::vector<std::string> PlateAlphabet();

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_CHAR_CLASSIFIER_H_
