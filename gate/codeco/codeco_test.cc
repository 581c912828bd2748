// The writer: golden files, domain.md's worked example, round trips through the reader, and
// the refusals.
#include "gate/codeco/codeco.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gate/codeco/codeco_fixtures.h"
#include "gate/codeco/codeco_reader.h"
#include "gate/codeco/edifact.h"

namespace yardgate::gate::codeco {
namespace {

using testing::CarrierX;
using testing::EmptyReturn;
using testing::Entries;
using testing::ExampleGateIn;
using testing::ExampleRefs;
using ::testing::HasSubstr;
using testing::ImportPickUp;
using testing::ReadTestdata;
using testing::Refs;

struct Golden {
  std::string name;  // testdata/<name>.edi
  Entries profile;   // on top of CarrierX
  std::vector<GateMove> moves;
  InterchangeRefs refs;
  // What the partner receives differs from the moves only where the profile says so (the
  // plate transliterated); DecodeGateMoves must give exactly this back.
  std::function<void(std::vector<GateMove>&)> as_received;
};

void SetPlates(std::vector<GateMove>& moves, const std::string& plate) {
  for (GateMove& m : moves) m.truck_plate = plate;
}

std::vector<Golden> Goldens() {
  GateMove long_seals = ExampleGateIn();
  long_seals.seals = {{"CX0458812799", SealParty::kCarrier}, {"SH991", SealParty::kShipper}};
  long_seals.elock->id = "013800138000";  // a JT/T 808 terminal number, 12 digits
  GateMove escaped = ExampleGateIn();
  escaped.references[0].number = "BK'24+03:15?7";
  escaped.vessel->name = "ST. JOHN'S: A+B?";
  escaped.haulier = "H+1:2";
  GateMove cross_boundary = EmptyReturn();
  cross_boundary.truck_plate = "粤Z1234港";
  GateMove twin = EmptyReturn();
  twin.container_number = "APZU3008030";
  return {
      {"gate_in_export", {}, {ExampleGateIn()}, ExampleRefs(), [](auto& m) { SetPlates(m, "YUEBG3891"); }},
      {"gate_out_import",
       {{"syntax", "UNOC:3"}, {"boxes_per_message", "1"}, {"line_breaks", "no"}},
       {ImportPickUp()},
       Refs("GO0000458", 1),
       [](auto& m) { SetPlates(m, "YUEB12345"); }},
      {"empty_return", {}, {EmptyReturn()}, Refs("GI0000459", 1), [](auto& m) { SetPlates(m, "YUEB12345"); }},
      {"plate_pinyin",
       {{"plate_codes", "港:HK"}, {"plate_element", "name"}},
       {cross_boundary},
       Refs("GI0000460", 1),
       [](auto& m) { SetPlates(m, "YUEZ1234HK"); }},
      {"plate_table",
       {{"plate", "table"}, {"plate_codes", "粤:GD 港:HK"}},
       {cross_boundary},
       Refs("GI0000461", 1),
       [](auto& m) { SetPlates(m, "GDZ1234HK"); }},
      {"seal_truncate",
       {{"long_seals", "truncate"}},
       {long_seals},
       Refs("GI0000462", 1),
       [](auto& m) { SetPlates(m, "YUEBG3891"); }},
      // A seal that only an FTX carries is read back after those in SEL.
      {"seal_ftx",
       {{"long_seals", "ftx"}},
       {long_seals},
       Refs("GI0000463", 1),
       [](auto& m) {
         SetPlates(m, "YUEBG3891");
         std::swap(m[0].seals[0], m[0].seals[1]);
       }},
      {"escaping", {}, {escaped}, Refs("GI0000464", 1), [](auto& m) { SetPlates(m, "YUEBG3891"); }},
      {"twin_one_message",
       {},
       {EmptyReturn(), twin},
       Refs("GI0000465", 1),
       [](auto& m) { SetPlates(m, "YUEB12345"); }},
      {"twin_two_messages",
       {{"boxes_per_message", "1"}},
       {EmptyReturn(), twin},
       Refs("GI0000466", 2),
       [](auto& m) { SetPlates(m, "YUEB12345"); }},
  };
}

void PrintTo(const Golden& g, std::ostream* os) { *os << g.name; }

class GoldenTest : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenTest, WritesTheGoldenFile) {
  const Golden& g = GetParam();
  const PartnerProfile partner = CarrierX(g.profile);
  ASSERT_EQ(MessagesNeeded(g.moves, partner), g.refs.messages.size());
  absl::StatusOr<std::string> edi = WriteCodeco(g.moves, partner, g.refs);
  ASSERT_TRUE(edi.ok()) << edi.status();
  const std::string file = g.name + ".edi";
  if (std::getenv("YARDGATE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(testing::TestdataPath(file), std::ios::binary) << *edi;
    GTEST_SKIP() << "wrote " << testing::TestdataPath(file) << "; review it before committing";
  }
  EXPECT_EQ(*edi, ReadTestdata(file));
  // A resend with the same references is the same interchange, byte for byte.
  EXPECT_EQ(*WriteCodeco(g.moves, partner, g.refs), *edi);
}

TEST_P(GoldenTest, ParsesBackChecksAndDecodesToTheSameMoves) {
  const Golden& g = GetParam();
  const PartnerProfile partner = CarrierX(g.profile);
  absl::StatusOr<std::string> edi = WriteCodeco(g.moves, partner, g.refs);
  ASSERT_TRUE(edi.ok()) << edi.status();
  absl::StatusOr<Interchange> in = ParseInterchange(*edi);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(CheckCodeco(*in).ok()) << CheckCodeco(*in);
  EXPECT_EQ(in->messages.size(), g.refs.messages.size());
  absl::StatusOr<std::vector<GateMove>> decoded = DecodeGateMoves(*in, partner.time_zone);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  std::vector<GateMove> expected = g.moves;
  g.as_received(expected);
  ASSERT_EQ(decoded->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*decoded)[i], expected[i]) << "move " << i + 1 << " of " << g.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Codeco, GoldenTest, ::testing::ValuesIn(Goldens()),
                         [](const ::testing::TestParamInfo<Golden>& info) { return info.param.name; });

// domain.md §14 prints the gate-in it describes, with notes after '#'. The writer, given that
// example's values, writes exactly those segments.
TEST(CodecoWriterTest, ReproducesTheDomainNotesExample) {
  const char* src = std::getenv("YARDGATE_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "YARDGATE_SOURCE_DIR is not set";
  std::ifstream file(std::string(src) + "/../shared/docs/domain.md");
  if (!file) GTEST_SKIP() << "no ../shared/docs/domain.md beside the repository";
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const size_t intro = doc.find("Gate-in, full export, carrier seal");
  ASSERT_NE(intro, std::string::npos);
  const size_t open = doc.find("```\n", intro);
  const size_t close = doc.find("```", open + 4);
  ASSERT_NE(close, std::string::npos);
  std::string expected;
  for (absl::string_view line :
       absl::StrSplit(doc.substr(open + 4, close - open - 4), '\n', absl::SkipEmpty())) {
    const size_t note = line.find("  #");
    expected += std::string(absl::StripTrailingAsciiWhitespace(line.substr(0, note))) + "\n";
  }
  absl::StatusOr<std::string> edi = WriteCodeco({ExampleGateIn()}, CarrierX(), ExampleRefs());
  ASSERT_TRUE(edi.ok()) << edi.status();
  EXPECT_EQ(*edi, expected);
}

TEST(CodecoWriterTest, WritesOneSegmentStreamWithoutLineBreaks) {
  absl::StatusOr<std::string> edi =
      WriteCodeco({ExampleGateIn()}, CarrierX({{"line_breaks", "no"}}), ExampleRefs());
  ASSERT_TRUE(edi.ok()) << edi.status();
  EXPECT_EQ(edi->find('\n'), std::string::npos);
  EXPECT_EQ(edi->substr(0, 40), "UNA:+.? 'UNB+UNOA:2+YGYARD01:ZZ+CARRIERX");
}

TEST(CodecoWriterTest, UnocCarriesLatin1AsLatin1Bytes) {
  GateMove m = EmptyReturn();
  m.references[0].number = "RÉF-1";
  absl::StatusOr<std::string> edi = WriteCodeco({m}, CarrierX({{"syntax", "UNOC:3"}}), Refs("GI1", 1));
  ASSERT_TRUE(edi.ok()) << edi.status();
  EXPECT_THAT(*edi, HasSubstr("RFF+RE:R\xC9"
                              "F-1'"));
  absl::StatusOr<Interchange> in = ParseInterchange(*edi);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(CheckCodeco(*in).ok()) << CheckCodeco(*in);
  EXPECT_EQ((*DecodeGateMoves(*in, absl::UTCTimeZone()))[0].references[0].number, "RÉF-1");
}

TEST(CodecoWriterTest, TruncatesByCharactersNotBytes) {
  GateMove m = EmptyReturn();
  m.seals = {{"SÉAL00000001", SealParty::kShipper}};
  absl::StatusOr<std::string> edi =
      WriteCodeco({m}, CarrierX({{"syntax", "UNOC:3"}, {"long_seals", "truncate"}}), Refs("GI1", 1));
  ASSERT_TRUE(edi.ok()) << edi.status();
  EXPECT_THAT(*edi, HasSubstr("SEL+S\xC9"
                              "AL000000+SH'"));
  EXPECT_THAT(*edi, HasSubstr("FTX+AAI+++SEAL SH S\xC9"
                              "AL00000001'"));
  absl::StatusOr<Interchange> in = ParseInterchange(*edi);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ((*DecodeGateMoves(*in, absl::UTCTimeZone()))[0].seals, m.seals);
}

TEST(CodecoWriterTest, TimesAreWrittenInThePartnersZoneToTheMinute) {
  GateMove m = EmptyReturn();
  m.gate_time = absl::FromCivil(absl::CivilSecond(2024, 3, 15, 23, 59, 59), absl::UTCTimeZone());
  absl::StatusOr<std::string> utc = WriteCodeco({m}, CarrierX({{"time_zone", "UTC"}}), Refs("GI1", 1));
  absl::StatusOr<std::string> shenzhen = WriteCodeco({m}, CarrierX(), Refs("GI1", 1));
  ASSERT_TRUE(utc.ok() && shenzhen.ok());
  EXPECT_THAT(*utc, HasSubstr("DTM+7:202403152359:203'"));
  EXPECT_THAT(*shenzhen, HasSubstr("DTM+7:202403160759:203'"));
}

TEST(CodecoWriterTest, MessagesAreCutWhereTheHeaderChanges) {
  const PartnerProfile partner = CarrierX();
  GateMove out = EmptyReturn();
  out.direction = GateDirection::kGateOut;
  GateMove other_line = EmptyReturn();
  other_line.operator_code = "OOL";
  EXPECT_EQ(MessagesNeeded({EmptyReturn(), EmptyReturn()}, partner), 1u);
  EXPECT_EQ(MessagesNeeded({EmptyReturn(), out, EmptyReturn()}, partner), 3u);
  EXPECT_EQ(MessagesNeeded({EmptyReturn(), other_line}, partner), 2u);
  EXPECT_EQ(MessagesNeeded({ExampleGateIn(), ExampleGateIn(), ExampleGateIn()},
                           CarrierX({{"boxes_per_message", "2"}})),
            2u);
}

struct Refusal {
  std::string name;
  Entries profile;
  std::function<void(GateMove&)> change;
  std::vector<std::string> says;  // each must be in the error
};

void PrintTo(const Refusal& r, std::ostream* os) { *os << r.name; }

class RefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(RefusalTest, NamesTheFieldAndTheValueAndWritesNothing) {
  const Refusal& r = GetParam();
  GateMove m = ExampleGateIn();
  r.change(m);
  absl::StatusOr<std::string> edi = WriteCodeco({m}, CarrierX(r.profile), ExampleRefs());
  ASSERT_FALSE(edi.ok()) << *edi;
  EXPECT_EQ(edi.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& s : r.says) EXPECT_THAT(std::string(edi.status().message()), HasSubstr(s));
}

INSTANTIATE_TEST_SUITE_P(
    Codeco, RefusalTest,
    ::testing::ValuesIn(std::vector<Refusal>{
        {"WrongCheckDigit",
         {},
         [](GateMove& m) { m.container_number = "MSCU1234567"; },
         {"move 1 (MSCU1234567) container_number 'MSCU1234567'", "check digit"}},
        {"SlangSizeType", {}, [](GateMove& m) { m.size_type = "40HQ"; }, {"size_type '40HQ'"}},
        {"OldNumericSizeType", {}, [](GateMove& m) { m.size_type = "4310"; }, {"size_type '4310'"}},
        {"NotALocode",
         {},
         [](GateMove& m) { m.gate_locode = "YANTIAN"; },
         {"gate_locode 'YANTIAN'", "UN/LOCODE"}},
        {"LongSealUnderReject",
         {},
         [](GateMove& m) { m.seals[0].id = "CX0458812799"; },
         {"seals[0].id 'CX0458812799'", "12 characters", "an..10", "long_seals = reject"}},
        {"LongElockUnderReject",
         {},
         [](GateMove& m) { m.elock->id = "013800138000"; },
         {"elock.id '013800138000'", "long_seals = reject"}},
        {"ProvinceWithoutPlateRule",
         {{"plate", "none"}},
         [](GateMove&) {},
         {"truck_plate '粤BG3891'", "'粤' cannot be written in UNOA", "no plate rule"}},
        {"CharacterNotInPlateCodes",
         {},
         [](GateMove& m) { m.truck_plate = "粤Z1234港"; },
         {"truck_plate '粤Z1234港'", "'港'", "not in plate_codes"}},
        {"TransliteratedPlateTooLongForC222Id",
         {},
         [](GateMove& m) { m.truck_plate = "京A12345"; },
         {"truck_plate '京A12345'", "'JINGA12345' has 10 characters", "an..9", "plate_element = name"}},
        {"LowerCaseInUnoa",
         {},
         [](GateMove& m) { m.haulier = "Haulier07"; },
         {"haulier", "'Haulier07'", "'a' (U+0061) is not in UNOA"}},
        {"ChineseInVesselName",
         {{"syntax", "UNOC:3"}},
         [](GateMove& m) { m.vessel->name = "远洋之星"; },
         {"vessel.name", "'远' (U+8FDC) is not in UNOC"}},
        {"ReferenceTooLong",
         {},
         [](GateMove& m) { m.references[0].number = std::string(36, 'A'); },
         {"references[0].number", "RFF 1154 reference number", "36 characters; D.95B allows an..35"}},
        {"VoyageTooLong",
         {},
         [](GateMove& m) { m.vessel->voyage = "VOYAGE-2024-0315-EAST"; },
         {"vessel.voyage", "TDT 8028", "an..17"}},
        {"TenSeals",
         {},
         [](GateMove& m) {
           m.seals.assign(9, Seal{"S1", SealParty::kShipper});
         },
         {"message 457001", "SEL may occur 9 times"}},
        {"SpaceInELockId",
         {},
         [](GateMove& m) { m.elock->id = "EL 5300"; },
         {"elock.id 'EL 5300': holds a space"}},
        {"SpaceInLongSealUnderFtx",
         {{"long_seals", "ftx"}},
         [](GateMove& m) { m.seals[0].id = "CX 045881279"; },
         {"seals[0].id 'CX 045881279': holds a space"}},
        {"DirectionNotSet",
         {},
         [](GateMove& m) { m.direction = GateDirection::kUnspecified; },
         {"direction: is not gate-in or gate-out"}},
        {"FullEmptyNotSet",
         {},
         [](GateMove& m) { m.full_empty = FullEmpty::kUnspecified; },
         {"full_empty: is not set"}},
        {"SealPartyNotSet",
         {},
         [](GateMove& m) { m.seals[0].party = SealParty::kUnspecified; },
         {"seals[0].party: is not set"}},
        {"NoGateTime",
         {},
         [](GateMove& m) { m.gate_time = absl::InfinitePast(); },
         {"gate_time: is not a time"}},
        {"NoOperator", {}, [](GateMove& m) { m.operator_code.clear(); }, {"operator_code: is empty"}},
        {"NegativeWeight", {}, [](GateMove& m) { m.gross_weight_kg = -5; }, {"gross_weight_kg '-5'"}},
    }),
    [](const ::testing::TestParamInfo<Refusal>& info) { return info.param.name; });

TEST(CodecoWriterTest, RefusesReferencesThatDoNotFitTheMessages) {
  const PartnerProfile partner = CarrierX();
  InterchangeRefs refs = ExampleRefs();
  refs.messages.push_back({"457002", "YG240315458"});
  absl::StatusOr<std::string> edi = WriteCodeco({ExampleGateIn()}, partner, refs);
  ASSERT_FALSE(edi.ok());
  EXPECT_THAT(std::string(edi.status().message()), HasSubstr("refs name 2 messages but the moves make 1"));

  refs = Refs("GI0000457", 2);
  refs.messages[1].message = refs.messages[0].message;
  edi = WriteCodeco({ExampleGateIn(), EmptyReturn()}, partner, refs);
  ASSERT_FALSE(edi.ok());
  EXPECT_THAT(std::string(edi.status().message()), HasSubstr("message reference 'M1' is used twice"));

  refs = ExampleRefs();
  refs.interchange = "GI-2024-03-15-0457";
  edi = WriteCodeco({ExampleGateIn()}, partner, refs);
  ASSERT_FALSE(edi.ok());
  EXPECT_THAT(
      std::string(edi.status().message()),
      HasSubstr("refs.interchange: UNB 0020 interchange control reference 'GI-2024-03-15-0457' has 18 "
                "characters; D.95B allows an..14"));

  edi = WriteCodeco({}, partner, ExampleRefs());
  ASSERT_FALSE(edi.ok());
  EXPECT_THAT(std::string(edi.status().message()), HasSubstr("no moves to write"));
}

TEST(CodecoWriterTest, ReportsEveryProblemAtOnce) {
  GateMove m = ExampleGateIn();
  m.container_number = "CSQU3054384";
  m.size_type = "40HQ";
  m.seals[0].id = "CX0458812799";
  absl::StatusOr<std::string> edi = WriteCodeco({m}, CarrierX(), ExampleRefs());
  ASSERT_FALSE(edi.ok());
  const std::string message(edi.status().message());
  EXPECT_THAT(message, HasSubstr("container_number 'CSQU3054384'"));
  EXPECT_THAT(message, HasSubstr("size_type '40HQ'"));
  EXPECT_THAT(message, HasSubstr("seals[0].id 'CX0458812799'"));
}

}  // namespace
}  // namespace yardgate::gate::codeco
