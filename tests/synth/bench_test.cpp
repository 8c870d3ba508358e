// Generator throughput (benchmarks/README.md, "Synthetic generator"). Hidden
// ([.bench]): timings are printed, never asserted — run it alone on a quiet
// machine:  build/tests/test_synth "[.bench]"
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <string>

#include <opencv2/core.hpp>

#include "synth/synth.hpp"

using namespace ocr2s::synth;

namespace {

void run(const char* what, SynthConfig cfg, int n) {
  const Generator g(cfg, 1);
  for (int i = 0; i < 20; ++i) (void)g.generate(static_cast<std::uint64_t>(1000000 + i));  // warm the glyph caches
  std::size_t pixels = 0, chars = 0, w = 0, h = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  for (int i = 0; i < n; ++i) {
    const Sample s = g.generate(static_cast<std::uint64_t>(i));
    CHECK(s.image.cols <= cfg.max_size.width);
    CHECK(s.image.rows <= cfg.max_size.height);
    pixels += s.image.total();
    w += static_cast<std::size_t>(s.image.cols);
    h += static_cast<std::size_t>(s.image.rows);
    for (const auto& l : s.lines) chars += l.chars.size();
  }
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // CPU time as well: on a shared machine the wall clock also counts other jobs.
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  std::printf("[synth bench] %-28s %4d images: %6.1f images/s wall, %6.1f per CPU-second; mean %.0f x %.0f px, %.0f kpx, %.1f chars\n",
              what, n, n / sec, n / cpu, static_cast<double>(w) / n, static_cast<double>(h) / n,
              static_cast<double>(pixels) / n / 1000.0, static_cast<double>(chars) / n);
}

}  // namespace

TEST_CASE("generator throughput, one thread", "[.bench][synth]") {
  cv::setNumThreads(1);  // one thread: OpenCV's own pool off as well
  SynthConfig label;
  label.max_size = {640, 160};
  run("label-sized (<= 640x160)", label, 500);
  SynthConfig fixed = label;
  fixed.fill_max_size = true;
  run("label, exactly 640x160", fixed, 500);
  run("default (<= 1024x512)", SynthConfig{}, 200);
  for (Style s : all_styles()) {
    SynthConfig c = label;
    c.styles = {s};
    run((std::string("label-sized, ") + style_name(s)).c_str(), c, 200);
  }
}
