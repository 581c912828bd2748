// Test fixtures for gate/codeco: partners, moves and references of the golden files in
// testdata/, and the helpers that read those files. Test-only (linked into codeco_test).
#ifndef YARDGATE_GATE_CODECO_CODECO_FIXTURES_H_
#define YARDGATE_GATE_CODECO_CODECO_FIXTURES_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gate/codeco/codeco.h"

namespace yardgate::gate::codeco {

// Readable GateMoves in test failures.
void PrintTo(const GateMove& m, std::ostream* os);

}  // namespace yardgate::gate::codeco

namespace yardgate::gate::codeco::testing {

using Entries = std::vector<std::pair<std::string, std::string>>;

// The [codeco carrierx] section of domain.md §14's example: UNOA:2, ITG14, pinyin plates,
// times at +08:00, a line break after each segment. `extra` entries are appended (or replace
// one of the same key).
Entries CarrierXEntries(const Entries& extra = {});
PartnerProfile CarrierX(const Entries& extra = {});

// A minute in Shenzhen (+08:00) as absl::Time.
absl::Time Shenzhen(int year, int month, int day, int hour, int minute);

// domain.md §14's gate-in: full export CSQU3054383 with a carrier seal, a customs e-lock,
// a dent, on vessel 412E, truck 粤BG3891.
GateMove ExampleGateIn();
InterchangeRefs ExampleRefs();

// A returning empty (TGHU1643396), no seal, a return reference, no vessel.
GateMove EmptyReturn();

// An import pick-up (gate-out) of OOLU1234567 with a release and a B/L.
GateMove ImportPickUp();

// One message reference per message, "M1", "M2"..., with document numbers "D1", "D2"...
InterchangeRefs Refs(std::string interchange, size_t messages);

// $YARDGATE_SOURCE_DIR/gate/codeco/testdata/<name>, or "" when the variable is unset.
std::string TestdataPath(const std::string& name);
// The file's bytes; a failure message (and "") when it cannot be read.
std::string ReadTestdata(const std::string& name);

}  // namespace yardgate::gate::codeco::testing

#endif  // YARDGATE_GATE_CODECO_CODECO_FIXTURES_H_
