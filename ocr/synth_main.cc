// yardgate-ocr-synth: writes a synthetic data set in the layout of ../shared/datasets/ocr-dev,
// so that ocr_eval --data DIR measures the engine on images with exact ground truth.
//
//   yardgate-ocr-synth --out DIR [--visits N] [--plates N] [--seed S]
//
// DIR/containers/1-<visit>-SYN-<camera>.png: per visit one to three frames of the same
// number (one line, two rows, vertical), with random degradations; DIR/plates/plate_NNN.png:
// scenes and tight crops of every plate kind. Each folder gets a manifest.tsv.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "ocr/synth.h"
#include "opencv2/imgcodecs.hpp"

namespace {

yardgate::ocr::Degradation RandomDegradation(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  yardgate::ocr::Degradation d;
  d.perspective = 0.04 * u(rng);
  d.blur = 1.5 * u(rng);
  d.noise = 8 * u(rng);
  d.dirt = u(rng) < 0.3 ? 0.08 * u(rng) : 0;
  d.glare = u(rng) < 0.2 ? 80 * u(rng) : 0;
  d.night = u(rng) < 0.15;
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using namespace yardgate::ocr;
  fs::path out;
  int visits = 20, plates = 30;
  uint32_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--visits" && i + 1 < argc) {
      visits = std::atoi(argv[++i]);
    } else if (a == "--plates" && i + 1 < argc) {
      plates = std::atoi(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = static_cast<uint32_t>(std::atoi(argv[++i]));
    } else {
      std::cerr << "usage: yardgate-ocr-synth --out DIR [--visits N] [--plates N] [--seed S]\n";
      return 2;
    }
  }
  if (out.empty()) {
    std::cerr << "yardgate-ocr-synth: --out DIR is required\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Synthesizer>> synth = Synthesizer::Create();
  if (!synth.ok()) {
    std::cerr << "yardgate-ocr-synth: " << synth.status() << "\n";
    return 1;
  }
  std::mt19937 rng(seed);
  fs::create_directories(out / "containers");
  fs::create_directories(out / "plates");
  std::ofstream cm(out / "containers" / "manifest.tsv");
  const char* cameras[] = {"AS-B01", "LF-C01", "AH-A01"};
  for (int v = 0; v < visits; ++v) {
    const std::string number = Synthesizer::RandomContainerNumber(rng);
    const int frames = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < frames; ++f) {
      ContainerSpec spec;
      spec.seed = static_cast<uint32_t>(rng());
      spec.number = number;
      spec.layout = f == 1 ? ContainerLayout::kVertical
                           : (rng() % 3 == 0 ? ContainerLayout::kTwoRows : ContainerLayout::kOneLine);
      spec.width = 1920;
      spec.height = 1080;
      spec.char_height = 35 + static_cast<int>(rng() % 40);
      spec.light_text = rng() % 4 != 0;
      spec.size_type = rng() % 2 ? "22G1" : "45G1";
      spec.degradation = RandomDegradation(rng);
      SynthImage img = (*synth)->Container(spec);
      char name[96];
      std::snprintf(name, sizeof name, "1-%09d-SYN-%s.png", 100000000 + v, cameras[f]);
      cv::imwrite((out / "containers" / name).string(), img.bgr);
      cm << name << "\t" << img.truth << "\tsynthetic seed " << spec.seed << "\n";
    }
  }
  std::ofstream pm(out / "plates" / "manifest.tsv");
  const PlateKind kinds[] = {PlateKind::kBlue, PlateKind::kBlue, PlateKind::kYellow,
                             PlateKind::kYellowDoubleRow, PlateKind::kGreen, PlateKind::kTrailer};
  for (int p = 0; p < plates; ++p) {
    PlateSpec spec;
    spec.seed = static_cast<uint32_t>(rng());
    spec.kind = kinds[rng() % 6];
    spec.tight_crop = rng() % 2 == 0;
    spec.plate_width = 160 + static_cast<int>(rng() % 120);
    spec.degradation = RandomDegradation(rng);
    SynthImage img = (*synth)->Plate(spec);
    char name[64];
    std::snprintf(name, sizeof name, "plate_%03d.png", p + 1);
    cv::imwrite((out / "plates" / name).string(), img.bgr);
    pm << name << "\t" << img.truth << "\tsynthetic seed " << spec.seed << "\n";
  }
  std::cout << "wrote " << out.string() << "\n";
  return 0;
}
