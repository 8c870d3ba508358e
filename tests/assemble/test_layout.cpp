// [assemble] graph → lines. Graphs are built here from quads placed in a known line
// frame, so directions, orders and heights have exact expected values. Geometric
// tolerances: 1e-3 px where the fit is exact in exact arithmetic (floats over
// coordinates of a few hundred px carry ~1e-5 relative error), wider ones are
// justified where they appear.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <catch2/catch.hpp>

#include "assemble/fixtures.hpp"
#include "assemble/layout.hpp"
#include "ocr2s/errors.hpp"

using namespace ocr2s;
using namespace ocr2s::assemble;
using ocr2s::test::add_word;
using ocr2s::test::dist;
using ocr2s::test::place;
using ocr2s::test::Slot;
using ocr2s::test::unit;
using ocr2s::test::word;

namespace {

constexpr float kH = 20.f;  // character height, px

// Reorders the graph's nodes (new index = position in perm of the old index's
// slot), remapping links, so that tests cannot pass by relying on node order.
craft::CharGraph permuted(const craft::CharGraph& g, const std::vector<int>& perm) {
  craft::CharGraph out;
  std::vector<int> new_index(g.nodes.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    out.nodes.push_back(g.nodes[static_cast<std::size_t>(perm[i])]);
    new_index[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  }
  for (const auto& l : g.links) {
    const int a = new_index[static_cast<std::size_t>(l.a)],
              b = new_index[static_cast<std::size_t>(l.b)];
    out.links.push_back({std::min(a, b), std::max(a, b), l.weight});
  }
  return out;
}

// A deterministic scramble: reversed halves interleaved.
std::vector<int> scramble(std::size_t n) {
  std::vector<int> p(n);
  std::iota(p.begin(), p.end(), 0);
  std::reverse(p.begin(), p.end());
  std::stable_partition(p.begin(), p.end(), [](int i) { return i % 2 == 1; });
  return p;
}

// The original node indices of a line's characters, in reading order.
std::vector<int> original_nodes(const LayoutLine& line, const std::vector<int>& perm) {
  std::vector<int> out;
  for (const auto& c : line.chars) out.push_back(perm[static_cast<std::size_t>(c.node)]);
  return out;
}

std::vector<int> range(int first, int count) {
  std::vector<int> v(static_cast<std::size_t>(count));
  std::iota(v.begin(), v.end(), first);
  return v;
}

float angle_deg(cv::Point2f d) {
  return std::atan2(d.y, d.x) * 180.f / 3.14159265358979f;
}

// Signed distance of p from the line's centre line (positive below, in its frame).
float across(const LayoutLine& line, cv::Point2f p) {
  const cv::Point2f n(-line.direction.y, line.direction.x);
  return (p - line.origin).dot(n);
}

void require_quad_near(const Quad& a, const Quad& b, float tol) {
  for (int k = 0; k < 4; ++k) {
    INFO("vertex " << k << ": (" << a.pts[k].x << ", " << a.pts[k].y << ") vs (" << b.pts[k].x
                   << ", " << b.pts[k].y << ")");
    REQUIRE(dist(a.pts[k], b.pts[k]) < tol);
  }
}

}  // namespace

TEST_CASE("build_lines: one horizontal line, nodes in scrambled order", "[assemble]") {
  const auto quads = place({50.f, 100.f}, /*deg=*/0.f, word(8, kH));
  craft::CharGraph g;
  add_word(g, quads);
  const auto perm = scramble(g.nodes.size());
  const auto lines = build_lines(permuted(g, perm), AssembleConfig{});

  REQUIRE(lines.size() == 1);
  const auto& line = lines[0];
  CHECK(original_nodes(line, perm) == range(0, 8));
  CHECK(line.direction.x == Approx(1.f).margin(1e-5));
  CHECK(line.direction.y == Approx(0.f).margin(1e-5));
  CHECK(line.height == Approx(kH).margin(1e-3));
  CHECK(across(line, quads[0].center()) == Approx(0.f).margin(1e-3));
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(line.chars[i].word == 0);
    require_quad_near(line.chars[i].quad, quads[i], 1e-3f);
  }
  // Encloses the characters exactly: from the first's left edge to the last's right.
  const float span = 0.8f * kH * 7 + 0.6f * kH;
  require_quad_near(line.quad,
                    oriented_rect({50.f - 0.3f * kH + 0.5f * span, 100.f}, {1.f, 0.f}, span, kH),
                    1e-3f);
}

TEST_CASE("build_lines: two lines are ordered top to bottom", "[assemble]") {
  craft::CharGraph g;
  add_word(g, place({40.f, 130.f}, 0.f, word(6, kH)));  // lower line first in the graph
  add_word(g, place({40.f, 100.f}, 0.f, word(6, kH)));
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 2);
  std::vector<int> identity(g.nodes.size());
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(original_nodes(lines[0], identity) == range(6, 6));
  CHECK(original_nodes(lines[1], identity) == range(0, 6));
}

namespace {

// A word of 4 and a word of 3 on one centre line, `gap` heights apart (edge to
// edge), not linked; the 3-character word's nodes come first when `second_first`.
craft::CharGraph two_words(float gap, bool second_first) {
  std::vector<Slot> slots = word(4, kH);
  for (const auto& s : word(3, kH, /*along0=*/(2.7f + gap + 0.3f) * kH)) slots.push_back(s);
  const auto quads = place({30.f, 60.f}, 0.f, slots);
  const std::vector<Quad> first(quads.begin(), quads.begin() + 4), second(quads.begin() + 4, quads.end());
  craft::CharGraph g;
  add_word(g, second_first ? second : first);
  add_word(g, second_first ? first : second);
  return g;
}

}  // namespace

TEST_CASE("build_lines: unlinked words on one centre line merge with increasing word index",
          "[assemble]") {
  // Word 2 starts 1.2 heights after word 1 ends (max_word_gap is 2).
  const craft::CharGraph g = two_words(1.2f, /*second_first=*/true);
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 1);
  std::vector<int> nodes, words;
  for (const auto& c : lines[0].chars) nodes.push_back(c.node), words.push_back(c.word);
  CHECK(nodes == std::vector<int>{3, 4, 5, 6, 0, 1, 2});
  CHECK(words == std::vector<int>{0, 0, 0, 0, 1, 1, 1});
}

TEST_CASE("build_lines: a field 2.5 heights to the right is a line of its own, not a word",
          "[assemble]") {
  // Two columns of a label: the right field starts 2.5 heights after the left one
  // ends (side-by-side fields sit 1.5 heights apart and more).
  const craft::CharGraph g = two_words(2.5f, /*second_first=*/false);
  CHECK(build_lines(g, AssembleConfig{}).size() == 2);
  AssembleConfig wide;
  wide.max_word_gap = 3.f;  // the old default joined them
  CHECK(build_lines(g, wide).size() == 1);
}

TEST_CASE("build_lines: a field of another type size 1.5 heights away is a line of its own",
          "[assemble]") {
  // A 4-character word and, to its right, a word 1.4 times as tall whose top is
  // level with the first word's (two blocks of a label set side by side in
  // different sizes). The gap is given in heights of the smaller word.
  auto graph = [](float gap, float ratio) {
    const float h2 = ratio * kH;
    const float start = 0.8f * kH * 3 + 0.3f * kH + gap * kH + 0.3f * h2;  // second's first centre
    craft::CharGraph g;
    add_word(g, place({40.f, 100.f}, 0.f, word(4, kH)));
    add_word(g, place({40.f, 100.f + 0.5f * (h2 - kH)}, 0.f, word(3, h2, start)));
    return g;
  };
  const AssembleConfig config;
  // Alike in size, 1.5 heights is a word space.
  CHECK(build_lines(graph(1.5f, 1.f), config).size() == 1);
  // Unlike: a separate line beyond max_unlike_word_gap, a word within it.
  CHECK(build_lines(graph(1.5f, 1.4f), config).size() == 2);
  CHECK(build_lines(graph(0.6f, 1.4f), config).size() == 1);
  // Within like_height_ratio the sizes count as alike.
  CHECK(build_lines(graph(1.5f, 1.15f), config).size() == 1);
  AssembleConfig off = config;
  off.max_unlike_word_gap = off.max_word_gap;
  CHECK(build_lines(graph(1.5f, 1.4f), off).size() == 1);
}

TEST_CASE("build_lines: two codes far apart on one row stay two lines, read left to right",
          "[assemble]") {
  // 8 heights apart (> max_word_gap = 2); the right code sits 0.2 heights higher,
  // which is the same row (< half a height) though a plain sort by y would put it first.
  craft::CharGraph g;
  add_word(g, place({40.f + 8.f * kH + 0.8f * kH * 4, 100.f - 0.2f * kH}, 0.f, word(4, kH)));
  add_word(g, place({40.f, 100.f}, 0.f, word(5, kH)));
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].chars.size() == 5);
  CHECK(lines[0].chars.front().node == 4);
  CHECK(lines[1].chars.size() == 4);
  CHECK(lines[1].chars.front().node == 0);
}

TEST_CASE("build_lines: two blocks side by side read block by block, not row by row",
          "[assemble]") {
  // A left block of three lines (1.6 heights apart) and, 4 heights to its right, a
  // block of two lines whose top sits 0.7 heights lower: row by row its first line
  // would come between the left block's first and second.
  const float step = 1.6f * kH, right_x = 40.f + 8.f * 0.8f * kH + 4.f * kH;
  craft::CharGraph g;
  add_word(g, place({right_x, 100.f + 0.7f * kH + step}, 0.f,
                    word(4, kH)));                                     // right, 2nd line: nodes 0-3
  add_word(g, place({40.f, 100.f + 2.f * step}, 0.f, word(6, kH)));    // left, 3rd: 4-9
  add_word(g, place({right_x, 100.f + 0.7f * kH}, 0.f, word(4, kH)));  // right, 1st: 10-13
  add_word(g, place({40.f, 100.f}, 0.f, word(8, kH)));                 // left, 1st: 14-21
  add_word(g, place({40.f, 100.f + step}, 0.f, word(5, kH)));          // left, 2nd: 22-26
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 5);
  std::vector<int> firsts;
  for (const auto& l : lines) firsts.push_back(l.chars.front().node);
  CHECK(firsts == std::vector<int>{14, 22, 4, 10, 0});
}

TEST_CASE("build_lines: a block below two side-by-side blocks comes after both", "[assemble]") {
  // Rows of blocks: the lower block starts below the taller upper block's bottom.
  const float step = 1.6f * kH, right_x = 40.f + 6.f * 0.8f * kH + 4.f * kH;
  craft::CharGraph g;
  add_word(g, place({40.f, 100.f + 5.f * step}, 0.f, word(10, kH)));  // lower block: 0-9
  add_word(g, place({right_x, 100.f}, 0.f, word(3, kH)));             // right: 10-12
  add_word(g, place({40.f, 100.f}, 0.f, word(6, kH)));                // left 1st: 13-18
  add_word(g, place({40.f, 100.f + step}, 0.f, word(6, kH)));         // left 2nd: 19-24
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 4);
  std::vector<int> firsts;
  for (const auto& l : lines) firsts.push_back(l.chars.front().node);
  CHECK(firsts == std::vector<int>{13, 19, 10, 0});
}

TEST_CASE("build_lines: text rotated by ±40°", "[assemble]") {
  const float deg = GENERATE(-40.f, 40.f);
  const auto quads = place({200.f, 200.f}, deg, word(7, kH));
  craft::CharGraph g;
  add_word(g, quads);
  // The postprocessor's vertex order is provisional: start each quad at a
  // different vertex; the line frame must restore top-left first.
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    std::rotate(g.nodes[i].quad.pts.begin(),
                g.nodes[i].quad.pts.begin() + static_cast<std::ptrdiff_t>(i % 4),
                g.nodes[i].quad.pts.end());
  }
  const auto perm = scramble(g.nodes.size());
  const auto lines = build_lines(permuted(g, perm), AssembleConfig{});
  INFO("angle " << deg);
  REQUIRE(lines.size() == 1);
  CHECK(original_nodes(lines[0], perm) == range(0, 7));
  CHECK(angle_deg(lines[0].direction) == Approx(deg).margin(1e-3));
  CHECK(lines[0].height == Approx(kH).margin(1e-3));
  for (std::size_t i = 0; i < 7; ++i) require_quad_near(lines[0].chars[i].quad, quads[i], 1e-3f);
  CHECK(lines[0].quad.angle_deg() == Approx(deg).margin(1e-3));
}

TEST_CASE("build_lines: a block of three lines rotated 30° reads line by line", "[assemble]") {
  const cv::Point2f o(100.f, 100.f);
  const cv::Point2f n(-unit(30.f).y, unit(30.f).x);
  std::vector<std::vector<Quad>> rows;
  for (int k = 0; k < 3; ++k)
    rows.push_back(place(o + n * (1.5f * kH * static_cast<float>(k)), 30.f, word(6, kH)));
  // Precondition that makes the test meaningful: by image y, the end of line 0
  // lies below the start of line 1.
  REQUIRE(rows[0].back().center().y > rows[1].front().center().y);

  craft::CharGraph g;
  for (int k = 2; k >= 0; --k) add_word(g, rows[static_cast<std::size_t>(k)]);  // bottom line first
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 3);
  std::vector<int> identity(g.nodes.size());
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(original_nodes(lines[0], identity) == range(12, 6));
  CHECK(original_nodes(lines[1], identity) == range(6, 6));
  CHECK(original_nodes(lines[2], identity) == range(0, 6));
  for (const auto& l : lines) CHECK(angle_deg(l.direction) == Approx(30.f).margin(1e-3));
}

TEST_CASE("build_lines: spurious links between lines do not merge them", "[assemble]") {
  // Two lines 1.3 heights apart. The false links are stronger than the true ones:
  // straight down (A2–B2), and slanted (A1–B5: 18° off the axis, the kind an
  // angle test alone would let through).
  craft::CharGraph g;
  const int a = add_word(g, place({40.f, 100.f}, 0.f, word(6, kH)), /*weight=*/0.7f);
  const int b = add_word(g, place({40.f, 100.f + 1.3f * kH}, 0.f, word(6, kH)), /*weight=*/0.7f);
  g.links.push_back({a + 2, b + 2, 0.95f});
  g.links.push_back({a + 1, b + 5, 0.95f});
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 2);
  std::vector<int> identity(g.nodes.size());
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(original_nodes(lines[0], identity) == range(a, 6));
  CHECK(original_nodes(lines[1], identity) == range(b, 6));
  // And no true link was lost to them: each line is one word.
  for (const auto& l : lines) {
    for (const auto& c : l.chars) CHECK(c.word == 0);
  }
}

TEST_CASE("build_lines: a false link that passes the local tests is cut by the word fit",
          "[assemble]") {
  // Line B (1.05 heights below A, nearly touching) starts 2.2 heights after A ends,
  // and A's last box is tilted 15° towards it: in that box's frame the false link
  // A3–B0 is 10° off the axis and 0.45 heights across, so it passes the local
  // tests, and it competes with no true link (A3 has no right neighbour, B0 no
  // left one). Only the fit of the resulting staircase word can tell the two
  // fragments lie on two centre lines.
  craft::CharGraph g;
  auto a = place({40.f, 100.f}, 0.f, word(4, kH));
  a[3] = oriented_rect(a[3].center(), unit(15.f), 0.6f * kH, kH);
  const int a0 = add_word(g, a, /*weight=*/0.6f);
  const int b0 =
      add_word(g, place({40.f + (2.4f + 2.2f) * kH, 100.f + 1.05f * kH}, 0.f, word(4, kH)),
               /*weight=*/0.6f);
  g.links.push_back({a0 + 3, b0, 0.99f});
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 2);
  std::vector<int> identity(g.nodes.size());
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(original_nodes(lines[0], identity) == range(a0, 4));
  CHECK(original_nodes(lines[1], identity) == range(b0, 4));
}

TEST_CASE("build_lines: a '.' on the baseline stays in its word and line", "[assemble]") {
  // "12.5": the link to the '.' is 30-35° off the axis and its centre 0.4 heights low.
  const std::vector<Slot> slots{{0.f, 0.f, 0.6f * kH, kH},
                                {0.8f * kH, 0.f, 0.6f * kH, kH},
                                {1.4f * kH, 0.4f * kH, 0.2f * kH, 0.2f * kH},
                                {2.0f * kH, 0.f, 0.6f * kH, kH}};
  craft::CharGraph g;
  add_word(g, place({60.f, 80.f}, 10.f, slots));
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 1);
  std::vector<int> nodes, words;
  for (const auto& c : lines[0].chars) nodes.push_back(c.node), words.push_back(c.word);
  CHECK(nodes == std::vector<int>{0, 1, 2, 3});
  CHECK(words == std::vector<int>{0, 0, 0, 0});
  // The size and Huber weights keep the '.' from tilting the line: within 0.5° of
  // the true 10° (an unweighted fit through these centres is 3.9° off).
  INFO("angle " << angle_deg(lines[0].direction));
  CHECK(angle_deg(lines[0].direction) == Approx(10.f).margin(0.5));
  // A tilt of δ widens a 0.6 h × h box across the line by 0.6 h sin δ (0.1 px at 0.5°).
  CHECK(lines[0].height == Approx(kH).margin(0.1));
}

TEST_CASE("build_lines: an unlinked '.' joins the line between its words", "[assemble]") {
  const std::vector<Slot> slots{{0.f, 0.f, 0.6f * kH, kH},
                                {0.8f * kH, 0.f, 0.6f * kH, kH},
                                {1.4f * kH, 0.4f * kH, 0.2f * kH, 0.2f * kH},
                                {2.0f * kH, 0.f, 0.6f * kH, kH},
                                {2.8f * kH, 0.f, 0.6f * kH, kH}};
  const auto quads = place({60.f, 80.f}, 0.f, slots);
  craft::CharGraph g;
  add_word(g, {quads[0], quads[1]});
  add_word(g, {quads[2]});
  add_word(g, {quads[3], quads[4]});
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 1);
  std::vector<int> nodes, words;
  for (const auto& c : lines[0].chars) nodes.push_back(c.node), words.push_back(c.word);
  CHECK(nodes == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(words == std::vector<int>{0, 0, 1, 2, 2});
}

TEST_CASE("build_lines: a single character takes its quad's axis closest to x", "[assemble]") {
  // A narrow '1' rotated 10°: its long side is near vertical, the reading axis is not.
  craft::CharGraph g;
  add_word(g, place({50.f, 50.f}, 10.f, {{0.f, 0.f, 0.3f * kH, kH}}));
  const auto lines = build_lines(g, AssembleConfig{});
  REQUIRE(lines.size() == 1);
  CHECK(angle_deg(lines[0].direction) == Approx(10.f).margin(1e-3));
  CHECK(lines[0].height == Approx(kH).margin(1e-3));
}

TEST_CASE("build_lines: empty and malformed graphs", "[assemble]") {
  CHECK(build_lines(craft::CharGraph{}, AssembleConfig{}).empty());
  craft::CharGraph g;
  add_word(g, place({50.f, 50.f}, 0.f, word(2, kH)));
  g.links.push_back({0, 5, 0.5f});
  CHECK_THROWS_AS(build_lines(g, AssembleConfig{}), InputError);
  g.links.pop_back();
  g.nodes[1].quad.pts[2].x = std::nanf("");
  CHECK_THROWS_AS(build_lines(g, AssembleConfig{}), InputError);
}

TEST_CASE("make_line agrees with build_lines on the same quads", "[assemble]") {
  // Two words (the second with a '.'), 25°, nodes scrambled in the graph.
  std::vector<Slot> slots = word(4, kH);
  slots.push_back({4.4f * kH, 0.f, 0.6f * kH, kH});
  slots.push_back({5.0f * kH, 0.4f * kH, 0.2f * kH, 0.2f * kH});
  slots.push_back({5.6f * kH, 0.f, 0.6f * kH, kH});
  const auto quads = place({120.f, 90.f}, 25.f, slots);
  craft::CharGraph g;
  add_word(g, {quads.begin(), quads.begin() + 4});
  add_word(g, {quads.begin() + 4, quads.end()});
  const auto perm = scramble(g.nodes.size());
  const auto built = build_lines(permuted(g, perm), AssembleConfig{});
  const auto made = make_line(quads, {0, 0, 0, 0, 1, 1, 1});

  REQUIRE(built.size() == 1);
  REQUIRE(built[0].chars.size() == made.chars.size());
  CHECK(original_nodes(built[0], perm) == range(0, 7));
  // Same computation, summed in a different node order: float rounding only.
  CHECK(dist(built[0].direction, made.direction) < 1e-5f);
  CHECK(dist(built[0].origin, made.origin) < 1e-3f);
  CHECK(built[0].height == Approx(made.height).margin(1e-3));
  require_quad_near(built[0].quad, made.quad, 1e-3f);
  for (std::size_t i = 0; i < made.chars.size(); ++i) {
    CHECK(made.chars[i].node == static_cast<int>(i));
    CHECK(made.chars[i].word == built[0].chars[i].word);
    require_quad_near(made.chars[i].quad, built[0].chars[i].quad, 1e-3f);
  }
  CHECK_THROWS_AS(make_line(quads, {0, 0}), InputError);
  CHECK(make_line({}, {}).chars.empty());
}

TEST_CASE("crop_box: '.' and '-' crops sit on the line's centre line", "[assemble]") {
  // "12.5-3" at 20°: '.' on the baseline (0.4 h low), '-' in the middle.
  const float deg = 20.f;
  const std::vector<Slot> slots{{0.f, 0.f, 0.6f * kH, kH},
                                {0.8f * kH, 0.f, 0.6f * kH, kH},
                                {1.4f * kH, 0.4f * kH, 0.2f * kH, 0.2f * kH},
                                {2.0f * kH, 0.f, 0.6f * kH, kH},
                                {2.8f * kH, 0.f, 0.4f * kH, 0.1f * kH},
                                {3.6f * kH, 0.f, 0.6f * kH, kH}};
  const cv::Point2f o(80.f, 70.f);
  const auto quads = place(o, deg, slots);
  const auto line = make_line(quads, std::vector<int>(6, 0));
  const cv::Point2f d = unit(deg);
  const cv::Point2f n(-d.y, d.x);
  const float height_factor = 1.25f, aspect = 0.75f;
  const CropFrame frame{height_factor, aspect, false};

  for (std::size_t i = 0; i < quads.size(); ++i) {
    const CropBox box = crop_box(line, i, frame);
    INFO("char " << i);
    // On the true centre line (the digits' centres): the Huber fit gives the '.'
    // weight ≈ 0.3, which moves the fitted line by ≈ 0.02 h; 0.05 h bounds that.
    CHECK(std::abs((box.center - o).dot(n)) < 0.05f * kH);
    // Along the line, centred on the character.
    CHECK((box.center - quads[i].center()).dot(line.direction) == Approx(0.f).margin(1e-3));
    CHECK(box.height == Approx(line.height * height_factor).margin(1e-4));
    CHECK(box.width == Approx(box.height * aspect).margin(1e-4));
    CHECK(dist(box.direction, line.direction) < 1e-6f);
  }
  const CropBox dot = crop_box(line, 2, frame);
  const CropBox dash = crop_box(line, 4, frame);
  // Both on one line through the fit: their offsets across it agree to 1e-3 px.
  CHECK(across(line, dot.center) == Approx(0.f).margin(1e-3));
  CHECK(across(line, dash.center) == Approx(0.f).margin(1e-3));
  // ...which for the '.' is 0.4 h above its own centre.
  CHECK((quads[2].center() - dot.center).dot(n) == Approx(0.4f * kH).margin(0.05f * kH));
  CHECK_THROWS_AS(crop_box(line, 6, frame), InputError);
}

TEST_CASE("crop_box by character width: the crop widens with the line's characters", "[assemble]") {
  // Lines of four characters 1 h tall and w h wide, 1.1 w apart, at 15°, and a
  // '.' that must not count: the crop's width is height × aspect × (w / 0.7),
  // clamped to [0.6, 1.5]; its height and centre do not change.
  const float deg = 15.f;
  const auto line_of = [&](float w) {
    std::vector<Slot> slots;
    for (int k = 0; k < 4; ++k)
      slots.push_back({1.1f * w * kH * static_cast<float>(k), 0.f, w * kH, kH});
    slots.push_back({4.4f * w * kH, 0.4f * kH, 0.15f * kH, 0.15f * kH});
    return make_line(place({60.f, 50.f}, deg, slots), std::vector<int>(5, 0));
  };
  const CropFrame plain{1.3f, 1.f, false};
  const CropFrame by_width{1.3f, 1.f, true};
  for (const float w : {0.35f, 0.56f, 0.7f, 0.84f, 1.2f}) {
    INFO("width " << w);
    const auto line = line_of(w);
    REQUIRE(line.chars.size() == 5);
    // (The '.' below the centre line tilts the fitted direction by about a
    // degree, which a narrow character's height turns into up to 5 % of width.)
    CHECK(line_char_width(line) == Approx(w * line.height).epsilon(0.05));
    const float scale = std::clamp(w / kTypicalCharWidth, kMinCharWidthScale, kMaxCharWidthScale);
    CHECK(crop_width_scale(line, by_width) == Approx(scale).epsilon(0.05));
    CHECK(crop_width_scale(line, plain) == 1.f);
    const auto all = crop_boxes(line, by_width);
    REQUIRE(all.size() == line.chars.size());
    for (std::size_t i = 0; i < line.chars.size(); ++i) {
      const CropBox a = crop_box(line, i, plain), b = crop_box(line, i, by_width);
      CHECK(b.height == Approx(a.height));
      CHECK(b.width == Approx(a.width * scale).epsilon(0.05));
      CHECK(dist(a.center, b.center) < 1e-4f);
      // The whole line at once: the same boxes.
      CHECK(all[i].width == b.width);
      CHECK(all[i].height == b.height);
      CHECK(all[i].center == b.center);
    }
  }
  // Fewer than three characters of full height: the typical width, so the crop
  // is the one sized by the height alone.
  const auto two = make_line(
      place({60.f, 50.f}, deg, {{0.f, 0.f, 1.2f * kH, kH}, {1.4f * kH, 0.f, 1.2f * kH, kH}}),
      {0, 0});
  CHECK(line_char_width(two) == Approx(kTypicalCharWidth * two.height));
  CHECK(crop_box(two, 1, by_width).width == Approx(crop_box(two, 1, plain).width));
}

TEST_CASE("nearby_views: the crop shifted both ways along the line, and scaled both ways",
          "[assemble]") {
  CropBox box;
  box.center = {100.f, 50.f};
  box.direction = {0.8f, 0.6f};
  box.width = 26.f;
  box.height = 26.f;
  const float h = 20.f;
  const auto v = nearby_views(box, h);
  const cv::Point2f step = box.direction * (kViewShift * h);
  CHECK(v[0].center.x == Approx(100.f - step.x));
  CHECK(v[0].center.y == Approx(50.f - step.y));
  CHECK(v[1].center.x == Approx(100.f + step.x));
  CHECK(v[1].center.y == Approx(50.f + step.y));
  for (int k = 0; k < 2; ++k) {
    CHECK(v[k].width == box.width);
    CHECK(v[k].height == box.height);
  }
  CHECK(v[2].width == Approx(26.f * (1.f - kViewScale)));
  CHECK(v[2].height == Approx(26.f * (1.f - kViewScale)));
  CHECK(v[3].width == Approx(26.f * (1.f + kViewScale)));
  CHECK(v[3].height == Approx(26.f * (1.f + kViewScale)));
  for (const auto& b : v) {
    CHECK(b.direction == box.direction);  // a view is never turned
  }
  CHECK(v[2].center == box.center);
  CHECK(v[3].center == box.center);
}

TEST_CASE("nearby_views over lines: characters counted line after line", "[assemble]") {
  const std::vector<Slot> three{
      {0.f, 0.f, 0.6f * kH, kH}, {0.8f * kH, 0.f, 0.6f * kH, kH}, {1.6f * kH, 0.f, 0.6f * kH, kH}};
  const auto a = make_line(place({40.f, 30.f}, 0.f, three), {0, 0, 0});
  const auto b = make_line(place({40.f, 120.f}, 10.f, three), {0, 0, 0});
  const std::vector<LayoutLine> lines{a, b};
  const CropFrame frame{1.3f, 1.f, true};
  // Character 1 of the first line, characters 0 and 2 of the second.
  const auto views = nearby_views(lines, {1, 3, 5}, frame);
  REQUIRE(views.size() == 12);
  const auto expect = [&](std::size_t k, const LayoutLine& line, std::size_t i) {
    const auto v = nearby_views(crop_box(line, i, frame), line.height);
    for (std::size_t m = 0; m < 4; ++m) {
      INFO("view " << k + m);
      CHECK(views[k + m].center.x == Approx(v[m].center.x));
      CHECK(views[k + m].center.y == Approx(v[m].center.y));
      CHECK(views[k + m].width == Approx(v[m].width));
      CHECK(views[k + m].height == Approx(v[m].height));
    }
  };
  expect(0, a, 1);
  expect(4, b, 0);
  expect(8, b, 2);
  CHECK(nearby_views(lines, {}, frame).empty());
  CHECK_THROWS_AS(nearby_views(lines, {6}, frame), InputError);
  CHECK_THROWS_AS(nearby_views(lines, {3, 1}, frame), InputError);
}
