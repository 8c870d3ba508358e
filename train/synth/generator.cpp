// The generator: plan (style, look, codes) → lay out characters on the marked
// surface ("plane") → draw surface, marks and text there → warp the plane into the
// image → camera degradations. Annotations are the characters' cells on the
// plane, moved to the image by the same warp as the pixels.
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "ocr2s/errors.hpp"
#include "synth/dotmatrix.hpp"
#include "synth/fonts.hpp"
#include "synth/grammar.hpp"
#include "synth/materials.hpp"
#include "synth/rng.hpp"
#include "synth/synth.hpp"
#include "core/utf8.hpp"
#include "synth/warp.hpp"

namespace ocr2s::synth {
namespace {

// ---- annotation convention -----------------------------------------------------

/// Narrow marks ('.', '1', ':') get a cell at least this many cap heights wide,
/// centred on their ink (the detector needs a blob, not a sliver).
constexpr float kMinCellWidth = 0.35f;
/// Ink below this alpha does not widen a cell along the line (antialiasing fringe).
constexpr float kCellInkAlpha = 0.05f;
/// Cells are grown by half a pixel on every side: the antialiasing fringe of the
/// ink's outermost pixels (a large share of a 2-px '.') then lies inside.
constexpr float kCellPad = 0.5f;
/// Ink at or above this alpha outside the cap band extends the cell across the
/// line (',' and '_' below the baseline, the overshoot of round glyphs); fainter
/// antialiasing fringe does not, so most cells of a line share their edges.
constexpr float kBandInkAlpha = 0.2f;

// ---- per-sample appearance -----------------------------------------------------

struct Look {
  Surface surface = Surface::kPaper;
  cv::Scalar background;        ///< BGR
  cv::Scalar ink;               ///< BGR
  float density = 1.f;          ///< ink opacity
  // etched
  bool etch_light = false;      ///< frosted / ablated (lighter than the metal)
  bool etch_relief = false;     ///< engraved: shaded groove edges
  // stamped
  bool debossed = true;
  bool paint_fill = false;
  cv::Point2f light{-0.7f, -0.7f};  ///< unit vector the light comes from (plane)
  // segment
  bool led = false;
  cv::Scalar off_ink;           ///< colour of unlit segments
  float ghost = 0.f;            ///< opacity of unlit segments
  bool decimal_ghosts = false;
  // thermal
  bool pixelate = false;
};

/// One block of lines sharing font, size and spacing (one code field group).
struct BlockPlan {
  FontFace face;
  bool dots = false;      ///< dot grid glyphs (dot-matrix style, or dot peen on metal)
  float h = 20.f;         ///< cap height, plane px
  float sx = 1.f;         ///< horizontal stretch
  float slant = 0.f;      ///< shear: x += slant · (height above baseline)
  bool pitch_mode = true; ///< fixed pitch (pen advances) vs ink gaps
  float track = 1.f;      ///< pitch multiplier
  float gap = 0.15f;      ///< ink gap, × h (gap mode)
  float min_gap = 0.02f;  ///< smallest gap between cells, × h (negative: touching)
  float space = 0.6f;     ///< word space, × h
  float line_step = 1.5f; ///< baseline to baseline, × h
  int align = 0;          ///< 0 left, 1 centre, 2 right
  // dot grid
  int cols = 5, rows = 7, dot_font = 0;
  bool slashed_zero = true;  ///< the printer's zero setting: slashed, or as the face draws it
  float dot_aspect = 1.f;  ///< pitch_x / pitch_y
  float dot_radius = 0.4f; ///< × pitch_y
  float dot_jitter = 0.f;  ///< × pitch_y, standard deviation
  float dot_missing = 0.f; ///< probability
  float dot_smear = 0.f;   ///< elongation factor − 1
  float smear_angle = 0.f;
  /// The dot glyphs of the block's alphabet (dot blocks, once the alphabet is
  /// known): missing dots never make a glyph read as one of these (draw_dots).
  std::vector<std::shared_ptr<const DotGlyph>> dot_alphabet;
  std::vector<std::string> texts;
};

/// A drawn character on the plane.
struct PlacedChar {
  std::string label;
  std::string atom;  ///< its position's pattern atom (synth::Code)
  int word = 0;
  cv::Mat alpha;           ///< CV_32F ink
  cv::Point origin;        ///< alpha's top-left, plane px
  cv::Mat ghost;           ///< CV_32F unlit segments (segment style), may be empty
  cv::Point ghost_origin;
  float x0 = 0, x1 = 0, top = 0, bottom = 0;  ///< the cell, plane px
};

struct PlacedLine {
  std::string text;
  std::string font;  ///< LineAnn::font
  std::string format;  ///< LineAnn::format
  std::vector<PlacedChar> chars;
};

/// A distractor on the plane: its quad, and for marks drawn like ink, the shape.
struct Distractor {
  Quad quad;  ///< plane px
};

cv::Rect2f cells_bounds(const PlacedLine& line) {
  float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
  for (const auto& c : line.chars) {
    x0 = std::min(x0, c.x0); x1 = std::max(x1, c.x1);
    y0 = std::min(y0, c.top); y1 = std::max(y1, c.bottom);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

cv::Rect2f unite(const cv::Rect2f& a, const cv::Rect2f& b) {
  if (a.width <= 0 || a.height <= 0) return b;
  const float x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
  const float x1 = std::max(a.x + a.width, b.x + b.width), y1 = std::max(a.y + a.height, b.y + b.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

cv::Rect2f inflate(const cv::Rect2f& r, float d) { return {r.x - d, r.y - d, r.width + 2 * d, r.height + 2 * d}; }

bool overlaps(const cv::Rect2f& a, const cv::Rect2f& b) { return (a & b).area() > 0; }

cv::Scalar jitter_colour(Rng& rng, cv::Scalar c, double amount) {
  for (int i = 0; i < 3; ++i) c[i] = std::clamp(c[i] + rng.normal(0, amount), 0.0, 255.0);
  return c;
}

cv::Scalar gray(double v) { return cv::Scalar(v, v, v); }

// ---- looks -------------------------------------------------------------------

Look draw_look(Rng& rng, Style style) {
  Look k;
  auto light_bg = [&]() {
    static const std::vector<cv::Scalar> kLight = {
        {245, 245, 245}, {235, 240, 242}, {215, 235, 245}, {200, 230, 240}, {230, 230, 225}, {190, 215, 225}};
    return jitter_colour(rng, rng.pick(kLight), 8);
  };
  auto dark_ink = [&]() {
    static const std::vector<cv::Scalar> kDark = {
        {25, 25, 25}, {40, 40, 40}, {70, 30, 20}, {30, 30, 90}, {60, 60, 60}, {20, 50, 20}};
    return jitter_colour(rng, rng.pick(kDark), 8);
  };
  switch (style) {
    case Style::kPrinted: {
      k.surface = rng.pick(std::vector<Surface>{Surface::kPaper, Surface::kPaper, Surface::kCardboard,
                                                Surface::kPlastic, Surface::kGlossyFilm, Surface::kMetal});
      const bool inverted = rng.chance(0.25);
      if (inverted) {
        static const std::vector<cv::Scalar> kBg = {{30, 30, 30}, {110, 40, 20}, {30, 30, 150}, {40, 90, 30}, {90, 90, 90}};
        k.background = jitter_colour(rng, rng.pick(kBg), 10);
        k.ink = jitter_colour(rng, rng.chance(0.8) ? gray(240) : cv::Scalar(60, 220, 240), 8);
      } else {
        k.background = k.surface == Surface::kCardboard ? jitter_colour(rng, {120, 165, 200}, 15)
                       : k.surface == Surface::kMetal   ? gray(rng.uniform(140, 200))
                                                        : light_bg();
        k.ink = dark_ink();
      }
      k.density = static_cast<float>(rng.uniform(0.7, 1.0));
      break;
    }
    case Style::kThermal: {
      k.surface = rng.chance(0.7) ? Surface::kPaper : Surface::kGlossyFilm;
      k.background = jitter_colour(rng, rng.chance(0.5) ? cv::Scalar(240, 238, 236) : cv::Scalar(235, 245, 248), 6);
      k.ink = jitter_colour(rng, rng.chance(0.7) ? gray(30) : cv::Scalar(70, 40, 40), 10);
      k.density = static_cast<float>(rng.uniform(0.55, 1.0));
      k.pixelate = rng.chance(0.45);
      break;
    }
    case Style::kDotMatrix: {
      k.surface = rng.pick(std::vector<Surface>{Surface::kCardboard, Surface::kPlastic, Surface::kMetal,
                                                Surface::kGlossyFilm, Surface::kPaper});
      const bool light_ink = k.surface != Surface::kPaper && rng.chance(0.25);
      if (light_ink) {
        k.background = jitter_colour(rng, rng.chance(0.5) ? gray(35) : cv::Scalar(80, 50, 30), 10);
        k.ink = jitter_colour(rng, rng.chance(0.6) ? gray(235) : cv::Scalar(40, 210, 235), 10);
      } else {
        k.background = k.surface == Surface::kCardboard ? jitter_colour(rng, {110, 160, 195}, 15)
                       : k.surface == Surface::kMetal   ? gray(rng.uniform(120, 200))
                                                        : light_bg();
        k.ink = dark_ink();
      }
      k.density = static_cast<float>(rng.uniform(0.6, 1.0));
      break;
    }
    case Style::kEtched: {
      k.surface = Surface::kMetal;
      k.background = jitter_colour(rng, gray(rng.uniform(90, 200)), 6);
      if (rng.chance(0.25)) k.background += cv::Scalar(-10, 5, 15);  // brass / anodised tint
      // Frosted / ablated marks read lighter than the metal only on darker
      // metal; annealed laser marks are dark. Contrast is low but legible: at
      // least ~30 grey levels between mark and metal.
      k.etch_light = k.background[1] < 160 && rng.chance(0.45);
      k.etch_relief = rng.chance(0.4);
      {
        const double room = k.etch_light ? 250.0 - k.background[1] : k.background[1] - 20.0;
        const double lo = std::min(0.9, 30.0 / std::max(1.0, room));
        k.density = static_cast<float>(rng.uniform(lo, std::max(lo, 0.75)));
      }
      break;
    }
    case Style::kStamped: {
      k.surface = rng.pick(std::vector<Surface>{Surface::kMetal, Surface::kMetal, Surface::kPlastic, Surface::kRubber});
      k.background = k.surface == Surface::kRubber ? jitter_colour(rng, gray(45), 8)
                     : k.surface == Surface::kPlastic ? jitter_colour(rng, rng.chance(0.5) ? gray(60) : gray(190), 25)
                                                      : jitter_colour(rng, gray(rng.uniform(110, 190)), 6);
      k.debossed = rng.chance(0.6);
      k.paint_fill = rng.chance(0.15);
      k.ink = k.background * 0.5;
      k.density = static_cast<float>(rng.uniform(0.5, 1.3));  // relief strength
      break;
    }
    case Style::kSegment: {
      k.surface = Surface::kPanel;
      k.led = rng.chance(0.45);
      if (k.led) {
        k.background = jitter_colour(rng, gray(18), 6);
        static const std::vector<cv::Scalar> kLed = {
            {40, 40, 255}, {60, 255, 80}, {30, 170, 255}, {255, 160, 40}, {230, 240, 200}, {255, 255, 100}};
        k.ink = rng.pick(kLed);
        k.off_ink = k.ink * 0.25;
        k.ghost = static_cast<float>(rng.uniform(0.0, 0.35));
      } else {
        static const std::vector<cv::Scalar> kPanel = {
            {150, 175, 160}, {190, 200, 195}, {120, 200, 170}, {230, 170, 60}, {200, 210, 215}};
        k.background = jitter_colour(rng, rng.pick(kPanel), 10);
        const bool negative = rng.chance(0.15);
        k.ink = negative ? gray(240) : jitter_colour(rng, gray(30), 8);
        k.off_ink = k.ink;
        k.ghost = static_cast<float>(rng.uniform(0.0, 0.12));
      }
      k.decimal_ghosts = rng.chance(0.5);
      k.density = static_cast<float>(rng.uniform(0.8, 1.0));
      break;
    }
  }
  const double a = rng.uniform(0, 2 * CV_PI);
  k.light = cv::Point2f(static_cast<float>(std::cos(a)), static_cast<float>(std::sin(a)));
  return k;
}

// ---- glyph rasterisation ---------------------------------------------------------

/// A cached reference glyph scaled by (sx, sy) and sheared by `slant`, its ink
/// placed relative to a pen at (pen_x, 0) on the baseline. Returns CV_32F alpha
/// and its integer top-left.
cv::Mat scale_glyph(const Glyph& g, float sx, float sy, float slant, float pen_x, cv::Point& origin) {
  if (g.alpha.empty()) return {};
  const int w = std::max(1, static_cast<int>(std::lround(g.alpha.cols * sx)));
  const int hh = std::max(1, static_cast<int>(std::lround(g.alpha.rows * sy)));
  cv::Mat a;
  cv::resize(g.alpha, a, cv::Size(w, hh), 0, 0, (w < g.alpha.cols) ? cv::INTER_AREA : cv::INTER_LINEAR);
  a.convertTo(a, CV_32F, 1.0 / 255.0);
  const float top = g.ink_origin.y * sy;  // negative: above the baseline
  float left = pen_x + g.ink_origin.x * sx;
  if (slant != 0.f) {
    // x' = x + slant·(baseline − y): rows higher above the baseline move right.
    const float y_bottom = top + static_cast<float>(hh);  // relative to the baseline
    const float s0 = slant * (-top), s1 = slant * (-y_bottom);
    const float smin = std::min(s0, s1), smax = std::max(s0, s1);
    const int extra = static_cast<int>(std::ceil(smax - smin)) + 1;
    cv::Matx23f m(1.f, -slant, -slant * top - smin, 0.f, 1.f, 0.f);
    cv::Mat sheared;
    cv::warpAffine(a, sheared, m, cv::Size(w + extra, hh), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    a = sheared;
    left += smin;
  }
  origin = cv::Point(static_cast<int>(std::lround(left)), static_cast<int>(std::lround(top)));
  return a;
}

/// Draws a dot-grid glyph: one ellipse per dot, jittered, some missing, some
/// smeared, as a continuous-inkjet or dot-peen marker prints them.
cv::Mat draw_dots(Rng& rng, const DotGlyph& dg, const BlockPlan& b, float pen_x, cv::Point& origin) {
  const float r = b.dot_radius;
  const float py = b.h / (static_cast<float>(dg.rows - 1) + 2.f * r);
  const float px = py * b.dot_aspect;
  const float rad_y = r * py, rad_x = r * py * std::min(1.3f, std::max(0.8f, b.dot_aspect));
  const float smear = 1.f + b.dot_smear;
  const float reach = std::max(rad_x, rad_y) * smear + 3.f * b.dot_jitter * py + 2.f;
  const float width = (dg.cols - 1) * px;
  const float height = (dg.rows + dg.below - 1) * py;
  // Local raster: dot (r, c) centre at (reach + c·px, reach + r·py).
  const cv::Size size(static_cast<int>(std::ceil(width + 2 * reach)) + 1,
                      static_cast<int>(std::ceil(height + 2 * reach)) + 1);
  cv::Mat m(size, CV_8U, cv::Scalar(0));
  constexpr int kShift = 4;  // sub-pixel dot centres
  constexpr float kOne = 1 << kShift;
  auto draw_dot = [&](Rng& r, int rr, int cc) {
    const float jx = static_cast<float>(r.normal(0, b.dot_jitter * py));
    const float jy = static_cast<float>(r.normal(0, b.dot_jitter * py));
    const float size_var = static_cast<float>(r.uniform(0.85, 1.12));
    const cv::Point2f c(reach + cc * px + jx, reach + rr * py + jy);
    const int level = static_cast<int>(255 * r.uniform(0.75, 1.0));
    cv::ellipse(m, cv::Point(static_cast<int>(c.x * kOne), static_cast<int>(c.y * kOne)),
                cv::Size(static_cast<int>(rad_x * size_var * smear * kOne),
                         static_cast<int>(rad_y * size_var * kOne)),
                b.smear_angle, 0, 360, cv::Scalar(level), cv::FILLED, cv::LINE_AA, kShift);
  };
  std::vector<std::pair<int, int>> missing;
  for (int rr = 0; rr < dg.rows + dg.below; ++rr) {
    for (int cc = 0; cc < dg.cols; ++cc) {
      if (!dg.at(rr, cc)) continue;
      if (rng.chance(b.dot_missing)) {
        missing.emplace_back(rr, cc);
        continue;
      }
      draw_dot(rng, rr, cc);
    }
  }
  // Dots that would make the glyph another of the block's (an 8 printed as a B)
  // are printed after all: such a code's label is unknowable from the image.
  // Their jitter comes from a stream of their own, so that every other glyph
  // and image is drawn exactly as before this rule.
  if (!missing.empty()) {
    DotGlyph printed = dg;
    for (const auto& [rr, cc] : missing)
      printed.on[static_cast<std::size_t>(rr * dg.cols + cc)] = 0;
    if (reads_as_another(dg, printed, b.dot_alphabet)) {
      Rng own(mix_seed(static_cast<std::uint64_t>(std::llround(pen_x * 16.f)), missing.size()));
      for (const auto& [rr, cc] : missing) draw_dot(own, rr, cc);
    }
  }
  cv::Mat a;
  m.convertTo(a, CV_32F, 1.0 / 255.0);
  // Cap band: first dot row's top edge at −h (baseline 0).
  const float top_centre = -b.h + rad_y;
  const float grid_left = pen_x + 0.5f * px;  // half a column of side bearing
  origin = cv::Point(static_cast<int>(std::lround(grid_left - reach)), static_cast<int>(std::lround(top_centre - reach)));
  return a;
}

/// Pen advance for a dot-grid character: the grid plus one blank column.
float dot_advance(const BlockPlan& b) {
  const float py = b.h / (static_cast<float>(b.rows - 1) + 2.f * b.dot_radius);
  return (static_cast<float>(b.cols) + 1.f) * py * b.dot_aspect;
}

/// Ink bounds of an alpha raster: columns with any ink ≥ kCellInkAlpha, rows ≥ 0.2.
void ink_bounds(const cv::Mat& a, float& x0, float& x1, float& y0, float& y1) {
  x0 = 1e30f; x1 = -1e30f; y0 = 1e30f; y1 = -1e30f;
  for (int y = 0; y < a.rows; ++y) {
    const float* row = a.ptr<float>(y);
    for (int x = 0; x < a.cols; ++x) {
      if (row[x] >= kCellInkAlpha) {
        x0 = std::min(x0, static_cast<float>(x));
        x1 = std::max(x1, static_cast<float>(x + 1));
      }
      if (row[x] >= kBandInkAlpha) {
        y0 = std::min(y0, static_cast<float>(y));
        y1 = std::max(y1, static_cast<float>(y + 1));
      }
    }
  }
}

/// Thermal print: the field that breaks and fades strokes, as a pure function of
/// plane position so every character's piece of it agrees.
struct ThermalField {
  std::vector<float> dead;  ///< plane coordinates of dead print-head elements
  bool dead_vertical = true;
  float dead_width = 1.f;
  float fade_x0 = 0, fade_dx = 1e9f, fade_lo = 1.f;  ///< linear fade along x
  std::uint64_t void_seed = 0;
  float void_cell = 4.f, void_rate = 0.f;

  float value(float x, float y) const {
    float v = 1.f;
    const float t = std::clamp((x - fade_x0) / fade_dx, 0.f, 1.f);
    v *= 1.f - (1.f - fade_lo) * t;
    const float p = dead_vertical ? x : y;
    for (float d : dead)
      if (std::fabs(p - d) < 0.5f * dead_width) v *= 0.08f;
    if (void_rate > 0) {
      const auto ix = static_cast<std::int64_t>(std::floor(x / void_cell));
      const auto iy = static_cast<std::int64_t>(std::floor(y / void_cell));
      const std::uint64_t hsh = splitmix64(void_seed ^ splitmix64(static_cast<std::uint64_t>(ix) * 0x9E37ull +
                                                                    static_cast<std::uint64_t>(iy)));
      if (static_cast<double>(hsh >> 11) * 0x1.0p-53 < void_rate) v *= 0.25f;
    }
    return v;
  }
};

// ---- layout ----------------------------------------------------------------------

/// What LineAnn::font records of a block: the face, and for dot glyphs the grid
/// and the printer's zero setting, e.g. "OCRB" or "DejaVuSansMono dots 5x7 plain-zero".
std::string describe_font(const BlockPlan& b) {
  std::string s = b.face.name;
  if (b.dots) {
    s += " dots " + std::to_string(b.cols) + "x" + std::to_string(b.rows);
    s += b.slashed_zero ? " slashed-zero" : " plain-zero";
  }
  return s;
}

/// Lays out one line with the pen starting at x = 0 on baseline y = 0.
PlacedLine layout_line(Rng& rng, const BlockPlan& b, Style style, const Look& look,
                       const Code& code) {
  const std::string& text = code.text;
  PlacedLine line;
  line.text = text;
  line.font = describe_font(b);
  auto& cache = GlyphCache::instance();
  const FontMetrics fm = b.dots ? FontMetrics{} : cache.metrics(b.face);
  const float sy = b.dots ? 1.f : b.h / fm.cap_height;
  const float sx = sy * b.sx;
  const float pitch = b.dots ? dot_advance(b) * b.track : fm.pitch * sx * b.track;
  const bool segment = b.face.kind != FontKind::kText && !b.dots;
  float pen = 0.f;
  float prev_x1 = -1e30f;
  bool after_space = false;
  int word = 0;
  std::size_t atom = 0;  // into code.atoms: one per non-space code point
  for (const auto& cp : utf8_split(text)) {
    if (cp == " ") {
      pen += b.pitch_mode ? pitch : b.space * b.h;
      if (!b.pitch_mode) prev_x1 += b.space * b.h;
      after_space = true;
      continue;
    }
    if (after_space) ++word;
    after_space = false;
    PlacedChar pc;
    pc.label = cp;
    pc.atom = atom < code.atoms.size() ? code.atoms[atom] : literal_atom(cp);
    ++atom;
    pc.word = word;
    float advance = pitch;
    if (b.dots) {
      const auto dg = dot_glyph(cp, b.cols, b.rows, b.dot_font, b.slashed_zero);
      pc.alpha = draw_dots(rng, *dg, b, pen, pc.origin);
      if (dg->empty()) pc.alpha.release();
    } else {
      const std::string glyph_cp = segment ? segment_glyph_for(b.face.kind, cp) : cp;
      auto g = cache.glyph(b.face, glyph_cp.empty() ? cp : glyph_cp);
      pc.alpha = scale_glyph(*g, sx, sy, b.slant, pen, pc.origin);
      if (b.pitch_mode && segment) advance = cache.advance(b.face, glyph_cp) * sx * b.track;
      if (segment && cp != "." && cp != ":" && look.ghost > 0) {
        auto gg = cache.glyph(b.face, b.face.kind == FontKind::kSeg7 ? "8" : "~");
        pc.ghost = scale_glyph(*gg, sx, sy, b.slant, pen, pc.ghost_origin);
        if (look.decimal_ghosts) {
          // The unlit decimal point after the digit: DSEG draws '.' with zero
          // advance, so at the next pen position it lands after this digit.
          cv::Point dp_origin;
          const cv::Mat dp = scale_glyph(*cache.glyph(b.face, "."), sx, sy, b.slant,
                                         pen + cache.advance(b.face, glyph_cp) * sx, dp_origin);
          if (!dp.empty() && !pc.ghost.empty()) {
            const cv::Rect ra(pc.ghost_origin, pc.ghost.size()), rb(dp_origin, dp.size());
            const cv::Rect u = ra | rb;
            cv::Mat both(u.size(), CV_32F, cv::Scalar(0));
            pc.ghost.copyTo(both(ra - u.tl()));
            cv::Mat dst = both(rb - u.tl());
            cv::max(dst, dp, dst);
            pc.ghost = both;
            pc.ghost_origin = u.tl();
          }
        }
      }
    }
    if (pc.alpha.empty()) continue;  // nothing drawable: never annotate what is not drawn
    if (style == Style::kThermal && look.pixelate && b.h >= 20) {
      // Thermal heads print on a coarse dot grid: quantise the glyph to it.
      const double f = std::clamp(9.0 / b.h, 0.2, 0.6);
      cv::Mat small;
      // Explicit size: a narrow mark ('.', '1') scaled by f may round to 0 pixels.
      const cv::Size grid(std::max(1, cvRound(pc.alpha.cols * f)), std::max(1, cvRound(pc.alpha.rows * f)));
      cv::resize(pc.alpha, small, grid, 0, 0, cv::INTER_AREA);
      cv::threshold(small, small, 0.45, 1.0, cv::THRESH_BINARY);
      cv::resize(small, pc.alpha, pc.alpha.size(), 0, 0, cv::INTER_NEAREST);
      cv::GaussianBlur(pc.alpha, pc.alpha, cv::Size(3, 3), 0.5);
    }
    float ix0, ix1, iy0, iy1;
    ink_bounds(pc.alpha, ix0, ix1, iy0, iy1);
    if (ix1 <= ix0) continue;
    // Gap mode: put the ink at the wanted gap after the previous cell.
    if (!b.pitch_mode && prev_x1 > -1e29f) {
      const float want = prev_x1 + b.gap * b.h;
      const int dx = static_cast<int>(std::lround(want - (pc.origin.x + ix0)));
      pc.origin.x += dx;
      pc.ghost_origin.x += dx;
    }
    // The cell: ink along the line, widened for narrow marks; the cap band across.
    auto make_cell = [&]() {
      const float cx0 = pc.origin.x + ix0, cx1 = pc.origin.x + ix1;
      const float min_w = kMinCellWidth * b.h;
      if (cx1 - cx0 < min_w) {
        const float c = 0.5f * (cx0 + cx1);
        pc.x0 = c - 0.5f * min_w;
        pc.x1 = c + 0.5f * min_w;
      } else {
        pc.x0 = cx0;
        pc.x1 = cx1;
      }
      const float iy_top = pc.origin.y + iy0, iy_bot = pc.origin.y + iy1;
      pc.top = std::min(iy_top, -b.h) - kCellPad;
      pc.bottom = std::max(iy_bot, 0.f) + kCellPad;
      pc.x0 -= kCellPad;
      pc.x1 += kCellPad;
    };
    make_cell();
    // Cells never overlap more than the block allows (touching characters).
    const float limit = prev_x1 + b.min_gap * b.h;
    if (pc.x0 < limit) {
      const int dx = static_cast<int>(std::ceil(limit - pc.x0));
      pc.origin.x += dx;
      pc.ghost_origin.x += dx;
      pen += static_cast<float>(dx);
      make_cell();
    }
    prev_x1 = pc.x1;
    pen += advance;
    line.chars.push_back(std::move(pc));
  }
  // Text actually drawn (characters without a glyph were skipped), and its format.
  std::string t;
  std::vector<std::string> atoms;
  int w = 0;
  for (std::size_t i = 0; i < line.chars.size(); ++i) {
    if (i && line.chars[i].word != w) t += ' ';
    w = line.chars[i].word;
    t += line.chars[i].label;
    atoms.push_back(line.chars[i].atom);
  }
  line.text = t;
  line.format = format_pattern(atoms);
  return line;
}

void shift_line(PlacedLine& line, int dx, int dy) {
  for (auto& c : line.chars) {
    c.origin += cv::Point(dx, dy);
    c.ghost_origin += cv::Point(dx, dy);
    c.x0 += dx; c.x1 += dx; c.top += dy; c.bottom += dy;
  }
}

// ---- block planning ----------------------------------------------------------------

std::vector<std::string> drawable(const std::vector<std::string>& charset, const BlockPlan& b) {
  // A label whose glyph in this face is identical to an earlier label's is left
  // out: no reader can tell them apart, so printing it would only make labels
  // that are wrong half the time. The charset's order decides which one stays.
  // (The dot grids' '0' and 'O' were such a pair until the zero got its slash,
  // dotmatrix.cpp; blocks with a plain zero leave 'O' out, below.)
  //
  // 'O' is also left out where the zero is marked (a dotted or slashed zero: the
  // faces of GlyphCache::marks_zero, dot blocks with a slashed zero). Such a face draws its O
  // as a plain ring, and a plain ring is what every other face draws as 0 —
  // DejaVu Sans Mono's O is DejaVu Sans's 0 to within a few per cent of width
  // (docs/DATA_FORMATS.md). One character seen alone, as ocr2s reads it, cannot
  // tell them apart; 45 of the 50 Os of those four text faces on eval1000 were
  // read as 0. Reading O in such a face needs its font: a fine-tuned classifier
  // or a pattern (README, "Status").
  std::vector<std::string> out;
  const bool zero_marked = b.dots ? b.slashed_zero : GlyphCache::instance().marks_zero(b.face);
  auto& cache = GlyphCache::instance();
  std::vector<std::shared_ptr<const DotGlyph>> dots_kept;
  std::vector<std::shared_ptr<const Glyph>> glyphs_kept;
  auto same = [](const Glyph& a, const Glyph& b) {  // same ink at the same place
    return a.ink_origin == b.ink_origin && a.alpha.size() == b.alpha.size() && cv::countNonZero(a.alpha != b.alpha) == 0;
  };
  for (const auto& c : charset) {
    if (c == "O" && zero_marked) continue;
    if (b.dots) {
      auto g = dot_glyph(c, b.cols, b.rows, b.dot_font, b.slashed_zero);
      if (g->empty()) continue;
      // A printer set to a plain zero leaves 'O' out of its codes when the two
      // are too few dots apart on its grid: one missing dot would make either
      // the other.
      if (c == "O" &&
          dots_apart(*g, *dot_glyph("0", b.cols, b.rows, b.dot_font, false)) < kZeroApartFromO) {
        continue;
      }
      if (std::any_of(dots_kept.begin(), dots_kept.end(),
                      [&](const auto& k) { return same_dots(*k, *g); })) {
        continue;
      }
      dots_kept.push_back(g);
      out.push_back(c);
      continue;
    }
    std::string name = c;
    if (b.face.kind != FontKind::kText) {
      name = segment_glyph_for(b.face.kind, c);
      if (name.empty()) continue;
    }
    auto g = cache.glyph(b.face, name);
    if (g->missing) continue;
    if (!g->alpha.empty() && std::any_of(glyphs_kept.begin(), glyphs_kept.end(),
                                         [&](const auto& k) { return same(*k, *g); })) {
      continue;
    }
    if (!g->alpha.empty()) glyphs_kept.push_back(g);
    out.push_back(c);
  }
  return out;
}

BlockPlan plan_block(Rng& rng, Style style, float h) {
  BlockPlan b;
  // Whole pixels: glyphs are placed at integer plane positions, so an integer cap
  // height puts flat-topped glyphs exactly on the band's top edge.
  b.h = std::round(h);
  const auto& fonts = fonts_for(style);
  b.dots = style == Style::kDotMatrix || (style == Style::kEtched && rng.chance(0.25));
  if (b.dots) {
    const auto g = rng.pick(dot_grids());
    b.cols = g.first;
    b.rows = g.second;
    b.dot_font = rng.integer(0, 2);
    b.slashed_zero = rng.chance(0.5);
    b.pitch_mode = true;
    b.track = static_cast<float>(rng.uniform(0.85, 1.35));
    b.dot_aspect = static_cast<float>(rng.uniform(0.75, 1.3));
    if (style == Style::kEtched) {  // dot peen: round, regular, separate craters
      b.dot_radius = static_cast<float>(rng.uniform(0.25, 0.42));
      b.dot_jitter = static_cast<float>(rng.uniform(0.0, 0.04));
    } else {
      // From dots that do not touch to merged dots.
      b.dot_radius = static_cast<float>(rng.uniform(0.22, 0.62));
      b.dot_jitter = static_cast<float>(rng.uniform(0.0, 0.12));
      b.dot_missing = static_cast<float>(rng.chance(0.4) ? rng.uniform(0.0, 0.06) : 0.0);
      if (rng.chance(0.2)) {
        b.dot_smear = static_cast<float>(rng.uniform(0.2, 0.9));
        b.smear_angle = static_cast<float>(rng.chance(0.7) ? rng.normal(0, 8) : rng.uniform(0, 180));
      }
    }
    b.face = dot_source_fonts()[static_cast<std::size_t>(b.dot_font) % dot_source_fonts().size()];
  } else {
    b.face = rng.pick(fonts);
    b.pitch_mode = b.face.mono ? rng.chance(0.8) : false;
    b.track = static_cast<float>(rng.uniform(0.92, 1.3));
    b.sx = static_cast<float>(rng.chance(0.7) ? 1.0 : rng.uniform(0.8, 1.25));
    if (style == Style::kPrinted && rng.chance(0.12)) b.slant = static_cast<float>(rng.uniform(-0.1, 0.25));
    if (b.face.kind != FontKind::kText) {
      b.pitch_mode = true;
      b.track = static_cast<float>(rng.uniform(1.0, 1.25));
      b.sx = static_cast<float>(rng.uniform(0.85, 1.15));
    }
  }
  // Spacing: tight, normal or wide; tight includes touching characters.
  const double sp = rng.uniform();
  // min_gap keeps at least a pixel between cells, except for touching
  // characters, whose cells may overlap by up to 3% of a large cap height (a
  // fraction of a stroke); at small sizes they only touch, since one pixel there
  // is a whole stroke of the neighbour (and below 16 px they keep a pixel apart).
  const float one_px = 1.f / std::max(1.f, b.h);
  if (sp < 0.2) {
    b.gap = static_cast<float>(rng.uniform(-0.02, 0.05));
    b.min_gap = b.h >= 24 ? static_cast<float>(rng.uniform(-0.03, 0.0)) : (b.h >= 16 ? 0.f : one_px);
    if (b.pitch_mode) b.track = static_cast<float>(rng.uniform(0.85, 0.95));
  } else if (sp < 0.8) {
    b.gap = static_cast<float>(rng.uniform(0.07, 0.22));
    b.min_gap = std::max(0.03f, one_px);
  } else {
    b.gap = static_cast<float>(rng.uniform(0.25, 0.7));
    b.min_gap = std::max(0.05f, one_px);
    if (b.pitch_mode) b.track = static_cast<float>(rng.uniform(1.2, 1.6));
  }
  b.space = static_cast<float>(rng.uniform(0.45, 1.2));
  b.line_step = static_cast<float>(rng.uniform(1.35, 2.1));
  b.align = rng.integer(0, 2);
  return b;
}

// ---- distractor marks (drawn like ink) -------------------------------------------

void draw_barcode(Rng& rng, cv::Mat& ink, const cv::Rect& r, float module) {
  float x = static_cast<float>(r.x);
  bool bar = true;
  while (x < r.x + r.width) {
    const float w = module * static_cast<float>(rng.integer(1, 3));
    if (bar) {
      const int x0 = static_cast<int>(x), x1 = std::min(r.x + r.width, static_cast<int>(x + w));
      if (x1 > x0) ink(cv::Rect(x0, r.y, x1 - x0, r.height)).setTo(1.f);
    }
    bar = !bar;
    x += w;
  }
}

void draw_matrix(Rng& rng, cv::Mat& ink, const cv::Rect& r) {
  const int n = rng.integer(10, 20);
  const float m = static_cast<float>(r.width) / n;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      bool on;
      if (i == n - 1 || j == 0) on = true;                  // solid L finder
      else if (i == 0) on = (j % 2) == 0;                  // timing pattern
      else if (j == n - 1) on = (i % 2) == 1;
      else on = rng.chance(0.5);
      if (!on) continue;
      const cv::Rect cell(r.x + static_cast<int>(j * m), r.y + static_cast<int>(i * m),
                          std::max(1, static_cast<int>(std::ceil(m))), std::max(1, static_cast<int>(std::ceil(m))));
      ink(cell & cv::Rect(0, 0, ink.cols, ink.rows)).setTo(1.f);
    }
  }
}

void draw_logo(Rng& rng, cv::Mat& ink, const cv::Rect& r) {
  cv::Mat m(ink.size(), CV_8U, cv::Scalar(0));
  const cv::Point c(r.x + r.width / 2, r.y + r.height / 2);
  const int rad = std::min(r.width, r.height) / 2;
  const int t = std::max(1, rad / 5);
  switch (rng.integer(0, 4)) {
    case 0: cv::circle(m, c, rad - t / 2, cv::Scalar(255), t, cv::LINE_AA); break;
    case 1: cv::circle(m, c, rad, cv::Scalar(255), cv::FILLED, cv::LINE_AA);
            cv::circle(m, c, rad / 2, cv::Scalar(0), cv::FILLED, cv::LINE_AA); break;
    case 2: {
      std::vector<cv::Point> tri = {{c.x, r.y}, {r.x + r.width - 1, r.y + r.height - 1}, {r.x, r.y + r.height - 1}};
      cv::fillConvexPoly(m, tri, cv::Scalar(255), cv::LINE_AA);
      break;
    }
    case 3: cv::rectangle(m, r, cv::Scalar(255), t, cv::LINE_AA);
            cv::line(m, r.tl(), r.br(), cv::Scalar(255), t, cv::LINE_AA); break;
    default: {
      std::vector<cv::Point> dia = {{c.x, r.y}, {r.x + r.width - 1, c.y}, {c.x, r.y + r.height - 1}, {r.x, c.y}};
      cv::fillConvexPoly(m, dia, cv::Scalar(255), cv::LINE_AA);
      break;
    }
  }
  cv::Mat f;
  m.convertTo(f, CV_32F, 1.0 / 255.0);
  cv::max(ink, f, ink);
}

enum class MarkKind { kBarcode, kMatrix, kLogo, kRule };

struct Mark {
  MarkKind kind;
  cv::Rect2f rect;  ///< plane
  float module = 1.f;
};

// ---- composition -------------------------------------------------------------------

// Per-pixel helpers on a CV_32FC3 surface and CV_32F fields (one pass each,
// no temporaries: these run on every plane pixel).
void blend_field(cv::Mat& surface, const cv::Mat& a, cv::Scalar colour, float opacity) {
  const float c0 = static_cast<float>(colour[0]), c1 = static_cast<float>(colour[1]), c2 = static_cast<float>(colour[2]);
  for (int y = 0; y < surface.rows; ++y) {
    const float* w = a.ptr<float>(y);
    float* o = surface.ptr<float>(y);
    for (int x = 0; x < surface.cols; ++x) {
      const float t = w[x] * opacity;
      if (t == 0.f) continue;
      o[3 * x] += (c0 - o[3 * x]) * t;
      o[3 * x + 1] += (c1 - o[3 * x + 1]) * t;
      o[3 * x + 2] += (c2 - o[3 * x + 2]) * t;
    }
  }
}

void add_field(cv::Mat& surface, const cv::Mat& f, float k) {
  for (int y = 0; y < surface.rows; ++y) {
    const float* v = f.ptr<float>(y);
    float* o = surface.ptr<float>(y);
    for (int x = 0; x < surface.cols; ++x) {
      const float d = v[x] * k;
      o[3 * x] += d;
      o[3 * x + 1] += d;
      o[3 * x + 2] += d;
    }
  }
}

void mul_field(cv::Mat& surface, const cv::Mat& f) {
  for (int y = 0; y < surface.rows; ++y) {
    const float* v = f.ptr<float>(y);
    float* o = surface.ptr<float>(y);
    for (int x = 0; x < surface.cols; ++x) {
      o[3 * x] *= v[x];
      o[3 * x + 1] *= v[x];
      o[3 * x + 2] *= v[x];
    }
  }
}

void compose(Rng& rng, Style style, const Look& k, cv::Mat& surface, const cv::Mat& ink, const cv::Mat& ghost,
             float h) {
  auto blend_to = [&](const cv::Mat& a, cv::Scalar colour, float opacity) { blend_field(surface, a, colour, opacity); };
  switch (style) {
    case Style::kPrinted:
    case Style::kThermal:
    case Style::kDotMatrix: {
      cv::Mat a = ink;
      if (style == Style::kDotMatrix && k.surface == Surface::kCardboard) {
        cv::GaussianBlur(ink, a, cv::Size(0, 0), std::max(0.4, 0.02 * h));  // ink wicks into fibres
        cv::max(a, ink * 0.9, a);
      }
      blend_to(a, k.ink, k.density);
      break;
    }
    case Style::kEtched: {
      cv::Mat tex(ink.size(), CV_32F);
      cv::RNG cvrng(rng.fork());
      cvrng.fill(tex, cv::RNG::UNIFORM, 0.7, 1.15);
      cv::GaussianBlur(tex, tex, cv::Size(0, 0), 0.8);
      cv::Mat a = ink.mul(tex);
      if (k.etch_light) {
        blend_to(a, gray(250), k.density);
      } else {
        blend_to(a, gray(20) + cv::Scalar(0, 5, 10), k.density);
      }
      if (k.etch_relief) {
        cv::Mat hm, gx, gy;
        cv::GaussianBlur(ink, hm, cv::Size(0, 0), std::max(0.5, 0.02 * h));
        cv::Sobel(hm, gx, CV_32F, 1, 0, 3, 0.125);
        cv::Sobel(hm, gy, CV_32F, 0, 1, 3, 0.125);
        cv::Mat shade = gx * k.light.x + gy * k.light.y;
        add_field(surface, shade, -150.f * k.density);
      }
      break;
    }
    case Style::kStamped: {
      // Relief from a light direction: a smoothed height map of the die's shape,
      // shaded by its gradient (Lambert, small slopes), plus occlusion in grooves.
      cv::Mat hm, gx, gy;
      const double sigma = std::max(0.7, 0.05 * h);
      cv::GaussianBlur(ink, hm, cv::Size(0, 0), sigma);
      cv::Sobel(hm, gx, CV_32F, 1, 0, 3, 0.125);
      cv::Sobel(hm, gy, CV_32F, 0, 1, 3, 0.125);
      const float sign = k.debossed ? -1.f : 1.f;
      const cv::Mat slope = (gx * k.light.x + gy * k.light.y) * (-sign * k.density * sigma * 1.6);
      cv::Mat mult = slope + 1.0;
      mul_field(surface, mult);
      // Edges facing the light also catch a highlight independent of the
      // material's albedo: what keeps codes on black rubber readable.
      cv::Mat glint = cv::max(slope, 0.0);
      add_field(surface, glint, 70.f);
      if (k.debossed) blend_to(hm, gray(0), 0.25f);
      if (k.paint_fill) blend_to(ink, rng.chance(0.5) ? gray(240) : cv::Scalar(40, 200, 240), 0.8f);
      break;
    }
    case Style::kSegment: {
      if (!ghost.empty() && k.ghost > 0) blend_to(ghost, k.off_ink, k.ghost);
      if (!k.led) {
        // LCD segments cast a faint shadow on the reflector behind them.
        cv::Mat shifted;
        const float d = std::max(1.f, 0.04f * h);
        cv::warpAffine(ink, shifted, cv::Matx23f(1, 0, d, 0, 1, d), ink.size());
        blend_to(shifted, gray(0), 0.12f);
      }
      blend_to(ink, k.ink, k.density);
      if (k.led) {
        cv::Mat glow;
        cv::GaussianBlur(ink, glow, cv::Size(0, 0), std::max(1.0, 0.12 * h));
        for (int y = 0; y < surface.rows; ++y) {
          const float* g = glow.ptr<float>(y);
          float* o = surface.ptr<float>(y);
          for (int x = 0; x < surface.cols; ++x)
            for (int c = 0; c < 3; ++c) o[3 * x + c] += g[x] * static_cast<float>(k.ink[c] * 0.6);
        }
      }
      if (rng.chance(0.5)) add_specular(rng, surface, static_cast<float>(rng.uniform(20, 80)));  // glare on the glass
      break;
    }
  }
}

/// Scratches and dirt: surface damage drawn after the marks.
void draw_damage(Rng& rng, cv::Mat& surface, const cv::Point2f& origin, const std::vector<Quad>& quads,
                 const std::vector<bool>& is_scratch) {
  for (std::size_t i = 0; i < quads.size(); ++i) {
    const Quad& q = quads[i];
    if (is_scratch[i]) {
      const cv::Point2f a = 0.5f * (q.pts[0] + q.pts[3]) - origin;
      const cv::Point2f b = 0.5f * (q.pts[1] + q.pts[2]) - origin;
      const double w = std::max(1.0, cv::norm(q.pts[3] - q.pts[0]) * 0.5);
      const double v = rng.chance(0.6) ? rng.uniform(40, 90) : -rng.uniform(30, 70);
      cv::Mat m = cv::Mat::zeros(surface.size(), CV_32F);
      cv::line(m, cv::Point(cvRound(a.x * 16), cvRound(a.y * 16)), cv::Point(cvRound(b.x * 16), cvRound(b.y * 16)),
               cv::Scalar(v), static_cast<int>(std::lround(w)), cv::LINE_AA, 4);
      add_field(surface, m, 1.f);
    } else {
      const cv::Rect2f r = q.bounds();
      cv::Mat m = cv::Mat::zeros(surface.size(), CV_32F);
      const int blobs = rng.integer(1, 4);
      for (int k = 0; k < blobs; ++k) {
        const cv::Point2f c(static_cast<float>(rng.uniform(r.x + 0.3 * r.width, r.x + 0.7 * r.width)) - origin.x,
                            static_cast<float>(rng.uniform(r.y + 0.3 * r.height, r.y + 0.7 * r.height)) - origin.y);
        const cv::Size ax(std::max(1, static_cast<int>(r.width * rng.uniform(0.1, 0.3))),
                          std::max(1, static_cast<int>(r.height * rng.uniform(0.1, 0.3))));
        cv::ellipse(m, c, ax, rng.uniform(0, 180), 0, 360, cv::Scalar(1), cv::FILLED, cv::LINE_AA);
      }
      cv::GaussianBlur(m, m, cv::Size(0, 0), std::max(0.8, 0.06 * std::min(r.width, r.height)));
      // Multiplicative: dirt also dims a specular highlight, which an additive
      // darkening would leave saturated (invisible).
      const float k = static_cast<float>(rng.uniform(0.2, 0.55));
      cv::Mat keep = 1.0 - m * k;
      mul_field(surface, keep);
    }
  }
}

Quad plane_rect_quad(const cv::Rect2f& r) { return Quad::from_rect(r); }

}  // namespace

// ---- the generator -------------------------------------------------------------------

Generator::Generator(SynthConfig config, std::uint64_t seed) : config_(std::move(config)), seed_(seed) {
  charset_ = expand_charset(config_.charset);
  styles_ = config_.styles.empty() ? all_styles() : config_.styles;
  if (config_.min_char_height < 6 || config_.max_char_height < config_.min_char_height) {
    throw InputError("synth: character heights must satisfy 6 <= min <= max (got " +
                     std::to_string(config_.min_char_height) + ", " + std::to_string(config_.max_char_height) + ")");
  }
  if (config_.max_size.width < 64 || config_.max_size.height < 32) {
    throw InputError("synth: max_size must be at least 64×32");
  }
  if (config_.max_lines < 1) throw InputError("synth: max_lines must be at least 1");
  for (Style s : styles_) (void)fonts_for(s);  // fail early, naming the missing fonts
}

Sample Generator::generate(std::uint64_t index) const { return generate_impl(index, false).sample; }

DebugSample Generator::generate_debug(std::uint64_t index) const { return generate_impl(index, true); }

DebugSample Generator::generate_impl(std::uint64_t index, bool want_ink) const {
  // Draw 0 is the sample as it always was; later draws only replace an
  // illegible one, so every legible sample stays what its index made it.
  DebugSample d;
  for (int attempt = 0; attempt < kMaxLegibilityDraws; ++attempt) {
    d = draw(index, attempt, want_ink);
    bool legible = true;
    for (std::size_t l = 0; l < d.contrast.size() && legible; ++l) {
      const auto& chars = d.sample.lines[l].chars;
      for (std::size_t c = 0; c < chars.size(); ++c) {
        if (d.contrast[l][c] < config_.min_contrast || chars[c].cnr < config_.min_cnr) {
          legible = false;
          break;
        }
      }
    }
    if (legible) break;
  }
  return d;
}

DebugSample Generator::draw(std::uint64_t index, int attempt, bool want_ink) const {
  Rng rng(attempt == 0 ? mix_seed(seed_, index) : mix_seed(mix_seed(seed_, index), static_cast<std::uint64_t>(attempt)));
  const Style style = styles_[static_cast<std::size_t>(rng.integer(0, static_cast<int>(styles_.size()) - 1))];
  const Look look = draw_look(rng, style);
  const cv::Size max_size = config_.max_size;

  // Geometry first: how far the text will turn decides how much of it fits.
  double angle;
  const double ar = rng.uniform();
  if (ar < 0.55) angle = rng.clipped_normal(0, 5, -30, 30);
  else if (ar < 0.95) angle = rng.uniform(-30, 30);
  else angle = rng.uniform(-45, 45);
  const double ca = std::fabs(std::cos(angle * CV_PI / 180)), sa = std::fabs(std::sin(angle * CV_PI / 180));

  // Lines and blocks.
  const int max_lines = std::max(1, config_.max_lines);
  const std::vector<double> line_w = {0.35, 0.33, 0.18, 0.14};
  int n_lines = 1 + static_cast<int>(rng.weighted(std::vector<double>(line_w.begin(), line_w.begin() + std::min(4, max_lines))));
  if (max_lines > 4 && rng.chance(0.1)) n_lines = rng.integer(5, max_lines);
  int n_blocks = 1;
  if (n_lines >= 2 && rng.chance(0.45)) n_blocks = rng.integer(2, std::min(3, n_lines));
  const bool side_by_side = n_blocks >= 2 && rng.chance(0.35);

  // Character height: log-uniform, bounded so the lines fit the tallest image.
  const float min_h = static_cast<float>(config_.min_char_height);
  const float usable_h = static_cast<float>(std::min(max_size.height, max_size.width)) * 0.8f;
  const float fit_h = usable_h / (static_cast<float>(side_by_side ? (n_lines + 1) / 2 : n_lines) * 1.9f + 0.5f);
  const float max_h = std::max(min_h, std::min(static_cast<float>(config_.max_char_height), fit_h));
  std::vector<BlockPlan> blocks;
  std::vector<int> lines_per_block(static_cast<std::size_t>(n_blocks), 1);
  for (int i = n_blocks; i < n_lines; ++i) ++lines_per_block[static_cast<std::size_t>(rng.integer(0, n_blocks - 1))];
  const float base_h = static_cast<float>(rng.log_uniform(min_h, max_h));
  for (int bi = 0; bi < n_blocks; ++bi) {
    const float h = bi == 0 ? base_h
                            : std::clamp(base_h * static_cast<float>(rng.log_uniform(0.6, 1.5)), min_h, max_h);
    // A face that draws none of the charset (DSEG14 for a lower-case charset)
    // is replaced by another draw; only a style with no usable face is an error.
    BlockPlan b = plan_block(rng, style, h);
    for (int attempt = 0; attempt < 12 && drawable(charset_, b).empty(); ++attempt) b = plan_block(rng, style, h);
    blocks.push_back(std::move(b));
  }

  // Codes: as many characters as fit the widest image at this size and angle.
  std::vector<std::vector<PlacedLine>> placed(blocks.size());
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    BlockPlan& b = blocks[bi];
    const Alphabet alpha = make_alphabet(drawable(charset_, b));
    if (b.dots) {
      for (const auto& c : alpha.all)
        b.dot_alphabet.push_back(dot_glyph(c, b.cols, b.rows, b.dot_font, b.slashed_zero));
    }
    if (alpha.all.empty()) {
      throw InputError(std::string("synth: style ") + style_name(style) + " cannot draw any character of the charset");
    }
    const float est_w = b.h * (b.dots ? 0.9f : 0.72f) * std::max(1.f, b.track) * b.sx + b.gap * b.h;
    const float budget_w = static_cast<float>(max_size.width) * (side_by_side ? 0.45f : 0.88f);
    const float budget_h = static_cast<float>(max_size.height) * 0.88f;
    // Rotated extent of a line of length L and height ~h must fit both ways.
    const float by_w = (budget_w - static_cast<float>(sa) * b.h) / std::max(0.2f, static_cast<float>(ca));
    const float by_h = sa > 0.05 ? (budget_h - static_cast<float>(ca) * b.h * 2.f) / static_cast<float>(sa) : 1e9f;
    const int max_chars = std::max(1, std::min(24, static_cast<int>(std::min(by_w, by_h) / est_w)));
    for (int li = 0; li < lines_per_block[bi]; ++li) {
      Code code = make_code(rng, alpha, style, max_chars);
      if (rng.chance(0.15)) {  // two fields on one line
        const Code more = make_code(rng, alpha, style, max_chars);
        const int n1 = static_cast<int>(utf8_split(code.text).size());
        const int n2 = static_cast<int>(utf8_split(more.text).size());
        if (n1 + n2 + 1 <= max_chars) {
          code.text += " " + more.text;
          code.atoms.insert(code.atoms.end(), more.atoms.begin(), more.atoms.end());
        }
      }
      PlacedLine line = layout_line(rng, b, style, look, code);
      if (line.chars.empty()) continue;
      placed[bi].push_back(std::move(line));
    }
  }

  // Arrange lines in blocks and blocks on the plane (integer offsets keep the
  // rasters aligned to plane pixels).
  std::vector<PlacedLine> lines;
  float cursor_x = 0, cursor_y = 0;
  std::vector<cv::Rect2f> line_bounds;
  cv::Rect2f text_bounds;
  float min_line_h = 1e9f;
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    const BlockPlan& b = blocks[bi];
    if (placed[bi].empty()) continue;
    float block_w = 0;
    for (const auto& l : placed[bi]) block_w = std::max(block_w, cells_bounds(l).width);
    float y = b.h;  // first baseline
    cv::Rect2f block_bounds;
    for (auto& l : placed[bi]) {
      const cv::Rect2f lb = cells_bounds(l);
      const float free = block_w - lb.width;
      const float ax = b.align == 0 ? 0.f : (b.align == 1 ? 0.5f * free : free);
      shift_line(l, static_cast<int>(std::lround(cursor_x + ax - lb.x)), static_cast<int>(std::lround(cursor_y + y)));
      block_bounds = unite(block_bounds, cells_bounds(l));
      y += b.line_step * b.h;
    }
    for (auto& l : placed[bi]) {
      line_bounds.push_back(cells_bounds(l));
      lines.push_back(std::move(l));
    }
    min_line_h = std::min(min_line_h, b.h);
    text_bounds = unite(text_bounds, block_bounds);
    if (side_by_side) {
      cursor_x = block_bounds.x + block_bounds.width + b.h * static_cast<float>(rng.uniform(1.5, 4.0));
    } else {
      cursor_y = block_bounds.y + block_bounds.height + b.h * static_cast<float>(rng.uniform(0.6, 2.5));
      cursor_x = static_cast<float>(rng.uniform(-2.0, 2.0)) * b.h;
    }
  }
  if (lines.empty()) {
    throw InputError("synth: sample " + std::to_string(index) + " has no drawable character");
  }

  // Distractors drawn like ink (barcodes, 2-D codes, logos, rules, borders), placed
  // around the text, never over a character.
  const float h_ref = min_line_h;
  std::vector<Mark> marks;
  std::vector<cv::Rect2f> occupied;
  for (const auto& lb : line_bounds) occupied.push_back(inflate(lb, 0.35f * h_ref));
  cv::Rect2f content = text_bounds;
  const int n_marks = rng.chance(0.35) ? 0 : rng.integer(1, 3);
  for (int mi = 0; mi < n_marks; ++mi) {
    const double kr = rng.uniform();
    Mark mk;
    mk.kind = kr < 0.3 ? MarkKind::kBarcode : kr < 0.45 ? MarkKind::kMatrix : kr < 0.7 ? MarkKind::kLogo : MarkKind::kRule;
    // Displays show icons and bars, not printed codes.
    if (style == Style::kSegment) mk.kind = kr < 0.6 ? MarkKind::kLogo : MarkKind::kRule;
    float w, hh;
    switch (mk.kind) {
      case MarkKind::kBarcode:
        mk.module = std::max(1.f, h_ref * static_cast<float>(rng.uniform(0.05, 0.12)));
        w = mk.module * static_cast<float>(rng.integer(30, 70));
        hh = h_ref * static_cast<float>(rng.uniform(1.0, 3.0));
        break;
      case MarkKind::kMatrix: w = hh = h_ref * static_cast<float>(rng.uniform(1.5, 3.5)); break;
      case MarkKind::kLogo: w = hh = h_ref * static_cast<float>(rng.uniform(1.0, 2.5)); break;
      default:
        w = static_cast<float>(rng.uniform(0.5, 1.1)) * std::max(text_bounds.width, 4 * h_ref);
        hh = std::max(1.f, h_ref * static_cast<float>(rng.uniform(0.05, 0.15)));
        break;
    }
    for (int attempt = 0; attempt < 12; ++attempt) {
      const float gap = h_ref * static_cast<float>(rng.uniform(0.5, 2.0));
      cv::Rect2f r(0, 0, w, hh);
      switch (rng.integer(0, 3)) {
        case 0: r.x = text_bounds.x + text_bounds.width + gap; r.y = text_bounds.y + static_cast<float>(rng.uniform(-0.3, 0.7)) * text_bounds.height; break;
        case 1: r.x = text_bounds.x - gap - w; r.y = text_bounds.y + static_cast<float>(rng.uniform(-0.3, 0.7)) * text_bounds.height; break;
        case 2: r.y = text_bounds.y + text_bounds.height + gap; r.x = text_bounds.x + static_cast<float>(rng.uniform(-0.2, 0.8)) * text_bounds.width; break;
        default: r.y = text_bounds.y - gap - hh; r.x = text_bounds.x + static_cast<float>(rng.uniform(-0.2, 0.8)) * text_bounds.width; break;
      }
      r.x = std::round(r.x);
      r.y = std::round(r.y);
      const cv::Rect2f grown = unite(content, r);
      const double ext_w = grown.width * ca + grown.height * sa, ext_h = grown.width * sa + grown.height * ca;
      if (ext_w > max_size.width * 0.95 || ext_h > max_size.height * 0.95) continue;
      bool clash = false;
      for (const auto& o : occupied) clash = clash || overlaps(o, r);
      if (clash) continue;
      mk.rect = r;
      marks.push_back(mk);
      occupied.push_back(inflate(r, 0.3f * h_ref));
      content = grown;
      break;
    }
  }
  // A border around everything, sometimes (four rules).
  if (rng.chance(0.12)) {
    const float pad = h_ref * static_cast<float>(rng.uniform(0.5, 1.2));
    const float t = std::max(1.f, h_ref * static_cast<float>(rng.uniform(0.05, 0.12)));
    const cv::Rect2f outer(std::round(content.x - pad - t), std::round(content.y - pad - t),
                           std::round(content.width + 2 * (pad + t)), std::round(content.height + 2 * (pad + t)));
    const double ext_w = outer.width * ca + outer.height * sa, ext_h = outer.width * sa + outer.height * ca;
    if (ext_w < max_size.width * 0.95 && ext_h < max_size.height * 0.95) {
      const float T = std::round(t);
      marks.push_back({MarkKind::kRule, cv::Rect2f(outer.x, outer.y, outer.width, T)});
      marks.push_back({MarkKind::kRule, cv::Rect2f(outer.x, outer.y + outer.height - T, outer.width, T)});
      marks.push_back({MarkKind::kRule, cv::Rect2f(outer.x, outer.y + T, T, outer.height - 2 * T)});
      marks.push_back({MarkKind::kRule, cv::Rect2f(outer.x + outer.width - T, outer.y + T, T, outer.height - 2 * T)});
      content = unite(content, outer);
    }
  }

  // The warp: rotation about the content centre, perspective (corner jitter),
  // mild bend; scaled down only if the result would not fit.
  const cv::Point2f cc(content.x + 0.5f * content.width, content.y + 0.5f * content.height);
  SceneWarp warp;
  if (rng.chance(0.2)) {
    const double sag = rng.uniform(-0.3, 0.3) * h_ref;  // bend across the content width
    const double half = std::max(1.f, 0.5f * content.width);
    warp.bend_k = sag / (half * half);
    warp.bend_cx = cc.x;
  }
  cv::Matx33d persp = cv::Matx33d::eye();
  if (rng.chance(0.5)) {
    // Corner jitter of a frame the size of the largest image, not of the content:
    // perspective comes from the camera's view, and a frame this large keeps the
    // vanishing line far outside any image we make.
    const float hw = 0.5f * static_cast<float>(std::max(max_size.width, max_size.height));
    const float hh2 = hw;
    const float amt = static_cast<float>(rng.uniform(0.01, 0.08));
    std::vector<cv::Point2f> src = {{-hw, -hh2}, {hw, -hh2}, {hw, hh2}, {-hw, hh2}};
    std::vector<cv::Point2f> dst;
    for (const auto& p : src) {
      dst.emplace_back(p.x + static_cast<float>(rng.uniform(-amt, amt)) * 2 * hw,
                       p.y + static_cast<float>(rng.uniform(-amt, amt)) * 2 * hh2);
    }
    cv::Mat pm = cv::getPerspectiveTransform(src, dst);
    persp = cv::Matx33d(pm);
  }
  const double rad = angle * CV_PI / 180.0;
  const cv::Matx33d rot(std::cos(rad), -std::sin(rad), 0, std::sin(rad), std::cos(rad), 0, 0, 0, 1);
  const cv::Matx33d centre(1, 0, -cc.x, 0, 1, -cc.y, 0, 0, 1);
  cv::Matx33d core = rot * persp * centre;
  warp.set_homography(core);
  // Fit: scale down if the warped content is larger than the image may be.
  const float min_margin = 2.f;
  cv::Rect2f wb = warp.forward_bounds(content);
  const double fit = std::min((max_size.width - 2 * min_margin) / std::max(1.f, wb.width),
                              (max_size.height - 2 * min_margin) / std::max(1.f, wb.height));
  double scale = 1.0;
  if (fit < 1.0) scale = fit;
  const cv::Matx33d sc(scale, 0, 0, 0, scale, 0, 0, 0, 1);
  core = sc * core;
  warp.set_homography(core);
  wb = warp.forward_bounds(content);
  // Margins: tight crops of labels, or more of the scene around them.
  const float slack_w = static_cast<float>(max_size.width) - wb.width - 2 * min_margin;
  const float slack_h = static_cast<float>(max_size.height) - wb.height - 2 * min_margin;
  const float loose = rng.chance(0.5) ? 1.f : 0.25f;
  float mx_l = min_margin + static_cast<float>(rng.uniform(0, std::min(slack_w * 0.5f * loose, 3.f * h_ref + slack_w * 0.1f * loose)));
  float mx_r = min_margin + static_cast<float>(rng.uniform(0, std::min(slack_w * 0.5f * loose, 3.f * h_ref + slack_w * 0.1f * loose)));
  float my_t = min_margin + static_cast<float>(rng.uniform(0, std::min(slack_h * 0.5f * loose, 2.f * h_ref + slack_h * 0.1f * loose)));
  float my_b = min_margin + static_cast<float>(rng.uniform(0, std::min(slack_h * 0.5f * loose, 2.f * h_ref + slack_h * 0.1f * loose)));
  if (config_.fill_max_size) {
    // Exactly max_size: the content lands anywhere the slack allows.
    mx_l = min_margin + static_cast<float>(rng.uniform(0, std::max(0.f, slack_w)));
    my_t = min_margin + static_cast<float>(rng.uniform(0, std::max(0.f, slack_h)));
    mx_r = static_cast<float>(max_size.width) - wb.width - mx_l;
    my_b = static_cast<float>(max_size.height) - wb.height - my_t;
  }
  const int img_w = config_.fill_max_size ? max_size.width
                                          : std::clamp(static_cast<int>(std::ceil(wb.width + mx_l + mx_r)), 16, max_size.width);
  const int img_h = config_.fill_max_size ? max_size.height
                                          : std::clamp(static_cast<int>(std::ceil(wb.height + my_t + my_b)), 16, max_size.height);
  const cv::Matx33d place(1, 0, mx_l - wb.x, 0, 1, my_t - wb.y, 0, 0, 1);
  warp.set_homography(place * core);

  // The plane raster ("canvas") that covers the image.
  cv::Rect2f ib = warp.inverse_bounds(cv::Rect2f(0, 0, static_cast<float>(img_w), static_cast<float>(img_h)));
  // Never more than a few times the image: bounded work whatever the warp.
  ib = ib & inflate(content, 2.f * static_cast<float>(std::max(max_size.width, max_size.height)));
  const cv::Point2f origin(std::floor(ib.x) - 2.f, std::floor(ib.y) - 2.f);
  const cv::Size canvas_size(static_cast<int>(std::ceil(ib.x + ib.width - origin.x)) + 3,
                             static_cast<int>(std::ceil(ib.y + ib.height - origin.y)) + 3);
  const cv::Rect canvas_rect(0, 0, canvas_size.width, canvas_size.height);

  // Surface damage on free surface (scratches, dirt).
  std::vector<Quad> damage;
  std::vector<bool> damage_scratch;
  const bool damaged_surface = look.surface == Surface::kMetal || look.surface == Surface::kPlastic ||
                               look.surface == Surface::kRubber || look.surface == Surface::kGlossyFilm ||
                               look.surface == Surface::kCardboard;
  const int n_damage = damaged_surface && rng.chance(0.45) ? rng.integer(1, 4) : 0;
  for (int di = 0; di < n_damage; ++di) {
    const bool scratch = rng.chance(0.6);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const cv::Point2f c(static_cast<float>(rng.uniform(ib.x, ib.x + ib.width)),
                          static_cast<float>(rng.uniform(ib.y, ib.y + ib.height)));
      Quad q;
      if (scratch) {
        const float len = h_ref * static_cast<float>(rng.uniform(1.0, 6.0));
        const float th = static_cast<float>(rng.uniform(0.8, 2.0));
        const double a = rng.uniform(0, CV_PI);
        const cv::Point2f d(static_cast<float>(std::cos(a)) * 0.5f * len, static_cast<float>(std::sin(a)) * 0.5f * len);
        const cv::Point2f n(-d.y / (0.5f * len) * 0.5f * th, d.x / (0.5f * len) * 0.5f * th);
        q.pts = {c - d - n, c + d - n, c + d + n, c - d + n};
      } else {
        const float s = h_ref * static_cast<float>(rng.uniform(0.6, 2.0));
        q = Quad::from_rect(cv::Rect2f(c.x - 0.5f * s, c.y - 0.5f * s, s, s));
      }
      const cv::Rect2f qb = q.bounds();
      bool clash = false;
      for (const auto& o : occupied) clash = clash || overlaps(o, qb);
      const cv::Rect2f ibq = warp.forward_bounds(qb);
      if (ibq.x < 0 || ibq.y < 0 || ibq.x + ibq.width > img_w || ibq.y + ibq.height > img_h) clash = true;
      if (clash) continue;
      occupied.push_back(inflate(qb, 0.2f * h_ref));
      damage.push_back(q);
      damage_scratch.push_back(scratch);
      break;
    }
  }

  // ---- drawing on the plane ----
  cv::Mat surface = make_surface(rng, canvas_size, look.surface, look.background);
  // A label stuck on a part: the marked surface is a rectangle around the
  // content, on another material, with a soft drop shadow.
  const bool labelled = (style == Style::kPrinted || style == Style::kThermal ||
                         (style == Style::kDotMatrix && look.surface == Surface::kPaper)) &&
                        rng.chance(0.35);
  if (labelled) {
    const float m = h_ref * static_cast<float>(rng.uniform(0.6, 2.0));
    const cv::Rect2f label = inflate(content, m);
    static const std::vector<std::pair<Surface, cv::Scalar>> kParts = {
        {Surface::kCardboard, {110, 160, 195}}, {Surface::kMetal, {150, 150, 150}},
        {Surface::kPlastic, {40, 40, 40}},      {Surface::kPlastic, {160, 110, 60}},
        {Surface::kMetal, {90, 95, 100}},       {Surface::kPlastic, {200, 200, 195}}};
    const auto& part = rng.pick(kParts);
    cv::Mat outer = make_surface(rng, canvas_size, part.first, jitter_colour(rng, part.second, 12));
    cv::Mat mask(canvas_size, CV_32F, cv::Scalar(0));
    const cv::Rect lr(static_cast<int>(std::lround(label.x - origin.x)), static_cast<int>(std::lround(label.y - origin.y)),
                      static_cast<int>(std::lround(label.width)), static_cast<int>(std::lround(label.height)));
    const float radius = std::min(label.width, label.height) * static_cast<float>(rng.uniform(0.0, 0.12));
    cv::Mat m8(canvas_size, CV_8U, cv::Scalar(0));
    const int rr = static_cast<int>(radius);
    cv::rectangle(m8, cv::Rect(lr.x + rr, lr.y, std::max(1, lr.width - 2 * rr), lr.height), cv::Scalar(255), cv::FILLED);
    cv::rectangle(m8, cv::Rect(lr.x, lr.y + rr, lr.width, std::max(1, lr.height - 2 * rr)), cv::Scalar(255), cv::FILLED);
    if (rr > 0) {
      for (const cv::Point c : {cv::Point(lr.x + rr, lr.y + rr), cv::Point(lr.x + lr.width - rr, lr.y + rr),
                                cv::Point(lr.x + rr, lr.y + lr.height - rr), cv::Point(lr.x + lr.width - rr, lr.y + lr.height - rr)})
        cv::circle(m8, c, rr, cv::Scalar(255), cv::FILLED, cv::LINE_AA);
    }
    m8.convertTo(mask, CV_32F, 1.0 / 255.0);
    cv::GaussianBlur(mask, mask, cv::Size(0, 0), 0.7);
    cv::Mat shadow;
    const float off = std::max(1.f, 0.08f * h_ref);
    cv::warpAffine(mask, shadow, cv::Matx23f(1, 0, off, 0, 1, off), canvas_size);
    cv::GaussianBlur(shadow, shadow, cv::Size(0, 0), std::max(1.0, 0.15 * h_ref));
    cv::Mat keep = 1.0 - shadow * 0.45;
    mul_field(outer, keep);
    for (int y = 0; y < canvas_size.height; ++y) {
      const float* a = mask.ptr<float>(y);
      const float* ov = outer.ptr<float>(y);
      float* sv = surface.ptr<float>(y);
      for (int x = 0; x < canvas_size.width; ++x) {
        const float t = a[x];
        for (int c = 0; c < 3; ++c) sv[3 * x + c] = sv[3 * x + c] * t + ov[3 * x + c] * (1.f - t);
      }
    }
  }
  cv::Mat ink(canvas_size, CV_32F, cv::Scalar(0));
  cv::Mat ghost;
  if (style == Style::kSegment) ghost = cv::Mat(canvas_size, CV_32F, cv::Scalar(0));
  const cv::Point o(static_cast<int>(origin.x), static_cast<int>(origin.y));

  ThermalField thermal;
  if (style == Style::kThermal) {
    thermal.dead_vertical = rng.chance(0.5);
    thermal.dead_width = static_cast<float>(rng.uniform(0.8, 2.5));
    const int n_dead = rng.chance(0.7) ? rng.integer(1, 5) : 0;
    for (int i = 0; i < n_dead; ++i) {
      thermal.dead.push_back(thermal.dead_vertical ? static_cast<float>(rng.uniform(text_bounds.x, text_bounds.x + text_bounds.width))
                                                   : static_cast<float>(rng.uniform(text_bounds.y, text_bounds.y + text_bounds.height)));
    }
    if (rng.chance(0.5)) {
      thermal.fade_x0 = static_cast<float>(rng.uniform(text_bounds.x, text_bounds.x + 0.5 * text_bounds.width));
      thermal.fade_dx = std::max(1.f, text_bounds.width * static_cast<float>(rng.uniform(0.5, 1.5)));
      thermal.fade_lo = static_cast<float>(rng.uniform(0.35, 0.8));
    }
    if (rng.chance(0.6)) {
      thermal.void_seed = rng.fork();
      thermal.void_cell = std::max(1.f, h_ref * static_cast<float>(rng.uniform(0.06, 0.15)));
      thermal.void_rate = static_cast<float>(rng.uniform(0.03, 0.15));
    }
  }

  for (auto& line : lines) {
    for (auto& c : line.chars) {
      if (style == Style::kThermal) {
        for (int y = 0; y < c.alpha.rows; ++y) {
          float* row = c.alpha.ptr<float>(y);
          for (int x = 0; x < c.alpha.cols; ++x)
            row[x] *= thermal.value(c.origin.x + x + 0.5f, c.origin.y + y + 0.5f);
        }
      }
      const cv::Rect r(c.origin - o, c.alpha.size());
      const cv::Rect rc = r & canvas_rect;
      if (rc.area() > 0) {
        cv::Mat dst = ink(rc);
        cv::max(dst, c.alpha(cv::Rect(rc.tl() - r.tl(), rc.size())), dst);
      }
      if (!ghost.empty() && !c.ghost.empty()) {
        const cv::Rect g(c.ghost_origin - o, c.ghost.size());
        const cv::Rect gc = g & canvas_rect;
        if (gc.area() > 0) {
          cv::Mat dst = ghost(gc);
          cv::max(dst, c.ghost(cv::Rect(gc.tl() - g.tl(), gc.size())), dst);
        }
      }
    }
  }
  // Each character's own ink: where it is the topmost ink of the plane, before
  // the distractors. Its legibility is measured there, not over its whole cell,
  // which a neighbour's strokes may reach into: a segment face's '.' has a cell
  // narrower than the dot's neighbours' overlap, and was measured on their ink.
  std::vector<std::vector<cv::Mat>> own_ink;
  for (const auto& line : lines) {
    own_ink.emplace_back();
    for (const auto& c : line.chars) {
      cv::Mat own = c.alpha.clone();
      const cv::Rect r(c.origin - o, c.alpha.size());
      const cv::Rect rc = r & canvas_rect;
      if (rc.area() > 0) {
        cv::Mat mine = own(cv::Rect(rc.tl() - r.tl(), rc.size()));
        mine.setTo(0.f, mine < ink(rc));
      }
      own_ink.back().push_back(std::move(own));
    }
  }
  std::vector<Quad> distractors_plane;
  for (const auto& mk : marks) {
    const cv::Rect r(static_cast<int>(mk.rect.x) - o.x, static_cast<int>(mk.rect.y) - o.y,
                     std::max(1, static_cast<int>(std::lround(mk.rect.width))), std::max(1, static_cast<int>(std::lround(mk.rect.height))));
    const cv::Rect rc = r & canvas_rect;
    if (rc.area() <= 0) continue;
    switch (mk.kind) {
      case MarkKind::kBarcode: draw_barcode(rng, ink, rc, mk.module); break;
      case MarkKind::kMatrix: draw_matrix(rng, ink, rc); break;
      case MarkKind::kLogo: draw_logo(rng, ink, rc); break;
      case MarkKind::kRule: ink(rc).setTo(1.f); break;
    }
    distractors_plane.push_back(plane_rect_quad(mk.rect));
  }

  // The same scene without its characters (nor distractors), to measure how
  // legible each character came out: compose and damage draw the same random
  // numbers from a twin of rng whatever the ink, so only the marks differ.
  cv::Mat bare_surface = surface.clone();
  {
    Rng twin = rng;
    compose(twin, style, look, bare_surface, cv::Mat::zeros(canvas_size, CV_32F), ghost, h_ref);
    draw_damage(twin, bare_surface, origin, damage, damage_scratch);
  }
  compose(rng, style, look, surface, ink, ghost, h_ref);
  draw_damage(rng, surface, origin, damage, damage_scratch);
  for (const auto& q : damage) distractors_plane.push_back(q);

  cv::Mat canvas8;
  surface.convertTo(canvas8, CV_8UC3);
  DebugSample out;
  Sample& s = out.sample;
  s.style = style;
  s.image = warp_to_image(canvas8, origin, warp, cv::Rect(0, 0, img_w, img_h), cv::BORDER_REPLICATE);

  // Annotations: plane cells through the same warp.
  float min_img_h = 1e9f;
  for (const auto& line : lines) {
    LineAnn la;
    la.text = line.text;
    la.font = line.font;
    la.format = line.format;
    for (const auto& c : line.chars) {
      CharAnn ca2;
      ca2.label = c.label;
      ca2.quad.pts = {warp.forward({c.x0, c.top}), warp.forward({c.x1, c.top}), warp.forward({c.x1, c.bottom}),
                      warp.forward({c.x0, c.bottom})};
      min_img_h = std::min(min_img_h, ca2.quad.height());
      la.chars.push_back(ca2);
    }
    s.lines.push_back(std::move(la));
  }
  for (const auto& q : distractors_plane) {
    Quad iq;
    for (int i = 0; i < 4; ++i) iq.pts[static_cast<std::size_t>(i)] = warp.forward(q.pts[static_cast<std::size_t>(i)]);
    s.distractors.push_back(iq);
  }

  if (want_ink) {
    const cv::Rect img_rect(0, 0, img_w, img_h);
    for (const auto& line : lines) {
      std::vector<CharInk> li;
      for (const auto& c : line.chars) {
        const cv::Rect2f pr(static_cast<float>(c.origin.x), static_cast<float>(c.origin.y),
                            static_cast<float>(c.alpha.cols), static_cast<float>(c.alpha.rows));
        const cv::Rect2f fb = warp.forward_bounds(pr);
        const cv::Rect roi = cv::Rect(static_cast<int>(std::floor(fb.x)) - 2, static_cast<int>(std::floor(fb.y)) - 2,
                                      static_cast<int>(std::ceil(fb.width)) + 5, static_cast<int>(std::ceil(fb.height)) + 5) &
                             img_rect;
        CharInk ci;
        ci.roi = roi;
        if (roi.area() > 0)
          ci.alpha = warp_to_image(c.alpha, cv::Point2f(pr.x, pr.y), warp, roi, cv::BORDER_CONSTANT);
        li.push_back(std::move(ci));
      }
      out.ink.push_back(std::move(li));
    }
  }

  std::vector<CharBox> char_boxes;
  const cv::Rect image_rect(0, 0, img_w, img_h);
  for (std::size_t l = 0; l < s.lines.size(); ++l) {
    for (std::size_t k = 0; k < s.lines[l].chars.size(); ++k) {
      const CharAnn& c = s.lines[l].chars[k];
      const cv::Rect2f b = c.quad.bounds();
      CharBox box{
          cv::Rect(cv::Point(static_cast<int>(std::floor(b.x)), static_cast<int>(std::floor(b.y))),
                   cv::Point(static_cast<int>(std::ceil(b.br().x)),
                             static_cast<int>(std::ceil(b.br().y)))),
          c.quad.height(),
          {}};
      const cv::Rect seen = box.box & image_rect;
      if (seen.area() > 0) {
        box.own = warp_to_image(own_ink[l][k], cv::Point2f(lines[l].chars[k].origin), warp, seen,
                                cv::BORDER_CONSTANT);
      }
      char_boxes.push_back(std::move(box));
    }
  }
  cv::Mat bare8;
  bare_surface.convertTo(bare8, CV_8UC3);
  const std::vector<Legibility> leg = degrade(
      rng, s.image,
      warp_to_image(bare8, origin, warp, cv::Rect(0, 0, img_w, img_h), cv::BORDER_REPLICATE),
      std::min(min_img_h, h_ref * static_cast<float>(scale)), char_boxes);
  std::size_t k = 0;
  for (auto& line : s.lines) {
    out.contrast.emplace_back();
    for (auto& c : line.chars) {
      out.contrast.back().push_back(leg[k].contrast);
      c.cnr = leg[k++].cnr;
    }
  }
  return out;
}

}  // namespace ocr2s::synth
