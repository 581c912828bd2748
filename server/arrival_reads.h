// Turns what a lane captured into the reads the gate core decides on.
//
// Text the lane's own devices read (an RFID e-plate, an IC card lookup, kiosk input) is taken as
// given; camera frames go through a FrameReader (the OCR engine). Where both name a plate or a
// container, the lane's device wins and the OCR read backs it up.
//
// Thread-safety: FrameReader implementations must allow concurrent calls.
#ifndef YARDGATE_SERVER_ARRIVAL_READS_H_
#define YARDGATE_SERVER_ARRIVAL_READS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gate/model.h"
#include "yardgate/v1/gate_service.pb.h"

namespace yardgate::server {

// What the cameras of one arrival read.
struct FrameReads {
  std::vector<gate::FieldRead> plates;  // every plate seen (a cross-border truck shows two), likeliest first
  std::vector<gate::FieldRead> containers;
};

// Reads plates and containers from a visit's camera frames.
class FrameReader {
 public:
  virtual ~FrameReader() = default;
  // `expected_*` come from open appointments and may settle an ambiguous read.
  // InvalidArgument when a frame is not a decodable image or too large.
  virtual absl::StatusOr<FrameReads> Read(const std::vector<v1::CameraFrame>& frames,
                                          const std::vector<std::string>& expected_plates,
                                          const std::vector<std::string>& expected_containers) = 0;
};

// Merges the lane's device read with what the cameras read.
FrameReads MergeReads(const v1::LaneRead& lane, FrameReads from_frames);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_ARRIVAL_READS_H_
