#include "server/auth/client_tokens.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/auth/policy.h"
#include "server/auth/transport.h"

namespace yardgate::auth {
namespace {

class TokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  TokenInterceptor(grpc::experimental::ClientRpcInfo* info, std::shared_ptr<const RoleTokens> tokens)
      : method_(info->method()), tokens_(std::move(tokens)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      std::multimap<std::string, std::string>* metadata = methods->GetSendInitialMetadata();
      const MethodPolicy* policy = FindPolicy(method_);
      if (policy != nullptr && metadata->find(kAuthorizationHeader) == metadata->end()) {
        for (const char* role : {"terminal_system", "lane", "customs", "officer", "clerk", "admin", "seal_terminal"}) {
          const auto token = tokens_->find(role);
          if (token != tokens_->end() && policy->roles.Has(*ParseRole(role))) {
            metadata->insert({kAuthorizationHeader, BearerValue(token->second)});
            break;
          }
        }
      }
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  const std::shared_ptr<const RoleTokens> tokens_;
};

class TokenInterceptorFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::shared_ptr<const RoleTokens> tokens) : tokens_(std::move(tokens)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo* info) override {
    return new TokenInterceptor(info, tokens_);
  }

 private:
  const std::shared_ptr<const RoleTokens> tokens_;
};

}  // namespace

absl::StatusOr<RoleTokens> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  RoleTokens tokens;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string text(absl::StripAsciiWhitespace(line.substr(0, line.find('#'))));
    if (text.empty()) continue;
    std::istringstream words(text);
    std::string role, token, extra;
    words >> role >> token;
    if (token.empty() || (words >> extra) || !ParseRole(role).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " line ", number, ": expected ROLE TOKEN"));
    }
    tokens[role] = token;
  }
  return tokens;
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> PolicyTokenInterceptor(
    std::shared_ptr<const RoleTokens> tokens) {
  return std::make_unique<TokenInterceptorFactory>(std::move(tokens));
}

}  // namespace yardgate::auth
