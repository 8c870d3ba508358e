// Detector validation: character-level precision / recall / F1 at IoU ≥ 0.5,
// through the real postprocessor (craft::postprocess). Pure — the network is
// reached through a callable, so this file does not include Torch.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "craft/maps.hpp"
#include "detector_data.hpp"
#include "ocr2s/config.hpp"
#include "ocr2s/geometry.hpp"

namespace ocr2s::train {

/// Counts of a matching: true positives, false positives, false negatives.
struct Prf {
  long tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp > 0 ? static_cast<double>(tp) / (tp + fp) : 1.0; }
  double recall() const { return tp + fn > 0 ? static_cast<double>(tp) / (tp + fn) : 1.0; }
  double f1() const {
    const double d = 2.0 * tp + fp + fn;
    return d > 0 ? 2.0 * tp / d : 1.0;
  }
  Prf& operator+=(const Prf& o) {
    tp += o.tp; fp += o.fp; fn += o.fn;
    return *this;
  }
};

/// Truth index → detection index (−1: missed), by the greedy one-to-one
/// matching of match_characters.
std::vector<int> match_indices(const std::vector<Quad>& truth, const std::vector<Quad>& detected,
                               float iou_threshold = 0.5f);

/// The counts of a matching from match_indices (`detected` detections in all).
Prf counts(const std::vector<int>& to_det, std::size_t detected);

/// Greedy one-to-one matching of detections to ground truth: all pairs with
/// IoU ≥ threshold (ocr2s::quad_iou), taken in decreasing IoU order.
Prf match_characters(const std::vector<Quad>& truth, const std::vector<Quad>& detected,
                     float iou_threshold = 0.5f);

struct DetectionReport {
  Prf overall;
  std::map<std::string, Prf> per_style;
  std::size_t images = 0;
};

/// Image (BGR) → score maps, e.g. the Detector runner or the network in training.
using MapsFn = std::function<craft::ScoreMaps(const cv::Mat&)>;

/// Runs `maps` on every image of `data` (at most `limit` when > 0), postprocesses
/// with `config`, matches against the annotated characters.
DetectionReport evaluate_detector(const MapsFn& maps, const DetectorDataset& data,
                                  const CraftConfig& config = {}, std::size_t limit = 0);

/// "P 0.991 R 0.987 F1 0.989 (tp 1234, fp 11, fn 16); printed 0.995, …"
std::string format_report(const DetectionReport& r);

/// A Markdown table: style | images | chars | precision | recall | F1.
std::string report_table(const DetectionReport& r, const DetectorDataset& data);

}  // namespace ocr2s::train
