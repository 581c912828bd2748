// JSON string literals for the tools' and the console's output.
//
// Text in yardgate is UTF-8, but bytes from devices are not always text (an e-lock's auth
// code may hold 0xff). JsonString always produces valid JSON: well-formed UTF-8 passes through,
// control characters and every byte that is not part of a well-formed UTF-8 sequence are
// written as \u00XX escapes (the byte's value), so nothing is dropped silently.
//
// Plain functions, safe from any thread.
#ifndef YARDGATE_COMMON_JSON_H_
#define YARDGATE_COMMON_JSON_H_

#include <string>
#include <string_view>

namespace yardgate::common {

// `s` as a JSON string literal, quotes included.
std::string JsonString(std::string_view s);

}  // namespace yardgate::common

#endif  // YARDGATE_COMMON_JSON_H_
