#include "ocr/calibration.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace yardgate::ocr {
namespace {

// The one-sided 95 % Wilson lower bound of the share right: a block is trusted only as far as
// its size supports (1,000 of 1,000 right says 0.9973; 0.999 takes about 2,700).
double Smoothed(int right, int count) {
  if (count == 0) return 0;
  constexpr double z = 1.6449;
  const double n = count, p = right / n;
  const double spread = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  return std::max(0.0, (p + z * z / (2 * n) - spread) / (1 + z * z / n));
}

}  // namespace

Calibration Calibration::Fit(std::vector<ScoredRead> reads) {
  std::sort(reads.begin(), reads.end(),
            [](const ScoredRead& a, const ScoredRead& b) { return a.score < b.score; });
  // Pool adjacent violators on the share right; reads of equal score always share a block.
  std::vector<Block> blocks;
  for (size_t i = 0; i < reads.size();) {
    Block b;
    b.min_score = reads[i].score;
    for (; i < reads.size() && reads[i].score == b.min_score; ++i) {
      ++b.count;
      b.right += reads[i].right;
    }
    blocks.push_back(b);
    while (blocks.size() >= 2) {
      Block& low = blocks[blocks.size() - 2];
      const Block& high = blocks.back();
      // Violation: the higher scores are right less often (compared as exact fractions).
      if (static_cast<int64_t>(high.right) * low.count >
          static_cast<int64_t>(low.right) * high.count) {
        break;
      }
      low.count += high.count;
      low.right += high.right;
      blocks.pop_back();
    }
  }
  // Smoothing can make a small block with a higher share come out lower than a large one
  // below it; pool those too, so that the map stays monotone after smoothing.
  std::vector<Block> out;
  for (Block b : blocks) {
    b.probability = Smoothed(b.right, b.count);
    while (!out.empty() && out.back().probability >= b.probability) {
      b.min_score = out.back().min_score;
      b.count += out.back().count;
      b.right += out.back().right;
      b.probability = Smoothed(b.right, b.count);
      out.pop_back();
    }
    out.push_back(b);
  }
  Calibration c;
  c.blocks_ = std::move(out);
  return c;
}

std::string Calibration::ToText() const {
  std::string out = "# min_score\tprobability\tcount\tright\n";
  for (const Block& b : blocks_) {
    absl::StrAppendFormat(&out, "%.6f\t%.6f\t%d\t%d\n", b.min_score, b.probability, b.count,
                          b.right);
  }
  return out;
}

absl::StatusOr<Calibration> Calibration::Parse(const std::string& text) {
  Calibration c;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    Block b;
    if (f.size() != 4 || !absl::SimpleAtod(f[0], &b.min_score) ||
        !absl::SimpleAtod(f[1], &b.probability) || !absl::SimpleAtoi(f[2], &b.count) ||
        !absl::SimpleAtoi(f[3], &b.right) || b.probability < 0 || b.probability > 1) {
      return absl::InvalidArgumentError(absl::StrCat("calibration line ", line_no, " is malformed"));
    }
    if (!c.blocks_.empty() && (b.min_score <= c.blocks_.back().min_score ||
                               b.probability < c.blocks_.back().probability)) {
      return absl::InvalidArgumentError(
          absl::StrCat("calibration line ", line_no, " is not above the line before it"));
    }
    c.blocks_.push_back(b);
  }
  return c;
}

double Calibration::Probability(double score) const {
  auto it = std::upper_bound(blocks_.begin(), blocks_.end(), score,
                             [](double s, const Block& b) { return s < b.min_score; });
  return it == blocks_.begin() ? 0 : std::prev(it)->probability;
}

std::vector<ReliabilityBin> ReliabilityTable(const std::vector<ScoredRead>& reads,
                                             std::vector<double> edges) {
  if (edges.empty()) edges = {0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999};
  std::vector<ReliabilityBin> bins(edges.size());
  for (size_t i = 0; i < edges.size(); ++i) {
    bins[i].lo = edges[i];
    bins[i].hi = i + 1 < edges.size() ? edges[i + 1] : 1.0;
  }
  for (const ScoredRead& r : reads) {
    auto it = std::upper_bound(edges.begin(), edges.end(), r.score);
    const size_t i = it == edges.begin() ? 0 : static_cast<size_t>(it - edges.begin()) - 1;
    ReliabilityBin& b = bins[i];
    b.mean_confidence += r.score;
    ++b.count;
    b.right += r.right;
  }
  for (ReliabilityBin& b : bins) {
    if (b.count > 0) b.mean_confidence /= b.count;
  }
  return bins;
}

std::string FormatReliabilityTable(const std::vector<ReliabilityBin>& bins) {
  std::string out = "  confidence        reads  right  share right  mean confidence\n";
  for (const ReliabilityBin& b : bins) {
    if (b.count == 0) continue;
    absl::StrAppendFormat(&out, "  [%.3f, %.3f%s %6d %6d  %10.2f%%  %.4f\n", b.lo, b.hi,
                          b.hi >= 1.0 ? "]" : ")", b.count, b.right, 100 * b.share_right(),
                          b.mean_confidence);
  }
  return out;
}

}  // namespace yardgate::ocr
