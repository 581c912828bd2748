// absl::Status to grpc::Status: the one place server/ converts. Both use the canonical codes.
#ifndef YARDGATE_SERVER_GRPC_STATUS_H_
#define YARDGATE_SERVER_GRPC_STATUS_H_

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace yardgate::server {

inline grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_GRPC_STATUS_H_
