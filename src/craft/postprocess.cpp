// CRAFT postprocessing: region + affinity score maps → character graph.
//
// Baek et al., "Character Region Awareness for Text Detection", CVPR 2019, §3.3
// ("Post-processing") thresholds the region map, labels connected components and
// joins characters through the affinity map. ocr2s keeps individual characters, so
// it departs from the paper in three ways:
//  * characters are the basins of a priority flood over the region score with
//    merging by dynamics (M. Grimaud, "New measure of contrast: the dynamics",
//    Proc. SPIE 1769, 1992; the merge rule of 0-dimensional persistence), so
//    touching characters whose region peaks are separated by a deep enough saddle
//    become two nodes instead of one component;
//  * each basin's quad is recovered by inverting the target renderer
//    (render.cpp): the region target of a rectangle W × H is a Gaussian with
//    standard deviations σW and σH along the rectangle's axes, so the blob's
//    weighted second moments give the rectangle back;
//  * two characters are linked when the affinity map stays above the link
//    threshold along the middle third of the segment between their centres (the
//    paper's connected-component rule, tested along the one path that matters)
//    and no third character sits between them.
#include "craft/postprocess.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "core/quad_ops.hpp"
#include "craft/input_geometry.hpp"
#include "craft/render.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::craft {
namespace {

// Two characters are link candidates when their centres are at most this many
// times the larger character's long side apart. Characters may be spaced by up to
// twice their width, which puts square characters 3 sides apart; 3.5 leaves room
// for size estimation error. Further pairs cannot be consecutive characters.
constexpr float kLinkReach = 3.5f;
// The affinity between two characters is read on the middle third of the segment
// joining their centres: the affinity target peaks at the segment's midpoint and
// is still ≈ 0.8 at a third (render.cpp: the affinity box spans centre to centre).
// The link's weight is the largest affinity there; the link exists only if the
// smallest is above the threshold too, i.e. if the affinity connects the two
// characters. Taking the largest alone links characters of lines 1 and 3 through
// the affinity between two characters of line 2 that the segment crosses.
constexpr float kLinkSampleFrom = 1.f / 3.f;
constexpr float kLinkSampleTo = 2.f / 3.f;
// Largest spacing between affinity samples, map pixels.
constexpr float kLinkSampleStep = 0.5f;
// A third character whose centre projects onto this part of the segment a–b and
// lies within half its short side of the segment sits between a and b, so a and b
// are not consecutive (i and i+2 of a word: the segment between them passes
// through the affinity of both neighbouring pairs, which is high near i+1).
constexpr float kBlockFrom = 0.15f;
constexpr float kBlockTo = 0.85f;
constexpr float kBlockPerp = 0.5f;
// Sides within this ratio count as alike: the blob's axes are then taken from its
// links (orient_isotropic). Measured on the round-trip layouts (characters ≥ 20 px,
// noise σ 0.03): with sides within 5% the moment axes were off by 11° on average
// and up to 45°; within 5–10%, up to 16°; from 1.2 on, up to 5–9°.
constexpr double kIsotropicRatio = 1.25;
// Below this log-ratio ln(peak / grow) the grow-threshold level set of a blob has
// vanishing radius and its size cannot be inverted.
constexpr double kMinLogRatio = 1e-3;
constexpr double kPi = 3.14159265358979323846;

std::string size_string(const cv::Mat& m) {
  return std::to_string(m.cols) + "x" + std::to_string(m.rows);
}

void validate_map(const cv::Mat& m, const char* name) {
  if (m.empty()) throw InputError(std::string("craft::postprocess: ") + name + " map is empty");
  if (m.type() != CV_32FC1) {
    throw InputError(std::string("craft::postprocess: ") + name + " map has type " +
                     cv::typeToString(m.type()) + ", expected CV_32FC1");
  }
}

// Bit-level float helpers, so that the full-map scans below are integer
// reductions, which the compiler vectorises (float min/max reductions it may not
// reorder without -ffast-math).
inline std::int32_t float_bits(float v) {
  std::int32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
// NaN and ±inf are the floats whose exponent bits are all set.
inline bool non_finite_bits(float v) {
  return (float_bits(v) & 0x7f800000) == 0x7f800000;
}
// A signed integer with the same order as the (finite) float.
inline std::int32_t ordered_bits(float v) {
  const std::int32_t b = float_bits(v);
  return b ^ ((b >> 31) & 0x7fffffff);
}
inline float from_ordered_bits(std::int32_t o) {
  const std::int32_t b = o ^ ((o >> 31) & 0x7fffffff);
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

[[noreturn]] void throw_non_finite(const cv::Mat& m, const char* name) {
  for (int y = 0; y < m.rows; ++y) {
    const float* row = m.ptr<float>(y);
    for (int x = 0; x < m.cols; ++x) {
      if (non_finite_bits(row[x])) {
        throw InputError(std::string("craft::postprocess: ") + name +
                         " map has a non-finite value (" + std::to_string(row[x]) + ") at (" +
                         std::to_string(x) + ", " + std::to_string(y) + ")");
      }
    }
  }
  throw InputError(std::string("craft::postprocess: ") + name + " map has a non-finite value");
}

// Range of a map's values; throws InputError naming the map and the first
// non-finite pixel, if any.
std::pair<float, float> finite_range(const cv::Mat& m, const char* name) {
  std::int32_t lo = ordered_bits(m.ptr<float>(0)[0]), hi = lo, exp_all = 0;
  for (int y = 0; y < m.rows; ++y) {
    const float* row = m.ptr<float>(y);
    for (int x = 0; x < m.cols; ++x) {
      const std::int32_t b = float_bits(row[x]);
      const std::int32_t o = b ^ ((b >> 31) & 0x7fffffff);
      // Set when some value has all exponent bits set.
      exp_all |= static_cast<std::int32_t>((b & 0x7f800000) == 0x7f800000);
      lo = std::min(lo, o);
      hi = std::max(hi, o);
    }
  }
  if (exp_all) throw_non_finite(m, name);
  return {from_ordered_bits(lo), from_ordered_bits(hi)};
}

// Everything but the region map's values, which the flood's first scan checks.
void validate(const ScoreMaps& maps) {
  validate_map(maps.region, "region");
  validate_map(maps.affinity, "affinity");
  if (maps.region.size() != maps.affinity.size()) {
    throw InputError("craft::postprocess: region map is " + size_string(maps.region) +
                     " but affinity map is " + size_string(maps.affinity));
  }
  const MapTransform& t = maps.to_image;
  if (!(t.step.x > 0.f) || !(t.step.y > 0.f) || !std::isfinite(t.step.x) ||
      !std::isfinite(t.step.y) || !std::isfinite(t.offset.x) || !std::isfinite(t.offset.y)) {
    throw InputError("craft::postprocess: map transform must have a finite positive step, got (" +
                     std::to_string(t.step.x) + ", " + std::to_string(t.step.y) + ")");
  }
  finite_range(maps.affinity, "affinity");
}

// The thresholds' documented ranges (ocr2s/config.hpp). The Reader validates its
// config at construction; this guards direct callers (tests, training tools), for
// whom a grow threshold ≤ 0 would, for one, break the flood's ordering of scores.
void validate_config(const CraftConfig& c) {
  const auto fail = [](const std::string& what) {
    throw ConfigError("craft::postprocess: " + what);
  };
  if (!(c.seed_threshold > 0.f && c.seed_threshold <= 1.f)) {
    fail("seed_threshold " + std::to_string(c.seed_threshold) + " is outside (0, 1]");
  }
  if (!(c.grow_threshold > 0.f && c.grow_threshold <= c.seed_threshold)) {
    fail("grow_threshold " + std::to_string(c.grow_threshold) +
         " is outside (0, seed_threshold = " + std::to_string(c.seed_threshold) + "]");
  }
  if (!(c.link_threshold > 0.f && c.link_threshold <= 1.f)) {
    fail("link_threshold " + std::to_string(c.link_threshold) + " is outside (0, 1]");
  }
  if (!(c.split_depth >= 0.f && c.split_depth <= 1.f)) {
    fail("split_depth " + std::to_string(c.split_depth) + " is outside [0, 1]");
  }
  if (!(c.min_area >= 0.f) || !std::isfinite(c.min_area)) {
    fail("min_area " + std::to_string(c.min_area) + " must be finite and ≥ 0");
  }
  if (!(c.max_aspect >= 1.f)) {
    fail("max_aspect " + std::to_string(c.max_aspect) + " must be ≥ 1");
  }
}

// A basin of the flood: a union-find node. Merged basins point to the basin with
// the higher peak, so a root's peak is its component's maximum.
struct Basin {
  int parent;
  float peak;
  int peak_index;  // raster index of the peak pixel (ties: the first in flood order)
};

int find_root(std::vector<Basin>& basins, int i) {
  while (basins[i].parent != i) {
    basins[i].parent = basins[basins[i].parent].parent;  // path halving
    i = basins[i].parent;
  }
  return i;
}

// One pixel of the flood's working image. Score and label side by side: the flood
// visits pixels in score order, i.e. all over the map, and reads both for each
// neighbour, so one cache line serves both.
struct Cell {
  float score;  // the region score; only meaningful for pixels ≥ grow
  int label;    // basin during the flood, then node; -1: none
};

// The region map as the flood sees it: a buffer with a one-pixel border that is
// never visited, so that the 8 neighbours of any pixel are at fixed index offsets
// without bounds checks. Indices below are into this buffer.
struct FloodImage {
  int cols = 0, rows = 0, stride = 0;
  // Not a std::vector: every cell is written once below, and value-initialising
  // the whole buffer first would double the cost of the pass.
  std::unique_ptr<Cell[]> cells;
  std::array<int, 8> neighbours{};
  float lo = 0.f, hi = 0.f;  // range of the map's values
  // Pixels with score ≥ grow in flood order: decreasing score, ties by raster
  // index. Key = (inverted score bits << 32) | index: a non-negative IEEE float
  // orders like its bit pattern.
  std::vector<std::uint64_t> order;

  int x_of(int i) const { return i % stride - 1; }
  int y_of(int i) const { return i / stride - 1; }
  static int index_of(std::uint64_t key) { return static_cast<int>(key & 0xffffffffu); }
};

// Stable LSD radix sort of the keys by their upper 32 bits, one byte per pass; the
// keys arrive in raster order, so equal scores stay in raster order. Linear in the
// number of pixels, which std::sort is not, and passes whose byte is the same for
// every key (the exponent of scores in [grow, 1]) are skipped.
void sort_by_score(std::vector<std::uint64_t>& keys) {
  if (keys.size() < 2) return;
  std::vector<std::uint64_t> tmp(keys.size());
  for (int shift = 32; shift < 64; shift += 8) {
    std::array<std::uint32_t, 257> start{};
    for (const std::uint64_t k : keys) ++start[((k >> shift) & 0xffu) + 1];
    if (start[((keys[0] >> shift) & 0xffu) + 1] == keys.size()) continue;
    for (int b = 1; b < 257; ++b) start[b] += start[b - 1];
    for (const std::uint64_t k : keys) tmp[start[(k >> shift) & 0xffu]++] = k;
    keys.swap(tmp);
  }
}

// Checks the region map's values (finite; their range) and collects the pixels
// ≥ grow into the bordered working image.
FloodImage make_flood_image(const cv::Mat& region, float grow) {
  FloodImage f;
  f.cols = region.cols;
  f.rows = region.rows;
  f.stride = f.cols + 2;
  const int s = f.stride;
  f.neighbours = {-s - 1, -s, -s + 1, -1, 1, s - 1, s, s + 1};
  std::tie(f.lo, f.hi) = finite_range(region, "region");
  const std::size_t n_cells = static_cast<std::size_t>(s) * (f.rows + 2);
  f.cells.reset(new Cell[n_cells]);
  const Cell border{-1.f, -1};
  std::fill(f.cells.get(), f.cells.get() + s, border);
  std::fill(f.cells.get() + n_cells - s, f.cells.get() + n_cells, border);
  // Keys of one row, compacted without branches: a key is always written and the
  // count advances only for pixels ≥ grow.
  std::vector<std::uint64_t> row_keys(static_cast<std::size_t>(f.cols));
  const std::int32_t grow_bits = ordered_bits(grow);
  f.order.reserve(static_cast<std::size_t>(f.cols) * f.rows / 8);
  for (int y = 0; y < f.rows; ++y) {
    const float* row = region.ptr<float>(y);
    const int base = (y + 1) * s + 1;
    Cell* cells = f.cells.get() + base;
    cells[-1] = border;
    cells[f.cols] = border;
    std::size_t n = 0;
    for (int x = 0; x < f.cols; ++x) {
      const std::int32_t b = float_bits(row[x]);
      cells[x] = Cell{row[x], -1};
      // For scores ≥ grow > 0 the bits are positive and ordered_bits is the identity.
      row_keys[n] = (static_cast<std::uint64_t>(~static_cast<std::uint32_t>(b)) << 32) |
                    static_cast<std::uint32_t>(base + x);
      n += static_cast<std::size_t>((b ^ ((b >> 31) & 0x7fffffff)) >= grow_bits);
    }
    f.order.insert(f.order.end(), row_keys.begin(),
                   row_keys.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return f;
}

// Ratio k between a principal variance of the (score − grow)-weighted moments of
// a blob and the variance (σ·side)² of the rendered Gaussian along that side.
//
// In whitened coordinates z the target is g = p·exp(-|z|²/2); the blob is the disc
// g ≥ t, i.e. |z|² ≤ 2U with U = ln(p/t). With u = |z|²/2 and weight g − t:
//   ∫ (g−t) dA      ∝ ∫₀ᵁ (p e⁻ᵘ − t) du    = p − t − tU
//   ∫ (g−t)|z|² dA  ∝ ∫₀ᵁ 2u (p e⁻ᵘ − t) du = 2p − 2(1+U)t − tU²
// and the per-axis second moment is half the mean |z|².
// Weighting by g − t rather than counting pixels makes the moments continuous in
// the blob boundary, so blobs a few pixels across are still measured smoothly.
double weighted_variance_ratio(double p, double t) {
  const double u = std::log(p / t);
  const double den = p - t - t * u;
  const double num = 2.0 * p - 2.0 * (1.0 + u) * t - t * u * u;
  return num / (2.0 * den);
}

// Eigen-decomposition of the symmetric 2×2 matrix [[a, b], [b, c]]: l1 ≥ l2, and
// the angle of l1's eigenvector from the x axis.
struct Eig2 {
  double l1, l2, theta;
};
Eig2 eig2(double a, double b, double c) {
  const double half_tr = 0.5 * (a + c);
  const double disc = std::sqrt(std::max(0.0, 0.25 * (a - c) * (a - c) + b * b));
  return {half_tr + disc, half_tr - disc, 0.5 * std::atan2(2.0 * b, a - c)};
}

// Smallest principal variance of a blob, map pixels². A character narrower than
// about two map pixels can fall on a single row or column of pixel centres, whose
// sampled variance across it is 0: its extent is then known only to within that
// pixel, and the variance of a position uniform over one pixel, 1/12, stands in
// for it (it recovers a 1.85-pixel-wide character as 1.9 pixels). Without the
// floor such characters were dropped as having no area; in the round trip they
// are the 8–10 px tall ones. Blobs a few pixels wide have sampled variances far
// above it, so it changes nothing there.
constexpr double kPixelVariance = 1.0 / 12.0;

// The peak of a blob's target, which its highest pixel underestimates. A character a few
// map pixels wide may have no pixel centre near its own centre: its highest pixel
// can read 0.6 where the target peaks at 1, and the size inversion depends on
// ln(peak / grow). With the blob's centre μ and covariance Σ = M / k(p) known from
// the moments, each pixel v at x near the top says log p = log v + ½ dᵀ Σ⁻¹ d,
// d = x − μ; their v²-weighted mean (noise s in v is s / v in log v) gives p, and
// since k depends on p a few fixed-point steps settle it. Only the 3 × 3 pixels
// of the same blob around the highest one are used: closest to the peak, least
// affected by how far the target is from an exact Gaussian.
constexpr int kPeakIterations = 3;
double refine_peak(const FloodImage& f, int peak_index, int node, double mu_x, double mu_y,
                   double cxx, double cxy, double cyy, double grow) {
  const int px = f.x_of(peak_index), py = f.y_of(peak_index);
  const double raw = f.cells[peak_index].score;
  double p = raw;
  for (int it = 0; it < kPeakIterations; ++it) {
    const double k = weighted_variance_ratio(p, grow);
    const double det = (cxx * cyy - cxy * cxy) / (k * k);
    if (!(k > 0.0) || !(det > 0.0)) return raw;
    // Σ = M / k, so Σ⁻¹ = adj(M) / (k · det Σ).
    const double ixx = cyy / k / det, ixy = -cxy / k / det, iyy = cxx / k / det;
    double sw = 0.0, swf = 0.0;
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const int q = peak_index + dy * f.stride + dx;
        if (f.cells[q].label != node) continue;
        const double v = f.cells[q].score;
        const double ex = px + dx - mu_x, ey = py + dy - mu_y;
        const double fq = std::log(v) + 0.5 * (ixx * ex * ex + 2.0 * ixy * ex * ey + iyy * ey * ey);
        sw += v * v;
        swf += v * v * fq;
      }
    }
    // More than 1.5× the sampled maximum would be extrapolation, not a missed peak.
    p = std::clamp(std::exp(swf / sw), raw, 1.5 * raw);
  }
  return p;
}

// Accumulated (score − grow)-weighted moments of one basin, relative to its peak
// pixel (keeps the sums small, so float rounding does not matter).
struct Moments {
  double s0 = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
};

// Node geometry kept for linking, image pixels.
struct NodeGeom {
  cv::Point2f center;
  float width = 0.f;  // along the provisional reading axis
  float height = 0.f;
  float reach = 0.f;  // link candidate radius
  // Inverted blob covariance, image pixels²: side along a unit u is
  // sqrt(uᵀ C u / k) / σ (see weighted_variance_ratio).
  double cxx = 0, cxy = 0, cyy = 0, k = 1;
  bool isotropic = false;     // sides too alike for the moments to tell its axes
  cv::Point2f dir{1.f, 0.f};  // the quad's reading axis
};

// Bilinear sample of a map at a continuous map point (pixel centres at +0.5),
// clamped to the border.
float sample_bilinear(const cv::Mat& m, cv::Point2f p) {
  const float fx = std::clamp(p.x - 0.5f, 0.f, static_cast<float>(m.cols - 1));
  const float fy = std::clamp(p.y - 0.5f, 0.f, static_cast<float>(m.rows - 1));
  const int x0 = static_cast<int>(fx);
  const int y0 = static_cast<int>(fy);
  const int x1 = std::min(x0 + 1, m.cols - 1);
  const int y1 = std::min(y0 + 1, m.rows - 1);
  const float ax = fx - static_cast<float>(x0);
  const float ay = fy - static_cast<float>(y0);
  const float* r0 = m.ptr<float>(y0);
  const float* r1 = m.ptr<float>(y1);
  const float top = r0[x0] + ax * (r0[x1] - r0[x0]);
  const float bottom = r1[x0] + ax * (r1[x1] - r1[x0]);
  return top + ay * (bottom - top);
}

// Uniform grid over node centres for the neighbour queries of the linking step, so
// linking costs O(n · neighbours) rather than O(n²).
class Grid {
 public:
  Grid(const std::vector<NodeGeom>& geom, float cell) {
    lo_ = geom[0].center;
    cv::Point2f hi = lo_;
    for (const auto& g : geom) {
      lo_.x = std::min(lo_.x, g.center.x);
      lo_.y = std::min(lo_.y, g.center.y);
      hi.x = std::max(hi.x, g.center.x);
      hi.y = std::max(hi.y, g.center.y);
    }
    // At most ~4 cells per node: coarser cells cost a few more distance checks,
    // finer ones memory, and a hostile spread of sizes must not blow up the grid.
    const double max_cells = 4.0 * static_cast<double>(geom.size()) + 16.0;
    cell_ = std::max(cell, 1e-3f);
    while (static_cast<double>((hi.x - lo_.x) / cell_ + 1) * ((hi.y - lo_.y) / cell_ + 1) >
           max_cells) {
      cell_ *= 2.f;
    }
    nx_ = static_cast<int>((hi.x - lo_.x) / cell_) + 1;
    ny_ = static_cast<int>((hi.y - lo_.y) / cell_) + 1;
    start_.assign(static_cast<std::size_t>(nx_) * ny_ + 1, 0);
    std::vector<int> cell_of(geom.size());
    for (std::size_t i = 0; i < geom.size(); ++i) {
      cell_of[i] = cell_x(geom[i].center.x) + nx_ * cell_y(geom[i].center.y);
      ++start_[cell_of[i] + 1];
    }
    for (std::size_t c = 1; c < start_.size(); ++c) start_[c] += start_[c - 1];
    items_.resize(geom.size());
    std::vector<int> fill(start_.begin(), start_.end() - 1);
    for (std::size_t i = 0; i < geom.size(); ++i) items_[fill[cell_of[i]]++] = static_cast<int>(i);
  }

  // Calls f(node) for every node whose cell meets the box [lo, hi].
  template <typename F>
  void visit(cv::Point2f lo, cv::Point2f hi, F&& f) const {
    const int x0 = cell_x(lo.x), x1 = cell_x(hi.x);
    const int y0 = cell_y(lo.y), y1 = cell_y(hi.y);
    for (int cy = y0; cy <= y1; ++cy) {
      for (int cx = x0; cx <= x1; ++cx) {
        const int c = cx + nx_ * cy;
        for (int k = start_[c]; k < start_[c + 1]; ++k) f(items_[k]);
      }
    }
  }

 private:
  int cell_x(float x) const {
    return std::clamp(static_cast<int>(std::floor((x - lo_.x) / cell_)), 0, nx_ - 1);
  }
  int cell_y(float y) const {
    return std::clamp(static_cast<int>(std::floor((y - lo_.y) / cell_)), 0, ny_ - 1);
  }

  cv::Point2f lo_;
  float cell_ = 1.f;
  int nx_ = 1, ny_ = 1;
  std::vector<int> start_;
  std::vector<int> items_;
};

// The grid for neighbour queries: cells as large as the median link reach.
Grid make_grid(const std::vector<NodeGeom>& geom) {
  std::vector<float> reaches;
  reaches.reserve(geom.size());
  for (const auto& g : geom) reaches.push_back(g.reach);
  std::nth_element(reaches.begin(), reaches.begin() + reaches.size() / 2, reaches.end());
  return Grid(geom, reaches[reaches.size() / 2]);
}

std::vector<Link> find_links(const ScoreMaps& maps, const std::vector<NodeGeom>& geom,
                             const Grid& grid, float link_threshold) {
  std::vector<Link> links;
  if (geom.size() < 2) return links;

  // Candidate pairs: centre distance ≤ the larger reach of the two.
  std::vector<std::pair<int, int>> pairs;
  for (int a = 0; a < static_cast<int>(geom.size()); ++a) {
    const cv::Point2f c = geom[a].center;
    const float r = geom[a].reach;
    grid.visit({c.x - r, c.y - r}, {c.x + r, c.y + r}, [&](int b) {
      if (b == a) return;
      const cv::Point2f d = geom[b].center - c;
      if (d.dot(d) <= r * r) pairs.emplace_back(std::min(a, b), std::max(a, b));
    });
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());

  float max_half = 0.f;
  for (const auto& g : geom) max_half = std::max(max_half, 0.5f * std::max(g.width, g.height));

  for (const auto& pair : pairs) {
    // Plain variables, not structured bindings: lambdas cannot capture those
    // before C++20 (GCC accepts it, clang does not).
    const int a = pair.first;
    const int b = pair.second;
    const cv::Point2f pa = geom[a].center;
    const cv::Point2f pb = geom[b].center;
    const cv::Point2f ma = maps.to_image.to_map(pa);
    const cv::Point2f mb = maps.to_image.to_map(pb);
    const float len_map = static_cast<float>(cv::norm(mb - ma));
    const int n =
        std::max(3, 1 + 2 * static_cast<int>(std::ceil(0.5f * (kLinkSampleTo - kLinkSampleFrom) *
                                                       len_map / kLinkSampleStep)));
    float weight = 0.f;
    float weakest = std::numeric_limits<float>::max();
    for (int i = 0; i < n; ++i) {
      const float tau = kLinkSampleFrom + (kLinkSampleTo - kLinkSampleFrom) * i / (n - 1);
      const float v = sample_bilinear(maps.affinity, ma + (mb - ma) * tau);
      weight = std::max(weight, v);
      weakest = std::min(weakest, v);
    }
    if (!(weakest >= link_threshold)) continue;

    // Not consecutive if another character sits between them.
    const cv::Point2f ab = pb - pa;
    const float len2 = ab.dot(ab);
    if (!(len2 > 0.f)) continue;
    bool blocked = false;
    const cv::Point2f lo(std::min(pa.x, pb.x) - max_half, std::min(pa.y, pb.y) - max_half);
    const cv::Point2f hi(std::max(pa.x, pb.x) + max_half, std::max(pa.y, pb.y) + max_half);
    grid.visit(lo, hi, [&](int k) {
      if (blocked || k == a || k == b) return;
      const cv::Point2f ak = geom[k].center - pa;
      const float tau = ak.dot(ab) / len2;
      if (tau < kBlockFrom || tau > kBlockTo) return;
      const float perp = std::fabs(ak.x * ab.y - ak.y * ab.x) / std::sqrt(len2);
      if (perp <= kBlockPerp * std::min(geom[k].width, geom[k].height)) blocked = true;
    });
    if (blocked) continue;
    links.push_back(Link{a, b, std::min(weight, 1.f)});
  }
  return links;  // pairs were sorted, so links are sorted by (a, b)
}

// A character about as wide as tall renders as a nearly round blob, whose second
// moments say nothing reliable about its axes: noise alone turns them by up to
// 45°. Such a character takes its reading axis from its links instead (the
// doubled-angle mean of the link directions, so that left and right neighbours
// agree), since consecutive characters of a word sit along the reading direction;
// one without links takes the mean axis of the characters within its link reach
// whose axes are known (elongated, or oriented by links), as neighbouring text
// shares a direction, and one with neither is taken as upright, the likeliest.
// Doubled angles: an axis and its opposite are one direction.
void orient_isotropic(CharGraph& graph, std::vector<NodeGeom>& geom, const Grid& grid) {
  const auto doubled_of = [](cv::Point2f d) {
    const double len2 = static_cast<double>(d.x) * d.x + static_cast<double>(d.y) * d.y;
    if (!(len2 > 0.0)) return cv::Point2d(0.0, 0.0);
    return cv::Point2d((static_cast<double>(d.x) * d.x - static_cast<double>(d.y) * d.y) / len2,
                       2.0 * d.x * d.y / len2);
  };
  const auto reorient = [&](std::size_t n, cv::Point2d doubled) {
    NodeGeom& g = geom[n];
    const double angle = 0.5 * std::atan2(doubled.y, doubled.x);  // in (-90°, 90°]
    cv::Point2f dir(static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle)));
    if (dir.x < 0.f || (dir.x == 0.f && dir.y < 0.f)) dir = -dir;
    const cv::Point2f nrm(-dir.y, dir.x);
    const auto side = [&](cv::Point2f u) {
      const double var = g.cxx * u.x * u.x + 2.0 * g.cxy * u.x * u.y + g.cyy * u.y * u.y;
      return static_cast<float>(std::sqrt(std::max(0.0, var) / g.k) / kGaussianSigma);
    };
    g.dir = dir;
    graph.nodes[n].quad = oriented_rect(g.center, dir, side(dir), side(nrm));
  };

  std::vector<cv::Point2d> from_links(geom.size(), cv::Point2d(0.0, 0.0));
  std::vector<char> known(geom.size(), 0);
  for (const Link& l : graph.links) {
    const cv::Point2d v = doubled_of(geom[l.b].center - geom[l.a].center);
    from_links[l.a] += v;
    from_links[l.b] += v;
  }
  for (std::size_t n = 0; n < geom.size(); ++n) {
    if (!geom[n].isotropic) {
      known[n] = 1;
    } else if (from_links[n].x != 0.0 || from_links[n].y != 0.0) {
      reorient(n, from_links[n]);
      known[n] = 1;
    }
  }
  for (std::size_t n = 0; n < geom.size(); ++n) {
    if (known[n]) continue;
    const cv::Point2f c = geom[n].center;
    const float r = geom[n].reach;
    cv::Point2d sum(0.0, 0.0);
    grid.visit({c.x - r, c.y - r}, {c.x + r, c.y + r}, [&](int m) {
      if (!known[m]) return;
      const cv::Point2f d = geom[m].center - c;
      if (d.dot(d) <= r * r) sum += doubled_of(geom[m].dir);
    });
    // Alone, nothing tells its axes: upright text is the likeliest.
    reorient(n, sum.x != 0.0 || sum.y != 0.0 ? sum : cv::Point2d(1.0, 0.0));
  }
}

}  // namespace

CharGraph postprocess(const ScoreMaps& maps, const CraftConfig& config) {
  validate_config(config);
  validate(maps);
  // Pixel indices of the working image are 32-bit (the detector's maps are at
  // most 2048 × 2048; this only stops a hostile direct caller).
  if (static_cast<double>(maps.region.cols + 2) * (maps.region.rows + 2) >
      static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
    throw InputError("craft::postprocess: region map " + size_string(maps.region) +
                     " has more pixels than postprocess indexes");
  }
  CharGraph graph;
  const float grow = config.grow_threshold;
  const float seed = config.seed_threshold;
  const float split = config.split_depth;

  FloodImage f = make_flood_image(maps.region, grow);
  // A constant map has no structure to segment, whatever its level.
  if (!(f.hi > f.lo) || f.hi < seed) return graph;
  sort_by_score(f.order);
  Cell* const cells = f.cells.get();

  // ---- Priority flood with merging by dynamics --------------------------------
  // Pixels ≥ grow are visited from the highest score down. A pixel with no visited
  // neighbour starts a basin at a local maximum. A pixel that touches several
  // basins is a saddle at its own level s: a basin whose peak is below the seed
  // threshold, or whose dynamics (peak − s) is below split_depth, merges into the
  // neighbouring basin with the higher peak; two seeded basins with dynamics ≥
  // split_depth stay apart for good (s only decreases, so the decision would not
  // change later) and the saddle pixel goes to its steepest-ascent neighbour.
  std::vector<Basin> basins;
  const auto higher = [&](int a, int b) {  // basin order: peak, then raster position
    if (basins[a].peak != basins[b].peak) return basins[a].peak > basins[b].peak;
    return basins[a].peak_index < basins[b].peak_index;
  };
  for (const std::uint64_t key : f.order) {
    const int p = FloodImage::index_of(key);
    const float s = cells[p].score;
    std::array<int, 8> roots{};
    int n_roots = 0;
    int best_neighbour = -1;
    float best_score = 0.f;
    int last_label = -1, last_root = -1;  // neighbours mostly share one label
    for (const int off : f.neighbours) {
      const int q = p + off;
      const int l = cells[q].label;
      if (l < 0) continue;
      if (best_neighbour < 0 || cells[q].score > best_score) {
        best_neighbour = q;
        best_score = cells[q].score;
      }
      if (l != last_label) {
        last_label = l;
        last_root = find_root(basins, l);
      }
      int i = 0;
      while (i < n_roots && roots[i] != last_root) ++i;
      if (i == n_roots) roots[n_roots++] = last_root;
    }
    if (n_roots == 0) {
      cells[p].label = static_cast<int>(basins.size());
      basins.push_back(Basin{static_cast<int>(basins.size()), s, p});
      continue;
    }
    if (n_roots > 1) {
      // The highest basin first (insertion sort: at most 8 entries).
      for (int i = 1; i < n_roots; ++i) {
        for (int j = i; j > 0 && higher(roots[j], roots[j - 1]); --j)
          std::swap(roots[j], roots[j - 1]);
      }
      const int main = roots[0];
      for (int i = 1; i < n_roots; ++i) {
        const Basin& other = basins[roots[i]];
        const bool both_seeded = other.peak >= seed;  // main's peak is at least as high
        if (!both_seeded || other.peak - s < split) basins[roots[i]].parent = main;
      }
    }
    cells[p].label = cells[best_neighbour].label;
  }

  // ---- Per-basin moments --------------------------------------------------------
  std::vector<int> node_of(basins.size(), -1);
  std::vector<int> roots_in_order;  // seeded roots, in raster order of their peaks
  for (int b = 0; b < static_cast<int>(basins.size()); ++b) {
    if (find_root(basins, b) == b && basins[b].peak >= seed) roots_in_order.push_back(b);
  }
  if (roots_in_order.empty()) return graph;
  std::sort(roots_in_order.begin(), roots_in_order.end(),
            [&](int a, int b) { return basins[a].peak_index < basins[b].peak_index; });
  for (std::size_t i = 0; i < roots_in_order.size(); ++i) {
    node_of[roots_in_order[i]] = static_cast<int>(i);
  }
  // From here on a cell's label is its candidate node (-1: none).
  std::vector<Moments> moments(roots_in_order.size());
  for (const std::uint64_t key : f.order) {
    const int p = FloodImage::index_of(key);
    const int n = node_of[find_root(basins, cells[p].label)];
    cells[p].label = n;
    if (n < 0) continue;
    const int peak = basins[roots_in_order[n]].peak_index;
    const double dx = f.x_of(p) - f.x_of(peak);
    const double dy = f.y_of(p) - f.y_of(peak);
    const double w = cells[p].score - grow;
    Moments& m = moments[n];
    m.s0 += w;
    m.sx += w * dx;
    m.sy += w * dy;
    m.sxx += w * dx * dx;
    m.sxy += w * dx * dy;
    m.syy += w * dy * dy;
  }

  // ---- Quads: invert the renderer ---------------------------------------------
  const MapTransform& tf = maps.to_image;
  const double sxs = tf.step.x, sys = tf.step.y;
  const double sigma = kGaussianSigma;
  std::vector<NodeGeom> geom;
  for (std::size_t n = 0; n < roots_in_order.size(); ++n) {
    const Basin& basin = basins[roots_in_order[n]];
    const Moments& m = moments[n];
    if (!(m.s0 > 0.0)) continue;
    const int peak_x = f.x_of(basin.peak_index);
    const int peak_y = f.y_of(basin.peak_index);
    const double mx = m.sx / m.s0, my = m.sy / m.s0;  // relative to the peak pixel
    // Weighted covariance in map pixels², its smaller variance floored.
    double mxx = m.sxx / m.s0 - mx * mx;
    double mxy = m.sxy / m.s0 - mx * my;
    double myy = m.syy / m.s0 - my * my;
    {
      Eig2 e = eig2(mxx, mxy, myy);
      const double l1 = std::max(e.l1, kPixelVariance), l2 = std::max(e.l2, kPixelVariance);
      const double c = std::cos(e.theta), s = std::sin(e.theta);
      mxx = l1 * c * c + l2 * s * s;
      mxy = (l1 - l2) * c * s;
      myy = l1 * s * s + l2 * c * c;
    }
    const double p = refine_peak(f, basin.peak_index, static_cast<int>(n), peak_x + mx, peak_y + my,
                                 mxx, mxy, myy, grow);
    if (std::log(p / grow) < kMinLogRatio) continue;
    const double k = weighted_variance_ratio(p, grow);
    if (!(k > 0.0)) continue;
    // Image pixels² (the map → image transform scales each axis), then the sides:
    // a principal variance λ of the weighted moments is k·(σ·side)².
    const Eig2 e = eig2(mxx * sxs * sxs, mxy * sxs * sys, myy * sys * sys);
    const double theta = e.theta;  // axis of l1
    const double side1 = std::sqrt(e.l1 / k) / sigma;
    const double side2 = std::sqrt(e.l2 / k) / sigma;
    // Level set g = grow: ellipse with semi-axes r·side, r = σ·sqrt(2 ln(p/grow)).
    const double r2 = 2.0 * sigma * sigma * std::log(p / grow);
    const double area_image = kPi * r2 * side1 * side2;
    if (area_image / (sxs * sys) < config.min_area) continue;
    if (side1 > config.max_aspect * side2) continue;

    // Provisional reading direction: the axis closer to the image x axis.
    cv::Point2f e1(static_cast<float>(std::cos(theta)), static_cast<float>(std::sin(theta)));
    cv::Point2f e2(-e1.y, e1.x);
    cv::Point2f dir = e1;
    double width = side1, height = side2;
    if (std::fabs(e2.x) > std::fabs(e1.x)) {
      dir = e2;
      std::swap(width, height);
    }
    if (dir.x < 0.f || (dir.x == 0.f && dir.y < 0.f)) dir = -dir;

    const cv::Point2f center = tf.to_image(
        cv::Point2f(static_cast<float>(peak_x + mx + 0.5), static_cast<float>(peak_y + my + 0.5)));
    CharNode node;
    node.quad = oriented_rect(center, dir, static_cast<float>(width), static_cast<float>(height));
    node.peak = std::min(static_cast<float>(p), 1.f);  // graph.hpp: [0, 1]
    node.area = static_cast<float>(area_image);
    graph.nodes.push_back(node);
    NodeGeom g;
    g.center = center;
    g.width = static_cast<float>(width);
    g.height = static_cast<float>(height);
    g.reach = kLinkReach * std::max(g.width, g.height);
    g.cxx = mxx * sxs * sxs;
    g.cxy = mxy * sxs * sys;
    g.cyy = myy * sys * sys;
    g.k = k;
    g.isotropic = side1 < kIsotropicRatio * side2;
    g.dir = dir;
    geom.push_back(g);
  }

  if (geom.empty()) return graph;
  const Grid grid = make_grid(geom);
  graph.links = find_links(maps, geom, grid, config.link_threshold);
  orient_isotropic(graph, geom, grid);
  return graph;
}

float rescale_magnify(const CharGraph& graph, const ScoreMaps& maps, cv::Size image,
                      const CraftConfig& config) {
  if (!(config.target_char_height > 0.f) || graph.nodes.size() < 2 || !(maps.to_image.step.x > 0.f)) {
    return 0.f;
  }
  std::vector<float> confident, all;
  for (const auto& n : graph.nodes) {
    const float h = n.quad.height();
    all.push_back(h);
    if (n.peak >= config.confirm_threshold) confident.push_back(h);
  }
  std::vector<float>& h = confident.size() >= 2 ? confident : all;
  const auto mid = h.begin() + static_cast<std::ptrdiff_t>(h.size() / 2);
  std::nth_element(h.begin(), mid, h.end());
  const double scale = 2.0 / maps.to_image.step.x;  // network pixels per image pixel
  const double height = static_cast<double>(*mid) * scale;
  if (!(height > 0.0)) return 0.f;
  const double ratio = config.target_char_height / height;
  const double tolerance = std::max(1.0, static_cast<double>(config.scale_tolerance));
  if (ratio <= tolerance && ratio >= 1.0 / tolerance) return 0.f;
  // On a grid of quarter octaves, so that images of one size share a few input
  // shapes (oneDNN prepares its convolutions per shape). Measured: neither faster
  // nor leaner than unrounded scales on 640x160 labels — the second pass's cost
  // is its compute and activations — and within noise for accuracy.
  const double upper = std::clamp(static_cast<double>(config.max_auto_magnify), 0.25, 4.0);
  const double snapped = std::exp2(std::round(4.0 * std::log2(scale * ratio)) / 4.0);
  CraftConfig second = config;
  second.magnify = static_cast<float>(std::clamp(snapped, 0.25, upper));
  // The scale the canvas lets the second pass reach.
  const double reached = input_geometry(image, second).scale;
  if (std::abs(std::log(reached / scale)) < std::log(1.1)) return 0.f;
  return second.magnify;
}

}  // namespace ocr2s::craft
