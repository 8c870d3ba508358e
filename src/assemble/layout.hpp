// Internal: character graph → lines (pure; Eigen for geometry).
#pragma once

#include <array>
#include <vector>

#include "craft/graph.hpp"
#include "ocr2s/config.hpp"
#include "ocr2s/geometry.hpp"

namespace ocr2s::assemble {

/// One character slot of a line.
struct SlotChar {
  int node = -1;   ///< index into CharGraph::nodes
  Quad quad;       ///< the node's quad, vertices oriented in the line's frame
  int word = 0;    ///< word index within the line
  /// The character is read, but reported as kLowConfidence: its region peak is
  /// below CraftConfig::confirm_threshold (mark_unsure), or a second look at the
  /// line doubted it (assemble/text.hpp).
  bool unsure = false;
};

/// One line: characters ordered along the reading direction.
struct LayoutLine {
  std::vector<SlotChar> chars;
  cv::Point2f direction{1.f, 0.f};  ///< unit reading direction (x component ≥ 0 for ±90°)
  /// A point on the line's centre line (image pixels); the centre line runs
  /// through it along `direction`.
  cv::Point2f origin{0.f, 0.f};
  float height = 0.f;               ///< robust line height, pixels (across direction)
  Quad quad;                        ///< encloses all characters, oriented
};

/// Graph → lines. Words are the connected components of the links (each character
/// keeps at most its two best links, one on each side); characters are ordered
/// along a robust (Huber-weighted) principal-axis fit of their centres; collinear
/// words on one centre line merge into one line (AssembleConfig); lines are
/// ordered in the text's own frame by blocks (lines sharing part of their extent
/// along the text, centre lines at most 2.3 line heights apart): blocks row by row
/// and left to right, a block's lines top to bottom, then along the reading direction.
/// Reading direction is assumed within ±45° of the image x axis, left to right.
std::vector<LayoutLine> build_lines(const craft::CharGraph& graph, const AssembleConfig& config);

/// Marks the characters whose node peak (graph.nodes[slot.node].peak) is below
/// `confirm_threshold` as unsure and removes the lines made only of unsure
/// characters: a weak detection is worth reading next to confident ones (a faint
/// '.' between two digits), not as a line of its own.
void mark_unsure(std::vector<LayoutLine>& lines, const craft::CharGraph& graph, float confirm_threshold);

/// A line built from known character quads (ground truth from the generator, or a
/// user's annotation): the same direction, centre-line and height fit that
/// build_lines uses, so training crops and inference crops share one geometry.
/// `words[i]` is the word index of chars[i]; quads in reading order.
LayoutLine make_line(const std::vector<Quad>& chars, const std::vector<int>& words);

/// Where a character is cropped for the classifier (DESIGN.md "Line frame crops"):
/// a rectangle in the line's frame, upright after rotation by the line's direction,
/// centred on the character along the line and on the line's centre line across it.
struct CropBox {
  cv::Point2f center;                 ///< image pixels
  cv::Point2f direction{1.f, 0.f};    ///< unit vector, the crop's +x axis
  float width = 0.f;                  ///< along direction, image pixels
  float height = 0.f;                 ///< across direction, image pixels
};

/// How a character's crop box is sized from its line: the classifier's crop
/// geometry (charcls::CropSpec, stored in the model file).
struct CropFrame {
  float height_factor = 1.3f;  ///< crop height = line height × height_factor
  /// Crop width / crop height (of the classifier input) for a line whose
  /// characters have the typical width (kTypicalCharWidth line heights).
  float aspect = 1.f;
  /// Scale the crop's width by the line's character width (line_char_width)
  /// over the typical width, clamped to [kMinCharWidthScale, kMaxCharWidthScale]:
  /// a glyph's width is then seen against its own face's, so that a condensed
  /// face's `O` is as much wider than its digits as a regular face's is, where a
  /// crop sized by the height alone sees it as wide as a regular `0`.
  bool by_char_width = false;
};

/// Median character width / line height of generated lines (1,664 lines of
/// `synth` seed 9001, ground-truth quads: 5th-95th percentile 0.56-0.88, median
/// 0.69), the width a CropFrame with by_char_width takes as typical.
constexpr float kTypicalCharWidth = 0.7f;
constexpr float kMinCharWidthScale = 0.6f;
constexpr float kMaxCharWidthScale = 1.5f;

/// A line's character width, image pixels: the median extent along the line of
/// its characters at least 0.6 line heights tall (so '.', '-' and ',' do not
/// decide it); kTypicalCharWidth × height for a line with fewer than three such.
float line_char_width(const LayoutLine& line);

/// The factor a line's crops are widened by: with frame.by_char_width,
/// line_char_width over kTypicalCharWidth × height, clamped to
/// [kMinCharWidthScale, kMaxCharWidthScale]; otherwise (or for a line of no
/// height) 1.
float crop_width_scale(const LayoutLine& line, const CropFrame& frame);

/// Crop geometry of character i of a line: height = line height ×
/// frame.height_factor, width = height × frame.aspect × crop_width_scale.
CropBox crop_box(const LayoutLine& line, std::size_t i, const CropFrame& frame);
/// The same for a quad that is not (yet) one of the line's characters (a union of
/// two, see merge_splits).
CropBox crop_box(const LayoutLine& line, const Quad& quad, const CropFrame& frame);
/// crop_box of every character of a line, in order (the line's width scale
/// measured once).
std::vector<CropBox> crop_boxes(const LayoutLine& line, const CropFrame& frame);

/// Four views near a character's crop, for ClassifierConfig::reread_below: the
/// box shifted by ∓kViewShift line heights along its direction, then scaled by
/// 1 − kViewScale and 1 + kViewScale about its centre. A doubtful crop is often
/// one whose character sits a little off the detector's centre, or is framed too
/// tightly or loosely for the classifier; averaged over nearby views, its reading
/// depends less on either. Chosen on 800 validation images (seed 9001) from
/// shifts 0.03–0.1 and scales 0.08–0.3 (README "Status").
constexpr float kViewShift = 0.06f;
constexpr float kViewScale = 0.15f;
std::array<CropBox, 4> nearby_views(const CropBox& box, float line_height);

/// The nearby views of several characters, four after four: `characters` index
/// the characters of `lines` counted line after line (as the rows of one
/// classifier call over all of them), ascending; each one's crop_box is taken
/// with `frame`. Throws InputError for an index past the last character or out
/// of order.
std::vector<CropBox> nearby_views(const std::vector<LayoutLine>& lines,
                                  const std::vector<std::size_t>& characters,
                                  const CropFrame& frame);

}  // namespace ocr2s::assemble
