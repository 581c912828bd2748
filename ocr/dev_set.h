// The layout of an OCR evaluation set: ../shared/datasets/ocr-dev, or one written by
// yardgate-ocr-synth. DIR/containers and DIR/plates each hold the images and a manifest.tsv of
// "file<TAB>truth<TAB>origin" lines, no header. Read by ocr_eval and the engine's dev-set
// tests, so that both see the same set the same way.
//
// Also the real labelled plate crops of ../shared/datasets/plates-train ("file<TAB>text<TAB>
// kind<TAB>source") and their one fixed split into training, calibration and held-out parts,
// shared by the trainer, the calibration fit, ocr_eval and the tests, so that no program can
// train on what another one measures on.
//
// Thread-safety: plain functions over files; safe to call from many threads.
#ifndef YARDGATE_OCR_DEV_SET_H_
#define YARDGATE_OCR_DEV_SET_H_

#include <filesystem>
#include <string>
#include <vector>

namespace yardgate::ocr {

struct DevSetItem {
  std::string file;   // relative to the manifest's folder
  std::string truth;  // container number or plate, UTF-8
};

// The items of dir/manifest.tsv in order; empty when there is none. Lines without a file or a
// truth are skipped.
std::vector<DevSetItem> ReadDevSetManifest(const std::filesystem::path& dir);

// The whole file, bytes as they are; empty when it cannot be read.
std::string ReadFileBytes(const std::filesystem::path& path);

// One row of plates-train/manifest.tsv.
struct LabelledPlate {
  std::string file;  // relative to the manifest's folder
  std::string text;  // UTF-8, province character first
  std::string kind;  // blue, yellow, black, white, green, double-row, hk-macau
};

// The rows of dir/manifest.tsv in order; empty when there is none.
std::vector<LabelledPlate> ReadLabelledPlates(const std::filesystem::path& dir);

enum class PlateSplit { kTrain, kCalibration, kHeldOut };
const char* PlateSplitName(PlateSplit split);

// The fixed split of a plates-train manifest, one entry per row: 70 % training, 15 %
// calibration (confidence is fitted on it, never trained on), 15 % held-out (only measured
// on). Stratified by kind and province character: within each stratum the rows are ordered
// by the FNV-1a hash of their file name and dealt out in turn from a slot that the stratum's
// own hash picks: every 20 consecutive rows of a stratum give 3 held-out, 3 calibration and 14
// training rows (a smaller stratum gets what its starting slot gives it), and adding rows to
// one stratum never moves a row of another.
std::vector<PlateSplit> SplitLabelledPlates(const std::vector<LabelledPlate>& plates);

// The truck visit a container frame belongs to: <visit> of "1-<visit>-OCR-<camera>.jpg".
// Any other name is a visit of its own.
std::string DevSetVisit(const std::string& file);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_DEV_SET_H_
