// The principals tests and benchmarks call the server as: one minted token per role. Test-only.
#ifndef YARDGATE_TESTS_TEST_PRINCIPALS_H_
#define YARDGATE_TESTS_TEST_PRINCIPALS_H_

#include <map>
#include <string>
#include <vector>

#include "server/config.h"

namespace yardgate::testing {

// The principals the tests call as: one per role. Lane principals act for every configured lane.
struct TestPrincipal {
  std::string role;  // a RoleName
  std::string id;
};
const std::vector<TestPrincipal>& TestPrincipals();

// Mints one token per role into `config` ([auth] lines) and returns role -> token: lane
// "lane-test" (for every lane `config` has), terminal_system "tos-1", customs "customs-1",
// officer "officer-1", clerk "clerk-7", admin "admin-1", seal_terminal "seal-ST1" (in the
// development mode a device may use a token).
std::map<std::string, std::string> MintTestTokens(server::Config* config);

// Writes `dir`/yardgate.conf for a yardgate-server process: lanes L1 (in) and L2 (out) on the
// simulator, a test lock family, and a minted token per role (returned in `tokens`).
std::string WriteTestConfig(const std::string& dir, std::map<std::string, std::string>* tokens);

}  // namespace yardgate::testing

#endif  // YARDGATE_TESTS_TEST_PRINCIPALS_H_
