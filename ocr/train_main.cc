// yardgate-ocr-train: the recipe for ocr/models/plate_chars.yml.gz, the plate character
// classifier. Renders augmented synthetic glyphs (synth.h, Debian fonts), trains the MLP and
// reports its accuracy on a held-out synthetic set.
//
//   yardgate-ocr-train --out ocr/models/plate_chars.yml.gz [--samples N] [--plates N] [--seed S]
//
// --plates N also cuts glyphs from N synthetic plates with the plate reader's own pipeline.
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "ocr/char_classifier.h"
#include "ocr/plate_reader.h"
#include "ocr/synth.h"

int main(int argc, char** argv) {
  using namespace yardgate::ocr;
  std::string out;
  int samples = 200;
  int plates = 0;
  uint32_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--samples" && i + 1 < argc) {
      samples = std::atoi(argv[++i]);
    } else if (a == "--plates" && i + 1 < argc) {
      plates = std::atoi(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = static_cast<uint32_t>(std::atoi(argv[++i]));
    } else {
      std::cerr << "usage: yardgate-ocr-train --out FILE [--samples N] [--plates N] [--seed S]\n";
      return 2;
    }
  }
  if (out.empty()) {
    std::cerr << "yardgate-ocr-train: --out FILE is required\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Synthesizer>> synth = Synthesizer::Create();
  if (!synth.ok()) {
    std::cerr << synth.status() << "\n";
    return 1;
  }
  // Glyphs as the plate reader cuts them from synthetic plates (tight crops and scenes, all
  // kinds, degraded), so the classifier learns the pipeline's own crops and binarisation.
  std::vector<std::pair<cv::Mat, std::string>> extra;
  std::mt19937 prng(seed + 7);
  const PlateKind kinds[] = {PlateKind::kBlue, PlateKind::kBlue, PlateKind::kYellow,
                             PlateKind::kYellowDoubleRow, PlateKind::kGreen};
  for (int i = 0; i < plates; ++i) {
    PlateSpec spec;
    spec.seed = static_cast<uint32_t>(prng());
    spec.kind = kinds[prng() % 5];
    spec.tight_crop = prng() % 3 != 0;
    spec.plate_width = 140 + static_cast<int>(prng() % 160);
    std::uniform_real_distribution<double> u(0, 1);
    spec.degradation.blur = 1.2 * u(prng);
    spec.degradation.noise = 8 * u(prng);
    spec.degradation.perspective = spec.tight_crop ? 0 : 0.03 * u(prng);
    spec.degradation.night = u(prng) < 0.1;
    SynthImage img = (*synth)->Plate(spec);
    for (auto& g : PlateTrainingGlyphs(img.bgr, img.truth)) extra.push_back(std::move(g));
  }
  std::cout << "pipeline glyphs from " << plates << " synthetic plates: " << extra.size() << "\n";
  absl::StatusOr<std::unique_ptr<CharClassifier>> c =
      CharClassifier::Train(**synth, samples, seed, extra);
  if (!c.ok()) {
    std::cerr << c.status() << "\n";
    return 1;
  }
  // Held-out check on fresh glyphs.
  std::mt19937 rng(seed + 1000);
  int right = 0, total = 0;
  for (int k = 0; k < 20; ++k) {
    for (const std::string& label : (*c)->labels()) {
      auto top = (*c)->Classify(CharClassifier::AugmentedGlyph(**synth, label, rng), CharSet::kAny);
      right += !top.empty() && top[0].first == label;
      ++total;
    }
  }
  std::cout << "held-out synthetic accuracy " << right << "/" << total << "\n";
  absl::Status saved = (*c)->Save(out);
  if (!saved.ok()) {
    std::cerr << saved << "\n";
    return 1;
  }
  std::cout << "wrote " << out << "\n";
  return 0;
}
