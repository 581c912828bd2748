// yardgate-ocr-train-plates: the recipe for ocr/models/plate_net.pt, the plate recogniser
// (plate_net.h). Renders synthetic plates (Synthesizer::TrainingPlate, Debian fonts), trains
// the network with CTC and reports exact plates on a held-out synthetic set after each epoch.
//
//   yardgate-ocr-train-plates --out ocr/models/plate_net.pt [--samples N] [--epochs E]
//                             [--seed S] [--threads T] [--init FILE] [--lr X] [--dump DIR]
//                             [--real DIR] [--real-share F] [--resume]
//
// --init FILE continues from an earlier network instead of random weights (with a smaller
// --lr, the learning rate at the start of the cosine schedule; default 0.002).
// --dump DIR writes the first 100 training plates (crop and network line) to look at.
// --real DIR mixes in the real plate crops of DIR (../shared/datasets/plates-train): only the
// training part of dev_set.h's fixed split, never its calibration or held-out parts. Each
// epoch then holds --real-share (default 0.5) real crops, drawn afresh with replacement at a
// weight of 1 / sqrt(count of its province character), so that the rare provinces are seen
// far more often than their share (皖 is 91 % of the set) without a handful of images being
// repeated thousands of times, each drawn with new margins, rotation, exposure and blur; the
// rest of the epoch is synthetic (the kinds and provinces the real set lacks). Exact plates
// on the calibration part (network alone, greedy decoding) are printed after each epoch.
// --resume continues a stopped run of the same command from its last finished epoch (the
// network in --out, the optimiser in --out.opt, the epoch in --out.epoch).
// Float sums over two threads are not associative, so a rerun gives a network of the same
// quality, not the same bytes (with --threads 1 the same bytes).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fstream>

#include "absl/strings/str_format.h"
#include "ocr/dev_set.h"
#include "ocr/plate_net.h"
#include "ocr/plate_net_model.h"
#include "common/plate_text.h"
#include "ocr/synth.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

struct Sample {
  cv::Mat line;                 // PlateLine
  std::vector<int64_t> label;   // alphabet indices
  std::string truth;
};

std::vector<int64_t> Label(const std::string& text) {
  static const std::map<std::string, int64_t> index = [] {
    std::map<std::string, int64_t> m;
    const std::vector<std::string>& alphabet = PlateNetAlphabet();
    for (size_t i = 1; i < alphabet.size(); ++i) m[alphabet[i]] = static_cast<int64_t>(i);
    return m;
  }();
  std::vector<int64_t> label;
  for (const std::string& ch : common::SplitCodePoints(text)) label.push_back(index.at(ch));
  return label;
}

// Renders samples seeds [first, first + n) with `threads` Synthesizers.
std::vector<Sample> Render(uint32_t first, int n, int threads) {
  std::vector<Sample> out(n);
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      std::unique_ptr<Synthesizer> synth = *Synthesizer::Create();
      for (int i = w; i < n; i += threads) {
        SynthImage img = synth->TrainingPlate(first + static_cast<uint32_t>(i));
        out[i].line = PlateLine(img.bgr, img.double_row);
        out[i].truth = img.truth;
        out[i].label = Label(img.truth);
      }
    });
  }
  for (std::thread& t : workers) t.join();
  return out;
}

// A real plate crop as the locator may hand it over: margins from 6 % clipped to 10 % loose on
// each side, turned up to 4 degrees, lighter or darker, sometimes blurred or shrunk.
cv::Mat Augment(const cv::Mat& bgr, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  auto range = [&](double lo, double hi) { return lo + (hi - lo) * u(rng); };
  const double w = bgr.cols, h = bgr.rows;
  const double angle = range(-4, 4);
  const double left = range(-0.06, 0.10) * w, right = range(-0.06, 0.10) * w;
  const double top = range(-0.08, 0.14) * h, bottom = range(-0.08, 0.14) * h;
  const cv::Size size(std::max(8, static_cast<int>(w + left + right)),
                      std::max(8, static_cast<int>(h + top + bottom)));
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(static_cast<float>(w / 2), static_cast<float>(h / 2)), angle, 1);
  m.at<double>(0, 2) += left;
  m.at<double>(1, 2) += top;
  cv::Mat out;
  cv::warpAffine(bgr, out, m, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  out.convertTo(out, -1, range(0.6, 1.4), range(-40, 40));
  if (u(rng) < 0.3) cv::GaussianBlur(out, out, cv::Size(0, 0), range(0.5, 1.5));
  if (u(rng) < 0.3) {
    const double f = range(0.35, 0.8);
    cv::Mat small;
    cv::resize(out, small, cv::Size(), f, f, cv::INTER_AREA);
    cv::resize(small, out, out.size(), 0, 0, cv::INTER_LINEAR);
  }
  return out;
}

struct RealPlate {
  cv::Mat bgr;
  std::string text;
  double weight = 0;
};

// The training part of the plates-train split in `dir`, each with its sampling weight.
std::vector<RealPlate> LoadReal(const std::filesystem::path& dir, std::vector<RealPlate>* calibration) {
  const std::vector<LabelledPlate> rows = ReadLabelledPlates(dir);
  const std::vector<PlateSplit> split = SplitLabelledPlates(rows);
  std::vector<RealPlate> train;
  std::map<std::string, int> per_province;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (split[i] == PlateSplit::kHeldOut) continue;
    // A plate with a character the network has no class for (使, 领) cannot be a target.
    const std::vector<std::string>& alphabet = PlateNetAlphabet();
    const std::vector<std::string> chars = common::SplitCodePoints(rows[i].text);
    if (!std::all_of(chars.begin(), chars.end(), [&](const std::string& c) {
          return std::find(alphabet.begin() + 1, alphabet.end(), c) != alphabet.end();
        })) {
      std::cerr << "skipping " << rows[i].file << ": " << rows[i].text << " has no class\n";
      continue;
    }
    RealPlate p{cv::imread((dir / rows[i].file).string(), cv::IMREAD_COLOR), rows[i].text, 0};
    if (p.bgr.empty()) continue;
    if (split[i] == PlateSplit::kCalibration) {
      calibration->push_back(std::move(p));
      continue;
    }
    ++per_province[common::SplitCodePoints(p.text)[0]];
    train.push_back(std::move(p));
  }
  for (RealPlate& p : train) {
    p.weight = 1 / std::sqrt(static_cast<double>(per_province[common::SplitCodePoints(p.text)[0]]));
  }
  return train;
}

std::string Decode(const torch::Tensor& logits) {  // [classes, T]
  const torch::Tensor best = logits.argmax(0);
  const auto k = best.accessor<int64_t, 1>();
  std::string text;
  int64_t previous = 0;
  for (int64_t t = 0; t < k.size(0); ++t) {
    if (k[t] != 0 && k[t] != previous) text += PlateNetAlphabet()[k[t]];
    previous = k[t];
  }
  return text;
}

double ExactRate(PlateNetModel& net, const std::vector<Sample>& set) {
  torch::NoGradGuard no_grad;
  net->eval();
  int right = 0;
  for (size_t from = 0; from < set.size(); from += 256) {
    std::vector<cv::Mat> lines;
    const size_t to = std::min(set.size(), from + 256);
    for (size_t i = from; i < to; ++i) lines.push_back(set[i].line);
    torch::Tensor logits = net->forward(PlateLineBatch(lines));
    for (size_t i = from; i < to; ++i) right += Decode(logits[static_cast<int64_t>(i - from)]) == set[i].truth;
  }
  net->train();
  return static_cast<double>(right) / set.size();
}

}  // namespace
}  // namespace yardgate::ocr

int main(int argc, char** argv) {
  using namespace yardgate::ocr;
  std::string out, dump, init, real_dir;
  double lr0 = 2e-3, real_share = 0.5;
  bool resume = false;
  int samples = 60000, epochs = 6, threads = 2, batch = 64;
  uint32_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--samples" && i + 1 < argc) {
      samples = std::atoi(argv[++i]);
    } else if (a == "--epochs" && i + 1 < argc) {
      epochs = std::atoi(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = static_cast<uint32_t>(std::atoi(argv[++i]));
    } else if (a == "--init" && i + 1 < argc) {
      init = argv[++i];
    } else if (a == "--lr" && i + 1 < argc) {
      lr0 = std::atof(argv[++i]);
    } else if (a == "--dump" && i + 1 < argc) {
      dump = argv[++i];
    } else if (a == "--real" && i + 1 < argc) {
      real_dir = argv[++i];
    } else if (a == "--real-share" && i + 1 < argc) {
      real_share = std::clamp(std::atof(argv[++i]), 0.0, 1.0);
    } else if (a == "--resume") {
      resume = true;
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::cerr << "usage: yardgate-ocr-train-plates --out FILE [--samples N] [--epochs E] "
                   "[--seed S] [--threads T] [--init FILE] [--lr X] [--dump DIR] [--real DIR] "
                   "[--real-share F] [--resume]\n";
      return 2;
    }
  }
  if (out.empty() || samples < batch || epochs < 1) {
    std::cerr << "yardgate-ocr-train-plates: --out FILE is required, --samples at least "
              << batch << ", --epochs at least 1\n";
    return 2;
  }
  if (absl::StatusOr<std::unique_ptr<Synthesizer>> s = Synthesizer::Create(); !s.ok()) {
    std::cerr << s.status() << "\n";
    return 1;
  }
  if (!dump.empty()) {
    std::filesystem::create_directories(dump);
    std::unique_ptr<Synthesizer> synth = *Synthesizer::Create();
    for (uint32_t i = 0; i < 100; ++i) {
      SynthImage img = synth->TrainingPlate(seed * 1000000u + i);
      const std::string stem = absl::StrFormat("%s/%03d-%s", dump, i, img.truth);
      cv::imwrite(stem + ".png", img.bgr);
      cv::imwrite(stem + "-line.png", PlateLine(img.bgr, img.double_row));
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Training seeds count up from seed * 10^6, held-out ones from the top of that range.
  const uint32_t base = seed * 1000000u;
  std::vector<RealPlate> real, real_calibration;
  if (!real_dir.empty()) {
    real = LoadReal(real_dir, &real_calibration);
    if (real.empty()) {
      std::cerr << "yardgate-ocr-train-plates: no plates-train images in " << real_dir << "\n";
      return 1;
    }
    std::cerr << absl::StrFormat("real plates: %d training, %d calibration (held-out ones not loaded)\n",
                                 real.size(), real_calibration.size());
  } else {
    real_share = 0;
  }
  const int real_per_epoch = static_cast<int>(std::lround(real_share * samples));
  std::vector<Sample> synthetic = Render(base, samples - real_per_epoch, threads);
  std::vector<Sample> held_out = Render(base + 900000u, 2000, threads);
  std::vector<Sample> calibration;
  for (const RealPlate& p : real_calibration) {
    calibration.push_back({PlateLine(p.bgr, false), Label(p.text), p.text});
  }
  std::cerr << absl::StrFormat("rendered %d + %d plates in %.0f s\n", synthetic.size(), held_out.size(), seconds());

  torch::manual_seed(seed);
  torch::set_num_threads(threads);
  PlateNetModel net(static_cast<int>(PlateNetAlphabet().size()));
  int first_epoch = 1;
  if (resume) {
    std::ifstream progress(out + ".epoch");
    if (!(progress >> first_epoch)) {
      std::cerr << "yardgate-ocr-train-plates: --resume: no " << out << ".epoch\n";
      return 1;
    }
    ++first_epoch;
    init = out;
  }
  if (!init.empty()) {
    try {
      torch::load(net, init);
    } catch (const std::exception& e) {
      std::cerr << "yardgate-ocr-train-plates: cannot load --init " << init << ": " << e.what() << "\n";
      return 1;
    }
    net->train();
  }
  const int steps_per_epoch = samples / batch;
  const int total_steps = steps_per_epoch * epochs;
  torch::optim::Adam optimiser(net->parameters(), torch::optim::AdamOptions(lr0));
  if (resume) torch::load(optimiser, out + ".opt");
  std::vector<double> weights;
  for (const RealPlate& p : real) weights.push_back(p.weight);
  int step = steps_per_epoch * (first_epoch - 1);
  for (int epoch = first_epoch; epoch <= epochs; ++epoch) {
    // Each epoch's draws depend on the seed and the epoch only, so a resumed run draws what
    // the uninterrupted one would have.
    std::mt19937 rng(seed * 1000u + static_cast<uint32_t>(epoch));
    std::vector<Sample> train = synthetic;
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    for (int i = 0; i < real_per_epoch; ++i) {
      const RealPlate& p = real[pick(rng)];
      train.push_back({PlateLine(Augment(p.bgr, rng), false), Label(p.text), p.text});
    }
    std::vector<size_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    for (int b = 0; b < steps_per_epoch; ++b, ++step) {
      // Cosine decay to zero over the whole run.
      const double lr = lr0 * 0.5 * (1 + std::cos(M_PI * step / total_steps));
      static_cast<torch::optim::AdamOptions&>(optimiser.param_groups()[0].options()).lr(lr);
      std::vector<cv::Mat> lines;
      std::vector<int64_t> targets, target_lengths;
      for (int i = 0; i < batch; ++i) {
        const Sample& s = train[order[static_cast<size_t>(b) * batch + i]];
        lines.push_back(s.line);
        targets.insert(targets.end(), s.label.begin(), s.label.end());
        target_lengths.push_back(static_cast<int64_t>(s.label.size()));
      }
      torch::Tensor logits = net->forward(PlateLineBatch(lines));          // [N, C, T]
      torch::Tensor log_probs = logits.permute({2, 0, 1}).log_softmax(2);  // [T, N, C]
      torch::Tensor input_lengths = torch::full({batch}, log_probs.size(0), torch::kLong);
      torch::Tensor loss = torch::ctc_loss(log_probs, torch::tensor(targets), input_lengths,
                                           torch::tensor(target_lengths), 0,
                                           at::Reduction::Mean, /*zero_infinity=*/true);
      optimiser.zero_grad();
      loss.backward();
      optimiser.step();
      loss_sum += loss.item<double>();
    }
    std::string real_rate;
    if (!calibration.empty()) {
      real_rate = absl::StrFormat(", real calibration plates exact %.1f%%", 100 * ExactRate(net, calibration));
    }
    std::cerr << absl::StrFormat("epoch %d: loss %.4f, held-out synthetic plates exact %.1f%%%s, %.0f s\n",
                                 epoch, loss_sum / steps_per_epoch,
                                 100 * ExactRate(net, held_out), real_rate, seconds());
    // After every epoch, so that a long run can be looked at, stopped and resumed.
    net->eval();
    torch::save(net, out);
    torch::save(optimiser, out + ".opt");
    std::ofstream(out + ".epoch") << epoch << "\n";
    net->train();
  }
  std::cerr << "wrote " << out << "\n";
  return 0;
}
