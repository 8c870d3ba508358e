// Detector training data: character-annotated images (the folder `ocr2s synth`
// writes, or the user's own annotated photos in the same format), augmentation and
// target rendering. Pure OpenCV — no Torch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "craft/maps.hpp"
#include "craft/render.hpp"
#include "synth/synth.hpp"

namespace ocr2s::train {

/// One annotated image. Either `image` is set (in-memory, e.g. in tests) or it is
/// read from `path` when needed.
struct DetectorItem {
  std::string path;
  cv::Mat image;                         ///< CV_8UC3 BGR, optional
  std::vector<craft::WordQuads> words;   ///< character quads in image pixels, by word
  std::string style;
  cv::Size size;                         ///< image size (from the annotation)
  /// Median character height (pixels), used to keep rescaled text in range.
  float char_height = 0.f;
};

/// Character-annotated images.
class DetectorDataset {
 public:
  DetectorDataset() = default;
  explicit DetectorDataset(std::vector<DetectorItem> items);
  /// Reads DIR/annotations.jsonl (synth::read_annotations); images are loaded
  /// lazily from their paths. `limit` > 0 keeps only the first `limit` records.
  /// Throws InputError when the folder has no annotations or an image is missing.
  static DetectorDataset from_folder(const std::string& dir, std::size_t limit = 0);
  /// The records of several folders (from_folder each), in the order given.
  static DetectorDataset from_folders(const std::vector<std::string>& dirs);

  std::size_t size() const { return items_.size(); }
  const DetectorItem& item(std::size_t i) const { return items_[i]; }
  /// The item's image as CV_8UC3 BGR (loaded from disk unless in memory).
  /// Throws InputError when the file cannot be decoded.
  cv::Mat image(std::size_t i) const;
  /// Styles present, sorted.
  std::vector<std::string> styles() const;

 private:
  std::vector<DetectorItem> items_;
};

/// Augmentation ranges (defaults used for the shipped model).
struct AugmentConfig {
  int patch = 192;                 ///< square training patch, pixels (multiple of 32)
  float min_scale = 0.6f;          ///< rescale factor range (log-uniform) …
  float max_scale = 1.6f;
  float min_char = 8.f;            ///< … clamped so the median character height
  float max_char = 130.f;          ///<   lands in [min_char, max_char] pixels
  float max_rotation_deg = 6.f;    ///< uniform in ±, applied with probability 1/2
  float text_centred = 0.85f;      ///< probability that the patch is centred near a character
  float invert = 0.2f;             ///< polarity inversion
  float gray = 0.3f;               ///< drop colour
  float blur = 0.25f;              ///< Gaussian blur, σ ∈ [0.3, 1.4]
  float noise = 0.3f;              ///< Gaussian noise, σ ∈ [2, 12] grey levels
  float contrast = 0.4f;           ///< contrast factor ∈ [1 − c, 1 + c], brightness ± 100 c
};

/// A training patch: RGB input and its targets at half resolution.
struct Patch {
  cv::Mat rgb;       ///< CV_8UC3 RGB, patch × patch
  cv::Mat region;    ///< CV_32F, patch/2 × patch/2
  cv::Mat affinity;  ///< CV_32F, patch/2 × patch/2
};

/// The colour the runner pads with (the ImageNet mean, which normalises to 0), RGB.
inline const cv::Scalar kPadRgb{124, 116, 104};

/// Makes one augmented patch from `image` (BGR) and its words: random rescale
/// (median character height kept in range), rotation, crop (usually centred near a
/// character), colour/contrast/blur/noise/polarity; targets rendered by
/// craft::render_targets for the transformed quads. Deterministic in `rng_seed`.
Patch make_patch(const cv::Mat& image_bgr, const std::vector<craft::WordQuads>& words,
                 float char_height, const AugmentConfig& aug, std::uint64_t rng_seed);

/// A patch without augmentation: the image at scale 1, top-left crop/pad to
/// `patch` (for tests and inspection).
Patch plain_patch(const cv::Mat& image_bgr, const std::vector<craft::WordQuads>& words, int patch);

/// Median character height (mean of a quad's left and right edges) over all words.
float median_char_height(const std::vector<craft::WordQuads>& words);

}  // namespace ocr2s::train
