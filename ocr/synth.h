// Synthetic gate images with exact ground truth, for unit tests and for training.
//
// Renders container markings (owner code, serial, boxed check digit, size-type) in one line,
// two rows or one character per row on container-coloured paint, and Chinese licence plates
// (blue, yellow, green new-energy, yellow double-row) on templates, with fonts from Debian
// packages (fonts-dejavu-core, fonts-liberation, fonts-wqy-zenhei), then degrades them:
// perspective, blur, noise, dirt, glare and night lighting. Everything is driven by a seed,
// so a test that fails can be replayed.
//
// Thread-safety: a Synthesizer is not thread-safe (FreeType state); make one per thread.
//
//   absl::StatusOr<std::unique_ptr<Synthesizer>> synth = Synthesizer::Create();
//   SynthImage img = (*synth)->Container({.seed = 7, .layout = ContainerLayout::kVertical});
//   // img.bgr, img.truth == "CSQU3054383", img.box
#ifndef YARDGATE_OCR_SYNTH_H_
#define YARDGATE_OCR_SYNTH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"

namespace cv::freetype {
class FreeType2;
}

namespace yardgate::ocr {

enum class ContainerLayout { kOneLine, kTwoRows, kVertical };
enum class PlateKind { kBlue, kYellow, kYellowDoubleRow, kGreen, kTrailer };

struct Degradation {
  double perspective = 0;  // max corner shift as a fraction of the text block, e.g. 0.05
  double blur = 0;         // Gaussian sigma in pixels
  double noise = 0;        // Gaussian noise sigma in grey levels
  double dirt = 0;         // fraction of the text block covered by blotches
  double glare = 0;        // peak added brightness, 0..255
  bool night = false;      // dark, low contrast, noisy
};

struct ContainerSpec {
  uint32_t seed = 1;
  ContainerLayout layout = ContainerLayout::kOneLine;
  std::string number;      // empty: a random valid number
  std::string size_type = "22G1";  // empty: none drawn
  int width = 960, height = 540;   // frame size
  int char_height = 40;            // pixels
  bool light_text = true;          // white on colour, else dark on light paint
  Degradation degradation;
};

struct PlateSpec {
  uint32_t seed = 1;
  PlateKind kind = PlateKind::kBlue;
  std::string text;          // empty: a random valid plate of `kind`
  bool tight_crop = false;   // the image is the plate only (like LPR crops), else a scene
  int width = 720, height = 540;  // scene size (ignored for tight crops)
  int plate_width = 220;     // pixels, the plate's width in the scene
  Degradation degradation;
};

struct SynthImage {
  cv::Mat bgr;
  std::string truth;     // container number or plate text (UTF-8)
  std::string iso_type;  // containers: the size-type drawn
  cv::Rect box;          // where the marking or plate is
  bool double_row = false;  // plates: a two-row plate
};

class Synthesizer final {
 public:
  // FailedPrecondition when the fonts are not installed.
  static absl::StatusOr<std::unique_ptr<Synthesizer>> Create();
  ~Synthesizer();
  Synthesizer(const Synthesizer&) = delete;
  Synthesizer& operator=(const Synthesizer&) = delete;

  SynthImage Container(const ContainerSpec& spec);
  SynthImage Plate(const PlateSpec& spec);

  // A plate as the plate reader's locator hands it to the recogniser, for training it: every
  // plate kind (and Hong Kong / Macau plates) drawn in any installed plate-like font (also
  // fonts-opendin, fonts-roboto-unhinted, fonts-noto-cjk and fonts-droid-fallback when
  // present), with jittered layout, colours and stroke weight, cropped with the locator's
  // loose or clipped margins, slanted and rotated, then degraded (blur, low resolution, noise,
  // shadows, JPEG). `bgr` is the crop, `box` the whole image.
  SynthImage TrainingPlate(uint32_t seed);

  // A random valid ISO 6346 number / plate text of `kind`.
  static std::string RandomContainerNumber(std::mt19937& rng);
  static std::string RandomPlate(std::mt19937& rng, PlateKind kind);

 private:
  Synthesizer() = default;
  // Rendered glyph masks of TrainingPlate, by face and character.
  const cv::Mat& CachedGlyph(cv::freetype::FreeType2& face, const std::string& ch);

  std::vector<cv::Ptr<cv::freetype::FreeType2>> latin_;  // condensed bold sans faces
  cv::Ptr<cv::freetype::FreeType2> cjk_;
  // TrainingPlate's faces: latin_ and cjk_ plus narrower, lighter and other CJK faces.
  std::vector<cv::Ptr<cv::freetype::FreeType2>> plate_latin_, plate_cjk_;
  cv::Ptr<cv::freetype::FreeType2> plate_din_;  // Open DIN, closest to the plate font; may be null
  cv::Ptr<cv::freetype::FreeType2> plate_cjk_bold_;  // Noto Sans CJK Bold; may be null
  std::map<std::pair<const void*, std::string>, cv::Mat> glyph_cache_;
};

// Applies `d` to `img` in place (perspective about `box`, which is updated).
void Degrade(cv::Mat& img, cv::Rect* box, const Degradation& d, std::mt19937& rng);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_SYNTH_H_
