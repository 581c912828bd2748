#include "server/auth/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/auth/auth_config.h"
#include "server/auth/principal.h"

namespace yardgate::auth {
namespace {

using ::testing::HasSubstr;

// Salt 00..0f, secret 20..3f; the hash is SHA-256(salt || secret) as Python's hashlib computes it.
constexpr char kSaltHex[] = "000102030405060708090a0b0c0d0e0f";
constexpr char kSecretHex[] = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
constexpr char kHashHex[] = "2d9321773e79c1120423c9ac6dfe0b77dfba2342e6ddc018e1349d34e9c513dd";
const std::string kKnownToken = absl::StrCat("yg1.", kSaltHex, ".", kSecretHex);

std::shared_ptr<const Credentials> Make(std::vector<std::string> token_lines, std::vector<std::string> cert_lines = {}) {
  AuthConfig config;
  for (const std::string& l : token_lines) EXPECT_TRUE(SetAuthKey(config, "token", l).ok()) << l;
  for (const std::string& l : cert_lines) EXPECT_TRUE(SetAuthKey(config, "cert", l).ok()) << l;
  absl::StatusOr<std::shared_ptr<const Credentials>> c = Credentials::Create(config.tokens, config.certificates);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : nullptr;
}

// The value of a minted config line ("token = VALUE").
std::string ValueOf(const std::string& config_line) { return config_line.substr(std::string("token = ").size()); }

TEST(PrincipalTest, RoleNamesRoundTrip) {
  std::set<std::string> names;
  for (Role r : kAllRoles) {
    names.insert(std::string(RoleName(r)));
    absl::StatusOr<Role> parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_EQ(names, (std::set<std::string>{"lane", "seal_terminal", "officer", "customs", "clerk", "terminal_system", "admin"}));
  EXPECT_EQ(ParseRole("janitor").status().message(),
            "unknown role 'janitor': use lane, seal_terminal, officer, customs, clerk, terminal_system or admin");
}

TEST(PrincipalTest, PrintsRoleIdAndLanes) {
  EXPECT_EQ((Principal{Role::kLane, "lane-L3", {"L3", "L4"}}).ToString(), "lane lane-L3 (lanes L3, L4)");
  EXPECT_EQ((Principal{Role::kClerk, "clerk-7", {}}).ToString(), "clerk clerk-7");
  EXPECT_EQ(RoleSet({Role::kClerk, Role::kAdmin}).ToString(), "clerk or admin");
  EXPECT_EQ(RoleSet().ToString(), "nobody");
}

TEST(TokenTest, HashIsSha256OfSaltAndSecret) {
  std::shared_ptr<const Credentials> c = Make({absl::StrCat("clerk clerk-7 ", kSaltHex, " ", kHashHex)});
  const Principal* p = c->FindToken(kKnownToken);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->ToString(), "clerk clerk-7");
}

TEST(TokenTest, NearMissesAreRefused) {
  std::shared_ptr<const Credentials> c = Make({absl::StrCat("clerk clerk-7 ", kSaltHex, " ", kHashHex)});
  std::string first_secret_byte = kKnownToken, last = kKnownToken, salt = kKnownToken;
  first_secret_byte[4 + 32 + 1] = '3';  // 0x20 -> 0x30
  last.back() = 'e';
  salt[4] = '1';
  for (const std::string& t : {first_secret_byte, last, salt, kKnownToken.substr(0, kKnownToken.size() - 1),
                               kKnownToken + "0", absl::StrCat("yg2.", kSaltHex, ".", kSecretHex),
                               std::string(kSecretHex), std::string()}) {
    EXPECT_EQ(c->FindToken(t), nullptr) << t;
  }
}

TEST(TokenTest, MintedTokenVerifiesAndIsStoredOnlyHashed) {
  absl::StatusOr<MintedToken> minted = MintToken(Role::kTerminalSystem, "tos");
  ASSERT_TRUE(minted.ok()) << minted.status();
  EXPECT_THAT(minted->token, ::testing::StartsWith("yg1."));
  EXPECT_EQ(minted->token.size(), 4u + 32 + 1 + 64);
  EXPECT_THAT(minted->config_line, ::testing::StartsWith("token = terminal_system tos "));
  // The secret (the token's last part) is nowhere in what is stored.
  EXPECT_THAT(minted->config_line, ::testing::Not(HasSubstr(minted->token.substr(4 + 32 + 1))));
  std::shared_ptr<const Credentials> c = Make({ValueOf(minted->config_line)});
  const Principal* p = c->FindToken(minted->token);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->ToString(), "terminal_system tos");
}

TEST(TokenTest, EveryMintIsFresh) {
  std::set<std::string> tokens, salts;
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<MintedToken> m = MintToken(Role::kClerk, "clerk-7");
    ASSERT_TRUE(m.ok());
    tokens.insert(m->token);
    salts.insert(m->token.substr(4, 32));
  }
  EXPECT_EQ(tokens.size(), 50u);
  EXPECT_EQ(salts.size(), 50u);
}

TEST(TokenTest, LaneTokensCarryTheirLanes) {
  absl::StatusOr<MintedToken> m = MintToken(Role::kLane, "lane-L3", {"L3", "L4"});
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(m->config_line, ::testing::EndsWith(" L3 L4"));
  std::shared_ptr<const Credentials> c = Make({ValueOf(m->config_line)});
  const Principal* p = c->FindToken(m->token);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->lanes, (std::vector<std::string>{"L3", "L4"}));
  EXPECT_FALSE(MintToken(Role::kLane, "lane-L3").ok());
  EXPECT_FALSE(MintToken(Role::kClerk, "clerk-7", {"L1"}).ok());
  EXPECT_FALSE(MintToken(Role::kClerk, "clerk 7").ok());
}

TEST(TokenTest, RotationKeepsBothUntilTheOldLineGoes) {
  absl::StatusOr<MintedToken> old_token = MintToken(Role::kClerk, "clerk-7");
  absl::StatusOr<MintedToken> new_token = MintToken(Role::kClerk, "clerk-7");
  ASSERT_TRUE(old_token.ok() && new_token.ok());
  CredentialStore store(Make({ValueOf(old_token->config_line)}));
  std::shared_ptr<const Credentials> before = store.Current();
  store.Replace(Make({ValueOf(old_token->config_line), ValueOf(new_token->config_line)}));
  EXPECT_NE(store.Current()->FindToken(old_token->token), nullptr);
  EXPECT_NE(store.Current()->FindToken(new_token->token), nullptr);
  store.Replace(Make({ValueOf(new_token->config_line)}));
  EXPECT_EQ(store.Current()->FindToken(old_token->token), nullptr);
  EXPECT_NE(store.Current()->FindToken(new_token->token), nullptr);
  // A call that took its snapshot before the reload finishes with it.
  EXPECT_NE(before->FindToken(old_token->token), nullptr);
}

TEST(TokenTest, ReplaceIsSafeWhileOthersRead) {
  absl::StatusOr<MintedToken> a = MintToken(Role::kClerk, "a");
  absl::StatusOr<MintedToken> b = MintToken(Role::kClerk, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  std::shared_ptr<const Credentials> with_a = Make({ValueOf(a->config_line)});
  std::shared_ptr<const Credentials> with_b = Make({ValueOf(b->config_line)});
  CredentialStore store(with_a);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop) {
      std::shared_ptr<const Credentials> c = store.Current();
      // Each snapshot knows exactly one of the two tokens.
      if ((c->FindToken(a->token) != nullptr) == (c->FindToken(b->token) != nullptr)) ++torn;
    }
  });
  for (int i = 0; i < 2000; ++i) store.Replace(i % 2 == 0 ? with_b : with_a);
  stop = true;
  reader.join();
  EXPECT_EQ(torn, 0);
}

TEST(TokenTest, ConfigLinesAreCheckedWordByWord) {
  struct Case {
    std::string value;
    std::string error;
  };
  const std::string salt = kSaltHex, hash = kHashHex;
  const Case cases[] = {
      {"clerk clerk-7 " + salt, "token = ROLE ID SALT HASH [LANE...]: 4 words or more, got 3"},
      {"janitor j1 " + salt + " " + hash, "token = ROLE ID SALT HASH [LANE...]: unknown role 'janitor'"},
      {"clerk clerk/7 " + salt + " " + hash, "token = ROLE ID SALT HASH [LANE...]: 'clerk/7' is not a valid id"},
      {"clerk clerk-7 abc " + hash, "token = ROLE ID SALT HASH [LANE...]: SALT is 32 hex digits"},
      {"clerk clerk-7 " + salt + " " + hash.substr(2) + "zz", "token = ROLE ID SALT HASH [LANE...]: HASH is 64 hex digits"},
      {"clerk clerk-7 " + salt + " " + hash + " L1", "only lane principals have lanes, not clerk"},
      {"lane lane-L1 " + salt + " " + hash, "a lane principal needs at least one lane"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TokenEntry> e = ParseTokenEntry(c.value);
    ASSERT_FALSE(e.ok()) << c.value;
    EXPECT_THAT(std::string(e.status().message()), HasSubstr(c.error)) << c.value;
  }
  absl::StatusOr<TokenEntry> good = ParseTokenEntry("  clerk\tclerk-7  " + salt + " " + hash);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(FormatTokenEntry(*good), "clerk clerk-7 " + salt + " " + hash);
}

TEST(TokenTest, TwoLinesWithOneSaltAreRefused) {
  AuthConfig config;
  const std::string line = absl::StrCat("clerk clerk-7 ", kSaltHex, " ", kHashHex);
  ASSERT_TRUE(SetAuthKey(config, "token", line).ok());
  ASSERT_TRUE(SetAuthKey(config, "token", line).ok());
  absl::StatusOr<std::shared_ptr<const Credentials>> c = Credentials::Create(config.tokens, {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("two token lines share the salt"));
}

TEST(CertificateTest, CnOrSanNamesThePrincipal) {
  std::shared_ptr<const Credentials> c = Make({}, {"lane lane-L1 L1", "lane lane-L3 L3 L4", "seal_terminal seal-ST1"});
  absl::StatusOr<const Principal*> by_cn = c->FindCertificate({"lane-L1"});
  ASSERT_TRUE(by_cn.ok());
  ASSERT_NE(*by_cn, nullptr);
  EXPECT_EQ((*by_cn)->ToString(), "lane lane-L1 (lanes L1)");
  absl::StatusOr<const Principal*> by_san = c->FindCertificate({"kiosk-17.example", "lane-L3"});
  ASSERT_TRUE(by_san.ok());
  ASSERT_NE(*by_san, nullptr);
  EXPECT_EQ((*by_san)->lanes, (std::vector<std::string>{"L3", "L4"}));
  // The same name as CN and SAN (as make-test-certs.sh writes them) is one match, not two.
  absl::StatusOr<const Principal*> twice = c->FindCertificate({"seal-ST1", "seal-ST1"});
  ASSERT_TRUE(twice.ok());
  ASSERT_NE(*twice, nullptr);
  EXPECT_EQ((*twice)->role, Role::kSealTerminal);
  absl::StatusOr<const Principal*> unknown = c->FindCertificate({"lane-L9"});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, nullptr);
  absl::StatusOr<const Principal*> ambiguous = c->FindCertificate({"lane-L1", "lane-L3"});
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_THAT(std::string(ambiguous.status().message()), HasSubstr("names both 'lane-L1' and 'lane-L3'"));
}

TEST(CertificateTest, OnlyDevicesHaveCertificates) {
  EXPECT_THAT(std::string(ParseCertificatePrincipal("clerk clerk-7").status().message()),
              HasSubstr("certificates name lane or seal_terminal principals; clerk uses a token"));
  EXPECT_THAT(std::string(ParseCertificatePrincipal("lane lane-L1").status().message()),
              HasSubstr("a lane principal needs at least one lane"));
  AuthConfig config;
  ASSERT_TRUE(SetAuthKey(config, "cert", "lane lane-L1 L1").ok());
  ASSERT_TRUE(SetAuthKey(config, "cert", "lane lane-L1 L2").ok());
  EXPECT_THAT(std::string(Credentials::Create({}, config.certificates).status().message()),
              HasSubstr("two cert lines name 'lane-L1'"));
}

TEST(AuthConfigTest, TransportKeys) {
  AuthConfig config;
  ASSERT_TRUE(SetAuthKey(config, "tls_cert", "/etc/yardgate/server.crt").ok());
  ASSERT_TRUE(SetAuthKey(config, "tls_key", "/etc/yardgate/server.key").ok());
  ASSERT_TRUE(SetAuthKey(config, "client_ca", "/etc/yardgate/ca.crt").ok());
  ASSERT_TRUE(SetAuthKey(config, "allow_insecure_non_loopback", "true").ok());
  EXPECT_EQ(config.transport.tls_cert_file, "/etc/yardgate/server.crt");
  EXPECT_EQ(config.transport.tls_key_file, "/etc/yardgate/server.key");
  EXPECT_EQ(config.transport.client_ca_file, "/etc/yardgate/ca.crt");
  EXPECT_TRUE(config.transport.allow_insecure_non_loopback);
  EXPECT_EQ(SetAuthKey(config, "allow_insecure_non_loopback", "yes").message(),
            "allow_insecure_non_loopback is true or false, not 'yes'");
  EXPECT_THAT(std::string(SetAuthKey(config, "password", "x").message()), HasSubstr("unknown key 'password' in [auth]"));
}

}  // namespace
}  // namespace yardgate::auth
