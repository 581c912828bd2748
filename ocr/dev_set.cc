#include "ocr/dev_set.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "common/fingerprint.h"
#include "common/plate_text.h"

namespace yardgate::ocr {

namespace {

// The first `n` tab-separated fields of each line of dir/manifest.tsv that has a file and a
// truth (missing fields are empty).
std::vector<std::vector<std::string>> ManifestRows(const std::filesystem::path& dir, size_t n) {
  std::vector<std::vector<std::string>> out;
  std::ifstream in(dir / "manifest.tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream stream(line);
    std::vector<std::string> fields(n);
    for (std::string& f : fields) std::getline(stream, f, '\t');
    if (!fields[0].empty() && !fields[1].empty()) out.push_back(std::move(fields));
  }
  return out;
}

}  // namespace

std::vector<DevSetItem> ReadDevSetManifest(const std::filesystem::path& dir) {
  std::vector<DevSetItem> out;
  for (std::vector<std::string>& f : ManifestRows(dir, 2)) {
    out.push_back({std::move(f[0]), std::move(f[1])});
  }
  return out;
}

std::vector<LabelledPlate> ReadLabelledPlates(const std::filesystem::path& dir) {
  std::vector<LabelledPlate> out;
  for (std::vector<std::string>& f : ManifestRows(dir, 3)) {
    out.push_back({std::move(f[0]), std::move(f[1]), std::move(f[2])});
  }
  return out;
}

const char* PlateSplitName(PlateSplit split) {
  switch (split) {
    case PlateSplit::kTrain: return "train";
    case PlateSplit::kCalibration: return "calibration";
    case PlateSplit::kHeldOut: return "held-out";
  }
  return "?";
}

std::vector<PlateSplit> SplitLabelledPlates(const std::vector<LabelledPlate>& plates) {
  // Out of every 20 consecutive slots of a stratum: 3 held-out, 3 calibration, 14 training.
  constexpr int kSlots = 20, kHeldOut = 3, kCalibration = 3;
  std::map<std::string, std::vector<size_t>> strata;
  for (size_t i = 0; i < plates.size(); ++i) {
    const std::vector<std::string> chars = common::SplitCodePoints(plates[i].text);
    strata[plates[i].kind + "/" + (chars.empty() ? "" : chars[0])].push_back(i);
  }
  std::vector<PlateSplit> out(plates.size(), PlateSplit::kTrain);
  for (auto& [stratum, rows] : strata) {
    auto hash = [&](size_t i) { return common::Fnv1a64("plates-train-split-v1:" + plates[i].file); };
    std::sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return hash(a) < hash(b); });
    const uint64_t first = common::Fnv1a64("plates-train-split-v1:" + stratum) % kSlots;
    for (size_t r = 0; r < rows.size(); ++r) {
      const uint64_t slot = (first + r) % kSlots;
      out[rows[r]] = slot < kHeldOut                  ? PlateSplit::kHeldOut
                     : slot < kHeldOut + kCalibration ? PlateSplit::kCalibration
                                                      : PlateSplit::kTrain;
    }
  }
  return out;
}

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string DevSetVisit(const std::string& file) {
  const size_t a = file.find('-');
  const size_t b = a == std::string::npos ? a : file.find('-', a + 1);
  if (b == std::string::npos) return file;
  return file.substr(a + 1, b - a - 1);
}

}  // namespace yardgate::ocr
