#include "ocr/image_header.h"

#include "absl/strings/str_cat.h"

namespace yardgate::ocr {
namespace {

uint32_t BigEndian(std::string_view b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

absl::StatusOr<ImageSize> Checked(ImageSize size) {
  if (size.width == 0 || size.height == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("image header declares ", size.width, "x", size.height, " pixels"));
  }
  return size;
}

absl::StatusOr<ImageSize> PngSize(std::string_view b) {
  // Signature (8), then the first chunk, which must be IHDR: length (4), type (4), width (4),
  // height (4).
  if (b.size() < 24 || b.substr(12, 4) != "IHDR") {
    return absl::InvalidArgumentError("PNG without an IHDR header");
  }
  return Checked({ImageFormat::kPng, BigEndian(b, 16, 4), BigEndian(b, 20, 4)});
}

absl::StatusOr<ImageSize> JpegSize(std::string_view b) {
  size_t at = 2;  // after SOI
  while (true) {
    // A marker: one or more 0xFF fill bytes, then its code.
    if (at >= b.size() || static_cast<unsigned char>(b[at]) != 0xFF) {
      return absl::InvalidArgumentError("JPEG without a frame header");
    }
    while (at < b.size() && static_cast<unsigned char>(b[at]) == 0xFF) ++at;
    if (at >= b.size()) return absl::InvalidArgumentError("JPEG without a frame header");
    const unsigned char code = static_cast<unsigned char>(b[at++]);
    // Markers without a length: TEM, RST0-7 (and a stray SOI).
    if (code == 0x01 || (code >= 0xD0 && code <= 0xD8)) continue;
    if (code == 0xD9 || code == 0xDA) {  // EOI, or SOS: entropy-coded data before any SOF
      return absl::InvalidArgumentError("JPEG without a frame header");
    }
    if (at + 2 > b.size()) return absl::InvalidArgumentError("JPEG cut short in a header");
    const uint32_t length = BigEndian(b, at, 2);
    if (length < 2) return absl::InvalidArgumentError("JPEG with a malformed segment");
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision (1), height (2), width (2).
    if (code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC) {
      if (length < 7 || at + 7 > b.size()) {
        return absl::InvalidArgumentError("JPEG cut short in its frame header");
      }
      return Checked({ImageFormat::kJpeg, BigEndian(b, at + 5, 2), BigEndian(b, at + 3, 2)});
    }
    at += length;
  }
}

}  // namespace

absl::StatusOr<ImageSize> ReadImageSize(std::string_view bytes) {
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return PngSize(bytes);
  }
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8) {
    return JpegSize(bytes);
  }
  return absl::InvalidArgumentError("neither a JPEG nor a PNG image");
}

}  // namespace yardgate::ocr
