#include "common/fingerprint.h"

#include "absl/strings/str_format.h"

namespace yardgate::common {

uint64_t Fnv1a64(std::string_view bytes, uint64_t state) {
  for (unsigned char c : bytes) {
    state ^= c;
    state *= 1099511628211ull;
  }
  return state;
}

std::string FingerprintHex(std::string_view bytes) { return absl::StrFormat("%016x", Fnv1a64(bytes)); }

}  // namespace yardgate::common
