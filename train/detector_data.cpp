// Detector training data: annotated images → augmented patches + CRAFT targets.
#include "detector_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ocr2s/errors.hpp"
#include "synth/rng.hpp"

namespace ocr2s::train {

namespace fs = std::filesystem;

float median_char_height(const std::vector<craft::WordQuads>& words) {
  std::vector<float> h;
  for (const auto& w : words) {
    for (const auto& q : w.chars) h.push_back(q.height());
  }
  if (h.empty()) return 0.f;
  std::nth_element(h.begin(), h.begin() + h.size() / 2, h.end());
  return h[h.size() / 2];
}

DetectorDataset::DetectorDataset(std::vector<DetectorItem> items) : items_(std::move(items)) {
  for (auto& it : items_) {
    if (it.char_height <= 0.f) it.char_height = median_char_height(it.words);
    if (it.size.area() <= 0 && !it.image.empty()) it.size = it.image.size();
  }
}

DetectorDataset DetectorDataset::from_folder(const std::string& dir, std::size_t limit) {
  const fs::path jsonl = fs::path(dir) / "annotations.jsonl";
  std::error_code ec;
  if (!fs::is_regular_file(jsonl, ec)) {
    throw InputError(jsonl.string() + ": no annotations (expected a folder written by `ocr2s synth`)");
  }
  const auto anns = synth::read_annotations(jsonl.string());
  if (anns.empty()) throw InputError(jsonl.string() + ": no annotated images");
  std::vector<DetectorItem> items;
  const std::size_t n = limit > 0 ? std::min(limit, anns.size()) : anns.size();
  items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& a = anns[i];
    DetectorItem it;
    it.path = (fs::path(dir) / a.image).string();
    if (!fs::is_regular_file(it.path, ec)) {
      throw InputError(jsonl.string() + ": image '" + a.image + "' (record " + std::to_string(i + 1) +
                       ") does not exist");
    }
    it.words = synth::word_quads(a.lines);
    it.style = a.style;
    it.size = a.size;
    items.push_back(std::move(it));
  }
  return DetectorDataset(std::move(items));
}

DetectorDataset DetectorDataset::from_folders(const std::vector<std::string>& dirs) {
  std::vector<DetectorItem> items;
  for (const auto& d : dirs) {
    DetectorDataset one = from_folder(d);
    items.insert(items.end(), std::make_move_iterator(one.items_.begin()), std::make_move_iterator(one.items_.end()));
  }
  return DetectorDataset(std::move(items));
}

cv::Mat DetectorDataset::image(std::size_t i) const {
  const auto& it = items_.at(i);
  if (!it.image.empty()) return it.image;
  cv::Mat im = cv::imread(it.path, cv::IMREAD_COLOR);
  if (im.empty()) throw InputError(it.path + ": cannot decode image");
  return im;
}

std::vector<std::string> DetectorDataset::styles() const {
  std::set<std::string> s;
  for (const auto& it : items_) s.insert(it.style);
  return {s.begin(), s.end()};
}

namespace {

Quad transform(const Quad& q, const cv::Matx23d& m) {
  Quad out;
  for (int i = 0; i < 4; ++i) {
    const auto& p = q.pts[i];
    out.pts[i] = cv::Point2f(static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
                             static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)));
  }
  return out;
}

// Pixel-centre-correct affine for resampling: maps continuous coordinates (pixel i
// covers [i, i+1)) with `m`, expressed for OpenCV, which samples at integer
// coordinates = pixel centres − 0.5.
cv::Matx23d to_opencv_affine(const cv::Matx23d& m) {
  // x_cv' = m (x_cv + 0.5) − 0.5
  cv::Matx23d r = m;
  r(0, 2) = m(0, 0) * 0.5 + m(0, 1) * 0.5 + m(0, 2) - 0.5;
  r(1, 2) = m(1, 0) * 0.5 + m(1, 1) * 0.5 + m(1, 2) - 0.5;
  return r;
}

Patch finish(cv::Mat bgr, const std::vector<craft::WordQuads>& words, int patch) {
  Patch p;
  cv::cvtColor(bgr, p.rgb, cv::COLOR_BGR2RGB);
  auto t = craft::render_targets(words, cv::Size(patch / 2, patch / 2), craft::MapTransform{});
  p.region = t.region;
  p.affinity = t.affinity;
  return p;
}

const cv::Scalar kPadBgr{kPadRgb[2], kPadRgb[1], kPadRgb[0]};

}  // namespace

Patch make_patch(const cv::Mat& image_bgr, const std::vector<craft::WordQuads>& words,
                 float char_height, const AugmentConfig& aug, std::uint64_t rng_seed) {
  synth::Rng rng(rng_seed);
  const int P = aug.patch;

  // Scale: log-uniform, then keep the median character height in range.
  double s = rng.log_uniform(aug.min_scale, aug.max_scale);
  if (char_height > 0.f) {
    s = std::max(s, aug.min_char / static_cast<double>(char_height));
    s = std::min(s, aug.max_char / static_cast<double>(char_height));
  }
  const double angle =
      rng.chance(0.5) ? rng.uniform(-aug.max_rotation_deg, aug.max_rotation_deg) : 0.0;

  // Patch centre in image coordinates.
  std::vector<cv::Point2f> centres;
  for (const auto& w : words) {
    for (const auto& q : w.chars) centres.push_back(q.center());
  }
  cv::Point2f c;
  if (!centres.empty() && rng.chance(aug.text_centred)) {
    c = rng.pick(centres);
    const double j = P / (3.0 * s);
    c.x += static_cast<float>(rng.uniform(-j, j));
    c.y += static_cast<float>(rng.uniform(-j, j));
  } else {
    c = cv::Point2f(static_cast<float>(rng.uniform(0, image_bgr.cols)),
                    static_cast<float>(rng.uniform(0, image_bgr.rows)));
  }

  // Shrinking: INTER_AREA first (no aliasing of thin strokes and dot grids), then
  // the remaining rotation/translation. Continuous coordinates throughout.
  cv::Mat src = image_bgr;
  double fx = 1.0, fy = 1.0, k = s;
  if (s < 1.0) {
    const cv::Size small(std::max(1, static_cast<int>(std::lround(image_bgr.cols * s))),
                         std::max(1, static_cast<int>(std::lround(image_bgr.rows * s))));
    cv::resize(image_bgr, src, small, 0, 0, cv::INTER_AREA);
    fx = static_cast<double>(small.width) / image_bgr.cols;
    fy = static_cast<double>(small.height) / image_bgr.rows;
    k = 1.0;
  }
  const double a = angle * CV_PI / 180.0;
  const double ca = std::cos(a) * k, sa = std::sin(a) * k;
  // image → patch: R·k·(diag(fx, fy)·p − diag(fx, fy)·c) + (P/2, P/2)
  const double cx = c.x * fx, cy = c.y * fy;
  cv::Matx23d m(ca * fx, -sa * fy, -(ca * cx - sa * cy) + P / 2.0,  //
                sa * fx, ca * fy, -(sa * cx + ca * cy) + P / 2.0);
  // The same for the (possibly pre-shrunk) source: without the diag(fx, fy).
  cv::Matx23d ms(ca, -sa, m(0, 2), sa, ca, m(1, 2));

  cv::Mat out;
  cv::warpAffine(src, out, to_opencv_affine(ms), cv::Size(P, P), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, kPadBgr);
  cv::Mat inside;
  cv::warpAffine(cv::Mat(src.size(), CV_8U, cv::Scalar(255)), inside, to_opencv_affine(ms),
                 cv::Size(P, P), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0));

  std::vector<craft::WordQuads> moved;
  moved.reserve(words.size());
  for (const auto& w : words) {
    craft::WordQuads mw;
    for (const auto& q : w.chars) mw.chars.push_back(transform(q, m));
    moved.push_back(std::move(mw));
  }

  // Photometric augmentation, then the padding is restored to the exact colour the
  // runner pads with.
  if (rng.chance(aug.gray)) {
    cv::Mat g;
    cv::cvtColor(out, g, cv::COLOR_BGR2GRAY);
    cv::cvtColor(g, out, cv::COLOR_GRAY2BGR);
  }
  if (rng.chance(aug.invert)) cv::bitwise_not(out, out);
  if (rng.chance(0.5)) {
    const double alpha = rng.uniform(1.0 - aug.contrast, 1.0 + aug.contrast);
    const double beta = rng.uniform(-100.0 * aug.contrast, 100.0 * aug.contrast);
    out.convertTo(out, CV_8U, alpha, 128.0 * (1.0 - alpha) + beta);
  }
  if (rng.chance(aug.blur)) {
    const double sigma = rng.uniform(0.3, 1.4);
    cv::GaussianBlur(out, out, cv::Size(0, 0), sigma);
  }
  if (rng.chance(aug.noise)) {
    const double sigma = rng.uniform(2.0, 12.0);
    cv::Mat noise(out.size(), CV_32FC3);
    cv::RNG cvrng(rng.fork());
    cvrng.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
    cv::Mat f;
    out.convertTo(f, CV_32FC3);
    f += noise;
    f.convertTo(out, CV_8UC3);
  }
  out.setTo(kPadBgr, inside == 0);
  return finish(out, moved, P);
}

Patch plain_patch(const cv::Mat& image_bgr, const std::vector<craft::WordQuads>& words, int patch) {
  cv::Mat out(patch, patch, CV_8UC3, kPadBgr);
  const cv::Rect r(0, 0, std::min(patch, image_bgr.cols), std::min(patch, image_bgr.rows));
  image_bgr(r).copyTo(out(r));
  return finish(out, words, patch);
}

}  // namespace ocr2s::train
