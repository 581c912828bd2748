// Issue 14, defect 4: silent JT/T 808 sockets must not exhaust the process's descriptors,
// and running out of them must not make the gateway spin. Each test runs the gateway in a
// forked child under a low RLIMIT_NOFILE while the test process (its own limit) opens the
// connections. A binary of its own: it forks, so it must be single-threaded when it does.
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "seal_bridge/jt808_gateway.h"

namespace yardgate::seal {
namespace {

class NullListener : public DeviceListener {
 public:
  void OnAuthCodeIssued(const KnownTerminal&, StoredCallback stored) override { stored(absl::OkStatus()); }
};

double CpuSeconds() {
  rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

// The gateway in a child process. Commands travel as one line each way.
class GatewayChild {
 public:
  // `fd_limit`: the child's RLIMIT_NOFILE soft limit. `max_connections`: 0 for the default.
  GatewayChild(rlim_t fd_limit, size_t max_connections) {
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(to[1]);
      close(from[0]);
      RunChild(fd_limit, max_connections, to[0], from[1]);
    }
    close(to[0]);
    close(from[1]);
    to_ = to[1];
    from_ = fdopen(from[0], "r");
    port_ = std::stoi(Ask("port"));
  }
  ~GatewayChild() {
    if (pid_ <= 0) return;
    Ask("exit");
    int status;
    waitpid(pid_, &status, 0);
    fclose(from_);
    close(to_);
  }

  int port() const { return port_; }

  // Sends a command, returns the child's one-line answer.
  std::string Ask(const std::string& command) {
    const std::string line = command + "\n";
    if (write(to_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return "";
    char buf[512];
    if (fgets(buf, sizeof(buf), from_) == nullptr) return "";
    std::string answer(buf);
    if (!answer.empty() && answer.back() == '\n') answer.pop_back();
    return answer;
  }

 private:
  [[noreturn]] static void RunChild(rlim_t fd_limit, size_t max_connections, int in_fd, int out_fd) {
    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = fd_limit;
    setrlimit(RLIMIT_NOFILE, &rl);
    NullListener listener;
    Jt808GatewayOptions o;
    o.listen = "127.0.0.1:0";
    o.lock_families["f"].unlock_password = "pw";
    o.max_connections = max_connections;
    o.max_connections_per_peer = 0;
    o.accept_backoff = absl::Milliseconds(200);
    absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(o, &listener);
    if (!gw.ok()) _exit(1);
    FILE* in = fdopen(in_fd, "r");
    char buf[128];
    while (fgets(buf, sizeof(buf), in) != nullptr) {
      const std::string command(buf);
      if (command == "port\n") {
        dprintf(out_fd, "%d\n", (*gw)->port());
      } else if (command == "counters\n") {
        const Jt808GatewayCounters c = (*gw)->counters();
        dprintf(out_fd, "%llu %llu %llu %llu\n", (unsigned long long)c.connections_open,
                (unsigned long long)c.connections_accepted, (unsigned long long)c.connections_rejected,
                (unsigned long long)c.accept_pauses);
      } else if (command == "cpu\n") {
        // The gateway thread's CPU over one second (this thread sleeps).
        const double before = CpuSeconds();
        absl::SleepFor(absl::Seconds(1));
        dprintf(out_fd, "%.0f\n", (CpuSeconds() - before) * 1000);
      } else if (command == "free\n") {
        // How many descriptors the rest of the process (gRPC, the store) could still open.
        std::vector<int> opened;
        for (int i = 0; i < 64; ++i) {
          const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
          if (fd < 0) break;
          opened.push_back(fd);
        }
        for (int fd : opened) close(fd);
        dprintf(out_fd, "%zu\n", opened.size());
      } else {
        dprintf(out_fd, "bye\n");
        break;
      }
    }
    (*gw)->Stop();
    _exit(0);
  }

  pid_t pid_ = -1;
  int to_ = -1;
  FILE* from_ = nullptr;
  int port_ = 0;
};

struct Counters {
  uint64_t open = 0, accepted = 0, rejected = 0, accept_pauses = 0;
};

Counters Parse(const std::string& line) {
  std::vector<std::string> f = absl::StrSplit(line, ' ');
  Counters c;
  if (f.size() == 4) {
    (void)absl::SimpleAtoi(f[0], &c.open);
    (void)absl::SimpleAtoi(f[1], &c.accepted);
    (void)absl::SimpleAtoi(f[2], &c.rejected);
    (void)absl::SimpleAtoi(f[3], &c.accept_pauses);
  }
  return c;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True when the server has closed `fd` (EOF or reset), within `timeout`.
bool ClosedByServer(int fd, absl::Duration timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) <= 0) return false;
  char c;
  return read(fd, &c, 1) <= 0;
}

class GatewayFdTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (int fd : sockets_) close(fd);
  }
  std::vector<int> sockets_;
};

TEST_F(GatewayFdTest, SilentSocketsCannotTakeTheDescriptorsTheRestOfTheProcessNeeds) {
  GatewayChild child(256, /*max_connections=*/0);  // the default: DefaultMaxConnections(256) = 128
  ASSERT_GT(child.port(), 0);
  for (int i = 0; i < 300; ++i) {
    const int fd = Connect(child.port());
    if (fd >= 0) sockets_.push_back(fd);
  }
  absl::SleepFor(absl::Milliseconds(500));
  const Counters c = Parse(child.Ask("counters"));
  EXPECT_EQ(c.open, DefaultMaxConnections(256));
  EXPECT_GE(c.rejected, 300 - DefaultMaxConnections(256) - 10);
  // The headroom is there for gRPC, HTTP and the store.
  EXPECT_EQ(child.Ask("free"), "64");
  // And the gateway is not spinning over the refused ones.
  EXPECT_LT(std::stoi(child.Ask("cpu")), 300);
}

TEST_F(GatewayFdTest, OutOfDescriptorsTheGatewayBacksOffInsteadOfSpinningAndRecovers) {
  // A connection limit above what the process can open (other parts of the server hold
  // descriptors too): accept fails with EMFILE while connections wait in the backlog.
  GatewayChild child(64, /*max_connections=*/1000);
  ASSERT_GT(child.port(), 0);
  for (int i = 0; i < 100; ++i) {
    const int fd = Connect(child.port());
    if (fd >= 0) sockets_.push_back(fd);
  }
  ASSERT_EQ(sockets_.size(), 100u);
  absl::SleepFor(absl::Milliseconds(500));
  const Counters full = Parse(child.Ask("counters"));
  EXPECT_GT(full.open, 0u);
  EXPECT_LT(full.open, 64u);
  EXPECT_GE(full.accept_pauses, 1u);
  // The backlog stays readable while accept cannot take it: the gateway must not spin on it.
  EXPECT_LT(std::stoi(child.Ask("cpu")), 300);
  EXPECT_EQ(child.Ask("free"), "0");
  // Nothing waiting was dropped: the last connection is still open, and once descriptors are
  // freed (the first 20 devices leave) waiting connections are accepted.
  EXPECT_FALSE(ClosedByServer(sockets_.back(), absl::Milliseconds(100)));
  for (int i = 0; i < 20; ++i) {
    close(sockets_[i]);
    sockets_[i] = -1;
  }
  absl::SleepFor(absl::Milliseconds(800));
  const Counters later = Parse(child.Ask("counters"));
  EXPECT_GE(later.accepted, full.accepted + 15);
  EXPECT_FALSE(ClosedByServer(sockets_.back(), absl::Milliseconds(100)));
}

}  // namespace
}  // namespace yardgate::seal
