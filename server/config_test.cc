#include "server/config.h"

#include <gtest/gtest.h>

namespace yardgate::server {
namespace {

TEST(ConfigTest, ExampleConfigParses) {
  absl::StatusOr<Config> c = LoadConfig("deploy/yardgate.conf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_listen, "127.0.0.1:50051");
  EXPECT_DOUBLE_EQ(c->policy.auto_threshold, 0.999);
  ASSERT_EQ(c->lanes.size(), 2u);
  EXPECT_EQ(c->lanes[0].id, "L1");
  EXPECT_EQ(c->lanes[1].direction, gate::Direction::kOut);
  EXPECT_EQ(c->auth.tokens.size(), 6u);
  EXPECT_EQ(c->seals.DefaultLockFamily(), "demo-locks");
  EXPECT_EQ(c->ocr_budget_ms, 700);
}

TEST(ConfigTest, ParsesEverySection) {
  absl::StatusOr<Config> c = ParseConfig(R"(
    [server]
    data_dir = /srv/yardgate   ; a comment
    grpc_listen = 0.0.0.0:50051
    ocr_budget_ms = 0             ; no limit
    [decision]
    auto_threshold = 0.95
    require_customs_release = yes
    default_inspection_ratio = 0.05
    inspection_ratio.ACME = 0.5
    risk_seed = 7
    blacklisted_plates = 粤B12345, 粤B·99999
    [lane IN-1]
    direction = in
    barrier = modbus://127.0.0.1:1502?unit=1&base=0
  )");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_dir, "/srv/yardgate");
  EXPECT_EQ(c->ocr_budget_ms, 0);
  EXPECT_TRUE(c->policy.require_customs_release);
  EXPECT_DOUBLE_EQ(c->policy.company_inspection_ratio.at("ACME"), 0.5);
  EXPECT_EQ(c->policy.risk_seed, 7u);
  EXPECT_EQ(c->policy.blacklisted_plates, (std::vector<std::string>{"粤B12345", "粤B99999"}));
  ASSERT_NE(c->FindLane("IN-1"), nullptr);
  EXPECT_EQ(c->FindLane("IN-1")->barrier, "modbus://127.0.0.1:1502?unit=1&base=0");
}

TEST(ConfigTest, ErrorsNameTheLineAndTheProblem) {
  auto error = [](const std::string& text) { return std::string(ParseConfig(text).status().message()); };
  EXPECT_EQ(error("[server]\nport = 1\n"), "config line 2: unknown key 'port' in [server]");
  EXPECT_EQ(error("[decision]\nauto_threshold = 1.5\n"), "config line 2: auto_threshold must be within [0, 1]");
  EXPECT_EQ(error("[decision]\nauto_threshold = high\n"), "config line 2: auto_threshold = 'high' is not a number");
  EXPECT_EQ(error("[lane L1]\ndirection = sideways\n"), "config line 2: direction = 'sideways': use in or out");
  EXPECT_EQ(error("[lane L1]\n[lane L1]\n"), "config line 2: lane L1 is defined twice");
  EXPECT_EQ(error("[server]\nocr_budget_ms = -5\n"),
            "config line 2: ocr_budget_ms must be 0 (none) or positive");
  EXPECT_EQ(error("[nope]\n"), "config line 1: unknown section [nope]");
  EXPECT_EQ(error("grpc_listen = x\n"), "config line 1: 'grpc_listen' is outside any section");
}

TEST(ConfigTest, AuthLinesGoToTheTrustLayerWithTheirLineNumber) {
  absl::StatusOr<Config> c = ParseConfig(
      "[auth]\ntoken = clerk clerk-7 00112233445566778899aabbccddeeff "
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->auth.tokens.size(), 1u);
  const absl::Status bad = ParseConfig("[auth]\ntoken = clerk clerk-7 plaintext-secret-of-old\n").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.message()).rfind("config line 2: ", 0), 0u) << bad;
}

TEST(ConfigTest, LockFamiliesNeedTheirPassword) {
  absl::StatusOr<Config> c = ParseConfig("[lock_family a]\nunlock_password = abc123\n[lock_family b]\nunlock_password = x\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->seals.lock_family_passwords.size(), 2u);
  EXPECT_EQ(c->seals.DefaultLockFamily(), "");  // two families and no default: none
  EXPECT_FALSE(ParseConfig("[lock_family a]\n").ok());
  EXPECT_FALSE(ParseConfig("[lock_family a]\nunlock_password = a,b\n").ok());
  EXPECT_FALSE(ParseConfig("[seals]\ndefault_lock_family = z\n").ok());
}

TEST(ConfigTest, LaneStageMustFitItsDirection) {
  EXPECT_TRUE(ParseConfig("[lane P]\ndirection = in\nstage = pre-gate\n").ok());
  EXPECT_FALSE(ParseConfig("[lane X]\ndirection = in\nstage = out-gate\n").ok());
}

TEST(ConfigTest, FlagsOverrideTheFile) {
  const char* argv[] = {"yardgate-server", "--config", "deploy/yardgate.conf", "--data-dir", "/tmp/x",
                        "--grpc-listen=127.0.0.1:0"};
  absl::StatusOr<Config> c = ConfigFromFlags(6, const_cast<char**>(argv));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->grpc_listen, "127.0.0.1:0");
  EXPECT_EQ(c->config_path, "deploy/yardgate.conf");
}

TEST(ConfigTest, UnknownFlagIsAnError) {
  const char* argv[] = {"yardgate-server", "--colour", "blue"};
  absl::StatusOr<Config> c = ConfigFromFlags(3, const_cast<char**>(argv));
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--colour"), std::string::npos);
}

}  // namespace
}  // namespace yardgate::server
