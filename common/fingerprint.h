// Stable 64-bit fingerprints of bytes (FNV-1a): equal across runs, builds and platforms,
// unlike std::hash. For idempotency request hashes and reproducible draws; not a
// cryptographic hash (nothing secret rests on it).
//
// Plain functions, safe from any thread.
#ifndef YARDGATE_COMMON_FINGERPRINT_H_
#define YARDGATE_COMMON_FINGERPRINT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace yardgate::common {

// FNV-1a's published offset basis is 14695981039346656037; yardgate has always started from
// this value (one digit short). It is kept: stored idempotency request hashes and the
// reproducible risk draws of past visits depend on it. The mixing is FNV-1a's.
inline constexpr uint64_t kFnvOffsetBasis = 1469598103934665603ull;

// FNV-1a over `bytes`, continuing from `state` (so fields can be mixed in one after another).
uint64_t Fnv1a64(std::string_view bytes, uint64_t state = kFnvOffsetBasis);

// Fnv1a64 as 16 lower-case hex digits.
std::string FingerprintHex(std::string_view bytes);

}  // namespace yardgate::common

#endif  // YARDGATE_COMMON_FINGERPRINT_H_
