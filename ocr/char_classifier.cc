#include "ocr/char_classifier.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "ocr/plate_text.h"
#include "ocr/synth.h"
#include "opencv2/imgproc.hpp"
#include "opencv2/objdetect.hpp"

namespace yardgate::ocr {
namespace {

constexpr int kW = 24, kH = 40;

bool IsProvince(const std::string& s) {
  const auto& p = ProvinceCharacters();
  return std::find(p.begin(), p.end(), s) != p.end();
}

bool Allowed(const std::string& label, CharSet set) {
  const bool ascii = label.size() == 1;
  const bool letter = ascii && label[0] >= 'A' && label[0] <= 'Z';
  switch (set) {
    case CharSet::kProvince: return IsProvince(label);
    case CharSet::kLetter: return letter;
    case CharSet::kAlnum: return ascii;
    case CharSet::kTail: return !IsProvince(label);
    case CharSet::kAny: return true;
  }
  return true;
}

// Binarised ink (255) of a glyph, cropped to its bounding box.
cv::Mat InkCrop(const cv::Mat& glyph) {
  cv::Mat gray = glyph;
  if (gray.channels() == 3) cv::cvtColor(glyph, gray, cv::COLOR_BGR2GRAY);
  cv::Mat ink;
  cv::threshold(gray, ink, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  std::vector<cv::Point> pts;
  cv::findNonZero(ink, pts);
  if (pts.empty()) return cv::Mat(kH, kW / 2, CV_8UC1, cv::Scalar(0));
  return ink(cv::boundingRect(pts)).clone();
}

}  // namespace

std::vector<std::string> PlateAlphabet() {
  std::vector<std::string> out = ProvinceCharacters();
  for (char c = 'A'; c <= 'Z'; ++c) {
    if (c != 'I' && c != 'O') out.emplace_back(1, c);
  }
  for (char c = '0'; c <= '9'; ++c) out.emplace_back(1, c);
  for (const char* s : {"挂", "学", "警", "港", "澳"}) out.emplace_back(s);
  return out;
}

cv::Mat CharClassifier::Features(const cv::Mat& glyph) {
  cv::Mat ink = InkCrop(glyph);
  // Height to kH; width in proportion, at most kW; centred.
  const double s = static_cast<double>(kH) / ink.rows;
  const int w = std::clamp(static_cast<int>(std::lround(ink.cols * s)), 1, kW);
  cv::Mat resized;
  cv::resize(ink, resized, cv::Size(w, kH), 0, 0, cv::INTER_AREA);
  cv::Mat norm(kH, kW, CV_8UC1, cv::Scalar(0));
  resized.copyTo(norm(cv::Rect((kW - w) / 2, 0, w, kH)));
  static const cv::HOGDescriptor hog(cv::Size(kW, kH), cv::Size(8, 8), cv::Size(8, 8),
                                     cv::Size(4, 4), 9);
  std::vector<float> desc;
  hog.compute(norm, desc);
  cv::Mat grid;
  cv::resize(norm, grid, cv::Size(6, 10), 0, 0, cv::INTER_AREA);
  for (int i = 0; i < grid.rows * grid.cols; ++i) desc.push_back(grid.data[i] / 255.0f);
  desc.push_back(static_cast<float>(ink.cols) / ink.rows);  // aspect: '1' is narrow
  return cv::Mat(desc, true).reshape(1, 1);
}

cv::Mat CharClassifier::AugmentedGlyph(Synthesizer& synth, const std::string& ch,
                                       std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  const int fonts = synth.num_fonts();
  // Latin: condensed sans faces (0, 1 are the narrow ones); Chinese: the CJK face.
  const int font = ch.size() == 1 ? static_cast<int>(rng() % std::min(fonts - 1, 2)) : fonts - 1;
  cv::Mat g = synth.Glyph(ch, font, 96);
  cv::Mat ink;
  cv::threshold(g, ink, 128, 255, cv::THRESH_BINARY_INV);
  std::vector<cv::Point> pts;
  cv::findNonZero(ink, pts);
  if (pts.empty()) return g;
  ink = ink(cv::boundingRect(pts)).clone();
  // Plate characters are 45 x 90 mm: condense to about half as wide as high, except '1'.
  const double target_aspect = ch == "1" ? static_cast<double>(ink.cols) / ink.rows * (0.8 + 0.4 * u(rng))
                                         : 0.42 + 0.2 * u(rng);
  const int h = 80;
  cv::resize(ink, ink, cv::Size(std::max(4, static_cast<int>(h * target_aspect)), h), 0, 0,
             cv::INTER_AREA);
  // Stroke weight.
  // Plate faces are heavy: bias the stroke weight towards bold.
  const int weight = ch.size() == 1 ? static_cast<int>(rng() % 5) - 2 : static_cast<int>(rng() % 6) - 1;
  if (weight > 0) cv::dilate(ink, ink, cv::Mat(), cv::Point(-1, -1), weight);
  if (weight < 0) cv::erode(ink, ink, cv::Mat(), cv::Point(-1, -1), -weight);
  // Canvas with margin, rotation and shear.
  cv::Mat canvas(h + 40, ink.cols + 40, CV_8UC1, cv::Scalar(0));
  ink.copyTo(canvas(cv::Rect(20, 20, ink.cols, ink.rows)));
  const double angle = (u(rng) - 0.5) * 10, shear = (u(rng) - 0.5) * 0.2;
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(canvas.cols / 2.0f, canvas.rows / 2.0f), angle, 1);
  m.at<double>(0, 1) += shear;
  cv::warpAffine(canvas, canvas, m, canvas.size(), cv::INTER_LINEAR);
  // Imperfect segmentation: cut a little off a side, or leave a bit of plate frame.
  cv::Mat on = canvas > 127;
  cv::findNonZero(on, pts);
  if (pts.empty()) return 255 - canvas;
  cv::Rect bb = cv::boundingRect(pts);
  const int cut = static_cast<int>(bb.width * 0.15 * u(rng));
  if (u(rng) < 0.3) {
    if (u(rng) < 0.5) {
      bb.x += cut;
    }
    bb.width -= cut;
  }
  const int vcut = static_cast<int>(bb.height * 0.08 * u(rng));
  if (u(rng) < 0.3) {
    bb.y += vcut;
    bb.height -= vcut;
  }
  bb.x -= 3;
  bb.y -= 3;
  bb.width += 6;
  bb.height += 6;
  bb &= cv::Rect(0, 0, canvas.cols, canvas.rows);
  cv::Mat out = 255 - canvas(bb);
  if (u(rng) < 0.15) {
    const int x = u(rng) < 0.5 ? 0 : out.cols - 2;
    cv::line(out, cv::Point(x, 0), cv::Point(x, out.rows - 1), cv::Scalar(0), 2);
  }
  // Low resolution: plates in LPR crops have characters 15-25 pixels high.
  const int small_h = 12 + static_cast<int>(rng() % 30);
  cv::Mat small;
  cv::resize(out, small, cv::Size(std::max(3, out.cols * small_h / out.rows), small_h), 0, 0,
             cv::INTER_AREA);
  const double blur = u(rng) * 1.0;
  if (blur > 0.3) cv::GaussianBlur(small, small, cv::Size(0, 0), blur);
  cv::Mat noise(small.size(), CV_16SC1);
  cv::RNG cv_rng(rng());
  cv_rng.fill(noise, cv::RNG::NORMAL, 0, 12 * u(rng));
  cv::Mat s16;
  small.convertTo(s16, CV_16SC1);
  s16 += noise;
  s16.convertTo(small, CV_8UC1);
  cv::resize(small, out, cv::Size(small.cols * 3, small.rows * 3), 0, 0, cv::INTER_CUBIC);
  return out;
}

absl::StatusOr<std::unique_ptr<CharClassifier>> CharClassifier::Train(
    Synthesizer& synth, int samples_per_class, uint32_t seed,
    const std::vector<std::pair<cv::Mat, std::string>>& extra) {
  std::unique_ptr<CharClassifier> c(new CharClassifier());
  c->labels_ = PlateAlphabet();
  std::mt19937 rng(seed);
  const int classes = static_cast<int>(c->labels_.size());
  cv::Mat x;
  std::vector<int> y;
  for (int k = 0; k < samples_per_class; ++k) {
    for (int label = 0; label < classes; ++label) {
      x.push_back(Features(AugmentedGlyph(synth, c->labels_[label], rng)));
      y.push_back(label);
    }
  }
  for (const auto& [glyph, label] : extra) {
    auto it = std::find(c->labels_.begin(), c->labels_.end(), label);
    if (it == c->labels_.end() || glyph.empty()) continue;
    x.push_back(Features(glyph));
    y.push_back(static_cast<int>(it - c->labels_.begin()));
  }
  if (x.empty()) return absl::InvalidArgumentError("no training samples");
  // Standardise, then softmax regression by minibatch SGD with momentum and L2.
  cv::reduce(x, c->mean_, 0, cv::REDUCE_AVG);
  cv::Mat centred = x - cv::repeat(c->mean_, x.rows, 1);
  cv::Mat var;
  cv::reduce(centred.mul(centred), var, 0, cv::REDUCE_AVG);
  cv::sqrt(var, c->scale_);
  c->scale_ += 1e-3;
  cv::divide(1.0, c->scale_, c->scale_);
  const int d = x.cols, n = x.rows;
  cv::Mat xs(n, d + 1, CV_32F, cv::Scalar(1));
  for (int i = 0; i < n; ++i) {
    cv::Mat row = centred.row(i).mul(c->scale_);
    row.copyTo(xs.row(i).colRange(0, d));
  }
  cv::Mat w = cv::Mat::zeros(classes, d + 1, CV_32F), velocity = w.clone();
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  const int epochs = 40, batch = 32;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    const float lr = 0.05f * (1.0f - 0.9f * epoch / epochs);
    std::shuffle(order.begin(), order.end(), rng);
    for (int b = 0; b < n; b += batch) {
      const int m = std::min(batch, n - b);
      cv::Mat xb(m, d + 1, CV_32F);
      for (int i = 0; i < m; ++i) xs.row(order[b + i]).copyTo(xb.row(i));
      cv::Mat logits = xb * w.t();  // m x classes
      cv::Mat grad_logits(m, classes, CV_32F);
      for (int i = 0; i < m; ++i) {
        float* l = logits.ptr<float>(i);
        float mx = *std::max_element(l, l + classes);
        double sum = 0;
        for (int k = 0; k < classes; ++k) sum += std::exp(l[k] - mx);
        float* g = grad_logits.ptr<float>(i);
        for (int k = 0; k < classes; ++k) g[k] = static_cast<float>(std::exp(l[k] - mx) / sum);
        g[y[order[b + i]]] -= 1.0f;
      }
      cv::Mat grad = grad_logits.t() * xb / m + 1e-4 * w;
      velocity = 0.9 * velocity - lr * grad;
      w += velocity;
    }
  }
  c->weights_ = w;
  return c;
}

absl::Status CharClassifier::Save(const std::string& path) const {
  try {
    cv::FileStorage fs(path, cv::FileStorage::WRITE);
    if (!fs.isOpened()) return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
    fs << "labels" << labels_;
    fs << "mean" << mean_;
    fs << "scale" << scale_;
    fs << "weights" << weights_;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("cannot save ", path, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CharClassifier>> CharClassifier::Load(const std::string& path) {
  std::unique_ptr<CharClassifier> c(new CharClassifier());
  try {
    cv::FileStorage fs(path, cv::FileStorage::READ);
    if (!fs.isOpened()) return absl::NotFoundError(absl::StrCat("no classifier at ", path));
    fs["labels"] >> c->labels_;
    fs["mean"] >> c->mean_;
    fs["scale"] >> c->scale_;
    fs["weights"] >> c->weights_;
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", e.what()));
  }
  if (c->labels_.empty() || c->weights_.rows != static_cast<int>(c->labels_.size()) ||
      c->mean_.cols + 1 != c->weights_.cols || c->scale_.cols != c->mean_.cols) {
    return absl::DataLossError(absl::StrCat("classifier at ", path, " is incomplete"));
  }
  return c;
}

std::vector<std::pair<std::string, float>> CharClassifier::Classify(const cv::Mat& glyph,
                                                                    CharSet set) const {
  std::vector<std::pair<std::string, float>> out;
  if (glyph.empty()) return out;
  cv::Mat f = Features(glyph);
  if (f.cols != mean_.cols) return out;
  cv::Mat xs(1, f.cols + 1, CV_32F, cv::Scalar(1));
  cv::Mat standard = (f - mean_).mul(scale_);
  standard.copyTo(xs.colRange(0, f.cols));
  cv::Mat logits = xs * weights_.t();
  // Softmax over the allowed labels.
  double mx = -1e30;
  for (int i = 0; i < logits.cols; ++i) {
    if (Allowed(labels_[i], set)) mx = std::max<double>(mx, logits.at<float>(0, i));
  }
  double sum = 0;
  std::vector<std::pair<std::string, double>> scores;
  for (int i = 0; i < logits.cols; ++i) {
    if (!Allowed(labels_[i], set)) continue;
    const double e = std::exp(logits.at<float>(0, i) - mx);
    scores.emplace_back(labels_[i], e);
    sum += e;
  }
  for (auto& [l, e] : scores) out.emplace_back(l, static_cast<float>(e / sum));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (out.size() > 5) out.resize(5);
  return out;
}

}  // namespace yardgate::ocr
