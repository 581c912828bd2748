#include "ocr/container_code.h"

#include <algorithm>
#include <cctype>

#include "gate/container_number.h"

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
};

Compact CompactText(std::string_view raw, const std::vector<float>& confidences) {
  Compact out;
  size_t alnum = 0;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c))) ++alnum;
  }
  const bool have_conf = confidences.size() == alnum;
  size_t k = 0;
  for (char c : raw) {
    if (!std::isalnum(static_cast<unsigned char>(c))) continue;
    out.text.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    out.conf.push_back(have_conf ? confidences[k] : 0.5f);
    ++k;
  }
  return out;
}

bool CheckHolds(const std::string& n) {
  std::optional<int> check = gate::ComputeCheckDigit(n);
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

std::vector<CodeCandidate> ExtractContainerNumbers(std::string_view raw,
                                                   const std::vector<float>& confidences) {
  Compact compact = CompactText(raw, confidences);
  std::vector<CodeCandidate> out;
  if (compact.text.size() < 11) return out;
  for (size_t start = 0; start + 11 <= compact.text.size(); ++start) {
    CodeCandidate cand;
    cand.start = start;
    cand.number = compact.text.substr(start, 11);
    if (!ForcePositions(cand.number, &cand.positional)) continue;
    double sum = 0, lo = 1;
    for (size_t i = start; i < start + 11; ++i) {
      sum += compact.conf[i];
      lo = std::min<double>(lo, compact.conf[i]);
    }
    cand.mean_confidence = sum / 11;
    cand.min_confidence = lo;
    if (CheckHolds(cand.number)) {
      cand.check_ok = true;
      out.push_back(cand);
      continue;
    }
    // One look-alike swap that makes the check digit hold. Prefer the least confident
    // character; give up when several swaps of equal standing work (ambiguous).
    struct Fix {
      std::string number;
      float conf;
    };
    std::vector<Fix> fixes;
    for (int i = 0; i < 11; ++i) {
      for (char alt : LookAlikes(cand.number[i])) {
        const bool letter_pos = i < 4;
        if (letter_pos != (std::isalpha(static_cast<unsigned char>(alt)) != 0)) continue;
        if (i == 3 && !IsCategory(alt)) continue;
        std::string n = cand.number;
        n[i] = alt;
        if (CheckHolds(n)) fixes.push_back({n, compact.conf[start + i]});
      }
    }
    if (!fixes.empty()) {
      std::sort(fixes.begin(), fixes.end(),
                [](const Fix& a, const Fix& b) { return a.conf < b.conf; });
      const bool unique = fixes.size() == 1 || fixes[1].conf - fixes[0].conf > 0.25f;
      if (unique) {
        CodeCandidate fixed = cand;
        fixed.number = fixes[0].number;
        fixed.check_ok = true;
        fixed.corrected = 1;
        out.push_back(fixed);
      }
    }
    out.push_back(cand);  // the uncorrected read, check digit failing
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
