// Starts a real yardgate server in-process on a loopback port with a temporary data directory,
// and gives tests real gRPC stubs to it.
#ifndef YARDGATE_TESTS_TEST_SERVER_H_
#define YARDGATE_TESTS_TEST_SERVER_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "gate/store.h"
#include "server/auth/principal.h"
#include "server/config.h"
#include "server/server.h"
#include "tests/temp_dir.h"
#include "tests/test_principals.h"
#include "yardgate/v1/gate_service.grpc.pb.h"
#include "yardgate/v1/seal_service.grpc.pb.h"
#include "yardgate/v1/terminal_service.grpc.pb.h"

namespace yardgate::testing {

class ServerFixture : public ::testing::Test {
 protected:
  ServerFixture();
  ~ServerFixture() override;

  // Starts (or restarts after StopServer) the server on the same data directory, or on `store`.
  void StartServer(std::unique_ptr<gate::Store> store = nullptr);
  void StopServer();

  // A config for the test: loopback, port 0, the temp data dir, lanes L1 (in) and L2 (out).
  server::Config& config() { return config_; }

  // Stubs whose calls carry, unless the test sets its own "authorization", the token of a role
  // the policy table allows for the method (the fixture mints one principal per role: lane
  // "lane-test" for every configured lane, terminal_system "tos-1", customs "customs-1", officer
  // "officer-1", clerk "clerk-7", admin "admin-1").
  std::unique_ptr<v1::GateService::Stub> Gate();
  std::unique_ptr<v1::TerminalService::Stub> Terminal();
  std::unique_ptr<v1::SealService::Stub> Seal();
  std::shared_ptr<grpc::Channel> Channel();
  // A channel whose calls carry no credentials at all.
  std::shared_ptr<grpc::Channel> AnonymousChannel();

  // An explicit token of a role, for tests about who may do what.
  void AsClerk(grpc::ClientContext* ctx) const { As(ctx, "clerk"); }
  void AsOfficer(grpc::ClientContext* ctx) const { As(ctx, "officer"); }
  void AsAdmin(grpc::ClientContext* ctx) const { As(ctx, "admin"); }
  void As(grpc::ClientContext* ctx, const std::string& role) const;
  const std::string& TokenOf(const std::string& role) const { return tokens_->at(role); }
  // Another principal, for the servers started from now on; returns its token.
  std::string AddPrincipal(auth::Role role, const std::string& id, const std::vector<std::string>& lanes = {});

  // A fresh idempotency key: every mutating call names one.
  std::string NextKey();

  // Helpers that assert the call succeeded; each uses a fresh idempotency key unless given one.
  v1::Appointment Book(const std::string& id, const std::string& plate,
                       const std::vector<std::string>& containers,
                       v1::Direction direction = v1::DIRECTION_IN,
                       v1::TransactionType type = v1::TRANSACTION_TYPE_RECEIVE_EXPORT);
  v1::Visit Arrive(const std::string& lane, const std::string& plate,
                   const std::vector<std::string>& containers, const std::string& key = "");
  void SetCustoms(const std::string& container, v1::CustomsStatus status);
  // Appointment A1: 粤B12345 brings import box CSQU3054383 in under `seal_id`, release required.
  void BookUnderSeal(const std::string& seal_id);
  // The seal as SealService reports it (asserting that it exists).
  v1::Seal GetSeal(const std::string& seal_id);

  // Reads `count` events (those `keep` accepts, if given) from a fresh subscription after
  // `after`, with a deadline.
  std::vector<v1::Event> ReadEvents(uint64_t after, size_t count,
                                    const std::function<bool(const v1::Event&)>& keep = nullptr);

  // Reads every event after `after` until `done` says the events read so far are enough.
  std::vector<v1::Event> ReadUntil(uint64_t after,
                                   const std::function<bool(const std::vector<v1::Event>&)>& done);

  server::YardgateServer* server() { return server_.get(); }

 private:
  TempDir dir_;
  server::Config config_;
  std::unique_ptr<server::YardgateServer> server_;
  int next_key_ = 0;
  std::shared_ptr<std::map<std::string, std::string>> tokens_;  // role -> token
  std::vector<std::string> extra_token_lines_;                    // AddPrincipal's [auth] values
};

std::chrono::system_clock::time_point Deadline(int seconds = 10);



// Polls `condition` until it holds or `ms` milliseconds pass; returns whether it held.
bool Eventually(const std::function<bool()>& condition, int ms = 5000);

}  // namespace yardgate::testing

#endif  // YARDGATE_TESTS_TEST_SERVER_H_
