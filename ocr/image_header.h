// The dimensions an encoded JPEG or PNG declares, read from its header without decoding it,
// so that a small file declaring a huge image (a decompression bomb: 137 KiB of PNG for
// 12,000 x 12,000 pixels, 400 MiB once decoded) is refused before any pixel is allocated.
//
// Only the header is trusted for the size check: the decoder may still find the rest broken.
//
// Plain function over bytes, safe from any thread; never reads outside `bytes`.
//
//   absl::StatusOr<ImageSize> size = ReadImageSize(frame.encoded);
//   if (size.ok() && size->pixels() > limit) Refuse();
#ifndef YARDGATE_OCR_IMAGE_HEADER_H_
#define YARDGATE_OCR_IMAGE_HEADER_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace yardgate::ocr {

enum class ImageFormat { kJpeg, kPng };

struct ImageSize {
  ImageFormat format = ImageFormat::kJpeg;
  uint32_t width = 0, height = 0;
  uint64_t pixels() const { return static_cast<uint64_t>(width) * height; }
};

// The format and size of a JPEG (the first start-of-frame marker, any SOF kind) or PNG (its
// IHDR chunk). InvalidArgument when `bytes` is neither, is cut short before the size, or
// declares a zero width or height.
absl::StatusOr<ImageSize> ReadImageSize(std::string_view bytes);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_IMAGE_HEADER_H_
