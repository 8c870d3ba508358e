#include "cli/inputs.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <glob.h>

namespace ocr2s::cli {

bool has_image_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* kExts[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff",
                                ".webp", ".pgm", ".ppm", ".pnm"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && has_image_extension(it->path().string())) {
          found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (p.find_first_of("*?[") != std::string::npos && !fs::exists(p, ec)) {
      glob_t g{};
      if (::glob(p.c_str(), 0, nullptr, &g) == 0) {
        std::vector<std::string> found(g.gl_pathv, g.gl_pathv + g.gl_pathc);
        std::sort(found.begin(), found.end());
        out.insert(out.end(), found.begin(), found.end());
      } else {
        out.push_back(p);  // reported as missing by the reader
      }
      ::globfree(&g);
    } else {
      out.push_back(p);
    }
  }
  return out;
}

}  // namespace ocr2s::cli
