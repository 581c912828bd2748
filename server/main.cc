// yardgate-server: the gate and yard automation server.
//
//   yardgate-server [--config FILE] [--data-dir DIR] [--grpc-listen HOST:PORT]
//                   [--jt808-listen HOST:PORT] [--http-listen HOST:PORT]
//
// SIGINT / SIGTERM shut it down cleanly; SIGHUP reloads the decision rules from the config file.
#include <csignal>
#include <cstdio>
#include <pthread.h>

#include <chrono>
#include <mutex>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "seal_bridge/jt808_gateway.h"
#include "server/config.h"
#include "server/server.h"

namespace {

// Protobuf logs a line for every request with invalid UTF-8, which the server answers
// INVALID_ARGUMENT anyway: a flood of garbage must not become a flood of log lines. At most
// ten such lines a minute, then one saying how many were dropped.
void RateLimitedProtobufLog(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  static std::mutex mu;
  static std::chrono::steady_clock::time_point window_start;
  static int printed = 0;
  static int dropped = 0;
  std::lock_guard<std::mutex> lock(mu);
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start >= std::chrono::minutes(1)) {
    if (dropped > 0) std::fprintf(stderr, "yardgate-server: %d more protobuf messages dropped\n", dropped);
    window_start = now;
    printed = 0;
    dropped = 0;
  }
  if (level < google::protobuf::LOGLEVEL_FATAL && ++printed > 10) {
    ++dropped;
    return;
  }
  std::fprintf(stderr, "yardgate-server: protobuf %s:%d: %s\n", file, line, message.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  using yardgate::server::Config;
  using yardgate::server::YardgateServer;

  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("usage: yardgate-server [--config FILE] [--data-dir DIR] [--grpc-listen HOST:PORT]\n"
                  "                       [--jt808-listen HOST:PORT] [--http-listen HOST:PORT]\n");
      return 0;
    }
  }
  absl::StatusOr<Config> config = yardgate::server::ConfigFromFlags(argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "yardgate-server: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }

  google::protobuf::SetLogHandler(&RateLimitedProtobufLog);

  // Block the signals in every thread; one thread waits for them, so no work runs inside a
  // signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Every e-lock holds a socket: take the hard limit now, so the gateway's connection cap
  // (a share of it) leaves room for gRPC clients and the store however many locks connect.
  const long fd_limit = yardgate::seal::RaiseFileDescriptorLimit();

  absl::StatusOr<std::unique_ptr<YardgateServer>> server = YardgateServer::Start(*config);
  if (!server.ok()) {
    std::fprintf(stderr, "yardgate-server: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "yardgate-server: gRPC on %s, data in %s, %ld file descriptors\n",
               (*server)->grpc_address().c_str(), config->data_dir.c_str(), fd_limit);

  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      const absl::Status s = (*server)->Reload();
      std::fprintf(stderr, "yardgate-server: reload: %s\n", s.ok() ? "ok" : std::string(s.message()).c_str());
      continue;
    }
    break;
  }
  std::fprintf(stderr, "yardgate-server: shutting down\n");
  (*server)->Shutdown();
  std::fprintf(stderr, "yardgate-server: stopped\n");
  return 0;
}
