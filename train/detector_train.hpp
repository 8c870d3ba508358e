// Detector training (`ocr2s train detector`). Torch-free interface; the loop,
// the loss and the optimiser live in detector_train.cpp.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "detector_data.hpp"
#include "detector_eval.hpp"

namespace ocr2s::train {

struct TrainDetectorOptions {
  /// Folders with annotations.jsonl (training), read as one set: e.g. a general
  /// set plus one of the styles a line needs most.
  std::vector<std::string> data;
  std::string val;      ///< folder with annotations.jsonl (validation); empty: none
  std::string out = "detector.pt";  ///< the trained model; checkpoints go to OUT.ckpt
  std::string resume;   ///< checkpoint to continue from; empty: start fresh
  /// Start from this model's (or checkpoint's) weights with a fresh optimiser and
  /// schedule: fine-tuning, e.g. the shipped model on one's own annotated photos.
  std::string init;
  /// Per-pixel loss under the hard-negative mining: "mse" (CRAFT's) or "bce"
  /// (cross-entropy on logits; see detector_loss.hpp).
  std::string loss = "mse";
  long steps = 12000;   ///< optimiser steps in total (a resumed run continues to it)
  int batch = 16;       ///< patches per step
  double lr = 2e-3;     ///< peak learning rate (AdamW; linear warm-up, cosine decay)
  double weight_decay = 1e-4;
  long warmup = 300;    ///< warm-up steps
  std::uint64_t seed = 1;
  int threads = 1;      ///< torch::set_num_threads
  long checkpoint_every = 500;
  long val_every = 2000;     ///< validation during training (0: only at the end)
  std::size_t val_limit = 300;  ///< images used by the periodic validation (0: all)
  long log_every = 50;
  AugmentConfig aug;
  std::string command;  ///< the command line, recorded in the model file
};

/// One training run's state: network, optimiser, step counter. Sampling is a pure
/// function of (seed, step, slot), so a resumed run draws the same batches as an
/// uninterrupted one; with threads = 1 LibTorch's CPU kernels are deterministic,
/// so the same seed, data and thread count give the same model.
class DetectorTrainer {
 public:
  DetectorTrainer(TrainDetectorOptions options, DetectorDataset data);
  ~DetectorTrainer();
  DetectorTrainer(const DetectorTrainer&) = delete;
  DetectorTrainer& operator=(const DetectorTrainer&) = delete;

  /// One optimiser step on the next batch; returns its loss.
  float step();
  long steps_done() const;
  /// Wall seconds spent making batches so far (decode, augmentation, targets).
  double data_seconds() const;
  /// What TrainDetectorOptions::init copied ("" without init).
  const std::string& init_report() const;
  /// Loss (no update) on the batch that step `step_index` draws.
  float batch_loss(long step_index);
  /// Character-level P/R/F1 on `val` (network in eval mode, the real runner
  /// pipeline and postprocessor).
  DetectionReport validate(const DetectorDataset& val, std::size_t limit = 0);
  /// Native model (no optimiser state); `notes` goes into the file's metadata.
  void save_model(const std::string& path, const std::string& notes = {});
  /// Model + optimiser state; resume() continues from it.
  void save_checkpoint(const std::string& path);
  void resume(const std::string& checkpoint);
  /// Convolution GFLOP of one forward pass on a w×h input.
  double gflops(int width, int height) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The whole run: load data, (resume,) train with progress on `log`, checkpoint,
/// validate, save options.out. Returns the final validation report (empty
/// without --val). Throws InputError / ModelError.
DetectionReport train_detector(const TrainDetectorOptions& options, std::ostream& log);

}  // namespace ocr2s::train
