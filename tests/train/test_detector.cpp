// The detector network, its native model file and the runner (image → score maps).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <dlfcn.h>

#include <opencv2/imgproc.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include "compute_threads.hpp"
#include "craft/detector.hpp"
#include "craft/detector_net.hpp"
#include "ocr2s/errors.hpp"

// LibTorch's c10 logging defines a CHECK macro that aborts; Catch's must win, so
// Catch is included after every header that pulls in Torch.
#undef CHECK
#include <catch2/catch.hpp>

#include "../onednn_cache.hpp"  // uses Catch

using namespace ocr2s;
using namespace ocr2s::craft;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "ocr2s_test_detector";
  fs::create_directories(dir);
  return (dir / name).string();
}

// A random (untrained) network with non-trivial BatchNorm statistics, saved once.
const std::string& random_model() {
  static const std::string path = [] {
    torch::manual_seed(3);
    DetectorNet net(DetectorArch{});
    {
      torch::NoGradGuard ng;
      for (auto& b : net->named_buffers()) {
        if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
        if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.2, 0.2);
      }
    }
    DetectorMeta meta;
    meta.train_command = "test";
    meta.seed = 3;
    const std::string p = temp_path("random.pt");
    save_detector(net, meta, p);
    return p;
  }();
  return path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no ModelError)";
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

}  // namespace

TEST_CASE("detector network: shape, range, budget-sized", "[train][detector]") {
  torch::manual_seed(1);
  DetectorNet net(DetectorArch{});
  net->eval();
  torch::NoGradGuard ng;
  const auto y = net->forward(torch::randn({2, 3, 64, 96}));
  REQUIRE(y.sizes() == torch::IntArrayRef({2, 2, 32, 48}));
  CHECK(y.min().item<float>() >= 0.f);
  CHECK(y.max().item<float>() <= 1.f);

  // DESIGN.md budgets: ≤ 8 MB of weights, ≈ 0.3 GFLOP at 640×160.
  std::int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  CHECK(params * 4 <= 8'000'000);
  const double gflop = net->flops(160, 640) * 1e-9;
  CHECK(gflop <= 0.3);
  CHECK(gflop >= 0.05);  // the count covers the whole network, not a part of it
  // FLOPs scale with the pixel count (a fully convolutional net).
  CHECK(net->flops(320, 1280) == Approx(4.0 * net->flops(160, 640)).epsilon(0.01));
}

TEST_CASE("fusing for inference (BatchNorm folded, decoder kernel) keeps the outputs",
          "[train][detector]") {
  torch::manual_seed(2);
  DetectorNet a(DetectorArch{});
  // Non-trivial statistics so that the folding is exercised.
  {
    torch::NoGradGuard ng;
    for (auto& b : a->named_buffers()) {
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
      if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.3, 0.3);
    }
    for (auto& p : a->named_parameters()) {
      if (p.key().find("bn.weight") != std::string::npos) p.value().uniform_(0.5, 1.5);
      if (p.key().find("bn.bias") != std::string::npos) p.value().uniform_(-0.2, 0.2);
    }
  }
  a->eval();
  const auto x = torch::randn({1, 3, 96, 160});
  torch::Tensor before;
  {
    torch::NoGradGuard ng;
    before = a->forward(x);
  }
  // The same weights with the decoder on LibTorch's layers (no fused kernel).
  DetectorNet b(DetectorArch{});
  {
    torch::NoGradGuard ng;
    auto bp = b->named_parameters();
    for (const auto& p : a->named_parameters()) bp[p.key()].copy_(p.value());
    auto bb = b->named_buffers();
    for (const auto& q : a->named_buffers()) bb[q.key()].copy_(q.value());
  }
  a->fuse_for_inference();
  b->fuse_for_inference(/*use_kernel=*/false);
  // Every decoder stage of the default architecture runs in the kernel, the last
  // one with the head.
  for (const auto& u : a->ups) CHECK(u->has_kernel_);
  CHECK(a->ups.back()->stage_.head);
  for (const auto& u : b->ups) CHECK_FALSE(u->has_kernel_);
  c10::InferenceMode im;
  const auto cl = x.contiguous(at::MemoryFormat::ChannelsLast);
  for (const auto& after : {a->forward(cl), b->forward(cl)}) {
    REQUIRE(after.sizes() == before.sizes());
    // Float reassociation only: 1e-4 on sigmoid outputs in [0, 1].
    CHECK((after - before).abs().max().item<float>() < 1e-4f);
  }
  // A batch of two: each image as when alone.
  const auto pair = torch::cat({cl, cl.flip({3})}).contiguous(at::MemoryFormat::ChannelsLast);
  const auto both = a->forward(pair);
  CHECK((both[0] - before[0]).abs().max().item<float>() < 1e-4f);
  CHECK((both[1] - b->forward(cl.flip({3}).contiguous(at::MemoryFormat::ChannelsLast))[0])
            .abs()
            .max()
            .item<float>() < 1e-4f);
}

TEST_CASE("native model file: round trip keeps weights and metadata", "[train][detector]") {
  const auto loaded = load_detector(random_model());
  CHECK(loaded.meta.train_command == "test");
  CHECK(loaded.meta.seed == 3);
  CHECK(loaded.net->arch() == DetectorArch{});
  torch::manual_seed(3);
  DetectorNet ref(DetectorArch{});  // same init as random_model() before the buffer edits
  // Parameters are exactly those saved (buffers were edited after init).
  auto lp = loaded.net->named_parameters();
  for (const auto& p : ref->named_parameters()) {
    CHECK(torch::equal(lp[p.key()], p.value()));
  }
}

TEST_CASE("missing, corrupt and inconsistent model files are ModelErrors naming the file",
          "[train][detector]") {
  CraftConfig c;
  c.model = temp_path("does_not_exist.pt");
  auto msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("does_not_exist.pt") != std::string::npos);

  c.model = temp_path("garbage.pt");
  write_bytes(c.model, "this is not a zip archive");
  msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("garbage.pt") != std::string::npos);

  // Truncated: the first half of a valid file.
  {
    std::ifstream f(random_model(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    c.model = temp_path("truncated.pt");
    write_bytes(c.model, bytes.substr(0, bytes.size() / 2));
  }
  msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("truncated.pt") != std::string::npos);

  // A valid archive that is not a detector.
  {
    torch::serialize::OutputArchive ar;
    ar.write("format", c10::IValue(std::string("something-else")));
    c.model = temp_path("wrong_format.pt");
    ar.save_to(c.model);
  }
  msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("wrong_format.pt") != std::string::npos);
  CHECK(msg.find("something-else") != std::string::npos);

  // Architecture metadata that disagrees with the stored tensors.
  {
    torch::manual_seed(0);
    DetectorArch small;
    small.stem = 8;
    DetectorNet net(small);
    c.model = temp_path("inconsistent.pt");
    save_detector(net, {}, c.model);
    // Rewrite with a different stem width but the same tensors.
    torch::serialize::InputArchive in;
    in.load_from(c.model);
    torch::serialize::OutputArchive out;
    for (const auto& key : in.keys()) {
      c10::IValue v;
      if (key.rfind("net/", 0) == 0) continue;  // tensors: written below
      if (key == "arch.stem") {
        out.write(key, c10::IValue(std::int64_t{16}));
      } else if (in.try_read(key, v)) {
        out.write(key, v);
      }
    }
    for (const auto& p : net->named_parameters()) {
      std::string k = p.key();
      std::replace(k.begin(), k.end(), '.', '/');
      out.write("net/" + k, p.value());
    }
    for (const auto& b : net->named_buffers()) {
      std::string k = b.key();
      std::replace(k.begin(), k.end(), '.', '/');
      out.write("net/" + k, b.value(), /*is_buffer=*/true);
    }
    out.save_to(c.model);
  }
  msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("inconsistent.pt") != std::string::npos);
  CHECK(msg.find("shape") != std::string::npos);
}

TEST_CASE("compute threads: LibTorch gets n, OpenBLAS (where it is the BLAS) one", "[train][detector]") {
  using GetThreads = int (*)();
  void* const blas = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
  const int before = at::get_num_threads();
  for (int n : {1, 2}) {
    ocr2s::set_compute_threads(n);
    CHECK(at::get_num_threads() == n);
    if (blas) CHECK(reinterpret_cast<GetThreads>(blas)() == 1);
  }
  CHECK_THROWS_AS(ocr2s::set_compute_threads(0), ocr2s::ConfigError);
  ocr2s::set_compute_threads(before);
}

TEST_CASE("a Detector caps oneDNN's primitive cache unless the user chose a capacity",
          "[train][detector]") {
  check_network_caps_onednn_cache([] {
    CraftConfig c;
    c.model = random_model();
    const Detector det(c);
  });
}

TEST_CASE("input geometry: canvas, magnify, padding", "[train][detector]") {
  CraftConfig c;
  c.canvas = 1280;
  auto g = input_geometry({640, 160}, c);
  CHECK(g.scale == 1.f);
  CHECK(g.scaled == cv::Size(640, 160));
  CHECK(g.padded == cv::Size(640, 160));
  g = input_geometry({2560, 100}, c);
  CHECK(g.scale == Approx(0.5f));
  CHECK(g.scaled == cv::Size(1280, 50));
  CHECK(g.padded == cv::Size(1280, 64));
  c.magnify = 2.f;
  g = input_geometry({300, 70}, c);
  CHECK(g.scaled == cv::Size(600, 140));
  CHECK(g.padded == cv::Size(608, 160));
  CHECK_THROWS_AS(input_geometry({0, 10}, c), InputError);
}

TEST_CASE("runner: gray, BGR, BGRA, 16-bit and float images give the same maps", "[train][detector]") {
  CraftConfig c;
  c.model = random_model();
  const Detector det(c);
  cv::Mat gray(70, 150, CV_8UC1);
  cv::randu(gray, 0, 256);
  cv::GaussianBlur(gray, gray, cv::Size(5, 5), 1.5);
  cv::Mat bgr, bgra, g16, gf;
  cv::cvtColor(gray, bgr, cv::COLOR_GRAY2BGR);
  cv::cvtColor(gray, bgra, cv::COLOR_GRAY2BGRA);
  gray.convertTo(g16, CV_16U, 257.0);  // 8-bit v → 16-bit 257 v, maps back exactly
  gray.convertTo(gf, CV_32F, 1.0 / 255.0);

  const auto ref = det.detect(gray);
  // Maps cover ceil(size / 2) of the unpadded image; transform step 2/scale.
  CHECK(ref.region.size() == cv::Size(75, 35));
  CHECK(ref.affinity.size() == cv::Size(75, 35));
  CHECK(ref.region.type() == CV_32FC1);
  CHECK(ref.to_image.step.x == Approx(2.f));
  CHECK(ref.to_image.offset.x == 0.f);
  for (const cv::Mat& im : {bgr, bgra, g16, gf}) {
    const auto m = det.detect(im);
    REQUIRE(m.region.size() == ref.region.size());
    CHECK(cv::norm(m.region, ref.region, cv::NORM_INF) < 1e-5);
    CHECK(cv::norm(m.affinity, ref.affinity, cv::NORM_INF) < 1e-5);
  }
  // Unsupported inputs are InputErrors.
  CHECK_THROWS_AS(det.detect(cv::Mat()), InputError);
  CHECK_THROWS_AS(det.detect(cv::Mat(10, 10, CV_8UC2, cv::Scalar(0))), InputError);
  CHECK_THROWS_AS(det.detect(cv::Mat(10, 10, CV_32SC1, cv::Scalar(0))), InputError);
}

TEST_CASE("runner: detect_batch equals detect, with mixed sizes", "[train][detector]") {
  CraftConfig c;
  c.model = random_model();
  const Detector det(c);
  std::vector<cv::Mat> ims;
  for (cv::Size s : {cv::Size(120, 40), cv::Size(100, 50), cv::Size(300, 90), cv::Size(118, 33)}) {
    cv::Mat m(s, CV_8UC3);
    cv::randu(m, 0, 256);
    ims.push_back(m);
  }
  const auto batch = det.detect_batch(ims);  // 120×40, 100×50 and 118×33 share 128×64
  REQUIRE(batch.size() == ims.size());
  for (std::size_t i = 0; i < ims.size(); ++i) {
    const auto one = det.detect(ims[i]);
    REQUIRE(batch[i].region.size() == one.region.size());
    CHECK(batch[i].region.size() == cv::Size((ims[i].cols + 1) / 2, (ims[i].rows + 1) / 2));
    // Batched and single forwards may differ by float reassociation only.
    CHECK(cv::norm(batch[i].region, one.region, cv::NORM_INF) < 1e-4);
  }
}

TEST_CASE("runner: a 12000x12000 image is scaled to the canvas before the network", "[train][detector]") {
  CraftConfig c;
  c.model = random_model();
  c.canvas = 1280;
  const Detector det(c);
  cv::Mat huge(12000, 12000, CV_8UC1, cv::Scalar(200));
  cv::putText(huge, "A1", {2000, 8000}, cv::FONT_HERSHEY_SIMPLEX, 100.0, cv::Scalar(0), 300);
  const auto m = det.detect(huge);
  CHECK(m.region.cols <= c.canvas / 2);
  CHECK(m.region.rows <= c.canvas / 2);
  CHECK(m.region.size() == cv::Size(640, 640));
  // Map pixel u covers image [u · step, (u + 1) · step): the map spans the image.
  CHECK(m.to_image.step.x == Approx(12000.0 / 1280.0 * 2.0));
  CHECK(m.to_image.to_image({640.f, 640.f}).x == Approx(12000.f));
}

TEST_CASE("TorchScript detectors: the contract's shape loads and runs, others are ModelErrors",
          "[train][detector]") {
  // forward: average-pool the first two input channels to half resolution and return
  // them as [N, H/2, W/2, 2] (inside a tuple, as CRAFT's traced forward does).
  torch::jit::Module good("Good");
  good.define(R"(
def forward(self, x):
    y = torch.sigmoid(torch.avg_pool2d(x[:, 0:2], [2, 2]))
    return (y.permute(0, 2, 3, 1), x)
)");
  const std::string good_path = temp_path("good_script.pt");
  good.save(good_path);

  CraftConfig c;
  c.model = good_path;
  c.torchscript = true;
  const Detector det(c);
  cv::Mat im(64, 100, CV_8UC3, cv::Scalar(0, 0, 255));  // pure red (BGR)
  const auto m = det.detect(im);
  REQUIRE(m.region.size() == cv::Size(50, 32));
  // Region = sigmoid of normalised R = (1 − 0.485)/0.229; affinity from G = (0 − 0.456)/0.224.
  const float r = 1.f / (1.f + std::exp(-(1.f - 0.485f) / 0.229f));
  const float g = 1.f / (1.f + std::exp(-(0.f - 0.456f) / 0.224f));
  CHECK(m.region.at<float>(10, 10) == Approx(r).epsilon(1e-3));
  CHECK(m.affinity.at<float>(10, 10) == Approx(g).epsilon(1e-3));

  // Full resolution output: the wrong shape, found at load time.
  torch::jit::Module bad("Bad");
  bad.define(R"(
def forward(self, x):
    return x[:, 0:2].permute(0, 2, 3, 1)
)");
  const std::string bad_path = temp_path("bad_script.pt");
  bad.save(bad_path);
  c.model = bad_path;
  auto msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("bad_script.pt") != std::string::npos);
  CHECK(msg.find("shape") != std::string::npos);

  // A native model file is not a TorchScript module, and vice versa.
  c.model = random_model();
  msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("random.pt") != std::string::npos);
  c.torchscript = false;
  c.model = good_path;
  msg = error_of([&] { Detector d(c); });
  CHECK(msg.find("good_script.pt") != std::string::npos);
}
