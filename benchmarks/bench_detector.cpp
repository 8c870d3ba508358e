// Detector forward-pass speed: median over N runs after warm-up, for 640×160 and
// 1280×320 inputs at 1 and 2 LibTorch threads, plus the network's convolution
// GFLOP and the GFLOP/s achieved; beside it, in alternation, the same weights
// with the decoder on LibTorch's layers instead of the fused kernel. Also the whole runner
// (Detector::detect on an 8-bit BGR image: resize, normalise, forward, map crop) at 640×160.
//
//   bench_detector [--model models/detector.pt] [--runs 100] [--default-malloc]
//
// Without --model, a randomly initialised network of the default architecture is
// timed (the speed does not depend on the weights).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "compute_threads.hpp"
#include "craft/detector.hpp"
#include "craft/detector_net.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double cpu_ms(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

struct Timing {
  double wall = 0;  // median wall ms
  double cpu = 0;   // median CPU ms of the process (all threads)
};

// Median over `runs` after `warmup`: wall clock, and the process's CPU time
// (CLOCK_PROCESS_CPUTIME_ID: every thread's, so not inflated by time the machine
// gave to other processes, which the wall clock is on a shared machine).
template <typename F>
Timing median_ms(F&& f, int runs, int warmup) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> wall(runs), cpu(runs);
  for (int i = 0; i < runs; ++i) {
    const double c0 = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
    const auto a = Clock::now();
    f();
    wall[i] = std::chrono::duration<double, std::milli>(Clock::now() - a).count();
    cpu[i] = cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  std::nth_element(wall.begin(), wall.begin() + runs / 2, wall.end());
  std::nth_element(cpu.begin(), cpu.begin() + runs / 2, cpu.end());
  return {wall[runs / 2], cpu[runs / 2]};
}

// Two functions timed in alternation, one run of each at a time, so that a slow
// spell of the shared machine falls on both.
template <typename F, typename G>
std::pair<Timing, Timing> median_pair_ms(F&& f, G&& g, int runs, int warmup) {
  std::pair<Timing, Timing> out;
  std::vector<Timing> a, b;
  for (int i = 0; i < runs; ++i) {
    a.push_back(median_ms(f, 1, i == 0 ? warmup : 0));
    b.push_back(median_ms(g, 1, i == 0 ? warmup : 0));
  }
  const auto median = [](std::vector<Timing> v) {
    Timing t;
    std::vector<double> w, c;
    for (const auto& x : v) {
      w.push_back(x.wall);
      c.push_back(x.cpu);
    }
    std::nth_element(w.begin(), w.begin() + w.size() / 2, w.end());
    std::nth_element(c.begin(), c.begin() + c.size() / 2, c.end());
    return Timing{w[w.size() / 2], c[c.size() / 2]};
  };
  return {median(a), median(b)};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ocr2s::craft;
  std::string model;
  int runs = 100;
  bool default_malloc = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
    else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--default-malloc")) default_malloc = true;
    else {
      std::fprintf(stderr, "usage: bench_detector [--model FILE] [--runs N] [--default-malloc]\n");
      return 1;
    }
  }
  cv::setNumThreads(1);
  // As the Detector constructor does (detector.hpp); --default-malloc measures
  // glibc's defaults instead (the runner section then still tunes: skip it).
  if (!default_malloc) tune_malloc_for_inference();
  DetectorNet net{nullptr};
  if (!model.empty()) {
    net = load_detector(model).net;
  } else {
    torch::manual_seed(0);
    net = DetectorNet(DetectorArch{});
  }
  std::int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  // The same weights with the decoder on LibTorch's layers: the peer the fused
  // decoder kernel (craft/upblock_kernel.hpp) is measured against.
  DetectorNet plain(net->arch());
  {
    torch::NoGradGuard ng;
    const auto src = net->named_parameters(), dst = plain->named_parameters();
    for (const auto& p : src) dst[p.key()].copy_(p.value());
    const auto srcb = net->named_buffers(), dstb = plain->named_buffers();
    for (const auto& b : srcb) dstb[b.key()].copy_(b.value());
  }
  net->fuse_for_inference();
  plain->fuse_for_inference(/*use_kernel=*/false);
  std::printf("malloc: %s\n", default_malloc ? "glibc defaults" : "tuned (tune_malloc_for_inference)");
  std::printf("detector %s: %lld parameters (%.2f MB float32); decoder kernel: %s\n",
              model.empty() ? "(random weights, default architecture)" : model.c_str(),
              static_cast<long long>(params), params * 4.0 / 1e6,
              kernel::uses_avx2() ? "AVX2+FMA" : "portable");
  std::printf(
      "| input | threads | GFLOP | median wall ms | GFLOP/s (wall) | median CPU ms (all threads) "
      "| LibTorch decoder: wall ms | CPU ms |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|\n");
  const std::vector<std::pair<int, int>> sizes{{640, 160}, {1280, 320}};
  for (int threads : {1, 2}) {
    ocr2s::set_compute_threads(threads);
    for (const auto& [w, h] : sizes) {
      c10::InferenceMode guard;
      auto x = torch::randn({1, 3, h, w}).contiguous(at::MemoryFormat::ChannelsLast);
      const auto [t, tp] = median_pair_ms([&] { auto y = net->forward(x); },
                                          [&] { auto y = plain->forward(x); }, runs, 10);
      const double gflop = net->flops(h, w) * 1e-9;
      std::printf("| %dx%d | %d | %.3f | %.2f | %.1f | %.2f | %.2f | %.2f |\n", w, h, threads,
                  gflop, t.wall, gflop / (t.wall * 1e-3), t.cpu, tp.wall, tp.cpu);
    }
  }
  // The whole runner (needs a model file).
  if (!model.empty() && !default_malloc) {
    ocr2s::CraftConfig cfg;
    cfg.model = model;
    Detector det(cfg);
    cv::Mat img(160, 640, CV_8UC3);
    cv::randu(img, 0, 255);
    for (int threads : {1, 2}) {
      ocr2s::set_compute_threads(threads);
      const Timing t = median_ms([&] { auto m = det.detect(img); }, runs, 10);
      std::printf("runner Detector::detect 640x160 BGR, %d thread(s): median %.2f ms wall, %.2f ms CPU\n",
                  threads, t.wall, t.cpu);
    }
  }
  return 0;
}
