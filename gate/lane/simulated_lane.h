// SimulatedLane: an in-memory LaneController for tests and demos.
//
// Tests set inputs as a vehicle would, inject link faults, and read back what was
// commanded:
//
//   auto sim = std::make_unique<SimulatedLane>(&clock);
//   SimulatedLane* lane = sim.get();           // keep a pointer; the supervisor owns it
//   lane->SetInput(&LaneInputs::arming_loop, true);
//   lane->SetReachable(false);                 // every call now fails with Unavailable
//   EXPECT_EQ(lane->close_pulses(), 0);
//
// Faults it can simulate:
//   - SetReachable(false): every call fails with absl::UnavailableError (PLC unreachable).
//   - SetUnresponsive(true): every call fails with absl::DeadlineExceededError.
//   - SetFrozen(true): ReadInputs keeps returning the snapshot taken when frozen, with
//     its old read_time (a PLC or gateway that stopped scanning), while SetInput goes
//     on changing the "real" inputs behind it.
//
// The simulator has no barrier physics: it does not move the arm on a pulse. Tests
// that care set arm_up/arm_down themselves.
//
// Thread safety: all methods are safe to call from any thread.

#ifndef YARDGATE_GATE_LANE_SIMULATED_LANE_H_
#define YARDGATE_GATE_LANE_SIMULATED_LANE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "gate/lane/lane_controller.h"

namespace yardgate::gate::lane {

class SimulatedLane final : public LaneController {
 public:
  // `clock` stamps read_time; it must outlive this object. nullptr = common::RealClock::Default().
  explicit SimulatedLane(common::Clock* clock = nullptr);
  SimulatedLane(const SimulatedLane&) = delete;
  SimulatedLane& operator=(const SimulatedLane&) = delete;

  // LaneController.
  absl::StatusOr<LaneInputs> ReadInputs() override;
  absl::Status PulseOpen() override;
  absl::Status PulseClose() override;
  absl::Status SetLights(Light light) override;
  absl::Status PulseFaultReset() override;
  absl::Status WriteHeartbeat(uint16_t value) override;
  std::string Describe() const override { return "sim"; }

  // Scripting. `field` is one of LaneInputs' bool members, e.g. &LaneInputs::safety_loop.
  void SetInput(bool LaneInputs::*field, bool value);
  // Replaces every input at once (read_time is ignored).
  void SetInputs(const LaneInputs& inputs);
  void SetReachable(bool reachable);
  void SetUnresponsive(bool unresponsive);
  void SetFrozen(bool frozen);

  // What was commanded.
  int open_pulses() const;
  int close_pulses() const;
  int fault_resets() const;
  Light lights() const;
  uint16_t heartbeat() const;
  int heartbeat_writes() const;
  // Every successful command in order: "open", "close", "lights red", "fault_reset".
  // Heartbeats are not logged (there is one per poll).
  std::vector<std::string> commands() const;

 private:
  absl::Status CheckLink() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  common::Clock* const clock_;
  mutable absl::Mutex mu_;
  LaneInputs inputs_ ABSL_GUARDED_BY(mu_);
  LaneInputs frozen_inputs_ ABSL_GUARDED_BY(mu_);
  bool frozen_ ABSL_GUARDED_BY(mu_) = false;
  bool reachable_ ABSL_GUARDED_BY(mu_) = true;
  bool unresponsive_ ABSL_GUARDED_BY(mu_) = false;
  int open_pulses_ ABSL_GUARDED_BY(mu_) = 0;
  int close_pulses_ ABSL_GUARDED_BY(mu_) = 0;
  int fault_resets_ ABSL_GUARDED_BY(mu_) = 0;
  Light lights_ ABSL_GUARDED_BY(mu_) = Light::kOff;
  uint16_t heartbeat_ ABSL_GUARDED_BY(mu_) = 0;
  int heartbeat_writes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> commands_ ABSL_GUARDED_BY(mu_);
};

}  // namespace yardgate::gate::lane

#endif  // YARDGATE_GATE_LANE_SIMULATED_LANE_H_
