#include "core/quad_ops.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace ocr2s {
namespace {

// Counter-clockwise (in a y-up sense: positive shoelace area) copy of a convex quad,
// as cv::intersectConvexConvex expects consistently oriented polygons.
std::vector<cv::Point2f> ccw(const Quad& q) {
  std::vector<cv::Point2f> p(q.pts.begin(), q.pts.end());
  float s = 0.f;
  for (int i = 0; i < 4; ++i) s += p[i].x * p[(i + 1) % 4].y - p[(i + 1) % 4].x * p[i].y;
  if (s < 0.f) std::reverse(p.begin(), p.end());
  return p;
}

// Area of the intersection of two convex quads.
float intersection_area(const Quad& a, const Quad& b) {
  std::vector<cv::Point2f> inter;
  return cv::intersectConvexConvex(ccw(a), ccw(b), inter, /*handleNested=*/true);
}

}  // namespace

float quad_coverage(const Quad& a, const Quad& b) {
  const float area_b = b.area();
  if (!(area_b > 0.f)) return 0.f;
  const float ai = intersection_area(a, b);
  return ai > 0.f ? std::min(1.f, ai / area_b) : 0.f;
}

float quad_iou(const Quad& a, const Quad& b) {
  const float area_a = a.area();
  const float area_b = b.area();
  if (!(area_a > 0.f) || !(area_b > 0.f)) return 0.f;
  const float ai = intersection_area(a, b);
  if (!(ai > 0.f)) return 0.f;
  const float uni = area_a + area_b - ai;
  return uni > 0.f ? std::clamp(ai / uni, 0.f, 1.f) : 0.f;
}

Quad oriented_rect(cv::Point2f center, cv::Point2f dir, float width, float height) {
  const cv::Point2f n(-dir.y, dir.x);  // dir rotated 90° clockwise on screen (y down)
  const cv::Point2f hw = dir * (0.5f * width);
  const cv::Point2f hh = n * (0.5f * height);
  return Quad{{center - hw - hh, center + hw - hh, center + hw + hh, center - hw + hh}};
}

Quad orient_quad(const Quad& q, cv::Point2f dir) {
  // The top-left vertex is the one that minimises (along-dir + across-dir)
  // position, i.e. the most "up and left" in the reading frame.
  const cv::Point2f n(-dir.y, dir.x);
  const cv::Point2f c = q.center();
  int best = 0;
  float best_score = 0.f;
  for (int i = 0; i < 4; ++i) {
    const cv::Point2f d = q.pts[i] - c;
    const float score = d.dot(dir) + d.dot(n);
    if (i == 0 || score < best_score) {
      best = i;
      best_score = score;
    }
  }
  // Walk in the direction that makes pts[1] the "top-right" (largest along dir
  // of the two neighbours).
  const cv::Point2f next = q.pts[(best + 1) % 4] - c;
  const cv::Point2f prev = q.pts[(best + 3) % 4] - c;
  const int step = next.dot(dir) >= prev.dot(dir) ? 1 : 3;
  Quad out;
  for (int i = 0; i < 4; ++i) out.pts[i] = q.pts[(best + step * i) % 4];
  return out;
}

}  // namespace ocr2s
