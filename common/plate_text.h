// Licence plate text rules: which strings are plates.
//
// Mainland plates (GA 36): province character + issuing-office letter + 5 letters/digits
// (no I or O); trailer, learner and police plates end in 挂, 学, 警 after 4; new-energy plates
// have 6 after the letter (D/F first or last); cross-boundary plates are 粤Z + 4 + 港/澳.
// Hong Kong plates are up to two letters and up to four digits; Macau plates M + letter +
// four digits.
//
// Plates are UTF-8 everywhere inside yardgate; NormalizePlate is the one spelling rule every
// module applies to text from outside (a kiosk, an appointment, an OCR read, a clerk).
//
// Plain functions on UTF-8 strings, safe from any thread.
#ifndef YARDGATE_COMMON_PLATE_TEXT_H_
#define YARDGATE_COMMON_PLATE_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace yardgate::common {

// The 31 mainland province abbreviations, UTF-8, one code point each.
const std::vector<std::string>& ProvinceCharacters();

// True for a well-formed mainland, cross-boundary, Hong Kong or Macau plate.
bool IsValidPlate(std::string_view plate);

// True for a well-formed Hong Kong or Macau plate (no province character).
bool IsHongKongOrMacauPlate(std::string_view plate);

// Upper-cases ASCII and drops spaces, dots, dashes and the middle dot printed on plates,
// keeping UTF-8 province characters: "粤b·12345" -> "粤B12345".
std::string NormalizePlate(std::string_view plate);

// The toneless pinyin of a province character ("粤" -> "YUE"), or "" for anything else.
// Pinyin collides (津/晋, 豫/渝, ...): a transliterated plate is for EDI, never a key.
std::string_view ProvincePinyin(std::string_view province);

// Splits a UTF-8 string into code points, each as a UTF-8 string.
std::vector<std::string> SplitCodePoints(std::string_view s);

}  // namespace yardgate::common

#endif  // YARDGATE_COMMON_PLATE_TEXT_H_
