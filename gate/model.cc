#include "gate/model.h"

#include <algorithm>

namespace yardgate::gate {

bool Appointment::SameBooking(const Appointment& other) const {
  return id == other.id && plate == other.plate && second_plate == other.second_plate &&
         direction == other.direction && containers == other.containers &&
         window_start == other.window_start && window_end == other.window_end && company == other.company;
}

bool Visit::HasReason(ReasonCode code) const {
  return std::any_of(reasons.begin(), reasons.end(), [code](const Reason& r) { return r.code == code; });
}

const char* ReasonCodeName(ReasonCode code) {
  switch (code) {
    case ReasonCode::kUnspecified: return "UNSPECIFIED";
    case ReasonCode::kNoPlate: return "NO_PLATE";
    case ReasonCode::kNoContainer: return "NO_CONTAINER";
    case ReasonCode::kCheckDigitFailed: return "CHECK_DIGIT_FAILED";
    case ReasonCode::kNoAppointment: return "NO_APPOINTMENT";
    case ReasonCode::kContainerNotExpected: return "CONTAINER_NOT_EXPECTED";
    case ReasonCode::kContainerMissing: return "CONTAINER_MISSING";
    case ReasonCode::kOutsideTimeWindow: return "OUTSIDE_TIME_WINDOW";
    case ReasonCode::kLowConfidence: return "LOW_CONFIDENCE";
    case ReasonCode::kCustomsHold: return "CUSTOMS_HOLD";
    case ReasonCode::kCustomsInspection: return "CUSTOMS_INSPECTION";
    case ReasonCode::kCustomsNotReleased: return "CUSTOMS_NOT_RELEASED";
    case ReasonCode::kSealMissing: return "SEAL_MISSING";
    case ReasonCode::kSealAlarm: return "SEAL_ALARM";
    case ReasonCode::kSealMismatch: return "SEAL_MISMATCH";
    case ReasonCode::kSealNotArrived: return "SEAL_NOT_ARRIVED";
    case ReasonCode::kRiskInspection: return "RISK_INSPECTION";
    case ReasonCode::kLaneFault: return "LANE_FAULT";
    case ReasonCode::kConflictingReads: return "CONFLICTING_READS";
    case ReasonCode::kAssistanceRequested: return "ASSISTANCE_REQUESTED";
    case ReasonCode::kClerkRejected: return "CLERK_REJECTED";
    case ReasonCode::kBlacklisted: return "BLACKLISTED";
    case ReasonCode::kPlateMismatch: return "PLATE_MISMATCH";
    case ReasonCode::kAppointmentInUse: return "APPOINTMENT_IN_USE";
    case ReasonCode::kAllowCancelled: return "ALLOW_CANCELLED";
    case ReasonCode::kUnknownValue: return "UNKNOWN_VALUE";
  }
  return "UNKNOWN";
}

std::optional<ReasonCode> ReasonCodeFromName(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(ReasonCode::kUnknownValue); ++i) {
    if (name == ReasonCodeName(static_cast<ReasonCode>(i))) return static_cast<ReasonCode>(i);
  }
  return std::nullopt;
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kUnspecified: return "UNSPECIFIED";
    case Verdict::kOpen: return "OPEN";
    case Verdict::kTrouble: return "TROUBLE";
    case Verdict::kDeny: return "DENY";
  }
  return "UNKNOWN";
}

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kUnspecified: return "UNSPECIFIED";
    case Stage::kPreGate: return "PRE_GATE";
    case Stage::kInGate: return "IN_GATE";
    case Stage::kOutGate: return "OUT_GATE";
  }
  return "UNKNOWN";
}

const char* BarrierStateName(BarrierState state) {
  switch (state) {
    case BarrierState::kNone: return "NONE";
    case BarrierState::kOpenRequested: return "OPEN_REQUESTED";
    case BarrierState::kOpened: return "OPENED";
    case BarrierState::kOpenFailed: return "OPEN_FAILED";
    case BarrierState::kPassed: return "PASSED";
    case BarrierState::kCancelled: return "CANCELLED";
  }
  return "UNKNOWN";
}

const char* CustomsStatusName(CustomsStatus status) {
  switch (status) {
    case CustomsStatus::kUnknown: return "UNKNOWN";
    case CustomsStatus::kReleased: return "RELEASED";
    case CustomsStatus::kHeld: return "HELD";
    case CustomsStatus::kInspection: return "INSPECTION";
  }
  return "UNKNOWN";
}

}  // namespace yardgate::gate
