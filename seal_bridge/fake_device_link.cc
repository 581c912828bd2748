#include "seal_bridge/fake_device_link.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace yardgate::seal {

void FakeDeviceLink::SendUnlock(const std::string& device_id, absl::Duration ttl, UnlockCallback callback) {
  absl::StatusOr<std::string> id = NormalizeTerminalId(device_id);
  UnlockOutcome refused;
  std::string why;
  {
    absl::MutexLock lock(&mu_);
    auto known = id.ok() ? known_.find(*id) : known_.end();
    if (known == known_.end()) {
      refused = UnlockOutcome::kFailed;
      why = "the terminal is not known to the gateway";
    } else if (online_.count(*id) == 0) {
      refused = UnlockOutcome::kDeviceOffline;
      why = absl::StrCat("device ", *id, " is not connected");
    } else if (in_flight_.count(*id) > 0) {
      refused = UnlockOutcome::kFailed;
      why = "an unlock is already in progress for this device";
    } else {
      sent_.push_back({*id, known->second.lock_family, ttl});
      in_flight_[*id] = std::move(callback);
      return;
    }
  }
  callback(refused, why);
}

bool FakeDeviceLink::IsOnline(const std::string& device_id) const {
  absl::StatusOr<std::string> id = NormalizeTerminalId(device_id);
  absl::MutexLock lock(&mu_);
  return id.ok() && online_.count(*id) > 0;
}

absl::Status FakeDeviceLink::AddKnownTerminal(const KnownTerminal& terminal) {
  absl::StatusOr<std::string> id = NormalizeTerminalId(terminal.device_id);
  if (!id.ok()) return id.status();
  if (families_.count(terminal.lock_family) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("lock family '", terminal.lock_family, "' is not configured"));
  }
  absl::MutexLock lock(&mu_);
  KnownTerminal& k = known_[*id];
  k.device_id = *id;
  k.lock_family = terminal.lock_family;
  if (!terminal.auth_code.empty()) k.auth_code = terminal.auth_code;
  return absl::OkStatus();
}

void FakeDeviceLink::RemoveKnownTerminal(const std::string& device_id) {
  absl::StatusOr<std::string> id = NormalizeTerminalId(device_id);
  if (!id.ok()) return;
  UnlockCallback dropped;
  {
    absl::MutexLock lock(&mu_);
    known_.erase(*id);
    online_.erase(*id);
    auto it = in_flight_.find(*id);
    if (it != in_flight_.end()) {
      dropped = std::move(it->second);
      in_flight_.erase(it);
    }
  }
  if (dropped) dropped(UnlockOutcome::kFailed, "connection closed before confirmation: terminal removed");
}

void FakeDeviceLink::SetOnline(const std::string& device_id, bool online) {
  absl::StatusOr<std::string> id = NormalizeTerminalId(device_id);
  if (!id.ok()) return;
  absl::MutexLock lock(&mu_);
  if (online) {
    online_.insert(*id);
  } else {
    online_.erase(*id);
  }
}

bool FakeDeviceLink::Answer(const std::string& device_id, UnlockOutcome outcome, const std::string& detail) {
  UnlockCallback callback;
  {
    absl::MutexLock lock(&mu_);
    auto it = in_flight_.find(device_id);
    if (it == in_flight_.end()) return false;
    callback = std::move(it->second);
    in_flight_.erase(it);
  }
  callback(outcome, detail);
  return true;
}

std::vector<FakeDeviceLink::SentUnlock> FakeDeviceLink::sent() const {
  absl::MutexLock lock(&mu_);
  return sent_;
}

std::optional<KnownTerminal> FakeDeviceLink::known(const std::string& device_id) const {
  absl::MutexLock lock(&mu_);
  auto it = known_.find(device_id);
  if (it == known_.end()) return std::nullopt;
  return it->second;
}

}  // namespace yardgate::seal
