// Internal: the CRAFT detector runner — image → score maps (DESIGN.md "Score maps").
// Torch-free interface (pimpl); the network lives in detector_net.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "craft/graph.hpp"
#include "craft/input_geometry.hpp"
#include "craft/maps.hpp"
#include "ocr2s/config.hpp"

namespace ocr2s::craft {


/// Converts any supported image (8/16-bit, 1/3/4 channels, or float in [0, 1]) to
/// 8-bit 3-channel RGB. Throws InputError for an empty image or another type.
cv::Mat to_rgb8(const cv::Mat& image);

class Detector {
 public:
  /// Loads config.model (native ocr2s detector, or TorchScript when
  /// config.torchscript). Throws ModelError naming the file on any failure,
  /// including a network whose output does not have the contract's shape.
  /// Process-wide side effect, once: on glibc, MB-sized allocations are kept in
  /// the heap instead of fresh mmaps (see tune_malloc_for_inference in
  /// detector_net.hpp; skipped when GLIBC_TUNABLES or MALLOC_*_ is set) — without
  /// it every forward pass page-faults its activations again (~3× slower); and
  /// oneDNN's primitive cache is capped at kOneDnnCacheCapacity (32) compiled
  /// convolutions instead of 1,024 (ocr2s::limit_onednn_cache in
  /// compute_threads.hpp; skipped when ONEDNN_PRIMITIVE_CACHE_CAPACITY or
  /// DNNL_PRIMITIVE_CACHE_CAPACITY is set), which saves ~200 MB over a long batch.
  explicit Detector(const CraftConfig& config);
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;

  /// One image → score maps; to_image maps back to the image's own pixels.
  ScoreMaps detect(const cv::Mat& image) const;
  /// The same at another magnification than the config's (the second pass of the
  /// automatic scale, see rescale_magnify); throws ConfigError outside [0.25, 4].
  ScoreMaps detect(const cv::Mat& image, float magnify) const;
  /// detect(image) with the automatic scale: the maps are postprocessed and, when
  /// rescale_magnify asks for it, the image is detected again at that
  /// magnification. Returns the maps kept; `graph` (when not null) receives
  /// their postprocessed graph.
  ScoreMaps detect_scaled(const cv::Mat& image, CharGraph* graph = nullptr) const;
  /// Many images in as few forward passes as possible (images with the same padded
  /// size share a batch). result[i] belongs to images[i].
  std::vector<ScoreMaps> detect_batch(const std::vector<cv::Mat>& images) const;

  const CraftConfig& config() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ocr2s::craft
