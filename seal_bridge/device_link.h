// DeviceLink: what the server talks to e-locks through, whatever protocol they speak.
// Jt808Gateway (jt808_gateway.h) is the first implementation; FakeDeviceLink
// (fake_device_link.h) stands in for it in unit tests.
//
// Trust model. Only known terminals are served: a terminal is known when the server says so
// (AddKnownTerminal, because a seal names it or an admin registered it). Each known terminal
// belongs to a lock family, which holds what that family of locks shares (the static unlock
// password); nobody passes a password to SendUnlock. A terminal's auth code is random, made
// by the link the first time the terminal registers and stored by the server (the
// listener's OnAuthCodeIssued) before the terminal hears it; at start the server hands the
// link every stored terminal with its code, so codes survive restarts. What goes wrong is
// raised through DeviceListener::OnSecurityAlarm: a terminal nobody knows, a second session
// for a terminal already online, a peer that keeps failing to authenticate, a device that
// floods.
//
// Usage (server side):
//   class Seals : public DeviceListener { ... OnAuthCodeIssued: store, then stored(status) };
//   options.known_terminals = store.LoadTerminals();       // with their codes
//   options.lock_families = config.lock_families;           // {"jointech": {"<password>"}}
//   std::unique_ptr<DeviceLink> link = *Jt808Gateway::Start(options, &seals);
//   link->AddKnownTerminal({"13800000001", "jointech", ""});   // ApplySeal, yardgatectl
//   link->SendUnlock("13800000001", absl::Seconds(5), [](UnlockOutcome o, const std::string& d) {});
//
// Thread-safety: every DeviceLink method is thread-safe. DeviceListener methods are called
// on the link's own thread, one at a time, and must not block; the callbacks they are handed
// (DeviceReport::acknowledge, OnAuthCodeIssued's `stored`) may be called from any thread.
#ifndef YARDGATE_SEAL_BRIDGE_DEVICE_LINK_H_
#define YARDGATE_SEAL_BRIDGE_DEVICE_LINK_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "seal_bridge/device_report.h"
#include "seal_bridge/jt808_messages.h"

namespace yardgate::seal {

// What every lock of one family (one vendor's model line) shares. Comes from the config;
// nothing of it is compiled in.
struct LockFamily {
  // The static remote-unlock password ("(P43,<password>)"): 1-32 printable ASCII characters,
  // none of ",()". Never logged, never in an event.
  std::string unlock_password;
};

// A terminal the link may serve.
struct KnownTerminal {
  std::string device_id;    // terminal phone (NormalizeTerminalId)
  std::string lock_family;  // a key of the link's lock families
  std::string auth_code;    // empty until the link issued one; a credential: store, never log
};

// A terminal id as the link compares it: leading zeros removed ("013800000001" ->
// "13800000001", "000" -> "0"). InvalidArgument unless it is 1-20 decimal digits (or
// lower-case hex, for terminals that put a binary id in the phone field).
absl::StatusOr<std::string> NormalizeTerminalId(absl::string_view id);

// A known terminal registered (and holds its auth code). No credential in here.
struct DeviceRegistration {
  std::string device_id;
  std::string lock_family;
  Registration registration;  // what the terminal said about itself (maker, model, plate)
  std::string peer;           // "ip:port"
};

enum class SecurityAlarmKind {
  kUnknownTerminal,          // a terminal nobody made known tried to register or authenticate
  kDuplicateSession,         // a second connection authenticated as a terminal already online
  kAuthFailuresRateLimited,  // a peer failed too often: its connections are refused a while
  kFloodCutOff,              // a device stayed over its frame rate: cut off, refused a while
};
const char* SecurityAlarmKindName(SecurityAlarmKind kind);  // "UNKNOWN_TERMINAL", ...

struct SecurityAlarm {
  SecurityAlarmKind kind = SecurityAlarmKind::kUnknownTerminal;
  std::string device_id;  // empty when no terminal id is involved (a peer's failures)
  std::string peer;       // "ip:port" of the connection concerned, or "ip" for a peer
  std::string detail;     // for people; never holds a credential
  absl::Time time;
};

// How a one-shot unlock ended; runs exactly once.
using UnlockCallback = std::function<void(UnlockOutcome outcome, const std::string& detail)>;
// The listener's answer to OnAuthCodeIssued; call exactly once, from any thread.
using StoredCallback = std::function<void(absl::Status stored)>;

// Receives what devices do. Called on the link's thread, one call at a time: must not block
// (no disk, no RPC); copy what you need into your own queue and return.
class DeviceListener {
 public:
  virtual ~DeviceListener() = default;

  // A known terminal without a code registered and the link made one (terminal.auth_code).
  // Store the terminal durably, then call `stored`: with OK the terminal is answered with
  // its code (and from then on the link accepts it); with an error it is not answered at all
  // and registers again later (the standard has no "try later" result). Until `stored` runs
  // the code is accepted nowhere.
  virtual void OnAuthCodeIssued(const KnownTerminal& terminal, StoredCallback stored) = 0;

  virtual void OnRegistered(const DeviceRegistration& registration) { (void)registration; }
  virtual void OnAuthenticated(const std::string& device_id, const std::string& peer) {
    (void)device_id, (void)peer;
  }
  // Every position. With acknowledge-when-durable, report.acknowledge must be called once
  // the report is stored (see DeviceReport); until then the device is not acknowledged and,
  // past the unacknowledged caps, not read from.
  virtual void OnReport(const DeviceReport& report) { (void)report; }
  // Vendor pass-through that is not an unlock confirmation.
  virtual void OnPassThrough(const std::string& device_id, const PassThrough& p) {
    (void)device_id, (void)p;
  }
  // An authenticated device's session ended ("idle timeout", "peer closed", ...).
  virtual void OnDisconnected(const std::string& device_id, absl::string_view reason) {
    (void)device_id, (void)reason;
  }
  virtual void OnSecurityAlarm(const SecurityAlarm& alarm) { (void)alarm; }
};

class DeviceLink {
 public:
  virtual ~DeviceLink() = default;

  // One-shot unlock of the device's lock with its family's password. Sent only if the
  // device is online when the link handles the request, never queued for later; `callback`
  // runs exactly once (on the link's thread, or at once if the link has stopped).
  virtual void SendUnlock(const std::string& device_id, absl::Duration ttl,
                          UnlockCallback callback) = 0;

  // Whether the device has an authenticated session now.
  virtual bool IsOnline(const std::string& device_id) const = 0;

  // Makes a terminal known, or changes its family. An empty auth_code keeps the code the
  // link holds (if any); a non-empty one replaces it. InvalidArgument for a bad id, an
  // unknown family or a malformed code.
  virtual absl::Status AddKnownTerminal(const KnownTerminal& terminal) = 0;

  // Forgets a terminal and ends its session, if any. Unknown ids are ignored.
  virtual void RemoveKnownTerminal(const std::string& device_id) = 0;
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_DEVICE_LINK_H_
