// Postprocess + assemble speed: craft::postprocess (score maps → character graph)
// followed by assemble::build_lines (graph → lines) on the DESIGN.md budget case,
// a 640×160 label image — 320×80 score maps — with 12 characters, one thread.
// Budget (DESIGN.md "Budgets"): ≤ 0.5 ms. Prints one Markdown table row; see
// benchmarks/README.md, "Postprocess + assemble".
//
//   bench_postprocess [runs]    (default 5000, at least 2000)
//
// Wall-clock times include any time the thread spends preempted, which on a shared
// machine dominates the tail; the thread's CPU time (CLOCK_THREAD_CPUTIME_ID) does
// not, so both are reported.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <time.h>

#include <opencv2/core.hpp>

#include "assemble/layout.hpp"
#include "craft/postprocess.hpp"
#include "craft/render.hpp"

namespace {

using ocr2s::Quad;
using ocr2s::craft::ScoreMaps;
using ocr2s::craft::WordQuads;

// A serial-number-like line, "AB12C 3456789": two words, 12 characters 56 px tall
// of varying width, slightly rotated (3°) so that nothing is pixel-aligned, and
// the score maps the detector would ideally produce for it, with the same noise
// as the round-trip test (σ 0.03, clamped to [0, 1]).
ScoreMaps make_maps() {
  const float widths[12] = {38, 36, 22, 34, 37, 33, 35, 34, 36, 33, 35, 34};
  const float h = 56.f;
  const float angle = 3.f * static_cast<float>(CV_PI) / 180.f;
  const cv::Point2f origin(40.f, 52.f);
  const cv::Point2f u(std::cos(angle), std::sin(angle));
  const cv::Point2f n(-u.y, u.x);
  std::vector<WordQuads> words(2);
  float x = 0.f;
  for (int i = 0; i < 12; ++i) {
    if (i == 5) x += 30.f;  // word gap
    const float w = widths[i];
    const auto at = [&](float s, float t) { return origin + u * s + n * t; };
    words[i < 5 ? 0 : 1].chars.push_back(
        Quad{{at(x, 0.f), at(x + w, 0.f), at(x + w, h), at(x, h)}});
    x += w + 6.f;
  }
  ScoreMaps maps = ocr2s::craft::render_targets(words, cv::Size(/*width=*/320, /*height=*/80),
                                                ocr2s::craft::MapTransform{});
  cv::RNG rng(/*state=*/12345);
  for (cv::Mat* m : {&maps.region, &maps.affinity}) {
    cv::Mat noise(m->size(), CV_32FC1);
    rng.fill(noise, cv::RNG::NORMAL, /*mean=*/0.0, /*stddev=*/0.03);
    *m += noise;
    cv::min(*m, 1.0, *m);
    cv::max(*m, 0.0, *m);
  }
  return maps;
}

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

struct Stats {
  double median_ms, p95_ms;
};

Stats stats(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1) + 0.5)]; };
  return {at(0.5) / 1000.0, at(0.95) / 1000.0};
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = std::max(2000, argc > 1 ? std::atoi(argv[1]) : 5000);
  cv::setNumThreads(1);
  const ScoreMaps maps = make_maps();
  const ocr2s::CraftConfig craft;
  const ocr2s::AssembleConfig assemble;

  // Sanity: the timed path must be the working one.
  const auto graph = ocr2s::craft::postprocess(maps, craft);
  const auto lines = ocr2s::assemble::build_lines(graph, assemble);
  std::size_t chars = 0;
  for (const auto& l : lines) chars += l.chars.size();
  if (graph.nodes.size() != 12 || lines.size() != 1 || chars != 12) {
    std::fprintf(stderr,
                 "bench_postprocess: expected 12 characters on 1 line, got %zu nodes, %zu lines\n",
                 graph.nodes.size(), lines.size());
    return 1;
  }

  using Clock = std::chrono::steady_clock;
  std::vector<double> post_us, total_us, cpu_us;
  post_us.reserve(runs);
  total_us.reserve(runs);
  cpu_us.reserve(runs);
  std::size_t sink = 0;  // keeps the work observable
  for (int i = 0; i < runs + 200; ++i) {
    const double c0 = thread_cpu_us();
    const auto t0 = Clock::now();
    const auto g = ocr2s::craft::postprocess(maps, craft);
    const auto t1 = Clock::now();
    const auto ls = ocr2s::assemble::build_lines(g, assemble);
    const auto t2 = Clock::now();
    const double c2 = thread_cpu_us();
    sink += g.links.size() + ls.size();
    if (i < 200) continue;  // warm-up: caches, allocator
    post_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    total_us.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
    cpu_us.push_back(c2 - c0);
  }
  const Stats post = stats(post_us);
  const Stats total = stats(total_us);
  const Stats cpu = stats(cpu_us);
  std::printf(
      "| maps | chars | runs | postprocess, wall: median / p95 (ms) | "
      "+ build_lines, wall: median / p95 (ms) | + build_lines, CPU: median / p95 (ms) |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::printf("| 320×80 | %zu | %d | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f |\n", chars, runs,
              post.median_ms, post.p95_ms, total.median_ms, total.p95_ms, cpu.median_ms,
              cpu.p95_ms);
  std::printf("budget ≤ 0.5 ms (median, postprocess + build_lines): %s\n",
              total.median_ms <= 0.5 ? "met" : "MISSED");

  // The renderer must be cheap enough to make training targets on the fly: the
  // same 320×80 maps with 20 characters (two lines of 10, 18 affinity boxes).
  std::vector<WordQuads> words(2);
  for (int l = 0; l < 2; ++l) {
    for (int i = 0; i < 10; ++i) {
      words[l].chars.push_back(
          Quad::from_rect(cv::Rect2f(20.f + 60.f * i, 10.f + 72.f * l, 44.f, 64.f)));
    }
  }
  std::vector<double> render_us;
  render_us.reserve(runs);
  for (int i = 0; i < runs + 200; ++i) {
    const auto t0 = Clock::now();
    const ScoreMaps m = ocr2s::craft::render_targets(words, cv::Size(/*width=*/320, /*height=*/80),
                                                     ocr2s::craft::MapTransform{});
    const auto t1 = Clock::now();
    sink += static_cast<std::size_t>(m.region.at<float>(0, 0) >= 0.f);
    if (i >= 200) render_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  const Stats render = stats(render_us);
  std::printf("render_targets, 320×80 maps, 20 characters: median %.3f ms, p95 %.3f ms (wall)\n",
              render.median_ms, render.p95_ms);
  return sink == 0 ? 1 : 0;
}
