#include "seal_bridge/device_report.h"

namespace yardgate::seal {

const char* LockStateName(LockState s) {
  switch (s) {
    case LockState::kLocked: return "locked";
    case LockState::kUnlocked: return "unlocked";
    default: return "unknown";
  }
}

const char* UnlockOutcomeName(UnlockOutcome o) {
  switch (o) {
    case UnlockOutcome::kAcknowledged: return "ACKNOWLEDGED";
    case UnlockOutcome::kFailed: return "FAILED";
    case UnlockOutcome::kDeviceOffline: return "DEVICE_OFFLINE";
    case UnlockOutcome::kExpired: return "EXPIRED";
  }
  return "FAILED";
}

DeviceReport MakeDeviceReport(const std::string& device_id, const Location& l, bool v2019,
                              absl::Time received, int low_battery_percent) {
  DeviceReport r;
  r.device_id = device_id;
  r.received = received;
  r.time = l.time.value_or(received);
  r.position_valid = l.fix_valid();
  r.latitude = l.latitude;
  r.longitude = l.longitude;
  r.speed_kmh = l.speed_kmh;
  r.course_deg = l.course_deg;
  r.altitude_m = l.altitude_m;
  r.alarms = AlarmNames(l.alarm_bits, v2019);
  r.seal_alarms = ElockAlarms(l, v2019, low_battery_percent);
  r.status_flags = StatusFlags(l.status_bits, v2019);
  if (l.elock.locked.has_value()) {
    r.lock_state = *l.elock.locked ? LockState::kLocked : LockState::kUnlocked;
  } else if (l.elock.unlock_result.has_value() && *l.elock.unlock_result == 0) {
    r.lock_state = LockState::kUnlocked;
  }
  r.battery_percent = l.elock.battery_percent;
  r.unlock_result = l.elock.unlock_result;
  r.raw_items = l.items;
  r.warnings = l.warnings;
  return r;
}

}  // namespace yardgate::seal
