#include "synth/dotmatrix.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "synth/fonts.hpp"

namespace ocr2s::synth {

bool DotGlyph::empty() const {
  return std::none_of(on.begin(), on.end(), [](unsigned char v) { return v != 0; });
}

namespace {

// Zhang & Suen, "A fast parallel algorithm for thinning digital patterns",
// CACM 27(3), 1984. `img` is CV_8U with values 0/1; thinned in place.
void zhang_suen(cv::Mat& img) {
  cv::Mat marker;
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      marker = cv::Mat::zeros(img.size(), CV_8U);
      for (int y = 1; y + 1 < img.rows; ++y) {
        for (int x = 1; x + 1 < img.cols; ++x) {
          if (!img.at<uchar>(y, x)) continue;
          const uchar p2 = img.at<uchar>(y - 1, x), p3 = img.at<uchar>(y - 1, x + 1),
                      p4 = img.at<uchar>(y, x + 1), p5 = img.at<uchar>(y + 1, x + 1),
                      p6 = img.at<uchar>(y + 1, x), p7 = img.at<uchar>(y + 1, x - 1),
                      p8 = img.at<uchar>(y, x - 1), p9 = img.at<uchar>(y - 1, x - 1);
          const int b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          const int a = (!p2 && p3) + (!p3 && p4) + (!p4 && p5) + (!p5 && p6) + (!p6 && p7) +
                        (!p7 && p8) + (!p8 && p9) + (!p9 && p2);
          const bool c = pass == 0 ? (p2 * p4 * p6 == 0 && p4 * p6 * p8 == 0)
                                   : (p2 * p4 * p8 == 0 && p2 * p6 * p8 == 0);
          if (b >= 2 && b <= 6 && a == 1 && c) marker.at<uchar>(y, x) = 1;
        }
      }
      if (cv::countNonZero(marker)) {
        changed = true;
        img.setTo(0, marker);
      }
    }
  }
}

/// Width of the left stem of 'H' on its upper half: the face's stroke width.
float stem_width(const Glyph& h) {
  const int y = h.alpha.rows / 4;
  int x = 0;
  while (x < h.alpha.cols && h.alpha.at<uchar>(y, x) < 128) ++x;
  int w = 0;
  while (x + w < h.alpha.cols && h.alpha.at<uchar>(y, x + w) >= 128) ++w;
  return static_cast<float>(std::max(1, w));
}

/// How many dots of `zero` lie inside the counter of `o`: at least two cells
/// (Chebyshev) from every dot of `o`, so they are a mark of their own and not
/// ring dots nudged by the rasteriser.
int counter_marks(const DotGlyph& zero, const DotGlyph& o) {
  const int total_rows = zero.rows + zero.below;
  int n = 0;
  for (int r = 0; r < total_rows; ++r) {
    for (int c = 0; c < zero.cols; ++c) {
      if (!zero.at(r, c)) continue;
      bool near = false;
      for (int dr = -1; dr <= 1 && !near; ++dr)
        for (int dc = -1; dc <= 1 && !near; ++dc) {
          const int rr = r + dr, cc = c + dc;
          near = rr >= 0 && rr < total_rows && cc >= 0 && cc < o.cols && o.at(rr, cc);
        }
      if (!near) ++n;
    }
  }
  return n;
}

// Many printers' dot fonts draw the zero with a slash or a dot in its counter,
// so that it never reads as 'O' (the 5x7 character generators of printers and
// displays slash it); others print a plain ring. Sampling a font's skeleton onto
// a coarse grid loses such a mark, or the font had none: then the two are a ring
// each, a few corner dots apart. For a slashed zero, a zero with fewer than two
// dots of its own inside O's counter gets a slash from the lower left to the
// upper right of the counter, as in those fonts. (One dot is not enough: a
// dotted zero whose dot is lost to a missing dot or to blur is an O.)
void mark_zero(DotGlyph& zero, const DotGlyph& o) {
  if (o.empty() || counter_marks(zero, o) >= 2) return;
  const auto set = [&](int r, int c) { zero.on[static_cast<std::size_t>(r * zero.cols + c)] = 1; };
  if (zero.rows <= 5 || zero.cols < 4) {
    set(zero.rows / 2, zero.cols / 2);
    return;
  }
  for (int r = 2; r <= zero.rows - 3; ++r) {
    const float t = static_cast<float>(zero.rows - 3 - r) / static_cast<float>(zero.rows - 5);
    set(r, static_cast<int>(std::lround(1.f + static_cast<float>(zero.cols - 3) * t)));
  }
}

std::shared_ptr<DotGlyph> rasterise(const std::string& label, int cols, int rows, int font_index) {
  auto out = std::make_shared<DotGlyph>();
  out->cols = cols;
  out->rows = rows;
  out->below = 2;
  const int total_rows = rows + out->below;
  out->on.assign(static_cast<std::size_t>(total_rows * cols), 0);
  const auto& fonts = dot_source_fonts();
  const FontFace& face = fonts[static_cast<std::size_t>(font_index) % fonts.size()];
  auto& cache = GlyphCache::instance();
  auto g = cache.glyph(face, label);
  if (g->missing || g->alpha.empty()) return out;
  const FontMetrics m = cache.metrics(face);
  auto full = cache.glyph(face, "H");
  if (full->alpha.empty()) return out;

  // Printer dot fonts are one dot wide: the glyph's centre line (its skeleton)
  // is sampled onto the dot grid. The grid's outer dot centres sit on the centre
  // lines of the outermost strokes — the stems of 'H' and the cap and base
  // strokes — so stems land on the first and last columns and bars on the
  // first and last rows. (A fixed-pitch face: all glyphs share the pen, so
  // narrow marks stay where the font centres them.)
  const float s = stem_width(*full);
  const float left = static_cast<float>(full->ink_origin.x) + 0.5f * s;
  const float step_x = (static_cast<float>(full->alpha.cols) - s) / static_cast<float>(cols - 1);
  const float top = -m.cap_height + 0.5f * s;
  const float step_y = (m.cap_height - s) / static_cast<float>(rows - 1);

  const int pad = 2;
  cv::Mat bin(g->alpha.rows + 2 * pad, g->alpha.cols + 2 * pad, CV_8U, cv::Scalar(0));
  cv::Mat roi = bin(cv::Rect(pad, pad, g->alpha.cols, g->alpha.rows));
  cv::threshold(g->alpha, roi, 110, 1, cv::THRESH_BINARY);
  cv::Mat labels;
  const int n_parts = cv::connectedComponents(bin, labels, 8, CV_32S);
  zhang_suen(bin);

  // Each skeleton pixel votes for its nearest dot; a dot needs a real stretch
  // of centre line, not a grazing end. Every separate part of the glyph (the
  // dot of '.', each dot of ':') keeps at least its best dot.
  std::vector<float> votes(out->on.size(), 0.f);
  std::vector<int> part_best(static_cast<std::size_t>(n_parts), -1);
  std::vector<float> part_votes(static_cast<std::size_t>(n_parts), 0.f);
  for (int y = 0; y < bin.rows; ++y) {
    for (int x = 0; x < bin.cols; ++x) {
      if (!bin.at<uchar>(y, x)) continue;
      const float px = static_cast<float>(g->ink_origin.x + x - pad) + 0.5f;
      const float py = static_cast<float>(g->ink_origin.y + y - pad) + 0.5f;
      const int c = static_cast<int>(std::lround((px - left) / step_x));
      const int r = static_cast<int>(std::lround((py - top) / step_y));
      if (c < 0 || c >= cols || r < 0 || r >= total_rows) continue;
      const std::size_t k = static_cast<std::size_t>(r * cols + c);
      votes[k] += 1.f;
      const auto part = static_cast<std::size_t>(labels.at<int>(y, x));
      if (votes[k] > part_votes[part]) {
        part_votes[part] = votes[k];
        part_best[part] = static_cast<int>(k);
      }
    }
  }
  const float min_votes = 0.3f * std::min(step_x, step_y);
  for (std::size_t k = 0; k < votes.size(); ++k) out->on[k] = votes[k] >= min_votes ? 1 : 0;
  for (int p = 1; p < n_parts; ++p)
    if (part_best[static_cast<std::size_t>(p)] >= 0)
      out->on[static_cast<std::size_t>(part_best[static_cast<std::size_t>(p)])] = 1;
  return out;
}

}  // namespace

int dots_apart(const DotGlyph& a, const DotGlyph& b) {
  // Row-major on one grid: the rows under the baseline of the taller glyph
  // (',', '_') have nothing opposite them, so each of their dots differs.
  const DotGlyph& longer = a.on.size() >= b.on.size() ? a : b;
  const DotGlyph& shorter = a.on.size() >= b.on.size() ? b : a;
  int n = 0;
  for (std::size_t k = 0; k < longer.on.size(); ++k) {
    n += longer.on[k] != (k < shorter.on.size() ? shorter.on[k] : 0);
  }
  return n;
}

bool same_dots(const DotGlyph& a, const DotGlyph& b) {
  return a.below == b.below && a.on == b.on;
}

bool reads_as_another(const DotGlyph& own, const DotGlyph& printed,
                      const std::vector<std::shared_ptr<const DotGlyph>>& alphabet) {
  const int from_own = dots_apart(own, printed);
  if (from_own == 0) return false;
  return std::any_of(alphabet.begin(), alphabet.end(), [&](const auto& g) {
    return !same_dots(*g, own) && g->cols == own.cols && dots_apart(*g, printed) <= from_own;
  });
}

const std::vector<std::pair<int, int>>& dot_grids() {
  static const std::vector<std::pair<int, int>> kGrids = {{5, 7},  {5, 7},  {7, 9}, {5, 8},
                                                          {7, 11}, {9, 12}, {4, 6}};
  return kGrids;
}

std::shared_ptr<const DotGlyph> dot_glyph(const std::string& label, int cols, int rows,
                                          int font_index, bool slashed_zero) {
  static std::mutex mu;
  static std::map<std::tuple<std::string, int, int, int, bool>, std::shared_ptr<const DotGlyph>>
      cache;
  const bool slash = slashed_zero && label == "0";  // other labels have one form
  const auto key = std::make_tuple(label, cols, rows, font_index, slash);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  std::shared_ptr<DotGlyph> g = rasterise(label, cols, rows, font_index);
  if (slash) mark_zero(*g, *dot_glyph("O", cols, rows, font_index, false));
  std::lock_guard<std::mutex> lock(mu);
  return cache.emplace(key, g).first->second;
}

}  // namespace ocr2s::synth
