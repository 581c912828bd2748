#include "ocr/engine.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/iso6346.h"
#include "ocr/calibration.h"
#include "ocr/container_reader.h"
#include "ocr/fusion.h"
#include "ocr/image_header.h"
#include "ocr/plate_reader.h"
#include "common/plate_text.h"
#include "ocr/tess_pool.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {

struct Engine::Impl {
  std::unique_ptr<TessPool> latin;
  std::unique_ptr<PlateNet> plates;  // null when plates are not read
  Calibration plate_calibration;     // empty: every plate confidence is 0
};

namespace {

struct FrameResult {
  absl::Status codes_status;   // of the frame's container task
  absl::Status plates_status;  // of its plate task
  std::vector<FrameCode> codes;
  std::vector<FramePlate> plates;
};

std::string DebugName(const std::string& dir, const std::string& frame_name, size_t index) {
  std::string base = std::filesystem::path(frame_name).filename().string();
  if (base.empty()) base = absl::StrCat("frame", index);
  for (char& c : base) {
    if (c == '/' || c == '\\' || c == ' ') c = '_';
  }
  return (std::filesystem::path(dir) / base).string();
}

bool ContainerNumberValid(const std::string& s) { return common::ValidateContainerNumber(s).ok(); }

// A check-digit-valid read with a character whose look-alike passes the check digit as well
// (M/W), unless the recogniser was near certain of that character.
bool CheckDigitBlind(const FrameCode& c) {
  constexpr double kNearCertain = 0.98;
  for (const auto& [i, alt] : CheckDigitBlindSpots(c.number)) {
    const size_t at = static_cast<size_t>(i);
    double p = 0;
    if (at < c.positions.size()) {
      for (const auto& [ch, q] : c.positions[at]) {
        if (ch == c.number[at]) p = q;
      }
    }
    if (p < kNearCertain) return true;
  }
  return false;
}

std::vector<CharAlternatives> ContainerCharAlternatives(const FrameCode& c) {
  std::vector<CharAlternatives> out;
  for (const CharChoices& cc : c.positions) {
    CharAlternatives a;
    for (const auto& [ch, p] : cc) a.emplace_back(std::string(1, ch), p);
    out.push_back(std::move(a));
  }
  return out;
}

bool MacauPattern(const std::string& t) {
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  return t.size() == 6 && t[0] == 'M' && std::isupper(static_cast<unsigned char>(t[1])) &&
         std::all_of(t.begin() + 2, t.end(), digit);
}

}  // namespace

PlateReadKind PlateReadKindOf(const std::string& text) {
  if (!common::IsValidPlate(text)) return PlateReadKind::kUnknown;
  if (common::IsHongKongOrMacauPlate(text)) {
    return MacauPattern(text) ? PlateReadKind::kMacau : PlateReadKind::kHongKong;
  }
  if (absl::EndsWith(text, "挂")) return PlateReadKind::kTrailer;
  if (absl::EndsWith(text, "港") || absl::EndsWith(text, "澳")) return PlateReadKind::kCrossBorder;
  if (common::SplitCodePoints(text).size() == 8) return PlateReadKind::kNewEnergy;
  return PlateReadKind::kMainland;
}

const char* PlateReadKindName(PlateReadKind kind) {
  switch (kind) {
    case PlateReadKind::kMainland: return "mainland";
    case PlateReadKind::kNewEnergy: return "new-energy";
    case PlateReadKind::kTrailer: return "trailer";
    case PlateReadKind::kCrossBorder: return "cross-border";
    case PlateReadKind::kHongKong: return "hong-kong";
    case PlateReadKind::kMacau: return "macau";
    case PlateReadKind::kUnknown: return "unknown";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options) {
  if (options.threads < 1 || options.threads > 64) {
    return absl::InvalidArgumentError(absl::StrCat("threads must be 1..64, got ", options.threads));
  }
  for (double t : {options.auto_threshold, options.container_auto_threshold}) {
    if (t < 0 || t > 1) {
      return absl::InvalidArgumentError(absl::StrCat("auto thresholds must be in [0,1], got ", t));
    }
  }
  if (!options.debug_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.debug_dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot create debug dir '", options.debug_dir, "': ", ec.message()));
    }
  }
  // The engine parallelises over frames itself; OpenCV's own worker threads on top of that
  // only oversubscribe the cores (process-wide setting).
  cv::setNumThreads(1);
  auto impl = std::make_unique<Impl>();
  absl::StatusOr<std::unique_ptr<TessPool>> latin = TessPool::Create(
      {.language = "eng", .datapath = options.tessdata_dir, .max_engines = options.threads});
  if (!latin.ok()) return latin.status();
  impl->latin = *std::move(latin);
  if (options.read_plates) {
    const std::string model =
        options.plate_model.empty() ? DefaultPlateModelPath() : options.plate_model;
    absl::StatusOr<std::unique_ptr<PlateNet>> net = PlateNet::Load(model);
    if (!net.ok()) return net.status();
    impl->plates = *std::move(net);
    const std::string calibration =
        !options.plate_calibration.empty()
            ? options.plate_calibration
            : (std::filesystem::path(model).parent_path() / "plate_calibration.tsv").string();
    if (std::filesystem::exists(calibration)) {
      std::ifstream in(calibration);
      std::stringstream text;
      text << in.rdbuf();
      absl::StatusOr<Calibration> c = Calibration::Parse(text.str());
      if (!c.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("plate calibration ", calibration, ": ", c.status().message()));
      }
      impl->plate_calibration = *std::move(c);
    } else if (!options.plate_calibration.empty()) {
      return absl::NotFoundError(absl::StrCat("plate calibration not found: ", calibration));
    }
  }
  return std::unique_ptr<Engine>(new Engine(options, std::move(impl)));
}

Engine::Engine(const EngineOptions& options, std::unique_ptr<Impl> impl)
    : options_(options), impl_(std::move(impl)) {}

Engine::~Engine() = default;

absl::StatusOr<VisitReads> Engine::ReadVisit(const std::vector<FrameInput>& frames,
                                             const Expectations& expected) {
  const auto start = std::chrono::steady_clock::now();
  // Decode and check every frame before reading any.
  std::vector<cv::Mat> images(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameInput& f = frames[i];
    if (f.encoded.size() > options_.max_frame_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("frame '", f.name, "' is ", f.encoded.size(),
                                                     " bytes, more than the limit of ",
                                                     options_.max_frame_bytes));
    }
    if (f.encoded.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("frame '", f.name, "' is empty"));
    }
    // The header's size first: a small file may declare an image far too large to decode.
    absl::StatusOr<ImageSize> declared = ReadImageSize(f.encoded);
    if (!declared.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("frame '", f.name,
                                                     "' is not a decodable image: ",
                                                     declared.status().message()));
    }
    if (declared->pixels() > static_cast<uint64_t>(options_.max_frame_pixels)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "frame '", f.name, "' is ", declared->width, "x", declared->height,
          " pixels, more than the limit of ", options_.max_frame_pixels));
    }
    try {
      cv::Mat buf(1, static_cast<int>(f.encoded.size()), CV_8UC1,
                  const_cast<char*>(f.encoded.data()));
      images[i] = cv::imdecode(buf, cv::IMREAD_COLOR);
    } catch (const std::exception& e) {
      images[i].release();
    }
    if (images[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("frame '", f.name, "' is not a decodable image"));
    }
    if (static_cast<int64_t>(images[i].cols) * images[i].rows > options_.max_frame_pixels) {
      return absl::InvalidArgumentError(absl::StrCat(
          "frame '", f.name, "' is ", images[i].cols, "x", images[i].rows,
          " pixels, more than the limit of ", options_.max_frame_pixels));
    }
  }

  std::vector<FrameResult> results(frames.size());
  // A frame's containers and its plates are two tasks, so that both threads share a visit's
  // last frame instead of one reading it alone while the other waits.
  const size_t tasks = 2 * frames.size();
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t t = next++; t < tasks; t = next++) {
      const size_t i = t / 2;
      const bool plates = t % 2 == 1;
      FrameResult& r = results[i];
      absl::Status& status = plates ? r.plates_status : r.codes_status;
      try {
        const std::string debug =
            options_.debug_dir.empty() ? "" : DebugName(options_.debug_dir, frames[i].name, i);
        const std::chrono::steady_clock::time_point deadline =
            options_.visit_budget_ms > 0
                ? start + std::chrono::microseconds(
                              static_cast<int64_t>(options_.visit_budget_ms * 1000))
                : std::chrono::steady_clock::time_point{};
        if (!plates && options_.read_containers) {
          cv::Mat gray;
          cv::cvtColor(images[i], gray, cv::COLOR_BGR2GRAY);
          ContainerReaderOptions copts;
          copts.debug_prefix = debug;
          copts.deadline = deadline;
          absl::StatusOr<std::vector<FrameCode>> codes = ReadContainers(gray, *impl_->latin, copts);
          if (!codes.ok()) {
            status = codes.status();
            continue;
          }
          r.codes = *std::move(codes);
        }
        if (plates && impl_->plates != nullptr) {
          PlateReaderOptions popts;
          popts.debug_prefix = debug;
          popts.deadline = deadline;
          r.plates = ReadPlates(images[i], *impl_->plates, popts);
        }
      } catch (const std::exception& e) {
        status = absl::InternalError(absl::StrCat("reading ", plates ? "plates" : "containers",
                                                  " in frame '", frames[i].name, "' failed: ",
                                                  e.what()));
      }
    }
  };
  const size_t workers = std::min<size_t>(options_.threads, tasks);
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const FrameResult& r : results) {
    if (!r.codes_status.ok()) return r.codes_status;
    if (!r.plates_status.ok()) return r.plates_status;
  }

  std::vector<std::string> expected_codes, expected_plates;
  for (const std::string& e : expected.containers) {
    const std::string n = common::NormalizeContainerNumber(e);
    // An expected number that fails its own check digit is never used.
    if (ContainerNumberValid(n)) expected_codes.push_back(n);
  }
  for (const std::string& e : expected.plates) {
    const std::string n = common::NormalizePlate(e);
    if (common::IsValidPlate(n)) expected_plates.push_back(n);
  }
  std::vector<Observation> code_obs, plate_obs;
  for (size_t i = 0; i < frames.size(); ++i) {
    for (const FrameCode& c : results[i].codes) {
      Observation o;
      o.frame = i;
      o.text = c.number;
      o.valid = c.check_ok;
      o.confidence = c.confidence;
      o.attribute = c.iso_type;
      o.check_blind = c.check_ok && CheckDigitBlind(c);
      o.evidence = {frames[i].name, c.box.x, c.box.y, c.box.width, c.box.height, c.raw,
                    c.confidence, c.confidence};
      const std::vector<CharAlternatives> positions = ContainerCharAlternatives(c);
      for (const std::string& e : expected_codes) {
        if (CodePointDistance(c.number, e) != 1) continue;
        std::optional<Settlement> s = JudgeSettlement(c.number, e, positions);
        if (!s) continue;
        // The frame's confidence had it read `e` itself: the same rule as for its own read,
        // with the expected character's probability in place of the read one's.
        FrameCode as_read = c;
        as_read.number = e;
        as_read.check_ok = true;
        as_read.corrected = 0;
        for (const SettledCharacter& sc : s->characters) {
          as_read.ocr_min = std::min(as_read.ocr_min, sc.expected_probability);
        }
        const double as_expected =
            std::min(FrameCodeConfidence(as_read), c.check_ok ? c.confidence : 1.0);
        o.settle_to.push_back({e, *std::move(s), as_expected});
      }
      code_obs.push_back(std::move(o));
    }
    for (const FramePlate& p : results[i].plates) {
      Observation o;
      o.frame = i;
      o.text = p.text;
      o.valid = p.valid;
      o.confidence = p.valid ? impl_->plate_calibration.Probability(p.score) : 0;
      o.evidence = {frames[i].name, p.box.x, p.box.y, p.box.width, p.box.height, p.raw,
                    o.confidence, p.score};
      const std::vector<CharAlternatives> positions = PlateCharAlternatives(p, p.text);
      for (const std::string& e : expected_plates) {
        if (CodePointDistance(p.text, e) != 1) continue;
        std::optional<Settlement> s = JudgeSettlement(p.text, e, positions);
        if (!s) continue;
        o.settle_to.push_back(
            {e, *std::move(s), impl_->plate_calibration.Probability(PlateScoreOf(p, e))});
      }
      plate_obs.push_back(std::move(o));
    }
  }
  VisitReads out;
  FusionOptions copts;
  // Room for phantoms, which are dropped below before max_containers applies.
  copts.max_valid = options_.max_containers + 3;
  for (Fused& f : FuseObservations(code_obs, copts)) {
    ContainerRead c;
    c.number = f.text;
    c.iso_type = f.attribute;
    c.check_digit_ok = f.valid && ContainerNumberValid(f.text);
    c.confidence = c.check_digit_ok ? f.confidence : std::min(f.confidence, 0.3);
    // A settled character was not read for sure, so a settled number with any blind spot is
    // blind whatever the frames.
    c.check_digit_blind =
        c.check_digit_ok && (f.check_blind || (!f.settlement.empty() &&
                                               !CheckDigitBlindSpots(f.text).empty()));
    c.auto_ok = c.check_digit_ok && !c.check_digit_blind &&
                c.confidence >= options_.container_auto_threshold;
    c.settlement = std::move(f.settlement);
    c.settled_by_expectation = !c.settlement.empty();
    c.settlement.sure = c.settled_by_expectation && c.auto_ok;
    c.frames = std::move(f.frames);
    out.containers.push_back(std::move(c));
  }
  out.containers = WithoutPhantomBoxes(std::move(out.containers), options_.max_containers);
  FusionOptions popts;
  popts.max_single_frame = 1;  // a calibrated frame is already worth what it says
  popts.max_valid = 3;  // a cross-border truck's mainland and Hong Kong / Macau plates, a trailer's
  for (Fused& f : FuseObservations(plate_obs, popts)) {
    PlateRead p;
    p.text = f.text;
    p.kind = PlateReadKindOf(f.text);
    p.confidence = f.valid ? f.confidence : 0;
    p.auto_ok = f.valid && p.confidence >= options_.auto_threshold;
    p.settlement = std::move(f.settlement);
    p.settled_by_expectation = !p.settlement.empty();
    p.settlement.sure = p.settled_by_expectation && p.auto_ok;
    p.frames = std::move(f.frames);
    out.plates.push_back(std::move(p));
  }
  out.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace yardgate::ocr
