// Hostile and odd images through the Reader: each gives a clear InputError or a
// valid result, never a crash, a hang, or memory proportional to the input's size.
// Every case runs twice (GENERATE): with the stub models (tests/reader/
// stub_models.hpp: meaningless but well-formed reads, no shipped models needed)
// and with the shipped models in models/.
#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_bytes.hpp"
#include "ocr2s/reader.hpp"
#include "stub_models.hpp"

namespace {

const ocr2s::Reader& stub_reader() {
  static const ocr2s::Reader reader(ocr2s_test::stub_config());
  return reader;
}

const ocr2s::Reader& shipped_reader() {
  static const ocr2s::Reader reader;
  return reader;
}

// GENERATE(false, true): false = stub models, true = the shipped models.
const ocr2s::Reader& reader_for(bool shipped) { return shipped ? shipped_reader() : stub_reader(); }

// A result is valid when it is shaped as result.hpp documents.
void check_valid(const ocr2s::ReadResult& r, const cv::Mat& image) {
  CHECK(r.image_size == image.size());
  // Quads are in image pixels; a character at the border may reach slightly past it.
  const float tol = 2.f + 0.01f * static_cast<float>(std::max(image.cols, image.rows));
  for (const auto& line : r.lines) {
    REQUIRE(!line.chars.empty());
    CHECK(line.confidence >= 0.f);
    CHECK(line.confidence <= 1.f);
    std::string joined;
    for (const auto& c : line.chars) {
      joined += c.label;
      CHECK(!c.label.empty());
      CHECK(c.probability >= line.confidence);
      CHECK(c.probability <= 1.f);
      REQUIRE(!c.top_k.empty());
      for (std::size_t k = 0; k < c.top_k.size(); ++k) {
        CHECK(c.top_k[k].probability >= 0.f);
        CHECK(c.top_k[k].probability <= 1.f);
        if (k > 0) CHECK(c.top_k[k].probability <= c.top_k[k - 1].probability);
      }
      for (const auto& p : c.quad.pts) {
        CHECK(std::isfinite(p.x));
        CHECK(std::isfinite(p.y));
      }
      const cv::Point2f m = c.quad.center();
      CHECK(m.x >= -tol);
      CHECK(m.y >= -tol);
      CHECK(m.x <= image.cols + tol);
      CHECK(m.y <= image.rows + tol);
    }
    std::string text = line.text;
    text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
    CHECK(text == joined);
  }
}

std::string input_error(const ocr2s::Reader& reader, const cv::Mat& image,
                        const ocr2s::ReadOptions& options = {}) {
  try {
    reader.read(image, options);
  } catch (const ocr2s::InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// A label-like image: dark code on a light background.
cv::Mat label(cv::Size size, const std::string& text = "4T1B11HK9") {
  cv::Mat m(size, CV_8UC3, cv::Scalar(225, 228, 230));
  const double scale = std::max(0.3, size.height / 60.0);
  cv::putText(m, text, {size.width / 20, size.height * 2 / 3}, cv::FONT_HERSHEY_SIMPLEX, scale,
              cv::Scalar(20, 20, 20), std::max(1, static_cast<int>(scale * 2)));
  return m;
}

// Resident set size now (kB), from /proc/self/statm.
long current_rss_kb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // kB on Linux
}

}  // namespace

TEST_CASE("hostile images: empty, 1x1 and 1x100000 strips", "[reader]") {
  const bool shipped = GENERATE(false, true);
  INFO((shipped ? "shipped models" : "stub models"));
  const auto& reader = reader_for(shipped);

  CHECK_THAT(input_error(reader, cv::Mat()), Catch::Contains("empty"));
  CHECK_THAT(input_error(reader, cv::Mat(0, 5, CV_8UC1)), Catch::Contains("empty"));

  for (const cv::Size size : {cv::Size(1, 1), cv::Size(2, 1), cv::Size(1, 100000), cv::Size(100000, 1),
                              cv::Size(3, 70000)}) {
    INFO("size " << size.width << "x" << size.height);
    for (const int type : {CV_8UC1, CV_8UC3}) {
      cv::Mat m(size, type);
      cv::randu(m, 0, 255);
      check_valid(reader.read(m), m);
    }
  }
}

TEST_CASE("hostile pixel types: 16-bit, float, RGBA and CMYK read, others are InputErrors",
          "[reader]") {
  const bool shipped = GENERATE(false, true);
  INFO((shipped ? "shipped models" : "stub models"));
  const auto& reader = reader_for(shipped);
  const cv::Mat bgr = label({320, 80});
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  const std::string want = reader.read(gray).text();

  SECTION("16-bit gray (full range) reads like the 8-bit image") {
    cv::Mat g16;
    gray.convertTo(g16, CV_16U, 257.0);
    const auto r = reader.read(g16);
    check_valid(r, g16);
    CHECK(r.text() == want);
  }
  SECTION("16-bit with 12-bit data and a constant 16-bit image") {
    cv::Mat g12;
    gray.convertTo(g12, CV_16U, 16.0);
    check_valid(reader.read(g12), g12);
    const cv::Mat flat(60, 200, CV_16UC1, cv::Scalar(4095));
    check_valid(reader.read(flat), flat);
  }
  SECTION("32-bit float in [0, 1] reads like the 8-bit image") {
    cv::Mat f;
    gray.convertTo(f, CV_32F, 1.0 / 255.0);
    const auto r = reader.read(f);
    check_valid(r, f);
    CHECK(r.text() == want);
  }
  SECTION("32-bit float with NaN, ±inf and values outside [0, 1]") {
    cv::Mat f;
    gray.convertTo(f, CV_32F, 1.0 / 255.0);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    f(cv::Rect(0, 0, 40, 20)).setTo(nan);
    f(cv::Rect(40, 0, 40, 20)).setTo(inf);
    f(cv::Rect(80, 0, 40, 20)).setTo(-inf);
    f(cv::Rect(120, 0, 40, 20)).setTo(1e30);
    f(cv::Rect(160, 0, 40, 20)).setTo(-7.0);
    check_valid(reader.read(f), f);
    const cv::Mat all_nan(40, 120, CV_32FC1, cv::Scalar(nan));
    check_valid(reader.read(all_nan), all_nan);
  }
  SECTION("RGBA, 16-bit BGR and float BGR") {
    cv::Mat bgra, bgr16, bgrf;
    cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
    bgra(cv::Rect(0, 0, 160, 80)).setTo(cv::Scalar(0, 0, 0, 0));  // transparent half
    check_valid(reader.read(bgra), bgra);
    bgr.convertTo(bgr16, CV_16UC3, 257.0);
    check_valid(reader.read(bgr16), bgr16);
    bgr.convertTo(bgrf, CV_32FC3, 1.0 / 255.0);
    check_valid(reader.read(bgrf), bgrf);
  }
  SECTION("a CMYK JPEG, decoded by load_image") {
    const auto bytes = ocr2s_test::cmyk_jpeg({255, 128, 0, 255});
    const std::string path = ocr2s_test::scratch_file("cmyk.jpg");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    const cv::Mat m = ocr2s::load_image(path);
    REQUIRE(m.channels() == 3);
    check_valid(reader.read(m), m);
  }
  SECTION("unsupported types are InputErrors that name the type") {
    CHECK_THAT(input_error(reader, cv::Mat(20, 30, CV_8UC2, cv::Scalar(1, 2))), Catch::Contains("2 channels"));
    CHECK_THAT(input_error(reader, cv::Mat(20, 30, CV_16SC1, cv::Scalar(5))), Catch::Contains("depth"));
    CHECK_THAT(input_error(reader, cv::Mat(20, 30, CV_8SC1, cv::Scalar(5))), Catch::Contains("depth"));
    CHECK_THAT(input_error(reader, cv::Mat(20, 30, CV_64FC1, cv::Scalar(0.5))), Catch::Contains("depth"));
    CHECK_THAT(input_error(reader, cv::Mat(20, 30, CV_32SC1, cv::Scalar(5))), Catch::Contains("depth"));
    CHECK_THAT(input_error(reader, cv::Mat::zeros(20, 30, CV_8UC(5))), Catch::Contains("channels"));
  }
}

TEST_CASE("a 12000x12000 image is scaled before the network, memory growth stays bounded",
          "[reader]") {
  const bool shipped = GENERATE(false, true);
  INFO((shipped ? "shipped models" : "stub models"));
  const auto& reader = reader_for(shipped);
  reader.read(label({320, 80}));  // warm up: one-time allocations are not growth

  cv::Mat huge(12000, 12000, CV_8UC3, cv::Scalar(225, 228, 230));
  cv::putText(huge, "LOT 4T1B11HK9", {600, 7000}, cv::FONT_HERSHEY_SIMPLEX, 40.0, cv::Scalar(20, 20, 20), 120);
  // Reset the peak-RSS mark to the current RSS (Linux ≥ 4.0: "5" clears VmHWM),
  // so the peak measured below belongs to this read only.
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const long base_kb = current_rss_kb();
  const auto r = reader.read(huge);
  const long growth_mb = (peak_rss_kb() - base_kb) / 1024;
  check_valid(r, huge);
  // The image is 412 MB; the reader keeps one 8-bit gray copy (137 MB) for the
  // character crops and scales to the 1280-pixel canvas before anything else.
  // 1.5 GB would mean a copy or conversion at full size in float or more.
  INFO("peak RSS growth " << growth_mb << " MB");
  CHECK(growth_mb < 1536);
}

TEST_CASE("a view into a larger image reads like its copy", "[reader]") {
  const bool shipped = GENERATE(false, true);
  INFO((shipped ? "shipped models" : "stub models"));
  const auto& reader = reader_for(shipped);
  const cv::Mat big = label({640, 200});
  const cv::Mat view = big(cv::Rect(13, 17, 401, 97));  // not continuous
  REQUIRE(!view.isContinuous());
  const auto a = reader.read(view);
  check_valid(a, view);
  CHECK(a.text() == reader.read(view.clone()).text());
}

TEST_CASE("ROIs at the int limits are clipped or refused, never overflow", "[reader]") {
  const bool shipped = GENERATE(false, true);
  INFO((shipped ? "shipped models" : "stub models"));
  const auto& reader = reader_for(shipped);
  const cv::Mat m = label({320, 80});
  ocr2s::ReadOptions o;
  o.rois = {cv::Rect(INT_MAX - 5, 0, 100, 10)};
  CHECK_THAT(input_error(reader, m, o), Catch::Contains("does not intersect"));
  o.rois = {cv::Rect(INT_MIN, INT_MIN, INT_MAX, INT_MAX)};
  CHECK_THAT(input_error(reader, m, o), Catch::Contains("does not intersect"));
  o.rois = {cv::Rect(10, 10, -5, 20)};
  CHECK_THAT(input_error(reader, m, o), Catch::Contains("does not intersect"));
  o.rois = {cv::Rect(-1000, -1000, INT_MAX, INT_MAX)};  // covers the image: clipped to it
  check_valid(reader.read(m, o), m);
  o.rois = {cv::Rect(319, 79, 1, 1), cv::Rect(0, 0, 1, 80)};  // one-pixel ROIs
  check_valid(reader.read(m, o), m);
}

TEST_CASE("read_batch with one bad image is an InputError, the reader stays usable", "[reader]") {
  const bool shipped = GENERATE(false, true);
  INFO((shipped ? "shipped models" : "stub models"));
  const auto& reader = reader_for(shipped);
  const cv::Mat good = label({320, 80});
  CHECK_THROWS_AS(reader.read_batch({good, cv::Mat(), good}), ocr2s::InputError);
  CHECK_THROWS_AS(reader.read_batch({good, cv::Mat(10, 10, CV_64FC3)}), ocr2s::InputError);
  const auto rs = reader.read_batch({good, cv::Mat(1, 1, CV_8UC1, cv::Scalar(0)), good});
  REQUIRE(rs.size() == 3);
  CHECK(rs[0].text() == rs[2].text());
  CHECK(rs[0].text() == reader.read(good).text());
  CHECK(reader.read_batch({}).empty());
}

TEST_CASE("option errors name the value", "[reader]") {
  const bool shipped = GENERATE(false, true);
  INFO((shipped ? "shipped models" : "stub models"));
  const auto& reader = reader_for(shipped);
  const cv::Mat m = label({320, 80});

  SECTION("malformed patterns are PatternErrors naming the pattern and position") {
    for (const char* bad : {"[A-Z", "(LOT", "\\d{3", "A{1001}", "A{5,2}", "*A", "\\", "LOT)", "[Z-A]"}) {
      ocr2s::ReadOptions o;
      o.pattern = bad;
      INFO("pattern " << bad);
      try {
        reader.read(m, o);
        FAIL("accepted");
      } catch (const ocr2s::PatternError& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains(bad));
        CHECK(e.position() <= std::string(bad).size());
      }
    }
    ocr2s::ReadOptions deep;
    deep.pattern = std::string(300, '(') + "A" + std::string(300, ')');
    CHECK_THROWS_AS(reader.read(m, deep), ocr2s::PatternError);
  }
  SECTION("an allowlist that excludes every class names itself") {
    for (const char* allow : {"ü", "\xff\xfe", "!!!", " "}) {
      ocr2s::ReadOptions o;
      o.allowlist = allow;
      INFO("allowlist " << allow);
      CHECK_THAT(input_error(reader, m, o), Catch::Contains("allowlist") && Catch::Contains(allow));
    }
  }
  SECTION("min_confidence above 1 or NaN") {
    ocr2s::ReadOptions o;
    o.min_confidence = 1.5f;
    CHECK_THAT(input_error(reader, m, o), Catch::Contains("min_confidence") && Catch::Contains("1.5"));
    o.min_confidence = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(input_error(reader, m, o), Catch::Contains("min_confidence"));
  }
}
