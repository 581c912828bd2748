#include "ocr/plate_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/plate_text.h"
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

// Masks of plate-coloured pixels (HSV, OpenCV hue 0..180). `vivid` asks for the plate's own
// strong colour only: at night or on a car of the plate's hue the plain mask takes in the
// whole body and the plate is lost in it.
cv::Mat ColourMask(const cv::Mat& hsv, PlateColour c, bool vivid = false) {
  cv::Mat m;
  switch (c) {
    case PlateColour::kBlue:
      cv::inRange(hsv, cv::Scalar(95, vivid ? 160 : 90, 50), cv::Scalar(130, 255, 255), m);
      break;
    case PlateColour::kYellow:
      cv::inRange(hsv, cv::Scalar(12, vivid ? 160 : 90, 90), cv::Scalar(34, 255, 255), m);
      break;
    case PlateColour::kGreen:
      cv::inRange(hsv, cv::Scalar(35, vivid ? 100 : 40, 90), cv::Scalar(90, 255, 255), m);
      break;
    default:
      break;
  }
  return m;
}

// Plate-shaped blobs of `mask` (computed on a copy of the frame scaled by `scale`) as
// candidates; `weight` ranks one kind of evidence against another.
void AddPlateShapes(const cv::Mat& mask, double scale, PlateColour colour, double weight,
                    const cv::Size& frame, std::vector<Candidate>* out) {
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
    if (w < 40 || w > mask.cols * 0.6) continue;
    const double fill = area / (w * h);
    if (fill < 0.5) continue;
    Candidate c;
    c.rect = cv::RotatedRect(rr.center / scale, cv::Size2f(w / scale, h / scale), angle);
    c.box = c.rect.boundingRect() & cv::Rect(cv::Point(0, 0), frame);
    c.colour = colour;
    // Plates are 3.14:1 (single row) or 2:1 (double row).
    const double shape = std::min(std::abs(ar - 3.14) / 3.14, std::abs(ar - 2.0) / 2.0);
    c.score = weight * fill * (1 - std::min(0.9, shape)) * std::sqrt(w * h);
    out->push_back(c);
  }
}

// Where a frame may hold plates, most promising first: plate-coloured rectangles (blue,
// yellow, green grounds), then dense vertical strokes of plate shape, which find plates of
// any colour (white Hong Kong plates, over-exposed plates at night). A small image of plate
// shape is taken as a tight crop of one plate.
std::vector<Candidate> Locate(const cv::Mat& bgr) {
  std::vector<Candidate> out;
  const double aspect = static_cast<double>(bgr.cols) / bgr.rows;
  // Down to 1.3:1 a small image may be a double-row plate cut out with loose margins; below
  // 1.6:1 it may as well be a small scene, so the locator looks at it too. An image of 2.2:1
  // or longer is no camera's scene, so a large one is a plate crop too (LPR cameras and crop
  // tools hand out plates over 1,000 pixels wide).
  const bool plate_shaped = aspect >= 2.2 && aspect < 6 && bgr.cols <= 1280;
  if ((bgr.cols <= 400 && aspect > 1.3 && aspect < 6) || plate_shaped) {
    Candidate c;
    c.box = cv::Rect(0, 0, bgr.cols, bgr.rows);
    c.rect = cv::RotatedRect(cv::Point2f(bgr.cols / 2.0f, bgr.rows / 2.0f),
                             cv::Size2f(bgr.cols, bgr.rows), 0);
    c.tight = true;
    c.score = std::numeric_limits<double>::max();
    out.push_back(c);
    if (aspect >= 1.6) return out;  // 2.2:1 and longer always
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
  // Close the gaps the characters leave.
  const int k = std::max(3, small.cols / 120);
  const cv::Mat close = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k * 2 + 1, k));
  const cv::Mat open = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
  for (PlateColour colour : {PlateColour::kBlue, PlateColour::kYellow, PlateColour::kGreen}) {
    for (bool vivid : {false, true}) {
      cv::Mat mask = ColourMask(hsv, colour, vivid);
      cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, close);
      cv::morphologyEx(mask, mask, cv::MORPH_OPEN, open);
      AddPlateShapes(mask, scale, colour, 1.0, bgr.size(), &out);
    }
  }
  {
    cv::Mat grey, gx, strokes;
    cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
    cv::Sobel(grey, gx, CV_16S, 1, 0, 3);
    cv::convertScaleAbs(gx, gx);
    cv::threshold(gx, strokes, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    // Join the strokes of a row of characters, then drop what is not a block of writing:
    // thin lines of bumpers, grilles and kerbs. The gaps between characters depend on the
    // plate's size in the frame, so twice: the wider join holds together a large plate that
    // the narrower one leaves in pieces.
    for (int w : {std::max(9, small.cols / 40), std::max(18, small.cols / 20)}) {
      cv::Mat joined;
      cv::morphologyEx(strokes, joined, cv::MORPH_CLOSE,
                       cv::getStructuringElement(cv::MORPH_RECT, cv::Size(w, std::max(3, k / 2))));
      cv::morphologyEx(joined, joined, cv::MORPH_OPEN,
                       cv::getStructuringElement(cv::MORPH_RECT, cv::Size(w / 2, k)));
      AddPlateShapes(joined, scale, PlateColour::kUnknown, 0.6, bgr.size(), &out);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  // The same plate found by colour and by strokes: keep the better-ranked box. Only nearly
  // the same box: a piece of a plate (a colour blob broken by the letters) must not shut
  // out the whole plate.
  std::vector<Candidate> distinct;
  for (const Candidate& c : out) {
    const bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const Candidate& d) {
      const double shared = (c.box & d.box).area();
      return shared > 0.6 * (c.box.area() + d.box.area() - shared);
    });
    if (!seen) distinct.push_back(c);
  }
  return distinct;
}

// The candidate upright with a little margin, in colour, as the recogniser was trained to
// see it (Synthesizer::TrainingPlate). `grow` widens the margin (negative: narrows it).
cv::Mat Rectify(const cv::Mat& bgr, const Candidate& c, double grow) {
  if (c.tight) {
    const int dx = static_cast<int>(std::lround(std::abs(grow) * bgr.cols));
    const int dy = static_cast<int>(std::lround(2 * std::abs(grow) * bgr.rows));
    if (grow >= 0) {
      cv::Mat padded;
      cv::copyMakeBorder(bgr, padded, dy, dy, dx, dx, cv::BORDER_REPLICATE);
      return padded;
    }
    if (bgr.cols <= 4 * dx || bgr.rows <= 4 * dy) return bgr;
    return bgr(cv::Rect(dx, dy, bgr.cols - 2 * dx, bgr.rows - 2 * dy)).clone();
  }
  const cv::Size2f size(c.rect.size.width * static_cast<float>(1.04 + grow),
                        c.rect.size.height * static_cast<float>(1.10 + 2 * grow));
  cv::Mat rot = cv::getRotationMatrix2D(c.rect.center, c.rect.angle, 1.0);
  rot.at<double>(0, 2) += size.width / 2 - c.rect.center.x;
  rot.at<double>(1, 2) += size.height / 2 - c.rect.center.y;
  cv::Mat crop;
  cv::warpAffine(bgr, crop, rot, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  if (c.colour == PlateColour::kUnknown) return crop;
  // A colour blob often takes in a shadow or bumper of the same hue above or below the plate:
  // keep the longest band of rows that are mostly plate colour, with a small margin.
  cv::Mat hsv;
  cv::cvtColor(crop, hsv, cv::COLOR_BGR2HSV);
  const cv::Mat mask = ColourMask(hsv, c.colour);
  int best_top = 0, best_len = 0, run_top = -1;
  for (int y = 0; y <= mask.rows; ++y) {
    const bool plate = y < mask.rows && cv::countNonZero(mask.row(y)) > 0.3 * mask.cols;
    if (plate && run_top < 0) run_top = y;
    if (!plate && run_top >= 0) {
      if (y - run_top > best_len) {
        best_len = y - run_top;
        best_top = run_top;
      }
      run_top = -1;
    }
  }
  if (best_len < 0.35 * crop.rows || best_len > 0.9 * crop.rows) return crop;
  const int margin = static_cast<int>(0.08 * best_len);
  const int top = std::max(0, best_top - margin);
  const int bottom = std::min(crop.rows, best_top + best_len + margin);
  return crop.rowRange(top, bottom).clone();
}

// The share of the crops whose likeliest valid plate reading is `text`.
double CropAgreement(const std::vector<const std::vector<PlateNet::Reading>*>& per_crop,
                     const std::string& text) {
  if (per_crop.empty()) return 0;
  int agree = 0;
  for (const std::vector<PlateNet::Reading>* readings : per_crop) {
    const PlateNet::Reading* top = nullptr;
    for (const PlateNet::Reading& r : *readings) {
      if (common::IsValidPlate(r.text) && (top == nullptr || r.probability > top->probability)) {
        top = &r;
      }
    }
    agree += top != nullptr && top->text == text;
  }
  return static_cast<double>(agree) / per_crop.size();
}

// The recogniser's readings of one candidate under several crops, as a frame plate.
//
// Which plate: each crop's readings that are plates are weighed against each other (the
// probability of a text given that the crop shows a plate at all), and those shares are
// averaged over the crops. A crop whose likeliest reading breaks the plate grammar in one
// character (G read as 6) thus still says which province it saw, instead of a poor crop that
// reads nothing well but happens to spell a plate deciding it.
//
// How sure: the chosen text's own probability averaged over the crops, what the network
// believes whatever the exact margins.
FramePlate Judge(const std::vector<const std::vector<PlateNet::Reading>*>& per_crop,
                 const cv::Rect& box) {
  // Below this a crop's plate readings are noise, and their shares are scaled down with it.
  constexpr double kPlateMassFloor = 0.05;
  std::map<std::string, double> mean, share;
  const double crops = static_cast<double>(std::max<size_t>(1, per_crop.size()));
  for (const std::vector<PlateNet::Reading>* readings : per_crop) {
    std::vector<const PlateNet::Reading*> plates;
    double plate_mass = 0;
    for (const PlateNet::Reading& r : *readings) {
      mean[r.text] += r.probability / crops;
      if (common::IsValidPlate(r.text)) {
        plates.push_back(&r);
        plate_mass += r.probability;
      }
    }
    for (const PlateNet::Reading* r : plates) {
      share[r->text] += r->probability / std::max(plate_mass, kPlateMassFloor) / crops;
    }
  }
  // Hong Kong and Macau patterns are short enough for noise to match (a bumper read as "D4"):
  // they count only when the network is fairly sure of them.
  for (auto it = share.begin(); it != share.end();) {
    it = common::IsHongKongOrMacauPlate(it->first) && mean[it->first] < 0.5 ? share.erase(it) : ++it;
  }
  FramePlate p;
  p.box = box;
  if (mean.empty()) return p;
  auto likeliest = [](const std::map<std::string, double>& m) {
    return std::max_element(m.begin(), m.end(), [](const auto& a, const auto& b) {
             return a.second < b.second;
           })->first;
  };
  p.raw = likeliest(mean);
  p.valid = !share.empty();
  p.text = p.valid ? likeliest(share) : p.raw;
  p.probability = std::clamp(mean[p.text], 0.0, 1.0);
  for (const auto& [text, probability] : mean) p.alternatives.push_back({text, probability});
  std::sort(p.alternatives.begin(), p.alternatives.end(),
            [](const PlateNet::Reading& a, const PlateNet::Reading& b) {
              return a.probability > b.probability;
            });
  if (p.alternatives.size() > kMaxAlternatives) p.alternatives.resize(kMaxAlternatives);
  p.crop_agreement = CropAgreement(per_crop, p.text);
  p.score = p.valid ? PlateScore(p.probability, p.crop_agreement) : 0;
  return p;
}

bool Better(const FramePlate& a, const FramePlate& b) {
  if (a.valid != b.valid) return a.valid;
  return a.score > b.score;
}

// Two readings of one candidate: a double-row plate read as one row gives its bottom row
// alone ("A5331" of 京E / A5331), which can pass for a Hong Kong plate. The reading that
// holds the other at its end explains more of the plate.
bool ReadsMore(const FramePlate& a, const FramePlate& b) {
  return a.valid && b.valid && a.text.size() > b.text.size() && absl::EndsWith(a.text, b.text);
}

}  // namespace

double PlateScore(double probability, double crop_agreement) {
  return std::clamp(probability, 0.0, 1.0) * (0.5 + 0.5 * std::clamp(crop_agreement, 0.0, 1.0));
}

std::vector<std::vector<std::pair<std::string, double>>> PlateCharAlternatives(
    const FramePlate& plate, const std::string& text) {
  const std::vector<std::string> chars = common::SplitCodePoints(text);
  std::vector<std::map<std::string, double>> mass(chars.size());
  double total = 0;
  for (const PlateNet::Reading& r : plate.alternatives) {
    total += r.probability;
    const std::vector<std::string> rc = common::SplitCodePoints(r.text);
    if (rc.size() != chars.size()) continue;
    for (size_t i = 0; i < rc.size(); ++i) mass[i][rc[i]] += r.probability;
  }
  std::vector<std::vector<std::pair<std::string, double>>> out(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) {
    for (const auto& [ch, m] : mass[i]) out[i].emplace_back(ch, total > 0 ? m / total : 0);
    std::sort(out[i].begin(), out[i].end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
  }
  return out;
}

double PlateScoreOf(const FramePlate& plate, const std::string& text) {
  if (text == plate.text) return plate.score;
  for (const PlateNet::Reading& r : plate.alternatives) {
    // Had the crops favoured `text`, the frame would have read it: none did, so no agreement.
    if (r.text == text) return PlateScore(r.probability, 0);
  }
  const std::vector<std::string> a = common::SplitCodePoints(plate.text);
  const std::vector<std::string> b = common::SplitCodePoints(text);
  if (a.size() != b.size()) return 0;
  const auto positions = PlateCharAlternatives(plate, plate.text);
  double p = plate.probability;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    double pa = 0, pb = 0;
    for (const auto& [ch, m] : positions[i]) {
      if (ch == a[i]) pa = m;
      if (ch == b[i]) pb = m;
    }
    p *= pa > 0 ? std::min(1.0, pb / pa) : 0;
  }
  return PlateScore(p, 0);
}

std::vector<FramePlate> ReadPlates(const cv::Mat& bgr, const PlateNet& net,
                                   const PlateReaderOptions& options) {
  std::vector<Candidate> cands = Locate(bgr);
  if (static_cast<int>(cands.size()) > options.max_candidates) cands.resize(options.max_candidates);
  // A locator's box is rarely exact: a candidate is read under four margins. First at the
  // locator's own margin for every candidate (one network pass), then the other three only
  // for candidates that read like writing at all, so that the doors, grilles and lettering a
  // frame is full of cost one reading each.
  constexpr double kMargins[] = {0, -0.04, 0.05, 0.1};
  struct Group {
    size_t candidate;
    bool double_row;
    std::vector<size_t> crops;  // into `crops`
  };
  std::vector<PlateNet::Crop> crops;
  std::vector<Group> groups;  // one per candidate and layout
  auto add_crop = [&](Group& g, const cv::Mat& image, size_t margin) {
    if (!options.debug_prefix.empty()) {
      cv::imwrite(absl::StrFormat("%s-plate%02d-%d%s.png", options.debug_prefix, g.candidate,
                                  margin, g.double_row ? "-two-rows" : ""),
                  image);
    }
    g.crops.push_back(crops.size());
    crops.push_back({image, g.double_row});
  };
  for (size_t i = 0; i < cands.size(); ++i) {
    const cv::Mat crop = Rectify(bgr, cands[i], kMargins[0]);
    // Every crop is read as one row; a crop short enough to hold two rows also as two (a
    // tilted single-row plate can look as short as a double-row one).
    const double aspect = static_cast<double>(crop.cols) / std::max(1, crop.rows);
    for (bool double_row : {false, true}) {
      if (double_row && aspect >= 2.9) continue;
      groups.push_back({i, double_row, {}});
      add_crop(groups.back(), crop, 0);
    }
  }
  std::vector<std::vector<PlateNet::Reading>> readings = net.ReadAll(crops);
  const size_t first_pass = crops.size();
  const bool late = options.deadline != std::chrono::steady_clock::time_point{} &&
                    std::chrono::steady_clock::now() > options.deadline;
  for (Group& g : groups) {
    if (late) break;
    const std::vector<PlateNet::Reading>& r = readings[g.crops[0]];
    if (r.empty() || common::SplitCodePoints(r[0].text).size() < 4) continue;
    for (size_t m = 1; m < std::size(kMargins); ++m) {
      add_crop(g, Rectify(bgr, cands[g.candidate], kMargins[m]), m);
    }
  }
  if (crops.size() > first_pass) {
    std::vector<std::vector<PlateNet::Reading>> more =
        net.ReadAll(std::vector<PlateNet::Crop>(crops.begin() + first_pass, crops.end()));
    for (auto& m : more) readings.push_back(std::move(m));
  }
  std::vector<FramePlate> best(cands.size());
  for (const Group& g : groups) {
    std::vector<const std::vector<PlateNet::Reading>*> per_crop;
    for (size_t k : g.crops) per_crop.push_back(&readings[k]);
    FramePlate p = Judge(per_crop, cands[g.candidate].box);
    const FramePlate& so_far = best[g.candidate];
    if (so_far.text.empty() || ReadsMore(p, so_far) ||
        (!ReadsMore(so_far, p) && Better(p, so_far))) {
      best[g.candidate] = std::move(p);
    }
  }
  // One entry per text: the same plate found twice (two colour masks) counts once.
  std::vector<FramePlate> out;
  for (FramePlate& p : best) {
    if (p.text.empty()) continue;
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const FramePlate& q) { return q.text == p.text; });
    if (same == out.end()) {
      out.push_back(std::move(p));
    } else if (Better(p, *same)) {
      *same = std::move(p);
    }
  }
  std::vector<FramePlate> whole = WithoutTails(std::move(out));
  std::stable_sort(whole.begin(), whole.end(), Better);
  return whole;
}

std::vector<FramePlate> WithoutTails(std::vector<FramePlate> plates) {
  std::vector<FramePlate> whole;
  for (const FramePlate& p : plates) {
    const bool tail = std::any_of(plates.begin(), plates.end(), [&](const FramePlate& q) {
      return ReadsMore(q, p) && (q.box & p.box).area() > 0;
    });
    if (!tail) whole.push_back(p);
  }
  return whole;
}

}  // namespace yardgate::ocr
