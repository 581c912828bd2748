// Jt808Gateway: the TCP server JT/T 808 e-locks connect to.
//
// One event-loop thread (epoll, non-blocking sockets, level-triggered) serves every
// connection: thousands of devices on one core. Per connection it frames the byte stream,
// verifies each frame (a bad check or length is dropped and counted, the connection kept),
// reassembles sub-packages and answers:
//   0x0100 register      -> 0x8100 with an auth code derived from options.auth_secret
//   0x0102 authenticate  -> 0x8001 (result 1 if the code is wrong)
//   0x0002 heartbeat, 0x0200 location, 0x0704 batch, 0x0900 pass-through -> 0x8001
//   every sub-package    -> 0x8001
//   unknown message ids  -> 0x8001 result 3 (unsupported)
// Replies echo the device's serial and message id and use the header version it used.
// Before authentication only 0x0100/0x0102 are accepted (others get 0x8001 result 1).
// A connection is closed when it has not authenticated within handshake_timeout, when no
// valid frame arrived for idle_timeout (silent or half-open), or when it does not read its
// replies (output above max_output_bytes). Garbage from one device affects only its own
// connection: it never resets the idle timer, so a device that sends only garbage is timed
// out.
//
// Unlock (see jt808_messages.h for the lock family): SendUnlock sends one 0x8900 command if
// the device is connected and authenticated at the moment the loop handles the request;
// otherwise the callback reports kDeviceOffline. Nothing is ever queued for later. The
// result is kAcknowledged only when the lock confirms the unlock (0x0900 P43 reply, or a
// 0x0200 whose item 0x0B carries the unlock result); kFailed when it refuses, answers the
// command with a non-zero 0x0001, or the connection closes first; kExpired when ttl passes.
// The callback runs exactly once, on the gateway thread.
//
// Usage:
//   Jt808GatewayOptions options;
//   options.listen = "127.0.0.1:0";
//   absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(options, &listener);
//   int port = (*gw)->port();
//   (*gw)->SendUnlock("13800000001", absl::Seconds(5), [](UnlockOutcome o, std::string d) {...});
//   (*gw)->Stop();
//
// Thread-safety: every public method of Jt808Gateway is thread-safe and may be called from
// any thread, including from inside listener callbacks. Listener methods are called on the
// gateway thread, one at a time: they must not block (no disk, no RPC, no waiting on a lock
// held across I/O) - copy the report into your own queue and return.
#ifndef YARDGATE_SEAL_BRIDGE_JT808_GATEWAY_H_
#define YARDGATE_SEAL_BRIDGE_JT808_GATEWAY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "seal_bridge/device_report.h"
#include "seal_bridge/jt808_messages.h"

namespace yardgate::seal {

struct DeviceRegistration;

struct Jt808GatewayOptions {
  std::string listen = "127.0.0.1:6808";  // IPv4 "host:port"; port 0 picks a free port
  absl::Duration handshake_timeout = absl::Seconds(30);  // connect -> authenticated
  absl::Duration idle_timeout = absl::Seconds(180);      // since the last valid frame
  size_t max_connections = 20000;
  size_t max_frame_bytes = 4096;
  size_t max_output_bytes = 256 * 1024;
  std::string auth_secret = "yardgate-jt808";
  std::string unlock_password = "888888";  // static password of the lock family
  int low_battery_percent = 10;
  // false: a 0x0200 / 0x0704 is acknowledged (0x8001) as soon as it is decoded. true: only
  // when the listener calls the report's `acknowledge` (after it is durably stored, say), so a
  // report the platform could still lose is never acknowledged and the device sends it again.
  bool ack_reports_when_durable = false;
  // Optional: decides whether a registering terminal gets an auth code. When it returns
  // false the 0x8100 carries result 4 (terminal unknown) and no code. Called on the gateway
  // thread: must not block. Unset: every terminal is accepted.
  std::function<bool(const DeviceRegistration&)> accept_registration;
};

struct DeviceRegistration {
  std::string device_id;  // terminal phone
  Registration registration;
  std::string auth_code;  // what the gateway answered
  std::string peer;       // "ip:port"
};

// Receives what devices report. Called on the gateway thread; must not block.
class Jt808Listener {
 public:
  virtual ~Jt808Listener() = default;
  virtual void OnRegistered(const DeviceRegistration& registration) { (void)registration; }
  virtual void OnAuthenticated(const std::string& device_id, const std::string& peer) {
    (void)device_id, (void)peer;
  }
  // Every position: each 0x0200 and each entry of a 0x0704.
  virtual void OnReport(const DeviceReport& report) { (void)report; }
  // 0x0900 pass-through that is not an unlock confirmation.
  virtual void OnPassThrough(const std::string& device_id, const PassThrough& p) {
    (void)device_id, (void)p;
  }
  // An authenticated device's connection ended ("idle timeout", "peer closed", ...).
  virtual void OnDisconnected(const std::string& device_id, absl::string_view reason) {
    (void)device_id, (void)reason;
  }
};

// UnlockOutcome is declared in device_report.h.
using UnlockCallback = std::function<void(UnlockOutcome outcome, const std::string& detail)>;

struct Jt808GatewayCounters {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t connections_rejected = 0;  // over max_connections
  uint64_t connections_timed_out = 0;  // handshake or idle
  uint64_t bytes_in = 0;
  uint64_t frames_in = 0;       // verified frames
  uint64_t frames_out = 0;
  uint64_t bad_checksum = 0;
  uint64_t bad_length = 0;
  uint64_t bad_frames = 0;      // other undecodable frames (escape, BCD, short, bad body)
  uint64_t garbage_bytes = 0;   // skipped before a first flag, plus bytes of oversize frames
                                // (garbage between frames is counted as bad_frames)
  uint64_t unauthenticated_frames = 0;
  uint64_t registrations = 0;
  uint64_t authentications = 0;
  uint64_t auth_failures = 0;
  uint64_t heartbeats = 0;
  uint64_t reports = 0;         // positions delivered to the listener
  uint64_t unlocks_sent = 0;
  uint64_t unlocks_acknowledged = 0;
  uint64_t unlocks_failed = 0;
  uint64_t unlocks_offline = 0;
  uint64_t unlocks_expired = 0;
};

class Jt808Gateway final {
 public:
  // Binds, listens and starts the loop thread. `listener` must outlive the gateway.
  static absl::StatusOr<std::unique_ptr<Jt808Gateway>> Start(const Jt808GatewayOptions& options,
                                                             Jt808Listener* listener);
  ~Jt808Gateway();  // Stop()s
  Jt808Gateway(const Jt808Gateway&) = delete;
  Jt808Gateway& operator=(const Jt808Gateway&) = delete;

  // The bound port (the selected one when options.listen ends in ":0").
  int port() const;

  // Closes every connection (OnDisconnected for authenticated ones), fails pending unlocks
  // with kFailed, and joins the loop thread. Idempotent. Must not be called from a listener.
  void Stop();

  // One-shot unlock, see the file comment. `callback` is called exactly once. `password` is
  // the lock's static password; empty uses options.unlock_password. At most one unlock per
  // device is in flight: a second one fails at once with kFailed.
  void SendUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback callback,
                  const std::string& password = "");

  // Whether the device has an authenticated connection now.
  bool IsOnline(const std::string& device_id) const;
  Jt808GatewayCounters counters() const;

  // The auth code the gateway gives a terminal phone (a keyed FNV-1a hash, hex; stable
  // across restarts for the same secret, so devices need not re-register). Not a
  // cryptographic credential: the cellular APN is the trust boundary.
  static std::string AuthCodeFor(absl::string_view secret, absl::string_view device_id);

 private:
  class Loop;
  explicit Jt808Gateway(std::unique_ptr<Loop> loop);
  std::unique_ptr<Loop> loop_;
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_JT808_GATEWAY_H_
