// DeviceReport: one position/event from a seal device, normalised from the wire protocol.
// It is what Jt808Gateway hands its listener and what SealBook consumes, so seal logic never
// sees JT/T 808 details. A plain value type; safe to copy between threads.
#ifndef YARDGATE_SEAL_BRIDGE_DEVICE_REPORT_H_
#define YARDGATE_SEAL_BRIDGE_DEVICE_REPORT_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "seal_bridge/jt808_messages.h"

namespace yardgate::seal {

enum class LockState { kUnknown, kLocked, kUnlocked };
const char* LockStateName(LockState s);  // "unknown", "locked", "unlocked"

// How a one-shot unlock command ended (Jt808Gateway::SendUnlock, SealBook::OnUnlockResult).
// Values equal yardgate.v1.UnlockResult's.
enum class UnlockOutcome { kAcknowledged = 1, kFailed = 2, kDeviceOffline = 3, kExpired = 4 };
const char* UnlockOutcomeName(UnlockOutcome o);  // "ACKNOWLEDGED", "FAILED", ...

struct DeviceReport {
  std::string device_id;       // JT/T 808 terminal phone, leading zeros removed
  absl::Time time;             // device time (UTC); the receive time when the device's is invalid
  absl::Time received;         // when the gateway decoded it
  bool position_valid = false;  // status bit 1 (fix valid)
  double latitude = 0;         // signed degrees
  double longitude = 0;
  double speed_kmh = 0;
  int course_deg = 0;
  int altitude_m = 0;
  std::vector<std::string> alarms;       // JT/T 808 alarm names (AlarmNames)
  std::vector<std::string> seal_alarms;  // "rope_cut", "shell_opened", "wrong_password",
                                         // "low_battery", "tamper" (ElockAlarms)
  std::vector<std::string> status_flags;
  LockState lock_state = LockState::kUnknown;
  std::optional<int> battery_percent;
  std::optional<int> unlock_result;      // item 0x0B result: 0 ok, else refused
  bool from_batch = false;               // one position of a 0x0704
  bool blind_area = false;               // 0x0704 type 1: replayed after a coverage gap
  std::vector<AdditionalItem> raw_items;
  std::vector<std::string> warnings;
  // Set only when the gateway runs with ack_reports_when_durable: call it once when the
  // report is safe; the device's frame is acknowledged when all its reports are. Any thread.
  std::function<void()> acknowledge;
};

// Builds a report from a decoded 0x0200 body.
DeviceReport MakeDeviceReport(const std::string& device_id, const Location& location,
                              bool v2019, absl::Time received, int low_battery_percent = 10);

}  // namespace yardgate::seal

#endif  // YARDGATE_SEAL_BRIDGE_DEVICE_REPORT_H_
