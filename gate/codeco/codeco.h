// CODECO gate reports (UN/EDIFACT D.95B, as ITIGG/SMDG partners exchange them): what one
// container move through the gate is (GateMove), what one partner wants (PartnerProfile), and
// the strict writer that turns moves into one interchange for one partner.
//
//   absl::StatusOr<PartnerProfile> partner = ParsePartnerProfile("carrierx", ini_section);
//   if (Receives(*partner, move.container_number)) {
//     InterchangeRefs refs{"GI0000457", prepared_at, {{"457001", "YG240315457"}}};
//     absl::StatusOr<std::string> edi = WriteCodeco({move}, *partner, refs);
//   }
//
// The writer is strict: every value is escaped, checked against the partner's character set
// (a character the set cannot carry is an error unless the plate rule transliterates it) and
// against D.95B's lengths; a seal longer than D.95B's an..10 follows the partner's long-seal
// rule and is never cut silently. Every error names the move, the field and the value, and
// nothing is written when there is one. The caller owns the control references, so a resend
// reuses them and produces the same bytes. codeco_reader.h reads the result back.
//
// Thread safety: plain value types and pure functions, safe from any thread.
#ifndef YARDGATE_GATE_CODECO_CODECO_H_
#define YARDGATE_GATE_CODECO_CODECO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gate/codeco/edifact.h"
#include "gate/model.h"

namespace yardgate::gate::codeco {

// BGM 1001.
enum class GateDirection { kUnspecified = 0, kGateIn = 34, kGateOut = 36 };
// BGM 1225.
enum class MessageFunction { kOriginal = 9, kReplace = 5, kCancel = 1 };
// EQD 8169.
enum class FullEmpty { kUnspecified = 0, kEmpty = 4, kFull = 5 };
// EQD 8249.
enum class TradeStatus {
  kUnspecified = 0,
  kContinental = 1,
  kExport = 2,
  kImport = 3,
  kTranshipment = 6,
};
// EQD 8077: who supplies the box (carrier-owned or shipper-owned).
enum class EquipmentSupplier { kUnspecified = 0, kShipper = 1, kCarrier = 2 };
// TMD 8341.
enum class Haulage { kUnspecified = 0, kCarrier = 1, kMerchant = 2 };
// SEL C215 9303: CA, CU, SH.
enum class SealParty { kUnspecified = 0, kCarrier = 1, kCustoms = 2, kShipper = 3 };

struct Seal {
  std::string id;
  SealParty party = SealParty::kUnspecified;
  bool operator==(const Seal&) const = default;
};

// A customs e-lock on the box: written as a customs SEL and an FTX with its state,
// "ELOCK EL53001234 VERIFIED 09:40" (the time, in the partner's zone, only when known).
struct ELock {
  std::string id;
  SealStateCode state = SealStateCode::kNone;
  std::optional<absl::Time> state_time;
  bool operator==(const ELock&) const = default;
};

// RFF: a booking (BN), bill of lading (BM), release (RE) or return reference, with the
// qualifier the partner expects for it.
struct Reference {
  std::string qualifier;
  std::string number;
  bool operator==(const Reference&) const = default;
};

// DAM 1: codes from the partner's damage code list (written with list qualifier ZZZ), e.g.
// DEN / RIGH / MIN. `area` and `severity` may be empty.
struct Damage {
  std::string type;
  std::string area;
  std::string severity;
  bool operator==(const Damage&) const = default;
};

// The sea leg a box is booked on or came off (SG1 TDT+20, RFF+VON).
struct Vessel {
  std::string voyage;      // conveyance reference, e.g. 412E
  std::string imo_number;  // may be empty
  std::string name;        // may be empty
  bool operator==(const Vessel&) const = default;
};

// One container through the gate.
struct GateMove {
  GateDirection direction = GateDirection::kUnspecified;
  MessageFunction function = MessageFunction::kOriginal;
  std::string container_number;  // ISO 6346, check digit holding
  std::string size_type;         // ISO 6346 size-type code, e.g. 45G1
  FullEmpty full_empty = FullEmpty::kUnspecified;
  TradeStatus trade_status = TradeStatus::kUnspecified;
  EquipmentSupplier supplier = EquipmentSupplier::kUnspecified;
  std::vector<Reference> references;  // booking, release or return authority
  std::vector<Seal> seals;
  std::optional<ELock> elock;
  std::string truck_plate;     // UTF-8 as yardgate keeps it ("粤BG3891"); empty: no truck group
  std::string haulier;         // NAD+CA party code; may be empty
  absl::Time gate_time;        // actual (DTM+7), minute precision on the wire
  std::string gate_locode;     // LOC+165, UN/LOCODE, e.g. CNYTN
  std::string terminal;        // LOC+165 related place (list TER), e.g. YGY; may be empty
  std::string load_port;       // UN/LOCODE or empty
  std::string discharge_port;  // UN/LOCODE or empty
  std::optional<Vessel> vessel;
  std::optional<int64_t> gross_weight_kg;
  Haulage haulage = Haulage::kUnspecified;
  std::vector<Damage> damages;
  std::string operator_code;  // NAD+CF, the box operator (line), e.g. CRX

  bool operator==(const GateMove&) const = default;
};

// What to do with a seal id longer than D.95B's an..10. Never silent: under kTruncate the SEL
// carries the first 10 characters and an FTX "SEAL CA <full id>" the whole id; under kFreeText
// only the FTX carries it.
enum class LongSealRule { kReject, kTruncate, kFreeText };

// How a plate character the character set cannot carry (粤) is written. kPinyin: a province
// character becomes its toneless pinyin (common::ProvincePinyin, 粤 -> YUE) and any other
// character its entry in `plate_codes`; kCodeTable: `plate_codes` only. A transliterated plate
// is lossy (津 and 晋 are both JIN): it is for the partner, never a key.
enum class PlateRule { kNone, kPinyin, kCodeTable };

// Where the plate goes in the truck's TDT C222: 8213 (an..9, as ITIGG examples put it) or
// 8212 (an..35, for plates that are longer once transliterated: JINGA12345).
enum class PlateElement { kIdentification, kName };

struct PartnerProfile {
  std::string name;                      // the [codeco NAME] section, for errors and directories
  std::string partner_id;                // UNB recipient, NAD+MR
  std::string partner_qualifier = "ZZ";  // UNB 0007
  std::string sender_id;                 // UNB sender, NAD+MS
  std::string sender_qualifier = "ZZ";
  CharacterSet character_set = CharacterSet::kUnoa;
  int syntax_version = 2;           // UNB S001 0002: 1, 2 or 3
  std::string association_code;     // UNH S009 0057, e.g. ITG14; empty: none
  int max_boxes_per_message = 999;  // 1: one box per message
  PlateRule plate_rule = PlateRule::kNone;
  std::map<std::string, std::string> plate_codes;  // one UTF-8 character -> its code
  PlateElement plate_element = PlateElement::kIdentification;
  LongSealRule long_seals = LongSealRule::kReject;
  bool all_owners = false;                         // receives every box
  std::vector<std::string> owner_codes;            // else: these owner codes (first three letters)
  absl::TimeZone time_zone = absl::UTCTimeZone();  // for UNB, DTM and FTX times
  bool line_breaks = false;                        // a line break after each segment (not part of EDIFACT)
};

// Reads a [codeco NAME] section's key = value pairs, in order:
//   partner_id = CARRIERX        (required)   partner_qualifier = ZZ
//   sender_id = YGYARD01         (required)   sender_qualifier = ZZ
//   owners = CRX CSQ             (required; or *)
//   syntax = UNOA:2              (UNOA, UNOB or UNOC; version 1 to 3)
//   association_code = ITG14     boxes_per_message = 1..999 (default 999)
//   plate = none | pinyin | table             plate_codes = 粤:GD 港:HK
//   plate_element = id | name    long_seals = reject | truncate | ftx (default reject)
//   time_zone = UTC | +08:00 | Asia/Shanghai  line_breaks = yes | no
// Errors name the section, the key and the value; unknown and repeated keys are errors.
absl::StatusOr<PartnerProfile> ParsePartnerProfile(
    std::string_view name, const std::vector<std::pair<std::string, std::string>>& entries);

// Whether the partner receives moves of this box: its owner code (the first three letters)
// is one of the partner's, or the partner receives all.
bool Receives(const PartnerProfile& partner, std::string_view container_number);

// The plate as the partner's TDT carries it: every character its character set cannot carry
// replaced by the plate rule ("粤BG3891" -> "YUEBG3891" under kPinyin). An error names the
// plate and the character when the rule has nothing for it.
absl::StatusOr<std::string> TransliteratePlate(std::string_view plate, const PartnerProfile& partner);

// Control references chosen by the caller and kept with what was sent, so that a resend
// writes the same interchange.
struct MessageRefs {
  std::string message;   // UNH/UNT 0062, an..14, unique within the interchange
  std::string document;  // BGM 1004, an..35
};
struct InterchangeRefs {
  std::string interchange;            // UNB/UNZ 0020, an..14
  absl::Time prepared;                // UNB S004
  std::vector<MessageRefs> messages;  // one per message, MessagesNeeded() of them
};

// How many messages WriteCodeco makes of `moves`: consecutive moves share a message while
// they agree on direction, function, operator and vessel (with its load port), up to the
// partner's boxes per message.
size_t MessagesNeeded(const std::vector<GateMove>& moves, const PartnerProfile& partner);

// One interchange (UNA, UNB, messages, UNZ) with every move, in order. Errors (all of them,
// each naming the move, the field and the value) leave nothing written.
absl::StatusOr<std::string> WriteCodeco(const std::vector<GateMove>& moves, const PartnerProfile& partner,
                                        const InterchangeRefs& refs);

}  // namespace yardgate::gate::codeco

#endif  // YARDGATE_GATE_CODECO_CODECO_H_
