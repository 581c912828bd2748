#include "common/iso6346.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace yardgate::common {

int ContainerCharValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c < 'A' || c > 'Z') return -1;
  // Letters count from 10 upwards, skipping 11, 22 and 33.
  int value = 10 + (c - 'A');
  if (value >= 11) ++value;
  if (value >= 22) ++value;
  if (value >= 33) ++value;
  return value;
}

std::optional<int> ComputeCheckDigit(std::string_view number) {
  if (number.size() < 10) return std::nullopt;
  int sum = 0;
  for (int i = 0; i < 10; ++i) {
    const char c = number[i];
    const bool want_letter = i < 4;
    if (want_letter ? !(c >= 'A' && c <= 'Z') : !(c >= '0' && c <= '9')) return std::nullopt;
    sum += ContainerCharValue(c) << i;
  }
  return (sum % 11) % 10;
}

absl::Status ValidateContainerNumber(std::string_view number_view) {
  // This abseil's string_view is its own type, so StrCat takes a std::string.
  const std::string number(number_view);
  if (number.size() != 11) {
    return absl::InvalidArgumentError(absl::StrCat(
        "container number '", number, "' has ", number.size(), " characters, ISO 6346 needs 11"));
  }
  for (int i = 0; i < 3; ++i) {
    if (number[i] < 'A' || number[i] > 'Z') {
      return absl::InvalidArgumentError(absl::StrCat("container number '", number,
                                                     "' has an owner code that is not 3 capital letters"));
    }
  }
  const char category = number[3];
  if (category != 'U' && category != 'J' && category != 'Z' && category != 'A' &&
      category != 'B' && category != 'D' && category != 'E' && category != 'K') {
    return absl::InvalidArgumentError(absl::StrCat("container number '", number,
                                                   "' has category '", std::string(1, category),
                                                   "', expected U, J or Z"));
  }
  for (int i = 4; i < 11; ++i) {
    if (number[i] < '0' || number[i] > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("container number '", number, "' has a non-digit in its serial or check digit"));
    }
  }
  const int expected = *ComputeCheckDigit(number_view);
  if (number[10] - '0' != expected) {
    return absl::InvalidArgumentError(absl::StrCat("container number '", number,
                                                   "' fails its check digit: expected ", expected,
                                                   ", got ", std::string(1, number[10])));
  }
  return absl::OkStatus();
}

std::string NormalizeContainerNumber(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '.' || c == '\t') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace yardgate::common
