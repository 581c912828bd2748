#include "ocr/container_reader.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ocr/container_code.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr char kDigits[] = "0123456789";

struct GroupRead {
  const TextGroup* group;
  LineText line;
};

// How promising a group is for a container number: big characters, about 4 to 11 of them.
double GroupScore(const TextGroup& g) {
  const double n = static_cast<double>(g.chars.size());
  double fit = g.vertical ? (n >= 7 && n <= 15 ? 1.5 : 0.8) : (n >= 3 && n <= 13 ? 1.0 : 0.5);
  return fit * g.char_height * std::min(n, 11.0);
}

std::vector<CharChoices> Choices(const LineText& line) {
  std::vector<CharChoices> out;
  for (const auto& alts : line.alternatives) {
    CharChoices cc;
    for (const auto& [t, p] : alts) {
      if (t.size() == 1) cc.emplace_back(t[0], p);
    }
    out.push_back(std::move(cc));
  }
  return out;
}

void AddCandidates(const std::string& text, const std::vector<float>& conf,
                   const std::vector<CharChoices>& choices, const cv::Rect& box,
                   std::vector<FrameCode>* out) {
  for (const CodeCandidate& c : ExtractContainerNumbers(text, conf, choices)) {
    FrameCode fc;
    fc.number = c.number;
    fc.check_ok = c.check_ok;
    fc.positional = c.positional;
    fc.corrected = c.corrected;
    fc.ocr_min = c.min_confidence;
    fc.ocr_mean = c.mean_confidence;
    fc.positions = c.positions;
    fc.box = box;
    fc.raw = text;
    fc.confidence = FrameCodeConfidence(fc);
    out->push_back(fc);
  }
}

std::string Compact(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

// True when `text` ends in what looks like an owner code, category and six digits, i.e. a
// container number whose check digit was not read.
bool MissingCheckDigit(const std::string& text) {
  std::string t = Compact(text);
  if (t.size() < 10) return false;
  t = t.substr(t.size() - 10);
  int digits = 0;
  for (int i = 4; i < 10; ++i) digits += std::isdigit(static_cast<unsigned char>(t[i])) != 0;
  int letters = 0;
  for (int i = 0; i < 4; ++i) letters += std::isalpha(static_cast<unsigned char>(t[i])) != 0;
  return digits >= 5 && letters >= 3;
}

// The character one pitch beyond the end of `g` (where a boxed check digit sits when its
// frame kept it out of the group), black on white, or empty when nothing is there.
cv::Mat GlyphBeyond(const cv::Mat& gray, const TextGroup& g) {
  const size_t n = g.chars.size();
  auto centre = [&](size_t i) {
    return cv::Point2d(g.chars[i].x + g.chars[i].width / 2.0, g.chars[i].y + g.chars[i].height / 2.0);
  };
  std::vector<double> steps;
  for (size_t i = 1; i < n; ++i) steps.push_back(cv::norm(centre(i) - centre(i - 1)));
  std::sort(steps.begin(), steps.end());
  const double pitch = steps[steps.size() / 2];
  const cv::Point2d dir = g.vertical ? cv::Point2d(0, 1) : cv::Point2d(1, 0);
  const cv::Point2d c = centre(n - 1) + dir * pitch * 1.25;
  const double h = g.char_height;
  cv::Rect r(static_cast<int>(c.x - 0.8 * h), static_cast<int>(c.y - 0.8 * h),
             static_cast<int>(1.6 * h), static_cast<int>(1.6 * h));
  r &= cv::Rect(0, 0, gray.cols, gray.rows);
  if (r.width < h || r.height < h) return cv::Mat();
  cv::Mat ink;
  cv::threshold(gray(r), ink, 0, 255,
                (g.light_text ? cv::THRESH_BINARY : cv::THRESH_BINARY_INV) | cv::THRESH_OTSU);
  // Keep the biggest character-sized component that does not touch the crop's border (the
  // frame, when it is complete, encloses the digit and touches nothing either: drop blobs
  // that contain another).
  cv::Mat labels, stats, cent;
  const int m = cv::connectedComponentsWithStats(ink, labels, stats, cent, 8, CV_32S);
  int best = 0, best_area = 0;
  for (int i = 1; i < m; ++i) {
    const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), hh = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    if (x == 0 || y == 0 || x + w >= r.width || y + hh >= r.height) continue;
    if (hh < 0.6 * h || hh > 1.3 * h || w > 1.2 * h) continue;
    if (area < 0.3 * w * hh && w > 0.5 * hh) continue;  // an empty frame
    if (area > best_area) {
      best_area = area;
      best = i;
    }
  }
  if (best == 0) return cv::Mat();
  cv::Rect b(stats.at<int>(best, cv::CC_STAT_LEFT), stats.at<int>(best, cv::CC_STAT_TOP),
             stats.at<int>(best, cv::CC_STAT_WIDTH), stats.at<int>(best, cv::CC_STAT_HEIGHT));
  cv::Mat mask = labels(b) == best;
  const double s = 40.0 / b.height;
  cv::Mat resized;
  cv::resize(mask, resized, cv::Size(std::max(1, static_cast<int>(b.width * s)), 40), 0, 0,
             cv::INTER_LINEAR);
  cv::Mat out(80, resized.cols + 40, CV_8UC1, cv::Scalar(255));
  out(cv::Rect(20, 20, resized.cols, resized.rows)).setTo(0, resized > 127);
  return out;
}

}  // namespace

double FrameCodeConfidence(const FrameCode& code) {
  if (!code.check_ok) return std::min(0.3, 0.3 * code.ocr_mean);
  // A wrong read passes the check digit about one time in ten, so the check digit alone
  // gives little; the recogniser's own certainty about its weakest character does the rest.
  double c = 0.5 + 0.45 * std::clamp((code.ocr_min - 0.5) / 0.45, 0.0, 1.0);
  c -= 0.06 * code.positional;
  c -= 0.3 * code.corrected;
  return std::clamp(c, 0.0, 0.95);
}

absl::StatusOr<std::vector<FrameCode>> ReadContainers(const cv::Mat& gray, TessPool& pool,
                                                      const ContainerReaderOptions& options) {
  std::vector<TextGroup> groups = FindTextGroups(gray, options.finder);
  std::vector<const TextGroup*> ranked;
  for (const TextGroup& g : groups) ranked.push_back(&g);
  std::stable_sort(ranked.begin(), ranked.end(), [](const TextGroup* a, const TextGroup* b) {
    return GroupScore(*a) > GroupScore(*b);
  });
  if (static_cast<int>(ranked.size()) > options.max_groups) ranked.resize(options.max_groups);

  std::vector<GroupRead> reads;
  std::vector<FrameCode> codes;
  FILE* trace = nullptr;
  if (!options.debug_prefix.empty()) {
    trace = std::fopen((options.debug_prefix + "-containers.txt").c_str(), "w");
  }
  // Held for the first pass only: the second pass takes its own (the pool may have one).
  std::optional<TessPool::Lease> lease;
  lease.emplace(pool.Acquire());
  int k = 0;
  int after_sure = -1;  // groups left once a sure read is in hand; -1: none yet
  const bool has_deadline = options.deadline != std::chrono::steady_clock::time_point{};
  auto past_deadline = [&]() {
    return has_deadline && std::chrono::steady_clock::now() > options.deadline;
  };
  for (const TextGroup* g : ranked) {
    if (after_sure == 0) break;
    if (k >= 2 && past_deadline()) break;
    if (after_sure > 0) --after_sure;
    absl::StatusOr<LineText> line = lease->Recognize(g->rendered, kAlnum, 7);
    if (!line.ok()) {
      if (trace != nullptr) std::fclose(trace);
      return line.status();
    }
    if (!options.debug_prefix.empty()) {
      cv::imwrite(absl::StrFormat("%s-g%02d.png", options.debug_prefix, k), g->rendered);
    }
    ++k;
    // The boxed check digit is often lost. When the group has more characters than the text,
    // Tesseract dropped one: read the last character again on its own. Otherwise the digit
    // never joined the group (its frame hid it): read where it should be, one pitch on.
    if (MissingCheckDigit(line->text) && g->chars.size() >= 2) {
      const std::string compact = Compact(line->text);
      cv::Mat glyph;
      if (g->chars.size() > compact.size()) {
        glyph = RenderLine(*g, g->chars.size() - 1, g->chars.size(), 40);
      } else {
        glyph = GlyphBeyond(gray, *g);
      }
      absl::StatusOr<LineText> digit =
          glyph.empty() ? absl::StatusOr<LineText>(LineText{}) : lease->Recognize(glyph, kDigits, 10);
      if (digit.ok() && digit->symbols.size() == 1 && compact.size() >= 10) {
        LineText extended = *line;
        extended.text += digit->text;
        extended.confidences.push_back(digit->confidences[0] * 0.9f);
        extended.alternatives.push_back(digit->alternatives[0]);
        AddCandidates(extended.text, extended.confidences, Choices(extended), g->box, &codes);
      }
    }
    const size_t before = codes.size();
    AddCandidates(line->text, line->confidences, Choices(*line), g->box, &codes);
    // Tesseract's reading depends on scale: a line that looks like part of a code but gave no
    // valid number is read once more, larger.
    bool valid_here = false;
    for (size_t i = before; i < codes.size(); ++i) valid_here = valid_here || codes[i].check_ok;
    int digits = 0;
    for (char ch : line->text) digits += std::isdigit(static_cast<unsigned char>(ch)) != 0;
    if (!valid_here && digits >= 4 && Compact(line->text).size() >= 6) {
      absl::StatusOr<LineText> again =
          lease->Recognize(RenderLine(*g, 0, g->chars.size(), 52), kAlnum, 7);
      if (again.ok()) {
        AddCandidates(again->text, again->confidences, Choices(*again), g->box, &codes);

      }
    }
    if (after_sure < 0) {
      for (const FrameCode& c : codes) {
        if (c.check_ok && c.corrected == 0 && c.ocr_min >= 0.85) after_sure = options.groups_after_sure;
      }
    }
    if (trace != nullptr) {
      std::fprintf(trace, "g%02d %s n=%zu h=%.0f box=%d,%d,%d,%d text='%s' conf=", k - 1,
                   g->vertical ? "column" : "line", g->chars.size(), g->char_height, g->box.x,
                   g->box.y, g->box.width, g->box.height, line->text.c_str());
      for (float c : line->confidences) std::fprintf(trace, "%.0f ", c * 100);
      std::fprintf(trace, "\n");
    }
    reads.push_back({g, *std::move(line)});
  }
  // Codes split over two groups: on two or three rows (a line directly above another,
  // left-aligned, same size), or on one row with a wide gap between owner code and serial.
  for (const GroupRead& a : reads) {
    if (a.group->vertical) continue;
    for (const GroupRead& b : reads) {
      if (&a == &b || b.group->vertical) continue;
      const cv::Rect& ra = a.group->box;
      const cv::Rect& rb = b.group->box;
      const double h = std::max(a.group->char_height, b.group->char_height);
      if (std::min(a.group->char_height, b.group->char_height) * 1.4 < h) continue;
      const double vgap = rb.y - (ra.y + ra.height);
      const bool stacked = vgap > -0.2 * h && vgap < 1.2 * h && std::abs(ra.x - rb.x) < 1.5 * h;
      const double acy = ra.y + ra.height / 2.0, bcy = rb.y + rb.height / 2.0;
      const double hgap = rb.x - (ra.x + ra.width);
      const bool side_by_side = std::abs(acy - bcy) < 0.35 * h && hgap > 0 && hgap < 5 * h;
      if (!stacked && !side_by_side) continue;
      std::vector<float> conf = a.line.confidences;
      conf.insert(conf.end(), b.line.confidences.begin(), b.line.confidences.end());
      std::vector<CharChoices> choices = Choices(a.line), more = Choices(b.line);
      choices.insert(choices.end(), more.begin(), more.end());
      AddCandidates(a.line.text + b.line.text, conf, choices, ra | rb, &codes);
    }
  }
  // Size-type codes: any line that reads as one, attached to the nearest number.
  std::vector<std::pair<std::string, cv::Rect>> types;
  for (const GroupRead& r : reads) {
    std::optional<std::string> t = ExtractSizeType(r.line.text);
    if (t.has_value() && Compact(r.line.text).size() <= 6) types.emplace_back(*t, r.group->box);
  }
  // Best read per distinct number.
  std::stable_sort(codes.begin(), codes.end(), [](const FrameCode& a, const FrameCode& b) {
    return a.confidence > b.confidence;
  });
  std::vector<FrameCode> out;
  for (const FrameCode& c : codes) {
    bool seen = false;
    for (const FrameCode& o : out) seen = seen || o.number == c.number;
    if (seen) continue;
    FrameCode fc = c;
    double best_d = 1e18;
    for (const auto& [t, box] : types) {
      const cv::Point2d a(c.box.x + c.box.width / 2.0, c.box.y + c.box.height / 2.0);
      const cv::Point2d b(box.x + box.width / 2.0, box.y + box.height / 2.0);
      const double d = cv::norm(a - b);
      if (d < best_d && d < 6.0 * std::max(box.height, box.width)) {
        best_d = d;
        fc.iso_type = t;
      }
    }
    out.push_back(fc);
  }
  if (trace != nullptr) {
    for (const FrameCode& c : out) {
      std::fprintf(trace, "read %s check=%d positional=%d corrected=%d ocr_min=%.2f conf=%.3f type=%s raw='%s'\n",
                   c.number.c_str(), c.check_ok, c.positional, c.corrected, c.ocr_min,
                   c.confidence, c.iso_type.c_str(), c.raw.c_str());
    }
    std::fclose(trace);
  }
  lease.reset();
  bool plausible = false;
  for (const FrameCode& c : out) plausible = plausible || (c.check_ok && c.confidence >= 0.5);
  if (!plausible && options.second_pass_groups > 0 && options.finder.open_radius == 0 &&
      !past_deadline()) {
    ContainerReaderOptions second = options;
    second.finder.open_radius = 2;
    second.max_groups = options.second_pass_groups;
    second.second_pass_groups = 0;
    if (!second.debug_prefix.empty()) second.debug_prefix += "-opened";
    absl::StatusOr<std::vector<FrameCode>> more = ReadContainers(gray, pool, second);
    if (!more.ok()) return more.status();
    for (const FrameCode& c : *more) {
      bool merged = false;
      for (FrameCode& o : out) {
        if (o.number == c.number) {
          if (c.confidence > o.confidence) o = c;
          merged = true;
        }
      }
      if (!merged) out.push_back(c);
    }
    std::stable_sort(out.begin(), out.end(), [](const FrameCode& a, const FrameCode& b) {
      return a.confidence > b.confidence;
    });
  }
  return out;
}

}  // namespace yardgate::ocr
