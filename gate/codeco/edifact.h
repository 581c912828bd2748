// UN/EDIFACT syntax (ISO 9735, syntax versions 1 to 3): service characters, segments,
// release-character escaping, the character repertoires UNOA/UNOB/UNOC, and a reader for whole
// interchanges. It knows nothing of CODECO: codeco.h builds segments and writes them with
// SerializeSegment; codeco_reader.h checks and decodes what ParseInterchange returns.
//
//   absl::StatusOr<Interchange> in = ParseInterchange(file_text);
//   for (const Message& m : in->messages) {
//     for (const Segment& s : m.segments) std::cout << s.tag << " " << s.Value(0) << "\n";
//   }
//
// The reader is lenient where real interchanges vary and honest where they are broken: UNA is
// optional and honoured when present, line breaks between segments are skipped, values under
// UNOC are converted from ISO 8859-1 to UTF-8 and under any other identifier kept as they are
// (the checker judges them); a dangling release character, a truncated segment, a segment
// outside UNH..UNT or a missing UNZ is an error naming its byte offset.
//
// Thread safety: plain values and pure functions, safe from any thread.
#ifndef YARDGATE_GATE_CODECO_EDIFACT_H_
#define YARDGATE_GATE_CODECO_EDIFACT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace yardgate::gate::codeco {

// The service characters, as UNA states them. The defaults are ISO 9735's (UNA:+.? ').
struct Delimiters {
  char component = ':';
  char element = '+';
  char decimal = '.';
  char release = '?';  // '\0' when an interchange's UNA says it has none (a space there)
  char reserved = ' ';
  char terminator = '\'';
};

// One segment: its tag and its data elements, each a list of components. Values are plain
// text (no release characters), UTF-8 when built in code or read from UNOC.
struct Segment {
  std::string tag;
  std::vector<std::vector<std::string>> elements;
  size_t offset = 0;  // where it began in the parsed text; 0 for a segment built in code

  // Component `component` of data element `element`, both counted from 0 after the tag, or
  // "" when the segment does not have it.
  std::string_view Value(size_t element, size_t component = 0) const;
};

// The character repertoires a CODECO partner may ask for (ISO 9735 levels A, B and C).
//   UNOA: A-Z 0-9 space . , - ( ) / = ' + : ? ! " % & * ; < >
//   UNOB: UNOA and a-z
//   UNOC: ISO 8859-1, i.e. U+0020..U+007E and U+00A0..U+00FF
// UNOA and UNOB are taken as ISO 9735's explicit lists, without the other characters of the
// ISO 646 invariant set (such as _), because a strict writer should not guess.
enum class CharacterSet { kUnoa, kUnob, kUnoc };

// "UNOA" -> kUnoa; nullopt for any other identifier.
std::optional<CharacterSet> CharacterSetFromIdentifier(std::string_view identifier);
std::string_view CharacterSetIdentifier(CharacterSet set);

// OK when every character of UTF-8 `value` is in `set`; otherwise InvalidArgument naming the
// first character that is not (with its code point) or the byte where UTF-8 breaks.
absl::Status CheckCharacters(std::string_view value, CharacterSet set);

// "UNA" and the six service characters, e.g. "UNA:+.? '".
std::string UnaSegment(const Delimiters& delimiters);

// The segment as it goes on the wire: tag, elements and components joined by the delimiters,
// trailing empty elements and components left out, every service character in a value
// preceded by the release character, and the terminator. Under UNOC the UTF-8 values are
// written as ISO 8859-1 bytes.
// REQUIRES: every value passes CheckCharacters(value, set) and delimiters.release != '\0'.
std::string SerializeSegment(const Segment& segment, const Delimiters& delimiters, CharacterSet set);

// One message, UNH to UNT inclusive.
struct Message {
  std::vector<Segment> segments;
};

struct Interchange {
  Delimiters delimiters;
  bool has_una = false;
  Segment header;  // UNB
  std::vector<Message> messages;
  Segment trailer;  // UNZ

  // UNB S001 0001, e.g. "UNOA".
  std::string_view SyntaxIdentifier() const { return header.Value(0, 0); }
};

// Reads a whole interchange (optional UNA, UNB, messages, UNZ). Functional groups (UNG/UNE)
// are not supported and are an error. Does not check counts, references or message content:
// that is CheckCodeco's job (codeco_reader.h).
absl::StatusOr<Interchange> ParseInterchange(std::string_view text);

}  // namespace yardgate::gate::codeco

#endif  // YARDGATE_GATE_CODECO_EDIFACT_H_
