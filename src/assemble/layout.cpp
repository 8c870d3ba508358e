// Character graph → lines. Everything here is plane geometry on character quads;
// see layout.hpp for the contract and DESIGN.md ("Line frame crops") for why the
// line frame matters to the classifier.
#include "assemble/layout.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>

#include <Eigen/Dense>

#include "core/quad_ops.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::assemble {
namespace {

using Vec2 = Eigen::Vector2d;
using Mat2 = Eigen::Matrix2d;

constexpr double kPi = 3.14159265358979323846;

// --- link pruning -------------------------------------------------------------
// A link is consistent with a node when, in the node's own frame (its quad axis
// closest to image x), the other centre lies at most kLinkMaxAngleDeg off the axis
// and at most kLinkMaxOffset of the taller character's height across it. 40° and
// 0.6 keep the link from a digit to a '.' on the baseline (its centre sits about
// 0.4 heights low, 30-35° off the axis for usual spacing) and drop links to the
// next line, whose centre is at least a line pitch (≈ 1 height or more) across.
constexpr double kLinkMaxAngleDeg = 40.0;
constexpr double kLinkMaxOffset = 0.6;
// An affinity link joins consecutive characters, whose centres are at most about
// 1.3 heights apart ('W' next to 'M') or 2 in letter-spaced dot-matrix print. A
// longer link is a false one, and the offset test above cannot be trusted on it:
// a character box that is 5° off (detection noise) moves the far end of a link 5
// heights long by 0.44 heights across its axis.
constexpr double kLinkMaxLength = 2.5;
// Rounds of banning links that a word's own robust fit disowns (see find_words).
constexpr int kMaxCutRounds = 4;

// --- robust axis fit ----------------------------------------------------------
// Huber's M-estimator (P. J. Huber, "Robust Estimation of a Location Parameter",
// Ann. Math. Statist. 35(1), 1964) solved by iteratively reweighted least squares
// (P. W. Holland & R. E. Welsch, "Robust regression using iteratively reweighted
// least-squares", Comm. Statist. 6(9), 1977). 1.345 σ is the usual tuning constant
// (95% efficiency at Gaussian residuals); σ from the median absolute residual
// (× 1.4826 for consistency with a Gaussian σ).
constexpr double kHuberK = 1.345;
constexpr double kMadToSigma = 1.4826;
// Floor on σ, in character heights: a clean line has near-zero residuals, and a
// zero σ would give every character but the median zero weight. With 0.1 a
// character more than ≈ 0.13 heights off the centre line starts to lose weight,
// which is where '.', ',' and '_' (0.3–0.5 off) sit and where capitals do not.
constexpr double kMinSigma = 0.1;
constexpr int kMaxIterations = 30;
// Each character also contributes its own quad axis as a weak direction prior,
// kAxisPrior × its area × u uᵀ added to the scatter of centres. With one character
// this is the whole fit (its quad axis, as layout.hpp asks); with two or three it
// steadies a direction that two centres alone tilt wildly (a digit followed by a
// '.' on the baseline), and on longer lines the spread of centres (growing with the
// cube of the count) dominates it.
constexpr double kAxisPrior = 0.25;
// A character shorter than the line says less about where the line's centre is:
// marks such as '.', ',', '-' and '_' sit off it by design (that offset is what the
// classifier must see). Each character's weight in the fit is therefore
// min(1, own height / median height) before the Huber weights — about 0.2 for a '.'.
// Huber weights alone decay only as 1/residual and would let a '.' tilt a short
// line by over a degree.
constexpr double kMinSizeWeight = 0.05;

// --- merging words into lines --------------------------------------------------
// Two words may overlap along the line by at most this many line heights (boxes of
// neighbouring words touch through detection noise, but interleaved words are two
// lines, e.g. a superscript).
constexpr double kMaxWordOverlap = 0.25;

// --- crop geometry ------------------------------------------------------------
// A character at least this many line heights tall counts in line_char_width.
constexpr float kTallChar = 0.6f;

// One character's geometry in image pixels.
struct Geom {
  Vec2 c;          // centre
  Vec2 u;          // own axis closest to image x (unit, x ≥ 0)
  double w = 0.0;  // extent along u
  double h = 0.0;  // extent across u
  std::array<Vec2, 4> pts;
};

Vec2 to_vec(cv::Point2f p) {
  return {static_cast<double>(p.x), static_cast<double>(p.y)};
}
cv::Point2f to_pt(const Vec2& v) {
  return {static_cast<float>(v.x()), static_cast<float>(v.y())};
}

// Unit vector pointing right: x ≥ 0 (text is within ±45° of horizontal).
Vec2 point_right(Vec2 d) {
  if (d.x() < 0.0 || (d.x() == 0.0 && d.y() < 0.0)) d = -d;
  return d;
}

Vec2 normal_of(const Vec2& d) {
  return {-d.y(), d.x()};
}  // 90° clockwise on screen

Geom geom_of(const Quad& q) {
  Geom g;
  for (int i = 0; i < 4; ++i)
    g.pts[static_cast<std::size_t>(i)] = to_vec(q.pts[static_cast<std::size_t>(i)]);
  g.c = 0.25 * (g.pts[0] + g.pts[1] + g.pts[2] + g.pts[3]);
  // The two axes of a parallelogram, each the sum of two opposite edges walked the
  // same way; whichever vertex order the quad has, these are its two directions.
  const Vec2 a = (g.pts[1] - g.pts[0]) + (g.pts[2] - g.pts[3]);
  const Vec2 b = (g.pts[3] - g.pts[0]) + (g.pts[2] - g.pts[1]);
  const double na = a.norm(), nb = b.norm();
  Vec2 u(1.0, 0.0);
  if (na > 0.0 || nb > 0.0) {
    // Closest to image x: the larger |cos| with the x axis.
    const double ca = na > 0.0 ? std::abs(a.x()) / na : -1.0;
    const double cb = nb > 0.0 ? std::abs(b.x()) / nb : -1.0;
    u = ca >= cb ? a / na : b / nb;
  }
  g.u = point_right(u);
  const Vec2 n = normal_of(g.u);
  double s0 = 0, s1 = 0, t0 = 0, t1 = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const double s = (g.pts[i] - g.c).dot(g.u), t = (g.pts[i] - g.c).dot(n);
    s0 = i == 0 ? s : std::min(s0, s), s1 = i == 0 ? s : std::max(s1, s);
    t0 = i == 0 ? t : std::min(t0, t), t1 = i == 0 ? t : std::max(t1, t);
  }
  g.w = s1 - s0;
  g.h = t1 - t0;
  return g;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
  const double hi = v[m];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m));
  return 0.5 * (lo + hi);
}

// Extent [lo, hi] of the quads' vertices projected on `axis` relative to `origin`.
std::pair<double, double> extent(const std::vector<Geom>& g, const std::vector<int>& idx,
                                 const Vec2& origin, const Vec2& axis) {
  double lo = 0.0, hi = 0.0;
  bool first = true;
  for (const int i : idx) {
    for (const auto& p : g[static_cast<std::size_t>(i)].pts) {
      const double s = (p - origin).dot(axis);
      if (first) lo = hi = s, first = false;
      lo = std::min(lo, s), hi = std::max(hi, s);
    }
  }
  return {lo, hi};
}

struct Fit {
  Vec2 dir{1.0, 0.0};
  Vec2 origin{0.0, 0.0};
  double height = 0.0;
};

// Robust principal axis of the characters `idx`: a Huber-weighted total least
// squares line through their centres (the principal eigenvector of the weighted
// scatter, plus the quad-axis prior), weights from the residuals across the line.
Fit fit_chars(const std::vector<Geom>& g, const std::vector<int>& idx) {
  Fit f;
  if (idx.empty()) return f;
  std::vector<double> own_h;
  for (const int i : idx) own_h.push_back(g[static_cast<std::size_t>(i)].h);
  double h_ref = median(own_h);
  if (!(h_ref > 0.0)) h_ref = 1.0;  // degenerate quads: any positive scale will do

  std::vector<double> size_wt(idx.size()), huber(idx.size(), 1.0), wt(idx.size()),
      res(idx.size(), 0.0);
  for (std::size_t j = 0; j < idx.size(); ++j) {
    size_wt[j] = std::clamp(g[static_cast<std::size_t>(idx[j])].h / h_ref, kMinSizeWeight, 1.0);
    wt[j] = size_wt[j];
  }
  Vec2 dir = g[static_cast<std::size_t>(idx.front())].u;
  Vec2 mu = Vec2::Zero();
  for (int iter = 0; iter < kMaxIterations; ++iter) {
    double sw = 0.0;
    mu.setZero();
    for (std::size_t j = 0; j < idx.size(); ++j) {
      mu += wt[j] * g[static_cast<std::size_t>(idx[j])].c;
      sw += wt[j];
    }
    mu /= sw;
    Mat2 cov = Mat2::Zero();
    for (std::size_t j = 0; j < idx.size(); ++j) {
      const Geom& q = g[static_cast<std::size_t>(idx[j])];
      const Vec2 d = q.c - mu;
      cov += wt[j] * (d * d.transpose() + kAxisPrior * q.w * q.h * q.u * q.u.transpose());
    }
    if (cov.trace() > 1e-12) {
      Eigen::SelfAdjointEigenSolver<Mat2> eig(cov);
      dir = point_right(eig.eigenvectors().col(1).normalized());  // largest eigenvalue
    }
    const Vec2 n = normal_of(dir);
    std::vector<double> abs_res(idx.size());
    for (std::size_t j = 0; j < idx.size(); ++j) {
      res[j] = (g[static_cast<std::size_t>(idx[j])].c - mu).dot(n);
      abs_res[j] = std::abs(res[j]);
    }
    const double sigma = std::max(kMadToSigma * median(abs_res), kMinSigma * h_ref);
    const double k = kHuberK * sigma;
    double change = 0.0;
    for (std::size_t j = 0; j < idx.size(); ++j) {
      const double w_new = abs_res[j] <= k ? 1.0 : k / abs_res[j];
      change = std::max(change, std::abs(w_new - huber[j]));
      huber[j] = w_new;
      wt[j] = size_wt[j] * w_new;
    }
    if (change < 1e-9) break;
  }
  f.dir = dir;
  f.origin = mu;
  // Line height: the median extent across the line, so that '.', '-' and the odd
  // merged blob do not decide it.
  const Vec2 n = normal_of(dir);
  std::vector<double> across;
  for (const int i : idx) {
    double t0 = 0.0, t1 = 0.0;
    bool first = true;
    for (const auto& p : g[static_cast<std::size_t>(i)].pts) {
      const double t = p.dot(n);
      if (first) t0 = t1 = t, first = false;
      t0 = std::min(t0, t), t1 = std::max(t1, t);
    }
    across.push_back(t1 - t0);
  }
  f.height = median(across);
  return f;
}

// The chars of a line in the given order, oriented in the line frame, plus the
// line's own fields.
LayoutLine make_layout(const std::vector<Geom>& g, const std::vector<const Quad*>& quads,
                       const std::vector<int>& order, const std::vector<int>& words,
                       const std::vector<int>& nodes, const Fit& f) {
  LayoutLine line;
  line.direction = to_pt(f.dir);
  line.origin = to_pt(f.origin);
  line.height = static_cast<float>(f.height);
  for (std::size_t j = 0; j < order.size(); ++j) {
    SlotChar s;
    s.node = nodes[j];
    s.quad = orient_quad(*quads[static_cast<std::size_t>(order[j])], line.direction);
    s.word = words[j];
    line.chars.push_back(s);
  }
  const Vec2 n = normal_of(f.dir);
  const auto [s0, s1] = extent(g, order, f.origin, f.dir);
  const auto [t0, t1] = extent(g, order, f.origin, n);
  const Vec2 c = f.origin + 0.5 * (s0 + s1) * f.dir + 0.5 * (t0 + t1) * n;
  line.quad = oriented_rect(to_pt(c), line.direction, static_cast<float>(s1 - s0),
                            static_cast<float>(t1 - t0));
  return line;
}

// Union-find with path halving; the smaller root wins so results do not depend on
// the order of unions.
struct Dsu {
  std::vector<int> parent;
  explicit Dsu(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) {
    while (parent[static_cast<std::size_t>(x)] != x) {
      auto& p = parent[static_cast<std::size_t>(x)];
      p = parent[static_cast<std::size_t>(p)];
      x = p;
    }
    return x;
  }
  int unite(int a, int b) {
    a = find(a), b = find(b);
    if (a > b) std::swap(a, b);
    parent[static_cast<std::size_t>(b)] = a;
    return a;
  }
};

void check_graph(const craft::CharGraph& graph) {
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& p : graph.nodes[i].quad.pts) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
        throw InputError("character graph: node " + std::to_string(i) + " has a non-finite vertex");
      }
    }
  }
  const int n = static_cast<int>(graph.nodes.size());
  for (std::size_t l = 0; l < graph.links.size(); ++l) {
    const auto& k = graph.links[l];
    if (k.a < 0 || k.b < 0 || k.a >= n || k.b >= n || k.a == k.b) {
      throw InputError("character graph: link " + std::to_string(l) + " joins nodes " +
                       std::to_string(k.a) + " and " + std::to_string(k.b) + " of " +
                       std::to_string(n));
    }
  }
}

// Angle between `v` and the axis `u` (as lines), radians in [0, π/2], and whether
// `v` is consistent with node `g` as a link (see kLinkMaxAngleDeg).
bool link_consistent(const Geom& g, const Geom& other, const Vec2& v, double& angle) {
  const Vec2 n = normal_of(g.u);
  const double along = std::abs(v.dot(g.u));
  const double across = std::abs(v.dot(n));
  angle = std::atan2(across, along);
  // The taller of the two characters measured across this node's axis.
  double t_lo = 0.0, t_hi = 0.0;
  for (const auto& p : other.pts) {
    const double t = (p - other.c).dot(n);
    t_lo = std::min(t_lo, t), t_hi = std::max(t_hi, t);
  }
  const double h = std::max(g.h, t_hi - t_lo);
  return angle <= kLinkMaxAngleDeg * kPi / 180.0 && across <= kLinkMaxOffset * h;
}

// Link scores: weight × cos²(angle off the axis of the node that agrees best),
// or -1 for a link the local tests drop.
std::vector<double> score_links(const craft::CharGraph& graph, const std::vector<Geom>& g) {
  std::vector<double> score(graph.links.size(), -1.0);
  for (std::size_t l = 0; l < graph.links.size(); ++l) {
    const auto& k = graph.links[l];
    const Geom& ga = g[static_cast<std::size_t>(k.a)];
    const Geom& gb = g[static_cast<std::size_t>(k.b)];
    const Vec2 v = gb.c - ga.c;
    const double length = v.norm();
    if (!(length > 0.0)) continue;  // coincident centres: no direction to judge
    if (length > kLinkMaxLength * std::max(ga.h, gb.h)) continue;
    double angle_a = 0.0, angle_b = 0.0;
    const bool ok_a = link_consistent(ga, gb, v, angle_a);
    const bool ok_b = link_consistent(gb, ga, v, angle_b);
    // Dropped when it disagrees with both characters' own orientation. One is
    // enough to keep it: a near-square character (a '.', an 'O') near 45° can
    // have its axis picked 90° off.
    if (!ok_a && !ok_b) continue;
    const double cosine = std::cos(std::min(ok_a ? angle_a : kPi, ok_b ? angle_b : kPi));
    score[l] = std::max(static_cast<double>(k.weight), 0.0) * cosine * cosine;
  }
  return score;
}

// Connected components of `edges` over n nodes, each sorted, in order of their
// smallest node; word_of[i] is node i's component.
std::vector<std::vector<int>> components(std::size_t n,
                                         const std::vector<std::pair<int, int>>& edges,
                                         std::vector<int>& word_of) {
  Dsu dsu(n);
  for (const auto& e : edges) dsu.unite(e.first, e.second);
  std::vector<std::vector<int>> out;
  std::vector<int> of_root(n, -1);
  word_of.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    auto& w = of_root[static_cast<std::size_t>(dsu.find(static_cast<int>(i)))];
    if (w < 0) {
      w = static_cast<int>(out.size());
      out.emplace_back();
    }
    out[static_cast<std::size_t>(w)].push_back(static_cast<int>(i));
    word_of[i] = w;
  }
  return out;
}

// Words: connected components of the links each character keeps.
//
// First, locally: a character keeps at most one link on each side of it along
// its own axis — the best-scoring one — and a link survives only when both ends
// keep it, so a branch (a false link to another line competing with the true
// neighbour) cannot chain two lines into one word.
//
// Then with the whole word in view: a false link that still won (lines almost
// touching, boxes a few degrees off) joins fragments of two lines into one word.
// Cutting the word at one of its links leaves two fragments; when the larger
// one's robust centre line has the other's more than kLinkMaxOffset heights off
// it, they are two lines and the link is banned (equal sizes: only when each
// disowns the other, as "12" and ".5" around a '.' do not). A whole-word fit
// could not see this: it runs diagonally through both fragments. With the false
// link banned the selection runs again, so the true neighbour it displaced gets
// its link back instead of leaving a spurious space.
std::vector<std::vector<int>> find_words(const craft::CharGraph& graph,
                                         const std::vector<Geom>& g) {
  const std::size_t n_nodes = graph.nodes.size();
  std::vector<double> score = score_links(graph, g);
  auto side = [&](int node, int other) {
    const Geom& q = g[static_cast<std::size_t>(node)];
    return (g[static_cast<std::size_t>(other)].c - q.c).dot(q.u) >= 0.0 ? 1 : 0;
  };
  // Strict order on links for one node side: score, then shorter, then index.
  auto better = [&](int l, int m) {
    if (m < 0) return true;
    const auto ls = static_cast<std::size_t>(l), ms = static_cast<std::size_t>(m);
    if (score[ls] != score[ms]) return score[ls] > score[ms];
    const auto& kl = graph.links[ls];
    const auto& km = graph.links[ms];
    const double len_l =
        (g[static_cast<std::size_t>(kl.b)].c - g[static_cast<std::size_t>(kl.a)].c).norm();
    const double len_m =
        (g[static_cast<std::size_t>(km.b)].c - g[static_cast<std::size_t>(km.a)].c).norm();
    if (len_l != len_m) return len_l < len_m;
    return l < m;
  };

  std::vector<std::vector<int>> words;
  std::vector<int> word_of;
  std::vector<std::pair<int, int>> kept;
  std::vector<int> kept_link;
  for (int round = 0; round < kMaxCutRounds; ++round) {
    std::vector<std::array<int, 2>> best(n_nodes, {-1, -1});  // [node][side]: 0 left, 1 right
    for (std::size_t l = 0; l < graph.links.size(); ++l) {
      if (score[l] < 0.0) continue;
      const auto& k = graph.links[l];
      for (const auto& [node, other] : {std::pair{k.a, k.b}, std::pair{k.b, k.a}}) {
        int& b = best[static_cast<std::size_t>(node)][static_cast<std::size_t>(side(node, other))];
        if (better(static_cast<int>(l), b)) b = static_cast<int>(l);
      }
    }
    kept.clear();
    kept_link.clear();
    for (std::size_t l = 0; l < graph.links.size(); ++l) {
      if (score[l] < 0.0) continue;
      const auto& k = graph.links[l];
      const int li = static_cast<int>(l);
      if (best[static_cast<std::size_t>(k.a)][static_cast<std::size_t>(side(k.a, k.b))] == li &&
          best[static_cast<std::size_t>(k.b)][static_cast<std::size_t>(side(k.b, k.a))] == li) {
        kept.emplace_back(k.a, k.b);
        kept_link.push_back(li);
      }
    }
    words = components(n_nodes, kept, word_of);
    if (round + 1 == kMaxCutRounds) break;

    std::vector<std::vector<int>> adj(n_nodes);
    for (std::size_t e = 0; e < kept.size(); ++e) {
      adj[static_cast<std::size_t>(kept[e].first)].push_back(static_cast<int>(e));
      adj[static_cast<std::size_t>(kept[e].second)].push_back(static_cast<int>(e));
    }
    bool any_cut = false;
    std::vector<char> seen(n_nodes, 0);
    std::vector<int> side_a, side_b, stack;
    for (std::size_t e = 0; e < kept.size(); ++e) {
      const int a = kept[e].first, b = kept[e].second;
      const auto& word = words[static_cast<std::size_t>(word_of[static_cast<std::size_t>(a)])];
      if (word.size() < 3) continue;  // two centres always share a line
      // The fragment on a's side: everything reachable from a without this link.
      side_a.clear();
      stack.assign(1, a);
      seen[static_cast<std::size_t>(a)] = 1;
      bool cycle = false;
      while (!stack.empty()) {
        const int x = stack.back();
        stack.pop_back();
        side_a.push_back(x);
        for (const int f : adj[static_cast<std::size_t>(x)]) {
          if (static_cast<std::size_t>(f) == e) continue;
          const auto& edge = kept[static_cast<std::size_t>(f)];
          const int y = edge.first == x ? edge.second : edge.first;
          if (y == b) cycle = true;
          if (!seen[static_cast<std::size_t>(y)]) {
            seen[static_cast<std::size_t>(y)] = 1;
            stack.push_back(y);
          }
        }
      }
      side_b.clear();
      for (const int x : word) {
        if (!seen[static_cast<std::size_t>(x)]) side_b.push_back(x);
      }
      for (const int x : side_a) seen[static_cast<std::size_t>(x)] = 0;
      if (cycle) continue;  // not a cut: the link is not what holds the word together
      std::sort(side_a.begin(), side_a.end());
      const Fit fa = fit_chars(g, side_a), fb = fit_chars(g, side_b);
      auto disowns = [&](const Fit& ref, const Fit& other) {
        return std::abs((other.origin - ref.origin).dot(normal_of(ref.dir))) >
               kLinkMaxOffset * ref.height;
      };
      const bool cut = side_a.size() != side_b.size()
                           ? (side_a.size() > side_b.size() ? disowns(fa, fb) : disowns(fb, fa))
                           : disowns(fa, fb) && disowns(fb, fa);
      if (cut) {
        score[static_cast<std::size_t>(kept_link[e])] = -1.0;  // banned from the next selection
        any_cut = true;
      }
    }
    if (!any_cut) break;
  }
  return words;
}

struct Group {
  std::vector<int> nodes;
  std::vector<int> words;  // indices into the word list
  Fit fit;
};

// Whether groups a and b lie on one centre line (AssembleConfig), and the gap
// between them along it. The group with more characters (then the taller) is the
// reference whose frame measures the other.
bool mergeable(const std::vector<Geom>& g, const Group& a, const Group& b,
               const AssembleConfig& cfg, double& gap) {
  const bool a_ref = a.nodes.size() != b.nodes.size() ? a.nodes.size() > b.nodes.size()
                                                      : a.fit.height >= b.fit.height;
  const Group& r = a_ref ? a : b;
  const Group& o = a_ref ? b : a;
  const Vec2 d = r.fit.dir;
  const Vec2 n = normal_of(d);
  const double h = r.fit.height;
  if (!(h > 0.0)) return false;
  double max_gap = static_cast<double>(cfg.max_word_gap) * h;
  if (o.nodes.size() >= 2) {
    // Both have a direction and a height of their own.
    const double cosine = std::min(1.0, std::abs(d.dot(o.fit.dir)));
    if (std::acos(cosine) * 180.0 / kPi > static_cast<double>(cfg.max_angle_diff_deg)) return false;
    const double lo = std::min(h, o.fit.height), hi = std::max(h, o.fit.height);
    if (!(lo > 0.0) || hi / lo > static_cast<double>(cfg.max_height_ratio)) return false;
    const double offset = std::abs((o.fit.origin - r.fit.origin).dot(n));
    if (offset > static_cast<double>(cfg.max_line_offset) * 0.5 * (h + o.fit.height)) return false;
    // Type of another size beyond a word space is another field printed beside
    // this one (two blocks of a label side by side), not the next word.
    if (hi / lo > static_cast<double>(cfg.like_height_ratio)) {
      max_gap = std::min(max_gap, static_cast<double>(cfg.max_unlike_word_gap) * lo);
    }
  } else {
    // A lone character has no line height or direction of its own worth testing
    // (a '.' or '-' is short and its blob's axis is arbitrary): it joins when its
    // nearest edge lies within max_line_offset of the centre line — a '.' on the
    // baseline does, a character of the next line does not — and it is not much
    // taller than the line.
    const auto [t0, t1] = extent(g, o.nodes, r.fit.origin, n);
    const double centre = 0.5 * (t0 + t1), ext = t1 - t0;
    const double offset = std::max(0.0, std::abs(centre) - 0.5 * ext);
    if (offset > static_cast<double>(cfg.max_line_offset) * h) return false;
    if (ext > static_cast<double>(cfg.max_height_ratio) * h) return false;
  }
  const auto [r0, r1] = extent(g, r.nodes, r.fit.origin, d);
  const auto [o0, o1] = extent(g, o.nodes, r.fit.origin, d);
  gap = std::max(o0 - r1, r0 - o1);
  return gap <= max_gap && gap >= -kMaxWordOverlap * h;
}

// Nodes of a group in reading order, with word indices increasing along the line.
void order_group(const std::vector<Geom>& g, const std::vector<std::vector<int>>& words,
                 const Group& grp, std::vector<int>& order, std::vector<int>& word_index) {
  const Vec2 d = grp.fit.dir;
  auto proj = [&](int node) {
    return (g[static_cast<std::size_t>(node)].c - grp.fit.origin).dot(d);
  };
  std::vector<std::pair<double, int>> ws;  // (mean projection, word)
  for (const int w : grp.words) {
    double s = 0.0;
    for (const int node : words[static_cast<std::size_t>(w)]) s += proj(node);
    ws.emplace_back(s / static_cast<double>(words[static_cast<std::size_t>(w)].size()), w);
  }
  std::sort(ws.begin(), ws.end());
  order.clear();
  word_index.clear();
  for (std::size_t wi = 0; wi < ws.size(); ++wi) {
    std::vector<std::pair<double, int>> cs;
    for (const int node : words[static_cast<std::size_t>(ws[wi].second)])
      cs.emplace_back(proj(node), node);
    std::sort(cs.begin(), cs.end());
    for (const auto& c : cs) {
      order.push_back(c.second);
      word_index.push_back(static_cast<int>(wi));
    }
  }
}

// Reading order of lines, in the text's own frame (top to bottom along the
// dominant normal, so a block rotated 30° reads line by line, not by image y).
// Lines first form blocks: lines that share some of their extent along the text
// and whose centre lines are at most kBlockLineStep line heights apart (the
// lines of one field group). Blocks are read in rows, left to right: a row is a
// block and the blocks whose top lies within its height. Within a block, lines
// are read top to bottom, lines within half a line height of each other being
// one row, read along the text. So two fields printed side by side read one
// after the other, not interleaved line by line.
constexpr double kBlockLineStep = 2.3;

std::vector<LayoutLine> order_lines(std::vector<LayoutLine> lines) {
  Vec2 dom = Vec2::Zero();
  for (const auto& l : lines) dom += static_cast<double>(l.chars.size()) * to_vec(l.direction);
  dom = dom.norm() > 0.0 ? point_right(dom.normalized()) : Vec2(1.0, 0.0);
  const Vec2 dom_n = normal_of(dom);
  struct Key {
    double t, s0, s1, h;
    int index;
  };
  std::vector<Key> keys;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    double s0 = 1e300, s1 = -1e300;
    for (const auto& p : lines[i].quad.pts) {
      s0 = std::min(s0, to_vec(p).dot(dom));
      s1 = std::max(s1, to_vec(p).dot(dom));
    }
    keys.push_back({to_vec(lines[i].origin).dot(dom_n), s0, s1,
                    static_cast<double>(lines[i].height), static_cast<int>(i)});
  }
  Dsu dsu(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      const Key& a = keys[i];
      const Key& b = keys[j];
      const bool overlap = std::min(a.s1, b.s1) > std::max(a.s0, b.s0);
      if (overlap && std::abs(a.t - b.t) <= kBlockLineStep * std::max(a.h, b.h)) {
        dsu.unite(static_cast<int>(i), static_cast<int>(j));
      }
    }
  }
  struct Block {
    double top = 1e300, bottom = -1e300, left = 1e300;
    std::vector<Key> lines;
  };
  std::vector<Block> blocks;
  std::vector<int> block_of(keys.size(), -1);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto root = static_cast<std::size_t>(dsu.find(static_cast<int>(i)));
    if (block_of[root] < 0) {
      block_of[root] = static_cast<int>(blocks.size());
      blocks.emplace_back();
    }
    Block& b = blocks[static_cast<std::size_t>(block_of[root])];
    const Key& k = keys[i];
    b.top = std::min(b.top, k.t - 0.5 * k.h);
    b.bottom = std::max(b.bottom, k.t + 0.5 * k.h);
    b.left = std::min(b.left, k.s0);
    b.lines.push_back(k);
  }
  // Ties fall back to the first line's index, so the order never depends on sort stability.
  std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) {
    return a.top != b.top ? a.top < b.top : a.lines.front().index < b.lines.front().index;
  });
  std::vector<LayoutLine> out;
  out.reserve(lines.size());
  auto emit = [&](Block& b) {
    auto& ks = b.lines;
    std::sort(ks.begin(), ks.end(), [](const Key& x, const Key& y) {
      return x.t != y.t ? x.t < y.t : x.index < y.index;
    });
    for (std::size_t i = 0; i < ks.size();) {
      // A row: the lines whose offset is within half a line height of its first.
      std::size_t j = i + 1;
      while (j < ks.size() && ks[j].t - ks[i].t < 0.25 * (ks[i].h + ks[j].h)) ++j;
      std::sort(ks.begin() + static_cast<std::ptrdiff_t>(i),
                ks.begin() + static_cast<std::ptrdiff_t>(j), [](const Key& x, const Key& y) {
                  return x.s0 != y.s0 ? x.s0 < y.s0 : x.index < y.index;
                });
      for (std::size_t k = i; k < j; ++k)
        out.push_back(std::move(lines[static_cast<std::size_t>(ks[k].index)]));
      i = j;
    }
  };
  for (std::size_t i = 0; i < blocks.size();) {
    std::size_t j = i + 1;
    while (j < blocks.size() && blocks[j].top < blocks[i].bottom) ++j;
    std::sort(blocks.begin() + static_cast<std::ptrdiff_t>(i),
              blocks.begin() + static_cast<std::ptrdiff_t>(j), [](const Block& a, const Block& b) {
                return a.left != b.left ? a.left < b.left
                                        : a.lines.front().index < b.lines.front().index;
              });
    for (std::size_t k = i; k < j; ++k) emit(blocks[k]);
    i = j;
  }
  return out;
}

}  // namespace

std::vector<LayoutLine> build_lines(const craft::CharGraph& graph, const AssembleConfig& config) {
  check_graph(graph);
  const std::size_t n_nodes = graph.nodes.size();
  if (n_nodes == 0) return {};
  std::vector<Geom> g;
  std::vector<const Quad*> quads;
  g.reserve(n_nodes);
  for (const auto& node : graph.nodes) {
    g.push_back(geom_of(node.quad));
    quads.push_back(&node.quad);
  }

  const auto words = find_words(graph, g);
  std::vector<Group> groups(words.size());
  for (std::size_t w = 0; w < words.size(); ++w) {
    groups[w].nodes = words[w];
    groups[w].words = {static_cast<int>(w)};
    groups[w].fit = fit_chars(g, words[w]);
  }

  // Candidate word pairs, found by a sweep over the words' x extents: two words
  // further apart than the largest allowed gap of the tallest word never merge,
  // so a cluttered image does not cost a test for every pair.
  struct Box {
    double x0, x1, y0, y1;
  };
  std::vector<Box> boxes(words.size());
  double reach = 0.0;
  for (std::size_t w = 0; w < words.size(); ++w) {
    Box b{1e300, -1e300, 1e300, -1e300};
    for (const int node : words[w]) {
      for (const auto& p : g[static_cast<std::size_t>(node)].pts) {
        b.x0 = std::min(b.x0, p.x()), b.x1 = std::max(b.x1, p.x());
        b.y0 = std::min(b.y0, p.y()), b.y1 = std::max(b.y1, p.y());
      }
    }
    boxes[w] = b;
    reach = std::max(reach, (static_cast<double>(config.max_word_gap) + 1.0) *
                                std::max(groups[w].fit.height, 0.0));
  }
  std::vector<int> by_x(words.size());
  std::iota(by_x.begin(), by_x.end(), 0);
  std::sort(by_x.begin(), by_x.end(), [&](int a, int b) {
    return boxes[static_cast<std::size_t>(a)].x0 != boxes[static_cast<std::size_t>(b)].x0
               ? boxes[static_cast<std::size_t>(a)].x0 < boxes[static_cast<std::size_t>(b)].x0
               : a < b;
  });
  struct Candidate {
    double gap;
    int a, b;
  };
  std::vector<Candidate> cands;
  for (std::size_t i = 0; i < by_x.size(); ++i) {
    const int a = by_x[i];
    const Box& ba = boxes[static_cast<std::size_t>(a)];
    for (std::size_t j = i + 1; j < by_x.size(); ++j) {
      const int b = by_x[j];
      const Box& bb = boxes[static_cast<std::size_t>(b)];
      if (bb.x0 > ba.x1 + reach) break;
      if (bb.y0 > ba.y1 + reach || ba.y0 > bb.y1 + reach) continue;
      double gap = 0.0;
      if (mergeable(g, groups[static_cast<std::size_t>(a)], groups[static_cast<std::size_t>(b)],
                    config, gap)) {
        cands.push_back({gap, std::min(a, b), std::max(a, b)});
      }
    }
  }
  // Greedy, nearest gap first; each merge is re-checked between the two lines
  // built so far, so a chain of small steps cannot drift off a centre line.
  std::sort(cands.begin(), cands.end(), [](const Candidate& x, const Candidate& y) {
    if (x.gap != y.gap) return x.gap < y.gap;
    if (x.a != y.a) return x.a < y.a;
    return x.b < y.b;
  });
  Dsu dsu(words.size());
  for (const auto& c : cands) {
    const int ra = dsu.find(c.a), rb = dsu.find(c.b);
    if (ra == rb) continue;
    double gap = 0.0;
    Group& ga = groups[static_cast<std::size_t>(ra)];
    Group& gb = groups[static_cast<std::size_t>(rb)];
    if (!mergeable(g, ga, gb, config, gap)) continue;
    const int root = dsu.unite(ra, rb);
    Group& into = root == ra ? ga : gb;
    Group& from = root == ra ? gb : ga;
    into.nodes.insert(into.nodes.end(), from.nodes.begin(), from.nodes.end());
    into.words.insert(into.words.end(), from.words.begin(), from.words.end());
    std::sort(into.nodes.begin(), into.nodes.end());
    std::sort(into.words.begin(), into.words.end());
    from = Group{};
    into.fit = fit_chars(g, into.nodes);
  }

  std::vector<LayoutLine> lines;
  std::vector<int> order, word_index;
  for (std::size_t w = 0; w < words.size(); ++w) {
    if (dsu.find(static_cast<int>(w)) != static_cast<int>(w)) continue;
    const Group& grp = groups[w];
    order_group(g, words, grp, order, word_index);
    lines.push_back(make_layout(g, quads, order, word_index, order, grp.fit));
  }

  return order_lines(std::move(lines));
}

LayoutLine make_line(const std::vector<Quad>& chars, const std::vector<int>& words) {
  if (chars.size() != words.size()) {
    throw InputError("make_line: " + std::to_string(chars.size()) + " character quads but " +
                     std::to_string(words.size()) + " word indices");
  }
  std::vector<Geom> g;
  std::vector<const Quad*> quads;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    for (const auto& p : chars[i].pts) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
        throw InputError("make_line: character " + std::to_string(i) + " has a non-finite vertex");
      }
    }
    g.push_back(geom_of(chars[i]));
    quads.push_back(&chars[i]);
  }
  if (chars.empty()) return {};
  std::vector<int> order(chars.size());
  std::iota(order.begin(), order.end(), 0);
  // node = index into `chars`, which plays the role of the graph's node list.
  return make_layout(g, quads, order, words, order, fit_chars(g, order));
}

float line_char_width(const LayoutLine& line) {
  const cv::Point2f n(-line.direction.y, line.direction.x);
  std::vector<double> widths;
  for (const auto& c : line.chars) {
    float a0 = 0.f, a1 = 0.f, t0 = 0.f, t1 = 0.f;
    for (std::size_t k = 0; k < c.quad.pts.size(); ++k) {
      const float a = c.quad.pts[k].dot(line.direction), t = c.quad.pts[k].dot(n);
      if (k == 0) a0 = a1 = a, t0 = t1 = t;
      a0 = std::min(a0, a), a1 = std::max(a1, a), t0 = std::min(t0, t), t1 = std::max(t1, t);
    }
    if (t1 - t0 >= kTallChar * line.height) widths.push_back(a1 - a0);
  }
  if (widths.size() < 3) return kTypicalCharWidth * line.height;
  return static_cast<float>(median(widths));
}

float crop_width_scale(const LayoutLine& line, const CropFrame& frame) {
  if (!frame.by_char_width || !(line.height > 0.f)) return 1.f;
  return std::clamp(line_char_width(line) / (kTypicalCharWidth * line.height), kMinCharWidthScale,
                    kMaxCharWidthScale);
}

namespace {

// crop_box with the line's crop_width_scale already known.
CropBox scaled_crop_box(const LayoutLine& line, const Quad& quad, const CropFrame& frame,
                        float width_scale) {
  // Along the line the crop is centred on the character; across it, on the line's
  // centre line, so that where a mark sits in the line ('.' low, '-' middle, '''
  // high) is what the classifier sees.
  const cv::Point2f c = quad.center();
  const float s = (c - line.origin).dot(line.direction);
  CropBox box;
  box.center = line.origin + line.direction * s;
  box.direction = line.direction;
  box.height = line.height * frame.height_factor;
  box.width = box.height * frame.aspect * width_scale;
  return box;
}

}  // namespace

CropBox crop_box(const LayoutLine& line, std::size_t i, const CropFrame& frame) {
  if (i >= line.chars.size()) {
    throw InputError("crop_box: character " + std::to_string(i) + " of a line of " +
                     std::to_string(line.chars.size()));
  }
  return crop_box(line, line.chars[i].quad, frame);
}

CropBox crop_box(const LayoutLine& line, const Quad& quad, const CropFrame& frame) {
  return scaled_crop_box(line, quad, frame, crop_width_scale(line, frame));
}

std::vector<CropBox> crop_boxes(const LayoutLine& line, const CropFrame& frame) {
  const float scale = crop_width_scale(line, frame);
  std::vector<CropBox> out;
  out.reserve(line.chars.size());
  for (const auto& c : line.chars) out.push_back(scaled_crop_box(line, c.quad, frame, scale));
  return out;
}

std::array<CropBox, 4> nearby_views(const CropBox& box, float line_height) {
  std::array<CropBox, 4> v = {box, box, box, box};
  v[0].center -= box.direction * (kViewShift * line_height);
  v[1].center += box.direction * (kViewShift * line_height);
  for (int k = 0; k < 2; ++k) {
    const float f = k == 0 ? 1.f - kViewScale : 1.f + kViewScale;
    v[2 + k].width *= f;
    v[2 + k].height *= f;
  }
  return v;
}

std::vector<CropBox> nearby_views(const std::vector<LayoutLine>& lines,
                                  const std::vector<std::size_t>& characters,
                                  const CropFrame& frame) {
  std::vector<CropBox> out;
  out.reserve(4 * characters.size());
  std::size_t l = 0, first = 0;  // characters of lines[l] are numbered from `first`
  for (std::size_t j = 0; j < characters.size(); ++j) {
    const std::size_t i = characters[j];
    if (j > 0 && i <= characters[j - 1]) throw InputError("nearby_views: characters must ascend");
    while (l < lines.size() && i - first >= lines[l].chars.size()) first += lines[l++].chars.size();
    if (l == lines.size()) {
      throw InputError("nearby_views: character " + std::to_string(i) + " of lines with " +
                       std::to_string(first) + " characters");
    }
    const auto v = nearby_views(crop_box(lines[l], i - first, frame), lines[l].height);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

void mark_unsure(std::vector<LayoutLine>& lines, const craft::CharGraph& graph, float confirm_threshold) {
  for (auto& line : lines) {
    for (auto& c : line.chars) {
      if (c.node < 0 || static_cast<std::size_t>(c.node) >= graph.nodes.size()) {
        throw InputError("mark_unsure: character node " + std::to_string(c.node) + " is not in the graph");
      }
      c.unsure = graph.nodes[static_cast<std::size_t>(c.node)].peak < confirm_threshold;
    }
  }
  lines.erase(std::remove_if(lines.begin(), lines.end(),
                             [](const LayoutLine& l) {
                               return std::all_of(l.chars.begin(), l.chars.end(),
                                                  [](const SlotChar& c) { return c.unsure; });
                             }),
              lines.end());
}

}  // namespace ocr2s::assemble
