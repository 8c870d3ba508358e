// Harvesting labelled character crops from photos with line-level labels only
// (`ocr2s train harvest`): the detector finds the characters, the assembler orders
// them into lines, and where the line count and each line's character count agree
// with the label, character i of the line gets the label's i-th non-space
// character. This is how a factory fine-tunes from its own photos without drawing
// a box. Torch-free.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "charcls/classifier.hpp"
#include "craft/maps.hpp"
#include "ocr2s/config.hpp"

namespace ocr2s::train {

struct HarvestOptions {
  CraftConfig craft;          ///< postprocessing thresholds (the detector's own config)
  AssembleConfig assemble;
  charcls::CropSpec crop;     ///< crop geometry: the classifier's (crop size and height factor)
  std::string out;            ///< crop folder written: OUT/<label-dir>/<name>.png
};

/// Why an image's lines were or were not used.
struct HarvestImageResult {
  int label_lines = 0;        ///< non-empty lines of the label
  int detected_lines = 0;
  int kept_lines = 0;         ///< lines whose character count matched
  bool line_count_matched = false;
  struct Crop {
    std::string label;  ///< one UTF-8 character
    int line = 0;       ///< line index (top to bottom)
    int index = 0;      ///< character index within the line (spaces not counted)
    cv::Mat crop;       ///< 8-bit line-frame crop of crop.size (charcls::extract_crops_u8)
  };
  std::vector<Crop> crops;  ///< characters of the kept lines
};

/// One image: score maps → craft::postprocess → assemble::build_lines → matching
/// against `label_lines` (top to bottom; spaces ignored for counting).
HarvestImageResult harvest_image(const cv::Mat& image, const craft::ScoreMaps& maps,
                                 const std::vector<std::string>& label_lines,
                                 const HarvestOptions& options);

struct HarvestItem {
  std::string path;                 ///< image file
  std::vector<std::string> lines;   ///< label text, one entry per line
};

struct HarvestReport {
  int images = 0, unreadable = 0, line_count_mismatch = 0;
  int label_lines = 0, kept_lines = 0;
  long crops = 0;
  std::map<std::string, long> per_label;
};

/// Score maps of an image (the detector; tests pass ground-truth-rendered maps).
using DetectFn = std::function<craft::ScoreMaps(const std::string& path, const cv::Mat& image)>;

/// Runs harvest_image over the items and writes the crops to options.out as
/// <label-dir>/<item index>_<image stem>_l<line>_c<char>.png. Unreadable images are
/// counted and skipped; progress goes to `log` when not null.
HarvestReport harvest(const std::vector<HarvestItem>& items, const HarvestOptions& options,
                      const DetectFn& detect, std::ostream* log = nullptr);

/// Splits a labels.tsv text cell ('\n' separates lines) into non-empty lines.
std::vector<std::string> label_lines(const std::string& text);

}  // namespace ocr2s::train
