#include "gate/lane/lane_controller.h"

#include "absl/strings/str_cat.h"

namespace yardgate::gate::lane {

std::string LaneInputs::DebugString() const {
  return absl::StrCat("arming=", arming_loop, " safety=", safety_loop, " closing=", closing_loop,
                      " photo_eye=", photo_eye, " arm_up=", arm_up, " arm_down=", arm_down,
                      " loop_fault=", loop_fault, " estop=", estop, " manual_key=", manual_key,
                      " read_time=", absl::FormatTime(read_time));
}

const char* LightName(Light light) {
  switch (light) {
    case Light::kOff:
      return "off";
    case Light::kRed:
      return "red";
    case Light::kAmber:
      return "amber";
    case Light::kGreen:
      return "green";
  }
  return "unknown";
}

}  // namespace yardgate::gate::lane
