// The CRAFT detector: network (detector_net.hpp), native model file I/O, and the
// runner (detector.hpp) — image → score maps (DESIGN.md "Score maps").
// The only translation unit of the inference library that includes Torch for the
// detector.
#include "craft/detector.hpp"
#include "craft/postprocess.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <opencv2/imgproc.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include "compute_threads.hpp"
#include "craft/detector_net.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::craft {

// ============================================================================
// Network
// ============================================================================

ConvBNImpl::ConvBNImpl(int in, int out, int kernel, int stride, int groups, int dilation,
                       bool relu)
    : relu_(relu),
      in_(in),
      out_(out),
      kernel_(kernel),
      stride_(stride),
      groups_(groups),
      dilation_(dilation) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                        .stride(stride)
                                                        .padding(dilation * (kernel / 2))
                                                        .dilation(dilation)
                                                        .groups(groups)
                                                        .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out)));
}

torch::Tensor ConvBNImpl::forward(const torch::Tensor& x) {
  torch::Tensor y;
  if (fused_) {
    y = torch::conv2d(x, fused_weight_, fused_bias_, {stride_, stride_},
                      {dilation_ * (kernel_ / 2), dilation_ * (kernel_ / 2)},
                      {dilation_, dilation_}, groups_);
  } else {
    y = bn(conv(x));
  }
  return relu_ ? torch::relu_(y) : y;
}

void ConvBNImpl::fuse() {
  if (fused_) return;
  torch::NoGradGuard no_grad;
  const auto inv_std = torch::rsqrt(bn->running_var + bn->options.eps());
  const auto g = bn->weight * inv_std;
  fused_weight_ = (conv->weight * g.view({-1, 1, 1, 1}))
                      .contiguous(at::MemoryFormat::ChannelsLast)
                      .detach();
  fused_bias_ = (bn->bias - bn->running_mean * g).contiguous().detach();
  fused_ = true;
}

std::int64_t ConvBNImpl::flops(std::int64_t out_hw) const {
  return 2 * out_hw * out_ * (in_ / groups_) * kernel_ * kernel_;
}

SepBlockImpl::SepBlockImpl(int in, int out, int stride, int dilation)
    : residual_(in == out && stride == 1) {
  dw = register_module("dw", ConvBN(in, in, 3, stride, /*groups=*/in, dilation));
  pw = register_module("pw", ConvBN(in, out, 1));
}

torch::Tensor SepBlockImpl::forward(const torch::Tensor& x) {
  auto y = pw(dw(x));
  if (!residual_) return y;
  // In place only without autograd: ReLU's backward needs its output unchanged.
  return torch::GradMode::is_enabled() ? y + x : y.add_(x);
}

UpBlockImpl::UpBlockImpl(int in, int skip, int out) : in_(in), skip_(skip), out_(out) {
  top = register_module("top", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false)));
  lateral = register_module("lateral",
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(skip, out, 1).bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out)));
  dw = register_module("dw", ConvBN(out, out, 3, 1, /*groups=*/out));
  pw = register_module("pw", ConvBN(out, out, 1));
}

torch::Tensor UpBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& skip) {
  namespace F = torch::nn::functional;
  const auto up = [&](const torch::Tensor& t) {
    return F::interpolate(t, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{skip.size(2), skip.size(3)})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  };
  torch::Tensor y;
  if (fused_) {
    y = up(torch::conv2d(x, top_w_)).add_(torch::conv2d(skip, lat_w_, lat_b_)).relu_();
  } else {
    y = torch::relu(bn(up(top(x)) + lateral(skip)));
  }
  auto r = pw(dw(y));
  return torch::GradMode::is_enabled() ? r + y : r.add_(y);
}

void UpBlockImpl::fuse() {
  if (fused_) return;
  torch::NoGradGuard no_grad;
  // BN(up(Wt x) + Wl s) = up(g Wt x) + (g Wl s + β − g μ): fold g into both
  // branches (upsampling is linear) and the shift into the lateral bias.
  const auto g = bn->weight * torch::rsqrt(bn->running_var + bn->options.eps());
  const auto cl = at::MemoryFormat::ChannelsLast;
  top_w_ = (top->weight * g.view({-1, 1, 1, 1})).contiguous(cl).detach();
  lat_w_ = (lateral->weight * g.view({-1, 1, 1, 1})).contiguous(cl).detach();
  lat_b_ = (bn->bias - bn->running_mean * g).contiguous().detach();
  dw->fuse();
  pw->fuse();
  fused_ = true;
}

namespace {

// A [out][in][kh][kw] weight as [in·kh·kw][out] floats (output channel fastest),
// the kernel's layout; a [out] bias as it is.
std::vector<float> out_fastest(const torch::Tensor& w) {
  const auto t = w.detach().contiguous().reshape({w.size(0), -1}).t().contiguous();
  return {t.data_ptr<float>(), t.data_ptr<float>() + t.numel()};
}

std::vector<float> as_vector(const torch::Tensor& b) {
  const auto t = b.detach().contiguous();
  return {t.data_ptr<float>(), t.data_ptr<float>() + t.numel()};
}

}  // namespace

bool UpBlockImpl::kernel_ready(const torch::Tensor& x, const torch::Tensor& skip) const {
  const auto cl = at::MemoryFormat::ChannelsLast;
  return has_kernel_ && x.dim() == 4 && skip.dim() == 4 && x.scalar_type() == torch::kFloat32 &&
         skip.scalar_type() == torch::kFloat32 && x.size(0) == skip.size(0) && x.size(1) == in_ &&
         skip.size(1) == skip_ && skip.size(2) == 2 * x.size(2) && skip.size(3) == 2 * x.size(3) &&
         x.is_contiguous(cl) && skip.is_contiguous(cl);
}

torch::Tensor UpBlockImpl::forward_kernel(const torch::Tensor& x, const torch::Tensor& skip) const {
  const std::int64_t n = x.size(0), hl = x.size(2), wl = x.size(3);
  const std::int64_t h = 2 * hl, w = 2 * wl;
  auto t = torch::empty({n, hl, wl, out_}, torch::kFloat32);
  kernel::top_pixels(stage_, x.data_ptr<float>(), static_cast<std::size_t>(n * hl * wl),
                     t.data_ptr<float>());
  // With the head: the maps, planar. Else the stage's output, channels-last.
  const auto channels_last =
      torch::TensorOptions().dtype(torch::kFloat32).memory_format(at::MemoryFormat::ChannelsLast);
  torch::Tensor y = stage_.head ? torch::empty({n, 2, h, w}, torch::kFloat32)
                                : torch::empty({n, out_, h, w}, channels_last);
  const float* tp = t.data_ptr<float>();
  const float* sp = skip.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const std::size_t t_image = static_cast<std::size_t>(hl * wl * out_);
  const std::size_t s_image = static_cast<std::size_t>(h * w * skip_);
  const std::size_t y_image = static_cast<std::size_t>(h * w * (stage_.head ? 2 : out_));
  // Rows of all images as one range; each chunk recomputes the stage input of
  // the two rows around it, so chunks of at least 8 rows.
  at::parallel_for(0, n * h, 8, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> scratch(kernel::scratch_floats(stage_, static_cast<int>(w)));
    for (std::int64_t i = begin; i < end;) {
      const std::int64_t img = i / h, r0 = i - img * h;
      const std::int64_t r1 = std::min(h, end - img * h);
      kernel::up_rows(stage_, tp + img * t_image, static_cast<int>(hl), static_cast<int>(wl),
                      sp + img * s_image, static_cast<int>(r0), static_cast<int>(r1),
                      yp + img * y_image, scratch.data());
      i = img * h + r1;
    }
  });
  return y;
}

std::int64_t UpBlockImpl::flops(std::int64_t low_hw, std::int64_t high_hw) const {
  return 2 * low_hw * in_ * out_ + 2 * high_hw * skip_ * out_ + dw->flops(high_hw) +
         pw->flops(high_hw);
}

DetectorNetImpl::DetectorNetImpl(const DetectorArch& arch) : arch_(arch) {
  stem = register_module("stem", ConvBN(3, arch.stem, 3, /*stride=*/2));
  int in = arch.stem;
  for (int s = 0; s < 4; ++s) {
    torch::nn::Sequential seq;
    seq->push_back(SepBlock(in, arch.enc[s], /*stride=*/2));
    for (int b = 0; b < arch.depth[s]; ++b) {
      seq->push_back(SepBlock(arch.enc[s], arch.enc[s], 1, s == 3 ? arch.deep_dilation : 1));
    }
    stages.push_back(register_module("stage" + std::to_string(s), seq));
    in = arch.enc[s];
  }
  const std::array<int, 4> skips{arch.enc[2], arch.enc[1], arch.enc[0], arch.stem};
  for (int s = 0; s < 4; ++s) {
    ups.push_back(register_module("up" + std::to_string(s), UpBlock(in, skips[s], arch.dec[s])));
    in = arch.dec[s];
  }
  if (arch.half_refine > 0) {
    refine = torch::nn::Sequential();
    for (int b = 0; b < arch.half_refine; ++b) refine->push_back(SepBlock(in, in, 1));
    register_module("refine", refine);
  }
  head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, 2, 1)));
  // Residual branches start small (their last BatchNorm's scale at 0.1; not 0,
  // which would leave the branch's ReLU without gradient): each block begins
  // close to the identity, which eases training and lets a model grown by new
  // blocks start from a trained smaller one (DetectorTrainer's init).
  torch::NoGradGuard ng;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* b = m->as<SepBlock>(); b != nullptr && b->residual_) b->pw->bn->weight.fill_(0.1);
    if (auto* u = m->as<UpBlock>()) u->pw->bn->weight.fill_(0.1);
  }
}

torch::Tensor DetectorNetImpl::logits(const torch::Tensor& x) {
  std::array<torch::Tensor, 5> f;  // 1/2 … 1/32
  f[0] = stem(x);
  for (int s = 0; s < 4; ++s) f[s + 1] = stages[s]->forward(f[s]);
  auto y = f[4];
  for (int s = 0; s < 4; ++s) {
    if (fused_ && ups[s]->kernel_ready(y, f[3 - s])) {
      y = ups[s]->forward_kernel(y, f[3 - s]);
      if (ups[s]->stage_.head) return y;  // the last stage computed the head too
    } else {
      y = ups[s](y, f[3 - s]);
    }
  }
  f = {};
  if (refine) y = refine->forward(y);
  if (fused_ && y.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    // The 1×1 head as one small matrix product on the channels-last features
    // ([N·h·w, C] × [C, 2]): oneDNN's convolution is slow for 2 output channels.
    const auto n = y.size(0), c = y.size(1), h = y.size(2), w = y.size(3);
    auto flat = y.permute({0, 2, 3, 1}).reshape({n * h * w, c});
    auto out = torch::addmm(head->bias, flat, head_w_t_);  // [N·h·w, 2]
    return out.view({n, h, w, 2}).permute({0, 3, 1, 2});
  }
  return head(y);
}

torch::Tensor DetectorNetImpl::forward(const torch::Tensor& x) {
  if (fused_) return logits(x).sigmoid_();  // no autograd in inference: in place
  return torch::sigmoid(logits(x));
}

void DetectorNetImpl::fuse_for_inference(bool use_kernel) {
  if (fused_) return;
  eval();
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<ConvBN>()) c->fuse();
    if (auto* u = m->as<UpBlock>()) u->fuse();
  }
  head_w_t_ = head->weight.detach().reshape({head->weight.size(0), -1}).t().contiguous();
  for (auto& u : ups) {
    if (!use_kernel || !kernel::fusable(u->in_, u->skip_, u->out_)) continue;
    auto& k = u->stage_;
    k.in = u->in_;
    k.skip = u->skip_;
    k.out = u->out_;
    k.top = out_fastest(u->top_w_);
    k.lat = out_fastest(u->lat_w_);
    k.lat_b = as_vector(u->lat_b_);
    k.dw = out_fastest(u->dw->fused_weight_);
    k.dw_b = as_vector(u->dw->fused_bias_);
    k.pw = out_fastest(u->pw->fused_weight_);
    k.pw_b = as_vector(u->pw->fused_bias_);
    u->has_kernel_ = true;
  }
  // The head joins the last stage's kernel when nothing runs between them.
  if (auto& last = ups.back(); last->has_kernel_ && !refine) {
    last->stage_.head = true;
    last->stage_.head_w = as_vector(head->weight.reshape({-1}));
    const auto b = as_vector(head->bias);
    last->stage_.head_b[0] = b[0];
    last->stage_.head_b[1] = b[1];
  }
  fused_ = true;
}

std::int64_t DetectorNetImpl::flops(int height, int width) const {
  // Walk the same structure as forward(), tracking the output size of each conv.
  const auto hw = [&](int level) {  // pixels at 1/2^level (padding as in the net)
    std::int64_t h = height, w = width;
    for (int i = 0; i < level; ++i) {
      h = (h + 1) / 2;
      w = (w + 1) / 2;
    }
    return h * w;
  };
  std::int64_t total = stem->flops(hw(1));
  for (int s = 0; s < 4; ++s) {
    for (const auto& m : stages[s]->children()) {
      const auto* b = m->as<SepBlock>();
      total += b->dw->flops(hw(s + 2)) + b->pw->flops(hw(s + 2));
    }
  }
  for (int s = 0; s < 4; ++s) {
    total += ups[s]->flops(hw(5 - s), hw(4 - s));
  }
  if (refine) {
    for (const auto& m : refine->children()) {
      const auto* b = m->as<SepBlock>();
      total += b->dw->flops(hw(1)) + b->pw->flops(hw(1));
    }
  }
  total += 2 * hw(1) * head->options.in_channels() * head->options.out_channels();
  return total;
}

void tune_malloc_for_inference() {
#if defined(__GLIBC__)
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* v : {"GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
      if (std::getenv(v) != nullptr) return;  // the user's choice wins
    }
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  });
#endif
}

torch::Tensor normalize_rgb(const torch::Tensor& rgb_u8_nhwc) {
  static const float kMean[3] = {0.485f, 0.456f, 0.406f};
  static const float kStd[3] = {0.229f, 0.224f, 0.225f};
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  auto mean = torch::from_blob(const_cast<float*>(kMean), {1, 3, 1, 1}, opts) * 255.f;
  auto stdv = torch::from_blob(const_cast<float*>(kStd), {1, 3, 1, 1}, opts) * 255.f;
  return (rgb_u8_nhwc.permute({0, 3, 1, 2}).to(torch::kFloat32) - mean) / stdv;
}

// ============================================================================
// Native model file
// ============================================================================

namespace {

[[noreturn]] void model_error(const std::string& path, const std::string& what) {
  throw ModelError(path + ": " + what);
}

std::vector<std::int64_t> to_vec(const std::array<int, 4>& a) {
  return {a[0], a[1], a[2], a[3]};
}

// Archive keys may not contain '.', so parameter names "stage0.0.dw.conv.weight" are
// stored with '.' replaced by '/'.
std::string key_of(const std::string& name) {
  std::string k = name;
  std::replace(k.begin(), k.end(), '.', '/');
  return "net/" + k;
}

}  // namespace

void save_detector(DetectorNet& net, const DetectorMeta& meta, const std::string& path) {
  save_detector(net, meta, path, nullptr);
}

void save_detector(DetectorNet& net, const DetectorMeta& meta, const std::string& path,
                   torch::serialize::OutputArchive* extra) {
  if (net->fused_) model_error(path, "refusing to save a network fused for inference");
  try {
    torch::serialize::OutputArchive ar;
    ar.write("format", c10::IValue(std::string(kDetectorFormat)));
    ar.write("version", c10::IValue(kDetectorFormatVersion));
    const auto& a = net->arch();
    ar.write("arch.stem", c10::IValue(static_cast<std::int64_t>(a.stem)));
    ar.write("arch.enc", c10::IValue(to_vec(a.enc)));
    ar.write("arch.depth", c10::IValue(to_vec(a.depth)));
    ar.write("arch.dec", c10::IValue(to_vec(a.dec)));
    ar.write("arch.deep_dilation", c10::IValue(static_cast<std::int64_t>(a.deep_dilation)));
    ar.write("arch.half_refine", c10::IValue(static_cast<std::int64_t>(a.half_refine)));
    ar.write("meta.train_command", c10::IValue(meta.train_command));
    ar.write("meta.seed", c10::IValue(meta.seed));
    ar.write("meta.steps", c10::IValue(meta.steps));
    ar.write("meta.data", c10::IValue(meta.data));
    ar.write("meta.notes", c10::IValue(meta.notes));
    torch::NoGradGuard no_grad;
    for (const auto& p : net->named_parameters(/*recurse=*/true)) {
      ar.write(key_of(p.key()), p.value().detach().contiguous(), false);
    }
    for (const auto& b : net->named_buffers(/*recurse=*/true)) {
      ar.write(key_of(b.key()), b.value().detach().contiguous(), true);
    }
    if (extra != nullptr) ar.write("extra", *extra);
    // Write to a temporary file and rename, so an interrupted save never leaves a
    // truncated model behind.
    const std::string tmp = path + ".tmp";
    ar.save_to(tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      std::remove(tmp.c_str());
      model_error(path, "cannot write (rename from " + tmp + " failed)");
    }
  } catch (const c10::Error& e) {
    model_error(path, std::string("cannot write: ") + e.what_without_backtrace());
  }
}

namespace {

std::int64_t read_int(torch::serialize::InputArchive& ar, const std::string& path,
                      const std::string& key) {
  c10::IValue v;
  if (!ar.try_read(key, v) || !v.isInt()) model_error(path, "missing or non-integer '" + key + "'");
  return v.toInt();
}

std::string read_string(torch::serialize::InputArchive& ar, const std::string& path,
                        const std::string& key, bool required) {
  c10::IValue v;
  if (!ar.try_read(key, v)) {
    if (required) model_error(path, "missing '" + key + "'");
    return {};
  }
  if (!v.isString()) model_error(path, "'" + key + "' is not a string");
  return v.toStringRef();
}

std::array<int, 4> read_int4(torch::serialize::InputArchive& ar, const std::string& path,
                             const std::string& key, int lo, int hi) {
  c10::IValue v;
  if (!ar.try_read(key, v) || !v.isIntList()) {
    model_error(path, "missing or non-integer-list '" + key + "'");
  }
  const auto list = v.toIntVector();
  if (list.size() != 4) {
    model_error(path, "'" + key + "' has " + std::to_string(list.size()) + " entries, expected 4");
  }
  std::array<int, 4> out{};
  for (int i = 0; i < 4; ++i) {
    if (list[i] < lo || list[i] > hi) {
      model_error(path, "'" + key + "'[" + std::to_string(i) + "] = " + std::to_string(list[i]) +
                            " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    out[i] = static_cast<int>(list[i]);
  }
  return out;
}

std::string shape_str(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

}  // namespace

LoadedDetector load_detector(const std::string& path, torch::serialize::InputArchive* extra,
                             bool* has_extra) {
  if (has_extra != nullptr) *has_extra = false;
  {
    std::ifstream f(path, std::ios::binary);
    if (!f) model_error(path, "cannot open detector model file");
  }
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    model_error(path, std::string("not a readable model archive (") +
                          e.what_without_backtrace() + ")");
  } catch (const std::exception& e) {
    model_error(path, std::string("not a readable model archive (") + e.what() + ")");
  }
  try {
    const std::string format = read_string(ar, path, "format", true);
    if (format != kDetectorFormat) {
      model_error(path, "format is '" + format + "', expected '" + kDetectorFormat +
                            "' (a TorchScript detector needs CraftConfig::torchscript = true)");
    }
    const auto version = read_int(ar, path, "version");
    if (version < 1 || version > kDetectorFormatVersion) {
      model_error(path, "format version " + std::to_string(version) +
                            " is not supported (this build reads 1.." +
                            std::to_string(kDetectorFormatVersion) + ")");
    }
    DetectorArch arch;
    const auto stem = read_int(ar, path, "arch.stem");
    if (stem < 4 || stem > 128) model_error(path, "arch.stem = " + std::to_string(stem) + " is outside [4, 128]");
    arch.stem = static_cast<int>(stem);
    arch.enc = read_int4(ar, path, "arch.enc", 4, 1024);
    arch.depth = read_int4(ar, path, "arch.depth", 0, 16);
    arch.dec = read_int4(ar, path, "arch.dec", 4, 512);
    const auto dil = read_int(ar, path, "arch.deep_dilation");
    if (dil < 1 || dil > 8) model_error(path, "arch.deep_dilation = " + std::to_string(dil) + " is outside [1, 8]");
    arch.deep_dilation = static_cast<int>(dil);
    // Absent in files written before it existed: those networks had none.
    c10::IValue refine_v;
    arch.half_refine = 0;
    if (ar.try_read("arch.half_refine", refine_v)) {
      if (!refine_v.isInt() || refine_v.toInt() < 0 || refine_v.toInt() > 8) {
        model_error(path, "arch.half_refine is not an integer in [0, 8]");
      }
      arch.half_refine = static_cast<int>(refine_v.toInt());
    }

    LoadedDetector out;
    out.meta.train_command = read_string(ar, path, "meta.train_command", false);
    c10::IValue v;
    if (ar.try_read("meta.seed", v) && v.isInt()) out.meta.seed = v.toInt();
    if (ar.try_read("meta.steps", v) && v.isInt()) out.meta.steps = v.toInt();
    out.meta.data = read_string(ar, path, "meta.data", false);
    out.meta.notes = read_string(ar, path, "meta.notes", false);

    out.net = DetectorNet(arch);
    torch::NoGradGuard no_grad;
    const auto load_one = [&](const std::string& name, torch::Tensor& dst, bool is_buffer) {
      torch::Tensor t;
      if (!ar.try_read(key_of(name), t, is_buffer)) {
        model_error(path, std::string(is_buffer ? "buffer" : "parameter") + " '" + name +
                              "' is missing");
      }
      if (!t.sizes().equals(dst.sizes())) {
        model_error(path, "'" + name + "' has shape " + shape_str(t) + ", the architecture needs " +
                              shape_str(dst));
      }
      if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
        model_error(path, "'" + name + "' contains NaN or infinite values");
      }
      dst.copy_(t.to(dst.dtype()));
    };
    for (auto& p : out.net->named_parameters(true)) load_one(p.key(), p.value(), false);
    for (auto& b : out.net->named_buffers(true)) load_one(b.key(), b.value(), true);
    if (extra != nullptr) {
      const bool has = ar.try_read("extra", *extra);
      if (has_extra != nullptr) *has_extra = has;
    }
    return out;
  } catch (const c10::Error& e) {
    model_error(path, std::string("corrupt detector model (") + e.what_without_backtrace() + ")");
  }
}

// ============================================================================
// Runner
// ============================================================================

cv::Mat to_rgb8(const cv::Mat& image) {
  if (image.empty()) throw InputError("detector: empty image");
  const int ch = image.channels();
  if (ch != 1 && ch != 3 && ch != 4) {
    throw InputError("detector: unsupported image with " + std::to_string(ch) +
                     " channels (expected 1, 3 or 4)");
  }
  cv::Mat u8;
  switch (image.depth()) {
    case CV_8U: u8 = image; break;
    case CV_16U: image.convertTo(u8, CV_8U, 1.0 / 257.0); break;
    case CV_32F:
    case CV_64F: image.convertTo(u8, CV_8U, 255.0); break;
    default:
      throw InputError("detector: unsupported pixel depth " + std::to_string(image.depth()) +
                       " (expected 8-bit, 16-bit unsigned, or float in [0, 1])");
  }
  cv::Mat rgb;
  if (ch == 1) cv::cvtColor(u8, rgb, cv::COLOR_GRAY2RGB);
  else if (ch == 3) cv::cvtColor(u8, rgb, cv::COLOR_BGR2RGB);
  else cv::cvtColor(u8, rgb, cv::COLOR_BGRA2RGB);
  return rgb;
}

namespace {

// ImageNet statistics on RGB, as CRAFT normalises its input.
constexpr float kMean[3] = {0.485f * 255.f, 0.456f * 255.f, 0.406f * 255.f};
constexpr float kInvStd[3] = {1.f / (0.229f * 255.f), 1.f / (0.224f * 255.f),
                              1.f / (0.225f * 255.f)};
// Largest number of input pixels in one forward pass of detect_batch (bounds the
// activation memory: ~16 float channels at half resolution per input pixel / 4).
constexpr std::int64_t kMaxBatchPixels = std::int64_t{1} << 22;

struct Prepared {
  cv::Mat rgb;  // scaled, CV_8UC3
  InputGeometry geom;
};

Prepared prepare(const cv::Mat& image, const CraftConfig& config) {
  Prepared p;
  p.geom = input_geometry(image.size(), config);
  const int depth = image.depth();
  if (depth != CV_8U && depth != CV_16U && depth != CV_32F && depth != CV_64F) {
    p.rgb = to_rgb8(image);  // throws the InputError naming the depth
  }
  try {
    if (p.geom.scaled == image.size()) {
      p.rgb = to_rgb8(image);
    } else {
      // Resize in the image's own type first, so a huge input is never converted
      // (or copied) at full size; INTER_AREA when shrinking avoids aliasing.
      const bool shrink = p.geom.scaled.area() < image.size().area();
      cv::Mat scaled;
      cv::resize(image, scaled, p.geom.scaled, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
      p.rgb = to_rgb8(scaled);
    }
  } catch (const cv::Exception& e) {
    throw InputError(std::string("detector: cannot convert the image (") + e.what() + ")");
  }
  return p;
}

// Writes a normalised, zero-padded (0 = the mean colour after normalisation) NHWC
// float batch; permuting it to NCHW gives a channels-last tensor, the layout the
// fused network runs in.
torch::Tensor to_input(const std::vector<const Prepared*>& batch, cv::Size padded) {
  auto t = torch::zeros({static_cast<int64_t>(batch.size()), padded.height, padded.width, 3},
                        torch::kFloat32);
  float* base = t.data_ptr<float>();
  for (std::size_t n = 0; n < batch.size(); ++n) {
    const cv::Mat& rgb = batch[n]->rgb;
    float* img = base + n * static_cast<std::size_t>(padded.area()) * 3;
    for (int y = 0; y < rgb.rows; ++y) {
      const std::uint8_t* src = rgb.ptr<std::uint8_t>(y);
      float* dst = img + static_cast<std::size_t>(y) * padded.width * 3;
      for (int x = 0; x < rgb.cols * 3; x += 3) {
        dst[x + 0] = (src[x + 0] - kMean[0]) * kInvStd[0];
        dst[x + 1] = (src[x + 1] - kMean[1]) * kInvStd[1];
        dst[x + 2] = (src[x + 2] - kMean[2]) * kInvStd[2];
      }
    }
  }
  return t.permute({0, 3, 1, 2});
}

}  // namespace

struct Detector::Impl {
  CraftConfig config;
  std::string path;
  // forward() is not const in LibTorch; inference modifies neither network.
  mutable DetectorNet net{nullptr};
  bool scripted = false;
  mutable torch::jit::Module script;

  // [N, 3, H, W] → [N, 2, H/2, W/2] (any strides).
  torch::Tensor run(const torch::Tensor& x) const {
    if (!scripted) return net->forward(x);
    auto out = script.forward({x.contiguous()});
    torch::Tensor y;
    if (out.isTensor()) {
      y = out.toTensor();
    } else if (out.isTuple() && !out.toTupleRef().elements().empty() &&
               out.toTupleRef().elements()[0].isTensor()) {
      y = out.toTupleRef().elements()[0].toTensor();
    } else {
      throw ModelError(path + ": TorchScript detector returned neither a tensor nor a tuple "
                              "whose first element is a tensor");
    }
    const std::vector<int64_t> want{x.size(0), x.size(2) / 2, x.size(3) / 2, 2};
    if (!y.sizes().equals(want)) {
      std::ostringstream s;
      s << path << ": TorchScript detector output has shape " << y.sizes() << ", expected "
        << c10::IntArrayRef(want) << " ([N, H/2, W/2, 2])";
      throw ModelError(s.str());
    }
    return y.to(torch::kFloat32).permute({0, 3, 1, 2});
  }
};

namespace {

void check_config(const CraftConfig& c) {
  if (c.canvas < 64 || c.canvas > 4096) {
    throw ConfigError("CraftConfig::canvas = " + std::to_string(c.canvas) +
                      " is outside [64, 4096]");
  }
  if (!(c.magnify >= 0.25f && c.magnify <= 4.f)) {
    throw ConfigError("CraftConfig::magnify = " + std::to_string(c.magnify) +
                      " is outside [0.25, 4]");
  }
}

}  // namespace

Detector::Detector(const CraftConfig& config) : impl_(std::make_unique<Impl>()) {
  check_config(config);
  tune_malloc_for_inference();
  limit_onednn_cache();
  impl_->config = config;
  impl_->path = config.model.empty() ? default_model_dir() + "/detector.pt" : config.model;
  const std::string& path = impl_->path;
  c10::InferenceMode guard;
  if (!config.torchscript) {
    auto loaded = load_detector(path);
    impl_->net = loaded.net;
    impl_->net->fuse_for_inference();
    return;
  }
  {
    std::ifstream f(path, std::ios::binary);
    if (!f) model_error(path, "cannot open TorchScript detector file");
  }
  try {
    impl_->script = torch::jit::load(path, torch::kCPU);
    impl_->script.eval();
  } catch (const c10::Error& e) {
    model_error(path, std::string("not a loadable TorchScript module (") +
                          e.what_without_backtrace() + ")");
  } catch (const std::exception& e) {
    model_error(path, std::string("not a loadable TorchScript module (") + e.what() + ")");
  }
  impl_->scripted = true;
  // Check the output contract on a dummy input once, here, not per image.
  try {
    impl_->run(torch::zeros({1, 3, 64, 96}));
  } catch (const c10::Error& e) {
    model_error(path, std::string("TorchScript detector failed on a 1x3x64x96 input (") +
                          e.what_without_backtrace() + ")");
  }
}

Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

const CraftConfig& Detector::config() const noexcept { return impl_->config; }

ScoreMaps Detector::detect(const cv::Mat& image) const {
  auto maps = detect_batch({image});
  return std::move(maps[0]);
}

namespace {

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;
std::vector<ScoreMaps> run_batch(const Forward& forward, const std::vector<cv::Mat>& images,
                                 const CraftConfig& config, const std::string& path);

}  // namespace

ScoreMaps Detector::detect(const cv::Mat& image, float magnify) const {
  CraftConfig c = impl_->config;
  c.magnify = magnify;
  check_config(c);
  auto maps = run_batch([this](const torch::Tensor& x) { return impl_->run(x); }, {image}, c, impl_->path);
  return std::move(maps[0]);
}

ScoreMaps Detector::detect_scaled(const cv::Mat& image, CharGraph* graph) const {
  ScoreMaps maps = detect(image);
  CharGraph g = postprocess(maps, impl_->config);
  if (const float m = rescale_magnify(g, maps, image.size(), impl_->config); m > 0.f) {
    maps = detect(image, m);
    if (graph != nullptr) g = postprocess(maps, impl_->config);
  }
  if (graph != nullptr) *graph = std::move(g);
  return maps;
}

namespace {

// Shared by Detector::detect_batch and detect_with: `forward` maps a normalised
// [N, 3, H, W] batch to [N, 2, H/2, W/2].
std::vector<ScoreMaps> run_batch(const Forward& forward, const std::vector<cv::Mat>& images,
                                 const CraftConfig& config, const std::string& path) {
  std::vector<Prepared> prepared;
  prepared.reserve(images.size());
  for (const auto& im : images) prepared.push_back(prepare(im, config));

  // Group by padded size (stable: first occurrence order), then split groups so
  // that no forward pass exceeds kMaxBatchPixels.
  std::map<std::pair<int, int>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    const auto& g = prepared[i].geom.padded;
    groups[{g.height, g.width}].push_back(i);
  }

  std::vector<ScoreMaps> out(images.size());
  c10::InferenceMode guard;
  for (const auto& [size, members] : groups) {
    const cv::Size padded(size.second, size.first);
    const auto per_batch = std::max<std::int64_t>(1, kMaxBatchPixels / padded.area());
    for (std::size_t start = 0; start < members.size(); start += per_batch) {
      const std::size_t end = std::min(members.size(), start + static_cast<std::size_t>(per_batch));
      std::vector<const Prepared*> batch;
      for (std::size_t k = start; k < end; ++k) batch.push_back(&prepared[members[k]]);
      torch::Tensor y;
      try {
        y = forward(to_input(batch, padded)).contiguous();
      } catch (const c10::Error& e) {
        throw ModelError(path + ": forward pass failed on a " + std::to_string(padded.width) + "x" +
                         std::to_string(padded.height) + " input (" + e.what_without_backtrace() +
                         ")");
      }
      const int mh = static_cast<int>(y.size(2)), mw = static_cast<int>(y.size(3));
      for (std::size_t k = 0; k < batch.size(); ++k) {
        const Prepared& p = *batch[k];
        // Maps cover the unpadded area: ceil(scaled / 2).
        const int h = std::min(mh, (p.geom.scaled.height + 1) / 2);
        const int w = std::min(mw, (p.geom.scaled.width + 1) / 2);
        const float* base = y.data_ptr<float>() + k * 2 * static_cast<std::size_t>(mh) * mw;
        const cv::Rect crop(0, 0, w, h);
        ScoreMaps& m = out[members[start + k]];
        cv::Mat(mh, mw, CV_32F, const_cast<float*>(base))(crop).copyTo(m.region);
        cv::Mat(mh, mw, CV_32F, const_cast<float*>(base) + static_cast<std::size_t>(mh) * mw)(crop)
            .copyTo(m.affinity);
        m.to_image.step = {2.f / p.geom.scale, 2.f / p.geom.scale};
        m.to_image.offset = {0.f, 0.f};
      }
    }
  }
  return out;
}

}  // namespace

std::vector<ScoreMaps> Detector::detect_batch(const std::vector<cv::Mat>& images) const {
  return run_batch([this](const torch::Tensor& x) { return impl_->run(x); }, images, impl_->config,
                   impl_->path);
}

std::vector<ScoreMaps> detect_with(DetectorNet& net, const std::vector<cv::Mat>& images,
                                   const CraftConfig& config) {
  return run_batch([&net](const torch::Tensor& x) { return net->forward(x); }, images, config,
                   "detector (in memory)");
}

}  // namespace ocr2s::craft
