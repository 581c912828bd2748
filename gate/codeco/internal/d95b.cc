#include "gate/codeco/internal/d95b.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "absl/strings/numbers.h"
#include "gate/codeco/internal/strings.h"

namespace yardgate::gate::codeco::internal {
namespace {

constexpr bool M = true;   // mandatory
constexpr bool C = false;  // conditional

struct ComponentFormat {
  std::string_view id;
  std::string_view name;
  bool mandatory;
  std::string_view format;  // "an..35", "n6", "a4", "n..18"
};

struct ElementFormat {
  std::string_view id;
  std::string_view name;
  bool mandatory;
  std::vector<ComponentFormat> components;  // one, with the element's own id, for a simple element
};

ElementFormat Simple(std::string_view id, std::string_view name, bool mandatory, std::string_view format) {
  return {id, name, mandatory, {{id, name, mandatory, format}}};
}

const ComponentFormat kCodeList{"1131", "code list qualifier", C, "an..3"};
const ComponentFormat kAgency{"3055", "code list responsible agency", C, "an..3"};

using Directory = std::map<std::string_view, std::vector<ElementFormat>>;

// D.95B (service segments: ISO 9735 syntax version 3).
// clang-format off
const Directory& Formats() {
  static const Directory* const kFormats = new Directory{
      {"UNB",
       {{"S001", "syntax identifier", M, {{"0001", "syntax identifier", M, "a4"},
                                          {"0002", "syntax version number", M, "n1"}}},
        {"S002", "interchange sender", M, {{"0004", "sender identification", M, "an..35"},
                                           {"0007", "partner identification code qualifier", C, "an..4"},
                                           {"0008", "address for reverse routing", C, "an..14"}}},
        {"S003", "interchange recipient", M, {{"0010", "recipient identification", M, "an..35"},
                                              {"0007", "partner identification code qualifier", C, "an..4"},
                                              {"0014", "routing address", C, "an..14"}}},
        {"S004", "date/time of preparation", M, {{"0017", "date", M, "n6"}, {"0019", "time", M, "n4"}}},
        Simple("0020", "interchange control reference", M, "an..14"),
        {"S005", "recipient's reference/password", C, {{"0022", "recipient's reference/password", M, "an..14"},
                                                       {"0025", "recipient's reference/password qualifier", C, "an2"}}},
        Simple("0026", "application reference", C, "an..14"),
        Simple("0029", "processing priority code", C, "a1"),
        Simple("0031", "acknowledgement request", C, "n1"),
        Simple("0032", "communications agreement identification", C, "an..35"),
        Simple("0035", "test indicator", C, "n1")}},
      {"UNZ",
       {Simple("0036", "interchange control count", M, "n..6"),
        Simple("0020", "interchange control reference", M, "an..14")}},
      {"UNH",
       {Simple("0062", "message reference number", M, "an..14"),
        {"S009", "message identifier", M, {{"0065", "message type", M, "an..6"},
                                           {"0052", "message version number", M, "an..3"},
                                           {"0054", "message release number", M, "an..3"},
                                           {"0051", "controlling agency", M, "an..2"},
                                           {"0057", "association assigned code", C, "an..6"}}},
        Simple("0068", "common access reference", C, "an..35"),
        {"S010", "status of the transfer", C, {{"0070", "sequence of transfers", M, "n..2"},
                                               {"0073", "first and last transfer", C, "a1"}}}}},
      {"UNT",
       {Simple("0074", "number of segments in the message", M, "n..6"),
        Simple("0062", "message reference number", M, "an..14")}},
      {"BGM",
       {{"C002", "document/message name", C, {{"1001", "document/message name, coded", C, "an..3"},
                                               kCodeList, kAgency,
                                               {"1000", "document/message name", C, "an..35"}}},
        Simple("1004", "document/message number", C, "an..35"),
        Simple("1225", "message function, coded", C, "an..3"),
        Simple("4343", "response type, coded", C, "an..3")}},
      {"FTX",
       {Simple("4451", "text subject qualifier", M, "an..3"),
        Simple("4453", "text function, coded", C, "an..3"),
        {"C107", "text reference", C, {{"4441", "free text, coded", M, "an..3"}, kCodeList, kAgency}},
        {"C108", "text literal", C, {{"4440", "free text", M, "an..70"},
                                     {"4440", "free text", C, "an..70"},
                                     {"4440", "free text", C, "an..70"},
                                     {"4440", "free text", C, "an..70"},
                                     {"4440", "free text", C, "an..70"}}},
        Simple("3453", "language, coded", C, "an..3")}},
      {"RFF",
       {{"C506", "reference", M, {{"1153", "reference qualifier", M, "an..3"},
                                  {"1154", "reference number", C, "an..35"},
                                  {"1156", "line number", C, "an..6"},
                                  {"4000", "reference version number", C, "an..35"}}}}},
      {"TDT",
       {Simple("8051", "transport stage qualifier", M, "an..3"),
        Simple("8028", "conveyance reference number", C, "an..17"),
        {"C220", "mode of transport", C, {{"8067", "mode of transport, coded", C, "an..3"},
                                          {"8066", "mode of transport", C, "an..17"}}},
        {"C228", "transport means", C, {{"8179", "type of means of transport identification", C, "an..8"},
                                        {"8178", "type of means of transport", C, "an..17"}}},
        {"C040", "carrier", C, {{"3127", "carrier identification", C, "an..17"}, kCodeList, kAgency,
                                {"3128", "carrier name", C, "an..35"}}},
        Simple("8101", "transit direction, coded", C, "an..3"),
        {"C401", "excess transportation information", C, {{"8457", "excess transportation reason", M, "an..3"},
                                                          {"8459", "excess transportation responsibility", M, "an..3"},
                                                          {"7130", "customer authorization number", C, "an..17"}}},
        {"C222", "transport identification", C, {{"8213", "id. of means of transport identification", C, "an..9"},
                                                 kCodeList, kAgency,
                                                 {"8212", "id. of the means of transport", C, "an..35"},
                                                 {"8453", "nationality of means of transport", C, "an..3"}}},
        Simple("8281", "transport ownership, coded", C, "an..3")}},
      {"LOC",
       {Simple("3227", "place/location qualifier", M, "an..3"),
        {"C517", "location identification", C, {{"3225", "place/location identification", C, "an..25"},
                                                kCodeList, kAgency, {"3224", "place/location", C, "an..17"}}},
        {"C519", "related location one identification", C, {{"3223", "related place/location one identification", C, "an..25"},
                                                            kCodeList, kAgency,
                                                            {"3222", "related place/location one", C, "an..70"}}},
        {"C553", "related location two identification", C, {{"3233", "related place/location two identification", C, "an..25"},
                                                            kCodeList, kAgency,
                                                            {"3232", "related place/location two", C, "an..70"}}},
        Simple("5479", "relation, coded", C, "an..3")}},
      {"DTM",
       {{"C507", "date/time/period", M, {{"2005", "date/time/period qualifier", M, "an..3"},
                                         {"2380", "date/time/period", C, "an..35"},
                                         {"2379", "date/time/period format qualifier", C, "an..3"}}}}},
      {"NAD",
       {Simple("3035", "party qualifier", M, "an..3"),
        {"C082", "party identification details", C, {{"3039", "party id. identification", M, "an..35"},
                                                     kCodeList, kAgency}},
        {"C058", "name and address", C, {{"3124", "name and address line", M, "an..35"},
                                         {"3124", "name and address line", C, "an..35"},
                                         {"3124", "name and address line", C, "an..35"},
                                         {"3124", "name and address line", C, "an..35"},
                                         {"3124", "name and address line", C, "an..35"}}},
        {"C080", "party name", C, {{"3036", "party name", M, "an..35"},
                                   {"3036", "party name", C, "an..35"},
                                   {"3036", "party name", C, "an..35"},
                                   {"3036", "party name", C, "an..35"},
                                   {"3036", "party name", C, "an..35"},
                                   {"3045", "party name format, coded", C, "an..3"}}},
        {"C059", "street", C, {{"3042", "street and number/p.o. box", M, "an..35"},
                               {"3042", "street and number/p.o. box", C, "an..35"},
                               {"3042", "street and number/p.o. box", C, "an..35"}}},
        Simple("3164", "city name", C, "an..35"),
        Simple("3229", "country sub-entity identification", C, "an..9"),
        Simple("3251", "postcode identification", C, "an..9"),
        Simple("3207", "country, coded", C, "an..3")}},
      {"EQD",
       {Simple("8053", "equipment qualifier", M, "an..3"),
        {"C237", "equipment identification", C, {{"8260", "equipment identification number", C, "an..17"},
                                                 kCodeList, kAgency, {"3207", "country, coded", C, "an..3"}}},
        {"C224", "equipment size and type", C, {{"8155", "equipment size and type identification", C, "an..10"},
                                                kCodeList, kAgency,
                                                {"8154", "equipment size and type", C, "an..35"}}},
        Simple("8077", "equipment supplier, coded", C, "an..3"),
        Simple("8249", "equipment status, coded", C, "an..3"),
        Simple("8169", "full/empty indicator, coded", C, "an..3")}},
      {"TMD",
       {{"C219", "movement type", C, {{"8335", "movement type, coded", C, "an..3"},
                                      {"8334", "movement type", C, "an..35"}}},
        Simple("8332", "equipment plan", C, "an..3"),
        Simple("8341", "haulage arrangements, coded", C, "an..3")}},
      {"MEA",
       {Simple("6311", "measurement application qualifier", M, "an..3"),
        {"C502", "measurement details", C, {{"6313", "measurement dimension, coded", C, "an..3"},
                                            {"6321", "measurement significance, coded", C, "an..3"},
                                            {"6155", "measurement attribute, coded", C, "an..3"},
                                            {"6154", "measurement attribute", C, "an..70"}}},
        {"C174", "value/range", C, {{"6411", "measure unit qualifier", M, "an..3"},
                                    {"6314", "measurement value", C, "n..18"},
                                    {"6162", "range minimum", C, "n..18"},
                                    {"6152", "range maximum", C, "n..18"},
                                    {"6432", "significant digits", C, "n..2"}}},
        Simple("7383", "surface/layer indicator, coded", C, "an..3")}},
      {"SEL",
       {Simple("9308", "seal number", M, "an..10"),
        {"C215", "seal issuer", C, {{"9303", "sealing party, coded", C, "an..3"}, kCodeList, kAgency,
                                    {"9302", "sealing party", C, "an..35"}}},
        Simple("4517", "seal condition, coded", C, "an..3")}},
      {"DAM",
       {Simple("4407", "damage details qualifier", M, "an..3"),
        {"C821", "type of damage", C, {{"7493", "type of damage, coded", C, "an..3"}, kCodeList, kAgency,
                                       {"7500", "type of damage", C, "an..35"}}},
        {"C822", "damage area", C, {{"7495", "damage area identification", C, "an..4"}, kCodeList, kAgency,
                                    {"7496", "damage area", C, "an..35"}}},
        {"C825", "damage severity", C, {{"7509", "damage severity, coded", C, "an..3"}, kCodeList, kAgency,
                                        {"7508", "damage severity", C, "an..35"}}},
        {"C826", "action", C, {{"1229", "action request/notification, coded", C, "an..3"}, kCodeList, kAgency,
                               {"1228", "action request/notification", C, "an..35"}}}}},
      {"CNT",
       {{"C270", "control", M, {{"6069", "control qualifier", M, "an..3"},
                                {"6066", "control value", M, "n..18"},
                                {"6411", "measure unit qualifier", C, "an..3"}}}}},
  };
  return *kFormats;
}
// clang-format on

// The number in "an..35", "n6".
size_t FormatLength(std::string_view format) {
  size_t limit = 0;
  (void)absl::SimpleAtoi(ToAbsl(format.substr(format.find_first_of("0123456789"))), &limit);
  return limit;
}

// "" when `value` fits `format`, else what is wrong.
std::string FormatProblem(std::string_view value, std::string_view format) {
  const bool numeric = format.substr(0, 2) != "an" && format[0] == 'n';
  const bool alpha = format[0] == 'a' && format.substr(0, 2) != "an";
  const bool variable = format.find("..") != std::string_view::npos;
  const size_t limit = FormatLength(format);

  size_t length = CharacterCount(value);
  if (numeric) {
    // n: digits, with an optional leading minus and one decimal mark, neither counted.
    std::string_view digits = value;
    if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
    int marks = 0;
    length = 0;
    for (const char c : digits) {
      if (c == '.' || c == ',') {
        ++marks;
      } else if (c >= '0' && c <= '9') {
        ++length;
      } else {
        return "is not numeric";
      }
    }
    if (marks > 1 || length == 0) return "is not numeric";
  } else if (alpha) {
    for (const char c : value) {
      if ((c >= '0' && c <= '9')) return "holds a digit where D.95B wants letters";
    }
  }
  if (variable ? length > limit : length != limit) {
    return Cat("has ", length, " characters; D.95B allows ", format);
  }
  return "";
}

std::string Quoted(std::string_view tag, const ComponentFormat& f, std::string_view value) {
  return Cat(tag, " ", f.id, " ", f.name, " '", value, "'");
}

}  // namespace

size_t MaxLength(std::string_view tag, size_t element, size_t component) {
  return FormatLength(Formats().at(tag).at(element).components.at(component).format);
}

std::vector<SegmentProblem> CheckSegment(const Segment& segment, std::optional<CharacterSet> set) {
  std::vector<SegmentProblem> problems;
  if (set) {
    for (size_t e = 0; e < segment.elements.size(); ++e) {
      for (size_t c = 0; c < segment.elements[e].size(); ++c) {
        const std::string& value = segment.elements[e][c];
        if (absl::Status s = CheckCharacters(value, *set); !s.ok()) {
          problems.push_back({e, c, Cat(segment.tag, " element ", e + 1, " '", value, "': ", s.message())});
        }
      }
    }
  }
  const auto found = Formats().find(segment.tag);
  if (found == Formats().end()) return problems;
  const std::vector<ElementFormat>& formats = found->second;
  for (size_t e = 0; e < formats.size(); ++e) {
    const ElementFormat& format = formats[e];
    const std::vector<std::string> none;
    const std::vector<std::string>& components = e < segment.elements.size() ? segment.elements[e] : none;
    const bool present =
        std::any_of(components.begin(), components.end(), [](const std::string& v) { return !v.empty(); });
    if (!present) {
      if (format.mandatory) {
        problems.push_back(
            {e, 0, Cat(segment.tag, " ", format.id, " ", format.name, " is mandatory and missing")});
      }
      continue;
    }
    if (components.size() > format.components.size()) {
      problems.push_back({e, format.components.size(),
                          Cat(segment.tag, " ", format.id, " ", format.name, " has ", components.size(),
                              " components; D.95B allows ", format.components.size())});
    }
    for (size_t c = 0; c < format.components.size(); ++c) {
      const ComponentFormat& f = format.components[c];
      const std::string_view value = c < components.size() ? std::string_view(components[c]) : "";
      if (value.empty()) {
        if (f.mandatory) {
          problems.push_back({e, c, Cat(segment.tag, " ", f.id, " ", f.name, " is mandatory and missing")});
        }
        continue;
      }
      if (std::string what = FormatProblem(value, f.format); !what.empty()) {
        problems.push_back({e, c, Cat(Quoted(segment.tag, f, value), " ", what)});
      }
    }
  }
  if (segment.elements.size() > formats.size()) {
    problems.push_back({formats.size(), 0,
                        Cat(segment.tag, " has ", segment.elements.size(), " data elements; D.95B defines ",
                            formats.size())});
  }
  return problems;
}

namespace {

// A segment, or a segment group when `body` is not empty: `tag` is then the group's trigger
// segment and `body` what may follow it within one repetition.
struct Node {
  std::string_view tag;
  bool mandatory;
  int max;
  std::string_view group = {};
  std::vector<Node> body = {};
};

// D.95B CODECO as domain.md §14 gives it. domain.md gives no repeats inside SG3 (goods items,
// which a gate report of boxes does not use); they are allowed 999 times here, unjudged.
// clang-format off
const std::vector<Node>& CodecoStructure() {
  static const std::vector<Node>* const kStructure = new std::vector<Node>{
      {"UNH", M, 1},
      {"BGM", M, 1},
      {"FTX", C, 9},
      {"RFF", C, 9},
      {"TDT", C, 1, "SG1", {{"RFF", C, 9}, {"LOC", C, 9}, {"DTM", C, 9}}},
      {"NAD", M, 9, "SG2", {{"CTA", C, 9}}},
      {"GID", C, 999, "SG3",
       {{"HAN", C, 999}, {"FTX", C, 999}, {"PIA", C, 999}, {"MEA", C, 999}, {"TMP", C, 999},
        {"RNG", C, 999}, {"SGP", C, 999}, {"DGS", C, 9, "SG4", {{"FTX", C, 9}}}}},
      {"EQD", M, 999, "SG5",
       {{"RFF", C, 9}, {"TMD", C, 9}, {"DTM", C, 9}, {"LOC", C, 9}, {"MEA", C, 9}, {"DIM", C, 9},
        {"SEL", C, 9}, {"FTX", C, 9}, {"EQA", C, 9},
        {"DAM", C, 9, "SG6", {{"COD", C, 1}}},
        {"TDT", C, 9, "SG7", {{"LOC", C, 1}, {"DTM", C, 1}}},
        {"NAD", C, 9}}},
      {"CNT", M, 1},
      {"UNT", M, 1},
  };
  return *kStructure;
}
// clang-format on

struct StructureProblem {
  size_t pos;    // where the matcher stood
  bool missing;  // a mandatory segment or group not found there
  std::string text;
};

void Match(const std::vector<Node>& nodes, const std::vector<Segment>& segments, size_t& pos,
           std::string_view within, std::vector<StructureProblem>& problems) {
  for (const Node& node : nodes) {
    int count = 0;
    while (pos < segments.size() && segments[pos].tag == node.tag) {
      if (++count == node.max + 1) {
        problems.push_back(
            {pos, false,
             Cat("segment ", pos + 1, " ", node.tag, ": ", node.group.empty() ? node.tag : node.group,
                 " may occur ", node.max, node.max == 1 ? " time" : " times", within)});
      }
      const size_t trigger = pos++;
      if (!node.group.empty()) {
        Match(node.body, segments, pos, Cat(" in ", node.group, " from segment ", trigger + 1), problems);
      }
    }
    if (count == 0 && node.mandatory) {
      problems.push_back({pos, true,
                          node.group.empty() ? Cat("mandatory segment ", node.tag, " is missing", within)
                                             : Cat("mandatory segment group ", node.group, " (", node.tag,
                                                   ") is missing", within)});
    }
  }
}

}  // namespace

std::vector<std::string> CheckCodecoStructure(const std::vector<Segment>& segments) {
  std::vector<StructureProblem> found;
  size_t pos = 0;
  Match(CodecoStructure(), segments, pos, "", found);
  std::vector<std::string> problems;
  for (StructureProblem& p : found) {
    // Where the matcher stalled on a segment out of place, the mandatory segments it then
    // missed (CNT, UNT) follow from that one problem and would only bury it.
    if (pos < segments.size() && p.missing && p.pos == pos) continue;
    problems.push_back(std::move(p.text));
  }
  if (pos < segments.size()) {
    problems.push_back(Cat("segment ", pos + 1, " ", segments[pos].tag,
                           " is out of the D.95B CODECO order (or not part of it)"));
  }
  return problems;
}

}  // namespace yardgate::gate::codeco::internal
