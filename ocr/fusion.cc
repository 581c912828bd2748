#include "ocr/fusion.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "absl/strings/str_format.h"
#include "common/plate_text.h"

namespace yardgate::ocr {
namespace {

std::u32string Decode(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp = c;
    int extra = 0;
    if (c >= 0xF0) { cp = c & 0x07; extra = 3; }
    else if (c >= 0xE0) { cp = c & 0x0F; extra = 2; }
    else if (c >= 0xC0) { cp = c & 0x1F; extra = 1; }
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    }
    out.push_back(cp);
  }
  return out;
}

}  // namespace

int CodePointDistance(const std::string& a, const std::string& b) {
  std::u32string ua = Decode(a), ub = Decode(b);
  if (ua.size() != ub.size()) return static_cast<int>(std::max(ua.size(), ub.size()));
  int d = 0;
  for (size_t i = 0; i < ua.size(); ++i) d += ua[i] != ub[i];
  return d;
}

double ProbabilityOf(const CharAlternatives& alternatives, const std::string& ch) {
  for (const auto& [c, p] : alternatives) {
    if (c == ch) return p;
  }
  return 0;
}

std::optional<Settlement> JudgeSettlement(const std::string& read, const std::string& expected,
                                          const std::vector<CharAlternatives>& positions,
                                          int max_differing) {
  const std::vector<std::string> r = common::SplitCodePoints(read);
  const std::vector<std::string> e = common::SplitCodePoints(expected);
  if (r.size() != e.size() || positions.size() != r.size()) return std::nullopt;
  Settlement s;
  double rest_least = 1;
  for (size_t i = 0; i < r.size(); ++i) {
    const double pr = ProbabilityOf(positions[i], r[i]);
    if (r[i] == e[i]) {
      if (pr < kSettleSureAtLeast) return std::nullopt;  // the rest of the read must be sure
      rest_least = std::min(rest_least, pr);
      continue;
    }
    const double pe = ProbabilityOf(positions[i], e[i]);
    if (pr >= kSettleUnsureBelow || pe < kSettleExpectedAtLeast) return std::nullopt;
    s.characters.push_back({static_cast<int>(i), r[i], e[i], pr, pe});
  }
  if (s.characters.empty() || static_cast<int>(s.characters.size()) > max_differing) {
    return std::nullopt;
  }
  for (const SettledCharacter& c : s.characters) {
    absl::StrAppendFormat(&s.reason, "position %d: read '%s' at %.2f, expected '%s' at %.2f; ",
                          c.position + 1, c.read, c.read_probability, c.expected,
                          c.expected_probability);
  }
  absl::StrAppendFormat(&s.reason,
                        "the recogniser was unsure there and offered the expected character, "
                        "and read every other character at %.2f or more",
                        rest_least);
  return s;
}

std::vector<Fused> FuseObservations(const std::vector<Observation>& observations,
                                    const FusionOptions& options) {
  const size_t n = observations.size();
  // Cluster: union of reads at most two characters apart.
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (CodePointDistance(observations[i].text, observations[j].text) <= 2) {
        parent[find(i)] = find(j);
      }
    }
  }
  std::map<size_t, std::vector<size_t>> clusters;
  for (size_t i = 0; i < n; ++i) clusters[find(i)].push_back(i);

  std::vector<Fused> out;
  for (auto& [root, members] : clusters) {
    // Each frame's best read in this cluster.
    std::map<size_t, size_t> best_of_frame;
    for (size_t m : members) {
      auto it = best_of_frame.find(observations[m].frame);
      if (it == best_of_frame.end() ||
          (observations[m].valid && !observations[it->second].valid) ||
          (observations[m].valid == observations[it->second].valid &&
           observations[m].confidence > observations[it->second].confidence)) {
        best_of_frame[observations[m].frame] = m;
      }
    }
    std::vector<size_t> reads;
    for (auto& [frame, m] : best_of_frame) reads.push_back(m);
    // Elect: valid texts first, then by summed confidence.
    std::map<std::string, double> weight;
    std::map<std::string, bool> valid;
    for (size_t m : reads) {
      weight[observations[m].text] += std::max(observations[m].confidence, 0.05);
      valid[observations[m].text] = valid[observations[m].text] || observations[m].valid;
    }
    std::string winner;
    double best = -1;
    for (auto& [text, w] : weight) {
      const double key = w + (valid[text] ? 10.0 : 0.0);
      if (key > best) {
        best = key;
        winner = text;
      }
    }
    // How much the frames believe `text`: each frame's confidence in it (its own read, or
    // what its recogniser gave `text` when it may be settled to it), combined as independent
    // witnesses and scaled by the share of the frames' weight behind it.
    auto belief = [&](const std::string& text, const Settlement** settlement, int* agreeing,
                      bool* blind) {
      double miss = 1, agree = 0, disagree = 0, best_option = -1;
      *agreeing = 0;
      *blind = false;
      for (size_t m : reads) {
        const Observation& o = observations[m];
        double c = -1;
        if (o.text == text) {
          c = o.confidence;
          *blind = *blind || o.check_blind;
        } else {
          for (const SettleOption& s : o.settle_to) {
            if (s.expected != text) continue;
            c = s.confidence;
            if (settlement != nullptr && c > best_option) {
              best_option = c;
              *settlement = &s.settlement;
            }
          }
        }
        if (c < 0) {
          disagree += std::max(o.confidence, 0.3);
          continue;
        }
        c = std::min(c, options.max_single_frame);
        ++*agreeing;
        miss *= 1 - c;
        agree += c;
      }
      return (1 - miss) * (agree / std::max(1e-9, agree + disagree));
    };
    Fused f;
    f.text = winner;
    f.valid = valid[winner];
    int agreeing = 0;
    bool blind = false;
    f.confidence = belief(winner, nullptr, &agreeing, &blind);
    if (!f.valid) f.confidence = std::min(0.3, f.confidence);
    f.check_blind = blind && agreeing < 2;
    // Settle to an expected text only where some frame allows it and no frame read another
    // valid text with confidence.
    if (f.valid && f.confidence >= options.confident_other) {
      // The elected read is itself confident: nothing to settle.
    } else {
      std::vector<std::string> candidates;
      for (size_t m : reads) {
        for (const SettleOption& s : observations[m].settle_to) {
          if (std::find(candidates.begin(), candidates.end(), s.expected) == candidates.end()) {
            candidates.push_back(s.expected);
          }
        }
      }
      double best_settled = -1;
      for (const std::string& e : candidates) {
        const bool contradicted = std::any_of(reads.begin(), reads.end(), [&](size_t m) {
          const Observation& o = observations[m];
          return o.valid && o.text != e && o.confidence >= options.confident_other;
        });
        if (contradicted) continue;
        const Settlement* settlement = nullptr;
        int settled_agreeing = 0;
        bool settled_blind = false;
        const double c = belief(e, &settlement, &settled_agreeing, &settled_blind);
        if (settlement == nullptr || c <= best_settled) continue;
        best_settled = c;
        f.text = e;
        f.valid = true;
        f.settlement = *settlement;
        f.confidence = c;
        f.check_blind = settled_blind && settled_agreeing < 2;
      }
    }
    std::map<std::string, int> attr_votes;
    for (size_t m : reads) {
      const Observation& o = observations[m];
      if (o.text == f.text && !o.attribute.empty()) ++attr_votes[o.attribute];
      f.frames.push_back(o.evidence);
    }
    if (attr_votes.empty()) {
      for (size_t m : reads) {
        if (!observations[m].attribute.empty()) ++attr_votes[observations[m].attribute];
      }
    }
    int top_votes = 0;
    for (auto& [a, v] : attr_votes) {
      if (v > top_votes) {
        top_votes = v;
        f.attribute = a;
      }
    }
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const Fused& a, const Fused& b) {
    if (a.valid != b.valid) return a.valid;
    return a.confidence > b.confidence;
  });
  // Keep the valid results (at most max_valid); a failing read only when nothing valid exists.
  std::vector<Fused> kept;
  int valid_count = 0;
  for (Fused& f : out) {
    if (f.valid && valid_count < options.max_valid) {
      kept.push_back(std::move(f));
      ++valid_count;
    } else if (!f.valid && valid_count == 0 && kept.empty()) {
      kept.push_back(std::move(f));
    }
  }
  return kept;
}

bool PhantomOf(const ContainerRead& weak, const ContainerRead& strong) {
  if (!weak.check_digit_ok || !strong.check_digit_ok) return false;
  if (weak.confidence >= strong.confidence) return false;
  // Two boxes of one shipper may carry serials a digit or two apart: only a weak read is
  // taken for a misread of the other.
  if (CodePointDistance(weak.number, strong.number) <= 3 && weak.confidence < 0.5) return true;
  if (weak.confidence < strong.confidence / 3) return true;
  for (const Evidence& a : weak.frames) {
    for (const Evidence& b : strong.frames) {
      if (a.image != b.image) continue;
      const bool apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      if (!apart) return true;
    }
  }
  return false;
}

std::vector<ContainerRead> WithoutPhantomBoxes(std::vector<ContainerRead> reads, int max_boxes) {
  std::vector<ContainerRead> boxes;
  for (ContainerRead& c : reads) {
    const bool phantom = std::any_of(boxes.begin(), boxes.end(),
                                     [&](const ContainerRead& b) { return PhantomOf(c, b); });
    if (!phantom) boxes.push_back(std::move(c));
  }
  int valid = 0;
  std::vector<ContainerRead> out;
  for (ContainerRead& c : boxes) {
    if (c.check_digit_ok && valid++ >= max_boxes) continue;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace yardgate::ocr
