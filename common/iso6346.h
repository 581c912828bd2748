// ISO 6346 container numbers: the owner code, category, serial and check digit.
//
// A container number is 11 characters: 3 owner letters, a category letter (U, J or Z; swap
// bodies under EN 13044 also use A, B, D, E, K), 6 serial digits and a check digit. The check
// digit is (sum of value(c_i) * 2^i over the first 10 characters, mod 11) mod 10, so a
// remainder of 10 gives 0.
//
// Plain functions on strings, safe to call from any thread.
#ifndef YARDGATE_COMMON_ISO6346_H_
#define YARDGATE_COMMON_ISO6346_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace yardgate::common {

// The value ISO 6346 gives a letter or digit (A=10, B=12, ..., skipping multiples of 11),
// or -1 for any other character.
int ContainerCharValue(char c);

// The check digit for the first 10 characters of `number`, or nullopt when they are not
// 4 letters followed by 6 digits.
std::optional<int> ComputeCheckDigit(std::string_view number);

// OK when `number` is a well-formed ISO 6346 number whose check digit holds. Otherwise
// InvalidArgument naming what is wrong (length, owner code, category, serial, or the check
// digit that was expected).
absl::Status ValidateContainerNumber(std::string_view number);

// Upper-cases and removes spaces, dashes and dots: "csqu 305438-3" -> "CSQU3054383".
std::string NormalizeContainerNumber(std::string_view text);

}  // namespace yardgate::common

#endif  // YARDGATE_COMMON_ISO6346_H_
