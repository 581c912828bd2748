#include "ocr/synth.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/iso6346.h"
#include "common/plate_text.h"
#include "opencv2/freetype.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

constexpr const char* kLatinFonts[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
};
constexpr const char* kCjkFont = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

// Further faces for TrainingPlate, each used when installed: the plate font itself is not
// packaged, so the recogniser learns from many near relatives instead of one.
struct Face {
  const char* path;
  int index;          // face in a collection (Noto CJK: 2 is Simplified Chinese)
  bool bold = false;  // a heavy CJK face, closest to the plates' province characters
};
constexpr Face kExtraLatinFaces[] = {
    // Open DIN first: the plate font is a narrow DIN, so TrainingPlate favours this face.
    {"/usr/share/fonts/truetype/opendin/OSP-DIN.ttf", 0},
    {"/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf", 0},
    {"/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf", 0},
    {"/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf", 0},
    {"/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", 0},
    {"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2},
};
constexpr Face kExtraCjkFaces[] = {
    {"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0},
    {"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2, true},
    {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2},
};

int Uniform(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
double UniformReal(std::mt19937& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

bool IsAscii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
}

// Tight black-on-white rendering of `ch`, as a mask (255 = ink).
cv::Mat GlyphMask(cv::freetype::FreeType2& ft, const std::string& ch, int height) {
  int baseline = 0;
  cv::Size sz = ft.getTextSize(ch, height, -1, &baseline);
  cv::Mat color(3 * height + sz.height + baseline, sz.width + height, CV_8UC3, cv::Scalar::all(0));
  ft.putText(color, ch, cv::Point(height / 2, height + sz.height), height,
             cv::Scalar::all(255), -1, cv::LINE_AA, false);
  cv::Mat canvas;
  cv::cvtColor(color, canvas, cv::COLOR_BGR2GRAY);
  cv::Mat pts;
  cv::findNonZero(canvas > 60, pts);
  if (pts.empty()) return cv::Mat(height, height / 2, CV_8UC1, cv::Scalar(0));
  return canvas(cv::boundingRect(pts)).clone();
}

// Paints `mask` (ink = 255) into `img` at `cell` (stretched to fill it) in `color`.
void PaintMask(cv::Mat& img, const cv::Mat& mask, const cv::Rect& cell, const cv::Scalar& color) {
  cv::Rect r = cell & cv::Rect(0, 0, img.cols, img.rows);
  if (r.empty()) return;
  cv::Mat m;
  cv::resize(mask, m, cell.size(), 0, 0, cv::INTER_AREA);
  m = m(cv::Rect(r.x - cell.x, r.y - cell.y, r.width, r.height));
  cv::Mat roi = img(r);
  cv::Mat colored(r.size(), img.type(), color);
  for (int y = 0; y < r.height; ++y) {
    for (int x = 0; x < r.width; ++x) {
      const float a = m.at<uint8_t>(y, x) / 255.0f;
      if (a <= 0) continue;
      cv::Vec3b& p = roi.at<cv::Vec3b>(y, x);
      const cv::Vec3b c = colored.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) p[k] = cv::saturate_cast<uint8_t>(p[k] * (1 - a) + c[k] * a);
    }
  }
}

cv::Scalar PaintColour(std::mt19937& rng, bool light_text) {
  // BGR: container paints are mostly saturated mid-tones; dark text goes on light paint.
  static const cv::Scalar kDarkPaints[] = {{140, 60, 20},  {30, 40, 150}, {40, 100, 40},
                                           {90, 90, 90},   {20, 70, 160}, {60, 50, 50},
                                           {120, 80, 30},  {40, 60, 110}};
  static const cv::Scalar kLightPaints[] = {
      {200, 200, 200}, {170, 175, 180}, {60, 160, 230}, {210, 220, 225}, {150, 190, 200}};
  if (light_text) return kDarkPaints[Uniform(rng, 0, 7)];
  return kLightPaints[Uniform(rng, 0, 4)];
}

}  // namespace

absl::StatusOr<std::unique_ptr<Synthesizer>> Synthesizer::Create() {
  std::unique_ptr<Synthesizer> s(new Synthesizer());
  try {
    for (const char* path : kLatinFonts) {
      if (!std::filesystem::exists(path)) continue;
      cv::Ptr<cv::freetype::FreeType2> ft = cv::freetype::createFreeType2();
      ft->loadFontData(path, 0);
      s->latin_.push_back(ft);
    }
    if (std::filesystem::exists(kCjkFont)) {
      s->cjk_ = cv::freetype::createFreeType2();
      s->cjk_->loadFontData(kCjkFont, 0);
    }
  } catch (const cv::Exception& e) {
    return absl::FailedPreconditionError(absl::StrCat("cannot load fonts: ", e.what()));
  }
  if (s->latin_.empty() || s->cjk_.empty()) {
    return absl::FailedPreconditionError(
        "synthetic images need fonts-dejavu-core or fonts-liberation, and fonts-wqy-zenhei");
  }
  s->plate_latin_ = s->latin_;
  s->plate_cjk_ = {s->cjk_};
  try {
    auto load = [](const Face& f, std::vector<cv::Ptr<cv::freetype::FreeType2>>* into) {
      if (!std::filesystem::exists(f.path)) return;
      cv::Ptr<cv::freetype::FreeType2> ft = cv::freetype::createFreeType2();
      ft->loadFontData(f.path, f.index);
      into->push_back(ft);
    };
    for (const Face& f : kExtraLatinFaces) load(f, &s->plate_latin_);
    if (std::filesystem::exists(kExtraLatinFaces[0].path)) {
      s->plate_din_ = s->plate_latin_[s->latin_.size()];
    }
    for (const Face& f : kExtraCjkFaces) {
      const size_t before = s->plate_cjk_.size();
      load(f, &s->plate_cjk_);
      if (f.bold && s->plate_cjk_.size() > before) s->plate_cjk_bold_ = s->plate_cjk_.back();
    }
  } catch (const cv::Exception& e) {
    return absl::FailedPreconditionError(absl::StrCat("cannot load fonts: ", e.what()));
  }
  return s;
}

Synthesizer::~Synthesizer() = default;

std::string Synthesizer::RandomContainerNumber(std::mt19937& rng) {
  for (;;) {
    std::string n;
    for (int i = 0; i < 3; ++i) n.push_back(static_cast<char>('A' + Uniform(rng, 0, 25)));
    n.push_back("UUUUUUJZ"[Uniform(rng, 0, 7)]);
    for (int i = 0; i < 6; ++i) n.push_back(static_cast<char>('0' + Uniform(rng, 0, 9)));
    std::optional<int> check = common::ComputeCheckDigit(n);
    if (!check.has_value()) continue;
    n.push_back(static_cast<char>('0' + *check));
    return n;
  }
}

std::string Synthesizer::RandomPlate(std::mt19937& rng, PlateKind kind) {
  const auto& provinces = common::ProvinceCharacters();
  static const std::string kLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  static const std::string kAlnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
  std::string p = provinces[Uniform(rng, 0, static_cast<int>(provinces.size()) - 1)];
  p.push_back(kLetters[Uniform(rng, 0, static_cast<int>(kLetters.size()) - 1)]);
  auto digit = [&]() { return static_cast<char>('0' + Uniform(rng, 0, 9)); };
  auto alnum = [&]() {
    // Real plates are mostly digits.
    return Uniform(rng, 0, 2) == 0 ? kAlnum[Uniform(rng, 0, static_cast<int>(kAlnum.size()) - 1)]
                                   : digit();
  };
  switch (kind) {
    case PlateKind::kGreen:
      p.push_back("DF"[Uniform(rng, 0, 1)]);
      p.push_back(alnum());
      for (int i = 0; i < 4; ++i) p.push_back(digit());
      return p;
    case PlateKind::kTrailer:
      for (int i = 0; i < 4; ++i) p.push_back(alnum());
      return p + "挂";
    default:
      for (int i = 0; i < 5; ++i) p.push_back(alnum());
      return p;
  }
}

SynthImage Synthesizer::Container(const ContainerSpec& spec) {
  std::mt19937 rng(spec.seed);
  SynthImage out;
  out.truth = spec.number.empty() ? RandomContainerNumber(rng) : spec.number;
  out.iso_type = spec.size_type;
  const cv::Scalar paint = PaintColour(rng, spec.light_text);
  const cv::Scalar ink = spec.light_text ? cv::Scalar(235, 235, 235) : cv::Scalar(25, 25, 25);
  cv::Mat img(spec.height, spec.width, CV_8UC3, paint);
  // Corrugation: vertical light/dark bands.
  const double period = UniformReal(rng, 25, 60);
  for (int x = 0; x < img.cols; ++x) {
    const double v = 18 * std::sin(2 * M_PI * x / period);
    img.col(x) += cv::Scalar(v, v, v);
  }
  cv::freetype::FreeType2& ft = *latin_[Uniform(rng, 0, static_cast<int>(latin_.size()) - 1)];
  const int h = spec.char_height;
  // Character cells: width from the font's own proportions.
  auto glyph = [&](char c) { return GlyphMask(ft, std::string(1, c), h * 2); };
  auto cell_w = [&](const cv::Mat& g) {
    return std::max(h / 6, static_cast<int>(std::lround(g.cols * static_cast<double>(h) / g.rows)));
  };
  struct Placed {
    char c;
    cv::Rect cell;
    bool boxed;
  };
  std::vector<Placed> placed;
  const std::string& n = out.truth;
  const int pitch = h / 6;  // gap between characters
  int x0 = 0, y0 = 0;
  cv::Rect block;
  auto place_row = [&](const std::string& s, int x, int y, bool last_boxed) {
    for (size_t i = 0; i < s.size(); ++i) {
      cv::Mat g = glyph(s[i]);
      const int w = s[i] == '1' || s[i] == 'I' ? cell_w(g) : std::max(cell_w(g), h / 2);
      const bool boxed = last_boxed && i + 1 == s.size();
      if (boxed) x += h / 3;
      placed.push_back({s[i], cv::Rect(x, y, w, h), boxed});
      x += w + pitch;
    }
    return x;
  };
  switch (spec.layout) {
    case ContainerLayout::kOneLine: {
      int x = place_row(n.substr(0, 4), 0, 0, false);
      x = place_row(n.substr(4, 7), x + h / 2, 0, true);
      if (!spec.size_type.empty()) place_row(spec.size_type, placed[4].cell.x, h * 3 / 2, false);
      break;
    }
    case ContainerLayout::kTwoRows: {
      place_row(n.substr(0, 4), 0, 0, false);
      place_row(n.substr(4, 7), 0, h * 3 / 2, true);
      if (!spec.size_type.empty()) place_row(spec.size_type, 0, h * 3, false);
      break;
    }
    case ContainerLayout::kVertical: {
      const int col_w = h * 3 / 4;
      int y = 0;
      for (size_t i = 0; i < n.size(); ++i) {
        cv::Mat g = glyph(n[i]);
        const int w = std::min(col_w, n[i] == '1' || n[i] == 'I' ? cell_w(g) : std::max(cell_w(g), h / 2));
        if (i == 4) y += h / 3;
        const bool boxed = i + 1 == n.size();
        if (boxed) y += h / 4;
        placed.push_back({n[i], cv::Rect((col_w - w) / 2, y, w, h), boxed});
        y += h + h / 4;
      }
      if (!spec.size_type.empty()) {
        int yy = 0;
        for (char c : spec.size_type) {
          cv::Mat g = glyph(c);
          const int w = std::min(col_w, std::max(cell_w(g), h / 2));
          placed.push_back({c, cv::Rect(col_w * 3 + (col_w - w) / 2, yy, w, h), false});
          yy += h + h / 4;
        }
      }
      break;
    }
  }
  for (const Placed& p : placed) block |= p.cell;
  const int margin = h;
  x0 = Uniform(rng, margin, std::max(margin, spec.width - block.width - margin));
  y0 = Uniform(rng, margin, std::max(margin, spec.height - block.height - margin));
  for (const Placed& p : placed) {
    cv::Rect cell = p.cell + cv::Point(x0, y0);
    PaintMask(img, glyph(p.c), cell, ink);
    if (p.boxed) {
      const int pad = std::max(2, h / 8);
      cv::rectangle(img, cv::Rect(cell.x - pad, cell.y - pad, cell.width + 2 * pad, cell.height + 2 * pad),
                    ink, std::max(1, h / 14), cv::LINE_AA);
    }
  }
  out.box = block + cv::Point(x0, y0);
  Degrade(img, &out.box, spec.degradation, rng);
  out.bgr = img;
  return out;
}

SynthImage Synthesizer::Plate(const PlateSpec& spec) {
  std::mt19937 rng(spec.seed);
  SynthImage out;
  out.truth = spec.text.empty() ? RandomPlate(rng, spec.kind) : spec.text;
  std::vector<std::string> chars = common::SplitCodePoints(out.truth);
  const bool double_row = spec.kind == PlateKind::kYellowDoubleRow;
  out.double_row = double_row;
  // Plate in millimetres: 440 x 140 (double row 440 x 220); drawn at 2 px/mm, scaled later.
  const double s = 2.0;
  const int pw = static_cast<int>(440 * s), ph = static_cast<int>((double_row ? 220 : 140) * s);
  cv::Scalar bg, ink;
  switch (spec.kind) {
    case PlateKind::kBlue: bg = {170, 70, 10}; ink = {245, 245, 245}; break;
    case PlateKind::kGreen: bg = {140, 220, 150}; ink = {20, 20, 20}; break;
    default: bg = {20, 180, 235}; ink = {20, 20, 20}; break;
  }
  cv::Mat plate(ph, pw, CV_8UC3, bg);
  if (spec.kind == PlateKind::kGreen) {
    for (int y = 0; y < ph; ++y) {
      const double t = static_cast<double>(y) / ph;
      plate.row(y).setTo(cv::Scalar(140 + 100 * t, 220 + 25 * t, 150 + 90 * t));
    }
  }
  cv::rectangle(plate, cv::Rect(static_cast<int>(5 * s), static_cast<int>(5 * s),
                                pw - static_cast<int>(10 * s), ph - static_cast<int>(10 * s)),
                ink, static_cast<int>(2 * s));
  cv::freetype::FreeType2& latin = *latin_[Uniform(rng, 0, 1)];  // condensed faces
  auto draw = [&](const std::string& ch, const cv::Rect& cell) {
    cv::freetype::FreeType2& ft = IsAscii(ch) ? latin : *cjk_;
    PaintMask(plate, GlyphMask(ft, ch, 120), cell, ink);
  };
  if (double_row) {
    // Top row: province and letter, 220 mm apart centred; bottom: the rest, bigger.
    const int th = static_cast<int>(60 * s), tw = static_cast<int>(80 * s);
    draw(chars[0], cv::Rect(static_cast<int>(110 * s), static_cast<int>(15 * s), tw, th));
    if (chars.size() > 1) {
      draw(chars[1], cv::Rect(static_cast<int>(250 * s), static_cast<int>(15 * s), tw, th));
    }
    const int bh = static_cast<int>(110 * s), bw = static_cast<int>(65 * s);
    const int n = static_cast<int>(chars.size()) - 2;
    const int gap = static_cast<int>(15 * s);
    int x = (pw - (n * bw + (n - 1) * gap)) / 2;
    for (int i = 0; i < n; ++i, x += bw + gap) {
      draw(chars[i + 2], cv::Rect(x, static_cast<int>(95 * s), bw, bh));
    }
  } else {
    const int n = static_cast<int>(chars.size());
    const int cw = static_cast<int>((n == 8 ? 43 : 45) * s), chh = static_cast<int>(90 * s);
    const int gap = static_cast<int>((n == 8 ? 9 : 12) * s), dot_gap = static_cast<int>(34 * s);
    int total = n * cw + (n - 2) * gap + dot_gap;
    int x = (pw - total) / 2;
    for (int i = 0; i < n; ++i) {
      draw(chars[i], cv::Rect(x, static_cast<int>(25 * s), cw, chh));
      x += cw + (i == 1 ? dot_gap : gap);
      if (i == 1) {
        cv::circle(plate, cv::Point(x - dot_gap / 2, ph / 2), static_cast<int>(5 * s), ink, -1,
                   cv::LINE_AA);
      }
    }
  }
  if (spec.tight_crop) {
    // Like LPR training crops: the plate with a little margin, small.
    const int w = Uniform(rng, 94, 200);
    const int h = double_row ? w / 2 : static_cast<int>(std::lround(w * 0.32));
    cv::Mat small;
    cv::resize(plate, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    out.box = cv::Rect(0, 0, w, h);
    Degradation d = spec.degradation;
    d.perspective = 0;
    Degrade(small, &out.box, d, rng);
    out.bgr = small;
    return out;
  }
  cv::Mat scene(spec.height, spec.width, CV_8UC3);
  cv::RNG cv_rng(rng());
  cv_rng.fill(scene, cv::RNG::UNIFORM, cv::Scalar(60, 60, 60), cv::Scalar(120, 120, 120));
  cv::GaussianBlur(scene, scene, cv::Size(0, 0), 6);
  // A car-like body around the plate.
  const int plate_w = spec.plate_width;
  const int plate_h = static_cast<int>(std::lround(plate_w * static_cast<double>(ph) / pw));
  const int px = Uniform(rng, plate_w / 2, std::max(plate_w / 2, spec.width - plate_w * 3 / 2));
  const int py = Uniform(rng, spec.height / 3, std::max(spec.height / 3, spec.height - plate_h * 2));
  cv::rectangle(scene, cv::Rect(px - plate_w / 2, py - plate_h * 3, plate_w * 2, plate_h * 5),
                PaintColour(rng, Uniform(rng, 0, 1) == 0), -1);
  cv::Mat resized;
  cv::resize(plate, resized, cv::Size(plate_w, plate_h), 0, 0, cv::INTER_AREA);
  out.box = cv::Rect(px, py, plate_w, plate_h) & cv::Rect(0, 0, scene.cols, scene.rows);
  resized(cv::Rect(0, 0, out.box.width, out.box.height)).copyTo(scene(out.box));
  Degrade(scene, &out.box, spec.degradation, rng);
  out.bgr = scene;
  return out;
}

const cv::Mat& Synthesizer::CachedGlyph(cv::freetype::FreeType2& face, const std::string& ch) {
  auto [it, inserted] = glyph_cache_.try_emplace({&face, ch});
  if (inserted) it->second = GlyphMask(face, ch, 96);
  return it->second;
}

SynthImage Synthesizer::TrainingPlate(uint32_t seed) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return UniformReal(rng, 0, 1) < p; };
  auto jitter = [&](int v, int spread) { return v + Uniform(rng, -spread, spread); };
  SynthImage out;

  // What plate: mostly blue cars and yellow trucks, then green new-energy, double-row rear
  // plates, Hong Kong plates and the black cross-boundary plates.
  enum class Kind { kBlue, kYellow, kDoubleRow, kGreen, kHongKong, kCrossBoundary } kind;
  const int roll = Uniform(rng, 0, 99);
  kind = roll < 42   ? Kind::kBlue
         : roll < 58 ? Kind::kYellow
         : roll < 70 ? Kind::kDoubleRow
         : roll < 84 ? Kind::kGreen
         : roll < 95 ? Kind::kHongKong
                     : Kind::kCrossBoundary;
  std::string text;
  bool macau = false;  // a Kind::kHongKong plate from Macau
  switch (kind) {
    case Kind::kBlue: text = RandomPlate(rng, PlateKind::kBlue); break;
    case Kind::kYellow:
    case Kind::kDoubleRow:
      text = RandomPlate(rng, chance(0.3) ? PlateKind::kTrailer : PlateKind::kYellow);
      break;
    case Kind::kGreen: text = RandomPlate(rng, PlateKind::kGreen); break;
    case Kind::kHongKong: {
      static const std::string kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";  // no I, O, Q
      if (chance(0.3)) {  // Macau: M, a letter, four digits
        macau = true;
        text.assign(1, 'M');
        text.push_back(kLetters[Uniform(rng, 0, 22)]);
        for (int i = 0; i < 4; ++i) text.push_back(static_cast<char>('0' + Uniform(rng, 0, 9)));
        break;
      }
      const int letters = Uniform(rng, 0, 2);
      for (int i = 0; i < letters; ++i) text.push_back(kLetters[Uniform(rng, 0, 22)]);
      const int digits = Uniform(rng, letters == 0 ? 2 : 1, 4);
      text.push_back(static_cast<char>('1' + Uniform(rng, 0, 8)));
      for (int i = 1; i < digits; ++i) text.push_back(static_cast<char>('0' + Uniform(rng, 0, 9)));
      break;
    }
    case Kind::kCrossBoundary:
      text = "粤Z";
      for (int i = 0; i < 4; ++i) text.push_back(static_cast<char>('0' + Uniform(rng, 0, 9)));
      text += chance(0.5) ? "港" : "澳";
      break;
  }
  out.truth = text;
  out.double_row = kind == Kind::kDoubleRow;
  const std::vector<std::string> chars = common::SplitCodePoints(text);
  const int n = static_cast<int>(chars.size());

  // The plate at 1 pixel per millimetre: 440 x 140, new-energy (green) 480 x 140, double row
  // 440 x 220, Hong Kong 470 x 110.
  const int pw = kind == Kind::kHongKong ? 470 : kind == Kind::kGreen ? 480 : 440;
  const int ph = kind == Kind::kDoubleRow ? 220 : kind == Kind::kHongKong ? 110 : 140;
  cv::Mat plate(ph, pw, CV_8UC3);
  cv::Scalar ink;
  switch (kind) {
    case Kind::kBlue:
      // From deep blue to the light, cyan-ish blue of plates in sunlight.
      plate.setTo(cv::Scalar(Uniform(rng, 140, 255), Uniform(rng, 40, 170), Uniform(rng, 0, 80)));
      ink = cv::Scalar(Uniform(rng, 200, 255), Uniform(rng, 190, 255), Uniform(rng, 180, 255));
      break;
    case Kind::kCrossBoundary:
      plate.setTo(cv::Scalar::all(Uniform(rng, 0, 45)));
      ink = cv::Scalar::all(Uniform(rng, 200, 255));
      break;
    case Kind::kGreen:
      for (int y = 0; y < ph; ++y) {
        const double t = static_cast<double>(y) / ph;
        plate.row(y).setTo(cv::Scalar(230 - 110 * t, 240 - 30 * t, 230 - 120 * t));
      }
      ink = cv::Scalar::all(Uniform(rng, 0, 50));
      break;
    case Kind::kHongKong:
      if (macau) {
        plate.setTo(cv::Scalar::all(Uniform(rng, 0, 45)));  // white on black
        break;
      }
      if (chance(0.5)) {
        plate.setTo(cv::Scalar::all(Uniform(rng, 200, 255)));
        break;
      }
      [[fallthrough]];
    default:
      plate.setTo(cv::Scalar(Uniform(rng, 0, 60), Uniform(rng, 150, 220), Uniform(rng, 200, 255)));
      ink = cv::Scalar::all(Uniform(rng, 0, 60));
      break;
  }
  if (kind == Kind::kHongKong) {
    ink = macau ? cv::Scalar::all(Uniform(rng, 200, 255)) : cv::Scalar::all(Uniform(rng, 0, 50));
  }

  // The writing as one mask, so that stroke weight can vary for the whole plate at once.
  cv::Mat mask(ph, pw, CV_8UC1, cv::Scalar(0));
  const bool din = plate_din_ != nullptr && chance(0.4);
  cv::freetype::FreeType2& latin =
      din ? *plate_din_ : *plate_latin_[Uniform(rng, 0, static_cast<int>(plate_latin_.size()) - 1)];
  const bool heavy_cjk = plate_cjk_bold_ != nullptr && chance(0.4);
  cv::freetype::FreeType2& cjk =
      heavy_cjk ? *plate_cjk_bold_
                : *plate_cjk_[Uniform(rng, 0, static_cast<int>(plate_cjk_.size()) - 1)];
  const double squeeze = UniformReal(rng, 0.8, 1.4);  // how far narrow glyphs are widened
  // The plate font's 1 is a bare bar with a small flag, unlike most fonts' 1; its 3 has a
  // flat top.
  const bool plate_one = chance(0.6);
  const bool flat_three = chance(0.5);
  auto draw = [&](const std::string& ch, const cv::Rect& cell) {
    if (ch == "1" && plate_one) {
      const int bar = std::max(3, cell.width * Uniform(rng, 20, 30) / 100);
      const int x = cell.x + (cell.width - bar) / 2;
      cv::rectangle(mask, cv::Rect(x, cell.y, bar, cell.height), cv::Scalar(255), -1);
      if (chance(0.7)) {
        const std::vector<cv::Point> flag = {{x, cell.y}, {x - bar, cell.y + cell.height / 6},
                                             {x - bar, cell.y + cell.height / 6 + bar / 2},
                                             {x, cell.y + bar}};
        cv::fillConvexPoly(mask, flag, cv::Scalar(255), cv::LINE_AA);
      }
      return;
    }
    const cv::Mat& g = CachedGlyph(IsAscii(ch) ? latin : cjk, ch);
    // Fill the cell's height; keep narrow glyphs (1, J) narrow instead of stretching them.
    const int w = std::min(cell.width, std::max(2, static_cast<int>(std::lround(
                                           g.cols * squeeze * cell.height / g.rows))));
    cv::Rect r(cell.x + (cell.width - w) / 2, cell.y, w, cell.height);
    r &= cv::Rect(0, 0, pw, ph);
    if (r.width < 2 || r.height < 2) return;
    cv::Mat m;
    cv::resize(g, m, r.size(), 0, 0, cv::INTER_AREA);
    if (!IsAscii(ch)) {
      // A square CJK glyph squeezed into the plate's narrow cell keeps its horizontal strokes
      // but loses half the width of its vertical ones, while the plate font draws them as
      // heavy as the letters: give them their weight back.
      const int thicken = Uniform(rng, 1, std::max(2, cell.height / 18));
      cv::dilate(m, m, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(thicken, 1)));
    }
    if (ch == "3" && flat_three) {
      // The plate font's 3 has a flat top and a straight diagonal into its lower bowl.
      const int stroke = std::max(2, m.rows / 8);
      const int mid = m.rows * 45 / 100;
      m.rowRange(0, mid).setTo(0);
      cv::rectangle(m, cv::Rect(m.cols / 10, 0, m.cols * 8 / 10, stroke), cv::Scalar(255), -1);
      cv::line(m, cv::Point(m.cols * 85 / 100, stroke / 2), cv::Point(m.cols * 45 / 100, mid),
               cv::Scalar(255), stroke, cv::LINE_AA);
    }
    cv::Mat roi = mask(r);
    cv::max(roi, m, roi);
  };
  if (kind == Kind::kDoubleRow) {
    const int tw = jitter(80, 6), th = jitter(60, 4);
    draw(chars[0], cv::Rect(jitter(110, 6), jitter(15, 3), tw, th));
    draw(chars[1], cv::Rect(jitter(250, 6), jitter(15, 3), tw, th));
    const int bw = jitter(65, 4), bh = jitter(110, 5), gap = jitter(15, 3);
    int x = (pw - ((n - 2) * bw + (n - 3) * gap)) / 2 + Uniform(rng, -5, 5);
    const int y = jitter(95, 4);
    for (int i = 2; i < n; ++i, x += bw + gap) draw(chars[i], cv::Rect(x, y, bw, bh));
  } else {
    const bool hong_kong = kind == Kind::kHongKong;
    const int cw = hong_kong ? jitter(50, 4) : n == 8 ? jitter(43, 2) : jitter(45, 3);
    const int chh = hong_kong ? jitter(75, 4) : jitter(90, 3);
    const int gap = hong_kong ? jitter(10, 3) : n == 8 ? jitter(9, 2) : jitter(12, 2);
    const int sep = macau ? jitter(28, 3) : hong_kong ? gap : n == 8 ? jitter(49, 4) : jitter(34, 4);
    const int total = n * cw + (n - 2) * gap + sep + (macau ? sep - gap : 0);
    int x = (pw - total) / 2 + Uniform(rng, -5, 5);
    const int y = (ph - chh) / 2 + Uniform(rng, -4, 4);
    for (int i = 0; i < n; ++i) {
      draw(chars[i], cv::Rect(x, y, cw, chh));
      if (macau && (i == 1 || i == 3)) {  // MA-12-34
        cv::line(mask, cv::Point(x + cw + gap / 4, ph / 2), cv::Point(x + cw + sep - gap / 4, ph / 2),
                 cv::Scalar(255), std::max(2, chh / 10));
      }
      x += cw + (i == 1 || (macau && i == 3) ? sep : gap);
      if (i == 1 && !hong_kong) {
        cv::circle(mask, cv::Point(x - sep / 2, ph / 2), Uniform(rng, 3, 6), cv::Scalar(255), -1,
                   cv::LINE_AA);
      }
    }
  }
  if (chance(0.25)) {
    cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
  } else if (chance(0.33)) {
    cv::erode(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
  }
  if (chance(0.7)) {  // the embossed frame
    const int inset = Uniform(rng, 2, 6);
    cv::rectangle(mask, cv::Rect(inset, inset, pw - 2 * inset, ph - 2 * inset), cv::Scalar(255),
                  Uniform(rng, 1, 3));
  }
  {
    cv::Mat ink_img(plate.size(), CV_8UC3, ink), a, a3;
    mask.convertTo(a, CV_32F, 1.0 / 255);
    cv::cvtColor(a, a3, cv::COLOR_GRAY2BGR);
    cv::Mat p32, i32;
    plate.convertTo(p32, CV_32FC3);
    ink_img.convertTo(i32, CV_32FC3);
    p32 = p32.mul(cv::Scalar::all(1) - a3) + i32.mul(a3);
    p32.convertTo(plate, CV_8UC3);
  }
  if (chance(0.5)) {  // rivets
    const cv::Scalar metal = cv::Scalar::all(Uniform(rng, 60, 220));
    const int r = Uniform(rng, 3, 7), y = Uniform(rng, 8, 16);
    cv::circle(plate, cv::Point(pw * 23 / 100, y), r, metal, -1, cv::LINE_AA);
    cv::circle(plate, cv::Point(pw * 77 / 100, y), r, metal, -1, cv::LINE_AA);
  }

  // The plate on a car or truck: a canvas of body colour with some structure.
  const int cw = pw * 2, chh = ph * 3;
  cv::Mat canvas(chh, cw, CV_8UC3, cv::Scalar(Uniform(rng, 0, 255), Uniform(rng, 0, 255),
                                              Uniform(rng, 0, 255)));
  {
    cv::Mat noise(canvas.size(), CV_8UC3);
    cv::RNG cv_rng(rng());
    cv_rng.fill(noise, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(80));
    cv::GaussianBlur(noise, noise, cv::Size(0, 0), UniformReal(rng, 1, 8));
    canvas = canvas * 0.7 + noise;
    for (int i = Uniform(rng, 0, 3); i > 0; --i) {  // bumper edges, grille bars, bolts
      const int y = Uniform(rng, 0, chh);
      cv::line(canvas, cv::Point(0, y), cv::Point(cw, y + Uniform(rng, -20, 20)),
               cv::Scalar::all(Uniform(rng, 0, 255)), Uniform(rng, 2, 12));
    }
  }
  const cv::Rect at((cw - pw) / 2, (chh - ph) / 2, pw, ph);
  plate.copyTo(canvas(at));

  // The locator's crop: loose or clipped margins, a small rotation and perspective.
  const double ml = UniformReal(rng, -0.06, 0.10) * pw, mr = UniformReal(rng, -0.06, 0.10) * pw;
  const double mt = UniformReal(rng, -0.12, 0.25) * ph, mb = UniformReal(rng, -0.12, 0.25) * ph;
  std::vector<cv::Point2f> quad = {
      {static_cast<float>(at.x - ml), static_cast<float>(at.y - mt)},
      {static_cast<float>(at.x + pw + mr), static_cast<float>(at.y - mt)},
      {static_cast<float>(at.x + pw + mr), static_cast<float>(at.y + ph + mb)},
      {static_cast<float>(at.x - ml), static_cast<float>(at.y + ph + mb)}};
  // A camera beside the lane sees the writing slanted (a horizontal shear) and the plate
  // turned further than a locator's box corrects.
  if (chance(0.35)) {
    const float slant = static_cast<float>(UniformReal(rng, -0.4, 0.4) * ph / 2);
    quad[0].x += slant;  // top left, top right, bottom right, bottom left
    quad[1].x += slant;
    quad[2].x -= slant;
    quad[3].x -= slant;
  }
  const double max_angle = chance(0.2) ? 12 : 6;
  const double angle = UniformReal(rng, -max_angle, max_angle) * M_PI / 180;
  const cv::Point2f centre(at.x + pw / 2.0f, at.y + ph / 2.0f);
  const double skew = 0.03 * pw;
  for (cv::Point2f& q : quad) {
    const cv::Point2f d = q - centre;
    q = centre + cv::Point2f(static_cast<float>(d.x * std::cos(angle) - d.y * std::sin(angle)),
                             static_cast<float>(d.x * std::sin(angle) + d.y * std::cos(angle)));
    q += cv::Point2f(static_cast<float>(UniformReal(rng, -skew, skew)),
                     static_cast<float>(UniformReal(rng, -skew, skew) * 0.5));
  }
  const double quad_aspect = (pw + ml + mr) / (ph + mt + mb);
  const int ow = static_cast<int>(std::lround(std::exp(UniformReal(rng, std::log(70), std::log(260)))));
  const int oh = std::max(8, static_cast<int>(std::lround(ow / quad_aspect)));
  const std::vector<cv::Point2f> dst = {{0, 0},
                                        {static_cast<float>(ow), 0},
                                        {static_cast<float>(ow), static_cast<float>(oh)},
                                        {0, static_cast<float>(oh)}};
  cv::Mat crop;
  cv::warpPerspective(canvas, crop, cv::getPerspectiveTransform(quad, dst), cv::Size(ow, oh),
                      cv::INTER_AREA, cv::BORDER_REPLICATE);

  // Light and camera.
  if (chance(0.3)) {  // a shadow across part of the plate
    cv::Mat shade(crop.size(), CV_32FC1, cv::Scalar(1));
    const double a = UniformReal(rng, 0, 2 * M_PI), k = UniformReal(rng, 0.4, 0.8);
    const double c = UniformReal(rng, -0.3, 0.3);
    for (int y = 0; y < oh; ++y) {
      for (int x = 0; x < ow; ++x) {
        const double u = (x - ow / 2.0) / ow * std::cos(a) + (y - oh / 2.0) / oh * std::sin(a);
        if (u > c) shade.at<float>(y, x) = static_cast<float>(k);
      }
    }
    cv::GaussianBlur(shade, shade, cv::Size(0, 0), 1 + ow / 60.0);
    cv::Mat s3, f;
    cv::cvtColor(shade, s3, cv::COLOR_GRAY2BGR);
    crop.convertTo(f, CV_32FC3);
    f = f.mul(s3);
    f.convertTo(crop, CV_8UC3);
  }
  crop.convertTo(crop, -1, UniformReal(rng, 0.5, 1.3), UniformReal(rng, -40, 40));
  if (chance(0.1)) crop.convertTo(crop, -1, 0.35, 5);  // night
  if (chance(0.08)) crop.convertTo(crop, -1, UniformReal(rng, 1.5, 2.2), 0);  // over-exposed
  if (chance(0.3)) {  // a camera of lower resolution than the crop
    cv::Mat small;
    const double f = UniformReal(rng, 0.4, 0.8);
    cv::resize(crop, small, cv::Size(), f, f, cv::INTER_AREA);
    cv::resize(small, crop, crop.size(), 0, 0, cv::INTER_LINEAR);
  }
  if (chance(0.6)) cv::GaussianBlur(crop, crop, cv::Size(0, 0), UniformReal(rng, 0.3, 0.3 + ow / 200.0));
  if (chance(0.7)) {
    cv::Mat noise(crop.size(), CV_16SC3), f;
    cv::RNG cv_rng(rng());
    cv_rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(UniformReal(rng, 1, 12)));
    crop.convertTo(f, CV_16SC3);
    f += noise;
    f.convertTo(crop, CV_8UC3);
  }
  if (chance(0.5)) {
    std::vector<uint8_t> jpeg;
    cv::imencode(".jpg", crop, jpeg, {cv::IMWRITE_JPEG_QUALITY, Uniform(rng, 25, 90)});
    crop = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  }
  out.bgr = crop;
  out.box = cv::Rect(0, 0, crop.cols, crop.rows);
  return out;
}

void Degrade(cv::Mat& img, cv::Rect* box, const Degradation& d, std::mt19937& rng) {
  if (d.perspective > 0) {
    const cv::Rect b = *box;
    std::vector<cv::Point2f> src = {cv::Point2f(b.x, b.y), cv::Point2f(b.x + b.width, b.y),
                                    cv::Point2f(b.x + b.width, b.y + b.height),
                                    cv::Point2f(b.x, b.y + b.height)};
    std::vector<cv::Point2f> dst;
    const double mx = d.perspective * b.width, my = d.perspective * b.height;
    for (const cv::Point2f& p : src) {
      dst.emplace_back(p.x + UniformReal(rng, -mx, mx), p.y + UniformReal(rng, -my, my));
    }
    cv::Mat m = cv::getPerspectiveTransform(src, dst);
    cv::Mat warped;
    cv::warpPerspective(img, warped, m, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    img = warped;
    *box = cv::boundingRect(dst) & cv::Rect(0, 0, img.cols, img.rows);
  }
  if (d.dirt > 0) {
    const int blotches = std::max(1, static_cast<int>(d.dirt * 40));
    cv::Mat overlay = img.clone();
    for (int i = 0; i < blotches; ++i) {
      cv::Point c(box->x + Uniform(rng, 0, std::max(1, box->width)),
                  box->y + Uniform(rng, 0, std::max(1, box->height)));
      const int r = std::max(2, static_cast<int>(std::sqrt(d.dirt * box->area() / blotches / M_PI)));
      cv::ellipse(overlay, c, cv::Size(r, std::max(1, r / 2)), Uniform(rng, 0, 180), 0, 360,
                  cv::Scalar(40, 60, 80), -1, cv::LINE_AA);
    }
    cv::addWeighted(img, 0.5, overlay, 0.5, 0, img);
  }
  if (d.glare > 0) {
    cv::Mat glare(img.size(), CV_32FC1);
    const cv::Point2f c(box->x + UniformReal(rng, 0, box->width), box->y + UniformReal(rng, 0, box->height));
    const double radius = std::max(box->width, box->height) * 0.6;
    for (int y = 0; y < img.rows; ++y) {
      for (int x = 0; x < img.cols; ++x) {
        const double r = std::hypot(x - c.x, y - c.y) / radius;
        glare.at<float>(y, x) = static_cast<float>(d.glare * std::exp(-r * r));
      }
    }
    cv::Mat g3;
    cv::cvtColor(glare, g3, cv::COLOR_GRAY2BGR);
    cv::Mat f;
    img.convertTo(f, CV_32FC3);
    f += g3;
    f.convertTo(img, CV_8UC3);
  }
  if (d.night) {
    img.convertTo(img, -1, 0.35, 5);
  }
  if (d.blur > 0) cv::GaussianBlur(img, img, cv::Size(0, 0), d.blur);
  const double noise = d.noise + (d.night ? 6 : 0);
  if (noise > 0) {
    cv::Mat n(img.size(), CV_16SC3);
    cv::RNG cv_rng(rng());
    cv_rng.fill(n, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(noise));
    cv::Mat f;
    img.convertTo(f, CV_16SC3);
    f += n;
    f.convertTo(img, CV_8UC3);
  }
}

}  // namespace yardgate::ocr
