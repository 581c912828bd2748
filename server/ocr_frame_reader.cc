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

absl::StatusOr<FrameReads> OcrFrameReader::Read(const std::vector<v1::CameraFrame>& frames,
                                                  const std::vector<std::string>& expected_plates,
                                                  const std::vector<std::string>& expected_containers) {
  absl::StatusOr<ocr::Engine*> engine = this->engine();
  if (!engine.ok()) return engine.status();
  std::vector<ocr::FrameInput> inputs;
  inputs.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const v1::CameraFrame& f = frames[i];
    inputs.push_back({absl::StrCat("frames[", i, "] (", v1::CameraPosition_Name(f.position()),
                                   f.camera_id().empty() ? "" : " ", f.camera_id(), ")"),
                      f.camera_id(), f.jpeg()});
  }
  absl::StatusOr<ocr::VisitReads> reads =
      (*engine)->ReadVisit(inputs, ocr::Expectations{expected_containers, expected_plates});
  if (!reads.ok()) return reads.status();
  return ToFrameReads(*reads);
}

FrameReads ToFrameReads(const ocr::VisitReads& reads) {
  FrameReads out;
  for (const ocr::PlateRead& p : reads.plates) {
    if (absl::EndsWith(p.text, "挂")) continue;  // the trailer's plate, not the truck's
    gate::FieldRead plate;
    plate.text = p.text;
    plate.confidence = p.confidence;
    plate.source = "ocr";
    plate.settled = p.settled_by_expectation;
    out.plates.push_back(plate);
  }
  for (const ocr::ContainerRead& c : reads.containers) {
    gate::FieldRead container;
    container.text = c.number;
    container.confidence = c.confidence;
    container.source = "ocr";
    container.check_digit_ok = c.check_digit_ok;
    container.settled = c.settled_by_expectation;
    out.containers.push_back(container);
  }
  return out;
}

}  // namespace yardgate::server
