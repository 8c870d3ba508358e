// The decoder-stage kernel: portable build and run-time dispatch to the AVX2
// build (upblock_kernel_avx2.cpp) where the CPU and the compiler have it.
#include "craft/upblock_kernel.hpp"

#include <atomic>

#include "craft/upblock_kernel_impl.hpp"

namespace ocr2s::craft::kernel {

namespace {

detail::View view(const UpStage& s) {
  return {s.in,           s.skip,          s.out,         s.top.data(), s.lat.data(),
          s.lat_b.data(), s.dw.data(),     s.dw_b.data(), s.pw.data(),  s.pw_b.data(),
          s.head,         s.head_w.data(), s.head_b[0],   s.head_b[1]};
}

bool detect_avx2() {
#if defined(OCR2S_UPBLOCK_AVX2)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

}  // namespace

bool fusable(int in, int skip, int out) {
  return in >= 1 && skip >= 1 && out >= 8 && out <= 64 && out % 8 == 0;
}

namespace {
std::atomic<bool> g_force_portable{false};
}  // namespace

bool uses_avx2() {
  static const bool avx2 = detect_avx2();
  return avx2 && !g_force_portable.load(std::memory_order_relaxed);
}

void force_portable(bool on) {
  g_force_portable.store(on, std::memory_order_relaxed);
}

void top_pixels(const UpStage& s, const float* x, std::size_t pixels, float* t) {
  const auto v = view(s);
#if defined(OCR2S_UPBLOCK_AVX2)
  if (uses_avx2()) return detail::top_pixels_avx2(v, x, pixels, t);
#endif
  detail::top_any(v, x, pixels, t);
}

std::size_t scratch_floats(const UpStage& s, int w) {
  // Three z rows and a zero row (w + 2 pixels each), the vertically interpolated
  // low-resolution row (w / 2 pixels) and a tile (at most 4 pixels) of depthwise
  // output.
  const auto out = static_cast<std::size_t>(s.out);
  return (4 * static_cast<std::size_t>(w + 2) + static_cast<std::size_t>(w / 2) + 4) * out;
}

void up_rows(const UpStage& s, const float* t, int hl, int wl, const float* skip, int row_begin,
             int row_end, float* out, float* scratch) {
  const auto v = view(s);
#if defined(OCR2S_UPBLOCK_AVX2)
  if (uses_avx2())
    return detail::up_rows_avx2(v, t, hl, wl, skip, row_begin, row_end, out, scratch);
#endif
  detail::rows_any(v, t, hl, wl, skip, row_begin, row_end, out, scratch);
}

}  // namespace ocr2s::craft::kernel
