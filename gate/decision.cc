#include "gate/decision.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/fingerprint.h"
#include "common/iso6346.h"
#include "common/plate_text.h"

namespace yardgate::gate {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// How well an appointment fits what the lane read: the plate counts most, then each container.
int MatchScore(const Appointment& appointment, const std::string& plate,
               const std::vector<std::string>& containers) {
  int score = appointment.plate == plate ? 100 : 0;
  for (const ExpectedContainer& expected : appointment.containers) {
    if (Contains(containers, expected.number)) score += 10;
  }
  return score;
}

bool InWindow(const Appointment& appointment, int64_t now_ms) {
  if (appointment.window_start_ms != 0 && now_ms < appointment.window_start_ms) return false;
  if (appointment.window_end_ms != 0 && now_ms > appointment.window_end_ms) return false;
  return true;
}

class ReasonList {
 public:
  void Add(ReasonCode code, std::string subject, std::string detail) {
    Reason reason{code, std::move(subject), std::move(detail)};
    if (std::find(reasons_.begin(), reasons_.end(), reason) == reasons_.end()) {
      reasons_.push_back(std::move(reason));
    }
  }
  std::vector<Reason> Take() { return std::move(reasons_); }

 private:
  std::vector<Reason> reasons_;
};

void CheckConfidence(const FieldRead& read, const char* what, const DecisionPolicy& policy,
                     ReasonList& reasons) {
  if (read.confidence < policy.auto_threshold) {
    reasons.Add(ReasonCode::kLowConfidence, read.text,
                absl::StrFormat("%s read '%s' has confidence %.2f, below the auto threshold %.2f",
                                what, read.text, read.confidence, policy.auto_threshold));
  }
}

void CheckCustoms(const std::string& container, bool release_required, const DecisionInput& input,
                  const DecisionPolicy& policy, ReasonList& reasons) {
  const auto it = input.customs.find(container);
  const CustomsStatus status = it == input.customs.end() ? CustomsStatus::kUnknown : it->second;
  switch (status) {
    case CustomsStatus::kHeld:
      reasons.Add(ReasonCode::kCustomsHold, container,
                  absl::StrCat("customs holds container ", container));
      break;
    case CustomsStatus::kInspection:
      reasons.Add(ReasonCode::kCustomsInspection, container,
                  absl::StrCat("customs selected container ", container, " for inspection"));
      break;
    case CustomsStatus::kReleased:
      break;
    case CustomsStatus::kUnknown:
      if (release_required || policy.require_customs_release) {
        reasons.Add(ReasonCode::kCustomsNotReleased, container,
                    absl::StrCat("no customs release recorded for container ", container));
      }
      break;
  }
}

bool SealIsArmed(SealState state) {
  return state == SealState::kApplied || state == SealState::kInTransit ||
         state == SealState::kArrived || state == SealState::kVerified;
}

void CheckSeals(const ExpectedContainer& expected, const std::string& plate,
                const DecisionInput& input, ReasonList& reasons) {
  std::vector<const SealView*> seals;
  for (const SealView& seal : input.seals) {
    const bool bound_here = Contains(seal.containers, expected.number);
    const bool expected_here = !expected.seal_id.empty() && seal.seal_id == expected.seal_id;
    if ((bound_here && seal.state != SealState::kRemoved) || expected_here) seals.push_back(&seal);
  }
  if (!expected.seal_id.empty() &&
      std::none_of(seals.begin(), seals.end(),
                   [&](const SealView* s) { return s->seal_id == expected.seal_id; })) {
    reasons.Add(ReasonCode::kSealMissing, expected.seal_id,
                absl::StrCat("container ", expected.number, " should travel under seal ",
                             expected.seal_id, ", which is not known"));
  }
  for (const SealView* seal : seals) {
    if (seal->state == SealState::kAlarm || !seal->open_alarms.empty()) {
      std::string alarms;
      for (const std::string& a : seal->open_alarms) absl::StrAppend(&alarms, alarms.empty() ? "" : ", ", a);
      reasons.Add(ReasonCode::kSealAlarm, seal->seal_id,
                  absl::StrCat("seal ", seal->seal_id, " has an open alarm",
                               alarms.empty() ? "" : ": ", alarms));
      continue;
    }
    if (!Contains(seal->containers, expected.number) ||
        (!seal->plate.empty() && seal->plate != plate)) {
      reasons.Add(ReasonCode::kSealMismatch, seal->seal_id,
                  absl::StrCat("seal ", seal->seal_id, " is bound to plate ", seal->plate,
                               " and not to this truck and container ", expected.number));
      continue;
    }
    if (!SealIsArmed(seal->state)) {
      reasons.Add(ReasonCode::kSealNotArrived, seal->seal_id,
                  absl::StrCat("seal ", seal->seal_id, " is no longer armed"));
    }
  }
}

}  // namespace

bool ContainerOnTruck(TransactionType type, Direction direction) {
  switch (type) {
    case TransactionType::kReceiveExport:
    case TransactionType::kReceiveImport:
    case TransactionType::kReceiveEmpty:
    case TransactionType::kReceiveChassis:
      return direction == Direction::kIn;
    case TransactionType::kDeliverImport:
    case TransactionType::kDeliverExport:
    case TransactionType::kDeliverEmpty:
    case TransactionType::kDeliverChassis:
      return direction == Direction::kOut;
    case TransactionType::kUnspecified:
      return true;
  }
  return true;
}

double RiskDraw(uint64_t seed, const std::string& visit_id) {
  // FNV-1a over the seed and the visit id, then splitmix64 to spread the bits: stable across
  // builds and platforms, unlike std::hash.
  uint64_t h = common::Fnv1a64(visit_id, common::kFnvOffsetBasis ^ seed);
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) / static_cast<double>(1ull << 53);
}

DecisionOutcome Decide(const DecisionInput& input, const DecisionPolicy& policy) {
  DecisionOutcome outcome;
  ReasonList reasons;

  const std::string plate = input.plate ? common::NormalizePlate(input.plate->text) : std::string();
  std::vector<std::string> read_numbers;
  for (const FieldRead& read : input.containers) {
    read_numbers.push_back(common::NormalizeContainerNumber(read.text));
  }

  if (!input.lane_healthy) {
    reasons.Add(ReasonCode::kLaneFault, "",
                input.lane_fault.empty() ? "the lane hardware reports a fault" : input.lane_fault);
  }
  if (plate.empty()) {
    reasons.Add(ReasonCode::kNoPlate, "", "no licence plate was read or given");
  } else {
    CheckConfidence(*input.plate, "plate", policy, reasons);
    if (Contains(policy.blacklisted_plates, plate)) {
      reasons.Add(ReasonCode::kBlacklisted, plate, absl::StrCat("plate ", plate, " is blacklisted"));
    }
  }
  for (size_t i = 0; i < input.containers.size(); ++i) {
    const absl::Status valid = common::ValidateContainerNumber(read_numbers[i]);
    if (!valid.ok()) {
      reasons.Add(ReasonCode::kCheckDigitFailed, read_numbers[i], std::string(valid.message()));
    }
    CheckConfidence(input.containers[i], "container", policy, reasons);
  }

  // Choose the appointment that fits best among those for this direction.
  const Appointment* chosen = nullptr;
  int best = 0;
  for (const Appointment& appointment : input.appointments) {
    if (appointment.direction != input.direction) continue;
    const int score = MatchScore(appointment, plate, read_numbers);
    if (score > best) {
      best = score;
      chosen = &appointment;
    }
  }

  if (chosen == nullptr) {
    reasons.Add(ReasonCode::kNoAppointment, plate,
                plate.empty() ? "no open appointment matches what the lane read"
                              : absl::StrCat("no open appointment for plate ", plate,
                                             " at this lane's direction"));
    for (const std::string& number : read_numbers) {
      CheckCustoms(number, false, input, policy, reasons);
    }
  } else {
    outcome.appointment_id = chosen->id;
    if (!plate.empty() && chosen->plate != plate) {
      reasons.Add(ReasonCode::kPlateMismatch, plate,
                  absl::StrCat("the containers are appointed to plate ", chosen->plate,
                               ", the lane read ", plate));
    }
    if (!InWindow(*chosen, input.now_ms)) {
      reasons.Add(ReasonCode::kOutsideTimeWindow, chosen->id,
                  absl::StrCat("appointment ", chosen->id, " is not open at this time"));
    }
    for (const std::string& number : read_numbers) {
      const bool expected = std::any_of(
          chosen->containers.begin(), chosen->containers.end(),
          [&](const ExpectedContainer& e) { return e.number == number; });
      if (!expected) {
        reasons.Add(ReasonCode::kContainerNotExpected, number,
                    absl::StrCat("container ", number, " is not on appointment ", chosen->id));
      }
    }
    for (const ExpectedContainer& expected : chosen->containers) {
      const bool on_truck = ContainerOnTruck(expected.transaction_type, input.direction);
      if (on_truck && !Contains(read_numbers, expected.number)) {
        reasons.Add(ReasonCode::kContainerMissing, expected.number,
                    absl::StrCat("appointed container ", expected.number, " was not seen on the truck"));
      }
      // At the in-gate every box of the appointment is checked (a truck should not come in
      // for a held box); at the out-gate only what leaves on the truck.
      if (on_truck || input.direction == Direction::kIn) {
        CheckCustoms(expected.number, expected.customs_release_required, input, policy, reasons);
      }
      if (on_truck) CheckSeals(expected, plate, input, reasons);
    }
  }

  // The risk draw runs for every visit so that the audit shows the number it drew.
  outcome.risk_draw = RiskDraw(policy.risk_seed, input.visit_id);
  double ratio = policy.default_inspection_ratio;
  if (chosen != nullptr) {
    const auto it = policy.company_inspection_ratio.find(chosen->company);
    if (it != policy.company_inspection_ratio.end()) ratio = it->second;
  }
  if (outcome.risk_draw < ratio) {
    reasons.Add(ReasonCode::kRiskInspection, input.visit_id,
                absl::StrFormat("selected for inspection: draw %.6f below ratio %.4f (seed %d)",
                                outcome.risk_draw, ratio, policy.risk_seed));
  }

  outcome.reasons = reasons.Take();
  if (outcome.reasons.empty()) {
    outcome.verdict = Verdict::kOpen;
    outcome.message_zh = "核验通过，请通行";
    outcome.message_en = "Checks passed, please proceed";
  } else {
    const bool deny = std::any_of(outcome.reasons.begin(), outcome.reasons.end(),
                                  [](const Reason& r) { return r.code == ReasonCode::kBlacklisted; });
    outcome.verdict = deny ? Verdict::kDeny : Verdict::kTrouble;
    std::tie(outcome.message_zh, outcome.message_en) = DriverMessage(outcome.reasons.front().code);
  }
  return outcome;
}

std::pair<std::string, std::string> DriverMessage(ReasonCode code) {
  switch (code) {
    case ReasonCode::kNoPlate:
      return {"未识别车牌，请稍候，工作人员将协助", "Plate not read; please wait for a clerk"};
    case ReasonCode::kNoContainer:
    case ReasonCode::kContainerMissing:
      return {"未识别到预约的集装箱，请稍候", "Appointed container not seen; please wait"};
    case ReasonCode::kCheckDigitFailed:
    case ReasonCode::kLowConfidence:
    case ReasonCode::kConflictingReads:
      return {"箱号识别需人工核对，请稍候", "Container number needs a check; please wait"};
    case ReasonCode::kNoAppointment:
      return {"未找到预约，请联系工作人员", "No appointment found; please contact the gate office"};
    case ReasonCode::kPlateMismatch:
      return {"车牌与预约不符，请稍候", "Plate does not match the appointment; please wait"};
    case ReasonCode::kContainerNotExpected:
      return {"集装箱不在预约中，请联系工作人员", "Container not on your appointment; please contact the gate office"};
    case ReasonCode::kOutsideTimeWindow:
      return {"不在预约时段内，请联系工作人员", "Outside your appointment window; please contact the gate office"};
    case ReasonCode::kCustomsHold:
    case ReasonCode::kCustomsNotReleased:
      return {"海关未放行，请到查验区等候", "Not released by customs; please wait at the inspection area"};
    case ReasonCode::kCustomsInspection:
    case ReasonCode::kRiskInspection:
      return {"请驶往查验区", "Please drive to the inspection area"};
    case ReasonCode::kSealMissing:
    case ReasonCode::kSealAlarm:
    case ReasonCode::kSealMismatch:
    case ReasonCode::kSealNotArrived:
      return {"关锁状态异常，请原地等候关员", "Seal needs a check; please wait for an officer"};
    case ReasonCode::kLaneFault:
      return {"车道设备故障，请稍候", "Lane equipment fault; please wait"};
    case ReasonCode::kAssistanceRequested:
      return {"已呼叫工作人员，请稍候", "A clerk has been called; please wait"};
    case ReasonCode::kClerkRejected:
    case ReasonCode::kBlacklisted:
      return {"禁止进入，请按指示离开", "Entry refused; please follow the signs to leave"};
    case ReasonCode::kUnspecified:
      break;
  }
  return {"请稍候，工作人员将协助", "Please wait for a clerk"};
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
  }
  return "UNKNOWN";
}

}  // namespace yardgate::gate
