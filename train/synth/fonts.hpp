// Internal: the fonts the generator draws with, and a thread-safe cache of glyphs
// rendered once at a reference size. Every sample scales cached glyphs instead of
// calling FreeType, which keeps generation fast and identical across threads
// (a cached glyph is a pure function of font file and code point).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "synth/synth.hpp"

namespace ocr2s::synth {

/// Which kind of font a face is; decides the glyph mapping and what it can draw.
enum class FontKind { kText, kSeg7, kSeg14 };

struct FontFace {
  std::string path;
  std::string name;  ///< file stem, e.g. "DejaVuSansMono-Bold"
  FontKind kind = FontKind::kText;
  bool mono = false;  ///< fixed pitch
  bool bold = false;
};

/// A glyph rendered at the reference size (kRefFontSize).
struct Glyph {
  cv::Mat alpha;             ///< CV_8UC1, tight around the ink; empty for blank glyphs
  cv::Point ink_origin;      ///< alpha's top-left relative to the pen on the baseline, ref px
  bool missing = false;      ///< the font has no glyph for this code point (.notdef)
};

struct FontMetrics {
  float cap_height = 0;  ///< ref px: ink height of 'H' ('8' for segment fonts)
  float pitch = 0;       ///< ref px: pen advance of '0' (fixed-pitch layout)
};

/// FreeType font size the cache renders at; cap heights are then ~70 ref px, which
/// keeps glyphs sharp when scaled to the largest characters (120 px).
inline constexpr int kRefFontSize = 96;

/// The faces a style draws with (found at fixed Debian paths or in
/// $OCR2S_FONT_DIR). Throws InputError naming the packages when none exists.
const std::vector<FontFace>& fonts_for(Style style);
/// The source fonts dot-matrix grids are rasterised from.
const std::vector<FontFace>& dot_source_fonts();

/// What segment fonts draw for a label: the code point to render, or "" if the
/// display cannot show that label (7-segment shows digits, '-', '.', ':', '_' and
/// a few letters; DSEG7 draws 'H' as 'X' and 'U' as 'V').
std::string segment_glyph_for(FontKind kind, const std::string& label);

/// GlyphCache::marks_zero: share of the zero's ink and distance from O's ink.
inline constexpr float kZeroMarkShare = 0.02f;
inline constexpr float kZeroMarkDistance = 0.06f;

class GlyphCache {
 public:
  static GlyphCache& instance();
  /// The glyph of code point `cp` (UTF-8) in `face`, rendered at kRefFontSize.
  std::shared_ptr<const Glyph> glyph(const FontFace& face, const std::string& cp);
  FontMetrics metrics(const FontFace& face);
  /// Pen advance of `cp`, ref px: measured as ink("0"+cp+"0") − ink("00"), which
  /// also gives DSEG's zero-width decimal point its true advance of 0.
  float advance(const FontFace& face, const std::string& cp);
  /// Whether `face` tells 0 from O by a mark inside its zero (a dot or a slash):
  /// at least kZeroMarkShare of the zero's ink lies inside O's outline and more
  /// than kZeroMarkDistance cap heights from O's ink, with O scaled onto the
  /// zero's ink box. DejaVu Sans Mono, Liberation Mono and the DSEG14 faces do;
  /// the other faces' zeros are plain rings (their share is 0.000–0.009 against
  /// 0.052–0.169; session 12's probe). False when the face cannot draw both.
  /// Computed once per face.
  bool marks_zero(const FontFace& face);

 private:
  struct Entry;
  Entry& entry(const FontFace& face);
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> fonts_;
};

}  // namespace ocr2s::synth
