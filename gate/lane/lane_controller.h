// LaneController: the seam between lane supervision and one lane's I/O hardware.
//
// A LaneController reads the lane's inputs (the three loops, photo-eye, arm limits,
// loop fault, E-stop/fire, manual key) and drives its outputs (barrier open and close
// pulses, traffic light, fault reset, server heartbeat). It makes no decisions: the
// interlocks on top of it live in BarrierSupervisor (and, first of all, in the PLC).
//
// Drivers: SimulatedLane (in memory, scriptable, for tests and demos) and ModbusLane
// (Modbus TCP to a lane PLC through libmodbus).
//
// Error convention, which BarrierSupervisor relies on:
//   - absl::UnavailableError: the PLC cannot be reached (connect refused or timed out,
//     connection reset). The supervisor raises a PLC_UNREACHABLE lane fault.
//   - absl::DeadlineExceededError: connected, but the PLC did not answer in time.
//     The snapshot ages and becomes stale after the supervisor's watchdog.
//   - anything else: the PLC answered but refused (e.g. a Modbus exception for an
//     address that is not in its map): a configuration fault.
//
// Thread safety: every method of every driver is safe to call from any thread; a
// driver serializes its own I/O. BarrierSupervisor is nevertheless the only intended
// caller once it owns the controller.

#ifndef YARDGATE_GATE_LANE_LANE_CONTROLLER_H_
#define YARDGATE_GATE_LANE_LANE_CONTROLLER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace yardgate::gate::lane {

// One reading of every lane input. `true` means active: a loop or photo-eye sees a
// vehicle, a limit switch is made, a fault or E-stop is present, the manual key is on.
// Drivers translate wiring polarity (normally-closed contacts) before filling this in.
struct LaneInputs {
  bool arming_loop = false;   // before the arm; leading edge = a vehicle arrives
  bool safety_loop = false;   // under the arm; presence blocks closing
  bool closing_loop = false;  // past the arm; trailing edge = the vehicle has passed
  bool photo_eye = false;     // across the arm; presence blocks closing
  bool arm_up = false;        // arm fully open limit switch
  bool arm_down = false;      // arm fully closed limit switch
  bool loop_fault = false;    // loop detector reports a broken or detuned loop
  bool estop = false;         // E-stop or fire alarm
  bool manual_key = false;    // lane switched to manual at the local panel
  // When the driver got these values from the device (not when they were asked for).
  // A frozen PLC or gateway returns an old time here, which the watchdog catches.
  absl::Time read_time = absl::InfinitePast();

  // Something is, or may be, under the arm.
  bool Presence() const { return safety_loop || photo_eye; }
  std::string DebugString() const;
};

enum class Light { kOff, kRed, kAmber, kGreen };
const char* LightName(Light light);

class LaneController {
 public:
  virtual ~LaneController() = default;

  // Reads all inputs in one go. See the error convention above.
  virtual absl::StatusOr<LaneInputs> ReadInputs() = 0;

  // Commands one barrier open pulse. The driver releases the pulse by itself.
  virtual absl::Status PulseOpen() = 0;
  // Commands one barrier close pulse. The PLC must ignore it on presence; callers must
  // not send it on presence either (see BarrierSupervisor).
  virtual absl::Status PulseClose() = 0;
  // Shows exactly one aspect (or none) on the lane's traffic light.
  virtual absl::Status SetLights(Light light) = 0;
  // Commands one pulse on the PLC's fault-reset input (clears a latched PLC fault).
  virtual absl::Status PulseFaultReset() = 0;
  // Writes the server heartbeat counter; the PLC faults the lane if it stops changing.
  virtual absl::Status WriteHeartbeat(uint16_t value) = 0;

  // What this controller talks to, for messages: "sim", "modbus 10.0.0.7:502 unit 1 base 64".
  virtual std::string Describe() const = 0;
};

}  // namespace yardgate::gate::lane

#endif  // YARDGATE_GATE_LANE_LANE_CONTROLLER_H_
