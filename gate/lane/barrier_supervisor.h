// BarrierSupervisor: one lane's barrier, run safely on top of a LaneController.
//
// The supervisor owns the lane's controller and a polling thread. Every poll
// (default 50 ms) it reads the inputs, keeps the last snapshot and its age, writes the
// server heartbeat, raises and clears lane faults, drives the traffic light and closes
// the barrier when, and only when, that is safe. The server asks it to open:
//
//   BarrierSupervisorOptions options;
//   options.lane_id = "IN-3";
//   BarrierSupervisor lane(std::move(controller), options,
//                          [&](const LaneEvent& e) { queue.Push(e); });  // must not block
//   lane.Start();
//   if (absl::Status ready = lane.CheckReadyToOpen(); !ready.ok()) {
//     ... decision becomes TROUBLE / LANE_FAULT with ready.message() ...
//   }
//   absl::Status opened = lane.RequestOpen(visit_id);  // checks again, then pulses open
//
// Rules it enforces (domain.md section 12; the PLC's own interlocks come first):
//   - Open only on RequestOpen, only while the PLC is reachable, the inputs are fresh
//     (younger than input_watchdog) and there is no E-stop/fire, loop fault or manual key.
//   - One ALLOW = one vehicle: each closing-loop trailing edge uses up the oldest ALLOW
//     (VEHICLE_PASSED); when none is left, the barrier is to close. A kiosk's report of
//     the same passage (ReleaseAllow) uses it up too, whichever comes first: the closing
//     loop's edge that follows a report is that vehicle, not a tailgater. ALLOWs granted while
//     the barrier is still open for a vehicle ahead queue behind it (at most
//     max_pending_allows). More vehicles arriving on the arming loop than ALLOWs
//     granted since the barrier last closed, or a vehicle passing without one, is
//     TAILGATING.
//   - Never a close command while the safety loop or photo-eye reports presence, nor
//     while the inputs are stale or the PLC is unreachable (both count as presence), nor
//     on a loop fault, E-stop or manual key. A close is only sent on inputs read in the
//     same poll. A close asked for in an unsafe state is deferred and sent on the
//     first poll where it is safe.
//   - E-stop/fire latches: lights red, no open or close, until ResetFault() with the
//     input clear.
//   - Lost PLC link: the driver reconnects with backoff; PLC_UNREACHABLE is raised as a
//     FAULT event and FAULT_CLEARED when a read succeeds again.
//   - Stop() leaves the barrier as it is: on server loss the PLC holds the arm (and
//     sees the heartbeat freeze).
//
// Thread safety: all public methods are safe to call from any thread, concurrently with
// the polling thread. RequestOpen, RequestClose and ResetFault wait for the poll in
// progress (RequestOpen and ResetFault then do I/O themselves), so with a PLC that does
// not answer they may block for a few Modbus response timeouts. Health and
// CheckReadyToOpen take one short lock and never do I/O.
//
// Events: the callback is called from the supervisor's polling thread only, one event
// at a time, in order, with no supervisor lock held. It MUST NOT block (hand the event
// to a queue): the next poll waits for it. It may call Health() and CheckReadyToOpen();
// it must not call Stop() on this supervisor. Events caused by a RequestOpen (OPENED)
// are delivered by the next poll, i.e. within one poll interval.

#ifndef YARDGATE_GATE_LANE_BARRIER_SUPERVISOR_H_
#define YARDGATE_GATE_LANE_BARRIER_SUPERVISOR_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gate/lane/lane_controller.h"

namespace yardgate::gate::lane {

// Why a lane cannot be trusted, in the order in which Health() lists them.
enum class LaneFault {
  kNone = 0,
  kEStop,           // E-stop/fire input active or latched
  kPlcUnreachable,  // the last exchange with the PLC failed: connect refused or timed
                    // out, link reset, no answer in time, or a Modbus exception reply
  kInputsStale,     // the newest input snapshot is older than the watchdog (or none yet)
  kLoopFault,       // the loop detector reports a fault
  kManualMode,      // the manual key is on: the local panel has the lane
};
const char* LaneFaultName(LaneFault fault);  // "ESTOP", "PLC_UNREACHABLE", ...

enum class LaneEventKind {
  kOpened,         // an open pulse was sent for visit_id
  kClosed,         // a close pulse was sent (visit_id = the vehicle that passed, if any)
  kVehiclePassed,  // the closing loop's trailing edge used up the ALLOW of visit_id
  kFault,          // `fault` became active
  kFaultCleared,   // `fault` is no longer active
  kTailgating,     // a vehicle without an ALLOW of its own
};
const char* LaneEventKindName(LaneEventKind kind);  // "OPENED", "CLOSED", ...

struct LaneEvent {
  LaneEventKind kind = LaneEventKind::kFault;
  std::string lane_id;
  std::string visit_id;                // empty when no ALLOW is concerned
  LaneFault fault = LaneFault::kNone;  // set for kFault and kFaultCleared only
  std::string detail;                  // English, for the clerk and the log
  absl::Time time;                     // supervisor clock
};

using LaneEventCallback = std::function<void(const LaneEvent&)>;

// A cheap picture of the lane, computed from the cached snapshot (no I/O).
struct LaneHealth {
  bool plc_reachable = false;  // the last exchange with the PLC succeeded
  bool inputs_fresh = false;   // a snapshot exists and is younger than the watchdog
  absl::Duration input_age = absl::InfiniteDuration();
  bool estop_latched = false;
  std::vector<LaneFault> faults;  // active faults, most serious first; empty = healthy
  std::vector<std::string> fault_details;  // one per entry of `faults`, same order
  std::string detail;  // "FAULT: detail; FAULT: detail" over all faults, "" if healthy
  LaneInputs inputs;              // last snapshot (all false before the first read)
  std::string active_visit;       // the oldest ALLOW not yet used up, "" if none
  std::vector<std::string> pending_allows;  // every unused ALLOW, oldest first
  bool close_pending = false;     // a close is wanted and waits for a safe moment

  bool ready_to_open() const { return faults.empty(); }
  LaneFault primary_fault() const { return faults.empty() ? LaneFault::kNone : faults.front(); }
};

struct BarrierSupervisorOptions {
  std::string lane_id;  // carried in every event and message, e.g. "IN-3"
  absl::Duration poll_interval = absl::Milliseconds(50);
  // Inputs older than this are stale, which counts as presence and is a lane fault.
  absl::Duration input_watchdog = absl::Milliseconds(500);
  // How many unused ALLOWs may wait at once: the vehicle passing plus the ones behind.
  int max_pending_allows = 2;
  // nullptr = common::RealClock::Default(). Must be the clock the controller stamps read_time with.
  common::Clock* clock = nullptr;
};

class BarrierSupervisor final {
 public:
  // `controller` must not be null. `on_event` may be empty.
  BarrierSupervisor(std::unique_ptr<LaneController> controller, BarrierSupervisorOptions options,
                    LaneEventCallback on_event);
  BarrierSupervisor(const BarrierSupervisor&) = delete;
  BarrierSupervisor& operator=(const BarrierSupervisor&) = delete;
  // Stops the polling thread (see Stop()).
  ~BarrierSupervisor();

  // Starts the polling thread. Call at most once.
  void Start();
  // Stops and joins the polling thread after delivering events still queued. Sends no
  // command: the barrier, lights and coils stay as they are. Idempotent.
  void Stop();

  // Opens the barrier for one vehicle of `visit_id`. OK means the open pulse was sent.
  // Refused, with nothing sent, when the lane is not ready (same statuses as
  // CheckReadyToOpen), or with ResourceExhausted when max_pending_allows ALLOWs are
  // already unused (RequestClose cancels them). If an earlier ALLOW is unused, this
  // one queues behind it and the barrier stays open for both. Repeating the request
  // for a visit whose ALLOW is unused is OK and sends nothing. Cancels a pending close.
  absl::Status RequestOpen(absl::string_view visit_id);

  // Cancels every unused ALLOW and closes the barrier as soon as it is safe
  // (at the next poll if it is safe then). `reason` goes into the CLOSED event's detail.
  absl::Status RequestClose(absl::string_view reason);

  // The vehicle of `visit_id` has passed, as someone other than the closing loop reports it (a
  // kiosk): its ALLOW is used up, and the barrier closes when no ALLOW is left. Its closing-loop
  // edge, if one still comes, is taken as the same vehicle. OK if the ALLOW was already used up.
  absl::Status ReleaseAllow(absl::string_view visit_id);

  // Cancels the unused ALLOW of `visit_id` only (the truck turned away); the barrier closes when
  // no ALLOW is left. OK if there was none.
  absl::Status CancelAllow(absl::string_view visit_id, absl::string_view reason);

  // Pulses the PLC's fault reset and releases the E-stop latch if the E-stop input is
  // clear in a fresh snapshot. FailedPrecondition if the E-stop is still active or the
  // inputs are stale; the driver's error if the pulse could not be sent.
  absl::Status ResetFault();

  // OK if the lane could open right now: PLC reachable, inputs fresh, no E-stop, loop
  // fault or manual key. Otherwise Unavailable (PLC unreachable) or FailedPrecondition
  // (anything else), with a message naming the lane and every fault. No I/O.
  absl::Status CheckReadyToOpen() const;
  LaneHealth Health() const;

  // One poll cycle on the caller's thread, then delivers queued events on the caller's
  // thread. For tests with a common::ManualClock; REQUIRES: Start() was not called.
  void PollOnce();

  const std::string& lane_id() const { return options_.lane_id; }

 private:
  void Loop();
  // Reads, updates state, writes heartbeat, closes if due, drives lights.
  void PollLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void DeliverQueuedEvents() ABSL_LOCKS_EXCLUDED(state_mu_);

  // State helpers. REQUIRES: state_mu_ held.
  bool FreshLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  LaneHealth HealthLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  void DetectEdgesLocked(const LaneInputs& before, const LaneInputs& after, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  void UpdateFaultEventsLocked(const LaneHealth& health, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  // Why a close must not be sent now; "" if it may.
  std::string CloseBlockerLocked(const LaneHealth& health) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  Light DesiredLightLocked(const LaneHealth& health) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  // Records the outcome of a command; a link error marks the PLC unreachable.
  void NoteCommandResultLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  // Asks for a close once no ALLOW is left. REQUIRES: state_mu_ held.
  void CloseWhenEmptyLocked(const std::string& visit_id, std::string reason, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  void QueueLocked(LaneEventKind kind, std::string visit_id, LaneFault fault, std::string detail,
                   absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_);
  absl::Status NotReadyStatus(const LaneHealth& health) const;

  const std::unique_ptr<LaneController> controller_;
  const BarrierSupervisorOptions options_;
  common::Clock* const clock_;
  const LaneEventCallback on_event_;

  // Serializes controller I/O and the decisions around it (poll, open, close, reset).
  // Lock order: io_mu_ before state_mu_.
  absl::Mutex io_mu_ ABSL_ACQUIRED_BEFORE(state_mu_);
  uint16_t heartbeat_ ABSL_GUARDED_BY(io_mu_) = 0;

  mutable absl::Mutex state_mu_;
  bool has_snapshot_ ABSL_GUARDED_BY(state_mu_) = false;
  LaneInputs snapshot_ ABSL_GUARDED_BY(state_mu_);
  absl::Status link_status_ ABSL_GUARDED_BY(state_mu_) =
      absl::UnavailableError("PLC not polled yet");
  bool estop_latched_ ABSL_GUARDED_BY(state_mu_) = false;
  // Unused ALLOWs, oldest first.
  std::deque<std::string> allows_ ABSL_GUARDED_BY(state_mu_);
  // Since the barrier was last opened from closed: ALLOWs granted, arming-loop arrivals.
  int session_allows_ ABSL_GUARDED_BY(state_mu_) = 0;
  int session_arrivals_ ABSL_GUARDED_BY(state_mu_) = 0;
  // Tailgaters announced on the arming loop and not yet seen leaving the closing loop.
  int tailgaters_announced_ ABSL_GUARDED_BY(state_mu_) = 0;
  // Vehicles whose passage a kiosk reported before the closing loop saw them leave, oldest
  // first (bounded: a lane without a closing loop never sees them).
  std::deque<std::pair<std::string, absl::Time>> released_ ABSL_GUARDED_BY(state_mu_);
  // A close that waits for a safe moment.
  bool close_pending_ ABSL_GUARDED_BY(state_mu_) = false;
  std::string close_visit_ ABSL_GUARDED_BY(state_mu_);
  std::string close_reason_ ABSL_GUARDED_BY(state_mu_);
  absl::Time close_requested_at_ ABSL_GUARDED_BY(state_mu_);
  std::string close_deferred_by_ ABSL_GUARDED_BY(state_mu_);  // first blocker seen
  // Lights as last written; `lights_known_` false after a failure or reconnect.
  bool lights_known_ ABSL_GUARDED_BY(state_mu_) = false;
  Light lights_ ABSL_GUARDED_BY(state_mu_) = Light::kOff;
  // Faults announced by FAULT events and not yet cleared.
  std::vector<LaneFault> announced_faults_ ABSL_GUARDED_BY(state_mu_);
  std::vector<LaneEvent> queued_events_ ABSL_GUARDED_BY(state_mu_);

  // Only the delivering thread touches the callback; keeps events in order.
  absl::Mutex deliver_mu_;

  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool started_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace yardgate::gate::lane

#endif  // YARDGATE_GATE_LANE_BARRIER_SUPERVISOR_H_
