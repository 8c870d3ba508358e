#include "synth/materials.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ocr2s::synth {

cv::Mat smooth_field(Rng& rng, cv::Size size, int cells, float lo, float hi) {
  cv::Mat coarse(cells, cells, CV_32F);
  for (int y = 0; y < cells; ++y)
    for (int x = 0; x < cells; ++x) coarse.at<float>(y, x) = static_cast<float>(rng.uniform(lo, hi));
  cv::Mat out;
  cv::resize(coarse, out, size, 0, 0, cv::INTER_CUBIC);
  return out;
}

namespace {

// Zero-mean gaussian grain (CV_32F, one channel) from a generator seeded by rng.
cv::Mat grain(Rng& rng, cv::Size size, float sigma) {
  cv::Mat n(size, CV_32F);
  cv::RNG cvrng(rng.fork());
  cvrng.fill(n, cv::RNG::NORMAL, 0.0, sigma);
  return n;
}

// Adds a single-channel field to all three channels.
void add_gray(cv::Mat& bgr, const cv::Mat& field) {
  cv::Mat f3;
  cv::merge(std::vector<cv::Mat>{field, field, field}, f3);
  bgr += f3;
}

void mul_gray(cv::Mat& bgr, const cv::Mat& field) {
  cv::Mat f3;
  cv::merge(std::vector<cv::Mat>{field, field, field}, f3);
  cv::multiply(bgr, f3, bgr);
}

}  // namespace

cv::Mat make_surface(Rng& rng, cv::Size size, Surface kind, cv::Scalar base) {
  cv::Mat s(size, CV_32FC3, base);
  switch (kind) {
    case Surface::kPaper: {
      mul_gray(s, smooth_field(rng, size, 4, 0.93f, 1.02f));
      add_gray(s, grain(rng, size, static_cast<float>(rng.uniform(1.5, 5.0))));
      break;
    }
    case Surface::kCardboard: {
      mul_gray(s, smooth_field(rng, size, 6, 0.85f, 1.05f));
      // Fibres: grain stretched along one axis.
      cv::Mat f = grain(rng, size, 14.f);
      const int k = rng.integer(5, 15);
      cv::blur(f, f, rng.chance(0.5) ? cv::Size(k, 1) : cv::Size(1, k));
      add_gray(s, f);
      add_gray(s, grain(rng, size, 4.f));
      break;
    }
    case Surface::kPlastic: {
      mul_gray(s, smooth_field(rng, size, 3, 0.9f, 1.08f));
      cv::Mat f = grain(rng, size, 6.f);
      cv::GaussianBlur(f, f, cv::Size(0, 0), 1.2);
      add_gray(s, f);  // fine moulded texture
      add_gray(s, grain(rng, size, 1.5f));
      if (rng.chance(0.4)) add_specular(rng, s, static_cast<float>(rng.uniform(20, 60)));
      break;
    }
    case Surface::kMetal: {
      mul_gray(s, smooth_field(rng, size, 5, 0.8f, 1.15f));
      // Brushed / machined: strong grain smeared along the tool path.
      cv::Mat f = grain(rng, size, static_cast<float>(rng.uniform(10, 35)));
      const int k = rng.integer(15, 61);
      cv::blur(f, f, rng.chance(0.75) ? cv::Size(k, 1) : cv::Size(1, k));
      add_gray(s, f);
      add_gray(s, grain(rng, size, 3.f));
      if (rng.chance(0.7)) add_specular(rng, s, static_cast<float>(rng.uniform(25, 90)));
      break;
    }
    case Surface::kGlossyFilm: {
      mul_gray(s, smooth_field(rng, size, 3, 0.92f, 1.05f));
      add_gray(s, grain(rng, size, 1.5f));
      add_specular(rng, s, static_cast<float>(rng.uniform(40, 120)));
      if (rng.chance(0.5)) add_specular(rng, s, static_cast<float>(rng.uniform(20, 60)));
      break;
    }
    case Surface::kRubber: {
      mul_gray(s, smooth_field(rng, size, 6, 0.85f, 1.15f));
      cv::Mat f = grain(rng, size, 8.f);
      cv::GaussianBlur(f, f, cv::Size(0, 0), 0.8);
      add_gray(s, f);
      break;
    }
    case Surface::kPanel: {
      mul_gray(s, smooth_field(rng, size, 3, 0.92f, 1.06f));
      add_gray(s, grain(rng, size, 1.5f));
      break;
    }
  }
  return s;
}

void add_specular(Rng& rng, cv::Mat& surface, float strength) {
  // A gaussian ridge along a random direction: the reflection of a long lamp.
  const cv::Size size = surface.size();
  const double ang = rng.uniform(0, CV_PI);
  const double nx = std::cos(ang), ny = std::sin(ang);
  const double cx = rng.uniform(0, size.width), cy = rng.uniform(0, size.height);
  const double width = rng.uniform(0.08, 0.4) * std::max(size.width, size.height);
  cv::Mat f(size, CV_32F);
  for (int y = 0; y < size.height; ++y) {
    float* row = f.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      const double d = ((x - cx) * nx + (y - cy) * ny) / width;
      row[x] = static_cast<float>(strength * std::exp(-0.5 * d * d));
    }
  }
  add_gray(surface, f);
}

void degrade(Rng& rng, cv::Mat& img, float min_char_height) {
  const float h = std::max(6.f, min_char_height);
  cv::Mat f;
  img.convertTo(f, CV_32FC3);
  // Uneven light.
  if (rng.chance(0.6)) mul_gray(f, smooth_field(rng, img.size(), 3, static_cast<float>(rng.uniform(0.55, 0.9)), 1.1f));
  // A cast shadow: a soft-edged half plane.
  if (rng.chance(0.2)) {
    const double ang = rng.uniform(0, 2 * CV_PI), nx = std::cos(ang), ny = std::sin(ang);
    const double cx = rng.uniform(0, img.cols), cy = rng.uniform(0, img.rows);
    const double soft = rng.uniform(3, 40), depth = rng.uniform(0.25, 0.6);
    cv::Mat m(img.size(), CV_32F);
    for (int y = 0; y < img.rows; ++y) {
      float* row = m.ptr<float>(y);
      for (int x = 0; x < img.cols; ++x) {
        const double d = ((x - cx) * nx + (y - cy) * ny) / soft;
        row[x] = static_cast<float>(1.0 - depth / (1.0 + std::exp(-d)));
      }
    }
    mul_gray(f, m);
  }
  // Blur: defocus or motion, never more than a fraction of the character height.
  const double r = rng.uniform();
  if (r < 0.35) {
    const double sigma = rng.uniform(0.3, std::max(0.35, std::min(2.5, 0.06 * h)));
    cv::GaussianBlur(f, f, cv::Size(0, 0), sigma);
  } else if (r < 0.5) {
    const int len = std::max(2, static_cast<int>(rng.uniform(2, std::max(3.0, 0.15 * h))));
    const double ang = rng.uniform(0, CV_PI);
    cv::Mat k = cv::Mat::zeros(len | 1, len | 1, CV_32F);
    const cv::Point2f c(static_cast<float>((len | 1) / 2), static_cast<float>((len | 1) / 2));
    const cv::Point2f d(static_cast<float>(std::cos(ang) * len / 2), static_cast<float>(std::sin(ang) * len / 2));
    cv::line(k, c - d, c + d, cv::Scalar(1), 1, cv::LINE_AA);
    k /= cv::sum(k)[0];
    cv::filter2D(f, f, -1, k);
  }
  // Low resolution: down and up again.
  if (rng.chance(0.2) && h > 16) {
    const double s = rng.uniform(std::max(0.35, 9.0 / h), 0.8);
    cv::Mat small;
    cv::resize(f, small, cv::Size(), s, s, cv::INTER_AREA);
    cv::resize(small, f, img.size(), 0, 0, cv::INTER_LINEAR);
  }
  // Sensor noise (luminance plus a little chroma).
  const float sigma = static_cast<float>(rng.uniform(0.5, 9.0));
  cv::Mat n(img.size(), CV_32FC3);
  cv::RNG cvrng(rng.fork());
  cvrng.fill(n, cv::RNG::NORMAL, 0.0, sigma * 0.3);
  f += n;
  cv::Mat g(img.size(), CV_32F);
  cvrng.fill(g, cv::RNG::NORMAL, 0.0, sigma);
  add_gray(f, g);
  f.convertTo(img, CV_8UC3);
  // JPEG artefacts.
  if (rng.chance(0.3)) {
    std::vector<uchar> buf;
    const int q = rng.integer(12, 75);
    cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, q});
    img = cv::imdecode(buf, cv::IMREAD_COLOR);
  }
}

}  // namespace ocr2s::synth
