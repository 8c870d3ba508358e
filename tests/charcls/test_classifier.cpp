// Classifier network, model file I/O and the batched runner.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <c10/core/InferenceMode.h>
#include <opencv2/core.hpp>
#include <torch/torch.h>

// Torch brings glog's CHECK macro (which aborts); Catch's must win in tests.
#undef CHECK
#include <catch2/catch.hpp>

#include "../onednn_cache.hpp"  // uses Catch

#include "charcls/classifier.hpp"
#include "charcls/classifier_net.hpp"
#include "ocr2s/errors.hpp"

namespace fs = std::filesystem;
using namespace ocr2s;
using namespace ocr2s::charcls;

namespace {

std::string temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "ocr2s_test_charcls";
  fs::create_directories(dir);
  return (dir / name).string();
}

// BatchNorm statistics and affine parameters away from their identity
// defaults, so that a BN fold that dropped anything would change the outputs.
void randomise_batchnorm(ClassifierModel& m) {
  torch::NoGradGuard ng;
  for (auto& bn : m.net->norms) {
    bn->running_mean.uniform_(-0.2, 0.2);
    bn->running_var.uniform_(0.5, 2.0);
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.1, 0.1);
  }
}

// A model with non-trivial parameters and BatchNorm statistics, so that a round
// trip or a BN fold that dropped anything would change the outputs.
ClassifierModel random_model(const std::vector<std::string>& labels, std::uint64_t seed) {
  torch::manual_seed(seed);
  assemble::Charset cs;
  cs.labels = labels;
  CropSpec crop;
  crop.height_factor = 1.4f;
  ClassifierModel m = make_classifier_model(cs, crop);
  randomise_batchnorm(m);
  m.temperature = 1.7f;
  for (std::size_t k = 0; k <= labels.size(); ++k) m.logit_adjust.push_back(-0.25f * k);
  m.train_command = "ocr2s train classifier --synth --seed 7";
  m.train_seed = 7;
  m.train_notes = "test model";
  m.net->eval();
  return m;
}

std::vector<cv::Mat> random_crops(int n, cv::Size size, unsigned seed) {
  cv::RNG rng(seed);
  std::vector<cv::Mat> crops;
  for (int i = 0; i < n; ++i) {
    cv::Mat c(size, CV_32FC1);
    rng.fill(c, cv::RNG::UNIFORM, 0.0, 1.0);
    crops.push_back(c);
  }
  return crops;
}

}  // namespace

TEST_CASE("classifier architecture: FLOPs, parameters and file size within budget", "[charcls]") {
  ClassifierArch arch;
  arch.num_classes = 48;  // 47 labels of the default charset + reject
  // Hand count (2 × multiply-adds): 16²·32·4·9 + 8²·64·32·9 + 4²·128·64·9 convs,
  // 2048·128 + 128·48 FC.
  const std::int64_t expected =
      2 * (16 * 16 * 32 * 4 * 9 + 8 * 8 * 64 * 32 * 9 + 4 * 4 * 128 * 64 * 9 + 2048 * 128 + 128 * 48);
  CHECK(arch.flops() == expected);
  CHECK(arch.flops() < 7'000'000);  // DESIGN budget: ≈ 7 MFLOP per character
  CHECK(arch.feature_size() == cv::Size(4, 4));

  assemble::Charset cs;
  for (int i = 0; i < 47; ++i) cs.labels.push_back(std::string(1, static_cast<char>('!' + i)));
  auto m = make_classifier_model(cs, CropSpec{});
  const std::string path = temp_path("size.pt");
  save_classifier_model(m, path);
  CHECK(fs::file_size(path) <= 2u * 1024u * 1024u);  // shipped-model budget: ≤ 2 MB

  ClassifierArch bad = arch;
  bad.input_width = 30;  // not divisible by unshuffle × strides = 8
  CHECK_THROWS_AS(bad.feature_size(), ModelError);
}

TEST_CASE("classifier model file round trip keeps charset, metadata and outputs", "[charcls]") {
  const std::vector<std::string> labels = {"0", "1", "A", "€", "-", "µ"};
  ClassifierModel m = random_model(labels, 11);
  const std::string path = temp_path("roundtrip.pt");
  save_classifier_model(m, path);

  ClassifierModel r = load_classifier_model(path);
  CHECK(r.charset.labels == labels);
  CHECK(r.crop.size == cv::Size(32, 32));
  CHECK(r.crop.height_factor == Approx(1.4f));
  CHECK_FALSE(r.crop.by_char_width);
  CHECK(r.temperature == Approx(1.7f));
  CHECK(r.train_command == m.train_command);
  CHECK(r.train_seed == 7);
  CHECK(r.train_notes == "test model");
  CHECK(r.logit_adjust == m.logit_adjust);
  CHECK(r.net->arch.channels == m.net->arch.channels);
  CHECK(r.net->output_width() == 7);

  // Same network: identical logits (exact: same weights, same kernels).
  c10::InferenceMode guard;
  torch::manual_seed(3);
  auto x = torch::rand({5, 1, 32, 32});
  auto a = m.net->forward(x);
  auto b = r.net->forward(x);
  CHECK(torch::allclose(a, b, /*rtol=*/0, /*atol=*/1e-6));

  // The runner: calibrated softmax of the same logits. It folds BatchNorm, which
  // reorders float operations: tolerance 1e-4 on probabilities.
  ClassifierConfig cfg;
  cfg.model = path;
  Classifier cls(cfg);
  CHECK(cls.charset().labels == labels);
  CHECK(cls.temperature() == Approx(1.7f));
  std::vector<cv::Mat> crops;
  for (int i = 0; i < 5; ++i) {
    crops.push_back(cv::Mat(32, 32, CV_32FC1, x[i][0].data_ptr<float>()).clone());
  }
  auto probs = cls.classify(crops);
  auto expected = torch::softmax(a / 1.7f, 1);
  REQUIRE(probs.size() == 5);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(probs[i].size() == 7);
    float sum = 0;
    for (int k = 0; k < 7; ++k) {
      CHECK(probs[i][k] == Approx(expected[i][k].item<float>()).margin(1e-4));
      sum += probs[i][k];
    }
    CHECK(sum == Approx(1.f).margin(1e-5));
  }
}

TEST_CASE("classifier model file keeps a crop sized by the line's character width", "[charcls]") {
  ClassifierModel m = random_model({"0", "O"}, 12);
  m.crop.by_char_width = true;
  const std::string path = temp_path("by_char_width.pt");
  save_classifier_model(m, path);
  const ClassifierModel r = load_classifier_model(path);
  CHECK(r.crop.by_char_width);
  const assemble::CropFrame f = r.crop.frame();
  CHECK(f.by_char_width);
  CHECK(f.height_factor == Approx(1.4f));
  CHECK(f.aspect == Approx(1.f));
}

TEST_CASE("classifier runner: the GEMM inference equals the training network's forward",
          "[charcls]") {
  // Other architectures than the shipped one (no space-to-depth, no hidden layer;
  // four convs, non-square input) and more crops than one forward pass takes, so
  // that every index of the channels-last im2col path and of the chunking is used.
  struct Case {
    ClassifierArch arch;
    int crops;
  };
  std::vector<Case> cases(3);
  cases[0].arch.unshuffle = 1;
  cases[0].arch.channels = {8, 16};
  cases[0].arch.hidden = 0;
  cases[0].crops = 70;
  cases[1].arch.channels = {6, 12, 24, 20};
  cases[1].arch.input_width = 48;
  cases[1].arch.hidden = 9;
  cases[1].crops = 33;
  cases[2].crops = 1;
  for (std::size_t ci = 0; ci < cases.size(); ++ci) {
    CAPTURE(ci);
    torch::manual_seed(100 + ci);
    assemble::Charset cs;
    cs.labels = {"0", "1", "A", "B", "-"};
    CropSpec crop;
    crop.size = cv::Size(cases[ci].arch.input_width, cases[ci].arch.input_height);
    ClassifierModel m = make_classifier_model(cs, crop, cases[ci].arch);
    randomise_batchnorm(m);
    m.net->eval();
    const std::string path = temp_path("gemm" + std::to_string(ci) + ".pt");
    save_classifier_model(m, path);

    const auto crops = random_crops(cases[ci].crops, crop.size, 7 + ci);
    ClassifierConfig cfg;
    cfg.model = path;
    Classifier cls(cfg);
    const auto probs = cls.classify(crops);
    REQUIRE(probs.size() == crops.size());
    c10::InferenceMode guard;
    torch::Tensor x = torch::empty({cases[ci].crops, 1, crop.size.height, crop.size.width});
    for (int i = 0; i < cases[ci].crops; ++i) {
      std::memcpy(x[i][0].data_ptr<float>(), crops[i].ptr<float>(),
                  sizeof(float) * crop.size.area());
    }
    const torch::Tensor expected = torch::softmax(m.net->forward(x), 1);
    for (int i = 0; i < cases[ci].crops; ++i) {
      for (int k = 0; k < 6; ++k) {
        CHECK(probs[i][k] == Approx(expected[i][k].item<float>()).margin(1e-4));
      }
    }
  }
}

TEST_CASE("classifier: charset / output layer mismatch is a ModelError naming the file", "[charcls]") {
  std::vector<std::string> labels;
  for (int i = 0; i < 36; ++i) labels.push_back(std::string(1, static_cast<char>('A' + i % 26)) );
  assemble::Charset cs;
  cs.labels = labels;
  ClassifierArch arch;
  ClassifierModel m = make_classifier_model(cs, CropSpec{}, arch);
  // Rebuild the network with 38 outputs: 36 labels + reject would need 37.
  arch.num_classes = 38;
  m.net = ClassifierNet(arch);
  const std::string path = temp_path("mismatch.pt");
  save_classifier_model(m, path);

  ClassifierConfig cfg;
  cfg.model = path;
  try {
    Classifier cls(cfg);
    FAIL("no exception");
  } catch (const ModelError& e) {
    const std::string what = e.what();
    CHECK(what.find(path) != std::string::npos);
    CHECK(what.find("36 labels") != std::string::npos);
    CHECK(what.find("outputs 38") != std::string::npos);
  }
}

TEST_CASE("classifier: missing, corrupt and foreign files are ModelErrors naming the file", "[charcls]") {
  const std::string missing = temp_path("does_not_exist.pt");
  ClassifierConfig cfg;
  cfg.model = missing;
  try {
    Classifier cls(cfg);
    FAIL("no exception");
  } catch (const ModelError& e) {
    CHECK(std::string(e.what()).find(missing) != std::string::npos);
  }

  const std::string corrupt = temp_path("corrupt.pt");
  {
    std::ofstream f(corrupt, std::ios::binary);
    f << "this is not a zip archive";
  }
  cfg.model = corrupt;
  try {
    Classifier cls(cfg);
    FAIL("no exception");
  } catch (const ModelError& e) {
    CHECK(std::string(e.what()).find(corrupt) != std::string::npos);
  }

  // A valid Torch archive that is not a classifier.
  const std::string foreign = temp_path("foreign.pt");
  {
    torch::serialize::OutputArchive a;
    a.write("format", c10::IValue(std::string("ocr2s-detector")));
    a.save_to(foreign);
  }
  cfg.model = foreign;
  try {
    Classifier cls(cfg);
    FAIL("no exception");
  } catch (const ModelError& e) {
    CHECK(std::string(e.what()).find(foreign) != std::string::npos);
    CHECK(std::string(e.what()).find("ocr2s-detector") != std::string::npos);
  }

  // A logit adjustment whose length disagrees with the classes.
  const std::string bad_adjust = temp_path("bad_adjust.pt");
  {
    ClassifierModel m = random_model({"0", "1"}, 4);
    m.logit_adjust = {0.f, 0.f};  // 3 classes
    save_classifier_model(m, bad_adjust);
  }
  cfg.model = bad_adjust;
  try {
    Classifier cls(cfg);
    FAIL("no exception");
  } catch (const ModelError& e) {
    CHECK(std::string(e.what()).find(bad_adjust) != std::string::npos);
  }

  cfg.model.clear();
  CHECK_THROWS_AS(Classifier(cfg), ModelError);
}

TEST_CASE("classifier: batching in chunks gives the same rows, bad crops are InputErrors",
          "[charcls]") {
  ClassifierModel m = random_model({"0", "1", "2", "X"}, 5);
  const std::string path = temp_path("batch.pt");
  save_classifier_model(m, path);
  ClassifierConfig cfg;
  cfg.model = path;
  Classifier whole(cfg);
  cfg.max_batch = 3;
  Classifier chunked(cfg);

  auto crops = random_crops(10, {32, 32}, 99);
  auto a = whole.classify(crops);
  auto b = chunked.classify(crops);
  REQUIRE(a.size() == 10);
  REQUIRE(b.size() == 10);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(a[i].size() == 5);
    for (int k = 0; k < 5; ++k) CHECK(a[i][k] == Approx(b[i][k]).margin(1e-5));
  }
  CHECK(whole.classify({}).empty());

  std::vector<cv::Mat> wrong_type = {cv::Mat(32, 32, CV_8UC1, cv::Scalar(0))};
  CHECK_THROWS_AS(whole.classify(wrong_type), InputError);
  std::vector<cv::Mat> wrong_size = {cv::Mat(24, 32, CV_32FC1, cv::Scalar(0))};
  CHECK_THROWS_AS(whole.classify(wrong_size), InputError);

  cfg.max_batch = 0;
  CHECK_THROWS_AS(Classifier(cfg), ConfigError);
}

TEST_CASE("a Classifier alone caps oneDNN's primitive cache, as a Detector does", "[charcls]") {
  check_network_caps_onednn_cache([] {
    const std::string path = temp_path("cache_cap.pt");
    save_classifier_model(random_model({"0", "1"}, 5), path);
    ClassifierConfig cfg;
    cfg.model = path;
    const Classifier cls(cfg);
  });
}
