// The yard: appointments, customs status, truck visits and their decisions, and the event log
// that tells terminal systems about all of it.
//
// Every mutating call follows one path (Mutate): check the idempotency key, validate, decide,
// change memory, then hand rows and events to the store's writer, and reply only after the
// batch has committed. Events get their sequence numbers under the same lock that orders the
// writes, so the event log is in commit order with no gaps a reader could fall into. Effects
// (opening a barrier) run only after the decision that asked for them is durable.
//
// Thread-safety: all public methods may be called from any thread, including gRPC's callback
// threads: they never block on I/O. Replies run on the store's writer thread (or the caller's
// thread for errors found before anything is written) and must not block.
#ifndef YARDGATE_SERVER_YARD_H_
#define YARDGATE_SERVER_YARD_H_

#include <functional>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/fingerprint.h"
#include "gate/decision.h"
#include "server/config.h"
#include "server/event_log.h"
#include "server/lane_hardware.h"
#include "server/store.h"
#include "yardgate/v1/gate_service.pb.h"
#include "yardgate/v1/terminal_service.pb.h"

namespace yardgate::server {

template <class T>
using Reply = std::function<void(absl::StatusOr<T>)>;

// What the lane read, fused from its devices and the OCR engine, ready for the decision.
struct ArrivalReads {
  std::optional<v1::FieldRead> plate;
  std::vector<v1::FieldRead> containers;
};

// The frames of a visit, kept as evidence for the trouble desk.
struct EvidenceFrame {
  std::string camera;
  std::string image;
};

// What seal work adds to a yard change: events to log (their sequence is assigned by the
// yard), rows to write in the same transaction, and what to do once it is durable.
struct SideEffects {
  std::vector<v1::Event> events;
  Store::Work rows;
  std::function<void()> after_commit;

  // Adds `later`'s events, rows and effects after these.
  void Append(SideEffects later);
};

// The seal bridge as the yard sees it. Methods are called with the yard's lock held (so seal
// changes are ordered with the visits that cause them) and must not block.
class SealDirectory {
 public:
  virtual ~SealDirectory() = default;
  // A truck reached a gate: seals bound to its plate or containers have arrived.
  virtual SideEffects OnGateArrival(const std::string& lane_id, const std::string& plate,
                                    const std::vector<std::string>& containers) = 0;
  // Seals bound to this plate or these containers, or named by an appointment.
  virtual std::vector<gate::SealView> SealsFor(const std::string& plate,
                                               const std::vector<std::string>& containers,
                                               const std::vector<std::string>& seal_ids) = 0;
  // The gate decided OPEN with these seals intact: verify them, and unlock them once the
  // decision is durable.
  virtual SideEffects OnGateOpen(const std::string& visit_id, const std::vector<std::string>& seal_ids) = 0;
};

class Yard {
 public:
  // Loads the state kept in `store`. `lanes` and `seals` may be null (no hardware, no seals).
  static absl::StatusOr<std::unique_ptr<Yard>> Load(const Config& config, Store* store,
                                                    LaneHardware* lanes, SealDirectory* seals);
  Yard(const Yard&) = delete;
  Yard& operator=(const Yard&) = delete;

  EventLog& events() { return *events_; }

  // Replaces thresholds and rules (a config reload). Lanes are not reloaded.
  void SetPolicy(const gate::DecisionPolicy& policy);

  // Validates the parts of an arrival that need no OCR: lane, frame sizes, lane-read fields.
  absl::Status ValidateArrival(const v1::SubmitArrivalRequest& request) const;
  // If (scope, key) was used before, replies with the first result once it is durable (or
  // FailedPrecondition when the request differs) and returns true.
  template <class Resp>
  bool ReplayIfRepeated(const std::string& scope, const std::string& key, const std::string& request_hash,
                        Reply<Resp> reply) {
    std::lock_guard<std::mutex> lock(mu_);
    return ReplayLocked(scope, key, request_hash, ParseReply(std::move(reply)));
  }
  // What the lane expects to see, to help the OCR settle ambiguities.
  void ExpectedAt(const std::string& lane_id, std::vector<std::string>* plates,
                  std::vector<std::string>* containers) const;
  // Opens a visit with the fused reads, decides, records, and replies.
  void SubmitArrival(const v1::SubmitArrivalRequest& request, ArrivalReads reads,
                     std::vector<EvidenceFrame> evidence, Reply<v1::SubmitArrivalResponse> reply);
  void ReportPassage(const v1::ReportPassageRequest& request, Reply<v1::ReportPassageResponse> reply);
  void RequestAssistance(const v1::RequestAssistanceRequest& request,
                         Reply<v1::RequestAssistanceResponse> reply);

  void UpsertAppointment(const v1::UpsertAppointmentRequest& request, Reply<v1::Appointment> reply);
  void CancelAppointment(const v1::CancelAppointmentRequest& request, Reply<v1::Appointment> reply);
  void SetCustomsStatus(const v1::SetCustomsStatusRequest& request,
                        Reply<v1::SetCustomsStatusResponse> reply);
  // Read from the store (every visit ever): not for gRPC callback threads.
  absl::StatusOr<v1::ListVisitsResponse> ListVisits(const v1::ListVisitsRequest& request) const;
  // From memory, or from the store for an old visit: not for gRPC callback threads.
  absl::StatusOr<v1::Visit> GetVisit(const std::string& visit_id) const;
  // The trouble desk's queue, oldest first. Reads frames from the store when asked: not for
  // gRPC callback threads then.
  absl::StatusOr<v1::ListTroubleVisitsResponse> ListTroubleVisits(const v1::ListTroubleVisitsRequest& request) const;
  void ResolveTrouble(const v1::ResolveTroubleRequest& request, Reply<v1::Visit> reply);

  // Records something that happened outside a request (a lane fault, a device report) as an
  // event. `rows` may add rows to the same transaction.
  void RecordEvent(v1::Event event, Store::Work rows = nullptr);

  // False once a commit has failed: the yard then refuses every change (fail closed).
  bool healthy() const;

  // A change computed under the yard's lock: what to reply, which events to log, which rows to
  // write, and what to do once it is durable. A change whose status is not OK still commits
  // its events and rows (a refused seal transition is logged) and then replies with the status.
  template <class Resp>
  struct Change : SideEffects {
    absl::Status status;
    Resp response;
  };
  template <class Resp>
  using Compute = std::function<absl::StatusOr<Change<Resp>>()>;

  // The one path every change takes: replay a repeated idempotency key (scope + key, with
  // the request's hash), or run `compute` under the yard's lock, give its events their
  // sequence numbers, write everything in one batch, then publish and reply. `compute`
  // returning an error writes nothing. Empty `key`: no idempotency.
  template <class Resp>
  void Mutate(const std::string& scope, const std::string& key, const std::string& request_hash,
              Reply<Resp> reply, Compute<Resp> compute);

 private:
  struct Remembered {
    std::string request_hash;
    std::string response;
    int64_t created_ms = 0;
  };
  struct RawChange : SideEffects {
    absl::Status status;
    std::string response;
  };
  using RawReply = std::function<void(absl::StatusOr<std::string>)>;

  Yard(const Config& config, Store* store, LaneHardware* lanes, SealDirectory* seals);
  absl::Status LoadState();

  void MutateRaw(const std::string& scope, const std::string& key, const std::string& request_hash,
                 RawReply reply, std::function<absl::StatusOr<RawChange>()> compute);
  bool ReplayLocked(const std::string& scope, const std::string& key, const std::string& request_hash,
                    const RawReply& reply);
  template <class Resp>
  static RawReply ParseReply(Reply<Resp> reply);

  // REQUIRES: mu_ held.
  // The newest visit of `plate` started within the active window, if it is at a stage before
  // `stage` (so this arrival continues it).
  // Drops visits and idempotency keys older than the memory window (they stay in the store).
  void ForgetOldLocked(int64_t now_ms);
  const v1::Visit* ContinuableVisitLocked(const std::string& plate, v1::Stage stage, int64_t now_ms) const;
  gate::DecisionInput DecisionInputLocked(const v1::Visit& visit, int64_t now_ms) const;
  void ApplyOutcomeLocked(const gate::DecisionOutcome& outcome, const std::string& decided_by,
                          v1::Visit* visit) const;
  // An event stamped now; Mutate gives it its sequence number.
  static v1::Event NewEvent(const std::string& lane_id, const std::string& visit_id);
  std::function<void()> OpenBarrierEffect(const v1::Visit& visit);

  const Config config_;
  Store* const store_;
  LaneHardware* const lanes_;
  SealDirectory* const seals_;
  std::unique_ptr<EventLog> events_;

  mutable std::mutex mu_;
  gate::DecisionPolicy policy_;                              // guarded by mu_
  std::map<std::string, v1::Appointment> appointments_;      // guarded by mu_
  std::map<std::string, v1::CustomsStatus> customs_;         // guarded by mu_
  std::map<std::string, v1::Visit> visits_;                  // guarded by mu_
  std::map<std::string, Remembered> idempotency_;            // guarded by mu_; scope + '\n' + key
  std::deque<std::pair<int64_t, std::string>> idempotency_order_;  // guarded by mu_; oldest first
  uint64_t next_sequence_ = 1;                               // guarded by mu_
  uint64_t next_visit_number_ = 1;                           // guarded by mu_
  bool healthy_ = true;                                      // guarded by mu_
};

template <class Resp>
Yard::RawReply Yard::ParseReply(Reply<Resp> reply) {
  return [reply = std::move(reply)](absl::StatusOr<std::string> bytes) {
    if (!bytes.ok()) return reply(bytes.status());
    Resp response;
    response.ParseFromString(*bytes);
    reply(std::move(response));
  };
}

template <class Resp>
void Yard::Mutate(const std::string& scope, const std::string& key, const std::string& request_hash,
                  Reply<Resp> reply, Compute<Resp> compute) {
  MutateRaw(scope, key, request_hash, ParseReply(std::move(reply)),
            [compute = std::move(compute)]() -> absl::StatusOr<RawChange> {
              absl::StatusOr<Change<Resp>> change = compute();
              if (!change.ok()) return change.status();
              RawChange raw;
              raw.status = change->status;
              change->response.SerializeToString(&raw.response);
              raw.Append(std::move(*change));
              return raw;
            });
}

// The fingerprint of a request with its idempotency key cleared, so that a retry with the
// same key can be told apart from a different request that reuses the key.
template <class Request>
std::string RequestHash(Request request) {
  request.clear_idempotency_key();
  std::string bytes;
  request.SerializeToString(&bytes);
  return common::FingerprintHex(bytes);
}

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_YARD_H_
