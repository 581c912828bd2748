#include "gate/codeco/edifact.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "gate/codeco/internal/strings.h"

namespace yardgate::gate::codeco {
namespace {

constexpr std::string_view kLevelAPunctuation = " .,-()/='+:?!\"%&*;<>";

// Decodes the UTF-8 sequence at s[i], advancing i; nullopt for a malformed one (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
std::optional<char32_t> NextCodePoint(std::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  size_t length = 0;
  char32_t cp = 0;
  char32_t least = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2, cp = c & 0x1F, least = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3, cp = c & 0x0F, least = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4, cp = c & 0x07, least = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + length > s.size()) return std::nullopt;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += length;
  return cp;
}

bool InSet(char32_t cp, CharacterSet set) {
  switch (set) {
    case CharacterSet::kUnoc:
      return (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xFF);
    case CharacterSet::kUnob:
      if (cp >= 'a' && cp <= 'z') return true;
      [[fallthrough]];
    case CharacterSet::kUnoa:
      return (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
             (cp < 0x80 && kLevelAPunctuation.find(static_cast<char>(cp)) != std::string_view::npos);
  }
  return false;
}

// UTF-8 -> ISO 8859-1. REQUIRES: CheckCharacters(s, kUnoc) is OK.
std::string ToLatin1(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    out.push_back(static_cast<char>(*NextCodePoint(s, i)));
  }
  return out;
}

std::string FromLatin1(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool IsLineBreak(char c) { return c == '\r' || c == '\n'; }

absl::Status ErrorAt(size_t offset, std::string_view what) {
  return absl::InvalidArgumentError(internal::Cat("EDIFACT at byte ", offset, ": ", what));
}

// Splits text[pos..] into segments with `d`, undoing release characters.
absl::StatusOr<std::vector<Segment>> SplitSegments(std::string_view text, size_t pos, const Delimiters& d) {
  std::vector<Segment> segments;
  while (true) {
    while (pos < text.size() && IsLineBreak(text[pos])) ++pos;
    if (pos >= text.size()) break;
    const size_t start = pos;
    std::vector<std::vector<std::string>> elements(1, std::vector<std::string>(1));
    bool terminated = false;
    while (pos < text.size()) {
      const char c = text[pos++];
      if (d.release != '\0' && c == d.release) {
        if (pos >= text.size()) return ErrorAt(pos - 1, "the text ends in a release character");
        elements.back().back().push_back(text[pos++]);
      } else if (c == d.component) {
        elements.back().emplace_back();
      } else if (c == d.element) {
        elements.emplace_back(1);
      } else if (c == d.terminator) {
        terminated = true;
        break;
      } else {
        elements.back().back().push_back(c);
      }
    }
    const std::string& tag = elements[0][0];
    if (!terminated) {
      return ErrorAt(
          start, internal::Cat("segment '", tag.substr(0, 3), "' is not terminated (the text is cut short)"));
    }
    const bool tag_ok = tag.size() == 3 && elements[0].size() == 1 &&
                        std::all_of(tag.begin(), tag.end(),
                                    [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
    if (!tag_ok) {
      return ErrorAt(start, internal::Cat("'", absl::CHexEscape(tag), "' is not a segment tag"));
    }
    Segment segment;
    segment.tag = tag;
    segment.elements.assign(elements.begin() + 1, elements.end());
    segment.offset = start;
    segments.push_back(std::move(segment));
  }
  return segments;
}

}  // namespace

std::string_view Segment::Value(size_t element, size_t component) const {
  if (element >= elements.size() || component >= elements[element].size()) return {};
  return elements[element][component];
}

std::optional<CharacterSet> CharacterSetFromIdentifier(std::string_view identifier) {
  if (identifier == "UNOA") return CharacterSet::kUnoa;
  if (identifier == "UNOB") return CharacterSet::kUnob;
  if (identifier == "UNOC") return CharacterSet::kUnoc;
  return std::nullopt;
}

std::string_view CharacterSetIdentifier(CharacterSet set) {
  switch (set) {
    case CharacterSet::kUnoa:
      return "UNOA";
    case CharacterSet::kUnob:
      return "UNOB";
    case CharacterSet::kUnoc:
      return "UNOC";
  }
  return "";
}

absl::Status CheckCharacters(std::string_view value, CharacterSet set) {
  for (size_t i = 0; i < value.size();) {
    const size_t at = i;
    const std::optional<char32_t> cp = NextCodePoint(value, i);
    if (!cp) {
      return absl::InvalidArgumentError(
          absl::StrFormat("byte %d is not valid UTF-8 (0x%02x)", at, static_cast<unsigned char>(value[at])));
    }
    if (!InSet(*cp, set)) {
      const std::string shown = *cp >= 0x20 && *cp != 0x7F
                                    ? std::string(value.substr(at, i - at))
                                    : absl::CHexEscape(internal::ToAbsl(value.substr(at, i - at)));
      return absl::InvalidArgumentError(absl::StrFormat(
          "'%s' (U+%04X) is not in %s", shown, static_cast<uint32_t>(*cp), CharacterSetIdentifier(set)));
    }
  }
  return absl::OkStatus();
}

std::string UnaSegment(const Delimiters& d) {
  return std::string{'U', 'N', 'A', d.component, d.element, d.decimal, d.release, d.reserved, d.terminator};
}

std::string SerializeSegment(const Segment& segment, const Delimiters& d, CharacterSet set) {
  const auto escape = [&](std::string_view value) {
    std::string out;
    for (const char c : value) {
      if (c == d.component || c == d.element || c == d.release || c == d.terminator) {
        out.push_back(d.release);
      }
      out.push_back(c);
    }
    return set == CharacterSet::kUnoc ? ToLatin1(out) : out;
  };
  size_t elements = segment.elements.size();
  while (elements > 0 &&
         segment.elements[elements - 1] == std::vector<std::string>(segment.elements[elements - 1].size())) {
    --elements;
  }
  std::string out = segment.tag;
  for (size_t e = 0; e < elements; ++e) {
    const std::vector<std::string>& components = segment.elements[e];
    size_t used = components.size();
    while (used > 0 && components[used - 1].empty()) --used;
    out.push_back(d.element);
    for (size_t c = 0; c < used; ++c) {
      if (c > 0) out.push_back(d.component);
      out += escape(components[c]);
    }
  }
  out.push_back(d.terminator);
  return out;
}

absl::StatusOr<Interchange> ParseInterchange(std::string_view text) {
  Interchange in;
  size_t pos = 0;
  if (text.substr(0, 3) == "UNA") {
    if (text.size() < 9) return ErrorAt(0, "UNA needs six service characters");
    Delimiters& d = in.delimiters;
    d.component = text[3];
    d.element = text[4];
    d.decimal = text[5];
    d.release = text[6] == ' ' ? '\0' : text[6];
    d.reserved = text[7];
    d.terminator = text[8];
    const std::string_view service = text.substr(3, 6);
    for (const char c : {d.component, d.element, d.terminator}) {
      if (service.find(c) != service.rfind(c)) {
        return ErrorAt(3, internal::Cat("UNA uses '", std::string(1, c), "' for two service characters"));
      }
    }
    in.has_una = true;
    pos = 9;
  }
  absl::StatusOr<std::vector<Segment>> segments = SplitSegments(text, pos, in.delimiters);
  if (!segments.ok()) return segments.status();
  if (segments->empty() || segments->front().tag != "UNB") {
    return ErrorAt(segments->empty() ? pos : segments->front().offset,
                   "an interchange starts with UNB (after an optional UNA)");
  }
  if (segments->size() < 2 || segments->back().tag != "UNZ") {
    return ErrorAt(segments->back().offset, "the interchange does not end with UNZ");
  }
  if (CharacterSetFromIdentifier(segments->front().Value(0, 0)) == CharacterSet::kUnoc) {
    for (Segment& s : *segments) {
      for (auto& element : s.elements) {
        for (std::string& component : element) component = FromLatin1(component);
      }
    }
  }
  in.header = std::move(segments->front());
  in.trailer = std::move(segments->back());
  Message* open = nullptr;
  for (size_t i = 1; i + 1 < segments->size(); ++i) {
    Segment& s = (*segments)[i];
    if (s.tag == "UNG" || s.tag == "UNE") {
      return ErrorAt(s.offset, "functional groups (UNG/UNE) are not supported");
    }
    if (s.tag == "UNH") {
      if (open != nullptr) return ErrorAt(s.offset, "UNH before the previous message's UNT");
      open = &in.messages.emplace_back();
    } else if (open == nullptr) {
      return ErrorAt(s.offset, internal::Cat("segment ", s.tag, " is outside a message (UNH..UNT)"));
    }
    const bool ends = s.tag == "UNT";
    open->segments.push_back(std::move(s));
    if (ends) open = nullptr;
  }
  if (open != nullptr) {
    return ErrorAt(in.trailer.offset, "the last message has no UNT");
  }
  return in;
}

}  // namespace yardgate::gate::codeco
