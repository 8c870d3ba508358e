#include "charcls/crops.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "ocr2s/errors.hpp"

namespace ocr2s::charcls {

cv::Mat to_gray8(const cv::Mat& image) {
  if (image.empty()) throw InputError("empty image");
  const int ch = image.channels();
  if (ch != 1 && ch != 3 && ch != 4) {
    throw InputError("unsupported image: " + std::to_string(ch) + " channels (1, 3 or 4 expected)");
  }
  cv::Mat gray;
  if (ch == 1) {
    gray = image;
  } else {
    cv::cvtColor(image, gray, ch == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
  }
  switch (gray.depth()) {
    case CV_8U:
      return gray;
    case CV_16U: {
      double lo = 0, hi = 0;
      cv::minMaxLoc(gray, &lo, &hi);
      cv::Mat out;
      const double span = std::max(hi - lo, 1.0);
      gray.convertTo(out, CV_8U, 255.0 / span, -lo * 255.0 / span);
      return out;
    }
    case CV_32F: {
      // NaN compares false everywhere: patch it to 0 before the clamping convert.
      cv::Mat clean = gray.clone();
      cv::patchNaNs(clean, 0.0);
      cv::Mat out;
      clean.convertTo(out, CV_8U, 255.0);  // saturate_cast clamps to [0, 255]
      return out;
    }
    default:
      throw InputError("unsupported image depth " + std::to_string(gray.depth()) +
                       " (8-bit, 16-bit or 32-bit float expected)");
  }
}

std::vector<cv::Mat> extract_crops_u8(const cv::Mat& gray8,
                                      const std::vector<assemble::CropBox>& boxes, cv::Size size) {
  CV_Assert(gray8.type() == CV_8UC1);
  std::vector<cv::Mat> out;
  out.reserve(boxes.size());
  for (const auto& b : boxes) {
    // Oversample boxes that are much larger than the crop, then area-average down:
    // bilinear sampling alone would alias thin strokes and dots away.
    const float ratio = std::max(b.width / size.width, b.height / size.height);
    const int k = std::clamp(static_cast<int>(std::floor(ratio)), 1, 4);
    const cv::Size work(size.width * k, size.height * k);
    const cv::Point2f n(-b.direction.y, b.direction.x);
    // Destination pixel (x, y) (centre at x + 0.5) maps to the continuous image point
    // center + dir·((x+0.5)/W − 0.5)·width + n·((y+0.5)/H − 0.5)·height; OpenCV's
    // pixel coordinates are the continuous ones minus 0.5.
    const float sx = b.width / work.width;
    const float sy = b.height / work.height;
    const cv::Point2f t = b.center - cv::Point2f(0.5f, 0.5f) + b.direction * (0.5f * sx - 0.5f * b.width) +
                          n * (0.5f * sy - 0.5f * b.height);
    const cv::Matx23f m(b.direction.x * sx, n.x * sy, t.x,  //
                        b.direction.y * sx, n.y * sy, t.y);
    cv::Mat crop;
    cv::warpAffine(gray8, crop, m, work, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    if (k > 1) cv::resize(crop, crop, size, 0, 0, cv::INTER_AREA);
    out.push_back(crop);
  }
  return out;
}

cv::Mat normalize_crop(const cv::Mat& crop_u8) {
  cv::Mat f;
  crop_u8.convertTo(f, CV_32F, 1.0 / 255.0);
  cv::Scalar mean, stddev;
  cv::meanStdDev(f, mean, stddev);
  const double sd = std::max(stddev[0], 4.0 / 255.0);
  f.convertTo(f, CV_32F, 1.0 / sd, -mean[0] / sd);
  return f;
}

std::vector<cv::Mat> extract_crops(const cv::Mat& gray8, const std::vector<assemble::CropBox>& boxes,
                                   cv::Size size) {
  auto crops = extract_crops_u8(gray8, boxes, size);
  for (auto& c : crops) c = normalize_crop(c);
  return crops;
}

}  // namespace ocr2s::charcls
