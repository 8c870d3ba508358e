#include "synth/dotmatrix.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "synth/fonts.hpp"

namespace ocr2s::synth {

bool DotGlyph::empty() const {
  return std::none_of(on.begin(), on.end(), [](unsigned char v) { return v != 0; });
}

namespace {

// Zhang & Suen, "A fast parallel algorithm for thinning digital patterns",
// CACM 27(3), 1984. `img` is CV_8U with values 0/1; thinned in place.
void zhang_suen(cv::Mat& img) {
  cv::Mat marker;
  bool changed = true;
  while (changed) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      marker = cv::Mat::zeros(img.size(), CV_8U);
      for (int y = 1; y + 1 < img.rows; ++y) {
        for (int x = 1; x + 1 < img.cols; ++x) {
          if (!img.at<uchar>(y, x)) continue;
          const uchar p2 = img.at<uchar>(y - 1, x), p3 = img.at<uchar>(y - 1, x + 1),
                      p4 = img.at<uchar>(y, x + 1), p5 = img.at<uchar>(y + 1, x + 1),
                      p6 = img.at<uchar>(y + 1, x), p7 = img.at<uchar>(y + 1, x - 1),
                      p8 = img.at<uchar>(y, x - 1), p9 = img.at<uchar>(y - 1, x - 1);
          const int b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          const int a = (!p2 && p3) + (!p3 && p4) + (!p4 && p5) + (!p5 && p6) + (!p6 && p7) +
                        (!p7 && p8) + (!p8 && p9) + (!p9 && p2);
          const bool c = pass == 0 ? (p2 * p4 * p6 == 0 && p4 * p6 * p8 == 0)
                                   : (p2 * p4 * p8 == 0 && p2 * p6 * p8 == 0);
          if (b >= 2 && b <= 6 && a == 1 && c) marker.at<uchar>(y, x) = 1;
        }
      }
      if (cv::countNonZero(marker)) {
        changed = true;
        img.setTo(0, marker);
      }
    }
  }
}

std::shared_ptr<DotGlyph> rasterise(const std::string& label, int cols, int rows, int font_index) {
  auto out = std::make_shared<DotGlyph>();
  out->cols = cols;
  out->rows = rows;
  out->below = 2;
  out->on.assign(static_cast<std::size_t>((rows + out->below) * cols), 0);
  const auto& fonts = dot_source_fonts();
  const FontFace& face = fonts[static_cast<std::size_t>(font_index) % fonts.size()];
  auto& cache = GlyphCache::instance();
  auto g = cache.glyph(face, label);
  if (g->missing || g->alpha.empty()) return out;
  const FontMetrics m = cache.metrics(face);
  auto wide = cache.glyph(face, "M");

  // The grid covers the cap band vertically and the widest letter's ink
  // horizontally, both centred on the pen cell so narrow marks stay centred.
  const float cell_h = m.cap_height / static_cast<float>(rows);
  const float full_w = wide->alpha.empty() ? 0.6f * m.cap_height : static_cast<float>(wide->alpha.cols);
  const float cell_w = full_w / static_cast<float>(cols);
  // Glyph placed in a padded binary image in pen coordinates.
  const int pad = 4;
  cv::Mat bin(g->alpha.rows + 2 * pad, g->alpha.cols + 2 * pad, CV_8U, cv::Scalar(0));
  cv::Mat roi = bin(cv::Rect(pad, pad, g->alpha.cols, g->alpha.rows));
  cv::threshold(g->alpha, roi, 110, 1, cv::THRESH_BINARY);
  zhang_suen(bin);
  // A skeleton pixel at glyph position (px, py) (pen coordinates, baseline y = 0)
  // votes for the grid cell it falls in.
  std::vector<int> votes(out->on.size(), 0);
  for (int y = 0; y < bin.rows; ++y) {
    for (int x = 0; x < bin.cols; ++x) {
      if (!bin.at<uchar>(y, x)) continue;
      const float px = static_cast<float>(g->ink_origin.x + x - pad) + 0.5f;
      const float py = static_cast<float>(g->ink_origin.y + y - pad) + 0.5f;
      const float gx = (px - static_cast<float>(wide->ink_origin.x)) / cell_w;
      const float gy = (py + m.cap_height) / cell_h;
      const int c = static_cast<int>(std::floor(gx));
      const int r = static_cast<int>(std::floor(gy));
      if (c < 0 || c >= cols || r < 0 || r >= rows + out->below) continue;
      ++votes[static_cast<std::size_t>(r * cols + c)];
    }
  }
  // A cell needs a real stretch of stroke, not a grazing corner.
  const int min_votes = std::max(1, static_cast<int>(0.3f * std::min(cell_w, cell_h)));
  for (std::size_t i = 0; i < votes.size(); ++i) out->on[i] = votes[i] >= min_votes ? 1 : 0;
  return out;
}

}  // namespace

std::shared_ptr<const DotGlyph> dot_glyph(const std::string& label, int cols, int rows, int font_index) {
  static std::mutex mu;
  static std::map<std::tuple<std::string, int, int, int>, std::shared_ptr<const DotGlyph>> cache;
  const auto key = std::make_tuple(label, cols, rows, font_index);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  std::shared_ptr<const DotGlyph> g = rasterise(label, cols, rows, font_index);
  std::lock_guard<std::mutex> lock(mu);
  return cache.emplace(key, g).first->second;
}

}  // namespace ocr2s::synth
