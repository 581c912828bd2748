// The client side of tokens, for yardgatectl and the tests: a channel interceptor that gives each
// call the bearer token of a role the policy table allows for its method, so one client holding
// several principals' tokens (the Quick start's demo, an integration test) calls every method
// with the right one. A call that already carries "authorization" keeps it.
//
// A tokens file has one "ROLE TOKEN" per line; '#' starts a comment (deploy/demo-tokens).
//
// Thread-safety: the interceptors share an immutable map; safe on any channel thread.
#ifndef YARDGATE_SERVER_AUTH_CLIENT_TOKENS_H_
#define YARDGATE_SERVER_AUTH_CLIENT_TOKENS_H_

#include <map>
#include <memory>
#include <string>

#include <grpcpp/support/client_interceptor.h>

#include "absl/status/statusor.h"

namespace yardgate::auth {

using RoleTokens = std::map<std::string, std::string>;  // role name -> token

absl::StatusOr<RoleTokens> ReadTokenFile(const std::string& path);

// Picks, by the method's row of the policy table, the first of terminal_system, lane, customs,
// officer, clerk, admin, seal_terminal that is allowed and has a token. `tokens` is read at each
// call (a test may mint new ones between calls).
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> PolicyTokenInterceptor(
    std::shared_ptr<const RoleTokens> tokens);

}  // namespace yardgate::auth

#endif  // YARDGATE_SERVER_AUTH_CLIENT_TOKENS_H_
