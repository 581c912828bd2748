// Turning raw OCR text into ISO 6346 container numbers and size-type codes.
//
// OCR confuses letters and digits that look alike (O/0, I/1, B/8, S/5, Z/2, G/6). A container
// number fixes which positions hold letters (0-3) and digits (4-10), and its check digit
// (gate/container_number.h) tells whether the result is consistent. These functions use both:
// positional substitution first, then single look-alike substitutions that make the check
// digit hold, and they never call a number valid when its check digit fails.
//
// Plain functions, safe from any thread.
//
//   std::vector<CodeCandidate> c = ExtractContainerNumbers("BEAU 265693 1", {});
//   // c[0].number == "BEAU2656931", c[0].check_ok, c[0].substitutions == 0
#ifndef YARDGATE_OCR_CONTAINER_CODE_H_
#define YARDGATE_OCR_CONTAINER_CODE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yardgate::ocr {

// A recogniser's candidates for one character with their probabilities, best first.
using CharChoices = std::vector<std::pair<char, float>>;

struct CodeCandidate {
  std::string number;       // 11 characters, upper case
  bool check_ok = false;    // the check digit holds
  int positional = 0;       // characters swapped letter<->digit because of their position
  int corrected = 0;        // look-alike swaps made only to satisfy the check digit
  double min_confidence = 0;  // lowest per-character OCR confidence of the 11 used, [0,1]
  double mean_confidence = 0;
  size_t start = 0;         // index of the first character in the compacted raw text
  // Per character of `number`: the recogniser's alternatives there, mapped into the
  // position's class (letter or digit), the printed character at its own confidence; a
  // character filled in by a repair has only what the recogniser offered (often nothing).
  std::vector<CharChoices> positions;
};

// Finds container numbers in `raw` (any characters; non-alphanumerics are ignored). When
// `confidences` (and `choices`) have one entry per alphanumeric character of `raw`, they
// weigh which characters to correct: a number whose check digit fails is repaired with the
// cheapest one or two substitutions among the recogniser's own alternatives and the usual
// look-alikes, and only when that repair clearly beats the next best one. Candidates come
// best first: check digit holding, fewest swaps.
std::vector<CodeCandidate> ExtractContainerNumbers(std::string_view raw,
                                                   const std::vector<float>& confidences,
                                                   const std::vector<CharChoices>& choices = {});

// The size-type code (e.g. "22G1", "45G1", "L5G1") in `raw`, after the usual look-alike
// fixes (6 -> G in the third position), or nullopt.
std::optional<std::string> ExtractSizeType(std::string_view raw);

// Letters that OCR commonly mistakes for `c` (both ways), e.g. '0' -> "OQD8", 'B' -> "8".
std::string_view LookAlikes(char c);

// The look-alike substitutions (position, character; LookAlikes) that turn a valid `number`
// into another valid one: confusions the check digit cannot catch (M/W differ by 11 in its
// letter values, so they always pass alike).
std::vector<std::pair<int, char>> CheckDigitBlindSpots(std::string_view number);

// Number of positions at which two equally long strings differ (or max length if unequal).
int HammingDistance(std::string_view a, std::string_view b);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_CONTAINER_CODE_H_
