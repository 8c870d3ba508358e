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

/// How legible one character came out of degrade(), measured on its own mark:
/// the difference between the scene drawn with and without the characters, at
/// the scale of a stroke (Gaussian σ = 0.05 × cap height), where the character's
/// own ink is (CharBox::own, widened by a stroke), not where a neighbour's
/// strokes reach into its box.
struct Legibility {
  /// Grey levels the character changed its box by (99th percentile of the
  /// absolute difference over its own ink), after light, blur and resolution
  /// loss, before noise.
  float contrast = 0.f;
  /// That contrast over what competes with it in the box: the RMS of what sensor
  /// noise and JPEG changed, and of the bare surface's structure finer than a
  /// quarter of the character (grain, texture, scratches; not smooth shading),
  /// added in quadrature.
  float cnr = 0.f;
};

/// A character for degrade() to measure: its bounding box (image pixels), cap
/// height, and its own ink over the part of the box inside the image (CV_32F
/// alpha, that part's size; empty: the whole box is the character's).
struct CharBox {
  cv::Rect box;
  float height = 0.f;
  cv::Mat own;
};

/// Per-sample camera degradations, scaled to the smallest character height so
/// text stays legible: uneven light, shadow, defocus / motion blur, low
/// resolution, sensor noise, JPEG artefacts. `img` is CV_8UC3, changed in place;
/// `bare` is the same scene without its characters (same size and type), which
/// goes through the same light, blur and resolution loss to measure them.
/// Returns the legibility of each of `chars` (a box outside the image gets
/// +infinity).
std::vector<Legibility> degrade(Rng& rng, cv::Mat& img, cv::Mat bare, float min_char_height,
                                const std::vector<CharBox>& chars);

}  // namespace ocr2s::synth
