#include "tests/test_principals.h"

#include <cstdlib>
#include <fstream>

#include "server/auth/auth_config.h"
#include "server/auth/credentials.h"

namespace yardgate::testing {

const std::vector<TestPrincipal>& TestPrincipals() {
  static const std::vector<TestPrincipal> principals = {
      {"lane", "lane-test"}, {"terminal_system", "tos-1"}, {"customs", "customs-1"}, {"officer", "officer-1"},
      {"clerk", "clerk-7"},  {"admin", "admin-1"},         {"seal_terminal", "seal-ST1"}};
  return principals;
}

std::map<std::string, std::string> MintTestTokens(server::Config* config) {
  std::vector<std::string> lanes;
  for (const server::LaneConfig& lane : config->lanes) lanes.push_back(lane.id);
  std::map<std::string, std::string> tokens;
  config->auth.tokens.clear();
  for (const auto& [role, id] : TestPrincipals()) {
    // Minting fails only when the system's random source does: nothing a test could go on without.
    absl::StatusOr<auth::MintedToken> minted =
        auth::MintToken(*auth::ParseRole(role), id, role == "lane" ? lanes : std::vector<std::string>{});
    if (!minted.ok()) std::abort();
    tokens[role] = minted->token;
    const std::string line = minted->config_line;
    if (!auth::SetAuthKey(config->auth, "token", line.substr(line.find('=') + 2)).ok()) std::abort();
  }
  return tokens;
}

std::string WriteTestConfig(const std::string& dir, std::map<std::string, std::string>* tokens) {
  server::Config config = server::DefaultConfig();
  *tokens = MintTestTokens(&config);
  std::string text = "[lane L1]\ndirection = in\n[lane L2]\ndirection = out\n"
                     "[lock_family test-locks]\nunlock_password = test-unlock-password\n[auth]\n";
  for (const auth::TokenEntry& t : config.auth.tokens) text += "token = " + auth::FormatTokenEntry(t) + "\n";
  const std::string path = dir + "/yardgate.conf";
  std::ofstream(path) << text;
  return path;
}

}  // namespace yardgate::testing
