// The seal bridge inside the server: the SealBook (seal lifecycle), the JT/T 808 gateway the
// e-locks report to, persistence of seals and position trails, and the gate's side of it
// (arrival, verification, one-shot unlock).
//
// Every seal change goes through Yard::Mutate, under the yard's lock, so seal events are in
// the same ordered, durable log as the visits that cause them, and a seal's stored snapshot
// never goes back in time. E-lock reports arrive on the gateway thread and take that path too
// (a short lock, no I/O: the store writes in the background).
//
// Thread-safety: all public methods may be called from any thread. SealDirectory methods are
// called by the yard with its lock held.
#ifndef YARDGATE_SERVER_SEALS_H_
#define YARDGATE_SERVER_SEALS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "seal_bridge/jt808_gateway.h"
#include "seal_bridge/seal_book.h"
#include "server/config.h"
#include "server/store.h"
#include "server/yard.h"
#include "yardgate/v1/seal_service.pb.h"

namespace yardgate::server {

class Seals final : public SealDirectory, public seal::Jt808Listener {
 public:
  // Loads the stored seals. The gateway starts in StartGateway(), once the yard exists.
  static absl::StatusOr<std::unique_ptr<Seals>> Load(const Config& config, Store* store);
  ~Seals() override;

  // Starts the JT/T 808 listener and the signal watchdog. REQUIRES: `yard` outlives Stop().
  absl::Status StartGateway(Yard* yard);
  // Stops the gateway (pending unlocks fail) and the watchdog. Idempotent.
  void Stop();
  int jt808_port() const;
  seal::Jt808Gateway* gateway() { return gateway_.get(); }

  // SealService. REQUIRES: the caller has authenticated the officer the request names.
  void Apply(const v1::ApplySealRequest& request, Reply<v1::Seal> reply);
  void ReportEvent(const v1::ReportSealEventRequest& request, Reply<v1::Seal> reply);
  absl::StatusOr<v1::Seal> Get(const std::string& seal_id) const;
  void RequestUnlock(const v1::RequestUnlockRequest& request, Reply<v1::RequestUnlockResponse> reply);

  // SealDirectory.
  SideEffects OnGateArrival(const std::string& lane_id, const std::string& plate,
                            const std::vector<std::string>& containers) override;
  std::vector<gate::SealView> SealsFor(const std::string& plate, const std::vector<std::string>& containers,
                                       const std::vector<std::string>& seal_ids) override;
  SideEffects OnGateOpen(const std::string& visit_id, const std::vector<std::string>& seal_ids) override;

  // Jt808Listener (gateway thread).
  void OnReport(const seal::DeviceReport& report) override;

 private:
  Seals(const Config& config, Store* store);

  // Sends a one-shot unlock and records what the device answered; `done` gets the result.
  void SendUnlock(const std::string& seal_id, const std::string& device_id,
                  std::function<void(v1::RequestUnlockResponse)> done);
  void WatchSignals();

  const Config config_;
  Store* const store_;
  seal::SealBook book_;
  Yard* yard_ = nullptr;
  std::unique_ptr<seal::Jt808Gateway> gateway_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                                   // guarded by mu_
  std::map<std::string, absl::Time> unbound_raised_;        // guarded by mu_: device -> last raised
  std::thread watchdog_;
};

// Conversions, exposed for tests.
v1::Seal ToProto(const seal::SealRecord& record);
v1::Event ToEvent(const seal::SealTransition& transition);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_SEALS_H_
