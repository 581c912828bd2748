// yardgate-ocr: reads container numbers and licence plates from camera frames.
//
//   yardgate-ocr [options] IMAGE...         the images are one visit; prints one JSON object
//   yardgate-ocr --each [options] IMAGE...  one JSON object per image, one line each
//
// Options:
//   --auto-threshold X     plate confidence at or above which a plate read is "auto"
//                          (default kDefaultAutoThreshold, engine.h)
//   --container-auto-threshold X   the same for container reads
//   --threads N            frames read in parallel (default 2)
//   --debug-dir DIR        write intermediate crops and binarisations to DIR
//   --plate-model FILE     the plate recogniser (default: models/plate_net.pt, see README)
//   --budget-ms MS         latency budget per visit (default none)
//   --expect-container N   a container number the lane expects (repeatable)
//   --expect-plate P       a plate the lane expects (repeatable)
//   --no-plates, --no-containers   skip one kind of read
//   --tessdata DIR         Tesseract traineddata directory
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "ocr/engine.h"
#include "ocr/json.h"
#include "common/json.h"

namespace {

int Usage() {
  std::cerr << "usage: yardgate-ocr [--each] [--auto-threshold X] [--container-auto-threshold X] [--threads N] "
               "[--debug-dir DIR] [--budget-ms MS] [--expect-container N]... [--expect-plate P]... "
               "[--no-plates] [--no-containers] [--tessdata DIR] [--plate-model FILE] IMAGE...\n";
  return 2;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using yardgate::ocr::Engine;
  using yardgate::ocr::EngineOptions;
  using yardgate::ocr::Expectations;
  using yardgate::ocr::FrameInput;
  EngineOptions options;
  Expectations expected;
  bool each = false;
  std::vector<std::string> images;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "yardgate-ocr: " << name << " needs a value\n";
        std::exit(Usage());
      }
      return argv[++i];
    };
    if (a == "--each") {
      each = true;
    } else if (a == "--auto-threshold") {
      options.auto_threshold = std::atof(value("--auto-threshold"));
    } else if (a == "--container-auto-threshold") {
      options.container_auto_threshold = std::atof(value("--container-auto-threshold"));
    } else if (a == "--threads") {
      options.threads = std::atoi(value("--threads"));
    } else if (a == "--budget-ms") {
      options.visit_budget_ms = std::atof(value("--budget-ms"));
    } else if (a == "--debug-dir") {
      options.debug_dir = value("--debug-dir");
    } else if (a == "--expect-container") {
      expected.containers.emplace_back(value("--expect-container"));
    } else if (a == "--expect-plate") {
      expected.plates.emplace_back(value("--expect-plate"));
    } else if (a == "--no-plates") {
      options.read_plates = false;
    } else if (a == "--no-containers") {
      options.read_containers = false;
    } else if (a == "--tessdata") {
      options.tessdata_dir = value("--tessdata");
    } else if (a == "--plate-model") {
      options.plate_model = value("--plate-model");
    } else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else if (a.size() > 1 && a[0] == '-') {
      std::cerr << "yardgate-ocr: unknown option " << a << "\n";
      return Usage();
    } else {
      images.push_back(a);
    }
  }
  if (images.empty()) return Usage();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  if (!engine.ok()) {
    std::cerr << "yardgate-ocr: " << engine.status() << "\n";
    return 1;
  }
  std::vector<FrameInput> frames;
  for (const std::string& path : images) {
    FrameInput f;
    f.name = path;
    if (!ReadFile(path, &f.encoded)) {
      std::cerr << "yardgate-ocr: cannot read " << path << "\n";
      return 1;
    }
    frames.push_back(std::move(f));
  }
  int rc = 0;
  if (each) {
    for (const FrameInput& f : frames) {
      absl::StatusOr<yardgate::ocr::VisitReads> reads = (*engine)->ReadVisit({f}, expected);
      if (!reads.ok()) {
        std::cout << "{\"image\":" << yardgate::common::JsonString(f.name)
                  << ",\"error\":" << yardgate::common::JsonString(reads.status().ToString())
                  << "}" << std::endl;
        rc = 1;
        continue;
      }
      std::cout << yardgate::ocr::VisitReadsToJson(*reads) << std::endl;
    }
    return rc;
  }
  absl::StatusOr<yardgate::ocr::VisitReads> reads = (*engine)->ReadVisit(frames, expected);
  if (!reads.ok()) {
    std::cerr << "yardgate-ocr: " << reads.status() << "\n";
    return 1;
  }
  std::cout << yardgate::ocr::VisitReadsToJson(*reads) << std::endl;
  return 0;
}
