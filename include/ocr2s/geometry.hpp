// ocr2s — geometry types shared by results and configuration.
#pragma once

#include <array>
#include <cmath>

#include <opencv2/core/types.hpp>

namespace ocr2s {

/// A quadrilateral in ORIGINAL IMAGE PIXELS.
///
/// Coordinate convention (everywhere in ocr2s): continuous pixel coordinates,
/// x to the right, y down; pixel (i, j) covers [i, i+1) × [j, j+1), so its centre
/// is (i + 0.5, j + 0.5). A cv::Rect(x, y, w, h) is the quad with corners
/// (x, y) and (x + w, y + h).
///
/// Vertex order is the text's own reading frame: pts[0] top-left, pts[1]
/// top-right, pts[2] bottom-right, pts[3] bottom-left, where "right" is the
/// reading direction of the line and "down" is 90° clockwise from it (in image
/// coordinates with y down). For upright text this is clockwise on screen.
struct Quad {
  std::array<cv::Point2f, 4> pts{};

  static Quad from_rect(const cv::Rect2f& r) {
    return Quad{{cv::Point2f(r.x, r.y), cv::Point2f(r.x + r.width, r.y),
                 cv::Point2f(r.x + r.width, r.y + r.height), cv::Point2f(r.x, r.y + r.height)}};
  }
  cv::Point2f center() const {
    return (pts[0] + pts[1] + pts[2] + pts[3]) * 0.25f;
  }
  /// Mean length of the top and bottom edges (along the reading direction), pixels.
  float width() const {
    return 0.5f * static_cast<float>(cv::norm(pts[1] - pts[0]) + cv::norm(pts[2] - pts[3]));
  }
  /// Mean length of the left and right edges (across the reading direction), pixels.
  float height() const {
    return 0.5f * static_cast<float>(cv::norm(pts[3] - pts[0]) + cv::norm(pts[2] - pts[1]));
  }
  /// Signed-area magnitude (shoelace formula), square pixels.
  float area() const {
    float a = 0.f;
    for (int i = 0; i < 4; ++i) {
      const cv::Point2f& p = pts[i];
      const cv::Point2f& q = pts[(i + 1) % 4];
      a += p.x * q.y - q.x * p.y;
    }
    return std::fabs(a) * 0.5f;
  }
  /// Axis-aligned bounding box, pixels.
  cv::Rect2f bounds() const {
    float x0 = pts[0].x, x1 = pts[0].x, y0 = pts[0].y, y1 = pts[0].y;
    for (const auto& p : pts) {
      x0 = std::fmin(x0, p.x); x1 = std::fmax(x1, p.x);
      y0 = std::fmin(y0, p.y); y1 = std::fmax(y1, p.y);
    }
    return {x0, y0, x1 - x0, y1 - y0};
  }
  /// Reading direction as an angle in degrees, measured from the image x axis
  /// towards +y (clockwise on screen); 0 for upright text.
  float angle_deg() const {
    const cv::Point2f d = (pts[1] - pts[0]) + (pts[2] - pts[3]);
    return static_cast<float>(std::atan2(d.y, d.x) * 180.0 / 3.14159265358979323846);
  }
};

}  // namespace ocr2s
