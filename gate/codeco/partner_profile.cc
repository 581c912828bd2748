// PartnerProfile: reading a [codeco NAME] section, routing by owner code, and the plate rule.
#include "gate/codeco/codeco.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/iso6346.h"
#include "common/plate_text.h"
#include "gate/codeco/internal/strings.h"

namespace yardgate::gate::codeco {
namespace {

bool IsUpperAlnum(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

std::vector<std::string> Words(std::string_view value) {
  return absl::StrSplit(internal::ToAbsl(value), absl::ByAnyChar(" ,\t"), absl::SkipEmpty());
}

// "+08:00", "-05:30", "UTC" or an IANA name.
std::optional<absl::TimeZone> ParseTimeZone(std::string_view value) {
  if (value == "UTC" || value == "Z") return absl::UTCTimeZone();
  if ((value.size() == 6 && (value[0] == '+' || value[0] == '-') && value[3] == ':')) {
    int hours = 0;
    int minutes = 0;
    if (!absl::SimpleAtoi(internal::ToAbsl(value.substr(1, 2)), &hours) ||
        !absl::SimpleAtoi(internal::ToAbsl(value.substr(4, 2)), &minutes) || hours > 14 || minutes > 59) {
      return std::nullopt;
    }
    const int seconds = (hours * 60 + minutes) * 60;
    return absl::FixedTimeZone(value[0] == '-' ? -seconds : seconds);
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(value), &zone)) return std::nullopt;
  return zone;
}

class ProfileReader {
 public:
  explicit ProfileReader(std::string_view name) : section_(internal::Cat("[codeco ", name, "]")) {
    profile_.name = std::string(name);
  }

  absl::Status Set(const std::string& key, const std::string& value) {
    if (!seen_.insert(key).second) return Error(key, value, "is given twice");
    if (key == "partner_id") {
      profile_.partner_id = value;
    } else if (key == "partner_qualifier") {
      profile_.partner_qualifier = value;
    } else if (key == "sender_id") {
      profile_.sender_id = value;
    } else if (key == "sender_qualifier") {
      profile_.sender_qualifier = value;
    } else if (key == "owners") {
      return SetOwners(value);
    } else if (key == "syntax") {
      return SetSyntax(value);
    } else if (key == "association_code") {
      if (value.size() > 6 || !IsUpperAlnum(value)) {
        return Error(key, value, "must be 1 to 6 letters and digits (UNH 0057 an..6), e.g. ITG14");
      }
      profile_.association_code = value;
    } else if (key == "boxes_per_message") {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 999) {
        return Error(key, value, "must be a whole number from 1 (one box per message) to 999");
      }
      profile_.max_boxes_per_message = n;
    } else if (key == "plate") {
      return Choose(
          key, value,
          {{"none", PlateRule::kNone}, {"pinyin", PlateRule::kPinyin}, {"table", PlateRule::kCodeTable}},
          "use none, pinyin or table", profile_.plate_rule);
    } else if (key == "plate_codes") {
      return SetPlateCodes(value);
    } else if (key == "plate_element") {
      return Choose(key, value, {{"id", PlateElement::kIdentification}, {"name", PlateElement::kName}},
                    "use id (C222 8213, an..9) or name (C222 8212, an..35)", profile_.plate_element);
    } else if (key == "long_seals") {
      return Choose(key, value,
                    {{"reject", LongSealRule::kReject},
                     {"truncate", LongSealRule::kTruncate},
                     {"ftx", LongSealRule::kFreeText}},
                    "use reject, truncate or ftx", profile_.long_seals);
    } else if (key == "time_zone") {
      const std::optional<absl::TimeZone> zone = ParseTimeZone(value);
      if (!zone) {
        return Error(key, value, "use UTC, an offset such as +08:00, or a zone such as Asia/Shanghai");
      }
      profile_.time_zone = *zone;
    } else if (key == "line_breaks") {
      return Choose(key, absl::AsciiStrToLower(value),
                    {{"yes", true}, {"true", true}, {"no", false}, {"false", false}}, "use yes or no",
                    profile_.line_breaks);
    } else {
      return absl::InvalidArgumentError(internal::Cat(section_, ": unknown key '", key, "'"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<PartnerProfile> Finish() {
    for (const char* key : {"partner_id", "sender_id", "owners"}) {
      if (!seen_.contains(key)) {
        return absl::InvalidArgumentError(internal::Cat(section_, ": '", key, "' is required"));
      }
    }
    const std::pair<const char*, const std::string*> ids[] = {{"partner_id", &profile_.partner_id},
                                                              {"sender_id", &profile_.sender_id}};
    for (const auto& [key, id] : ids) {
      if (id->empty() || id->size() > 35) {
        return Error(key, *id, "must be 1 to 35 characters (UNB, NAD an..35)");
      }
      if (absl::Status s = CheckCharacters(*id, profile_.character_set); !s.ok()) {
        return Error(key, *id, std::string(s.message()));
      }
    }
    const std::pair<const char*, const std::string*> qualifiers[] = {
        {"partner_qualifier", &profile_.partner_qualifier}, {"sender_qualifier", &profile_.sender_qualifier}};
    for (const auto& [key, qualifier] : qualifiers) {
      if (qualifier->size() > 4 || !IsUpperAlnum(*qualifier)) {
        return Error(key, *qualifier, "must be 1 to 4 letters and digits (UNB 0007 an..4), e.g. ZZ");
      }
    }
    if (profile_.plate_rule == PlateRule::kCodeTable && profile_.plate_codes.empty()) {
      return absl::InvalidArgumentError(internal::Cat(section_, ": plate = table needs plate_codes"));
    }
    if (profile_.plate_rule == PlateRule::kNone && !profile_.plate_codes.empty()) {
      return absl::InvalidArgumentError(
          internal::Cat(section_, ": plate_codes are given but plate = none would never use them"));
    }
    return std::move(profile_);
  }

 private:
  absl::Status Error(std::string_view key, std::string_view value, std::string_view what) const {
    return absl::InvalidArgumentError(internal::Cat(section_, ": ", key, " = '", value, "': ", what));
  }

  // One of a few words, each standing for a value of `out`.
  template <typename T>
  absl::Status Choose(const std::string& key, const std::string& value,
                      std::initializer_list<std::pair<std::string_view, T>> choices, std::string_view hint,
                      T& out) {
    for (const auto& [word, meaning] : choices) {
      if (value == word) {
        out = meaning;
        return absl::OkStatus();
      }
    }
    return Error(key, value, hint);
  }

  absl::Status SetOwners(const std::string& value) {
    if (value == "*") {
      profile_.all_owners = true;
      return absl::OkStatus();
    }
    for (const std::string& owner : Words(value)) {
      if (owner.size() != 3 ||
          !std::all_of(owner.begin(), owner.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        return Error(
            "owners", value,
            internal::Cat("'", owner, "' is not an owner code (three capital letters, e.g. CSQ); or use *"));
      }
      profile_.owner_codes.push_back(owner);
    }
    if (profile_.owner_codes.empty()) {
      return Error("owners", value, "names no owner code; use * for all boxes");
    }
    return absl::OkStatus();
  }

  absl::Status SetSyntax(const std::string& value) {
    const std::vector<std::string> parts = absl::StrSplit(value, ':');
    const std::optional<CharacterSet> set = CharacterSetFromIdentifier(parts[0]);
    int version = 0;
    if (parts.size() != 2 || !set || !absl::SimpleAtoi(parts[1], &version) || version < 1 || version > 3) {
      return Error("syntax", value, "use UNOA, UNOB or UNOC with syntax version 1 to 3, e.g. UNOA:2");
    }
    profile_.character_set = *set;
    profile_.syntax_version = version;
    return absl::OkStatus();
  }

  absl::Status SetPlateCodes(const std::string& value) {
    for (const std::string& entry : Words(value)) {
      const size_t colon = entry.rfind(':');
      const std::string character = colon == std::string::npos ? "" : entry.substr(0, colon);
      const std::string code = colon == std::string::npos ? "" : entry.substr(colon + 1);
      if (common::SplitCodePoints(character).size() != 1 || !IsUpperAlnum(code)) {
        return Error(
            "plate_codes", value,
            internal::Cat("entry '", entry,
                          "' must be one character, ':', and a code of capital letters and digits (粤:GD)"));
      }
      if (!profile_.plate_codes.emplace(character, code).second) {
        return Error("plate_codes", value, internal::Cat("gives '", character, "' twice"));
      }
    }
    if (profile_.plate_codes.empty()) return Error("plate_codes", value, "has no entries");
    return absl::OkStatus();
  }

  const std::string section_;
  PartnerProfile profile_;
  std::set<std::string> seen_;
};

}  // namespace

absl::StatusOr<PartnerProfile> ParsePartnerProfile(
    std::string_view name, const std::vector<std::pair<std::string, std::string>>& entries) {
  if (name.empty()) return absl::InvalidArgumentError("[codeco] needs a partner name: [codeco CARRIERX]");
  ProfileReader reader(name);
  for (const auto& [key, value] : entries) {
    if (absl::Status s = reader.Set(key, value); !s.ok()) return s;
  }
  return reader.Finish();
}

bool Receives(const PartnerProfile& partner, std::string_view container_number) {
  if (partner.all_owners) return true;
  const std::string number = common::NormalizeContainerNumber(container_number);
  if (number.size() < 3) return false;
  const std::string_view owner = std::string_view(number).substr(0, 3);
  return std::find(partner.owner_codes.begin(), partner.owner_codes.end(), owner) !=
         partner.owner_codes.end();
}

absl::StatusOr<std::string> TransliteratePlate(std::string_view plate, const PartnerProfile& partner) {
  std::string out;
  for (const std::string& character : common::SplitCodePoints(plate)) {
    if (CheckCharacters(character, partner.character_set).ok()) {
      out += character;
      continue;
    }
    std::string_view replacement;
    if (partner.plate_rule == PlateRule::kPinyin) replacement = common::ProvincePinyin(character);
    if (replacement.empty() && partner.plate_rule != PlateRule::kNone) {
      const auto code = partner.plate_codes.find(character);
      if (code != partner.plate_codes.end()) replacement = code->second;
    }
    if (replacement.empty()) {
      const std::string_view rule = partner.plate_rule == PlateRule::kNone ? "partner has no plate rule"
                                    : partner.plate_rule == PlateRule::kPinyin
                                        ? "it is no province and not in plate_codes"
                                        : "it is not in plate_codes";
      return absl::InvalidArgumentError(internal::Cat(
          "truck_plate '", plate, "': '", character, "' cannot be written in ",
          CharacterSetIdentifier(partner.character_set), " and ", rule, " (partner ", partner.name, ")"));
    }
    out += replacement;
  }
  return out;
}

}  // namespace yardgate::gate::codeco
