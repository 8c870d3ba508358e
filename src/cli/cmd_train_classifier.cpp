// `ocr2s train classifier` — train the character classifier on synthetic crops
// generated in memory and/or a crop folder, or fine-tune a model for new characters.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "classifier_train.hpp"
#include "cli/command.hpp"

namespace ocr2s::cli {
namespace {

// The command as it would be typed again (recorded in the model file).
std::string command_line(const train::TrainClassifierOptions& o) {
  std::ostringstream s;
  s << "ocr2s train classifier";
  if (o.synth) s << " --synth --synth-images " << o.synth_images;
  if (!o.data.empty()) s << " --data " << o.data;
  if (!o.val.empty()) {
    s << " --val " << o.val;
  }
  if ((o.val.empty() && o.synth) || !o.base.empty()) {
    s << " --val-seed " << o.val_seed << " --val-images " << o.val_images;
  }
  if (o.charset_given || o.base.empty()) s << " --charset '" << o.charset << "'";
  if (!o.styles.empty()) s << " --styles " << o.styles;
  if (!o.base.empty()) s << " --base " << o.base << " --replay-images " << o.replay_images;
  if (o.base.empty() && !o.channels.empty()) {
    s << " --channels ";
    for (std::size_t i = 0; i < o.channels.size(); ++i) s << (i ? "," : "") << o.channels[i];
  }
  if (o.base.empty() && o.hidden >= 0) s << " --hidden " << o.hidden;
  if (o.base.empty() && o.crop.by_char_width) s << " --crop-by-char-width";
  if (!o.teachers.empty()) {
    for (const auto& t : o.teachers) s << " --teacher " << t;
    s << " --distill-weight " << o.distill_weight << " --distill-temperature "
      << o.distill_temperature;
  }
  s << " --out " << o.out;
  if (o.epochs > 0) {
    s << " --epochs " << o.epochs;
  } else {
    s << " --steps " << o.steps;
  }
  s << " --batch " << o.batch;
  if (o.lr > 0) s << " --lr " << o.lr;
  if (o.ema_decay > 0) s << " --ema " << o.ema_decay;
  s << " --seed " << o.seed << " --threads " << o.threads;
  if (!o.prior_adjust) s << " --no-prior-adjust";
  if (o.faint_weight != 1)
    s << " --faint-weight " << o.faint_weight << " --faint-below " << o.faint_below;
  if (o.train_min_cnr >= 0.f) s << " --train-min-cnr " << o.train_min_cnr;
  if (!o.mine_detector.empty())
    s << " --mine-detector " << o.mine_detector << " --mined-reject-weight "
      << o.mined_reject_weight << (o.mine_characters ? " --mine-characters" : "");
  return s.str();
}

const Registrar kTrainClassifier(
    "train classifier",
    "Train the character classifier (synthetic crops in memory and/or a crop folder), or "
    "fine-tune one for new characters (--base)",
    [](CLI::App& app) {
      auto o = std::make_shared<train::TrainClassifierOptions>();
      app.add_option("--data", o->data, "Crop folder: DIR/<label>/*.png (docs/DATA_FORMATS.md)");
      app.add_flag("--synth", o->synth, "Generate labelled crops in memory with the synthetic generator");
      app.add_option("--val", o->val,
                     "Validation crop folder (default: synthetic crops from --val-seed with --synth, "
                     "else every 10th crop of --data; with --base, synthetic crops of the base classes are added)");
      app.add_option("--charset", o->charset,
                     "Classes of a fresh model, generator syntax (ranges allowed, '-' last); with "
                     "--base, characters added to the base charset")
          ->capture_default_str()
          ->each([o](const std::string&) { o->charset_given = true; });
      app.add_option("--styles", o->styles, "Synthetic styles, comma-separated (default: all)");
      app.add_option("--synth-images", o->synth_images, "Generated images in the training pool")
          ->check(CLI::Range(1, 10000000))
          ->capture_default_str();
      app.add_option("--val-seed", o->val_seed, "Generator seed of synthetic validation")
          ->capture_default_str();
      app.add_option("--val-images", o->val_images, "Generated validation images")
          ->check(CLI::Range(1, 1000000))
          ->capture_default_str();
      app.add_option("--base", o->base,
                     "Fine-tune this model: charset becomes the union, old classes keep their weights");
      app.add_option("--replay-images", o->replay_images,
                     "Synthetic images of the base charset mixed in while fine-tuning (0: none)")
          ->check(CLI::Range(0, 10000000))
          ->capture_default_str();
      app.add_option(
             "--teacher", o->teachers,
             "Also learn from this trained model's softened outputs (knowledge distillation; same "
             "charset and crop geometry). Repeat it to learn from several models as one ensemble "
             "(the mean of their outputs)")
          ->take_all()
          ->allow_extra_args(false);
      app.add_option("--distill-weight", o->distill_weight,
                     "Weight of the teacher's term in the loss, 0-1")
          ->check(CLI::Range(0.0, 1.0))
          ->capture_default_str();
      app.add_option("--distill-temperature", o->distill_temperature,
                     "Temperature both outputs are softened by for distillation")
          ->check(CLI::Range(0.1, 100.0))
          ->capture_default_str();
      app.add_flag("--crop-by-char-width", o->crop.by_char_width,
                   "A fresh model's crop width follows the line's character width instead of "
                   "its height alone (a base model keeps its own crop geometry)");
      app.add_option("--channels", o->channels,
                     "Conv widths of a fresh network, e.g. 32,64,128 (default); a --base keeps its own")
          ->delimiter(',')
          ->check(CLI::Range(1, 1024));
      app.add_option("--hidden", o->hidden, "Hidden FC width of a fresh network (0: none; default 128)")
          ->check(CLI::Range(0, 4096));
      app.add_option("-o,--out", o->out, "Model file to write (also written at each validation)")
          ->capture_default_str();
      app.add_option("--steps", o->steps, "Optimiser steps")->check(CLI::Range(1L, 100000000L))
          ->capture_default_str();
      app.add_option("--epochs", o->epochs,
                     "Instead of --steps: passes over the training pool (steps = epochs x pool / batch)")
          ->check(CLI::Range(0.0, 100000.0));
      app.add_option("--batch", o->batch, "Crops per step")->check(CLI::Range(1, 65536))
          ->capture_default_str();
      app.add_option("--lr", o->lr, "Peak learning rate, AdamW (default 3e-3; 1e-3 with --base)")
          ->check(CLI::Range(0.0, 1.0));
      app.add_option("--ema", o->ema_decay,
                     "Validate, calibrate and save an exponential moving average of the weights "
                     "with this decay per step, e.g. 0.999 (0: the trained weights)")
          ->check(CLI::Range(0.0, 0.999999))
          ->capture_default_str();
      app.add_option("--seed", o->seed, "Random seed (weights, generated data, sampling)")
          ->capture_default_str();
      app.add_option("--threads", o->threads, "Threads (LibTorch and data generation)")
          ->check(CLI::Range(1, 256))
          ->capture_default_str();
      app.add_option("--faint-weight", o->faint_weight,
                     "Draw synthetic crops of faint characters (ratio below --faint-below) this "
                     "many times as often within their class")
          ->check(CLI::Range(1, 1000))
          ->capture_default_str();
      app.add_option(
             "--train-min-cnr", o->train_min_cnr,
             "Legibility floor (contrast-to-noise ratio, as synth --min-cnr) of the generated "
             "training images; validation keeps the generator's default")
          ->check(CLI::Range(0.f, 1000.f));
      app.add_option("--faint-below", o->faint_below,
                     "Contrast-to-noise ratio under which a character counts as faint "
                     "(docs/DATA_FORMATS.md)")
          ->check(CLI::Range(0.0, 1000.0))
          ->capture_default_str();
      app.add_option("--mine-detector", o->mine_detector,
                     "Also read each generated training image with this detector and learn its "
                     "false alarms, cropped as the reader crops them, as not a character");
      app.add_flag("--mine-characters", o->mine_characters,
                   "With --mine-detector: also learn its detections of characters, labelled by "
                   "the ground truth");
      app.add_option("--mined-reject-weight", o->mined_reject_weight,
                     "Draw the detector's mined false alarms this many times as often as the "
                     "other not-a-character crops")
          ->check(CLI::Range(1, 1000))
          ->capture_default_str();
      app.add_flag("--no-prior-adjust", [o](std::int64_t) { o->prior_adjust = false; },
                   "Keep the class-balanced output (no logit adjustment to the data's class prior)");
      app.add_option("--val-every", o->val_every, "Steps between validations + checkpoints (0: end)")
          ->capture_default_str();
      app.add_option("--log-every", o->log_every, "Steps between progress lines")
          ->check(CLI::Range(1L, 1000000L))
          ->capture_default_str();
      app.add_option("--errors", o->errors_dir,
                     "Write the final validation's misclassified crops (PNG, as the network sees "
                     "them) and errors.tsv to DIR");
      return [o]() {
        o->command = command_line(*o);
        std::cerr << o->command << "\n";
        train::train_classifier(*o, std::cerr);
        return 0;
      };
    });

}  // namespace
}  // namespace ocr2s::cli
