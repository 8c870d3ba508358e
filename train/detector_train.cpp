// Detector training: OHEM MSE loss, the AdamW loop, checkpoints, validation.
// The only Torch translation unit of the detector's training code.
#include "detector_train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <sstream>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "compute_threads.hpp"
#include "craft/detector_net.hpp"
#include "detector_loss.hpp"
#include "ocr2s/errors.hpp"
#include "synth/rng.hpp"

namespace ocr2s::train {

torch::Tensor ohem_reduce(const torch::Tensor& pixel_loss, const torch::Tensor& target,
                          double neg_ratio, std::int64_t min_negatives, double positive_threshold) {
  TORCH_CHECK(pixel_loss.sizes() == target.sizes(), "ohem: loss ", pixel_loss.sizes(),
              " vs target ", target.sizes());
  const auto rows = pixel_loss.size(0) * pixel_loss.size(1);
  const auto px = pixel_loss.reshape({rows, -1});
  const auto pos = (target > positive_threshold).reshape({rows, -1});
  const auto n_pos = pos.sum(1).to(torch::kCPU);
  const auto* n_pos_ptr = n_pos.data_ptr<std::int64_t>();
  // Positives never compete for the hard-negative slots (losses are ≥ 0).
  const auto neg_px = px.masked_fill(pos, -1.0);
  std::vector<torch::Tensor> per_row;
  per_row.reserve(rows);
  const auto len = px.size(1);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto np = n_pos_ptr[r];
    const auto n_neg = len - np;
    torch::Tensor l = torch::zeros({}, px.options());
    if (np > 0) l = l + px[r].masked_select(pos[r]).mean();
    const auto k = std::min<std::int64_t>(
        n_neg, std::max<std::int64_t>(min_negatives, static_cast<std::int64_t>(neg_ratio * np)));
    if (k > 0) l = l + std::get<0>(neg_px[r].topk(k)).mean();
    per_row.push_back(l);
  }
  return torch::stack(per_row).mean();
}

torch::Tensor ohem_mse_loss(const torch::Tensor& pred, const torch::Tensor& target,
                            double neg_ratio, std::int64_t min_negatives,
                            double positive_threshold) {
  return ohem_reduce((pred - target).pow(2), target, neg_ratio, min_negatives,
                     positive_threshold);
}

torch::Tensor ohem_bce_loss(const torch::Tensor& logits, const torch::Tensor& target,
                            double neg_ratio, std::int64_t min_negatives,
                            double positive_threshold) {
  // Minus the entropy of the soft target, so a perfect prediction has loss 0 and
  // pixels rank by how far they are from their target, not by the target's entropy.
  const auto t = target.clamp(1e-6, 1.0 - 1e-6);
  const auto entropy = -(t * t.log() + (1 - t) * (1 - t).log());
  const auto bce = torch::binary_cross_entropy_with_logits(
      logits, target, /*weight=*/{}, /*pos_weight=*/{}, at::Reduction::None);
  return ohem_reduce(bce - entropy, target, neg_ratio, min_negatives, positive_threshold);
}

namespace {

// Patches cut from each decoded image per batch.
constexpr int kPatchesPerImage = 2;

// Cosine decay after a linear warm-up, to 2 % of the peak.
double lr_at(long step, const TrainDetectorOptions& o) {
  if (step < o.warmup) return o.lr * (step + 1) / static_cast<double>(o.warmup);
  const double t = std::min(1.0, static_cast<double>(step - o.warmup) /
                                     std::max<long>(1, o.steps - o.warmup));
  return o.lr * (0.02 + 0.98 * 0.5 * (1.0 + std::cos(3.14159265358979323846 * t)));
}

std::string fmt_duration(double seconds) {
  const long s = static_cast<long>(std::max(0.0, seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

}  // namespace

struct DetectorTrainer::Impl {
  TrainDetectorOptions opt;
  DetectorDataset data;
  craft::DetectorNet net{nullptr};
  std::unique_ptr<torch::optim::AdamW> optim;
  long step = 0;
  double data_seconds = 0.0;  // time spent making batches (decode, augment, targets)
  std::string init_report;

  Impl(TrainDetectorOptions o, DetectorDataset d) : opt(std::move(o)), data(std::move(d)) {
    if (data.size() == 0) throw InputError("train detector: the training set is empty");
    if (opt.loss != "mse" && opt.loss != "bce") {
      throw InputError("train detector: --loss must be mse or bce, got '" + opt.loss + "'");
    }
    if (opt.batch < 1) throw InputError("train detector: --batch must be ≥ 1");
    if (opt.aug.patch < 64 || opt.aug.patch % 32 != 0) {
      throw InputError("train detector: patch " + std::to_string(opt.aug.patch) +
                       " must be a multiple of 32, at least 64");
    }
    torch::manual_seed(opt.seed);
    net = craft::DetectorNet(craft::DetectorArch{});
    {
      // Start the head near "no text" (sigmoid(−3) ≈ 0.05): almost every pixel is
      // background, so this skips a long first phase of learning the prior.
      torch::NoGradGuard ng;
      net->head->bias.fill_(-3.0);
      // Channels-last weights, like the inputs (see make_batch).
      for (auto& p : net->parameters()) {
        if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
      }
    }
    if (!opt.init.empty()) init_from(opt.init);
    net->train();
    optim = std::make_unique<torch::optim::AdamW>(
        net->parameters(), torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay));
  }

  // Copies the weights and BatchNorm statistics of a model or checkpoint; the
  // optimiser and the schedule start fresh (fine-tuning). The architectures may
  // differ by added blocks (this build's defaults grew since): tensors are matched
  // by name and shape, new blocks keep their near-identity initialisation; a
  // tensor present in both with different shapes is an error.
  void init_from(const std::string& path) {
    auto loaded = craft::load_detector(path);
    torch::NoGradGuard ng;
    auto src = loaded.net->named_parameters(true);
    auto srcb = loaded.net->named_buffers(true);
    std::size_t copied = 0, fresh = 0;
    const auto copy = [&](const std::string& name, torch::Tensor& dst, const torch::Tensor* from) {
      if (from == nullptr) {
        ++fresh;
        return;
      }
      if (!from->sizes().equals(dst.sizes())) {
        throw ModelError(path + ": '" + name + "' has a different shape than in this build's detector");
      }
      dst.copy_(*from);
      ++copied;
    };
    for (auto& p : net->named_parameters(true)) copy(p.key(), p.value(), src.find(p.key()));
    for (auto& b : net->named_buffers(true)) copy(b.key(), b.value(), srcb.find(b.key()));
    if (copied == 0) throw ModelError(path + ": no tensor fits this build's detector");
    init_report = "initialised from " + path + ": " + std::to_string(copied) + " tensors copied, " +
                  std::to_string(fresh) + " new";
  }

  // The batch that step `s` draws: a pure function of (seed, s).
  std::pair<torch::Tensor, torch::Tensor> make_batch(long s) {
    const int P = opt.aug.patch, B = opt.batch;
    auto x = torch::empty({B, P, P, 3}, torch::kUInt8);
    auto y = torch::empty({B, 2, P / 2, P / 2}, torch::kFloat32);
    // kPatchesPerImage consecutive slots share an image (decoding dominates the
    // data cost); each gets its own crop and augmentation.
    cv::Mat image;
    std::size_t idx = 0;
    for (int b = 0; b < B; ++b) {
      const std::uint64_t step_seed = synth::mix_seed(opt.seed, static_cast<std::uint64_t>(s));
      if (b % kPatchesPerImage == 0) {
        synth::Rng pick(synth::mix_seed(step_seed, static_cast<std::uint64_t>(b / kPatchesPerImage)));
        idx = static_cast<std::size_t>(pick.next() % data.size());
        image = data.image(idx);
      }
      synth::Rng rng(synth::mix_seed(step_seed, 0x5EED0000ull + static_cast<std::uint64_t>(b)));
      const auto& item = data.item(idx);
      const Patch p = make_patch(image, item.words, item.char_height, opt.aug, rng.next());
      std::memcpy(x[b].data_ptr<std::uint8_t>(), p.rgb.data, static_cast<std::size_t>(P) * P * 3);
      std::memcpy(y[b][0].data_ptr<float>(), p.region.ptr<float>(),
                  sizeof(float) * (P / 2) * (P / 2));
      std::memcpy(y[b][1].data_ptr<float>(), p.affinity.ptr<float>(),
                  sizeof(float) * (P / 2) * (P / 2));
    }
    // Channels-last: oneDNN's fast layout for depthwise convolutions (NCHW depthwise
    // falls back to a ~10x slower kernel here).
    return {craft::normalize_rgb(x).contiguous(at::MemoryFormat::ChannelsLast), y};
  }

  float train_step() {
    const auto t0 = std::chrono::steady_clock::now();
    auto [x, y] = make_batch(step);
    data_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& g : optim->param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr_at(step, opt));
    }
    optim->zero_grad();
    auto loss = compute_loss(x, y);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), 5.0);
    optim->step();
    ++step;
    const float l = loss.item<float>();
    if (!std::isfinite(l)) {
      throw ModelError("train detector: loss became " + std::to_string(l) + " at step " +
                       std::to_string(step) + " (lower --lr)");
    }
    return l;
  }

  torch::Tensor compute_loss(const torch::Tensor& x, const torch::Tensor& y) {
    if (opt.loss == "bce") return ohem_bce_loss(net->logits(x), y);
    return ohem_mse_loss(net->forward(x), y);
  }

  craft::DetectorMeta meta(const std::string& notes) const {
    craft::DetectorMeta m;
    m.train_command = opt.command;
    m.seed = static_cast<std::int64_t>(opt.seed);
    m.steps = step;
    std::string folders;
    for (const auto& d : opt.data) folders += (folders.empty() ? "" : " + ") + d;
    m.data = folders + " (" + std::to_string(data.size()) + " images)";
    m.notes = notes;
    return m;
  }
};

DetectorTrainer::DetectorTrainer(TrainDetectorOptions options, DetectorDataset data)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(data))) {}
DetectorTrainer::~DetectorTrainer() = default;

float DetectorTrainer::step() { return impl_->train_step(); }
long DetectorTrainer::steps_done() const { return impl_->step; }
double DetectorTrainer::data_seconds() const { return impl_->data_seconds; }
const std::string& DetectorTrainer::init_report() const { return impl_->init_report; }

float DetectorTrainer::batch_loss(long step_index) {
  auto [x, y] = impl_->make_batch(step_index);
  torch::NoGradGuard ng;
  // Train-mode BatchNorm (batch statistics), as the step itself sees it; the
  // running statistics it updates do not affect train-mode outputs.
  return impl_->compute_loss(x, y).item<float>();
}

DetectionReport DetectorTrainer::validate(const DetectorDataset& val, std::size_t limit) {
  auto& net = impl_->net;
  net->eval();
  const CraftConfig config;
  DetectionReport r;
  try {
    r = evaluate_detector(
        [&](const cv::Mat& im) { return craft::detect_with(net, {im}, config)[0]; }, val, config,
        limit);
  } catch (...) {
    net->train();
    throw;
  }
  net->train();
  return r;
}

void DetectorTrainer::save_model(const std::string& path, const std::string& notes) {
  craft::save_detector(impl_->net, impl_->meta(notes), path);
}

void DetectorTrainer::save_checkpoint(const std::string& path) {
  torch::serialize::OutputArchive extra;
  impl_->optim->save(extra);
  craft::save_detector(impl_->net, impl_->meta("checkpoint"), path, &extra);
}

void DetectorTrainer::resume(const std::string& checkpoint) {
  torch::serialize::InputArchive extra;
  bool has_extra = false;
  auto loaded = craft::load_detector(checkpoint, &extra, &has_extra);
  if (!(loaded.net->arch() == impl_->net->arch())) {
    throw ModelError(checkpoint + ": checkpoint architecture differs from this build's detector");
  }
  if (!has_extra) throw ModelError(checkpoint + ": not a checkpoint (no optimiser state)");
  {
    torch::NoGradGuard ng;
    auto dst = impl_->net->named_parameters(true);
    for (const auto& p : loaded.net->named_parameters(true)) dst[p.key()].copy_(p.value());
    auto dstb = impl_->net->named_buffers(true);
    for (const auto& b : loaded.net->named_buffers(true)) dstb[b.key()].copy_(b.value());
  }
  try {
    impl_->optim->load(extra);
  } catch (const c10::Error& e) {
    throw ModelError(checkpoint + ": optimiser state does not fit (" + e.what_without_backtrace() +
                     ")");
  }
  impl_->step = loaded.meta.steps;
}

double DetectorTrainer::gflops(int width, int height) const {
  return static_cast<double>(impl_->net->flops(height, width)) * 1e-9;
}

DetectionReport train_detector(const TrainDetectorOptions& o, std::ostream& log) {
  if (o.threads < 1) throw InputError("train detector: --threads must be ≥ 1");
  set_compute_threads(o.threads);
  craft::tune_malloc_for_inference();  // training allocates the same way, more so
  if (o.data.empty()) throw InputError("train detector: --data is required");
  if (o.steps < 1) throw InputError("train detector: --steps must be ≥ 1");

  auto data = DetectorDataset::from_folders(o.data);
  DetectorDataset val;
  if (!o.val.empty()) val = DetectorDataset::from_folder(o.val);
  log << "train detector: " << data.size() << " training images";
  if (!o.val.empty()) log << ", " << val.size() << " validation images";
  log << "; " << o.steps << " steps × batch " << o.batch << " (patch " << o.aug.patch << "), "
      << o.threads << " thread(s), seed " << o.seed << "\n";

  DetectorTrainer trainer(o, std::move(data));
  log << "network: " << trainer.gflops(640, 160) << " GFLOP at 640x160\n";
  if (!trainer.init_report().empty()) log << trainer.init_report() << "\n";
  if (!o.resume.empty()) {
    trainer.resume(o.resume);
    log << "resumed from " << o.resume << " at step " << trainer.steps_done() << "\n";
  }
  const std::string ckpt = o.out + ".ckpt";
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto t_last = t0;
  long last_step = trainer.steps_done();
  const long first_step = last_step;
  double loss_sum = 0.0;
  long loss_n = 0;
  double data_last = 0.0;
  while (trainer.steps_done() < o.steps) {
    loss_sum += trainer.step();
    ++loss_n;
    const long s = trainer.steps_done();
    if (s % o.log_every == 0 || s == o.steps) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - t_last).count();
      const double elapsed = std::chrono::duration<double>(now - t0).count();
      const double rate = (s - last_step) * o.batch / std::max(dt, 1e-9);
      const double eta = elapsed / std::max<long>(1, s - first_step) * (o.steps - s);
      const double data_share = (trainer.data_seconds() - data_last) / std::max(dt, 1e-9);
      data_last = trainer.data_seconds();
      char buf[240];
      std::snprintf(buf, sizeof buf,
                    "step %ld/%ld  loss %.5f  lr %.2e  %.1f samples/s (data %.0f%%)  elapsed %s  ETA %s\n",
                    s, o.steps, loss_sum / std::max<long>(1, loss_n), lr_at(s - 1, o), rate,
                    100.0 * data_share, fmt_duration(elapsed).c_str(), fmt_duration(eta).c_str());
      log << buf << std::flush;
      loss_sum = 0.0;
      loss_n = 0;
      t_last = now;
      last_step = s;
    }
    if (o.checkpoint_every > 0 && s % o.checkpoint_every == 0 && s < o.steps) {
      trainer.save_checkpoint(ckpt);
    }
    if (!o.val.empty() && o.val_every > 0 && s % o.val_every == 0 && s < o.steps) {
      const auto r = trainer.validate(val, o.val_limit);
      log << "validation at step " << s << " (" << r.images << " images): " << format_report(r)
          << "\n"
          << std::flush;
    }
  }
  const double wall = std::chrono::duration<double>(clock::now() - t0).count();
  DetectionReport final_report;
  std::string notes = "trained " + std::to_string(o.steps) + " steps in " + fmt_duration(wall) +
                      " (this run)";
  if (!o.val.empty()) {
    final_report = trainer.validate(val);
    log << "final validation (" << final_report.images << " images, " << o.val
        << "): " << format_report(final_report) << "\n"
        << report_table(final_report, val) << std::flush;
    notes += "; validation " + o.val + ": " + format_report(final_report);
  }
  trainer.save_model(o.out, notes);
  trainer.save_checkpoint(ckpt);
  log << "wrote " << o.out << " and " << ckpt << " (wall time " << fmt_duration(wall) << ")\n";
  return final_report;
}

}  // namespace ocr2s::train
