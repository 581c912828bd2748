// yardgatectl: a command-line client for yardgate-server, for operators and the demo.
//
//   yardgatectl [--server HOST:PORT] [--token T | --tokens FILE] [--ca F [--cert F --key-file F]] COMMAND [options]
//
// Commands print JSON (one object per line for streams) and exit non-zero on an error, with the
// server's message on stderr. The commands themselves are in ctl/client.cc.
#include <cstdio>
#include <string>

#include "common/json.h"
#include "server/auth/client_tokens.h"
#include "server/auth/credentials.h"
#include "server/auth/transport.h"
#include "server/ctl/client.h"
#include "server/ctl/common.h"

namespace {

using yardgate::ctl::Args;

constexpr const char* kUsage = R"(usage: yardgatectl [--server HOST:PORT] COMMAND [options]

commands:
  health [--service NAME]                    standard gRPC health check
  services                                   services listed by server reflection
  appointment --id ID --plate P --direction in|out [--container C[:TYPE[:SEAL]]]... [--company X]
                                             TYPE: RE RI RM DI DE DM (default RE in, DI out)
  cancel-appointment --id ID
  customs --container C --status released|held|inspection
  arrive --lane L [--plate P] [--container C]... [--image FILE[:front|rear|left|right|top]]...
  passage --visit V
  assist --lane L [--visit V] [--message TEXT]
  visit --visit V
  visits [--lane L]
  trouble [--lane L]
  get-appointment --id ID
  appointments [--plate P] [--open-only] [--page-size N] [--page-token T]
  resolve --visit V --clerk ID (--approve | --reject | --plate P | --container C...) [--comment TEXT]
  audit [--subject S] [--actor A] [--page-size N] [--page-token T]
  lane-reset --lane L --operator ID [--comment TEXT]   reset a latched lane fault (E-stop)
  lane-close --lane L --operator ID [--comment TEXT]   cancel the lane's unused ALLOWs, close when safe
  cancel-allow --visit V --operator ID [--comment TEXT]
  seal-apply --seal ID --kind elock|rfid|mechanical --officer ID [--device PHONE]
             [--container C]... [--plate P] [--place TEXT] [--lat X --lon Y]
  seal-event --seal ID --event verified|broken|tampered|removed|cleared --officer ID
  seal --seal ID                             a seal's state
  unlock --seal ID --officer ID [--reason TEXT]
  register-terminal --device PHONE --operator ID [--family NAME]   make an e-lock terminal known
  subscribe [--after N] [--count K]          events after sequence N; stop after K
  demo [--officer ID]                        runs a demo truck through lane L1 and prints the decisions
                                             (with an officer: its box travels under an e-seal)
  mint-token --role ROLE --id ID [--lane L]...
                                             a new bearer token (printed once) and its [auth] line;
                                             needs no server. ROLE: lane seal_terminal officer customs
                                             clerk terminal_system admin (--lane for role lane only)
common:
  --server HOST:PORT   default 127.0.0.1:50051
  --token TOKEN        the bearer token every call carries
  --tokens FILE        "ROLE TOKEN" lines: each call carries the token of a role the server's policy
                       allows for it (deploy/demo-tokens holds the Quick start's demo principals)
  --ca FILE [--cert FILE --key-file FILE]   TLS trusting that CA, presenting that client certificate
  --key KEY            idempotency key for a mutating command (default: a fresh one; pass the
                       same key again to retry a call safely)
)";

// The options that say how to reach the server and who the caller is (not passed to commands).
bool IsConnectionOption(const std::string& name) {
  return name == "--server" || name == "--token" || name == "--tokens" || name == "--ca" || name == "--cert" ||
         name == "--key-file";
}

int MintTokenCommand(const Args& a) {
  absl::StatusOr<yardgate::auth::Role> role = yardgate::auth::ParseRole(a.Get("--role"));
  if (!role.ok()) {
    std::fprintf(stderr, "yardgatectl: mint-token --role: %s\n", std::string(role.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<yardgate::auth::MintedToken> minted = yardgate::auth::MintToken(*role, a.Get("--id"), a.All("--lane"));
  if (!minted.ok()) {
    std::fprintf(stderr, "yardgatectl: mint-token: %s\n", std::string(minted.status().message()).c_str());
    return 2;
  }
  using yardgate::common::JsonString;
  std::printf("{\"role\":%s,\"id\":%s,\"token\":%s,\"config_line\":%s}\n",
              JsonString(std::string(yardgate::auth::RoleName(*role))).c_str(), JsonString(a.Get("--id")).c_str(),
              JsonString(minted->token).c_str(), JsonString(minted->config_line).c_str());
  return 0;
}


// A channel whose every call carries the caller's token (one for all, or one per role by policy).
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const std::map<std::string, std::string>& connection) {
  auto get = [&](const char* name) {
    const auto it = connection.find(name);
    return it == connection.end() ? std::string() : it->second;
  };
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      yardgate::auth::ClientCredentials({get("--ca"), get("--cert"), get("--key-file")});
  if (!credentials.ok()) return credentials.status();
  auto tokens = std::make_shared<yardgate::auth::RoleTokens>();
  if (!get("--tokens").empty()) {
    absl::StatusOr<yardgate::auth::RoleTokens> read = yardgate::auth::ReadTokenFile(get("--tokens"));
    if (!read.ok()) return read.status();
    *tokens = *std::move(read);
  }
  if (!get("--token").empty()) {
    for (const char* role : {"lane", "seal_terminal", "officer", "customs", "clerk", "terminal_system", "admin"}) {
      (*tokens)[role] = get("--token");
    }
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(yardgate::auth::PolicyTokenInterceptor(tokens));
  const std::string server = get("--server").empty() ? "127.0.0.1:50051" : get("--server");
  return grpc::experimental::CreateCustomChannelWithInterceptors(server, *credentials, args, std::move(interceptors));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::map<std::string, std::string> connection;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (arg.rfind("--", 0) == 0) {
      if (yardgate::ctl::IsFlag(arg)) {
        args.flags.push_back(arg);
        continue;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "yardgatectl: %s needs a value\n", arg.c_str());
        return 2;
      }
      if (IsConnectionOption(arg)) {
        connection[arg] = argv[++i];
      } else {
        args.options.emplace(arg, argv[++i]);
      }
    } else if (args.command.empty()) {
      args.command = arg;
    } else {
      std::fprintf(stderr, "yardgatectl: unexpected argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (args.command == "mint-token") return MintTokenCommand(args);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Connect(connection);
  if (!channel.ok()) {
    std::fprintf(stderr, "yardgatectl: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  const int code = yardgate::ctl::RunCommand(args, *channel);
  if (code >= 0) return code;
  std::fprintf(stderr, "yardgatectl: %s\n%s",
               args.command.empty() ? "no command given" : ("unknown command '" + args.command + "'").c_str(), kUsage);
  return 2;
}
