// The OCR engine behind the FrameReader seam: camera frames in, plate and container reads out.
//
// The engine loads its Tesseract models on first use, not at start-up, so a server whose lanes
// send only device reads never pays for them.
//
// Thread-safety: Read() may be called from any number of threads at once.
#ifndef YARDGATE_SERVER_OCR_FRAME_READER_H_
#define YARDGATE_SERVER_OCR_FRAME_READER_H_

#include <memory>
#include <mutex>

#include "ocr/engine.h"
#include "server/arrival_reads.h"

namespace yardgate::server {

class OcrFrameReader final : public FrameReader {
 public:
  explicit OcrFrameReader(ocr::EngineOptions options) : options_(std::move(options)) {}

  absl::StatusOr<FrameReads> Read(const std::vector<v1::CameraFrame>& frames,
                                    const std::vector<std::string>& expected_plates,
                                    const std::vector<std::string>& expected_containers) override;

 private:
  absl::StatusOr<ocr::Engine*> engine();

  const ocr::EngineOptions options_;
  std::mutex mu_;
  std::unique_ptr<ocr::Engine> engine_;  // guarded by mu_ until created, then immutable
};

// Turns the engine's fused reads into the gate's reads: every plate that is not a trailer plate
// (a cross-border truck shows its mainland and its Hong Kong or Macau plate, and either may find
// its booking); every container the engine reported, valid or not, so that a check-digit failure
// reaches the clerk instead of vanishing.
FrameReads ToFrameReads(const ocr::VisitReads& reads);

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_OCR_FRAME_READER_H_
