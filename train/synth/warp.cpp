#include "synth/warp.hpp"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace ocr2s::synth {
namespace {

template <class F>
cv::Rect2f sampled_bounds(const cv::Rect2f& r, F&& f) {
  constexpr int kSteps = 16;
  float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
  auto take = [&](float x, float y) {
    const cv::Point2f p = f(cv::Point2f(x, y));
    x0 = std::min(x0, p.x); y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x); y1 = std::max(y1, p.y);
  };
  for (int i = 0; i <= kSteps; ++i) {
    const float t = static_cast<float>(i) / kSteps;
    take(r.x + t * r.width, r.y);
    take(r.x + t * r.width, r.y + r.height);
    take(r.x, r.y + t * r.height);
    take(r.x + r.width, r.y + t * r.height);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace

cv::Rect2f SceneWarp::forward_bounds(const cv::Rect2f& r) const {
  return sampled_bounds(r, [this](cv::Point2f p) { return forward(p); });
}

cv::Rect2f SceneWarp::inverse_bounds(const cv::Rect2f& r) const {
  return sampled_bounds(r, [this](cv::Point2f p) { return inverse(p); });
}

cv::Mat warp_to_image(const cv::Mat& src, cv::Point2f src_origin, const SceneWarp& warp,
                      const cv::Rect& dst, int border) {
  cv::Mat map(dst.size(), CV_32FC2);
  const cv::Matx33d& hi = warp.h_inv;
  for (int v = 0; v < dst.height; ++v) {
    auto* row = map.ptr<cv::Vec2f>(v);
    const double qy = dst.y + v + 0.5;
    for (int u = 0; u < dst.width; ++u) {
      const double qx = dst.x + u + 0.5;
      const double w = hi(2, 0) * qx + hi(2, 1) * qy + hi(2, 2);
      const double x = (hi(0, 0) * qx + hi(0, 1) * qy + hi(0, 2)) / w;
      double y = (hi(1, 0) * qx + hi(1, 1) * qy + hi(1, 2)) / w;
      y -= warp.bend_k * (x - warp.bend_cx) * (x - warp.bend_cx);
      // Plane point → source pixel index coordinates (centre of pixel k is k + ½).
      row[u] = cv::Vec2f(static_cast<float>(x - src_origin.x - 0.5),
                         static_cast<float>(y - src_origin.y - 0.5));
    }
  }
  cv::Mat out;
  cv::remap(src, out, map, cv::noArray(), cv::INTER_LINEAR, border, cv::Scalar::all(0));
  return out;
}

}  // namespace ocr2s::synth
