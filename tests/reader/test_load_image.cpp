// load_image: hostile and odd files give a clear InputError, never a crash or an
// allocation proportional to what a header claims.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include "image_bytes.hpp"
#include "ocr2s/reader.hpp"
#include "reader/stub_models.hpp"

namespace fs = std::filesystem;

namespace {

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
  const auto dir = ocr2s_test::scratch_dir();
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
  const auto dir = ocr2s_test::scratch_dir();
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
      const auto whole = encode(m, ext);
      // Cut inside the pixel data, and cut inside the headers.
      for (const std::size_t keep : {whole.size() / 3, whole.size() - 2, std::size_t{30}, std::size_t{9}}) {
        auto bytes = whole;
        bytes.resize(keep);
        const auto p = dir / (std::string("cut") + std::to_string(keep) + ext);
        write_bytes(p, bytes);
        // libjpeg would grey-fill a cut JPEG and report success; load_image
        // refuses a JPEG without its end-of-image marker.
        INFO(ext << " cut to " << keep << " of " << whole.size() << " bytes");
        CHECK_THAT(message_of(p.string()), Catch::Contains(p.filename().string()));
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

namespace {

std::vector<unsigned char> be32_bytes(std::uint32_t v) {
  return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
          static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
}

// A copy of a PNG with the IHDR size replaced (the CRC is left stale: the header
// check runs before any decoder would look at it).
std::vector<unsigned char> png_claiming(std::uint32_t w, std::uint32_t h, int type = CV_8UC1) {
  auto bytes = encode(cv::Mat(8, 8, type, cv::Scalar::all(0)), ".png");
  const auto bw = be32_bytes(w), bh = be32_bytes(h);
  std::copy(bw.begin(), bw.end(), bytes.begin() + 16);
  std::copy(bh.begin(), bh.end(), bytes.begin() + 20);
  return bytes;
}

// A copy of a JPEG with the frame header's size replaced.
std::vector<unsigned char> jpeg_claiming(unsigned w, unsigned h) {
  auto bytes = encode(cv::Mat(16, 16, CV_8UC3, cv::Scalar(10, 20, 30)), ".jpg");
  for (std::size_t i = 2; i + 9 < bytes.size();) {
    REQUIRE(bytes[i] == 0xFF);
    const unsigned marker = bytes[i + 1];
    if (marker == 0xC0) {
      bytes[i + 5] = static_cast<unsigned char>(h >> 8);
      bytes[i + 6] = static_cast<unsigned char>(h & 0xFF);
      bytes[i + 7] = static_cast<unsigned char>(w >> 8);
      bytes[i + 8] = static_cast<unsigned char>(w & 0xFF);
      return bytes;
    }
    i += 2 + ((std::size_t{bytes[i + 2]} << 8) | bytes[i + 3]);
  }
  FAIL("no SOF0 in OpenCV's JPEG");
  return bytes;
}

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

TEST_CASE("load_image: 0x0, 1x1 and 1x100000 images", "[reader]") {
  const auto dir = ocr2s_test::scratch_dir();
  write_bytes(dir / "zero.png", png_claiming(0, 0));
  CHECK_THAT(message_of((dir / "zero.png").string()), Catch::Contains("empty 0×0"));
  write_bytes(dir / "zero_w.png", png_claiming(0, 10));
  CHECK_THAT(message_of((dir / "zero_w.png").string()), Catch::Contains("0×10"));
  write_bytes(dir / "zero.jpg", jpeg_claiming(16, 0));
  CHECK_THAT(message_of((dir / "zero.jpg").string()), Catch::Contains("zero.jpg"));

  const cv::Mat one(1, 1, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const char* ext : {".png", ".jpg", ".bmp", ".tiff", ".webp", ".ppm"}) {
    const auto p = dir / (std::string("one") + ext);
    write_bytes(p, encode(one, ext));
    INFO(p);
    CHECK(ocr2s::load_image(p.string()).size() == cv::Size(1, 1));
  }

  cv::Mat strip(100000, 1, CV_8UC1);
  cv::randu(strip, 0, 255);
  write_bytes(dir / "strip.png", encode(strip, ".png"));
  CHECK(ocr2s::load_image((dir / "strip.png").string()).size() == cv::Size(1, 100000));
  write_bytes(dir / "strip_t.png", encode(strip.t(), ".png"));
  CHECK(ocr2s::load_image((dir / "strip_t.png").string()).size() == cv::Size(100000, 1));
}

TEST_CASE("load_image: 16-bit, 32-bit float, RGBA and CMYK", "[reader]") {
  const auto dir = ocr2s_test::scratch_dir();
  SECTION("16-bit gray TIFF and PNG keep their depth") {
    cv::Mat g16(20, 30, CV_16UC1);
    cv::randu(g16, 0, 65535);
    for (const char* ext : {".png", ".tiff"}) {
      const auto p = dir / (std::string("g16") + ext);
      write_bytes(p, encode(g16, ext));
      const cv::Mat got = ocr2s::load_image(p.string());
      REQUIRE(got.type() == CV_16UC1);
      CHECK(cv::norm(got, g16, cv::NORM_INF) == 0.0);
    }
  }
  SECTION("32-bit float TIFF keeps its values") {
    cv::Mat f(20, 30, CV_32FC1);
    cv::randu(f, 0.0, 1.0);
    write_bytes(dir / "f32.tiff", encode(f, ".tiff"));
    const cv::Mat got = ocr2s::load_image((dir / "f32.tiff").string());
    REQUIRE(got.type() == CV_32FC1);
    CHECK(cv::norm(got, f, cv::NORM_INF) == 0.0);
  }
  SECTION("RGBA PNG keeps alpha") {
    const cv::Mat bgra(10, 12, CV_8UC4, cv::Scalar(1, 2, 3, 0));
    write_bytes(dir / "rgba.png", encode(bgra, ".png"));
    const cv::Mat got = ocr2s::load_image((dir / "rgba.png").string());
    REQUIRE(got.type() == CV_8UC4);
    CHECK(got.at<cv::Vec4b>(5, 5) == cv::Vec4b(1, 2, 3, 0));
  }
  SECTION("a CMYK JPEG decodes to BGR with its colour") {
    // Stored C=255, M=128, Y=0, K=255. OpenCV reads 4-component JPEG samples as
    // Adobe-style inverted CMYK: channel = K − ((255 − sample)·K >> 8), so
    // R = 255, G = 129, B = 1.
    write_bytes(dir / "cmyk.jpg", ocr2s_test::cmyk_jpeg({255, 128, 0, 255}));
    const cv::Mat got = ocr2s::load_image((dir / "cmyk.jpg").string());
    REQUIRE(got.type() == CV_8UC3);
    REQUIRE(got.size() == cv::Size(8, 8));
    const cv::Vec3b px = got.at<cv::Vec3b>(4, 4);
    CHECK(px[0] <= 3);                            // B
    CHECK(std::abs(int{px[1]} - 129) <= 3);       // G
    CHECK(px[2] >= 252);                          // R
    // The same file cut before its end-of-image marker.
    auto cut = ocr2s_test::cmyk_jpeg({255, 128, 0, 255});
    cut.resize(cut.size() - 3);
    write_bytes(dir / "cmyk_cut.jpg", cut);
    CHECK_THAT(message_of((dir / "cmyk_cut.jpg").string()), Catch::Contains("truncated"));
  }
}

TEST_CASE("load_image: forged headers are refused before any pixel buffer exists", "[reader]") {
  const auto dir = ocr2s_test::scratch_dir();
  // Every claim below decodes (or would grey-fill) to hundreds of megabytes.
  // Refused from the header, the peak RSS does not move.
  const long before = peak_rss_mb();
  SECTION("a 600-byte JPEG claiming 15000 x 15000") {
    write_bytes(dir / "tiny.jpg", jpeg_claiming(15000, 15000));
    CHECK_THAT(message_of((dir / "tiny.jpg").string()),
               Catch::Contains("15000×15000") && Catch::Contains("truncated or forged"));
  }
  SECTION("a small PNG claiming 15000 x 15000 16-bit RGBA (1.8 GB)") {
    write_bytes(dir / "tiny.png", png_claiming(15000, 15000, CV_16UC4));
    CHECK_THAT(message_of((dir / "tiny.png").string()), Catch::Contains("truncated or forged"));
  }
  SECTION("PNG headers claiming 4G x 4G, 100000 x 100000 and 1 x 4G") {
    write_bytes(dir / "huge.png", png_claiming(0xFFFFFFFFu, 0xFFFFFFFFu));
    CHECK_THAT(message_of((dir / "huge.png").string()), Catch::Contains("4294967295×4294967295"));
    write_bytes(dir / "tall.png", png_claiming(1, 0xFFFFFFFFu));
    CHECK_THAT(message_of((dir / "tall.png").string()), Catch::Contains("pixel limit"));
  }
  SECTION("a BMP claiming 2^31 x 2^31 and one claiming 15000 x 15000 with no pixel data") {
    std::vector<unsigned char> bmp = encode(cv::Mat(4, 4, CV_8UC3, cv::Scalar(0)), ".bmp");
    for (int k = 0; k < 4; ++k) bmp[18 + k] = bmp[22 + k] = k == 3 ? 0x7F : 0xFF;
    write_bytes(dir / "huge.bmp", bmp);
    CHECK_THAT(message_of((dir / "huge.bmp").string()), Catch::Contains("pixel limit"));
    bmp = encode(cv::Mat(4, 4, CV_8UC3, cv::Scalar(0)), ".bmp");
    const unsigned char w[4] = {0x98, 0x3A, 0, 0};  // 15000, little-endian
    std::copy(w, w + 4, bmp.begin() + 18);
    std::copy(w, w + 4, bmp.begin() + 22);
    write_bytes(dir / "empty_data.bmp", bmp);
    CHECK_THAT(message_of((dir / "empty_data.bmp").string()), Catch::Contains("truncated or forged"));
  }
  SECTION("PNM and PFM headers claiming more than they hold") {
    const std::string pgm = "P5\n# comment\n100000 100000\n255\n\x01\x02";
    write_bytes(dir / "huge.pgm", std::vector<unsigned char>(pgm.begin(), pgm.end()));
    CHECK_THAT(message_of((dir / "huge.pgm").string()), Catch::Contains("100000×100000"));
    const std::string ppm = "P6 9000 9000 255\n" + std::string(100, '\x7f');
    write_bytes(dir / "short.ppm", std::vector<unsigned char>(ppm.begin(), ppm.end()));
    CHECK_THAT(message_of((dir / "short.ppm").string()), Catch::Contains("truncated or forged"));
    const std::string junk = "P3 banana";
    write_bytes(dir / "junk.ppm", std::vector<unsigned char>(junk.begin(), junk.end()));
    CHECK_THAT(message_of((dir / "junk.ppm").string()), Catch::Contains("width and height"));
  }
  SECTION("TIFF and WebP headers: sizes beyond the limit, directories outside the file") {
    std::vector<unsigned char> tiff = {'I', 'I', 42, 0, 0xF0, 0xFF, 0xFF, 0x7F};  // IFD at 2 GB
    write_bytes(dir / "far.tiff", tiff);
    CHECK_THAT(message_of((dir / "far.tiff").string()), Catch::Contains("outside the file"));
    // One IFD: ImageWidth = ImageLength = 100000 (LONG).
    tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0,
            0x00, 0x01, 4, 0, 1, 0, 0, 0, 0xA0, 0x86, 0x01, 0x00,
            0x01, 0x01, 4, 0, 1, 0, 0, 0, 0xA0, 0x86, 0x01, 0x00, 0, 0, 0, 0};
    write_bytes(dir / "huge.tiff", tiff);
    CHECK_THAT(message_of((dir / "huge.tiff").string()), Catch::Contains("100000×100000"));
    // VP8X canvas 16M x 16M.
    std::vector<unsigned char> webp = {'R', 'I', 'F', 'F', 30, 0, 0, 0, 'W', 'E', 'B', 'P',
                                       'V', 'P', '8', 'X', 10, 0, 0, 0, 0, 0, 0, 0,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0};
    write_bytes(dir / "huge.webp", webp);
    CHECK_THAT(message_of((dir / "huge.webp").string()), Catch::Contains("16777216×16777216"));
  }
  SECTION("formats ocr2s does not decode") {
    write_bytes(dir / "x.hdr", encode(cv::Mat(4, 4, CV_32FC3, cv::Scalar::all(0.5)), ".hdr"));
    CHECK_THAT(message_of((dir / "x.hdr").string()), Catch::Contains("not a decodable image"));
    const std::vector<unsigned char> sig = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    write_bytes(dir / "sig_only.png", sig);
    CHECK_THAT(message_of((dir / "sig_only.png").string()), Catch::Contains("IHDR"));
  }
  CHECK(peak_rss_mb() - before < 64);
}

TEST_CASE("load_image: a FIFO or a device is not read (no hang)", "[reader]") {
  const auto dir = ocr2s_test::scratch_dir();
  const auto fifo = dir / "pipe.png";
  fs::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THAT(message_of(fifo.string()), Catch::Contains("not a regular file"));
  CHECK_THAT(message_of("/dev/zero"), Catch::Contains("not a regular file"));
  fs::remove(fifo);
}
