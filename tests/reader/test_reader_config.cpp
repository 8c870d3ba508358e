// Reader construction validates config and models before any image is read.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <limits>
#include <string>

#include "ocr2s/reader.hpp"

namespace {

// Constructing a Reader from `c` must fail with a ConfigError that names `field`.
void check_refused(const ocr2s::ReaderConfig& c, const std::string& field, const std::string& value) {
  try {
    ocr2s::Reader r(c);
    FAIL("accepted " << field << " = " << value);
  } catch (const ocr2s::ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains(field));
  }
}

}  // namespace

TEST_CASE("Reader rejects out-of-range config values with their names", "[reader]") {
  ocr2s::ReaderConfig c;
  c.craft.canvas = 10;
  try {
    ocr2s::Reader r(c);
    FAIL("accepted canvas = 10");
  } catch (const ocr2s::ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("craft.canvas") && Catch::Contains("10"));
  }
  ocr2s::ReaderConfig d;
  d.craft.grow_threshold = 0.9f;  // above seed_threshold
  CHECK_THROWS_AS(ocr2s::Reader(d), ocr2s::ConfigError);
  ocr2s::ReaderConfig e;
  e.classifier.min_confidence = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(ocr2s::Reader(e), ocr2s::ConfigError);
  // Automatic scale: 0 (off) or [8, 512]; a tolerance below 1 means nothing.
  for (const float bad : {4.f, 600.f, -1.f, std::numeric_limits<float>::quiet_NaN()}) {
    ocr2s::ReaderConfig t;
    t.craft.target_char_height = bad;
    check_refused(t, "craft.target_char_height", std::to_string(bad));
  }
  ocr2s::ReaderConfig tol;
  tol.craft.scale_tolerance = 0.9f;
  CHECK_THROWS_AS(ocr2s::Reader(tol), ocr2s::ConfigError);
  ocr2s::ReaderConfig mag;
  mag.craft.max_auto_magnify = 8.f;
  CHECK_THROWS_AS(ocr2s::Reader(mag), ocr2s::ConfigError);
  ocr2s::ReaderConfig veto;
  veto.assemble.veto_doubt = 1.5f;
  check_refused(veto, "assemble.veto_doubt", "1.5");
  ocr2s::ReaderConfig reread;
  reread.classifier.reread_below = -0.5f;
  check_refused(reread, "classifier.reread_below", "-0.5");
}

TEST_CASE("Reader names a missing model file", "[reader]") {
  ocr2s::ReaderConfig c;
  c.craft.model = "/nonexistent/dir/det.pt";
  try {
    ocr2s::Reader r(c);
    FAIL("accepted a missing detector");
  } catch (const ocr2s::ModelError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("/nonexistent/dir/det.pt"));
  }
}

TEST_CASE("default_model_dir honours OCR2S_MODEL_DIR", "[reader]") {
  // CTest sets OCR2S_MODEL_DIR to the source tree's models/ for every test.
  const char* env = std::getenv("OCR2S_MODEL_DIR");
  REQUIRE(env != nullptr);
  CHECK(ocr2s::default_model_dir() == std::string(env));
}
