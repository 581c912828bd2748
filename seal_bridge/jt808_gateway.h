// Jt808Gateway: the TCP server JT/T 808 e-locks connect to; the DeviceLink of device_link.h.
//
// One event-loop thread (epoll, non-blocking sockets, level-triggered) serves every
// connection: thousands of devices on one core. Per connection it frames the byte stream,
// verifies each frame (a bad check or length is dropped and counted, the connection kept),
// reassembles sub-packages and answers:
//   0x0100 register      -> 0x8100 with the terminal's auth code if it is known (result 4
//                           "terminal unknown" otherwise, raised as an alarm; result 3 while
//                           it is online elsewhere). A known terminal without a code gets a
//                           random one (16 hex digits from getrandom), answered only once the
//                           listener has stored it.
//   0x0102 authenticate  -> 0x8001 (result 1 if the terminal is unknown, the code is wrong,
//                           the device is cut off for flooding, or the terminal is already
//                           online on another connection - see "Trust" below)
//   0x0002 heartbeat, 0x0200 location, 0x0704 batch, 0x0900 pass-through -> 0x8001
//   unknown message ids  -> 0x8001 result 3 (unsupported)
// Replies echo the device's serial and message id and use the header version it used.
// Before authentication only 0x0100/0x0102 are accepted (others get 0x8001 result 1).
//
// Trust. Auth codes are compared in constant time. Failed registrations and
// authentications are counted per peer IP: max_auth_failures_per_peer within
// auth_failure_window blocks the IP for peer_backoff (its unauthenticated connections are
// closed, new ones refused at accept; authenticated sessions from it are kept), raised once
// per episode. A second connection that authenticates as a terminal already online is
// refused (0x8001 result 1, then closed) and raised, and so is a registration for it from
// another connection (0x8100 result 3, no code); the live session keeps its unlocks. The
// live session is then probed (0x8201 position query): if no valid frame comes back from it
// within probe_timeout it was half-open and is closed, so the real device's next attempt
// succeeds. Alarms of one kind for one terminal are raised at most once a minute.
//
// Limits. At most max_connections connections (0: DefaultMaxConnections of the current
// RLIMIT_NOFILE) and max_connections_per_peer per source IP; over either the new connection
// is closed at once. When accept fails for lack of descriptors (EMFILE, ENFILE) the listening
// socket is not polled for accept_backoff, so the loop never spins on a backlog it cannot
// take. Each connection has a token bucket of max_frames_per_second (burst frame_burst):
// when it runs dry the gateway stops reading that socket (TCP pushes back on the device)
// until it refills; a device that stays over its rate for flood_cutoff_after is cut off,
// raised, and refused for device_backoff (an unauthenticated one: its IP, for peer_backoff).
// With ack_reports_when_durable, at most max_unacked_reports_per_device positions per
// connection and max_unacked_reports in all are delivered but not yet acknowledged by the
// listener; past either cap the gateway stops reading the device(s) concerned until the
// acknowledgements drain to half the cap (devices resend what was never acknowledged), so
// the listener's backlog stays bounded and Stop() is prompt whatever the load. Each read is
// sized to what the limits still allow (64 bytes a frame, at least 256 bytes), so a limit is
// overshot by the frames of one small read at most.
// A connection is closed when it has not authenticated within handshake_timeout, when no
// valid frame arrived for idle_timeout (a connection the gateway has paused is not timed
// out), or when it does not read its replies (output above max_output_bytes).
//
// Acknowledgement of sub-packaged messages: without ack_reports_when_durable each package
// is acknowledged when it arrives. With it, no package is acknowledged before the whole
// message has arrived and, for positions, before the listener acknowledged every position
// in it; then every package is acknowledged. (This assumes the terminal sends all packages
// without waiting for each one's 0x8001, as the standard's 0x8003 retransmission scheme
// implies.)
//
// Unlock (see jt808_messages.h for the lock family): SendUnlock sends one 0x8900 command
// with the password of the terminal's lock family if the device is online at the moment the
// loop handles the request; otherwise the callback reports kDeviceOffline (kFailed for a
// terminal that is not known). Nothing is ever queued for later. The result is
// kAcknowledged only when the lock confirms the unlock (0x0900 P43 reply, or a 0x0200 whose
// item 0x0B carries the unlock result); kFailed when it refuses, answers the command with a
// non-zero 0x0001, or the connection closes first; kExpired when ttl passes. At most one
// unlock per device is in flight: a second one fails at once with kFailed.
//
// Usage:
//   RaiseFileDescriptorLimit();                       // once, at process start
//   Jt808GatewayOptions options;
//   options.listen = "127.0.0.1:0";
//   options.lock_families["jointech"].unlock_password = config_password;
//   options.known_terminals = stored_terminals;       // with their auth codes
//   absl::StatusOr<std::unique_ptr<Jt808Gateway>> gw = Jt808Gateway::Start(options, &listener);
//   int port = (*gw)->port();
//   (*gw)->SendUnlock("13800000001", absl::Seconds(5), [](UnlockOutcome o, std::string d) {...});
//   (*gw)->Stop();
//
// Thread-safety: every public method is thread-safe and may be called from any thread,
// including from inside listener callbacks (except Stop). Listener methods are called on the
// gateway thread, one at a time: they must not block (no disk, no RPC, no waiting on a lock
// held across I/O) - copy the report into your own queue and return.
#ifndef YARDGATE_SEAL_BRIDGE_JT808_GATEWAY_H_
#define YARDGATE_SEAL_BRIDGE_JT808_GATEWAY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "seal_bridge/device_link.h"

namespace yardgate::seal {

struct Jt808GatewayOptions {
  std::string listen = "127.0.0.1:6808";  // IPv4 "host:port"; port 0 picks a free port

  // Required: at least one family; every known terminal names one of them.
  std::map<std::string, LockFamily> lock_families;
  // The terminals known at start, with the codes they were issued (from the store).
  std::vector<KnownTerminal> known_terminals;

  absl::Duration handshake_timeout = absl::Seconds(30);  // connect -> authenticated
  absl::Duration idle_timeout = absl::Seconds(180);      // since the last valid frame
  size_t max_connections = 0;            // 0: DefaultMaxConnections(RLIMIT_NOFILE soft limit)
  size_t max_connections_per_peer = 128;  // per source IP; 0: no limit
  size_t max_frame_bytes = 4096;
  size_t max_output_bytes = 256 * 1024;
  int low_battery_percent = 10;

  // false: a 0x0200 / 0x0704 is acknowledged (0x8001) as soon as it is decoded. true: only
  // when the listener calls the report's `acknowledge` (after it is durably stored, say), so a
  // report the platform could still lose is never acknowledged and the device sends it again.
  bool ack_reports_when_durable = false;
  // true: a terminal that has a code gets it again when it registers again (terminals that
  // register on every connect need this). false: it is answered 0x8100 result 3 (already
  // registered) and must authenticate with the code it holds; removing and re-adding it
  // issues a new one. Registration is not authenticated in JT/T 808: with true, whoever knows
  // a known terminal's id can learn its code while the terminal is offline.
  bool reregistration_gets_code = true;
  size_t max_unacked_reports_per_device = 256;  // durable mode: stop reading past these
  size_t max_unacked_reports = 20000;

  int max_auth_failures_per_peer = 5;  // within auth_failure_window; 0: no limit
  absl::Duration auth_failure_window = absl::Minutes(1);
  absl::Duration peer_backoff = absl::Minutes(5);

  double max_frames_per_second = 10;  // per connection, sustained; 0: no limit
  double frame_burst = 100;
  absl::Duration flood_cutoff_after = absl::Seconds(30);
  absl::Duration device_backoff = absl::Minutes(5);

  absl::Duration accept_backoff = absl::Milliseconds(200);  // after EMFILE / ENFILE
  absl::Duration probe_timeout = absl::Seconds(15);         // liveness probe, see above
};

struct Jt808GatewayCounters {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;           // now
  uint64_t connections_rejected = 0;       // over max_connections
  uint64_t connections_rejected_per_peer = 0;  // over max_connections_per_peer
  uint64_t connections_refused_blocked = 0;    // from a peer in back-off
  uint64_t connections_timed_out = 0;      // handshake or idle
  uint64_t accept_pauses = 0;              // accept stopped for accept_backoff (EMFILE/ENFILE)
  uint64_t bytes_in = 0;
  uint64_t frames_in = 0;       // verified frames
  uint64_t frames_out = 0;
  uint64_t bad_checksum = 0;
  uint64_t bad_length = 0;
  uint64_t bad_frames = 0;      // other undecodable frames (escape, BCD, short, bad body)
  uint64_t garbage_bytes = 0;   // skipped before a first flag, plus bytes of oversize frames
                                // (garbage between frames is counted as bad_frames)
  uint64_t unauthenticated_frames = 0;
  uint64_t registrations = 0;   // answered with a code
  uint64_t unknown_terminals = 0;   // registrations / authentications of unknown terminals
  uint64_t auth_codes_issued = 0;   // new codes the listener stored
  uint64_t auth_code_store_failures = 0;
  uint64_t authentications = 0;
  uint64_t auth_failures = 0;   // wrong code or unknown terminal, counted against the peer
  uint64_t peers_blocked = 0;
  uint64_t duplicate_sessions = 0;
  uint64_t probes_sent = 0;
  uint64_t half_open_closed = 0;    // live sessions that did not answer a probe
  uint64_t heartbeats = 0;
  uint64_t reports = 0;         // positions delivered to the listener
  uint64_t unacked_reports = 0;     // now: delivered, not yet acknowledged by the listener
  uint64_t backpressure_pauses = 0;  // reading stopped for unacknowledged reports
  uint64_t throttled = 0;       // reading stopped because a token bucket ran dry
  uint64_t flood_cutoffs = 0;
  uint64_t unlocks_sent = 0;
  uint64_t unlocks_acknowledged = 0;
  uint64_t unlocks_failed = 0;
  uint64_t unlocks_offline = 0;
  uint64_t unlocks_expired = 0;
};

// Raises RLIMIT_NOFILE's soft limit to the hard limit (the server calls it once at start,
// before starting anything that opens descriptors). Returns the soft limit in force, -1 if
// it cannot be read.
long RaiseFileDescriptorLimit();

// The connection limit that leaves descriptors for everything else in the process (gRPC,
// HTTP, the store, logs): fd_limit - reserve, reserve = max(fd_limit / 4, min(256,
// fd_limit / 2)), at most 100,000. 1,024 -> 768; 20,000 -> 15,000; 65,536 -> 49,152.
size_t DefaultMaxConnections(long fd_limit);

class Jt808Gateway final : public DeviceLink {
 public:
  // Validates the options (InvalidArgument naming what is wrong: no lock family, a family
  // without a valid password, a known terminal with a bad id or an unknown family), binds,
  // listens and starts the loop thread. `listener` must outlive the gateway.
  static absl::StatusOr<std::unique_ptr<Jt808Gateway>> Start(const Jt808GatewayOptions& options,
                                                             DeviceListener* listener);
  ~Jt808Gateway() override;  // Stop()s
  Jt808Gateway(const Jt808Gateway&) = delete;
  Jt808Gateway& operator=(const Jt808Gateway&) = delete;

  // The bound port (the selected one when options.listen ends in ":0").
  int port() const;

  // Closes every connection (OnDisconnected for authenticated ones), fails pending unlocks
  // with kFailed, and joins the loop thread; promptly, whatever the backlog (nothing queued
  // is waited for: unacknowledged reports are resent by the devices). Acknowledgements and
  // `stored` callbacks that arrive afterwards are ignored. Idempotent. Must not be called
  // from a listener.
  void Stop();

  // DeviceLink.
  void SendUnlock(const std::string& device_id, absl::Duration ttl,
                  UnlockCallback callback) override;
  bool IsOnline(const std::string& device_id) const override;
  absl::Status AddKnownTerminal(const KnownTerminal& terminal) override;
  void RemoveKnownTerminal(const std::string& device_id) override;

  Jt808GatewayCounters counters() const;

 private:
  class Loop;
  explicit Jt808Gateway(std::unique_ptr<Loop> loop);
  std::unique_ptr<Loop> loop_;
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_JT808_GATEWAY_H_
