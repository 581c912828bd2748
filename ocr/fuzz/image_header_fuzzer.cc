// libFuzzer target for ReadImageSize (image_header.h): whatever the bytes, it returns (a size
// or an error) without reading outside them, and a size it returns is never zero.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ocr/image_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::StatusOr<yardgate::ocr::ImageSize> s =
      yardgate::ocr::ReadImageSize(std::string_view(reinterpret_cast<const char*>(data), size));
  if (s.ok() && s->pixels() == 0) std::abort();
  return 0;
}
