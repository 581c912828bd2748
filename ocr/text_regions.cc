#include "ocr/text_regions.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

struct Blob {
  cv::Rect box;
  int label;
  bool light;
};

class UnionFind {
 public:
  explicit UnionFind(int n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  int Find(int x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void Union(int a, int b) { parent_[Find(a)] = Find(b); }

 private:
  std::vector<int> parent_;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// When component `label` inside `box` is a rectangular frame, erases the frame from `labels`
// and returns the largest component inside it, relabelled `new_label`.
std::optional<Blob> StripFrame(cv::Mat* labels, const cv::Rect& box, int label, int new_label,
                               const TextFinderOptions& o) {
  cv::Mat mask = ((*labels)(box) == label);
  // A frame encloses holes (around and inside the character) covering much of its box.
  std::vector<std::vector<cv::Point>> all;
  std::vector<cv::Vec4i> hierarchy;
  cv::findContours(mask.clone(), all, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_SIMPLE);
  double holes = 0;
  std::vector<std::vector<cv::Point>> contours;
  for (size_t i = 0; i < all.size(); ++i) {
    if (hierarchy[i][3] >= 0) {
      holes += cv::contourArea(all[i]);
    } else {
      contours.push_back(all[i]);
    }
  }
  if (contours.size() != 1 || holes < 0.25 * box.area()) return std::nullopt;
  std::vector<cv::Point> poly;
  cv::approxPolyDP(contours[0], poly, 0.06 * cv::arcLength(contours[0], true), true);
  if (poly.size() != 4 || !cv::isContourConvex(poly)) return std::nullopt;
  cv::Mat filled = cv::Mat::zeros(mask.size(), CV_8UC1);
  cv::fillConvexPoly(filled, poly, cv::Scalar(255));
  const double poly_area = cv::countNonZero(filled);
  if (poly_area < 0.5 * box.area() || cv::countNonZero(mask) > 0.6 * poly_area) return std::nullopt;
  // Peel rings off the polygon while they are mostly frame.
  cv::Mat inside = filled.clone(), next;
  int thickness = 0;
  for (; thickness < std::min(box.width, box.height) / 4; ++thickness) {
    cv::erode(inside, next, cv::Mat());
    cv::Mat ring = inside & ~next;
    const int ring_px = cv::countNonZero(ring);
    if (ring_px == 0 || cv::countNonZero(ring & mask) < 0.5 * ring_px) break;
    inside = next;
  }
  if (thickness == 0) return std::nullopt;
  const int margin = std::max(2, static_cast<int>(std::lround(0.08 * std::min(box.width, box.height))));
  cv::erode(inside, inside, cv::Mat(), cv::Point(-1, -1), margin);
  cv::Mat inner = mask & inside;
  cv::Mat lab, stats, cent;
  int n = cv::connectedComponentsWithStats(inner, lab, stats, cent, 8, CV_32S);
  int best = 0, best_area = 0;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) > best_area) {
      best_area = stats.at<int>(i, cv::CC_STAT_AREA);
      best = i;
    }
  }
  if (best == 0) return std::nullopt;
  cv::Rect r(stats.at<int>(best, cv::CC_STAT_LEFT), stats.at<int>(best, cv::CC_STAT_TOP),
             stats.at<int>(best, cv::CC_STAT_WIDTH), stats.at<int>(best, cv::CC_STAT_HEIGHT));
  if (r.height < 0.5 * box.height || r.height < o.min_char_height * 0.7) return std::nullopt;
  cv::Mat roi = (*labels)(box);
  roi.setTo(0, mask);
  roi.setTo(new_label, lab == best);
  return Blob{cv::Rect(box.x + r.x, box.y + r.y, r.width, r.height), new_label, false};
}

// Character-shaped components of one polarity.
std::vector<Blob> CharBlobs(const cv::Mat& binary, bool light, const TextFinderOptions& o,
                            cv::Mat* labels) {
  cv::Mat stats, centroids;
  int n = cv::connectedComponentsWithStats(binary, *labels, stats, centroids, 8, CV_32S);
  std::vector<Blob> blobs;
  for (int i = 1; i < n; ++i) {
    const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    if (h < o.min_char_height || h > o.max_char_height) continue;
    if (w > 1.6 * h || h > 8 * w) continue;
    const double fill = static_cast<double>(area) / (static_cast<double>(w) * h);
    if (fill < 0.1 || (fill > 0.95 && w * 4 > h)) continue;  // solid bars only when narrow (I, 1)
    if (x == 0 || y == 0 || x + w >= binary.cols || y + h >= binary.rows) continue;
    cv::Rect box(x, y, w, h);
    if (fill < 0.6 && h < 3 * w) {
      // A framed character (the boxed check digit) touching its frame: strip the frame.
      int next_label = n + static_cast<int>(blobs.size()) + 1;
      std::optional<Blob> inner = StripFrame(labels, box, i, next_label, o);
      if (inner.has_value()) {
        inner->light = light;
        blobs.push_back(*inner);
        continue;
      }
    }
    blobs.push_back({box, i, light});
  }
  // Drop frames around characters (the boxed check digit): a blob containing another.
  std::vector<bool> drop(blobs.size(), false);
  for (size_t i = 0; i < blobs.size(); ++i) {
    for (size_t j = 0; j < blobs.size(); ++j) {
      if (i == j) continue;
      const cv::Rect& a = blobs[i].box;
      const cv::Rect& b = blobs[j].box;
      if ((a & b) == b && b.area() * 8 > a.area() / 2 && b.height * 10 > a.height * 5) {
        drop[i] = true;
        break;
      }
    }
  }
  std::vector<Blob> kept;
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (!drop[i]) kept.push_back(blobs[i]);
  }
  return kept;
}

void GroupBlobs(const std::vector<Blob>& blobs, const cv::Mat& labels, bool light,
                const TextFinderOptions& o, std::vector<TextGroup>* out) {
  const int n = static_cast<int>(blobs.size());
  UnionFind rows(n), cols(n);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (int i = 0; i < n; ++i) {
    const cv::Rect& a = blobs[i].box;
    for (int j = i + 1; j < n; ++j) {
      const cv::Rect& b = blobs[j].box;
      const double h = std::max(a.height, b.height);
      if (std::min(a.height, b.height) * 1.5 < h) continue;
      const double acx = a.x + a.width / 2.0, bcx = b.x + b.width / 2.0;
      const double acy = a.y + a.height / 2.0, bcy = b.y + b.height / 2.0;
      // Same line: centres level, gap under two character heights.
      const double hgap = std::max(a.x, b.x) - std::min(a.x + a.width, b.x + b.width);
      if (std::abs(acy - bcy) < 0.3 * h && hgap < 1.6 * h && hgap > -0.3 * h) rows.Union(i, j);
      // Same column: centres aligned, gap under one character height.
      const double vgap = std::max(a.y, b.y) - std::min(a.y + a.height, b.y + b.height);
      if (std::abs(acx - bcx) < 0.3 * h && vgap < 0.9 * h && vgap > -0.1 * h) cols.Union(i, j);
    }
  }
  auto collect = [&](UnionFind& uf) {
    std::vector<std::vector<int>> groups(n);
    for (int i = 0; i < n; ++i) groups[uf.Find(i)].push_back(i);
    return groups;
  };
  std::vector<std::vector<int>> row_groups = collect(rows), col_groups = collect(cols);
  std::vector<int> row_size(n, 0), col_size(n, 0);
  for (const auto& g : row_groups) {
    for (int m : g) row_size[m] = static_cast<int>(g.size());
  }
  for (const auto& g : col_groups) {
    for (int m : g) col_size[m] = static_cast<int>(g.size());
  }
  // A character belongs to a line unless it sits in a column more than twice as long.
  auto in_line = [&](int m) { return row_size[m] >= 3 && row_size[m] * 2 > col_size[m]; };
  auto emit = [&](std::vector<int> g, bool vertical) {
    std::vector<double> hs;
    for (int m : g) hs.push_back(blobs[m].box.height);
    if (vertical) {
      std::sort(g.begin(), g.end(), [&](int a, int b) { return blobs[a].box.y < blobs[b].box.y; });
    } else {
      std::sort(g.begin(), g.end(), [&](int a, int b) { return blobs[a].box.x < blobs[b].box.x; });
    }
    TextGroup tg;
    tg.vertical = vertical;
    tg.light_text = light;
    tg.char_height = Median(hs);
    for (int m : g) {
      tg.chars.push_back(blobs[m].box);
      tg.masks.push_back(labels(blobs[m].box) == blobs[m].label);
      tg.box |= blobs[m].box;
    }
    tg.rendered = RenderLine(tg, 0, tg.chars.size(), o.rendered_height);
    out->push_back(std::move(tg));
  };
  for (auto& g : row_groups) {
    if (static_cast<int>(g.size()) < o.min_line_chars) continue;
    std::vector<int> kept;
    for (int m : g) {
      if (in_line(m)) kept.push_back(m);
    }
    if (static_cast<int>(kept.size()) >= o.min_line_chars) emit(kept, false);
  }
  for (auto& g : col_groups) {
    if (static_cast<int>(g.size()) < o.min_column_chars) continue;
    std::vector<int> kept;
    for (int m : g) {
      if (!in_line(m)) kept.push_back(m);
    }
    if (static_cast<int>(kept.size()) >= o.min_column_chars) emit(kept, true);
  }
}

}  // namespace

cv::Mat RenderLine(const TextGroup& group, size_t begin, size_t end, int target_h) {
  end = std::min(end, group.chars.size());
  const double scale = target_h / std::max(1.0, group.char_height);
  const int pad = target_h / 2;
  // Horizontal lines keep their layout but with gaps capped at half a character, so that
  // Tesseract sees the serial and the boxed check digit as one word; columns are laid out
  // left to right with a quarter-character gap.
  std::vector<int> xs;
  int width = 0, top = INT32_MAX, bottom = 0;
  int prev_right = 0;
  for (size_t k = begin; k < end; ++k) {
    const cv::Rect& b = group.chars[k];
    top = std::min(top, b.y);
    bottom = std::max(bottom, b.y + b.height);
    const int w = std::max(1, static_cast<int>(std::lround(b.width * scale)));
    int gap = target_h / 4;
    if (!group.vertical) {
      gap = k == begin ? 0 : static_cast<int>(std::lround((b.x - prev_right) * scale));
      gap = std::clamp(gap, target_h / 12, target_h / 5);
      prev_right = k == begin ? b.x + b.width : std::max(prev_right, b.x + b.width);
    }
    if (k == begin) gap = 0;
    xs.push_back(width + gap);
    width = xs.back() + w;
  }
  const int height = group.vertical
                         ? static_cast<int>(target_h * 1.3)
                         : static_cast<int>(std::lround((bottom - top) * scale));
  cv::Mat canvas(height + 2 * pad, width + 2 * pad, CV_8UC1, cv::Scalar(255));
  for (size_t k = begin; k < end; ++k) {
    const cv::Rect& b = group.chars[k];
    const int w = std::max(1, static_cast<int>(std::lround(b.width * scale)));
    const int h = std::max(1, static_cast<int>(std::lround(b.height * scale)));
    cv::Mat resized;
    cv::resize(group.masks[k], resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    const int x = pad + xs[k - begin];
    const int y = group.vertical ? pad + std::max(0, (height - h) / 2)
                                 : pad + static_cast<int>(std::lround((b.y - top) * scale));
    cv::Rect dst = cv::Rect(x, y, w, h) & cv::Rect(0, 0, canvas.cols, canvas.rows);
    if (dst.empty()) continue;
    canvas(dst).setTo(0, resized(cv::Rect(0, 0, dst.width, dst.height)) > 127);
  }
  return canvas;
}

std::vector<TextGroup> FindTextGroups(const cv::Mat& gray, const TextFinderOptions& options) {
  std::vector<TextGroup> out;
  if (gray.empty()) return out;
  int block = static_cast<int>(options.max_char_height * 0.5) | 1;
  block = std::max(block, 15);
  for (bool light : {true, false}) {
    cv::Mat binary, labels;
    if (light) {
      cv::adaptiveThreshold(gray, binary, 255, cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY,
                            block, -12);
    } else {
      cv::adaptiveThreshold(gray, binary, 255, cv::ADAPTIVE_THRESH_MEAN_C,
                            cv::THRESH_BINARY_INV, block, 12);
    }
    if (options.open_radius > 0) {
      const int d = 2 * options.open_radius + 1;
      cv::morphologyEx(binary, binary, cv::MORPH_OPEN,
                       cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(d, d)));
    }
    std::vector<Blob> blobs = CharBlobs(binary, light, options, &labels);
    GroupBlobs(blobs, labels, light, options, &out);
  }
  std::stable_sort(out.begin(), out.end(), [](const TextGroup& a, const TextGroup& b) {
    return a.chars.size() > b.chars.size();
  });
  return out;
}

}  // namespace yardgate::ocr
