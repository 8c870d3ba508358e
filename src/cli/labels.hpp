// CLI: labels.tsv (docs/DATA_FORMATS.md) — `image<TAB>text[<TAB>style]`, a header
// row, a literal backslash-n between the lines of one image.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace ocr2s::cli {

struct LabelRow {
  std::string image;  ///< as written in the file
  std::string path;   ///< resolved against the labels file's folder
  std::string text;   ///< lines joined by '\n'
  std::string style;  ///< empty when the file has no style column
  /// The `legibility` column (synth's weakest character's contrast-to-noise
  /// ratio); NaN when the file has none or the field is empty.
  float legibility = std::numeric_limits<float>::quiet_NaN();
  /// The `format` column (synth's per-line formats as patterns, lines joined by
  /// '\n' as the text's are); empty when the file has none.
  std::string format;
};

/// Reads a labels.tsv; columns are found by the header names `image`, `text` and
/// optionally `style`, `legibility` and `format`; others are ignored. Throws InputError naming the
/// file and line on malformed rows.
std::vector<LabelRow> read_labels(const std::string& path);

}  // namespace ocr2s::cli
