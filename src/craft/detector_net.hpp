// Internal: the ocr2s CRAFT-style detector network and its native model file.
// Includes Torch: only src/craft/detector.cpp and train/ include this header.
//
// Shape after CRAFT (Baek et al., "Character Region Awareness for Text Detection",
// CVPR 2019, §3.1 and Fig. 2): a backbone that downsamples to 1/32, a U-Net decoder
// that upsamples and concatenates the skip features back to HALF resolution, and a
// head with two channels — region and affinity — here through a sigmoid. CRAFT's
// VGG16-BN backbone costs ~100 GFLOP on a 640×160 input; this one is a
// depthwise-separable (MobileNet-style) backbone and a thin decoder, sized so that a
// 640×160 input costs about 0.3 GFLOP (≈ 5 ms on one core; DESIGN.md "Budgets").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <torch/torch.h>

#include "craft/maps.hpp"
#include "craft/upblock_kernel.hpp"
#include "ocr2s/config.hpp"

namespace ocr2s::craft {

/// Architecture hyper-parameters: enough to rebuild the network from a model file.
/// Stage i of the encoder works at 1/2^(i+2) of the input (1/4 … 1/32); decoder
/// stage i at 1/2^(4-i) (1/16 … 1/2).
struct DetectorArch {
  int stem = 16;                            ///< channels at 1/2 (3×3 stride-2 stem)
  std::array<int, 4> enc{32, 64, 128, 192};  ///< channels at 1/4, 1/8, 1/16, 1/32
  std::array<int, 4> depth{0, 1, 3, 2};      ///< extra residual blocks per encoder stage
  std::array<int, 4> dec{64, 32, 24, 16};    ///< decoder channels at 1/16, 1/8, 1/4, 1/2
  /// Dilation of the depthwise convolutions of the extra blocks at 1/32 (widens the
  /// receptive field for tall characters at no cost in FLOPs).
  int deep_dilation = 2;
  /// Residual depthwise-separable refinements after the last (1/2) decoder stage's
  /// own one: where neighbouring small characters are told apart. 0 in the
  /// shipped model; an A/B of 1 against 0 is not done yet.
  int half_refine = 0;

  bool operator==(const DetectorArch& o) const {
    return stem == o.stem && enc == o.enc && depth == o.depth && dec == o.dec &&
           deep_dilation == o.deep_dilation && half_refine == o.half_refine;
  }
};

/// Conv2d + BatchNorm (+ ReLU). fuse() folds the BatchNorm into the convolution's
/// weight and bias for inference (eval statistics; y = γ (Wx − μ)/√(σ²+ε) + β).
struct ConvBNImpl : torch::nn::Module {
  ConvBNImpl(int in, int out, int kernel, int stride = 1, int groups = 1, int dilation = 1,
             bool relu = true);
  torch::Tensor forward(const torch::Tensor& x);
  void fuse();
  /// Multiply-adds × 2 of this convolution for an output of `out_hw` pixels.
  std::int64_t flops(std::int64_t out_hw) const;

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  bool relu_ = true;
  bool fused_ = false;
  torch::Tensor fused_weight_, fused_bias_;
  int in_, out_, kernel_, stride_, groups_, dilation_;
};
TORCH_MODULE(ConvBN);

/// Depthwise-separable block (MobileNet v1, Howard et al. 2017): depthwise k×k
/// (stride, dilation) → BN → ReLU → pointwise 1×1 → BN → ReLU, with an identity
/// shortcut when the shape is kept.
struct SepBlockImpl : torch::nn::Module {
  SepBlockImpl(int in, int out, int stride, int dilation = 1);
  torch::Tensor forward(const torch::Tensor& x);
  ConvBN dw{nullptr}, pw{nullptr};
  bool residual_ = false;
};
TORCH_MODULE(SepBlock);

/// Decoder stage (CRAFT's "UpConv", made cheap): the U-Net's upsample → concat →
/// 1×1 conv is computed as 1×1(top) upsampled + 1×1(skip) — the same linear map,
/// because bilinear upsampling commutes with a 1×1 convolution — so the top branch's
/// 1×1 runs at the LOW resolution and no concatenated tensor is materialised; then
/// BatchNorm + ReLU, and a residual depthwise 3×3 + pointwise 1×1 refinement.
struct UpBlockImpl : torch::nn::Module {
  UpBlockImpl(int in, int skip, int out);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip);
  void fuse();
  std::int64_t flops(std::int64_t low_hw, std::int64_t high_hw) const;

  /// Inference through the fused kernel (craft/upblock_kernel.hpp), after fuse():
  /// x and skip channels-last, skip exactly twice x's size, and the stage
  /// fusable. With stage_.head set, returns the head's logits [N, 2, H, W]
  /// (contiguous) instead of the stage's output. Rows are split over LibTorch's
  /// intra-op threads.
  bool kernel_ready(const torch::Tensor& x, const torch::Tensor& skip) const;
  torch::Tensor forward_kernel(const torch::Tensor& x, const torch::Tensor& skip) const;

  torch::nn::Conv2d top{nullptr}, lateral{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  ConvBN dw{nullptr}, pw{nullptr};
  bool fused_ = false;
  torch::Tensor top_w_, lat_w_, lat_b_;
  kernel::UpStage stage_;  ///< filled by fuse() when the kernel handles the shape
  bool has_kernel_ = false;
  int in_, skip_, out_;
};
TORCH_MODULE(UpBlock);

/// The detector: x [N, 3, H, W] (ImageNet-normalised RGB, H and W multiples of 32)
/// → [N, 2, H/2, W/2] in [0, 1] (channel 0 region, 1 affinity).
struct DetectorNetImpl : torch::nn::Module {
  explicit DetectorNetImpl(const DetectorArch& arch = {});
  torch::Tensor forward(const torch::Tensor& x);
  /// Pre-sigmoid output (training uses the sigmoid output; kept for diagnostics).
  torch::Tensor logits(const torch::Tensor& x);
  /// Inference form: eval(), BatchNorm folded into the convolutions, weights in
  /// channels-last layout (oneDNN's fast path for depthwise convolutions here),
  /// and the decoder stages (with the head after the last) run by the fused
  /// kernel of craft/upblock_kernel.hpp where it handles their shapes; set
  /// `use_kernel` false to keep them on LibTorch (tests compare the two).
  /// Irreversible; train a copy, not the fused net.
  void fuse_for_inference(bool use_kernel = true);
  /// Convolution FLOPs (2 × multiply-adds) for one H×W input; elementwise ops,
  /// upsampling and the sigmoid are not counted (< 2 % here).
  std::int64_t flops(int height, int width) const;
  const DetectorArch& arch() const { return arch_; }

  DetectorArch arch_;
  ConvBN stem{nullptr};
  std::vector<torch::nn::Sequential> stages;  // 1/4 … 1/32
  std::vector<UpBlock> ups;                   // → 1/16 … 1/2
  torch::nn::Sequential refine{nullptr};      // arch.half_refine SepBlocks at 1/2
  torch::nn::Conv2d head{nullptr};
  bool fused_ = false;
  torch::Tensor head_w_t_;  // fused: head weight as [C, 2]
};
TORCH_MODULE(DetectorNet);

/// Provenance stored in a native model file.
struct DetectorMeta {
  std::string train_command;  ///< the exact command line that trained it
  std::int64_t seed = 0;
  std::int64_t steps = 0;     ///< optimiser steps done
  std::string data;           ///< training data description (folder, count)
  std::string notes;          ///< free text (validation figures, …)
};

inline constexpr const char* kDetectorFormat = "ocr2s-detector";
inline constexpr std::int64_t kDetectorFormatVersion = 1;

/// Writes a native model file: torch::serialize::OutputArchive with the network's
/// parameters and buffers under "net/…", plus "format", "version", the
/// architecture ("arch.*") and DetectorMeta ("meta.*"). The network is saved
/// unfused (it can be fine-tuned). Throws ModelError naming the file.
void save_detector(DetectorNet& net, const DetectorMeta& meta, const std::string& path);

/// Also holds optional extra state (optimiser) in a nested archive "extra".
void save_detector(DetectorNet& net, const DetectorMeta& meta, const std::string& path,
                   torch::serialize::OutputArchive* extra);

struct LoadedDetector {
  DetectorNet net{nullptr};  ///< in training form (unfused); call fuse_for_inference()
  DetectorMeta meta;
};

/// Reads and validates a native model file: format tag, version, architecture
/// ranges, every parameter and buffer present with the right shape, finite values.
/// Throws ModelError "FILE: what". With `extra`, the nested "extra" archive is
/// read into it (absent: left empty and false returned through *has_extra).
LoadedDetector load_detector(const std::string& path,
                             torch::serialize::InputArchive* extra = nullptr,
                             bool* has_extra = nullptr);

/// The runner's pipeline (detector.hpp: scale to the canvas, RGB, pad to multiples
/// of 32, normalise, forward, crop the maps) around an in-memory network — the
/// same code Detector runs, used by validation during training. The network runs
/// as it is: call eval() first so BatchNorm uses its running statistics.
std::vector<ScoreMaps> detect_with(DetectorNet& net, const std::vector<cv::Mat>& images,
                                   const CraftConfig& config);

/// Keeps MB-sized blocks in glibc's heap instead of fresh mmaps (M_MMAP_THRESHOLD
/// 64 MiB, M_TRIM_THRESHOLD 256 MiB), once per process; no-op elsewhere, or when the
/// user configured malloc (GLIBC_TUNABLES / MALLOC_*_ set). Why: a forward pass
/// allocates tens of MB of activations; by default glibc maps each block fresh and
/// unmaps it on free, so every forward page-faults all of its memory again —
/// measured here, a 640×160 forward took ~3× longer (16 ms vs 5 ms) for it.
/// Process-wide: the Detector constructor calls it (documented in detector.hpp).
void tune_malloc_for_inference();

/// ImageNet mean/std normalisation of an 8-bit RGB image batch: u8 [N, H, W, 3] →
/// float [N, 3, H, W] ((x/255 − mean)/std), as CRAFT does.
torch::Tensor normalize_rgb(const torch::Tensor& rgb_u8_nhwc);

}  // namespace ocr2s::craft
