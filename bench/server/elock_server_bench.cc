// elock_server_bench: the whole yardgate-server (not just the gateway) holding N simulated
// e-locks that report once a second: every report goes through the seal book, the yard and the
// SQLite writer into the position trail. The server runs as its own process (the real binary),
// so its CPU and memory are measured alone; the e-locks run in this process.
//
//   elock_server_bench [--devices 5000] [--duration-s 30] [--ramp-s 5]
//
// After the run the server is stopped with SIGTERM and the stored trail is counted: a report
// counts as kept when its position row is in the database. Bounded in time.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <grpcpp/grpcpp.h>

#include "absl/time/clock.h"
#include "seal_bridge/elock_simulator.h"
#include "tests/free_port.h"
#include "tests/test_principals.h"
#include "yardgate/v1/seal_service.grpc.pb.h"

namespace {

// utime + stime of `pid`, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long PeakRssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 5000, duration_s = 30, ramp_s = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--devices") devices = std::stoi(argv[i + 1]);
    if (flag == "--duration-s") duration_s = std::stoi(argv[i + 1]);
    if (flag == "--ramp-s") ramp_s = std::stoi(argv[i + 1]);
  }
  rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  const std::string dir = (std::filesystem::temp_directory_path() / ("elock-server-bench-" + std::to_string(getpid()))).string();
  std::filesystem::create_directories(dir);
  const std::string jt808 = "127.0.0.1:" + std::to_string(yardgate::testing::FreePort());
  const std::string grpc = "127.0.0.1:" + std::to_string(yardgate::testing::FreePort());
  std::map<std::string, std::string> tokens;
  const std::string config = yardgate::testing::WriteTestConfig(dir, &tokens);
  const pid_t server = fork();
  if (server == 0) {
    execl(YARDGATE_SERVER_BIN, YARDGATE_SERVER_BIN, "--config", config.c_str(), "--data-dir", dir.c_str(),
          "--grpc-listen", grpc.c_str(), "--jt808-listen", jt808.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // Only known terminals are served: an admin registers the simulated locks first.
  {
    auto seals = yardgate::v1::SealService::NewStub(grpc::CreateChannel(grpc, grpc::InsecureChannelCredentials()));
    for (int i = 0; i < devices; ++i) {
      yardgate::v1::RegisterTerminalRequest reg;
      reg.set_idempotency_key("bench-terminal-" + std::to_string(i));
      reg.set_device_id(std::to_string(13800000000ull + static_cast<uint64_t>(i)));
      reg.set_operator_id("admin-1");
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + tokens.at("admin"));
      yardgate::v1::Terminal terminal;
      const grpc::Status s = seals->RegisterTerminal(&ctx, reg, &terminal);
      if (!s.ok()) {
        std::fprintf(stderr, "register-terminal: %s\n", s.error_message().c_str());
        return 1;
      }
    }
  }

  yardgate::seal::ElockSimulatorOptions o;
  o.server = jt808;
  o.devices = devices;
  o.report_interval = absl::Seconds(1);
  o.heartbeat_interval = absl::Seconds(20);
  o.ramp_up = absl::Seconds(ramp_s);
  o.duration = absl::Seconds(ramp_s + duration_s);
  o.drain = absl::Seconds(3);
  o.loopback_source_addresses = 200;  // the gateway caps connections per source address
  yardgate::seal::ElockSimulator sim(o);
  if (!sim.Start().ok()) return 1;
  std::this_thread::sleep_for(std::chrono::seconds(ramp_s));
  const double cpu0 = CpuSeconds(server);
  const absl::Time t0 = absl::Now();
  sim.Wait();
  const double cpu = CpuSeconds(server) - cpu0;
  const double wall = absl::ToDoubleSeconds(absl::Now() - t0);
  const long rss = PeakRssKib(server);
  const yardgate::seal::ElockSimulatorStats stats = sim.stats();
  sim.Stop();
  kill(server, SIGTERM);
  int status = 0;
  waitpid(server, &status, 0);

  SQLite::Database db(dir + "/yardgate.db", SQLite::OPEN_READONLY);
  const long long stored = db.execAndGet("SELECT COUNT(*) FROM device_positions").getInt64();
  std::filesystem::remove_all(dir);

  std::printf("e-locks authenticated          : %llu of %d\n", static_cast<unsigned long long>(stats.authenticated), devices);
  std::printf("reports sent                   : %llu\n", static_cast<unsigned long long>(stats.reports_sent));
  std::printf("reports acked (0x8001)         : %llu\n", static_cast<unsigned long long>(stats.reports_acked));
  std::printf("positions stored (SQLite)      : %lld\n", stored);
  std::printf("reports lost (sent - stored)   : %lld\n", static_cast<long long>(stats.reports_sent) - stored);
  std::printf("server CPU after the ramp      : %.1f s in %.1f s = %.0f %% of one core\n", cpu, wall, 100 * cpu / wall);
  std::printf("server RSS peak (VmHWM)        : %.1f MiB\n", rss / 1024.0);
  std::printf("report round trip              : p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
              stats.latency_p50_us, stats.latency_p90_us, stats.latency_p99_us, stats.latency_max_us);
  std::printf("server exit                    : %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "clean" : "NOT CLEAN");
  const bool ok = stats.authenticated == static_cast<uint64_t>(devices) &&
                  static_cast<long long>(stats.reports_sent) == stored;
  return ok ? 0 : 1;
}
