// `ocr2s synth` — generate a synthetic data set of industrial codes with
// character-level ground truth (train/synth; formats in docs/DATA_FORMATS.md).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "synth/dataset.hpp"

namespace ocr2s::cli {
namespace {

struct SynthOptions {
  synth::ExportOptions exp;
  std::string styles;
  std::string max_size = "1024x512";
  int crop_size = 32;
  std::string preview_cell = "400x200";
};

const Registrar kSynth(
    "synth",
    "Generate synthetic industrial-code images with per-character annotations (and classifier crops)",
    [](CLI::App& app) {
      auto o = std::make_shared<SynthOptions>();
      app.add_option("-o,--out", o->exp.out_dir, "Output folder (images/, annotations.jsonl, labels.tsv, …)")
          ->required();
      app.add_option("-n,--count", o->exp.count, "Number of images")->required()->check(CLI::Range(1ull, 100000000ull));
      app.add_option("--seed", o->exp.seed, "Data set seed: image i depends only on (options, seed, i)")
          ->capture_default_str();
      app.add_option("--styles", o->styles,
                     "Comma-separated styles to mix (printed,dotmatrix,etched,stamped,segment,thermal); default all");
      app.add_option("--charset", o->exp.config.charset, "Characters codes are drawn from (ranges like A-Z; '-' last)")
          ->capture_default_str();
      app.add_option("--threads", o->exp.threads, "Worker threads (the output does not depend on it)")
          ->check(CLI::Range(1, 256))
          ->capture_default_str();
      app.add_option("--max-size", o->max_size, "Largest image, WIDTHxHEIGHT")->capture_default_str();
      app.add_flag("--fixed-size", o->exp.config.fill_max_size, "Every image exactly --max-size");
      app.add_option("--min-height", o->exp.config.min_char_height, "Smallest character cap height, pixels")
          ->check(CLI::Range(6, 400))
          ->capture_default_str();
      app.add_option("--max-height", o->exp.config.max_char_height, "Largest character cap height, pixels")
          ->check(CLI::Range(6, 400))
          ->capture_default_str();
      app.add_option("--max-lines", o->exp.config.max_lines, "Most text lines per image")
          ->check(CLI::Range(1, 16))
          ->capture_default_str();
      app.add_option("--min-cnr", o->exp.config.min_cnr,
                     "Legibility floor: redraw a sample whose weakest character's contrast-to-noise ratio is "
                     "lower (0: off; docs/DATA_FORMATS.md)")
          ->check(CLI::Range(0.0, 100.0))
          ->capture_default_str();
      app.add_option("--min-contrast", o->exp.config.min_contrast,
                     "Legibility floor: redraw a sample whose weakest character's own mark spans "
                     "fewer grey levels (0: off)")
          ->check(CLI::Range(0.0, 255.0))
          ->capture_default_str();
      app.add_flag("--crops", o->exp.crops, "Also write classifier crops to crops/<label-dir>/");
      app.add_option("--crop-size", o->crop_size, "Crop side, pixels")->check(CLI::Range(8, 256))->capture_default_str();
      app.add_option("--crop-height-factor", o->exp.crop.height_factor, "Crop height / line height")
          ->check(CLI::Range(0.5, 4.0))
          ->capture_default_str();
      app.add_flag("--crop-by-char-width", o->exp.crop.by_char_width,
                   "Crop width follows the line's character width (for a classifier trained "
                   "with train classifier --crop-by-char-width)");
      app.add_option("--reject-ratio", o->exp.crop.reject_ratio, "Reject crops per character crop")
          ->check(CLI::Range(0.0, 4.0))
          ->capture_default_str();
      app.add_flag("--preview", o->exp.preview, "Also write preview.png: the first images with their quads drawn");
      app.add_option("--preview-count", o->exp.preview_count, "Images on the preview sheet")
          ->check(CLI::Range(1, 400))
          ->capture_default_str();
      app.add_option("--preview-columns", o->exp.preview_columns, "Columns of the preview sheet")
          ->check(CLI::Range(1, 64))
          ->capture_default_str();
      app.add_option("--preview-cell", o->preview_cell, "Largest size of one preview image, WIDTHxHEIGHT")
          ->capture_default_str();
      return [o]() {
        o->exp.config.styles = synth::parse_style_list(o->styles);
        o->exp.config.max_size = synth::parse_size(o->max_size);
        o->exp.crop.size = cv::Size(o->crop_size, o->crop_size);
        o->exp.preview_cell = synth::parse_size(o->preview_cell);
        const bool tty = stderr_is_tty();
        const auto summary = synth::export_dataset(o->exp, [&](std::uint64_t done) {
          if (tty) std::fprintf(stderr, "\rsynth: %llu / %llu", static_cast<unsigned long long>(done),
                                static_cast<unsigned long long>(o->exp.count));
        });
        if (tty) std::fprintf(stderr, "\n");
        std::cout << "synth: wrote " << summary.images << " images, " << summary.characters << " characters";
        if (o->exp.crops) std::cout << ", " << summary.crops << " crops";
        std::cout << " to " << o->exp.out_dir << "\n";
        return 0;
      };
    });

}  // namespace
}  // namespace ocr2s::cli
