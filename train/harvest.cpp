#include "harvest.hpp"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include <opencv2/core.hpp>

#include "assemble/layout.hpp"
#include "charcls/crops.hpp"
#include "classifier_data.hpp"
#include "core/utf8.hpp"
#include "craft/postprocess.hpp"
#include "ocr2s/errors.hpp"
#include "ocr2s/reader.hpp"

namespace fs = std::filesystem;

namespace ocr2s::train {

std::vector<std::string> label_lines(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&]() {
    if (!strip_spaces(cur).empty()) out.push_back(cur);
    cur.clear();
  };
  for (char c : text) {
    if (c == '\n') {
      flush();
    } else {
      cur += c;
    }
  }
  flush();
  return out;
}

HarvestImageResult harvest_image(const cv::Mat& image, const craft::ScoreMaps& maps,
                                 const std::vector<std::string>& labels,
                                 const HarvestOptions& options) {
  HarvestImageResult r;
  r.label_lines = static_cast<int>(labels.size());
  const craft::CharGraph graph = craft::postprocess(maps, options.craft);
  const std::vector<assemble::LayoutLine> lines = assemble::build_lines(graph, options.assemble);
  r.detected_lines = static_cast<int>(lines.size());
  r.line_count_matched = r.detected_lines == r.label_lines;
  if (!r.line_count_matched) return r;
  const cv::Mat gray = charcls::to_gray8(image);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::vector<std::string> chars = utf8_split(strip_spaces(labels[i]));
    if (chars.size() != lines[i].chars.size()) continue;
    const auto boxes = assemble::crop_boxes(lines[i], options.crop.frame());
    auto crops = charcls::extract_crops_u8(gray, boxes, options.crop.size);
    for (std::size_t j = 0; j < chars.size(); ++j) {
      r.crops.push_back({chars[j], static_cast<int>(i), static_cast<int>(j), crops[j]});
    }
    ++r.kept_lines;
  }
  return r;
}

HarvestReport harvest(const std::vector<HarvestItem>& items, const HarvestOptions& options,
                      const DetectFn& detect, std::ostream* log) {
  HarvestReport rep;
  for (std::size_t n = 0; n < items.size(); ++n) {
    const HarvestItem& item = items[n];
    ++rep.images;
    cv::Mat image;
    try {
      image = load_image(item.path);
    } catch (const InputError& e) {
      ++rep.unreadable;
      if (log) *log << "skipped " << item.path << ": " << e.what() << "\n";
      continue;
    }
    const HarvestImageResult r = harvest_image(image, detect(item.path, image), item.lines, options);
    rep.label_lines += r.label_lines;
    rep.kept_lines += r.kept_lines;
    if (!r.line_count_matched) ++rep.line_count_mismatch;
    std::string stem = fs::path(item.path).stem().string();
    for (char& c : stem) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) c = '_';
    }
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%06zu_", n);
    for (const auto& c : r.crops) {
      write_crop(options.out, c.label,
                 prefix + stem + "_l" + std::to_string(c.line) + "_c" + std::to_string(c.index),
                 c.crop);
      ++rep.crops;
      ++rep.per_label[c.label];
    }
    if (log && (n + 1) % 100 == 0) {
      *log << (n + 1) << "/" << items.size() << " images, " << rep.crops << " crops\n" << std::flush;
    }
  }
  return rep;
}

}  // namespace ocr2s::train
