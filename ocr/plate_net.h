// The plate recogniser: a small convolutional network that reads a whole plate as one line
// and is decoded with CTC, so that no character is ever segmented by hand. Trained on
// synthetic plates (Synthesizer::TrainingPlate) by yardgate-ocr-train-plates and shipped as
// ocr/models/plate_net.pt.
//
// A plate crop from the locator goes in (any size, colour); the likeliest texts come out,
// each with its probability. Every crop becomes one upright line first (PlateLine: double-row
// plates laid out in one row, slanted writing sheared upright), the same way in training and
// in reading.
//
// Thread-safety: after Load, Read and ReadAll may be called from many threads at once; the
// network's weights are never written again. Load sets libtorch to one thread per call
// (process-wide), because callers already read frames in parallel.
//
//   absl::StatusOr<std::unique_ptr<PlateNet>> net = PlateNet::Load(path);
//   std::vector<PlateNet::Reading> r = (*net)->Read(crop, /*double_row=*/false);
//   // r[0].text == "沪AF71017", r[0].probability == 0.97
#ifndef YARDGATE_OCR_PLATE_NET_H_
#define YARDGATE_OCR_PLATE_NET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "opencv2/core.hpp"

namespace yardgate::ocr {

// What the network sees: one channel (grey, or the colour channel with the most contrast),
// kPlateLineHeight x kPlateLineWidth.
inline constexpr int kPlateLineHeight = 32;
inline constexpr int kPlateLineWidth = 128;

// The network's output classes: "" (the CTC blank) first, then the 31 provinces, letters
// (no I, O), digits and the suffixes 挂 学 警 港 澳. UTF-8.
const std::vector<std::string>& PlateNetAlphabet();

// A plate crop (CV_8UC1, CV_8UC3 or CV_8UC4) as the network's input line (CV_8UC1,
// 32 x 128): a double-row plate's top row (province and letter) is put left of its bottom row,
// and writing that a camera from the side sees slanted is sheared upright.
cv::Mat PlateLine(const cv::Mat& crop, bool double_row);

// Where the shipped network is: $YARDGATE_OCR_MODELS/plate_net.pt when that is set, else
// models/plate_net.pt in this source tree.
std::string DefaultPlateModelPath();

class PlateNet final {
 public:
  struct Reading {
    std::string text;          // UTF-8, may be empty
    double probability = 0;    // P(text | crop) under the network, over all alignments
  };

  // NotFound when `path` does not exist, InvalidArgument when it holds no such network.
  static absl::StatusOr<std::unique_ptr<PlateNet>> Load(const std::string& path);
  ~PlateNet();

  // The `beam` likeliest texts of `crop`, likeliest first (CTC prefix beam search), so that
  // the caller can take the likeliest one that is a plate.
  std::vector<Reading> Read(const cv::Mat& crop, bool double_row, int beam = 8) const;

  struct Crop {
    cv::Mat image;
    bool double_row = false;
  };
  // Read for many crops in one pass of the network (much cheaper than one pass each).
  std::vector<std::vector<Reading>> ReadAll(const std::vector<Crop>& crops, int beam = 8) const;

 private:
  struct Model;
  explicit PlateNet(std::unique_ptr<Model> model);
  std::unique_ptr<Model> model_;
};

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_PLATE_NET_H_
