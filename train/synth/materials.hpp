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

/// How legible one character came out of degrade().
struct Legibility {
  /// Grey levels between the 1st and 99th percentile of its box after light, blur
  /// and resolution loss, before noise: how far ink and surface differ.
  float contrast = 0.f;
  /// That contrast over the RMS of what sensor noise and JPEG changed in the box.
  float cnr = 0.f;
};

/// Per-sample camera degradations, scaled to the smallest character height so
/// text stays legible: uneven light, shadow, defocus / motion blur, low
/// resolution, sensor noise, JPEG artefacts. `img` is CV_8UC3, changed in place.
/// Returns the legibility of each box of `char_boxes` (image pixels; a box
/// outside the image gets +infinity).
std::vector<Legibility> degrade(Rng& rng, cv::Mat& img, float min_char_height, const std::vector<cv::Rect>& char_boxes);

}  // namespace ocr2s::synth
