// Internal: the geometric warp from the marked surface ("plane", where text is
// laid out upright) to the image. A parabolic bend followed by a homography:
//   c = (x, y + k·(x − cx)²),   q = H·c.
// Both steps have exact inverses, so the image is resampled by inverse mapping and
// annotation corners are moved by the very same forward mapping.
#pragma once

#include <opencv2/core.hpp>

namespace ocr2s::synth {

struct SceneWarp {
  cv::Matx33d h = cv::Matx33d::eye();
  cv::Matx33d h_inv = cv::Matx33d::eye();
  double bend_k = 0.0;   ///< 1/px; 0: flat
  double bend_cx = 0.0;  ///< plane x of the bend's apex

  void set_homography(const cv::Matx33d& m) {
    h = m;
    h_inv = m.inv();
  }
  cv::Point2f forward(cv::Point2f p) const {
    const double x = p.x, y = p.y + bend_k * (p.x - bend_cx) * (p.x - bend_cx);
    const cv::Vec3d q = h * cv::Vec3d(x, y, 1.0);
    return {static_cast<float>(q[0] / q[2]), static_cast<float>(q[1] / q[2])};
  }
  cv::Point2f inverse(cv::Point2f q) const {
    const cv::Vec3d c = h_inv * cv::Vec3d(q.x, q.y, 1.0);
    const double x = c[0] / c[2], y = c[1] / c[2];
    return {static_cast<float>(x), static_cast<float>(y - bend_k * (x - bend_cx) * (x - bend_cx))};
  }
  /// Axis-aligned bounds of the forward image of a plane rectangle (edges sampled,
  /// since the bend curves them).
  cv::Rect2f forward_bounds(const cv::Rect2f& r) const;
  /// Axis-aligned bounds of the inverse image of an image rectangle.
  cv::Rect2f inverse_bounds(const cv::Rect2f& r) const;
};

/// Resamples `src` — a plane raster whose pixel (0, 0) has its top-left corner at
/// plane point `src_origin` — into image pixels `dst` (bilinear). Pixel centres
/// follow the library convention: image pixel (u, v) is the point (u + ½, v + ½).
/// `border`: cv::BORDER_CONSTANT (zero) or cv::BORDER_REPLICATE.
cv::Mat warp_to_image(const cv::Mat& src, cv::Point2f src_origin, const SceneWarp& warp,
                      const cv::Rect& dst, int border);

}  // namespace ocr2s::synth
