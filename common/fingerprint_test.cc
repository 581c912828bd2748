#include "common/fingerprint.h"

#include <gtest/gtest.h>

namespace yardgate::common {
namespace {

// Pinned values: they must never change, because stored idempotency request hashes and the
// risk draws of past visits depend on them (see kFnvOffsetBasis).
TEST(Fingerprint, ValuesNeverChange) {
  EXPECT_EQ(Fnv1a64(""), kFnvOffsetBasis);
  EXPECT_EQ(FingerprintHex("a"), "44bd8ad473cd9906");
  EXPECT_EQ(Fnv1a64("a", 14695981039346656037ull), 0xaf63dc4c8601ec8cull);  // the published vector
}

TEST(Fingerprint, ContinuesFromAState) { EXPECT_EQ(Fnv1a64("bar", Fnv1a64("foo")), Fnv1a64("foobar")); }

}  // namespace
}  // namespace yardgate::common
