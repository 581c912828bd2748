// ocr_eval: measures yardgate's OCR engine on a labelled data set (default
// ../shared/datasets/ocr-dev from the repository root) and prints, per data set:
//   containers: visits with every container read right, frames read right, precision of the
//               confident ("auto") reads, median / p95 ms per frame and per visit;
//   plates:     plates exactly right, precision of confident reads, median / p95 ms.
//
//   ocr_eval [--data DIR] [--threads N] [--auto-threshold X] [--container-auto-threshold X]
//            [--budget-ms MS] [--verbose]
//   ocr_eval --plates-train SPLIT [--plates-dir DIR] [--fit-calibration FILE] [--verbose]
//   ocr_eval --synthetic-plates N [--verbose]
//
// --plates-train reads one part (train, calibration, held-out; dev_set.h's fixed split) of the
// real plate crops in ../shared/datasets/plates-train (or --plates-dir) through the engine,
// each crop as a one-frame visit, and prints plates exact per kind and province character,
// exact with the province ignored, auto precision, the reliability table and ms per crop.
// --fit-calibration FILE (only with --plates-train calibration) fits the plate confidence on
// those reads' raw scores and writes the table (calibration.h) to FILE.
// --synthetic-plates N reads N synthetic plate crops (Synthesizer::TrainingPlate, seeds from
// 4,000,000,000 up, a range the trainer never draws from) through the engine and prints
// exact per kind (mainland, new-energy, trailer, cross-border, Hong Kong, Macau; double-row
// apart), for the kinds the real sets lack.
//
// Layout expected: DIR/containers/manifest.tsv and DIR/plates/manifest.tsv, tab-separated
// "file<TAB>truth<TAB>origin" without header. Container frames are grouped into visits by the
// middle number of "1-<visit>-OCR-<camera>.jpg"; other names make one visit per frame.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "absl/strings/str_format.h"
#include "common/plate_text.h"
#include "ocr/calibration.h"
#include "ocr/dev_set.h"
#include "ocr/synth.h"
#include "opencv2/imgcodecs.hpp"
#include "ocr/engine.h"

namespace {

namespace fs = std::filesystem;
using yardgate::ocr::Calibration;
using yardgate::ocr::DevSetItem;
using yardgate::ocr::LabelledPlate;
using yardgate::ocr::PlateSplit;
using yardgate::ocr::ScoredRead;
using yardgate::ocr::DevSetVisit;
using yardgate::ocr::Engine;
using yardgate::ocr::EngineOptions;
using yardgate::ocr::FrameInput;
using yardgate::ocr::ReadDevSetManifest;
using yardgate::ocr::ReadFileBytes;
using yardgate::ocr::VisitReads;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(std::min<double>(v.size() - 1, std::ceil(p * v.size()) - 1));
  return v[idx];
}

struct Precision {
  int confident = 0;
  int right = 0;
  std::string Text() const {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%d/%d = %.1f%%", right, confident,
                  confident == 0 ? 100.0 : 100.0 * right / confident);
    return buf;
  }
};

// CPU time of the whole process (all threads), ms: unlike wall time, not inflated when
// other work shares the cores.
double CpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

std::string Pct(int a, int b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%d/%d = %.1f%%", a, b, b == 0 ? 0.0 : 100.0 * a / b);
  return buf;
}

std::string Table(const std::vector<ScoredRead>& reads) {
  return yardgate::ocr::FormatReliabilityTable(yardgate::ocr::ReliabilityTable(reads));
}

// Right / count per key, printed in order of count.
struct Tally {
  std::map<std::string, std::pair<int, int>> by;
  void Add(const std::string& key, bool right) {
    by[key].first += right;
    ++by[key].second;
  }
  std::string Text() const {
    std::vector<std::pair<std::string, std::pair<int, int>>> rows(by.begin(), by.end());
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
    std::string out;
    for (const auto& [key, n] : rows) {
      absl::StrAppendFormat(&out, " %s %d/%d", key, n.first, n.second);
    }
    return out;
  }
};

std::string WithoutProvince(const std::string& plate) {
  std::vector<std::string> chars = yardgate::common::SplitCodePoints(plate);
  std::string out;
  for (size_t i = 1; i < chars.size(); ++i) out += chars[i];
  return out;
}

int EvalPlatesTrain(Engine& engine, const fs::path& dir, const std::string& split_name,
                    const std::string& fit_out, bool verbose) {
  const std::vector<LabelledPlate> plates = yardgate::ocr::ReadLabelledPlates(dir);
  if (plates.empty()) {
    std::cerr << "ocr_eval: no plates-train manifest at " << dir << "\n";
    return 1;
  }
  const std::vector<PlateSplit> split = yardgate::ocr::SplitLabelledPlates(plates);
  int n = 0, exact = 0, exact_no_province = 0;
  Tally by_kind, by_province;
  Precision auto_prec;
  std::vector<ScoredRead> calibrated, raw;
  std::vector<double> ms, cpu_ms;
  for (size_t i = 0; i < plates.size(); ++i) {
    if (yardgate::ocr::PlateSplitName(split[i]) != split_name) continue;
    const LabelledPlate& p = plates[i];
    FrameInput f{p.file, "", ReadFileBytes(dir / p.file)};
    const double cpu0 = CpuMs();
    absl::StatusOr<VisitReads> r = engine.ReadVisit({f}, {});
    cpu_ms.push_back(CpuMs() - cpu0);
    if (!r.ok()) {
      std::printf("  %s: error %s\n", p.file.c_str(), r.status().ToString().c_str());
      continue;
    }
    ++n;
    ms.push_back(r->elapsed_ms);
    const yardgate::ocr::PlateRead* top = r->plates.empty() ? nullptr : &r->plates[0];
    const bool ok = top != nullptr && top->text == p.text;
    exact += ok;
    exact_no_province += top != nullptr && WithoutProvince(top->text) == WithoutProvince(p.text);
    by_kind.Add(p.kind, ok);
    by_province.Add(yardgate::common::SplitCodePoints(p.text)[0], ok);
    // Every read the engine reports counts, not only the top one: a confident second read of
    // another plate would open the barrier just the same.
    for (const auto& read : r->plates) {
      const bool right = read.text == p.text;
      calibrated.push_back({read.confidence, right});
      if (!read.frames.empty()) raw.push_back({read.frames[0].score, right});
      if (read.auto_ok) {
        ++auto_prec.confident;
        auto_prec.right += right;
        if (!right) {
          std::printf("  WRONG AUTO %s: %s for %s (%.4f)\n", p.file.c_str(), read.text.c_str(),
                      p.text.c_str(), read.confidence);
        }
      }
    }
    if (verbose && !ok) {
      std::printf("  MISS %s truth %s:", p.file.c_str(), p.text.c_str());
      for (const auto& read : r->plates) {
        std::printf(" %s(%.4f, score %.4f)", read.text.c_str(), read.confidence,
                    read.frames.empty() ? 0.0 : read.frames[0].score);
      }
      std::printf("\n");
    }
  }
  std::printf("plates-train %s: %d crops; exact %s; province ignored %s\n", split_name.c_str(), n,
              Pct(exact, n).c_str(), Pct(exact_no_province, n).c_str());
  std::printf("  by kind:%s\n  by province:%s\n", by_kind.Text().c_str(), by_province.Text().c_str());
  std::printf("  auto reads precise %s (auto threshold %.4f)\n", auto_prec.Text().c_str(),
              engine.options().auto_threshold);
  std::printf("  reliability (every read reported, by calibrated confidence):\n%s",
              Table(calibrated).c_str());
  std::printf("  ms per crop median %.1f p95 %.1f; CPU ms per crop median %.1f p95 %.1f\n",
              Percentile(ms, 0.5), Percentile(ms, 0.95), Percentile(cpu_ms, 0.5),
              Percentile(cpu_ms, 0.95));
  if (!fit_out.empty()) {
    const Calibration c = Calibration::Fit(raw);
    std::ofstream(fit_out) << c.ToText();
    std::printf("  wrote the calibration of %zu raw scores (%zu blocks) to %s\n", raw.size(),
                c.blocks().size(), fit_out.c_str());
  }
  return 0;
}

int EvalSyntheticPlates(Engine& engine, int n, bool verbose) {
  using yardgate::ocr::Synthesizer;
  absl::StatusOr<std::unique_ptr<Synthesizer>> synth = Synthesizer::Create();
  if (!synth.ok()) {
    std::cerr << "ocr_eval: " << synth.status() << "\n";
    return 1;
  }
  Tally by_kind;
  int exact = 0;
  Precision auto_prec;
  std::vector<ScoredRead> calibrated;
  for (int i = 0; i < n; ++i) {
    const yardgate::ocr::SynthImage img =
        (*synth)->TrainingPlate(4000000000u + static_cast<uint32_t>(i));
    std::vector<uchar> png;
    cv::imencode(".png", img.bgr, png);
    absl::StatusOr<VisitReads> r =
        engine.ReadVisit({{"synthetic.png", "", std::string(png.begin(), png.end())}}, {});
    if (!r.ok()) {
      std::printf("  synthetic %d: error %s\n", i, r.status().ToString().c_str());
      continue;
    }
    const bool ok = !r->plates.empty() && r->plates[0].text == img.truth;
    exact += ok;
    std::string kind = yardgate::ocr::PlateReadKindName(yardgate::ocr::PlateReadKindOf(img.truth));
    if (img.double_row) kind += "/double-row";
    by_kind.Add(kind, ok);
    for (const auto& read : r->plates) {
      calibrated.push_back({read.confidence, read.text == img.truth});
      if (!read.auto_ok) continue;
      ++auto_prec.confident;
      auto_prec.right += read.text == img.truth;
    }
    if (verbose && !ok) {
      std::printf("  MISS synthetic %d (%s) truth %s: %s\n", i, kind.c_str(), img.truth.c_str(),
                  r->plates.empty() ? "-" : r->plates[0].text.c_str());
    }
  }
  std::printf("synthetic plates: exact %s\n  by kind:%s\n  auto reads precise %s\n", Pct(exact, n).c_str(),
              by_kind.Text().c_str(), auto_prec.Text().c_str());
  std::printf("  reliability (every read reported):\n%s",
              Table(calibrated).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path data;
  EngineOptions options;
  bool verbose = false;
  std::string plates_train_split, fit_out;
  int synthetic_plates = 0;
  fs::path plates_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) {
      data = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      options.threads = std::atoi(argv[++i]);
    } else if (a == "--budget-ms" && i + 1 < argc) {
      options.visit_budget_ms = std::atof(argv[++i]);
    } else if (a == "--auto-threshold" && i + 1 < argc) {
      options.auto_threshold = std::atof(argv[++i]);
    } else if (a == "--container-auto-threshold" && i + 1 < argc) {
      options.container_auto_threshold = std::atof(argv[++i]);
    } else if (a == "--plates-train" && i + 1 < argc) {
      plates_train_split = argv[++i];
    } else if (a == "--synthetic-plates" && i + 1 < argc) {
      synthetic_plates = std::atoi(argv[++i]);
    } else if (a == "--plates-dir" && i + 1 < argc) {
      plates_dir = argv[++i];
    } else if (a == "--fit-calibration" && i + 1 < argc) {
      fit_out = argv[++i];
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else {
      std::cerr << "usage: ocr_eval [--data DIR] [--threads N] [--auto-threshold X] [--container-auto-threshold X] [--budget-ms MS] [--verbose]\n"
                   "       ocr_eval --plates-train train|calibration|held-out [--plates-dir DIR] [--fit-calibration FILE] [--verbose]\n"
                   "       ocr_eval --synthetic-plates N [--verbose]\n";
      return 2;
    }
  }
  if (synthetic_plates > 0 || !plates_train_split.empty()) options.read_containers = false;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  if (!engine.ok()) {
    std::cerr << "ocr_eval: " << engine.status() << "\n";
    return 1;
  }
  if (synthetic_plates > 0) return EvalSyntheticPlates(**engine, synthetic_plates, verbose);
  if (!plates_train_split.empty()) {
    if (plates_dir.empty()) {
      const char* src = std::getenv("YARDGATE_SOURCE_DIR");
      plates_dir = fs::path(src != nullptr ? src : ".") / ".." / "shared" / "datasets" / "plates-train";
    }
    if (!fit_out.empty() && plates_train_split != "calibration") {
      std::cerr << "ocr_eval: --fit-calibration only on --plates-train calibration\n";
      return 2;
    }
    return EvalPlatesTrain(**engine, plates_dir, plates_train_split, fit_out, verbose);
  }
  if (data.empty()) {
    const char* src = std::getenv("YARDGATE_SOURCE_DIR");
    data = fs::path(src != nullptr ? src : ".") / ".." / "shared" / "datasets" / "ocr-dev";
  }
  if (!fs::exists(data)) {
    std::cerr << "ocr_eval: no data set at " << data << "\n";
    return 1;
  }
  std::printf("data set %s, auto threshold plates %.4f containers %.4f, threads %d, visit budget %.0f ms\n",
              data.c_str(), options.auto_threshold, options.container_auto_threshold, options.threads,
              options.visit_budget_ms);

  // Containers.
  const fs::path cdir = data / "containers";
  std::vector<DevSetItem> citems = ReadDevSetManifest(cdir);
  if (!citems.empty()) {
    std::map<std::string, std::vector<DevSetItem>> visits;
    for (const DevSetItem& it : citems) visits[DevSetVisit(it.file)].push_back(it);
    // Frames, one at a time.
    int frames_right = 0, frames_top_right = 0;
    Precision frame_prec;
    std::vector<ScoredRead> frame_scored, visit_scored;
    std::vector<double> frame_ms, frame_cpu;
    for (const DevSetItem& it : citems) {
      FrameInput f{it.file, "", ReadFileBytes(cdir / it.file)};
      const double cpu0 = CpuMs();
      absl::StatusOr<VisitReads> r = (*engine)->ReadVisit({f}, {});
      frame_cpu.push_back(CpuMs() - cpu0);
      if (!r.ok()) {
        std::printf("  %s: error %s\n", it.file.c_str(), r.status().ToString().c_str());
        continue;
      }
      frame_ms.push_back(r->elapsed_ms);
      bool right = false;
      for (const auto& c : r->containers) {
        if (c.check_digit_ok && c.number == it.truth) right = true;
      }
      // The frame may show part of a second box: an auto read of another valid number is
      // only wrong when it is not a number of the same visit.
      std::set<std::string> visit_truth;
      for (const DevSetItem& v : visits[DevSetVisit(it.file)]) visit_truth.insert(v.truth);
      for (const auto& c : r->containers) {
        frame_scored.push_back({c.confidence, visit_truth.count(c.number) > 0});
        if (!c.auto_ok) continue;
        ++frame_prec.confident;
        if (visit_truth.count(c.number) > 0) ++frame_prec.right;
        else if (verbose) std::printf("  WRONG AUTO %s: %s (%.3f)\n", it.file.c_str(), c.number.c_str(), c.confidence);
      }
      const bool top = !r->containers.empty() && r->containers[0].number == it.truth;
      frames_right += right;
      frames_top_right += top;
      if (verbose) {
        std::printf("  %-32s truth %s %s:", it.file.c_str(), it.truth.c_str(),
                    right ? "OK  " : "MISS");
        for (const auto& c : r->containers) {
          std::printf(" %s%s(%.2f%s)", c.number.c_str(), c.check_digit_ok ? "" : "!",
                      c.confidence, c.auto_ok ? ",auto" : "");
        }
        std::printf(" %.0fms\n", r->elapsed_ms);
      }
    }
    // Visits, all frames together.
    int visits_right = 0;
    Precision visit_prec;
    std::vector<double> visit_ms, visit5_cpu;
    for (const auto& [visit, items] : visits) {
      std::vector<FrameInput> frames;
      std::set<std::string> truth;
      for (const DevSetItem& it : items) {
        frames.push_back({it.file, "", ReadFileBytes(cdir / it.file)});
        truth.insert(it.truth);
      }
      const double cpu0 = CpuMs();
      absl::StatusOr<VisitReads> r = (*engine)->ReadVisit(frames, {});
      if (items.size() >= 5) visit5_cpu.push_back(CpuMs() - cpu0);
      if (!r.ok()) {
        std::printf("  visit %s: error %s\n", visit.c_str(), r.status().ToString().c_str());
        continue;
      }
      visit_ms.push_back(r->elapsed_ms);
      std::set<std::string> read;
      for (const auto& c : r->containers) {
        visit_scored.push_back({c.confidence, truth.count(c.number) > 0});
        if (c.check_digit_ok) read.insert(c.number);
        if (c.auto_ok) {
          ++visit_prec.confident;
          visit_prec.right += truth.count(c.number) > 0;
        }
      }
      bool all = true;
      for (const std::string& t : truth) all = all && read.count(t) > 0;
      visits_right += all;
      if (verbose) {
        std::printf("  visit %s (%zu frames) %s:", visit.c_str(), items.size(), all ? "OK  " : "MISS");
        for (const auto& c : r->containers) {
          std::printf(" %s%s(%.2f%s)", c.number.c_str(), c.check_digit_ok ? "" : "!",
                      c.confidence, c.auto_ok ? ",auto" : "");
        }
        std::printf(" %.0fms\n", r->elapsed_ms);
      }
    }
    std::printf("containers: visits all right %s; frames right %s (top read %s)\n",
                Pct(visits_right, visits.size()).c_str(), Pct(frames_right, citems.size()).c_str(),
                Pct(frames_top_right, citems.size()).c_str());
    std::printf("containers: confident reads precise: frames %s, visits %s\n",
                frame_prec.Text().c_str(), visit_prec.Text().c_str());
    std::printf("containers: reliability of every read, frames one at a time:\n%s",
                Table(frame_scored).c_str());
    std::printf("containers: reliability of every read, visits:\n%s",
                Table(visit_scored).c_str());
    std::printf("containers: ms per frame median %.0f p95 %.0f; ms per visit median %.0f p95 %.0f\n",
                Percentile(frame_ms, 0.5), Percentile(frame_ms, 0.95), Percentile(visit_ms, 0.5),
                Percentile(visit_ms, 0.95));
    std::printf("containers: CPU ms per frame median %.0f p95 %.0f", Percentile(frame_cpu, 0.5),
                Percentile(frame_cpu, 0.95));
    if (!visit5_cpu.empty()) {
      std::printf("; CPU ms per 5-frame visit median %.0f max %.0f (frames run on %d threads)",
                  Percentile(visit5_cpu, 0.5), Percentile(visit5_cpu, 1.0), options.threads);
    }
    std::printf("\n");
  }

  // Plates.
  const fs::path pdir = data / "plates";
  std::vector<DevSetItem> pitems = ReadDevSetManifest(pdir);
  if (!pitems.empty()) {
    int exact = 0;
    Precision prec;
    std::vector<double> ms;
    std::vector<ScoredRead> scored;
    for (const DevSetItem& it : pitems) {
      FrameInput f{it.file, "", ReadFileBytes(pdir / it.file)};
      absl::StatusOr<VisitReads> r = (*engine)->ReadVisit({f}, {});
      if (!r.ok()) {
        std::printf("  %s: error %s\n", it.file.c_str(), r.status().ToString().c_str());
        continue;
      }
      ms.push_back(r->elapsed_ms);
      const bool ok = !r->plates.empty() && r->plates[0].text == it.truth;
      exact += ok;
      for (const auto& p : r->plates) {
        scored.push_back({p.confidence, p.text == it.truth});
        if (!p.auto_ok) continue;
        ++prec.confident;
        prec.right += p.text == it.truth;
      }
      if (verbose) {
        std::printf("  %-16s truth %s %s:", it.file.c_str(), it.truth.c_str(), ok ? "OK  " : "MISS");
        for (const auto& p : r->plates) {
          std::printf(" %s(%.2f%s)", p.text.c_str(), p.confidence, p.auto_ok ? ",auto" : "");
        }
        if (!r->plates.empty() && !r->plates[0].frames.empty()) {
          std::printf(" raw '%s'", r->plates[0].frames[0].raw.c_str());
        }
        std::printf(" %.0fms\n", r->elapsed_ms);
      }
    }
    std::printf("plates: exact %s; confident reads precise %s; ms per image median %.0f p95 %.0f\n",
                Pct(exact, pitems.size()).c_str(), prec.Text().c_str(), Percentile(ms, 0.5),
                Percentile(ms, 0.95));
    std::printf("plates: reliability of every read:\n%s",
                Table(scored).c_str());
  }
  return 0;
}
