// The server's view of lane hardware: is a lane fit to open, and open it for a visit.
//
// The yard decides; this carries the decision out. Implementations drive barrier supervisors
// (gate/lane) per configured lane. Thread-safety: implementations must allow calls from any
// thread and must not block for long in Open (hardware I/O happens on their own threads).
#ifndef YARDGATE_SERVER_LANE_HARDWARE_H_
#define YARDGATE_SERVER_LANE_HARDWARE_H_

#include <string>

#include "absl/status/status.h"

namespace yardgate::server {

class LaneHardware {
 public:
  virtual ~LaneHardware() = default;
  // OK when the lane can open now (PLC reachable, inputs fresh, no E-stop or loop fault);
  // otherwise Unavailable saying why.
  virtual absl::Status Ready(const std::string& lane_id) = 0;
  // Opens the barrier for one vehicle of `visit_id`. The outcome arrives as lane events.
  virtual absl::Status Open(const std::string& lane_id, const std::string& visit_id) = 0;
};

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_LANE_HARDWARE_H_
