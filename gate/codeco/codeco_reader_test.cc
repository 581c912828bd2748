// CheckCodeco and DecodeGateMoves on interchanges that did not come from our writer.
#include "gate/codeco/codeco_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "gate/codeco/codeco_fixtures.h"

namespace yardgate::gate::codeco {
namespace {

using ::testing::HasSubstr;
using testing::ReadTestdata;
using testing::Shenzhen;

// gate_in_export.edi with the first `from` replaced by `to`, parsed.
absl::StatusOr<Interchange> DamagedExample(const std::string& from, const std::string& to) {
  std::string text = ReadTestdata("gate_in_export.edi");
  const size_t at = text.find(from);
  if (at == std::string::npos) return absl::NotFoundError("'" + from + "' is not in gate_in_export.edi");
  text.replace(at, from.size(), to);
  return ParseInterchange(text);
}

TEST(CheckCodecoTest, AcceptsTheGoldenFiles) {
  for (const char* name : {"gate_in_export.edi", "gate_out_import.edi", "empty_return.edi", "seal_ftx.edi",
                           "escaping.edi", "twin_two_messages.edi"}) {
    absl::StatusOr<Interchange> in = ParseInterchange(ReadTestdata(name));
    ASSERT_TRUE(in.ok()) << name << ": " << in.status();
    EXPECT_TRUE(CheckCodeco(*in).ok()) << name << ": " << CheckCodeco(*in);
  }
}

struct Damaged {
  std::string name;
  std::string from;  // replaced in gate_in_export.edi (the first occurrence)
  std::string to;
  std::string says;
};

void PrintTo(const Damaged& c, std::ostream* os) { *os << c.name; }

class CheckCodecoErrorTest : public ::testing::TestWithParam<Damaged> {};

TEST_P(CheckCodecoErrorTest, FindsTheProblem) {
  absl::StatusOr<Interchange> in = DamagedExample(GetParam().from, GetParam().to);
  ASSERT_TRUE(in.ok()) << in.status();
  const absl::Status s = CheckCodeco(*in);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    Codeco, CheckCodecoErrorTest,
    ::testing::ValuesIn(std::vector<Damaged>{
        {"UntCount", "UNT+23+", "UNT+22+",
         "message 1 (457001): UNT counts '22' segments; the message has 23"},
        {"UntReference", "UNT+23+457001", "UNT+23+457002", "UNT reference '457002' is not UNH's '457001'"},
        {"UnzCount", "UNZ+1+", "UNZ+2+", "UNZ counts '2' messages; the interchange has 1"},
        {"UnzReference", "UNZ+1+GI0000457", "UNZ+1+GI0000458",
         "UNZ reference 'GI0000458' is not UNB's 'GI0000457'"},
        {"CntCount", "CNT+16:1", "CNT+16:2",
         "segment 22 CNT: CNT+16 counts '2' boxes; the message has 1 EQD"},
        {"MessageType", "CODECO:D:95B", "CODECO:D:96A", "UNH message identifier 'CODECO:D:96A:UN'"},
        {"DocumentName", "BGM+34", "BGM+98", "document name '98' is not 34 (gate-in) or 36 (gate-out)"},
        {"LongSeal", "SEL+CX04588127", "SEL+CX0458812799",
         "segment 16 SEL: SEL 9308 seal number 'CX0458812799' has 12 "
         "characters; D.95B allows an..10"},
        {"ProvinceInUnoa", "YUEBG3891",
         "\xE7\xB2\xA4"
         "BG3891",
         "segment 20 TDT: TDT element 8 '粤BG3891': '粤' (U+7CA4) is not in UNOA"},
        {"BadTime", "DTM+7:202403150941", "DTM+7:202413150941",
         "'202413150941' is not a date/time in format '203'"},
        {"OutOfOrder", "TMD+3++2'\nDTM+7:202403150941:203'\n", "DTM+7:202403150941:203'\nTMD+3++2'\n",
         "segment 12 TMD is out of the D.95B CODECO order"},
        {"MissingNad", "NAD+MS+YGYARD01:160:ZZZ'\nNAD+MR+CARRIERX:160:ZZZ'\nNAD+CF+CRX:160:ZZZ'\n", "",
         "mandatory segment group SG2 (NAD) is missing"},
        {"SegmentOutsideCodeco", "TMD+3++2'", "XYZ+1'", "segment 11 XYZ is out of the D.95B CODECO order"},
        {"TooManyElements", "TMD+3++2'", "TMD+3++2+9'", "TMD has 4 data elements; D.95B defines 3"},
        {"MandatoryMissing", "MEA+AAE+G+KGM:18760'", "MEA++G+KGM:18760'",
         "MEA 6311 measurement application qualifier is mandatory"},
        {"NotNumeric", "KGM:18760", "KGM:18T60", "MEA 6314 measurement value '18T60' is not numeric"},
        {"SyntaxIdentifier", "UNOA:2", "UNOX:2", "syntax identifier 'UNOX' is not UNOA, UNOB or UNOC"},
    }),
    [](const ::testing::TestParamInfo<Damaged>& info) { return info.param.name; });

TEST(CheckCodecoTest, DuplicateMessageReferencesAreFound) {
  std::string text = ReadTestdata("twin_two_messages.edi");
  text = absl::StrReplaceAll(text, {{"UNH+M2+", "UNH+M1+"}, {"UNT+14+M2", "UNT+14+M1"}});
  absl::StatusOr<Interchange> in = ParseInterchange(text);
  ASSERT_TRUE(in.ok()) << in.status();
  const absl::Status s = CheckCodeco(*in);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("message 2 (M1): its reference is used by an earlier message"));
}

// An interchange as another yard's system might send it: no UNA, CR LF after segments, ITIGG
// header without vessel, load and discharge ports with the box, a VGM besides the gross
// weight, a seal without party, the plate with a code list, segments this reader does not
// model (DIM, EQA, FTX remarks), and a weight written with a decimal mark.
constexpr char kForeign[] =
    "UNB+UNOA:1+DEPOTX+YGYARD01+240316:0815+77'\r\n"
    "UNH+1+CODECO:D:95B:UN:SMDG16'\r\n"
    "BGM+36+GO77+9'\r\n"
    "FTX+AAI+++DEPOT REMARK'\r\n"
    "NAD+MS+DEPOTX:160:ZZZ'\r\n"
    "NAD+CF+OOL:172:20'\r\n"
    "EQD+CN+OOLU1234567+42G1:102:5++3+5'\r\n"
    "RFF+BM:OOLUSZX2403001'\r\n"
    "DTM+7:202403160812:203'\r\n"
    "LOC+165+CNSHK:139:6+DEPX:TER:ZZZ'\r\n"
    "LOC+9+HKHKG:139:6'\r\n"
    "LOC+11+CNSHK:139:6'\r\n"
    "MEA+AAE+VGM+KGM:24400.0'\r\n"
    "MEA+AAE+G+KGM:24310,00'\r\n"
    "DIM+1+CMT:1:2:3'\r\n"
    "SEL+OL884512'\r\n"
    "FTX+AAI+++BOX CLEAN'\r\n"
    "EQA+CH+CHAS001'\r\n"
    "TDT+1++3+31++++B12345:146'\r\n"
    "NAD+CA+HAUL2:172:ZZZ'\r\n"
    "CNT+16:1'\r\n"
    "UNT+21+1'\r\n"
    "UNZ+1+77'\r\n";

TEST(DecodeGateMovesTest, ReadsAForeignInterchangeLeniently) {
  absl::StatusOr<Interchange> in = ParseInterchange(kForeign);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(CheckCodeco(*in).ok()) << CheckCodeco(*in);
  absl::StatusOr<std::vector<GateMove>> moves = DecodeGateMoves(*in, absl::FixedTimeZone(8 * 3600));
  ASSERT_TRUE(moves.ok()) << moves.status();
  ASSERT_EQ(moves->size(), 1u);
  GateMove expected;
  expected.direction = GateDirection::kGateOut;
  expected.container_number = "OOLU1234567";
  expected.size_type = "42G1";
  expected.trade_status = TradeStatus::kImport;
  expected.full_empty = FullEmpty::kFull;
  expected.references = {{"BM", "OOLUSZX2403001"}};
  expected.gate_time = Shenzhen(2024, 3, 16, 8, 12);
  expected.gate_locode = "CNSHK";
  expected.terminal = "DEPX";
  expected.load_port = "HKHKG";
  expected.discharge_port = "CNSHK";
  expected.gross_weight_kg = 24310;
  expected.seals = {{"OL884512", SealParty::kUnspecified}};
  expected.truck_plate = "B12345";
  expected.haulier = "HAUL2";
  expected.operator_code = "OOL";
  EXPECT_EQ((*moves)[0], expected);
}

TEST(DecodeGateMovesTest, TakesTheELockTimeOnTheDayNearestTheGateTime) {
  std::string text = ReadTestdata("gate_in_export.edi");
  text =
      absl::StrReplaceAll(text, {{"VERIFIED 09?:40", "VERIFIED 23?:58"}, {"202403150941", "202403160003"}});
  absl::StatusOr<Interchange> in = ParseInterchange(text);
  ASSERT_TRUE(in.ok()) << in.status();
  absl::StatusOr<std::vector<GateMove>> moves = DecodeGateMoves(*in, absl::FixedTimeZone(8 * 3600));
  ASSERT_TRUE(moves.ok()) << moves.status();
  EXPECT_EQ((*moves)[0].gate_time, Shenzhen(2024, 3, 16, 0, 3));
  EXPECT_EQ((*moves)[0].elock->state_time, Shenzhen(2024, 3, 15, 23, 58));
}

class DecodeErrorTest : public ::testing::TestWithParam<Damaged> {};

TEST_P(DecodeErrorTest, SaysWhatItCannotRead) {
  absl::StatusOr<Interchange> in = DamagedExample(GetParam().from, GetParam().to);
  ASSERT_TRUE(in.ok()) << in.status();
  absl::StatusOr<std::vector<GateMove>> moves = DecodeGateMoves(*in, absl::UTCTimeZone());
  ASSERT_FALSE(moves.ok());
  EXPECT_THAT(std::string(moves.status().message()), HasSubstr(GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(Codeco, DecodeErrorTest,
                         ::testing::ValuesIn(std::vector<Damaged>{
                             {"EquipmentStatus", "+2+2+5'", "+2+7+5'",
                              "segment 9 EQD: equipment status '7' is not a code this reader knows"},
                             {"SealParty", "SEL+CX04588127+CA", "SEL+CX04588127+XX",
                              "segment 16 SEL: sealing party 'XX'"},
                             {"FractionalWeight", "KGM:18760", "KGM:18760.5",
                              "weight '18760.5' is not a whole number of kilograms"},
                             {"WeightUnit", "KGM:18760", "LBR:41360", "weight unit 'LBR' is not KGM"},
                             {"Time", "DTM+7:202403150941:203", "DTM+7:2024031509:203",
                              "'2024031509' is not a time in format '203'"},
                             {"NoGateTime", "DTM+7:202403150941:203'", "DTM+132:202403150941:203'",
                              "box CSQU3054383 has no DTM+7"},
                             {"SealStateCode", "VERIFIED", "OPENED", "e-lock state 'OPENED'"},
                             {"NotAContainer", "EQD+CN", "EQD+CH", "equipment qualifier 'CH' is not CN"},
                             {"Direction", "BGM+34", "BGM+98", "segment 2 BGM: document name '98'"},
                         }),
                         [](const ::testing::TestParamInfo<Damaged>& info) { return info.param.name; });

}  // namespace
}  // namespace yardgate::gate::codeco
