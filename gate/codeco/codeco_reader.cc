#include "gate/codeco/codeco_reader.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gate/codeco/internal/codes.h"
#include "gate/codeco/internal/d95b.h"
#include "gate/codeco/internal/strings.h"

namespace yardgate::gate::codeco {
namespace {

// A DTM value in format 102 (CCYYMMDD), 203 (CCYYMMDDHHMM) or 204 (CCYYMMDDHHMMSS), read in
// `zone`; nullopt for another format code or a value that is not such a date. (absl::ParseTime
// cannot read these: its %Y takes every digit there is.)
std::optional<absl::Time> ParseStamp(std::string_view value, std::string_view format, absl::TimeZone zone) {
  const size_t digits = format == "102" ? 8 : format == "203" ? 12 : format == "204" ? 14 : 0;
  if (digits == 0 || value.size() != digits ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int f[6] = {0, 1, 1, 0, 0, 0};  // year, month, day, hour, minute, second
  for (size_t i = 0, at = 0; at < digits; ++i) {
    const size_t width = i == 0 ? 4 : 2;
    f[i] = std::stoi(std::string(value.substr(at, width)));
    at += width;
  }
  const absl::CivilSecond civil(f[0], f[1], f[2], f[3], f[4], f[5]);
  // CivilSecond normalises 2024-13-15 into 2025-01-15; a value that needed it is no date.
  if (civil.year() != f[0] || civil.month() != f[1] || civil.day() != f[2] || civil.hour() != f[3] ||
      civil.minute() != f[4] || civil.second() != f[5]) {
    return std::nullopt;
  }
  return absl::FromCivil(civil, zone);
}

// HH:MM on the civil day of `near` in `zone`, moved by a day where that puts it nearer.
std::optional<absl::Time> ParseClockNear(std::string_view hh_mm, absl::Time near, absl::TimeZone zone) {
  if (hh_mm.size() != 5 || hh_mm[2] != ':') return std::nullopt;
  const std::optional<absl::Time> t = ParseStamp(
      internal::Cat(absl::FormatTime("%Y%m%d", near, zone), hh_mm.substr(0, 2), hh_mm.substr(3, 2)), "203",
      zone);
  if (!t) return std::nullopt;
  if (*t - near > absl::Hours(12)) return *t - absl::Hours(24);
  if (near - *t > absl::Hours(12)) return *t + absl::Hours(24);
  return t;
}

// A seal id as a partner with long_seals = truncate receives it in SEL.
std::string AsTruncated(std::string_view id) {
  return internal::FirstCharacters(id, internal::MaxLength("SEL", 0, 0));
}

// UNH 0062.
std::string_view MessageReference(const Message& m) {
  return m.segments.empty() ? "" : m.segments.front().Value(0);
}

std::string MessageName(size_t index, const Message& m) {
  return internal::Cat("message ", index + 1, " (", MessageReference(m), ")");
}

void CheckMessage(const Message& message, const std::string& where, std::optional<CharacterSet> set,
                  std::vector<std::string>& problems) {
  const std::vector<Segment>& segments = message.segments;
  if (segments.size() < 2 || segments.front().tag != "UNH" || segments.back().tag != "UNT") {
    problems.push_back(internal::Cat(where, ": a message runs from UNH to UNT"));
    return;
  }
  const auto at = [&](size_t i) {
    return internal::Cat(where, " segment ", i + 1, " ", segments[i].tag, ": ");
  };
  size_t equipment = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    for (const internal::SegmentProblem& p : internal::CheckSegment(s, set)) {
      problems.push_back(internal::Cat(at(i), p.text));
    }
    if (s.tag == "EQD") ++equipment;
    if (s.tag == "DTM" && !s.Value(0, 1).empty() &&
        !ParseStamp(s.Value(0, 1), s.Value(0, 2), absl::UTCTimeZone())) {
      problems.push_back(internal::Cat(at(i), "'", s.Value(0, 1), "' is not a date/time in format '",
                                       s.Value(0, 2), "' (102, 203 or 204)"));
    }
    if (s.tag == "BGM" && s.Value(0) != "34" && s.Value(0) != "36") {
      problems.push_back(
          internal::Cat(at(i), "document name '", s.Value(0), "' is not 34 (gate-in) or 36 (gate-out)"));
    }
  }
  for (const std::string& p : internal::CheckCodecoStructure(segments)) {
    problems.push_back(internal::Cat(where, ": ", p));
  }

  const Segment& unh = segments.front();
  const Segment& unt = segments.back();
  const std::string identifier =
      internal::Cat(unh.Value(1, 0), ":", unh.Value(1, 1), ":", unh.Value(1, 2), ":", unh.Value(1, 3));
  if (identifier != "CODECO:D:95B:UN") {
    problems.push_back(
        internal::Cat(where, ": UNH message identifier '", identifier, "' is not CODECO:D:95B:UN"));
  }
  size_t counted = 0;
  if (!absl::SimpleAtoi(internal::ToAbsl(unt.Value(0)), &counted) || counted != segments.size()) {
    problems.push_back(internal::Cat(where, ": UNT counts '", unt.Value(0), "' segments; the message has ",
                                     segments.size(), " (UNH to UNT)"));
  }
  if (unt.Value(1) != unh.Value(0)) {
    problems.push_back(
        internal::Cat(where, ": UNT reference '", unt.Value(1), "' is not UNH's '", unh.Value(0), "'"));
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.tag != "CNT" || s.Value(0, 0) != "16") continue;
    size_t boxes = 0;
    if (!absl::SimpleAtoi(internal::ToAbsl(s.Value(0, 1)), &boxes) || boxes != equipment) {
      problems.push_back(internal::Cat(at(i), "CNT+16 counts '", s.Value(0, 1), "' boxes; the message has ",
                                       equipment, " EQD"));
    }
  }
}

// Reads one message's header and boxes into GateMoves.
class MessageDecoder {
 public:
  MessageDecoder(const Message& message, std::string name, absl::TimeZone zone)
      : message_(message), name_(std::move(name)), zone_(zone) {}

  absl::Status Decode(std::vector<GateMove>& out) {
    for (index_ = 0; index_ < message_.segments.size(); ++index_) {
      const Segment& s = message_.segments[index_];
      absl::Status status = s.tag == "BGM"   ? ReadBgm(s)
                            : s.tag == "EQD" ? StartBox(s)
                            : boxes_.empty() ? ReadHeader(s)
                                             : ReadBox(s, boxes_.back());
      if (!status.ok()) return status;
    }
    for (Box& box : boxes_) {
      if (absl::Status s = Finish(box); !s.ok()) return s;
      out.push_back(std::move(box.move));
    }
    return absl::OkStatus();
  }

 private:
  struct Box {
    GateMove move;
    size_t eqd = 0;  // its EQD's index, for errors
    bool has_gate_time = false;
    std::vector<Seal> free_text_seals;      // "SEAL CA <id>"
    std::optional<std::string> elock_time;  // HH:MM
  };

  absl::Status Error(std::string_view what) const {
    const Segment& s = message_.segments[index_];
    return absl::InvalidArgumentError(internal::Cat(name_, " segment ", index_ + 1, " ", s.tag, ": ", what));
  }

  template <typename E, size_t N>
  absl::Status Code(const internal::CodeTable<E, N>& table, std::string_view code, std::string_view what,
                    E& out) {
    if (code.empty()) return absl::OkStatus();  // stays unspecified
    const std::optional<E> e = internal::EnumOf(table, code);
    if (!e) return Error(internal::Cat(what, " '", code, "' is not a code this reader knows"));
    out = *e;
    return absl::OkStatus();
  }

  absl::Status ReadBgm(const Segment& s) {
    if (absl::Status st = Code(internal::kDirectionCodes, s.Value(0), "document name", header_.direction);
        !st.ok()) {
      return st;
    }
    return Code(internal::kFunctionCodes, s.Value(2), "message function", header_.function);
  }

  absl::Status ReadHeader(const Segment& s) {
    if (s.tag == "TDT" && s.Value(0) == "20") {
      header_.vessel =
          Vessel{std::string(s.Value(1)), std::string(s.Value(7, 0)), std::string(s.Value(7, 3))};
    } else if (s.tag == "RFF" && s.Value(0, 0) == "VON" && header_.vessel && header_.vessel->voyage.empty()) {
      header_.vessel->voyage = std::string(s.Value(0, 1));
    } else if (s.tag == "LOC" && s.Value(0) == "9") {
      header_.load_port = std::string(s.Value(1, 0));
    } else if (s.tag == "NAD" && s.Value(0) == "CF") {
      header_.operator_code = std::string(s.Value(1, 0));
    }
    return absl::OkStatus();
  }

  absl::Status StartBox(const Segment& s) {
    if (s.Value(0) != "CN") {
      return Error(internal::Cat("equipment qualifier '", s.Value(0), "' is not CN (container)"));
    }
    Box& box = boxes_.emplace_back();
    box.eqd = index_;
    GateMove& m = box.move;
    m = header_;
    m.container_number = std::string(s.Value(1, 0));
    m.size_type = std::string(s.Value(2, 0));
    if (absl::Status st = Code(internal::kSupplierCodes, s.Value(3), "equipment supplier", m.supplier);
        !st.ok()) {
      return st;
    }
    if (absl::Status st = Code(internal::kTradeStatusCodes, s.Value(4), "equipment status", m.trade_status);
        !st.ok()) {
      return st;
    }
    return Code(internal::kFullEmptyCodes, s.Value(5), "full/empty indicator", m.full_empty);
  }

  absl::Status ReadBox(const Segment& s, Box& box) {
    GateMove& m = box.move;
    if (s.tag == "RFF") {
      m.references.push_back({std::string(s.Value(0, 0)), std::string(s.Value(0, 1))});
    } else if (s.tag == "TMD") {
      return Code(internal::kHaulageCodes, s.Value(2), "haulage arrangement", m.haulage);
    } else if (s.tag == "DTM" && s.Value(0, 0) == "7") {
      const std::optional<absl::Time> t = ParseStamp(s.Value(0, 1), s.Value(0, 2), zone_);
      if (!t) {
        return Error(internal::Cat("'", s.Value(0, 1), "' is not a time in format '", s.Value(0, 2), "'"));
      }
      m.gate_time = *t;
      box.has_gate_time = true;
    } else if (s.tag == "LOC") {
      const std::string place(s.Value(1, 0));
      if (s.Value(0) == "165") {
        m.gate_locode = place;
        m.terminal = std::string(s.Value(2, 0));
      } else if (s.Value(0) == "9") {
        m.load_port = place;
      } else if (s.Value(0) == "11") {
        m.discharge_port = place;
      }
    } else if (s.tag == "MEA" && s.Value(0) == "AAE" && s.Value(1) == "G") {
      return ReadWeight(s, m);
    } else if (s.tag == "SEL") {
      Seal& seal = m.seals.emplace_back();
      seal.id = std::string(s.Value(0));
      return Code(internal::kSealPartyCodes, s.Value(1, 0), "sealing party", seal.party);
    } else if (s.tag == "FTX" && s.Value(0) == "AAI") {
      return ReadFreeText(
          absl::StrJoin(s.elements.size() > 3 ? s.elements[3] : std::vector<std::string>{}, ""), box);
    } else if (s.tag == "DAM") {
      m.damages.push_back(
          {std::string(s.Value(1, 0)), std::string(s.Value(2, 0)), std::string(s.Value(3, 0))});
    } else if (s.tag == "TDT") {
      m.truck_plate = std::string(s.Value(7, 0).empty() ? s.Value(7, 3) : s.Value(7, 0));
    } else if (s.tag == "NAD" && s.Value(0) == "CA") {
      m.haulier = std::string(s.Value(1, 0));
    }
    return absl::OkStatus();
  }

  absl::Status ReadWeight(const Segment& s, GateMove& m) {
    if (s.Value(2, 0) != "KGM") return Error(internal::Cat("weight unit '", s.Value(2, 0), "' is not KGM"));
    const std::string_view value = s.Value(2, 1);
    const size_t mark = value.find_first_of(".,");
    const std::string_view whole = value.substr(0, mark);
    const std::string_view fraction = mark == std::string_view::npos ? "" : value.substr(mark + 1);
    int64_t kg = 0;
    if (!absl::SimpleAtoi(internal::ToAbsl(whole), &kg) ||
        fraction.find_first_not_of('0') != std::string_view::npos) {
      return Error(internal::Cat("weight '", value, "' is not a whole number of kilograms"));
    }
    m.gross_weight_kg = kg;
    return absl::OkStatus();
  }

  // "ELOCK <id> <state> [HH:MM]" and "SEAL <party> <id>" (codeco.cc writes them); other text
  // is not ours to read.
  absl::Status ReadFreeText(const std::string& text, Box& box) {
    const std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
    if (words.empty()) return absl::OkStatus();
    if (words[0] == "SEAL") {
      if (words.size() != 3) return Error(internal::Cat("'", text, "' is not 'SEAL <party> <id>'"));
      Seal& seal = box.free_text_seals.emplace_back();
      seal.id = words[2];
      return Code(internal::kSealPartyCodes, words[1], "sealing party", seal.party);
    }
    if (words[0] != "ELOCK") return absl::OkStatus();
    if (words.size() < 3) return Error(internal::Cat("'", text, "' is not 'ELOCK <id> <state> [HH:MM]'"));
    size_t end = words.size();
    const std::string& last = words.back();
    if (last.size() == 5 && last[2] == ':') {
      box.elock_time = last;
      --end;
    }
    ELock elock;
    elock.id = words[1];
    const std::string state = absl::StrJoin(words.begin() + 2, words.begin() + end, " ");
    const std::optional<SealStateCode> e = internal::EnumOf(internal::kSealStateCodeTexts, state);
    if (!e) return Error(internal::Cat("e-lock state '", state, "' is not one this reader knows"));
    elock.state = *e;
    box.move.elock = elock;
    return absl::OkStatus();
  }

  absl::Status Finish(Box& box) {
    index_ = box.eqd;
    GateMove& m = box.move;
    if (!box.has_gate_time) {
      return Error(internal::Cat("box ", m.container_number, " has no DTM+7 (gate time)"));
    }
    // A seal over an..10 came whole in its FTX: it completes a truncated SEL, or stands alone.
    for (Seal& whole : box.free_text_seals) {
      const auto cut = std::find_if(m.seals.begin(), m.seals.end(), [&](const Seal& s) {
        return s.party == whole.party && s.id != whole.id && s.id == AsTruncated(whole.id);
      });
      if (cut != m.seals.end()) {
        cut->id = whole.id;
      } else {
        m.seals.push_back(whole);
      }
    }
    if (m.elock) {
      const std::string& id = m.elock->id;
      const auto sel = std::find_if(m.seals.begin(), m.seals.end(), [&](const Seal& s) {
        return s.party == SealParty::kCustoms && (s.id == id || s.id == AsTruncated(id));
      });
      if (sel != m.seals.end()) m.seals.erase(sel);
      if (box.elock_time) {
        m.elock->state_time = ParseClockNear(*box.elock_time, m.gate_time, zone_);
        if (!m.elock->state_time) {
          return Error(internal::Cat("e-lock time '", *box.elock_time, "' is not HH:MM"));
        }
      }
    }
    return absl::OkStatus();
  }

  const Message& message_;
  const std::string name_;
  const absl::TimeZone zone_;
  size_t index_ = 0;
  GateMove header_;
  std::vector<Box> boxes_;
};

}  // namespace

absl::Status CheckCodeco(const Interchange& in) {
  std::vector<std::string> problems;
  const std::optional<CharacterSet> set = CharacterSetFromIdentifier(in.SyntaxIdentifier());
  if (!set) {
    problems.push_back(internal::Cat("UNB syntax identifier '", in.SyntaxIdentifier(),
                                     "' is not UNOA, UNOB or UNOC, so no character was judged"));
  }
  for (const Segment* s : {&in.header, &in.trailer}) {
    for (const internal::SegmentProblem& p : internal::CheckSegment(*s, set)) problems.push_back(p.text);
  }
  const std::string_view reference = in.header.Value(4);
  if (in.trailer.Value(1) != reference) {
    problems.push_back(
        internal::Cat("UNZ reference '", in.trailer.Value(1), "' is not UNB's '", reference, "'"));
  }
  size_t counted = 0;
  if (!absl::SimpleAtoi(internal::ToAbsl(in.trailer.Value(0)), &counted) || counted != in.messages.size()) {
    problems.push_back(internal::Cat("UNZ counts '", in.trailer.Value(0), "' messages; the interchange has ",
                                     in.messages.size()));
  }
  if (in.messages.empty()) problems.push_back("the interchange has no message");
  std::set<std::string_view> references;
  for (size_t i = 0; i < in.messages.size(); ++i) {
    const std::string where = MessageName(i, in.messages[i]);
    if (!references.insert(MessageReference(in.messages[i])).second) {
      problems.push_back(internal::Cat(where, ": its reference is used by an earlier message"));
    }
    CheckMessage(in.messages[i], where, set, problems);
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      internal::Cat("interchange ", reference, ": ", problems.size(),
                    problems.size() == 1 ? " problem: " : " problems: ", absl::StrJoin(problems, "; ")));
}

absl::StatusOr<std::vector<GateMove>> DecodeGateMoves(const Interchange& in, absl::TimeZone zone) {
  std::vector<GateMove> moves;
  for (size_t i = 0; i < in.messages.size(); ++i) {
    MessageDecoder decoder(in.messages[i], MessageName(i, in.messages[i]), zone);
    if (absl::Status s = decoder.Decode(moves); !s.ok()) return s;
  }
  return moves;
}

}  // namespace yardgate::gate::codeco
