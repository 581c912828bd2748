#include "ocr/plate_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ocr/plate_text.h"
#include "ocr/text_regions.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

enum class PlateColour { kBlue, kYellow, kGreen, kUnknown };

struct Candidate {
  cv::RotatedRect rect;
  cv::Rect box;
  PlateColour colour = PlateColour::kUnknown;
  double score = 0;
  bool tight = false;  // the whole image is the plate
};

std::string Latin() { return "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"; }

std::string ProvinceWhitelist() {
  std::string s;
  for (const std::string& p : ProvinceCharacters()) s += p;
  return s;
}

// Masks of plate-coloured pixels (HSV, OpenCV hue 0..180).
cv::Mat ColourMask(const cv::Mat& hsv, PlateColour c) {
  cv::Mat m;
  switch (c) {
    case PlateColour::kBlue:
      cv::inRange(hsv, cv::Scalar(95, 90, 50), cv::Scalar(130, 255, 255), m);
      break;
    case PlateColour::kYellow:
      cv::inRange(hsv, cv::Scalar(12, 90, 90), cv::Scalar(34, 255, 255), m);
      break;
    case PlateColour::kGreen:
      cv::inRange(hsv, cv::Scalar(35, 40, 90), cv::Scalar(90, 255, 255), m);
      break;
    default:
      break;
  }
  return m;
}

std::vector<Candidate> Locate(const cv::Mat& bgr) {
  std::vector<Candidate> out;
  const double aspect = static_cast<double>(bgr.cols) / bgr.rows;
  if (bgr.cols <= 400 && aspect > 1.6 && aspect < 6) {
    Candidate c;
    c.box = cv::Rect(0, 0, bgr.cols, bgr.rows);
    c.rect = cv::RotatedRect(cv::Point2f(bgr.cols / 2.0f, bgr.rows / 2.0f),
                             cv::Size2f(bgr.cols, bgr.rows), 0);
    c.tight = true;
    c.score = 1;
    out.push_back(c);
    return out;
  }
  // Work on a copy no wider than 1280 pixels.
  const double scale = std::min(1.0, 1280.0 / bgr.cols);
  cv::Mat small;
  if (scale < 1) {
    cv::resize(bgr, small, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    small = bgr;
  }
  cv::Mat hsv;
  cv::cvtColor(small, hsv, cv::COLOR_BGR2HSV);
  for (PlateColour colour : {PlateColour::kBlue, PlateColour::kYellow, PlateColour::kGreen}) {
    cv::Mat mask = ColourMask(hsv, colour);
    // Close the gaps the characters leave.
    const int k = std::max(3, small.cols / 120);
    cv::morphologyEx(mask, mask, cv::MORPH_CLOSE,
                     cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k * 2 + 1, k)));
    cv::morphologyEx(mask, mask, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    for (const auto& contour : contours) {
      const double area = cv::contourArea(contour);
      if (area < 300) continue;
      cv::RotatedRect rr = cv::minAreaRect(contour);
      float w = rr.size.width, h = rr.size.height;
      float angle = rr.angle;
      if (w < h) {
        std::swap(w, h);
        angle += 90;
      }
      if (angle > 45) angle -= 180;
      if (std::abs(angle) > 25) continue;
      const double ar = w / std::max(1.0f, h);
      if (ar < 1.6 || ar > 6.0) continue;
      if (w < 40 || w > small.cols * 0.6) continue;
      const double fill = area / (w * h);
      if (fill < 0.5) continue;
      Candidate c;
      c.rect = cv::RotatedRect(rr.center / scale, cv::Size2f(w / scale, h / scale), angle);
      c.box = c.rect.boundingRect() & cv::Rect(0, 0, bgr.cols, bgr.rows);
      c.colour = colour;
      // Plates are 3.14:1 (single row) or 2:1 (double row).
      const double shape = std::min(std::abs(ar - 3.14) / 3.14, std::abs(ar - 2.0) / 2.0);
      c.score = fill * (1 - std::min(0.9, shape)) * std::sqrt(w * h);
      out.push_back(c);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return out;
}

// The plate upright, grey, characters about 48 pixels high, text black on white.
cv::Mat Rectify(const cv::Mat& bgr, const Candidate& c, bool* double_row,
                cv::Mat* dark_text_gray = nullptr) {
  cv::Mat crop;
  if (c.tight) {
    crop = bgr;
  } else {
    const cv::Size2f size(c.rect.size.width * 1.06f, c.rect.size.height * 1.12f);
    cv::Mat rot = cv::getRotationMatrix2D(c.rect.center, c.rect.angle, 1.0);
    rot.at<double>(0, 2) += size.width / 2 - c.rect.center.x;
    rot.at<double>(1, 2) += size.height / 2 - c.rect.center.y;
    cv::warpAffine(bgr, crop, rot, size, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  }
  const double ar = static_cast<double>(crop.cols) / crop.rows;
  *double_row = ar < 2.5;
  const int target_h = *double_row ? 220 : 110;
  cv::Mat resized;
  cv::resize(crop, resized, cv::Size(static_cast<int>(std::lround(target_h * ar)), target_h), 0, 0,
             cv::INTER_CUBIC);
  cv::Mat gray;
  // Blue plates: white text is bright in every channel, the blue ground dark in red.
  if (c.colour == PlateColour::kBlue) {
    std::vector<cv::Mat> ch;
    cv::split(resized, ch);
    gray = ch[2];
  } else {
    cv::cvtColor(resized, gray, cv::COLOR_BGR2GRAY);
  }
  cv::Mat bin;
  cv::threshold(gray, bin, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  // Make the text black: blue plates carry light text, yellow and green dark text; otherwise
  // the text is the minority in the central band.
  bool inverted = false;
  if (c.colour == PlateColour::kBlue) {
    bin = 255 - bin;
    inverted = true;
  } else if (c.colour == PlateColour::kUnknown) {
    cv::Rect band(0, bin.rows / 4, bin.cols, bin.rows / 2);
    if (cv::countNonZero(bin(band)) < band.area() / 2) {
      bin = 255 - bin;
      inverted = true;
    }
  }
  if (dark_text_gray != nullptr) *dark_text_gray = inverted ? 255 - gray : gray;
  // Erase the plate's frame: rows and columns that are mostly ink, near the edges.
  for (int y = 0; y < bin.rows; ++y) {
    if (y > bin.rows / 5 && y < bin.rows * 4 / 5) continue;
    if (bin.cols - cv::countNonZero(bin.row(y)) > bin.cols / 2) bin.row(y).setTo(255);
  }
  for (int x = 0; x < bin.cols; ++x) {
    if (x > bin.cols / 12 && x < bin.cols * 11 / 12) continue;
    if (bin.rows - cv::countNonZero(bin.col(x)) > bin.rows * 6 / 10) bin.col(x).setTo(255);
  }
  return bin;
}

PlateColour DominantColour(const cv::Mat& bgr) {
  cv::Mat hsv;
  cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);
  PlateColour best = PlateColour::kUnknown;
  int best_n = bgr.total() / 5;
  for (PlateColour c : {PlateColour::kBlue, PlateColour::kYellow, PlateColour::kGreen}) {
    const int n = cv::countNonZero(ColourMask(hsv, c));
    if (n > best_n) {
      best_n = n;
      best = c;
    }
  }
  return best;
}

struct Segmented {
  cv::Rect province;              // in the binary plate
  std::vector<cv::Rect> tail;     // Latin characters, left to right
  std::vector<cv::Mat> tail_masks;
};

// Splits a binary plate (text black) into the province character and the Latin tail of
// `tail_len` characters: the tail is the rightmost run of character-sized components, the
// province whatever ink lies left of it (Chinese characters come apart into several pieces).
bool Segment(const cv::Mat& bin, const cv::Rect& area, int tail_len, Segmented* out) {
  cv::Mat ink = 255 - bin(area);
  cv::Mat labels, stats, cent;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, cent, 8, CV_32S);
  struct Comp {
    cv::Rect r;
    int label;
  };
  std::vector<Comp> comps;
  const int H = area.height, W = area.width;
  for (int i = 1; i < n; ++i) {
    cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
               stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (r.height < 0.4 * H || r.height > 0.97 * H) continue;
    if (r.width > 0.22 * W) continue;
    if (r.x <= 1 || r.x + r.width >= W - 1) continue;  // plate frame
    comps.push_back({r, i});
  }
  if (static_cast<int>(comps.size()) < tail_len) return false;
  std::sort(comps.begin(), comps.end(), [](const Comp& a, const Comp& b) { return a.r.x < b.r.x; });
  // Merge pieces of one character that overlap horizontally (broken strokes).
  std::vector<Comp> merged;
  for (const Comp& c : comps) {
    if (!merged.empty()) {
      Comp& m = merged.back();
      const int overlap = std::min(m.r.x + m.r.width, c.r.x + c.r.width) - std::max(m.r.x, c.r.x);
      if (overlap > 0.5 * std::min(m.r.width, c.r.width)) {
        m.r |= c.r;
        m.label = -1;  // several labels: take the box
        continue;
      }
    }
    merged.push_back(c);
  }
  if (static_cast<int>(merged.size()) < tail_len) return false;
  std::vector<double> heights;
  for (const Comp& c : merged) heights.push_back(c.r.height);
  std::sort(heights.begin(), heights.end());
  const double char_h = heights[heights.size() / 2];
  out->tail.clear();
  out->tail_masks.clear();
  const size_t first = merged.size() - tail_len;
  for (size_t i = first; i < merged.size(); ++i) {
    const Comp& c = merged[i];
    cv::Mat mask = c.label >= 0 ? (labels(c.r) == c.label) : ink(c.r) > 127;
    out->tail.push_back(c.r + area.tl());
    out->tail_masks.push_back(mask);
  }
  // Province: one character pitch left of the office letter. On a single-row plate the pitch
  // (45 mm character + 12 mm gap) is measured between the characters after the separator.
  const cv::Rect& t0 = out->tail.front();
  std::vector<double> pitches;
  for (size_t i = 1; i + 1 < out->tail.size(); ++i) {
    pitches.push_back(out->tail[i + 1].x + out->tail[i + 1].width / 2.0 -
                      (out->tail[i].x + out->tail[i].width / 2.0));
  }
  double pitch = char_h * 0.63;  // 57 / 90 mm
  if (!pitches.empty()) {
    std::sort(pitches.begin(), pitches.end());
    pitch = pitches[pitches.size() / 2];
  }
  const double cw = pitch * 45.0 / 57.0;
  const double t0_centre = t0.x + t0.width / 2.0;
  const double centre = t0_centre - pitch;
  const int left = std::max(area.x, static_cast<int>(std::lround(centre - cw * 0.62)));
  const int right = std::min(t0.x - 1, static_cast<int>(std::lround(centre + cw * 0.62)));
  const int top = std::max(area.y, t0.y - static_cast<int>(0.06 * char_h));
  const int bottom = std::min(area.y + area.height, t0.y + t0.height + static_cast<int>(0.06 * char_h));
  out->province = cv::Rect(left, top, std::max(1, right - left), std::max(1, bottom - top));
  return right - left > cw * 0.5;
}

// At least four character-sized components side by side: cheap evidence of writing.
bool LooksLikeText(const cv::Mat& bin) {
  cv::Mat labels, stats, cent;
  const int n = cv::connectedComponentsWithStats(255 - bin, labels, stats, cent, 8, CV_32S);
  int chars = 0;
  for (int i = 1; i < n; ++i) {
    const int h = stats.at<int>(i, cv::CC_STAT_HEIGHT), w = stats.at<int>(i, cv::CC_STAT_WIDTH);
    if (h > 0.25 * bin.rows && h < 0.95 * bin.rows && w < 0.25 * bin.cols && w * 8 > h) ++chars;
  }
  return chars >= 4;
}

// A row of character cells fitted to a binary plate.
struct Cells {
  std::vector<cv::Rect> rects;
  double score = -1e9;
};

// The rows [top, bottom) holding the characters in `area` of `bin`: the longest run of rows
// with some but not mostly ink (frame lines are mostly ink).
bool TextBand(const cv::Mat& bin, const cv::Rect& area, int* top, int* bottom) {
  const int h = area.height, w = area.width;
  std::vector<bool> text(h, false);
  for (int y = 0; y < h; ++y) {
    const double ink = 1.0 - cv::countNonZero(bin(area).row(y)) / static_cast<double>(w);
    text[y] = ink > 0.06 && ink < 0.75;
  }
  int best_len = 0, best_top = 0, run_start = -1, gap = 0;
  for (int y = 0; y <= h; ++y) {
    if (y < h && text[y]) {
      if (run_start < 0) run_start = y;
      gap = 0;
    } else if (run_start >= 0) {
      if (y < h && ++gap <= 2) continue;  // tolerate short breaks
      const int end = y - gap + (y < h ? 0 : 0);
      if (end - run_start > best_len) {
        best_len = end - run_start;
        best_top = run_start;
      }
      run_start = -1;
      gap = 0;
    }
  }
  if (best_len < 0.35 * h) return false;
  *top = area.y + best_top;
  *bottom = area.y + best_top + best_len;
  return true;
}

// Fits `n` cells of width cw_ratio * pitch, with an extra gap of `sep` * pitch after cell
// `sep_after` (the plate's separator dot), to the column ink profile of the band.
Cells FitCells(const cv::Mat& bin, int x_from, int x_to, int top, int bottom, int n, int sep_after,
               double pitch_lo, double pitch_hi, double sep_lo, double sep_hi, double cw_ratio) {
  Cells best;
  const int w = x_to - x_from;
  if (w <= n || bottom <= top) return best;
  std::vector<double> prefix(w + 1, 0);
  cv::Mat band = bin(cv::Rect(x_from, top, w, bottom - top));
  for (int x = 0; x < w; ++x) {
    prefix[x + 1] = prefix[x] + 1.0 - cv::countNonZero(band.col(x)) / static_cast<double>(band.rows);
  }
  auto mean = [&](double a, double b) {
    const int ia = std::clamp(static_cast<int>(std::lround(a)), 0, w);
    const int ib = std::clamp(static_cast<int>(std::lround(b)), 0, w);
    return ib > ia ? (prefix[ib] - prefix[ia]) / (ib - ia) : 0.0;
  };
  for (double pitch = pitch_lo; pitch <= pitch_hi; pitch += std::max(0.5, pitch_lo * 0.02)) {
    const double cw = cw_ratio * pitch;
    for (double sep = sep_lo; sep <= sep_hi + 1e-9; sep += 0.05) {
      const double total = (n - 1) * pitch + (sep_after >= 0 ? sep * pitch : 0) + cw;
      for (double x0 = -cw * 0.15; x0 + total <= w + cw * 0.15; x0 += 1) {
        double in = 0, out = 0;
        double x = x0;
        for (int i = 0; i < n; ++i) {
          in += mean(x, x + cw);
          double next = x + pitch + (i == sep_after ? sep * pitch : 0);
          if (i + 1 < n) out += mean(x + cw, next);
          x = next;
        }
        const double score = in / n - out / std::max(1, n - 1);
        if (score > best.score) {
          best.score = score;
          best.rects.clear();
          double xx = x0;
          for (int i = 0; i < n; ++i) {
            const int l = x_from + static_cast<int>(std::lround(xx - cw * 0.08));
            const int r = x_from + static_cast<int>(std::lround(xx + cw * 1.08));
            best.rects.emplace_back(l, top, r - l, bottom - top);
            xx += pitch + (i == sep_after ? sep * pitch : 0);
          }
        }
      }
    }
  }
  for (cv::Rect& r : best.rects) r &= cv::Rect(0, 0, bin.cols, bin.rows);
  return best;
}

// The ink of `r` in `bin`, trimmed to its bounding box, centred with a margin, `size` high.
cv::Mat GlyphImage(const cv::Mat& bin, const cv::Rect& r, int size) {
  cv::Mat crop = bin(r & cv::Rect(0, 0, bin.cols, bin.rows)).clone();
  cv::Mat pts;
  cv::findNonZero(255 - crop, pts);
  if (!pts.empty()) crop = crop(cv::boundingRect(pts)).clone();
  const double s = static_cast<double>(size) / std::max(crop.rows, 1);
  cv::Mat resized;
  cv::resize(crop, resized, cv::Size(std::max(1, static_cast<int>(crop.cols * s)), size), 0, 0,
             cv::INTER_AREA);
  cv::Mat out(size * 2, resized.cols + size, CV_8UC1, cv::Scalar(255));
  resized.copyTo(out(cv::Rect(size / 2, size / 2, resized.cols, resized.rows)));
  return out;
}

// Candidate cell layouts for a binary plate, most trusted first.
std::vector<std::vector<cv::Rect>> Layouts(const cv::Mat& bin, PlateColour colour, bool double_row) {
  const int W = bin.cols, H = bin.rows;
  std::vector<std::vector<cv::Rect>> layouts;
  if (double_row) {
    // Top row: province and office letter; bottom row: five characters.
    const int split = H * 38 / 100;
    int t0, b0, t1, b1;
    if (!TextBand(bin, cv::Rect(0, 0, W, split), &t0, &b0) ||
        !TextBand(bin, cv::Rect(0, split, W, H - split), &t1, &b1)) {
      return layouts;
    }
    Cells top = FitCells(bin, 0, W, t0, b0, 2, -1, W * 0.2, W * 0.45, 0, 0, 0.55);
    Cells bottom = FitCells(bin, 0, W, t1, b1, 5, -1, W * 0.15, W * 0.21, 0, 0, 0.8);
    if (top.rects.size() == 2 && bottom.rects.size() == 5) {
      std::vector<cv::Rect> all = top.rects;
      all.insert(all.end(), bottom.rects.begin(), bottom.rects.end());
      layouts.push_back(all);
    }
  } else {
    // Components first (robust to uneven spacing), then a fitted grid (robust to touching
    // and broken characters).
    Segmented seg;
    if (Segment(bin, cv::Rect(0, 0, W, H), colour == PlateColour::kGreen ? 7 : 6, &seg)) {
      std::vector<cv::Rect> cells = {seg.province};
      cells.insert(cells.end(), seg.tail.begin(), seg.tail.end());
      layouts.push_back(cells);
    }
    int t, b;
    if (!TextBand(bin, cv::Rect(0, 0, W, H), &t, &b)) return layouts;
    // 7 characters: 45 mm wide at a 57 mm pitch, the separator adds 22 mm after the second.
    Cells seven = FitCells(bin, 0, W, t, b, 7, 1, W * 0.1, W * 0.15, 0.25, 0.55, 0.79);
    // 8 characters (new energy): 43 mm at a 52 mm pitch, a wider separator.
    Cells eight = FitCells(bin, 0, W, t, b, 8, 1, W * 0.09, W * 0.13, 0.3, 0.9, 0.83);
    const bool green = colour == PlateColour::kGreen;
    if (green) {
      if (!eight.rects.empty()) layouts.push_back(eight.rects);
      if (!seven.rects.empty()) layouts.push_back(seven.rects);
    } else {
      if (!seven.rects.empty()) layouts.push_back(seven.rects);
    }
  }
  return layouts;
}

struct PlateText {
  std::string text;
  std::vector<float> conf;
  std::string raw;
};

// Ink of one cell, trimmed, as a mask (255 = ink) for line rendering.
cv::Mat CellMask(const cv::Mat& bin, const cv::Rect& r, cv::Rect* ink_box) {
  cv::Mat ink = bin(r) == 0;
  std::vector<cv::Point> pts;
  cv::findNonZero(ink, pts);
  if (pts.empty()) {
    *ink_box = r;
    return ink;
  }
  cv::Rect bb = cv::boundingRect(pts);
  *ink_box = bb + r.tl();
  return ink(bb).clone();
}

// Reads the cells: the first is the province (classifier, else chi_sim), the rest letters
// and digits, read as one clean line by Tesseract and character by character by the
// classifier; where the two disagree the more confident wins, with its confidence lowered.
absl::StatusOr<PlateText> ReadCells(const cv::Mat& bin, const cv::Mat& gray,
                                    const std::vector<cv::Rect>& cells,
                                    TessPool::Lease& chinese, TessPool::Lease& latin,
                                    const CharClassifier* classifier) {
  PlateText out;
  if (cells.size() < 2) return out;
  // Province.
  // The province character from the grey plate: the classifier thresholds the cell on its
  // own, which keeps the strokes that one threshold for the whole plate merges.
  cv::Mat glyph = gray.empty() ? GlyphImage(bin, cells[0], 48)
                               : gray(cells[0] & cv::Rect(0, 0, gray.cols, gray.rows)).clone();
  std::string province = "?";
  float pconf = 0;
  if (classifier != nullptr) {
    auto top = classifier->Classify(glyph, CharSet::kProvince);
    if (!top.empty()) {
      province = top[0].first;
      pconf = top[0].second;
    }
  } else {
    absl::StatusOr<LineText> r = chinese.Recognize(glyph, ProvinceWhitelist(), 10);
    if (!r.ok()) return r.status();
    if (r->symbols.size() == 1) {
      province = r->symbols[0];
      pconf = r->confidences[0];
    }
  }
  // The rest, as one line of evenly spaced characters.
  TextGroup g;
  std::vector<double> hs;
  for (size_t i = 1; i < cells.size(); ++i) {
    cv::Rect ink_box;
    g.masks.push_back(CellMask(bin, cells[i], &ink_box));
    // Even spacing: place each character at its cell, keep its own ink height.
    g.chars.push_back(ink_box);
    g.box |= ink_box;
    hs.push_back(cells[i].height);
  }
  std::sort(hs.begin(), hs.end());
  g.char_height = hs[hs.size() / 2];
  const size_t n = g.chars.size();
  std::string tess;
  std::vector<float> tess_conf;
  auto read_line = [&](const cv::Mat& img) -> absl::Status {
    absl::StatusOr<LineText> line = latin.Recognize(img, Latin(), 7);
    if (!line.ok()) return line.status();
    tess.clear();
    tess_conf.clear();
    for (size_t i = 0; i < line->symbols.size(); ++i) {
      if (line->symbols[i].size() == 1 &&
          std::isalnum(static_cast<unsigned char>(line->symbols[i][0]))) {
        tess += line->symbols[i];
        tess_conf.push_back(line->confidences[i]);
      }
    }
    return absl::OkStatus();
  };
  // First the plate itself right of the province, where Tesseract segments on its own; then
  // the segmented characters re-laid as a clean line.
  {
    cv::Rect region = cells[1];
    for (size_t i = 2; i < cells.size(); ++i) region |= cells[i];
    region.x = std::max(0, region.x - region.height / 10);
    region.width = std::min(bin.cols - region.x, region.width + region.height / 5);
    region.y = std::max(0, region.y - region.height / 10);
    region.height = std::min(bin.rows - region.y, region.height + region.height / 5);
    cv::Mat crop;
    cv::copyMakeBorder(bin(region), crop, 10, 10, 10, 10, cv::BORDER_CONSTANT, cv::Scalar(255));
    const double s = 50.0 / std::max(1, region.height);
    cv::resize(crop, crop, cv::Size(), s, s, cv::INTER_AREA);
    absl::Status st = read_line(crop);
    if (!st.ok()) return st;
  }
  if (tess.size() != n) {
    absl::Status st = read_line(RenderLine(g, 0, n, 40));
    if (!st.ok()) return st;
  }
  if (tess.size() != n && classifier != nullptr) {
    // The line read lost or split characters: the classifier reads each on its own below.
    tess.assign(n, '?');
    tess_conf.assign(n, 0.0f);
  } else if (tess.size() != n) {
    // No classifier: read each character with Tesseract.
    tess.clear();
    tess_conf.clear();
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<LineText> r = latin.Recognize(RenderLine(g, i, i + 1, 40), Latin(), 10);
      if (!r.ok()) return r.status();
      if (r->symbols.size() == 1 && r->symbols[0].size() == 1) {
        tess += r->symbols[0];
        tess_conf.push_back(r->confidences[0]);
      } else {
        tess += '?';
        tess_conf.push_back(0);
      }
    }
  }
  std::string tail;
  std::vector<float> conf;
  for (size_t i = 0; i < n; ++i) {
    std::string tc(1, tess[i]);
    float c = tess_conf[i];
    if (i == 0) {
      if (FixPlateTail(&tc) > 0) c *= 0.8f;
    } else if (tc == "O" || tc == "I") {
      FixPlateTail(&tc);
      c *= 0.8f;
    }
    if (classifier != nullptr) {
      auto top = classifier->Classify(GlyphImage(bin, cells[i + 1], 48),
                                      i == 0 ? CharSet::kLetter : CharSet::kAlnum);
      if (i > 0) {
        // After the office letter, digits are several times likelier than letters.
        double sum = 0;
        for (auto& [l, p] : top) {
          if (std::isalpha(static_cast<unsigned char>(l[0]))) p *= 0.35f;
          sum += p;
        }
        for (auto& [l, p] : top) p = static_cast<float>(p / std::max(sum, 1e-9));
        std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      }
      if (!top.empty()) {
        if (top[0].first == tc) {
          c = 1 - (1 - c) * (1 - top[0].second * 0.5f);
        } else if (tc == "?" || top[0].second > c + 0.3f) {
          tc = top[0].first;
          c = std::min(0.5f, top[0].second);
        } else {
          c = std::min(c, 0.6f);
        }
      }
    }
    tail += tc;
    conf.push_back(c);
  }
  out.raw = province + " " + tess;
  out.text = province + tail;
  out.conf.push_back(pconf);
  out.conf.insert(out.conf.end(), conf.begin(), conf.end());
  return out;
}

}  // namespace

absl::StatusOr<std::vector<FramePlate>> ReadPlates(const cv::Mat& bgr, TessPool& chinese,
                                                   TessPool& latin,
                                                   const PlateReaderOptions& options) {
  std::vector<FramePlate> out;
  std::vector<Candidate> cands = Locate(bgr);
  if (static_cast<int>(cands.size()) > options.max_candidates) cands.resize(options.max_candidates);
  if (cands.empty()) return out;
  TessPool::Lease zh = chinese.Acquire();
  TessPool::Lease en = latin.Acquire();
  int k = 0;
  for (Candidate& c : cands) {
    if (c.colour == PlateColour::kUnknown) c.colour = DominantColour(bgr(c.box));
    bool double_row = false;
    cv::Mat gray;
    cv::Mat bin = Rectify(bgr, c, &double_row, &gray);
    if (!options.debug_prefix.empty()) {
      cv::imwrite(absl::StrFormat("%s-plate%02d.png", options.debug_prefix, k), bin);
    }
    ++k;
    if (!LooksLikeText(bin)) continue;  // a blue door panel, not a plate
    std::vector<std::vector<cv::Rect>> layouts = Layouts(bin, c.colour, double_row);
    for (const std::vector<cv::Rect>& cells : layouts) {
      if (!out.empty() && out.back().valid && out.back().ocr_min >= 0.4) break;
      absl::StatusOr<PlateText> pt = ReadCells(bin, gray, cells, zh, en, options.classifier);
      if (!pt.ok()) return pt.status();
      FramePlate p;
      p.text = pt->text;
      p.raw = pt->raw;
      p.box = c.box;
      p.valid = IsValidPlate(p.text);
      double lo = 1, sum = 0;
      for (float f : pt->conf) {
        lo = std::min<double>(lo, f);
        sum += f;
      }
      p.ocr_min = pt->conf.empty() ? 0 : lo;
      p.ocr_mean = pt->conf.empty() ? 0 : sum / pt->conf.size();
      // One frame of one recogniser is never enough to open the barrier on a plate: a single
      // frame stays below 0.85, so only agreeing frames (or an appointment) reach auto.
      p.confidence = p.valid ? std::clamp(0.3 + 0.55 * (p.ocr_min - 0.5) / 0.5, 0.0, 0.85)
                             : std::min(0.3, 0.3 * p.ocr_mean);
      out.push_back(p);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const FramePlate& a, const FramePlate& b) {
    if (a.valid != b.valid) return a.valid;
    return a.confidence > b.confidence;
  });
  return out;
}

std::vector<std::pair<cv::Mat, std::string>> PlateTrainingGlyphs(const cv::Mat& bgr,
                                                                 const std::string& truth) {
  std::vector<std::pair<cv::Mat, std::string>> out;
  std::vector<Candidate> cands = Locate(bgr);
  if (cands.empty()) return out;
  Candidate& c = cands[0];
  if (c.colour == PlateColour::kUnknown) c.colour = DominantColour(bgr(c.box));
  bool double_row = false;
  cv::Mat gray;
  cv::Mat bin = Rectify(bgr, c, &double_row, &gray);
  const std::vector<std::string> chars = SplitCodePoints(truth);
  for (const std::vector<cv::Rect>& cells : Layouts(bin, c.colour, double_row)) {
    if (cells.size() != chars.size()) continue;
    // As ReadCells sees them: the province from the grey plate, the others from the binary.
    out.emplace_back(gray(cells[0] & cv::Rect(0, 0, gray.cols, gray.rows)).clone(), chars[0]);
    for (size_t i = 1; i < cells.size(); ++i) out.emplace_back(GlyphImage(bin, cells[i], 48), chars[i]);
    break;
  }
  return out;
}

}  // namespace yardgate::ocr
