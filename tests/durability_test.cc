// Nothing acknowledged is lost on kill -9: the real yardgate-server binary is killed while
// clients are writing, restarted on the same data directory, and every acknowledged visit and
// its event must be there.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/free_port.h"
#include "tests/test_server.h"

namespace yardgate::testing {
namespace {

class ServerProcess {
 public:
  ServerProcess(const std::string& data_dir, int port) : address_("127.0.0.1:" + std::to_string(port)) {
    pid_ = fork();
    if (pid_ == 0) {
      execl(YARDGATE_SERVER_BIN, YARDGATE_SERVER_BIN, "--data-dir", data_dir.c_str(), "--grpc-listen",
            address_.c_str(), "--jt808-listen", "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ServerProcess() {
    if (pid_ > 0) Kill(SIGKILL);
  }

  bool WaitServing() {
    // The server is still starting: retry connecting quickly instead of gRPC's 1 s backoff.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
    auto channel = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
    auto health = grpc::health::v1::Health::NewStub(channel);
    for (int i = 0; i < 200; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline(1));
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse resp;
      if (health->Check(&ctx, req, &resp).ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  int Kill(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  const std::string& address() const { return address_; }

 private:
  std::string address_;
  pid_t pid_ = -1;
};

TEST(DurabilityTest, KillNineLosesNothingAcknowledged) {
  TempDir dir;
  const int port = FreePort();
  std::set<std::string> acknowledged;
  std::mutex mu;
  {
    ServerProcess server(dir.path(), port);
    ASSERT_TRUE(server.WaitServing());
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        auto gate = v1::GateService::NewStub(channel);
        for (int i = 0; !stop; ++i) {
          v1::SubmitArrivalRequest req;
          req.set_idempotency_key("kill-" + std::to_string(c) + "-" + std::to_string(i));
          req.set_lane_id("L1");
          req.mutable_read()->set_plate("粤B" + std::to_string(10000 + c * 1000 + i % 1000));
          grpc::ClientContext ctx;
          ctx.set_deadline(Deadline(2));
          v1::SubmitArrivalResponse resp;
          if (gate->SubmitArrival(&ctx, req, &resp).ok()) {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged.insert(resp.visit().visit_id());
          }
        }
      });
    }
    // Let the clients write for a while, then pull the plug mid-stream.
    for (int i = 0; i < 150; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::lock_guard<std::mutex> lock(mu);
      if (acknowledged.size() >= 200) break;
    }
    const int status = server.Kill(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));
    stop = true;
    for (auto& t : clients) t.join();
  }
  ASSERT_GT(acknowledged.size(), 50u);
  std::fprintf(stderr, "acknowledged before kill -9: %zu\n", acknowledged.size());

  ServerProcess again(dir.path(), port);
  ASSERT_TRUE(again.WaitServing());
  auto channel = grpc::CreateChannel(again.address(), grpc::InsecureChannelCredentials());
  auto terminal = v1::TerminalService::NewStub(channel);
  std::set<std::string> stored;
  v1::ListVisitsRequest list;
  list.set_page_size(1000);
  for (;;) {
    grpc::ClientContext ctx;
    v1::ListVisitsResponse resp;
    ASSERT_TRUE(terminal->ListVisits(&ctx, list, &resp).ok());
    for (const v1::Visit& v : resp.visits()) stored.insert(v.visit_id());
    if (resp.next_page_token().empty()) break;
    list.set_page_token(resp.next_page_token());
  }
  for (const std::string& id : acknowledged) EXPECT_TRUE(stored.count(id)) << id << " was acknowledged and lost";

  // The event log holds one decision per stored visit, in strictly increasing order.
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::SubscribeRequest req;
  auto reader = terminal->Subscribe(&ctx, req);
  std::set<std::string> decided;
  uint64_t last = 0;
  v1::Event e;
  while (decided.size() < stored.size() && reader->Read(&e)) {
    EXPECT_GT(e.sequence(), last);
    last = e.sequence();
    decided.insert(e.visit_id());
  }
  ctx.TryCancel();
  reader->Finish();
  EXPECT_EQ(decided, stored);
}

}  // namespace
}  // namespace yardgate::testing
