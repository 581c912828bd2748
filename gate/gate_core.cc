#include "gate/gate_core.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/iso6346.h"
#include "common/plate_text.h"

namespace yardgate::gate {
namespace {

constexpr char kGate[] = "gate";

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::vector<std::string> PlatesOf(const Visit& visit) {
  std::vector<std::string> plates;
  if (!visit.plate.text.empty()) plates.push_back(visit.plate.text);
  for (const FieldRead& p : visit.other_plates) {
    if (!p.text.empty() && !Contains(plates, p.text)) plates.push_back(p.text);
  }
  return plates;
}

std::vector<std::string> NumbersOf(const Visit& visit) {
  std::vector<std::string> numbers;
  for (const FieldRead& c : visit.containers) numbers.push_back(c.text);
  return numbers;
}

uint64_t VisitNumber(const std::string& visit_id) {
  uint64_t n = 0;
  if (visit_id.size() > 1 && absl::SimpleAtoi(visit_id.substr(1), &n)) return n;
  return 0;
}

Event NewEvent(const std::string& lane_id, const std::string& visit_id, EventPayload payload) {
  Event e;
  e.lane_id = lane_id;
  e.visit_id = visit_id;
  e.payload = std::move(payload);
  return e;
}

std::string ReasonList(const std::vector<Reason>& reasons) {
  std::vector<std::string> parts;
  for (const Reason& r : reasons) {
    parts.push_back(r.subject.empty() ? ReasonCodeName(r.code) : absl::StrCat(ReasonCodeName(r.code), " ", r.subject));
  }
  return absl::StrJoin(parts, ", ");
}

bool ClearsTheBox(CustomsStatus status) { return status == CustomsStatus::kReleased; }

}  // namespace

void Change::Append(Change later) {
  writes.Append(std::move(later.writes));
  events.insert(events.end(), std::make_move_iterator(later.events.begin()),
                std::make_move_iterator(later.events.end()));
  effects.insert(effects.end(), std::make_move_iterator(later.effects.begin()),
                 std::make_move_iterator(later.effects.end()));
}

std::string DescribeVisit(const Visit& visit) {
  std::vector<std::string> containers = NumbersOf(visit);
  return absl::StrCat("plate=", visit.plate.text, " containers=", absl::StrJoin(containers, ","),
                      " decision=", VerdictName(visit.decision),
                      visit.reasons.empty() ? "" : absl::StrCat(" reasons=", ReasonList(visit.reasons)));
}

GateCore::GateCore(GateOptions options, common::Clock* clock, LaneStatus* lanes, SealDirectory* seals)
    : options_(std::move(options)), clock_(clock), lanes_(lanes), seals_(seals) {}

void GateCore::SetPolicy(const DecisionPolicy& policy) { options_.policy = policy; }

const LaneInfo* GateCore::FindLane(const std::string& lane_id) const {
  for (const LaneInfo& lane : options_.lanes) {
    if (lane.id == lane_id) return &lane;
  }
  return nullptr;
}

bool GateCore::AwaitsResult(const Effect& effect) {
  return std::holds_alternative<OpenBarrier>(effect) || std::holds_alternative<gate::ResetLaneFault>(effect);
}

// ---------------------------------------------------------------------------------------
// State

void GateCore::Apply(const WriteBatch& writes) {
  for (const Visit& v : writes.visits) {
    visits_[v.id] = v;
    next_visit_number_ = std::max(next_visit_number_, VisitNumber(v.id) + 1);
    for (const std::string& plate : PlatesOf(v)) {
      auto it = open_by_plate_.find(plate);
      if (v.completed) {
        if (it != open_by_plate_.end() && it->second == v.id) open_by_plate_.erase(it);
      } else if (it == open_by_plate_.end() || it->second <= v.id) {
        open_by_plate_[plate] = v.id;  // the newest visit of a plate is the one it continues
      }
    }
  }
  for (const Appointment& a : writes.appointments) appointments_[a.id] = a;
  for (const CustomsRecord& c : writes.customs) customs_[c.container_number] = c.status;
}

Change GateCore::Restore(const StoredState& state) {
  appointments_.clear();
  customs_.clear();
  visits_.clear();
  open_by_plate_.clear();
  next_visit_number_ = std::max<uint64_t>(1, VisitNumber(state.last_visit_id) + 1);
  WriteBatch loaded;
  loaded.appointments = state.appointments;
  loaded.customs = state.customs;
  loaded.visits = state.visits;
  Apply(loaded);

  // An open asked for before a stop and never confirmed is not carried out after the restart:
  // the truck may have left. The visit goes to the desk instead.
  Change change;
  for (const auto& [id, visit] : visits_) {
    if (visit.decision != Verdict::kOpen || visit.passed || visit.barrier != BarrierState::kOpenRequested) continue;
    Visit v = visit;
    v.barrier = BarrierState::kOpenFailed;
    v.barrier_detail = "the server stopped before the barrier opened";
    v.decision = Verdict::kTrouble;
    v.reasons = {{ReasonCode::kLaneFault, v.lane_id, v.barrier_detail}};
    std::tie(v.driver_message_zh, v.driver_message_en) = DriverMessage(ReasonCode::kLaneFault);
    change.writes.visits.push_back(v);
    AddVisitDecided(v, &change);
  }
  Apply(change.writes);
  return change;
}

void GateCore::Forget(absl::Time now) {
  const absl::Time cutoff = now - options_.memory;
  for (auto it = visits_.begin(); it != visits_.end();) {
    const Visit& v = it->second;
    if (v.arrived_at >= cutoff) break;  // ids grow with time: the rest are newer
    const bool open_trouble = v.decision == Verdict::kTrouble && !v.passed;
    if (open_trouble) {
      ++it;
      continue;
    }
    for (auto p = open_by_plate_.begin(); p != open_by_plate_.end();) {
      p = p->second == v.id ? open_by_plate_.erase(p) : std::next(p);
    }
    it = visits_.erase(it);
  }
}

std::string GateCore::NextVisitId() const { return absl::StrFormat("V%010d", next_visit_number_); }

// ---------------------------------------------------------------------------------------
// Deciding

std::vector<Appointment> GateCore::CandidateAppointments(const Visit& visit) const {
  const std::vector<std::string> plates = PlatesOf(visit);
  const std::vector<std::string> numbers = NumbersOf(visit);
  std::vector<Appointment> out;
  for (const auto& [id, a] : appointments_) {
    if (id == visit.appointment_id && !a.cancelled) {
      // A continued visit keeps its appointment through every stage; at the out-gate its
      // deliveries are what should be on the truck.
      Appointment own = a;
      own.direction = visit.direction;
      out.push_back(std::move(own));
      continue;
    }
    if (a.cancelled || a.direction != visit.direction) continue;
    bool relevant = (!a.plate.empty() && Contains(plates, a.plate)) ||
                    (!a.second_plate.empty() && Contains(plates, a.second_plate));
    for (const ContainerMove& m : a.containers) relevant |= Contains(numbers, m.container_number);
    if (relevant) out.push_back(a);
  }
  return out;
}

DecisionOutcome GateCore::DecideVisit(const Visit& visit, absl::Time now) const {
  DecisionInput in;
  in.visit_id = visit.id;
  in.direction = visit.direction;
  in.now = now;
  if (!visit.plate.text.empty()) in.plates.push_back(visit.plate);
  for (const FieldRead& p : visit.other_plates) in.plates.push_back(p);
  in.containers = visit.containers;
  in.appointments = CandidateAppointments(visit);
  in.continued_appointment_id = visit.appointment_id;
  std::vector<std::string> numbers = NumbersOf(visit);
  std::vector<std::string> seal_ids;
  for (const Appointment& a : in.appointments) {
    for (const ContainerMove& m : a.containers) {
      if (!Contains(numbers, m.container_number)) numbers.push_back(m.container_number);
      if (!m.seal_id.empty()) seal_ids.push_back(m.seal_id);
    }
  }
  for (const std::string& n : numbers) {
    const auto it = customs_.find(n);
    if (it != customs_.end()) in.customs[n] = it->second;
  }
  if (seals_ != nullptr) in.seals = seals_->SealsFor(PlatesOf(visit), numbers, seal_ids);
  if (lanes_ != nullptr) {
    const absl::Status ready = lanes_->Ready(visit.lane_id);
    in.lane_healthy = ready.ok();
    in.lane_fault = std::string(ready.message());
  }
  DecisionOutcome out = Decide(in, options_.policy);
  // Keep, for the open, the seals this decision saw on the truck's boxes.
  return out;
}

std::vector<std::string> GateCore::SealIdsOf(const DecisionOutcome& outcome) const {
  std::vector<std::string> ids;
  const auto a = appointments_.find(outcome.appointment_id);
  if (a == appointments_.end()) return ids;
  for (const ContainerMove& m : a->second.containers) {
    if (!m.seal_id.empty()) ids.push_back(m.seal_id);
  }
  if (seals_ != nullptr) {
    std::vector<std::string> numbers;
    for (const ContainerMove& m : a->second.containers) numbers.push_back(m.container_number);
    for (const SealView& s : seals_->SealsFor({outcome.matched_plate}, numbers, ids)) {
      if (!Contains(ids, s.seal_id)) ids.push_back(s.seal_id);
    }
  }
  return ids;
}

void GateCore::ApplyOutcome(const DecisionOutcome& outcome, const std::string& decided_by, Visit* visit) const {
  visit->decision = outcome.verdict;
  visit->reasons = outcome.reasons;
  visit->appointment_id = outcome.appointment_id;
  visit->driver_message_zh = outcome.message_zh;
  visit->driver_message_en = outcome.message_en;
  visit->decided_by = decided_by;
  // The plate that matched is the visit's plate; the others stay as seen.
  if (!outcome.matched_plate.empty() && visit->plate.text != outcome.matched_plate) {
    auto it = std::find_if(visit->other_plates.begin(), visit->other_plates.end(),
                           [&](const FieldRead& p) { return p.text == outcome.matched_plate; });
    if (it != visit->other_plates.end()) {
      std::swap(visit->plate, *it);
      if (it->text.empty()) visit->other_plates.erase(it);
    }
  }
  visit->transactions.clear();
  const auto a = appointments_.find(outcome.appointment_id);
  if (a == appointments_.end()) return;
  for (const ContainerMove& m : a->second.containers) {
    Transaction t;
    t.container_number = m.container_number;
    t.transaction_type = m.transaction_type;
    t.on_truck = ContainerOnTruck(m.transaction_type, visit->direction);
    t.seen = std::any_of(visit->containers.begin(), visit->containers.end(),
                         [&](const FieldRead& c) { return c.text == m.container_number; });
    visit->transactions.push_back(t);
  }
}

void GateCore::AddVisitDecided(const Visit& visit, Change* change) const {
  VisitDecided d;
  d.decision = visit.decision;
  d.reasons = visit.reasons;
  d.plate = visit.plate.text;
  d.container_numbers = NumbersOf(visit);
  d.appointment_id = visit.appointment_id;
  d.decided_by = visit.decided_by;
  change->events.push_back(NewEvent(visit.lane_id, visit.id, std::move(d)));
}

void GateCore::AddOpenEffects(Visit* visit, const DecisionOutcome& outcome, bool verify_seals, absl::Time now,
                              Change* change) {
  visit->barrier = BarrierState::kOpenRequested;
  visit->barrier_detail.clear();
  change->effects.push_back(OpenBarrier{visit->lane_id, visit->id});
  // The appointment's ALLOW is this visit's until it passes (then used) or is cancelled.
  if (auto a = appointments_.find(outcome.appointment_id); a != appointments_.end() && !a->second.used &&
                                                            a->second.visit_id != visit->id) {
    Appointment held = a->second;
    held.visit_id = visit->id;
    held.updated_at = now;
    change->writes.appointments.push_back(std::move(held));
  }
  if (verify_seals && seals_ != nullptr) {
    const std::vector<std::string> ids = SealIdsOf(outcome);
    if (!ids.empty()) change->Append(seals_->OnGateOpen(visit->id, ids));
  }
}

Visit GateCore::CancelledAllow(const Visit& visit, const std::string& actor, absl::Time now, Change* change) const {
  Visit v = visit;
  v.decision = Verdict::kTrouble;
  v.reasons = {{ReasonCode::kAllowCancelled, actor, absl::StrCat("the unused ALLOW was cancelled by ", actor)}};
  v.barrier = BarrierState::kCancelled;
  v.decided_by = actor;
  std::tie(v.driver_message_zh, v.driver_message_en) = DriverMessage(ReasonCode::kAllowCancelled);
  if (auto a = appointments_.find(v.appointment_id);
      a != appointments_.end() && a->second.visit_id == v.id && !a->second.used) {
    Appointment released = a->second;
    released.visit_id.clear();
    released.updated_at = now;
    change->writes.appointments.push_back(std::move(released));
  }
  change->writes.visits.push_back(v);
  AddVisitDecided(v, change);
  return v;
}

std::optional<Visit> GateCore::ContinuableVisit(const std::vector<FieldRead>& plates, Stage stage,
                                                absl::Time now) const {
  for (const FieldRead& p : plates) {
    const auto index = open_by_plate_.find(p.text);
    if (index == open_by_plate_.end()) continue;
    const auto it = visits_.find(index->second);
    if (it == visits_.end()) continue;
    const Visit& v = it->second;
    if (v.completed || now - v.arrived_at > options_.visit_active) continue;
    // The newest visit of this truck decides: it continues only if it is at an earlier stage.
    if (v.stage != Stage::kUnspecified && v.stage < stage) return v;
    return std::nullopt;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Lanes

absl::StatusOr<Outcome<Visit>> GateCore::SubmitArrival(const Arrival& arrival) {
  const absl::Time now = clock_->Now();
  Forget(now);
  absl::StatusOr<Outcome<Visit>> out = ComputeArrival(arrival, now);
  if (out.ok()) Apply(out->change.writes);
  return out;
}

absl::StatusOr<Outcome<Visit>> GateCore::ComputeArrival(const Arrival& arrival, absl::Time now) {
  if (arrival.lane_id.empty()) return absl::InvalidArgumentError("lane_id is required");
  const LaneInfo* lane = FindLane(arrival.lane_id);
  if (lane == nullptr) return absl::NotFoundError(absl::StrCat("unknown lane '", arrival.lane_id, "'"));
  absl::Time at = now;
  if (arrival.captured_at != absl::InfinitePast()) {
    const absl::Duration skew = arrival.captured_at - now;
    if (absl::AbsDuration(skew) > options_.max_capture_skew) {
      return absl::InvalidArgumentError(absl::StrCat(
          "captured_at ", absl::FormatTime(absl::RFC3339_sec, arrival.captured_at, absl::UTCTimeZone()), " is ",
          absl::FormatDuration(absl::AbsDuration(skew)), skew < absl::ZeroDuration() ? " behind" : " ahead of",
          " the server's clock (at most ", absl::FormatDuration(options_.max_capture_skew),
          "): a replayed or mis-clocked capture is not a truck at the gate now"));
    }
    at = arrival.captured_at;
  }
  std::vector<FieldRead> plates;
  for (FieldRead p : arrival.plates) {
    p.text = common::NormalizePlate(p.text);
    if (p.text.empty()) continue;
    if (std::none_of(plates.begin(), plates.end(), [&](const FieldRead& q) { return q.text == p.text; })) {
      plates.push_back(std::move(p));
    }
  }

  Visit visit;
  if (std::optional<Visit> earlier = ContinuableVisit(plates, lane->stage, now)) {
    // The same truck at a later stage: one visit, from the pre-gate to the out-gate.
    visit = *std::move(earlier);
    // What the pre-gate portal read still stands at the in-gate; at the out-gate the truck
    // has changed its load, so only what is read there counts.
    if (visit.stage != Stage::kPreGate || !arrival.containers.empty()) visit.containers.clear();
    visit.passed = false;
    visit.passed_at = absl::InfinitePast();
    visit.barrier = BarrierState::kNone;
    visit.barrier_detail.clear();
    visit.assistance_requested = false;
  } else {
    visit.id = NextVisitId();
    visit.arrived_at = at;
  }
  visit.lane_id = lane->id;
  visit.direction = lane->direction;
  visit.stage = lane->stage;
  if (!plates.empty()) {
    visit.plate = plates.front();
    visit.other_plates.assign(plates.begin() + 1, plates.end());
  }
  for (FieldRead c : arrival.containers) {
    c.text = common::NormalizeContainerNumber(c.text);
    c.check_digit_ok = common::ValidateContainerNumber(c.text).ok();
    visit.containers.erase(std::remove_if(visit.containers.begin(), visit.containers.end(),
                                          [&](const FieldRead& e) { return e.text == c.text; }),
                           visit.containers.end());
    visit.containers.push_back(std::move(c));
  }

  Change change;
  if (seals_ != nullptr) {
    change.Append(seals_->OnGateArrival(visit.lane_id, visit.id, PlatesOf(visit), NumbersOf(visit)));
  }
  if (visit.decision == Verdict::kDeny) {
    // DENY is final for its visit: a later stage records the truck and keeps the denial.
  } else {
    const DecisionOutcome outcome = DecideVisit(visit, now);
    ApplyOutcome(outcome, kGate, &visit);
    if (visit.decision == Verdict::kOpen) AddOpenEffects(&visit, outcome, /*verify_seals=*/true, now, &change);
  }
  visit.stages.push_back(StagePass{visit.stage, visit.lane_id, at, visit.decision});
  for (EvidenceFrame f : arrival.frames) {
    f.visit_id = visit.id;
    change.writes.frames.push_back(std::move(f));
  }
  change.writes.visits.push_back(visit);
  AddVisitDecided(visit, &change);
  return Outcome<Visit>{std::move(change), std::move(visit)};
}

absl::StatusOr<Outcome<Visit>> GateCore::ReportPassage(const std::string& visit_id, PassageSource source) {
  const auto it = visits_.find(visit_id);
  if (it == visits_.end()) return absl::NotFoundError(absl::StrCat("no open visit '", visit_id, "'"));
  Visit v = it->second;
  // The kiosk's report and the closing loop's edge are two reports of one passage.
  if (v.passed) return Outcome<Visit>{Change{}, std::move(v)};
  if (v.decision != Verdict::kOpen) {
    return absl::FailedPreconditionError(absl::StrCat("visit ", v.id, " is ", VerdictName(v.decision),
                                                      ": only an opened visit can pass"));
  }
  if (v.barrier == BarrierState::kOpenFailed || v.barrier == BarrierState::kCancelled) {
    return absl::FailedPreconditionError(absl::StrCat("the barrier did not open for visit ", v.id, " (",
                                                      BarrierStateName(v.barrier), ")"));
  }
  const absl::Time now = clock_->Now();
  Change change;
  v.passed = true;
  v.passed_at = now;
  v.barrier = BarrierState::kPassed;
  v.completed = v.stage == Stage::kOutGate;
  const char* reported_by = source == PassageSource::kKiosk ? "kiosk" : "closing-loop";
  change.events.push_back(NewEvent(v.lane_id, v.id, TruckPassed{v.direction, reported_by}));
  if (source == PassageSource::kKiosk) change.effects.push_back(ReleaseAllow{v.lane_id, v.id});

  if (auto a = appointments_.find(v.appointment_id); a != appointments_.end() && !a->second.used) {
    Appointment used = a->second;
    used.used = true;
    used.visit_id = v.id;
    used.updated_at = now;
    change.events.push_back(NewEvent(v.lane_id, v.id, AppointmentChanged{used.id, AppointmentChange::kUsed}));
    change.writes.appointments.push_back(used);
  }
  if (v.stage == Stage::kInGate) {
    // An empty coming back is returned the moment it passes the in-gate: the line's detention
    // stops at the real gate time, not when paperwork catches up.
    if (auto a = appointments_.find(v.appointment_id); a != appointments_.end()) {
      for (const ContainerMove& m : a->second.containers) {
        if (m.transaction_type != TransactionType::kReceiveEmpty &&
            m.transaction_type != TransactionType::kReceiveImport) {
          continue;
        }
        change.events.push_back(
            NewEvent(v.lane_id, v.id, ContainerReturned{m.container_number, m.transaction_type}));
      }
    }
  }
  change.writes.visits.push_back(v);
  Apply(change.writes);
  return Outcome<Visit>{std::move(change), std::move(v)};
}

absl::StatusOr<Outcome<std::optional<Visit>>> GateCore::RequestAssistance(const std::string& lane_id,
                                                                          const std::string& visit_id,
                                                                          const std::string& message) {
  if (lane_id.empty()) return absl::InvalidArgumentError("lane_id is required");
  if (FindLane(lane_id) == nullptr) return absl::NotFoundError(absl::StrCat("unknown lane '", lane_id, "'"));
  Outcome<std::optional<Visit>> out;
  if (!visit_id.empty()) {
    const auto it = visits_.find(visit_id);
    if (it == visits_.end()) return absl::NotFoundError(absl::StrCat("no open visit '", visit_id, "'"));
    if (it->second.lane_id != lane_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("visit ", visit_id, " is at lane ", it->second.lane_id, ", not ", lane_id));
    }
    Visit v = it->second;
    // Help never changes a decision (a denied truck stays denied); it puts the visit before a clerk.
    if (!v.assistance_requested && !v.passed) {
      v.assistance_requested = true;
      out.change.writes.visits.push_back(v);
    }
    out.result = v;
  }
  out.change.events.push_back(NewEvent(lane_id, visit_id, AssistanceRequested{message}));
  Apply(out.change.writes);
  return out;
}

absl::StatusOr<Outcome<std::optional<Visit>>> GateCore::RecordBarrierResult(const BarrierResult& result) {
  Outcome<std::optional<Visit>> out;
  std::string lane_id, visit_id;
  BarrierCommand command = BarrierCommand::kUnspecified;
  if (const auto* open = std::get_if<OpenBarrier>(&result.effect)) {
    lane_id = open->lane_id, visit_id = open->visit_id, command = BarrierCommand::kOpen;
  } else if (const auto* release = std::get_if<ReleaseAllow>(&result.effect)) {
    lane_id = release->lane_id, visit_id = release->visit_id, command = BarrierCommand::kClose;
  } else if (const auto* close = std::get_if<gate::CloseBarrier>(&result.effect)) {
    lane_id = close->lane_id, visit_id = close->visit_id, command = BarrierCommand::kClose;
  } else if (const auto* reset = std::get_if<gate::ResetLaneFault>(&result.effect)) {
    lane_id = reset->lane_id, command = BarrierCommand::kFaultReset;
  } else {
    return absl::InvalidArgumentError("not a barrier effect");
  }
  // A successful open or close is reported by the lane itself (RecordLaneReport); a failure
  // and every fault reset are recorded here.
  if (!result.status.ok() || command == BarrierCommand::kFaultReset) {
    out.change.events.push_back(NewEvent(
        lane_id, visit_id,
        BarrierChanged{command, result.status.ok(),
                       result.status.ok() ? "fault reset" : std::string(result.status.message())}));
  }
  const auto it = visits_.find(visit_id);
  if (command == BarrierCommand::kOpen && it != visits_.end() && it->second.barrier == BarrierState::kOpenRequested) {
    Visit v = it->second;
    if (result.status.ok()) {
      v.barrier = BarrierState::kOpened;
    } else if (v.decision == Verdict::kOpen && !v.passed) {
      // The arm stays down: the driver must not be told to proceed. The visit goes to the desk.
      v.barrier = BarrierState::kOpenFailed;
      v.barrier_detail = std::string(result.status.message());
      v.decision = Verdict::kTrouble;
      v.reasons = {{ReasonCode::kLaneFault, v.lane_id, absl::StrCat("the barrier did not open: ", v.barrier_detail)}};
      std::tie(v.driver_message_zh, v.driver_message_en) = DriverMessage(ReasonCode::kLaneFault);
      AddVisitDecided(v, &out.change);
    }
    out.change.writes.visits.push_back(v);
    out.result = v;
  } else if (it != visits_.end()) {
    out.result = it->second;
  }
  Apply(out.change.writes);
  return out;
}

Change GateCore::RecordLaneReport(const LaneReport& report) {
  Change change;
  switch (report.kind) {
    case LaneReport::Kind::kOpened:
    case LaneReport::Kind::kClosed:
      change.events.push_back(NewEvent(
          report.lane_id, report.visit_id,
          BarrierChanged{report.kind == LaneReport::Kind::kOpened ? BarrierCommand::kOpen : BarrierCommand::kClose,
                         true, report.detail}));
      break;
    case LaneReport::Kind::kFault:
    case LaneReport::Kind::kTailgating:
    case LaneReport::Kind::kFaultCleared:
      change.events.push_back(NewEvent(report.lane_id, report.visit_id,
                                       LaneFaultRaised{report.detail, report.kind == LaneReport::Kind::kFaultCleared}));
      break;
  }
  return change;
}

// ---------------------------------------------------------------------------------------
// Operators

absl::StatusOr<Outcome<Visit>> GateCore::CancelAllow(const std::string& visit_id, const std::string& actor,
                                                     const std::string& comment) {
  const auto it = visits_.find(visit_id);
  if (it == visits_.end()) return absl::NotFoundError(absl::StrCat("no open visit '", visit_id, "'"));
  const Visit& before = it->second;
  if (before.decision != Verdict::kOpen || before.passed) {
    return absl::FailedPreconditionError(absl::StrCat("visit ", visit_id, " has no unused ALLOW (it is ",
                                                      VerdictName(before.decision),
                                                      before.passed ? ", passed" : "", ")"));
  }
  const absl::Time now = clock_->Now();
  Outcome<Visit> out;
  out.result = CancelledAllow(before, actor, now, &out.change);
  out.change.effects.push_back(gate::CloseBarrier{before.lane_id, visit_id, absl::StrCat("ALLOW cancelled by ", actor)});
  out.change.writes.audit.push_back(
      AuditRecord{0, now, actor, "CANCEL_ALLOW", visit_id, DescribeVisit(before), DescribeVisit(out.result), comment});
  Apply(out.change.writes);
  return out;
}

absl::StatusOr<Outcome<std::vector<Visit>>> GateCore::CloseBarrier(const std::string& lane_id,
                                                                   const std::string& actor,
                                                                   const std::string& comment) {
  if (lane_id.empty()) return absl::InvalidArgumentError("lane_id is required");
  if (FindLane(lane_id) == nullptr) return absl::NotFoundError(absl::StrCat("unknown lane '", lane_id, "'"));
  const absl::Time now = clock_->Now();
  Outcome<std::vector<Visit>> out;
  std::vector<std::string> cancelled;
  for (const auto& [id, v] : visits_) {
    if (v.lane_id != lane_id || v.decision != Verdict::kOpen || v.passed) continue;
    out.result.push_back(CancelledAllow(v, actor, now, &out.change));
    cancelled.push_back(id);
  }
  out.change.effects.push_back(gate::CloseBarrier{lane_id, "", absl::StrCat("closed by ", actor)});
  out.change.writes.audit.push_back(AuditRecord{0, now, actor, "CLOSE_BARRIER", lane_id, "",
                                                absl::StrCat("ALLOWs cancelled: ", cancelled.empty() ? "none" : absl::StrJoin(cancelled, ",")),
                                                comment});
  Apply(out.change.writes);
  return out;
}

absl::StatusOr<Outcome<std::string>> GateCore::ResetLaneFault(const std::string& lane_id, const std::string& actor,
                                                              const std::string& comment) {
  if (lane_id.empty()) return absl::InvalidArgumentError("lane_id is required");
  if (FindLane(lane_id) == nullptr) return absl::NotFoundError(absl::StrCat("unknown lane '", lane_id, "'"));
  Outcome<std::string> out;
  out.result = lane_id;
  out.change.effects.push_back(gate::ResetLaneFault{lane_id});
  out.change.writes.audit.push_back(AuditRecord{0, clock_->Now(), actor, "RESET_LANE_FAULT", lane_id, "", "", comment});
  return out;
}

// ---------------------------------------------------------------------------------------
// Terminal systems

absl::StatusOr<Outcome<Appointment>> GateCore::UpsertAppointment(Appointment a) {
  if (a.id.empty()) return absl::InvalidArgumentError("appointment.appointment_id is required");
  a.plate = common::NormalizePlate(a.plate);
  a.second_plate = common::NormalizePlate(a.second_plate);
  if (a.plate.empty()) return absl::InvalidArgumentError("appointment.plate is required");
  if (a.direction != Direction::kIn && a.direction != Direction::kOut) {
    return absl::InvalidArgumentError("appointment.direction is required (DIRECTION_IN or DIRECTION_OUT)");
  }
  if (a.window_end < a.window_start) return absl::InvalidArgumentError("appointment.window_end is before window_start");
  std::vector<std::string> seen;
  for (size_t i = 0; i < a.containers.size(); ++i) {
    ContainerMove& m = a.containers[i];
    m.container_number = common::NormalizeContainerNumber(m.container_number);
    if (const absl::Status valid = common::ValidateContainerNumber(m.container_number); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("appointment.containers[", i, "]: ", valid.message()));
    }
    if (Contains(seen, m.container_number)) {
      return absl::InvalidArgumentError(
          absl::StrCat("appointment.containers[", i, "]: ", m.container_number, " is listed twice"));
    }
    seen.push_back(m.container_number);
  }
  Outcome<Appointment> out;
  const auto existing = appointments_.find(a.id);
  if (existing != appointments_.end()) {
    const Appointment& e = existing->second;
    // A terminal system retrying, or re-sending yesterday's pre-advice: nothing changes, and
    // a used or cancelled booking stays so.
    if (e.SameBooking(a)) {
      out.result = e;
      return out;
    }
    if (e.used) {
      return absl::FailedPreconditionError(absl::StrCat("appointment ", a.id, " was used by visit ", e.visit_id,
                                                        ": a changed booking needs a new appointment id"));
    }
    if (e.cancelled) {
      return absl::FailedPreconditionError(
          absl::StrCat("appointment ", a.id, " was cancelled: a new booking needs a new appointment id"));
    }
    a.visit_id = e.visit_id;  // an open visit's ALLOW stays with it
  }
  a.cancelled = false;
  a.used = false;
  a.updated_at = clock_->Now();
  out.change.writes.appointments.push_back(a);
  out.change.events.push_back(NewEvent("", "", AppointmentChanged{a.id, AppointmentChange::kUpserted}));
  out.result = std::move(a);
  Apply(out.change.writes);
  return out;
}

absl::StatusOr<Outcome<Appointment>> GateCore::CancelAppointment(const std::string& appointment_id) {
  if (appointment_id.empty()) return absl::InvalidArgumentError("appointment_id is required");
  const auto it = appointments_.find(appointment_id);
  if (it == appointments_.end()) return absl::NotFoundError(absl::StrCat("no appointment '", appointment_id, "'"));
  Outcome<Appointment> out;
  if (it->second.cancelled) {
    out.result = it->second;
    return out;
  }
  if (it->second.used) {
    return absl::FailedPreconditionError(
        absl::StrCat("appointment ", appointment_id, " was used by visit ", it->second.visit_id, ": too late to cancel"));
  }
  const absl::Time now = clock_->Now();
  // A truck holding the appointment's ALLOW loses it with the booking.
  if (const auto v = visits_.find(it->second.visit_id);
      v != visits_.end() && v->second.decision == Verdict::kOpen && !v->second.passed) {
    CancelledAllow(v->second, "terminal-system", now, &out.change);
    out.change.effects.push_back(gate::CloseBarrier{v->second.lane_id, v->first, "appointment cancelled"});
  }
  Appointment a = it->second;
  a.cancelled = true;
  a.visit_id.clear();
  a.updated_at = now;
  out.change.writes.appointments.push_back(a);
  out.change.events.push_back(NewEvent("", "", AppointmentChanged{a.id, AppointmentChange::kCancelled}));
  out.result = std::move(a);
  Apply(out.change.writes);
  return out;
}

absl::StatusOr<Outcome<CustomsRecord>> GateCore::SetCustomsStatus(const std::string& container_number,
                                                                  CustomsStatus status) {
  const std::string number = common::NormalizeContainerNumber(container_number);
  if (const absl::Status valid = common::ValidateContainerNumber(number); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("container_number: ", valid.message()));
  }
  if (status != CustomsStatus::kReleased && status != CustomsStatus::kHeld && status != CustomsStatus::kInspection) {
    return absl::InvalidArgumentError("status is required (RELEASED, HELD or INSPECTION)");
  }
  const absl::Time now = clock_->Now();
  Outcome<CustomsRecord> out;
  out.result = CustomsRecord{number, status, now};
  out.change.writes.customs.push_back(out.result);
  out.change.events.push_back(NewEvent("", "", CustomsStatusChanged{number, status}));
  // A box customs now holds does not pass on an ALLOW given before.
  if (!ClearsTheBox(status)) {
    for (const auto& [id, v] : visits_) {
      if (v.decision != Verdict::kOpen || v.passed) continue;
      const bool on_visit = std::any_of(v.transactions.begin(), v.transactions.end(),
                                        [&](const Transaction& t) { return t.container_number == number; }) ||
                            Contains(NumbersOf(v), number);
      if (!on_visit) continue;
      CancelledAllow(v, "customs", now, &out.change);
      out.change.effects.push_back(gate::CloseBarrier{v.lane_id, id, absl::StrCat("customs ", CustomsStatusName(status))});
    }
  }
  Apply(out.change.writes);
  return out;
}

// ---------------------------------------------------------------------------------------
// Trouble desk

absl::StatusOr<Outcome<Visit>> GateCore::ResolveTrouble(const ClerkResolution& r) {
  if (r.visit_id.empty()) return absl::InvalidArgumentError("visit_id is required");
  if (r.clerk_id.empty()) return absl::InvalidArgumentError("clerk_id is required");
  if (r.action != ClerkAction::kCorrect && r.action != ClerkAction::kApprove && r.action != ClerkAction::kReject) {
    return absl::InvalidArgumentError("action is required (CORRECT, APPROVE or REJECT)");
  }
  if (r.action == ClerkAction::kCorrect && r.corrected_plate.empty() && r.corrected_containers.empty()) {
    return absl::InvalidArgumentError("CORRECT needs corrected_plate or corrected_container_numbers");
  }
  for (const std::string& n : r.corrected_containers) {
    const std::string normalized = common::NormalizeContainerNumber(n);
    if (normalized.size() != 11 || !common::ComputeCheckDigit(normalized).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrected_container_numbers: '", n, "' is not a container number"));
    }
  }
  const auto it = visits_.find(r.visit_id);
  if (it == visits_.end()) return absl::NotFoundError(absl::StrCat("no open visit '", r.visit_id, "'"));
  const Visit& before = it->second;
  if (before.decision == Verdict::kDeny) {
    return absl::FailedPreconditionError(absl::StrCat("visit ", r.visit_id, " is DENY: a denial is final"));
  }
  if (before.decision != Verdict::kTrouble || before.passed) {
    return absl::FailedPreconditionError(absl::StrCat("visit ", r.visit_id, " is ", VerdictName(before.decision),
                                                      before.passed ? " and passed" : "",
                                                      ", not an open trouble visit"));
  }
  const absl::Time now = clock_->Now();
  Visit v = before;
  if (!r.corrected_plate.empty()) {
    FieldRead plate;
    plate.text = common::NormalizePlate(r.corrected_plate);
    plate.confidence = 1.0;
    plate.source = "clerk";
    v.plate = plate;
    v.other_plates.clear();
  }
  if (!r.corrected_containers.empty()) {
    v.containers.clear();
    for (const std::string& n : r.corrected_containers) {
      FieldRead c;
      c.text = common::NormalizeContainerNumber(n);
      c.confidence = 1.0;
      c.source = "clerk";
      c.check_digit_ok = common::ValidateContainerNumber(c.text).ok();
      v.containers.push_back(c);
    }
  }
  // Every resolution is decided again, on today's customs, seal and lane state.
  DecisionOutcome outcome = DecideVisit(v, now);
  const bool checks_passed = outcome.verdict == Verdict::kOpen;
  std::string overridden;
  switch (r.action) {
    case ClerkAction::kApprove: {
      std::vector<Reason> refused;
      for (const Reason& reason : outcome.reasons) {
        if (!ClerkMayOverride(reason.code, options_.policy)) refused.push_back(reason);
      }
      if (!refused.empty()) {
        std::vector<std::string> why;
        for (const Reason& reason : refused) why.push_back(absl::StrCat(ReasonCodeName(reason.code), " (", reason.detail, ")"));
        return absl::FailedPreconditionError(absl::StrCat("a clerk's approval cannot override ",
                                                          absl::StrJoin(why, "; ")));
      }
      if (outcome.verdict == Verdict::kDeny) {
        return absl::FailedPreconditionError("a clerk's approval cannot override a denial");
      }
      overridden = ReasonList(outcome.reasons);
      outcome.reasons.clear();
      outcome.verdict = Verdict::kOpen;
      outcome.message_zh = "工作人员已放行，请通行";
      outcome.message_en = "Approved by the gate office, please proceed";
      break;
    }
    case ClerkAction::kReject:
      outcome.verdict = Verdict::kDeny;
      outcome.reasons.push_back({ReasonCode::kClerkRejected, r.clerk_id, r.comment});
      std::tie(outcome.message_zh, outcome.message_en) = DriverMessage(ReasonCode::kClerkRejected);
      break;
    case ClerkAction::kCorrect:
    case ClerkAction::kUnspecified:
      break;
  }
  Outcome<Visit> out;
  ApplyOutcome(outcome, r.clerk_id, &v);
  v.assistance_requested = false;
  // Only a decision with nothing wrong verifies seals; an approval does not (an unlock then
  // needs an officer).
  if (v.decision == Verdict::kOpen) AddOpenEffects(&v, outcome, checks_passed, now, &out.change);
  out.change.writes.visits.push_back(v);
  AddVisitDecided(v, &out.change);
  const char* action = r.action == ClerkAction::kApprove ? "APPROVE" : r.action == ClerkAction::kReject ? "REJECT" : "CORRECT";
  std::string after = DescribeVisit(v);
  if (!overridden.empty()) absl::StrAppend(&after, " overriding ", overridden);
  out.change.writes.audit.push_back(AuditRecord{0, now, r.clerk_id, action, v.id, DescribeVisit(before), after, r.comment});
  out.result = std::move(v);
  Apply(out.change.writes);
  return out;
}

// ---------------------------------------------------------------------------------------
// Reads

std::optional<Visit> GateCore::FindVisit(const std::string& visit_id) const {
  const auto it = visits_.find(visit_id);
  if (it == visits_.end()) return std::nullopt;
  return it->second;
}

std::optional<Appointment> GateCore::FindAppointment(const std::string& appointment_id) const {
  const auto it = appointments_.find(appointment_id);
  if (it == appointments_.end()) return std::nullopt;
  return it->second;
}

std::vector<Appointment> GateCore::ListAppointments(const AppointmentFilter& filter) const {
  std::vector<Appointment> out;
  for (auto it = appointments_.upper_bound(filter.after_id);
       it != appointments_.end() && static_cast<int>(out.size()) < filter.limit; ++it) {
    const Appointment& a = it->second;
    if (!filter.plate.empty() && a.plate != filter.plate && a.second_plate != filter.plate) continue;
    if (filter.open_only && (a.cancelled || a.used)) continue;
    out.push_back(a);
  }
  return out;
}

std::vector<Visit> GateCore::DeskVisits(const std::string& lane_id) const {
  std::vector<Visit> out;
  for (const auto& [id, v] : visits_) {
    if (!lane_id.empty() && v.lane_id != lane_id) continue;
    if (v.passed) continue;
    if (v.decision == Verdict::kTrouble || v.assistance_requested) out.push_back(v);
  }
  return out;
}

void GateCore::ExpectedAt(const std::string& lane_id, std::vector<std::string>* plates,
                          std::vector<std::string>* containers) const {
  const LaneInfo* lane = FindLane(lane_id);
  if (lane == nullptr) return;
  const absl::Time now = clock_->Now();
  for (const auto& [id, a] : appointments_) {
    if (a.cancelled || a.used || a.direction != lane->direction) continue;
    if (now < a.window_start || now > a.window_end) continue;
    plates->push_back(a.plate);
    if (!a.second_plate.empty()) plates->push_back(a.second_plate);
    for (const ContainerMove& m : a.containers) {
      if (ContainerOnTruck(m.transaction_type, lane->direction)) containers->push_back(m.container_number);
    }
  }
}

}  // namespace yardgate::gate
