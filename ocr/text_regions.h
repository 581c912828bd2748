// Finding lines and columns of characters in a camera frame, without recognising them.
//
// Container markings are high-contrast characters of one height. The finder binarises the
// frame in both polarities (light text on dark paint and dark on light), keeps the connected
// components shaped like characters, and chains them into horizontal lines and vertical
// columns (corner-post and side-wall codes run one character per row). Each group comes with
// a clean rendering, black characters on white, laid out as one horizontal line so that a
// line recogniser can read vertical text as well.
//
// Plain functions, safe from any thread.
#ifndef YARDGATE_OCR_TEXT_REGIONS_H_
#define YARDGATE_OCR_TEXT_REGIONS_H_

#include <vector>

#include "opencv2/core.hpp"

namespace yardgate::ocr {

struct TextGroup {
  std::vector<cv::Rect> chars;  // character boxes in frame coordinates, reading order
  cv::Rect box;                 // union of `chars`
  bool vertical = false;        // one character per row
  bool light_text = false;      // light characters on darker paint
  double char_height = 0;       // median character height, pixels
  std::vector<cv::Mat> masks;   // CV_8UC1 mask of each character, inside its box
  cv::Mat rendered;             // CV_8UC1 line image: black characters on white
};

struct TextFinderOptions {
  double min_char_height = 14;   // pixels in the frame
  double max_char_height = 140;
  int min_line_chars = 4;        // horizontal groups shorter than this are dropped
  int min_column_chars = 4;      // vertical groups shorter than this are dropped
  int rendered_height = 40;      // character height in TextGroup::rendered
  // When > 0, the binarisations are opened with an ellipse of this radius first, which breaks
  // thin bridges between characters and door rods, frames or shadow edges.
  int open_radius = 0;
};

// Renders characters [begin, end) of `group` as one line, black on white, characters
// `target_h` pixels high.
cv::Mat RenderLine(const TextGroup& group, size_t begin, size_t end, int target_h);

// Groups of character-like components in `gray` (CV_8UC1), largest first.
std::vector<TextGroup> FindTextGroups(const cv::Mat& gray, const TextFinderOptions& options);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_TEXT_REGIONS_H_
