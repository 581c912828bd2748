// Measures yardgate-server's gRPC arrival path end to end: an in-process server on loopback
// with a real SQLite file (WAL, synchronous=FULL), C client threads calling SubmitArrival with
// lane reads, then one subscriber replaying every event from sequence 0.
//
//   build/bin/arrival_bench [--clients 8] [--seconds 10]
//
// Prints calls/s, latency percentiles, store batches, and the replay rate. Bounded in time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "server/auth/client_tokens.h"
#include "server/config.h"
#include "server/journal.h"
#include "server/server.h"
#include "tests/test_principals.h"
#include "yardgate/v1/gate_service.grpc.pb.h"
#include "yardgate/v1/terminal_service.grpc.pb.h"

namespace v1 = yardgate::v1;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int clients = 8;
  int seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--clients") clients = std::stoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::stoi(argv[i + 1]);
  }
  const std::string dir = (std::filesystem::temp_directory_path() / ("arrival-bench-" + std::to_string(::getpid()))).string();
  yardgate::server::Config config = yardgate::server::DefaultConfig();
  config.data_dir = dir;
  config.grpc_listen = "127.0.0.1:0";
  config.jt808_listen = "127.0.0.1:0";
  auto tokens = std::make_shared<yardgate::auth::RoleTokens>(yardgate::testing::MintTestTokens(&config));
  auto server = yardgate::server::YardgateServer::Start(config);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  // Every call carries the token of a role the policy allows for it (the lane's, the terminal's).
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(yardgate::auth::PolicyTokenInterceptor(tokens));
  auto channel = grpc::experimental::CreateCustomChannelWithInterceptors(
      (*server)->grpc_address(), grpc::InsecureChannelCredentials(), grpc::ChannelArguments(), std::move(interceptors));
  {
    auto terminal = v1::TerminalService::NewStub(channel);
    v1::UpsertAppointmentRequest req;
    req.set_idempotency_key("bench-appointment");
    auto* a = req.mutable_appointment();
    a->set_appointment_id("BENCH");
    a->set_plate("粤B12345");
    a->set_direction(v1::DIRECTION_IN);
    a->add_containers()->set_container_number("CSQU3054383");
    grpc::ClientContext ctx;
    v1::Appointment out;
    terminal->UpsertAppointment(&ctx, req, &out);
  }

  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto gate = v1::GateService::NewStub(channel);
      for (long i = 0; !stop; ++i) {
        v1::SubmitArrivalRequest req;
        req.set_idempotency_key("bench-" + std::to_string(c) + "-" + std::to_string(i));
        req.set_lane_id("L1");
        req.mutable_read()->set_plate("粤B12345");
        req.mutable_read()->add_container_numbers("CSQU3054383");
        grpc::ClientContext ctx;
        v1::SubmitArrivalResponse resp;
        const auto t0 = Clock::now();
        const grpc::Status s = gate->SubmitArrival(&ctx, req, &resp);
        latencies[c].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!s.ok()) ++errors;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))]; };

  // Replay everything from 0, as a terminal system reconnecting after a long outage would.
  const uint64_t total_events = (*server)->journal().events().last_sequence();
  auto terminal = v1::TerminalService::NewStub(channel);
  grpc::ClientContext ctx;
  v1::SubscribeRequest sub;
  auto reader = terminal->Subscribe(&ctx, sub);
  const auto r0 = Clock::now();
  uint64_t read = 0, last = 0;
  bool ordered = true;
  v1::Event e;
  while (read < total_events && reader->Read(&e)) {
    ordered &= e.sequence() > last;
    last = e.sequence();
    ++read;
  }
  const double replay = std::chrono::duration<double>(Clock::now() - r0).count();
  ctx.TryCancel();
  reader->Finish();
  (*server)->Shutdown();

  std::printf("clients                         : %d\n", clients);
  std::printf("SubmitArrival calls             : %zu in %.1f s = %.0f calls/s (%ld errors)\n", all.size(), elapsed,
              all.size() / elapsed, errors.load());
  std::printf("latency                         : p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n", pct(0.5),
              pct(0.9), pct(0.99), all.empty() ? 0 : all.back());
  std::printf("events replayed from 0          : %lu of %lu in %.2f s = %.0f events/s, in order: %s\n",
              static_cast<unsigned long>(read), static_cast<unsigned long>(total_events), replay, read / replay,
              ordered ? "yes" : "NO");
  std::filesystem::remove_all(dir);
  return errors == 0 && ordered && read == total_events ? 0 : 1;
}
