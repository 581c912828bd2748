// ParsePartnerProfile, Receives and TransliteratePlate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gate/codeco/codeco.h"
#include "gate/codeco/codeco_fixtures.h"

namespace yardgate::gate::codeco {
namespace {

using testing::CarrierX;
using testing::CarrierXEntries;
using ::testing::ElementsAre;
using testing::Entries;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(PartnerProfileTest, ReadsEveryKey) {
  absl::StatusOr<PartnerProfile> p = ParsePartnerProfile("terminal-b", {{"partner_id", "TERMB"},
                                                                        {"partner_qualifier", "172"},
                                                                        {"sender_id", "YGYARD01"},
                                                                        {"sender_qualifier", "ZZZ"},
                                                                        {"owners", "CSQ, OOL TGH"},
                                                                        {"syntax", "UNOB:3"},
                                                                        {"association_code", "SMDG16"},
                                                                        {"boxes_per_message", "1"},
                                                                        {"plate", "table"},
                                                                        {"plate_codes", "粤:GD, 港:HK"},
                                                                        {"plate_element", "name"},
                                                                        {"long_seals", "truncate"},
                                                                        {"time_zone", "-05:30"},
                                                                        {"line_breaks", "yes"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "terminal-b");
  EXPECT_EQ(p->partner_id, "TERMB");
  EXPECT_EQ(p->partner_qualifier, "172");
  EXPECT_EQ(p->sender_id, "YGYARD01");
  EXPECT_EQ(p->sender_qualifier, "ZZZ");
  EXPECT_THAT(p->owner_codes, ElementsAre("CSQ", "OOL", "TGH"));
  EXPECT_FALSE(p->all_owners);
  EXPECT_EQ(p->character_set, CharacterSet::kUnob);
  EXPECT_EQ(p->syntax_version, 3);
  EXPECT_EQ(p->association_code, "SMDG16");
  EXPECT_EQ(p->max_boxes_per_message, 1);
  EXPECT_EQ(p->plate_rule, PlateRule::kCodeTable);
  EXPECT_THAT(p->plate_codes, ElementsAre(Pair("港", "HK"), Pair("粤", "GD")));
  EXPECT_EQ(p->plate_element, PlateElement::kName);
  EXPECT_EQ(p->long_seals, LongSealRule::kTruncate);
  EXPECT_EQ(p->time_zone, absl::FixedTimeZone(-(5 * 3600 + 30 * 60)));
  EXPECT_TRUE(p->line_breaks);
}

TEST(PartnerProfileTest, DefaultsAreStrict) {
  absl::StatusOr<PartnerProfile> p =
      ParsePartnerProfile("x", {{"partner_id", "X"}, {"sender_id", "Y"}, {"owners", "*"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->all_owners);
  EXPECT_EQ(p->character_set, CharacterSet::kUnoa);
  EXPECT_EQ(p->syntax_version, 2);
  EXPECT_EQ(p->partner_qualifier, "ZZ");
  EXPECT_EQ(p->association_code, "");
  EXPECT_EQ(p->max_boxes_per_message, 999);
  EXPECT_EQ(p->plate_rule, PlateRule::kNone);
  EXPECT_EQ(p->plate_element, PlateElement::kIdentification);
  EXPECT_EQ(p->long_seals, LongSealRule::kReject);
  EXPECT_EQ(p->time_zone, absl::UTCTimeZone());
  EXPECT_FALSE(p->line_breaks);
}

TEST(PartnerProfileTest, ReadsNamedTimeZones) {
  absl::TimeZone shanghai;
  if (!absl::LoadTimeZone("Asia/Shanghai", &shanghai)) GTEST_SKIP() << "no tzdata on this machine";
  EXPECT_EQ(CarrierX({{"time_zone", "Asia/Shanghai"}}).time_zone, shanghai);
}

struct BadEntry {
  std::string name;
  Entries entries;  // on top of CarrierX's
  std::string says;
};

void PrintTo(const BadEntry& c, std::ostream* os) { *os << c.name; }

class PartnerProfileErrorTest : public ::testing::TestWithParam<BadEntry> {};

TEST_P(PartnerProfileErrorTest, NamesTheSectionTheKeyAndTheValue) {
  absl::StatusOr<PartnerProfile> p = ParsePartnerProfile("carrierx", CarrierXEntries(GetParam().entries));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("[codeco carrierx]"));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    Codeco, PartnerProfileErrorTest,
    ::testing::ValuesIn(std::vector<BadEntry>{
        {"UnknownKey", {{"seal_rule", "cut"}}, "unknown key 'seal_rule'"},
        {"LongSeals", {{"long_seals", "cut"}}, "long_seals = 'cut': use reject, truncate or ftx"},
        {"Syntax",
         {{"syntax", "UNOW:4"}},
         "syntax = 'UNOW:4': use UNOA, UNOB or UNOC with syntax version 1 to 3"},
        {"SyntaxVersion", {{"syntax", "UNOA:4"}}, "syntax = 'UNOA:4'"},
        {"Plate", {{"plate", "latin"}}, "plate = 'latin': use none, pinyin or table"},
        {"PlateCodes", {{"plate_codes", "粤GD"}}, "plate_codes = '粤GD': entry '粤GD' must be one character"},
        {"PlateCodeLowerCase", {{"plate_codes", "粤:gd"}}, "entry '粤:gd'"},
        {"PlateCodesTwice", {{"plate_codes", "粤:GD 粤:YUE"}}, "gives '粤' twice"},
        {"TableWithoutCodes", {{"plate", "table"}}, "plate = table needs plate_codes"},
        {"CodesNeverUsed",
         {{"plate", "none"}, {"plate_codes", "粤:GD"}},
         "plate = none would never use them"},
        {"PlateElement", {{"plate_element", "8213"}}, "plate_element = '8213': use id"},
        {"Owners", {{"owners", "CSQU"}}, "owners = 'CSQU': 'CSQU' is not an owner code"},
        {"NoOwners", {{"owners", " , "}}, "names no owner code"},
        {"BoxesPerMessage", {{"boxes_per_message", "0"}}, "boxes_per_message = '0'"},
        {"AssociationCode", {{"association_code", "ITG-14"}}, "association_code = 'ITG-14'"},
        {"TimeZone", {{"time_zone", "Shenzhen"}}, "time_zone = 'Shenzhen'"},
        {"TimeOffset", {{"time_zone", "+25:00"}}, "time_zone = '+25:00'"},
        {"LineBreaks", {{"line_breaks", "sometimes"}}, "line_breaks = 'sometimes': use yes or no"},
        {"PartnerIdTooLong", {{"partner_id", std::string(36, 'P')}}, "must be 1 to 35 characters"},
        {"PartnerIdNotInSet",
         {{"partner_id", "carrierx"}},
         "partner_id = 'carrierx': 'c' (U+0063) is not in UNOA"},
        {"Qualifier", {{"partner_qualifier", "Z Z"}}, "partner_qualifier = 'Z Z'"},
    }),
    [](const ::testing::TestParamInfo<BadEntry>& info) { return info.param.name; });

TEST(PartnerProfileTest, RequiredAndRepeatedKeys) {
  absl::StatusOr<PartnerProfile> p = ParsePartnerProfile("x", {{"partner_id", "X"}, {"owners", "CSQ"}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("[codeco x]: 'sender_id' is required"));
  p = ParsePartnerProfile("x", {{"partner_id", "X"}, {"partner_id", "Y"}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("partner_id = 'Y': is given twice"));
  EXPECT_FALSE(ParsePartnerProfile("", CarrierXEntries()).ok());
}

TEST(PartnerProfileTest, ReceivesBoxesOfItsOwnerCodes) {
  const PartnerProfile p = CarrierX({{"owners", "CSQ TGH"}});
  EXPECT_TRUE(Receives(p, "CSQU3054383"));
  EXPECT_TRUE(Receives(p, "csqu 305438-3"));
  EXPECT_TRUE(Receives(p, "TGHU1643396"));
  EXPECT_FALSE(Receives(p, "OOLU1234567"));
  EXPECT_FALSE(Receives(p, ""));
  EXPECT_TRUE(Receives(CarrierX({{"owners", "*"}}), "OOLU1234567"));
}

struct PlateCase {
  std::string name;
  Entries profile;
  std::string plate;
  std::string written;  // "" when refused
  std::string says;
};

void PrintTo(const PlateCase& c, std::ostream* os) { *os << c.name; }

class PlateTest : public ::testing::TestWithParam<PlateCase> {};

TEST_P(PlateTest, TransliteratesByThePartnersRule) {
  const PlateCase& c = GetParam();
  absl::StatusOr<std::string> written = TransliteratePlate(c.plate, CarrierX(c.profile));
  if (c.written.empty()) {
    ASSERT_FALSE(written.ok()) << *written;
    EXPECT_THAT(std::string(written.status().message()), HasSubstr(c.says));
  } else {
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(*written, c.written);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Codeco, PlateTest,
    ::testing::ValuesIn(std::vector<PlateCase>{
        {"PinyinProvince", {}, "粤BG3891", "YUEBG3891", ""},
        {"PinyinLongProvince", {}, "陕A12345", "SHAANA12345", ""},
        {"PinyinTrailer", {{"plate_codes", "挂:GUA"}}, "鲁B1234挂", "LUB1234GUA", ""},
        {"PinyinTableFillsTheRest", {{"plate_codes", "港:HK"}}, "粤Z1234港", "YUEZ1234HK", ""},
        {"PinyinWithoutTable", {}, "粤Z1234港", "", "'港' cannot be written in UNOA and it is no province"},
        {"Table", {{"plate", "table"}, {"plate_codes", "粤:GD 港:HK"}}, "粤Z1234港", "GDZ1234HK", ""},
        {"TableOnly",
         {{"plate", "table"}, {"plate_codes", "港:HK"}},
         "粤Z1234港",
         "",
         "'粤' cannot be written"},
        {"None",
         {{"plate", "none"}},
         "粤BG3891",
         "",
         "'粤' cannot be written in UNOA and partner has no plate rule"},
        {"NoneHongKongPlate", {{"plate", "none"}}, "AB1234", "AB1234", ""},
        {"UnobKeepsLowerCase", {{"plate", "none"}, {"syntax", "UNOB:3"}}, "ab1234", "ab1234", ""},
    }),
    [](const ::testing::TestParamInfo<PlateCase>& info) { return info.param.name; });

}  // namespace
}  // namespace yardgate::gate::codeco
