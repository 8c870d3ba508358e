// Drawing annotations for humans (the --preview contact sheet). Not used by training.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "synth/synth.hpp"

namespace ocr2s::synth {

cv::Mat draw_annotations(const Sample& s) {
  cv::Mat out = s.image.clone();
  auto poly = [&out](const Quad& q, cv::Scalar colour, int thickness) {
    std::vector<cv::Point> p;
    for (const auto& v : q.pts) p.emplace_back(cvRound(v.x * 4), cvRound(v.y * 4));
    cv::polylines(out, p, true, colour, thickness, cv::LINE_AA, 2);
  };
  for (const auto& d : s.distractors) poly(d, cv::Scalar(0, 0, 255), 1);
  for (const auto& l : s.lines) {
    for (const auto& c : l.chars) {
      poly(c.quad, cv::Scalar(0, 220, 0), 1);
      // A tick on the top edge shows the reading frame (pts[0] → pts[1]).
      cv::circle(out, cv::Point(cvRound(c.quad.pts[0].x * 4), cvRound(c.quad.pts[0].y * 4)), 4,
                 cv::Scalar(255, 128, 0), cv::FILLED, cv::LINE_AA, 2);
    }
  }
  return out;
}

cv::Mat contact_sheet(const std::vector<cv::Mat>& tiles, int columns, cv::Size cell) {
  const int n = static_cast<int>(tiles.size());
  columns = std::max(1, std::min(columns, std::max(1, n)));
  const int rows = std::max(1, (n + columns - 1) / columns);
  cv::Mat sheet(rows * (cell.height + 4) + 4, columns * (cell.width + 4) + 4, CV_8UC3, cv::Scalar(48, 48, 48));
  for (int i = 0; i < n; ++i) {
    const cv::Mat& t = tiles[static_cast<std::size_t>(i)];
    if (t.empty()) continue;
    const double f = std::min({1.0, static_cast<double>(cell.width) / t.cols, static_cast<double>(cell.height) / t.rows});
    cv::Mat r;
    cv::resize(t, r, cv::Size(std::max(1, cvRound(t.cols * f)), std::max(1, cvRound(t.rows * f))), 0, 0,
               f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    const int x = 4 + (i % columns) * (cell.width + 4), y = 4 + (i / columns) * (cell.height + 4);
    r.copyTo(sheet(cv::Rect(x, y, r.cols, r.rows)));
  }
  return sheet;
}

}  // namespace ocr2s::synth
