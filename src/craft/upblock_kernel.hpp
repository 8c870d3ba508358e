// Internal: the detector's decoder stage (UpBlock) as one fused CPU kernel for
// inference, plus the 1×1 head. Torch-free; src/craft/detector.cpp calls it on
// the fused network's channels-last activations.
//
// Why: at 1/4 and 1/2 resolution the decoder's layers are thin (24 and 16
// channels) and LibTorch runs each as its own pass over a tensor that does not
// fit in L2 (a 16-channel float map of a 640×160 input's half resolution is
// 1.6 MB): upsample, lateral 1×1, add, ReLU, depthwise 3×3, pointwise 1×1,
// residual add and the head are eight trips through memory for ~1.5 kFLOP per
// pixel. Measured on the shipped model at 640×160, one core: the 1/2-resolution
// stage and the head took 1.6 ms of a 5.6 ms forward. This kernel computes the
// same function row by row, keeping three rows of the stage's input in cache.
//
// The arithmetic is the network's own (bilinear ×2 upsampling with
// align_corners = false, zero padding for the depthwise 3×3); results differ from
// LibTorch's by float rounding only (tests/craft/test_upblock_kernel.cpp).
#pragma once

#include <cstddef>
#include <vector>

namespace ocr2s::craft::kernel {

/// One decoder stage in inference form (BatchNorm folded). All weights are
/// stored output-channel-fastest, i.e. transposed from LibTorch's [out][in].
struct UpStage {
  int in = 0;                ///< channels of the low-resolution input
  int skip = 0;              ///< channels of the skip (high-resolution) input
  int out = 0;               ///< channels of the stage's output
  std::vector<float> top;    ///< [in][out]: 1×1 on the low-resolution input
  std::vector<float> lat;    ///< [skip][out]: 1×1 on the skip input
  std::vector<float> lat_b;  ///< [out]
  std::vector<float> dw;     ///< [9][out]: depthwise 3×3, row-major taps
  std::vector<float> dw_b;   ///< [out]
  std::vector<float> pw;     ///< [out][out]: pointwise 1×1, input-channel-major
  std::vector<float> pw_b;   ///< [out]
  /// Optional 1×1 head after the stage: 2 output maps instead of `out` channels.
  bool head = false;
  std::vector<float> head_w;  ///< [2][out]
  float head_b[2] = {0.f, 0.f};
};

/// Whether the kernel handles these channel counts: `out` a multiple of 8 up to 64
/// (its register tile), `in` and `skip` at least 1. Other stages stay on LibTorch.
bool fusable(int in, int skip, int out);

/// Whether the AVX2+FMA build runs (the CPU has both and force_portable is off);
/// else the portable build of the same code. Both give the same results up to
/// float rounding.
bool uses_avx2();

/// Runs the portable build even where AVX2 is available. Process-wide; for tests
/// and benchmarks that compare the two builds, not for use while other threads
/// run the kernel.
void force_portable(bool on);

/// The stage's top branch: t[p][out] = Σ_k x[p][k] top[k][out] for `pixels`
/// low-resolution pixels of channels-last input x[p][in].
void top_pixels(const UpStage& s, const float* x, std::size_t pixels, float* t);

/// Floats of scratch memory up_rows needs for a high-resolution row width `w`.
std::size_t scratch_floats(const UpStage& s, int w);

/// Output rows [row_begin, row_end) of one image, high resolution h = 2·hl,
/// w = 2·wl:
///   z   = ReLU(up2(t) + lat·skip + lat_b)     (t from top_pixels, [hl][wl][out])
///   out = ReLU(pw·ReLU(dw ⊛ z + dw_b) + pw_b) + z
/// written channels-last to `out` ([h][w][out]); with s.head, the head's two maps
/// (pre-sigmoid) are written planar instead ([2][h][w]). `skip` is [h][w][skip],
/// channels-last. Rows may be split between threads: each call reads only its
/// inputs and writes only its own rows; `scratch` (scratch_floats) is per call.
void up_rows(const UpStage& s, const float* t, int hl, int wl, const float* skip, int row_begin,
             int row_end, float* out, float* scratch);

}  // namespace ocr2s::craft::kernel
