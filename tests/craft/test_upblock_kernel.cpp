// The detector's fused decoder-stage kernel (craft/upblock_kernel.hpp) against a
// plain reference written from the layer definitions: 1×1 convolutions, PyTorch's
// bilinear upsampling (align_corners = false), a zero-padded depthwise 3×3, ReLUs,
// the residual and the head. Both builds of the kernel (AVX2 where the CPU has
// it, and the portable one), odd sizes, every register-tile width, row splits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "craft/upblock_kernel.hpp"

namespace ocr2s::craft::kernel {
namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937& rng, float scale) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

UpStage random_stage(int in, int skip, int out, bool head, std::mt19937& rng) {
  UpStage s;
  s.in = in;
  s.skip = skip;
  s.out = out;
  s.top = random_vector(static_cast<std::size_t>(in) * out, rng, 0.5f);
  s.lat = random_vector(static_cast<std::size_t>(skip) * out, rng, 0.5f);
  s.lat_b = random_vector(out, rng, 0.2f);
  s.dw = random_vector(9 * static_cast<std::size_t>(out), rng, 0.5f);
  s.dw_b = random_vector(out, rng, 0.2f);
  s.pw = random_vector(static_cast<std::size_t>(out) * out, rng, 0.3f);
  s.pw_b = random_vector(out, rng, 0.2f);
  s.head = head;
  if (head) {
    s.head_w = random_vector(2 * static_cast<std::size_t>(out), rng, 0.5f);
    s.head_b[0] = 0.1f;
    s.head_b[1] = -0.3f;
  }
  return s;
}

// PyTorch's source index for output index o, align_corners = false, scale 1/2.
void source(int o, int n, int& i0, int& i1, float& l1) {
  const float src = std::max(0.f, (o + 0.5f) * 0.5f - 0.5f);
  i0 = static_cast<int>(src);
  i1 = std::min(i0 + 1, n - 1);
  l1 = src - static_cast<float>(i0);
}

// One image: x [hl][wl][in], skip [h][w][skip] → [h][w][out], or [2][h][w] with the head.
std::vector<float> reference(const UpStage& s, const std::vector<float>& x, int hl, int wl,
                             const std::vector<float>& skip) {
  const int h = 2 * hl, w = 2 * wl, C = s.out;
  std::vector<double> t(static_cast<std::size_t>(hl) * wl * C, 0.0);
  for (int p = 0; p < hl * wl; ++p) {
    for (int c = 0; c < C; ++c) {
      for (int k = 0; k < s.in; ++k) t[p * C + c] += double(x[p * s.in + k]) * s.top[k * C + c];
    }
  }
  std::vector<double> z(static_cast<std::size_t>(h) * w * C);
  for (int i = 0; i < h; ++i) {
    int y0, y1, x0, x1;
    float ly, lx;
    source(i, hl, y0, y1, ly);
    for (int j = 0; j < w; ++j) {
      source(j, wl, x0, x1, lx);
      for (int c = 0; c < C; ++c) {
        const auto T = [&](int yy, int xx) { return t[(yy * wl + xx) * C + c]; };
        double v = (1 - ly) * ((1 - lx) * T(y0, x0) + lx * T(y0, x1)) +
                   ly * ((1 - lx) * T(y1, x0) + lx * T(y1, x1));
        v += s.lat_b[c];
        for (int k = 0; k < s.skip; ++k)
          v += double(skip[(i * w + j) * s.skip + k]) * s.lat[k * C + c];
        z[(i * w + j) * C + c] = std::max(0.0, v);
      }
    }
  }
  std::vector<float> out(s.head ? 2 * h * w : h * w * C);
  std::vector<double> d(C), r(C);
  for (int i = 0; i < h; ++i) {
    for (int j = 0; j < w; ++j) {
      for (int c = 0; c < C; ++c) {
        double v = s.dw_b[c];
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const int ii = i + dy, jj = j + dx;
            if (ii < 0 || ii >= h || jj < 0 || jj >= w) continue;  // zero padding
            v += s.dw[((dy + 1) * 3 + dx + 1) * C + c] * z[(ii * w + jj) * C + c];
          }
        }
        d[c] = std::max(0.0, v);
      }
      for (int c = 0; c < C; ++c) {
        double v = s.pw_b[c];
        for (int k = 0; k < C; ++k) v += s.pw[k * C + c] * d[k];
        r[c] = std::max(0.0, v) + z[(i * w + j) * C + c];
      }
      if (s.head) {
        for (int m = 0; m < 2; ++m) {
          double v = s.head_b[m];
          for (int c = 0; c < C; ++c) v += s.head_w[m * C + c] * r[c];
          out[(m * h + i) * w + j] = static_cast<float>(v);
        }
      } else {
        for (int c = 0; c < C; ++c) out[(i * w + j) * C + c] = static_cast<float>(r[c]);
      }
    }
  }
  return out;
}

// The kernel on one image, rows split at `splits` (each piece its own call).
std::vector<float> run_kernel(const UpStage& s, const std::vector<float>& x, int hl, int wl,
                              const std::vector<float>& skip, const std::vector<int>& splits) {
  const int h = 2 * hl, w = 2 * wl;
  std::vector<float> t(static_cast<std::size_t>(hl) * wl * s.out);
  top_pixels(s, x.data(), static_cast<std::size_t>(hl) * wl, t.data());
  std::vector<float> out(s.head ? 2 * h * w : h * w * s.out, std::nanf(""));
  std::vector<int> bounds{0};
  bounds.insert(bounds.end(), splits.begin(), splits.end());
  bounds.push_back(h);
  for (std::size_t b = 0; b + 1 < bounds.size(); ++b) {
    std::vector<float> scratch(scratch_floats(s, w), std::nanf(""));
    up_rows(s, t.data(), hl, wl, skip.data(), bounds[b], bounds[b + 1], out.data(), scratch.data());
  }
  return out;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    m = std::max(m, std::isfinite(a[i]) ? std::abs(double(a[i]) - b[i]) : 1e30);
  }
  return m;
}

struct PortableGuard {
  explicit PortableGuard(bool on) { force_portable(on); }
  ~PortableGuard() { force_portable(false); }
};

}  // namespace

TEST_CASE("decoder kernel: the same function as the layers, both builds, every tile width",
          "[craft][kernel]") {
  std::mt19937 rng(5);
  const bool portable = GENERATE(false, true);
  PortableGuard guard(portable);
  if (!portable) INFO("AVX2 build available: " << uses_avx2());
  struct Shape {
    int in, skip, out, hl, wl;
  };
  // Every register tile (out/8 = 1 … 8), odd channel counts, odd and one-pixel sizes
  // (the border taps and the pixel-tile remainder).
  const std::vector<Shape> shapes{{5, 3, 8, 3, 5},    {24, 16, 16, 4, 7},  {7, 9, 24, 5, 3},
                                  {13, 11, 32, 2, 2}, {9, 6, 40, 1, 1},    {10, 5, 48, 2, 3},
                                  {6, 4, 56, 3, 2},   {192, 128, 64, 2, 3}};
  for (const auto& sh : shapes) {
    for (bool head : {false, true}) {
      CAPTURE(sh.in, sh.skip, sh.out, sh.hl, sh.wl, head, portable);
      REQUIRE(fusable(sh.in, sh.skip, sh.out));
      const UpStage s = random_stage(sh.in, sh.skip, sh.out, head, rng);
      const auto x = random_vector(static_cast<std::size_t>(sh.hl) * sh.wl * sh.in, rng, 1.f);
      const auto skip =
          random_vector(static_cast<std::size_t>(4) * sh.hl * sh.wl * sh.skip, rng, 1.f);
      const auto want = reference(s, x, sh.hl, sh.wl, skip);
      // Float accumulation against a double reference: sums of up to ~200 terms of
      // magnitude ≤ 0.5 in this test.
      CHECK(max_abs_diff(run_kernel(s, x, sh.hl, sh.wl, skip, {}), want) < 1e-4);
      // Rows split between calls (as between threads) give the same result.
      std::vector<int> splits;
      for (int r = 1; r < 2 * sh.hl; r += 2) splits.push_back(r);
      CHECK(max_abs_diff(run_kernel(s, x, sh.hl, sh.wl, skip, splits), want) < 1e-4);
    }
  }
}

TEST_CASE("decoder kernel: shapes it does not handle are named", "[craft][kernel]") {
  CHECK(fusable(24, 16, 16));
  CHECK_FALSE(fusable(24, 16, 12));  // not a multiple of 8
  CHECK_FALSE(fusable(24, 16, 72));  // wider than the register tile
  CHECK_FALSE(fusable(0, 16, 16));
  CHECK_FALSE(fusable(24, 0, 16));
}

}  // namespace ocr2s::craft::kernel
