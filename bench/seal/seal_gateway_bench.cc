// seal_gateway_bench: how many simulated e-locks one Jt808Gateway holds.
//
// The gateway runs in a forked child process (so its CPU and memory are measured alone) with a
// listener that only counts; the parent runs the simulated e-locks (ElockSimulator, one
// thread) against it over loopback, then prints reports sent / received / acknowledged /
// lost, the gateway's CPU and RSS, and the report round-trip latency percentiles.
//
//   seal_gateway_bench [--devices 5000] [--duration-s 30] [--interval-ms 1000] [--ramp-s 5]
//
// Bounded: ramp + duration + 3 s drain, then everything is closed.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "seal_bridge/elock_simulator.h"
#include "seal_bridge/internal/net_util.h"
#include "seal_bridge/jt808_gateway.h"

namespace yardgate::seal {
namespace {

class CountingListener : public Jt808Listener {
 public:
  void OnAuthenticated(const std::string&, const std::string&) override { authenticated++; }
  void OnReport(const DeviceReport& r) override {
    reports++;
    if (!r.position_valid) invalid++;
  }
  void OnDisconnected(const std::string&, absl::string_view) override { disconnected++; }
  std::atomic<uint64_t> authenticated{0}, reports{0}, invalid{0}, disconnected{0};
};

// utime + stime of `pid` in seconds, from /proc/<pid>/stat.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// VmRSS / VmHWM of `pid` in KiB.
long StatusKib(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0) return std::strtol(line.c_str() + n + 1, nullptr, 10);
  }
  return -1;
}

int Flag(int argc, char** argv, const char* name, int def) {
  for (int i = 1; i + 1 < argc; ++i) {
    int v;
    if (std::strcmp(argv[i], name) == 0 && absl::SimpleAtoi(argv[i + 1], &v)) return v;
  }
  return def;
}

// Child: run the gateway until a byte arrives on `stop_fd`, then write the counters.
[[noreturn]] void RunGateway(int stop_fd, int out_fd) {
  CountingListener listener;
  Jt808GatewayOptions o;
  o.listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(o, &listener);
  if (!gw.ok()) {
    dprintf(out_fd, "error %s\n", std::string(gw.status().message()).c_str());
    _exit(1);
  }
  dprintf(out_fd, "port %d\n", (*gw)->port());
  char c;
  while (read(stop_fd, &c, 1) < 0 && errno == EINTR) {
  }
  const uint64_t reports = listener.reports.load();
  const uint64_t authenticated = listener.authenticated.load();
  Jt808GatewayCounters k = (*gw)->counters();
  dprintf(out_fd, "%llu %llu %llu %llu %llu %llu %llu %llu\n", (unsigned long long)reports,
          (unsigned long long)authenticated, (unsigned long long)k.frames_in,
          (unsigned long long)k.frames_out, (unsigned long long)k.bad_checksum,
          (unsigned long long)k.bad_length, (unsigned long long)k.connections_accepted,
          (unsigned long long)k.connections_timed_out);
  (*gw)->Stop();
  _exit(0);
}

int Main(int argc, char** argv) {
  const int devices = Flag(argc, argv, "--devices", 5000);
  const int duration_s = Flag(argc, argv, "--duration-s", 30);
  const int interval_ms = Flag(argc, argv, "--interval-ms", 1000);
  const int ramp_s = Flag(argc, argv, "--ramp-s", 5);
  const long fds = internal::RaiseFdLimit();
  if (fds < devices + 100) {
    std::fprintf(stderr, "RLIMIT_NOFILE is %ld, need about %d\n", fds, devices + 100);
    return 1;
  }
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    RunGateway(to_child[0], from_child[1]);
  }
  close(to_child[0]);
  close(from_child[1]);
  FILE* from = fdopen(from_child[0], "r");
  int port = 0;
  if (std::fscanf(from, "port %d", &port) != 1) {
    std::fprintf(stderr, "gateway did not start\n");
    return 1;
  }

  ElockSimulatorOptions o;
  o.server = "127.0.0.1:" + std::to_string(port);
  o.devices = devices;
  o.report_interval = absl::Milliseconds(interval_ms);
  o.heartbeat_interval = absl::Seconds(20);
  o.duration = absl::Seconds(duration_s);
  o.ramp_up = absl::Seconds(ramp_s);
  o.drain = absl::Seconds(3);
  ElockSimulator sim(o);
  const absl::Time t0 = absl::Now();
  if (!sim.Start().ok()) return 1;
  // Steady-state window: after the ramp, for `duration`.
  absl::SleepFor(absl::Seconds(ramp_s));
  const double cpu0 = CpuSeconds(pid);
  const absl::Time w0 = absl::Now();
  long peak_rss = 0;
  while (absl::Now() - w0 < absl::Seconds(duration_s)) {
    absl::SleepFor(absl::Seconds(1));
    peak_rss = std::max(peak_rss, StatusKib(pid, "VmRSS:"));
  }
  const double cpu1 = CpuSeconds(pid);
  const double window = absl::ToDoubleSeconds(absl::Now() - w0);
  sim.Wait();
  const double total_cpu = CpuSeconds(pid);
  const long hwm = StatusKib(pid, "VmHWM:");
  const double wall = absl::ToDoubleSeconds(absl::Now() - t0);
  ElockSimulatorStats s = sim.stats();

  ssize_t w = write(to_child[1], "x", 1);
  (void)w;
  unsigned long long received = 0, authenticated = 0, frames_in = 0, frames_out = 0, bad_cs = 0,
                     bad_len = 0, accepted = 0, timed_out = 0;
  int got = std::fscanf(from, "%llu %llu %llu %llu %llu %llu %llu %llu", &received, &authenticated,
                        &frames_in, &frames_out, &bad_cs, &bad_len, &accepted, &timed_out);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != 8) {
    std::fprintf(stderr, "could not read the gateway's counters\n");
    return 1;
  }
  rusage self;
  getrusage(RUSAGE_SELF, &self);
  const double sim_cpu = self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 + self.ru_stime.tv_sec +
                         self.ru_stime.tv_usec / 1e6;

  std::printf("seal_gateway_bench: %d e-locks, one 0x0200 every %d ms each, %d s steady (+%d s ramp, 3 s drain), loopback, %ld cores online\n",
              devices, interval_ms, duration_s, ramp_s, sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("  devices connected/authenticated (simulator) : %llu / %llu\n",
              (unsigned long long)s.connected, (unsigned long long)s.authenticated);
  std::printf("  devices authenticated (gateway)             : %llu\n", authenticated);
  std::printf("  reports sent                                : %llu\n", (unsigned long long)s.reports_sent);
  std::printf("  reports received by the listener            : %llu\n", received);
  std::printf("  reports acked (0x8001 result 0)             : %llu\n", (unsigned long long)s.reports_acked);
  std::printf("  reports lost (sent - received)              : %lld\n", (long long)s.reports_sent - (long long)received);
  std::printf("  reports unacked (sent - acked)              : %lld\n", (long long)(s.reports_sent - s.reports_acked));
  std::printf("  heartbeats sent / acked                     : %llu / %llu\n",
              (unsigned long long)s.heartbeats_sent, (unsigned long long)s.heartbeats_acked);
  std::printf("  throughput (approx., whole run)             : %.0f reports/s\n",
              s.reports_sent / std::max(1.0, wall - 3.0 - ramp_s / 2.0));
  std::printf("  gateway frames in / out                     : %llu / %llu (bad checksum %llu, bad length %llu)\n",
              frames_in, frames_out, bad_cs, bad_len);
  std::printf("  gateway connections accepted / timed out    : %llu / %llu\n", accepted, timed_out);
  std::printf("  gateway CPU, steady window                  : %.2f s in %.1f s = %.1f %% of one core\n",
              cpu1 - cpu0, window, 100.0 * (cpu1 - cpu0) / window);
  std::printf("  gateway CPU, whole run                      : %.2f s in %.1f s\n", total_cpu, wall);
  std::printf("  gateway RSS peak (VmHWM) / steady max       : %.1f MiB / %.1f MiB\n", hwm / 1024.0, peak_rss / 1024.0);
  std::printf("  simulator process CPU                       : %.2f s\n", sim_cpu);
  std::printf("  report round trip (0x0200 -> 0x8001), %llu samples: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
              (unsigned long long)s.latency_samples, s.latency_p50_us, s.latency_p90_us,
              s.latency_p99_us, s.latency_max_us);
  std::printf("  connect failures %llu, disconnects %llu\n", (unsigned long long)s.connect_failures,
              (unsigned long long)s.disconnects);
  const bool ok = s.authenticated == static_cast<uint64_t>(devices) && received == s.reports_sent &&
                  s.reports_acked == s.reports_sent;
  std::printf("  RESULT: %s\n", ok ? "no report lost" : "REPORTS LOST OR DEVICES MISSING");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace yardgate::seal

int main(int argc, char** argv) { return yardgate::seal::Main(argc, argv); }
