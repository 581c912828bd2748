// The layout of an OCR evaluation set: ../shared/datasets/ocr-dev, or one written by
// yardgate-ocr-synth. DIR/containers and DIR/plates each hold the images and a manifest.tsv of
// "file<TAB>truth<TAB>origin" lines, no header. Read by ocr_eval and the engine's dev-set
// tests, so that both see the same set the same way.
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

// The truck visit a container frame belongs to: <visit> of "1-<visit>-OCR-<camera>.jpg".
// Any other name is a visit of its own.
std::string DevSetVisit(const std::string& file);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_DEV_SET_H_
