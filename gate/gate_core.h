// GateCore: the gate's rules over truck visits, appointments and customs status, as a plain
// class. Each command checks its input, decides, and returns what changed (a Change: records
// to write, events to log, effects to run once they are durable) and its result. It holds the
// state those rules need in memory; the journal (server/journal.h) writes the changes and
// gives events their sequence numbers.
//
// The promises it keeps (each a tested invariant, see gate_core_test.cc and README):
//   - Only an explicit OPEN lifts a barrier, and one OPEN lets one truck through: the first
//     report of the passage (the kiosk's or the closing loop's) uses up the visit's ALLOW and
//     its appointment; the other is a repeat.
//   - A used appointment never opens again; re-sending an unchanged booking keeps it used.
//   - A clerk's approval never overrides customs, seals, a lane fault or a used appointment.
//   - DENY is final for its visit.
//   - A refused command changes nothing: it returns an error and no Change, and memory is as
//     before (commands compute on copies and apply only what they return).
//   - A truck continues its open visit through later stages by its plate.
//
// No I/O, no threads, no system clock, no protobuf: time comes from a common::Clock, lanes and
// seals through the small interfaces below.
//
// Thread-safety: not thread-safe. The journal calls it under its own lock, one command at a
// time; LaneStatus and SealDirectory are called on that thread, inside commands.
#ifndef YARDGATE_GATE_GATE_CORE_H_
#define YARDGATE_GATE_GATE_CORE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gate/decision.h"
#include "gate/model.h"
#include "gate/store.h"

namespace yardgate::gate {

// What a command did. Records in `writes`; events without sequence numbers (the journal
// assigns them); effects to run once everything is durable.
struct Change {
  WriteBatch writes;
  std::vector<Event> events;
  std::vector<Effect> effects;

  void Append(Change later);
};

template <class T>
struct Outcome {
  Change change;
  T result;
};

// Is a lane fit to open now? (No I/O: a cached view of the lane hardware.)
class LaneStatus {
 public:
  virtual ~LaneStatus() = default;
  // OK, or why the lane cannot open (a LANE_FAULT reason).
  virtual absl::Status Ready(const std::string& lane_id) = 0;
};

// The seal bridge as the gate sees it.
class SealDirectory {
 public:
  virtual ~SealDirectory() = default;
  // Seals bound to any of these plates or containers, or named by these ids.
  virtual std::vector<SealView> SealsFor(const std::vector<std::string>& plates,
                                         const std::vector<std::string>& containers,
                                         const std::vector<std::string>& seal_ids) = 0;
  // A truck reached the gate: its seals have arrived.
  virtual Change OnGateArrival(const std::string& lane_id, const std::string& visit_id,
                               const std::vector<std::string>& plates,
                               const std::vector<std::string>& containers) = 0;
  // The gate opened for a visit with these seals intact: verify them and unlock them once the
  // decision is durable (UnlockSeal effects).
  virtual Change OnGateOpen(const std::string& visit_id, const std::vector<std::string>& seal_ids) = 0;
};

struct LaneInfo {
  std::string id;
  Direction direction = Direction::kUnspecified;
  Stage stage = Stage::kUnspecified;
};

struct GateOptions {
  std::vector<LaneInfo> lanes;
  DecisionPolicy policy;
  // A truck reaching a later stage within this time of its visit's start continues the visit.
  absl::Duration visit_active = absl::Hours(4);
  // A capture whose time is further than this from the clock is refused (a replayed capture).
  absl::Duration max_capture_skew = absl::Minutes(10);
  // Visits finished longer ago than this leave memory (they stay in the store).
  absl::Duration memory = absl::Hours(72);
};

struct Arrival {
  std::string lane_id;
  absl::Time captured_at = absl::InfinitePast();  // InfinitePast: now
  std::vector<FieldRead> plates;                   // likeliest first
  std::vector<FieldRead> containers;
  std::vector<EvidenceFrame> frames;               // visit_id is filled in by the core
};

enum class PassageSource { kKiosk, kClosingLoop };

enum class ClerkAction { kUnspecified = 0, kCorrect = 1, kApprove = 2, kReject = 3 };

struct ClerkResolution {
  std::string visit_id;
  std::string clerk_id;
  ClerkAction action = ClerkAction::kUnspecified;
  std::string comment;
  std::string corrected_plate;
  std::vector<std::string> corrected_containers;
};

// How a barrier command ended, reported back by the lane driver.
struct BarrierResult {
  Effect effect;
  absl::Status status;
};

// Something the lane reported by itself: the barrier moved, a fault came or went, tailgating.
struct LaneReport {
  enum class Kind { kOpened, kClosed, kFault, kFaultCleared, kTailgating };
  Kind kind = Kind::kFault;
  std::string lane_id;
  std::string visit_id;
  std::string detail;
};

struct AppointmentFilter {
  std::string plate;     // "" for any
  bool open_only = false;  // neither cancelled nor used
  std::string after_id;  // page token
  int limit = 100;
};

class GateCore {
 public:
  // `lanes` and `seals` may be null (no hardware, no seal bridge). `clock` must outlive it.
  GateCore(GateOptions options, common::Clock* clock, LaneStatus* lanes, SealDirectory* seals);
  GateCore(const GateCore&) = delete;
  GateCore& operator=(const GateCore&) = delete;

  // Replaces the in-memory state with what the store holds (a start, or a recovery after the
  // store refused writes). Visits whose barrier open was asked for but never confirmed (the
  // server stopped in between) are marked failed: the returned Change records that.
  Change Restore(const StoredState& state);

  // Replaces thresholds and rules (a config reload).
  void SetPolicy(const DecisionPolicy& policy);
  const GateOptions& options() const { return options_; }

  // --- Lanes -----------------------------------------------------------------------------
  // Opens or continues a visit with the lane's reads, decides, and asks for the barrier when
  // OPEN. InvalidArgument/NotFound for a bad arrival (unknown lane, a capture far from now).
  absl::StatusOr<Outcome<Visit>> SubmitArrival(const Arrival& arrival);
  // The truck of an OPEN visit passed. A repeat report (either source) is OK and changes
  // nothing. FailedPrecondition for a visit that is not open for passage.
  absl::StatusOr<Outcome<Visit>> ReportPassage(const std::string& visit_id, PassageSource source);
  // The driver pressed the help button: an event, and the visit (if any) is flagged for the
  // desk. It never changes a decision.
  absl::StatusOr<Outcome<std::optional<Visit>>> RequestAssistance(const std::string& lane_id,
                                                                   const std::string& visit_id,
                                                                   const std::string& message);
  // How an effect ended: an open confirmed or failed (the visit then goes to the desk with
  // LANE_FAULT), a lane reset done or refused. Returns the visit concerned, if any.
  absl::StatusOr<Outcome<std::optional<Visit>>> RecordBarrierResult(const BarrierResult& result);
  Change RecordLaneReport(const LaneReport& report);
  // Whether the caller of the command that asked for `effect` waits for its result.
  static bool AwaitsResult(const Effect& effect);

  // --- Operators -------------------------------------------------------------------------
  // Cancels an OPEN visit's unused ALLOW: the barrier closes, the visit goes to the desk.
  absl::StatusOr<Outcome<Visit>> CancelAllow(const std::string& visit_id, const std::string& actor,
                                             const std::string& comment);
  // Cancels every unused ALLOW of a lane and closes its barrier when safe.
  absl::StatusOr<Outcome<std::vector<Visit>>> CloseBarrier(const std::string& lane_id, const std::string& actor,
                                                           const std::string& comment);
  // Asks the lane to reset a latched fault (E-stop). The result comes as a BarrierResult.
  absl::StatusOr<Outcome<std::string>> ResetLaneFault(const std::string& lane_id, const std::string& actor,
                                                      const std::string& comment);

  // --- Terminal systems ------------------------------------------------------------------
  // Books or rebooks. An unchanged re-send keeps the appointment's life (used stays used); a
  // change to a used appointment is refused (FailedPrecondition): a new booking needs a new id.
  absl::StatusOr<Outcome<Appointment>> UpsertAppointment(Appointment appointment);
  absl::StatusOr<Outcome<Appointment>> CancelAppointment(const std::string& appointment_id);
  absl::StatusOr<Outcome<CustomsRecord>> SetCustomsStatus(const std::string& container_number,
                                                          CustomsStatus status);

  // --- Trouble desk ----------------------------------------------------------------------
  absl::StatusOr<Outcome<Visit>> ResolveTrouble(const ClerkResolution& resolution);

  // --- Reads (no Change) -----------------------------------------------------------------
  std::optional<Visit> FindVisit(const std::string& visit_id) const;
  std::optional<Appointment> FindAppointment(const std::string& appointment_id) const;
  std::vector<Appointment> ListAppointments(const AppointmentFilter& filter) const;
  // Open trouble visits and visits whose driver asked for help, oldest first.
  std::vector<Visit> DeskVisits(const std::string& lane_id) const;
  // What the lane expects to see now (open appointments of its direction, in their window),
  // for the OCR to corroborate.
  void ExpectedAt(const std::string& lane_id, std::vector<std::string>* plates,
                  std::vector<std::string>* containers) const;
  const LaneInfo* FindLane(const std::string& lane_id) const;

 private:
  absl::StatusOr<Outcome<Visit>> ComputeArrival(const Arrival& arrival, absl::Time now);
  // Decides `visit` on today's state and writes the outcome into it.
  DecisionOutcome DecideVisit(const Visit& visit, absl::Time now) const;
  void ApplyOutcome(const DecisionOutcome& outcome, const std::string& decided_by, Visit* visit) const;
  // What an OPEN decision asks for: the barrier, the appointment's hold, the seals.
  void AddOpenEffects(Visit* visit, const DecisionOutcome& outcome, bool verify_seals, absl::Time now,
                      Change* change);
  // The visit with its ALLOW cancelled, and what that writes.
  Visit CancelledAllow(const Visit& visit, const std::string& actor, absl::Time now, Change* change) const;
  void AddVisitDecided(const Visit& visit, Change* change) const;
  std::optional<Visit> ContinuableVisit(const std::vector<FieldRead>& plates, Stage stage, absl::Time now) const;
  std::vector<Appointment> CandidateAppointments(const Visit& visit) const;
  std::vector<std::string> SealIdsOf(const DecisionOutcome& outcome) const;
  std::string NextVisitId() const;

  // Applies what a change wrote to memory: the only place state changes.
  void Apply(const WriteBatch& writes);
  void Forget(absl::Time now);

  GateOptions options_;
  common::Clock* const clock_;
  LaneStatus* const lanes_;
  SealDirectory* const seals_;

  std::map<std::string, Appointment> appointments_;
  std::map<std::string, CustomsStatus> customs_;
  std::map<std::string, Visit> visits_;             // by id (ids grow with time)
  std::map<std::string, std::string> open_by_plate_;  // plate -> its newest open visit
  uint64_t next_visit_number_ = 1;
};

// A description of a visit's reads and decision, for audit records.
std::string DescribeVisit(const Visit& visit);

}  // namespace yardgate::gate

#endif  // YARDGATE_GATE_GATE_CORE_H_
