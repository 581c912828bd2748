#include "ocr/plate_net.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "ocr/plate_net_model.h"
#include "common/plate_text.h"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

// Convolution, batch normalisation, ReLU.
void AddConv(torch::nn::Sequential& s, int in, int out, torch::ExpandingArray<2> kernel,
             int padding) {
  s->push_back(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(padding).bias(false)));
  s->push_back(torch::nn::BatchNorm2d(out));
  s->push_back(torch::nn::ReLU());
}

// The line with its writing upright. A camera beside the lane sees a plate's characters
// slanted (a horizontal shear that a locator's rotated box does not undo), which the network
// reads far worse than upright ones. The slant is the shear under which the vertical strokes
// line up best: their horizontal gradient, summed per column, is then most concentrated.
cv::Mat Upright(const cv::Mat& line) {
  cv::Mat gx;
  cv::Sobel(line, gx, CV_32F, 1, 0, 3);
  gx = cv::abs(gx);
  const float centre = (line.rows - 1) / 2.0f;
  constexpr float kMaxSlant = 0.6f, kMinSlant = 0.175f, kStep = 0.05f;
  const int pad = static_cast<int>(std::ceil(kMaxSlant * centre)) + 1;
  std::vector<float> columns(line.cols + 2 * pad);
  float best_slant = 0;
  double best_score = -1;
  for (float slant = -kMaxSlant; slant <= kMaxSlant + 1e-3f; slant += kStep) {
    std::fill(columns.begin(), columns.end(), 0.0f);
    for (int y = 0; y < gx.rows; ++y) {
      const int shift = pad + static_cast<int>(std::lround(slant * (y - centre)));
      const float* row = gx.ptr<float>(y);
      for (int x = 0; x < gx.cols; ++x) columns[x + shift] += row[x];
    }
    double score = 0;
    for (float c : columns) score += static_cast<double>(c) * c;
    // Ties and near ties go to the smaller slant: an upright line stays as it is.
    score *= 1 - 0.1 * std::abs(slant);
    if (score > best_score) {
      best_score = score;
      best_slant = slant;
    }
  }
  // A slight slant the network reads as it is; shearing it would only bend diagonals
  // (W into N).
  if (std::abs(best_slant) < kMinSlant) return line;
  // Column x of the upright line is where the strokes through x - slant * (y - centre) went.
  cv::Mat shear = (cv::Mat_<double>(2, 3) << 1, -best_slant, best_slant * centre, 0, 1, 0);
  cv::Mat upright;
  cv::warpAffine(line, upright, shear, line.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  return upright;
}

}  // namespace

const std::vector<std::string>& PlateNetAlphabet() {
  static const std::vector<std::string> kAlphabet = [] {
    std::vector<std::string> a = {""};
    for (const std::string& p : common::ProvinceCharacters()) a.push_back(p);
    for (char c : std::string("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")) a.emplace_back(1, c);
    for (const char* s : {"挂", "学", "警", "港", "澳"}) a.emplace_back(s);
    return a;
  }();
  return kAlphabet;
}

std::string DefaultPlateModelPath() {
  const char* dir = std::getenv("YARDGATE_OCR_MODELS");
  return dir != nullptr ? (std::filesystem::path(dir) / "plate_net.pt").string()
                        : std::string(YARDGATE_OCR_MODEL_DIR) + "/plate_net.pt";
}

cv::Mat PlateLine(const cv::Mat& crop, bool double_row) {
  cv::Mat grey;
  if (crop.channels() == 1) {
    grey = crop;
  } else {
    // Grey, or the colour channel in which the writing stands out most: an over-exposed blue
    // plate is nearly as light as its white letters in grey, but not in red.
    cv::Mat bgr;
    if (crop.channels() == 4) {
      cv::cvtColor(crop, bgr, cv::COLOR_BGRA2BGR);
    } else {
      bgr = crop;
    }
    std::vector<cv::Mat> options(1);
    cv::cvtColor(bgr, options[0], cv::COLOR_BGR2GRAY);
    std::vector<cv::Mat> channels;
    cv::split(bgr, channels);
    options.insert(options.end(), channels.begin(), channels.end());
    const cv::Rect centre(bgr.cols / 5, bgr.rows / 5, std::max(1, bgr.cols * 3 / 5),
                          std::max(1, bgr.rows * 3 / 5));
    double best = -1;
    for (const cv::Mat& o : options) {
      cv::Scalar mean, stddev;
      cv::meanStdDev(o(centre), mean, stddev);
      if (stddev[0] > best * 1.25) {  // grey unless a channel is clearly better
        best = stddev[0];
        grey = o;
      }
    }
  }
  const cv::Size size(kPlateLineWidth, kPlateLineHeight);
  auto fit = [](const cv::Mat& src, cv::Size to) {
    cv::Mat dst;
    const bool shrink = src.cols > to.width || src.rows > to.height;
    cv::resize(src, dst, to, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    return dst;
  };
  if (!double_row || grey.rows < 8 || grey.cols < 8) return Upright(fit(grey, size));
  // Two rows: the province and office letter sit in the middle of the top 40 %.
  const int split = grey.rows * 2 / 5;
  const cv::Mat top = grey(cv::Rect(grey.cols * 12 / 100, 0, grey.cols * 76 / 100, split));
  const cv::Mat bottom = grey(cv::Rect(0, split, grey.cols, grey.rows - split));
  auto at_height = [&](const cv::Mat& m) {
    return fit(m, cv::Size(std::max(1, m.cols * kPlateLineHeight / std::max(1, m.rows)),
                           kPlateLineHeight));
  };
  cv::Mat line;
  cv::hconcat(at_height(top), at_height(bottom), line);
  return Upright(fit(line, size));
}

PlateNetModelImpl::PlateNetModelImpl(int classes) {
  torch::nn::Sequential f;
  AddConv(f, 1, 16, 3, 1);
  f->push_back(torch::nn::MaxPool2d(2));  // 16 x 64
  AddConv(f, 16, 48, 3, 1);
  f->push_back(torch::nn::MaxPool2d(2));  // 8 x 32
  AddConv(f, 48, 80, 3, 1);
  AddConv(f, 80, 80, 3, 1);
  AddConv(f, 80, 160, {8, 1}, 0);         // 1 x 32
  features = register_module("features", f);
  head = register_module(
      "head",
      torch::nn::Sequential(
          torch::nn::Dropout(0.2),
          torch::nn::Conv1d(torch::nn::Conv1dOptions(160, 160, 3).padding(1).bias(false)),
          torch::nn::BatchNorm1d(160), torch::nn::ReLU(),
          torch::nn::Conv1d(torch::nn::Conv1dOptions(160, classes, 1))));
}

torch::Tensor PlateNetModelImpl::forward(torch::Tensor x) {
  return head->forward(features->forward(x).squeeze(2));
}

torch::Tensor PlateLineBatch(const std::vector<cv::Mat>& lines) {
  torch::Tensor batch =
      torch::empty({static_cast<int64_t>(lines.size()), 1, kPlateLineHeight, kPlateLineWidth});
  for (size_t i = 0; i < lines.size(); ++i) {
    cv::Mat f;
    lines[i].convertTo(f, CV_32F);
    cv::Scalar mean, stddev;
    cv::meanStdDev(f, mean, stddev);
    f = (f - mean[0]) / std::max(stddev[0], 4.0);
    std::memcpy(batch[static_cast<int64_t>(i)].data_ptr<float>(), f.ptr<float>(),
                sizeof(float) * kPlateLineHeight * kPlateLineWidth);
  }
  return batch;
}

struct PlateNet::Model {
  PlateNetModel net{static_cast<int>(PlateNetAlphabet().size())};
};

PlateNet::PlateNet(std::unique_ptr<Model> model) : model_(std::move(model)) {}
PlateNet::~PlateNet() = default;

absl::StatusOr<std::unique_ptr<PlateNet>> PlateNet::Load(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return absl::NotFoundError(absl::StrCat("plate model not found: ", path));
  }
  auto model = std::make_unique<Model>();
  try {
    torch::load(model->net, path);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot load plate model ", path, ": ", e.what()));
  }
  model->net->eval();
  // The engine already reads a visit's frames in parallel, one per worker: a plate is far too
  // small a job to split again over libtorch's own thread pool.
  torch::set_num_threads(1);
  return std::unique_ptr<PlateNet>(new PlateNet(std::move(model)));
}

std::vector<PlateNet::Reading> PlateNet::Read(const cv::Mat& crop, bool double_row,
                                               int beam) const {
  return ReadAll({{crop, double_row}}, beam)[0];
}

namespace {

// CTC prefix beam search over one line's class probabilities ([classes, T]): every prefix
// keeps the probability of its alignments that end in a blank and of those that end in its
// last character.
//
// `allowed(length, c)` says whether class c may follow a prefix of `length` characters; it
// lets a second search keep to the mainland plate grammar, so that a plate whose likeliest
// reading breaks it (a digit where the office letter goes) still has its likeliest valid
// reading among the results.
template <typename Allowed>
std::vector<PlateNet::Reading> BeamSearch(const torch::TensorAccessor<float, 2>& p, int beam,
                                          Allowed allowed) {
  const int64_t classes = p.size(0), steps = p.size(1);
  struct Mass {
    double blank = 0, last = 0;
    double total() const { return blank + last; }
  };
  std::map<std::vector<int>, Mass> beams = {{{}, Mass{1, 0}}};
  for (int64_t t = 0; t < steps; ++t) {
    std::map<std::vector<int>, Mass> next;
    for (const auto& [prefix, m] : beams) {
      next[prefix].blank += m.total() * p[0][t];
      for (int c = 1; c < classes; ++c) {
        const double pc = p[c][t];
        if (pc < 1e-4) continue;
        if (!(!prefix.empty() && prefix.back() == c) && !allowed(prefix.size(), c)) continue;
        std::vector<int> extended = prefix;
        extended.push_back(c);
        if (!prefix.empty() && prefix.back() == c) {
          next[prefix].last += m.last * pc;         // the same character, still held
          next[extended].last += m.blank * pc;      // a repeat, after a blank
        } else {
          next[extended].last += m.total() * pc;
        }
      }
    }
    std::vector<std::pair<std::vector<int>, Mass>> ranked(next.begin(), next.end());
    std::sort(ranked.begin(), ranked.end(),
              [](const auto& a, const auto& b) { return a.second.total() > b.second.total(); });
    if (static_cast<int>(ranked.size()) > beam) ranked.resize(beam);
    beams = std::map<std::vector<int>, Mass>(ranked.begin(), ranked.end());
  }
  const std::vector<std::string>& alphabet = PlateNetAlphabet();
  std::vector<PlateNet::Reading> out;
  for (const auto& [prefix, m] : beams) {
    PlateNet::Reading r;
    for (int c : prefix) r.text += alphabet[c];
    r.probability = std::clamp(m.total(), 0.0, 1.0);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const PlateNet::Reading& a, const PlateNet::Reading& b) {
    return a.probability > b.probability;
  });
  return out;
}

// Which class may come at position `length` of a mainland plate (GA 36): the province, the
// office letter, then letters and digits, a suffix (挂 学 警 港 澳) only in seventh place.
bool MainlandGrammar(size_t length, int c) {
  static const struct Classes {
    std::vector<bool> province, letter, alnum, suffix;
    Classes() {
      const std::vector<std::string>& a = PlateNetAlphabet();
      const auto& provinces = common::ProvinceCharacters();
      for (const std::string& s : a) {
        const bool is_province = std::find(provinces.begin(), provinces.end(), s) != provinces.end();
        const bool ascii = s.size() == 1;
        province.push_back(is_province);
        letter.push_back(ascii && std::isalpha(static_cast<unsigned char>(s[0])));
        alnum.push_back(ascii);
        suffix.push_back(!s.empty() && !ascii && !is_province);
      }
    }
  } k;
  switch (length) {
    case 0: return k.province[c];
    case 1: return k.letter[c];
    case 6: return k.alnum[c] || k.suffix[c];
    case 7: return k.alnum[c];
    default: return length < 7 && k.alnum[c];
  }
}

}  // namespace

std::vector<std::vector<PlateNet::Reading>> PlateNet::ReadAll(const std::vector<Crop>& crops,
                                                              int beam) const {
  std::vector<std::vector<Reading>> out(crops.size());
  std::vector<cv::Mat> lines;
  std::vector<size_t> index;
  for (size_t i = 0; i < crops.size(); ++i) {
    if (crops[i].image.empty()) continue;
    lines.push_back(PlateLine(crops[i].image, crops[i].double_row));
    index.push_back(i);
  }
  if (lines.empty() || beam < 1) return out;
  torch::InferenceMode guard;
  const torch::Tensor probs =
      torch::softmax(model_->net->forward(PlateLineBatch(lines)), 1).contiguous();  // [N, C, T]
  const auto p = probs.accessor<float, 3>();
  for (size_t k = 0; k < index.size(); ++k) {
    std::vector<Reading> free = BeamSearch(p[k], beam, [](size_t, int) { return true; });
    std::vector<Reading> mainland = BeamSearch(p[k], beam, MainlandGrammar);
    // The same text has the same probability in both searches; keep it once.
    for (Reading& r : mainland) {
      if (std::none_of(free.begin(), free.end(), [&](const Reading& f) { return f.text == r.text; })) {
        free.push_back(std::move(r));
      }
    }
    std::sort(free.begin(), free.end(), [](const Reading& a, const Reading& b) {
      return a.probability > b.probability;
    });
    out[index[k]] = std::move(free);
  }
  return out;
}

}  // namespace yardgate::ocr
