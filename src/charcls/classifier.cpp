// The character classifier: network, native model file I/O, and the batched runner.
// The only inference translation unit of charcls that includes Torch.
#include "charcls/classifier_net.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include "charcls/classifier.hpp"
#include "compute_threads.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::charcls {

// ---- architecture --------------------------------------------------------------

namespace {

constexpr int kMaxChannels = 2048;
constexpr int kMaxInput = 512;
constexpr int kMaxClasses = 1 << 16;

std::string arch_problem(const ClassifierArch& a) {
  std::ostringstream os;
  if (a.input_width < 4 || a.input_height < 4 || a.input_width > kMaxInput ||
      a.input_height > kMaxInput) {
    os << "input size " << a.input_width << "x" << a.input_height << " outside [4, " << kMaxInput
       << "]";
  } else if (a.unshuffle < 1 || a.unshuffle > 8) {
    os << "unshuffle factor " << a.unshuffle << " outside [1, 8]";
  } else if (a.channels.empty() || a.channels.size() > 8) {
    os << a.channels.size() << " conv layers (expected 1 to 8)";
  } else if (a.hidden < 0 || a.hidden > 8192) {
    os << "hidden width " << a.hidden << " outside [0, 8192]";
  } else if (a.num_classes < 2 || a.num_classes > kMaxClasses) {
    os << a.num_classes << " output classes (expected 2 to " << kMaxClasses << ")";
  } else {
    for (int c : a.channels) {
      if (c < 1 || c > kMaxChannels) {
        os << "conv width " << c << " outside [1, " << kMaxChannels << "]";
        break;
      }
    }
    const int div = a.unshuffle << (a.channels.size() - 1);
    if (os.tellp() == 0 && (a.input_width % div != 0 || a.input_height % div != 0)) {
      os << "input size " << a.input_width << "x" << a.input_height << " not divisible by "
         << div << " (unshuffle × strides)";
    }
  }
  return os.str();
}

}  // namespace

cv::Size ClassifierArch::feature_size() const {
  const std::string problem = arch_problem(*this);
  if (!problem.empty()) throw ModelError("classifier architecture: " + problem);
  const int div = unshuffle << (channels.size() - 1);
  return {input_width / div, input_height / div};
}

std::int64_t ClassifierArch::flops() const {
  const cv::Size f = feature_size();
  std::int64_t total = 0;
  std::int64_t w = input_width / unshuffle, h = input_height / unshuffle;
  std::int64_t in = static_cast<std::int64_t>(unshuffle) * unshuffle;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (i > 0) { w /= 2; h /= 2; }
    total += 2 * w * h * channels[i] * in * 9;
    in = channels[i];
  }
  const std::int64_t flat = static_cast<std::int64_t>(f.area()) * channels.back();
  if (hidden > 0) {
    total += 2 * flat * hidden + 2 * static_cast<std::int64_t>(hidden) * num_classes;
  } else {
    total += 2 * flat * num_classes;
  }
  return total;
}

// ---- network ---------------------------------------------------------------------

ClassifierNetImpl::ClassifierNetImpl(const ClassifierArch& a) : arch(a) {
  const cv::Size f = arch.feature_size();  // validates
  int in = arch.unshuffle * arch.unshuffle;
  for (std::size_t i = 0; i < arch.channels.size(); ++i) {
    const int stride = i == 0 ? 1 : 2;
    convs.push_back(register_module(
        "conv" + std::to_string(i),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in, arch.channels[i], 3)
                              .stride(stride).padding(1).bias(false))));
    norms.push_back(register_module("bn" + std::to_string(i),
                                    torch::nn::BatchNorm2d(arch.channels[i])));
    in = arch.channels[i];
  }
  const int flat = f.area() * arch.channels.back();
  if (arch.hidden > 0) {
    fc = register_module("fc", torch::nn::Linear(flat, arch.hidden));
    out = register_module("out", torch::nn::Linear(arch.hidden, arch.num_classes));
  } else {
    out = register_module("out", torch::nn::Linear(flat, arch.num_classes));
  }
}

void ClassifierNetImpl::fold_batchnorm() {
  torch::NoGradGuard no_grad;
  folded_w_.clear();
  folded_b_.clear();
  for (std::size_t i = 0; i < convs.size(); ++i) {
    auto& bn = norms[i];
    const torch::Tensor scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
    // [Cout, Cin, 3, 3] -> [3, 3, Cin, Cout] -> [9·Cin, Cout]: rows in the column
    // order of im2col_nhwc below, stored as the GEMM's right-hand matrix (BLAS is
    // 2.5x faster here with it in place than with a transposed view).
    folded_w_.push_back((convs[i]->weight * scale.view({-1, 1, 1, 1}))
                            .permute({2, 3, 1, 0})
                            .reshape({-1, arch.channels[i]})
                            .contiguous());
    folded_b_.push_back((bn->bias - bn->running_mean * scale).contiguous());
  }
  // The first linear layer reads the last feature map in (y, x, channel) order
  // (channels-last) instead of the training network's (channel, y, x).
  torch::nn::Linear& first = fc ? fc : out;
  const cv::Size f = arch.feature_size();
  folded_head_ =
      first->weight.view({first->weight.size(0), arch.channels.back(), f.height, f.width})
          .permute({2, 3, 1, 0})
          .reshape({-1, first->weight.size(0)})
          .contiguous();
  folded_out_ = fc ? out->weight.t().contiguous() : torch::Tensor();
}

namespace {

// Channels-last im2col of a 3×3 convolution with padding 1: in [n, h, w, c] →
// cols [n·ho·wo, 9·c], column order (ky, kx, channel); zeros outside the map.
void im2col_nhwc(const float* in, int64_t n, int64_t h, int64_t w, int64_t c, int stride,
                 float* cols) {
  const int64_t ho = (h - 1) / stride + 1, wo = (w - 1) / stride + 1;
  for (int64_t b = 0; b < n; ++b) {
    const float* image = in + b * h * w * c;
    for (int64_t yo = 0; yo < ho; ++yo) {
      for (int64_t xo = 0; xo < wo; ++xo) {
        for (int ky = 0; ky < 3; ++ky) {
          const int64_t yi = yo * stride + ky - 1;
          for (int kx = 0; kx < 3; ++kx) {
            const int64_t xi = xo * stride + kx - 1;
            if (yi < 0 || yi >= h || xi < 0 || xi >= w) {
              std::fill(cols, cols + c, 0.f);
            } else {
              std::memcpy(cols, image + (yi * w + xi) * c, sizeof(float) * c);
            }
            cols += c;
          }
        }
      }
    }
  }
}

}  // namespace

// Inference with the folded weights as plain matrix products (im2col + GEMM,
// channels-last): BLAS keeps no state per input shape, where oneDNN compiles and
// caches a convolution for every batch size it meets, and a reader meets one per
// character count (benchmarks/README.md, session 18).
torch::Tensor ClassifierNetImpl::forward_folded(const torch::Tensor& input) const {
  const torch::Tensor x = input.contiguous();
  const int64_t n = x.size(0);
  const int u = arch.unshuffle;
  int64_t h = arch.input_height / u, w = arch.input_width / u, c = int64_t{u} * u;
  // Space-to-depth straight into channels-last: channel dy·u + dx, as pixel_unshuffle.
  torch::Tensor map = torch::empty({n * h * w, c});
  {
    const float* src = x.data_ptr<float>();
    float* dst = map.data_ptr<float>();
    for (int64_t b = 0; b < n; ++b) {
      const float* image = src + b * arch.input_height * arch.input_width;
      for (int64_t y = 0; y < h; ++y) {
        for (int64_t xx = 0; xx < w; ++xx) {
          for (int dy = 0; dy < u; ++dy) {
            for (int dx = 0; dx < u; ++dx) {
              *dst++ = image[(y * u + dy) * arch.input_width + xx * u + dx];
            }
          }
        }
      }
    }
  }
  for (std::size_t i = 0; i < convs.size(); ++i) {
    const int stride = i == 0 ? 1 : 2;
    const int64_t ho = (h - 1) / stride + 1, wo = (w - 1) / stride + 1;
    torch::Tensor cols = torch::empty({n * ho * wo, 9 * c});
    im2col_nhwc(map.data_ptr<float>(), n, h, w, c, stride, cols.data_ptr<float>());
    map = torch::addmm(folded_b_[i], cols, folded_w_[i]).relu_();
    h = ho;
    w = wo;
    c = arch.channels[i];
  }
  torch::Tensor flat = map.view({n, h * w * c});
  if (fc) {
    flat = torch::addmm(fc->bias, flat, folded_head_).relu_();
    return torch::addmm(out->bias, flat, folded_out_);
  }
  return torch::addmm(out->bias, flat, folded_head_);
}

torch::Tensor ClassifierNetImpl::forward(torch::Tensor x) {
  if (!is_training() && folded_w_.size() == convs.size()) return forward_folded(x);
  if (arch.unshuffle > 1) x = torch::pixel_unshuffle(x, arch.unshuffle);
  for (std::size_t i = 0; i < convs.size(); ++i) {
    x = torch::relu(norms[i]->forward(convs[i]->forward(x)));
  }
  x = x.flatten(1);
  if (fc) {
    x = torch::dropout(x, /*p=*/0.2, is_training());
    x = torch::relu(fc->forward(x));
  }
  return out->forward(x);
}

// ---- model file ----------------------------------------------------------------

ClassifierModel make_classifier_model(const assemble::Charset& charset, const CropSpec& crop,
                                      ClassifierArch arch) {
  arch.num_classes = charset.num_classes();
  arch.input_width = crop.size.width;
  arch.input_height = crop.size.height;
  ClassifierModel m;
  m.net = ClassifierNet(arch);
  m.charset = charset;
  m.crop = crop;
  return m;
}

namespace {

c10::List<int64_t> int_list(const std::vector<int>& v) {
  c10::List<int64_t> l;
  for (int x : v) l.push_back(x);
  return l;
}

// Reads one metadata value; a missing key or a wrong type is a ModelError.
c10::IValue need(torch::serialize::InputArchive& a, const std::string& key,
                 const std::string& path) {
  c10::IValue v;
  if (!a.try_read(key, v)) {
    throw ModelError(path + ": not an ocr2s classifier model (no \"" + key + "\" entry)");
  }
  return v;
}

std::int64_t need_int(torch::serialize::InputArchive& a, const std::string& key,
                      const std::string& path) {
  auto v = need(a, key, path);
  if (!v.isInt()) throw ModelError(path + ": classifier entry \"" + key + "\" is not an integer");
  return v.toInt();
}

double need_double(torch::serialize::InputArchive& a, const std::string& key,
                   const std::string& path) {
  auto v = need(a, key, path);
  if (v.isInt()) return static_cast<double>(v.toInt());
  if (!v.isDouble()) throw ModelError(path + ": classifier entry \"" + key + "\" is not a number");
  return v.toDouble();
}

std::string need_string(torch::serialize::InputArchive& a, const std::string& key,
                        const std::string& path) {
  auto v = need(a, key, path);
  if (!v.isString()) throw ModelError(path + ": classifier entry \"" + key + "\" is not a string");
  return v.toStringRef();
}

std::string optional_string(torch::serialize::InputArchive& a, const std::string& key) {
  c10::IValue v;
  if (a.try_read(key, v) && v.isString()) return v.toStringRef();
  return {};
}

}  // namespace

void save_classifier_model(const ClassifierModel& m, const std::string& path) {
  if (!m.net) throw ModelError(path + ": cannot save a classifier without a network");
  try {
    torch::serialize::OutputArchive a;
    const ClassifierArch& arch = m.net->arch;
    a.write("format", c10::IValue(std::string(kClassifierFormat)));
    a.write("version", c10::IValue(kClassifierVersion));
    a.write("arch_input_width", c10::IValue(static_cast<int64_t>(arch.input_width)));
    a.write("arch_input_height", c10::IValue(static_cast<int64_t>(arch.input_height)));
    a.write("arch_unshuffle", c10::IValue(static_cast<int64_t>(arch.unshuffle)));
    a.write("arch_channels", c10::IValue(int_list(arch.channels)));
    a.write("arch_hidden", c10::IValue(static_cast<int64_t>(arch.hidden)));
    a.write("arch_num_classes", c10::IValue(static_cast<int64_t>(arch.num_classes)));
    c10::List<std::string> labels;
    for (const auto& l : m.charset.labels) labels.push_back(l);
    a.write("charset", c10::IValue(labels));
    a.write("crop_width", c10::IValue(static_cast<int64_t>(m.crop.size.width)));
    a.write("crop_height", c10::IValue(static_cast<int64_t>(m.crop.size.height)));
    a.write("crop_height_factor", c10::IValue(static_cast<double>(m.crop.height_factor)));
    a.write("crop_by_char_width", c10::IValue(m.crop.by_char_width));
    a.write("temperature", c10::IValue(static_cast<double>(m.temperature)));
    if (!m.logit_adjust.empty()) {
      c10::List<double> adjust;
      for (float v : m.logit_adjust) adjust.push_back(v);
      a.write("logit_adjust", c10::IValue(adjust));
    }
    a.write("train_command", c10::IValue(m.train_command));
    a.write("train_seed", c10::IValue(m.train_seed));
    a.write("train_notes", c10::IValue(m.train_notes));
    torch::serialize::OutputArchive net_archive;
    m.net->save(net_archive);
    a.write("net", net_archive);
    a.save_to(path);
  } catch (const c10::Error& e) {
    throw ModelError(path + ": cannot write classifier model: " + e.what_without_backtrace());
  }
}

ClassifierModel load_classifier_model(const std::string& path) {
  if (path.empty()) throw ModelError("classifier model: no file given");
  if (!std::ifstream(path, std::ios::binary).good()) {
    throw ModelError(path + ": cannot open classifier model (missing or unreadable)");
  }
  ClassifierModel m;
  try {
    torch::serialize::InputArchive a;
    a.load_from(path);
    const std::string format = need_string(a, "format", path);
    if (format != kClassifierFormat) {
      throw ModelError(path + ": format is \"" + format + "\", expected \"" + kClassifierFormat +
                       "\"");
    }
    const std::int64_t version = need_int(a, "version", path);
    if (version < 1 || version > kClassifierVersion) {
      throw ModelError(path + ": classifier format version " + std::to_string(version) +
                       " is not supported (this build reads 1 to " +
                       std::to_string(kClassifierVersion) + ")");
    }
    ClassifierArch arch;
    arch.input_width = static_cast<int>(need_int(a, "arch_input_width", path));
    arch.input_height = static_cast<int>(need_int(a, "arch_input_height", path));
    arch.unshuffle = static_cast<int>(need_int(a, "arch_unshuffle", path));
    {
      auto v = need(a, "arch_channels", path);
      if (!v.isIntList()) throw ModelError(path + ": classifier entry \"arch_channels\" is not a list");
      arch.channels.clear();
      for (int64_t c : v.toIntVector()) arch.channels.push_back(static_cast<int>(c));
    }
    arch.hidden = static_cast<int>(need_int(a, "arch_hidden", path));
    arch.num_classes = static_cast<int>(need_int(a, "arch_num_classes", path));
    const std::string problem = arch_problem(arch);
    if (!problem.empty()) throw ModelError(path + ": classifier architecture: " + problem);

    {
      auto v = need(a, "charset", path);
      if (!v.isList()) throw ModelError(path + ": classifier entry \"charset\" is not a list");
      for (const auto& e : v.toListRef()) {
        if (!e.isString() || e.toStringRef().empty()) {
          throw ModelError(path + ": charset label " + std::to_string(m.charset.labels.size()) +
                           " is empty or not a string");
        }
        m.charset.labels.push_back(e.toStringRef());
      }
    }
    if (m.charset.labels.empty()) throw ModelError(path + ": charset is empty");

    m.crop.size.width = static_cast<int>(need_int(a, "crop_width", path));
    m.crop.size.height = static_cast<int>(need_int(a, "crop_height", path));
    m.crop.height_factor = static_cast<float>(need_double(a, "crop_height_factor", path));
    {
      c10::IValue v;
      if (a.try_read("crop_by_char_width", v)) {
        if (!v.isBool())
          throw ModelError(path + ": classifier entry \"crop_by_char_width\" is not a boolean");
        m.crop.by_char_width = v.toBool();
      }
    }
    if (m.crop.size.width != arch.input_width || m.crop.size.height != arch.input_height) {
      std::ostringstream os;
      os << path << ": crop size " << m.crop.size.width << "x" << m.crop.size.height
         << " differs from the network input " << arch.input_width << "x" << arch.input_height;
      throw ModelError(os.str());
    }
    if (!(m.crop.height_factor > 0.1f && m.crop.height_factor < 10.f)) {
      throw ModelError(path + ": crop height factor " + std::to_string(m.crop.height_factor) +
                       " outside (0.1, 10)");
    }
    const double t = need_double(a, "temperature", path);
    if (!(t > 1e-3 && t < 1e3)) {
      throw ModelError(path + ": temperature " + std::to_string(t) + " outside (0.001, 1000)");
    }
    m.temperature = static_cast<float>(t);
    m.train_command = optional_string(a, "train_command");
    m.train_notes = optional_string(a, "train_notes");
    {
      c10::IValue v;
      if (a.try_read("logit_adjust", v)) {
        if (!v.isDoubleList()) throw ModelError(path + ": classifier entry \"logit_adjust\" is not a list of numbers");
        for (double x : v.toDoubleVector()) m.logit_adjust.push_back(static_cast<float>(x));
        if (static_cast<int>(m.logit_adjust.size()) != m.charset.num_classes()) {
          throw ModelError(path + ": logit adjustment has " + std::to_string(m.logit_adjust.size()) +
                           " entries for " + std::to_string(m.charset.num_classes()) + " classes");
        }
      }
    }
    {
      c10::IValue v;
      if (a.try_read("train_seed", v) && v.isInt()) m.train_seed = v.toInt();
    }

    m.net = ClassifierNet(arch);
    torch::serialize::InputArchive net_archive;
    if (!a.try_read("net", net_archive)) {
      throw ModelError(path + ": classifier model has no network");
    }
    m.net->load(net_archive);
    m.net->eval();

    // The network as stored (load replaces tensors wholesale, so trust no metadata):
    // a dry run proves the layer shapes chain, and gives the real output width.
    std::int64_t outputs = 0;
    {
      c10::InferenceMode guard;
      auto y = m.net->forward(torch::zeros({1, 1, arch.input_height, arch.input_width}));
      if (y.dim() != 2 || y.size(0) != 1) {
        throw ModelError(path + ": classifier network output has shape " +
                         c10::str(y.sizes()) + ", expected [1, classes]");
      }
      outputs = y.size(1);
    }
    if (outputs != m.charset.num_classes()) {
      throw ModelError(path + ": charset has " + std::to_string(m.charset.labels.size()) +
                       " labels + reject = " + std::to_string(m.charset.num_classes()) +
                       " classes but the network outputs " + std::to_string(outputs));
    }
  } catch (const c10::Error& e) {
    throw ModelError(path + ": corrupt or incompatible classifier model: " +
                     e.what_without_backtrace());
  }
  return m;
}

// ---- runner ----------------------------------------------------------------------

struct Classifier::Impl {
  ClassifierModel model;
  int max_batch = 512;
};

Classifier::Classifier(const ClassifierConfig& config) : impl_(std::make_unique<Impl>()) {
  if (config.max_batch < 1 || config.max_batch > 65536) {
    throw ConfigError("classifier max_batch " + std::to_string(config.max_batch) +
                      " outside [1, 65536]");
  }
  limit_onednn_cache();
  impl_->max_batch = config.max_batch;
  impl_->model = load_classifier_model(config.model);
  impl_->model.net->eval();
  impl_->model.net->fold_batchnorm();
}

Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

const assemble::Charset& Classifier::charset() const noexcept { return impl_->model.charset; }
const CropSpec& Classifier::crop_spec() const noexcept { return impl_->model.crop; }
float Classifier::temperature() const noexcept { return impl_->model.temperature; }

std::vector<std::vector<float>> Classifier::classify(const std::vector<cv::Mat>& crops) const {
  const cv::Size size = impl_->model.crop.size;
  for (std::size_t i = 0; i < crops.size(); ++i) {
    const cv::Mat& c = crops[i];
    if (c.type() != CV_32FC1 || c.size() != size) {
      std::ostringstream os;
      os << "classifier crop " << i << ": expected CV_32FC1 " << size.width << "x" << size.height
         << ", got type " << c.type() << " " << c.cols << "x" << c.rows;
      throw InputError(os.str());
    }
  }
  std::vector<std::vector<float>> probs;
  probs.reserve(crops.size());
  if (crops.empty()) return probs;

  c10::InferenceMode guard;  // per thread; opened inside each call
  ClassifierNetImpl* net = impl_->model.net.ptr().get();  // eval mode, read-only use
  const float inv_t = 1.f / impl_->model.temperature;
  // Forward passes of at most max_batch crops, and of at most kChunk: beyond that
  // the activations outgrow the cache and the time per crop rises (measured).
  constexpr std::size_t kChunk = 32;
  const std::size_t chunk = std::min(kChunk, static_cast<std::size_t>(impl_->max_batch));
  try {
    for (std::size_t begin = 0; begin < crops.size(); begin += chunk) {
      const std::size_t n = std::min(chunk, crops.size() - begin);
      torch::Tensor x = torch::empty({static_cast<int64_t>(n), 1, size.height, size.width});
      float* dst = x.data_ptr<float>();
      for (std::size_t k = 0; k < n; ++k) {
        const cv::Mat& c = crops[begin + k];
        for (int r = 0; r < size.height; ++r) {
          std::memcpy(dst, c.ptr<float>(r), sizeof(float) * size.width);
          dst += size.width;
        }
      }
      torch::Tensor p = torch::softmax(net->forward(x) * inv_t, /*dim=*/1).contiguous();
      const int64_t classes = p.size(1);
      const float* src = p.data_ptr<float>();
      for (std::size_t k = 0; k < n; ++k) {
        probs.emplace_back(src + k * classes, src + (k + 1) * classes);
      }
    }
  } catch (const c10::Error& e) {
    throw ModelError(std::string("classifier forward failed: ") + e.what_without_backtrace());
  }
  return probs;
}

}  // namespace ocr2s::charcls
