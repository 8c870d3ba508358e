// Internal: the character classifier network and its native model file.
// Includes Torch: used only by charcls/classifier.cpp (definitions) and the
// training code in train/. The runner interface in classifier.hpp is Torch-free.
//
// Network (DESIGN.md "Classifier", budget ≤ 0.12 ms per character on one thread):
//
//   crop [N, 1, 32, 32] (CV_32FC1 line-frame crop from extract_crops)
//   → pixel_unshuffle(2)                        [N,   4, 16, 16]   (space-to-depth)
//   → conv3×3   4→32, stride 1 + BN + ReLU      [N,  32, 16, 16]   0.59 MFLOP
//   → conv3×3  32→64, stride 2 + BN + ReLU      [N,  64,  8,  8]   2.36 MFLOP
//   → conv3×3 64→128, stride 2 + BN + ReLU      [N, 128,  4,  4]   2.36 MFLOP
//   → flatten 2048 → dropout → FC 128 + ReLU                       0.52 MFLOP
//   → FC → charset + 1 logits (last = "not a character")           ~0.01 MFLOP
//                                                             total ≈ 5.9 MFLOP
//
// Why not the textbook "conv 1→16 at 32² + max-pool" stack: measured on this
// machine (LibTorch 1.13, oneDNN, one thread), a 1-input-channel stride-1 conv runs
// at ~3.4 GFLOP/s and NCHW max_pool2d costs as much as a conv, so that stack needs
// ~0.3 ms per character. Space-to-depth plus strided convolutions keep every layer
// on oneDNN's fast path (65–88 GFLOP/s). The flattened 4×4 map (no global pooling)
// keeps where a mark sits in the line frame: '.' vs '-' vs '_', 'o' vs 'O'.
//
// BatchNorm is trained normally and folded into the convolutions for inference
// (fold_batchnorm). Inference then runs every layer as one BLAS matrix product on
// channels-last maps (each conv as im2col + GEMM over the whole batch) instead of
// oneDNN's convolutions: oneDNN compiles a convolution for every batch size it
// meets, and a reader meets one per character count. Through its capped primitive
// cache (compute_threads.hpp) those compilations cost the reader more than the
// convolutions themselves (benchmarks/README.md, session 18); the GEMMs run at the
// same speed for a label's dozen crops (0.076 ms per character).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn.h>
#include <torch/serialize.h>

#include "assemble/text.hpp"
#include "charcls/classifier.hpp"

namespace ocr2s::charcls {

/// Architecture hyper-parameters; stored in the model file.
struct ClassifierArch {
  int input_width = 32;    ///< pixels; must equal CropSpec::size.width
  int input_height = 32;   ///< pixels; must equal CropSpec::size.height
  int unshuffle = 2;       ///< space-to-depth factor before the first conv (1 = none)
  /// Conv widths. The first conv has stride 1, each later one stride 2.
  std::vector<int> channels{32, 64, 128};
  int hidden = 128;        ///< width of the hidden FC layer; 0 = none
  int num_classes = 0;     ///< charset size + 1 (reject)

  /// Spatial size (width, height) of the last conv's output; throws ModelError
  /// when the input size is not divisible accordingly or a value is out of range.
  cv::Size feature_size() const;
  /// Floating-point operations (2 × multiply-adds) of one crop's forward pass,
  /// convolutions and FC layers (ReLU, folded BN and reshapes not counted).
  std::int64_t flops() const;
};

struct ClassifierNetImpl : torch::nn::Module {
  explicit ClassifierNetImpl(const ClassifierArch& arch);

  /// x: float [N, 1, H, W] → logits [N, num_classes]. Uses the folded weights when
  /// fold_batchnorm() was called and the module is in eval mode.
  torch::Tensor forward(torch::Tensor x);

  /// Folds each BatchNorm's running statistics into its conv (w' = w·γ/σ,
  /// b' = β − μ·γ/σ) for inference. Parameters are left untouched (saving still
  /// writes the unfolded network); call again after changing them.
  void fold_batchnorm();

  /// Number of output classes (rows of the final layer as currently loaded).
  std::int64_t output_width() const { return out->weight.size(0); }

  ClassifierArch arch;
  std::vector<torch::nn::Conv2d> convs;
  std::vector<torch::nn::BatchNorm2d> norms;
  torch::nn::Linear fc{nullptr};   ///< hidden layer (null when arch.hidden == 0)
  torch::nn::Linear out{nullptr};  ///< logits; row k = class k, last row = reject

 private:
  /// Inference with the folded weights: im2col + GEMM, channels-last.
  torch::Tensor forward_folded(const torch::Tensor& x) const;

  std::vector<torch::Tensor> folded_w_, folded_b_;  ///< per conv: [9·Cin, Cout], [Cout]
  /// First linear layer's weight, transposed, rows in (y, x, channel) order; and
  /// the output layer's, transposed, when there is a hidden layer.
  torch::Tensor folded_head_, folded_out_;
};
TORCH_MODULE(ClassifierNet);

/// Everything a classifier model file holds.
struct ClassifierModel {
  ClassifierNet net{nullptr};
  assemble::Charset charset;
  CropSpec crop;
  float temperature = 1.f;      ///< logits are divided by it before the softmax
  /// Per-class offsets already added to the output layer's bias after training
  /// (logit adjustment towards the training data's class prior; empty = none).
  /// Inference ignores it (it is in the bias); fine-tuning subtracts it to recover
  /// the class-balanced network, trains, and adds it back.
  std::vector<float> logit_adjust;
  std::string train_command;    ///< exact command line that produced the model
  std::int64_t train_seed = 0;
  std::string train_notes;      ///< free text: data, validation figures
};

inline constexpr const char* kClassifierFormat = "ocr2s-classifier";
inline constexpr std::int64_t kClassifierVersion = 2;

/// A fresh, randomly initialised model for `charset` (arch.num_classes is set
/// from it, arch input size from crop). The reject class is the last output.
ClassifierModel make_classifier_model(const assemble::Charset& charset, const CropSpec& crop,
                                      ClassifierArch arch = {});

/// Writes the model (network parameters and buffers + metadata: "format",
/// "version", architecture, charset, crop spec, temperature, logit adjustment,
/// training command, seed, notes) with torch::serialize::OutputArchive. Writes what it is given;
/// consistency is checked by load_classifier_model. Throws ModelError naming
/// the file when it cannot be written.
void save_classifier_model(const ClassifierModel& model, const std::string& path);

/// Reads and validates a model file: format and version, architecture, crop spec
/// against the network input, temperature > 0, labels non-empty, and charset size
/// + 1 equal to the output layer width ("<path>: charset has 36 labels + reject =
/// 37 classes but the network outputs 38"). The returned net is in eval mode,
/// unfolded. Throws ModelError naming the file on any failure.
ClassifierModel load_classifier_model(const std::string& path);

}  // namespace ocr2s::charcls
