#include "gate/decision.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/fingerprint.h"
#include "common/iso6346.h"
#include "common/plate_text.h"

namespace yardgate::gate {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool NamesPlate(const Appointment& appointment, const std::string& plate) {
  return !plate.empty() && (appointment.plate == plate || appointment.second_plate == plate);
}

bool InWindow(const Appointment& appointment, absl::Time now) {
  return now >= appointment.window_start && now <= appointment.window_end;
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

void CheckRead(const FieldRead& read, const char* what, double threshold, ReasonList& reasons) {
  if (read.confidence < threshold) {
    reasons.Add(ReasonCode::kLowConfidence, read.text,
                absl::StrFormat("%s read '%s' has confidence %.4f, below the auto threshold %.4f", what, read.text,
                                read.confidence, threshold));
  }
  // An expectation may fill in doubt but never stands in for evidence, and a look-alike the check
  // digit cannot catch needs a second witness: the recogniser says when a read may not act alone.
  if (!read.doubt.empty()) {
    reasons.Add(ReasonCode::kLowConfidence, read.text, absl::StrCat(what, " read '", read.text, "': ", read.doubt));
  }
}

void CheckCustoms(const std::string& container, bool release_required, const DecisionInput& input,
                  const DecisionPolicy& policy, ReasonList& reasons) {
  const auto it = input.customs.find(container);
  const CustomsStatus status = it == input.customs.end() ? CustomsStatus::kUnknown : it->second;
  switch (status) {
    case CustomsStatus::kReleased:
      return;
    case CustomsStatus::kHeld:
      reasons.Add(ReasonCode::kCustomsHold, container, absl::StrCat("customs holds container ", container));
      return;
    case CustomsStatus::kInspection:
      reasons.Add(ReasonCode::kCustomsInspection, container,
                  absl::StrCat("customs selected container ", container, " for inspection"));
      return;
    case CustomsStatus::kUnknown:
      if (release_required || policy.require_customs_release) {
        reasons.Add(ReasonCode::kCustomsNotReleased, container,
                    absl::StrCat("no customs release recorded for container ", container));
      }
      return;
  }
  // A status this build does not know holds the box.
  reasons.Add(ReasonCode::kUnknownValue, container,
              absl::StrCat("container ", container, " has customs status ", static_cast<int>(status),
                           ", which the gate does not know"));
}

void CheckSeals(const ContainerMove& expected, const std::string& plate, const DecisionInput& input,
                ReasonList& reasons) {
  std::vector<const SealView*> seals;
  for (const SealView& seal : input.seals) {
    const bool bound_here = Contains(seal.containers, expected.container_number);
    const bool expected_here = !expected.seal_id.empty() && seal.seal_id == expected.seal_id;
    if ((bound_here && seal.condition != SealCondition::kRemoved) || expected_here) seals.push_back(&seal);
  }
  if (!expected.seal_id.empty() &&
      std::none_of(seals.begin(), seals.end(), [&](const SealView* s) { return s->seal_id == expected.seal_id; })) {
    reasons.Add(ReasonCode::kSealMissing, expected.seal_id,
                absl::StrCat("container ", expected.container_number, " should travel under seal ",
                             expected.seal_id, ", which is not known"));
  }
  for (const SealView* seal : seals) {
    if (seal->condition == SealCondition::kAlarm || !seal->open_alarms.empty()) {
      reasons.Add(ReasonCode::kSealAlarm, seal->seal_id,
                  absl::StrCat("seal ", seal->seal_id, " has an open alarm",
                               seal->open_alarms.empty() ? "" : ": ", absl::StrJoin(seal->open_alarms, ", ")));
      continue;
    }
    if (!Contains(seal->containers, expected.container_number) || (!seal->plate.empty() && seal->plate != plate)) {
      reasons.Add(ReasonCode::kSealMismatch, seal->seal_id,
                  absl::StrCat("seal ", seal->seal_id, " is bound to plate ", seal->plate,
                               " and not to this truck and container ", expected.container_number));
      continue;
    }
    switch (seal->condition) {
      case SealCondition::kArmed:
      case SealCondition::kArrived:
      case SealCondition::kVerified:
        break;
      case SealCondition::kUnlocked:
      case SealCondition::kRemoved:
      case SealCondition::kAlarm:
      case SealCondition::kUnknown:
      default:
        reasons.Add(ReasonCode::kSealNotArrived, seal->seal_id,
                    absl::StrCat("seal ", seal->seal_id, " is not armed: it no longer protects the box"));
        break;
    }
  }
}

// The appointment that fits the reads best: a plate match counts most, then each container.
const Appointment* ChooseAppointment(const DecisionInput& input, const std::vector<std::string>& plates,
                                     const std::vector<std::string>& containers, std::string* matched_plate) {
  const Appointment* chosen = nullptr;
  int best = 0;
  for (const Appointment& a : input.appointments) {
    if (a.direction != input.direction || a.cancelled) continue;
    int score = 0;
    std::string plate;
    for (const std::string& p : plates) {
      if (NamesPlate(a, p)) {
        score = 100;
        plate = p;
        break;
      }
    }
    for (const ContainerMove& m : a.containers) score += Contains(containers, m.container_number) ? 10 : 0;
    // The visit's own appointment (from its earlier stage) wins over any other.
    if (a.id == input.continued_appointment_id) score += 1000;
    // A free appointment wins over one that is used or held, at equal fit.
    const bool free = !a.used && (a.visit_id.empty() || a.visit_id == input.visit_id);
    if (free && score > 0) score += 1;
    if (score > best) {
      best = score;
      chosen = &a;
      *matched_plate = plate;
    }
  }
  return chosen;
}

}  // namespace

std::set<ReasonCode> DecisionPolicy::DefaultClerkOverridable() {
  return {ReasonCode::kNoPlate,          ReasonCode::kNoContainer,        ReasonCode::kCheckDigitFailed,
          ReasonCode::kLowConfidence,    ReasonCode::kConflictingReads,   ReasonCode::kContainerMissing,
          ReasonCode::kOutsideTimeWindow, ReasonCode::kRiskInspection,    ReasonCode::kAssistanceRequested};
}

bool NeverOverridable(ReasonCode code) {
  switch (code) {
    case ReasonCode::kCustomsHold:
    case ReasonCode::kCustomsInspection:
    case ReasonCode::kCustomsNotReleased:
    case ReasonCode::kSealMissing:
    case ReasonCode::kSealAlarm:
    case ReasonCode::kSealMismatch:
    case ReasonCode::kSealNotArrived:
    case ReasonCode::kLaneFault:
    case ReasonCode::kBlacklisted:
    case ReasonCode::kClerkRejected:
    case ReasonCode::kAppointmentInUse:
    case ReasonCode::kAllowCancelled:
    case ReasonCode::kUnknownValue:
    case ReasonCode::kUnspecified:
      return true;
    default:
      return static_cast<int>(code) > static_cast<int>(ReasonCode::kUnknownValue);
  }
}

bool ClerkMayOverride(ReasonCode code, const DecisionPolicy& policy) {
  return !NeverOverridable(code) && policy.clerk_overridable.count(code) > 0;
}

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
      break;
  }
  return true;
}

double RiskDraw(uint64_t seed, const std::string& visit_id) {
  // FNV-1a over the seed and the visit id, then splitmix64 to spread the bits.
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

  std::vector<std::string> plates;
  for (const FieldRead& p : input.plates) {
    const std::string plate = common::NormalizePlate(p.text);
    if (!plate.empty()) plates.push_back(plate);
  }
  std::vector<std::string> read_numbers;
  for (const FieldRead& read : input.containers) read_numbers.push_back(common::NormalizeContainerNumber(read.text));

  if (input.direction != Direction::kIn && input.direction != Direction::kOut) {
    reasons.Add(ReasonCode::kUnknownValue, "", "the lane's direction is not known");
  }
  if (!input.lane_healthy) {
    reasons.Add(ReasonCode::kLaneFault, "",
                input.lane_fault.empty() ? "the lane hardware reports a fault" : input.lane_fault);
  }
  for (const std::string& plate : plates) {
    if (Contains(policy.blacklisted_plates, plate)) {
      reasons.Add(ReasonCode::kBlacklisted, plate, absl::StrCat("plate ", plate, " is blacklisted"));
    }
  }
  for (size_t i = 0; i < input.containers.size(); ++i) {
    const absl::Status valid = common::ValidateContainerNumber(read_numbers[i]);
    if (!valid.ok()) reasons.Add(ReasonCode::kCheckDigitFailed, read_numbers[i], std::string(valid.message()));
    CheckRead(input.containers[i], "container", policy.container_auto_threshold, reasons);
  }

  const Appointment* chosen = ChooseAppointment(input, plates, read_numbers, &outcome.matched_plate);
  if (outcome.matched_plate.empty() && !plates.empty()) outcome.matched_plate = plates.front();
  const std::string& plate = outcome.matched_plate;
  if (plate.empty()) {
    reasons.Add(ReasonCode::kNoPlate, "", "no licence plate was read or given");
  } else {
    for (const FieldRead& p : input.plates) {
      if (common::NormalizePlate(p.text) == plate) CheckRead(p, "plate", policy.auto_threshold, reasons);
    }
  }

  if (chosen == nullptr) {
    reasons.Add(ReasonCode::kNoAppointment, plate,
                plate.empty() ? "no open appointment matches what the lane read"
                              : absl::StrCat("no open appointment for plate ", plate, " at this lane's direction"));
    for (const std::string& number : read_numbers) CheckCustoms(number, false, input, policy, reasons);
  } else {
    outcome.appointment_id = chosen->id;
    // An appointment is one truck's: the visit that holds or used it continues on it, no other.
    if (chosen->visit_id != input.visit_id) {
      if (chosen->used) {
        reasons.Add(ReasonCode::kAppointmentInUse, chosen->id,
                    absl::StrCat("appointment ", chosen->id, " was used by visit ", chosen->visit_id,
                                 "; a new booking is needed"));
      } else if (!chosen->visit_id.empty()) {
        reasons.Add(ReasonCode::kAppointmentInUse, chosen->id,
                    absl::StrCat("appointment ", chosen->id, " is held by open visit ", chosen->visit_id));
      }
    }
    if (!plate.empty() && !NamesPlate(*chosen, plate)) {
      reasons.Add(ReasonCode::kPlateMismatch, plate,
                  absl::StrCat("the containers are appointed to plate ", chosen->plate, ", the lane read ", plate));
    }
    if (!InWindow(*chosen, input.now)) {
      reasons.Add(ReasonCode::kOutsideTimeWindow, chosen->id,
                  absl::StrCat("appointment ", chosen->id, " is not open at this time"));
    }
    for (const std::string& number : read_numbers) {
      const bool expected = std::any_of(chosen->containers.begin(), chosen->containers.end(),
                                        [&](const ContainerMove& e) { return e.container_number == number; });
      if (!expected) {
        reasons.Add(ReasonCode::kContainerNotExpected, number,
                    absl::StrCat("container ", number, " is not on appointment ", chosen->id));
      }
    }
    for (const ContainerMove& expected : chosen->containers) {
      const bool on_truck = ContainerOnTruck(expected.transaction_type, input.direction);
      if (on_truck && !Contains(read_numbers, expected.container_number)) {
        reasons.Add(ReasonCode::kContainerMissing, expected.container_number,
                    absl::StrCat("appointed container ", expected.container_number, " was not seen on the truck"));
      }
      // At the in-gate every box of the appointment is checked (a truck should not come in
      // for a held box); at the out-gate only what leaves on the truck.
      if (on_truck || input.direction == Direction::kIn) {
        CheckCustoms(expected.container_number, expected.customs_release_required, input, policy, reasons);
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
                absl::StrFormat("selected for inspection: draw %.6f below ratio %.4f (seed %d)", outcome.risk_draw,
                                ratio, policy.risk_seed));
  }

  outcome.reasons = reasons.Take();
  if (outcome.reasons.empty()) {
    outcome.verdict = Verdict::kOpen;
    outcome.message_zh = "核验通过，请通行";
    outcome.message_en = "Checks passed, please proceed";
    return outcome;
  }
  const bool deny = std::any_of(outcome.reasons.begin(), outcome.reasons.end(),
                                [](const Reason& r) { return r.code == ReasonCode::kBlacklisted; });
  outcome.verdict = deny ? Verdict::kDeny : Verdict::kTrouble;
  std::tie(outcome.message_zh, outcome.message_en) = DriverMessage(outcome.reasons.front().code);
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
      return {"识别结果需人工核对，请稍候", "Reads need a check; please wait"};
    case ReasonCode::kNoAppointment:
      return {"未找到预约，请联系工作人员", "No appointment found; please contact the gate office"};
    case ReasonCode::kAppointmentInUse:
      return {"预约已使用，请联系工作人员", "Appointment already used; please contact the gate office"};
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
      return {"道闸未能开启，请原地等候", "The barrier did not open; please wait"};
    case ReasonCode::kAssistanceRequested:
      return {"已呼叫工作人员，请稍候", "A clerk has been called; please wait"};
    case ReasonCode::kAllowCancelled:
      return {"放行已取消，请等候工作人员指示", "Passage cancelled; please wait for the gate office"};
    case ReasonCode::kClerkRejected:
    case ReasonCode::kBlacklisted:
      return {"禁止进入，请按指示离开", "Entry refused; please follow the signs to leave"};
    case ReasonCode::kUnknownValue:
    case ReasonCode::kUnspecified:
      break;
  }
  return {"请稍候，工作人员将协助", "Please wait for a clerk"};
}

}  // namespace yardgate::gate
