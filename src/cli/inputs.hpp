// CLI helpers: expanding PATHS (files, folders, globs) into image files.
#pragma once

#include <string>
#include <vector>

namespace ocr2s::cli {

/// Whether a file name has an image extension ocr2s reads (png, jpg, jpeg, bmp,
/// tif, tiff, webp, pgm, ppm, pnm; case-insensitive).
bool has_image_extension(const std::string& path);

/// Expands command-line paths: a folder → its image files, recursively, sorted; a
/// pattern with * ? [ → the matching paths (glob(3)), sorted; anything else is
/// kept as given (so a missing file is reported by the reader, not dropped).
std::vector<std::string> expand_inputs(const std::vector<std::string>& paths);

}  // namespace ocr2s::cli
