#include "server/ocr_frame_reader.h"

#include "absl/strings/str_cat.h"

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

namespace {

// Why the engine would not let this read act alone although its confidence may clear the
// threshold: an unsure settlement, or a check-digit-blind look-alike seen by one frame.
std::string DoubtOf(bool auto_ok, const ocr::Settlement& settlement, bool check_digit_blind) {
  if (auto_ok) return "";
  if (!settlement.empty() && !settlement.sure) {
    return absl::StrCat("completed from the appointment where the recogniser was unsure: ", settlement.reason);
  }
  if (check_digit_blind) {
    return "a look-alike character that the check digit cannot catch (M/W and the like), seen by one camera only";
  }
  return "";
}

template <class Read>
gate::FieldRead FieldReadOf(const std::string& text, const Read& r, bool check_digit_blind) {
  gate::FieldRead out;
  out.text = text;
  out.confidence = r.confidence;
  out.source = "ocr";
  out.settled = !r.settlement.empty();
  out.settled_detail = r.settlement.reason;
  out.doubt = DoubtOf(r.auto_ok, r.settlement, check_digit_blind);
  return out;
}

}  // namespace

FrameReads ToFrameReads(const ocr::VisitReads& reads) {
  FrameReads out;
  for (const ocr::PlateRead& p : reads.plates) {
    // The trailer's plate is not the truck's; a text that is no plate at all finds nothing.
    if (p.kind == ocr::PlateReadKind::kTrailer || p.kind == ocr::PlateReadKind::kUnknown) continue;
    out.plates.push_back(FieldReadOf(p.text, p, false));
  }
  for (const ocr::ContainerRead& c : reads.containers) {
    gate::FieldRead container = FieldReadOf(c.number, c, c.check_digit_blind);
    container.check_digit_ok = c.check_digit_ok;
    out.containers.push_back(container);
  }
  return out;
}

}  // namespace yardgate::server
