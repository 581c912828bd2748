#include "ocr/json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json.h"

namespace yardgate::ocr {
namespace {

std::string Number(double v) { return absl::StrFormat("%.4g", v); }

std::string FramesToJson(const std::vector<Evidence>& frames) {
  std::string out = "[";
  for (size_t i = 0; i < frames.size(); ++i) {
    const Evidence& e = frames[i];
    if (i > 0) out += ",";
    absl::StrAppend(&out, "{\"image\":", common::JsonString(e.image), ",\"box\":[", e.x, ",", e.y, ",",
                    e.w, ",", e.h, "],\"raw\":", common::JsonString(e.raw),
                    ",\"confidence\":", Number(e.confidence), ",\"score\":", Number(e.score), "}");
  }
  return out + "]";
}

std::string SettlementToJson(const Settlement& s) {
  if (s.empty()) return "null";
  std::string out = "{\"characters\":[";
  for (size_t i = 0; i < s.characters.size(); ++i) {
    const SettledCharacter& c = s.characters[i];
    if (i > 0) out += ",";
    absl::StrAppend(&out, "{\"position\":", c.position, ",\"read\":", common::JsonString(c.read),
                    ",\"expected\":", common::JsonString(c.expected),
                    ",\"read_probability\":", Number(c.read_probability),
                    ",\"expected_probability\":", Number(c.expected_probability), "}");
  }
  absl::StrAppend(&out, "],\"reason\":", common::JsonString(s.reason),
                  ",\"sure\":", s.sure ? "true" : "false", "}");
  return out;
}

}  // namespace

std::string VisitReadsToJson(const VisitReads& reads) {
  std::string out = "{\"containers\":[";
  for (size_t i = 0; i < reads.containers.size(); ++i) {
    const ContainerRead& c = reads.containers[i];
    if (i > 0) out += ",";
    absl::StrAppend(&out, "{\"number\":", common::JsonString(c.number),
                    ",\"iso_type\":", common::JsonString(c.iso_type),
                    ",\"confidence\":", Number(c.confidence),
                    ",\"auto\":", c.auto_ok ? "true" : "false",
                    ",\"check_digit_ok\":", c.check_digit_ok ? "true" : "false",
                    ",\"check_digit_blind\":", c.check_digit_blind ? "true" : "false",
                    ",\"settlement\":", SettlementToJson(c.settlement),
                    ",\"frames\":", FramesToJson(c.frames), "}");
  }
  out += "],\"plates\":[";
  for (size_t i = 0; i < reads.plates.size(); ++i) {
    const PlateRead& p = reads.plates[i];
    if (i > 0) out += ",";
    absl::StrAppend(&out, "{\"text\":", common::JsonString(p.text),
                    ",\"kind\":", common::JsonString(PlateReadKindName(p.kind)),
                    ",\"confidence\":", Number(p.confidence),
                    ",\"auto\":", p.auto_ok ? "true" : "false",
                    ",\"settlement\":", SettlementToJson(p.settlement),
                    ",\"frames\":", FramesToJson(p.frames), "}");
  }
  absl::StrAppend(&out, "],\"elapsed_ms\":", absl::StrFormat("%.1f", reads.elapsed_ms), "}");
  return out;
}

}  // namespace yardgate::ocr
