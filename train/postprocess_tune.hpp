// Postprocessor threshold search (`ocr2s train thresholds`): the detector's score
// maps are computed once per validation image, then every setting of a grid of
// CraftConfig postprocessing fields is scored on them. Pure: no Torch.
#pragma once

#include <string>
#include <vector>

#include "craft/maps.hpp"
#include "craft/render.hpp"
#include "detector_eval.hpp"
#include "ocr2s/config.hpp"

namespace ocr2s::train {

/// One validation image reduced to what the search needs.
struct TuneSample {
  craft::ScoreMaps maps;
  std::vector<craft::WordQuads> words;  ///< ground truth, image pixels
  std::string style;
};

/// Candidate values per field; a setting is one value of each (grow_threshold
/// values above the seed threshold are skipped).
struct TuneGrid {
  std::vector<float> seed_threshold{0.3f, 0.4f, 0.5f, 0.6f, 0.7f};
  std::vector<float> grow_threshold{0.2f, 0.3f, 0.4f, 0.5f};
  std::vector<float> split_depth{0.06f, 0.12f, 0.2f};
  std::vector<float> min_area{1.f, 3.f, 6.f};
  std::vector<float> max_aspect{6.f, 10.f};
  std::vector<float> link_threshold{0.2f, 0.3f, 0.4f, 0.5f};
};

struct TuneResult {
  CraftConfig config;
  Prf chars;  ///< characters at IoU ≥ 0.5
  /// Links between matched characters: a true link joins consecutive characters
  /// of one annotated word.
  Prf links;
  std::map<std::string, Prf> chars_per_style;
};

/// Scores one configuration on every sample.
TuneResult score_config(const std::vector<TuneSample>& samples, const CraftConfig& config);

/// Searches the character fields of `grid` (every combination, link threshold at
/// base's value), ranks by character F1, then searches link_threshold for the
/// best of them by link F1. Returns every character setting scored, best first;
/// the first element carries the chosen link threshold and its link figures.
std::vector<TuneResult> search_thresholds(const std::vector<TuneSample>& samples,
                                          const CraftConfig& base, const TuneGrid& grid);

}  // namespace ocr2s::train
