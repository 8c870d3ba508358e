#include "stub_models.hpp"

#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <string>

#include <unistd.h>

#include <torch/script.h>
#include <torch/torch.h>

#include "charcls/classifier_net.hpp"

namespace fs = std::filesystem;

namespace ocr2s_test {
namespace {

std::mutex& lock() {
  static std::mutex m;
  return m;
}

// TorchScript source of each stub detector's forward(x), x: [N, 3, H, W].
const char* detector_source(StubDetector kind) {
  switch (kind) {
    case StubDetector::kPool:
      return R"(
def forward(self, x):
    y = torch.sigmoid(torch.avg_pool2d(x[:, 0:2], [2, 2]))
    return (y.permute(0, 2, 3, 1), x)
)";
    case StubDetector::kFullSize:
      return R"(
def forward(self, x):
    return torch.sigmoid(x[:, 0:2]).permute(0, 2, 3, 1)
)";
    case StubDetector::kNotTensor:
      return R"(
def forward(self, x):
    return [1, 2, 3]
)";
    case StubDetector::kNaN:
      return R"(
def forward(self, x):
    y = torch.avg_pool2d(x[:, 0:2], [2, 2]) * float('nan')
    return y.permute(0, 2, 3, 1)
)";
    case StubDetector::kRaises:
      return R"(
def forward(self, x):
    assert x.size(0) < 0, 'stub detector: always fails'
    return x
)";
    case StubDetector::kFailsLarge:
      return R"(
def forward(self, x):
    assert x.size(2) <= 64, 'stub detector: input too large'
    return torch.sigmoid(torch.avg_pool2d(x[:, 0:2], [2, 2])).permute(0, 2, 3, 1)
)";
    case StubDetector::kWrongShapeLarge:
      return R"(
def forward(self, x):
    if x.size(2) > 64:
        return torch.sigmoid(torch.avg_pool2d(x, [2, 2])).permute(0, 2, 3, 1)
    return torch.sigmoid(torch.avg_pool2d(x[:, 0:2], [2, 2])).permute(0, 2, 3, 1)
)";
  }
  return "";
}

const char* detector_name(StubDetector kind) {
  switch (kind) {
    case StubDetector::kPool: return "stub_det_pool.pt";
    case StubDetector::kFullSize: return "stub_det_fullsize.pt";
    case StubDetector::kNotTensor: return "stub_det_list.pt";
    case StubDetector::kNaN: return "stub_det_nan.pt";
    case StubDetector::kRaises: return "stub_det_raises.pt";
    case StubDetector::kFailsLarge: return "stub_det_fails_large.pt";
    case StubDetector::kWrongShapeLarge: return "stub_det_shape_large.pt";
  }
  return "stub_det.pt";
}

}  // namespace

fs::path scratch_dir() {
  struct Dir {
    fs::path path = fs::temp_directory_path() / ("ocr2s_test_scratch_" + std::to_string(::getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

std::string scratch_file(const std::string& name) { return (scratch_dir() / name).string(); }

std::string stub_detector(StubDetector kind) {
  std::lock_guard<std::mutex> guard(lock());
  const std::string path = scratch_file(detector_name(kind));
  if (!fs::exists(path)) {
    torch::jit::Module m("StubDetector");
    m.define(detector_source(kind));
    m.save(path);
  }
  return path;
}

std::string stub_classifier(StubClassifier kind) {
  using namespace ocr2s;
  std::lock_guard<std::mutex> guard(lock());
  const char* name = kind == StubClassifier::kRandom     ? "stub_cls_random.pt"
                     : kind == StubClassifier::kMismatch ? "stub_cls_mismatch.pt"
                                                         : "stub_cls_nan.pt";
  const std::string path = scratch_file(name);
  if (fs::exists(path)) return path;
  assemble::Charset charset;
  for (char c = '0'; c <= '9'; ++c) charset.labels.emplace_back(1, c);
  for (char c = 'A'; c <= 'Z'; ++c) charset.labels.emplace_back(1, c);
  torch::manual_seed(11);
  charcls::ClassifierArch arch;
  charcls::ClassifierModel model = charcls::make_classifier_model(charset, charcls::CropSpec{}, arch);
  if (kind == StubClassifier::kMismatch) {
    arch.num_classes = charset.num_classes() + 1;  // 38 outputs for 36 labels + reject
    arch.input_width = model.crop.size.width;
    arch.input_height = model.crop.size.height;
    model.net = charcls::ClassifierNet(arch);
  }
  if (kind == StubClassifier::kNaNWeights) {
    torch::NoGradGuard no_grad;
    model.net->out->weight[0][0] = std::numeric_limits<float>::quiet_NaN();
  }
  model.net->eval();
  model.train_command = "tests/reader/stub_models.cpp (random weights, not trained)";
  charcls::save_classifier_model(model, path);
  return path;
}

ocr2s::ReaderConfig stub_config() {
  ocr2s::ReaderConfig c;
  c.craft.model = stub_detector(StubDetector::kPool);
  c.craft.torchscript = true;
  c.classifier.model = stub_classifier(StubClassifier::kRandom);
  c.torch_threads = 1;
  return c;
}

}  // namespace ocr2s_test
