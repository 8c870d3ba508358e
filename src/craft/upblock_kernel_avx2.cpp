// The decoder-stage kernel built with AVX2 and FMA (see upblock_kernel_impl.hpp).
// CMake compiles this file with -mavx2 -mfma; upblock_kernel.cpp calls it only
// when the CPU has both.
#include "craft/upblock_kernel_impl.hpp"

namespace ocr2s::craft::kernel::detail {

void top_pixels_avx2(const View& s, const float* x, std::size_t pixels, float* t) {
  top_any(s, x, pixels, t);
}

void up_rows_avx2(const View& s, const float* t, int hl, int wl, const float* skip, int row_begin,
                  int row_end, float* out, float* scratch) {
  rows_any(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
}

}  // namespace ocr2s::craft::kernel::detail
