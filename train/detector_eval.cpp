// Detector validation: character-level P/R/F1 at IoU ≥ 0.5 through craft::postprocess.
#include "detector_eval.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <tuple>

#include "core/quad_ops.hpp"
#include "postprocess_tune.hpp"

namespace ocr2s::train {

std::vector<int> match_indices(const std::vector<Quad>& truth, const std::vector<Quad>& detected,
                               float iou_threshold) {
  std::vector<std::tuple<float, std::size_t, std::size_t>> pairs;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const auto bt = truth[i].bounds();
    for (std::size_t j = 0; j < detected.size(); ++j) {
      if ((bt & detected[j].bounds()).area() <= 0.f) continue;
      const float iou = quad_iou(truth[i], detected[j]);
      if (iou >= iou_threshold) pairs.emplace_back(iou, i, j);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    return std::tie(std::get<1>(a), std::get<2>(a)) < std::tie(std::get<1>(b), std::get<2>(b));
  });
  std::vector<int> to_det(truth.size(), -1);
  std::vector<char> used_d(detected.size(), 0);
  for (const auto& [iou, i, j] : pairs) {
    if (to_det[i] >= 0 || used_d[j]) continue;
    to_det[i] = static_cast<int>(j);
    used_d[j] = 1;
  }
  return to_det;
}

Prf match_characters(const std::vector<Quad>& truth, const std::vector<Quad>& detected,
                     float iou_threshold) {
  return counts(match_indices(truth, detected, iou_threshold), detected.size());
}

Prf counts(const std::vector<int>& to_det, std::size_t detected) {
  Prf r;
  for (int d : to_det) r.tp += d >= 0;
  r.fn = static_cast<long>(to_det.size()) - r.tp;
  r.fp = static_cast<long>(detected) - r.tp;
  return r;
}

DetectionReport evaluate_detector(const MapsFn& maps, const DetectorDataset& data,
                                  const CraftConfig& config, std::size_t limit) {
  DetectionReport rep;
  const std::size_t n = limit > 0 ? std::min(limit, data.size()) : data.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& item = data.item(i);
    const Prf r = score_config({{maps(data.image(i)), item.words, item.style}}, config).chars;
    rep.overall += r;
    rep.per_style[item.style] += r;
    ++rep.images;
  }
  return rep;
}

std::string format_report(const DetectionReport& r) {
  std::ostringstream s;
  char buf[160];
  std::snprintf(buf, sizeof buf, "P %.4f R %.4f F1 %.4f (tp %ld, fp %ld, fn %ld; %zu images)",
                r.overall.precision(), r.overall.recall(), r.overall.f1(), r.overall.tp,
                r.overall.fp, r.overall.fn, r.images);
  s << buf;
  for (const auto& [style, p] : r.per_style) {
    std::snprintf(buf, sizeof buf, "; %s %.4f", style.c_str(), p.f1());
    s << buf;
  }
  return s.str();
}

std::string report_table(const DetectionReport& r, const DetectorDataset& data) {
  std::map<std::string, std::size_t> images;
  const std::size_t n = std::min(r.images, data.size());
  for (std::size_t i = 0; i < n; ++i) ++images[data.item(i).style];
  std::ostringstream s;
  s << "| style | images | characters | precision | recall | F1 |\n";
  s << "|---|---:|---:|---:|---:|---:|\n";
  char buf[200];
  const auto row = [&](const std::string& name, std::size_t imgs, const Prf& p) {
    std::snprintf(buf, sizeof buf, "| %s | %zu | %ld | %.4f | %.4f | %.4f |\n", name.c_str(), imgs,
                  p.tp + p.fn, p.precision(), p.recall(), p.f1());
    s << buf;
  };
  for (const auto& [style, p] : r.per_style) row(style, images[style], p);
  row("**all**", r.images, r.overall);
  return s.str();
}

}  // namespace ocr2s::train
