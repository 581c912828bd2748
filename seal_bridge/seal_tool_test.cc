// yardgate-seal, run as a program: what it prints. Issue 14, defect 12: decode printed raw
// non-UTF-8 bytes (an auth code holding 0xff) inside JSON strings.
#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "seal_bridge/jt808_frame.h"
#include "seal_bridge/jt808_json.h"
#include "seal_bridge/jt808_messages.h"

namespace yardgate::seal {
namespace {

using ::testing::HasSubstr;

// Runs yardgate-seal with `args`; returns its stdout and sets `status` to its exit status.
std::string RunTool(const std::string& args, int* status) {
  const std::string command = std::string(YARDGATE_SEAL_TOOL) + " " + args;
  FILE* p = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p != nullptr && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  *status = p == nullptr ? -1 : pclose(p);
  return out;
}

std::string FrameHex(uint16_t msg_id, const Bytes& body) {
  Jt808Header h;
  h.msg_id = msg_id;
  h.phone = "13800000001";
  h.serial = 7;
  return ToHex(EncodeFrame(h, body));
}

TEST(SealToolTest, DecodeEscapesNonUtf8BytesOfAnAuthCode) {
  struct Case {
    const char* name;
    uint16_t msg_id;
    Bytes body;
    const char* field;
  };
  const Case cases[] = {
      {"0x0102 authentication", kAuthenticate, EncodeAuthentication({"ab\xff\xfe" "cd", "", ""}, false),
       "\"auth_code\":\"ab\\u00ff\\u00fecd\""},
      {"0x8100 register response", kRegisterResponse, EncodeRegisterResponse({1, 0, "\xff" "1234"}),
       "\"auth_code\":\"\\u00ff1234\""},
      {"0x0900 pass-through text", kUplinkPassThrough, EncodePassThrough({0xF0, {'(', 0xc3, 0x28, ')'}}),
       "\"payload_hex\":\"28c32829\""},
  };
  for (const Case& c : cases) {
    int status = 0;
    const std::string out = RunTool("decode --hex " + FrameHex(c.msg_id, c.body), &status);
    EXPECT_EQ(status, 0) << c.name;
    EXPECT_TRUE(IsValidUtf8(out)) << c.name << ": " << out;
    EXPECT_THAT(out, HasSubstr(c.field)) << c.name;
  }
}

TEST(SealToolTest, DecodeRefusesABadChecksumWithAJsonError) {
  std::string hex = FrameHex(kHeartbeat, {});
  hex[hex.size() - 4] = hex[hex.size() - 4] == '0' ? '1' : '0';  // the check byte
  int status = 0;
  const std::string out = RunTool("decode --hex " + hex, &status);
  EXPECT_NE(status, 0);
  EXPECT_THAT(out, HasSubstr("{\"error\":\"checksum mismatch"));
}

}  // namespace
}  // namespace yardgate::seal
