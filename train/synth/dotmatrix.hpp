// Internal: dot-matrix glyph bitmaps (5×7, 7×9, …) for any code point, derived by
// sampling a font glyph's skeleton (its centre line, Zhang–Suen thinning) onto the
// dot grid, with the outer dots on the centre lines of the outermost strokes.
// Printers' dot fonts are one dot wide, which is what the skeleton gives.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ocr2s::synth {

struct DotGlyph {
  int cols = 0;
  int rows = 0;     ///< rows of the cap band (baseline at the bottom of the last)
  int below = 0;    ///< extra rows under the baseline (descenders: ',', '_', …)
  std::vector<unsigned char> on;  ///< (rows + below) × cols, row-major; 1 = dot
  bool empty() const;
  bool at(int r, int c) const { return on[static_cast<std::size_t>(r * cols + c)] != 0; }
};

/// How many dots differ between two glyphs of one grid (a dot under the
/// baseline of one glyph and not the other counts).
int dots_apart(const DotGlyph& a, const DotGlyph& b);

/// Whether two glyphs of one grid print the same dots in the same rows.
bool same_dots(const DotGlyph& a, const DotGlyph& b);

/// Whether `printed`, `own` with some of its dots left out (a printer's
/// missing dots), reads as another glyph of its block: some glyph of
/// `alphabet` other than `own` lies as few dots from it as `own` does, or
/// fewer. On the first face's 4×6 grid an `8` without the one dot that tells
/// it from `B` is a `B`; a `:` without its upper dot is a `.`. No reader can
/// know such a character's label, so the generator prints all of its dots
/// instead (generator.cpp, docs/DATA_FORMATS.md). Dots are counted, not
/// looks: that grid's `0` without the two middle dots of its right side looks
/// like a `C` but lies 2 dots from `0` and 4 from `C`, and stands.
bool reads_as_another(const DotGlyph& own, const DotGlyph& printed,
                      const std::vector<std::shared_ptr<const DotGlyph>>& alphabet);

/// Fewer dots than this between '0' and 'O' and one missing dot makes either
/// the other: a slashed zero keeps at least this many apart, and a block with a
/// plain zero that does not leaves 'O' out (generator.cpp).
inline constexpr int kZeroApartFromO = 3;

/// The grids (cols × rows) the generator draws dot-matrix blocks on, each as
/// often as it appears here.
const std::vector<std::pair<int, int>>& dot_grids();

/// The dot pattern of `label` on a cols × rows grid (cached; thread-safe). The
/// source font is dot_source_fonts()[font_index % count]. Returns an empty glyph
/// (all off) when the source font lacks the code point. With `slashed_zero`,
/// a '0' that the grid draws too close to 'O' (fewer than two dots of its own
/// inside O's counter) gets a slash through its counter, as printers set to a
/// slashed zero print it; without, '0' is the face's own, which on several
/// grids is O's ring.
std::shared_ptr<const DotGlyph> dot_glyph(const std::string& label, int cols, int rows,
                                          int font_index, bool slashed_zero = true);

}  // namespace ocr2s::synth
