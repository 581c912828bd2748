#include "ocr/fusion.h"

#include <algorithm>
#include <map>
#include <numeric>

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

std::vector<Fused> FuseObservations(const std::vector<Observation>& observations,
                                    const std::vector<std::string>& expected,
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
          observations[m].confidence > observations[it->second].confidence ||
          (observations[m].valid && !observations[it->second].valid)) {
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
    Fused f;
    f.text = winner;
    f.valid = valid[winner];
    double miss = 1, agree = 0, disagree = 0, best_mean = 0;
    std::map<std::string, int> attr_votes;
    for (size_t m : reads) {
      const Observation& o = observations[m];
      if (o.text == winner) {
        const double c = std::min(o.confidence, options.max_single_frame);
        miss *= 1 - c;
        agree += c;
        best_mean = std::max(best_mean, o.ocr_mean);
        if (!o.attribute.empty()) ++attr_votes[o.attribute];
      } else {
        disagree += std::max(o.confidence, 0.3);
      }
      f.frames.push_back(o.evidence);
    }
    f.confidence = f.valid ? (1 - miss) * (agree / std::max(1e-9, agree + disagree)) : std::min(0.3, 1 - miss);
    int top_votes = 0;
    for (auto& [a, v] : attr_votes) {
      if (v > top_votes) {
        top_votes = v;
        f.attribute = a;
      }
    }
    // Expectations: a valid winner that matches is corroborated; a read one character away
    // from an expected, well-formed text is settled by it.
    for (const std::string& e : expected) {
      if (e == winner && f.valid) {
        f.confidence = 1 - (1 - f.confidence) * 0.5;
        break;
      }
      if (options.is_valid != nullptr && !options.is_valid(e)) continue;
      bool near = false;
      double near_mean = 0;
      for (size_t m : reads) {
        if (CodePointDistance(observations[m].text, e) == 1) {
          near = true;
          near_mean = std::max(near_mean, observations[m].ocr_mean);
        }
      }
      if (near && (!f.valid || CodePointDistance(winner, e) == 1)) {
        f.text = e;
        f.valid = true;
        f.settled_by_expectation = true;
        f.confidence = std::min(0.95, 0.55 + 0.4 * near_mean);
        break;
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

}  // namespace yardgate::ocr
