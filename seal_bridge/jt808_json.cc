#include "seal_bridge/jt808_json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "seal_bridge/jt808_messages.h"

namespace yardgate::seal {
namespace {

std::string Id(uint16_t id) { return common::JsonString(absl::StrFormat("0x%04X", id)); }

std::string List(const std::vector<std::string>& v) {
  std::vector<std::string> q;
  for (const auto& s : v) q.push_back(common::JsonString(s));
  return absl::StrCat("[", absl::StrJoin(q, ","), "]");
}

bool Printable(const Bytes& b) {
  for (uint8_t c : b) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return !b.empty();
}

class Obj {
 public:
  Obj& Raw(absl::string_view k, absl::string_view v) {
    parts_.push_back(absl::StrCat(common::JsonString(std::string_view(k.data(), k.size())), ":", v));
    return *this;
  }
  Obj& Str(absl::string_view k, absl::string_view v) { return Raw(k, common::JsonString(std::string_view(v.data(), v.size()))); }
  Obj& Num(absl::string_view k, int64_t v) { return Raw(k, absl::StrCat(v)); }
  Obj& Dbl(absl::string_view k, double v, int decimals) {
    return Raw(k, absl::StrFormat("%.*f", decimals, v));
  }
  Obj& Bool(absl::string_view k, bool v) { return Raw(k, v ? "true" : "false"); }
  std::string Done() const { return absl::StrCat("{", absl::StrJoin(parts_, ","), "}"); }

 private:
  std::vector<std::string> parts_;
};

void LocationFields(const Location& l, bool v2019, Obj& o) {
  o.Num("alarm_bits", l.alarm_bits).Raw("alarms", List(AlarmNames(l.alarm_bits, v2019)));
  o.Num("status_bits", l.status_bits).Raw("status", List(StatusFlags(l.status_bits, v2019)));
  o.Bool("fix_valid", l.fix_valid());
  o.Dbl("latitude", l.latitude, 6).Dbl("longitude", l.longitude, 6);
  o.Num("altitude_m", l.altitude_m).Dbl("speed_kmh", l.speed_kmh, 1).Num("course_deg", l.course_deg);
  if (l.time) {
    o.Str("time", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *l.time, absl::UTCTimeZone()));
  } else {
    o.Raw("time", "null");
  }
  if (l.mileage_km) o.Dbl("mileage_km", *l.mileage_km, 1);
  if (l.fuel_l) o.Dbl("fuel_l", *l.fuel_l, 1);
  if (l.rssi) o.Num("rssi", *l.rssi);
  if (l.satellites) o.Num("satellites", *l.satellites);
  const ElockInfo& e = l.elock;
  Obj eo;
  if (e.locked) eo.Str("lock_state", *e.locked ? "locked" : "unlocked");
  if (e.battery_percent) eo.Num("battery_percent", *e.battery_percent);
  if (e.battery_volts) eo.Dbl("battery_volts", *e.battery_volts, 2);
  if (e.lock_command) eo.Num("lock_command", *e.lock_command);
  if (e.lock_card) eo.Num("lock_card", *e.lock_card);
  if (e.lock_password) eo.Str("lock_password", *e.lock_password);
  if (e.unlock_result) eo.Num("unlock_result", *e.unlock_result);
  if (e.rope_cut_count) eo.Num("rope_cut_count", *e.rope_cut_count);
  if (e.rope_cut) eo.Bool("rope_cut", *e.rope_cut);
  if (e.motion) eo.Bool("motion", *e.motion);
  if (e.cover_open) eo.Bool("cover_open", *e.cover_open);
  o.Raw("elock", eo.Done());
  o.Raw("seal_alarms", List(ElockAlarms(l, v2019)));
  std::vector<std::string> items;
  for (const AdditionalItem& i : l.items) {
    items.push_back(Obj().Str("id", absl::StrFormat("0x%02X", i.id)).Num("length", static_cast<int64_t>(i.value.size())).Str("hex", ToHex(i.value)).Done());
  }
  o.Raw("items", absl::StrCat("[", absl::StrJoin(items, ","), "]"));
  o.Raw("warnings", List(l.warnings));
}

std::string LocationJson(const Location& l, bool v2019) {
  Obj o;
  LocationFields(l, v2019, o);
  return o.Done();
}

// Appends the body's fields (without braces) to `o`.
void BodyFields(const Jt808Frame& f, Obj& o) {
  const Jt808Header& h = f.header;
  auto error = [&](const absl::Status& s) { o.Str("body_error", s.message()).Str("body_hex", ToHex(f.body)); };
  switch (h.msg_id) {
    case kTerminalGeneralResponse:
    case kPlatformGeneralResponse: {
      auto r = DecodeGeneralResponse(f.body);
      if (!r.ok()) return error(r.status());
      o.Num("reply_serial", r->reply_serial).Raw("reply_id", Id(r->reply_id)).Num("result", r->result);
      return;
    }
    case kHeartbeat:
      return;
    case kRegister: {
      auto r = DecodeRegistration(f.body, h.v2019);
      if (!r.ok()) return error(r.status());
      o.Num("province", r->province).Num("city", r->city).Str("maker", r->maker).Str("model", r->model);
      o.Str("terminal_id", r->terminal_id).Num("plate_color", r->plate_color).Str("plate", r->plate);
      return;
    }
    case kRegisterResponse: {
      auto r = DecodeRegisterResponse(f.body);
      if (!r.ok()) return error(r.status());
      o.Num("reply_serial", r->reply_serial).Num("result", r->result);
      if (r->result == 0) o.Str("auth_code", r->auth_code);
      return;
    }
    case kAuthenticate: {
      auto a = DecodeAuthentication(f.body, h.v2019);
      if (!a.ok()) return error(a.status());
      o.Str("auth_code", a->auth_code);
      if (h.v2019) o.Str("imei", a->imei).Str("firmware", a->firmware);
      return;
    }
    case kLocationReport: {
      auto l = DecodeLocation(f.body);
      if (!l.ok()) return error(l.status());
      LocationFields(*l, h.v2019, o);
      return;
    }
    case kBatchLocation: {
      auto b = DecodeBatchLocation(f.body);
      if (!b.ok()) return error(b.status());
      std::vector<std::string> ls;
      for (const Location& l : b->locations) ls.push_back(LocationJson(l, h.v2019));
      o.Num("count", static_cast<int64_t>(b->locations.size())).Num("type", b->type);
      o.Raw("locations", absl::StrCat("[", absl::StrJoin(ls, ","), "]"));
      return;
    }
    case kUplinkPassThrough:
    case kDownlinkPassThrough: {
      auto p = DecodePassThrough(f.body);
      if (!p.ok()) return error(p.status());
      o.Str("type", absl::StrFormat("0x%02X", p->type)).Str("payload_hex", ToHex(p->payload));
      if (Printable(p->payload)) o.Str("text", std::string(p->payload.begin(), p->payload.end()));
      if (auto u = ParseUnlockReply(*p)) {
        o.Raw("unlock_reply", Obj().Str("lock_id", u->lock_id).Bool("unlocked", u->unlocked).Num("wrong_password_count", u->wrong_password_count).Done());
      }
      return;
    }
    default:
      o.Str("body_hex", ToHex(f.body));
      return;
  }
}

}  // namespace

std::string FrameToJson(const Jt808Frame& f) {
  const Jt808Header& h = f.header;
  Obj o;
  o.Raw("msg_id", Id(h.msg_id)).Str("phone", h.phone).Num("serial", h.serial);
  o.Str("version", h.v2019 ? "2019" : "2013");
  if (h.v2019) o.Num("protocol_version", h.protocol_version);
  o.Bool("checksum_ok", true).Str("check", absl::StrFormat("0x%02X", f.check));
  o.Num("body_length", h.body_length);
  if (h.encryption) o.Num("encryption", h.encryption);
  if (h.subpackaged) o.Num("package_total", h.package_total).Num("package_index", h.package_index);
  BodyFields(f, o);
  return o.Done();
}

absl::StatusOr<std::vector<std::string>> DecodeHexToJson(absl::string_view hex) {
  absl::StatusOr<Bytes> bytes = ParseHex(hex);
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty()) return absl::InvalidArgumentError("no bytes");
  std::vector<std::string> out;
  if (bytes->front() == kJt808Flag) {
    Jt808Framer framer;
    std::vector<Bytes> contents;
    framer.Feed(bytes->data(), bytes->size(), &contents);
    if (contents.empty()) return absl::InvalidArgumentError("no complete 0x7e-delimited frame");
    for (const Bytes& c : contents) {
      absl::StatusOr<Jt808Frame> f = DecodeFrame(c);
      if (!f.ok()) return f.status();
      out.push_back(FrameToJson(*f));
    }
    return out;
  }
  absl::StatusOr<Jt808Frame> f = DecodeUnescapedFrame(*bytes);
  if (!f.ok()) return f.status();
  out.push_back(FrameToJson(*f));
  return out;
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace yardgate::seal
