// The gate decision: what the lane read, what the terminal expects, customs status and seal
// state in; OPEN, TROUBLE or DENY out, with every reason machine-readable.
//
// The gate fails closed: only a visit with no reason at all gets OPEN. Missing data is a
// reason (no plate, a container that should be on the truck and was not seen, a release
// that is required and not recorded), never a pass, and so is any value the decision does not
// know (an enum value from a newer client, a seal in a state it has no rule for).
//
// Decide() is a pure function of its input: no clock, no I/O, safe from any thread. The gate
// core (gate_core.h) gathers the input and records the outcome.
//
// Usage:
//   DecisionInput in;
//   in.direction = Direction::kIn;
//   in.plates.push_back(FieldRead{"粤B12345", 0.99, "ocr"});
//   in.containers.push_back(FieldRead{"CSQU3054383", 0.97, "ocr"});
//   in.appointments = ...;  // appointments for this direction naming a plate or a container
//   DecisionOutcome out = Decide(in, policy);
#ifndef YARDGATE_GATE_DECISION_H_
#define YARDGATE_GATE_DECISION_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gate/model.h"

namespace yardgate::gate {

// A seal as the decision needs to see it. The seal book (seal_bridge/) has its own richer
// states; the server maps them onto these conditions.
enum class SealCondition {
  kUnknown = 0,  // no rule fits: fails closed (SEAL_NOT_ARRIVED)
  kArmed,        // applied, in transit
  kArrived,      // reported at the gate
  kVerified,     // verified by the gate or an officer
  kUnlocked,     // no longer protects the box
  kRemoved,
  kAlarm,
};

struct SealView {
  std::string seal_id;
  SealCondition condition = SealCondition::kUnknown;
  std::vector<std::string> open_alarms;
  std::string plate;
  std::vector<std::string> containers;
};

// Thresholds and rules; they live in the server's config and reload without a restart.
struct DecisionPolicy {
  // A plate read below this confidence is TROUBLE (LOW_CONFIDENCE). Confidence is the probability
  // that the text is exactly right; "auto" must be at least 99.9 % precise.
  double auto_threshold = 0.999;
  // The same for container numbers (whose check digit catches most misreads on its own).
  double container_auto_threshold = 0.90;
  // Customs release required for every container, not only those the appointment marks.
  bool require_customs_release = false;
  // Share of visits sent to inspection by the risk draw, per company; `default_inspection_ratio`
  // for companies not listed.
  double default_inspection_ratio = 0.0;
  std::map<std::string, double> company_inspection_ratio;
  uint64_t risk_seed = 0;
  std::vector<std::string> blacklisted_plates;
  // The reasons a clerk's approval may override (see ClerkMayOverride). Default: the reads,
  // the appointment window and the risk selection.
  std::set<ReasonCode> clerk_overridable = DefaultClerkOverridable();

  static std::set<ReasonCode> DefaultClerkOverridable();
};

struct DecisionInput {
  std::string visit_id;  // feeds the reproducible risk draw; the visit's own appointment hold
  Direction direction = Direction::kUnspecified;
  absl::Time now = absl::InfinitePast();
  // Every plate read, the likeliest first (a cross-border truck shows two).
  std::vector<FieldRead> plates;
  std::vector<FieldRead> containers;
  // Appointments for this direction that name a plate or a container read, including used
  // ones and ones another visit holds (so the reason says why they cannot open).
  std::vector<Appointment> appointments;
  // The visit's own appointment from an earlier stage: it stays the match at later stages.
  std::string continued_appointment_id;
  std::map<std::string, CustomsStatus> customs;  // by container number
  // Seals bound to the containers or plate of this visit, and those the appointment names.
  std::vector<SealView> seals;
  bool lane_healthy = true;
  std::string lane_fault;
};

struct DecisionOutcome {
  Verdict verdict = Verdict::kTrouble;
  std::vector<Reason> reasons;
  std::string appointment_id;  // the appointment the visit was matched to, if any
  std::string matched_plate;   // the plate read that matched it (or the likeliest read)
  double risk_draw = 0;        // the draw in [0, 1) that the risk rule compared, for the audit
  std::string message_zh;      // for the driver, on the lane screen
  std::string message_en;
};

DecisionOutcome Decide(const DecisionInput& input, const DecisionPolicy& policy);

// True when a container with this transaction, at a lane of this direction, is on the truck
// (a receive at the in-gate, a delivery at the out-gate). An unknown type counts as on the truck
// (it must then be seen).
bool ContainerOnTruck(TransactionType type, Direction direction);

// The reproducible risk draw in [0, 1) for a visit: the same seed and visit id give the same draw.
double RiskDraw(uint64_t seed, const std::string& visit_id);

// Whether a clerk's approval may override `code` under `policy`. Customs, seals, lane faults,
// blacklists, rejections, a used or held appointment and unknown values never are, whatever
// the configuration says: customs reasons clear only through customs status.
bool ClerkMayOverride(ReasonCode code, const DecisionPolicy& policy);

// The reasons no configuration may make overridable (see ClerkMayOverride).
bool NeverOverridable(ReasonCode code);

// Driver-facing text for a reason, in Chinese and English.
std::pair<std::string, std::string> DriverMessage(ReasonCode code);

}  // namespace yardgate::gate

#endif  // YARDGATE_GATE_DECISION_H_
