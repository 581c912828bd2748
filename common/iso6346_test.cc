#include "common/iso6346.h"

#include <gtest/gtest.h>

namespace yardgate::common {
namespace {

TEST(ContainerNumberTest, ValidNumbersPass) {
  for (const char* n : {"CSQU3054383", "TGHU1643396", "OOLU1234567", "TRHU1700369",
                        "APZU3008030", "MSKU0000080"}) {
    EXPECT_TRUE(ValidateContainerNumber(n).ok()) << n;
  }
}

TEST(ContainerNumberTest, RemainderTenGivesZero) {
  EXPECT_EQ(ComputeCheckDigit("MSKU000008"), 0);
}

TEST(ContainerNumberTest, WrongCheckDigitNamesExpectedDigit) {
  const absl::Status s = ValidateContainerNumber("MSCU1234567");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expected 6"), std::string::npos) << s.message();
  EXPECT_FALSE(ValidateContainerNumber("CSQU3045383").ok());  // transposition
  EXPECT_FALSE(ValidateContainerNumber("WEGU6047895").ok());
}

TEST(ContainerNumberTest, MalformedNumbersSayWhatIsWrong) {
  EXPECT_NE(ValidateContainerNumber("CSQU305438").message().find("10 characters"), std::string::npos);
  EXPECT_NE(ValidateContainerNumber("CSQX3054383").message().find("category"), std::string::npos);
  EXPECT_NE(ValidateContainerNumber("C5QU3054383").message().find("owner code"), std::string::npos);
  EXPECT_NE(ValidateContainerNumber("CSQU30543B3").message().find("non-digit"), std::string::npos);
}

TEST(ContainerNumberTest, CharValuesSkipMultiplesOfEleven) {
  EXPECT_EQ(ContainerCharValue('A'), 10);
  EXPECT_EQ(ContainerCharValue('B'), 12);
  EXPECT_EQ(ContainerCharValue('K'), 21);
  EXPECT_EQ(ContainerCharValue('L'), 23);
  EXPECT_EQ(ContainerCharValue('U'), 32);
  EXPECT_EQ(ContainerCharValue('V'), 34);
  EXPECT_EQ(ContainerCharValue('Z'), 38);
  EXPECT_EQ(ContainerCharValue('7'), 7);
  EXPECT_EQ(ContainerCharValue('-'), -1);
}

TEST(ContainerNumberTest, NormalizeStripsSeparators) {
  EXPECT_EQ(NormalizeContainerNumber("csqu 305438-3"), "CSQU3054383");
}

}  // namespace
}  // namespace yardgate::common
