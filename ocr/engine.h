// The OCR engine: container numbers and licence plates from one truck visit's camera frames.
//
// A visit brings several frames from several cameras (front, rear, left, right, top). The
// engine reads every frame (container numbers with their ISO 6346 check digit, size-type
// codes, Chinese and Hong Kong / Macau licence plates), then fuses the frames: the same number
// seen by several cameras gives one read with higher confidence, disagreeing reads lower it,
// and numbers or plates the lane expects (appointments) may settle a single uncertain
// character, which the result says.
//
// Confidence is in [0,1]; a read at or above EngineOptions::auto_threshold is meant to be
// right at least 99% of the time (the barrier opens on it). A container number whose check
// digit fails is never reported with check_digit_ok, and never reaches the auto threshold.
//
// Thread-safety: Engine is thread-safe; many ReadVisit calls may run at once. It pools its
// Tesseract engines (at most `threads`), shares one plate recogniser, and runs a visit's
// frames in parallel.
//
//   absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(EngineOptions{});
//   absl::StatusOr<VisitReads> reads = (*engine)->ReadVisit(frames, Expectations{});
//   for (const ContainerRead& c : reads->containers) { if (c.auto_ok) Open(c.number); }
#ifndef YARDGATE_OCR_ENGINE_H_
#define YARDGATE_OCR_ENGINE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace yardgate::ocr {

// One camera frame of a visit.
struct FrameInput {
  std::string name;     // for evidence and errors, e.g. the file name
  std::string camera;   // camera id, may be empty
  std::string encoded;  // JPEG or PNG bytes; decoded by content, not by name
};

// Where in which frame a read came from.
struct Evidence {
  std::string image;  // FrameInput::name
  int x = 0, y = 0, w = 0, h = 0;  // box in that frame's pixels
  std::string raw;    // what the recogniser printed there
  double confidence = 0;  // that frame's own confidence, [0,1]
  double score = 0;       // the recogniser's raw score there, before calibration
};

struct ContainerRead {
  std::string number;    // 11 characters, ISO 6346
  std::string iso_type;  // size-type code such as "22G1", or empty when not seen
  double confidence = 0;  // [0,1], fused over frames
  bool auto_ok = false;   // confidence >= auto_threshold (never when the check digit fails)
  bool check_digit_ok = false;
  bool settled_by_expectation = false;  // an expected number settled an uncertain character
  std::vector<Evidence> frames;
};

struct PlateRead {
  std::string text;  // UTF-8: mainland plates province character first, e.g. "粤B12345",
                     // "粤Z1234港"; Hong Kong "AB1234"; Macau "MA1234"
  double confidence = 0;
  bool auto_ok = false;
  bool settled_by_expectation = false;
  std::vector<Evidence> frames;
};

struct VisitReads {
  std::vector<ContainerRead> containers;  // most confident first, at most max_containers
  std::vector<PlateRead> plates;          // most confident first
  double elapsed_ms = 0;
};

// What the lane expects from its appointments; may be empty.
struct Expectations {
  std::vector<std::string> containers;
  std::vector<std::string> plates;
};

struct EngineOptions {
  double auto_threshold = 0.9;          // reads at or above this are auto_ok
  int threads = 2;                      // frames read in parallel; Tesseract engines pooled
  size_t max_frame_bytes = 16u << 20;   // larger encoded frames are rejected
  int max_frame_pixels = 4096 * 3072;   // larger decoded frames are rejected
  std::string debug_dir;                // when set, intermediate images are written there
  std::string tessdata_dir;             // empty: Tesseract's default
  // The plate recogniser (yardgate-ocr-train-plates). Empty: $YARDGATE_OCR_MODELS/
  // plate_net.pt, else the one in the source tree. Reading plates without it is an error.
  std::string plate_model;
  int max_containers = 2;               // check-digit-valid containers per visit (two 20-foot boxes)
  // Latency budget per visit in ms (0: none). Past it, frames stop recognising further text
  // groups and skip second passes, and plate candidates are read under one margin only, so a
  // visit answers in about this time with what it has.
  double visit_budget_ms = 0;
  bool read_containers = true;
  bool read_plates = true;
};

class Engine final {
 public:
  // Loads the Tesseract models and the plate recogniser. FailedPrecondition when Tesseract's
  // are missing, NotFound when the plate recogniser is, InvalidArgument for nonsensical
  // options.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Reads and fuses one visit. InvalidArgument naming the frame when a frame is larger than
  // max_frame_bytes / max_frame_pixels or is not a decodable image; nothing is read then.
  absl::StatusOr<VisitReads> ReadVisit(const std::vector<FrameInput>& frames,
                                       const Expectations& expected);

  const EngineOptions& options() const { return options_; }

 private:
  struct Impl;
  Engine(const EngineOptions& options, std::unique_ptr<Impl> impl);
  const EngineOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_ENGINE_H_
