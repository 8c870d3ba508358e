// Dot-matrix glyphs: what a reader needs to tell the characters of one grid apart.
#include <catch2/catch.hpp>

#include <string>

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
