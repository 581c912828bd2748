// JT/T 808 message bodies: decoders for what terminals send (0x0001, 0x0002, 0x0100,
// 0x0102, 0x0200, 0x0704, 0x0900) and encoders for what the platform sends (0x8001, 0x8100,
// the unlock downlink) plus the terminal side (used by the simulated e-lock).
//
// Decoders never fail on an additional-information item they do not know or that is short:
// the item is kept raw in Location::items and a warning is added; only a body too short for
// its fixed part is rejected (InvalidArgument).
//
// E-lock items. Lock vendors reuse item ids, so the readings below are a profile, not the
// standard (the standard ends at 0x31; 0xE1-0xFF are "vendor"):
//   0x0B  Jointech lock event, as Traccar reads it: command BYTE, then card DWORD (length 5-6)
//         or 6-char password (length >= 7), then unlock result BYTE when the length is even.
//         We read result 0 as success and any other value as refused (wrong password).
//   0xD5  lock list: count BYTE, count x (id 5, card 5, battery % BYTE, status WORD); status
//         bit 5 clear = locked. Length 2: battery in 0.01 V.
//   0xDA  rope-cut count WORD + status BYTE: bit 0 rope cut, bit 2 motion, bit 3 cover
//         (shell) opened.
//   0xD4 / 0xE1 / 0xE9 with length 1: battery %, 0xFF = charging.
// Items 0x01 mileage, 0x02 fuel, 0x30 RSSI, 0x31 satellites are standard.
//
// Unlock downlink (vendor, not standard): a 0x8900 downlink pass-through (standard message)
// of type 0xF0 (the standard's user-defined range) whose payload is the Jointech text command
// "(P43,<password>)" (static-password remote unlock, JT701D manual p.42). The lock answers
// the 0x8900 with a 0x0001 general response (transport only), then confirms with either a
// 0x0900 pass-through of type 0xF0 carrying "(<id>,P43,<1 ok|0 refused>,<wrong count>)" or
// a 0x0200 whose item 0x0B carries the unlock result. That JT709A-family firmware accepts
// P43 through 0x8900/F0 is our assumption to be checked against the vendor's manual for the
// model; the lock family is selected per device model by the caller.
//
// Thread-safety: all functions are pure and safe from any thread.
#ifndef YARDGATE_SEAL_BRIDGE_JT808_MESSAGES_H_
#define YARDGATE_SEAL_BRIDGE_JT808_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "seal_bridge/jt808_frame.h"

namespace yardgate::seal {

// 0x0001 (terminal) and 0x8001 (platform) general response.
struct GeneralResponse {
  uint16_t reply_serial = 0;
  uint16_t reply_id = 0;
  uint8_t result = kResultOk;
};

// 0x0100 terminal registration. Strings are trimmed of trailing NULs and spaces; the plate
// is converted from GBK to UTF-8.
struct Registration {
  uint16_t province = 0;
  uint16_t city = 0;
  std::string maker;
  std::string model;
  std::string terminal_id;
  uint8_t plate_color = 0;
  std::string plate;
};

// 0x8100 registration response. auth_code only when result == 0.
struct RegisterResponse {
  uint16_t reply_serial = 0;
  uint8_t result = 0;  // 0 ok, 1 vehicle registered, 2 no vehicle, 3 terminal registered, 4 no terminal
  std::string auth_code;
};

// 0x0102 authentication.
struct Authentication {
  std::string auth_code;
  std::string imei;      // 2019 only
  std::string firmware;  // 2019 only
};

// One additional-information item of 0x0200, kept raw.
struct AdditionalItem {
  uint8_t id = 0;
  Bytes value;
};

// E-lock readings found in the items (see the profile above). Unset when not reported.
struct ElockInfo {
  std::optional<bool> locked;
  std::optional<int> battery_percent;
  std::optional<double> battery_volts;
  std::optional<int> lock_command;      // 0x0B
  std::optional<uint32_t> lock_card;    // 0x0B
  std::optional<std::string> lock_password;  // 0x0B
  std::optional<int> unlock_result;     // 0x0B: 0 ok, else refused
  std::optional<int> rope_cut_count;    // 0xDA
  std::optional<bool> rope_cut;         // 0xDA bit 0
  std::optional<bool> motion;           // 0xDA bit 2
  std::optional<bool> cover_open;       // 0xDA bit 3
};

// 0x0200 location report, decoded.
struct Location {
  uint32_t alarm_bits = 0;
  uint32_t status_bits = 0;
  double latitude = 0;   // signed degrees (status bit 2 = south)
  double longitude = 0;  // signed degrees (status bit 3 = west)
  uint16_t altitude_m = 0;
  double speed_kmh = 0;
  uint16_t course_deg = 0;
  std::optional<absl::Time> time;  // UTC; unset when the BCD time is not a valid date
  std::optional<double> mileage_km;
  std::optional<double> fuel_l;
  std::optional<int> rssi;
  std::optional<int> satellites;
  ElockInfo elock;
  std::vector<AdditionalItem> items;   // every item, known or not, in order
  std::vector<std::string> warnings;   // short/overlong items, trailing bytes

  bool fix_valid() const { return (status_bits & 0x2) != 0; }
};

// 0x0704 batch location.
struct BatchLocation {
  uint8_t type = 0;  // 0 normal, 1 blind-area replay
  std::vector<Location> locations;
};

// 0x0900 / 0x8900 pass-through.
struct PassThrough {
  uint8_t type = 0;
  Bytes payload;
};

// Names of the set alarm bits ("sos", "overspeed", ...), in bit order. `v2019` selects the
// 2019 meaning of bits 15-17, 29 and 31.
std::vector<std::string> AlarmNames(uint32_t alarm_bits, bool v2019 = false);
// Names of the set status bits ("acc", "fix_valid", "south", ...), in bit order. The load
// state (bits 8-9) is named "load_half" / "load_full" / "load_reserved" when not empty.
std::vector<std::string> StatusFlags(uint32_t status_bits, bool v2019 = false);

// Seal-relevant alarms of a report, normalised: "rope_cut", "shell_opened",
// "wrong_password", "low_battery", "tamper" (alarm bit 31 illegal door opening or bit 26
// stolen on a 2013 frame). low_battery: alarm bit 7 or battery below low_battery_percent.
std::vector<std::string> ElockAlarms(const Location& location, bool v2019 = false,
                                     int low_battery_percent = 10);

// BCD YYMMDDhhmmss in Beijing time (UTC+8) -> UTC. nullopt if not BCD or not a date.
std::optional<absl::Time> DecodeBeijingTime(ByteSpan bcd6);
Bytes EncodeBeijingTime(absl::Time t);

absl::StatusOr<GeneralResponse> DecodeGeneralResponse(ByteSpan body);
// `v2019` selects the 2019 field widths; a 2013 body of 37 + plate bytes with an 8-byte model
// (2011 firmware) is detected when the 20-byte reading leaves no room for the plate colour.
absl::StatusOr<Registration> DecodeRegistration(ByteSpan body, bool v2019);
absl::StatusOr<RegisterResponse> DecodeRegisterResponse(ByteSpan body);
absl::StatusOr<Authentication> DecodeAuthentication(ByteSpan body, bool v2019);
absl::StatusOr<Location> DecodeLocation(ByteSpan body);
absl::StatusOr<BatchLocation> DecodeBatchLocation(ByteSpan body);
absl::StatusOr<PassThrough> DecodePassThrough(ByteSpan body);

Bytes EncodeGeneralResponse(const GeneralResponse& r);
Bytes EncodeRegisterResponse(const RegisterResponse& r);
Bytes EncodeRegistration(const Registration& r, bool v2019);
Bytes EncodeAuthentication(const Authentication& a, bool v2019);
// Encodes the fixed part from the fields and appends `items` as they are (the decoded
// convenience fields mileage_km, elock, ... are not re-encoded).
Bytes EncodeLocation(const Location& l);
Bytes EncodeBatchLocation(const BatchLocation& b);
Bytes EncodePassThrough(const PassThrough& p);

// The Jointech-style unlock, tunnelled in 0x8900 type 0xF0: "(P43,<password>)".
inline constexpr uint8_t kVendorPassThroughType = 0xF0;
Bytes EncodeUnlockCommand(absl::string_view password);
// The lock's confirmation "(<id>,P43,<ok>,<wrong count>)" found in a 0x0900 payload.
struct UnlockReply {
  std::string lock_id;
  bool unlocked = false;
  int wrong_password_count = 0;
};
std::optional<UnlockReply> ParseUnlockReply(const PassThrough& p);
// What a simulated lock answers: "(<id>,P43,1,0)" or "(<id>,P43,0,<n>)".
Bytes EncodeUnlockReply(const UnlockReply& r);

// GBK -> UTF-8 (iconv). Invalid sequences are replaced by '?'.
std::string GbkToUtf8(ByteSpan gbk);
Bytes Utf8ToGbk(absl::string_view utf8);

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_JT808_MESSAGES_H_
