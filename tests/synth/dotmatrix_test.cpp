// Dot-matrix glyphs: what a reader needs to tell the characters of one grid apart.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "synth/dotmatrix.hpp"
#include "synth/fonts.hpp"

using namespace ocr2s::synth;

namespace {

std::string picture(const DotGlyph& g) {
  std::string s;
  for (int r = 0; r < g.rows + g.below; ++r) {
    for (int c = 0; c < g.cols; ++c) s += g.at(r, c) ? '#' : '.';
    s += '\n';
  }
  return s;
}

}  // namespace

TEST_CASE("every dot grid draws a slashed 0 at least 3 dots away from O", "[synth]") {
  // Sampled from the source faces alone, the zero and the O of several grids
  // were identical or a corner dot apart (DejaVu Sans Mono 5x7: identical;
  // Liberation Mono 7x9: one centre dot), which no reader can separate once a
  // dot goes missing. The zero carries a slash then, as many printers' dot
  // fonts do.
  const int faces = static_cast<int>(dot_source_fonts().size());
  REQUIRE(faces >= 1);
  for (int f = 0; f < faces; ++f) {
    for (const auto& grid : dot_grids()) {
      const auto zero = dot_glyph("0", grid.first, grid.second, f);
      const auto o = dot_glyph("O", grid.first, grid.second, f);
      INFO("face " << f << ", grid " << grid.first << "x" << grid.second << "\n0:\n"
                   << picture(*zero) << "O:\n"
                   << picture(*o));
      REQUIRE_FALSE(zero->empty());
      REQUIRE_FALSE(o->empty());
      REQUIRE(zero->on.size() == o->on.size());
      CHECK(dots_apart(*zero, *o) >= 3);  // kZeroApartFromO
    }
  }
  // A printer set to a plain zero prints the face's own: on DejaVu Sans Mono's
  // 5x7 grid that is O's ring exactly (the generator then leaves O out).
  const auto plain = dot_glyph("0", 5, 7, 0, false);
  CHECK(dots_apart(*plain, *dot_glyph("O", 5, 7, 0)) == 0);
  CHECK(dots_apart(*plain, *dot_glyph("0", 5, 7, 0)) >= 3);
}

namespace {

DotGlyph grid(int cols, int rows, int below, const std::string& dots) {
  DotGlyph g;
  g.cols = cols;
  g.rows = rows;
  g.below = below;
  for (char c : dots) {
    if (c == '#' || c == '.') g.on.push_back(c == '#' ? 1 : 0);
  }
  REQUIRE(g.on.size() == static_cast<std::size_t>(cols * (rows + below)));
  return g;
}

}  // namespace

TEST_CASE("dots_apart counts the dots under the baseline of the taller glyph", "[synth]") {
  const DotGlyph period = grid(3, 3, 0, "... ... .#.");
  const DotGlyph comma = grid(3, 3, 1, "... ... .#. #..");
  CHECK(dots_apart(period, comma) == 1);
  CHECK(dots_apart(comma, period) == 1);
  CHECK(dots_apart(comma, comma) == 0);
}

TEST_CASE("missing dots that make a glyph another of its block are found", "[synth]") {
  const auto colon = std::make_shared<const DotGlyph>(grid(3, 3, 0, ".#. ... .#."));
  const auto period = std::make_shared<const DotGlyph>(grid(3, 3, 0, "... ... .#."));
  const auto dash = std::make_shared<const DotGlyph>(grid(3, 3, 0, "... ### ..."));
  const std::vector<std::shared_ptr<const DotGlyph>> block{colon, period, dash};
  // A colon without its upper dot is a period; without its lower one it is
  // nothing of the block's, one dot from a colon and two from a period.
  CHECK(reads_as_another(*colon, *period, block));
  CHECK_FALSE(reads_as_another(*colon, grid(3, 3, 0, ".#. ... ..."), block));
  // Nothing missing, or a block without the look-alike: the label stands.
  CHECK_FALSE(reads_as_another(*colon, *colon, block));
  CHECK_FALSE(reads_as_another(*colon, *period, {colon, dash}));

  // The generator's own 4x6 grid of its first face: 'B' is '8' less one dot
  // (docs/DATA_FORMATS.md), so an '8' printed without that dot is a 'B'.
  const auto eight = dot_glyph("8", 4, 6, 0, false);
  const auto b = dot_glyph("B", 4, 6, 0, false);
  INFO("8:\n" << picture(*eight) << "B:\n" << picture(*b));
  REQUIRE(dots_apart(*eight, *b) == 1);
  DotGlyph printed = *eight;
  for (std::size_t k = 0; k < printed.on.size(); ++k) {
    if (eight->on[k] && !b->on[k]) printed.on[k] = 0;
  }
  CHECK(reads_as_another(*eight, printed, {eight, b}));
  CHECK_FALSE(reads_as_another(*eight, *eight, {eight, b}));
}
