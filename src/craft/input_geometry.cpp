#include "craft/input_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "ocr2s/errors.hpp"

namespace ocr2s::craft {

InputGeometry input_geometry(cv::Size image, const CraftConfig& config) {
  if (image.width <= 0 || image.height <= 0) {
    throw InputError("detector: empty image (" + std::to_string(image.width) + "x" +
                     std::to_string(image.height) + ")");
  }
  const double long_side = std::max(image.width, image.height);
  double s = config.magnify;
  if (long_side * s > config.canvas) s = config.canvas / long_side;
  InputGeometry g;
  g.scale = static_cast<float>(s);
  g.scaled = {std::max(1, std::min(config.canvas, static_cast<int>(std::lround(image.width * s)))),
              std::max(1, std::min(config.canvas, static_cast<int>(std::lround(image.height * s))))};
  g.padded = {std::max(32, (g.scaled.width + 31) / 32 * 32),
              std::max(32, (g.scaled.height + 31) / 32 * 32)};
  return g;
}

}  // namespace ocr2s::craft
