// Small socket helpers shared by the gateway and the simulated e-locks. Internal.
// Thread-safety: pure functions.
#ifndef YARDGATE_SEAL_BRIDGE_INTERNAL_NET_UTIL_H_
#define YARDGATE_SEAL_BRIDGE_INTERNAL_NET_UTIL_H_

#include <netinet/in.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace yardgate::seal::internal {

// "127.0.0.1:6808" -> sockaddr_in. "localhost" is accepted as 127.0.0.1.
absl::StatusOr<sockaddr_in> ParseHostPort(absl::string_view host_port);
std::string PeerName(const sockaddr_in& addr);
// errno as an absl::Status with `what` in front.
absl::Status ErrnoStatus(absl::string_view what);

}  // namespace yardgate::seal::internal

#endif  // YARDGATE_SEAL_BRIDGE_INTERNAL_NET_UTIL_H_
