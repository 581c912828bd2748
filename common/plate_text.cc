#include "common/plate_text.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace yardgate::common {
namespace {

bool IsPlateLetter(char c) { return c >= 'A' && c <= 'Z' && c != 'I' && c != 'O'; }
bool IsPlateAlnum(char c) { return IsPlateLetter(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllAscii(const std::vector<std::string>& cps, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    if (cps[i].size() != 1) return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string>& ProvinceCharacters() {
  static const std::vector<std::string> kProvinces = {
      "京", "津", "冀", "晋", "蒙", "辽", "吉", "黑", "沪", "苏", "浙", "皖", "闽", "赣", "鲁", "豫",
      "鄂", "湘", "粤", "桂", "琼", "渝", "川", "贵", "云", "藏", "陕", "甘", "青", "宁", "新"};
  return kProvinces;
}

std::vector<std::string> SplitCodePoints(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    len = std::min(len, s.size() - i);
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

bool IsValidPlate(std::string_view plate) {
  const std::vector<std::string> cps = SplitCodePoints(plate);
  if (cps.empty()) return false;
  const auto& provinces = ProvinceCharacters();
  const bool mainland = std::find(provinces.begin(), provinces.end(), cps[0]) != provinces.end();
  if (!mainland) {
    // Hong Kong: up to two letters (no I, O, Q) then 1-4 digits, no leading zero.
    // Macau: M, a letter, four digits.
    if (!AllAscii(cps, 0, cps.size())) return false;
    std::string s(plate);
    if (s.size() == 6 && s[0] == 'M' && std::isupper(static_cast<unsigned char>(s[1])) &&
        std::all_of(s.begin() + 2, s.end(), IsDigit)) {
      return true;
    }
    size_t letters = 0;
    while (letters < s.size() && std::isupper(static_cast<unsigned char>(s[letters]))) {
      if (s[letters] == 'I' || s[letters] == 'O' || s[letters] == 'Q') return false;
      ++letters;
    }
    const size_t digits = s.size() - letters;
    return letters <= 2 && digits >= 1 && digits <= 4 && s[letters] != '0' &&
           std::all_of(s.begin() + letters, s.end(), IsDigit);
  }
  if (cps.size() < 7 || cps.size() > 8) return false;
  if (cps[1].size() != 1 || !IsPlateLetter(cps[1][0])) return false;
  const std::string& last = cps.back();
  if (cps.size() == 7) {
    if (AllAscii(cps, 2, 7)) {
      for (size_t i = 2; i < 7; ++i) {
        if (!IsPlateAlnum(cps[i][0])) return false;
      }
      return true;
    }
    // Trailer, learner, police, cross-boundary: four Latin characters then the suffix.
    if (!AllAscii(cps, 2, 6)) return false;
    for (size_t i = 2; i < 6; ++i) {
      if (!IsPlateAlnum(cps[i][0])) return false;
    }
    if (last == "挂" || last == "学" || last == "警") return true;
    if ((last == "港" || last == "澳") && cps[0] == "粤" && cps[1] == "Z") return true;
    return false;
  }
  // New energy, 8 characters: [DF...] + letter/digit + 4 digits, or 5 digits + [DF].
  if (!AllAscii(cps, 2, 8)) return false;
  std::string t;
  for (size_t i = 2; i < 8; ++i) t += cps[i];
  const bool small = IsPlateLetter(t[0]) && IsPlateAlnum(t[1]) &&
                     std::all_of(t.begin() + 2, t.end(), IsDigit);
  const bool large = std::all_of(t.begin(), t.begin() + 5, IsDigit) && IsPlateLetter(t[5]);
  return small || large;
}

std::string NormalizePlate(std::string_view plate) {
  std::string out;
  out.reserve(plate.size());
  for (size_t i = 0; i < plate.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(plate[i]);
    if (c == ' ' || c == '-' || c == '.' || c == '\t') continue;
    // U+00B7 MIDDLE DOT, the separator printed on Chinese plates.
    if (c == 0xC2 && i + 1 < plate.size() && static_cast<unsigned char>(plate[i + 1]) == 0xB7) {
      ++i;
      continue;
    }
    out.push_back(c < 0x80 ? static_cast<char>(std::toupper(c)) : static_cast<char>(c));
  }
  return out;
}

std::string_view ProvincePinyin(std::string_view province) {
  static const std::pair<std::string_view, std::string_view> kPinyin[] = {
      {"京", "JING"}, {"津", "JIN"},   {"冀", "JI"},    {"晋", "JIN"},   {"蒙", "MENG"},
      {"辽", "LIAO"}, {"吉", "JI"},    {"黑", "HEI"},   {"沪", "HU"},    {"苏", "SU"},
      {"浙", "ZHE"},  {"皖", "WAN"},   {"闽", "MIN"},   {"赣", "GAN"},   {"鲁", "LU"},
      {"豫", "YU"},   {"鄂", "E"},     {"湘", "XIANG"}, {"粤", "YUE"},   {"桂", "GUI"},
      {"琼", "QIONG"}, {"渝", "YU"},   {"川", "CHUAN"}, {"贵", "GUI"},   {"云", "YUN"},
      {"藏", "ZANG"}, {"陕", "SHAAN"}, {"甘", "GAN"},   {"青", "QING"},  {"宁", "NING"},
      {"新", "XIN"}};
  for (const auto& [character, pinyin] : kPinyin) {
    if (character == province) return pinyin;
  }
  return {};
}

bool IsHongKongOrMacauPlate(std::string_view plate) {
  const auto& provinces = ProvinceCharacters();
  const std::vector<std::string> cps = SplitCodePoints(plate);
  return IsValidPlate(plate) && !cps.empty() &&
         std::find(provinces.begin(), provinces.end(), cps[0]) == provinces.end();
}

}  // namespace yardgate::common
