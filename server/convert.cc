#include "server/convert.h"

#include "absl/strings/str_cat.h"
#include "yardgate/v1/common.pb.h"

namespace yardgate::server {
namespace {

// Every domain enum value equals its wire value, so stored rows keep their meaning and a cast
// between checked values is exact. One assert per value: a renumbering fails the build.
#define YG_SAME(domain, wire) static_assert(static_cast<int>(domain) == static_cast<int>(wire), #domain)
YG_SAME(gate::Direction::kUnspecified, v1::DIRECTION_UNSPECIFIED);
YG_SAME(gate::Direction::kIn, v1::DIRECTION_IN);
YG_SAME(gate::Direction::kOut, v1::DIRECTION_OUT);
YG_SAME(gate::Stage::kUnspecified, v1::STAGE_UNSPECIFIED);
YG_SAME(gate::Stage::kPreGate, v1::STAGE_PRE_GATE);
YG_SAME(gate::Stage::kInGate, v1::STAGE_IN_GATE);
YG_SAME(gate::Stage::kOutGate, v1::STAGE_OUT_GATE);
YG_SAME(gate::TransactionType::kUnspecified, v1::TRANSACTION_TYPE_UNSPECIFIED);
YG_SAME(gate::TransactionType::kReceiveExport, v1::TRANSACTION_TYPE_RECEIVE_EXPORT);
YG_SAME(gate::TransactionType::kReceiveImport, v1::TRANSACTION_TYPE_RECEIVE_IMPORT);
YG_SAME(gate::TransactionType::kReceiveEmpty, v1::TRANSACTION_TYPE_RECEIVE_EMPTY);
YG_SAME(gate::TransactionType::kDeliverImport, v1::TRANSACTION_TYPE_DELIVER_IMPORT);
YG_SAME(gate::TransactionType::kDeliverExport, v1::TRANSACTION_TYPE_DELIVER_EXPORT);
YG_SAME(gate::TransactionType::kDeliverEmpty, v1::TRANSACTION_TYPE_DELIVER_EMPTY);
YG_SAME(gate::TransactionType::kReceiveChassis, v1::TRANSACTION_TYPE_RECEIVE_CHASSIS);
YG_SAME(gate::TransactionType::kDeliverChassis, v1::TRANSACTION_TYPE_DELIVER_CHASSIS);
YG_SAME(gate::Verdict::kUnspecified, v1::DECISION_UNSPECIFIED);
YG_SAME(gate::Verdict::kOpen, v1::DECISION_OPEN);
YG_SAME(gate::Verdict::kTrouble, v1::DECISION_TROUBLE);
YG_SAME(gate::Verdict::kDeny, v1::DECISION_DENY);
YG_SAME(gate::ReasonCode::kUnspecified, v1::REASON_CODE_UNSPECIFIED);
YG_SAME(gate::ReasonCode::kNoPlate, v1::REASON_CODE_NO_PLATE);
YG_SAME(gate::ReasonCode::kNoContainer, v1::REASON_CODE_NO_CONTAINER);
YG_SAME(gate::ReasonCode::kCheckDigitFailed, v1::REASON_CODE_CHECK_DIGIT_FAILED);
YG_SAME(gate::ReasonCode::kNoAppointment, v1::REASON_CODE_NO_APPOINTMENT);
YG_SAME(gate::ReasonCode::kContainerNotExpected, v1::REASON_CODE_CONTAINER_NOT_EXPECTED);
YG_SAME(gate::ReasonCode::kContainerMissing, v1::REASON_CODE_CONTAINER_MISSING);
YG_SAME(gate::ReasonCode::kOutsideTimeWindow, v1::REASON_CODE_OUTSIDE_TIME_WINDOW);
YG_SAME(gate::ReasonCode::kLowConfidence, v1::REASON_CODE_LOW_CONFIDENCE);
YG_SAME(gate::ReasonCode::kCustomsHold, v1::REASON_CODE_CUSTOMS_HOLD);
YG_SAME(gate::ReasonCode::kCustomsInspection, v1::REASON_CODE_CUSTOMS_INSPECTION);
YG_SAME(gate::ReasonCode::kCustomsNotReleased, v1::REASON_CODE_CUSTOMS_NOT_RELEASED);
YG_SAME(gate::ReasonCode::kSealMissing, v1::REASON_CODE_SEAL_MISSING);
YG_SAME(gate::ReasonCode::kSealAlarm, v1::REASON_CODE_SEAL_ALARM);
YG_SAME(gate::ReasonCode::kSealMismatch, v1::REASON_CODE_SEAL_MISMATCH);
YG_SAME(gate::ReasonCode::kSealNotArrived, v1::REASON_CODE_SEAL_NOT_ARRIVED);
YG_SAME(gate::ReasonCode::kRiskInspection, v1::REASON_CODE_RISK_INSPECTION);
YG_SAME(gate::ReasonCode::kLaneFault, v1::REASON_CODE_LANE_FAULT);
YG_SAME(gate::ReasonCode::kConflictingReads, v1::REASON_CODE_CONFLICTING_READS);
YG_SAME(gate::ReasonCode::kAssistanceRequested, v1::REASON_CODE_ASSISTANCE_REQUESTED);
YG_SAME(gate::ReasonCode::kClerkRejected, v1::REASON_CODE_CLERK_REJECTED);
YG_SAME(gate::ReasonCode::kBlacklisted, v1::REASON_CODE_BLACKLISTED);
YG_SAME(gate::ReasonCode::kPlateMismatch, v1::REASON_CODE_PLATE_MISMATCH);
YG_SAME(gate::ReasonCode::kAppointmentInUse, v1::REASON_CODE_APPOINTMENT_IN_USE);
YG_SAME(gate::ReasonCode::kAllowCancelled, v1::REASON_CODE_ALLOW_CANCELLED);
YG_SAME(gate::ReasonCode::kUnknownValue, v1::REASON_CODE_UNKNOWN_VALUE);
YG_SAME(gate::CustomsStatus::kUnknown, v1::CUSTOMS_STATUS_UNSPECIFIED);
YG_SAME(gate::CustomsStatus::kReleased, v1::CUSTOMS_STATUS_RELEASED);
YG_SAME(gate::CustomsStatus::kHeld, v1::CUSTOMS_STATUS_HELD);
YG_SAME(gate::CustomsStatus::kInspection, v1::CUSTOMS_STATUS_INSPECTION);
YG_SAME(gate::BarrierState::kNone, v1::BARRIER_STATE_UNSPECIFIED);
YG_SAME(gate::BarrierState::kOpenRequested, v1::BARRIER_STATE_OPEN_REQUESTED);
YG_SAME(gate::BarrierState::kOpened, v1::BARRIER_STATE_OPENED);
YG_SAME(gate::BarrierState::kOpenFailed, v1::BARRIER_STATE_OPEN_FAILED);
YG_SAME(gate::BarrierState::kPassed, v1::BARRIER_STATE_PASSED);
YG_SAME(gate::BarrierState::kCancelled, v1::BARRIER_STATE_CANCELLED);
YG_SAME(gate::SealStateCode::kNone, v1::SEAL_STATE_UNSPECIFIED);
YG_SAME(gate::SealStateCode::kApplied, v1::SEAL_STATE_APPLIED);
YG_SAME(gate::SealStateCode::kInTransit, v1::SEAL_STATE_IN_TRANSIT);
YG_SAME(gate::SealStateCode::kArrived, v1::SEAL_STATE_ARRIVED);
YG_SAME(gate::SealStateCode::kVerified, v1::SEAL_STATE_VERIFIED);
YG_SAME(gate::SealStateCode::kUnlocked, v1::SEAL_STATE_UNLOCKED);
YG_SAME(gate::SealStateCode::kRemoved, v1::SEAL_STATE_REMOVED);
YG_SAME(gate::SealStateCode::kAlarm, v1::SEAL_STATE_ALARM);
YG_SAME(gate::AppointmentChange::kUnspecified, v1::APPOINTMENT_CHANGE_UNSPECIFIED);
YG_SAME(gate::AppointmentChange::kUpserted, v1::APPOINTMENT_CHANGE_UPSERTED);
YG_SAME(gate::AppointmentChange::kCancelled, v1::APPOINTMENT_CHANGE_CANCELLED);
YG_SAME(gate::AppointmentChange::kUsed, v1::APPOINTMENT_CHANGE_USED);
YG_SAME(gate::BarrierCommand::kUnspecified, v1::BARRIER_COMMAND_UNSPECIFIED);
YG_SAME(gate::BarrierCommand::kOpen, v1::BARRIER_COMMAND_OPEN);
YG_SAME(gate::BarrierCommand::kClose, v1::BARRIER_COMMAND_CLOSE);
YG_SAME(gate::BarrierCommand::kFaultReset, v1::BARRIER_COMMAND_FAULT_RESET);
#undef YG_SAME

// The wire's largest values, so that a new wire value without a domain twin fails the build too.
static_assert(v1::Direction_MAX == v1::DIRECTION_OUT);
static_assert(v1::TransactionType_MAX == v1::TRANSACTION_TYPE_DELIVER_CHASSIS);
static_assert(v1::Decision_MAX == v1::DECISION_DENY);
static_assert(v1::ReasonCode_MAX == v1::REASON_CODE_UNKNOWN_VALUE);
static_assert(v1::CustomsStatus_MAX == v1::CUSTOMS_STATUS_INSPECTION);
static_assert(v1::BarrierState_MAX == v1::BARRIER_STATE_CANCELLED);
static_assert(v1::SealState_MAX == v1::SEAL_STATE_ALARM);
static_assert(v1::Stage_MAX == v1::STAGE_OUT_GATE);

absl::Status Unknown(absl::string_view field, int value, absl::string_view known) {
  return absl::InvalidArgumentError(absl::StrCat(field, " = ", value, " is not a value this server knows (", known, ")"));
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range google.protobuf.Timestamp allows.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

}  // namespace

absl::StatusOr<gate::Direction> DirectionFromWire(int value, absl::string_view field) {
  if (!v1::Direction_IsValid(value)) return Unknown(field, value, "DIRECTION_IN, DIRECTION_OUT");
  return static_cast<gate::Direction>(value);
}

absl::StatusOr<gate::TransactionType> TransactionTypeFromWire(int value, absl::string_view field) {
  if (!v1::TransactionType_IsValid(value)) return Unknown(field, value, "TRANSACTION_TYPE_*, 0 to 8");
  return static_cast<gate::TransactionType>(value);
}

absl::StatusOr<gate::CustomsStatus> CustomsStatusFromWire(int value, absl::string_view field) {
  if (!v1::CustomsStatus_IsValid(value)) return Unknown(field, value, "RELEASED, HELD, INSPECTION");
  return static_cast<gate::CustomsStatus>(value);
}

absl::Status CheckCameraPosition(int value, absl::string_view field) {
  if (!v1::CameraPosition_IsValid(value)) return Unknown(field, value, "CAMERA_POSITION_*, 0 to 5");
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> TimeFromWire(const google::protobuf::Timestamp& t, absl::string_view field) {
  if (t.seconds() == 0 && t.nanos() == 0) return absl::InfinitePast();
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 || t.nanos() > 999'999'999) {
    return absl::InvalidArgumentError(absl::StrCat(field, " (", t.seconds(), " s, ", t.nanos(),
                                                   " ns) is not a valid time: seconds within years 1-9999, "
                                                   "nanos within [0, 999999999]"));
  }
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp TimeToWire(absl::Time t) {
  google::protobuf::Timestamp out;
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return out;
  const int64_t micros = absl::ToUnixMicros(t);
  out.set_seconds(micros >= 0 ? micros / 1'000'000 : -((-micros + 999'999) / 1'000'000));
  out.set_nanos(static_cast<int32_t>((micros - out.seconds() * 1'000'000) * 1000));
  return out;
}

absl::StatusOr<gate::Appointment> AppointmentFromWire(const v1::Appointment& a) {
  gate::Appointment out;
  out.id = a.appointment_id();
  out.plate = a.plate();
  out.second_plate = a.second_plate();
  absl::StatusOr<gate::Direction> direction = DirectionFromWire(a.direction(), "appointment.direction");
  if (!direction.ok()) return direction.status();
  out.direction = *direction;
  for (int i = 0; i < a.containers_size(); ++i) {
    const v1::ContainerMove& m = a.containers(i);
    absl::StatusOr<gate::TransactionType> type =
        TransactionTypeFromWire(m.transaction_type(), absl::StrCat("appointment.containers[", i, "].transaction_type"));
    if (!type.ok()) return type.status();
    out.containers.push_back({m.container_number(), *type, m.iso_type(), m.seal_id(), m.customs_release_required()});
  }
  absl::StatusOr<absl::Time> start = TimeFromWire(a.window_start(), "appointment.window_start");
  if (!start.ok()) return start.status();
  absl::StatusOr<absl::Time> end = TimeFromWire(a.window_end(), "appointment.window_end");
  if (!end.ok()) return end.status();
  out.window_start = *start;
  out.window_end = *end == absl::InfinitePast() ? absl::InfiniteFuture() : *end;
  out.company = a.company();
  return out;
}

namespace {

void ReasonsToWire(const std::vector<gate::Reason>& reasons, google::protobuf::RepeatedPtrField<v1::Reason>* out) {
  for (const gate::Reason& r : reasons) {
    v1::Reason* reason = out->Add();
    reason->set_code(static_cast<v1::ReasonCode>(r.code));
    reason->set_subject(r.subject);
    reason->set_detail(r.detail);
  }
}

std::vector<gate::Reason> ReasonsFromStored(const google::protobuf::RepeatedPtrField<v1::Reason>& reasons) {
  std::vector<gate::Reason> out;
  for (const v1::Reason& r : reasons) out.push_back({static_cast<gate::ReasonCode>(r.code()), r.subject(), r.detail()});
  return out;
}

}  // namespace

v1::FieldRead FieldReadToWire(const gate::FieldRead& r) {
  v1::FieldRead out;
  out.set_text(r.text);
  out.set_confidence(r.confidence);
  out.set_source(r.source);
  out.set_check_digit_ok(r.check_digit_ok);
  out.set_settled(r.settled);
  out.set_doubt(r.doubt);
  out.set_settled_detail(r.settled_detail);
  return out;
}

gate::FieldRead FieldReadFromWire(const v1::FieldRead& r) {
  gate::FieldRead out;
  out.text = r.text();
  out.confidence = r.confidence();
  out.source = r.source();
  out.check_digit_ok = r.check_digit_ok();
  out.settled = r.settled();
  out.doubt = r.doubt();
  out.settled_detail = r.settled_detail();
  return out;
}

v1::Visit VisitToWire(const gate::Visit& v) {
  v1::Visit out;
  out.set_visit_id(v.id);
  out.set_lane_id(v.lane_id);
  out.set_direction(static_cast<v1::Direction>(v.direction));
  *out.mutable_arrived_at() = TimeToWire(v.arrived_at);
  if (!v.plate.text.empty()) *out.mutable_plate() = FieldReadToWire(v.plate);
  for (const gate::FieldRead& p : v.other_plates) *out.add_other_plates() = FieldReadToWire(p);
  for (const gate::FieldRead& c : v.containers) *out.add_containers() = FieldReadToWire(c);
  out.set_decision(static_cast<v1::Decision>(v.decision));
  ReasonsToWire(v.reasons, out.mutable_reasons());
  out.set_appointment_id(v.appointment_id);
  out.set_driver_message_zh(v.driver_message_zh);
  out.set_driver_message_en(v.driver_message_en);
  out.set_passed(v.passed);
  if (v.passed_at != absl::InfinitePast()) *out.mutable_passed_at() = TimeToWire(v.passed_at);
  out.set_decided_by(v.decided_by);
  for (const gate::Transaction& t : v.transactions) {
    v1::Transaction* tx = out.add_transactions();
    tx->set_container_number(t.container_number);
    tx->set_transaction_type(static_cast<v1::TransactionType>(t.transaction_type));
    tx->set_on_truck(t.on_truck);
    tx->set_seen(t.seen);
  }
  out.set_stage(static_cast<v1::Stage>(v.stage));
  for (const gate::StagePass& s : v.stages) {
    v1::StagePass* pass = out.add_stages();
    pass->set_stage(static_cast<v1::Stage>(s.stage));
    pass->set_lane_id(s.lane_id);
    *pass->mutable_at() = TimeToWire(s.at);
    pass->set_decision(static_cast<v1::Decision>(s.decision));
  }
  out.set_barrier_state(static_cast<v1::BarrierState>(v.barrier));
  out.set_barrier_detail(v.barrier_detail);
  out.set_assistance_requested(v.assistance_requested);
  out.set_completed(v.completed);
  return out;
}

gate::Visit VisitFromStored(const v1::Visit& v) {
  gate::Visit out;
  out.id = v.visit_id();
  out.lane_id = v.lane_id();
  out.direction = static_cast<gate::Direction>(v.direction());
  out.arrived_at = TimeFromWire(v.arrived_at(), "").value_or(absl::InfinitePast());
  if (v.has_plate()) out.plate = FieldReadFromWire(v.plate());
  for (const v1::FieldRead& p : v.other_plates()) out.other_plates.push_back(FieldReadFromWire(p));
  for (const v1::FieldRead& c : v.containers()) out.containers.push_back(FieldReadFromWire(c));
  out.decision = static_cast<gate::Verdict>(v.decision());
  out.reasons = ReasonsFromStored(v.reasons());
  out.appointment_id = v.appointment_id();
  out.driver_message_zh = v.driver_message_zh();
  out.driver_message_en = v.driver_message_en();
  out.passed = v.passed();
  out.passed_at = TimeFromWire(v.passed_at(), "").value_or(absl::InfinitePast());
  out.decided_by = v.decided_by();
  for (const v1::Transaction& t : v.transactions()) {
    out.transactions.push_back(
        {t.container_number(), static_cast<gate::TransactionType>(t.transaction_type()), t.on_truck(), t.seen()});
  }
  out.stage = static_cast<gate::Stage>(v.stage());
  for (const v1::StagePass& s : v.stages()) {
    out.stages.push_back({static_cast<gate::Stage>(s.stage()), s.lane_id(),
                          TimeFromWire(s.at(), "").value_or(absl::InfinitePast()),
                          static_cast<gate::Verdict>(s.decision())});
  }
  out.barrier = static_cast<gate::BarrierState>(v.barrier_state());
  out.barrier_detail = v.barrier_detail();
  out.assistance_requested = v.assistance_requested();
  // Visits stored before `completed` existed: an out-gate passage completed them.
  out.completed = v.completed() || (v.passed() && v.stage() == v1::STAGE_OUT_GATE);
  // Visits stored before the barrier state existed: an OPEN one was opened (or passed).
  if (out.barrier == gate::BarrierState::kNone && out.decision == gate::Verdict::kOpen) {
    out.barrier = out.passed ? gate::BarrierState::kPassed : gate::BarrierState::kOpened;
  }
  return out;
}

v1::Appointment AppointmentToWire(const gate::Appointment& a) {
  v1::Appointment out;
  out.set_appointment_id(a.id);
  out.set_plate(a.plate);
  out.set_second_plate(a.second_plate);
  out.set_direction(static_cast<v1::Direction>(a.direction));
  for (const gate::ContainerMove& m : a.containers) {
    v1::ContainerMove* move = out.add_containers();
    move->set_container_number(m.container_number);
    move->set_transaction_type(static_cast<v1::TransactionType>(m.transaction_type));
    move->set_iso_type(m.iso_type);
    move->set_seal_id(m.seal_id);
    move->set_customs_release_required(m.customs_release_required);
  }
  if (a.window_start != absl::InfinitePast()) *out.mutable_window_start() = TimeToWire(a.window_start);
  if (a.window_end != absl::InfiniteFuture()) *out.mutable_window_end() = TimeToWire(a.window_end);
  out.set_cancelled(a.cancelled);
  out.set_used(a.used);
  out.set_company(a.company);
  out.set_visit_id(a.visit_id);
  if (a.updated_at != absl::InfinitePast()) *out.mutable_updated_at() = TimeToWire(a.updated_at);
  return out;
}

gate::Appointment AppointmentFromStored(const v1::Appointment& a) {
  gate::Appointment out;
  out.id = a.appointment_id();
  out.plate = a.plate();
  out.second_plate = a.second_plate();
  out.direction = static_cast<gate::Direction>(a.direction());
  for (const v1::ContainerMove& m : a.containers()) {
    out.containers.push_back({m.container_number(), static_cast<gate::TransactionType>(m.transaction_type()),
                              m.iso_type(), m.seal_id(), m.customs_release_required()});
  }
  out.window_start = TimeFromWire(a.window_start(), "").value_or(absl::InfinitePast());
  const absl::Time end = TimeFromWire(a.window_end(), "").value_or(absl::InfinitePast());
  out.window_end = end == absl::InfinitePast() ? absl::InfiniteFuture() : end;
  out.company = a.company();
  out.cancelled = a.cancelled();
  out.used = a.used();
  out.visit_id = a.visit_id();
  out.updated_at = TimeFromWire(a.updated_at(), "").value_or(absl::InfinitePast());
  return out;
}

namespace {

struct PayloadToWire {
  v1::Event* e;
  void operator()(const gate::VisitDecided& d) const {
    v1::VisitDecided* out = e->mutable_visit_decided();
    out->set_decision(static_cast<v1::Decision>(d.decision));
    ReasonsToWire(d.reasons, out->mutable_reasons());
    out->set_plate(d.plate);
    for (const std::string& c : d.container_numbers) out->add_container_numbers(c);
    out->set_appointment_id(d.appointment_id);
    out->set_decided_by(d.decided_by);
  }
  void operator()(const gate::TruckPassed& p) const {
    e->mutable_truck_passed()->set_direction(static_cast<v1::Direction>(p.direction));
    e->mutable_truck_passed()->set_reported_by(p.reported_by);
  }
  void operator()(const gate::AssistanceRequested& a) const { e->mutable_assistance_requested()->set_message(a.message); }
  void operator()(const gate::SealChanged& s) const {
    v1::SealChanged* out = e->mutable_seal_changed();
    out->set_seal_id(s.seal_id);
    out->set_from(static_cast<v1::SealState>(s.from));
    out->set_to(static_cast<v1::SealState>(s.to));
    out->set_cause(s.cause);
    out->set_source(s.source);
    out->set_refused(s.refused);
    out->set_detail(s.detail);
  }
  void operator()(const gate::AppointmentChanged& a) const {
    e->mutable_appointment_changed()->set_appointment_id(a.appointment_id);
    e->mutable_appointment_changed()->set_change(static_cast<v1::AppointmentChange>(a.change));
  }
  void operator()(const gate::CustomsStatusChanged& c) const {
    e->mutable_customs_status_changed()->set_container_number(c.container_number);
    e->mutable_customs_status_changed()->set_status(static_cast<v1::CustomsStatus>(c.status));
  }
  void operator()(const gate::BarrierChanged& b) const {
    e->mutable_barrier_changed()->set_command(static_cast<v1::BarrierCommand>(b.command));
    e->mutable_barrier_changed()->set_ok(b.ok);
    e->mutable_barrier_changed()->set_detail(b.detail);
  }
  void operator()(const gate::LaneFaultRaised& f) const {
    e->mutable_lane_fault()->set_detail(f.detail);
    e->mutable_lane_fault()->set_cleared(f.cleared);
  }
  void operator()(const gate::ContainerReturned& r) const {
    e->mutable_container_returned()->set_container_number(r.container_number);
    e->mutable_container_returned()->set_transaction_type(static_cast<v1::TransactionType>(r.transaction_type));
  }
  void operator()(const gate::DeviceReported& d) const {
    v1::DeviceReport* out = e->mutable_device_report();
    out->set_device_id(d.device_id);
    out->set_seal_id(d.seal_id);
    out->set_latitude(d.latitude);
    out->set_longitude(d.longitude);
    for (const std::string& a : d.alarms) out->add_alarms(a);
    out->set_lock_state(d.lock_state);
  }
  void operator()(const gate::SecurityAlarmRaised& a) const {
    v1::SecurityAlarm* out = e->mutable_security_alarm();
    out->set_kind(a.kind);
    out->set_device_id(a.device_id);
    out->set_peer(a.peer);
    out->set_detail(a.detail);
  }
};

}  // namespace

v1::Event EventToWire(const gate::Event& e) {
  v1::Event out;
  out.set_sequence(e.sequence);
  *out.mutable_time() = TimeToWire(e.logged_at);
  if (e.occurred_at != absl::InfinitePast()) *out.mutable_occurred_at() = TimeToWire(e.occurred_at);
  out.set_lane_id(e.lane_id);
  out.set_visit_id(e.visit_id);
  std::visit(PayloadToWire{&out}, e.payload);
  return out;
}

gate::Event EventFromStored(const v1::Event& e) {
  gate::Event out;
  out.sequence = e.sequence();
  out.logged_at = TimeFromWire(e.time(), "").value_or(absl::InfinitePast());
  out.occurred_at = TimeFromWire(e.occurred_at(), "").value_or(absl::InfinitePast());
  out.lane_id = e.lane_id();
  out.visit_id = e.visit_id();
  switch (e.payload_case()) {
    case v1::Event::kVisitDecided: {
      gate::VisitDecided d;
      d.decision = static_cast<gate::Verdict>(e.visit_decided().decision());
      d.reasons = ReasonsFromStored(e.visit_decided().reasons());
      d.plate = e.visit_decided().plate();
      d.container_numbers.assign(e.visit_decided().container_numbers().begin(),
                                 e.visit_decided().container_numbers().end());
      d.appointment_id = e.visit_decided().appointment_id();
      d.decided_by = e.visit_decided().decided_by();
      out.payload = std::move(d);
      break;
    }
    case v1::Event::kTruckPassed:
      out.payload = gate::TruckPassed{static_cast<gate::Direction>(e.truck_passed().direction()),
                                      e.truck_passed().reported_by()};
      break;
    case v1::Event::kAssistanceRequested:
      out.payload = gate::AssistanceRequested{e.assistance_requested().message()};
      break;
    case v1::Event::kSealChanged: {
      const v1::SealChanged& s = e.seal_changed();
      out.payload = gate::SealChanged{s.seal_id(), static_cast<gate::SealStateCode>(s.from()),
                                      static_cast<gate::SealStateCode>(s.to()), s.cause(), s.source(), s.refused(),
                                      s.detail()};
      break;
    }
    case v1::Event::kAppointmentChanged:
      out.payload = gate::AppointmentChanged{e.appointment_changed().appointment_id(),
                                             static_cast<gate::AppointmentChange>(e.appointment_changed().change())};
      break;
    case v1::Event::kCustomsStatusChanged:
      out.payload = gate::CustomsStatusChanged{e.customs_status_changed().container_number(),
                                               static_cast<gate::CustomsStatus>(e.customs_status_changed().status())};
      break;
    case v1::Event::kBarrierChanged:
      out.payload = gate::BarrierChanged{static_cast<gate::BarrierCommand>(e.barrier_changed().command()),
                                         e.barrier_changed().ok(), e.barrier_changed().detail()};
      break;
    case v1::Event::kLaneFault:
      out.payload = gate::LaneFaultRaised{e.lane_fault().detail(), e.lane_fault().cleared()};
      break;
    case v1::Event::kContainerReturned:
      out.payload =
          gate::ContainerReturned{e.container_returned().container_number(),
                                  static_cast<gate::TransactionType>(e.container_returned().transaction_type())};
      break;
    case v1::Event::kDeviceReport: {
      const v1::DeviceReport& d = e.device_report();
      out.payload = gate::DeviceReported{d.device_id(), d.seal_id(), d.latitude(), d.longitude(),
                                         {d.alarms().begin(), d.alarms().end()}, d.lock_state()};
      break;
    }
    case v1::Event::kSecurityAlarm: {
      const v1::SecurityAlarm& a = e.security_alarm();
      out.payload = gate::SecurityAlarmRaised{a.kind(), a.device_id(), a.peer(), a.detail()};
      break;
    }
    case v1::Event::PAYLOAD_NOT_SET:
      break;
  }
  return out;
}

v1::AuditRecord AuditToWire(const gate::AuditRecord& a) {
  v1::AuditRecord out;
  out.set_id(a.id);
  *out.mutable_time() = TimeToWire(a.time);
  out.set_actor(a.actor);
  out.set_action(a.action);
  out.set_subject(a.subject);
  out.set_before(a.before);
  out.set_after(a.after);
  out.set_comment(a.comment);
  return out;
}

}  // namespace yardgate::server
