#include "server/ocr_frame_reader.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"

namespace yardgate::server {

absl::StatusOr<ocr::Engine*> OcrFrameReader::engine() {
  std::lock_guard<std::mutex> lock(mu_);
  if (engine_ == nullptr) {
    absl::StatusOr<std::unique_ptr<ocr::Engine>> created = ocr::Engine::Create(options_);
    if (!created.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("the OCR engine cannot start: ", created.status().message()));
    }
    engine_ = *std::move(created);
  }
  return engine_.get();
}

absl::StatusOr<ArrivalReads> OcrFrameReader::Read(const std::vector<v1::CameraFrame>& frames,
                                                  const std::vector<std::string>& expected_plates,
                                                  const std::vector<std::string>& expected_containers) {
  absl::StatusOr<ocr::Engine*> engine = this->engine();
  if (!engine.ok()) return engine.status();
  std::vector<ocr::FrameInput> inputs;
  inputs.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const v1::CameraFrame& f = frames[i];
    inputs.push_back({absl::StrCat("frame ", i, " (", v1::CameraPosition_Name(f.position()),
                                   f.camera_id().empty() ? "" : " ", f.camera_id(), ")"),
                      f.camera_id(), f.jpeg()});
  }
  absl::StatusOr<ocr::VisitReads> reads =
      (*engine)->ReadVisit(inputs, ocr::Expectations{expected_containers, expected_plates});
  if (!reads.ok()) return reads.status();
  return ToArrivalReads(*reads);
}

ArrivalReads ToArrivalReads(const ocr::VisitReads& reads) {
  ArrivalReads out;
  for (const ocr::PlateRead& p : reads.plates) {
    if (absl::EndsWith(p.text, "挂")) continue;  // the trailer's plate, not the truck's
    v1::FieldRead plate;
    plate.set_text(p.text);
    plate.set_confidence(p.confidence);
    plate.set_source("ocr");
    out.plate = plate;
    break;
  }
  for (const ocr::ContainerRead& c : reads.containers) {
    v1::FieldRead container;
    container.set_text(c.number);
    container.set_confidence(c.confidence);
    container.set_source("ocr");
    container.set_check_digit_ok(c.check_digit_ok);
    out.containers.push_back(container);
  }
  return out;
}

}  // namespace yardgate::server
