// ElockSimulator: N simulated JT/T 808 e-locks (the lock family of jt808_messages.h) driven
// by one event-loop thread, for tests, the `yardgate-seal simulate` tool and the load
// benchmark.
//
// Each device: connects (spread over ramp_up), registers (0x0100) and uses the auth code of
// the 0x8100 to authenticate (0x0102), then sends a 0x0200 every report_interval and a
// heartbeat every heartbeat_interval, and answers an unlock (0x8900 type F0 "(P43,pwd)")
// with a 0x0001, then a 0x0900 "(id,P43,1,0)" and a 0x0200 whose items say unlocked (0x0B
// result 0, 0xD5 lock open). Each report carries items 0xD5 (lock state, battery %) and 0xDA
// (rope/cover), so alarms can be injected. It answers a 0x8201 position query with a 0x0201.
// It measures the time from sending each 0x0200 to receiving its 0x8001 (flooding devices
// excepted).
//
// Usage:
//   ElockSimulatorOptions o;
//   o.server = "127.0.0.1:6808"; o.devices = 100; o.duration = absl::Seconds(10);
//   ElockSimulator sim(o);
//   if (sim.Start().ok()) { sim.Wait(); ElockSimulatorStats s = sim.stats(); }
//
// Thread-safety: all public methods are thread-safe. Device controls (SetPosition,
// InjectAlarms, ReportNow) are queued to the simulator thread and apply to the next report.
#ifndef YARDGATE_SEAL_BRIDGE_ELOCK_SIMULATOR_H_
#define YARDGATE_SEAL_BRIDGE_ELOCK_SIMULATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace yardgate::seal {

struct ElockSimulatorOptions {
  std::string server = "127.0.0.1:6808";
  int devices = 1;
  uint64_t first_phone = 13800000000;   // device i has terminal phone first_phone + i
  absl::Duration report_interval = absl::Seconds(1);
  absl::Duration heartbeat_interval = absl::Seconds(30);  // zero: no heartbeats
  absl::Duration duration = absl::ZeroDuration();  // reporting time; zero: until Stop()
  absl::Duration ramp_up = absl::Seconds(1);       // connects spread over this
  absl::Duration drain = absl::Seconds(2);         // after duration, wait for last acks
  bool v2019 = false;                  // 2019 header for every device
  bool answer_unlock = true;
  bool unlock_succeeds = true;         // false: the lock refuses (wrong password)
  std::string unlock_password;         // set: only "(P43,<this>)" opens; empty: any password
  double start_latitude = 22.54;       // devices start here and move north-east
  double start_longitude = 113.95;
  double step_degrees = 0.0005;        // per report (~55 m)
  // > 0: device i binds to 127.0.0.(1 + i % n) before connecting, so a loopback run looks
  // like n peers (the gateway limits connections per peer IP). Loopback servers only.
  int loopback_source_addresses = 0;
  // The first flood_devices devices send 0x0200 frames as fast as their socket takes them
  // (a misbehaving or hostile lock), from the moment they are authenticated.
  int flood_devices = 0;
};

struct ElockSimulatorStats {
  uint64_t connected = 0;
  uint64_t registered = 0;
  uint64_t authenticated = 0;
  uint64_t reports_sent = 0;
  uint64_t reports_acked = 0;     // 0x8001 with result 0 for a 0x0200
  uint64_t reports_nacked = 0;    // 0x8001 with another result
  uint64_t heartbeats_sent = 0;
  uint64_t heartbeats_acked = 0;
  uint64_t unlocks_received = 0;
  uint64_t connect_failures = 0;
  uint64_t disconnects = 0;       // closed by the server or an error
  uint64_t bad_frames = 0;
  uint64_t registrations_refused = 0;    // 0x8100 with a non-zero result
  uint64_t authentications_refused = 0;  // 0x8001 result != 0 for a 0x0102
  uint64_t probes_answered = 0;          // 0x8201 answered with 0x0201
  uint64_t flood_reports_sent = 0;       // by the flooding devices (not in reports_sent)
  uint64_t flood_reports_acked = 0;
  // Report round trip (0x0200 sent -> its 0x8001 received) of the devices that do not
  // flood, microseconds.
  uint64_t latency_samples = 0;
  double latency_p50_us = 0, latency_p90_us = 0, latency_p99_us = 0, latency_max_us = 0;
};

class ElockSimulator final {
 public:
  explicit ElockSimulator(const ElockSimulatorOptions& options);
  ~ElockSimulator();  // Stop()s
  ElockSimulator(const ElockSimulator&) = delete;
  ElockSimulator& operator=(const ElockSimulator&) = delete;

  // Starts the simulator thread. InvalidArgument for a bad server address.
  absl::Status Start();
  // Blocks until duration + drain has passed (or Stop()); immediately if duration is zero
  // and Stop() was not called - then it returns false. True when the run completed.
  bool Wait();
  // Closes every device and joins the thread. Idempotent.
  void Stop();

  ElockSimulatorStats stats() const;
  // Terminal phone of device `index` (0-based).
  std::string DeviceId(int index) const;

  // Controls, applied on the simulator thread.
  void SetPosition(int index, double latitude, double longitude);  // stops the drift
  void InjectAlarms(int index, bool rope_cut, bool cover_open, int battery_percent);
  void ReportNow(int index);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_ELOCK_SIMULATOR_H_
