// Internal: surfaces (what the code is marked on) and photometric degradations
// (how the camera sees it). Surfaces are CV_32FC3 BGR rasters in [0, 255] on the
// plane; degradations work on the final 8-bit image.
#pragma once

#include <opencv2/core.hpp>

#include "synth/rng.hpp"

namespace ocr2s::synth {

enum class Surface { kPaper, kCardboard, kPlastic, kMetal, kGlossyFilm, kRubber, kPanel };

/// A smooth random field in [lo, hi] (CV_32F): bicubic upsampling of a coarse
/// grid of `cells` × `cells` random values.
cv::Mat smooth_field(Rng& rng, cv::Size size, int cells, float lo, float hi);

/// A surface of `kind` with base colour `base` (BGR) and its texture.
cv::Mat make_surface(Rng& rng, cv::Size size, Surface kind, cv::Scalar base);

/// Adds a broad soft highlight band (specular reflection) of peak `strength`.
void add_specular(Rng& rng, cv::Mat& surface, float strength);

/// Per-sample camera degradations, scaled to the smallest character height so
/// text stays legible: uneven light, shadow, defocus / motion blur, low
/// resolution, sensor noise, JPEG artefacts. `img` is CV_8UC3, changed in place.
void degrade(Rng& rng, cv::Mat& img, float min_char_height);

}  // namespace ocr2s::synth
