// A pool of Tesseract engines, so that recognition never pays for creating one per call.
//
// Creating a tesseract::TessBaseAPI loads its traineddata (tens of milliseconds and megabytes
// of memory), so the engine keeps a few and lends them out. One pool serves one language and
// page-segmentation setup; an engine is used by one thread at a time.
//
// Thread-safety: TessPool is thread-safe. A Lease must stay on the thread that took it and be
// destroyed before the pool.
//
//   auto pool = TessPool::Create({.language = "eng", .max_engines = 2});
//   TessPool::Lease lease = (*pool)->Acquire();
//   absl::StatusOr<LineText> text = lease.RecognizeLine(binary_image, "0123456789");
#ifndef YARDGATE_OCR_TESS_POOL_H_
#define YARDGATE_OCR_TESS_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "opencv2/core.hpp"

namespace tesseract {
class TessBaseAPI;
}

namespace yardgate::ocr {

// What Tesseract read on one line: the text (UTF-8, spaces kept), one confidence in [0,1]
// per non-space symbol, and the symbols' boxes in the image's coordinates.
struct LineText {
  std::string text;
  std::vector<std::string> symbols;  // UTF-8, one per recognised symbol
  std::vector<float> confidences;    // [0,1], one per symbol
  std::vector<cv::Rect> boxes;       // one per symbol
  // Per symbol, the recogniser's candidates with their probabilities, best first.
  std::vector<std::vector<std::pair<std::string, float>>> alternatives;
  double mean_confidence = 0;        // [0,1]
};

struct TessPoolOptions {
  std::string language = "eng";
  std::string datapath;  // empty: Tesseract's default (TESSDATA_PREFIX or the built-in path)
  int max_engines = 2;
};

class TessPool final {
 public:
  class Lease;

  // Creates the pool and one engine, so a missing language fails here and not mid-visit.
  static absl::StatusOr<std::unique_ptr<TessPool>> Create(const TessPoolOptions& options);
  ~TessPool();
  TessPool(const TessPool&) = delete;
  TessPool& operator=(const TessPool&) = delete;

  // Lends an engine, creating one when all are busy and fewer than max_engines exist,
  // otherwise waiting for one to come back.
  Lease Acquire();

 private:
  explicit TessPool(TessPoolOptions options);
  absl::StatusOr<std::unique_ptr<tesseract::TessBaseAPI>> NewEngine() const;
  void Release(std::unique_ptr<tesseract::TessBaseAPI> api);

  const TessPoolOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<tesseract::TessBaseAPI>> idle_ ABSL_GUARDED_BY(mu_);
  int created_ ABSL_GUARDED_BY(mu_) = 0;
};

class TessPool::Lease final {
 public:
  Lease(TessPool* pool, std::unique_ptr<tesseract::TessBaseAPI> api);
  Lease(Lease&&) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  // Recognises `image` (8-bit, dark text on light background) as one line (psm 7) or one
  // character (psm 10), restricted to `whitelist` when it is not empty.
  // REQUIRES: image is CV_8UC1 and not empty.
  absl::StatusOr<LineText> Recognize(const cv::Mat& image, const std::string& whitelist,
                                     int psm = 7);

 private:
  TessPool* pool_;
  std::unique_ptr<tesseract::TessBaseAPI> api_;
};

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_TESS_POOL_H_
