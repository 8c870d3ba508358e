// Annotation geometry, measured on the pixels: every character's ink lies in its
// quad, and no quad holds a neighbour's ink. The generator's debug path returns
// each character's own ink warped into the image exactly like the image.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "synth/synth.hpp"

using namespace ocr2s;
using namespace ocr2s::synth;

namespace {

/// Sum of `ink` (an roi of the image) over the pixels whose centres lie inside `q`.
double ink_inside(const CharInk& ink, const Quad& q) {
  if (ink.alpha.empty()) return 0.0;
  cv::Mat mask(ink.alpha.size(), CV_8U, cv::Scalar(0));
  // Pixel (u, v) of the roi has its centre at image point (roi.x + u + ½, roi.y + v + ½);
  // fillConvexPoly with 8 fractional bits fills the pixels whose centres are inside.
  constexpr int kShift = 8;
  std::vector<cv::Point> pts;
  for (const auto& p : q.pts) {
    pts.emplace_back(cvRound((p.x - ink.roi.x - 0.5f) * (1 << kShift)),
                     cvRound((p.y - ink.roi.y - 0.5f) * (1 << kShift)));
  }
  cv::fillConvexPoly(mask, pts, cv::Scalar(1), cv::LINE_8, kShift);
  cv::Mat m;
  mask.convertTo(m, CV_32F);
  return cv::sum(ink.alpha.mul(m))[0];
}

/// ink_inside for a quad and another character's ink (different rois).
double other_inside(const CharInk& other, const Quad& q) { return ink_inside(other, q); }

}  // namespace

TEST_CASE("every character's ink lies in its quad, no quad holds a neighbour's ink", "[synth]") {
  // Tolerances.
  //  * Own ink: >= 98% of each character's ink weight (the brief's bar). Cells are
  //    the ink's own bounds on the plane; what can fall outside is the bilinear
  //    warp's sub-pixel spread at the cell edges, ink fainter than the cells'
  //    alpha thresholds (0.05 along the line, 0.2 across), and the chord of a
  //    bent line.
  //  * Neighbour ink: at most 15% of another character's ink weight inside a
  //    quad. Touching characters are generated on purpose: their cells abut, or
  //    overlap by up to 3% of a cap height of 24 px or more; the warp then spreads
  //    each ink edge by up to a pixel, which for a narrow neighbour ('-', '1', ':')
  //    of 20–30 px is up to ~12% of its ink. A quad off by half a character
  //    would hold 40% or more.
  constexpr double kOwnMin = 0.98;
  constexpr double kOtherMax = 0.15;
  constexpr int kPerStyle = 30;
  for (Style st : all_styles()) {
    SynthConfig cfg;
    cfg.styles = {st};
    Generator g(cfg, 2024);
    double worst_own = 1.0, worst_other = 0.0;
    int n_chars = 0;
    for (std::uint64_t i = 0; i < kPerStyle; ++i) {
      const DebugSample d = g.generate_debug(i);
      REQUIRE(d.ink.size() == d.sample.lines.size());
      std::vector<std::pair<const CharInk*, const Quad*>> all;
      for (std::size_t l = 0; l < d.ink.size(); ++l) {
        REQUIRE(d.ink[l].size() == d.sample.lines[l].chars.size());
        for (std::size_t c = 0; c < d.ink[l].size(); ++c) all.emplace_back(&d.ink[l][c], &d.sample.lines[l].chars[c].quad);
      }
      for (std::size_t a = 0; a < all.size(); ++a) {
        const double total = cv::sum(all[a].first->alpha)[0];
        INFO(style_name(st) << " sample " << i << " char " << a);
        REQUIRE(total > 0.0);  // every annotated character is drawn
        const double own = ink_inside(*all[a].first, *all[a].second) / total;
        worst_own = std::min(worst_own, own);
        CHECK(own >= kOwnMin);
        for (std::size_t b = 0; b < all.size(); ++b) {
          if (b == a) continue;
          const double tb = cv::sum(all[b].first->alpha)[0];
          const double other = other_inside(*all[b].first, *all[a].second) / tb;
          worst_other = std::max(worst_other, other);
          CHECK(other <= kOtherMax);
        }
        ++n_chars;
      }
    }
    std::printf("[synth] %-9s %4d chars: worst own-ink inside %.4f, worst neighbour ink inside %.4f\n",
                style_name(st), n_chars, worst_own, worst_other);
  }
}
