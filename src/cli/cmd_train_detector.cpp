// `ocr2s train detector` — train the CRAFT detector on character-annotated images
// (a folder written by `ocr2s synth`, or the user's own in that format).
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/command.hpp"
#include "detector_train.hpp"

namespace ocr2s::cli {
namespace {

// The command as it would be typed again (recorded in the model file).
std::string command_line(const train::TrainDetectorOptions& o) {
  std::ostringstream s;
  s << "ocr2s train detector";
  for (const auto& d : o.data) s << " --data " << d;
  if (!o.val.empty()) s << " --val " << o.val;
  s << " --out " << o.out << " --steps " << o.steps << " --batch " << o.batch << " --lr " << o.lr
    << " --seed " << o.seed << " --threads " << o.threads << " --patch " << o.aug.patch;
  if (!o.resume.empty()) s << " --resume " << o.resume;
  if (!o.init.empty()) s << " --init " << o.init;
  s << " --loss " << o.loss;
  return s.str();
}

const Registrar kTrainDetector(
    "train detector",
    "Train the CRAFT character detector on annotated images (DIR/annotations.jsonl)",
    [](CLI::App& app) {
      auto o = std::make_shared<train::TrainDetectorOptions>();
      app.add_option("--data", o->data,
                     "Training folder written by `ocr2s synth` (annotations.jsonl + images); repeat it to "
                     "train on several folders as one set")
          ->required()
          ->take_all()
          ->allow_extra_args(false);
      app.add_option("--val", o->val, "Validation folder (same format); F1 per style is reported");
      app.add_option("-o,--out", o->out, "Model file to write; checkpoints go to OUT.ckpt")
          ->capture_default_str();
      app.add_option("--steps", o->steps, "Optimiser steps")->check(CLI::Range(1L, 100000000L))
          ->capture_default_str();
      app.add_option("--batch", o->batch, "Patches per step")->check(CLI::Range(1, 4096))
          ->capture_default_str();
      app.add_option("--lr", o->lr, "Peak learning rate (AdamW, warm-up + cosine decay)")
          ->check(CLI::Range(1e-7, 1.0))
          ->capture_default_str();
      app.add_option("--seed", o->seed, "Random seed (weights, sampling, augmentation)")
          ->capture_default_str();
      app.add_option("--threads", o->threads, "LibTorch threads")->check(CLI::Range(1, 256))
          ->capture_default_str();
      app.add_option("--resume", o->resume, "Continue from a checkpoint (OUT.ckpt of an earlier run)");
      app.add_option("--init", o->init,
                     "Start from a model's weights with a fresh optimiser and schedule (fine-tuning)");
      app.add_option("--loss", o->loss, "Per-pixel loss under hard-negative mining: mse (CRAFT) or bce")
          ->check(CLI::IsMember({"mse", "bce"}))
          ->capture_default_str();
      app.add_option("--patch", o->aug.patch, "Training patch side, pixels (multiple of 32)")
          ->check(CLI::Range(64, 2048))
          ->capture_default_str();
      app.add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")
          ->capture_default_str();
      app.add_option("--val-every", o->val_every, "Steps between validations (0: only at the end)")
          ->capture_default_str();
      app.add_option("--val-limit", o->val_limit, "Images used by periodic validations (0: all)")
          ->capture_default_str();
      app.add_option("--log-every", o->log_every, "Steps between progress lines")
          ->check(CLI::Range(1L, 1000000L))
          ->capture_default_str();
      return [o]() {
        o->command = command_line(*o);
        train::train_detector(*o, std::cerr);
        return 0;
      };
    });

}  // namespace
}  // namespace ocr2s::cli
