// Postprocessor threshold search over cached score maps.
#include "postprocess_tune.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "craft/postprocess.hpp"

namespace ocr2s::train {

TuneResult score_config(const std::vector<TuneSample>& samples, const CraftConfig& config) {
  TuneResult r;
  r.config = config;
  for (const auto& s : samples) {
    const craft::CharGraph g = craft::postprocess(s.maps, config);
    std::vector<Quad> truth, det;
    std::vector<std::pair<int, int>> truth_links;  // truth indices of consecutive characters
    for (const auto& w : s.words) {
      const int first = static_cast<int>(truth.size());
      truth.insert(truth.end(), w.chars.begin(), w.chars.end());
      for (int k = first + 1; k < static_cast<int>(truth.size()); ++k) truth_links.emplace_back(k - 1, k);
    }
    det.reserve(g.nodes.size());
    for (const auto& node : g.nodes) det.push_back(node.quad);
    const auto to_det = match_indices(truth, det);

    const Prf c = counts(to_det, det.size());
    r.chars += c;
    r.chars_per_style[s.style] += c;

    // Links are judged only between matched characters: a link to a missed or
    // spurious character is the character's error, already counted.
    std::vector<int> to_truth(det.size(), -1);
    for (std::size_t i = 0; i < to_det.size(); ++i) {
      if (to_det[i] >= 0) to_truth[static_cast<std::size_t>(to_det[i])] = static_cast<int>(i);
    }
    std::set<std::pair<int, int>> found;  // detection pairs, a < b
    for (const auto& l : g.links) found.emplace(std::min(l.a, l.b), std::max(l.a, l.b));
    Prf lk;
    long expected = 0;
    for (const auto& [a, b] : truth_links) {
      const int da = to_det[static_cast<std::size_t>(a)], db = to_det[static_cast<std::size_t>(b)];
      if (da < 0 || db < 0) continue;
      ++expected;
      lk.tp += found.count({std::min(da, db), std::max(da, db)}) > 0;
    }
    lk.fn = expected - lk.tp;
    const std::set<std::pair<int, int>> truth_set(truth_links.begin(), truth_links.end());
    for (const auto& [a, b] : found) {
      const int ta = to_truth[static_cast<std::size_t>(a)], tb = to_truth[static_cast<std::size_t>(b)];
      if (ta < 0 || tb < 0) continue;
      if (truth_set.count({std::min(ta, tb), std::max(ta, tb)}) == 0) ++lk.fp;
    }
    r.links += lk;
  }
  return r;
}

std::vector<TuneResult> search_thresholds(const std::vector<TuneSample>& samples,
                                          const CraftConfig& base, const TuneGrid& grid) {
  std::vector<TuneResult> all;
  for (float seed : grid.seed_threshold) {
    for (float grow : grid.grow_threshold) {
      if (grow > seed) continue;
      for (float split : grid.split_depth) {
        for (float area : grid.min_area) {
          for (float aspect : grid.max_aspect) {
            CraftConfig c = base;
            c.seed_threshold = seed;
            c.grow_threshold = grow;
            c.split_depth = split;
            c.min_area = area;
            c.max_aspect = aspect;
            all.push_back(score_config(samples, c));
          }
        }
      }
    }
  }
  // Best character F1 first; ties keep grid order (stable).
  std::stable_sort(all.begin(), all.end(), [](const TuneResult& a, const TuneResult& b) {
    return a.chars.f1() > b.chars.f1();
  });
  if (!all.empty() && !grid.link_threshold.empty()) {
    TuneResult best = all.front();
    for (float link : grid.link_threshold) {
      CraftConfig c = all.front().config;
      c.link_threshold = link;
      TuneResult r = score_config(samples, c);
      if (r.links.f1() > best.links.f1()) best = std::move(r);
    }
    all.front() = std::move(best);
  }
  return all;
}

}  // namespace ocr2s::train
