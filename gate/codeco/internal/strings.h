// Small string helpers for the codec.
//
// std::string_view into abseil. Debian's abseil has its own absl::string_view (not
// std::string_view), which absl::StrCat, StrSplit and SimpleAtoi take and std::string_view does
// not convert to; this codec's values are std::string_view.
//
// Private to gate/codeco. Pure functions, safe from any thread.
#ifndef YARDGATE_GATE_CODECO_INTERNAL_STRINGS_H_
#define YARDGATE_GATE_CODECO_INTERNAL_STRINGS_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace yardgate::gate::codeco::internal {

// std::string_view as absl::string_view; anything else as it is.
template <typename T>
decltype(auto) ToAbsl(const T& value) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return absl::string_view(value.data(), value.size());
  } else {
    return (value);
  }
}

template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(ToAbsl(args)...);
}

template <typename... Args>
void Append(std::string* out, const Args&... args) {
  absl::StrAppend(out, ToAbsl(args)...);
}

// How many characters (code points) UTF-8 `s` holds.
inline size_t CharacterCount(std::string_view s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The first `n` characters of UTF-8 `s` (all of it when it is shorter).
inline std::string FirstCharacters(std::string_view s, size_t n) {
  size_t end = 0;
  for (size_t seen = 0; end < s.size(); ++end) {
    if ((static_cast<unsigned char>(s[end]) & 0xC0) != 0x80 && seen++ == n) break;
  }
  return std::string(s.substr(0, end));
}

}  // namespace yardgate::gate::codeco::internal

#endif  // YARDGATE_GATE_CODECO_INTERNAL_STRINGS_H_
