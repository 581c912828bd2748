#include "gate/codeco/edifact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace yardgate::gate::codeco {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Write(const Segment& s, CharacterSet set = CharacterSet::kUnoa) {
  return SerializeSegment(s, Delimiters{}, set);
}

TEST(EdifactTest, ReleaseCharacterEscapesTheFourServiceCharacters) {
  const Segment s{"FTX", {{"AAI"}, {}, {}, {"A'B+C:D?E"}}};
  EXPECT_EQ(Write(s), "FTX+AAI+++A?'B?+C?:D??E'");
}

TEST(EdifactTest, TrailingEmptyElementsAndComponentsAreLeftOut) {
  EXPECT_EQ(Write({"TDT", {{"1"}, {}, {"3"}, {"31"}, {}, {}, {}, {"YUEBG3891"}, {}}}),
            "TDT+1++3+31++++YUEBG3891'");
  EXPECT_EQ(Write({"TDT",
                   {{"20"},
                    {"412E"},
                    {"1"},
                    {},
                    {"CRX", "172", "20"},
                    {},
                    {},
                    {"9450648", "146", "", "EXAMPLE TRADER"}}}),
            "TDT+20+412E+1++CRX:172:20+++9450648:146::EXAMPLE TRADER'");
  EXPECT_EQ(Write({"LOC", {{"165"}, {"CNYTN", "139", "6"}, {"", ""}}}), "LOC+165+CNYTN:139:6'");
  EXPECT_EQ(UnaSegment(Delimiters{}), "UNA:+.? '");
}

TEST(EdifactTest, ParseUndoesReleaseCharactersAndSplitsComponents) {
  absl::StatusOr<Interchange> in = ParseInterchange(
      "UNA:+.? 'UNB+UNOA:2+A:ZZ+B:ZZ+240315:0942+R1'UNH+1+CODECO:D:95B:UN'"
      "FTX+AAI+++ELOCK EL1 VERIFIED 09?:40:SECOND?+LINE?"  // "??'" split: no trigraph
      "?'UNT+3+1'UNZ+1+R1'");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->has_una);
  EXPECT_EQ(in->SyntaxIdentifier(), "UNOA");
  ASSERT_EQ(in->messages.size(), 1u);
  const Segment& ftx = in->messages[0].segments[1];
  EXPECT_EQ(ftx.tag, "FTX");
  EXPECT_THAT(ftx.elements[3], ElementsAre("ELOCK EL1 VERIFIED 09:40", "SECOND+LINE?"));
  EXPECT_EQ(ftx.Value(3, 1), "SECOND+LINE?");
  EXPECT_EQ(ftx.Value(1), "");
  EXPECT_EQ(ftx.Value(9, 9), "");
  EXPECT_EQ(in->header.Value(3, 1), "0942");
  EXPECT_EQ(in->trailer.Value(1), "R1");
}

TEST(EdifactTest, WhatSerializeWritesParsesBackToTheSameValues) {
  const Segment s{"RFF", {{"BN", "BK'24+03:15?7", "", "V:1"}}};
  absl::StatusOr<Interchange> in = ParseInterchange("UNB+UNOA:2+A+B+240315:0942+R1'UNH+1+CODECO:D:95B:UN'" +
                                                    Write(s) + "UNT+3+1'UNZ+1+R1'");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->messages[0].segments[1].elements, s.elements);
}

TEST(EdifactTest, UnaIsHonoured) {
  // component |, element *, decimal ',', release !, terminator ~
  absl::StatusOr<Interchange> in = ParseInterchange(
      "UNA|*,! ~UNB*UNOA|2*A*B*240315|0942*R1~UNH*1*CODECO|D|95B|UN~FTX*AAI***A!~B!*C!|D!!E+F:G'H?~"
      "UNT*3*1~UNZ*1*R1~");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->delimiters.component, '|');
  EXPECT_EQ(in->delimiters.release, '!');
  EXPECT_EQ(in->delimiters.decimal, ',');
  EXPECT_EQ(in->messages[0].segments[0].Value(1, 2), "95B");
  EXPECT_EQ(in->messages[0].segments[1].Value(3), "A~B*C|D!E+F:G'H?");
}

TEST(EdifactTest, WithoutUnaTheDefaultsApplyAndLineBreaksBetweenSegmentsAreSkipped) {
  absl::StatusOr<Interchange> in = ParseInterchange(
      "UNB+UNOA:1+A+B+240315:0942+R1'\r\nUNH+1+CODECO:D:95B:UN'\r\nUNT+2+1'\r\nUNZ+1+R1'\r\n");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_FALSE(in->has_una);
  EXPECT_EQ(in->messages[0].segments.size(), 2u);
  EXPECT_EQ(in->messages[0].segments[1].offset, 56u);
}

TEST(EdifactTest, UnocIsReadAsLatin1AndWrittenAsLatin1) {
  absl::StatusOr<Interchange> in = ParseInterchange(
      "UNB+UNOC:3+A+B+240315:0942+R1'UNH+1+CODECO:D:95B:UN'NAD+CA++H\xC9LO\xCFSE'UNT+3+1'UNZ+1+R1'");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->messages[0].segments[1].Value(2), "HÉLOÏSE");
  EXPECT_EQ(Write({"NAD", {{"CA"}, {}, {"HÉLOÏSE"}}}, CharacterSet::kUnoc), "NAD+CA++H\xC9LO\xCFSE'");
  // Any other identifier: the bytes stay as they are, for the checker to judge.
  in = ParseInterchange("UNB+UNOA:3+A+B+240315:0942+R1'UNH+1+X:D:95B:UN'NAD+CA++H\xC9'UNT+3+1'UNZ+1+R1'");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->messages[0].segments[1].Value(2), "H\xC9");
}

struct BadText {
  std::string name;
  std::string text;
  std::string says;
};

void PrintTo(const BadText& c, std::ostream* os) { *os << c.name; }

class ParseErrorTest : public ::testing::TestWithParam<BadText> {};

TEST_P(ParseErrorTest, SaysWhereAndWhat) {
  absl::StatusOr<Interchange> in = ParseInterchange(GetParam().text);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(in.status().message()), HasSubstr(GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    Edifact, ParseErrorTest,
    ::testing::ValuesIn(std::vector<BadText>{
        {"Empty", "", "starts with UNB"},
        {"NoUnb", "UNH+1+CODECO:D:95B:UN'UNT+2+1'", "starts with UNB"},
        {"ShortUna", "UNA:+.", "six service characters"},
        {"DanglingRelease", "UNB+UNOA:2+A+B+240315:0942+R1'UNZ+0+R1?",
         "byte 38: the text ends in a release character"},
        {"CutShort", "UNB+UNOA:2+A+B+240315:0942+R1'UNH+1+CODECO:D:95B:UN'UNT+2",
         "segment 'UNT' is not terminated"},
        {"NoUnz", "UNB+UNOA:2+A+B+240315:0942+R1'UNH+1+CODECO:D:95B:UN'UNT+2+1'", "does not end with UNZ"},
        {"OutsideMessage", "UNB+UNOA:2+A+B+240315:0942+R1'BGM+34'UNZ+0+R1'",
         "byte 30: segment BGM is outside a message"},
        {"NoUnt", "UNB+UNOA:2+A+B+240315:0942+R1'UNH+1+CODECO:D:95B:UN'BGM+34'UNZ+1+R1'",
         "the last message has no UNT"},
        {"UnhInsideMessage",
         "UNB+UNOA:2+A+B+240315:0942+R1'UNH+1+X:D:95B:UN'UNH+2+X:D:95B:UN'UNT+2+2'UNZ+1+R1'",
         "UNH before the previous message's UNT"},
        {"FunctionalGroup", "UNB+UNOA:2+A+B+240315:0942+R1'UNG+CODECO'UNE+1'UNZ+1+R1'", "functional groups"},
        {"NotATag", "UNB+UNOA:2+A+B+240315:0942+R1' UNH+1'UNZ+0+R1'", "' UNH' is not a segment tag"},
        {"LowerCaseTag", "UNB+UNOA:2+A+B+240315:0942+R1'unh+1'UNZ+0+R1'", "'unh' is not a segment tag"},
        {"UnaTwice", "UNA::.? 'UNB", "UNA uses ':' for two service characters"},
    }),
    [](const ::testing::TestParamInfo<BadText>& info) { return info.param.name; });

struct CharacterCase {
  std::string value;
  CharacterSet set;
  std::string says;  // "" when the value fits
};

class CharacterTest : public ::testing::TestWithParam<CharacterCase> {};

TEST_P(CharacterTest, JudgesTheSet) {
  const absl::Status s = CheckCharacters(GetParam().value, GetParam().set);
  if (GetParam().says.empty()) {
    EXPECT_TRUE(s.ok()) << s;
  } else {
    ASSERT_FALSE(s.ok()) << GetParam().value;
    EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().says));
  }
}

INSTANTIATE_TEST_SUITE_P(Edifact, CharacterTest,
                         ::testing::ValuesIn(std::vector<CharacterCase>{
                             {"CSQU3054383 ., -()/='+:?!\"%&*;<>", CharacterSet::kUnoa, ""},
                             {"Yue", CharacterSet::kUnoa, "'u' (U+0075) is not in UNOA"},
                             {"A_B", CharacterSet::kUnoa, "'_' (U+005F) is not in UNOA"},
                             {"A#B", CharacterSet::kUnob, "'#' (U+0023) is not in UNOB"},
                             {"A@B", CharacterSet::kUnoa, "'@' (U+0040) is not in UNOA"},
                             {"Haulier 07", CharacterSet::kUnob, ""},
                             {"粤B12345", CharacterSet::kUnob, "'粤' (U+7CA4) is not in UNOB"},
                             {"Société #1 [ok]", CharacterSet::kUnoc, ""},
                             {"粤B12345", CharacterSet::kUnoc, "'粤' (U+7CA4) is not in UNOC"},
                             {"A\tB", CharacterSet::kUnoc, "(U+0009) is not in UNOC"},
                             {"A\nB", CharacterSet::kUnoa, "(U+000A) is not in UNOA"},
                             {"\xC9T\xC9", CharacterSet::kUnoc, "byte 0 is not valid UTF-8 (0xc9)"},
                             {"\xE7\xB2", CharacterSet::kUnoc, "byte 0 is not valid UTF-8"},
                         }));

}  // namespace
}  // namespace yardgate::gate::codeco
