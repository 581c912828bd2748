#include "gate/codeco/codeco_fixtures.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace yardgate::gate::codeco {

void PrintTo(const GateMove& m, std::ostream* os) {
  *os << "{" << static_cast<int>(m.direction) << "/" << static_cast<int>(m.function) << " "
      << m.container_number << " " << m.size_type << " fe=" << static_cast<int>(m.full_empty)
      << " st=" << static_cast<int>(m.trade_status) << " sup=" << static_cast<int>(m.supplier) << " refs=[";
  for (const Reference& r : m.references) *os << r.qualifier << ":" << r.number << " ";
  *os << "] seals=[";
  for (const Seal& s : m.seals) *os << s.id << "/" << static_cast<int>(s.party) << " ";
  *os << "]";
  if (m.elock) {
    *os << " elock=" << m.elock->id << "/" << static_cast<int>(m.elock->state) << "@"
        << (m.elock->state_time ? absl::FormatTime(*m.elock->state_time) : "-");
  }
  *os << " plate=" << m.truck_plate << " haulier=" << m.haulier << " at=" << absl::FormatTime(m.gate_time)
      << " " << m.gate_locode << "/" << m.terminal << " load=" << m.load_port
      << " discharge=" << m.discharge_port;
  if (m.vessel) *os << " vessel=" << m.vessel->voyage << "/" << m.vessel->imo_number << "/" << m.vessel->name;
  if (m.gross_weight_kg) *os << " kg=" << *m.gross_weight_kg;
  *os << " haulage=" << static_cast<int>(m.haulage) << " damages=[";
  for (const Damage& d : m.damages) *os << d.type << "/" << d.area << "/" << d.severity << " ";
  *os << "] operator=" << m.operator_code << "}";
}

}  // namespace yardgate::gate::codeco

namespace yardgate::gate::codeco::testing {

Entries CarrierXEntries(const Entries& extra) {
  Entries entries = {{"partner_id", "CARRIERX"}, {"sender_id", "YGYARD01"},     {"owners", "CSQ TGH OOL"},
                     {"syntax", "UNOA:2"},       {"association_code", "ITG14"}, {"plate", "pinyin"},
                     {"time_zone", "+08:00"},    {"line_breaks", "yes"}};
  for (const auto& [key, value] : extra) {
    const auto same =
        std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == key; });
    if (same != entries.end()) {
      same->second = value;
    } else {
      entries.emplace_back(key, value);
    }
  }
  return entries;
}

PartnerProfile CarrierX(const Entries& extra) {
  absl::StatusOr<PartnerProfile> p = ParsePartnerProfile("carrierx", CarrierXEntries(extra));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : PartnerProfile{};
}

absl::Time Shenzhen(int year, int month, int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), absl::FixedTimeZone(8 * 3600));
}

GateMove ExampleGateIn() {
  GateMove m;
  m.direction = GateDirection::kGateIn;
  m.container_number = "CSQU3054383";
  m.size_type = "45G1";
  m.full_empty = FullEmpty::kFull;
  m.trade_status = TradeStatus::kExport;
  m.supplier = EquipmentSupplier::kCarrier;
  m.references = {{"BN", "SZX2403150071"}};
  m.seals = {{"CX04588127", SealParty::kCarrier}};
  m.elock = ELock{"EL53001234", SealStateCode::kVerified, Shenzhen(2024, 3, 15, 9, 40)};
  m.truck_plate = "粤BG3891";
  m.haulier = "HAULIER07";
  m.gate_time = Shenzhen(2024, 3, 15, 9, 41);
  m.gate_locode = "CNYTN";
  m.terminal = "YGY";
  m.load_port = "CNYTN";
  m.discharge_port = "NLRTM";
  m.vessel = Vessel{"412E", "9450648", "EXAMPLE TRADER"};
  m.gross_weight_kg = 18760;
  m.haulage = Haulage::kMerchant;
  m.damages = {{"DEN", "RIGH", "MIN"}};
  m.operator_code = "CRX";
  return m;
}

InterchangeRefs ExampleRefs() {
  return {"GI0000457", Shenzhen(2024, 3, 15, 9, 42), {{"457001", "YG240315457"}}};
}

GateMove EmptyReturn() {
  GateMove m;
  m.direction = GateDirection::kGateIn;
  m.container_number = "TGHU1643396";
  m.size_type = "22G1";
  m.full_empty = FullEmpty::kEmpty;
  m.trade_status = TradeStatus::kImport;
  m.supplier = EquipmentSupplier::kCarrier;
  m.references = {{"RE", "RTN2403150008"}};
  m.truck_plate = "粤B12345";
  m.haulier = "HAULIER07";
  m.gate_time = Shenzhen(2024, 3, 15, 10, 7);
  m.gate_locode = "CNYTN";
  m.terminal = "YGY";
  m.operator_code = "CRX";
  return m;
}

GateMove ImportPickUp() {
  GateMove m;
  m.direction = GateDirection::kGateOut;
  m.container_number = "OOLU1234567";
  m.size_type = "42G1";
  m.full_empty = FullEmpty::kFull;
  m.trade_status = TradeStatus::kImport;
  m.supplier = EquipmentSupplier::kCarrier;
  m.references = {{"RE", "REL88123"}, {"BM", "OOLUSZX2403001"}};
  m.seals = {{"OL884512", SealParty::kCarrier}};
  m.truck_plate = "粤B12345";
  m.haulier = "HAULIER07";
  m.gate_time = Shenzhen(2024, 3, 16, 14, 5);
  m.gate_locode = "CNYTN";
  m.terminal = "YGY";
  m.load_port = "HKHKG";
  m.discharge_port = "CNYTN";
  m.vessel = Vessel{"0291W", "9321457", "ORIENT STAR"};
  m.gross_weight_kg = 24310;
  m.haulage = Haulage::kMerchant;
  m.operator_code = "OOL";
  return m;
}

InterchangeRefs Refs(std::string interchange, size_t messages) {
  InterchangeRefs refs{std::move(interchange), Shenzhen(2024, 3, 16, 14, 6), {}};
  for (size_t i = 1; i <= messages; ++i) {
    refs.messages.push_back({"M" + std::to_string(i), "D" + std::to_string(i)});
  }
  return refs;
}

std::string TestdataPath(const std::string& name) {
  const char* src = std::getenv("YARDGATE_SOURCE_DIR");
  return src == nullptr ? "" : std::string(src) + "/gate/codeco/testdata/" + name;
}

std::string ReadTestdata(const std::string& name) {
  const std::string path = TestdataPath(name);
  if (path.empty()) {
    ADD_FAILURE() << "YARDGATE_SOURCE_DIR is not set (ctest sets it; when running the binary by hand, "
                     "export YARDGATE_SOURCE_DIR=<repository root>)";
    return "";
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

}  // namespace yardgate::gate::codeco::testing
