// The gate decision: what the lane read, what the terminal expects, customs status and seal
// state in; OPEN, TROUBLE or DENY out, with every reason machine-readable.
//
// The gate fails closed: only a visit with no reason at all gets OPEN. Missing data is a
// reason (no plate, a container that should be on the truck and was not seen, a release
// that is required and not recorded), never a pass.
//
// Decide() is a pure function of its input: no clock, no I/O, safe from any thread. The caller
// gathers the input (server/ does, from its state) and records the outcome.
//
// Usage:
//   DecisionInput in;
//   in.direction = Direction::kIn;
//   in.plate = FieldRead{"粤B12345", 0.99, "ocr"};
//   in.containers.push_back(FieldRead{"CSQU3054383", 0.97, "ocr"});
//   in.appointments = ...;  // open appointments for this plate or these containers
//   DecisionOutcome out = Decide(in, policy);
#ifndef YARDGATE_GATE_DECISION_H_
#define YARDGATE_GATE_DECISION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "seal_bridge/seal_state.h"

namespace yardgate::gate {

enum class Direction { kUnspecified = 0, kIn = 1, kOut = 2 };

// Values match yardgate.v1.TransactionType.
enum class TransactionType {
  kUnspecified = 0,
  kReceiveExport = 1,
  kReceiveImport = 2,
  kReceiveEmpty = 3,
  kDeliverImport = 4,
  kDeliverExport = 5,
  kDeliverEmpty = 6,
  kReceiveChassis = 7,
  kDeliverChassis = 8,
};

enum class Verdict { kUnspecified = 0, kOpen = 1, kTrouble = 2, kDeny = 3 };

// Values match yardgate.v1.ReasonCode.
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
};

struct Reason {
  ReasonCode code = ReasonCode::kUnspecified;
  std::string subject;  // the container, plate or seal it is about
  std::string detail;   // for the clerk, in English

  bool operator==(const Reason&) const = default;
};

// One read of a plate or container number, fused from the lane's sources.
struct FieldRead {
  std::string text;
  double confidence = 0;  // [0, 1]
  std::string source;     // "lane", "ocr", "clerk"
};

struct ExpectedContainer {
  std::string number;
  TransactionType transaction_type = TransactionType::kUnspecified;
  std::string seal_id;  // the seal it should travel under, if any
  bool customs_release_required = false;
};

struct Appointment {
  std::string id;
  std::string plate;
  Direction direction = Direction::kUnspecified;
  std::vector<ExpectedContainer> containers;
  int64_t window_start_ms = 0;  // 0: open from any time
  int64_t window_end_ms = 0;    // 0: open to any time
  std::string company;
};

enum class CustomsStatus { kUnknown = 0, kReleased = 1, kHeld = 2, kInspection = 3 };

// The seal book's own states (seal_bridge/seal_state.h, header only).
using SealState = seal::SealState;

struct SealView {
  std::string seal_id;
  SealState state = SealState::kNone;
  std::vector<std::string> open_alarms;
  std::string plate;
  std::vector<std::string> containers;
};

// Thresholds and rules; they live in the server's config and reload without a restart.
struct DecisionPolicy {
  // A read below this confidence is TROUBLE (LOW_CONFIDENCE).
  double auto_threshold = 0.90;
  // Customs release required for every container, not only those the appointment marks.
  bool require_customs_release = false;
  // Share of visits sent to inspection by the risk draw, per company; `default_inspection_ratio`
  // for companies not listed.
  double default_inspection_ratio = 0.0;
  std::map<std::string, double> company_inspection_ratio;
  uint64_t risk_seed = 0;
  std::vector<std::string> blacklisted_plates;
};

struct DecisionInput {
  std::string visit_id;  // feeds the reproducible risk draw
  Direction direction = Direction::kUnspecified;
  int64_t now_ms = 0;
  std::optional<FieldRead> plate;
  std::vector<FieldRead> containers;
  // Open appointments for this direction that name the plate or any of the containers.
  std::vector<Appointment> appointments;
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
  double risk_draw = 0;        // the draw in [0, 1) that the risk rule compared, for the audit
  std::string message_zh;      // for the driver, on the lane screen
  std::string message_en;
};

DecisionOutcome Decide(const DecisionInput& input, const DecisionPolicy& policy);

// True when a container with this transaction, at a lane of this direction, is on the truck
// (a receive at the in-gate, a delivery at the out-gate).
bool ContainerOnTruck(TransactionType type, Direction direction);

// The reproducible risk draw in [0, 1) for a visit: the same seed and visit id give the same draw.
double RiskDraw(uint64_t seed, const std::string& visit_id);

// Driver-facing text for a reason, in Chinese and English.
std::pair<std::string, std::string> DriverMessage(ReasonCode code);

// Stable upper-case names ("CHECK_DIGIT_FAILED") for logs and the console.
const char* ReasonCodeName(ReasonCode code);

}  // namespace yardgate::gate

#endif  // YARDGATE_GATE_DECISION_H_
