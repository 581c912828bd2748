// yardgate-ocr-train-plates: the recipe for ocr/models/plate_net.pt, the plate recogniser
// (plate_net.h). Renders synthetic plates (Synthesizer::TrainingPlate, Debian fonts), trains
// the network with CTC and reports exact plates on a held-out synthetic set after each epoch.
//
//   yardgate-ocr-train-plates --out ocr/models/plate_net.pt [--samples N] [--epochs E]
//                             [--seed S] [--threads T] [--init FILE] [--lr X] [--dump DIR]
//
// --init FILE continues from an earlier network instead of random weights (with a smaller
// --lr, the learning rate at the start of the cosine schedule; default 0.002).
// --dump DIR writes the first 100 training plates (crop and network line) to look at.
// Float sums over two threads are not associative, so a rerun gives a network of the same
// quality, not the same bytes.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "ocr/plate_net.h"
#include "ocr/plate_net_model.h"
#include "common/plate_text.h"
#include "ocr/synth.h"
#include "opencv2/imgcodecs.hpp"

namespace yardgate::ocr {
namespace {

struct Sample {
  cv::Mat line;                 // PlateLine
  std::vector<int64_t> label;   // alphabet indices
  std::string truth;
};

// Renders samples seeds [first, first + n) with `threads` Synthesizers.
std::vector<Sample> Render(uint32_t first, int n, int threads) {
  std::map<std::string, int64_t> index;
  const std::vector<std::string>& alphabet = PlateNetAlphabet();
  for (size_t i = 1; i < alphabet.size(); ++i) index[alphabet[i]] = static_cast<int64_t>(i);
  std::vector<Sample> out(n);
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      std::unique_ptr<Synthesizer> synth = *Synthesizer::Create();
      for (int i = w; i < n; i += threads) {
        SynthImage img = synth->TrainingPlate(first + static_cast<uint32_t>(i));
        out[i].line = PlateLine(img.bgr, img.double_row);
        out[i].truth = img.truth;
        for (const std::string& ch : common::SplitCodePoints(img.truth)) out[i].label.push_back(index.at(ch));
      }
    });
  }
  for (std::thread& t : workers) t.join();
  return out;
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
  std::string out, dump, init;
  double lr0 = 2e-3;
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
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::cerr << "usage: yardgate-ocr-train-plates --out FILE [--samples N] [--epochs E] "
                   "[--seed S] [--threads T] [--init FILE] [--lr X] [--dump DIR]\n";
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
  std::vector<Sample> train = Render(base, samples, threads);
  std::vector<Sample> held_out = Render(base + 900000u, 2000, threads);
  std::cerr << absl::StrFormat("rendered %d + %d plates in %.0f s\n", samples, held_out.size(), seconds());

  torch::manual_seed(seed);
  torch::set_num_threads(threads);
  PlateNetModel net(static_cast<int>(PlateNetAlphabet().size()));
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
  std::mt19937 rng(seed);
  std::vector<size_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  int step = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
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
    std::cerr << absl::StrFormat("epoch %d: loss %.4f, held-out plates exact %.1f%%, %.0f s\n",
                                 epoch, loss_sum / steps_per_epoch,
                                 100 * ExactRate(net, held_out), seconds());
    // After every epoch, so that a long run can be looked at (or stopped) early.
    net->eval();
    torch::save(net, out);
    net->train();
  }
  std::cerr << "wrote " << out << "\n";
  return 0;
}
