// Training targets for the CRAFT detector: character quads → region and affinity
// score maps. The construction follows Baek et al., "Character Region Awareness for
// Text Detection", CVPR 2019, §3.1 "Ground truth label generation" (Fig. 3): an
// isotropic 2-D Gaussian on a square is perspective-warped onto every character box
// (region score) and onto every affinity box between two consecutive characters of
// a word (affinity score). postprocess.cpp is the inverse of this file.
#include "craft/render.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "ocr2s/errors.hpp"

namespace ocr2s::craft {
namespace {

// exp(-d² · kInvTwoSigmaSq) is the template g of render.hpp, d measured in the unit square.
constexpr double kInvTwoSigmaSq = 1.0 / (2.0 * kGaussianSigma * kGaussianSigma);

// Draws the template Gaussian warped onto `quad_image` into `map` (CV_32FC1), taking
// the maximum with what is already there.
//
// Rather than warping a sampled template image (cv::warpPerspective, as the reference
// implementation does), each map pixel inside the quad's bounding box is mapped back
// through the inverse homography to the unit square and the Gaussian is evaluated
// there. That is the same function without the template's own resampling error, and
// it touches only the bounding box clipped to the map: no full-map temporaries, so
// targets can be rendered on the fly during training.
void splat(cv::Mat& map, const Quad& quad_image, const MapTransform& to_image) {
  std::array<cv::Point2f, 4> q;
  for (int i = 0; i < 4; ++i) {
    q[i] = to_image.to_map(quad_image.pts[i]);
    if (!std::isfinite(q[i].x) || !std::isfinite(q[i].y)) return;
  }
  // Degenerate (collinear) quads have no interior and no well-defined homography.
  if (Quad{q}.area() < 1e-6f) return;

  // Unit square → quad in continuous map coordinates (pixel (u, v) covers
  // [u, u+1) × [v, v+1)). Its inverse takes a map point back to the unit square.
  const std::array<cv::Point2f, 4> unit{cv::Point2f(0.f, 0.f), cv::Point2f(1.f, 0.f),
                                        cv::Point2f(1.f, 1.f), cv::Point2f(0.f, 1.f)};
  const cv::Mat h = cv::getPerspectiveTransform(unit.data(), q.data());  // CV_64F
  cv::Matx33d inv;
  if (cv::invert(h, inv, cv::DECOMP_LU) == 0.0) return;

  // Points of the quad's interior all lie on one side of the line the homography
  // sends to infinity; the sign of the homogeneous w at the centre tells which side.
  // Points on the other side can also land in [0,1]² after the division, and must not.
  const cv::Point2f c = Quad{q}.center();
  const double w_center = inv(2, 0) * c.x + inv(2, 1) * c.y + inv(2, 2);
  if (w_center == 0.0) return;
  const double w_sign = w_center > 0.0 ? 1.0 : -1.0;

  // Pixel u is inside when its centre u + 0.5 lies in [min x, max x].
  float x0 = q[0].x, x1 = q[0].x, y0 = q[0].y, y1 = q[0].y;
  for (const auto& p : q) {
    x0 = std::min(x0, p.x);
    x1 = std::max(x1, p.x);
    y0 = std::min(y0, p.y);
    y1 = std::max(y1, p.y);
  }
  const int u0 = std::max(0, static_cast<int>(std::ceil(x0 - 0.5f)));
  const int u1 = std::min(map.cols - 1, static_cast<int>(std::floor(x1 - 0.5f)));
  const int v0 = std::max(0, static_cast<int>(std::ceil(y0 - 0.5f)));
  const int v1 = std::min(map.rows - 1, static_cast<int>(std::floor(y1 - 0.5f)));
  if (u0 > u1 || v0 > v1) return;

  for (int v = v0; v <= v1; ++v) {
    float* row = map.ptr<float>(v);
    const double y = v + 0.5;
    const double xs = u0 + 0.5;
    // Homogeneous coordinates are affine in x along a row: step them.
    double hx = inv(0, 0) * xs + inv(0, 1) * y + inv(0, 2);
    double hy = inv(1, 0) * xs + inv(1, 1) * y + inv(1, 2);
    double hw = inv(2, 0) * xs + inv(2, 1) * y + inv(2, 2);
    for (int u = u0; u <= u1; ++u, hx += inv(0, 0), hy += inv(1, 0), hw += inv(2, 0)) {
      if (hw * w_sign <= 0.0) continue;
      const double sx = hx / hw;
      const double sy = hy / hw;
      if (sx < 0.0 || sx > 1.0 || sy < 0.0 || sy > 1.0) continue;
      const double dx = sx - 0.5;
      const double dy = sy - 0.5;
      const float g = static_cast<float>(std::exp(-(dx * dx + dy * dy) * kInvTwoSigmaSq));
      if (g > row[u]) row[u] = g;
    }
  }
}

}  // namespace

Quad affinity_quad(const Quad& left, const Quad& right) {
  // CRAFT Fig. 3: the diagonals split a character box into an upper triangle
  // (tl, tr, centre) and a lower one (bl, br, centre); the affinity box joins the
  // triangles' centroids of two neighbouring characters.
  const auto upper = [](const Quad& q) { return (q.pts[0] + q.pts[1] + q.center()) * (1.f / 3.f); };
  const auto lower = [](const Quad& q) { return (q.pts[3] + q.pts[2] + q.center()) * (1.f / 3.f); };
  return Quad{{upper(left), upper(right), lower(right), lower(left)}};
}

ScoreMaps render_targets(const std::vector<WordQuads>& words, cv::Size map_size,
                         const MapTransform& to_image) {
  if (map_size.width <= 0 || map_size.height <= 0) {
    throw InputError("craft::render_targets: map size must be positive, got " +
                     std::to_string(map_size.width) + "x" + std::to_string(map_size.height));
  }
  if (!(to_image.step.x > 0.f) || !(to_image.step.y > 0.f) || !std::isfinite(to_image.step.x) ||
      !std::isfinite(to_image.step.y) || !std::isfinite(to_image.offset.x) ||
      !std::isfinite(to_image.offset.y)) {
    throw InputError(
        "craft::render_targets: map transform step must be finite and positive, got (" +
        std::to_string(to_image.step.x) + ", " + std::to_string(to_image.step.y) + ")");
  }
  ScoreMaps maps;
  maps.region = cv::Mat::zeros(map_size, CV_32FC1);
  maps.affinity = cv::Mat::zeros(map_size, CV_32FC1);
  maps.to_image = to_image;
  for (const WordQuads& word : words) {
    for (std::size_t i = 0; i < word.chars.size(); ++i) {
      splat(maps.region, word.chars[i], to_image);
      if (i + 1 < word.chars.size()) {
        splat(maps.affinity, affinity_quad(word.chars[i], word.chars[i + 1]), to_image);
      }
    }
  }
  return maps;
}

}  // namespace ocr2s::craft
