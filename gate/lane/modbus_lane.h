// ModbusLane: a LaneController for a lane PLC that speaks Modbus TCP (libmodbus 3.1.6).
//
// Coils drive the barrier (open and close pulses), the traffic light, the horn and the
// PLC's fault reset; discrete inputs carry the loops, photo-eye, arm limits, loop fault,
// E-stop/fire and manual key; holding registers take the server heartbeat and the pulse
// width. Every address is configurable per lane (ModbusRegisterMap); the defaults are
// domain.md's suggested map with base = lane index x 32.
//
//   ModbusLaneOptions options;
//   options.host = "10.20.0.13";
//   options.map = ModbusRegisterMap::ForLane(3);   // base 96
//   absl::StatusOr<std::unique_ptr<ModbusLane>> lane = ModbusLane::Create(options);
//
// Connection: none is made by Create(). The first call connects. A failed connect, a
// transport error or a response timeout closes the connection, and the next connect
// waits for a backoff (reconnect_backoff_initial, doubling up to reconnect_backoff_max,
// back to the initial value after a successful read), so a PLC that accepts
// connections but does not answer is not flooded with new ones. Calls made while
// waiting fail at once with Unavailable. A Modbus exception reply (e.g. illegal data address: the map does not
// match the PLC) keeps the connection and returns FailedPrecondition. See
// lane_controller.h for how BarrierSupervisor reads these codes.
//
// Pulses: PulseOpen writes close=0 then open=1; the driver writes the coil back to 0 on
// the first call made pulse_width or more later (BarrierSupervisor polls every 50 ms),
// so the coil is high for pulse_width rounded up to a poll. On connect, the pulse width
// is also written to the PLC's pulse-width register, for PLCs that time the pulse and
// reset the coil themselves (writing 0 again is then harmless).
//
// Thread safety: all methods are safe to call from any thread; one mutex serializes
// every use of the libmodbus context, which is not thread-safe.

#ifndef YARDGATE_GATE_LANE_MODBUS_LANE_H_
#define YARDGATE_GATE_LANE_MODBUS_LANE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gate/lane/lane_controller.h"

// libmodbus's context; kept out of this header.
typedef struct _modbus modbus_t;

namespace yardgate::gate::lane {

// One discrete input: its offset from the map's base, and its polarity. Fail-safe
// wiring (a normally-closed contact that opens on presence) reads 0 when active: set
// active_low for it.
struct ModbusInput {
  int offset = 0;
  bool active_low = false;
};

// Where one lane's signals live in the PLC. Addresses are `base + offset`, zero-based
// protocol addresses (coil 0 is the PLC's 00001). Offsets of -1 mean "not wired": that
// output is never written (horn, LED message) or that register never written.
struct ModbusRegisterMap {
  int base = 0;
  // Coils (FC 01 read, 05/15 write).
  int open_coil = 0;
  int close_coil = 1;
  int red_coil = 2;
  int amber_coil = 3;
  int green_coil = 4;
  int horn_coil = 5;
  int fault_reset_coil = 6;
  // Discrete inputs (FC 02), all read with one request.
  ModbusInput arming_loop{0};
  ModbusInput safety_loop{1};
  ModbusInput closing_loop{2};
  ModbusInput photo_eye{3};
  ModbusInput arm_up{4};
  ModbusInput arm_down{5};
  ModbusInput loop_fault{6};
  ModbusInput estop{7};
  ModbusInput manual_key{8};
  // Holding registers (FC 03 read, 06/16 write).
  int led_message_register = 0;
  int heartbeat_register = 1;
  int pulse_width_register = 2;  // -1: the PLC has no such register

  // domain.md's suggested map for lane `lane_index` (0-based): base = lane_index * 32.
  static ModbusRegisterMap ForLane(int lane_index);
  // InvalidArgument naming the field if an address is out of 0..65535, two coils share
  // an address, or a required signal (open, close, lights, every input, heartbeat) is -1.
  absl::Status Validate() const;
};

struct ModbusLaneOptions {
  std::string host = "127.0.0.1";  // an IPv4 address (libmodbus does not resolve names)
  int port = 502;
  int unit_id = 1;  // Modbus slave / unit identifier
  ModbusRegisterMap map;
  // How long to wait for a connect or a reply before calling the PLC unresponsive.
  absl::Duration response_timeout = absl::Milliseconds(200);
  absl::Duration pulse_width = absl::Milliseconds(300);
  absl::Duration reconnect_backoff_initial = absl::Milliseconds(100);
  absl::Duration reconnect_backoff_max = absl::Seconds(5);
  // nullptr = common::RealClock::Default(); stamps read_time and times pulses and backoff.
  common::Clock* clock = nullptr;
};

class ModbusLane final : public LaneController {
 public:
  // InvalidArgument for a bad map, port, unit id or durations. Does not connect.
  static absl::StatusOr<std::unique_ptr<ModbusLane>> Create(ModbusLaneOptions options);
  ModbusLane(const ModbusLane&) = delete;
  ModbusLane& operator=(const ModbusLane&) = delete;
  ~ModbusLane() override;

  // LaneController.
  absl::StatusOr<LaneInputs> ReadInputs() override;
  absl::Status PulseOpen() override;
  absl::Status PulseClose() override;
  absl::Status SetLights(Light light) override;
  absl::Status PulseFaultReset() override;
  absl::Status WriteHeartbeat(uint16_t value) override;
  std::string Describe() const override;

  // Not on the interface: the LED message id (holding register) and the horn coil.
  absl::Status WriteLedMessage(uint16_t message_id);
  absl::Status SetHorn(bool on);

  bool connected() const;
  // Successful connects so far, for tests and diagnostics.
  int connects() const;

 private:
  ModbusLane(ModbusLaneOptions options, common::Clock* clock, modbus_t* ctx);

  // Connects if needed (respecting backoff), then releases pulses that are due.
  absl::Status PrepareLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ConnectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DisconnectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // No connect attempt before the current backoff has passed; the next one waits longer.
  void BackOffLocked(const std::string& error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReleaseDuePulsesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Turns errno after a failed libmodbus call into a Status; drops the connection on
  // transport errors and timeouts.
  absl::Status FailLocked(const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteCoilLocked(int offset, bool on, const char* name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteRegisterLocked(int offset, uint16_t value, const char* name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PulseLocked(int offset, const char* name, absl::Time* release_at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ModbusLaneOptions options_;
  common::Clock* const clock_;
  const std::string description_;

  mutable absl::Mutex mu_;
  modbus_t* const ctx_ ABSL_PT_GUARDED_BY(mu_);
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  int connects_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_connect_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_);
  std::string last_connect_error_ ABSL_GUARDED_BY(mu_);
  // When each pulsed coil must go back to 0; InfiniteFuture when it is not high.
  absl::Time open_release_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time close_release_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time reset_release_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace yardgate::gate::lane

#endif  // YARDGATE_GATE_LANE_MODBUS_LANE_H_
