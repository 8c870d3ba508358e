// Bad model files through the Reader: every one is a ModelError whose message names
// the file (and the offending value where there is one), at construction when the
// fault can be seen there, else at the read that exposes it — never a crash and
// never garbage in a result. Model-file details are tested per network in
// tests/charcls and tests/train; these are the Reader-level cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "ocr2s/reader.hpp"
#include "stub_models.hpp"

namespace fs = std::filesystem;
using ocr2s_test::StubClassifier;
using ocr2s_test::StubDetector;

namespace {

std::string model_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ocr2s::ModelError& e) {
    return e.what();
  }
  return "(no ModelError)";
}

std::string construct_error(const ocr2s::ReaderConfig& c) {
  return model_error([&] { ocr2s::Reader r(c); });
}

std::string empty_file(const std::string& name) {
  const std::string to = ocr2s_test::scratch_file(name);
  std::ofstream(to, std::ios::binary).flush();
  return to;
}

// A copy of `from` cut to `keep` bytes (or, when `keep` is 0, replaced by junk).
std::string damaged_copy(const std::string& from, const std::string& name, std::size_t keep) {
  const std::string to = ocr2s_test::scratch_file(name);
  std::ifstream in(from, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (keep == 0) {
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  } else {
    bytes.resize(std::min(keep, bytes.size()));
  }
  std::ofstream(to, std::ios::binary) << bytes;
  return to;
}

// White squares on black in a row: the pooling stub detector finds one character
// per square, so the classifier gets crops.
cv::Mat squares() {
  cv::Mat m(80, 320, CV_8UC3, cv::Scalar(0, 0, 0));
  for (int i = 0; i < 8; ++i) cv::rectangle(m, cv::Rect(16 + 36 * i, 28, 22, 24), cv::Scalar(255, 255, 255), cv::FILLED);
  return m;
}

}  // namespace

TEST_CASE("missing, empty, truncated and corrupt model files are ModelErrors naming the file", "[reader]") {
  const ocr2s::ReaderConfig good = ocr2s_test::stub_config();
  REQUIRE_NOTHROW(ocr2s::Reader(good));

  SECTION("classifier") {
    const std::string cls = good.classifier.model;
    for (const std::string& bad :
         {std::string("/nonexistent/dir/cls.pt"), empty_file("cls_empty.pt"), damaged_copy(cls, "cls_byte.pt", 1),
          damaged_copy(cls, "cls_half.pt", static_cast<std::size_t>(fs::file_size(cls) / 2)),
          damaged_copy(cls, "cls_junk.pt", 0), fs::temp_directory_path().string()}) {
      INFO(bad);
      ocr2s::ReaderConfig c = good;
      c.classifier.model = bad;
      CHECK_THAT(construct_error(c), Catch::Contains(bad));
    }
  }
  SECTION("detector, TorchScript and native") {
    const std::string det = good.craft.model;
    for (const bool torchscript : {true, false}) {
      for (const std::string& bad :
           {damaged_copy(det, "det_half.pt", static_cast<std::size_t>(fs::file_size(det) / 2)),
            damaged_copy(det, "det_junk.pt", 0), damaged_copy(det, "det_byte.pt", 1), empty_file("det_empty.pt"),
            fs::temp_directory_path().string(), std::string("/nonexistent/dir/det.pt")}) {
        INFO(bad << (torchscript ? " as TorchScript" : " as native"));
        ocr2s::ReaderConfig c = good;
        c.craft.model = bad;
        c.craft.torchscript = torchscript;
        CHECK_THAT(construct_error(c), Catch::Contains(bad));
      }
    }
  }
}

TEST_CASE("a classifier whose charset does not match its output layer", "[reader]") {
  ocr2s::ReaderConfig c = ocr2s_test::stub_config();
  c.classifier.model = ocr2s_test::stub_classifier(StubClassifier::kMismatch);
  const std::string msg = construct_error(c);
  CHECK_THAT(msg, Catch::Contains(c.classifier.model));
  CHECK_THAT(msg, Catch::Contains("36 labels"));
  CHECK_THAT(msg, Catch::Contains("outputs 38"));
}

TEST_CASE("TorchScript detectors that break the output contract at load time", "[reader]") {
  ocr2s::ReaderConfig c = ocr2s_test::stub_config();
  SECTION("full-resolution output") {
    c.craft.model = ocr2s_test::stub_detector(StubDetector::kFullSize);
    const std::string msg = construct_error(c);
    CHECK_THAT(msg, Catch::Contains(c.craft.model) && Catch::Contains("shape"));
    CHECK_THAT(msg, Catch::Contains("64, 96, 2"));  // what it returned for the 64×96 probe
  }
  SECTION("raises on every input (a TorchScript exception, not a c10::Error)") {
    c.craft.model = ocr2s_test::stub_detector(StubDetector::kRaises);
    CHECK_THAT(construct_error(c), Catch::Contains(c.craft.model) && Catch::Contains("always fails"));
  }
  SECTION("not a tensor") {
    c.craft.model = ocr2s_test::stub_detector(StubDetector::kNotTensor);
    CHECK_THAT(construct_error(c), Catch::Contains(c.craft.model));
  }
}

TEST_CASE("model faults that only a read exposes are ModelErrors, the reader stays usable",
          "[reader]") {
  ocr2s::ReaderConfig c = ocr2s_test::stub_config();
  const cv::Mat small(40, 40, CV_8UC3, cv::Scalar(200, 200, 200));  // padded to 64×64: the probe's height
  const cv::Mat label = squares();                                   // padded to 320×96: raises

  SECTION("a detector that raises on larger inputs") {
    c.craft.model = ocr2s_test::stub_detector(StubDetector::kFailsLarge);
    const ocr2s::Reader reader(c);
    const std::string msg = model_error([&] { reader.read(label); });
    CHECK_THAT(msg, Catch::Contains(c.craft.model) && Catch::Contains("320×80") && Catch::Contains("input too large"));
    CHECK_NOTHROW(reader.read(small));
    CHECK_THAT(model_error([&] { reader.read_batch({small, label}); }), Catch::Contains(c.craft.model));
  }
  SECTION("a detector whose output shape changes with the input") {
    c.craft.model = ocr2s_test::stub_detector(StubDetector::kWrongShapeLarge);
    const ocr2s::Reader reader(c);
    CHECK_THAT(model_error([&] { reader.read(label); }), Catch::Contains(c.craft.model) && Catch::Contains("shape"));
    CHECK_NOTHROW(reader.read(small));
  }
  SECTION("a detector that outputs NaN") {
    c.craft.model = ocr2s_test::stub_detector(StubDetector::kNaN);
    const ocr2s::Reader reader(c);
    CHECK_THAT(model_error([&] { reader.read(label); }),
               Catch::Contains(c.craft.model) && Catch::Contains("invalid score maps"));
  }
  SECTION("a classifier with a NaN weight: refused at load, or at the first read with crops") {
    c.classifier.model = ocr2s_test::stub_classifier(StubClassifier::kNaNWeights);
    std::string msg;
    try {
      const ocr2s::Reader reader(c);
      msg = model_error([&] { reader.read(label); });
    } catch (const ocr2s::ModelError& e) {
      msg = e.what();
    }
    CHECK_THAT(msg, Catch::Contains(c.classifier.model) && Catch::Contains("NaN"));
  }
}
