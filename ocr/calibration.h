// Confidence that means what it says: mapping a recogniser's raw score to the probability that
// the text is exactly right, fitted on labelled reads that were never trained on, and the
// reliability table that checks it on reads that were never fitted on.
//
// The map is monotone (isotonic regression, pool-adjacent-violators): a higher score never
// means a lower probability. Each block of pooled reads gets the one-sided 95 % lower bound
// (Wilson) of its share right, not the share itself: where the barrier opens, an estimate a
// few hundred reads cannot support must not be believed (532 of 532 right says 0.995, not
// 1; saying 0.999 takes about 2,700 reads without an error), and a small block is never
// certain.
//
// Plain values and functions, safe from any thread once built.
//
//   Calibration c = Calibration::Fit(scored_calibration_reads);
//   double p = c.Probability(score);
//   for (const ReliabilityBin& b : ReliabilityTable(scored_held_out_reads)) Print(b);
#ifndef YARDGATE_OCR_CALIBRATION_H_
#define YARDGATE_OCR_CALIBRATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace yardgate::ocr {

// One labelled read: its score (raw, or an already calibrated confidence) and whether its text
// was exactly right.
struct ScoredRead {
  double score = 0;
  bool right = false;
};

class Calibration final {
 public:
  // The identity-free default: every score maps to 0 (nothing is trusted until fitted).
  Calibration() = default;

  // Isotonic fit of P(right | score) over `reads` (any order).
  static Calibration Fit(std::vector<ScoredRead> reads);

  // The text form: one "score<TAB>probability<TAB>count<TAB>right" line per block, lowest score
  // first, after a "# " comment line; Parse(ToText()) gives the same map. InvalidArgument on
  // a malformed or non-monotone table.
  std::string ToText() const;
  static absl::StatusOr<Calibration> Parse(const std::string& text);

  // The probability of the highest block whose lowest score is at or below `score`; 0 below
  // the first block.
  double Probability(double score) const;

  bool empty() const { return blocks_.empty(); }

  struct Block {
    double min_score = 0;  // lowest score pooled into the block
    double probability = 0;
    int count = 0;
    int right = 0;
  };
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  std::vector<Block> blocks_;
};

// One row of a reliability table: the reads whose confidence is in [lo, hi), how many, how many
// of them were right, and their mean confidence (a calibrated confidence has share ~ mean).
struct ReliabilityBin {
  double lo = 0, hi = 0;
  int count = 0;
  int right = 0;
  double mean_confidence = 0;
  double share_right() const { return count == 0 ? 0 : static_cast<double>(right) / count; }
};

// The reads binned by confidence at `edges` (ascending; the last bin is closed at 1). The
// default edges resolve the top, where the barrier opens: 0, .5, .8, .9, .95, .99, .995, .999.
std::vector<ReliabilityBin> ReliabilityTable(const std::vector<ScoredRead>& reads,
                                             std::vector<double> edges = {});

// The table as aligned text lines, one per non-empty bin, for the evaluation to print.
std::string FormatReliabilityTable(const std::vector<ReliabilityBin>& bins);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_CALIBRATION_H_
