// The network behind PlateNet, shared by the reader (plate_net.cc) and its trainer
// (plate_train_main.cc) so that the two can never disagree on its shape. Internal to ocr/.
//
// A 32 x 128 grey line goes through four 3x3 convolution blocks (two 2x2 poolings) and a
// convolution over the remaining 8 rows, leaving 32 columns of features; a 1-D convolution
// over neighbouring columns scores every class per column for CTC. About 0.3 M weights,
// about 40 M multiply-adds per plate.
#ifndef YARDGATE_OCR_PLATE_NET_MODEL_H_
#define YARDGATE_OCR_PLATE_NET_MODEL_H_

#include <vector>

#include "opencv2/core.hpp"
#include "torch/torch.h"

namespace yardgate::ocr {

struct PlateNetModelImpl : torch::nn::Module {
  explicit PlateNetModelImpl(int classes);
  // [N, 1, 32, 128] normalised lines -> [N, classes, 32] logits.
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Sequential features{nullptr};
  torch::nn::Sequential head{nullptr};
};
TORCH_MODULE(PlateNetModel);

// PlateLine images (CV_8UC1, 32 x 128) as one normalised batch [N, 1, 32, 128]: each line
// to zero mean and unit variance, so that exposure and plate colour do not matter.
torch::Tensor PlateLineBatch(const std::vector<cv::Mat>& lines);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_PLATE_NET_MODEL_H_
