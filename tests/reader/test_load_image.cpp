// load_image: hostile and odd files give a clear InputError, never a crash or an
// allocation proportional to what a header claims.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "ocr2s/reader.hpp"

namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  const fs::path p = fs::temp_directory_path() / "ocr2s_test_load_image";
  fs::create_directories(p);
  return p;
}

void write_bytes(const fs::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                           static_cast<std::streamsize>(bytes.size()));
}

std::vector<unsigned char> encode(const cv::Mat& m, const std::string& ext) {
  std::vector<unsigned char> buf;
  REQUIRE(cv::imencode(ext, m, buf));
  return buf;
}

std::string message_of(const std::string& path) {
  try {
    ocr2s::load_image(path);
  } catch (const ocr2s::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("load_image decodes valid PNG and JPEG unchanged", "[reader]") {
  const auto dir = scratch();
  cv::Mat gray16(20, 30, CV_16UC1, cv::Scalar(1000));
  write_bytes(dir / "g16.png", encode(gray16, ".png"));
  const cv::Mat a = ocr2s::load_image((dir / "g16.png").string());
  CHECK(a.type() == CV_16UC1);
  CHECK(a.size() == cv::Size(30, 20));

  cv::Mat bgra(10, 12, CV_8UC4, cv::Scalar(1, 2, 3, 4));
  write_bytes(dir / "bgra.png", encode(bgra, ".png"));
  CHECK(ocr2s::load_image((dir / "bgra.png").string()).type() == CV_8UC4);

  cv::Mat bgr(16, 16, CV_8UC3, cv::Scalar(50, 100, 150));
  write_bytes(dir / "x.jpg", encode(bgr, ".jpg"));
  CHECK(ocr2s::load_image((dir / "x.jpg").string()).size() == cv::Size(16, 16));
}

TEST_CASE("load_image rejects hostile files with messages that name them", "[reader]") {
  const auto dir = scratch();
  SECTION("missing path") {
    const std::string msg = message_of((dir / "nope.png").string());
    CHECK_THAT(msg, Catch::Contains("nope.png") && Catch::Contains("no such file"));
  }
  SECTION("a directory") {
    CHECK_THAT(message_of(dir.string()), Catch::Contains("not a regular file"));
  }
  SECTION("empty file") {
    write_bytes(dir / "empty.png", {});
    CHECK_THAT(message_of((dir / "empty.png").string()), Catch::Contains("empty file"));
  }
  SECTION("not an image") {
    const std::string text = "hello, this is not an image\n";
    write_bytes(dir / "text.png", std::vector<unsigned char>(text.begin(), text.end()));
    CHECK_THAT(message_of((dir / "text.png").string()), Catch::Contains("not a decodable image"));
  }
  SECTION("truncated PNG and JPEG") {
    cv::Mat m(64, 64, CV_8UC3);
    cv::randu(m, 0, 255);
    for (const char* ext : {".png", ".jpg"}) {
      auto bytes = encode(m, ext);
      bytes.resize(bytes.size() / 3);
      const auto p = dir / (std::string("cut") + ext);
      write_bytes(p, bytes);
      // OpenCV may decode a partial JPEG (grey-filling the rest); either a clean
      // InputError or a correctly sized image is acceptable — never a crash.
      try {
        const cv::Mat got = ocr2s::load_image(p.string());
        CHECK(got.size() == cv::Size(64, 64));
      } catch (const ocr2s::InputError& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("cut"));
      }
    }
  }
  SECTION("a PNG header claiming 100000 x 100000 pixels") {
    cv::Mat m(8, 8, CV_8UC1, cv::Scalar(0));
    auto bytes = encode(m, ".png");
    // IHDR width and height, big-endian, at bytes 16..23.
    const unsigned char big[4] = {0x00, 0x01, 0x86, 0xA0};  // 100000
    std::copy(big, big + 4, bytes.begin() + 16);
    std::copy(big, big + 4, bytes.begin() + 20);
    write_bytes(dir / "bomb.png", bytes);
    CHECK_THAT(message_of((dir / "bomb.png").string()), Catch::Contains("100000×100000"));
  }
}
