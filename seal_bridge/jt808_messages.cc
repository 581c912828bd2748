#include "seal_bridge/jt808_messages.h"

#include <iconv.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace yardgate::seal {
namespace {

uint16_t ReadU16(ByteSpan b, size_t at) { return static_cast<uint16_t>((b[at] << 8) | b[at + 1]); }
uint32_t ReadU32(ByteSpan b, size_t at) {
  return (static_cast<uint32_t>(b[at]) << 24) | (static_cast<uint32_t>(b[at + 1]) << 16) |
         (static_cast<uint32_t>(b[at + 2]) << 8) | b[at + 3];
}
void PutU16(Bytes* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}
void PutU32(Bytes* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<uint8_t>(v >> shift));
}
void PutFixed(Bytes* out, absl::string_view s, size_t n) {
  for (size_t i = 0; i < n; ++i) out->push_back(i < s.size() ? static_cast<uint8_t>(s[i]) : 0);
}

// Fixed-width ASCII field, NUL padding and trailing spaces removed.
std::string FixedString(ByteSpan b, size_t at, size_t n) {
  std::string s(reinterpret_cast<const char*>(b.data() + at), n);
  size_t end = s.find('\0');
  if (end != std::string::npos) s.resize(end);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string Iconv(const char* to, const char* from, const char* data, size_t n) {
  iconv_t cd = iconv_open(to, from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::string(data, n);
  std::string out;
  char buf[256];
  char* in = const_cast<char*>(data);
  size_t in_left = n;
  while (in_left > 0) {
    char* outp = buf;
    size_t out_left = sizeof(buf);
    size_t rc = iconv(cd, &in, &in_left, &outp, &out_left);
    out.append(buf, sizeof(buf) - out_left);
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      out.push_back('?');  // invalid or truncated sequence: skip one byte
      ++in;
      --in_left;
    }
  }
  iconv_close(cd);
  return out;
}

constexpr const char* kAlarmNames2013[32] = {
    "sos", "overspeed", "fatigue", "danger_warning", "gnss_fault", "gnss_antenna_open",
    "gnss_antenna_short", "main_power_low", "main_power_off", "lcd_fault", "tts_fault",
    "camera_fault", "ic_card_fault", "overspeed_warning", "fatigue_warning", "reserved_15",
    "reserved_16", "reserved_17", "daily_driving_overtime", "parked_overtime", "area_in_out",
    "route_in_out", "route_time", "route_deviation", "vss_fault", "fuel_abnormal", "stolen",
    "illegal_ignition", "illegal_displacement", "collision", "rollover",
    "illegal_door_opening"};

void DecodeItem(uint8_t id, ByteSpan v, Location* l) {
  ElockInfo& e = l->elock;
  const size_t n = v.size();
  auto warn = [&](absl::string_view what) {
    l->warnings.push_back(absl::StrFormat("item 0x%02X length %d: %s", id, n, what));
  };
  switch (id) {
    case 0x01:
      if (n == 4) l->mileage_km = ReadU32(v, 0) / 10.0; else warn("expected 4");
      break;
    case 0x02:
      if (n == 2) l->fuel_l = ReadU16(v, 0) / 10.0; else warn("expected 2");
      break;
    case 0x30:
      if (n == 1) l->rssi = v[0]; else warn("expected 1");
      break;
    case 0x31:
      if (n == 1) l->satellites = v[0]; else warn("expected 1");
      break;
    case 0x0B:
      if (n < 1) { warn("empty"); break; }
      e.lock_command = v[0];
      if (n >= 5 && n <= 6) {
        e.lock_card = ReadU32(v, 1);
      } else if (n >= 7) {
        e.lock_password = std::string(reinterpret_cast<const char*>(v.data() + 1), 6);
      }
      if (n % 2 == 0) e.unlock_result = v[n - 1];
      break;
    case 0xD5:
      if (n == 2) {
        e.battery_volts = ReadU16(v, 0) / 100.0;
      } else if (n >= 1 && n >= 1 + 13u * v[0] && v[0] > 0) {
        // First lock of the list: the master lock.
        e.battery_percent = v[1 + 10];
        e.locked = (ReadU16(v, 1 + 11) & 0x20) == 0;
      } else {
        warn("lock list shorter than its count");
      }
      break;
    case 0xDA:
      if (n >= 3) {
        e.rope_cut_count = ReadU16(v, 0);
        e.rope_cut = (v[2] & 0x01) != 0;
        e.motion = (v[2] & 0x04) != 0;
        e.cover_open = (v[2] & 0x08) != 0;
      } else {
        warn("expected at least 3");
      }
      break;
    case 0xD4:
    case 0xE1:
    case 0xE9:
      if (n == 1 && v[0] != 0xff) e.battery_percent = v[0];
      break;
    default:
      break;
  }
}

}  // namespace

std::vector<std::string> AlarmNames(uint32_t bits, bool v2019) {
  std::vector<std::string> out;
  for (int i = 0; i < 32; ++i) {
    if (!(bits & (1u << i))) continue;
    const char* name = kAlarmNames2013[i];
    if (v2019) {
      if (i == 15) name = "illegal_driving";
      if (i == 16) name = "tyre_pressure";
      if (i == 17) name = "right_turn_blind_zone";
      if (i == 29) name = "collision_rollover";
      if (i == 31) name = "reserved_31";
    }
    out.push_back(name);
  }
  return out;
}

std::vector<std::string> StatusFlags(uint32_t bits, bool v2019) {
  static constexpr const char* kNames[32] = {
      "acc", "fix_valid", "south", "west", "out_of_service", "coordinates_encrypted",
      "aeb", "lane_departure", nullptr, nullptr, "oil_cut", "power_cut", "doors_locked",
      "door1_open", "door2_open", "door3_open", "door4_open", "door5_open", "gps", "beidou",
      "glonass", "galileo", "moving", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
      nullptr, nullptr, nullptr};
  std::vector<std::string> out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8) {
      switch ((bits >> 8) & 3) {
        case 1: out.push_back("load_half"); break;
        case 2: out.push_back("load_reserved"); break;
        case 3: out.push_back("load_full"); break;
        default: break;
      }
      continue;
    }
    if (!(bits & (1u << i))) continue;
    if (!v2019 && (i == 6 || i == 7 || i == 22)) {
      out.push_back(absl::StrCat("bit", i));
      continue;
    }
    out.push_back(kNames[i] ? kNames[i] : absl::StrCat("bit", i));
  }
  return out;
}

std::vector<std::string> ElockAlarms(const Location& l, bool v2019, int low_battery_percent) {
  std::vector<std::string> out;
  const ElockInfo& e = l.elock;
  if (e.rope_cut.value_or(false)) out.push_back("rope_cut");
  if (e.cover_open.value_or(false)) out.push_back("shell_opened");
  if (e.unlock_result.has_value() && *e.unlock_result != 0) out.push_back("wrong_password");
  if ((l.alarm_bits & (1u << 7)) ||
      (e.battery_percent.has_value() && *e.battery_percent < low_battery_percent)) {
    out.push_back("low_battery");
  }
  if ((!v2019 && (l.alarm_bits & (1u << 31))) || (l.alarm_bits & (1u << 26))) {
    out.push_back("tamper");
  }
  return out;
}

std::optional<absl::Time> DecodeBeijingTime(ByteSpan bcd) {
  if (bcd.size() != 6) return std::nullopt;
  int f[6];
  for (int i = 0; i < 6; ++i) {
    int hi = bcd[i] >> 4, lo = bcd[i] & 0x0f;
    if (hi > 9 || lo > 9) return std::nullopt;
    f[i] = hi * 10 + lo;
  }
  absl::CivilSecond cs(2000 + f[0], f[1], f[2], f[3], f[4], f[5]);
  if (cs.month() != f[1] || cs.day() != f[2] || cs.hour() != f[3] || cs.minute() != f[4] ||
      cs.second() != f[5]) {
    return std::nullopt;  // normalised: not a real date (e.g. all zeros)
  }
  return absl::FromCivil(cs, absl::FixedTimeZone(8 * 3600));
}

Bytes EncodeBeijingTime(absl::Time t) {
  absl::CivilSecond cs = absl::ToCivilSecond(t, absl::FixedTimeZone(8 * 3600));
  int f[6] = {static_cast<int>(cs.year() % 100), cs.month(), cs.day(), cs.hour(), cs.minute(), cs.second()};
  Bytes out;
  for (int v : f) out.push_back(static_cast<uint8_t>(((v / 10) << 4) | (v % 10)));
  return out;
}

absl::StatusOr<GeneralResponse> DecodeGeneralResponse(ByteSpan b) {
  if (b.size() < 5) {
    return absl::InvalidArgumentError(absl::StrCat("general response of ", b.size(), " bytes, need 5"));
  }
  return GeneralResponse{ReadU16(b, 0), ReadU16(b, 2), b[4]};
}

absl::StatusOr<Registration> DecodeRegistration(ByteSpan b, bool v2019) {
  size_t maker = 5, model = 20, tid = 7;
  if (v2019) {
    maker = 11;
    model = 30;
    tid = 30;
  } else if (b.size() < 4 + 5 + 20 + 7 + 1) {
    model = 8;  // 2011 firmware
  }
  const size_t fixed = 4 + maker + model + tid + 1;
  if (b.size() < fixed) {
    return absl::InvalidArgumentError(
        absl::StrCat("registration of ", b.size(), " bytes, need at least ", fixed));
  }
  Registration r;
  r.province = ReadU16(b, 0);
  r.city = ReadU16(b, 2);
  size_t at = 4;
  r.maker = FixedString(b, at, maker);
  at += maker;
  r.model = FixedString(b, at, model);
  at += model;
  r.terminal_id = FixedString(b, at, tid);
  at += tid;
  r.plate_color = b[at++];
  r.plate = GbkToUtf8(b.subspan(at));
  while (!r.plate.empty() && (r.plate.back() == '\0' || r.plate.back() == ' ')) r.plate.pop_back();
  return r;
}

absl::StatusOr<RegisterResponse> DecodeRegisterResponse(ByteSpan b) {
  if (b.size() < 3) return absl::InvalidArgumentError("registration response shorter than 3 bytes");
  RegisterResponse r;
  r.reply_serial = ReadU16(b, 0);
  r.result = b[2];
  if (r.result == 0) r.auth_code = FixedString(b, 3, b.size() - 3);
  return r;
}

absl::StatusOr<Authentication> DecodeAuthentication(ByteSpan b, bool v2019) {
  Authentication a;
  if (!v2019) {
    if (b.empty()) return absl::InvalidArgumentError("empty authentication code");
    a.auth_code = FixedString(b, 0, b.size());
    return a;
  }
  if (b.empty() || 1u + b[0] > b.size()) {
    return absl::InvalidArgumentError("2019 authentication: code length exceeds the body");
  }
  const size_t n = b[0];
  a.auth_code = FixedString(b, 1, n);
  size_t at = 1 + n;
  if (b.size() >= at + 15) {
    a.imei = FixedString(b, at, 15);
    at += 15;
  }
  if (at < b.size()) {
    size_t rest = b.size() - at;
    if (b[at] == rest - 1) {  // length-prefixed firmware version
      a.firmware = FixedString(b, at + 1, rest - 1);
    } else {
      a.firmware = FixedString(b, at, std::min<size_t>(rest, 20));
    }
  }
  return a;
}

absl::StatusOr<Location> DecodeLocation(ByteSpan b) {
  if (b.size() < 28) {
    return absl::InvalidArgumentError(absl::StrCat("location of ", b.size(), " bytes, need 28"));
  }
  Location l;
  l.alarm_bits = ReadU32(b, 0);
  l.status_bits = ReadU32(b, 4);
  l.latitude = ReadU32(b, 8) / 1e6;
  l.longitude = ReadU32(b, 12) / 1e6;
  if (l.status_bits & 0x4) l.latitude = -l.latitude;
  if (l.status_bits & 0x8) l.longitude = -l.longitude;
  l.altitude_m = ReadU16(b, 16);
  l.speed_kmh = ReadU16(b, 18) / 10.0;
  l.course_deg = ReadU16(b, 20);
  l.time = DecodeBeijingTime(b.subspan(22, 6));
  if (!l.time) l.warnings.push_back("time is not a valid BCD date");
  size_t at = 28;
  while (at < b.size()) {
    if (b.size() - at < 2) {
      l.warnings.push_back(absl::StrCat(b.size() - at, " trailing byte(s) after the items"));
      l.items.push_back({0, Bytes(b.begin() + at, b.end())});
      break;
    }
    const uint8_t id = b[at];
    const size_t n = b[at + 1];
    at += 2;
    if (n > b.size() - at) {
      l.warnings.push_back(absl::StrFormat("item 0x%02X declares %d bytes, %d left", id, n,
                                           b.size() - at));
      l.items.push_back({id, Bytes(b.begin() + at, b.end())});
      break;
    }
    AdditionalItem item{id, Bytes(b.begin() + at, b.begin() + at + n)};
    DecodeItem(id, item.value, &l);
    l.items.push_back(std::move(item));
    at += n;
  }
  return l;
}

absl::StatusOr<BatchLocation> DecodeBatchLocation(ByteSpan b) {
  if (b.size() < 3) return absl::InvalidArgumentError("batch location shorter than 3 bytes");
  BatchLocation batch;
  const uint16_t count = ReadU16(b, 0);
  batch.type = b[2];
  size_t at = 3;
  for (uint16_t i = 0; i < count; ++i) {
    if (b.size() - at < 2) {
      return absl::InvalidArgumentError(absl::StrCat("batch item ", i, " of ", count, " missing"));
    }
    const size_t n = ReadU16(b, at);
    at += 2;
    if (n > b.size() - at) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch item ", i, " declares ", n, " bytes, ", b.size() - at, " left"));
    }
    absl::StatusOr<Location> l = DecodeLocation(b.subspan(at, n));
    if (!l.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("batch item ", i, ": ", l.status().message()));
    }
    batch.locations.push_back(*std::move(l));
    at += n;
  }
  return batch;
}

absl::StatusOr<PassThrough> DecodePassThrough(ByteSpan b) {
  if (b.empty()) return absl::InvalidArgumentError("empty pass-through");
  return PassThrough{b[0], Bytes(b.begin() + 1, b.end())};
}

Bytes EncodeGeneralResponse(const GeneralResponse& r) {
  Bytes out;
  PutU16(&out, r.reply_serial);
  PutU16(&out, r.reply_id);
  out.push_back(r.result);
  return out;
}

Bytes EncodeRegisterResponse(const RegisterResponse& r) {
  Bytes out;
  PutU16(&out, r.reply_serial);
  out.push_back(r.result);
  if (r.result == 0) out.insert(out.end(), r.auth_code.begin(), r.auth_code.end());
  return out;
}

Bytes EncodeRegistration(const Registration& r, bool v2019) {
  Bytes out;
  PutU16(&out, r.province);
  PutU16(&out, r.city);
  PutFixed(&out, r.maker, v2019 ? 11 : 5);
  PutFixed(&out, r.model, v2019 ? 30 : 20);
  PutFixed(&out, r.terminal_id, v2019 ? 30 : 7);
  out.push_back(r.plate_color);
  Bytes plate = Utf8ToGbk(r.plate);
  out.insert(out.end(), plate.begin(), plate.end());
  return out;
}

Bytes EncodeAuthentication(const Authentication& a, bool v2019) {
  Bytes out;
  if (!v2019) {
    out.assign(a.auth_code.begin(), a.auth_code.end());
    return out;
  }
  out.push_back(static_cast<uint8_t>(std::min<size_t>(a.auth_code.size(), 255)));
  out.insert(out.end(), a.auth_code.begin(), a.auth_code.begin() + out[0]);
  PutFixed(&out, a.imei, 15);
  PutFixed(&out, a.firmware, 20);
  return out;
}

Bytes EncodeLocation(const Location& l) {
  Bytes out;
  PutU32(&out, l.alarm_bits);
  uint32_t status = l.status_bits & ~0xcu;
  if (l.latitude < 0) status |= 0x4;
  if (l.longitude < 0) status |= 0x8;
  PutU32(&out, status);
  PutU32(&out, static_cast<uint32_t>(std::abs(l.latitude) * 1e6 + 0.5));
  PutU32(&out, static_cast<uint32_t>(std::abs(l.longitude) * 1e6 + 0.5));
  PutU16(&out, l.altitude_m);
  PutU16(&out, static_cast<uint16_t>(l.speed_kmh * 10 + 0.5));
  PutU16(&out, l.course_deg);
  Bytes t = EncodeBeijingTime(l.time.value_or(absl::UnixEpoch()));
  out.insert(out.end(), t.begin(), t.end());
  for (const AdditionalItem& item : l.items) {
    out.push_back(item.id);
    out.push_back(static_cast<uint8_t>(std::min<size_t>(item.value.size(), 255)));
    out.insert(out.end(), item.value.begin(), item.value.begin() + std::min<size_t>(item.value.size(), 255));
  }
  return out;
}

Bytes EncodeBatchLocation(const BatchLocation& b) {
  Bytes out;
  PutU16(&out, static_cast<uint16_t>(b.locations.size()));
  out.push_back(b.type);
  for (const Location& l : b.locations) {
    Bytes body = EncodeLocation(l);
    PutU16(&out, static_cast<uint16_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

Bytes EncodePassThrough(const PassThrough& p) {
  Bytes out;
  out.push_back(p.type);
  out.insert(out.end(), p.payload.begin(), p.payload.end());
  return out;
}

Bytes EncodeUnlockCommand(absl::string_view password) {
  std::string text = absl::StrCat("(P43,", password, ")");
  return EncodePassThrough({kVendorPassThroughType, Bytes(text.begin(), text.end())});
}

std::optional<UnlockReply> ParseUnlockReply(const PassThrough& p) {
  if (p.type != kVendorPassThroughType) return std::nullopt;
  std::string text(p.payload.begin(), p.payload.end());
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return std::nullopt;
  std::vector<std::string> f = absl::StrSplit(text.substr(1, text.size() - 2), ',');
  if (f.size() < 4 || f[1] != "P43") return std::nullopt;
  UnlockReply r;
  r.lock_id = f[0];
  int ok = 0;
  if (!absl::SimpleAtoi(f[2], &ok) || !absl::SimpleAtoi(f[3], &r.wrong_password_count)) {
    return std::nullopt;
  }
  r.unlocked = ok == 1;
  return r;
}

Bytes EncodeUnlockReply(const UnlockReply& r) {
  std::string text = absl::StrCat("(", r.lock_id, ",P43,", r.unlocked ? 1 : 0, ",",
                                  r.wrong_password_count, ")");
  return EncodePassThrough({kVendorPassThroughType, Bytes(text.begin(), text.end())});
}

std::string GbkToUtf8(ByteSpan gbk) {
  return Iconv("UTF-8", "GBK", reinterpret_cast<const char*>(gbk.data()), gbk.size());
}

Bytes Utf8ToGbk(absl::string_view utf8) {
  std::string s = Iconv("GBK", "UTF-8", utf8.data(), utf8.size());
  return Bytes(s.begin(), s.end());
}

}  // namespace yardgate::seal
