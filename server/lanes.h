// The configured lanes' barriers: one BarrierSupervisor per lane, on the simulated driver or a
// lane PLC over Modbus TCP. It answers the gate core's LaneStatus (is a lane fit to open, from
// the supervisor's cached snapshot) and carries out barrier effects.
//
// Lane I/O can block for a few Modbus timeouts, so neither effects nor the supervisors' events
// run on the caller's thread: both go through this object's own thread (the effect executor for
// barriers), which hands lane events on as gate::LaneReports and closing-loop passages.
//
// Thread-safety: Ready() and Run() may be called from any thread.
#ifndef YARDGATE_SERVER_LANES_H_
#define YARDGATE_SERVER_LANES_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "gate/lane/barrier_supervisor.h"
#include "gate/lane/modbus_lane.h"
#include "gate/gate_core.h"
#include "server/config.h"

namespace yardgate::server {

// Parses "modbus://HOST:PORT?unit=N&base=M" (or "&lane=I" for base I x 32).
absl::StatusOr<gate::lane::ModbusLaneOptions> ParseModbusUrl(const std::string& url);

class SupervisedLanes final : public gate::LaneStatus {
 public:
  // What the lanes report by themselves; called on this object's thread.
  using EventSink = std::function<void(const gate::LaneReport&)>;
  // Called when a vehicle has passed the closing loop on the ALLOW of `visit_id`.
  using PassageSink = std::function<void(const std::string& visit_id)>;

  static absl::StatusOr<std::unique_ptr<SupervisedLanes>> Start(const std::vector<LaneConfig>& lanes);
  ~SupervisedLanes() override;

  // Where events go. REQUIRES: called once, before any lane event matters (events that come
  // earlier wait in the queue).
  void SetSinks(EventSink events, PassageSink passages);

  absl::Status Ready(const std::string& lane_id) override;
  // Carries out a barrier effect (open, release, close, fault reset) on this object's thread;
  // `done` gets the supervisor's answer there.
  void Run(const gate::Effect& effect, std::function<void(absl::Status)> done);

  // Stops the supervisors (the barriers stay as they are) and the thread. Idempotent.
  void Stop();

  // The supervisor of a lane, for tests and the console; null if unknown.
  gate::lane::BarrierSupervisor* supervisor(const std::string& lane_id);

 private:
  SupervisedLanes() = default;
  void Loop();
  void Post(std::function<void()> task);
  void OnLaneEvent(const gate::lane::LaneEvent& e);

  std::map<std::string, std::unique_ptr<gate::lane::BarrierSupervisor>> supervisors_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  bool sinks_set_ = false;                   // guarded by mu_
  EventSink events_;
  PassageSink passages_;
  std::thread thread_;
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_LANES_H_
