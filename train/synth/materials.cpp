#include "synth/materials.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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

// A gaussian ridge along a random direction (the reflection of a long lamp), one
// channel. Separable along the ridge normal: computed per row with a running
// offset instead of an exp per pixel where possible.
cv::Mat specular_field(Rng& rng, cv::Size size, float strength) {
  const double ang = rng.uniform(0, CV_PI);
  const double nx = std::cos(ang), ny = std::sin(ang);
  const double cx = rng.uniform(0, size.width), cy = rng.uniform(0, size.height);
  const double width = rng.uniform(0.08, 0.4) * std::max(size.width, size.height);
  // Tabulate the profile at 1/4 px steps over the range of distances that occur.
  const double d_max = std::hypot(size.width, size.height);
  const int n = static_cast<int>(std::ceil(2 * d_max * 4)) + 2;
  std::vector<float> table(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double d = (i / 4.0 - d_max) / width;
    table[static_cast<std::size_t>(i)] = static_cast<float>(strength * std::exp(-0.5 * d * d));
  }
  cv::Mat f(size, CV_32F);
  for (int y = 0; y < size.height; ++y) {
    float* row = f.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      const double d = (x - cx) * nx + (y - cy) * ny;
      row[x] = table[static_cast<std::size_t>(std::lround((d + d_max) * 4))];
    }
  }
  return f;
}

// BGR surface = base · mul + add, both single-channel fields (luminance texture).
cv::Mat shade(cv::Size size, cv::Scalar base, const cv::Mat& mul, const cv::Mat& add) {
  cv::Mat out(size, CV_32FC3);
  const float b0 = static_cast<float>(base[0]), b1 = static_cast<float>(base[1]), b2 = static_cast<float>(base[2]);
  for (int y = 0; y < size.height; ++y) {
    const float* m = mul.ptr<float>(y);
    const float* a = add.ptr<float>(y);
    float* o = out.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      o[3 * x] = b0 * m[x] + a[x];
      o[3 * x + 1] = b1 * m[x] + a[x];
      o[3 * x + 2] = b2 * m[x] + a[x];
    }
  }
  return out;
}

}  // namespace

cv::Mat make_surface(Rng& rng, cv::Size size, Surface kind, cv::Scalar base) {
  cv::Mat mul, add;
  switch (kind) {
    case Surface::kPaper: {
      mul = smooth_field(rng, size, 4, 0.93f, 1.02f);
      add = grain(rng, size, static_cast<float>(rng.uniform(1.5, 5.0)));
      break;
    }
    case Surface::kCardboard: {
      mul = smooth_field(rng, size, 6, 0.85f, 1.05f);
      // Fibres: grain stretched along one axis.
      add = grain(rng, size, 14.f);
      const int k = rng.integer(5, 15);
      cv::blur(add, add, rng.chance(0.5) ? cv::Size(k, 1) : cv::Size(1, k));
      add += grain(rng, size, 4.f);
      break;
    }
    case Surface::kPlastic: {
      mul = smooth_field(rng, size, 3, 0.9f, 1.08f);
      add = grain(rng, size, 6.f);
      cv::GaussianBlur(add, add, cv::Size(0, 0), 1.2);  // fine moulded texture
      add += grain(rng, size, 1.5f);
      if (rng.chance(0.4)) add += specular_field(rng, size, static_cast<float>(rng.uniform(20, 60)));
      break;
    }
    case Surface::kMetal: {
      mul = smooth_field(rng, size, 5, 0.8f, 1.15f);
      // Brushed / machined: strong grain smeared along the tool path.
      add = grain(rng, size, static_cast<float>(rng.uniform(10, 35)));
      const int k = rng.integer(15, 61);
      cv::blur(add, add, rng.chance(0.75) ? cv::Size(k, 1) : cv::Size(1, k));
      add += grain(rng, size, 3.f);
      if (rng.chance(0.7)) add += specular_field(rng, size, static_cast<float>(rng.uniform(25, 90)));
      break;
    }
    case Surface::kGlossyFilm: {
      mul = smooth_field(rng, size, 3, 0.92f, 1.05f);
      add = grain(rng, size, 1.5f);
      add += specular_field(rng, size, static_cast<float>(rng.uniform(40, 120)));
      if (rng.chance(0.5)) add += specular_field(rng, size, static_cast<float>(rng.uniform(20, 60)));
      break;
    }
    case Surface::kRubber: {
      mul = smooth_field(rng, size, 6, 0.85f, 1.15f);
      add = grain(rng, size, 8.f);
      cv::GaussianBlur(add, add, cv::Size(0, 0), 0.8);
      break;
    }
    case Surface::kPanel: {
      mul = smooth_field(rng, size, 3, 0.92f, 1.06f);
      add = grain(rng, size, 1.5f);
      break;
    }
  }
  return shade(size, base, mul, add);
}

void add_specular(Rng& rng, cv::Mat& surface, float strength) {
  const cv::Mat f = specular_field(rng, surface.size(), strength);
  for (int y = 0; y < surface.rows; ++y) {
    const float* a = f.ptr<float>(y);
    float* o = surface.ptr<float>(y);
    for (int x = 0; x < surface.cols; ++x) {
      o[3 * x] += a[x];
      o[3 * x + 1] += a[x];
      o[3 * x + 2] += a[x];
    }
  }
}

namespace {

/// RMS of a float box.
float rms(const cv::Mat& m) {
  return static_cast<float>(std::sqrt(m.dot(m) / static_cast<double>(m.total())));
}

/// One character's legibility from its box in three renderings of the scene:
/// `clean` (with the character, before noise), `bare` (the same scene without
/// any character, through the same light, blur and resolution loss) and `final`
/// (what the camera delivered); `height` is the character's cap height.
///
/// Everything is measured at the scale of a stroke: an eye, or a network,
/// integrates over a stroke's width, so fine grain hides a large character less
/// than a small one.
Legibility measure_legibility(const cv::Mat& clean, const cv::Mat& bare, const cv::Mat& final,
                              float height, const cv::Mat& own) {
  const double stroke = std::max(0.5, 0.05 * height);
  auto at_stroke_scale = [&](cv::Mat m) {
    cv::GaussianBlur(m, m, cv::Size(0, 0), stroke, stroke, cv::BORDER_REFLECT);
    return m;
  };
  cv::Mat clean_f, bare_f, final_f;
  clean.convertTo(clean_f, CV_32F);
  bare.convertTo(bare_f, CV_32F);
  final.convertTo(final_f, CV_32F);
  // The character's own mark: what drawing it changed, wherever that is (ink,
  // relief shading, an etch's bright rim). Its 99th percentile is the mark's
  // peak, which a '.' covering 5 % of its box still reaches.
  cv::Mat mark = cv::abs(at_stroke_scale(clean_f - bare_f));
  if (!own.empty() && own.size() == mark.size()) {
    // Only at the character's own ink, widened by the blur of a stroke (which
    // holds a relief's shading and an etch's rim), not at a neighbour's strokes.
    cv::Mat reach;
    cv::GaussianBlur(own, reach, cv::Size(0, 0), stroke, stroke, cv::BORDER_CONSTANT);
    double peak = 0;
    cv::minMaxLoc(reach, nullptr, &peak);
    if (peak > 0) {
      std::vector<float> near;
      for (int y = 0; y < mark.rows; ++y) {
        const float* m = mark.ptr<float>(y);
        const float* a = reach.ptr<float>(y);
        for (int x = 0; x < mark.cols; ++x) {
          if (a[x] >= 0.3 * peak) near.push_back(m[x]);
        }
      }
      mark = cv::Mat(near, true).reshape(1, 1);
    }
  }
  mark = mark.reshape(1, 1).clone();
  const int k = static_cast<int>(mark.total() - 1 - mark.total() / 100);
  std::nth_element(mark.ptr<float>(), mark.ptr<float>() + k, mark.ptr<float>() + mark.total());
  const float signal = mark.at<float>(k);
  // What competes with it: sensor noise and JPEG (final - clean), and the
  // surface's own structure at the scale of a stroke (grain, brushing,
  // scratches, texture under it): the bare box band-passed between one and two
  // stroke widths, so light gradients and shadow edges, which do not hide a
  // character, are left out.
  cv::Mat smooth;
  const double broad = 2.0 * stroke;
  cv::GaussianBlur(bare_f, smooth, cv::Size(0, 0), broad, broad, cv::BORDER_REFLECT);
  const float texture = rms(at_stroke_scale(bare_f - smooth));
  const float noise = rms(at_stroke_scale(final_f - clean_f));
  return {signal, signal / std::max(std::sqrt(noise * noise + texture * texture), 0.5f)};
}

}  // namespace

std::vector<Legibility> degrade(Rng& rng, cv::Mat& img, cv::Mat bare, float min_char_height,
                                const std::vector<CharBox>& chars) {
  const float h = std::max(6.f, min_char_height);
  const cv::Size size = img.size();
  CV_Assert(bare.size() == size && bare.type() == img.type());
  // Light, blur and resolution loss act on the bare scene exactly as on the image.
  cv::Mat* const both[2] = {&img, &bare};
  // Light: uneven illumination and a cast shadow, as one gain field.
  cv::Mat gain;
  if (rng.chance(0.6)) gain = smooth_field(rng, size, 3, static_cast<float>(rng.uniform(0.55, 0.9)), 1.1f);
  if (rng.chance(0.2)) {
    // A soft-edged half plane.
    const double ang = rng.uniform(0, 2 * CV_PI), nx = std::cos(ang), ny = std::sin(ang);
    const double cx = rng.uniform(0, size.width), cy = rng.uniform(0, size.height);
    const double soft = rng.uniform(3, 40), depth = rng.uniform(0.25, 0.6);
    if (gain.empty()) gain = cv::Mat(size, CV_32F, cv::Scalar(1));
    for (int y = 0; y < size.height; ++y) {
      float* row = gain.ptr<float>(y);
      for (int x = 0; x < size.width; ++x) {
        const double d = ((x - cx) * nx + (y - cy) * ny) / soft;
        row[x] *= static_cast<float>(1.0 - depth / (1.0 + std::exp(-d)));
      }
    }
  }
  if (!gain.empty()) {
    for (cv::Mat* m : both) {
      for (int y = 0; y < size.height; ++y) {
        const float* g = gain.ptr<float>(y);
        uchar* p = m->ptr<uchar>(y);
        for (int x = 0; x < size.width; ++x) {
          for (int c = 0; c < 3; ++c) p[3 * x + c] = cv::saturate_cast<uchar>(p[3 * x + c] * g[x]);
        }
      }
    }
  }
  // Blur: defocus or motion, never more than a fraction of the character height.
  const double r = rng.uniform();
  if (r < 0.35) {
    const double sigma = rng.uniform(0.3, std::max(0.35, std::min(2.5, 0.06 * h)));
    for (cv::Mat* m : both) cv::GaussianBlur(*m, *m, cv::Size(0, 0), sigma);
  } else if (r < 0.5) {
    const int len = std::max(2, static_cast<int>(rng.uniform(2, std::max(3.0, 0.15 * h))));
    const double ang = rng.uniform(0, CV_PI);
    cv::Mat k = cv::Mat::zeros(len | 1, len | 1, CV_32F);
    const cv::Point2f c(static_cast<float>((len | 1) / 2), static_cast<float>((len | 1) / 2));
    const cv::Point2f d(static_cast<float>(std::cos(ang) * len / 2), static_cast<float>(std::sin(ang) * len / 2));
    cv::line(k, c - d, c + d, cv::Scalar(1), 1, cv::LINE_AA);
    k /= cv::sum(k)[0];
    for (cv::Mat* m : both) cv::filter2D(*m, *m, -1, k);
  }
  // Low resolution: down and up again.
  if (rng.chance(0.2) && h > 16) {
    const double s = rng.uniform(std::max(0.35, 9.0 / h), 0.8);
    for (cv::Mat* m : both) {
      cv::Mat small;
      cv::resize(*m, small, cv::Size(), s, s, cv::INTER_AREA);
      cv::resize(small, *m, size, 0, 0, cv::INTER_LINEAR);
    }
  }
  // What the camera resolved, before noise, with and without the characters:
  // the references for legibility.
  cv::Mat clean_gray, bare_gray;
  cv::cvtColor(img, clean_gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bare, bare_gray, cv::COLOR_BGR2GRAY);
  // Sensor noise: luminance, plus a little chroma.
  const float sigma = static_cast<float>(rng.uniform(0.5, 9.0));
  cv::RNG cvrng(rng.fork());
  cv::Mat g(size, CV_32F);
  cvrng.fill(g, cv::RNG::NORMAL, 0.0, sigma);
  cv::Mat chroma;
  if (rng.chance(0.4)) {
    chroma = cv::Mat(size, CV_32FC3);
    cvrng.fill(chroma, cv::RNG::NORMAL, 0.0, sigma * 0.3);
  }
  for (int y = 0; y < size.height; ++y) {
    const float* n = g.ptr<float>(y);
    const float* cn = chroma.empty() ? nullptr : chroma.ptr<float>(y);
    uchar* p = img.ptr<uchar>(y);
    for (int x = 0; x < size.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float v = p[3 * x + c] + n[x] + (cn ? cn[3 * x + c] : 0.f);
        p[3 * x + c] = cv::saturate_cast<uchar>(v);
      }
    }
  }
  // JPEG artefacts.
  if (rng.chance(0.3)) {
    std::vector<uchar> buf;
    const int q = rng.integer(12, 75);
    cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, q});
    img = cv::imdecode(buf, cv::IMREAD_COLOR);
  }
  std::vector<Legibility> legibility;
  cv::Mat final_gray;
  cv::cvtColor(img, final_gray, cv::COLOR_BGR2GRAY);
  const cv::Rect whole(0, 0, size.width, size.height);
  for (const CharBox& c : chars) {
    const cv::Rect r = c.box & whole;
    if (r.area() < 4) {
      legibility.push_back({std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()});
      continue;
    }
    legibility.push_back(measure_legibility(clean_gray(r), bare_gray(r), final_gray(r), c.height,
                                            c.own.size() == r.size() ? c.own : cv::Mat()));
  }
  return legibility;
}

}  // namespace ocr2s::synth
