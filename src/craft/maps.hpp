// Internal: the score maps that pass from the detector to the postprocessor.
#pragma once

#include <opencv2/core/mat.hpp>

namespace ocr2s::craft {

/// Affine, axis-aligned map ↔ image transform (DESIGN.md "Score maps").
/// Continuous coordinates on both sides (pixel (i, j) covers [i, i+1) × [j, j+1)):
///   image = offset + map * step
/// so the centre of map pixel (u, v) is image point
///   (offset.x + (u + 0.5) * step.x, offset.y + (v + 0.5) * step.y).
/// For a detector that scaled the image by s and outputs at half resolution,
/// step = (2/s, 2/s) and offset = (0, 0) (plus the ROI origin when reading an ROI).
struct MapTransform {
  cv::Point2f step{2.f, 2.f};
  cv::Point2f offset{0.f, 0.f};

  cv::Point2f to_image(cv::Point2f map) const {
    return {offset.x + map.x * step.x, offset.y + map.y * step.y};
  }
  cv::Point2f to_map(cv::Point2f image) const {
    return {(image.x - offset.x) / step.x, (image.y - offset.y) / step.y};
  }
};

/// Region and affinity score maps, CV_32FC1, same size, values nominally in [0, 1].
struct ScoreMaps {
  cv::Mat region;
  cv::Mat affinity;
  MapTransform to_image;
};

}  // namespace ocr2s::craft
