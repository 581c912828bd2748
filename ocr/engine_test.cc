#include "ocr/engine.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/iso6346.h"
#include "gtest/gtest.h"
#include "ocr/dev_set.h"
#include "common/plate_text.h"
#include "ocr/synth.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace yardgate::ocr {
namespace {

std::string Png(const cv::Mat& img) {
  std::vector<uint8_t> buf;
  cv::imencode(".png", img, buf);
  return std::string(buf.begin(), buf.end());
}

std::string Jpeg(const cv::Mat& img) {
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(buf.begin(), buf.end());
}

// ../shared/datasets/<name> from the source tree.
std::filesystem::path SharedDataset(const std::string& name) {
  const char* src = std::getenv("YARDGATE_SOURCE_DIR");
  return std::filesystem::path(src != nullptr ? src : ".") / ".." / "shared" / "datasets" / name;
}

// ../shared/datasets/ocr-dev/<kind>.
std::filesystem::path DevSetDir(const std::string& kind) { return SharedDataset("ocr-dev") / kind; }

// DevSetPlatesFloor's floor, in percent of the dev plates read exactly: 29 of the 30 are
// (issue 12's target is 95 %), so one plate of slack.
constexpr int kDevPlatesFloorPercent = 93;
// PlatesTrainHeldOutFloor's: 96.3 % of the whole held-out part is read exactly (ocr_eval), and
// the quarter this test reads is smaller, so three points of slack.
constexpr int kPlatesTrainHeldOutFloorPercent = 93;

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineOptions options;
    options.read_plates = true;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = engine->release();
    absl::StatusOr<std::unique_ptr<Synthesizer>> synth = Synthesizer::Create();
    ASSERT_TRUE(synth.ok()) << synth.status();
    synth_ = synth->release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete synth_;
  }

  static ContainerSpec Spec(uint32_t seed, ContainerLayout layout) {
    ContainerSpec spec;
    spec.seed = seed;
    spec.layout = layout;
    spec.width = 960;
    spec.height = layout == ContainerLayout::kVertical ? 800 : 540;
    spec.char_height = 40;
    return spec;
  }

  static const ContainerRead* Find(const VisitReads& r, const std::string& number) {
    for (const ContainerRead& c : r.containers) {
      if (c.number == number) return &c;
    }
    return nullptr;
  }

  static Engine* engine_;
  static Synthesizer* synth_;
};

Engine* EngineTest::engine_ = nullptr;
Synthesizer* EngineTest::synth_ = nullptr;

TEST_F(EngineTest, ReadsOneLineCode) {
  SynthImage img = synth_->Container(Spec(11, ContainerLayout::kOneLine));
  absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"one.png", "AS", Png(img.bgr)}}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  const ContainerRead* c = Find(*r, img.truth);
  ASSERT_NE(c, nullptr) << img.truth;
  EXPECT_TRUE(c->check_digit_ok);
  EXPECT_EQ(c->iso_type, "22G1");
  ASSERT_EQ(c->frames.size(), 1u);
  EXPECT_EQ(c->frames[0].image, "one.png");
  // The evidence box covers the marking.
  const cv::Rect ev(c->frames[0].x, c->frames[0].y, c->frames[0].w, c->frames[0].h);
  EXPECT_GT((ev & img.box).area(), 0);
}

TEST_F(EngineTest, ReadsTwoRowCode) {
  SynthImage img = synth_->Container(Spec(12, ContainerLayout::kTwoRows));
  absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"two.png", "", Png(img.bgr)}}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(Find(*r, img.truth), nullptr) << img.truth;
}

TEST_F(EngineTest, ReadsVerticalCodeDarkOnLight) {
  ContainerSpec spec = Spec(13, ContainerLayout::kVertical);
  spec.light_text = false;
  SynthImage img = synth_->Container(spec);
  absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"vert.png", "LF", Png(img.bgr)}}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(Find(*r, img.truth), nullptr) << img.truth;
}

TEST_F(EngineTest, ReadsDegradedCodes) {
  // Blur, noise, dirt, perspective, glare and night on a handful of seeds: most must read,
  // and nothing may be read wrong with confidence.
  int right = 0, total = 0;
  for (uint32_t seed = 20; seed < 26; ++seed) {
    ContainerSpec spec = Spec(seed, seed % 2 ? ContainerLayout::kOneLine : ContainerLayout::kVertical);
    spec.degradation.perspective = 0.03;
    spec.degradation.blur = 0.8;
    spec.degradation.noise = 4;
    spec.degradation.dirt = seed % 3 == 0 ? 0.05 : 0;
    spec.degradation.glare = seed % 3 == 1 ? 60 : 0;
    spec.degradation.night = seed == 25;
    spec.light_text = seed % 4 != 0;
    SynthImage img = synth_->Container(spec);
    absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"d.jpg", "", Jpeg(img.bgr)}}, {});
    ASSERT_TRUE(r.ok()) << r.status();
    ++total;
    right += Find(*r, img.truth) != nullptr;
    for (const ContainerRead& c : r->containers) {
      if (c.auto_ok) {
        EXPECT_EQ(c.number, img.truth) << "seed " << seed;
      }
    }
  }
  EXPECT_GE(right, total - 2);
}

TEST_F(EngineTest, FusionOfThreeFramesBeatsOne) {
  const std::string number = "CSQU3054383";
  std::vector<FrameInput> frames;
  for (uint32_t seed = 31; seed < 34; ++seed) {
    ContainerSpec spec = Spec(seed, seed == 32 ? ContainerLayout::kVertical : ContainerLayout::kOneLine);
    spec.number = number;
    spec.degradation.noise = 4;
    frames.push_back({absl::StrCat("f", seed, ".png"), "", Png(synth_->Container(spec).bgr)});
  }
  absl::StatusOr<VisitReads> one = engine_->ReadVisit({frames[0]}, {});
  absl::StatusOr<VisitReads> all = engine_->ReadVisit(frames, {});
  ASSERT_TRUE(one.ok() && all.ok());
  const ContainerRead* c1 = Find(*one, number);
  const ContainerRead* c3 = Find(*all, number);
  ASSERT_NE(c1, nullptr);
  ASSERT_NE(c3, nullptr);
  EXPECT_GE(c3->frames.size(), 2u);
  EXPECT_GT(c3->confidence, c1->confidence);
  EXPECT_TRUE(c3->auto_ok);
}

TEST_F(EngineTest, TwoBoxesInOneVisit) {
  ContainerSpec a = Spec(41, ContainerLayout::kOneLine);
  ContainerSpec b = Spec(42, ContainerLayout::kOneLine);
  SynthImage ia = synth_->Container(a), ib = synth_->Container(b);
  absl::StatusOr<VisitReads> r =
      engine_->ReadVisit({{"a.png", "", Png(ia.bgr)}, {"b.png", "", Png(ib.bgr)}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(Find(*r, ia.truth), nullptr);
  EXPECT_NE(Find(*r, ib.truth), nullptr);
}

// Synthesizer::Plate draws plates differently from the recogniser's training images
// (TrainingPlate): other layout, whole scenes to locate in, its own degradations.
TEST_F(EngineTest, ReadsSyntheticPlatesAndNothingWrongIsAuto) {
  int exact = 0, total = 0;
  for (uint32_t seed = 70; seed < 82; ++seed) {
    PlateSpec spec;
    spec.seed = seed;
    spec.kind = seed % 3 == 0 ? PlateKind::kYellow : seed % 4 == 1 ? PlateKind::kGreen
                                                                   : PlateKind::kBlue;
    spec.tight_crop = seed % 2 == 0;
    spec.plate_width = 240;
    spec.degradation.blur = 0.8;
    spec.degradation.noise = 4;
    SynthImage img = synth_->Plate(spec);
    absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"p.png", "front", Png(img.bgr)}}, {});
    ASSERT_TRUE(r.ok()) << r.status();
    ++total;
    if (!r->plates.empty()) exact += r->plates[0].text == img.truth;
    for (const PlateRead& p : r->plates) {
      if (p.auto_ok) {
        EXPECT_EQ(p.text, img.truth);
      }
    }
  }
  std::printf("synthetic plates: %d/%d exact\n", exact, total);
  EXPECT_GE(exact, total - 2);
}

// Hong Kong and Macau plates have no plate colour to find them by: the locator must find
// them by their strokes, in a scene.
TEST_F(EngineTest, FindsHongKongAndMacauPlatesInAScene) {
  int found = 0, exact = 0;
  for (uint32_t seed = 600000000; found < 5; ++seed) {
    SynthImage plate = synth_->TrainingPlate(seed);
    if (!common::IsHongKongOrMacauPlate(plate.truth)) continue;
    ++found;
    cv::Mat scene(540, 720, CV_8UC3, cv::Scalar(90, 100, 110));
    cv::Mat resized;
    cv::resize(plate.bgr, resized, cv::Size(240, 240 * plate.bgr.rows / plate.bgr.cols));
    resized.copyTo(scene(cv::Rect(240, 300, resized.cols, resized.rows)));
    absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"hk.png", "front", Png(scene)}}, {});
    ASSERT_TRUE(r.ok()) << r.status();
    if (!r->plates.empty()) exact += r->plates[0].text == plate.truth;
  }
  std::printf("Hong Kong / Macau plates in scenes: %d/%d exact\n", exact, found);
  EXPECT_GE(exact, 3);
}

TEST(PlateReadKindOf, EveryKindOfPlate) {
  const std::pair<const char*, PlateReadKind> cases[] = {
      {"粤B12345", PlateReadKind::kMainland},   {"沪AF71017", PlateReadKind::kNewEnergy},
      {"粤B1234挂", PlateReadKind::kTrailer},   {"粤Z1234港", PlateReadKind::kCrossBorder},
      {"粤Z1234澳", PlateReadKind::kCrossBorder}, {"AB1234", PlateReadKind::kHongKong},
      {"MA1234", PlateReadKind::kMacau},        {"粤12345B", PlateReadKind::kUnknown},
  };
  for (const auto& [text, kind] : cases) EXPECT_EQ(PlateReadKindOf(text), kind) << text;
  EXPECT_STREQ(PlateReadKindName(PlateReadKind::kHongKong), "hong-kong");
}

// A cross-border truck carries its mainland plate (粤Z...港) and its Hong Kong plate: both are
// reported, each with its kind, so that either finds the booking.
TEST_F(EngineTest, CrossBorderTruckGivesBothPlates) {
  PlateSpec spec;
  spec.seed = 5;
  spec.text = "粤Z3456港";
  spec.tight_crop = true;
  SynthImage mainland = synth_->Plate(spec);
  SynthImage hk;
  for (uint32_t seed = 600000000;; ++seed) {
    hk = synth_->TrainingPlate(seed);
    if (PlateReadKindOf(hk.truth) == PlateReadKind::kHongKong && !hk.double_row) break;
  }
  cv::Mat scene(540, 960, CV_8UC3, cv::Scalar(90, 100, 110));
  auto paste = [&](const cv::Mat& plate, int x) {
    cv::Mat resized;
    cv::resize(plate, resized, cv::Size(240, 240 * plate.rows / plate.cols));
    resized.copyTo(scene(cv::Rect(x, 300, resized.cols, resized.rows)));
  };
  paste(mainland.bgr, 80);
  paste(hk.bgr, 600);
  absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"front.png", "front", Png(scene)}}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  std::map<std::string, PlateReadKind> seen;
  for (const PlateRead& p : r->plates) seen[p.text] = p.kind;
  EXPECT_EQ(seen.count(mainland.truth), 1u) << mainland.truth;
  EXPECT_EQ(seen.count(hk.truth), 1u) << hk.truth;
  EXPECT_EQ(seen[mainland.truth], PlateReadKind::kCrossBorder);
  EXPECT_EQ(seen[hk.truth], PlateReadKind::kHongKong);
}

TEST_F(EngineTest, TwoAgreeingPlateFramesMayOpen) {
  PlateSpec spec;
  spec.seed = 91;
  spec.plate_width = 260;
  SynthImage front = synth_->Plate(spec);
  spec.degradation.blur = 0.7;
  spec.degradation.noise = 3;
  SynthImage rear = synth_->Plate(spec);
  ASSERT_EQ(front.truth, rear.truth);
  absl::StatusOr<VisitReads> r = engine_->ReadVisit(
      {{"front.png", "front", Png(front.bgr)}, {"rear.png", "rear", Png(rear.bgr)}}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->plates.empty());
  EXPECT_EQ(r->plates[0].text, front.truth);
  EXPECT_EQ(r->plates[0].frames.size(), 2u);
  EXPECT_TRUE(r->plates[0].auto_ok) << r->plates[0].confidence;
}

TEST_F(EngineTest, PlateExpectationSettlesOneCharacter) {
  PlateSpec spec;
  spec.seed = 72;
  spec.tight_crop = true;
  SynthImage img = synth_->Plate(spec);
  absl::StatusOr<VisitReads> r =
      engine_->ReadVisit({{"p.png", "front", Png(img.bgr)}}, {{}, {img.truth}});
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->plates.empty());
  // Either read outright or settled from one character away; never a different plate.
  EXPECT_EQ(r->plates[0].text, img.truth);
}

TEST_F(EngineTest, RejectsUndecodableFrameByName) {
  absl::StatusOr<VisitReads> r =
      engine_->ReadVisit({{"good.png", "", Png(cv::Mat(50, 50, CV_8UC3, cv::Scalar::all(90)))},
                          {"broken.jpg", "", "this is not an image"}},
                         {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("broken.jpg"), std::string::npos) << r.status();
}

TEST_F(EngineTest, RejectsOversizedFrames) {
  EngineOptions options;
  options.max_frame_bytes = 1000;
  options.max_frame_pixels = 100 * 100;
  options.read_plates = false;
  absl::StatusOr<std::unique_ptr<Engine>> small = Engine::Create(options);
  ASSERT_TRUE(small.ok());
  cv::Mat noise(200, 200, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  absl::StatusOr<VisitReads> r = (*small)->ReadVisit({{"big.png", "", Png(noise)}}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("big.png"), std::string::npos);
  // Small in bytes but too many pixels.
  r = (*small)->ReadVisit({{"wide.png", "", Png(cv::Mat(200, 200, CV_8UC3, cv::Scalar::all(0)))}}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("wide.png"), std::string::npos);
}

// Issue 14: a small PNG declaring 12,000 x 12,000 pixels used to be decoded in full (+400 MiB)
// before the pixel limit refused it. The header alone must refuse it: this one holds no pixel
// data at all, so a decoder would call it broken instead of too large.
TEST_F(EngineTest, FrameDeclaringTooManyPixelsIsRefusedFromItsHeaderBeforeDecoding) {
  std::string bomb("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x2e\xe0\0\0\x2e\xe0\x08\x02\0\0\0", 29);
  absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"bomb.png", "", bomb}}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bomb.png"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("12000x12000 pixels"), std::string::npos) << r.status();
}

TEST_F(EngineTest, BlankFrameReadsNothingConfidently) {
  absl::StatusOr<VisitReads> r =
      engine_->ReadVisit({{"blank.png", "", Png(cv::Mat(540, 960, CV_8UC3, cv::Scalar(120, 60, 20)))}}, {});
  ASSERT_TRUE(r.ok());
  for (const ContainerRead& c : r->containers) EXPECT_FALSE(c.auto_ok);
  for (const PlateRead& p : r->plates) EXPECT_FALSE(p.auto_ok);
}

// The check digit's letter values of A..Z (multiples of 11 skipped), for making impostors.
int LetterValue(char c) {
  int v = 10;
  for (char l = 'A'; l < c; ++l) {
    ++v;
    if (v % 11 == 0) ++v;
  }
  return v;
}

// Issue 12: a truck showing a box one character off the booked one (and still check-digit
// valid) must never be settled to the booking.
TEST_F(EngineTest, ContainerImpostorIsNeverSettledToTheBooking) {
  int checked = 0;
  for (uint32_t seed = 51; seed < 54; ++seed) {
    SynthImage img = synth_->Container(Spec(seed, ContainerLayout::kOneLine));
    // Booked: the same number with one owner letter 11 letter values away (M for C, W for M),
    // which keeps the check digit valid; or a serial digit changed and the check digit redone.
    std::vector<std::string> impostors;
    for (int i = 0; i < 3; ++i) {
      for (char l = 'A'; l <= 'Z'; ++l) {
        if (std::abs(LetterValue(l) - LetterValue(img.truth[i])) != 11) continue;
        std::string n = img.truth;
        n[i] = l;
        if (common::ValidateContainerNumber(n).ok()) impostors.push_back(n);
      }
    }
    std::string serial = img.truth.substr(0, 10);
    serial[7] = serial[7] == '9' ? '0' : static_cast<char>(serial[7] + 1);
    for (char d = '0'; d <= '9'; ++d) {
      if (common::ValidateContainerNumber(serial + d).ok()) impostors.push_back(serial + d);
    }
    absl::StatusOr<VisitReads> plain = engine_->ReadVisit({{"e.png", "", Png(img.bgr)}}, {});
    ASSERT_TRUE(plain.ok());
    const ContainerRead* read = Find(*plain, img.truth);
    if (read == nullptr || read->confidence < 0.5) continue;  // only clear reads are impostor tests
    for (const std::string& booked : impostors) {
      ++checked;
      absl::StatusOr<VisitReads> r =
          engine_->ReadVisit({{"e.png", "", Png(img.bgr)}}, {{booked}, {}});
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(Find(*r, booked), nullptr) << img.truth << " settled to " << booked;
      const ContainerRead* c = Find(*r, img.truth);
      ASSERT_NE(c, nullptr) << img.truth;
      EXPECT_FALSE(c->settled_by_expectation);
      EXPECT_NEAR(c->confidence, read->confidence, 1e-9) << "an appointment never changes a confidence";
    }
  }
  EXPECT_GE(checked, 3);
}

// Issue 12: a plate one character off the booked plate must never be settled to it.
TEST_F(EngineTest, PlateImpostorOneCharacterOffIsNeverSettled) {
  int checked = 0;
  for (uint32_t seed = 70; seed < 78; ++seed) {
    PlateSpec spec;
    spec.seed = seed;
    spec.tight_crop = seed % 2 == 0;
    spec.plate_width = 240;
    SynthImage img = synth_->Plate(spec);
    absl::StatusOr<VisitReads> plain = engine_->ReadVisit({{"p.png", "front", Png(img.bgr)}}, {});
    ASSERT_TRUE(plain.ok());
    if (plain->plates.empty() || plain->plates[0].text != img.truth) continue;
    std::vector<std::string> chars = common::SplitCodePoints(img.truth);
    std::vector<std::string> impostors;
    for (size_t i : {size_t{0}, size_t{3}, chars.size() - 1}) {
      std::vector<std::string> c = chars;
      c[i] = i == 0 ? (c[0] == "皖" ? "赣" : "皖") : (c[i] == "8" ? "3" : "8");
      std::string t;
      for (const std::string& x : c) t += x;
      if (common::IsValidPlate(t) && t != img.truth) impostors.push_back(t);
    }
    for (const std::string& booked : impostors) {
      ++checked;
      absl::StatusOr<VisitReads> r =
          engine_->ReadVisit({{"p.png", "front", Png(img.bgr)}}, {{}, {booked}});
      ASSERT_TRUE(r.ok());
      ASSERT_FALSE(r->plates.empty());
      EXPECT_EQ(r->plates[0].text, img.truth) << "booked " << booked;
      for (const PlateRead& p : r->plates) {
        EXPECT_NE(p.text, booked) << "settled " << img.truth << " to " << booked;
        EXPECT_FALSE(p.settled_by_expectation);
      }
    }
  }
  EXPECT_GE(checked, 10);
}

TEST_F(EngineTest, ConcurrentVisits) {
  std::vector<SynthImage> imgs;
  for (uint32_t seed = 61; seed < 65; ++seed) imgs.push_back(synth_->Container(Spec(seed, ContainerLayout::kOneLine)));
  std::vector<std::thread> threads;
  std::vector<int> ok(imgs.size(), 0);
  for (size_t i = 0; i < imgs.size(); ++i) {
    threads.emplace_back([&, i]() {
      absl::StatusOr<VisitReads> r = engine_->ReadVisit({{"c.png", "", Png(imgs[i].bgr)}}, {});
      ok[i] = r.ok() && Find(*r, imgs[i].truth) != nullptr;
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < imgs.size(); ++i) EXPECT_TRUE(ok[i]) << imgs[i].truth;
}

// The real frames of ../shared/datasets/ocr-dev, when present: a floor, not the target (the
// bench target ocr_eval prints the figures).
TEST_F(EngineTest, DevSetContainersFloor) {
  const std::filesystem::path dir = DevSetDir("containers");
  if (!std::filesystem::exists(dir / "manifest.tsv")) GTEST_SKIP() << "no " << dir;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> visits;
  for (const auto& [file, truth] : ReadDevSetManifest(dir)) {
    visits[DevSetVisit(file)].emplace_back(file, truth);
  }
  int right = 0, wrong_auto = 0;
  for (const auto& [visit, items] : visits) {
    std::vector<FrameInput> frames;
    std::set<std::string> truth;
    for (const auto& [file, t] : items) {
      frames.push_back({file, "", ReadFileBytes(dir / file)});
      truth.insert(t);
    }
    absl::StatusOr<VisitReads> r = engine_->ReadVisit(frames, {});
    ASSERT_TRUE(r.ok()) << r.status();
    std::set<std::string> read;
    for (const ContainerRead& c : r->containers) {
      if (c.check_digit_ok) read.insert(c.number);
      if (c.auto_ok && truth.count(c.number) == 0) ++wrong_auto;
    }
    bool all = true;
    for (const std::string& t : truth) all = all && read.count(t) > 0;
    right += all;
  }
  EXPECT_GE(right * 10, static_cast<int>(visits.size()) * 7) << right << "/" << visits.size();
  EXPECT_EQ(wrong_auto, 0);
}

// The target on the real dev plates (see README), so that a change that loses real plates is
// noticed.
TEST_F(EngineTest, DevSetPlatesFloor) {
  const std::filesystem::path dir = DevSetDir("plates");
  if (!std::filesystem::exists(dir / "manifest.tsv")) GTEST_SKIP() << "no " << dir;
  int total = 0, exact = 0, wrong_auto = 0;
  for (const auto& [file, truth] : ReadDevSetManifest(dir)) {
    absl::StatusOr<VisitReads> r = engine_->ReadVisit({{file, "", ReadFileBytes(dir / file)}}, {});
    ASSERT_TRUE(r.ok()) << file << ": " << r.status();
    ++total;
    if (!r->plates.empty()) exact += r->plates[0].text == truth;
    for (const PlateRead& p : r->plates) wrong_auto += p.auto_ok && p.text != truth;
  }
  std::printf("dev plates: %d/%d exact\n", exact, total);
  EXPECT_GE(exact * 100, total * kDevPlatesFloorPercent) << exact << "/" << total;
  EXPECT_EQ(wrong_auto, 0);
}

// The held-out part of ../shared/datasets/plates-train (dev_set.h's fixed split, never trained
// or calibrated on), every fourth row to keep the test short: a floor under the bench figure
// (`ocr_eval --plates-train held-out`), and no wrong auto read.
TEST_F(EngineTest, PlatesTrainHeldOutFloor) {
  const std::filesystem::path dir = SharedDataset("plates-train");
  const std::vector<LabelledPlate> plates = ReadLabelledPlates(dir);
  if (plates.empty()) GTEST_SKIP() << "no " << dir;
  const std::vector<PlateSplit> split = SplitLabelledPlates(plates);
  int total = 0, exact = 0, wrong_auto = 0, held_out = 0;
  for (size_t i = 0; i < plates.size(); ++i) {
    if (split[i] != PlateSplit::kHeldOut || held_out++ % 4 != 0) continue;
    absl::StatusOr<VisitReads> r =
        engine_->ReadVisit({{plates[i].file, "", ReadFileBytes(dir / plates[i].file)}}, {});
    ASSERT_TRUE(r.ok()) << plates[i].file << ": " << r.status();
    ++total;
    if (!r->plates.empty()) exact += r->plates[0].text == plates[i].text;
    for (const PlateRead& p : r->plates) wrong_auto += p.auto_ok && p.text != plates[i].text;
  }
  std::printf("plates-train held-out (every fourth): %d/%d exact\n", exact, total);
  EXPECT_GE(exact * 100, total * kPlatesTrainHeldOutFloorPercent) << exact << "/" << total;
  EXPECT_EQ(wrong_auto, 0);
}

}  // namespace
}  // namespace yardgate::ocr
