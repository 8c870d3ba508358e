// Internal: how an image becomes the detector's input (DESIGN.md "Score maps").
// Pure: no Torch; shared by the detector runner and the automatic scale.
#pragma once

#include <opencv2/core/types.hpp>

#include "ocr2s/config.hpp"

namespace ocr2s::craft {

/// How an image is turned into the network input: scale so that the long side is
/// at most canvas (after magnify), pad right/bottom to multiples of 32.
struct InputGeometry {
  float scale = 1.f;     ///< network pixels per image pixel
  cv::Size scaled;       ///< image size after scaling (before padding)
  cv::Size padded;       ///< multiples of 32
};
/// Throws InputError for an empty image size.
InputGeometry input_geometry(cv::Size image, const CraftConfig& config);

}  // namespace ocr2s::craft
