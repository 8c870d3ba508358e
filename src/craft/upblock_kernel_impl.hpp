// Internal to upblock_kernel*.cpp: the kernel's code, built twice — portable
// (upblock_kernel.cpp) and with AVX2+FMA (upblock_kernel_avx2.cpp) — and chosen
// at run time. The code sits in an unnamed namespace, so each translation unit
// has its own copy, and it uses no standard-library template or inline function:
// the linker keeps one copy of such a function for the whole program, and it
// could keep the AVX2 build's, which a CPU without AVX2 cannot run.
//
// Vectors are GCC/Clang vector extensions of 8 floats; the channel dimension
// (a multiple of 8) is the vector dimension, so every loop here is over pixels
// and over channel groups of 8.
#pragma once

#include <cstddef>

namespace ocr2s::craft::kernel::detail {

/// A stage's weights as raw pointers (see UpStage in upblock_kernel.hpp).
struct View {
  int in, skip, out;
  const float *top, *lat, *lat_b, *dw, *dw_b, *pw, *pw_b;
  bool head;
  const float* head_w;  // [2][out]
  float head_b0, head_b1;
};

void top_pixels_avx2(const View& s, const float* x, std::size_t pixels, float* t);
void up_rows_avx2(const View& s, const float* t, int hl, int wl, const float* skip, int row_begin,
                  int row_end, float* out, float* scratch);

namespace {

typedef float v8 __attribute__((vector_size(32)));
typedef int i8 __attribute__((vector_size(32)));

inline v8 ld(const float* p) {
  v8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void st(float* p, v8 v) {
  __builtin_memcpy(p, &v, sizeof v);
}
inline v8 splat(float x) {
  return v8{x, x, x, x, x, x, x, x};
}
inline v8 relu(v8 v) {
  const i8 keep = v > v8{};
  return reinterpret_cast<v8>(reinterpret_cast<i8>(v) & keep);
}
inline int clamp_hi(int i, int hi) {
  return i > hi ? hi : i;
}
inline int clamp_lo(int i) {
  return i < 0 ? 0 : i;
}

// Bilinear ×2 upsampling, align_corners = false: output index o reads source
// (o + 0.5)/2 − 0.5, clamped at the borders. Even o = 2k: 0.25·x[k−1] + 0.75·x[k];
// odd o = 2k+1: 0.75·x[k] + 0.25·x[k+1].
struct Taps {
  int a, b;
  float wa, wb;
};
inline Taps taps(int o, int n) {
  const int k = o >> 1;
  if ((o & 1) == 0) return {clamp_lo(k - 1), k, 0.25f, 0.75f};
  return {k, clamp_hi(k + 1, n - 1), 0.75f, 0.25f};
}

template <int NV>
void top_impl(const View& s, const float* x, std::size_t pixels, float* t) {
  const int out = s.out;
  for (std::size_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * static_cast<std::size_t>(s.in);
    v8 acc[NV] = {};
    for (int k = 0; k < s.in; ++k) {
      const v8 xk = splat(xp[k]);
      const float* wk = s.top + static_cast<std::size_t>(k) * out;
      for (int v = 0; v < NV; ++v) acc[v] += ld(wk + 8 * v) * xk;
    }
    float* tp = t + p * static_cast<std::size_t>(out);
    for (int v = 0; v < NV; ++v) st(tp + 8 * v, acc[v]);
  }
}

// Pixels per register tile: P pixels × NV channel vectors of accumulators, so
// each weight vector loaded is used P times (12 accumulators of 16 registers).
template <int NV>
constexpr int tile() {
  return NV >= 7 ? 1 : (NV >= 5 ? 2 : (NV == 4 ? 3 : 4));
}

// z for pixels j0 … j0+P−1 of a row (see z_row).
template <int NV, int P>
void z_pixels(const View& s, int wl, const float* vrow, const float* skip_row, int j0, float* dst) {
  const int out = s.out;
  v8 acc[P][NV];
  for (int p = 0; p < P; ++p) {
    const Taps tx = taps(j0 + p, wl);
    const float* ca = vrow + static_cast<std::size_t>(tx.a) * out;
    const float* cb = vrow + static_cast<std::size_t>(tx.b) * out;
    const v8 xa = splat(tx.wa), xb = splat(tx.wb);
    for (int v = 0; v < NV; ++v)
      acc[p][v] = xa * ld(ca + 8 * v) + xb * ld(cb + 8 * v) + ld(s.lat_b + 8 * v);
  }
  const float* sp = skip_row + static_cast<std::size_t>(j0) * s.skip;
  for (int k = 0; k < s.skip; ++k) {
    const float* wk = s.lat + static_cast<std::size_t>(k) * out;
    v8 w[NV];
    for (int v = 0; v < NV; ++v) w[v] = ld(wk + 8 * v);
    for (int p = 0; p < P; ++p) {
      const v8 sk = splat(sp[static_cast<std::size_t>(p) * s.skip + k]);
      for (int v = 0; v < NV; ++v) acc[p][v] += w[v] * sk;
    }
  }
  for (int p = 0; p < P; ++p) {
    float* zp = dst + static_cast<std::size_t>(j0 + p + 1) * out;
    for (int v = 0; v < NV; ++v) st(zp + 8 * v, relu(acc[p][v]));
  }
}

// One row of z = ReLU(up2(t) + lat·skip + lat_b), with a zero column on each side
// (the depthwise convolution's padding): dst holds w + 2 pixels.
template <int NV>
void z_row(const View& s, const float* t, int hl, int wl, const float* skip_row, int i, float* vrow,
           float* dst) {
  constexpr int P = tile<NV>();
  const int out = s.out, w = 2 * wl;
  const Taps ty = taps(i, hl);
  const float* ra = t + static_cast<std::size_t>(ty.a) * wl * out;
  const float* rb = t + static_cast<std::size_t>(ty.b) * wl * out;
  const v8 wa = splat(ty.wa), wb = splat(ty.wb);
  for (int m = 0; m < wl * NV; ++m) st(vrow + 8 * m, wa * ld(ra + 8 * m) + wb * ld(rb + 8 * m));
  for (int v = 0; v < NV; ++v) {
    st(dst + 8 * v, v8{});
    st(dst + static_cast<std::size_t>(w + 1) * out + 8 * v, v8{});
  }
  int j = 0;
  for (; j + P <= w; j += P) z_pixels<NV, P>(s, wl, vrow, skip_row, j, dst);
  for (; j < w; ++j) z_pixels<NV, 1>(s, wl, vrow, skip_row, j, dst);
}

// Sums of the lanes of a and of b.
inline void sum_lanes2(v8 a, v8 b, float& sa, float& sb) {
  v8 c = __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11) +
         __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15);
  c += __builtin_shufflevector(c, c, 2, 3, 0, 1, 6, 7, 4, 5);
  c += __builtin_shufflevector(c, c, 1, 0, 3, 2, 5, 4, 7, 6);
  sa = c[0];
  sb = c[4];
}

// Output pixels j0 … j0+P−1 of row r from the z rows above, at and below it
// (padded rows of w + 2 pixels); dbuf holds P pixels of depthwise output.
template <int NV, int P>
void out_pixels(const View& s, const float* const rows[3], int w, int h, int r, int j0, float* dbuf,
                float* out) {
  const int out_c = s.out;
  v8 acc[P][NV];
  for (int p = 0; p < P; ++p) {
    for (int v = 0; v < NV; ++v) acc[p][v] = ld(s.dw_b + 8 * v);
  }
  for (int tap = 0; tap < 9; ++tap) {
    const float* row = rows[tap / 3] + static_cast<std::size_t>(j0 + tap % 3) * out_c;
    const float* ww = s.dw + static_cast<std::size_t>(tap) * out_c;
    v8 wt[NV];
    for (int v = 0; v < NV; ++v) wt[v] = ld(ww + 8 * v);
    for (int p = 0; p < P; ++p) {
      for (int v = 0; v < NV; ++v)
        acc[p][v] += wt[v] * ld(row + static_cast<std::size_t>(p) * out_c + 8 * v);
    }
  }
  for (int p = 0; p < P; ++p) {
    for (int v = 0; v < NV; ++v) {
      st(dbuf + static_cast<std::size_t>(p) * out_c + 8 * v, relu(acc[p][v]));
      acc[p][v] = ld(s.pw_b + 8 * v);
    }
  }
  for (int k = 0; k < out_c; ++k) {
    const float* wk = s.pw + static_cast<std::size_t>(k) * out_c;
    v8 wt[NV];
    for (int v = 0; v < NV; ++v) wt[v] = ld(wk + 8 * v);
    for (int p = 0; p < P; ++p) {
      const v8 dk = splat(dbuf[static_cast<std::size_t>(p) * out_c + k]);
      for (int v = 0; v < NV; ++v) acc[p][v] += wt[v] * dk;
    }
  }
  const float* zc = rows[1];
  for (int p = 0; p < P; ++p) {
    const int j = j0 + p;
    const float* zj = zc + static_cast<std::size_t>(j + 1) * out_c;
    for (int v = 0; v < NV; ++v) acc[p][v] = relu(acc[p][v]) + ld(zj + 8 * v);
    if (s.head) {
      v8 h0 = {}, h1 = {};
      for (int v = 0; v < NV; ++v) {
        h0 += acc[p][v] * ld(s.head_w + 8 * v);
        h1 += acc[p][v] * ld(s.head_w + out_c + 8 * v);
      }
      float s0, s1;
      sum_lanes2(h0, h1, s0, s1);
      const std::size_t at = static_cast<std::size_t>(r) * w + j;
      out[at] = s0 + s.head_b0;
      out[static_cast<std::size_t>(h) * w + at] = s1 + s.head_b1;
    } else {
      float* op = out + (static_cast<std::size_t>(r) * w + j) * out_c;
      for (int v = 0; v < NV; ++v) st(op + 8 * v, acc[p][v]);
    }
  }
}

template <int NV>
void out_row(const View& s, const float* zp, const float* zc, const float* zn, int w, int h, int r,
             float* dbuf, float* out) {
  constexpr int P = tile<NV>();
  const float* const rows[3] = {zp, zc, zn};
  int j = 0;
  for (; j + P <= w; j += P) out_pixels<NV, P>(s, rows, w, h, r, j, dbuf, out);
  for (; j < w; ++j) out_pixels<NV, 1>(s, rows, w, h, r, j, dbuf, out);
}

template <int NV>
void rows_impl(const View& s, const float* t, int hl, int wl, const float* skip, int row_begin,
               int row_end, float* out, float* scratch) {
  const int out_c = s.out, w = 2 * wl, h = 2 * hl;
  const std::size_t padded = static_cast<std::size_t>(w + 2) * out_c;
  float* ring[3] = {scratch, scratch + padded, scratch + 2 * padded};
  float* zero = scratch + 3 * padded;
  float* vrow = zero + padded;
  float* dbuf = vrow + static_cast<std::size_t>(wl) * out_c;
  for (std::size_t i = 0; i < padded; ++i) zero[i] = 0.f;
  const std::size_t skip_row = static_cast<std::size_t>(w) * s.skip;
  // z of row i in a ring slot, or the zero row outside the image.
  const auto z = [&](int i, float* slot) -> const float* {
    if (i < 0 || i >= h) return zero;
    z_row<NV>(s, t, hl, wl, skip + static_cast<std::size_t>(i) * skip_row, i, vrow, slot);
    return slot;
  };
  int a = 0, b = 1, c = 2;  // ring slots of the rows above, at and below r
  const float* zp = z(row_begin - 1, ring[a]);
  const float* zc = z(row_begin, ring[b]);
  for (int r = row_begin; r < row_end; ++r) {
    const float* zn = z(r + 1, ring[c]);
    out_row<NV>(s, zp, zc, zn, w, h, r, dbuf, out);
    const int freed = a;  // the row above r is not needed again
    a = b;
    b = c;
    c = freed;
    zp = zc;
    zc = zn;
  }
}

// Dispatch on the output width (register tile of out/8 vectors).
inline void top_any(const View& s, const float* x, std::size_t pixels, float* t) {
  switch (s.out / 8) {
    case 1:
      return top_impl<1>(s, x, pixels, t);
    case 2:
      return top_impl<2>(s, x, pixels, t);
    case 3:
      return top_impl<3>(s, x, pixels, t);
    case 4:
      return top_impl<4>(s, x, pixels, t);
    case 5:
      return top_impl<5>(s, x, pixels, t);
    case 6:
      return top_impl<6>(s, x, pixels, t);
    case 7:
      return top_impl<7>(s, x, pixels, t);
    default:
      return top_impl<8>(s, x, pixels, t);
  }
}

inline void rows_any(const View& s, const float* t, int hl, int wl, const float* skip,
                     int row_begin, int row_end, float* out, float* scratch) {
  switch (s.out / 8) {
    case 1:
      return rows_impl<1>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
    case 2:
      return rows_impl<2>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
    case 3:
      return rows_impl<3>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
    case 4:
      return rows_impl<4>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
    case 5:
      return rows_impl<5>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
    case 6:
      return rows_impl<6>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
    case 7:
      return rows_impl<7>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
    default:
      return rows_impl<8>(s, t, hl, wl, skip, row_begin, row_end, out, scratch);
  }
}

}  // namespace
}  // namespace ocr2s::craft::kernel::detail
