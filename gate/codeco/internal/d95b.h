// The parts of the UN/EDIFACT D.95B directory that yardgate writes and checks: the formats of
// the service segments and of the segments a CODECO gate report uses (element by element,
// with D.95B's lengths), and the CODECO message structure as domain.md §14 summarises it.
// The writer (codeco.cc) and the checker (codeco_reader.cc) both judge segments with these
// tables, so the two cannot disagree about a length.
//
// Private to gate/codeco. Pure functions over constant tables, safe from any thread.
#ifndef YARDGATE_GATE_CODECO_INTERNAL_D95B_H_
#define YARDGATE_GATE_CODECO_INTERNAL_D95B_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gate/codeco/edifact.h"

namespace yardgate::gate::codeco::internal {

// One thing wrong with a segment, located by data element and component (counted from 0
// after the tag; component 0 when the problem is about a whole element).
struct SegmentProblem {
  size_t element = 0;
  size_t component = 0;
  std::string text;  // names the D.95B element, e.g. "SEL 9308 seal number 'X': ..."
};

// The most characters D.95B allows in data element `element`, component `component` (from 0
// after the tag) of segment `tag`: MaxLength("SEL", 0, 0) is 10 (9308 an..10).
// REQUIRES: the tables define that segment, element and component.
size_t MaxLength(std::string_view tag, size_t element, size_t component);

// Judges `segment` against its D.95B format: how many elements and components it may have,
// mandatory ones present, representation (a, n, an) and length; and, when `set` is given,
// every value's characters. A segment the tables do not know is judged on characters only.
std::vector<SegmentProblem> CheckSegment(const Segment& segment, std::optional<CharacterSet> set);

// Judges a message's segments (UNH..UNT) against the D.95B CODECO structure: order, mandatory
// segments and groups, and how often each may repeat. Each problem names the segment by its
// position in the message (UNH = 1).
std::vector<std::string> CheckCodecoStructure(const std::vector<Segment>& segments);

}  // namespace yardgate::gate::codeco::internal

#endif  // YARDGATE_GATE_CODECO_INTERNAL_D95B_H_
