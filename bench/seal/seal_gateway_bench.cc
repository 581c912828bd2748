// seal_gateway_bench: what one Jt808Gateway holds, over real loopback TCP.
//
// The gateway runs in a forked child process (so its CPU and memory are measured alone) with
// a listener that acknowledges every report from a separate "store" thread every 2 ms (as
// yardgate-server's writer does after a commit: acknowledge-when-durable), and stores issued
// auth codes the same way. The parent runs the simulated e-locks (ElockSimulator, one
// thread, spread over 200 loopback source addresses) against it, then prints what was sent,
// received, acknowledged and lost, the gateway's CPU and RSS, alarms, and the report round
// trip of the well-behaved devices.
//
//   seal_gateway_bench [--mode reports|idle|flood] [--devices N] [--duration-s S]
//                      [--interval-ms M] [--ramp-s R] [--flooders F] [--nofile N]
//                      [--max-connections N]
//
//   reports (default): N devices (5,000) each sending one 0x0200 every M ms (1,000).
//   idle:     N devices (20,000) that authenticate and then only send a heartbeat every 60 s;
//             prints how many connections the gateway holds.
//   flood:    N well-behaved devices (1,000) at 1/s plus F devices (1) sending 0x0200 as fast
//             as TCP lets them, with the gateway's default limits; prints the others' latency
//             and what became of the flooders.
// --nofile raises RLIMIT_NOFILE (soft and hard; needs CAP_SYS_RESOURCE) before forking.
// --max-connections sets the gateway's limit (default: DefaultMaxConnections of its
// RLIMIT_NOFILE). When one process cannot hold every simulated device's socket, the devices
// are split over several simulator processes (latency percentiles are then per process).
// Bounded: ramp + duration + 3 s drain.
#include <poll.h>
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
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "seal_bridge/elock_simulator.h"
#include "seal_bridge/jt808_gateway.h"

namespace yardgate::seal {
namespace {

// Acknowledges reports and stores codes from its own thread, in 2 ms batches.
class BenchListener : public DeviceListener {
 public:
  BenchListener() : writer_([this] { Write(); }) {}
  ~BenchListener() override {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    writer_.join();
  }

  void OnAuthCodeIssued(const KnownTerminal&, StoredCallback stored) override {
    Queue([stored] { stored(absl::OkStatus()); });
  }
  void OnAuthenticated(const std::string&, const std::string&) override { authenticated++; }
  void OnReport(const DeviceReport& r) override {
    reports++;
    if (r.acknowledge) Queue(r.acknowledge);
  }
  void OnDisconnected(const std::string&, absl::string_view) override { disconnected++; }
  void OnSecurityAlarm(const SecurityAlarm& a) override {
    alarms++;
    if (a.kind == SecurityAlarmKind::kFloodCutOff) {
      absl::MutexLock lock(&mu_);
      if (first_cutoff_ == absl::InfinitePast()) first_cutoff_ = a.time;
    }
  }
  absl::Time first_cutoff() {
    absl::MutexLock lock(&mu_);
    return first_cutoff_;
  }

  std::atomic<uint64_t> authenticated{0}, reports{0}, disconnected{0}, alarms{0};

 private:
  void Queue(std::function<void()> fn) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(fn));
  }
  void Write() {
    for (;;) {
      std::vector<std::function<void()>> batch;
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        batch.swap(queue_);
      }
      for (auto& fn : batch) fn();
      absl::SleepFor(absl::Milliseconds(2));
    }
  }

  absl::Mutex mu_;
  std::vector<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time first_cutoff_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread writer_;
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

std::string StringFlag(int argc, char** argv, const char* name, const char* def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return def;
}

struct GatewayFigures {
  unsigned long long reports = 0, authenticated = 0, frames_in = 0, frames_out = 0, bad = 0,
                     accepted = 0, open = 0, rejected = 0, alarms = 0, flood_cutoffs = 0,
                     throttled = 0, backpressure = 0, peak_unacked = 0, accept_pauses = 0;
  double cutoff_after_s = -1;
};

// Child: run the gateway until a byte arrives on `stop_fd`, then write its figures.
[[noreturn]] void RunGateway(int devices, uint64_t first_phone, size_t max_connections, int stop_fd, int out_fd) {
  BenchListener listener;
  Jt808GatewayOptions o;
  o.listen = "127.0.0.1:0";
  o.max_connections = max_connections;
  o.ack_reports_when_durable = true;
  o.lock_families["bench"].unlock_password = "bench-pw";
  for (int i = 0; i < devices; ++i) o.known_terminals.push_back({std::to_string(first_phone + i), "bench", ""});
  absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(o, &listener);
  if (!gw.ok()) {
    dprintf(out_fd, "error %s\n", std::string(gw.status().message()).c_str());
    _exit(1);
  }
  const absl::Time started = absl::Now();
  dprintf(out_fd, "port %d\n", (*gw)->port());
  // Sample the unacknowledged gauge until told to stop.
  unsigned long long peak_unacked = 0;
  for (;;) {
    pollfd p{stop_fd, POLLIN, 0};
    if (poll(&p, 1, 10) > 0) break;
    peak_unacked = std::max<unsigned long long>(peak_unacked, (*gw)->counters().unacked_reports);
  }
  Jt808GatewayCounters k = (*gw)->counters();
  const absl::Time cutoff = listener.first_cutoff();
  GatewayFigures f{listener.reports.load(), listener.authenticated.load(), k.frames_in, k.frames_out,
                   k.bad_checksum + k.bad_length + k.bad_frames, k.connections_accepted, k.connections_open,
                   k.connections_rejected + k.connections_rejected_per_peer + k.connections_refused_blocked,
                   listener.alarms.load(), k.flood_cutoffs, k.throttled, k.backpressure_pauses, peak_unacked,
                   k.accept_pauses, cutoff == absl::InfinitePast() ? -1 : absl::ToDoubleSeconds(cutoff - started)};
  dprintf(out_fd, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %.3f\n", f.reports,
          f.authenticated, f.frames_in, f.frames_out, f.bad, f.accepted, f.open, f.rejected, f.alarms,
          f.flood_cutoffs, f.throttled, f.backpressure, f.peak_unacked, f.accept_pauses, f.cutoff_after_s);
  const absl::Time t0 = absl::Now();
  (*gw)->Stop();
  dprintf(out_fd, "stop %.3f\n", absl::ToDoubleSeconds(absl::Now() - t0));
  _exit(0);
}

constexpr int kSimFields = 15;

std::string StatsLine(const ElockSimulatorStats& s) {
  return absl::StrCat(s.connected, " ", s.authenticated, " ", s.reports_sent, " ", s.reports_acked, " ",
                      s.heartbeats_sent, " ", s.heartbeats_acked, " ", s.flood_reports_sent, " ",
                      s.flood_reports_acked, " ", s.connect_failures, " ", s.disconnects, " ", s.latency_samples,
                      " ", s.latency_p50_us, " ", s.latency_p90_us, " ", s.latency_p99_us, " ", s.latency_max_us, "\n");
}

// Adds one simulator process's stats line to `total` (percentiles: the worst process's).
bool AddStats(const char* line, ElockSimulatorStats* total) {
  unsigned long long v[11];
  double p50, p90, p99, max;
  if (std::sscanf(line, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %lf %lf %lf %lf", &v[0], &v[1], &v[2],
                  &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &p50, &p90, &p99, &max) != kSimFields) {
    return false;
  }
  total->connected += v[0];
  total->authenticated += v[1];
  total->reports_sent += v[2];
  total->reports_acked += v[3];
  total->heartbeats_sent += v[4];
  total->heartbeats_acked += v[5];
  total->flood_reports_sent += v[6];
  total->flood_reports_acked += v[7];
  total->connect_failures += v[8];
  total->disconnects += v[9];
  total->latency_samples += v[10];
  total->latency_p50_us = std::max(total->latency_p50_us, p50);
  total->latency_p90_us = std::max(total->latency_p90_us, p90);
  total->latency_p99_us = std::max(total->latency_p99_us, p99);
  total->latency_max_us = std::max(total->latency_max_us, max);
  return true;
}

int Main(int argc, char** argv) {
  const std::string mode = StringFlag(argc, argv, "--mode", "reports");
  if (mode != "reports" && mode != "idle" && mode != "flood") {
    std::fprintf(stderr, "--mode must be reports, idle or flood\n");
    return 2;
  }
  const int devices = Flag(argc, argv, "--devices", mode == "idle" ? 20000 : mode == "flood" ? 1000 : 5000);
  const int flooders = mode == "flood" ? Flag(argc, argv, "--flooders", 1) : 0;
  const int duration_s = Flag(argc, argv, "--duration-s", mode == "flood" ? 40 : 30);
  const int interval_ms = Flag(argc, argv, "--interval-ms", 1000);
  const int ramp_s = Flag(argc, argv, "--ramp-s", mode == "idle" ? 10 : 5);
  const int nofile = Flag(argc, argv, "--nofile", 0);
  const size_t max_connections = static_cast<size_t>(Flag(argc, argv, "--max-connections", 0));
  if (nofile > 0) {
    rlimit rl{static_cast<rlim_t>(nofile), static_cast<rlim_t>(nofile)};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) std::fprintf(stderr, "setrlimit(%d): %s\n", nofile, std::strerror(errno));
  }
  const long fds = RaiseFileDescriptorLimit();
  const int total = devices + flooders;
  if (fds < 1000) {
    std::fprintf(stderr, "RLIMIT_NOFILE is %ld: too low\n", fds);
    return 1;
  }
  const int per_process = static_cast<int>(fds) - 200;
  const int processes = (total + per_process - 1) / per_process;
  ElockSimulatorOptions o;
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    RunGateway(total, o.first_phone, max_connections, to_child[0], from_child[1]);
  }
  close(to_child[0]);
  close(from_child[1]);
  FILE* from = fdopen(from_child[0], "r");
  int port = 0;
  if (std::fscanf(from, "port %d", &port) != 1) {
    std::fprintf(stderr, "gateway did not start\n");
    return 1;
  }

  o.server = "127.0.0.1:" + std::to_string(port);
  o.flood_devices = flooders;
  o.loopback_source_addresses = 200;
  o.report_interval = mode == "idle" ? absl::Hours(10) : absl::Milliseconds(interval_ms);
  o.heartbeat_interval = mode == "idle" ? absl::Seconds(60) : absl::Seconds(20);
  o.duration = absl::Seconds(duration_s);
  o.ramp_up = absl::Seconds(ramp_s);
  o.drain = absl::Seconds(3);
  // Simulator processes 1.. take the later devices; this one the first (and the flooders).
  std::vector<std::pair<pid_t, FILE*>> sims;
  for (int p = 1; p < processes; ++p) {
    int fds_out[2];
    if (pipe(fds_out) != 0) return 1;
    const int first = total * p / processes, last = total * (p + 1) / processes;
    const pid_t sim_pid = fork();
    if (sim_pid == 0) {
      close(fds_out[0]);
      ElockSimulatorOptions so = o;
      so.first_phone = o.first_phone + static_cast<uint64_t>(first);
      so.devices = last - first;
      so.flood_devices = 0;
      ElockSimulator child_sim(so);
      if (!child_sim.Start().ok()) _exit(1);
      child_sim.Wait();
      const std::string line = StatsLine(child_sim.stats());
      ssize_t rc = write(fds_out[1], line.data(), line.size());
      (void)rc;
      _exit(0);
    }
    close(fds_out[1]);
    sims.emplace_back(sim_pid, fdopen(fds_out[0], "r"));
  }
  o.devices = total / processes;
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
  // The last reports' acknowledgements arrive; the simulator keeps its devices connected for
  // 3 s after it stops reporting.
  absl::SleepFor(absl::Seconds(2));
  const long rss_before_stop = StatusKib(pid, "VmRSS:");
  const long hwm = StatusKib(pid, "VmHWM:");
  const double cpu_end = CpuSeconds(pid);
  ssize_t w = write(to_child[1], "x", 1);  // the child's figures, taken with every device still connected
  (void)w;
  GatewayFigures g;
  int got = std::fscanf(from, " %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %lf", &g.reports,
                        &g.authenticated, &g.frames_in, &g.frames_out, &g.bad, &g.accepted, &g.open, &g.rejected,
                        &g.alarms, &g.flood_cutoffs, &g.throttled, &g.backpressure, &g.peak_unacked, &g.accept_pauses,
                        &g.cutoff_after_s);
  double stop_s = -1;
  int got_stop = std::fscanf(from, " stop %lf", &stop_s);
  int status = 0;
  waitpid(pid, &status, 0);
  sim.Stop();
  ElockSimulatorStats s;
  bool sims_ok = AddStats(StatsLine(sim.stats()).c_str(), &s);
  for (auto& [sim_pid, out] : sims) {
    char line[512];
    sims_ok = sims_ok && std::fgets(line, sizeof(line), out) != nullptr && AddStats(line, &s);
    fclose(out);
    waitpid(sim_pid, &status, 0);
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - t0);
  if (got != 15 || got_stop != 1 || !sims_ok) {
    std::fprintf(stderr, "could not read the gateway's figures\n");
    return 1;
  }

  std::printf("seal_gateway_bench --mode %s: %d e-locks (%d flooding), %s, %d s steady (+%d s ramp), loopback, %ld cores online, RLIMIT_NOFILE %ld, %d simulator process(es)\n",
              mode.c_str(), total, flooders,
              mode == "idle" ? "a heartbeat every 60 s" : absl::StrCat("one 0x0200 every ", interval_ms, " ms").c_str(),
              duration_s, ramp_s, sysconf(_SC_NPROCESSORS_ONLN), fds, processes);
  std::printf("  devices connected/authenticated (simulator) : %llu / %llu\n",
              (unsigned long long)s.connected, (unsigned long long)s.authenticated);
  std::printf("  connections held by the gateway at the end  : %llu (accepted %llu, refused %llu, accept pauses %llu)\n",
              g.open, g.accepted, g.rejected, g.accept_pauses);
  std::printf("  reports sent (well-behaved devices)         : %llu\n", (unsigned long long)s.reports_sent);
  std::printf("  reports acked (0x8001 result 0)             : %llu\n", (unsigned long long)s.reports_acked);
  std::printf("  reports unacked (sent - acked)              : %lld\n", (long long)(s.reports_sent - s.reports_acked));
  std::printf("  reports received by the listener (all)      : %llu\n", g.reports);
  if (flooders > 0) {
    std::printf("  flooders: reports sent / acked              : %llu / %llu\n",
                (unsigned long long)s.flood_reports_sent, (unsigned long long)s.flood_reports_acked);
    std::printf("  flooders: cut off (count, first after)      : %llu, %.1f s after the gateway started (throttled %llu times)\n",
                g.flood_cutoffs, g.cutoff_after_s, g.throttled);
  }
  std::printf("  heartbeats sent / acked                     : %llu / %llu\n",
              (unsigned long long)s.heartbeats_sent, (unsigned long long)s.heartbeats_acked);
  std::printf("  unacknowledged reports, peak / pauses       : %llu / %llu\n", g.peak_unacked, g.backpressure);
  std::printf("  security alarms                             : %llu\n", g.alarms);
  std::printf("  gateway frames in / out, bad                : %llu / %llu, %llu\n", g.frames_in, g.frames_out, g.bad);
  std::printf("  gateway CPU, steady window / whole run      : %.2f s in %.1f s = %.1f %% of one core / %.2f s\n",
              cpu1 - cpu0, window, 100.0 * (cpu1 - cpu0) / window, cpu_end);
  std::printf("  gateway RSS peak (VmHWM) / steady max / end : %.1f / %.1f / %.1f MiB\n", hwm / 1024.0,
              peak_rss / 1024.0, rss_before_stop / 1024.0);
  std::printf("  gateway Stop()                              : %.3f s\n", stop_s);
  std::printf("  report round trip (0x0200 -> 0x8001) of the well-behaved, %llu samples: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
              (unsigned long long)s.latency_samples, s.latency_p50_us, s.latency_p90_us, s.latency_p99_us,
              s.latency_max_us);
  std::printf("  connect failures %llu, disconnects %llu (the gateway's Stop closes every device), wall %.1f s\n",
              (unsigned long long)s.connect_failures,
              (unsigned long long)s.disconnects, wall);
  bool ok = s.authenticated == static_cast<uint64_t>(total);
  if (mode == "idle") {
    ok = ok && g.open == static_cast<unsigned long long>(total);
  } else {
    ok = ok && s.reports_acked == s.reports_sent;
  }
  if (mode == "flood") ok = ok && g.flood_cutoffs == static_cast<unsigned long long>(flooders) && s.latency_max_us < 1e6;
  std::printf("  RESULT: %s\n", ok ? "ok" : "NOT OK");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace yardgate::seal

int main(int argc, char** argv) { return yardgate::seal::Main(argc, argv); }
