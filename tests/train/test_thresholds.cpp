// Postprocessor threshold search (train/postprocess_tune): scoring on rendered
// targets, where the right answer is known.
#include <catch2/catch.hpp>

#include <cmath>

#include "craft/layouts.hpp"
#include "postprocess_tune.hpp"

using namespace ocr2s;
using namespace ocr2s::train;

namespace {

std::vector<TuneSample> rendered_samples(int n) {
  std::vector<TuneSample> out;
  for (int s = 0; s < n; ++s) {
    const auto layout = craft::test::random_layout(7000u + static_cast<std::uint32_t>(s));
    const cv::Size map_size((layout.image_size.width + 1) / 2, (layout.image_size.height + 1) / 2);
    out.push_back({craft::render_targets(layout.words, map_size, craft::MapTransform{}), layout.words,
                   s % 2 == 0 ? "even" : "odd"});
  }
  return out;
}

}  // namespace

TEST_CASE("threshold search: perfect maps score near 1, and links are judged", "[train][thresholds]") {
  const auto samples = rendered_samples(20);
  const TuneResult r = score_config(samples, CraftConfig{});
  INFO("chars P " << r.chars.precision() << " R " << r.chars.recall() << ", links P "
                  << r.links.precision() << " R " << r.links.recall());
  CHECK(r.chars.f1() > 0.97);
  CHECK(r.links.f1() > 0.97);
  CHECK(r.chars_per_style.size() == 2);
  CHECK(r.chars_per_style.at("even").tp + r.chars_per_style.at("odd").tp == r.chars.tp);

  // With the affinity map erased nothing is linked: every expected link is a miss.
  auto unlinked = samples;
  for (auto& s : unlinked) s.maps.affinity.setTo(0.f);
  const TuneResult u = score_config(unlinked, CraftConfig{});
  CHECK(u.links.tp == 0);
  CHECK(u.links.fn > 0);
  CHECK(u.chars.tp == r.chars.tp);

  // A seed threshold above every peak finds nothing.
  CraftConfig high;
  high.seed_threshold = 1.0f;
  high.grow_threshold = 0.99f;
  auto dimmed = samples;
  for (auto& s : dimmed) s.maps.region *= 0.9;
  CHECK(score_config(dimmed, high).chars.tp == 0);
}

TEST_CASE("threshold search: ranks by character F1 and keeps the grid's constraints", "[train][thresholds]") {
  auto samples = rendered_samples(10);
  for (auto& s : samples) s.maps.region *= 0.55;  // peaks ≈ 0.55: seeds above that miss all
  TuneGrid g;
  g.seed_threshold = {0.3f, 0.7f};
  g.grow_threshold = {0.2f, 0.5f};
  g.split_depth = {0.12f};
  g.min_area = {3.f};
  g.max_aspect = {6.f};
  g.link_threshold = {0.1f, 0.3f};
  const auto ranked = search_thresholds(samples, CraftConfig{}, g);
  // (0.3, 0.2), (0.7, 0.2), (0.7, 0.5); (0.3, 0.5) is skipped: grow above seed.
  REQUIRE(ranked.size() == 3);
  CHECK(ranked.front().config.seed_threshold == Approx(0.3f));
  CHECK(ranked.front().chars.f1() > 0.9);
  CHECK(ranked.back().chars.tp == 0);
  for (std::size_t i = 1; i < ranked.size(); ++i) CHECK(ranked[i - 1].chars.f1() >= ranked[i].chars.f1());
  for (const auto& r : ranked) CHECK(r.config.grow_threshold <= r.config.seed_threshold);
}
