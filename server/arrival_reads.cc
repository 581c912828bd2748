#include "server/arrival_reads.h"

#include <algorithm>

#include "common/iso6346.h"
#include "gate/decision.h"
#include "common/plate_text.h"

namespace yardgate::server {

ArrivalReads MergeReads(const v1::LaneRead& lane, const ArrivalReads& from_frames) {
  ArrivalReads out = from_frames;
  const double confidence = lane.has_confidence() ? lane.confidence() : 1.0;
  if (!lane.plate().empty()) {
    v1::FieldRead plate;
    plate.set_text(common::NormalizePlate(lane.plate()));
    plate.set_confidence(confidence);
    plate.set_source("lane");
    out.plate = plate;
  }
  for (const std::string& raw : lane.container_numbers()) {
    const std::string number = common::NormalizeContainerNumber(raw);
    auto same = std::find_if(out.containers.begin(), out.containers.end(),
                             [&](const v1::FieldRead& r) { return r.text() == number; });
    v1::FieldRead read;
    read.set_text(number);
    read.set_confidence(confidence);
    read.set_source("lane");
    read.set_check_digit_ok(common::ValidateContainerNumber(number).ok());
    if (same != out.containers.end()) {
      *same = read;
    } else {
      out.containers.push_back(read);
    }
  }
  return out;
}

}  // namespace yardgate::server
