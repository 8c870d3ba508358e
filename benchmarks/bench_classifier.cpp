// Classifier throughput: Classifier::classify (crop packing, one batched forward,
// calibrated softmax) per character, at one thread. See README.md "## Classifier".
//
//   bench_classifier [MODEL] [--runs N] [--max-batch N]
//
// MODEL defaults to models/classifier.pt of the source tree; when it does not exist
// a randomly initialised network of the default architecture is timed instead
// (same FLOPs: the speed does not depend on the weights).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <time.h>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "charcls/classifier.hpp"
#include "charcls/classifier_net.hpp"
#include "compute_threads.hpp"

using namespace ocr2s;

namespace {

// CPU time of the calling thread, ms: with one intra-op thread LibTorch computes
// in the caller, so this excludes time the thread spent preempted on a busy machine.
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = std::string(OCR2S_SOURCE_DIR) + "/models/classifier.pt";
  int runs = 100;
  int max_batch = ClassifierConfig{}.max_batch;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--max-batch") && i + 1 < argc) {
      max_batch = std::max(1, std::atoi(argv[++i]));
    } else {
      model = argv[i];
    }
  }
  set_compute_threads(1);
  cv::setNumThreads(1);

  std::string note;
  if (!std::filesystem::exists(model)) {
    assemble::Charset cs;
    for (int k = 0; k < 47; ++k) cs.labels.push_back(std::string(1, static_cast<char>('!' + k)));
    auto m = charcls::make_classifier_model(cs, charcls::CropSpec{});
    model = (std::filesystem::temp_directory_path() / "bench_classifier_random.pt").string();
    charcls::save_classifier_model(m, model);
    note = " (random weights: no shipped model found)";
  }
  ClassifierConfig cfg;
  cfg.model = model;
  cfg.max_batch = max_batch;
  const charcls::Classifier cls(cfg);
  const auto loaded = charcls::load_classifier_model(model);
  const double mflop = loaded.net->arch.flops() / 1e6;
  std::printf("model %s%s\n%zu labels + reject, crop %dx%d, %.2f MFLOP per character, "
              "%d thread(s), max_batch %d, median of %d runs after 10 warm-up runs\n\n",
              model.c_str(), note.c_str(), cls.charset().labels.size(), cls.crop_spec().size.width,
              cls.crop_spec().size.height, mflop, torch::get_num_threads(), max_batch, runs);
  std::printf("| crops per call | wall ms per call | wall ms per character | CPU ms per character | GFLOP/s (CPU) |\n");
  std::printf("|---:|---:|---:|---:|---:|\n");

  cv::RNG rng(1);
  for (int n : {1, 12, 64, 256}) {
    std::vector<cv::Mat> crops;
    for (int i = 0; i < n; ++i) {
      cv::Mat c(cls.crop_spec().size, CV_32FC1);
      rng.fill(c, cv::RNG::NORMAL, 0.0, 1.0);
      crops.push_back(c);
    }
    for (int i = 0; i < 10; ++i) cls.classify(crops);
    std::vector<double> wall, cpu;
    for (int i = 0; i < runs; ++i) {
      const double c0 = thread_cpu_ms();
      const auto t0 = std::chrono::steady_clock::now();
      const auto p = cls.classify(crops);
      wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      cpu.push_back(thread_cpu_ms() - c0);
      if (p.size() != crops.size()) return 1;
    }
    const double w = median(wall), c = median(cpu);
    std::printf("| %d | %.3f | %.4f | %.4f | %.1f |\n", n, w, w / n, c / n, mflop * n / c);
  }
  return 0;
}
