// Test helper: seeded random text layouts (character quads in reading order,
// grouped in words and lines) for the render → postprocess round trip.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <opencv2/core.hpp>

#include "craft/render.hpp"
#include "ocr2s/geometry.hpp"

namespace ocr2s::craft::test {

/// One ground-truth character.
struct GtChar {
  Quad quad;     ///< image pixels, tl, tr, br, bl in reading order
  int line = 0;  ///< line index, top to bottom
  int word = 0;  ///< word index within the whole image (unique across lines)
  int pos = 0;   ///< position within its line
};

struct Layout {
  cv::Size image_size;
  std::vector<WordQuads> words;  ///< what render_targets takes
  std::vector<GtChar> chars;     ///< the same characters, flattened, in reading order
  int n_lines = 0;
};

/// Draws a layout: 1–4 lines, 1–20 characters per line, one character height per
/// line uniform in [8, 100] image pixels, widths 0.4–1.0 × height, spacing inside a
/// word uniform from touching (0) to twice the previous character's width, a new
/// word after a character with probability 0.2 (word gap 0.3–2 heights), line gaps
/// 0.3–1 × the larger height, a common rotation within ±30°, a random sub-pixel
/// offset. Lines are cut at 850 px so that the image stays ≤ 1024 px; layouts
/// that rotate out of that are drawn again from the same generator.
inline Layout random_layout(std::uint32_t seed) {
  std::mt19937 rng(seed);
  const auto uni = [&](double a, double b) {
    return std::uniform_real_distribution<double>(a, b)(rng);
  };
  const auto uni_int = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  constexpr double kMaxLineLength = 850.0;
  constexpr double kMaxImage = 1024.0;
  constexpr double kPi = 3.14159265358979323846;

  for (;;) {
    Layout out;
    std::vector<Quad> upright;  // text frame: x along the line, y down
    const int n_lines = uni_int(1, 4);
    double prev_bottom = 0.0, prev_h = 0.0;
    int word = -1;
    for (int l = 0; l < n_lines; ++l) {
      const double h = uni(8.0, 100.0);
      const int n_chars = uni_int(1, 20);
      const double top = l == 0 ? 0.0 : prev_bottom + uni(0.3, 1.0) * std::max(h, prev_h);
      double x = uni(0.0, 1.0) * h;  // indent
      double prev_w = 0.0;
      for (int i = 0; i < n_chars; ++i) {
        const double w = uni(0.4, 1.0) * h;
        bool new_word = i == 0;
        if (i > 0) {
          new_word = uni(0.0, 1.0) < 0.2;
          x += new_word ? uni(0.3, 2.0) * h : uni(0.0, 2.0) * prev_w;
        }
        if (x + w > kMaxLineLength) break;
        if (new_word) {
          ++word;
          out.words.emplace_back();
        }
        upright.push_back(
            Quad::from_rect(cv::Rect2f(static_cast<float>(x), static_cast<float>(top),
                                       static_cast<float>(w), static_cast<float>(h))));
        out.chars.push_back(GtChar{Quad{}, l, word, i});
        x += w;
        prev_w = w;
      }
      prev_bottom = top + h;
      prev_h = h;
    }
    out.n_lines = n_lines;

    const double angle = uni(-30.0, 30.0) * kPi / 180.0;
    const float ca = static_cast<float>(std::cos(angle)), sa = static_cast<float>(std::sin(angle));
    float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
    for (auto& q : upright) {
      for (auto& p : q.pts) {
        p = cv::Point2f(ca * p.x - sa * p.y, sa * p.x + ca * p.y);
        x0 = std::min(x0, p.x);
        x1 = std::max(x1, p.x);
        y0 = std::min(y0, p.y);
        y1 = std::max(y1, p.y);
      }
    }
    const float margin = 6.f;
    const cv::Point2f shift(margin - x0 + static_cast<float>(uni(0.0, 2.0)),
                            margin - y0 + static_cast<float>(uni(0.0, 2.0)));
    const int width = 2 * static_cast<int>(std::ceil((x1 - x0 + 2.f * margin + 2.f) / 2.f));
    const int height = 2 * static_cast<int>(std::ceil((y1 - y0 + 2.f * margin + 2.f) / 2.f));
    if (width > kMaxImage || height > kMaxImage) continue;
    out.image_size = cv::Size(width, height);
    for (std::size_t i = 0; i < upright.size(); ++i) {
      for (auto& p : upright[i].pts) p += shift;
      out.chars[i].quad = upright[i];
      out.words[out.chars[i].word].chars.push_back(upright[i]);
    }
    return out;
  }
}

/// Adds Gaussian noise of standard deviation `sigma` to both maps and clamps them
/// to [0, 1], as a stand-in for an imperfect network.
inline void add_noise(ScoreMaps& maps, double sigma, std::uint64_t seed) {
  cv::RNG rng(seed);
  for (cv::Mat* m : {&maps.region, &maps.affinity}) {
    cv::Mat noise(m->size(), CV_32FC1);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
    *m += noise;
    cv::min(*m, 1.0, *m);
    cv::max(*m, 0.0, *m);
  }
}

}  // namespace ocr2s::craft::test
