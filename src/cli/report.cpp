#include "cli/report.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/tsv.hpp"

namespace ocr2s::cli {
namespace {

nlohmann::json quad_json(const Quad& q) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : q.pts) {
    // Two decimals: sub-pixel enough, and keeps the records short.
    a.push_back({std::round(p.x * 100.f) / 100.f, std::round(p.y * 100.f) / 100.f});
  }
  return a;
}

float round4(float v) { return std::round(v * 1e4f) / 1e4f; }

nlohmann::json char_json(const Char& c) {
  nlohmann::json top = nlohmann::json::array();
  for (const auto& k : c.top_k) top.push_back({k.label, round4(k.probability)});
  return {{"label", c.label},      {"p", round4(c.probability)}, {"status", to_string(c.status)},
          {"word", c.word},        {"quad", quad_json(c.quad)},  {"top_k", top}};
}

}  // namespace

nlohmann::json to_json(const std::string& image, const ReadResult& r) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : r.lines) {
    nlohmann::json chars = nlohmann::json::array();
    for (const auto& c : l.chars) chars.push_back(char_json(c));
    nlohmann::json line = {{"text", l.text},
                           {"confidence", round4(l.confidence)},
                           {"quad", quad_json(l.quad)},
                           {"chars", chars}};
    if (!l.rejected.empty()) {
      nlohmann::json rej = nlohmann::json::array();
      for (const auto& c : l.rejected) rej.push_back(char_json(c));
      line["rejected"] = rej;
    }
    if (!l.corrected.empty() || l.pattern_matched) {
      line["pattern_matched"] = l.pattern_matched;
      line["corrected"] = l.corrected;
    }
    lines.push_back(line);
  }
  nlohmann::json j = {{"image", image},
                      {"text", r.text()},
                      {"confidence", round4(r.confidence())},
                      {"width", r.image_size.width},
                      {"height", r.image_size.height},
                      {"lines", lines}};
  if (!r.marks.empty()) {
    nlohmann::json marks = nlohmann::json::array();
    for (const auto& c : r.marks) marks.push_back(char_json(c));
    j["marks"] = marks;
  }
  if (r.has_verification) {
    const auto& v = r.verification;
    j["verification"] = {{"passed", v.passed},
                         {"expected", v.expected},
                         {"edit_distance", v.edit_distance},
                         {"agree", v.agree}};
  }
  return j;
}

nlohmann::json error_json(const std::string& image, const std::string& error) {
  return {{"image", image}, {"error", error}};
}

std::string escape_lines(const std::string& text) { return tsv_escape(text); }

std::string unescape_lines(const std::string& text) { return tsv_unescape(text); }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

cv::Mat draw_overlay(const cv::Mat& image, const ReadResult& r) {
  cv::Mat bgr;
  cv::Mat src8;
  if (image.depth() == CV_8U) {
    src8 = image;
  } else if (image.depth() == CV_16U) {
    double lo, hi;
    cv::minMaxLoc(image.reshape(1), &lo, &hi);
    image.convertTo(src8, CV_8U, 255.0 / std::max(hi - lo, 1.0), -lo * 255.0 / std::max(hi - lo, 1.0));
  } else {
    image.convertTo(src8, CV_8U, 255.0);
  }
  if (src8.channels() == 1) {
    cv::cvtColor(src8, bgr, cv::COLOR_GRAY2BGR);
  } else if (src8.channels() == 4) {
    cv::cvtColor(src8, bgr, cv::COLOR_BGRA2BGR);
  } else {
    bgr = src8.clone();
  }
  const double scale = std::max(1.0, std::max(bgr.cols, bgr.rows) / 1200.0);
  const int thick = std::max(1, static_cast<int>(std::lround(scale)));
  auto poly = [&](const Quad& q, const cv::Scalar& colour) {
    std::vector<cv::Point> pts;
    for (const auto& p : q.pts) pts.emplace_back(cvRound(p.x - 0.5f), cvRound(p.y - 0.5f));
    cv::polylines(bgr, pts, /*isClosed=*/true, colour, thick, cv::LINE_AA);
  };
  for (const auto& l : r.lines) {
    std::vector<cv::Point> centres;
    for (const auto& c : l.chars) {
      const float p = std::clamp(c.probability, 0.f, 1.f);
      poly(c.quad, cv::Scalar(0, 255 * p, 255 * (1 - p)));
      const cv::Point2f m = c.quad.center();
      centres.emplace_back(cvRound(m.x - 0.5f), cvRound(m.y - 0.5f));
    }
    for (const auto& c : l.rejected) poly(c.quad, cv::Scalar(128, 128, 128));
    if (centres.size() > 1) {
      cv::polylines(bgr, centres, /*isClosed=*/false, cv::Scalar(255, 160, 0), thick, cv::LINE_AA);
    }
    const cv::Rect2f b = l.quad.bounds();
    const double fs = std::max(0.4, 0.5 * scale);
    cv::putText(bgr, l.text, cv::Point(cvRound(b.x), std::max(12, cvRound(b.y) - 4)),
                cv::FONT_HERSHEY_SIMPLEX, fs, cv::Scalar(255, 0, 255), thick, cv::LINE_AA);
  }
  // Marks set aside (ReadResult::marks): cyan, not text.
  for (const auto& m : r.marks) poly(m.quad, cv::Scalar(255, 255, 0));
  return bgr;
}

}  // namespace ocr2s::cli
