#include "seal_bridge/seal_book.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace yardgate::seal {
namespace {

std::string Normalize(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '-' || c == '.') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

const char* SealKindName(SealKind k) {
  switch (k) {
    case SealKind::kGpsElock: return "GPS_ELOCK";
    case SealKind::kRfidEseal: return "RFID_ESEAL";
    case SealKind::kMechanical: return "MECHANICAL";
  }
  return "GPS_ELOCK";
}

const char* SealStateName(SealState s) {
  switch (s) {
    case SealState::kNone: return "NONE";
    case SealState::kApplied: return "APPLIED";
    case SealState::kInTransit: return "IN_TRANSIT";
    case SealState::kArrived: return "ARRIVED";
    case SealState::kVerified: return "VERIFIED";
    case SealState::kUnlocked: return "UNLOCKED";
    case SealState::kRemoved: return "REMOVED";
    case SealState::kAlarm: return "ALARM";
  }
  return "APPLIED";
}

bool IsArmed(SealState s) {
  return s == SealState::kApplied || s == SealState::kInTransit || s == SealState::kArrived ||
         s == SealState::kVerified;
}

bool IsSealAlarm(absl::string_view name) {
  return name == "tamper" || name == "rope_cut" || name == "shell_opened" ||
         name == "wrong_password" || name == "low_battery" || name == "signal_lost";
}

double DistanceMeters(GeoPoint a, GeoPoint b) {
  constexpr double kEarthRadius = 6371008.8;
  constexpr double kRad = M_PI / 180.0;
  const double dlat = (b.latitude - a.latitude) * kRad;
  const double dlon = (b.longitude - a.longitude) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.latitude * kRad) * std::cos(b.latitude * kRad) *
                       std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadius * std::asin(std::min(1.0, std::sqrt(h)));
}

bool YardArea::Contains(GeoPoint p) const {
  if (polygon.size() < 3) return radius_m > 0 && DistanceMeters(center, p) <= radius_m;
  bool inside = false;
  for (size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
    const GeoPoint& a = polygon[i];
    const GeoPoint& b = polygon[j];
    if ((a.latitude > p.latitude) != (b.latitude > p.latitude)) {
      const double x = (b.longitude - a.longitude) * (p.latitude - a.latitude) /
                           (b.latitude - a.latitude) +
                       a.longitude;
      if (p.longitude < x) inside = !inside;
    }
  }
  return inside;
}

SealBook::SealBook(SealBookOptions options) : options_(std::move(options)) {}

bool SealBook::InYard(GeoPoint p) const {
  for (const YardArea& a : options_.yard_areas) {
    if (a.Contains(p)) return true;
  }
  return false;
}

absl::Status SealBook::Restore(std::vector<SealRecord> records) {
  std::map<std::string, SealRecord> seals;
  std::unordered_map<std::string, std::string> by_device;
  for (SealRecord& r : records) {
    if (r.seal_id.empty()) return absl::InvalidArgumentError("record with an empty seal id");
    const std::string id = r.seal_id;
    if (!seals.emplace(id, std::move(r)).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate seal id ", id));
    }
  }
  // The device belongs to its most recently applied seal that is not removed.
  for (const auto& [id, r] : seals) {
    if (r.device_id.empty() || r.state == SealState::kRemoved) continue;
    auto it = by_device.find(r.device_id);
    if (it == by_device.end() || seals.at(it->second).applied_at < r.applied_at) {
      by_device[r.device_id] = id;
    }
  }
  absl::MutexLock lock(&mu_);
  seals_ = std::move(seals);
  by_device_ = std::move(by_device);
  return absl::OkStatus();
}

SealRecord* SealBook::FindLocked(const std::string& seal_id) {
  auto it = seals_.find(seal_id);
  return it == seals_.end() ? nullptr : &it->second;
}

void SealBook::Move(SealRecord& seal, SealState to, const std::string& cause,
                    const std::string& source, const std::string& detail, absl::Time time,
                    SealChange* change) {
  change->transitions.push_back({seal.seal_id, seal.state, to, cause, source, false, detail, time});
  seal.state = to;
  seal.updated_at = time;
}

void SealBook::Refuse(const SealRecord& seal, SealState to, const std::string& cause,
                      const std::string& source, const std::string& message, absl::Time time,
                      SealChange* change) {
  change->transitions.push_back({seal.seal_id, seal.state, to, cause, source, true, message, time});
  change->status = absl::FailedPreconditionError(message);
}

void SealBook::RaiseAlarm(SealRecord& seal, const std::string& alarm, const std::string& cause,
                          const std::string& source, const std::string& detail, absl::Time time,
                          SealChange* change) {
  if (Contains(seal.open_alarms, alarm)) return;  // de-duplicated: already open
  if (seal.state == SealState::kAlarm) {
    seal.open_alarms.push_back(alarm);
    Move(seal, SealState::kAlarm, cause, source, absl::StrCat("alarm ", alarm, " added", detail.empty() ? "" : ": ", detail), time, change);
    return;
  }
  if (!IsArmed(seal.state)) {
    Refuse(seal, SealState::kAlarm, cause, source,
           absl::StrCat("alarm ", alarm, " not raised: seal ", seal.seal_id, " is ",
                        SealStateName(seal.state)),
           time, change);
    return;
  }
  seal.state_before_alarm = seal.state;
  seal.open_alarms.push_back(alarm);
  Move(seal, SealState::kAlarm, cause, source, absl::StrCat("alarm ", alarm, detail.empty() ? "" : ": ", detail), time, change);
}

SealChange SealBook::Apply(const ApplySealRequest& req) {
  SealChange change;
  if (req.seal_id.empty()) {
    change.status = absl::InvalidArgumentError("seal id is empty");
    return change;
  }
  if (req.kind != SealKind::kGpsElock && req.kind != SealKind::kRfidEseal &&
      req.kind != SealKind::kMechanical) {
    change.status = absl::InvalidArgumentError(
        absl::StrCat("seal ", req.seal_id, ": unknown seal kind ", static_cast<int>(req.kind)));
    return change;
  }
  if (req.kind == SealKind::kGpsElock && req.device_id.empty()) {
    change.status = absl::InvalidArgumentError(
        absl::StrCat("GPS e-lock seal ", req.seal_id, " names no device id"));
    return change;
  }
  if (req.container_numbers.empty() && req.plate.empty()) {
    change.status = absl::InvalidArgumentError(
        absl::StrCat("seal ", req.seal_id, " is bound to no container and no plate"));
    return change;
  }
  absl::MutexLock lock(&mu_);
  SealRecord* existing = FindLocked(req.seal_id);
  if (existing != nullptr && existing->state != SealState::kUnlocked &&
      existing->state != SealState::kRemoved) {
    Refuse(*existing, SealState::kApplied, "apply", req.officer_id,
           absl::StrCat("seal ", req.seal_id, " is already applied and ",
                        SealStateName(existing->state)),
           req.time, &change);
    change.seals.push_back(*existing);
    return change;
  }
  if (!req.device_id.empty()) {
    auto it = by_device_.find(req.device_id);
    if (it != by_device_.end() && it->second != req.seal_id) {
      SealRecord* other = FindLocked(it->second);
      if (other != nullptr && other->state != SealState::kUnlocked &&
          other->state != SealState::kRemoved) {
        change.status = absl::FailedPreconditionError(
            absl::StrCat("device ", req.device_id, " is bound to seal ", other->seal_id,
                         " which is ", SealStateName(other->state)));
        // Logged against the seal that holds the device, so it is not lost.
        change.transitions.push_back({other->seal_id, other->state, other->state, "apply",
                                      req.officer_id, true,
                                      absl::StrCat("refused to bind device ", req.device_id,
                                                   " to seal ", req.seal_id),
                                      req.time});
        return change;
      }
    }
  }
  SealRecord r;
  r.seal_id = req.seal_id;
  r.kind = req.kind;
  for (const std::string& c : req.container_numbers) r.container_numbers.push_back(Normalize(c));
  r.plate = Normalize(req.plate);
  r.device_id = req.device_id;
  r.applied_by = req.officer_id;
  r.applied_place = req.place;
  r.applied_at = req.time;
  r.applied_position = req.position;
  r.departure_reference = req.position;
  r.updated_at = req.time;
  const SealState from = existing != nullptr ? existing->state : SealState::kNone;
  r.state = SealState::kApplied;
  change.transitions.push_back({r.seal_id, from, SealState::kApplied, "apply", req.officer_id,
                                false,
                                absl::StrCat(existing != nullptr ? "re-applied" : "applied",
                                             req.place.empty() ? "" : " at ", req.place),
                                req.time});
  if (!r.device_id.empty()) by_device_[r.device_id] = r.seal_id;
  seals_[r.seal_id] = r;
  change.seals.push_back(r);
  return change;
}

SealChange SealBook::ReportEvent(const SealEventRequest& req) {
  SealChange change;
  if (req.officer_id.empty()) {
    change.status = absl::InvalidArgumentError("a seal event needs the officer who reports it");
    return change;
  }
  const int kind = static_cast<int>(req.kind);
  if (kind < static_cast<int>(SealEventKind::kVerified) ||
      kind > static_cast<int>(SealEventKind::kAlarmCleared)) {
    change.status = absl::InvalidArgumentError(absl::StrCat("unknown seal event kind ", kind));
    return change;
  }
  if (req.kind == SealEventKind::kVerified) return Verify(req.seal_id, req.officer_id, req.time, req.detail);
  absl::MutexLock lock(&mu_);
  SealRecord* seal = FindLocked(req.seal_id);
  if (seal == nullptr) {
    change.status = absl::NotFoundError(absl::StrCat("no seal ", req.seal_id));
    return change;
  }
  switch (req.kind) {
    case SealEventKind::kBroken:
    case SealEventKind::kTampered: {
      const std::string cause = req.kind == SealEventKind::kBroken ? "broken" : "tampered";
      if (Contains(seal->open_alarms, "tamper")) {
        // Already alarmed for tamper: keep the officer's report as an audit event.
        change.transitions.push_back({seal->seal_id, seal->state, seal->state, cause,
                                      req.officer_id, false, req.detail, req.time});
      } else {
        RaiseAlarm(*seal, "tamper", cause, req.officer_id, req.detail, req.time, &change);
      }
      break;
    }
    case SealEventKind::kRemoved:
      if (seal->state == SealState::kUnlocked || seal->state == SealState::kVerified ||
          seal->state == SealState::kAlarm) {
        Move(*seal, SealState::kRemoved, "removed", req.officer_id, req.detail, req.time, &change);
        if (!seal->device_id.empty()) {
          auto it = by_device_.find(seal->device_id);
          if (it != by_device_.end() && it->second == seal->seal_id) by_device_.erase(it);
        }
      } else {
        Refuse(*seal, SealState::kRemoved, "removed", req.officer_id,
               absl::StrCat("seal ", seal->seal_id, " is ", SealStateName(seal->state),
                            ": only an unlocked, verified or alarmed seal can be removed"),
               req.time, &change);
      }
      break;
    case SealEventKind::kAlarmCleared:
      if (seal->state != SealState::kAlarm) {
        Refuse(*seal, seal->state, "alarm_cleared", req.officer_id,
               absl::StrCat("seal ", seal->seal_id, " is ", SealStateName(seal->state),
                            " and has no open alarm"),
               req.time, &change);
      } else {
        const std::string cleared = absl::StrJoin(seal->open_alarms, ",");
        seal->open_alarms.clear();
        seal->signal_lost_raised = false;
        Move(*seal, seal->state_before_alarm, "alarm_cleared", req.officer_id,
             absl::StrCat("cleared ", cleared, req.detail.empty() ? "" : ": ", req.detail),
             req.time, &change);
      }
      break;
    case SealEventKind::kVerified:
      break;
  }
  change.seals.push_back(*seal);
  return change;
}

SealChange SealBook::Verify(const std::string& seal_id, const std::string& source,
                            absl::Time time, const std::string& detail) {
  SealChange change;
  absl::MutexLock lock(&mu_);
  SealRecord* seal = FindLocked(seal_id);
  if (seal == nullptr) {
    change.status = absl::NotFoundError(absl::StrCat("no seal ", seal_id));
    return change;
  }
  const std::string cause = source == "gate" ? "gate" : "officer";
  if (seal->state == SealState::kArrived) {
    seal->verified_by_gate = source == "gate";
    Move(*seal, SealState::kVerified, cause, source, detail, time, &change);
  } else if (seal->state != SealState::kVerified) {
    std::string why = absl::StrCat("seal ", seal_id, " is ", SealStateName(seal->state),
                                   ": only an ARRIVED seal can be verified");
    if (seal->state == SealState::kAlarm) {
      absl::StrAppend(&why, " (open alarms: ", absl::StrJoin(seal->open_alarms, ","), ")");
    }
    Refuse(*seal, SealState::kVerified, cause, source, why, time, &change);
  }
  change.seals.push_back(*seal);
  return change;
}

SealChange SealBook::OnGateArrival(const GateArrival& arrival) {
  SealChange change;
  const std::string plate = Normalize(arrival.plate);
  std::vector<std::string> boxes;
  for (const std::string& c : arrival.container_numbers) boxes.push_back(Normalize(c));
  absl::MutexLock lock(&mu_);
  bool matched = false;
  for (auto& [id, seal] : seals_) {
    if (seal.state == SealState::kUnlocked || seal.state == SealState::kRemoved) continue;
    bool match = !plate.empty() && seal.plate == plate;
    for (const std::string& b : boxes) match = match || Contains(seal.container_numbers, b);
    if (!match) continue;
    matched = true;
    if (seal.state == SealState::kApplied || seal.state == SealState::kInTransit) {
      Move(seal, SealState::kArrived, "gate", arrival.gate_id,
           absl::StrCat("visit plate ", plate), arrival.time, &change);
    } else if (seal.state == SealState::kAlarm) {
      SealChange refused;
      Refuse(seal, SealState::kArrived, "gate", arrival.gate_id,
             absl::StrCat("seal ", id, " has open alarms: ", absl::StrJoin(seal.open_alarms, ",")),
             arrival.time, &refused);
      change.transitions.push_back(refused.transitions.back());
      if (change.status.ok()) change.status = refused.status;
    }
    change.seals.push_back(seal);
  }
  if (!matched) {
    change.status = absl::NotFoundError(absl::StrCat("no active seal for plate \"", plate,
                                                     "\" or containers ", absl::StrJoin(boxes, ",")));
  }
  return change;
}

UnlockDecision SealBook::AuthorizeUnlock(const UnlockRequest& req) {
  UnlockDecision d;
  absl::MutexLock lock(&mu_);
  SealRecord* seal = FindLocked(req.seal_id);
  if (seal == nullptr) {
    d.change.status = absl::NotFoundError(absl::StrCat("no seal ", req.seal_id));
    return d;
  }
  const bool gate = req.requested_by == "gate";
  const bool officer = req.officer_authorized && !req.requested_by.empty() && !gate;
  const bool allowed =
      (gate && seal->state == SealState::kVerified && seal->verified_by_gate) ||
      (officer && (IsArmed(seal->state) || seal->state == SealState::kAlarm));
  if (!allowed) {
    std::string why = absl::StrCat("seal ", req.seal_id, " is ", SealStateName(seal->state), ": ");
    if (seal->state == SealState::kUnlocked || seal->state == SealState::kRemoved) {
      absl::StrAppend(&why, "nothing to unlock");
    } else {
      absl::StrAppend(&why, gate ? "the gate may unlock only a seal the gate decision verified"
                                 : "unlock needs an authorised officer");
    }
    Refuse(*seal, SealState::kUnlocked, "unlock_request", req.requested_by, why, req.time, &d.change);
    d.change.seals.push_back(*seal);
    return d;
  }
  d.needs_device = seal->kind == SealKind::kGpsElock;
  d.device_id = seal->device_id;
  seal->unlock_authorized = true;
  seal->unlock_authorized_by = req.requested_by;
  d.change.transitions.push_back(
      {seal->seal_id, seal->state, seal->state, "unlock_authorized", req.requested_by, false,
       absl::StrCat(d.needs_device ? "unlock command to device " + seal->device_id
                                   : std::string("no device: the officer opens the seal"),
                    req.reason.empty() ? "" : "; ", req.reason),
       req.time});
  d.change.seals.push_back(*seal);
  return d;
}

SealChange SealBook::OnUnlockResult(const std::string& seal_id, UnlockOutcome outcome,
                                    const std::string& detail, absl::Time time) {
  SealChange change;
  absl::MutexLock lock(&mu_);
  SealRecord* seal = FindLocked(seal_id);
  if (seal == nullptr) {
    change.status = absl::NotFoundError(absl::StrCat("no seal ", seal_id));
    return change;
  }
  const std::string source = seal->device_id;
  if (outcome == UnlockOutcome::kAcknowledged) {
    if (seal->state != SealState::kUnlocked) {
      if (!seal->unlock_authorized) {
        Refuse(*seal, SealState::kUnlocked, "unlock", source,
               absl::StrCat("seal ", seal_id, " acknowledged an unlock nobody authorised"), time,
               &change);
        RaiseAlarm(*seal, "tamper", "unlock", source, "unauthorised unlock", time, &change);
      } else {
        const std::string alarms = absl::StrJoin(seal->open_alarms, ",");
        seal->open_alarms.clear();
        Move(*seal, SealState::kUnlocked, "unlock", source,
             absl::StrCat(detail, alarms.empty() ? "" : "; open alarms closed: ", alarms), time,
             &change);
      }
    }
  } else {
    change.transitions.push_back({seal->seal_id, seal->state, SealState::kUnlocked,
                                  absl::StrCat("unlock_", UnlockOutcomeName(outcome)), source,
                                  true, detail, time});
  }
  seal->unlock_authorized = false;
  seal->unlock_authorized_by.clear();
  change.seals.push_back(*seal);
  return change;
}

DeviceReportOutcome SealBook::OnDeviceReport(const DeviceReport& report) {
  DeviceReportOutcome out;
  absl::MutexLock lock(&mu_);
  auto it = by_device_.find(report.device_id);
  SealRecord* seal = it == by_device_.end() ? nullptr : FindLocked(it->second);
  if (seal == nullptr) return out;  // unbound: the caller raises it
  out.bound = true;
  out.seal_id = seal->seal_id;
  SealChange& change = out.change;
  const std::string& src = report.device_id;
  const absl::Time t = report.time;

  seal->last_report_at = std::max(seal->last_report_at, report.received);
  seal->signal_lost_raised = false;
  if (report.position_valid && !report.blind_area) {
    const GeoPoint p{report.latitude, report.longitude};
    seal->last_position = p;
    if (seal->state == SealState::kApplied) {
      if (!seal->departure_reference.has_value()) {
        seal->departure_reference = p;
      } else {
        const double d = DistanceMeters(*seal->departure_reference, p);
        bool left_start_area = true;
        for (const YardArea& a : options_.yard_areas) {
          if (a.Contains(*seal->departure_reference) && a.Contains(p)) left_start_area = false;
        }
        if (d > options_.departure_radius_m && left_start_area) {
          Move(*seal, SealState::kInTransit, "departed", src,
               absl::StrFormat("%.0f m from where it was applied", d), t, &change);
        }
      }
    } else if (seal->state == SealState::kInTransit && InYard(p)) {
      Move(*seal, SealState::kArrived, "geofence", src,
           absl::StrFormat("position %.6f,%.6f inside the yard area", p.latitude, p.longitude), t,
           &change);
    }
  } else if (report.position_valid) {
    seal->last_position = GeoPoint{report.latitude, report.longitude};
  }

  // Alarms: act on rising edges only.
  for (const std::string& a : report.seal_alarms) {
    if (!IsSealAlarm(a) || Contains(seal->device_alarms, a)) continue;
    RaiseAlarm(*seal, a, a, src, "", t, &change);
  }
  seal->device_alarms = report.seal_alarms;

  // The lock opened.
  if (report.lock_state == LockState::kUnlocked && seal->device_lock_state != LockState::kUnlocked) {
    if (seal->state == SealState::kVerified || (seal->unlock_authorized && seal->state != SealState::kUnlocked &&
                                                seal->state != SealState::kRemoved)) {
      const std::string alarms = absl::StrJoin(seal->open_alarms, ",");
      seal->open_alarms.clear();
      Move(*seal, SealState::kUnlocked, "lock_event", src,
           alarms.empty() ? "the lock reports open" : absl::StrCat("the lock reports open; open alarms closed: ", alarms),
           t, &change);
      seal->unlock_authorized = false;
    } else if (IsArmed(seal->state) || seal->state == SealState::kAlarm) {
      RaiseAlarm(*seal, "tamper", "lock_opened", src, "the lock opened without authorisation", t, &change);
    }
  }
  if (report.lock_state != LockState::kUnknown) seal->device_lock_state = report.lock_state;
  seal->updated_at = std::max(seal->updated_at, report.received);
  change.seals.push_back(*seal);
  return out;
}

SealChange SealBook::CheckSignal(absl::Time now) {
  SealChange change;
  absl::MutexLock lock(&mu_);
  for (auto& [id, seal] : seals_) {
    if (seal.kind != SealKind::kGpsElock || seal.signal_lost_raised) continue;
    if (!IsArmed(seal.state) && seal.state != SealState::kAlarm) continue;
    const absl::Time last = std::max(seal.last_report_at, seal.applied_at);
    if (now - last <= options_.signal_lost_after) continue;
    const size_t before = change.transitions.size();
    RaiseAlarm(seal, "signal_lost", "signal_lost", seal.device_id,
               absl::StrCat("no report since ", absl::FormatTime(last)), now, &change);
    seal.signal_lost_raised = true;
    if (change.transitions.size() > before) change.seals.push_back(seal);
  }
  return change;
}

std::optional<SealRecord> SealBook::Get(const std::string& seal_id) const {
  absl::MutexLock lock(&mu_);
  auto it = seals_.find(seal_id);
  if (it == seals_.end()) return std::nullopt;
  return it->second;
}

std::optional<SealRecord> SealBook::FindByDevice(const std::string& device_id) const {
  absl::MutexLock lock(&mu_);
  auto it = by_device_.find(device_id);
  if (it == by_device_.end()) return std::nullopt;
  auto s = seals_.find(it->second);
  if (s == seals_.end()) return std::nullopt;
  return s->second;
}

std::vector<SealRecord> SealBook::All() const {
  return Select([](const SealRecord&) { return true; });
}

std::vector<SealRecord> SealBook::Select(const std::function<bool(const SealRecord&)>& keep) const {
  absl::MutexLock lock(&mu_);
  std::vector<SealRecord> out;
  for (const auto& [id, r] : seals_) {
    if (keep(r)) out.push_back(r);
  }
  return out;
}

}  // namespace yardgate::seal
