// Internal: the character classifier runner — line-frame crops → calibrated class
// probabilities. Torch-free interface (pimpl); the network lives in classifier_net.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "assemble/layout.hpp"
#include "assemble/text.hpp"
#include "ocr2s/config.hpp"

namespace ocr2s::charcls {

/// Crop geometry the classifier was trained with; stored in the model file.
struct CropSpec {
  cv::Size size{32, 32};       ///< classifier input, pixels (width, height)
  float height_factor = 1.3f;  ///< crop height = line height × height_factor
  /// The crop's width follows the line's character width (assemble::CropFrame).
  /// Models before format version 2 have it off.
  bool by_char_width = false;
  float aspect() const { return static_cast<float>(size.width) / size.height; }
  assemble::CropFrame frame() const { return {height_factor, aspect(), by_char_width}; }
};

class Classifier {
 public:
  /// Loads config.model. Throws ModelError naming the file when it is missing,
  /// corrupt, or its charset size disagrees with the network's output layer.
  explicit Classifier(const ClassifierConfig& config);
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  const assemble::Charset& charset() const noexcept;
  const CropSpec& crop_spec() const noexcept;
  float temperature() const noexcept;

  /// Crops (CV_32FC1 of crop_spec().size, as extract_crops makes them) → one
  /// probability row per crop over charset().num_classes() classes, softmax of
  /// logits / temperature. Batched in chunks of config.max_batch.
  std::vector<std::vector<float>> classify(const std::vector<cv::Mat>& crops) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ocr2s::charcls
