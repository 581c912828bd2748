#include "seal_bridge/internal/net_util.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace yardgate::seal::internal {

absl::StatusOr<sockaddr_in> ParseHostPort(absl::string_view host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("\"", host_port, "\" is not host:port"));
  }
  std::string host(host_port.substr(0, colon));
  int port = 0;
  if (!absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in \"", host_port, "\""));
  }
  if (host == "localhost" || host.empty()) host = "127.0.0.1";
  sockaddr_in addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("\"", host, "\" is not an IPv4 address"));
  }
  return addr;
}

std::string PeerName(const sockaddr_in& addr) {
  char buf[INET_ADDRSTRLEN] = {0};
  inet_ntop(AF_INET, &addr.sin_addr, buf, sizeof(buf));
  return absl::StrCat(buf, ":", ntohs(addr.sin_port));
}

absl::Status ErrnoStatus(absl::string_view what) {
  int e = errno;
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(e)));
}

}  // namespace yardgate::seal::internal
