// The seal bridge inside the server: the SealBook (seal lifecycle, seal_bridge/), the JT/T 808
// gateway the e-locks report to, and the gate's view of seals (gate::SealDirectory).
//
// Every seal change goes through the journal, so seal events are in the same ordered, durable
// log as the visits that cause them, and a seal's stored snapshot never goes back in time. E-lock
// reports arrive on the gateway thread and take that path too (no I/O on that thread: the store
// writes in the background); a report is acknowledged to the lock only once it is stored.
//
// Thread-safety: all public methods may be called from any thread. The SealDirectory methods and
// Restore are called by the journal with its lock held (inside a command).
#ifndef YARDGATE_SERVER_SEALS_H_
#define YARDGATE_SERVER_SEALS_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "gate/gate_core.h"
#include "seal_bridge/jt808_gateway.h"
#include "seal_bridge/seal_book.h"
#include "server/config.h"
#include "server/journal.h"
#include "yardgate/v1/seal_service.pb.h"

namespace yardgate::server {

class Seals final : public gate::SealDirectory, public seal::DeviceListener {
 public:
  Seals(const Config& config, common::Clock* clock);
  ~Seals() override;

  // Replaces the seal book and the known e-lock terminals with the stored ones (blobs of kind
  // "seal" and "terminal"). Under the journal's lock.
  absl::Status Restore(const std::vector<gate::BlobRecord>& blobs);

  // Starts the JT/T 808 gateway with the known terminals, and the signal watchdog. Without a
  // configured lock family the gateway stays off (nothing of a lock's password is compiled in)
  // and `notice` says so. REQUIRES: `journal` outlives Stop().
  absl::Status StartGateway(Journal* journal, std::string* notice);
  // Stops the gateway (pending unlocks fail) and the watchdog. Idempotent.
  void Stop();
  int jt808_port() const;
  seal::Jt808Gateway* gateway() { return gateway_.get(); }

  // SealService. REQUIRES: the caller has authenticated the officer the request names and checked
  // the idempotency key. `reply` gets the serialized v1 response.
  void Apply(const v1::ApplySealRequest& request, Journal::Reply reply);
  void ReportEvent(const v1::ReportSealEventRequest& request, Journal::Reply reply);
  absl::StatusOr<v1::Seal> Get(const std::string& seal_id) const;
  void RequestUnlock(const v1::RequestUnlockRequest& request, Journal::Reply reply);
  // Admins: makes a terminal known (REQUIRES: the caller is an authenticated admin).
  void RegisterTerminal(const v1::RegisterTerminalRequest& request, Journal::Reply reply);

  // The unlock effect: sends one unlock command; `done` gets the lock's answer as a status
  // (UnlockStatus). From any thread.
  void SendUnlock(const gate::UnlockSeal& unlock, std::function<void(absl::Status)> done);
  // The journal's follow-up for an unlock's answer: the seal book records it.
  Journal::Compute RecordUnlockResult(const gate::UnlockSeal& unlock, const absl::Status& result);

  // gate::SealDirectory.
  std::vector<gate::SealView> SealsFor(const std::vector<std::string>& plates,
                                       const std::vector<std::string>& containers,
                                       const std::vector<std::string>& seal_ids) override;
  gate::Change OnGateArrival(const std::string& lane_id, const std::string& visit_id,
                             const std::vector<std::string>& plates,
                             const std::vector<std::string>& containers) override;
  gate::Change OnGateOpen(const std::string& visit_id, const std::vector<std::string>& seal_ids) override;

  // seal::DeviceListener (gateway thread).
  void OnAuthCodeIssued(const seal::KnownTerminal& terminal, seal::StoredCallback stored) override;
  void OnReport(const seal::DeviceReport& report) override;
  void OnSecurityAlarm(const seal::SecurityAlarm& alarm) override;

 private:
  void WatchSignals();
  // The terminal record a seal or an admin adds, or nullopt when the terminal is known already.
  // REQUIRES: under the journal's lock.
  absl::StatusOr<std::optional<seal::KnownTerminal>> NewTerminal(const std::string& device_id,
                                                                 const std::string& family) const;
  // Tells the gateway once the record is durable.
  void MakeKnown(const seal::KnownTerminal& terminal);

  const Config config_;
  common::Clock* const clock_;
  seal::SealBook book_;
  Journal* journal_ = nullptr;
  std::unique_ptr<seal::Jt808Gateway> gateway_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                             // guarded by mu_
  std::map<std::string, absl::Time> unbound_raised_;  // guarded by mu_: device -> last raised
  // The known terminals as stored (with their codes); touched only under the journal's lock.
  std::map<std::string, seal::KnownTerminal> terminals_;
  std::map<std::string, std::string> known_by_;
  std::thread watchdog_;
};

// An unlock outcome as a status (OK = acknowledged by the lock) and back.
absl::Status UnlockStatus(seal::UnlockOutcome outcome, const std::string& detail);
seal::UnlockOutcome UnlockOutcomeOf(const absl::Status& status);

// Conversions, exposed for tests.
v1::Seal ToProto(const seal::SealRecord& record);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_SEALS_H_
