// Reading CODECO back: a checker that judges a parsed interchange against D.95B, and a decoder
// that turns its messages back into GateMoves.
//
//   absl::StatusOr<Interchange> in = ParseInterchange(file_text);   // edifact.h
//   absl::Status ok = CheckCodeco(*in);                              // every problem, or OK
//   absl::StatusOr<std::vector<GateMove>> moves = DecodeGateMoves(*in, partner.time_zone);
//
// CheckCodeco is strict (it is what the outbox runs over every message it wrote). It judges:
// UNZ's message count and reference against UNB; each message's UNT segment count and
// reference against UNH, UNH's message identifier (CODECO D 95B UN), BGM 34 or 36, CNT+16
// against the number of EQDs, the D.95B CODECO segment order with its mandatory segments and
// repeats, the formats and lengths of the segments yardgate writes, DTM values against their
// format code, and every value's characters against the syntax identifier's set.
//
// DecodeGateMoves is lenient: it reads what it understands and passes over segments it does
// not, but it does not guess: a code it cannot map (EQD status 7, seal party XX) or a value it
// cannot read (a date, a weight with a fraction of a kilogram) is an error naming the message,
// the segment and the value. A plate comes back as the partner received it (transliterated).
//
// Thread safety: pure functions, safe from any thread.
#ifndef YARDGATE_GATE_CODECO_CODECO_READER_H_
#define YARDGATE_GATE_CODECO_CODECO_READER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gate/codeco/codeco.h"
#include "gate/codeco/edifact.h"

namespace yardgate::gate::codeco {

// OK, or InvalidArgument listing every problem found, each naming the message, the segment
// (by its position in the message, UNH = 1) and the value.
absl::Status CheckCodeco(const Interchange& interchange);

// The moves of every message, in order. Times (DTM 203/204, the e-lock's HH:MM) are read in
// `zone`; an e-lock time is taken on the day that puts it nearest the gate time.
absl::StatusOr<std::vector<GateMove>> DecodeGateMoves(const Interchange& interchange, absl::TimeZone zone);

}  // namespace yardgate::gate::codeco

#endif  // YARDGATE_GATE_CODECO_CODECO_READER_H_
