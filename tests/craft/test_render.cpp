// Training-target renderer (CRAFT §3.1): region and affinity Gaussians.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "craft/render.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::craft {
namespace {

// The template, evaluated in unit-square coordinates.
double gaussian(double sx, double sy) {
  const double s = kGaussianSigma;
  return std::exp(-((sx - 0.5) * (sx - 0.5) + (sy - 0.5) * (sy - 0.5)) / (2.0 * s * s));
}

// Whether the centre of map pixel (u, v) lies inside `q` (image pixels).
bool centre_inside(const Quad& q, const MapTransform& t, int u, int v) {
  const std::vector<cv::Point2f> poly(q.pts.begin(), q.pts.end());
  return cv::pointPolygonTest(poly, t.to_image(cv::Point2f(u + 0.5f, v + 0.5f)), false) >= 0;
}

// Float rounding of exp() and of the homography: values are exact to ~1e-6.
constexpr double kExact = 1e-5;

}  // namespace

TEST_CASE("render: region peak 1 at the quad centre, the Gaussian inside, 0 outside", "[craft]") {
  // Image quad (20, 10)–(62, 92): map quad (10, 5)–(31, 46), 21 × 41 map pixels,
  // so no pixel centre lies on an edge; its centre, map (20.5, 25.5), is the
  // centre of pixel (20, 25).
  const Quad q = Quad::from_rect(cv::Rect2f(20.f, 10.f, 42.f, 82.f));
  const MapTransform t;
  const ScoreMaps maps = render_targets({WordQuads{{q}}}, cv::Size(/*width=*/50, /*height=*/60), t);
  REQUIRE(maps.region.size() == cv::Size(50, 60));
  REQUIRE(maps.region.type() == CV_32FC1);
  REQUIRE(maps.affinity.type() == CV_32FC1);
  CHECK(maps.region.at<float>(25, 20) == Approx(1.0).margin(kExact));
  // One map pixel right is 1/21 of the unit square, two down 2/41.
  CHECK(maps.region.at<float>(25, 21) == Approx(gaussian(0.5 + 1.0 / 21, 0.5)).margin(kExact));
  CHECK(maps.region.at<float>(27, 20) == Approx(gaussian(0.5, 0.5 + 2.0 / 41)).margin(kExact));
  // Every pixel: the template where the centre is inside, exactly 0 outside.
  int inside = 0;
  for (int v = 0; v < maps.region.rows; ++v) {
    for (int u = 0; u < maps.region.cols; ++u) {
      const float r = maps.region.at<float>(v, u);
      if (centre_inside(q, t, u, v)) {
        ++inside;
        const double sx = (u + 0.5 - 10.0) / 21.0, sy = (v + 0.5 - 5.0) / 41.0;
        REQUIRE(r == Approx(gaussian(sx, sy)).margin(kExact));
      } else {
        REQUIRE(r == 0.f);
      }
    }
  }
  CHECK(inside == 21 * 41);
  // A word of one character has no affinity.
  CHECK(cv::countNonZero(maps.affinity) == 0);
}

TEST_CASE("render: perspective quads peak at the diagonals' intersection", "[craft]") {
  // A homography maps the unit square's centre to where the quad's diagonals
  // cross. Trapezoid in map pixels (step 1): (10,10) (30,10) (40,30) (0,30).
  const Quad q{{cv::Point2f(10.f, 10.f), cv::Point2f(30.f, 10.f), cv::Point2f(40.f, 30.f),
                cv::Point2f(0.f, 30.f)}};
  // Diagonal (10,10)→(40,30) meets (30,10)→(0,30) at x = 20, y = 10 + 20·(1/3) = 16.67.
  const cv::Point2f cross(20.f, 10.f + 20.f / 3.f);
  MapTransform t;
  t.step = {1.f, 1.f};
  // Shift the quad so that the crossing sits on the centre of pixel (20, 16).
  Quad shifted = q;
  const cv::Point2f shift = cv::Point2f(20.5f, 16.5f) - cross;
  for (auto& p : shifted.pts) p += shift;
  const ScoreMaps maps = render_targets({WordQuads{{shifted}}}, cv::Size(50, 40), t);
  CHECK(maps.region.at<float>(16, 20) == Approx(1.0).margin(kExact));
  double max_val = 0;
  cv::Point max_loc;
  cv::minMaxLoc(maps.region, nullptr, &max_val, nullptr, &max_loc);
  CHECK(max_loc == cv::Point(20, 16));
}

TEST_CASE("render: map transform offset and step are honoured", "[craft]") {
  // Image quad (110, 56)–(150, 96) with offset (100, 50) and step 2: map quad
  // (5, 3)–(25, 23), centre (15, 13) — between pixels — so the four pixels around
  // it share the maximum.
  MapTransform t;
  t.offset = {100.f, 50.f};
  const Quad q = Quad::from_rect(cv::Rect2f(110.f, 56.f, 40.f, 40.f));
  const ScoreMaps maps = render_targets({WordQuads{{q}}}, cv::Size(40, 30), t);
  CHECK(maps.to_image.offset == t.offset);
  const float peak = maps.region.at<float>(12, 14);
  CHECK(peak == Approx(gaussian(0.5 - 0.5 / 20, 0.5 - 0.5 / 20)).margin(kExact));
  CHECK(maps.region.at<float>(12, 15) == Approx(peak).margin(kExact));
  CHECK(maps.region.at<float>(13, 14) == Approx(peak).margin(kExact));
  CHECK(maps.region.at<float>(13, 15) == Approx(peak).margin(kExact));
  CHECK(maps.region.at<float>(2, 14) == 0.f);  // above the quad (map y 3)
  CHECK(maps.region.at<float>(3, 14) > 0.f);   // first row inside
}

TEST_CASE("render: affinity quad joins the triangle centroids of neighbours", "[craft]") {
  const Quad left = Quad::from_rect(cv::Rect2f(0.f, 0.f, 10.f, 30.f));
  const Quad right = Quad::from_rect(cv::Rect2f(12.f, 0.f, 20.f, 30.f));
  const Quad a = affinity_quad(left, right);
  // Upper triangle of left: (0,0) (10,0) (5,15) → centroid (5, 5); lower:
  // (0,30) (10,30) (5,15) → (5, 25). Right: (22, 5) and (22, 25).
  const float eps = 1e-4f;
  CHECK(a.pts[0].x == Approx(5.f).margin(eps));
  CHECK(a.pts[0].y == Approx(5.f).margin(eps));
  CHECK(a.pts[1].x == Approx(22.f).margin(eps));
  CHECK(a.pts[1].y == Approx(5.f).margin(eps));
  CHECK(a.pts[2].x == Approx(22.f).margin(eps));
  CHECK(a.pts[2].y == Approx(25.f).margin(eps));
  CHECK(a.pts[3].x == Approx(5.f).margin(eps));
  CHECK(a.pts[3].y == Approx(25.f).margin(eps));
}

TEST_CASE("render: affinity lies between consecutive characters of a word only", "[craft]") {
  // Two words on one line: "AB" and "C", characters 20 × 40 image px (10 × 20 map).
  // Word gap as wide as the character gap, so only the word structure differs.
  const auto ch = [](float x) { return Quad::from_rect(cv::Rect2f(x, 10.f, 20.f, 40.f)); };
  const std::vector<WordQuads> words{WordQuads{{ch(10.f), ch(34.f)}}, WordQuads{{ch(58.f)}}};
  const ScoreMaps maps = render_targets(words, cv::Size(50, 30), MapTransform{});
  // Affinity quad A–B spans image x 20 → 44 (centre to centre) and y 10 + 40/6 →
  // 10 + 5·40/6; its centre (32, 30) is map (16, 15), the corner of pixels 15/16:
  // the four pixels around it all read g(0.5 ± 0.5/12, 0.5 ± 0.5/(40/3)) in units
  // of its 12 × 13.3 map-pixel square.
  const double expected = gaussian(0.5 - 0.5 / 12.0, 0.5 - 0.5 / (40.0 / 3.0));
  CHECK(maps.affinity.at<float>(14, 15) == Approx(expected).margin(kExact));
  CHECK(maps.affinity.at<float>(15, 16) == Approx(expected).margin(kExact));
  // Between B and C (different words), image x 54 → 58: nothing.
  for (int u = 22; u <= 34; ++u) {
    for (int v = 0; v < 30; ++v) REQUIRE(maps.affinity.at<float>(v, u) == 0.f);
  }
  // Above and below the affinity band (image y < 16.7 or > 43.3): nothing.
  CHECK(maps.affinity.at<float>(7, 16) == 0.f);
  CHECK(maps.affinity.at<float>(22, 16) == 0.f);
}

TEST_CASE("render: overlapping quads take the maximum", "[craft]") {
  const Quad a = Quad::from_rect(cv::Rect2f(10.f, 10.f, 40.f, 40.f));
  const Quad b = Quad::from_rect(cv::Rect2f(30.f, 20.f, 40.f, 40.f));
  const cv::Size size(45, 40);
  const ScoreMaps ma = render_targets({WordQuads{{a}}}, size, MapTransform{});
  const ScoreMaps mb = render_targets({WordQuads{{b}}}, size, MapTransform{});
  const ScoreMaps both = render_targets({WordQuads{{a}}, WordQuads{{b}}}, size, MapTransform{});
  cv::Mat expected;
  cv::max(ma.region, mb.region, expected);
  CHECK(cv::norm(both.region, expected, cv::NORM_INF) == 0.0);
  CHECK(cv::countNonZero(ma.region.mul(mb.region)) > 0);  // they do overlap
}

TEST_CASE("render: clipping, degenerate quads and bad sizes", "[craft]") {
  const cv::Size size(20, 20);
  SECTION("a quad partly outside renders its inside part unchanged") {
    const Quad q = Quad::from_rect(cv::Rect2f(-20.f, -10.f, 40.f, 40.f));
    const ScoreMaps maps = render_targets({WordQuads{{q}}}, size, MapTransform{});
    // Its centre (0, 10) is map (0, 5), on the left edge; pixel (0, 5) is half a
    // pixel = 1/40 of the square right of it and half a pixel below.
    CHECK(maps.region.at<float>(5, 0) == Approx(gaussian(0.525, 0.525)).margin(kExact));
    CHECK(maps.region.at<float>(5, 15) == 0.f);
  }
  SECTION("a quad entirely outside renders nothing") {
    const Quad q = Quad::from_rect(cv::Rect2f(100.f, 100.f, 10.f, 10.f));
    const ScoreMaps maps = render_targets({WordQuads{{q}}}, size, MapTransform{});
    CHECK(cv::countNonZero(maps.region) == 0);
  }
  SECTION("zero-area and non-finite quads render nothing") {
    const Quad line{{cv::Point2f(2.f, 2.f), cv::Point2f(30.f, 2.f), cv::Point2f(30.f, 2.f),
                     cv::Point2f(2.f, 2.f)}};
    Quad nan_quad = Quad::from_rect(cv::Rect2f(2.f, 2.f, 20.f, 20.f));
    nan_quad.pts[2].x = std::nanf("");
    const ScoreMaps maps = render_targets({WordQuads{{line, nan_quad}}}, size, MapTransform{});
    CHECK(cv::countNonZero(maps.region) == 0);
    CHECK(cv::countNonZero(maps.affinity) == 0);
  }
  SECTION("a non-positive map size is an InputError") {
    CHECK_THROWS_AS(render_targets({}, cv::Size(0, 10), MapTransform{}), InputError);
    CHECK_THROWS_WITH(render_targets({}, cv::Size(10, -1), MapTransform{}),
                      Catch::Contains("10x-1"));
  }
}

}  // namespace ocr2s::craft
