// CLI: options shared by the commands that construct a Reader (read, eval, inspect).
#pragma once

#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "ocr2s/config.hpp"

namespace ocr2s::cli {

/// The postprocessor's thresholds as options (defaults: CraftConfig's).
inline void add_postprocess_options(CLI::App& app, CraftConfig& c) {
  app.add_option("--seed-threshold", c.seed_threshold, "Region score that seeds a character")
      ->check(CLI::Range(0.01, 1.0))->capture_default_str()->group("Postprocessing");
  app.add_option("--confirm-threshold", c.confirm_threshold,
                 "Region peak below which a character is read but flagged (≤ seed threshold: off)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str()->group("Postprocessing");
  app.add_option("--grow-threshold", c.grow_threshold, "Region score a character grows into")
      ->check(CLI::Range(0.01, 1.0))->capture_default_str()->group("Postprocessing");
  app.add_option("--link-threshold", c.link_threshold, "Affinity score that links two characters")
      ->check(CLI::Range(0.01, 1.0))->capture_default_str()->group("Postprocessing");
  app.add_option("--split-depth", c.split_depth, "Saddle depth that splits touching characters")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str()->group("Postprocessing");
  app.add_option("--min-area", c.min_area, "Smallest character blob, score-map pixels")
      ->check(CLI::Range(0.0, 1e6))->capture_default_str()->group("Postprocessing");
  app.add_option("--max-aspect", c.max_aspect, "Longest blob side over shortest beyond which it is noise")
      ->check(CLI::Range(1.0, 1e3))->capture_default_str()->group("Postprocessing");
}

/// The detector model and its input scaling as options, bound to `c`.
inline void add_detector_options(CLI::App& app, CraftConfig& c) {
  app.add_option("--detector", c.model, "Detector model (default: detector.pt in the model dir)");
  app.add_flag("--torchscript", c.torchscript, "The detector is a TorchScript module with CRAFT's output");
  app.add_option("--canvas", c.canvas, "Long side of the detector input, pixels")->check(CLI::Range(64, 4096));
  app.add_option("--magnify", c.magnify, "Scale applied before the canvas limit")->check(CLI::Range(0.25, 4.0));
  app.add_option("--target-height", c.target_char_height,
                 "Automatic scale: character height, network pixels, a second pass aims at (0: off)")
      ->check(CLI::Range(0.0, 512.0))->capture_default_str();
  app.add_option("--scale-tolerance", c.scale_tolerance,
                 "Automatic scale: height ratio accepted without a second pass")
      ->check(CLI::Range(1.0, 16.0))->capture_default_str();
  app.add_option("--max-auto-magnify", c.max_auto_magnify, "Automatic scale: largest magnification")
      ->check(CLI::Range(0.25, 4.0))->capture_default_str();
}

struct ReaderOptions {
  CraftConfig craft;
  std::string classifier;
  std::string allow;
  std::string pattern;
  float min_confidence = -1.f;
  bool read_lone = false;
  float reread_below = ClassifierConfig{}.reread_below;
  float veto_doubt = AssembleConfig{}.veto_doubt;
  float max_word_gap = AssembleConfig{}.max_word_gap;
  float max_unlike_word_gap = AssembleConfig{}.max_unlike_word_gap;

  void add_to(CLI::App& app) {
    add_detector_options(app, craft);
    app.add_option("--classifier", classifier, "Classifier model (default: classifier.pt in the model dir)");
    add_postprocess_options(app, craft);
    app.add_option("--allow", allow, "Allowlist: the characters the classifier may answer");
    app.add_option("--pattern", pattern, "Format every line must match, e.g. 'LOT\\d{6}'");
    app.add_option("--min-confidence", min_confidence, "Confidence gate (default: the model config's)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option(
           "--reread-below", reread_below,
           "Read a character below this probability again from four nearby views and average "
           "(0: off)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_flag("--read-lone-characters", read_lone,
                 "Read a one-character line next to longer ones as text (default: set it aside as "
                 "a flagged mark, it is usually a speck)");
    app.add_option("--veto-doubt", veto_doubt,
                   "A detection vetoed as not-a-character with less certainty than this flags its "
                   "neighbours (0: drop every veto silently)")
        ->check(CLI::Range(0.0, 1.0))->capture_default_str();
    app.add_option("--max-word-gap", max_word_gap,
                   "Words on one baseline further apart than this many line heights are separate lines")
        ->check(CLI::Range(0.0, 100.0))->capture_default_str();
    std::ostringstream unlike;  // the ratio is AssembleConfig's, not an option of its own
    unlike << "... and words of different type sizes (heights over "
           << AssembleConfig{}.like_height_ratio
           << "x apart) further apart than this many heights of the smaller";
    app.add_option("--max-unlike-word-gap", max_unlike_word_gap, unlike.str())
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
  }
  ReaderConfig config() const {
    ReaderConfig c;
    c.craft = craft;
    c.assemble.flag_lone_characters = !read_lone;
    c.assemble.veto_doubt = veto_doubt;
    c.assemble.max_word_gap = max_word_gap;
    c.assemble.max_unlike_word_gap = max_unlike_word_gap;
    c.classifier.model = classifier;
    c.classifier.reread_below = reread_below;
    c.torch_threads = 1;  // parallelism comes from --threads workers, one forward each
    return c;
  }
  ReadOptions read_options() const {
    ReadOptions o;
    o.allowlist = allow;
    o.pattern = pattern;
    o.min_confidence = min_confidence;
    return o;
  }
};

}  // namespace ocr2s::cli
