// yardgatectl's commands (one per RPC, and the demo).
#ifndef YARDGATE_SERVER_CTL_CLIENT_H_
#define YARDGATE_SERVER_CTL_CLIENT_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "server/ctl/common.h"

namespace yardgate::ctl {

// Runs args.command over `channel` and returns the process's exit code; -1 for an unknown command.
int RunCommand(const Args& args, std::shared_ptr<grpc::Channel> channel);

}  // namespace yardgate::ctl

#endif  // YARDGATE_SERVER_CTL_CLIENT_H_
