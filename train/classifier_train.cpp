// Classifier training, fine-tuning, evaluation and temperature calibration.
#include "classifier_train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <numeric>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>

#include "assemble/layout.hpp"
#include "charcls/classifier_net.hpp"
#include "compute_threads.hpp"
#include "craft/detector.hpp"
#include "ocr2s/errors.hpp"
#include "synth/crops.hpp"

namespace ocr2s::train {

using charcls::ClassifierArch;
using charcls::ClassifierModel;
using charcls::ClassifierNet;

// ---- evaluation report -------------------------------------------------------------

double ClassifierEval::class_accuracy(int k) const {
  const long n = class_count(k);
  return n ? double(confusion[k][k]) / n : 0.0;
}

long ClassifierEval::class_count(int k) const {
  if (k < 0 || k >= static_cast<int>(confusion.size())) return 0;
  return std::accumulate(confusion[k].begin(), confusion[k].end(), 0L);
}

std::vector<ClassifierEval::Pair> ClassifierEval::top_confusions(int n) const {
  std::vector<Pair> pairs;
  for (std::size_t t = 0; t < confusion.size(); ++t) {
    for (std::size_t p = 0; p < confusion[t].size(); ++p) {
      if (t != p && confusion[t][p] > 0) {
        pairs.push_back({static_cast<int>(t), static_cast<int>(p), confusion[t][p]});
      }
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair& a, const Pair& b) { return a.count > b.count; });
  if (static_cast<int>(pairs.size()) > n) pairs.resize(n);
  return pairs;
}

std::string ClassifierEval::report(int confusions) const {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2);
  os << "characters: " << 100.0 * char_accuracy() << "% top-1 (" << chars_correct << "/" << chars
     << ")";
  if (rejects) {
    os << "; not-a-character: " << 100.0 * reject_recall() << "% recall (" << rejects_correct << "/"
       << rejects << ")";
  }
  os << "; NLL " << std::setprecision(4) << nll << std::setprecision(2) << "\n";
  for (std::size_t s = 0; s < style_chars.size(); ++s) {
    if (!style_chars[s]) continue;
    const char* name = s == 0 ? "(no style)" : synth::style_name(static_cast<synth::Style>(s - 1));
    os << "  " << std::left << std::setw(10) << name << std::right << " "
       << 100.0 * style_correct[s] / style_chars[s] << "% (" << style_correct[s] << "/"
       << style_chars[s] << ")\n";
  }
  const auto pairs = top_confusions(confusions);
  if (!pairs.empty()) {
    os << "  most confused (truth -> predicted: count):";
    for (const auto& p : pairs) {
      os << "  " << class_names[p.truth] << "->" << class_names[p.predicted] << ": " << p.count;
    }
    os << "\n";
  }
  return os.str();
}

assemble::Charset union_charset(const assemble::Charset& base,
                                const std::vector<std::string>& extra) {
  assemble::Charset cs = base;
  for (const auto& l : extra) {
    if (l.empty() || l == " ") continue;
    if (std::find(cs.labels.begin(), cs.labels.end(), l) == cs.labels.end()) cs.labels.push_back(l);
  }
  return cs;
}

// ---- trainer -----------------------------------------------------------------------

namespace {

torch::Tensor label_tensor(const std::vector<CropSample>& samples) {
  std::vector<int64_t> y;
  y.reserve(samples.size());
  for (const auto& s : samples) y.push_back(s.label);
  return torch::tensor(y, torch::kLong);
}

// A deep copy of a network (same architecture, parameters and buffers copied).
ClassifierNet copy_net(const ClassifierNet& src) {
  ClassifierNet dst(src->arch);
  torch::NoGradGuard no_grad;
  auto params = src->named_parameters();
  for (auto& p : dst->named_parameters()) p.value().copy_(params[p.key()]);
  auto buffers = src->named_buffers();
  for (auto& b : dst->named_buffers()) b.value().copy_(buffers[b.key()]);
  return dst;
}

// Extends a trained model to a superset charset: everything but the output layer
// is copied; output rows of old labels are copied to their new index, the reject
// row stays last, rows of new labels keep their fresh initialisation. The base's
// logit adjustment is taken out of the copied bias (training continues from the
// class-balanced network it was trained as) and returned in *adjust, mapped to
// the new classes, for the caller to add back: new labels get the median of the
// old characters' offsets (a typical character's prior).
ClassifierModel extend_model(const ClassifierModel& base, const assemble::Charset& charset,
                             std::vector<float>* adjust) {
  std::unordered_map<std::string, int> index;
  for (std::size_t k = 0; k < charset.labels.size(); ++k) index[charset.labels[k]] = static_cast<int>(k);
  for (const auto& l : base.charset.labels) {
    if (!index.count(l)) throw InputError("fine-tuning charset lacks the base label \"" + l + "\"");
  }
  ClassifierArch arch = base.net->arch;
  ClassifierModel m = charcls::make_classifier_model(charset, base.crop, arch);
  m.temperature = base.temperature;
  torch::NoGradGuard no_grad;
  auto src_params = base.net->named_parameters();
  for (auto& p : m.net->named_parameters()) {
    if (p.key().rfind("out.", 0) == 0) continue;
    p.value().copy_(src_params[p.key()]);
  }
  auto src_buffers = base.net->named_buffers();
  for (auto& b : m.net->named_buffers()) b.value().copy_(src_buffers[b.key()]);
  auto& w = m.net->out->weight;
  auto& bias = m.net->out->bias;
  const auto& bw = base.net->out->weight;
  const auto& bb = base.net->out->bias;
  const int old_n = static_cast<int>(base.charset.labels.size());
  std::vector<float> base_adj = base.logit_adjust;
  if (static_cast<int>(base_adj.size()) != base.charset.num_classes()) {
    base_adj.assign(base.charset.num_classes(), 0.f);
  }
  std::vector<float> old_chars(base_adj.begin(), base_adj.begin() + old_n);
  std::nth_element(old_chars.begin(), old_chars.begin() + old_n / 2, old_chars.end());
  adjust->assign(charset.num_classes(), old_chars[old_n / 2]);
  for (int k = 0; k < old_n; ++k) {
    const int j = index[base.charset.labels[k]];
    w[j].copy_(bw[k]);
    bias[j].copy_(bb[k] - base_adj[k]);
    (*adjust)[j] = base_adj[k];
  }
  w[charset.reject_class()].copy_(bw[base.charset.reject_class()]);
  bias[charset.reject_class()].copy_(bb[base.charset.reject_class()] - base_adj[old_n]);
  (*adjust)[charset.reject_class()] = base_adj[old_n];
  return m;
}

}  // namespace

struct ClassifierTrainer::Impl {
  TrainClassifierOptions o;
  assemble::Charset charset;
  std::vector<CropSample> samples;
  std::vector<std::vector<int>> by_class;
  std::vector<std::vector<int>> draw_pool;  // by_class with faint crops repeated faint_weight times
  std::vector<int> classes;                   // classes that have samples
  std::discrete_distribution<int> class_dist;  // over `classes`
  ClassifierModel model;
  std::vector<double> prior;                   // class frequencies of the pool (add-one)
  std::vector<ClassifierModel> teachers;       // o.teachers, loaded
  std::vector<torch::Tensor> teacher_adjust;   // each one's logit adjustment, [1, C], to take off
  // Fine-tuning: the base's logit adjustment, kept out of the bias while training
  // and added to the logits when evaluating and to the bias when saving.
  std::vector<float> pending;
  std::unique_ptr<torch::optim::AdamW> opt;
  ClassifierNet ema{nullptr};  // o.ema_decay > 0: the averaged weights
  std::mt19937_64 rng;
  long step = 0;
  double peak_lr = 3e-3;

  double lr_at(long s) const {
    if (s < o.warmup) return peak_lr * (s + 1) / static_cast<double>(o.warmup);
    const double t = std::min(1.0, double(s - o.warmup) / std::max(1L, o.steps - o.warmup));
    return peak_lr * (0.02 + 0.98 * 0.5 * (1.0 + std::cos(M_PI * t)));
  }

  torch::Tensor inputs(const std::vector<const CropSample*>& batch, const AugmentOptions* aug,
                       std::mt19937_64& r) const {
    const cv::Size size = model.crop.size;
    torch::Tensor x = torch::empty({static_cast<int64_t>(batch.size()), 1, size.height, size.width});
    float* dst = x.data_ptr<float>();
    for (const CropSample* s : batch) {
      const cv::Mat in = make_input(*s, size, aug, r);
      for (int y = 0; y < size.height; ++y) {
        std::memcpy(dst, in.ptr<float>(y), sizeof(float) * size.width);
        dst += size.width;
      }
    }
    return x;
  }

  // What evaluation, calibration and saving see: the averaged weights when kept.
  const ClassifierNet& eval_net() const { return ema ? ema : model.net; }

  void update_ema() {
    if (!ema) return;
    const double d = std::min(o.ema_decay, (1.0 + step) / (10.0 + step));
    torch::NoGradGuard no_grad;
    auto params = model.net->named_parameters();
    for (auto& p : ema->named_parameters()) p.value().mul_(d).add_(params[p.key()], 1.0 - d);
    auto buffers = model.net->named_buffers();
    for (auto& b : ema->named_buffers()) {
      if (b.value().is_floating_point()) {
        b.value().mul_(d).add_(buffers[b.key()], 1.0 - d);
      } else {
        b.value().copy_(buffers[b.key()]);
      }
    }
  }

  // Logits [N, C] of the samples, eval mode, no augmentation.
  torch::Tensor logits_of(const std::vector<CropSample>& s) const {
    torch::NoGradGuard no_grad;
    charcls::ClassifierNetImpl* net = eval_net().ptr().get();
    net->eval();
    std::vector<torch::Tensor> parts;
    std::mt19937_64 unused(0);
    for (std::size_t b = 0; b < s.size(); b += 512) {
      std::vector<const CropSample*> batch;
      for (std::size_t i = b; i < std::min(s.size(), b + 512); ++i) batch.push_back(&s[i]);
      parts.push_back(net->forward(inputs(batch, nullptr, unused)));
    }
    if (parts.empty()) return torch::empty({0, charset.num_classes()});
    torch::Tensor logits = torch::cat(parts, 0);
    if (!pending.empty()) logits = logits + torch::tensor(pending).unsqueeze(0);
    return logits;
  }
};

ClassifierTrainer::ClassifierTrainer(TrainClassifierOptions options, assemble::Charset charset,
                                     std::vector<CropSample> samples)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.o = std::move(options);
  m.charset = std::move(charset);
  m.samples = std::move(samples);
  if (m.samples.empty()) throw InputError("classifier training: no training samples");
  torch::manual_seed(m.o.seed);
  m.rng.seed(m.o.seed * 0x9E3779B97F4A7C15ull + 1);
  if (!m.o.base.empty()) {
    const ClassifierModel base = charcls::load_classifier_model(m.o.base);
    m.model = extend_model(base, m.charset, &m.pending);
  } else {
    charcls::ClassifierArch arch;
    if (!m.o.channels.empty()) arch.channels = m.o.channels;
    if (m.o.hidden >= 0) arch.hidden = m.o.hidden;
    m.model = charcls::make_classifier_model(m.charset, m.o.crop, arch);
  }
  if (!m.o.teachers.empty() && (!(m.o.distill_weight >= 0.f && m.o.distill_weight <= 1.f) ||
                                !(m.o.distill_temperature > 0.f))) {
    throw InputError(
        "classifier training: distillation weight must lie in [0, 1] and temperature be > 0");
  }
  for (const std::string& path : m.o.teachers) {
    ClassifierModel t = charcls::load_classifier_model(path);
    if (t.charset.labels != m.charset.labels) {
      throw InputError("classifier training: teacher " + path +
                       " has another charset than the model it teaches (class for class)");
    }
    if (t.crop.size != m.model.crop.size || t.crop.height_factor != m.model.crop.height_factor ||
        t.crop.by_char_width != m.model.crop.by_char_width) {
      throw InputError("classifier training: teacher " + path + " reads another crop geometry");
    }
    std::vector<float> adjust = t.logit_adjust;
    adjust.resize(static_cast<std::size_t>(m.charset.num_classes()), 0.f);
    m.teacher_adjust.push_back(torch::tensor(adjust).unsqueeze(0));
    t.net->eval();
    m.teachers.push_back(std::move(t));
  }
  m.model.train_seed = static_cast<std::int64_t>(m.o.seed);
  m.model.train_command = m.o.command;
  m.peak_lr = m.o.lr > 0 ? m.o.lr : (m.o.base.empty() ? 3e-3 : 1e-3);

  if (m.o.faint_weight < 1)
    throw InputError("classifier training: faint_weight must be at least 1");
  if (m.o.mined_reject_weight < 1)
    throw InputError("classifier training: mined_reject_weight must be at least 1");
  m.by_class.assign(m.charset.num_classes(), {});
  m.draw_pool.assign(m.charset.num_classes(), {});
  for (std::size_t i = 0; i < m.samples.size(); ++i) {
    const int l = m.samples[i].label;
    if (l < 0 || l >= m.charset.num_classes()) {
      throw InputError("classifier training: sample label " + std::to_string(l) + " out of range");
    }
    m.by_class[l].push_back(static_cast<int>(i));
    m.draw_pool[l].insert(m.draw_pool[l].end(), static_cast<std::size_t>(pool_copies(i)),
                          static_cast<int>(i));
  }
  double total = 0;
  for (int k = 0; k < m.charset.num_classes(); ++k) {
    m.prior.push_back(m.by_class[k].size() + 1.0);
    total += m.prior.back();
  }
  for (double& p : m.prior) p /= total;
  std::vector<double> weights;
  for (int k = 0; k < m.charset.num_classes(); ++k) {
    if (m.by_class[k].empty()) continue;
    m.classes.push_back(k);
    weights.push_back(k == m.charset.reject_class() ? m.o.reject_weight : 1.0);
  }
  m.class_dist = std::discrete_distribution<int>(weights.begin(), weights.end());
  m.opt = std::make_unique<torch::optim::AdamW>(
      m.model.net->parameters(),
      torch::optim::AdamWOptions(m.peak_lr).weight_decay(m.o.weight_decay));
  if (!(m.o.ema_decay >= 0.0 && m.o.ema_decay < 1.0)) {
    throw InputError("classifier training: ema_decay must lie in [0, 1)");
  }
  if (m.o.ema_decay > 0.0) {
    m.ema = copy_net(m.model.net);
    m.ema->eval();
  }
}

ClassifierTrainer::~ClassifierTrainer() = default;

int ClassifierTrainer::pool_copies(std::size_t i) const {
  const Impl& m = *impl_;
  const CropSample& s = m.samples.at(i);
  if (s.mined && s.label == m.charset.reject_class()) return m.o.mined_reject_weight;
  return s.legibility < m.o.faint_below ? m.o.faint_weight : 1;
}

float ClassifierTrainer::step() {
  Impl& m = *impl_;
  const double lr = m.lr_at(m.step);
  for (auto& g : m.opt->param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
  }
  std::vector<const CropSample*> batch;
  std::vector<int64_t> labels;
  for (int b = 0; b < m.o.batch; ++b) {
    const int cls = m.classes[m.class_dist(m.rng)];
    const auto& pool = m.draw_pool[cls];
    const CropSample& s = m.samples[pool[m.rng() % pool.size()]];
    batch.push_back(&s);
    labels.push_back(s.label);
  }
  torch::Tensor x = m.inputs(batch, &m.o.aug, m.rng);
  torch::Tensor y = torch::tensor(labels, torch::kLong);
  m.model.net->train();
  const torch::Tensor logits = m.model.net->forward(x);
  torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
  if (!m.teachers.empty()) {
    torch::Tensor soft;
    {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < m.teachers.size(); ++i) {
        const torch::Tensor p = torch::softmax(
            (m.teachers[i].net->forward(x) - m.teacher_adjust[i]) / m.o.distill_temperature, 1);
        soft = i == 0 ? p : soft + p;
      }
      soft = soft / static_cast<double>(m.teachers.size());
    }
    const double t = m.o.distill_temperature, w = m.o.distill_weight;
    const torch::Tensor kl = torch::nn::functional::kl_div(
        torch::log_softmax(logits / t, 1), soft,
        torch::nn::functional::KLDivFuncOptions().reduction(torch::kBatchMean));
    loss = (1.0 - w) * loss + w * t * t * kl;
  }
  m.opt->zero_grad();
  loss.backward();
  m.opt->step();
  m.update_ema();
  ++m.step;
  return loss.item<float>();
}

long ClassifierTrainer::steps_done() const { return impl_->step; }
float ClassifierTrainer::temperature() const { return impl_->model.temperature; }
const assemble::Charset& ClassifierTrainer::charset() const { return impl_->charset; }
std::int64_t ClassifierTrainer::flops() const { return impl_->model.net->arch.flops(); }

ClassifierEval ClassifierTrainer::evaluate(const std::vector<CropSample>& samples,
                                          const std::vector<bool>* allowed) const {
  const Impl& m = *impl_;
  ClassifierEval e;
  const int C = m.charset.num_classes();
  e.class_names = m.charset.labels;
  e.class_names.push_back("<reject>");
  e.confusion.assign(C, std::vector<long>(C, 0));
  e.style_chars.assign(synth::kNumStyles + 1, 0);
  e.style_correct.assign(synth::kNumStyles + 1, 0);
  if (samples.empty()) return e;
  torch::Tensor logits = m.logits_of(samples);
  if (allowed) {
    if (static_cast<int>(allowed->size()) != C) {
      throw InputError("classifier evaluation: class mask of size " + std::to_string(allowed->size()) +
                       " for " + std::to_string(C) + " classes");
    }
    std::vector<float> mask(C);
    for (int k = 0; k < C; ++k) mask[k] = (*allowed)[k] ? 0.f : -1e30f;
    logits = logits + torch::tensor(mask).unsqueeze(0);
  }
  torch::Tensor y = label_tensor(samples);
  const torch::Tensor scaled = logits / m.model.temperature;
  e.nll = torch::nn::functional::cross_entropy(scaled, y).item<double>();
  const auto [best, pred_t] = torch::softmax(scaled, 1).max(1);
  const torch::Tensor pred = pred_t.contiguous();
  const torch::Tensor prob = best.contiguous();
  const int64_t* p = pred.data_ptr<int64_t>();
  const float* pp = prob.data_ptr<float>();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const int t = samples[i].label;
    const int q = static_cast<int>(p[i]);
    e.confusion[t][q] += 1;
    if (q != t) e.misses.push_back({i, t, q, pp[i]});
    if (t == m.charset.reject_class()) {
      ++e.rejects;
      e.rejects_correct += q == t;
    } else {
      ++e.chars;
      e.chars_correct += q == t;
      const int s = std::clamp(samples[i].style + 1, 0, synth::kNumStyles);
      ++e.style_chars[s];
      e.style_correct[s] += q == t;
    }
  }
  return e;
}

float ClassifierTrainer::calibrate(const std::vector<CropSample>& samples) {
  Impl& m = *impl_;
  if (samples.empty()) return m.model.temperature;
  torch::Tensor logits = m.logits_of(samples);
  torch::Tensor y = label_tensor(samples);
  auto nll = [&](double log_t) {
    return torch::nn::functional::cross_entropy(logits / std::exp(log_t), y).item<double>();
  };
  // NLL(T) is unimodal in log T for a fixed set of logits: golden-section search.
  double a = std::log(0.05), b = std::log(20.0);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = nll(c), fd = nll(d);
  for (int it = 0; it < 40; ++it) {
    if (fc < fd) {
      b = d; d = c; fd = fc;
      c = b - g * (b - a); fc = nll(c);
    } else {
      a = c; c = d; fc = fd;
      d = a + g * (b - a); fd = nll(d);
    }
  }
  m.model.temperature = static_cast<float>(std::exp(0.5 * (a + b)));
  return m.model.temperature;
}

float ClassifierTrainer::adjust_prior(const std::vector<CropSample>& samples) {
  Impl& m = *impl_;
  if (samples.empty()) return 0.f;
  const torch::Tensor logits = m.logits_of(samples);
  const torch::Tensor y = label_tensor(samples);
  std::vector<float> log_prior;
  for (double p : m.prior) log_prior.push_back(static_cast<float>(std::log(p)));
  const torch::Tensor lp = torch::tensor(log_prior).unsqueeze(0);
  float best_tau = 0.f;
  double best = -1;
  for (float tau : {0.f, 0.25f, 0.5f, 0.75f, 1.f}) {
    const double acc = (logits + tau * lp).argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
    if (acc > best + 1e-9) {  // ties keep the smaller τ
      best = acc;
      best_tau = tau;
    }
  }
  const torch::Tensor offset = best_tau * lp.squeeze(0);
  if (m.model.logit_adjust.empty()) m.model.logit_adjust.assign(m.charset.num_classes(), 0.f);
  for (int k = 0; k < m.charset.num_classes(); ++k) {
    m.model.logit_adjust[k] += offset[k].item<float>();
  }
  if (!m.pending.empty()) {  // fine-tuning: part of the pending offsets
    for (int k = 0; k < m.charset.num_classes(); ++k) m.pending[k] += offset[k].item<float>();
  } else {
    torch::NoGradGuard no_grad;
    m.model.net->out->bias.add_(offset);
    if (m.ema) m.ema->out->bias.add_(offset);
  }
  return best_tau;
}

void ClassifierTrainer::save(const std::string& path, const std::string& notes) const {
  const Impl& m = *impl_;
  ClassifierModel copy = m.model;
  copy.net = m.eval_net();
  copy.train_notes = notes;
  if (!m.pending.empty()) {
    // Bake the pending offsets into a copy; the training network stays untouched.
    copy.net = copy_net(m.eval_net());
    torch::NoGradGuard no_grad;
    copy.net->out->bias.add_(torch::tensor(m.pending));
    copy.logit_adjust = m.pending;
  }
  copy.net->eval();
  charcls::save_classifier_model(copy, path);
}

// ---- the whole run --------------------------------------------------------------------

namespace {

std::vector<synth::Style> parse_styles(const std::string& list) {
  std::vector<synth::Style> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto s = synth::parse_style(item);
    if (!s) throw InputError("unknown style \"" + item + "\"");
    out.push_back(*s);
  }
  return out;
}

std::vector<CropSample> generate(const TrainClassifierOptions& o,
                                 const std::vector<std::string>& labels,
                                 const assemble::Charset& cs, std::uint64_t seed, int images,
                                 float context, const craft::Detector* miner = nullptr,
                                 float min_cnr = -1.f) {
  SynthCropOptions so;
  if (min_cnr >= 0.f) so.synth.min_cnr = min_cnr;
  so.synth.styles = parse_styles(o.styles);
  so.synth.charset = charset_string(labels);
  so.seed = seed;
  so.images = images;
  so.crop = o.crop;
  so.context = context;
  so.reject_ratio = o.reject_ratio;
  so.threads = o.threads;
  so.mine_characters = o.mine_characters;
  if (miner) {
    so.detect = [miner](const cv::Mat& image) {
      craft::CharGraph graph;
      miner->detect_scaled(image, &graph);
      const AssembleConfig assemble;
      auto lines = assemble::build_lines(graph, assemble);
      assemble::mark_unsure(lines, graph, miner->config().confirm_threshold);
      return lines;
    };
  }
  return synth_crops(so, cs);
}

// Counts per class of the crops in `s` (only the mined ones with mined_only).
std::string class_stats(const std::vector<CropSample>& s, const assemble::Charset& cs,
                        bool mined_only = false) {
  std::vector<long> n(cs.num_classes(), 0);
  long total = 0;
  for (const auto& x : s) {
    if (mined_only && !x.mined) continue;
    ++n[x.label];
    ++total;
  }
  long lo = -1, hi = 0, present = 0;
  std::string rarest;
  for (int k = 0; k < cs.reject_class(); ++k) {
    if (!n[k]) continue;
    ++present;
    hi = std::max(hi, n[k]);
    if (lo < 0 || n[k] < lo) {
      lo = n[k];
      rarest = cs.labels[k];
    }
  }
  std::ostringstream os;
  os << total << " crops, " << present << "/" << cs.labels.size() << " classes present, "
     << n[cs.reject_class()] << " reject";
  if (present) os << ", per class " << lo << " ('" << rarest << "') to " << hi;
  return os.str();
}

}  // namespace

int write_misses(const std::string& dir, const std::vector<CropSample>& samples,
                 const ClassifierEval& e, cv::Size size) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError("classifier errors: cannot create " + dir + ": " + ec.message());
  // Folder-name spelling; the last class (reject) as crop_label_dir spells "".
  const auto name = [&](int k) {
    return synth::crop_label_dir(k >= 0 && k + 1 < static_cast<int>(e.class_names.size())
                                     ? e.class_names[static_cast<std::size_t>(k)]
                                     : std::string());
  };
  const auto text = [&](int k) {
    return k >= 0 && k < static_cast<int>(e.class_names.size())
               ? e.class_names[static_cast<std::size_t>(k)]
               : std::string("<reject>");
  };
  std::ofstream tsv(fs::path(dir) / "errors.tsv");
  tsv << "file\ttruth\tpredicted\tprobability\tstyle\tlegibility\n";
  int written = 0;
  for (const auto& m : e.misses) {
    if (m.sample >= samples.size()) {
      throw InputError("classifier errors: sample " + std::to_string(m.sample) + " of " +
                       std::to_string(samples.size()));
    }
    const CropSample& s = samples[m.sample];
    char index[24];
    std::snprintf(index, sizeof index, "%05zu", m.sample);
    const std::string file =
        std::string(index) + "_" + name(m.truth) + "_as_" + name(m.predicted) + ".png";
    const std::string path = (fs::path(dir) / file).string();
    if (!cv::imwrite(path, sample_crop_u8(s, size))) {
      throw InputError("classifier errors: cannot write " + path);
    }
    tsv << file << '\t' << text(m.truth) << '\t' << text(m.predicted) << '\t' << m.probability
        << '\t' << (s.style >= 0 ? synth::style_name(static_cast<synth::Style>(s.style)) : "")
        << '\t';
    if (std::isfinite(s.legibility)) tsv << s.legibility;
    tsv << '\n';
    ++written;
  }
  tsv.flush();
  if (!tsv)
    throw InputError("classifier errors: cannot write " + (fs::path(dir) / "errors.tsv").string());
  return written;
}

TrainClassifierResult train_classifier(const TrainClassifierOptions& options, std::ostream& log) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto elapsed = [&]() { return std::chrono::duration<double>(clock::now() - t0).count(); };
  TrainClassifierOptions o = options;
  if (o.data.empty() && !o.synth) throw InputError("train classifier: give --data DIR and/or --synth");
  set_compute_threads(std::max(1, o.threads));

  // ---- charset and crop geometry ----
  assemble::Charset cs;
  std::vector<std::string> base_labels;
  FolderCrops folder;
  if (!o.data.empty()) folder = read_crop_folder(o.data, o.crop.size);
  if (!o.base.empty()) {
    const ClassifierModel base = charcls::load_classifier_model(o.base);
    o.crop = base.crop;
    if (!o.data.empty() && folder.crops.front().size() != o.crop.size) {
      folder = read_crop_folder(o.data, o.crop.size);
    }
    base_labels = base.charset.labels;
    std::vector<std::string> extra = folder.labels;
    if (o.charset_given) {
      for (const auto& l : charset_from_string(o.charset).labels) extra.push_back(l);
    }
    cs = union_charset(base.charset, extra);
    log << "fine-tuning " << o.base << ": " << base.charset.labels.size() << " labels -> "
        << cs.labels.size() << " (new:";
    for (std::size_t k = base.charset.labels.size(); k < cs.labels.size(); ++k) log << " " << cs.labels[k];
    log << ")\n";
  } else if (o.synth || o.charset_given) {
    cs = charset_from_string(o.charset);
  } else {
    cs = union_charset({}, folder.labels);
  }

  // ---- data ----
  std::vector<CropSample> train, val;
  if (!o.data.empty()) {
    int dropped = 0;
    train = samples_from_folder(folder, cs, &dropped);
    if (dropped) log << "skipped " << dropped << " folder crops whose label is not in the charset\n";
    log << "folder " << o.data << ": " << class_stats(train, cs) << "\n";
  }
  if (o.val.empty() && !train.empty()) {
    // Hold out every 10th folder crop (after a seeded shuffle) for validation.
    std::mt19937_64 r(o.seed + 99);
    std::shuffle(train.begin(), train.end(), r);
    std::vector<CropSample> keep;
    for (std::size_t i = 0; i < train.size(); ++i) {
      (i % 10 == 9 ? val : keep).push_back(std::move(train[i]));
    }
    train = std::move(keep);
  }
  const std::vector<std::string> synth_labels = o.base.empty() ? cs.labels : base_labels;
  const bool replay = !o.base.empty() && o.replay_images > 0;
  if (o.synth || replay) {
    const int images = o.synth ? o.synth_images : o.replay_images;
    std::unique_ptr<craft::Detector> miner;
    if (!o.mine_detector.empty()) {
      CraftConfig cc;
      cc.model = o.mine_detector;
      miner = std::make_unique<craft::Detector>(cc);
    }
    auto s = generate(o, synth_labels, cs, o.seed, images, /*context=*/1.5f, miner.get(),
                      o.train_min_cnr);
    log << (o.synth ? "synthetic" : "replay") << " (seed " << o.seed << ", " << images
        << " images): " << class_stats(s, cs) << "  [" << elapsed() << " s]\n";
    if (miner) {
      log << "  of which mined from " << o.mine_detector
          << "'s detections: " << class_stats(s, cs, /*mined_only=*/true) << "\n";
    }
    for (auto& x : s) train.push_back(std::move(x));
    if (o.val.empty() || !o.base.empty()) {  // fine-tuning: always check the old classes
      auto v = generate(o, synth_labels, cs, o.val_seed, o.val_images, /*context=*/1.f);
      log << "synthetic validation (seed " << o.val_seed << ", " << o.val_images
          << " images): " << class_stats(v, cs) << "  [" << elapsed() << " s]\n";
      for (auto& x : v) val.push_back(std::move(x));
    }
  }
  // Calibration crops (logit adjustment, temperature): synthetic from another unseen
  // seed when generating, so the reported validation is not also what was fitted.
  std::vector<CropSample> calib;
  if (o.synth && o.base.empty()) {
    const int images = std::max(1, o.val_images / 2);
    calib = generate(o, synth_labels, cs, o.val_seed + 1, images, /*context=*/1.f);
    log << "synthetic calibration (seed " << o.val_seed + 1 << ", " << images
        << " images): " << class_stats(calib, cs) << "  [" << elapsed() << " s]\n";
  }
  if (!o.val.empty()) {
    int dropped = 0;
    auto v = samples_from_folder(read_crop_folder(o.val, o.crop.size), cs, &dropped);
    log << "validation folder " << o.val << ": " << class_stats(v, cs) << "\n";
    for (auto& x : v) val.push_back(std::move(x));
  }
  log << "training pool: " << class_stats(train, cs) << "\n";
  if (o.epochs > 0) {
    o.steps = std::max(1L, static_cast<long>(std::ceil(o.epochs * train.size() / o.batch)));
  }

  // Fine-tuning: validation crops of the base classes and of the new ones, and the
  // base model's own accuracy on the former (its classes only).
  const int old_labels = static_cast<int>(base_labels.size());
  std::vector<CropSample> val_old, val_new;
  std::vector<bool> old_mask;
  if (!o.base.empty()) {
    old_mask.assign(cs.num_classes(), false);
    for (int k = 0; k < old_labels; ++k) old_mask[k] = true;
    old_mask[cs.reject_class()] = true;
    for (const auto& v : val) {
      if (v.label < old_labels) val_old.push_back(v);
      else if (v.label < cs.reject_class()) val_new.push_back(v);
    }
  }

  ClassifierTrainer trainer(o, cs, std::move(train));
  TrainClassifierResult r;
  if (!val_old.empty()) {
    const ClassifierEval e = trainer.evaluate(val_old, &old_mask);
    r.old_before = e.char_accuracy();
    r.old_count = e.chars;
    log << "base model on " << e.chars << " validation crops of its classes: " << std::fixed
        << std::setprecision(2) << 100.0 * r.old_before << "% top-1\n" << std::defaultfloat
        << std::setprecision(6);
  }
  log << "network: " << trainer.flops() / 1e6 << " MFLOP per crop, " << cs.num_classes()
      << " classes; " << o.steps << " steps x " << o.batch << " crops\n";

  auto notes = [&](const ClassifierEval& e) {
    std::ostringstream os;
    os << "data: " << (o.synth ? "synthetic seed " + std::to_string(o.seed) + " (" +
                                     std::to_string(o.synth_images) + " images)"
                               : std::string())
       << (o.data.empty() ? "" : " folder " + o.data)
       << (o.base.empty() ? "" : "; fine-tuned from " + o.base) << "; steps " << trainer.steps_done()
       << "; logit adjustment tau " << r.prior_tau << "; temperature " << trainer.temperature()
       << "; validation: " << e.report(5);
    return os.str();
  };

  double loss_sum = 0;
  long loss_n = 0;
  auto last = clock::now();
  long last_step = 0;
  while (trainer.steps_done() < o.steps) {
    loss_sum += trainer.step();
    ++loss_n;
    const long s = trainer.steps_done();
    if (s % o.log_every == 0 || s == o.steps) {
      const double dt = std::chrono::duration<double>(clock::now() - last).count();
      log << "step " << s << "/" << o.steps << "  loss " << std::fixed << std::setprecision(4)
          << loss_sum / loss_n << "  " << std::setprecision(0)
          << (s - last_step) * o.batch / std::max(dt, 1e-9) << " crops/s  " << std::setprecision(1)
          << elapsed() << " s" << std::defaultfloat << std::setprecision(6) << "\n"
          << std::flush;
      loss_sum = 0;
      loss_n = 0;
      last = clock::now();
      last_step = s;
    }
    if (o.val_every > 0 && s % o.val_every == 0 && s < o.steps && !val.empty()) {
      const ClassifierEval e = trainer.evaluate(val);
      log << "validation @" << s << ": " << e.report(5) << std::flush;
      trainer.save(o.out, notes(e));
      last = clock::now();
    }
  }

  if (calib.empty()) calib = val;
  if (!calib.empty()) {
    if (o.prior_adjust && o.base.empty()) {
      r.prior_tau = trainer.adjust_prior(calib);
      log << "logit adjustment: tau " << r.prior_tau << " (picked on " << calib.size()
          << " calibration crops)\n";
    }
    const float t = trainer.calibrate(calib);
    log << "temperature " << t << " (calibrated on " << calib.size() << " crops)\n";
  }
  if (!val.empty()) {
    r.val = trainer.evaluate(val);
    log << "final validation: " << r.val.report(12);
    if (!o.errors_dir.empty()) {
      const int n = write_misses(o.errors_dir, val, r.val, o.crop.size);
      log << "wrote " << n << " misclassified validation crops to " << o.errors_dir << "\n";
    }
  }
  if (!o.base.empty()) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(2);
    if (!val_old.empty()) {
      r.old_after = trainer.evaluate(val_old).char_accuracy();
      os << "old classes: " << 100.0 * r.old_before << "% -> " << 100.0 * r.old_after << "% top-1 ("
         << r.old_count << " crops)\n";
    }
    if (!val_new.empty()) {
      const ClassifierEval e = trainer.evaluate(val_new);
      r.new_after = e.char_accuracy();
      r.new_count = e.chars;
      os << "new classes: " << 100.0 * r.new_after << "% top-1 (" << e.chars << " crops):";
      for (int k = old_labels; k < cs.reject_class(); ++k) {
        if (e.class_count(k)) {
          os << "  " << cs.labels[k] << " " << 100.0 * e.class_accuracy(k) << "% of "
             << e.class_count(k);
        }
      }
      os << "\n";
    }
    log << os.str();
  }
  trainer.save(o.out, notes(r.val));
  r.charset = trainer.charset();
  r.temperature = trainer.temperature();
  r.seconds = elapsed();
  log << "wrote " << o.out << "  (" << std::fixed << std::setprecision(1) << r.seconds
      << " s)\n" << std::defaultfloat << std::setprecision(6);
  return r;
}

}  // namespace ocr2s::train
