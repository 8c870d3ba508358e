// Internal: training targets — the exact inverse of the postprocessor (CRAFT,
// Baek et al. 2019, §3.1 "Ground truth label generation"). Pure.
#pragma once

#include <vector>

#include "craft/maps.hpp"
#include "ocr2s/geometry.hpp"

namespace ocr2s::craft {

/// The characters of one word, in reading order. Consecutive characters of a word
/// are joined by affinity; characters of different words are not.
struct WordQuads {
  std::vector<Quad> chars;
};

/// The isotropic 2-D Gaussian the region and affinity targets are made of, on the
/// unit square: g(x, y) = exp(-((x-0.5)² + (y-0.5)²) / (2 σ²)) with σ = kGaussianSigma.
/// The postprocessor inverts it: the level set g = t is a circle of radius
/// σ·sqrt(2 ln(1/t)) in unit-square coordinates.
inline constexpr float kGaussianSigma = 0.25f;

/// Renders region and affinity maps of `map_size` for characters given in image
/// pixels; `to_image` maps map coordinates to image coordinates (see MapTransform).
/// Region: the Gaussian warped (perspective) onto each character quad. Affinity:
/// the Gaussian warped onto the quad between the centroids of the upper and lower
/// triangles of consecutive character quads. Overlaps take the maximum.
ScoreMaps render_targets(const std::vector<WordQuads>& words, cv::Size map_size,
                         const MapTransform& to_image);

/// The affinity quad between two consecutive characters (image pixels), as above.
Quad affinity_quad(const Quad& left, const Quad& right);

}  // namespace ocr2s::craft
