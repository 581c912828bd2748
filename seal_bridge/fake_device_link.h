// FakeDeviceLink: a DeviceLink without sockets, for unit tests of code that unlocks e-locks
// (the server's seal wiring). It validates known terminals as the gateway does, keeps them
// in memory, lets the test say which devices are online, and holds each SendUnlock until the
// test answers it (or answers at once: offline, unknown terminal, one already in flight).
//
//   FakeDeviceLink link({"jointech"});
//   link.AddKnownTerminal({"13800000001", "jointech", ""});
//   link.SetOnline("13800000001", true);
//   code_under_test.Unlock(&link);                    // calls link.SendUnlock(...)
//   link.Answer("13800000001", UnlockOutcome::kAcknowledged, "confirmed");
//
// Thread-safety: thread-safe; callbacks run on the thread that calls Answer (or SendUnlock).
#ifndef YARDGATE_SEAL_BRIDGE_FAKE_DEVICE_LINK_H_
#define YARDGATE_SEAL_BRIDGE_FAKE_DEVICE_LINK_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "seal_bridge/device_link.h"

namespace yardgate::seal {

class FakeDeviceLink final : public DeviceLink {
 public:
  struct SentUnlock {
    std::string device_id;
    std::string lock_family;
    absl::Duration ttl;
  };

  explicit FakeDeviceLink(std::set<std::string> lock_families) : families_(std::move(lock_families)) {}

  void SendUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback callback) override;
  bool IsOnline(const std::string& device_id) const override;
  absl::Status AddKnownTerminal(const KnownTerminal& terminal) override;
  void RemoveKnownTerminal(const std::string& device_id) override;

  void SetOnline(const std::string& device_id, bool online);
  // Ends the device's unlock in flight with `outcome`; false if none is.
  bool Answer(const std::string& device_id, UnlockOutcome outcome, const std::string& detail);
  std::vector<SentUnlock> sent() const;
  std::optional<KnownTerminal> known(const std::string& device_id) const;

 private:
  const std::set<std::string> families_;
  mutable absl::Mutex mu_;
  std::map<std::string, KnownTerminal> known_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> online_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, UnlockCallback> in_flight_ ABSL_GUARDED_BY(mu_);
  std::vector<SentUnlock> sent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_FAKE_DEVICE_LINK_H_
