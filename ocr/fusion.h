// Fusing one visit's per-frame reads into one read per container or plate.
//
// Reads of the same object by different cameras agree or differ in a character or two.
// Fusion clusters reads that are at most two characters apart, keeps each frame's best read
// per cluster, and elects the valid text with the most confidence behind it. Agreeing frames
// combine as independent witnesses (1 - prod(1 - c)); disagreeing frames in the same cluster
// scale the result down by their share of the weight. An expected text (appointment) that is
// one character away from the elected or a failing read settles it, and says so.
//
// Plain functions, safe from any thread.
#ifndef YARDGATE_OCR_FUSION_H_
#define YARDGATE_OCR_FUSION_H_

#include <string>
#include <vector>

#include "ocr/engine.h"

namespace yardgate::ocr {

// One read in one frame.
struct Observation {
  size_t frame = 0;           // index of the frame in the visit
  std::string text;           // UTF-8
  bool valid = false;         // passes the format's own check (check digit, plate pattern)
  double confidence = 0;      // the frame's own confidence, [0,1]
  double ocr_mean = 0;        // the recogniser's own certainty, [0,1]: mean character
                              // confidence (containers), the text's probability (plates)
  std::string attribute;      // e.g. the size-type code; voted on
  Evidence evidence;
};

struct Fused {
  std::string text;
  bool valid = false;
  bool settled_by_expectation = false;
  double confidence = 0;
  std::string attribute;
  std::vector<Evidence> frames;
};

struct FusionOptions {
  double max_single_frame = 0.95;  // no single frame is trusted beyond this
  int max_valid = 3;               // valid results reported at most
  // Whether `text` (a candidate settled from an expectation) is itself well formed.
  bool (*is_valid)(const std::string& text) = nullptr;
};

// Number of code points at which two UTF-8 strings differ (lengths differing count fully).
int CodePointDistance(const std::string& a, const std::string& b);

std::vector<Fused> FuseObservations(const std::vector<Observation>& observations,
                                    const std::vector<std::string>& expected,
                                    const FusionOptions& options);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_FUSION_H_
