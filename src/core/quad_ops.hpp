// Internal: geometry on Quads that results do not need (pure, OpenCV imgproc).
#pragma once

#include <vector>

#include "ocr2s/geometry.hpp"

namespace ocr2s {

/// Intersection over union of two convex quads (any vertex order), in [0, 1].
/// Degenerate quads give 0.
float quad_iou(const Quad& a, const Quad& b);

/// The share of b's area that convex quad a covers, in [0, 1] (any vertex
/// order). A degenerate b gives 0.
float quad_coverage(const Quad& a, const Quad& b);

/// The rotated rectangle centred at `center` whose first axis is the unit vector
/// `dir`: width along dir, height along dir rotated 90° clockwise (image y down).
/// Vertex order as in Quad (tl, tr, br, bl in that frame).
Quad oriented_rect(cv::Point2f center, cv::Point2f dir, float width, float height);

/// Reorders the vertices of a convex quad so that pts[0] is top-left in the frame
/// whose reading direction is `dir` (unit vector), keeping the quad's shape.
Quad orient_quad(const Quad& q, cv::Point2f dir);

}  // namespace ocr2s
