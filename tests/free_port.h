// A TCP port on 127.0.0.1 that nothing listens on right now, for starting a server process
// that takes its ports as flags. (A server in-process uses port 0 instead.)
#ifndef YARDGATE_TESTS_FREE_PORT_H_
#define YARDGATE_TESTS_FREE_PORT_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace yardgate::testing {

inline int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace yardgate::testing

#endif  // YARDGATE_TESTS_FREE_PORT_H_
