// yardgate-seal: JT/T 808 tools.
//
//   yardgate-seal decode --hex HEX
//       Prints one JSON object per frame; a rejected frame prints {"error":"..."}, exit 1.
//   yardgate-seal simulate --server HOST:PORT --devices N --interval-ms M --duration-s S
//                          [--heartbeat-s H] [--ramp-s R] [--v2019] [--first-phone P]
//                          [--loopback-sources K]
//       Runs N simulated e-locks (register, authenticate, report, heartbeat, answer unlock)
//       and prints what they saw. --loopback-sources spreads them over 127.0.0.1..K (the
//       gateway caps connections per source IP).
//   yardgate-seal gateway --unlock-password P --terminals FIRST:COUNT [--jt808-listen HOST:PORT]
//                         [--duration-s S] [--idle-timeout-s T]
//       Runs a standalone gateway that only counts, printing its counters every second. The
//       terminals FIRST .. FIRST+COUNT-1 are known (one lock family with password P); the
//       auth codes it issues live in memory only.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "seal_bridge/elock_simulator.h"
#include "seal_bridge/jt808_gateway.h"
#include "seal_bridge/jt808_json.h"
#include "common/json.h"

namespace yardgate::seal {
namespace {

int Usage() {
  std::fprintf(stderr,
               "usage:\n"
               "  yardgate-seal decode --hex HEX\n"
               "  yardgate-seal simulate --server HOST:PORT --devices N --interval-ms M --duration-s S\n"
               "                         [--heartbeat-s H] [--ramp-s R] [--v2019] [--first-phone P]\n"
               "                         [--loopback-sources K]\n"
               "  yardgate-seal gateway --unlock-password P --terminals FIRST:COUNT [--jt808-listen HOST:PORT]\n"
               "                        [--duration-s S] [--idle-timeout-s T]\n");
  return 2;
}

// --name value / --name=value / --flag
std::map<std::string, std::string> ParseFlags(int argc, char** argv, int first) {
  std::map<std::string, std::string> flags;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      flags["?"] = a;
      continue;
    }
    a = a.substr(2);
    size_t eq = a.find('=');
    if (eq != std::string::npos) {
      flags[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      flags[a] = argv[++i];
    } else {
      flags[a] = "true";
    }
  }
  return flags;
}

double Num(const std::map<std::string, std::string>& f, const std::string& k, double def) {
  auto it = f.find(k);
  double v;
  return it != f.end() && absl::SimpleAtod(it->second, &v) ? v : def;
}

int Decode(const std::map<std::string, std::string>& f) {
  auto it = f.find("hex");
  if (it == f.end()) return Usage();
  absl::StatusOr<std::vector<std::string>> json = DecodeHexToJson(it->second);
  if (!json.ok()) {
    std::printf("{\"error\":%s}\n", common::JsonString(std::string(json.status().message())).c_str());
    return 1;
  }
  for (const std::string& line : *json) std::printf("%s\n", line.c_str());
  return 0;
}

int Simulate(const std::map<std::string, std::string>& f) {
  if (!f.count("server")) return Usage();
  RaiseFileDescriptorLimit();
  ElockSimulatorOptions o;
  o.server = f.at("server");
  o.devices = static_cast<int>(Num(f, "devices", 1));
  o.report_interval = absl::Milliseconds(Num(f, "interval-ms", 1000));
  o.duration = absl::Seconds(Num(f, "duration-s", 10));
  o.heartbeat_interval = absl::Seconds(Num(f, "heartbeat-s", 30));
  o.ramp_up = absl::Seconds(Num(f, "ramp-s", 1));
  o.v2019 = f.count("v2019") > 0;
  o.first_phone = static_cast<uint64_t>(Num(f, "first-phone", 13800000000.0));
  o.loopback_source_addresses = static_cast<int>(Num(f, "loopback-sources", 0));
  ElockSimulator sim(o);
  absl::Status s = sim.Start();
  if (!s.ok()) {
    std::fprintf(stderr, "simulate: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  sim.Wait();
  ElockSimulatorStats st = sim.stats();
  std::printf(
      "{\"devices\":%d,\"connected\":%llu,\"registered\":%llu,\"authenticated\":%llu,"
      "\"reports_sent\":%llu,\"reports_acked\":%llu,\"reports_lost\":%lld,"
      "\"heartbeats_sent\":%llu,\"heartbeats_acked\":%llu,\"unlocks_received\":%llu,"
      "\"connect_failures\":%llu,\"disconnects\":%llu,"
      "\"latency_us\":{\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"max\":%.0f}}\n",
      o.devices, (unsigned long long)st.connected, (unsigned long long)st.registered,
      (unsigned long long)st.authenticated, (unsigned long long)st.reports_sent,
      (unsigned long long)st.reports_acked, (long long)(st.reports_sent - st.reports_acked),
      (unsigned long long)st.heartbeats_sent, (unsigned long long)st.heartbeats_acked,
      (unsigned long long)st.unlocks_received, (unsigned long long)st.connect_failures,
      (unsigned long long)st.disconnects, st.latency_p50_us, st.latency_p90_us,
      st.latency_p99_us, st.latency_max_us);
  return st.authenticated == static_cast<uint64_t>(o.devices) ? 0 : 1;
}

// Only async-signal-safe work in the handler: the main loop polls the flag.
volatile std::sig_atomic_t g_signalled = 0;
void SetSignalled(int) { g_signalled = 1; }

// Keeps issued codes in memory (a real server stores them durably) and prints alarms.
class ToolListener final : public DeviceListener {
 public:
  void OnAuthCodeIssued(const KnownTerminal&, StoredCallback stored) override { stored(absl::OkStatus()); }
  void OnSecurityAlarm(const SecurityAlarm& a) override {
    std::printf("alarm %s device=%s peer=%s: %s\n", SecurityAlarmKindName(a.kind), a.device_id.c_str(),
                a.peer.c_str(), a.detail.c_str());
    std::fflush(stdout);
  }
};

int Gateway(const std::map<std::string, std::string>& f) {
  auto terminals = f.find("terminals");
  auto password = f.find("unlock-password");
  uint64_t first = 0, count = 0;
  const size_t colon = terminals == f.end() ? std::string::npos : terminals->second.find(':');
  if (password == f.end() || colon == std::string::npos ||
      !absl::SimpleAtoi(terminals->second.substr(0, colon), &first) ||
      !absl::SimpleAtoi(terminals->second.substr(colon + 1), &count)) {
    return Usage();
  }
  RaiseFileDescriptorLimit();
  Jt808GatewayOptions o;
  if (f.count("jt808-listen")) o.listen = f.at("jt808-listen");
  o.idle_timeout = absl::Seconds(Num(f, "idle-timeout-s", 180));
  o.lock_families["tool"].unlock_password = password->second;
  for (uint64_t i = 0; i < count; ++i) o.known_terminals.push_back({std::to_string(first + i), "tool", ""});
  ToolListener listener;
  absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(o, &listener);
  if (!gw.ok()) {
    std::fprintf(stderr, "gateway: %s\n", std::string(gw.status().message()).c_str());
    return 1;
  }
  std::printf("listening on port %d\n", (*gw)->port());
  std::fflush(stdout);
  std::signal(SIGINT, SetSignalled);
  std::signal(SIGTERM, SetSignalled);
  const double duration = Num(f, "duration-s", 0);
  const absl::Time end = duration > 0 ? absl::Now() + absl::Seconds(duration) : absl::InfiniteFuture();
  while (!g_signalled && absl::Now() < end) {
    absl::SleepFor(absl::Seconds(1));
    Jt808GatewayCounters c = (*gw)->counters();
    std::printf("open=%llu frames_in=%llu reports=%llu bad_checksum=%llu bad_length=%llu timed_out=%llu\n",
                (unsigned long long)c.connections_open, (unsigned long long)c.frames_in,
                (unsigned long long)c.reports, (unsigned long long)c.bad_checksum,
                (unsigned long long)c.bad_length, (unsigned long long)c.connections_timed_out);
    std::fflush(stdout);
  }
  (*gw)->Stop();
  return 0;
}

}  // namespace
}  // namespace yardgate::seal

int main(int argc, char** argv) {
  namespace seal = yardgate::seal;
  if (argc < 2) return seal::Usage();
  const std::string cmd = argv[1];
  std::map<std::string, std::string> flags = seal::ParseFlags(argc, argv, 2);
  if (cmd == "decode") return seal::Decode(flags);
  if (cmd == "simulate") return seal::Simulate(flags);
  if (cmd == "gateway") return seal::Gateway(flags);
  return seal::Usage();
}
