// [assemble] build_lines on jittered scenes: what a real detector hands over is
// never exact. Fixed seeds; the random numbers come from std::mt19937's raw output
// (specified by the standard), not from a distribution (whose algorithm is not),
// so the scenes are the same with every standard library.
#include <cstdint>
#include <random>

#include <catch2/catch.hpp>

#include "assemble/fixtures.hpp"
#include "assemble/layout.hpp"

using namespace ocr2s;
using namespace ocr2s::assemble;

namespace {

struct Rng {
  std::mt19937 gen;
  explicit Rng(std::uint32_t seed) : gen(seed) {}
  // Uniform in [lo, hi).
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(gen() >> 8) / static_cast<float>(1u << 24);
  }
};

struct Scene {
  craft::CharGraph graph;
  std::vector<std::vector<int>> lines;  // node indices per line, reading order
};

// `rows` lines of `cols` characters at angle `deg`, `pitch` heights apart; centres
// jittered by ±jitter·h, sizes by ±10%, each box's own angle by ±5°, link weights
// in [0.4, 0.9], plus `spurious` links of weight [0.9, 1] — stronger than any true
// one — between random characters of neighbouring lines.
Scene make_scene(Rng& rng, float deg, int rows, int cols, float pitch, float jitter, int spurious) {
  const float h = 24.f;
  const cv::Point2f d = test::unit(deg);
  const cv::Point2f n(-d.y, d.x);
  const cv::Point2f o(300.f, 200.f);
  Scene s;
  for (int r = 0; r < rows; ++r) {
    std::vector<int> line;
    for (int c = 0; c < cols; ++c) {
      const float hh = h * rng.uniform(0.9f, 1.1f);
      const float ww = 0.6f * h * rng.uniform(0.9f, 1.1f);
      const cv::Point2f centre =
          o + d * (0.8f * h * static_cast<float>(c) + jitter * h * rng.uniform(-1.f, 1.f)) +
          n * (pitch * h * static_cast<float>(r) + jitter * h * rng.uniform(-1.f, 1.f));
      const Quad q = oriented_rect(centre, test::unit(deg + rng.uniform(-5.f, 5.f)), ww, hh);
      line.push_back(static_cast<int>(s.graph.nodes.size()));
      s.graph.nodes.push_back(craft::CharNode{q, /*peak=*/0.9f, /*area=*/q.area()});
      if (c > 0)
        s.graph.links.push_back({line[line.size() - 2], line.back(), rng.uniform(0.4f, 0.9f)});
    }
    s.lines.push_back(line);
  }
  for (int k = 0; k < spurious && rows > 1; ++k) {
    const int r = static_cast<int>(rng.uniform(0.f, static_cast<float>(rows - 1)));
    const int a = s.lines[static_cast<std::size_t>(r)]
                         [static_cast<std::size_t>(rng.uniform(0.f, static_cast<float>(cols)))];
    const int b = s.lines[static_cast<std::size_t>(r + 1)]
                         [static_cast<std::size_t>(rng.uniform(0.f, static_cast<float>(cols)))];
    s.graph.links.push_back({std::min(a, b), std::max(a, b), rng.uniform(0.9f, 1.0f)});
  }
  return s;
}

}  // namespace

TEST_CASE("build_lines: jittered multi-line scenes at angles within ±40°", "[assemble]") {
  // 200 scenes of 3 lines × 8 characters at random angles in ±40°, lines only 1.15
  // heights apart (0.15 h of white between them, less where sizes are jittered
  // up), centres off by up to ±10% of a height, 4 false cross-line links each.
  // Every line must come back whole, in reading order and as one word (a lost
  // true link would show as a spurious space). Box angles within ±5° keep every
  // box's axis on the right side of 45°, which layout.hpp assumes.
  int failures = 0;
  for (std::uint32_t seed = 1; seed <= 200; ++seed) {
    Rng rng(seed);
    const float deg = rng.uniform(-40.f, 40.f);
    const Scene s = make_scene(rng, deg, /*rows=*/3, /*cols=*/8, /*pitch=*/1.15f, /*jitter=*/0.1f,
                               /*spurious=*/4);
    const auto lines = build_lines(s.graph, AssembleConfig{});
    bool ok = lines.size() == s.lines.size();
    for (std::size_t i = 0; ok && i < lines.size(); ++i) {
      std::vector<int> got;
      for (const auto& c : lines[i].chars) {
        got.push_back(c.node);
        ok = ok && c.word == 0;
      }
      ok = ok && got == s.lines[i];
    }
    if (!ok) {
      ++failures;
      UNSCOPED_INFO("seed " << seed << " angle " << deg << ": " << lines.size() << " lines");
    }
  }
  CHECK(failures == 0);
}
