#include "classifier_data.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "charcls/crops.hpp"
#include "core/quad_ops.hpp"
#include "core/utf8.hpp"
#include "ocr2s/errors.hpp"
#include "synth/crops.hpp"

namespace fs = std::filesystem;

namespace ocr2s::train {

// ---- label folders ---------------------------------------------------------------

FolderCrops read_crop_folder(const std::string& dir, cv::Size crop_size) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": crop folder does not exist");
  std::vector<fs::path> subdirs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) subdirs.push_back(e.path());
  }
  std::sort(subdirs.begin(), subdirs.end());
  FolderCrops out;
  for (const auto& sd : subdirs) {
    const auto label_opt = synth::label_from_crop_dir(sd.filename().string());
    if (!label_opt) {
      throw InputError(sd.string() + ": folder name is not a label (a character of [0-9A-Za-z], "
                       "U+XXXX, or _reject)");
    }
    const std::string label = *label_opt;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(sd)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      cv::Mat img = cv::imread(f.string(), cv::IMREAD_UNCHANGED);
      if (img.empty()) continue;  // not an image (README, thumbnails db…)
      cv::Mat g = charcls::to_gray8(img);
      if (g.size() != crop_size) cv::resize(g, g, crop_size, 0, 0, cv::INTER_AREA);
      out.labels.push_back(label);
      out.crops.push_back(g.clone());
    }
  }
  if (out.crops.empty()) throw InputError(dir + ": no crops found (expected DIR/<label>/*.png)");
  return out;
}

std::vector<CropSample> samples_from_folder(const FolderCrops& f, const assemble::Charset& charset,
                                            int* dropped) {
  std::unordered_map<std::string, int> index;
  for (std::size_t k = 0; k < charset.labels.size(); ++k) index[charset.labels[k]] = static_cast<int>(k);
  std::vector<CropSample> out;
  int skipped = 0;
  for (std::size_t i = 0; i < f.crops.size(); ++i) {
    int label = charset.reject_class();
    if (!f.labels[i].empty()) {
      auto it = index.find(f.labels[i]);
      if (it == index.end()) {
        ++skipped;
        continue;
      }
      label = it->second;
    }
    CropSample s;
    s.patch = f.crops[i];
    s.core = cv::Rect2f(0.f, 0.f, static_cast<float>(s.patch.cols), static_cast<float>(s.patch.rows));
    s.label = label;
    s.style = kNoStyle;
    out.push_back(std::move(s));
  }
  if (dropped) *dropped = skipped;
  return out;
}

void write_crop(const std::string& dir, const std::string& label, const std::string& name,
                const cv::Mat& crop_u8) {
  const fs::path sub = fs::path(dir) / synth::crop_label_dir(label);
  fs::create_directories(sub);
  const std::string path = (sub / (name + ".png")).string();
  if (!cv::imwrite(path, crop_u8)) throw InputError(path + ": cannot write crop");
}

// ---- synthetic crops --------------------------------------------------------------

namespace {

cv::Size context_size(cv::Size s, float context) {
  return {static_cast<int>(std::lround(s.width * context)),
          static_cast<int>(std::lround(s.height * context))};
}

// A crop of `sample` labelled `label`; a character crop (line, index ≥ 0)
// carries that character's legibility. Patch and core are set by the caller.
CropSample labelled(const synth::Sample& sample, int label, int line, int index) {
  CropSample s;
  s.label = label;
  s.style = static_cast<int>(sample.style);
  if (line >= 0 && index >= 0) {
    s.legibility =
        sample.lines[static_cast<std::size_t>(line)].chars[static_cast<std::size_t>(index)].cnr;
  }
  return s;
}

std::vector<CropSample> crops_of_image(const synth::Sample& sample, std::uint64_t seed,
                                       const SynthCropOptions& o,
                                       const std::unordered_map<std::string, int>& label_index,
                                       int reject_class) {
  synth::CropGeometry geometry;
  geometry.size = o.crop.size;
  geometry.height_factor = o.crop.height_factor;
  geometry.by_char_width = o.crop.by_char_width;
  geometry.reject_ratio = o.reject_ratio;
  const auto crops = synth::sample_line_crops(sample, geometry, seed);
  std::vector<CropSample> out;
  std::vector<assemble::CropBox> boxes;
  for (const auto& c : crops) {
    int label = reject_class;
    if (!c.label.empty()) {
      auto it = label_index.find(c.label);
      if (it == label_index.end()) continue;
      label = it->second;
    }
    CropSample s = labelled(sample, label, c.line, c.index);
    s.patch = c.gray8;
    s.core = cv::Rect2f(0.f, 0.f, static_cast<float>(c.gray8.cols), static_cast<float>(c.gray8.rows));
    out.push_back(std::move(s));
    boxes.push_back(c.box);
  }
  cv::Mat gray;
  if (o.detect) {
    // The detector's own view of the image: its detections in the reader's line
    // frame, labelled by the ground truth.
    const std::vector<assemble::LayoutLine> lines = o.detect(sample.image);
    std::vector<assemble::CropBox> mined;
    const std::size_t first = out.size();
    for (const DetectionMatch& m : match_detections(sample, lines)) {
      int label = reject_class;
      if (!m.label.empty()) {
        if (!o.mine_characters) continue;
        auto it = label_index.find(m.label);
        if (it == label_index.end()) continue;
        label = it->second;
      }
      CropSample s = labelled(sample, label, m.gt_line, m.gt_index);
      s.mined = true;
      out.push_back(std::move(s));
      mined.push_back(assemble::crop_box(lines[static_cast<std::size_t>(m.line)],
                                         static_cast<std::size_t>(m.index), o.crop.frame()));
    }
    if (!mined.empty()) {
      gray = charcls::to_gray8(sample.image);
      auto patches = charcls::extract_crops_u8(gray, mined, o.crop.size);
      for (std::size_t i = 0; i < mined.size(); ++i) {
        CropSample& s = out[first + i];
        s.patch = patches[i];
        s.core = cv::Rect2f(0.f, 0.f, static_cast<float>(s.patch.cols),
                            static_cast<float>(s.patch.rows));
        boxes.push_back(mined[i]);
      }
    }
  }
  if (o.context > 1.f && !out.empty()) {
    // Re-cut with margin: the patch spans the box scaled by the realised context
    // (rounded to whole pixels), and the core is exactly the original box.
    const cv::Size ps = context_size(o.crop.size, o.context);
    const float fx = static_cast<float>(ps.width) / o.crop.size.width;
    const float fy = static_cast<float>(ps.height) / o.crop.size.height;
    for (auto& b : boxes) {
      b.width *= fx;
      b.height *= fy;
    }
    if (gray.empty()) gray = charcls::to_gray8(sample.image);
    auto patches = charcls::extract_crops_u8(gray, boxes, ps);
    const cv::Rect2f core(0.5f * (ps.width - o.crop.size.width), 0.5f * (ps.height - o.crop.size.height),
                          static_cast<float>(o.crop.size.width), static_cast<float>(o.crop.size.height));
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].patch = patches[i];
      out[i].core = core;
    }
  }
  return out;
}

}  // namespace

namespace {

// A detection over a quarter of a character's area or more takes in that
// character; one over a tenth of it is not clear of it.
constexpr float kCovered = 0.25f;
constexpr float kGrazed = 0.1f;

bool contains(const Quad& q, cv::Point2f p) {
  const std::vector<cv::Point2f> poly(q.pts.begin(), q.pts.end());
  return cv::pointPolygonTest(poly, p, false) >= 0;
}

}  // namespace

std::vector<DetectionMatch> match_detections(const synth::Sample& sample,
                                             const std::vector<assemble::LayoutLine>& lines,
                                             float min_iou, float max_reject_iou) {
  struct Gt {
    int line, index;
    const synth::CharAnn* c;
  };
  std::vector<Gt> gts;
  for (std::size_t l = 0; l < sample.lines.size(); ++l) {
    for (std::size_t i = 0; i < sample.lines[l].chars.size(); ++i) {
      gts.push_back({static_cast<int>(l), static_cast<int>(i), &sample.lines[l].chars[i]});
    }
  }
  struct Det {
    int line, index;
    std::vector<std::size_t> inside;   // ground-truth characters holding its centre
    float inside_iou = 0.f;            // IoU with the last of them
    float best_iou = 0.f;              // over all ground-truth characters
    std::vector<std::size_t> covered;  // ground-truth characters it covers by a quarter or more
    float best_cover = 0.f;            // the largest share of a character it covers
  };
  std::vector<Det> dets;
  std::vector<int> claims(gts.size(), 0);
  for (std::size_t l = 0; l < lines.size(); ++l) {
    for (std::size_t i = 0; i < lines[l].chars.size(); ++i) {
      const Quad& q = lines[l].chars[i].quad;
      Det d{static_cast<int>(l), static_cast<int>(i), {}, 0.f, 0.f, {}, 0.f};
      for (std::size_t g = 0; g < gts.size(); ++g) {
        const float iou = quad_iou(q, gts[g].c->quad);
        if (contains(gts[g].c->quad, q.center())) {
          d.inside.push_back(g);
          d.inside_iou = iou;
          ++claims[g];
        }
        d.best_iou = std::max(d.best_iou, iou);
        const float cover = quad_coverage(q, gts[g].c->quad);
        d.best_cover = std::max(d.best_cover, cover);
        if (cover >= kCovered) d.covered.push_back(g);
      }
      dets.push_back(std::move(d));
    }
  }
  std::vector<DetectionMatch> out;
  for (const Det& d : dets) {
    DetectionMatch m;
    m.line = d.line;
    m.index = d.index;
    if (d.inside.size() == 1) {
      const Gt& g = gts[d.inside.front()];
      // Alone on its character, close to its box, and over no other character.
      const bool others = std::any_of(d.covered.begin(), d.covered.end(),
                                      [&](std::size_t c) { return c != d.inside.front(); });
      if (claims[d.inside.front()] != 1 || d.inside_iou < min_iou || others) continue;
      m.label = g.c->label;
      m.gt_line = g.line;
      m.gt_index = g.index;
    } else if (!d.inside.empty() || d.best_iou >= max_reject_iou || d.best_cover >= kGrazed) {
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<CropSample> synth_crops(const SynthCropOptions& o, const assemble::Charset& charset) {
  std::unordered_map<std::string, int> label_index;
  for (std::size_t k = 0; k < charset.labels.size(); ++k) {
    label_index[charset.labels[k]] = static_cast<int>(k);
  }
  const synth::Generator gen(o.synth, o.seed);
  const int threads = std::max(1, o.threads);
  // Each worker fills the slots of its own images; results are concatenated in
  // index order, so the data set does not depend on the thread count.
  std::vector<std::vector<CropSample>> per_image(static_cast<std::size_t>(std::max(0, o.images)));
  std::vector<std::thread> pool;
  std::mutex error_mutex;
  std::exception_ptr error;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t]() {
      try {
        for (int i = t; i < o.images; i += threads) {
          const std::uint64_t index = o.first_index + static_cast<std::uint64_t>(i);
          const synth::Sample s = gen.generate(index);
          const std::uint64_t crop_seed = o.seed * 0x9E3779B97F4A7C15ull + index;
          per_image[i] = crops_of_image(s, crop_seed, o, label_index, charset.reject_class());
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  std::vector<CropSample> out;
  for (auto& v : per_image) {
    for (auto& s : v) out.push_back(std::move(s));
  }
  return out;
}

// ---- augmentation ------------------------------------------------------------------

namespace {

void dropout_spots(cv::Mat& f, std::mt19937_64& rng) {
  // Paint 1–3 spots of background over ink: dot-matrix dots that did not fire,
  // broken thermal strokes.
  double lo = 0, hi = 0;
  cv::minMaxLoc(f, &lo, &hi);
  if (hi - lo < 20) return;
  cv::Mat sorted = f.reshape(1, 1).clone();
  cv::sort(sorted, sorted, cv::SORT_ASCENDING);
  const float median = sorted.at<float>(0, sorted.cols / 2);
  const float mid = 0.5f * static_cast<float>(lo + hi);
  const bool dark_ink = median > mid;
  std::vector<cv::Point> ink;
  for (int y = 0; y < f.rows; ++y) {
    const float* p = f.ptr<float>(y);
    for (int x = 0; x < f.cols; ++x) {
      if (dark_ink ? p[x] < mid : p[x] > mid) ink.emplace_back(x, y);
    }
  }
  if (ink.empty()) return;
  const int spots = 1 + static_cast<int>(rng() % 3);
  std::uniform_real_distribution<float> radius(1.0f, 2.2f);
  for (int k = 0; k < spots; ++k) {
    const cv::Point c = ink[rng() % ink.size()];
    cv::circle(f, c, static_cast<int>(std::lround(radius(rng))), cv::Scalar(median), cv::FILLED,
               cv::LINE_AA);
  }
}

// The sample's core rectangle as an axis-aligned crop box.
assemble::CropBox core_box(const CropSample& s) {
  assemble::CropBox box;
  box.center = {s.core.x + 0.5f * s.core.width, s.core.y + 0.5f * s.core.height};
  box.width = s.core.width;
  box.height = s.core.height;
  return box;
}

}  // namespace

cv::Mat sample_crop_u8(const CropSample& s, cv::Size size) {
  const bool whole = s.core.x == 0.f && s.core.y == 0.f && s.core.width == s.patch.cols &&
                     s.core.height == s.patch.rows;
  if (whole && s.patch.size() == size) return s.patch;
  return charcls::extract_crops_u8(s.patch, {core_box(s)}, size)[0];
}

cv::Mat make_input(const CropSample& s, cv::Size size, const AugmentOptions* aug,
                   std::mt19937_64& rng) {
  if (!aug) return charcls::normalize_crop(sample_crop_u8(s, size));
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  assemble::CropBox box = core_box(s);
  const float sc = 1.f + aug->scale * u(rng);
  const float ar = 1.f + aug->aspect * u(rng);
  box.height *= sc;
  box.width *= sc * ar;
  box.center.x += aug->shift * s.core.height * u(rng);
  box.center.y += aug->shift * s.core.height * u(rng);
  const float a = aug->rotate_deg * u(rng) * static_cast<float>(CV_PI / 180.0);
  box.direction = {std::cos(a), std::sin(a)};
  cv::Mat crop_u8 = charcls::extract_crops_u8(s.patch, {box}, size)[0];
  std::uniform_real_distribution<float> u01(0.f, 1.f);
  cv::Mat f;
  crop_u8.convertTo(f, CV_32F);
  if (u01(rng) < aug->dropout_p) dropout_spots(f, rng);
  cv::Scalar mean, dev;
  cv::meanStdDev(f, mean, dev);
  if (u01(rng) < aug->contrast_p && dev[0] > 12.0) {
    // Squeeze contrast (never below ~6 grey levels of deviation) and bend gamma.
    const double a = std::max(6.0 / dev[0], 0.3 + 0.7 * u01(rng));
    f = (f - mean[0]) * a + mean[0] + (u01(rng) - 0.5f) * 40.f;
    cv::max(f, 1.0, f);
    cv::min(f, 255.0, f);
    const float gamma = std::exp((u01(rng) - 0.5f) * 0.6f);
    cv::Mat g;
    f.convertTo(g, CV_32F, 1.0 / 255.0);
    cv::pow(g, gamma, g);
    g.convertTo(f, CV_32F, 255.0);
    cv::meanStdDev(f, mean, dev);
  }
  if (u01(rng) < aug->blur_p) {
    const double sigma = 0.4 + 0.7 * u01(rng);
    cv::GaussianBlur(f, f, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
  }
  if (u01(rng) < aug->noise_p) {
    // Relative to the crop's own contrast: absolute noise would erase faint
    // etched marks that the generator already made hard.
    cv::Mat n(f.size(), CV_32F);
    cv::RNG cvrng(rng());
    cvrng.fill(n, cv::RNG::NORMAL, 0.0, std::max(1.0, dev[0]) * (0.05 + 0.25 * u01(rng)));
    f += n;
  }
  if (u01(rng) < aug->invert_p) f = 255.0 - f;
  f.convertTo(crop_u8, CV_8U);  // saturating
  return charcls::normalize_crop(crop_u8);
}

// ---- charsets ----------------------------------------------------------------------

assemble::Charset charset_from_string(const std::string& charset) {
  assemble::Charset cs;
  for (const auto& l : synth::expand_charset(charset)) {
    if (std::find(cs.labels.begin(), cs.labels.end(), l) == cs.labels.end()) cs.labels.push_back(l);
  }
  if (cs.labels.empty()) throw InputError("charset \"" + charset + "\" is empty");
  return cs;
}

std::string charset_string(const std::vector<std::string>& labels) {
  std::string s;
  bool dash = false;
  for (const auto& l : labels) {
    if (l == "-") {
      dash = true;
    } else {
      s += l;
    }
  }
  if (dash) s += "-";
  return s;
}

}  // namespace ocr2s::train
