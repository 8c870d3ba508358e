// load_image: decode an image file without trusting its header.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "ocr2s/errors.hpp"
#include "ocr2s/reader.hpp"

namespace ocr2s {
namespace {

// Largest image decoded: 250 megapixels (about 15800 × 15800). A header claiming
// more is refused before any pixel buffer is allocated.
constexpr std::uint64_t kMaxPixels = 250'000'000ULL;
// Largest file read.
constexpr std::uintmax_t kMaxFileBytes = 1ULL << 30;

std::uint32_t be16(const std::vector<unsigned char>& b, std::size_t i) {
  return (std::uint32_t{b[i]} << 8) | b[i + 1];
}
std::uint32_t be32(const std::vector<unsigned char>& b, std::size_t i) {
  return (be16(b, i) << 16) | be16(b, i + 2);
}
std::int32_t le32(const std::vector<unsigned char>& b, std::size_t i) {
  return static_cast<std::int32_t>(std::uint32_t{b[i]} | (std::uint32_t{b[i + 1]} << 8) |
                                   (std::uint32_t{b[i + 2]} << 16) | (std::uint32_t{b[i + 3]} << 24));
}

// The dimensions a PNG, JPEG or BMP header claims; false when the format is
// another one (OpenCV's own limit then applies) or the header is cut short.
bool claimed_size(const std::vector<unsigned char>& b, std::uint64_t& w, std::uint64_t& h) {
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (b.size() >= 24 && std::equal(kPng, kPng + 8, b.begin())) {
    w = be32(b, 16);
    h = be32(b, 20);
    return true;
  }
  if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
    w = static_cast<std::uint64_t>(std::abs(static_cast<std::int64_t>(le32(b, 18))));
    h = static_cast<std::uint64_t>(std::abs(static_cast<std::int64_t>(le32(b, 22))));
    return true;
  }
  if (b.size() >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
    // Walk the marker segments up to the first start-of-frame.
    std::size_t i = 2;
    while (i + 4 <= b.size()) {
      if (b[i] != 0xFF) return false;
      const unsigned m = b[i + 1];
      if (m == 0xFF) { ++i; continue; }
      if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { i += 2; continue; }
      const std::size_t len = be16(b, i + 2);
      const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
      if (sof) {
        if (i + 9 > b.size()) return false;
        h = be16(b, i + 5);
        w = be16(b, i + 7);
        return true;
      }
      i += 2 + len;
    }
  }
  return false;
}

}  // namespace

cv::Mat load_image(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw InputError(path + ": no such file");
  if (!fs::is_regular_file(st)) throw InputError(path + ": not a regular file");
  const std::uintmax_t bytes = fs::file_size(path, ec);
  if (ec) throw InputError(path + ": cannot stat: " + ec.message());
  if (bytes == 0) throw InputError(path + ": empty file");
  if (bytes > kMaxFileBytes) {
    throw InputError(path + ": file of " + std::to_string(bytes) + " bytes is larger than the " +
                     std::to_string(kMaxFileBytes) + "-byte limit");
  }
  std::vector<unsigned char> buf(static_cast<std::size_t>(bytes));
  {
    std::ifstream in(path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()))) {
      throw InputError(path + ": cannot read");
    }
  }
  std::uint64_t w = 0, h = 0;
  if (claimed_size(buf, w, h)) {
    if (w == 0 || h == 0) throw InputError(path + ": header claims an empty " + std::to_string(w) + "×" + std::to_string(h) + " image");
    if (w * h > kMaxPixels) {
      throw InputError(path + ": header claims " + std::to_string(w) + "×" + std::to_string(h) +
                       " pixels, more than the " + std::to_string(kMaxPixels) + "-pixel limit");
    }
  }
  cv::Mat image;
  try {
    image = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw InputError(path + ": cannot decode: " + e.what());
  }
  if (image.empty()) throw InputError(path + ": not a decodable image (or truncated)");
  return image;
}

}  // namespace ocr2s
