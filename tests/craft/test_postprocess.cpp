// Postprocessor: score maps → character graph. Edge cases and the pieces of the
// round trip one at a time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/quad_ops.hpp"
#include "craft/postprocess.hpp"
#include "craft/render.hpp"
#include "layouts.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::craft {
namespace {

Quad box(float x, float y, float w, float h) {
  return Quad::from_rect(cv::Rect2f(x, y, w, h));
}

ScoreMaps render(const std::vector<WordQuads>& words, cv::Size map_size) {
  return render_targets(words, map_size, MapTransform{});
}

// Index of the node whose centre is nearest to p.
int nearest_node(const CharGraph& g, cv::Point2f p) {
  int best = -1;
  double best_d = std::numeric_limits<double>::max();
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    const double d = cv::norm(g.nodes[n].quad.center() - p);
    if (d < best_d) {
      best_d = d;
      best = static_cast<int>(n);
    }
  }
  return best;
}

bool has_link(const CharGraph& g, int a, int b) {
  return std::any_of(g.links.begin(), g.links.end(),
                     [&](const Link& l) { return l.a == std::min(a, b) && l.b == std::max(a, b); });
}

ScoreMaps blank(cv::Size size) {
  return ScoreMaps{cv::Mat::zeros(size, CV_32FC1), cv::Mat::zeros(size, CV_32FC1), MapTransform{}};
}

}  // namespace

TEST_CASE("postprocess: invalid maps are InputErrors that say what is wrong", "[craft]") {
  const CraftConfig config;
  const cv::Size size(40, 30);
  SECTION("empty") {
    ScoreMaps maps = blank(size);
    maps.region = cv::Mat();
    CHECK_THROWS_AS(postprocess(maps, config), InputError);
    CHECK_THROWS_WITH(postprocess(maps, config), Catch::Contains("region map is empty"));
    maps = blank(size);
    maps.affinity = cv::Mat();
    CHECK_THROWS_WITH(postprocess(maps, config), Catch::Contains("affinity map is empty"));
  }
  SECTION("wrong type") {
    ScoreMaps maps = blank(size);
    maps.region = cv::Mat::zeros(size, CV_8UC1);
    CHECK_THROWS_AS(postprocess(maps, config), InputError);
    CHECK_THROWS_WITH(postprocess(maps, config),
                      Catch::Contains("CV_8UC1") && Catch::Contains("CV_32FC1"));
    maps = blank(size);
    maps.affinity = cv::Mat::zeros(size, CV_64FC1);
    CHECK_THROWS_WITH(postprocess(maps, config),
                      Catch::Contains("affinity") && Catch::Contains("CV_64FC1"));
    maps = blank(size);
    maps.region = cv::Mat::zeros(size, CV_32FC2);
    CHECK_THROWS_WITH(postprocess(maps, config), Catch::Contains("CV_32FC2"));
  }
  SECTION("mismatched sizes") {
    ScoreMaps maps = blank(size);
    maps.affinity = cv::Mat::zeros(cv::Size(40, 31), CV_32FC1);
    CHECK_THROWS_AS(postprocess(maps, config), InputError);
    CHECK_THROWS_WITH(postprocess(maps, config),
                      Catch::Contains("40x30") && Catch::Contains("40x31"));
  }
  SECTION("NaN or infinity, with its position") {
    ScoreMaps maps = blank(size);
    maps.region.at<float>(2, 3) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(postprocess(maps, config), InputError);
    CHECK_THROWS_WITH(postprocess(maps, config), Catch::Contains("region") &&
                                                     Catch::Contains("nan") &&
                                                     Catch::Contains("(3, 2)"));
    maps = blank(size);
    maps.affinity.at<float>(29, 39) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(postprocess(maps, config), Catch::Contains("affinity") &&
                                                     Catch::Contains("inf") &&
                                                     Catch::Contains("(39, 29)"));
    maps = blank(size);
    maps.region.at<float>(0, 0) = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(postprocess(maps, config), InputError);
  }
  SECTION("a map transform without a positive step") {
    ScoreMaps maps = blank(size);
    maps.to_image.step = {0.f, 2.f};
    CHECK_THROWS_AS(postprocess(maps, config), InputError);
  }
}

TEST_CASE("postprocess: thresholds outside their documented ranges are ConfigErrors", "[craft]") {
  const ScoreMaps maps = blank(cv::Size(8, 8));
  CraftConfig c;
  c.grow_threshold = 0.6f;  // above seed_threshold 0.5
  CHECK_THROWS_AS(postprocess(maps, c), ConfigError);
  CHECK_THROWS_WITH(postprocess(maps, c), Catch::Contains("grow_threshold"));
  c = CraftConfig{};
  c.seed_threshold = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(postprocess(maps, c), ConfigError);
  c = CraftConfig{};
  c.grow_threshold = 0.f;
  CHECK_THROWS_AS(postprocess(maps, c), ConfigError);
  c = CraftConfig{};
  c.max_aspect = 0.5f;
  CHECK_THROWS_AS(postprocess(maps, c), ConfigError);
  CHECK_NOTHROW(postprocess(maps, CraftConfig{}));
}

TEST_CASE("postprocess: constant maps and maps without text give an empty graph", "[craft]") {
  const CraftConfig config;
  for (const float level : {0.f, 0.4f, 0.7f, 1.f}) {
    ScoreMaps maps = blank(cv::Size(64, 32));
    maps.region.setTo(level);
    maps.affinity.setTo(level);
    const CharGraph g = postprocess(maps, config);
    INFO("level " << level);
    CHECK(g.nodes.empty());
    CHECK(g.links.empty());
  }
  // Noise alone (σ 0.03, as in the round trip) never reaches the grow threshold.
  ScoreMaps noise = blank(cv::Size(160, 80));
  test::add_noise(noise, /*sigma=*/0.03, /*seed=*/7);
  CHECK(postprocess(noise, config).nodes.empty());
}

TEST_CASE("postprocess: one character comes back with its quad, peak and area", "[craft]") {
  // 30 × 50 image px at 15° in a 100 × 80 image (maps at half resolution).
  const float a = 15.f * static_cast<float>(CV_PI) / 180.f;
  const Quad q = oriented_rect(cv::Point2f(51.3f, 40.6f), cv::Point2f(std::cos(a), std::sin(a)),
                               /*width=*/30.f, /*height=*/50.f);
  const CharGraph g = postprocess(render({WordQuads{{q}}}, cv::Size(50, 40)), CraftConfig{});
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.links.empty());
  const CharNode& n = g.nodes[0];
  // Noise-free inversion: the residue is pixel sampling of a 15 × 25 map-pixel blob.
  CHECK(quad_iou(q, n.quad) >= 0.97f);
  CHECK(n.quad.width() == Approx(30.0).epsilon(0.03));
  CHECK(n.quad.height() == Approx(50.0).epsilon(0.03));
  CHECK(n.quad.angle_deg() == Approx(15.0).margin(1.0));
  CHECK(n.peak == Approx(1.0).margin(0.01));
  // Area at the grow threshold t: an ellipse with semi-axes r·W and r·H,
  // r² = 2σ² ln(peak / t), in image pixels².
  const double r2 = 2.0 * kGaussianSigma * kGaussianSigma * std::log(1.0 / CraftConfig{}.grow_threshold);
  CHECK(n.area == Approx(CV_PI * r2 * 30.0 * 50.0).epsilon(0.05));
  // Vertex order tl, tr, br, bl in the provisional frame (x axis closest to "right").
  CHECK(n.quad.pts[1].x > n.quad.pts[0].x);
  CHECK(n.quad.pts[3].y > n.quad.pts[0].y);
}

TEST_CASE("postprocess: touching and overlapping characters are split at the saddle", "[craft]") {
  // 20 × 40 map-pixel characters (40 × 80 image px).
  SECTION("touching: two nodes and one link") {
    const std::vector<WordQuads> words{WordQuads{{box(20, 20, 40, 80), box(60, 20, 40, 80)}}};
    const CharGraph g = postprocess(render(words, cv::Size(60, 60)), CraftConfig{});
    REQUIRE(g.nodes.size() == 2);
    const int a = nearest_node(g, {40, 60}), b = nearest_node(g, {80, 60});
    CHECK(a != b);
    CHECK(quad_iou(g.nodes[a].quad, box(20, 20, 40, 80)) >= 0.9f);
    CHECK(quad_iou(g.nodes[b].quad, box(60, 20, 40, 80)) >= 0.9f);
    REQUIRE(g.links.size() == 1);
    CHECK(has_link(g, a, b));
    CHECK(g.links[0].weight >= 0.9f);  // the affinity target peaks at 1 between them
  }
  SECTION("overlapping by 30%: one blob at the grow threshold, still two nodes") {
    // Centres 14 map px apart, σ·W = 5 px: the midpoint reads exp(-8·0.35²) ≈ 0.37,
    // above grow (0.3), so the two are one connected blob; the saddle is 0.63 below
    // the peaks, far deeper than split_depth.
    const Quad left = box(20, 20, 40, 80), right = box(48, 20, 40, 80);
    ScoreMaps maps = render({WordQuads{{left}}, WordQuads{{right}}}, cv::Size(60, 60));
    CHECK(maps.region.at<float>(30, 24) >= 0.3f);  // the blob is connected
    const CharGraph g = postprocess(maps, CraftConfig{});
    REQUIRE(g.nodes.size() == 2);
    CHECK(g.links.empty());  // two words: no affinity rendered
  }
  SECTION("peaks closer than split_depth are one character") {
    // Centres 3 map px apart: the saddle is within 0.05 of the peaks.
    ScoreMaps maps = render({WordQuads{{box(20, 20, 40, 80)}}, WordQuads{{box(26, 20, 40, 80)}}},
                            cv::Size(60, 60));
    CHECK(postprocess(maps, CraftConfig{}).nodes.size() == 1);
    // ... and two when split_depth asks for almost no depth.
    CraftConfig shallow;
    shallow.split_depth = 0.f;
    CHECK(postprocess(maps, shallow).nodes.size() == 2);
  }
}

TEST_CASE("postprocess: weak and implausible blobs are not characters", "[craft]") {
  // CRAFT's own thresholds (text 0.5, low text 0.3); the library's defaults seed
  // lower and leave weak peaks to CraftConfig::confirm_threshold (see below).
  CraftConfig config;
  config.seed_threshold = 0.5f;
  config.grow_threshold = 0.3f;
  SECTION("a blob peaking below seed_threshold") {
    ScoreMaps maps = render({WordQuads{{box(20, 20, 40, 60)}}}, cv::Size(50, 50));
    maps.region *= 0.45;  // above grow (0.3) at its peak, below seed (0.5)
    CHECK(postprocess(maps, config).nodes.empty());
    maps.region *= 0.55 / 0.45;
    CHECK(postprocess(maps, config).nodes.size() == 1);
  }
  SECTION("a weak bump touching a character is absorbed, not a second node") {
    ScoreMaps maps = render({WordQuads{{box(20, 20, 40, 60)}}}, cv::Size(50, 50));
    ScoreMaps bump = render({WordQuads{{box(50, 20, 30, 60)}}}, cv::Size(50, 50));
    cv::max(maps.region, bump.region * 0.45, maps.region);  // overlaps the character's flank
    CHECK(postprocess(maps, config).nodes.size() == 1);
    // With the defaults the bump is seeded as a node of its own, with a peak below
    // confirm_threshold: the reader reads it and flags it (assemble::mark_unsure).
    const CraftConfig defaults;
    const CharGraph g = postprocess(maps, defaults);
    REQUIRE(g.nodes.size() == 2);
    const float weak = std::min(g.nodes[0].peak, g.nodes[1].peak);
    CHECK(weak < defaults.confirm_threshold);
    CHECK(std::max(g.nodes[0].peak, g.nodes[1].peak) >= defaults.confirm_threshold);
  }
  SECTION("a single bright pixel is below min_area") {
    ScoreMaps maps = blank(cv::Size(20, 20));
    maps.region.at<float>(10, 10) = 0.9f;
    CHECK(postprocess(maps, config).nodes.empty());
  }
  SECTION("a long bar exceeds max_aspect") {
    // 120 × 10 image px: aspect 12 > 6.
    const ScoreMaps maps = render({WordQuads{{box(10, 20, 120, 10)}}}, cv::Size(80, 30));
    CHECK(postprocess(maps, config).nodes.empty());
    CraftConfig lenient;
    lenient.max_aspect = 20.f;
    CHECK(postprocess(maps, lenient).nodes.size() == 1);
  }
}

TEST_CASE("postprocess: links join consecutive characters only", "[craft]") {
  // Two lines 0.3 heights apart: a word of 6 and two words of 3 and 2; characters
  // 24 × 40 image px, 12 px apart.
  std::vector<WordQuads> words(3);
  std::vector<Quad> top, bottom;
  for (int i = 0; i < 6; ++i) top.push_back(box(10.f + 36.f * i, 10, 24, 40));
  for (int i = 0; i < 5; ++i) bottom.push_back(box(10.f + 36.f * i + 10.f, 62, 24, 40));
  words[0].chars = top;
  words[1].chars = {bottom[0], bottom[1], bottom[2]};
  words[2].chars = {bottom[3], bottom[4]};
  const CharGraph g = postprocess(render(words, cv::Size(120, 60)), CraftConfig{});
  REQUIRE(g.nodes.size() == 11);
  std::vector<int> t, b;
  for (const Quad& q : top) t.push_back(nearest_node(g, q.center()));
  for (const Quad& q : bottom) b.push_back(nearest_node(g, q.center()));
  for (int i = 0; i + 1 < 6; ++i) CHECK(has_link(g, t[i], t[i + 1]));
  CHECK(has_link(g, b[0], b[1]));
  CHECK(has_link(g, b[1], b[2]));
  CHECK(has_link(g, b[3], b[4]));
  CHECK_FALSE(has_link(g, b[2], b[3]));  // word boundary
  // Exactly those 8: no i–i+2, nothing across the lines.
  CHECK(g.links.size() == 8);
  for (const Link& l : g.links) {
    CHECK(l.a < l.b);
    CHECK(l.weight >= 0.3f);
    CHECK(l.weight <= 1.f);
  }
  CHECK(std::is_sorted(g.links.begin(), g.links.end(), [](const Link& x, const Link& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  }));
}

TEST_CASE("postprocess: deterministic, and indifferent to ROI views and the transform", "[craft]") {
  const test::Layout layout = test::random_layout(/*seed=*/77);
  const cv::Size size(layout.image_size.width / 2, layout.image_size.height / 2);
  ScoreMaps maps = render(layout.words, size);
  test::add_noise(maps, /*sigma=*/0.03, /*seed=*/77);
  const CharGraph g1 = postprocess(maps, CraftConfig{});
  REQUIRE(g1.nodes.size() >= 5);
  // Identical graphs, up to a shift of the quads. Quads and link weights agree to
  // float rounding (the shift is applied in float before the affinity is sampled
  // back in map coordinates), peaks exactly.
  const auto same = [](const CharGraph& a, const CharGraph& b, cv::Point2f shift) {
    if (a.nodes.size() != b.nodes.size() || a.links.size() != b.links.size()) return false;
    for (std::size_t i = 0; i < a.nodes.size(); ++i) {
      for (int k = 0; k < 4; ++k) {
        if (cv::norm(a.nodes[i].quad.pts[k] + shift - b.nodes[i].quad.pts[k]) > 1e-3) return false;
      }
      if (a.nodes[i].peak != b.nodes[i].peak) return false;
    }
    for (std::size_t i = 0; i < a.links.size(); ++i) {
      if (a.links[i].a != b.links[i].a || a.links[i].b != b.links[i].b) return false;
      if (std::fabs(a.links[i].weight - b.links[i].weight) > 1e-4f) return false;
    }
    return true;
  };
  CHECK(same(g1, postprocess(maps, CraftConfig{}), {0.f, 0.f}));

  // The same maps as views into larger ones (not continuous in memory).
  cv::Mat big_region(size.height + 4, size.width + 6, CV_32FC1, cv::Scalar(0.f));
  cv::Mat big_affinity(size.height + 4, size.width + 6, CV_32FC1, cv::Scalar(0.f));
  const cv::Rect roi(3, 2, size.width, size.height);
  maps.region.copyTo(big_region(roi));
  maps.affinity.copyTo(big_affinity(roi));
  ScoreMaps views{big_region(roi), big_affinity(roi), MapTransform{}};
  REQUIRE_FALSE(views.region.isContinuous());
  CHECK(same(g1, postprocess(views, CraftConfig{}), {0.f, 0.f}));

  // An offset moves every quad by exactly that much.
  ScoreMaps shifted = maps;
  shifted.to_image.offset = {100.f, 50.f};
  CHECK(same(g1, postprocess(shifted, CraftConfig{}), {100.f, 50.f}));
}

TEST_CASE("postprocess: a page of 1500 characters", "[craft]") {
  // 30 lines of 50 characters 24 px tall: the neighbour grid keeps linking linear,
  // and every character and link must still come out.
  std::vector<WordQuads> words(30);
  for (int l = 0; l < 30; ++l) {
    for (int i = 0; i < 50; ++i)
      words[l].chars.push_back(box(8.f + 24.f * i, 8.f + 36.f * l, 16, 24));
  }
  const CharGraph g = postprocess(render(words, cv::Size(608, 548)), CraftConfig{});
  CHECK(g.nodes.size() == 1500);
  CHECK(g.links.size() == 30 * 49);
  for (const Link& l : g.links) {
    // Consecutive characters of one line: 24 px apart along x, same y.
    const cv::Point2f d = g.nodes[l.b].quad.center() - g.nodes[l.a].quad.center();
    REQUIRE(std::fabs(std::fabs(d.x) - 24.f) < 1.f);
    REQUIRE(std::fabs(d.y) < 1.f);
  }
}

}  // namespace ocr2s::craft

namespace ocr2s::craft {
namespace {

// A graph of n characters of height h (image pixels) with the given peaks.
CharGraph characters_of_height(float h, const std::vector<float>& peaks) {
  CharGraph g;
  for (std::size_t i = 0; i < peaks.size(); ++i) {
    g.nodes.push_back({box(10.f + 0.8f * h * static_cast<float>(i), 10.f, 0.6f * h, h), peaks[i], 0.f});
  }
  return g;
}

// Maps computed at `scale` network pixels per image pixel (step 2 / scale).
ScoreMaps maps_at(float scale) {
  ScoreMaps m = blank(cv::Size(8, 8));
  m.to_image.step = {2.f / scale, 2.f / scale};
  return m;
}

}  // namespace

TEST_CASE("rescale_magnify: a second pass brings the characters to the target height", "[craft]") {
  CraftConfig c;  // target 48 network px, tolerance 1.4
  c.max_auto_magnify = 2.f;
  const cv::Size image(600, 200);
  const std::vector<float> confident(5, 0.9f);

  // Magnifications are quarter octaves, 2^(k/4): 2^(6/4) = 2.83 is the nearest to 3.
  const float q6 = std::exp2(1.5f), q2 = std::exp2(0.5f), qm7 = std::exp2(-1.75f);
  // 16-px characters seen at scale 1: 3× would reach 48 px; max_auto_magnify caps it,
  // the default (2.5) as well as 2.
  CHECK(rescale_magnify(characters_of_height(16.f, confident), maps_at(1.f), image, c) == Approx(2.f));
  CHECK(rescale_magnify(characters_of_height(16.f, confident), maps_at(1.f), image,
                        CraftConfig{}) == Approx(2.5f));
  c.max_auto_magnify = 4.f;
  CHECK(rescale_magnify(characters_of_height(16.f, confident), maps_at(1.f), image, c) == Approx(q6));
  // The first pass's scale counts: 16-px characters already seen at scale 2 are 32
  // network px: 1.5× more, i.e. a magnification of 3 = 48 / 16, reaches the target.
  // (A 400-px image: at 3× it still fits the 1280-px canvas.)
  CHECK(rescale_magnify(characters_of_height(16.f, confident), maps_at(2.f), cv::Size(400, 100), c) ==
        Approx(q6));
  // 160-px characters are scaled down to 0.3 (2^(-7/4) = 0.297); 480-px ones stop at 0.25.
  CHECK(rescale_magnify(characters_of_height(160.f, confident), maps_at(1.f), image, c) == Approx(qm7));
  CHECK(rescale_magnify(characters_of_height(480.f, confident), maps_at(1.f), image, c) == Approx(0.25f));

  // Within the tolerance (48 / 1.4 = 34.3 to 67.2 px): one pass is enough.
  CHECK(rescale_magnify(characters_of_height(36.f, confident), maps_at(1.f), image, c) == 0.f);
  CHECK(rescale_magnify(characters_of_height(64.f, confident), maps_at(1.f), image, c) == 0.f);
  c.scale_tolerance = 1.2f;
  CHECK(rescale_magnify(characters_of_height(36.f, confident), maps_at(1.f), image, c) == Approx(q2));  // 1.33
}

TEST_CASE("rescale_magnify: the median of the confident characters decides", "[craft]") {
  CraftConfig c;
  c.max_auto_magnify = 2.f;  // 16-px characters ask for 2.83×: 2 says they were the ones measured
  const cv::Size image(600, 200);
  // Three confident 16-px characters and two weak 60-px blobs: the weak ones do
  // not count while at least two confident ones exist.
  CharGraph g = characters_of_height(16.f, {0.9f, 0.9f, 0.9f});
  const CharGraph big = characters_of_height(60.f, {0.3f, 0.3f});
  g.nodes.insert(g.nodes.end(), big.nodes.begin(), big.nodes.end());
  CHECK(rescale_magnify(g, maps_at(1.f), image, c) == Approx(2.f));
  // With fewer than two confident characters every character counts: median 16.
  CHECK(rescale_magnify(characters_of_height(16.f, {0.9f, 0.3f, 0.3f}), maps_at(1.f), image, c) == Approx(2.f));
  // One outlier does not move the median.
  CharGraph h = characters_of_height(16.f, {0.9f, 0.9f, 0.9f, 0.9f});
  h.nodes.push_back(characters_of_height(300.f, {0.9f}).nodes[0]);
  CHECK(rescale_magnify(h, maps_at(1.f), image, c) == Approx(2.f));
}

TEST_CASE("rescale_magnify: off, too few characters, or held by the canvas", "[craft]") {
  CraftConfig c;
  c.max_auto_magnify = 2.f;
  const std::vector<float> confident(5, 0.9f);
  const CharGraph small = characters_of_height(16.f, confident);
  CHECK(rescale_magnify(small, maps_at(1.f), cv::Size(600, 200), c) > 0.f);
  CHECK(rescale_magnify(CharGraph{}, maps_at(1.f), cv::Size(600, 200), c) == 0.f);
  CHECK(rescale_magnify(characters_of_height(16.f, {0.9f}), maps_at(1.f), cv::Size(600, 200), c) == 0.f);
  // A 1280-px-wide image already fills the canvas: no magnification is reachable.
  CHECK(rescale_magnify(small, maps_at(1.f), cv::Size(1280, 300), c) == 0.f);
  // 1200 px: the canvas allows 1.067×, less than 10 % of change.
  CHECK(rescale_magnify(small, maps_at(1.f), cv::Size(1200, 300), c) == 0.f);
  // 800 px: the canvas allows 1.6×; the requested 2× is returned (input_geometry caps it).
  CHECK(rescale_magnify(small, maps_at(1.f), cv::Size(800, 300), c) == Approx(2.f));
  c.target_char_height = 0.f;
  CHECK(rescale_magnify(small, maps_at(1.f), cv::Size(600, 200), c) == 0.f);
}

TEST_CASE("quad geometry: coverage is the share of the second quad's area", "[craft]") {
  const Quad big = box(0, 0, 40, 40), small = box(10, 10, 10, 10);
  CHECK(quad_coverage(big, small) == Approx(1.f));
  CHECK(quad_coverage(small, big) == Approx(100.f / 1600.f));
  CHECK(quad_coverage(box(0, 0, 20, 40), big) == Approx(0.5f));
  // Vertex order does not matter; disjoint and degenerate quads cover nothing.
  const Quad reversed{{small.pts[3], small.pts[2], small.pts[1], small.pts[0]}};
  CHECK(quad_coverage(big, reversed) == Approx(1.f));
  CHECK(quad_coverage(box(100, 100, 5, 5), big) == 0.f);
  CHECK(quad_coverage(big, box(5, 5, 0, 10)) == 0.f);
}

}  // namespace ocr2s::craft
