// The CODECO writer: moves -> labelled segments -> D.95B checks -> bytes.
#include "gate/codeco/codeco.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_join.h"
#include "common/iso6346.h"
#include "gate/codeco/internal/codes.h"
#include "gate/codeco/internal/d95b.h"
#include "gate/codeco/internal/strings.h"

namespace yardgate::gate::codeco {
namespace {

// A segment being built, with the GateMove field each value came from, so that a problem the
// D.95B check finds names the field as well as the EDIFACT element.
struct Labelled {
  Segment segment;
  std::string owner;  // "move 2 (CSQU3054383)", "message 1 (457001)", "interchange GI0000457"
  std::map<std::pair<size_t, size_t>, std::string> fields;  // (element, component) -> field
};

bool IsLocode(std::string_view s) {
  if (s.size() != 5) return false;
  for (size_t i = 0; i < 5; ++i) {
    const char c = s[i];
    const bool letter = c >= 'A' && c <= 'Z';
    if (i < 2 ? !letter : !(letter || (c >= '2' && c <= '9'))) return false;
  }
  return true;
}

// ISO 6346 (1995) size-type: length code, height/width code, type group letter, and a digit
// or the second letter of a group code (GP, RT...). Old numeric codes (4310) and slang (40HQ)
// are refused: the partner needs the code painted on the box.
std::string SizeTypeProblem(std::string_view code) {
  static constexpr std::string_view kLength = "1234ABCDEFGHKLMNP";
  static constexpr std::string_view kHeight = "024568CDEFLMNP";
  static constexpr std::string_view kGroup = "GVBSRHUPTA";
  static const std::set<std::string_view> kGroupCodes = {"GP", "VH", "BU", "BK", "SN", "RE", "RT",
                                                         "RS", "HR", "HI", "UT", "PL", "PF", "PC",
                                                         "PS", "TN", "TD", "TG", "AS"};
  if (code.size() != 4) return "is not a 4-character ISO 6346 size-type code";
  if (kLength.find(code[0]) == std::string_view::npos) return "has no ISO 6346 length code first";
  if (kHeight.find(code[1]) == std::string_view::npos) return "has no ISO 6346 height/width code second";
  if (kGroup.find(code[2]) == std::string_view::npos) return "has no ISO 6346 type group letter third";
  const bool digit = code[3] >= '0' && code[3] <= '9';
  if (!digit && !kGroupCodes.contains(code.substr(2, 2))) {
    return "has no ISO 6346 type code in its last two characters";
  }
  return "";
}

std::string MoveOwner(size_t index, const GateMove& m) {
  return internal::Cat("move ", index + 1, " (", m.container_number, ")");
}

std::string Indexed(std::string_view field, size_t i, std::string_view member) {
  return internal::Cat(field, "[", i, "]", member.empty() ? "" : ".", member);
}

// Messages are cut where the header (BGM, SG1, NAD+CF) would differ.
bool SameHeader(const GateMove& a, const GateMove& b) {
  return a.direction == b.direction && a.function == b.function && a.operator_code == b.operator_code &&
         a.vessel == b.vessel && (!a.vessel || a.load_port == b.load_port);
}

std::vector<std::pair<size_t, size_t>> Groups(const std::vector<GateMove>& moves, const PartnerProfile& p) {
  std::vector<std::pair<size_t, size_t>> groups;  // [first, last)
  for (size_t i = 0; i < moves.size(); ++i) {
    if (groups.empty() || !SameHeader(moves[groups.back().first], moves[i]) ||
        i - groups.back().first >= static_cast<size_t>(p.max_boxes_per_message)) {
      groups.emplace_back(i, i);
    }
    groups.back().second = i + 1;
  }
  return groups;
}

class InterchangeWriter {
 public:
  InterchangeWriter(const PartnerProfile& partner, const InterchangeRefs& refs)
      : partner_(partner), refs_(refs) {}

  absl::StatusOr<std::string> Write(const std::vector<GateMove>& moves) {
    const std::string interchange = internal::Cat("interchange ", refs_.interchange);
    if (refs_.prepared == absl::InfinitePast() || refs_.prepared == absl::InfiniteFuture()) {
      problems_.push_back(internal::Cat(interchange, ": refs.prepared is not a time"));
    }
    const auto groups = Groups(moves, partner_);
    if (refs_.messages.size() != groups.size()) {
      return absl::InvalidArgumentError(internal::Cat("CODECO for partner ", partner_.name, ": refs name ",
                                                      refs_.messages.size(), " messages but the moves make ",
                                                      groups.size(), " (see MessagesNeeded)"));
    }
    std::set<std::string_view> message_refs;
    for (const MessageRefs& m : refs_.messages) {
      if (!message_refs.insert(m.message).second) {
        problems_.push_back(
            internal::Cat(interchange, ": message reference '", m.message, "' is used twice"));
      }
      if (m.document.empty()) {
        problems_.push_back(internal::Cat(interchange, ": message ", m.message, " has no document number"));
      }
    }

    Add(interchange, "UNB",
        {{std::string(CharacterSetIdentifier(partner_.character_set)),
          internal::Cat(partner_.syntax_version)},
         {partner_.sender_id, partner_.sender_qualifier},
         {partner_.partner_id, partner_.partner_qualifier},
         {absl::FormatTime("%y%m%d", refs_.prepared, partner_.time_zone),
          absl::FormatTime("%H%M", refs_.prepared, partner_.time_zone)},
         {refs_.interchange}},
        {{{1, 0}, "sender_id"}, {{2, 0}, "partner_id"}, {{4, 0}, "refs.interchange"}});
    for (size_t g = 0; g < groups.size(); ++g) {
      WriteMessage(moves, groups[g].first, groups[g].second, refs_.messages[g]);
    }
    Add(interchange, "UNZ", {{internal::Cat(groups.size())}, {refs_.interchange}});

    for (const Labelled& l : segments_) {
      for (const internal::SegmentProblem& p : internal::CheckSegment(l.segment, partner_.character_set)) {
        const auto field = l.fields.find({p.element, p.component});
        problems_.push_back(internal::Cat(l.owner, field == l.fields.end() ? "" : " ",
                                          field == l.fields.end() ? "" : field->second, ": ", p.text));
      }
    }
    if (!problems_.empty()) {
      return absl::InvalidArgumentError(
          internal::Cat("CODECO for partner ", partner_.name, ": ", absl::StrJoin(problems_, "; ")));
    }
    const Delimiters delimiters;
    const std::string_view line_end = partner_.line_breaks ? "\n" : "";
    std::string out = internal::Cat(UnaSegment(delimiters), line_end);
    for (const Labelled& l : segments_) {
      internal::Append(&out, SerializeSegment(l.segment, delimiters, partner_.character_set), line_end);
    }
    return out;
  }

 private:
  void Add(std::string owner, std::string tag, std::vector<std::vector<std::string>> elements,
           std::map<std::pair<size_t, size_t>, std::string> fields = {}) {
    Labelled& l = segments_.emplace_back();
    l.segment.tag = std::move(tag);
    l.segment.elements = std::move(elements);
    l.owner = std::move(owner);
    l.fields = std::move(fields);
  }

  void WriteMessage(const std::vector<GateMove>& moves, size_t first, size_t last, const MessageRefs& refs) {
    const size_t start = segments_.size();
    const GateMove& head = moves[first];
    const std::string owner = internal::Cat("message ", refs.message);
    std::vector<std::string> s009 = {"CODECO", "D", "95B", "UN"};
    if (!partner_.association_code.empty()) s009.push_back(partner_.association_code);
    Add(owner, "UNH", {{refs.message}, s009}, {{{0, 0}, "refs.messages.message"}});
    Add(owner, "BGM",
        {{internal::CodeOf(internal::kDirectionCodes, head.direction)},
         {refs.document},
         {internal::CodeOf(internal::kFunctionCodes, head.function)}},
        {{{1, 0}, "refs.messages.document"}});
    if (internal::CodeOf(internal::kDirectionCodes, head.direction).empty()) {
      problems_.push_back(internal::Cat(MoveOwner(first, head), " direction: is not gate-in or gate-out"));
    }
    if (head.vessel) {
      const Vessel& v = *head.vessel;
      if (v.voyage.empty()) {
        problems_.push_back(internal::Cat(MoveOwner(first, head), " vessel.voyage: is empty"));
      }
      Add(owner, "TDT",
          {{"20"},
           {v.voyage},
           {"1"},
           {},
           {head.operator_code, "172", "20"},
           {},
           {},
           {v.imo_number, v.imo_number.empty() ? "" : "146", "", v.name}},
          {{{1, 0}, "vessel.voyage"},
           {{4, 0}, "operator_code"},
           {{7, 0}, "vessel.imo_number"},
           {{7, 3}, "vessel.name"}});
      Add(owner, "RFF", {{"VON", v.voyage}}, {{{0, 1}, "vessel.voyage"}});
      if (!head.load_port.empty()) {
        Add(owner, "LOC", {{"9"}, {head.load_port, "139", "6"}}, {{{1, 0}, "load_port"}});
      }
    }
    Add(owner, "NAD", {{"MS"}, {partner_.sender_id, "160", "ZZZ"}}, {{{1, 0}, "sender_id"}});
    Add(owner, "NAD", {{"MR"}, {partner_.partner_id, "160", "ZZZ"}}, {{{1, 0}, "partner_id"}});
    Add(owner, "NAD", {{"CF"}, {head.operator_code, "160", "ZZZ"}}, {{{1, 0}, "operator_code"}});
    if (head.operator_code.empty()) {
      problems_.push_back(internal::Cat(MoveOwner(first, head), " operator_code: is empty"));
    }
    for (size_t i = first; i < last; ++i) WriteBox(i, moves[i]);
    Add(owner, "CNT", {{"16", internal::Cat(last - first)}});
    Add(owner, "UNT", {{internal::Cat(segments_.size() - start + 1)}, {refs.message}});

    std::vector<Segment> message;
    for (size_t i = start; i < segments_.size(); ++i) message.push_back(segments_[i].segment);
    for (const std::string& p : internal::CheckCodecoStructure(message)) {
      problems_.push_back(internal::Cat(owner, ": ", p));
    }
  }

  void WriteBox(size_t index, const GateMove& m) {
    const std::string owner = MoveOwner(index, m);
    const auto problem = [&](std::string_view field, std::string_view value, std::string_view what) {
      problems_.push_back(internal::Cat(owner, " ", field, " '", value, "': ", what));
    };
    if (absl::Status s = common::ValidateContainerNumber(m.container_number); !s.ok()) {
      problem("container_number", m.container_number, std::string(s.message()));
    }
    if (std::string what = SizeTypeProblem(m.size_type); !what.empty()) {
      problem("size_type", m.size_type, what);
    }
    const std::string status = internal::CodeOf(internal::kTradeStatusCodes, m.trade_status);
    const std::string full_empty = internal::CodeOf(internal::kFullEmptyCodes, m.full_empty);
    if (status.empty()) problems_.push_back(internal::Cat(owner, " trade_status: is not set"));
    if (full_empty.empty()) problems_.push_back(internal::Cat(owner, " full_empty: is not set"));
    Add(owner, "EQD",
        {{"CN"},
         {m.container_number},
         {m.size_type, "102", "5"},
         {internal::CodeOf(internal::kSupplierCodes, m.supplier)},
         {status},
         {full_empty}},
        {{{1, 0}, "container_number"}, {{2, 0}, "size_type"}});

    for (size_t i = 0; i < m.references.size(); ++i) {
      const Reference& r = m.references[i];
      if (r.number.empty()) problem(Indexed("references", i, "number"), r.number, "is empty");
      Add(owner, "RFF", {{r.qualifier, r.number}},
          {{{0, 0}, Indexed("references", i, "qualifier")}, {{0, 1}, Indexed("references", i, "number")}});
    }
    if (m.haulage != Haulage::kUnspecified) {
      Add(owner, "TMD",
          {{m.full_empty == FullEmpty::kFull ? "3" : ""},
           {},
           {internal::CodeOf(internal::kHaulageCodes, m.haulage)}});
    }
    if (m.gate_time == absl::InfinitePast() || m.gate_time == absl::InfiniteFuture()) {
      problems_.push_back(internal::Cat(owner, " gate_time: is not a time"));
    }
    Add(owner, "DTM", {{"7", absl::FormatTime("%Y%m%d%H%M", m.gate_time, partner_.time_zone), "203"}});
    if (!IsLocode(m.gate_locode)) problem("gate_locode", m.gate_locode, "is not a UN/LOCODE (CNYTN)");
    Add(owner, "LOC",
        {{"165"},
         {m.gate_locode, "139", "6"},
         m.terminal.empty() ? std::vector<std::string>{}
                            : std::vector<std::string>{m.terminal, "TER", "ZZZ"}},
        {{{2, 0}, "terminal"}});
    const std::pair<std::string_view, const std::string*> ports[] = {{"load_port", &m.load_port},
                                                                     {"discharge_port", &m.discharge_port}};
    for (const auto& [field, port] : ports) {
      if (!port->empty() && !IsLocode(*port)) problem(field, *port, "is not a UN/LOCODE (NLRTM)");
    }
    if (!m.vessel && !m.load_port.empty()) Add(owner, "LOC", {{"9"}, {m.load_port, "139", "6"}});
    if (!m.discharge_port.empty()) Add(owner, "LOC", {{"11"}, {m.discharge_port, "139", "6"}});
    if (m.gross_weight_kg) {
      if (*m.gross_weight_kg <= 0) {
        problem("gross_weight_kg", internal::Cat(*m.gross_weight_kg), "is not a weight");
      }
      Add(owner, "MEA", {{"AAE"}, {"G"}, {"KGM", internal::Cat(*m.gross_weight_kg)}});
    }
    WriteSeals(owner, m);
    for (size_t i = 0; i < m.damages.size(); ++i) {
      const Damage& d = m.damages[i];
      if (d.type.empty()) problem(Indexed("damages", i, "type"), d.type, "is empty");
      const auto coded = [](const std::string& code) {
        return code.empty() ? std::vector<std::string>{} : std::vector<std::string>{code, "ZZZ"};
      };
      Add(owner, "DAM", {{"1"}, coded(d.type), coded(d.area), coded(d.severity)},
          {{{1, 0}, Indexed("damages", i, "type")},
           {{2, 0}, Indexed("damages", i, "area")},
           {{3, 0}, Indexed("damages", i, "severity")}});
    }
    if (!m.truck_plate.empty()) WriteTruck(owner, m);
    if (!m.haulier.empty()) Add(owner, "NAD", {{"CA"}, {m.haulier, "160", "ZZZ"}}, {{{1, 0}, "haulier"}});
  }

  // SG7: the truck, its plate in the partner's character set.
  void WriteTruck(const std::string& owner, const GateMove& m) {
    absl::StatusOr<std::string> plate = TransliteratePlate(m.truck_plate, partner_);
    if (!plate.ok()) {
      problems_.push_back(internal::Cat(owner, " ", plate.status().message()));
      return;
    }
    const bool in_name = partner_.plate_element == PlateElement::kName;
    const size_t length = internal::CharacterCount(*plate);
    if (!in_name && length > internal::MaxLength("TDT", 7, 0)) {
      problems_.push_back(internal::Cat(owner, " truck_plate '", m.truck_plate, "': written '", *plate,
                                        "' has ", length, " characters; TDT C222 8213 allows an..",
                                        internal::MaxLength("TDT", 7, 0), " (partner ", partner_.name,
                                        " could set plate_element = name, an..35)"));
      return;
    }
    Add(owner, "TDT",
        {{"1"},
         {},
         {"3"},
         {"31"},
         {},
         {},
         {},
         in_name ? std::vector<std::string>{"", "", "", *plate} : std::vector<std::string>{*plate}},
        {{{7, in_name ? 3u : 0u}, "truck_plate"}});
  }

  // SEL for each seal and the e-lock; a seal id over an..10 as the partner's rule says, its
  // full id then in an FTX. The e-lock's FTX always names its full id, so it needs no other.
  void WriteSeals(const std::string& owner, const GateMove& m) {
    struct Sel {
      std::string id;
      std::string party;
      std::string field;
    };
    std::vector<Sel> sels;
    std::vector<std::string> texts;
    // The FTX texts are read back word by word (codeco_reader.cc).
    const auto in_text = [&](const std::string& field, const std::string& id) {
      if (id.find(' ') != std::string::npos) {
        problems_.push_back(internal::Cat(owner, " ", field, " '", id,
                                          "': holds a space, so its FTX text could not be read back"));
      }
    };
    const size_t seal_length = internal::MaxLength("SEL", 0, 0);
    const auto long_seal = [&](const std::string& field, const std::string& id, std::string_view party,
                               bool is_elock) {
      const size_t length = internal::CharacterCount(id);
      if (length <= seal_length) {
        sels.push_back({id, std::string(party), field});
        return;
      }
      switch (partner_.long_seals) {
        case LongSealRule::kReject:
          problems_.push_back(internal::Cat(owner, " ", field, " '", id, "': ", length,
                                            " characters; D.95B SEL 9308 allows an..", seal_length,
                                            " and partner ", partner_.name, " has long_seals = reject"));
          return;
        case LongSealRule::kTruncate:
          sels.push_back({internal::FirstCharacters(id, seal_length), std::string(party), field});
          break;
        case LongSealRule::kFreeText:
          break;
      }
      if (!is_elock) {
        in_text(field, id);
        texts.push_back(internal::Cat("SEAL ", party, " ", id));
      }
    };
    for (size_t i = 0; i < m.seals.size(); ++i) {
      const Seal& s = m.seals[i];
      const std::string field = Indexed("seals", i, "id");
      const std::string party = internal::CodeOf(internal::kSealPartyCodes, s.party);
      if (party.empty()) {
        problems_.push_back(internal::Cat(owner, " ", Indexed("seals", i, "party"), ": is not set"));
      }
      if (s.id.empty()) {
        problems_.push_back(internal::Cat(owner, " ", field, ": is empty"));
      } else {
        long_seal(field, s.id, party, false);
      }
    }
    if (m.elock) {
      const ELock& e = *m.elock;
      if (e.id.empty()) problems_.push_back(internal::Cat(owner, " elock.id: is empty"));
      const std::string state = internal::CodeOf(internal::kSealStateCodeTexts, e.state);
      if (state.empty()) problems_.push_back(internal::Cat(owner, " elock.state: is not set"));
      in_text("elock.id", e.id);
      long_seal("elock.id", e.id, "CU", true);
      texts.push_back(
          internal::Cat("ELOCK ", e.id, " ", state,
                        e.state_time ? absl::FormatTime(" %H:%M", *e.state_time, partner_.time_zone) : ""));
    }
    for (const Sel& s : sels) Add(owner, "SEL", {{s.id}, {s.party}}, {{{0, 0}, s.field}});
    for (const std::string& text : texts) Add(owner, "FTX", {{"AAI"}, {}, {}, {text}});
  }

  const PartnerProfile& partner_;
  const InterchangeRefs& refs_;
  std::vector<Labelled> segments_;
  std::vector<std::string> problems_;
};

}  // namespace

size_t MessagesNeeded(const std::vector<GateMove>& moves, const PartnerProfile& partner) {
  return Groups(moves, partner).size();
}

absl::StatusOr<std::string> WriteCodeco(const std::vector<GateMove>& moves, const PartnerProfile& partner,
                                        const InterchangeRefs& refs) {
  if (moves.empty()) {
    return absl::InvalidArgumentError(
        internal::Cat("CODECO for partner ", partner.name, ": no moves to write"));
  }
  return InterchangeWriter(partner, refs).Write(moves);
}

}  // namespace yardgate::gate::codeco
