// yardgate-server as an object: opens the store, loads the gate core and the seal book through
// the journal, starts lanes, the JT/T 808 gateway and the gRPC server with health and
// reflection, and shuts all of it down in order.
//
// main() runs one; the integration tests run one in-process on a loopback port with a temporary
// data directory (or an injected store that can fail on purpose), so they exercise the same code
// a deployment does.
//
// Thread-safety: Start and Shutdown from one owning thread; Shutdown is idempotent and is also
// called by the destructor.
#ifndef YARDGATE_SERVER_SERVER_H_
#define YARDGATE_SERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gate/store.h"
#include "server/config.h"

namespace yardgate::server {

class Journal;
class SupervisedLanes;
class Seals;

class YardgateServer {
 public:
  // Starts everything `config` asks for. grpc_listen may use port 0: see grpc_port(). `store`:
  // null opens the SQLite store in config.data_dir; tests pass another one.
  static absl::StatusOr<std::unique_ptr<YardgateServer>> Start(const Config& config,
                                                               std::unique_ptr<gate::Store> store = nullptr);

  YardgateServer(const YardgateServer&) = delete;
  YardgateServer& operator=(const YardgateServer&) = delete;
  ~YardgateServer();

  // Health to NOT_SERVING, streams finished, gRPC stopped (deadline 5 s), workers drained,
  // the store flushed and its WAL checkpointed.
  void Shutdown();

  // Rereads the config file (if any) and applies the decision rules without a restart.
  absl::Status Reload();

  int grpc_port() const { return grpc_port_; }
  std::string grpc_address() const;
  Journal& journal();
  SupervisedLanes& lanes();
  Seals& seals();

 private:
  struct Parts;
  explicit YardgateServer(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
  int grpc_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_SERVER_H_
