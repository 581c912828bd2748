// The OCR engine: container numbers and licence plates from one truck visit's camera frames.
//
// A visit brings several frames from several cameras (front, rear, left, right, top). The
// engine reads every frame (container numbers with their ISO 6346 check digit, size-type
// codes, Chinese and Hong Kong / Macau licence plates), then fuses the frames: the same number
// seen by several cameras gives one read with higher confidence, disagreeing reads lower it,
// and numbers or plates the lane expects (appointments) may settle a single uncertain
// character, which the result says.
//
// Confidence is in [0,1] and means the probability that the text is exactly right: plate
// confidence is calibrated on real plates the recogniser was never trained on
// (models/plate_calibration.tsv, fitted by `ocr_eval --plates-train calibration
// --fit-calibration`); container confidence is the reader's own rule (see ContainerRead).
// A read that is auto_ok is meant to be right at least 99.9 % of the time (the barrier opens
// on it); the gate should open on auto_ok, not on its own threshold over `confidence`. A
// container number whose check digit fails is never reported with check_digit_ok, and never
// auto_ok. Expectations (appointments) only fill in characters the recogniser itself was
// unsure of; they never overrule a confident read and never raise a confidence (Settlement).
// An evaluation measures how well confidence means what it says with calibration.h's
// ReliabilityTable (confidence bin -> reads, share right).
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

// One character that an expectation settled: the recogniser read `read` there but also
// offered `expected`, with these probabilities of its own.
struct SettledCharacter {
  int position = 0;            // code point index in the text
  std::string read;            // the character the recogniser preferred (UTF-8)
  std::string expected;        // the expected character, now in the text
  double read_probability = 0;      // the recogniser's probability of `read` there
  double expected_probability = 0;  // ... and of `expected`
};

// Why a read was settled to an expected text, or empty when it was not.
struct Settlement {
  std::vector<SettledCharacter> characters;
  // Each differing character was uncertain (read below kSettleUnsureBelow) with the expected
  // one among the recogniser's own alternatives (at kSettleExpectedAtLeast or more), every
  // other character was sure (kSettleSureAtLeast or more), and no frame read another valid
  // text with confidence; the sentence says so with the figures.
  std::string reason;
  // The engine's word that the settlement itself is sure enough to open the barrier on: the
  // recogniser's own probability for the expected text, calibrated, clears the same auto
  // threshold an exact read must clear (and, for a container, no check-digit-blind character
  // stands unresolved). For a settled read, auto_ok == sure.
  bool sure = false;
  bool empty() const { return characters.empty(); }
};

inline constexpr double kSettleUnsureBelow = 0.9;
inline constexpr double kSettleExpectedAtLeast = 0.1;
inline constexpr double kSettleSureAtLeast = 0.9;

// Confidence, for every read: the probability that the text is exactly right, from the
// recogniser alone (an appointment never raises it). A settled read's confidence is the
// probability the recogniser itself gave the expected text, calibrated as an exact read of
// that probability would be, so it never scores higher than an exact read would.
//
// auto_ok: confidence >= EngineOptions::auto_threshold (plates) or container_auto_threshold
// (containers) and nothing else stands against it (a container number with a character whose
// look-alike also passes the check digit needs a second agreeing camera or a near-certain
// character). For a settled read, auto_ok is the
// engine's word that the settlement itself is sure enough: the recogniser's own probability
// for the expected text clears the same bar an exact read must clear.
struct ContainerRead {
  std::string number;    // 11 characters, ISO 6346
  std::string iso_type;  // size-type code such as "22G1", or empty when not seen
  double confidence = 0;  // [0,1], fused over frames; see above
  bool auto_ok = false;   // see above; never when the check digit fails
  bool check_digit_ok = false;
  bool settled_by_expectation = false;  // !settlement.empty()
  Settlement settlement;
  // A character could be a look-alike that passes the check digit just as well (M/W), and
  // no second camera agreed: not auto whatever the confidence.
  bool check_digit_blind = false;
  std::vector<Evidence> frames;
};

// What kind of plate a text is, so that a booking can be found by any of a truck's plates.
enum class PlateReadKind {
  kMainland,     // 粤B12345 (blue or yellow)
  kNewEnergy,    // 沪AF71017 (green, eight characters)
  kTrailer,      // 粤B1234挂
  kCrossBorder,  // 粤Z1234港, 粤Z1234澳: the mainland plate of a Hong Kong / Macau truck
  kHongKong,     // AB1234
  kMacau,        // MA1234 (M, a letter, four digits; such a text is taken as Macau)
  kUnknown,      // not a valid plate
};
PlateReadKind PlateReadKindOf(const std::string& text);
const char* PlateReadKindName(PlateReadKind kind);  // "mainland", "new-energy", ... "unknown"

struct PlateRead {
  std::string text;  // UTF-8: mainland plates province character first, e.g. "粤B12345",
                     // "粤Z1234港"; Hong Kong "AB1234"; Macau "MA1234"
  PlateReadKind kind = PlateReadKind::kUnknown;
  double confidence = 0;  // see above
  bool auto_ok = false;
  bool settled_by_expectation = false;  // !settlement.empty()
  Settlement settlement;
  std::vector<Evidence> frames;
};

struct VisitReads {
  std::vector<ContainerRead> containers;  // most confident first, at most max_containers
  // Every distinct plate seen, most confident first: a cross-border truck's mainland plate
  // and its Hong Kong or Macau plate both, a trailer's plate too (each with its kind).
  std::vector<PlateRead> plates;
  double elapsed_ms = 0;
};

// What the lane expects from its appointments; may be empty.
struct Expectations {
  std::vector<std::string> containers;
  std::vector<std::string> plates;
};

inline constexpr double kDefaultAutoThreshold = 0.999;
inline constexpr double kDefaultContainerAutoThreshold = 0.9;

struct EngineOptions {
  // Plate reads at or above this (and nothing against them) are auto_ok. The calibrated
  // confidence makes it a precision: 0.999 means one wrong auto read in a thousand, as
  // measured on the calibration split (ocr/README.md).
  double auto_threshold = kDefaultAutoThreshold;
  // Container reads at or above this, with the check digit holding and no unresolved
  // check-digit-blind character, are auto_ok. Container confidence is the reader's own rule
  // (FrameCodeConfidence, fused over frames), not fitted on real frames: there are none to fit
  // on apart from the evaluation set.
  double container_auto_threshold = kDefaultContainerAutoThreshold;
  int threads = 2;                      // frames read in parallel; Tesseract engines pooled
  size_t max_frame_bytes = 16u << 20;   // larger encoded frames are rejected
  int max_frame_pixels = 4096 * 3072;   // larger decoded frames are rejected
  std::string debug_dir;                // when set, intermediate images are written there
  std::string tessdata_dir;             // empty: Tesseract's default
  // The plate recogniser (yardgate-ocr-train-plates). Empty: $YARDGATE_OCR_MODELS/
  // plate_net.pt, else the one in the source tree. Reading plates without it is an error.
  std::string plate_model;
  // Its calibration (calibration.h). Empty: plate_calibration.tsv beside the plate model.
  // Without one every plate confidence is 0 (nothing is trusted), which only the fit itself
  // wants.
  std::string plate_calibration;
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
