// SealBook: the lifecycle of customs seals, in memory, as a state machine.
//
//   APPLIED -> IN_TRANSIT -> ARRIVED -> VERIFIED -> UNLOCKED (-> REMOVED)
//   ALARM from every armed state (APPLIED, IN_TRANSIT, ARRIVED, VERIFIED);
//   ALARM -> the state it came from when an officer clears it; ALARM -> REMOVED.
//
// What moves a seal:
//   Apply                 -> APPLIED (a new seal, or an UNLOCKED/REMOVED one reused)
//   OnDeviceReport        -> IN_TRANSIT on the first report farther than departure_radius_m
//                            from where it was applied (or from its first report when the
//                            apply had no position) and outside the yard area it started in;
//                            ARRIVED when an IN_TRANSIT seal's position enters a yard area;
//                            ALARM on a rising edge of a seal alarm (rope_cut, shell_opened,
//                            wrong_password, low_battery, tamper) or of the lock opening
//                            without authorisation; UNLOCKED when the lock opens on a
//                            VERIFIED or unlock-authorised seal.
//   OnGateArrival         -> ARRIVED for APPLIED/IN_TRANSIT seals matching the visit's plate
//                            or one of its containers.
//   Verify                -> VERIFIED, from ARRIVED only (gate decision or officer).
//   AuthorizeUnlock       -> allowed when the gate asks for a seal the gate decision verified,
//                            or when an authorised officer asks for any armed/ALARM seal;
//                            records the authorisation (one-shot: any unlock result ends it).
//   OnUnlockResult        -> UNLOCKED when the device acknowledged; a refused event otherwise.
//   ReportEvent           -> verified / broken / tampered / removed / alarm cleared (officer).
//   CheckSignal           -> ALARM signal_lost for armed e-locks silent for signal_lost_after.
//
// Every call returns a SealChange: the status (OK, or FailedPrecondition for a transition
// that makes no sense, NotFound, InvalidArgument), and every event to persist and publish,
// refused ones included (refused = true, from = current state, to = the state asked for).
// Events with from == to and refused == false are audit events (unlock authorised, a second
// alarm added to an alarmed seal). Repeats that change nothing (a second gate arrival, the same
// alarm level reported again) produce no event. Nothing is persisted here: the caller stores
// the SealRecord snapshots and the transitions, and calls Restore() at start-up.
//
// Thread-safety: SealBook is thread-safe; every method takes an internal mutex and does no
// I/O, so it may be called from the gateway thread's listener.
#ifndef YARDGATE_SEAL_BRIDGE_SEAL_BOOK_H_
#define YARDGATE_SEAL_BRIDGE_SEAL_BOOK_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "seal_bridge/device_report.h"
#include "seal_bridge/seal_state.h"

namespace yardgate::seal {

// The numeric values equal yardgate.v1's SealKind / SealState (seal_state.h) / SealEventKind,
// so server/ can static_cast between them.
enum class SealKind { kGpsElock = 1, kRfidEseal = 2, kMechanical = 3 };
const char* SealKindName(SealKind k);    // "GPS_ELOCK", "RFID_ESEAL", "MECHANICAL"
const char* SealStateName(SealState s);  // "NONE", "APPLIED", ..., "ALARM"
bool IsArmed(SealState s);               // APPLIED, IN_TRANSIT, ARRIVED, VERIFIED

// Alarms that move a seal to ALARM.
bool IsSealAlarm(absl::string_view name);  // tamper, rope_cut, shell_opened, wrong_password,
                                           // low_battery, signal_lost

struct GeoPoint {
  double latitude = 0;
  double longitude = 0;
};
// Great-circle distance (haversine, mean Earth radius).
double DistanceMeters(GeoPoint a, GeoPoint b);

// A configured area of the yard: a polygon (>= 3 vertices, lat/lon, not crossing the
// antimeridian) or, when polygon is empty, a circle.
struct YardArea {
  std::string name;
  std::vector<GeoPoint> polygon;
  GeoPoint center;
  double radius_m = 0;
  bool Contains(GeoPoint p) const;
};

// Everything known about one seal. Persist it whole: Restore() needs every field.
struct SealRecord {
  std::string seal_id;  // manufacturer + serial
  SealKind kind = SealKind::kGpsElock;
  std::vector<std::string> container_numbers;
  std::string plate;
  std::string device_id;  // JT/T 808 terminal phone of an e-lock; empty for others
  std::string applied_by;
  std::string applied_place;
  absl::Time applied_at;
  std::optional<GeoPoint> applied_position;
  SealState state = SealState::kApplied;
  SealState state_before_alarm = SealState::kApplied;  // where clearing an alarm returns
  std::vector<std::string> open_alarms;
  absl::Time updated_at;
  std::optional<GeoPoint> last_position;
  absl::Time last_report_at = absl::InfinitePast();
  // Internal bookkeeping (persist it too).
  std::optional<GeoPoint> departure_reference;
  std::vector<std::string> device_alarms;  // alarms in the device's last report (edges)
  LockState device_lock_state = LockState::kUnknown;
  bool verified_by_gate = false;  // VERIFIED by the gate decision (not by an officer)
  bool unlock_authorized = false;
  std::string unlock_authorized_by;
  bool signal_lost_raised = false;
};

// One event: a transition, a refused transition, or an audit event (from == to).
struct SealTransition {
  std::string seal_id;
  SealState from = SealState::kApplied;
  SealState to = SealState::kApplied;
  std::string cause;   // "apply", "departed", "geofence", "gate", "officer", "unlock",
                       // "lock_event", alarm names, ...
  std::string source;  // officer id, device id, gate id
  bool refused = false;
  std::string detail;
  absl::Time time;
};

struct SealChange {
  absl::Status status;
  std::vector<SealTransition> transitions;  // persist and publish all, in order
  std::vector<SealRecord> seals;            // snapshots of the seals touched, after the change
};

struct ApplySealRequest {
  std::string seal_id;
  SealKind kind = SealKind::kGpsElock;
  std::vector<std::string> container_numbers;
  std::string plate;
  std::string device_id;
  std::string officer_id;
  std::string place;
  absl::Time time;
  std::optional<GeoPoint> position;
};

enum class SealEventKind {
  kVerified = 1,
  kBroken = 2,
  kTampered = 3,
  kRemoved = 4,
  kAlarmCleared = 5,
};

struct SealEventRequest {
  std::string seal_id;
  SealEventKind kind = SealEventKind::kVerified;
  std::string officer_id;
  std::string detail;
  absl::Time time;
};

struct GateArrival {
  std::string gate_id;  // the source recorded, e.g. "gate:IN-3"
  std::string plate;
  std::vector<std::string> container_numbers;
  absl::Time time;
};

struct UnlockRequest {
  std::string seal_id;
  std::string requested_by;      // "gate" (the gate decision) or an officer id
  bool officer_authorized = false;  // the caller checked the officer's role
  std::string reason;
  absl::Time time;
};

struct UnlockDecision {
  SealChange change;          // change.status: OK when the unlock may go ahead
  bool needs_device = false;  // false for mechanical / RFID seals: nothing to send
  std::string device_id;      // where to send it
};

struct DeviceReportOutcome {
  bool bound = false;   // false: no seal names this device; raise it, do not drop it
  std::string seal_id;
  SealChange change;
};

struct SealBookOptions {
  std::vector<YardArea> yard_areas;
  double departure_radius_m = 200;
  absl::Duration signal_lost_after = absl::Minutes(10);
};

class SealBook final {
 public:
  explicit SealBook(SealBookOptions options = {});
  SealBook(const SealBook&) = delete;
  SealBook& operator=(const SealBook&) = delete;

  // Replaces the book's contents with persisted records. InvalidArgument on duplicate ids.
  absl::Status Restore(std::vector<SealRecord> records);

  SealChange Apply(const ApplySealRequest& request);
  SealChange ReportEvent(const SealEventRequest& request);
  DeviceReportOutcome OnDeviceReport(const DeviceReport& report);
  SealChange OnGateArrival(const GateArrival& arrival);
  // `source` is "gate" (a gate decision) or an officer id.
  SealChange Verify(const std::string& seal_id, const std::string& source, absl::Time time,
                    const std::string& detail = "");
  UnlockDecision AuthorizeUnlock(const UnlockRequest& request);
  // What the device said about the unlock command (Jt808Gateway::SendUnlock's callback).
  SealChange OnUnlockResult(const std::string& seal_id, UnlockOutcome outcome,
                            const std::string& detail, absl::Time time);
  // Raises signal_lost on armed GPS e-locks silent for longer than signal_lost_after.
  SealChange CheckSignal(absl::Time now);

  std::optional<SealRecord> Get(const std::string& seal_id) const;
  std::optional<SealRecord> FindByDevice(const std::string& device_id) const;
  std::vector<SealRecord> All() const;
  // The seals `keep` accepts, copying only those. `keep` runs under the book's lock: it must
  // not call back into the book.
  std::vector<SealRecord> Select(const std::function<bool(const SealRecord&)>& keep) const;

 private:
  SealRecord* FindLocked(const std::string& seal_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends a transition and moves the record; REQUIRES: mu_ held.
  void Move(SealRecord& seal, SealState to, const std::string& cause, const std::string& source,
            const std::string& detail, absl::Time time, SealChange* change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends a refused event and sets change->status to FailedPrecondition(message).
  void Refuse(const SealRecord& seal, SealState to, const std::string& cause,
              const std::string& source, const std::string& message, absl::Time time,
              SealChange* change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RaiseAlarm(SealRecord& seal, const std::string& alarm, const std::string& cause,
                  const std::string& source, const std::string& detail, absl::Time time,
                  SealChange* change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool InYard(GeoPoint p) const;

  const SealBookOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, SealRecord> seals_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::string> by_device_ ABSL_GUARDED_BY(mu_);
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_SEAL_BOOK_H_
