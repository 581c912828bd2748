#include "ocr/container_code.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "common/iso6346.h"

namespace yardgate::ocr {
namespace {

// The letter a digit is usually mistaken for, in the owner code and category positions.
char DigitAsLetter(char c) {
  switch (c) {
    case '0': return 'O';
    case '1': return 'I';
    case '2': return 'Z';
    case '4': return 'A';
    case '5': return 'S';
    case '6': return 'G';
    case '7': return 'T';
    case '8': return 'B';
    default: return 0;
  }
}

// The digit a letter is usually mistaken for, in the serial and check-digit positions.
char LetterAsDigit(char c) {
  switch (c) {
    case 'O': case 'D': case 'Q': case 'U': return '0';
    case 'I': case 'L': case 'J': case 'T': return '1';
    case 'Z': return '2';
    case 'A': return '4';
    case 'S': return '5';
    case 'G': case 'b': return '6';
    case 'B': return '8';
    case 'g': case 'q': return '9';
    default: return 0;
  }
}

bool IsCategory(char c) { return c == 'U' || c == 'J' || c == 'Z'; }

struct Compact {
  std::string text;
  std::vector<float> conf;
  std::vector<CharChoices> choices;
};

Compact CompactText(std::string_view raw, const std::vector<float>& confidences,
                    const std::vector<CharChoices>& choices) {
  Compact out;
  size_t alnum = 0;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c))) ++alnum;
  }
  const bool have_conf = confidences.size() == alnum;
  const bool have_choices = choices.size() == alnum;
  size_t k = 0;
  for (char c : raw) {
    if (!std::isalnum(static_cast<unsigned char>(c))) continue;
    out.text.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    out.conf.push_back(have_conf ? confidences[k] : 0.5f);
    out.choices.push_back(have_choices ? choices[k] : CharChoices{});
    ++k;
  }
  return out;
}

bool CheckHolds(const std::string& n) {
  std::optional<int> check = common::ComputeCheckDigit(n);
  return check.has_value() && n[10] == static_cast<char>('0' + *check);
}

// Forces letters and digits into their positions; false when a position cannot be fixed.
bool ForcePositions(std::string& n, int* positional) {
  for (int i = 0; i < 11; ++i) {
    char& c = n[i];
    if (i < 4) {
      if (std::isdigit(static_cast<unsigned char>(c))) {
        char l = DigitAsLetter(c);
        if (l == 0) return false;
        c = l;
        ++*positional;
      }
      if (i == 3 && !IsCategory(c)) {
        if (c == 'V' || c == 'O' || c == 'W' || c == 'H') {
          c = 'U';
          ++*positional;
        } else {
          return false;
        }
      }
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      char d = LetterAsDigit(c);
      if (d == 0) return false;
      c = d;
      ++*positional;
    }
  }
  return true;
}

}  // namespace

std::string_view LookAlikes(char c) {
  switch (c) {
    case '0': return "8693";
    case '1': return "74";
    case '2': return "7";
    case '3': return "8952";
    case '4': return "1";
    case '5': return "6983";
    case '6': return "5808";
    case '7': return "12";
    case '8': return "3609";
    case '9': return "8053";
    case 'O': return "DQCU";
    case 'D': return "OB";
    case 'Q': return "O";
    case 'C': return "GO";
    case 'G': return "CO";
    case 'B': return "ERD";
    case 'E': return "FB";
    case 'F': return "EP";
    case 'P': return "RF";
    case 'R': return "PB";
    case 'I': return "LJT";
    case 'L': return "I";
    case 'J': return "I";
    case 'T': return "I";
    case 'U': return "VO";
    case 'V': return "UY";
    case 'M': return "NW";
    case 'N': return "MH";
    case 'H': return "NM";
    case 'W': return "MV";
    case 'K': return "X";
    case 'X': return "KY";
    case 'Y': return "VX";
    default: return "";
  }
}

int HammingDistance(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return static_cast<int>(std::max(a.size(), b.size()));
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += a[i] != b[i];
  return d;
}

namespace {

bool FitsPosition(char c, int i) {
  if (i < 3) return c >= 'A' && c <= 'Z';
  if (i == 3) return IsCategory(c);
  return c >= '0' && c <= '9';
}

// Maps `c` into position `i`'s class (letter or digit), or 0.
char IntoPosition(char c, int i) {
  if (FitsPosition(c, i)) return c;
  char m = 0;
  if (i < 4) {
    m = std::isdigit(static_cast<unsigned char>(c)) ? DigitAsLetter(c) : 0;
    if (i == 3 && (c == 'V' || c == 'O' || c == 'W' || c == 'H')) m = 'U';
  } else {
    m = LetterAsDigit(c);
  }
  return FitsPosition(m, i) ? m : 0;
}

struct Option {
  char c;
  double cost;
};

// The characters position `i` might really hold, with the cost of believing each.
std::vector<Option> PositionOptions(char read, bool forced, float conf, const CharChoices& alts,
                                    int i) {
  std::vector<Option> opts;
  auto add = [&](char c, double cost) {
    if (c == 0 || c == read) return;
    for (Option& o : opts) {
      if (o.c == c) {
        o.cost = std::min(o.cost, cost);
        return;
      }
    }
    opts.push_back({c, cost});
  };
  float top = alts.empty() ? conf : std::max(alts.front().second, 1e-3f);
  for (const auto& [c, p] : alts) {
    char m = IntoPosition(static_cast<char>(std::toupper(static_cast<unsigned char>(c))), i);
    if (p <= 0) continue;
    add(m, std::clamp(static_cast<double>(std::log(top / p)), 0.05, 6.0));
  }
  // Look-alikes the recogniser did not offer: cheap when it was unsure or had to be forced.
  const double base = forced ? 1.0 : 1.0 + 4.0 * std::clamp((conf - 0.5) / 0.5, 0.0, 1.0);
  for (char alt : LookAlikes(read)) add(IntoPosition(alt, i) == alt ? alt : 0, base + 0.5);
  return opts;
}

// The per-character alternatives of `number` read from compact[start..], skipping the
// compacted index `skip` (a deleted mark).
std::vector<CharChoices> PositionChoices(const Compact& compact, const std::string& number,
                                         size_t start, size_t skip) {
  std::vector<CharChoices> out;
  size_t k = start;
  for (int i = 0; i < static_cast<int>(number.size()); ++i, ++k) {
    if (k == skip) ++k;
    CharChoices cc;
    auto add = [&](char c, float p) {
      if (c == 0 || p <= 0) return;
      for (auto& [have, q] : cc) {
        if (have == c) {
          q = std::max(q, p);
          return;
        }
      }
      cc.emplace_back(c, p);
    };
    if (k < compact.text.size()) {
      if (IntoPosition(compact.text[k], i) == number[i]) add(number[i], compact.conf[k]);
      for (const auto& [c, p] : compact.choices[k]) {
        add(IntoPosition(static_cast<char>(std::toupper(static_cast<unsigned char>(c))), i), p);
      }
    }
    std::sort(cc.begin(), cc.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    out.push_back(std::move(cc));
  }
  return out;
}

}  // namespace

std::vector<std::pair<int, char>> CheckDigitBlindSpots(std::string_view number) {
  std::vector<std::pair<int, char>> out;
  if (number.size() != 11 || !CheckHolds(std::string(number))) return out;
  for (int i = 0; i < 11; ++i) {
    for (char alt : LookAlikes(number[i])) {
      if (IntoPosition(alt, i) != alt) continue;
      std::string n(number);
      n[i] = alt;
      if (CheckHolds(n)) out.emplace_back(i, alt);
    }
  }
  return out;
}

std::vector<CodeCandidate> ExtractContainerNumbers(std::string_view raw,
                                                   const std::vector<float>& confidences,
                                                   const std::vector<CharChoices>& choices) {
  Compact compact = CompactText(raw, confidences, choices);
  std::vector<CodeCandidate> out;
  if (compact.text.size() < 11) return out;
  for (size_t start = 0; start + 11 <= compact.text.size(); ++start) {
    CodeCandidate cand;
    cand.start = start;
    cand.number = compact.text.substr(start, 11);
    int erased = -1;
    if (!ForcePositions(cand.number, &cand.positional)) {
      // One serial character that is no digit at all (an F for a 6) is an erasure, which the
      // check digit can fill: exactly one digit makes it hold, or none does.
      std::string t = cand.number;
      int bad = -1, bad_count = 0;
      for (int i = 4; i < 10; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(t[i])) && LetterAsDigit(t[i]) == 0) {
          bad = i;
          ++bad_count;
        }
      }
      if (bad_count != 1) continue;
      t[bad] = '0';
      cand.positional = 0;
      if (!ForcePositions(t, &cand.positional)) continue;
      cand.number = t;
      erased = bad;
    }
    if (erased >= 0) {
      std::string fill;
      for (char d = '0'; d <= '9'; ++d) {
        std::string n = cand.number;
        n[erased] = d;
        if (CheckHolds(n)) fill.push_back(d);
      }
      if (fill.size() != 1 || cand.positional > 1) continue;
      cand.number[erased] = fill[0];
      cand.check_ok = true;
      cand.corrected = 1;
      double sum = 0, lo = 1;
      for (size_t i = start; i < start + 11; ++i) {
        if (static_cast<int>(i - start) == erased) continue;
        sum += compact.conf[i];
        lo = std::min<double>(lo, compact.conf[i]);
      }
      cand.mean_confidence = sum / 10;
      cand.min_confidence = lo;
      cand.positions = PositionChoices(compact, cand.number, start, std::string::npos);
      out.push_back(cand);
      continue;
    }
    // More than two forced swaps means this window is not a container number but other text.
    if (cand.positional > 2) continue;
    int owner_swaps = 0;
    for (size_t i = 0; i < 4; ++i) {
      owner_swaps += std::isdigit(static_cast<unsigned char>(compact.text[start + i])) != 0;
    }
    if (owner_swaps > 2) continue;
    double sum = 0, lo = 1;
    for (size_t i = start; i < start + 11; ++i) {
      sum += compact.conf[i];
      lo = std::min<double>(lo, compact.conf[i]);
    }
    cand.mean_confidence = sum / 11;
    cand.min_confidence = lo;
    cand.positions = PositionChoices(compact, cand.number, start, std::string::npos);
    if (CheckHolds(cand.number)) {
      cand.check_ok = true;
      out.push_back(cand);
      continue;
    }
    // Repair with one or two substitutions; keep the cheapest when it clearly wins.
    std::vector<std::vector<Option>> opts(11);
    for (int i = 0; i < 11; ++i) {
      const bool forced = cand.number[i] != compact.text[start + i];
      opts[i] = PositionOptions(cand.number[i], forced, compact.conf[start + i],
                                compact.choices[start + i], i);
    }
    std::string best, second;
    double best_cost = 1e9, second_cost = 1e9;
    int best_subs = 0;
    auto consider = [&](const std::string& n, double cost, int subs) {
      if (!CheckHolds(n)) return;
      if (n == best) return;
      if (cost < best_cost) {
        if (best != n) {
          second = best;
          second_cost = best_cost;
        }
        best = n;
        best_cost = cost;
        best_subs = subs;
      } else if (cost < second_cost && n != best) {
        second = n;
        second_cost = cost;
      }
    };
    for (int i = 0; i < 11; ++i) {
      for (const Option& a : opts[i]) {
        std::string n = cand.number;
        n[i] = a.c;
        consider(n, a.cost, 1);
        for (int j = i + 1; j < 11; ++j) {
          for (const Option& b : opts[j]) {
            std::string m = n;
            m[j] = b.c;
            consider(m, a.cost + b.cost + 1.0, 2);
          }
        }
      }
    }
    if (!best.empty() && best_cost < 4.0 && second_cost - best_cost >= 1.0) {
      CodeCandidate fixed = cand;
      fixed.number = best;
      fixed.check_ok = true;
      fixed.corrected = best_subs;
      // The repaired characters were wrong; what is left of the read vouches for the rest.
      double lo2 = 1, sum2 = 0;
      for (int i = 0; i < 11; ++i) {
        if (best[i] != cand.number[i]) continue;
        lo2 = std::min<double>(lo2, compact.conf[start + i]);
        sum2 += compact.conf[start + i];
      }
      fixed.min_confidence = lo2;
      fixed.mean_confidence = sum2 / (11 - best_subs);
      fixed.positions = PositionChoices(compact, fixed.number, start, std::string::npos);
      out.push_back(fixed);
    }
    out.push_back(cand);  // the unrepaired read, check digit failing
  }
  // However it was reached, a number more than two characters away from what was read is
  // other text made to fit (weights, words), not a container number.
  out.erase(std::remove_if(out.begin(), out.end(),
                           [&](const CodeCandidate& c) {
                             return HammingDistance(c.number, compact.text.substr(c.start, 11)) > 2;
                           }),
            out.end());
  // A spurious mark inside the serial (a frame edge, dirt) adds a character: when exactly one
  // deletion from a 12-character run gives a valid number, offer it as a repair.
  for (size_t start = 0; start + 12 <= compact.text.size(); ++start) {
    std::vector<std::pair<float, CodeCandidate>> fixes;  // (deleted char's confidence, fix)
    for (size_t del = start + 4; del < start + 12; ++del) {
      std::string t = compact.text.substr(start, 12);
      t.erase(del - start, 1);
      CodeCandidate c;
      c.number = t;
      c.start = start;
      if (!ForcePositions(c.number, &c.positional) || c.positional > 1) continue;
      if (!CheckHolds(c.number)) continue;
      bool dup = false;
      for (auto& [conf, f] : fixes) {
        if (f.number == c.number) {
          conf = std::min(conf, compact.conf[del]);
          dup = true;
        }
      }
      if (dup) continue;
      double sum = 0, lo = 1;
      for (size_t i = start; i < start + 12; ++i) {
        if (i == del) continue;
        sum += compact.conf[i];
        lo = std::min<double>(lo, compact.conf[i]);
      }
      c.mean_confidence = sum / 11;
      c.min_confidence = lo;
      c.check_ok = true;
      c.corrected = 1;
      c.positions = PositionChoices(compact, c.number, start, del);
      fixes.emplace_back(compact.conf[del], c);
    }
    std::sort(fixes.begin(), fixes.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (fixes.size() == 1 || (fixes.size() > 1 && fixes[1].first - fixes[0].first >= 0.1f)) {
      out.push_back(fixes[0].second);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const CodeCandidate& a, const CodeCandidate& b) {
    if (a.check_ok != b.check_ok) return a.check_ok;
    int sa = a.positional + 2 * a.corrected, sb = b.positional + 2 * b.corrected;
    if (sa != sb) return sa < sb;
    return a.mean_confidence > b.mean_confidence;
  });
  return out;
}

std::optional<std::string> ExtractSizeType(std::string_view raw) {
  std::string t;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      t.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  for (size_t s = 0; s + 4 <= t.size(); ++s) {
    std::string c = t.substr(s, 4);
    // Length: 1-4, L, M; height: digit; type: letter; variant: digit.
    if (c[0] == 'I') c[0] = '1';
    if (c[0] == 'Z') c[0] = '2';
    if (c[0] == 'A') c[0] = '4';
    if (!(std::string_view("1234LM").find(c[0]) != std::string_view::npos)) continue;
    if (c[1] == 'Z') c[1] = '2';
    if (c[1] == 'S') c[1] = '5';
    if (c[1] == 'O') c[1] = '0';
    if (!std::isdigit(static_cast<unsigned char>(c[1]))) continue;
    if (c[2] == '6' || c[2] == 'C') c[2] = 'G';
    if (c[2] == '0') c[2] = 'U';
    if (std::string_view("GRUPTBHVSK").find(c[2]) == std::string_view::npos) continue;
    if (c[3] == 'I' || c[3] == 'L' || c[3] == 'T') c[3] = '1';
    if (c[3] == 'O') c[3] = '0';
    if (!std::isdigit(static_cast<unsigned char>(c[3]))) continue;
    // Heights: 0,2,5 (8', 8'6", 9'6") are the common ones; 2 and 5 dominate.
    if (std::string_view("02345689").find(c[1]) == std::string_view::npos) continue;
    return c;
  }
  return std::nullopt;
}

}  // namespace yardgate::ocr
