#include "synth/crops.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "charcls/crops.hpp"
#include "core/quad_ops.hpp"
#include "synth/rng.hpp"
#include "core/utf8.hpp"

namespace ocr2s::synth {
namespace {

/// Zoom of the "several characters" reject crops.
constexpr float kZoomOut = 2.5f;

std::vector<cv::Point2f> poly(const Quad& q) { return {q.pts.begin(), q.pts.end()}; }

bool intersects(const Quad& a, const Quad& b) {
  std::vector<cv::Point2f> out;
  std::vector<cv::Point2f> pa = poly(a), pb = poly(b);
  // intersectConvexConvex wants a consistent orientation; make both clockwise.
  if (cv::contourArea(pa, true) < 0) std::reverse(pa.begin(), pa.end());
  if (cv::contourArea(pb, true) < 0) std::reverse(pb.begin(), pb.end());
  return cv::intersectConvexConvex(pa, pb, out, true) > 0.5f;
}

Quad box_quad(const assemble::CropBox& b) { return oriented_rect(b.center, b.direction, b.width, b.height); }

bool inside_image(const Quad& q, cv::Size size) {
  for (const auto& p : q.pts)
    if (p.x < 0 || p.y < 0 || p.x > size.width || p.y > size.height) return false;
  return true;
}

}  // namespace

std::string crop_label_dir(const std::string& label) {
  if (label.empty()) return kRejectDir;
  if (label.size() == 1) {
    const char c = label[0];
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return label;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(utf8_first(label)));
  return buf;
}

std::optional<std::string> label_from_crop_dir(const std::string& dir) {
  if (dir == kRejectDir) return std::string();
  if (dir.size() == 1) {
    const char c = dir[0];
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return dir;
    return std::nullopt;
  }
  if (dir.size() < 6 || dir.size() > 8 || dir.compare(0, 2, "U+") != 0) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = 2; i < dir.size(); ++i) {
    const char c = dir[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
    else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
  }
  if (v > 0x10FFFF) return std::nullopt;
  std::string label = utf8_encode(static_cast<char32_t>(v));
  if (crop_label_dir(label) != dir) return std::nullopt;  // one name per label
  return label;
}

std::vector<LabelledCrop> sample_line_crops(const Sample& s, const CropGeometry& geometry, std::uint64_t seed) {
  std::vector<LabelledCrop> out;
  if (s.image.empty()) return out;
  const cv::Mat gray = charcls::to_gray8(s.image);
  const assemble::CropFrame frame = geometry.frame();
  Rng rng(splitmix64(seed ^ 0xC2B2AE3D27D4EB4Full));

  std::vector<assemble::LayoutLine> lines;
  std::vector<Quad> all_chars;
  std::vector<assemble::CropBox> boxes;
  for (std::size_t li = 0; li < s.lines.size(); ++li) {
    const LineAnn& la = s.lines[li];
    std::vector<Quad> quads;
    std::vector<int> words;
    // Word index of each character from the spaces of the line's text.
    int word = 0;
    std::size_t k = 0;
    for (const auto& cp : utf8_split(la.text)) {
      if (cp == " ") {
        ++word;
        continue;
      }
      if (k < la.chars.size()) {
        words.push_back(word);
        ++k;
      }
    }
    while (words.size() < la.chars.size()) words.push_back(word);
    for (const auto& c : la.chars) {
      quads.push_back(c.quad);
      all_chars.push_back(c.quad);
    }
    if (quads.empty()) {
      lines.emplace_back();
      continue;
    }
    lines.push_back(assemble::make_line(quads, words));
    const std::vector<assemble::CropBox> char_boxes = assemble::crop_boxes(lines.back(), frame);
    for (std::size_t i = 0; i < la.chars.size(); ++i) {
      LabelledCrop c;
      c.label = la.chars[i].label;
      c.box = char_boxes[i];
      c.line = static_cast<int>(li);
      c.index = static_cast<int>(i);
      boxes.push_back(c.box);
      out.push_back(std::move(c));
    }
  }
  const std::size_t n_chars = out.size();
  const int n_reject = n_chars == 0 || geometry.reject_ratio <= 0
                           ? 0
                           : static_cast<int>(std::ceil(geometry.reject_ratio * static_cast<float>(n_chars)));
  std::vector<std::size_t> nonempty;
  for (std::size_t li = 0; li < lines.size(); ++li)
    if (!lines[li].chars.empty()) nonempty.push_back(li);

  auto clear_of_text = [&](const Quad& q) {
    for (const auto& c : all_chars)
      if (intersects(q, c)) return false;
    return true;
  };
  for (int r = 0; r < n_reject && !nonempty.empty(); ++r) {
    const auto& line = lines[rng.pick(nonempty)];
    const float h = line.height * geometry.height_factor * static_cast<float>(rng.uniform(0.8, 1.25));
    // The line's own crop aspect (its character width scale included).
    const float aspect = frame.aspect * assemble::crop_width_scale(line, frame);
    // Cycle through the kinds so each is represented; fall back to zoomed-out
    // crops when a sample has no distractor, no free background or no pair of
    // neighbours far enough apart.
    const int kind = r % 4;
    bool done = false;
    if (kind == 0 && !s.distractors.empty()) {
      for (int attempt = 0; attempt < 8 && !done; ++attempt) {
        const Quad& d = s.distractors[static_cast<std::size_t>(rng.integer(0, static_cast<int>(s.distractors.size()) - 1))];
        const float u = static_cast<float>(rng.uniform(0.2, 0.8)), v = static_cast<float>(rng.uniform(0.2, 0.8));
        const cv::Point2f top = d.pts[0] + (d.pts[1] - d.pts[0]) * u, bot = d.pts[3] + (d.pts[2] - d.pts[3]) * u;
        assemble::CropBox b;
        b.center = top + (bot - top) * v;
        b.direction = line.direction;
        b.height = h;
        b.width = h * aspect;
        const Quad q = box_quad(b);
        if (!clear_of_text(q)) continue;
        LabelledCrop c;
        c.box = b;
        c.kind = LabelledCrop::Kind::kDistractor;
        boxes.push_back(b);
        out.push_back(std::move(c));
        done = true;
      }
    } else if (kind == 1) {
      for (int attempt = 0; attempt < 12 && !done; ++attempt) {
        assemble::CropBox b;
        b.center = cv::Point2f(static_cast<float>(rng.uniform(0, s.image.cols)), static_cast<float>(rng.uniform(0, s.image.rows)));
        b.direction = line.direction;
        b.height = h;
        b.width = h * aspect;
        const Quad q = box_quad(b);
        if (!inside_image(q, s.image.size()) || !clear_of_text(q)) continue;
        LabelledCrop c;
        c.box = b;
        c.kind = LabelledCrop::Kind::kBackground;
        boxes.push_back(b);
        out.push_back(std::move(c));
        done = true;
      }
    } else if (kind == 3 && line.chars.size() >= 2) {
      for (int attempt = 0; attempt < 6 && !done; ++attempt) {
        const std::size_t i = static_cast<std::size_t>(rng.integer(0, static_cast<int>(line.chars.size()) - 2));
        const auto& a = line.chars[i];
        const auto& b = line.chars[i + 1];
        const cv::Point2f d = b.quad.center() - a.quad.center();
        if (a.word != b.word || !(std::abs(d.dot(line.direction)) >= kStraddleSpacing * line.height)) continue;
        const assemble::CropBox ba = assemble::crop_box(line, i, frame);
        const assemble::CropBox bb = assemble::crop_box(line, i + 1, frame);
        LabelledCrop c;
        c.box = ba;
        c.box.center = 0.5f * (ba.center + bb.center);
        c.kind = LabelledCrop::Kind::kStraddle;
        boxes.push_back(c.box);
        out.push_back(std::move(c));
        done = true;
      }
    }
    if (!done) {
      const std::size_t i = static_cast<std::size_t>(rng.integer(0, static_cast<int>(line.chars.size()) - 1));
      LabelledCrop c;
      assemble::CropFrame zoomed = frame;
      zoomed.height_factor *= kZoomOut;
      c.box = assemble::crop_box(line, i, zoomed);
      c.kind = LabelledCrop::Kind::kZoomedOut;
      boxes.push_back(c.box);
      out.push_back(std::move(c));
    }
  }
  std::vector<cv::Mat> crops = charcls::extract_crops_u8(gray, boxes, geometry.size);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].gray8 = crops[i];
  return out;
}

}  // namespace ocr2s::synth
