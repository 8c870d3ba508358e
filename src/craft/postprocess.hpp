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

}  // namespace ocr2s::craft
