#include "server/arrival_reads.h"

#include <algorithm>

#include "common/iso6346.h"
#include "common/plate_text.h"

namespace yardgate::server {

FrameReads MergeReads(const v1::LaneRead& lane, FrameReads out) {
  // Devices that do not guess (RFID, IC card, kiosk input) count as certain; a third-party plate
  // camera sets its own confidence.
  const double confidence = lane.has_confidence() ? lane.confidence() : 1.0;
  if (!lane.plate().empty()) {
    gate::FieldRead plate;
    plate.text = common::NormalizePlate(lane.plate());
    plate.confidence = confidence;
    plate.source = "lane";
    out.plates.erase(std::remove_if(out.plates.begin(), out.plates.end(),
                                    [&](const gate::FieldRead& p) { return p.text == plate.text; }),
                     out.plates.end());
    out.plates.insert(out.plates.begin(), plate);
  }
  for (const std::string& raw : lane.container_numbers()) {
    gate::FieldRead read;
    read.text = common::NormalizeContainerNumber(raw);
    read.confidence = confidence;
    read.source = "lane";
    read.check_digit_ok = common::ValidateContainerNumber(read.text).ok();
    auto same = std::find_if(out.containers.begin(), out.containers.end(),
                             [&](const gate::FieldRead& r) { return r.text == read.text; });
    if (same != out.containers.end()) {
      *same = read;
    } else {
      out.containers.push_back(read);
    }
  }
  return out;
}

}  // namespace yardgate::server
