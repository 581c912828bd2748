#include "ocr/tess_pool.h"

#include <cstdlib>

#ifdef _OPENMP
#include <omp.h>
#endif
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tesseract/baseapi.h"
#include "tesseract/resultiterator.h"

namespace yardgate::ocr {

absl::StatusOr<std::unique_ptr<TessPool>> TessPool::Create(const TessPoolOptions& options) {
  // Tesseract's OpenMP threads fight our own workers for the cores (measured here: three
  // times the CPU per frame). OMP_THREAD_LIMIT is read when libgomp loads, before main, so
  // setting it now is too late; inactive nested levels make every parallel region serial.
#ifdef _OPENMP
  omp_set_max_active_levels(0);
#endif
  setenv("OMP_THREAD_LIMIT", "1", /*overwrite=*/0);  // for runtimes that read it lazily
  std::unique_ptr<TessPool> pool(new TessPool(options));
  absl::StatusOr<std::unique_ptr<tesseract::TessBaseAPI>> first = pool->NewEngine();
  if (!first.ok()) return first.status();
  absl::MutexLock lock(&pool->mu_);
  pool->idle_.push_back(*std::move(first));
  pool->created_ = 1;
  return pool;
}

TessPool::TessPool(TessPoolOptions options) : options_(std::move(options)) {}

TessPool::~TessPool() {
  absl::MutexLock lock(&mu_);
  for (auto& api : idle_) api->End();
}

absl::StatusOr<std::unique_ptr<tesseract::TessBaseAPI>> TessPool::NewEngine() const {
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  const char* datapath = options_.datapath.empty() ? nullptr : options_.datapath.c_str();
  if (api->Init(datapath, options_.language.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load Tesseract language '", options_.language, "' from '",
                     options_.datapath.empty() ? "default tessdata" : options_.datapath, "'"));
  }
  api->SetVariable("debug_file", "/dev/null");
  api->SetVariable("load_system_dawg", "0");
  api->SetVariable("load_freq_dawg", "0");
  api->SetVariable("lstm_choice_mode", "2");
  return api;
}

TessPool::Lease TessPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (idle_.empty() && created_ >= options_.max_engines) {
      mu_.Await(absl::Condition(
          +[](std::vector<std::unique_ptr<tesseract::TessBaseAPI>>* idle) { return !idle->empty(); },
          &idle_));
    }
    if (!idle_.empty()) {
      std::unique_ptr<tesseract::TessBaseAPI> api = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(api));
    }
    ++created_;
  }
  absl::StatusOr<std::unique_ptr<tesseract::TessBaseAPI>> api = NewEngine();
  if (!api.ok()) {
    // The first engine loaded with the same options, so this is a resource failure; hand out
    // an empty lease whose Recognize reports it.
    absl::MutexLock lock(&mu_);
    --created_;
    return Lease(this, nullptr);
  }
  return Lease(this, *std::move(api));
}

void TessPool::Release(std::unique_ptr<tesseract::TessBaseAPI> api) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(api));
}

TessPool::Lease::Lease(TessPool* pool, std::unique_ptr<tesseract::TessBaseAPI> api)
    : pool_(pool), api_(std::move(api)) {}

TessPool::Lease::Lease(Lease&&) noexcept = default;

TessPool::Lease::~Lease() {
  if (api_ != nullptr) pool_->Release(std::move(api_));
}

absl::StatusOr<LineText> TessPool::Lease::Recognize(const cv::Mat& image,
                                                    const std::string& whitelist, int psm) {
  if (api_ == nullptr) return absl::ResourceExhaustedError("could not create a Tesseract engine");
  if (image.empty() || image.type() != CV_8UC1) {
    return absl::InvalidArgumentError("Recognize needs a non-empty 8-bit grey image");
  }
  LineText out;
  try {
    api_->SetPageSegMode(static_cast<tesseract::PageSegMode>(psm));
    api_->SetVariable("tessedit_char_whitelist", whitelist.c_str());
    cv::Mat continuous = image.isContinuous() ? image : image.clone();
    api_->SetImage(continuous.data, continuous.cols, continuous.rows, 1,
                   static_cast<int>(continuous.step));
    api_->SetSourceResolution(300);
    if (api_->Recognize(nullptr) != 0) {
      api_->Clear();
      return out;
    }
    std::unique_ptr<tesseract::ResultIterator> it(api_->GetIterator());
    double sum = 0;
    if (it != nullptr) {
      const tesseract::PageIteratorLevel level = tesseract::RIL_SYMBOL;
      do {
        std::unique_ptr<char[]> sym(it->GetUTF8Text(level));
        if (sym == nullptr) continue;
        if (it->IsAtBeginningOf(tesseract::RIL_WORD) && !out.text.empty()) out.text += ' ';
        out.text += sym.get();
        out.symbols.emplace_back(sym.get());
        float conf = it->Confidence(level) / 100.0f;
        conf = conf < 0 ? 0 : (conf > 1 ? 1 : conf);
        out.confidences.push_back(conf);
        sum += conf;
        int l = 0, t = 0, r = 0, b = 0;
        it->BoundingBox(level, &l, &t, &r, &b);
        out.boxes.emplace_back(l, t, r - l, b - t);
        std::vector<std::pair<std::string, float>> alts;
        tesseract::ChoiceIterator choice(*it);
        do {
          const char* text = choice.GetUTF8Text();
          if (text != nullptr) alts.emplace_back(text, choice.Confidence());
        } while (choice.Next());
        out.alternatives.push_back(std::move(alts));
      } while (it->Next(level));
    }
    if (!out.confidences.empty()) out.mean_confidence = sum / out.confidences.size();
    api_->Clear();
  } catch (const std::exception& e) {
    api_->Clear();
    return absl::InternalError(absl::StrCat("Tesseract failed: ", e.what()));
  }
  return out;
}

}  // namespace yardgate::ocr
