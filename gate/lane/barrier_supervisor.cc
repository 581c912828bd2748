#include "gate/lane/barrier_supervisor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"

namespace yardgate::gate::lane {
namespace {

// How long a kiosk-reported passage waits for its closing-loop edge (a lane without a closing
// loop never sends one).
constexpr absl::Duration kReleasedMemory = absl::Minutes(2);

bool IsLinkError(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

std::string FormatAge(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "never";
  return absl::StrCat(absl::ToInt64Milliseconds(d), " ms");
}

}  // namespace

const char* LaneFaultName(LaneFault fault) {
  switch (fault) {
    case LaneFault::kNone:
      return "NONE";
    case LaneFault::kEStop:
      return "ESTOP";
    case LaneFault::kPlcUnreachable:
      return "PLC_UNREACHABLE";
    case LaneFault::kInputsStale:
      return "INPUTS_STALE";
    case LaneFault::kLoopFault:
      return "LOOP_FAULT";
    case LaneFault::kManualMode:
      return "MANUAL_MODE";
  }
  return "UNKNOWN";
}

const char* LaneEventKindName(LaneEventKind kind) {
  switch (kind) {
    case LaneEventKind::kOpened:
      return "OPENED";
    case LaneEventKind::kClosed:
      return "CLOSED";
    case LaneEventKind::kVehiclePassed:
      return "VEHICLE_PASSED";
    case LaneEventKind::kFault:
      return "FAULT";
    case LaneEventKind::kFaultCleared:
      return "FAULT_CLEARED";
    case LaneEventKind::kTailgating:
      return "TAILGATING";
  }
  return "UNKNOWN";
}

BarrierSupervisor::BarrierSupervisor(std::unique_ptr<LaneController> controller,
                                     BarrierSupervisorOptions options, LaneEventCallback on_event)
    : controller_(std::move(controller)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : common::RealClock::Default()),
      on_event_(std::move(on_event)) {}

BarrierSupervisor::~BarrierSupervisor() { Stop(); }

void BarrierSupervisor::Start() {
  absl::MutexLock lock(&stop_mu_);
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void BarrierSupervisor::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void BarrierSupervisor::Loop() {
  while (true) {
    {
      absl::MutexLock io(&io_mu_);
      PollLocked();
    }
    DeliverQueuedEvents();
    absl::MutexLock lock(&stop_mu_);
    if (stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll_interval)) break;
  }
  DeliverQueuedEvents();
}

void BarrierSupervisor::PollOnce() {
  {
    absl::MutexLock io(&io_mu_);
    PollLocked();
  }
  DeliverQueuedEvents();
}

void BarrierSupervisor::DeliverQueuedEvents() {
  absl::MutexLock deliver(&deliver_mu_);
  std::vector<LaneEvent> events;
  {
    absl::MutexLock state(&state_mu_);
    events.swap(queued_events_);
  }
  if (!on_event_) return;
  for (const LaneEvent& event : events) on_event_(event);
}

void BarrierSupervisor::QueueLocked(LaneEventKind kind, std::string visit_id, LaneFault fault,
                                    std::string detail, absl::Time now) {
  LaneEvent event;
  event.kind = kind;
  event.lane_id = options_.lane_id;
  event.visit_id = std::move(visit_id);
  event.fault = fault;
  event.detail = std::move(detail);
  event.time = now;
  queued_events_.push_back(std::move(event));
}

bool BarrierSupervisor::FreshLocked(absl::Time now) const {
  return has_snapshot_ && now - snapshot_.read_time <= options_.input_watchdog;
}

LaneHealth BarrierSupervisor::HealthLocked(absl::Time now) const {
  LaneHealth h;
  h.plc_reachable = link_status_.ok();
  h.input_age = has_snapshot_ ? now - snapshot_.read_time : absl::InfiniteDuration();
  h.inputs_fresh = FreshLocked(now);
  h.estop_latched = estop_latched_;
  h.inputs = snapshot_;
  h.active_visit = allows_.empty() ? "" : allows_.front();
  h.pending_allows.assign(allows_.begin(), allows_.end());
  h.close_pending = close_pending_;

  std::vector<std::string> details;
  auto add = [&](LaneFault fault, std::string detail) {
    h.faults.push_back(fault);
    details.push_back(absl::StrCat(LaneFaultName(fault), ": ", detail));
    h.fault_details.push_back(std::move(detail));
  };
  if (estop_latched_ || (h.inputs_fresh && snapshot_.estop)) {
    add(LaneFault::kEStop, h.inputs_fresh && snapshot_.estop
                               ? "E-stop/fire input active"
                               : "E-stop/fire latched, fault reset needed");
  }
  if (!h.plc_reachable) {
    add(LaneFault::kPlcUnreachable,
        absl::StrCat(controller_->Describe(), ": ", link_status_.message()));
  }
  if (!h.inputs_fresh) {
    add(LaneFault::kInputsStale,
        has_snapshot_ ? absl::StrCat("last input snapshot ", FormatAge(h.input_age),
                                     " old, watchdog ", FormatAge(options_.input_watchdog))
                      : "no input snapshot yet");
  }
  if (h.inputs_fresh && snapshot_.loop_fault) add(LaneFault::kLoopFault, "loop detector fault");
  if (h.inputs_fresh && snapshot_.manual_key) {
    add(LaneFault::kManualMode, "manual key on, the local panel has the lane");
  }
  h.detail = absl::StrJoin(details, "; ");
  return h;
}

LaneHealth BarrierSupervisor::Health() const {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&state_mu_);
  return HealthLocked(now);
}

absl::Status BarrierSupervisor::NotReadyStatus(const LaneHealth& health) const {
  const std::string message =
      absl::StrCat("lane ", options_.lane_id, " not ready to open: ", health.detail);
  if (health.primary_fault() == LaneFault::kPlcUnreachable) {
    return absl::UnavailableError(message);
  }
  return absl::FailedPreconditionError(message);
}

absl::Status BarrierSupervisor::CheckReadyToOpen() const {
  const LaneHealth health = Health();
  if (health.ready_to_open()) return absl::OkStatus();
  return NotReadyStatus(health);
}

void BarrierSupervisor::UpdateFaultEventsLocked(const LaneHealth& health, absl::Time now) {
  for (size_t i = 0; i < health.faults.size(); ++i) {
    const LaneFault fault = health.faults[i];
    if (std::find(announced_faults_.begin(), announced_faults_.end(), fault) ==
        announced_faults_.end()) {
      announced_faults_.push_back(fault);
      QueueLocked(LaneEventKind::kFault, "", fault, health.fault_details[i], now);
    }
  }
  for (auto it = announced_faults_.begin(); it != announced_faults_.end();) {
    if (std::find(health.faults.begin(), health.faults.end(), *it) == health.faults.end()) {
      QueueLocked(LaneEventKind::kFaultCleared, "", *it,
                  absl::StrCat(LaneFaultName(*it), " cleared"), now);
      it = announced_faults_.erase(it);
    } else {
      ++it;
    }
  }
}

void BarrierSupervisor::DetectEdgesLocked(const LaneInputs& before, const LaneInputs& after,
                                          absl::Time now) {
  const bool session_open = !allows_.empty() || session_allows_ > 0;
  if (!before.arming_loop && after.arming_loop && session_open) {
    ++session_arrivals_;
    if (session_arrivals_ > session_allows_) {
      ++tailgaters_announced_;
      QueueLocked(LaneEventKind::kTailgating, allows_.empty() ? "" : allows_.front(),
                  LaneFault::kNone,
                  absl::StrCat("vehicle ", session_arrivals_, " on the arming loop with ",
                               session_allows_, " ALLOW(s) granted since the barrier opened"),
                  now);
    }
  }
  if (before.closing_loop && !after.closing_loop) {
    // A vehicle a kiosk reported leaving is ahead of every vehicle still holding an ALLOW.
    while (!released_.empty() && now - released_.front().second > kReleasedMemory) released_.pop_front();
    if (!released_.empty()) {
      released_.pop_front();  // that vehicle: its ALLOW is used up and its close was asked for
      return;
    }
    if (!allows_.empty()) {
      QueueLocked(LaneEventKind::kVehiclePassed, allows_.front(), LaneFault::kNone,
                  "closing loop trailing edge", now);
      close_visit_ = allows_.front();
      close_reason_ = "vehicle passed";
      allows_.pop_front();
      if (!allows_.empty()) return;  // the next allowed vehicle follows: stay open
    } else {
      if (tailgaters_announced_ > 0) {
        --tailgaters_announced_;  // announced on the arming loop already
      } else if (!after.manual_key) {
        QueueLocked(LaneEventKind::kTailgating, "", LaneFault::kNone,
                    "a vehicle passed the closing loop without an ALLOW", now);
      }
      close_visit_.clear();
      close_reason_ = "vehicle passed without an ALLOW";
    }
    close_pending_ = true;
    close_requested_at_ = now;
    close_deferred_by_.clear();
  }
}

std::string BarrierSupervisor::CloseBlockerLocked(const LaneHealth& health) const {
  // Each of these counts as presence: never close.
  if (!health.plc_reachable) return "PLC unreachable";
  if (!health.inputs_fresh) return "inputs stale";
  if (health.estop_latched || snapshot_.estop) return "E-stop/fire";
  if (snapshot_.loop_fault) return "loop fault";
  if (snapshot_.manual_key) return "manual key";
  if (snapshot_.safety_loop) return "safety loop occupied";
  if (snapshot_.photo_eye) return "photo-eye blocked";
  return "";
}

Light BarrierSupervisor::DesiredLightLocked(const LaneHealth& health) const {
  if (!health.faults.empty()) return Light::kRed;
  if (!allows_.empty()) return Light::kGreen;
  if (close_pending_) return Light::kAmber;
  return Light::kRed;
}

void BarrierSupervisor::NoteCommandResultLocked(const absl::Status& status) {
  if (status.ok()) return;
  lights_known_ = false;
  if (IsLinkError(status)) link_status_ = status;
}

void BarrierSupervisor::PollLocked() {
  absl::StatusOr<LaneInputs> read = controller_->ReadInputs();
  absl::Time now = clock_->Now();
  bool link_ok = false;
  bool do_close = false;
  bool new_reading = false;  // this poll read inputs newer than the last snapshot
  {
    absl::MutexLock state(&state_mu_);
    if (read.ok()) {
      if (!link_status_.ok()) lights_known_ = false;  // (re)connected: assert the light again
      link_status_ = absl::OkStatus();
      if (!has_snapshot_ || read->read_time > snapshot_.read_time) {
        const bool fresh_read = now - read->read_time <= options_.input_watchdog;
        if (has_snapshot_ && fresh_read) DetectEdgesLocked(snapshot_, *read, now);
        snapshot_ = *read;
        has_snapshot_ = true;
        new_reading = fresh_read;
      }
    } else {
      link_status_ = read.status();
    }
    if (FreshLocked(now) && snapshot_.estop) estop_latched_ = true;
    const LaneHealth health = HealthLocked(now);
    UpdateFaultEventsLocked(health, now);
    link_ok = link_status_.ok();
    if (close_pending_) {
      // A close goes out only on inputs read in this very poll, never on a snapshot
      // that is merely younger than the watchdog.
      std::string blocker = CloseBlockerLocked(health);
      if (blocker.empty() && !new_reading) blocker = "no new input reading";
      if (blocker.empty()) {
        do_close = true;
      } else if (close_deferred_by_.empty()) {
        close_deferred_by_ = blocker;
      }
    }
  }

  if (link_ok) {
    const absl::Status hb = controller_->WriteHeartbeat(++heartbeat_);
    if (!hb.ok()) {
      absl::MutexLock state(&state_mu_);
      NoteCommandResultLocked(hb);
      do_close = false;
    }
  }

  if (do_close) {
    const absl::Status closed = controller_->PulseClose();
    now = clock_->Now();
    absl::MutexLock state(&state_mu_);
    NoteCommandResultLocked(closed);
    if (closed.ok()) {
      std::string detail = absl::StrCat("close pulse sent (", close_reason_, ")");
      if (!close_deferred_by_.empty()) {
        absl::StrAppend(&detail, " after waiting ", FormatAge(now - close_requested_at_), " for ",
                        close_deferred_by_);
      }
      QueueLocked(LaneEventKind::kClosed, close_visit_, LaneFault::kNone, std::move(detail), now);
      close_pending_ = false;
      close_visit_.clear();
      close_reason_.clear();
      close_deferred_by_.clear();
      // Closed with nothing under the arm: the next open starts a new count, and a
      // tailgater announced on the arming loop is now held by the arm, unless it is
      // already past it, on the closing loop.
      session_allows_ = 0;
      session_arrivals_ = 0;
      if (!snapshot_.closing_loop) tailgaters_announced_ = 0;
    }
  }

  Light want = Light::kRed;
  bool write_lights = false;
  {
    absl::MutexLock state(&state_mu_);
    want = DesiredLightLocked(HealthLocked(now));
    write_lights = link_status_.ok() && (!lights_known_ || lights_ != want);
  }
  if (write_lights) {
    const absl::Status lit = controller_->SetLights(want);
    absl::MutexLock state(&state_mu_);
    NoteCommandResultLocked(lit);
    if (lit.ok()) {
      lights_ = want;
      lights_known_ = true;
    }
  }
}

absl::Status BarrierSupervisor::RequestOpen(absl::string_view visit_id) {
  if (visit_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lane ", options_.lane_id, ": RequestOpen needs a visit id"));
  }
  absl::MutexLock io(&io_mu_);
  {
    const absl::Time now = clock_->Now();
    absl::MutexLock state(&state_mu_);
    const LaneHealth health = HealthLocked(now);
    if (!health.ready_to_open()) return NotReadyStatus(health);
    if (std::find(allows_.begin(), allows_.end(), visit_id) != allows_.end()) {
      return absl::OkStatus();
    }
    if (static_cast<int>(allows_.size()) >= options_.max_pending_allows) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "lane ", options_.lane_id, " busy: ", allows_.size(), " ALLOW(s) not used up yet (",
          absl::StrJoin(allows_, ", "), "); cannot open for visit ", visit_id));
    }
  }
  const absl::Status opened = controller_->PulseOpen();
  const absl::Time now = clock_->Now();
  absl::MutexLock state(&state_mu_);
  NoteCommandResultLocked(opened);
  if (!opened.ok()) {
    return absl::Status(opened.code(), absl::StrCat("lane ", options_.lane_id,
                                                    ": open pulse failed: ", opened.message()));
  }
  if (allows_.empty() && session_allows_ == 0) {
    // Opening from closed: the vehicle waiting on the arming loop, if any, is this one.
    session_arrivals_ = snapshot_.arming_loop ? 1 : 0;
  }
  ++session_allows_;
  if (tailgaters_announced_ > 0 && session_arrivals_ >= session_allows_) {
    --tailgaters_announced_;  // the vehicle announced as a tailgater now has an ALLOW
  }
  allows_.emplace_back(visit_id);
  close_pending_ = false;
  close_visit_.clear();
  close_reason_.clear();
  close_deferred_by_.clear();
  QueueLocked(LaneEventKind::kOpened, std::string(visit_id), LaneFault::kNone,
              allows_.size() == 1
                  ? std::string("open pulse sent")
                  : absl::StrCat("open pulse sent; ALLOW queued behind ", allows_.size() - 1,
                                 " unused"),
              now);
  return absl::OkStatus();
}

absl::Status BarrierSupervisor::RequestClose(absl::string_view reason) {
  absl::MutexLock io(&io_mu_);
  const absl::Time now = clock_->Now();
  absl::MutexLock state(&state_mu_);
  if (!allows_.empty()) {
    close_visit_ = absl::StrJoin(allows_, ",");
    allows_.clear();
  } else if (!close_pending_) {
    close_visit_.clear();
  }
  close_pending_ = true;
  close_reason_ = std::string(reason);
  close_requested_at_ = now;
  close_deferred_by_.clear();
  return absl::OkStatus();
}

void BarrierSupervisor::CloseWhenEmptyLocked(const std::string& visit_id, std::string reason, absl::Time now) {
  if (!allows_.empty()) return;  // the next allowed vehicle follows: stay open
  close_pending_ = true;
  close_visit_ = visit_id;
  close_reason_ = std::move(reason);
  close_requested_at_ = now;
  close_deferred_by_.clear();
}

absl::Status BarrierSupervisor::ReleaseAllow(absl::string_view visit_id) {
  constexpr size_t kMaxReleased = 4;
  absl::MutexLock io(&io_mu_);
  const absl::Time now = clock_->Now();
  absl::MutexLock state(&state_mu_);
  const auto it = std::find(allows_.begin(), allows_.end(), visit_id);
  if (it == allows_.end()) return absl::OkStatus();  // the closing loop was first
  allows_.erase(it);
  released_.emplace_back(std::string(visit_id), now);
  while (released_.size() > kMaxReleased) released_.pop_front();
  CloseWhenEmptyLocked(std::string(visit_id), "vehicle passed (reported by the kiosk)", now);
  return absl::OkStatus();
}

absl::Status BarrierSupervisor::CancelAllow(absl::string_view visit_id, absl::string_view reason) {
  absl::MutexLock io(&io_mu_);
  const absl::Time now = clock_->Now();
  absl::MutexLock state(&state_mu_);
  const auto it = std::find(allows_.begin(), allows_.end(), visit_id);
  if (it == allows_.end()) return absl::OkStatus();
  allows_.erase(it);
  CloseWhenEmptyLocked(std::string(visit_id), std::string(reason), now);
  return absl::OkStatus();
}

absl::Status BarrierSupervisor::ResetFault() {
  absl::MutexLock io(&io_mu_);
  {
    const absl::Time now = clock_->Now();
    absl::MutexLock state(&state_mu_);
    const LaneHealth health = HealthLocked(now);
    if (!health.plc_reachable || !health.inputs_fresh) {
      return absl::Status(health.plc_reachable ? absl::StatusCode::kFailedPrecondition
                                               : absl::StatusCode::kUnavailable,
                          absl::StrCat("lane ", options_.lane_id,
                                       ": cannot reset faults: ", health.detail));
    }
  }
  const absl::Status reset = controller_->PulseFaultReset();
  absl::MutexLock state(&state_mu_);
  NoteCommandResultLocked(reset);
  if (!reset.ok()) {
    return absl::Status(reset.code(), absl::StrCat("lane ", options_.lane_id,
                                                   ": fault reset pulse failed: ", reset.message()));
  }
  if (snapshot_.estop) {
    return absl::FailedPreconditionError(
        absl::StrCat("lane ", options_.lane_id, ": E-stop/fire input still active"));
  }
  estop_latched_ = false;
  lights_known_ = false;
  return absl::OkStatus();
}

}  // namespace yardgate::gate::lane
