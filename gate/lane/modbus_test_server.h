// ModbusTestServer: a Modbus TCP server on 127.0.0.1 that stands in for a lane PLC in
// tests, built on libmodbus's server side (modbus_receive / modbus_reply over a
// modbus_mapping_t) and one thread that serves any number of clients.
//
//   absl::StatusOr<std::unique_ptr<ModbusTestServer>> plc = ModbusTestServer::Start();
//   options.port = (*plc)->port();
//   (*plc)->SetDiscreteInput(1, true);          // safety loop of lane 0 occupied
//   EXPECT_EQ((*plc)->CoilRisingEdges(1), 0);   // never a close pulse
//   (*plc)->SetAnswering(false);                // PLC stops answering (inputs go stale)
//   (*plc)->Stop();  (*plc)->Restart();         // PLC unreachable, then back on the same port
//
// It is a passive register bank: no interlocks, no barrier motion. The mapping (1024 of
// each table) survives Stop()/Restart(), like a PLC's memory across a network outage.
//
// Thread safety: all methods are safe to call from any thread; a mutex guards the
// mapping, which libmodbus does not lock.

#ifndef YARDGATE_GATE_LANE_MODBUS_TEST_SERVER_H_
#define YARDGATE_GATE_LANE_MODBUS_TEST_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

typedef struct _modbus modbus_t;
typedef struct _modbus_mapping_t modbus_mapping_t;

namespace yardgate::gate::lane {

class ModbusTestServer final {
 public:
  static constexpr int kTableSize = 1024;

  // Listens on 127.0.0.1:`port`; 0 picks a free port.
  static absl::StatusOr<std::unique_ptr<ModbusTestServer>> Start(int port = 0);
  ModbusTestServer(const ModbusTestServer&) = delete;
  ModbusTestServer& operator=(const ModbusTestServer&) = delete;
  ~ModbusTestServer();

  int port() const { return port_; }

  // Closes the listening socket and every connection; clients see the PLC unreachable.
  void Stop();
  // Listens again on the same port after Stop().
  absl::Status Restart();
  // false: connections stay open (and new ones queue in the backlog) but no request is
  // read or answered, so clients time out.
  void SetAnswering(bool answering);

  void SetDiscreteInput(int address, bool value);
  bool Coil(int address) const;
  uint16_t HoldingRegister(int address) const;
  // How many times a client turned this coil from 0 to 1.
  int CoilRisingEdges(int address) const;
  // Requests answered so far.
  int requests() const;

 private:
  ModbusTestServer(int port, modbus_t* ctx, modbus_mapping_t* mapping);
  absl::Status Listen();
  void Serve();

  int port_;
  modbus_t* const ctx_;  // used by the serving thread only
  std::atomic<bool> stop_{false};
  // Held by the serving thread while it reads and answers; guards the switch.
  absl::Mutex serve_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::atomic<bool> answering_{true};
  int listen_fd_ = -1;
  std::thread thread_;

  mutable absl::Mutex mu_;
  modbus_mapping_t* const mapping_ ABSL_PT_GUARDED_BY(mu_);
  std::vector<int> rising_edges_ ABSL_GUARDED_BY(mu_);
  int requests_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace yardgate::gate::lane

#endif  // YARDGATE_GATE_LANE_MODBUS_TEST_SERVER_H_
