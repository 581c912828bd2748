// The gate's domain vocabulary: truck visits, appointments, customs status, the events the
// gate logs and the effects it asks for. Plain C++ values (no protobuf): server/convert.h maps
// them to and from yardgate.v1, one enum value at a time.
//
// Times are absl::Time; absl::InfinitePast() means "not set". Plates and container numbers are
// held normalised (common::NormalizePlate, common::NormalizeContainerNumber).
//
// Plain value types: safe to copy between threads, not to share while mutated.
#ifndef YARDGATE_GATE_MODEL_H_
#define YARDGATE_GATE_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/time/time.h"

namespace yardgate::gate {

// The numeric values of every enum here equal yardgate.v1's (server/convert.cc checks each with
// a static_assert), so stored rows keep their meaning.

enum class Direction { kUnspecified = 0, kIn = 1, kOut = 2 };

// The order a truck passes the stages of one visit.
enum class Stage { kUnspecified = 0, kPreGate = 1, kInGate = 2, kOutGate = 3 };

enum class TransactionType {
  kUnspecified = 0,
  kReceiveExport = 1,   // RE
  kReceiveImport = 2,   // RI
  kReceiveEmpty = 3,    // RM: the empty comes back (container return)
  kDeliverImport = 4,   // DI: pick-up
  kDeliverExport = 5,   // DE
  kDeliverEmpty = 6,    // DM
  kReceiveChassis = 7,  // RC
  kDeliverChassis = 8,  // DC
};

enum class Verdict { kUnspecified = 0, kOpen = 1, kTrouble = 2, kDeny = 3 };

enum class ReasonCode {
  kUnspecified = 0,
  kNoPlate = 1,
  kNoContainer = 2,
  kCheckDigitFailed = 3,
  kNoAppointment = 4,
  kContainerNotExpected = 5,
  kContainerMissing = 6,
  kOutsideTimeWindow = 7,
  kLowConfidence = 8,
  kCustomsHold = 9,
  kCustomsInspection = 10,
  kCustomsNotReleased = 11,
  kSealMissing = 12,
  kSealAlarm = 13,
  kSealMismatch = 14,
  kSealNotArrived = 15,
  kRiskInspection = 16,
  kLaneFault = 17,
  kConflictingReads = 18,
  kAssistanceRequested = 19,
  kClerkRejected = 20,
  kBlacklisted = 21,
  kPlateMismatch = 22,
  kAppointmentInUse = 23,   // another open visit holds the appointment's ALLOW
  kAllowCancelled = 24,     // an operator cancelled the visit's unused ALLOW
  kUnknownValue = 25,       // an input the gate does not understand (fails closed)
};

enum class CustomsStatus { kUnknown = 0, kReleased = 1, kHeld = 2, kInspection = 3 };

// What the barrier did for a visit's ALLOW.
enum class BarrierState {
  kNone = 0,           // no open was asked for
  kOpenRequested = 1,  // durable OPEN, the open pulse not confirmed yet
  kOpened = 2,         // the open pulse was sent
  kOpenFailed = 3,     // the lane refused or could not open (busy, PLC down, fault)
  kPassed = 4,         // the truck went through; its ALLOW is used up
  kCancelled = 5,      // an operator cancelled the unused ALLOW
};

struct Reason {
  ReasonCode code = ReasonCode::kUnspecified;
  std::string subject;  // the container, plate, seal or lane it is about
  std::string detail;   // for the clerk, in English

  bool operator==(const Reason&) const = default;
};

// One read of a plate or container number, fused from the lane's sources.
struct FieldRead {
  std::string text;
  double confidence = 0;  // [0, 1]: the probability that `text` is exactly right
  std::string source;     // "lane", "ocr", "clerk"
  bool check_digit_ok = false;  // containers only
  // The recogniser filled in characters from an expectation (an appointment), and said which
  // and why.
  bool settled = false;
  std::string settled_detail;
  // Why the recogniser says this read must not act alone, whatever its confidence (a settlement
  // it is not sure of, a look-alike the check digit cannot catch seen by one camera); empty: none.
  std::string doubt;

  bool operator==(const FieldRead&) const = default;
};

struct ContainerMove {
  std::string container_number;
  TransactionType transaction_type = TransactionType::kUnspecified;
  std::string iso_type;
  std::string seal_id;  // the seal it travels under, if any
  bool customs_release_required = false;

  bool operator==(const ContainerMove&) const = default;
};

// A terminal system's pre-advice: this truck, this direction, these boxes, in this window.
struct Appointment {
  std::string id;
  std::string plate;
  // A cross-border truck's second plate (its Hong Kong or Macau plate): a read of either
  // finds the booking.
  std::string second_plate;
  Direction direction = Direction::kUnspecified;
  std::vector<ContainerMove> containers;
  absl::Time window_start = absl::InfinitePast();  // InfinitePast: open from any time
  absl::Time window_end = absl::InfiniteFuture();  // InfiniteFuture: open to any time
  std::string company;  // the haulier or cargo owner, for risk profiles
  bool cancelled = false;
  // Used up: a truck passed on it. Never undone; only a new booking opens a new visit.
  bool used = false;
  // The open visit that holds the appointment's ALLOW (between OPEN and passage), or the one
  // that used it.
  std::string visit_id;
  absl::Time updated_at = absl::InfinitePast();

  // The booking itself, without its life (cancelled, used, holder, time): what a terminal
  // system re-sending the same pre-advice sends again.
  bool SameBooking(const Appointment& other) const;
};

// One container move of a visit, from the appointment it was matched to.
struct Transaction {
  std::string container_number;
  TransactionType transaction_type = TransactionType::kUnspecified;
  bool on_truck = false;  // this move brings the box through this lane on the truck
  bool seen = false;      // and the lane read it

  bool operator==(const Transaction&) const = default;
};

struct StagePass {
  Stage stage = Stage::kUnspecified;
  std::string lane_id;
  absl::Time at = absl::InfinitePast();
  Verdict decision = Verdict::kUnspecified;

  bool operator==(const StagePass&) const = default;
};

// One tractor's visit, from its first stage to its exit.
struct Visit {
  std::string id;  // "V" and ten digits, growing
  std::string lane_id;
  Direction direction = Direction::kUnspecified;
  Stage stage = Stage::kUnspecified;     // where the visit is now
  absl::Time arrived_at = absl::InfinitePast();
  // Every plate the lane saw (a cross-border truck shows two); `plate` is the one matched.
  FieldRead plate;
  std::vector<FieldRead> other_plates;
  std::vector<FieldRead> containers;
  Verdict decision = Verdict::kUnspecified;
  std::vector<Reason> reasons;
  std::string appointment_id;
  std::string driver_message_zh;
  std::string driver_message_en;
  std::string decided_by;  // "gate" or the clerk's id
  std::vector<Transaction> transactions;
  std::vector<StagePass> stages;
  bool passed = false;
  absl::Time passed_at = absl::InfinitePast();
  BarrierState barrier = BarrierState::kNone;
  std::string barrier_detail;
  bool assistance_requested = false;
  // Out-gate passed: the truck has left, the visit is over.
  bool completed = false;

  bool HasReason(ReasonCode code) const;
};

// A customs status as last set, with when.
struct CustomsRecord {
  std::string container_number;
  CustomsStatus status = CustomsStatus::kUnknown;
  absl::Time updated_at = absl::InfinitePast();
};

// Who did what, when, and what it changed: the clerk's desk, operators, officers.
struct AuditRecord {
  int64_t id = 0;  // assigned by the store, growing
  absl::Time time = absl::InfinitePast();
  std::string actor;    // the clerk, officer or operator id
  std::string action;   // "APPROVE", "REJECT", "CORRECT", "CANCEL_ALLOW", "RESET_LANE", ...
  std::string subject;  // the visit, lane or seal it concerns
  std::string before;
  std::string after;
  std::string comment;
};

// A camera frame kept as evidence of a visit.
struct EvidenceFrame {
  std::string visit_id;
  std::string camera;
  std::string image;
};

// ---------------------------------------------------------------------------------------
// Events: what the event log tells terminal systems. The gate core fills in the payload and
// what it concerns; the journal gives each its sequence number and logged time.

struct VisitDecided {
  Verdict decision = Verdict::kUnspecified;
  std::vector<Reason> reasons;
  std::string plate;
  std::vector<std::string> container_numbers;
  std::string appointment_id;
  std::string decided_by;
};
struct TruckPassed {
  Direction direction = Direction::kUnspecified;
  std::string reported_by;  // "kiosk" or "closing-loop"
};
struct AssistanceRequested {
  std::string message;
};
enum class SealStateCode { kNone = 0, kApplied, kInTransit, kArrived, kVerified, kUnlocked, kRemoved, kAlarm };
struct SealChanged {
  std::string seal_id;
  SealStateCode from = SealStateCode::kNone;
  SealStateCode to = SealStateCode::kNone;
  std::string cause;
  std::string source;
  bool refused = false;
  std::string detail;
};
enum class AppointmentChange { kUnspecified = 0, kUpserted = 1, kCancelled = 2, kUsed = 3 };
struct AppointmentChanged {
  std::string appointment_id;
  AppointmentChange change = AppointmentChange::kUnspecified;
};
struct CustomsStatusChanged {
  std::string container_number;
  CustomsStatus status = CustomsStatus::kUnknown;
};
enum class BarrierCommand { kUnspecified = 0, kOpen = 1, kClose = 2, kFaultReset = 3 };
struct BarrierChanged {
  BarrierCommand command = BarrierCommand::kUnspecified;
  bool ok = false;
  std::string detail;
};
struct LaneFaultRaised {
  std::string detail;
  bool cleared = false;
};
struct ContainerReturned {
  std::string container_number;
  TransactionType transaction_type = TransactionType::kUnspecified;
};
struct DeviceReported {
  std::string device_id;
  std::string seal_id;
  double latitude = 0;
  double longitude = 0;
  std::vector<std::string> alarms;
  std::string lock_state;
};

struct SecurityAlarmRaised {
  std::string kind;
  std::string device_id;
  std::string peer;
  std::string detail;
};

using EventPayload = std::variant<VisitDecided, TruckPassed, AssistanceRequested, SealChanged,
                                  AppointmentChanged, CustomsStatusChanged, BarrierChanged,
                                  LaneFaultRaised, ContainerReturned, DeviceReported, SecurityAlarmRaised>;

struct Event {
  uint64_t sequence = 0;                        // by the journal: strictly increasing
  absl::Time logged_at = absl::InfinitePast();  // by the journal: never runs backwards
  // When it happened, where that differs from when it was logged (an officer's applied_at,
  // a device's own time); InfinitePast otherwise.
  absl::Time occurred_at = absl::InfinitePast();
  std::string lane_id;
  std::string visit_id;
  EventPayload payload;
};

// ---------------------------------------------------------------------------------------
// Effects: what must happen in the world once a change is durable. The server runs them on
// its own executor and reports results back as commands.

struct OpenBarrier {
  std::string lane_id;
  std::string visit_id;
};
// The truck of `visit_id` passed (a kiosk said so): its ALLOW is used up, close when clear.
struct ReleaseAllow {
  std::string lane_id;
  std::string visit_id;
};
// Cancel every unused ALLOW of the lane (or only `visit_id`'s) and close when it is safe.
struct CloseBarrier {
  std::string lane_id;
  std::string visit_id;  // empty: all of the lane's
  std::string reason;
};
struct ResetLaneFault {
  std::string lane_id;
};
struct UnlockSeal {
  std::string seal_id;
  std::string device_id;
  std::string visit_id;
};

using Effect = std::variant<OpenBarrier, ReleaseAllow, CloseBarrier, ResetLaneFault, UnlockSeal>;

// Stable upper-case names ("CHECK_DIGIT_FAILED") for messages, audit and logs.
const char* ReasonCodeName(ReasonCode code);
// The code of a name ReasonCodeName gives, or nullopt.
std::optional<ReasonCode> ReasonCodeFromName(std::string_view name);
const char* VerdictName(Verdict verdict);
const char* StageName(Stage stage);
const char* BarrierStateName(BarrierState state);
const char* CustomsStatusName(CustomsStatus status);

}  // namespace yardgate::gate

#endif  // YARDGATE_GATE_MODEL_H_
