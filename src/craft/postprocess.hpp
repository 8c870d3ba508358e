// Internal: CRAFT postprocessing — score maps → character graph. Pure: no Torch,
// no I/O, deterministic.
#pragma once

#include "craft/graph.hpp"
#include "craft/maps.hpp"
#include "ocr2s/config.hpp"

namespace ocr2s::craft {

/// Score maps → character graph, using CraftConfig's thresholds
/// (seed_threshold, grow_threshold, link_threshold, split_depth, min_area,
/// max_aspect). Throws InputError for empty or mismatched maps, a type other than
/// CV_32FC1, or NaN/inf values. Constant or empty-of-text maps give an empty graph.
CharGraph postprocess(const ScoreMaps& maps, const CraftConfig& config);

/// Automatic scale (CraftConfig::target_char_height): given the graph of a first
/// pass, its maps (their to_image step says the scale they were computed at) and
/// the size of the image they cover, the magnification a second detector pass
/// should use, rounded to a quarter octave (2^(k/4)) — or 0 when no second pass
/// is needed: the option is off, fewer than
/// two characters were found, their median height is within scale_tolerance of
/// the target, or the canvas and max_auto_magnify leave less than 10 % of change.
/// Pure.
float rescale_magnify(const CharGraph& graph, const ScoreMaps& maps, cv::Size image,
                      const CraftConfig& config);

}  // namespace ocr2s::craft
