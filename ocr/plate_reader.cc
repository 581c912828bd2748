#include "ocr/plate_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

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
cv::Mat Rectify(const cv::Mat& bgr, const Candidate& c, bool* double_row) {
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
  // Text is the minority in the central band; make it black.
  cv::Rect band(0, bin.rows / 4, bin.cols, bin.rows / 2);
  if (cv::countNonZero(bin(band)) < band.area() / 2) bin = 255 - bin;
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

struct PlateText {
  std::string text;
  std::vector<float> conf;
  std::string raw;
};

absl::StatusOr<PlateText> RecognizeSegmented(const cv::Mat& bin, const Segmented& seg,
                                             TessPool::Lease& chinese, TessPool::Lease& latin) {
  PlateText out;
  // Province: one character, chi_sim, restricted to the 31 abbreviations.
  cv::Mat glyph = GlyphImage(bin, seg.province, 48);
  if (getenv("YG_DEBUG_PROV")) {
    static int n = 0;
    cv::imwrite(absl::StrFormat("/tmp/ocrwork/prov%02d.png", n++), glyph);
  }
  absl::StatusOr<LineText> prov = chinese.Recognize(glyph, ProvinceWhitelist(), 10);
  if (!prov.ok()) return prov.status();
  std::string province;
  float pconf = 0;
  if (prov->symbols.size() == 1) {
    province = prov->symbols[0];
    pconf = prov->confidences[0];
  }
  // Tail: render the components as one clean line for eng.
  TextGroup g;
  std::vector<double> hs;
  for (size_t i = 0; i < seg.tail.size(); ++i) {
    g.chars.push_back(seg.tail[i]);
    g.masks.push_back(seg.tail_masks[i]);
    g.box |= seg.tail[i];
    hs.push_back(seg.tail[i].height);
  }
  std::sort(hs.begin(), hs.end());
  g.char_height = hs[hs.size() / 2];
  cv::Mat line = RenderLine(g, 0, g.chars.size(), 40);
  absl::StatusOr<LineText> tail = latin.Recognize(line, Latin(), 7);
  if (!tail.ok()) return tail.status();
  std::string t;
  std::vector<float> tconf;
  for (size_t i = 0; i < tail->symbols.size(); ++i) {
    if (tail->symbols[i].size() == 1 && std::isalnum(static_cast<unsigned char>(tail->symbols[i][0]))) {
      t += tail->symbols[i];
      tconf.push_back(tail->confidences[i]);
    }
  }
  if (t.size() != seg.tail.size()) {
    // The line read lost or split characters: read each one on its own.
    t.clear();
    tconf.clear();
    for (size_t i = 0; i < seg.tail.size(); ++i) {
      cv::Mat one = RenderLine(g, i, i + 1, 40);
      absl::StatusOr<LineText> c = latin.Recognize(one, Latin(), 10);
      if (!c.ok()) return c.status();
      if (c->symbols.size() == 1) {
        t += c->symbols[0];
        tconf.push_back(c->confidences[0]);
      } else {
        t += '?';
        tconf.push_back(0);
      }
    }
  }
  out.raw = (province.empty() ? std::string("?") : province) + " " + t;
  int fixes = FixPlateTail(&t);
  (void)fixes;
  out.text = province + t;
  out.conf.push_back(pconf);
  out.conf.insert(out.conf.end(), tconf.begin(), tconf.end());
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
    cv::Mat bin = Rectify(bgr, c, &double_row);
    if (!options.debug_prefix.empty()) {
      cv::imwrite(absl::StrFormat("%s-plate%02d.png", options.debug_prefix, k), bin);
    }
    ++k;
    // Green plates (new energy) carry 8 characters, the others 7.
    std::vector<int> tails = c.colour == PlateColour::kGreen ? std::vector<int>{7, 6}
                                                              : std::vector<int>{6, 7};
    for (int tail_len : tails) {
      Segmented seg;
      bool ok = false;
      if (double_row) {
        // Top third: province and letter; bottom: five characters.
        const int split = bin.rows * 36 / 100;
        Segmented top, bottom;
        ok = Segment(bin, cv::Rect(0, 0, bin.cols, split), 1, &top) &&
             Segment(bin, cv::Rect(0, split, bin.cols, bin.rows - split), tail_len - 1, &bottom);
        if (ok) {
          seg.province = top.province;
          seg.tail = top.tail;
          seg.tail_masks = top.tail_masks;
          seg.tail.insert(seg.tail.end(), bottom.tail.begin(), bottom.tail.end());
          seg.tail_masks.insert(seg.tail_masks.end(), bottom.tail_masks.begin(), bottom.tail_masks.end());
        }
      } else {
        ok = Segment(bin, cv::Rect(0, 0, bin.cols, bin.rows), tail_len, &seg);
      }
      if (!ok) continue;
      absl::StatusOr<PlateText> pt = RecognizeSegmented(bin, seg, zh, en);
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
      p.confidence = p.valid ? std::clamp(0.5 + 0.45 * (p.ocr_min - 0.5) / 0.45, 0.0, 0.95)
                             : std::min(0.3, 0.3 * p.ocr_mean);
      if (!p.text.empty()) out.push_back(p);
      if (p.valid) break;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const FramePlate& a, const FramePlate& b) {
    if (a.valid != b.valid) return a.valid;
    return a.confidence > b.confidence;
  });
  return out;
}

}  // namespace yardgate::ocr
