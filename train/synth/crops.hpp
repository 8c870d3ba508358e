// Character crops for the classifier, in the line frame the reader uses
// (assemble::make_line + assemble::crop_box + charcls::extract_crops_u8), from a
// generated sample's ground truth — in memory, or exported as a folder
// (docs/DATA_FORMATS.md, "Character crops").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "assemble/layout.hpp"
#include "synth/synth.hpp"

namespace ocr2s::synth {

struct CropGeometry {
  cv::Size size{32, 32};       ///< crop size, pixels (classifier input)
  float height_factor = 1.3f;  ///< crop height / line height
  /// Crop width follows the line's character width (assemble::CropFrame).
  bool by_char_width = false;
  /// Reject crops per character crop (rounded up per sample; 0 disables them).
  float reject_ratio = 0.25f;
  assemble::CropFrame frame() const {
    return {height_factor, static_cast<float>(size.width) / static_cast<float>(size.height),
            by_char_width};
  }
};

/// One crop. `label` is one UTF-8 code point, or empty for the reject class
/// ("not a character").
struct LabelledCrop {
  std::string label;
  cv::Mat gray8;           ///< CV_8UC1, geometry.size, raw (before normalize_crop)
  assemble::CropBox box;   ///< where it was sampled, image pixels
  int line = -1;           ///< character crops: line index in the sample
  int index = -1;          ///< character crops: character index in the line
  enum class Kind { kChar, kDistractor, kBackground, kZoomedOut, kStraddle } kind = Kind::kChar;
};

/// Every character of `s` cropped as the reader would crop it from its ground-truth
/// quads, plus reject crops, the four kinds in turn: a line-height box on a
/// distractor, on empty background (overlapping no character), centred on a
/// character at 2.5× the scale (several characters, not one), and straddling two
/// neighbours of one word — centred between them at the characters' own scale,
/// when their centres are at least kStraddleSpacing line heights apart (the crop
/// is then off each character by at least twice the training shift). A detection
/// between two characters, or a union of two read as one glyph, must not read as
/// a confident character. Deterministic for (s, seed).
inline constexpr float kStraddleSpacing = 0.55f;
std::vector<LabelledCrop> sample_line_crops(const Sample& s, const CropGeometry& geometry, std::uint64_t seed);

/// Folder name of a label in the crop export: the character itself when it is in
/// [0-9A-Za-z], otherwise "U+XXXX" (upper-case hex, at least 4 digits; '.' →
/// "U+002E"); the reject class (empty label) is "_reject".
std::string crop_label_dir(const std::string& label);
/// Inverse of crop_label_dir; nullopt for a name it never produces.
std::optional<std::string> label_from_crop_dir(const std::string& dir);
inline constexpr const char* kRejectDir = "_reject";

}  // namespace ocr2s::synth
