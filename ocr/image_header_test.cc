#include "ocr/image_header.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace yardgate::ocr {
namespace {

std::string Encode(const std::string& ext, const cv::Mat& image,
                   const std::vector<int>& params = {}) {
  std::vector<uchar> buf;
  cv::imencode(ext, image, buf, params);
  return std::string(buf.begin(), buf.end());
}

// A PNG that is only a signature and an IHDR chunk declaring width x height.
std::string PngHeader(uint32_t width, uint32_t height) {
  std::string b("\x89PNG\r\n\x1a\n", 8);
  b += std::string("\0\0\0\x0d", 4) + "IHDR";
  for (uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) b += static_cast<char>((v >> shift) & 0xFF);
  }
  b += std::string("\x08\x02\0\0\0", 5);
  return b;
}

TEST(ImageHeader, ReadsTheSizeOfRealEncodings) {
  const cv::Mat image(37, 53, CV_8UC3, cv::Scalar(10, 200, 30));
  struct Case {
    const char* name;
    std::string bytes;
    ImageFormat format;
  } cases[] = {
      {"png", Encode(".png", image), ImageFormat::kPng},
      {"baseline jpeg", Encode(".jpg", image), ImageFormat::kJpeg},
      {"progressive jpeg", Encode(".jpg", image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
       ImageFormat::kJpeg},
      {"grey png", Encode(".png", cv::Mat(37, 53, CV_8UC1, cv::Scalar(9))), ImageFormat::kPng},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ImageSize> s = ReadImageSize(c.bytes);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.status();
    EXPECT_EQ(s->format, c.format) << c.name;
    EXPECT_EQ(s->width, 53u) << c.name;
    EXPECT_EQ(s->height, 37u) << c.name;
  }
}

TEST(ImageHeader, ReadsADeclaredSizeWithoutTheImage) {
  absl::StatusOr<ImageSize> s = ReadImageSize(PngHeader(12000, 12000));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->pixels(), 144000000u);
  // A JPEG whose frame header follows an APP0 segment and fill bytes.
  std::string jpeg("\xFF\xD8\xFF\xE0\x00\x04\xAB\xCD\xFF\xFF\xC0\x00\x0B\x08\x2E\xE0\x2E\xE0", 18);
  jpeg += std::string("\x01\x01\x11\x00", 4);
  s = ReadImageSize(jpeg);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->width, 12000u);
  EXPECT_EQ(s->height, 12000u);
}

TEST(ImageHeader, RefusesWhatIsNotAJpegOrPngHeader) {
  const std::string png = Encode(".png", cv::Mat(5, 5, CV_8UC3));
  const std::string jpeg = Encode(".jpg", cv::Mat(5, 5, CV_8UC3));
  const std::string cases[] = {
      "",
      "not an image",
      Encode(".bmp", cv::Mat(5, 5, CV_8UC3)),
      png.substr(0, 20),                      // cut in IHDR
      jpeg.substr(0, 2),                      // SOI only
      jpeg.substr(0, 30),                     // cut before the frame header
      PngHeader(0, 100),                      // declares no pixels
      std::string("\xFF\xD8\xFF\xDA\x00\x02", 6),  // scan data before any frame header
      std::string("\xFF\xD8\xFF\xE0\x00\x01", 6),  // a segment shorter than its length field
  };
  for (const std::string& bytes : cases) {
    absl::StatusOr<ImageSize> s = ReadImageSize(bytes);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bytes.size() << " bytes";
  }
}

}  // namespace
}  // namespace yardgate::ocr
