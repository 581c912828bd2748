// Reading licence plates from one camera frame: mainland Chinese plates (blue, yellow
// including double-row rear and trailer plates, green new-energy) and the Hong Kong / Macau
// plates of cross-border trucks.
//
// Stages: find plate-coloured rectangles (plain and vivid colour, so that a plate on a car of
// its own hue still stands out) and blocks of plate-shaped writing (or take the whole image
// when it is already a tight crop), cut each out upright under several margins, read every
// crop whole with the plate recogniser (plate_net.h), and choose the text that the crops'
// plate-shaped readings favour (plate_text.h); its probability averaged over the crops and
// how many crops agree on it make the raw score that the engine calibrates.
//
// Thread-safety: ReadPlates may be called from many threads at once with the same network.
#ifndef YARDGATE_OCR_PLATE_READER_H_
#define YARDGATE_OCR_PLATE_READER_H_

#include <chrono>
#include <string>
#include <vector>

#include "ocr/plate_net.h"
#include "opencv2/core.hpp"

namespace yardgate::ocr {

struct FramePlate {
  std::string text;        // UTF-8
  bool valid = false;      // matches a plate pattern
  double probability = 0;  // the recogniser's probability of `text`, averaged over the crops
  double crop_agreement = 0;  // share of the crops whose likeliest plate reading is `text`
  double score = 0;        // PlateScore(probability, crop_agreement): raw, uncalibrated
  // Every text the recogniser gave any crop, with its probability averaged over the crops,
  // likeliest first (at most kMaxAlternatives).
  std::vector<PlateNet::Reading> alternatives;
  cv::Rect box;            // in the frame
  std::string raw;         // the recogniser's likeliest text, before validation
};

inline constexpr size_t kMaxAlternatives = 48;

// The raw score of a frame's plate: the text's probability averaged over the crops, weighed
// down when the crops disagree on the likeliest plate. Calibrated by the engine.
double PlateScore(double probability, double crop_agreement);

// The recogniser's alternatives per character of `text` (one entry per code point): the
// probability mass of the plate's alternatives that hold each character there, over all
// its alternatives (so an unsure length makes every position unsure).
std::vector<std::vector<std::pair<std::string, double>>> PlateCharAlternatives(
    const FramePlate& plate, const std::string& text);

// The raw score the frame would have given `text` had it read it: its own probability among
// the alternatives (or, when the beams lost it, the read's probability scaled by each
// differing character's share against the read one), with the crops that favoured it.
double PlateScoreOf(const FramePlate& plate, const std::string& text);

struct PlateReaderOptions {
  int max_candidates = 6;       // plate regions recognised per frame
  std::string debug_prefix;     // when set, writes the crops the recogniser reads
  // Past this time candidates are read at the locator's margin only, not under the three
  // others. The default (epoch) means no deadline.
  std::chrono::steady_clock::time_point deadline{};
};

// `plates` without those that are another's tail in an overlapping place: a candidate that is
// part of a plate (its right end, cut out by the stroke locator) can read as the plate's
// tail, which may pass for a Hong Kong plate ("DB820" of 皖ADB820); the reading that holds
// it explains more. Order kept.
std::vector<FramePlate> WithoutTails(std::vector<FramePlate> plates);

// Plates in `bgr` (CV_8UC3), best first, one per distinct text.
std::vector<FramePlate> ReadPlates(const cv::Mat& bgr, const PlateNet& net,
                                   const PlateReaderOptions& options);

}  // namespace yardgate::ocr

#endif  // YARDGATE_OCR_PLATE_READER_H_
