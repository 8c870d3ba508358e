// The ocr2s tool against bad paths, bad files, bad models and bad options: every
// bad input is reported (naming it) and the batch goes on; nothing hangs. Runs
// with the stub models of tests/reader/stub_models.hpp, so it needs no shipped
// models; every command runs under timeout(1) so that a hang fails the test
// instead of stalling the suite.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "reader/stub_models.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
  int rc = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// ocr2s read with the stub models; args are appended verbatim (already quoted).
Run ocr2s_read(const std::string& args, bool stub_models = true) {
  const fs::path dir = ocr2s_test::scratch_dir();
  std::string cmd = "timeout 300 " + quote(OCR2S_CLI) + " read --no-progress ";
  if (stub_models) {
    const auto c = ocr2s_test::stub_config();
    cmd += "--torchscript --detector " + quote(c.craft.model) + " --classifier " + quote(c.classifier.model) + " ";
  }
  cmd += args + " > " + quote((dir / "stdout").string()) + " 2> " + quote((dir / "stderr").string());
  Run r;
  const int status = std::system(cmd.c_str());
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir / "stdout");
  r.err = slurp(dir / "stderr");
  return r;
}

std::vector<nlohmann::json> records(const std::string& jsonl) {
  std::vector<nlohmann::json> out;
  std::size_t start = 0;
  while (start < jsonl.size()) {
    const std::size_t end = jsonl.find('\n', start);
    const std::string line = jsonl.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

void write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

cv::Mat label() {
  cv::Mat m(80, 320, CV_8UC3, cv::Scalar(225, 228, 230));
  cv::putText(m, "LOT 4711", {20, 55}, cv::FONT_HERSHEY_SIMPLEX, 1.4, cv::Scalar(20, 20, 20), 3);
  return m;
}

}  // namespace

TEST_CASE("read: a folder of bad files is reported file by file, good files are read", "[cli]") {
  const fs::path dir = ocr2s_test::scratch_dir() / "mixed";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub.png");  // a directory with an image's name
  cv::imwrite((dir / "good1.png").string(), label());
  cv::imwrite((dir / "sub.png" / "good2.jpg").string(), label());
  write(dir / "empty.png", "");
  write(dir / "text.jpg", "this is not an image\n");
  std::vector<unsigned char> png;
  cv::imencode(".png", label(), png);
  write(dir / "cut.png", std::string(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2)));
  REQUIRE(::mkfifo((dir / "pipe.png").c_str(), 0600) == 0);  // skipped: not a regular file

  const Run r = ocr2s_read(quote(dir.string()));
  INFO(r.err);
  CHECK(r.rc == 1);  // some files failed
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& j : records(r.out)) by_name[fs::path(j["image"].get<std::string>()).filename().string()] = j;
  CHECK(by_name.size() == 5);
  for (const char* bad : {"empty.png", "text.jpg", "cut.png"}) {
    INFO(bad);
    REQUIRE(by_name.count(bad) == 1);
    CHECK(by_name[bad].contains("error"));
    CHECK_THAT(r.err, Catch::Contains(bad));
  }
  for (const char* good : {"good1.png", "good2.jpg"}) {
    INFO(good);
    REQUIRE(by_name.count(good) == 1);
    CHECK(by_name[good].contains("lines"));
  }
  CHECK(by_name.count("pipe.png") == 0);
}

TEST_CASE("read: a missing path, a FIFO and a device on the command line", "[cli]") {
  const fs::path dir = ocr2s_test::scratch_dir() / "paths";
  fs::remove_all(dir);
  fs::create_directories(dir);
  cv::imwrite((dir / "good.png").string(), label());
  REQUIRE(::mkfifo((dir / "pipe.png").c_str(), 0600) == 0);
  const std::string missing = (dir / "missing.png").string();

  const Run r = ocr2s_read(quote(missing) + " " + quote((dir / "pipe.png").string()) + " /dev/null " +
                           quote((dir / "good.png").string()));
  INFO(r.err);
  CHECK(r.rc == 1);
  const auto recs = records(r.out);
  REQUIRE(recs.size() == 4);  // one record per path, in order
  CHECK_THAT(recs[0]["error"].get<std::string>(), Catch::Contains("missing.png") && Catch::Contains("no such file"));
  CHECK_THAT(recs[1]["error"].get<std::string>(), Catch::Contains("not a regular file"));
  CHECK_THAT(recs[2]["error"].get<std::string>(), Catch::Contains("not a regular file"));
  CHECK(recs[3].contains("lines"));
}

TEST_CASE("read: an empty folder or a glob that matches nothing is an error, not a silent success",
          "[cli]") {
  const fs::path dir = ocr2s_test::scratch_dir() / "empty_dir";
  fs::remove_all(dir);
  fs::create_directories(dir);
  write(dir / "notes.txt", "no images here");
  const Run r = ocr2s_read(quote(dir.string()));
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("no input images"));

  const Run g = ocr2s_read(quote((dir / "*.png").string()));
  CHECK(g.rc != 0);
  CHECK_THAT(g.err, Catch::Contains("*.png"));
}

TEST_CASE("read: bad models and options stop before any image with the file or value named", "[cli]") {
  const fs::path dir = ocr2s_test::scratch_dir() / "opts";
  fs::remove_all(dir);
  fs::create_directories(dir);
  cv::imwrite((dir / "good.png").string(), label());
  const std::string img = quote((dir / "good.png").string());
  const auto stub = ocr2s_test::stub_config();

  SECTION("a missing detector") {
    const Run r = ocr2s_read("--detector /nonexistent/det.pt " + img, /*stub_models=*/false);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("/nonexistent/det.pt"));
  }
  SECTION("a corrupt classifier") {
    const std::string bad = (dir / "corrupt_cls.pt").string();
    write(bad, "PK\x03\x04 not really a zip archive");
    const Run r = ocr2s_read("--torchscript --detector " + quote(stub.craft.model) + " --classifier " +
                                 quote(bad) + " " + img,
                             /*stub_models=*/false);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains("corrupt_cls.pt"));
  }
  SECTION("a TorchScript detector with the wrong output shape") {
    const std::string det = ocr2s_test::stub_detector(ocr2s_test::StubDetector::kFullSize);
    const Run r = ocr2s_read("--torchscript --detector " + quote(det) + " --classifier " +
                                 quote(stub.classifier.model) + " " + img,
                             /*stub_models=*/false);
    CHECK(r.rc == 2);
    CHECK_THAT(r.err, Catch::Contains(det) && Catch::Contains("shape"));
  }
  SECTION("a malformed pattern and an allowlist that excludes everything") {
    Run r = ocr2s_read("--pattern '[A-Z' " + img);
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Catch::Contains("[A-Z"));
    r = ocr2s_read("--allow 'ü' " + img);
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Catch::Contains("allowlist"));
  }
}
