// Fusing one visit's per-frame reads into one read per container or plate, and the one rule
// by which an expectation (appointment) may settle a read.
//
// Reads of the same object by different cameras agree or differ in a character or two.
// Fusion clusters reads that are at most two characters apart, keeps each frame's best read
// per cluster, and elects the valid text with the most confidence behind it. Agreeing frames
// combine as independent witnesses (1 - prod(1 - c)); disagreeing frames in the same cluster
// scale the result down by their share of the weight.
//
// Expectations fill in doubt, never overrule evidence: a cluster is settled to an expected
// text only through frames whose read JudgeSettlement allows (the recogniser unsure at each
// differing character, the expected one among its alternatives, the rest sure), and never
// when a frame of the cluster read another valid text with confidence. The settled
// confidence is what the frames' recogniser gave the expected text itself, so it never
// exceeds what an exact read would have scored.
//
// Plain functions, safe from any thread.
#ifndef YARDGATE_OCR_FUSION_H_
#define YARDGATE_OCR_FUSION_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ocr/engine.h"

namespace yardgate::ocr {

// A recogniser's alternatives for one character position: UTF-8 character and probability,
// likeliest first.
using CharAlternatives = std::vector<std::pair<std::string, double>>;

// The probability `alternatives` give `ch` (0 when absent).
double ProbabilityOf(const CharAlternatives& alternatives, const std::string& ch);

// Whether `read` may be settled to `expected`: both the same number of code points, 1 to
// `max_differing` of them differing; at each differing position the read character below
// kSettleUnsureBelow and the expected one at kSettleExpectedAtLeast or more in `positions`
// (one entry per code point of `read`); every other position's read character at
// kSettleSureAtLeast or more. The settlement names each character and why; nullopt when
// not allowed.
std::optional<Settlement> JudgeSettlement(const std::string& read, const std::string& expected,
                                          const std::vector<CharAlternatives>& positions,
                                          int max_differing = 1);

// An expected text that one frame's read may be settled to.
struct SettleOption {
  std::string expected;
  Settlement settlement;
  double confidence = 0;  // the frame's confidence in `expected` itself, [0,1]
};

// One read in one frame.
struct Observation {
  size_t frame = 0;           // index of the frame in the visit
  std::string text;           // UTF-8
  bool valid = false;         // passes the format's own check (check digit, plate pattern)
  double confidence = 0;      // the frame's own confidence, [0,1]
  std::string attribute;      // e.g. the size-type code; voted on
  // A character could be a look-alike that passes the format's check just as well.
  bool check_blind = false;
  std::vector<SettleOption> settle_to;  // what JudgeSettlement allows for this read
  Evidence evidence;
};

struct Fused {
  std::string text;
  bool valid = false;
  Settlement settlement;      // non-empty when settled to an expected text
  double confidence = 0;
  bool check_blind = false;   // no two frames agree and one of them is check_blind
  std::string attribute;
  std::vector<Evidence> frames;
};

struct FusionOptions {
  double max_single_frame = 0.95;  // no single frame is trusted beyond this
  int max_valid = 3;               // valid results reported at most
  // A valid read of another text at this confidence or more forbids settling its cluster.
  double confident_other = 0.5;
};

// Number of code points at which two UTF-8 strings differ (lengths differing count fully).
int CodePointDistance(const std::string& a, const std::string& b);

// Expectations enter only through the observations' settle_to options.
std::vector<Fused> FuseObservations(const std::vector<Observation>& observations,
                                    const FusionOptions& options);

// Whether `weak` is a phantom of `strong` rather than a second box: a weaker
// check-digit-valid number competing with a better read of the same box. It is when the two
// are at most three characters apart and it is weak (under 0.5: a misread that passed its
// check digit by chance; two boxes of one shipper may have serials that close), when
// it is under a third of the better read's confidence, or when a frame shows both in
// overlapping places (one marking read two ways).
bool PhantomOf(const ContainerRead& weak, const ContainerRead& strong);

// `reads` (strongest first) without the phantoms of stronger reads, and at most `max_boxes`
// check-digit-valid ones.
std::vector<ContainerRead> WithoutPhantomBoxes(std::vector<ContainerRead> reads, int max_boxes);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_FUSION_H_
