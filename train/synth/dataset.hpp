// Writing a generated data set to a folder: what `ocr2s synth` does
// (docs/DATA_FORMATS.md). Kept out of the CLI so it builds and is tested
// without the inference library.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "synth/crops.hpp"
#include "synth/synth.hpp"

namespace ocr2s::synth {

struct ExportOptions {
  std::string out_dir;         ///< created if missing
  std::uint64_t count = 0;     ///< images 0 … count−1
  std::uint64_t seed = 0;
  SynthConfig config;
  int threads = 1;             ///< worker threads (output does not depend on it)
  bool crops = false;          ///< also write crops/<label-dir>/…
  CropGeometry crop;
  bool preview = false;        ///< also write preview.png (annotated contact sheet)
  int preview_count = 24;      ///< images on the sheet (the first ones)
  int preview_columns = 4;
  cv::Size preview_cell{400, 200};  ///< each image is scaled down to fit
};

struct ExportSummary {
  std::uint64_t images = 0;
  std::uint64_t characters = 0;
  std::uint64_t crops = 0;     ///< character + reject crops written
};

/// "printed,dotmatrix" → styles; empty → {} (all styles). Throws InputError
/// naming an unknown style and listing the valid ones.
std::vector<Style> parse_style_list(const std::string& csv);
/// "640x160" → cv::Size(640, 160). Throws InputError.
cv::Size parse_size(const std::string& wxh);

/// File name of image `index` in a set of `count`: zero-padded to at least six
/// digits ("000042.png"), wider when count needs it, so names sort in order.
std::string image_file_name(std::uint64_t index, std::uint64_t count);

/// Generates and writes images/, annotations.jsonl, labels.tsv and optionally
/// crops/ and preview.png under out_dir. Byte-identical for the same options
/// whatever `threads`. `progress(done)` is called on the calling thread as
/// images complete. Throws InputError for bad options or unwritable files.
ExportSummary export_dataset(const ExportOptions& options,
                             const std::function<void(std::uint64_t done)>& progress = {});

}  // namespace ocr2s::synth
