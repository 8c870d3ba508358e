// load_image: decode an image file without trusting its header.
//
// Before any pixel buffer exists, the header is parsed here (not by OpenCV) and
// two things are checked:
//  1. the claimed size is at most kMaxPixels;
//  2. the file is large enough to hold that many pixels in its own format. A
//     decoder allocates (and, for JPEG and RLE BMP, fills) the whole image before
//     it notices that the data ran out, so a 600-byte JPEG whose frame header says
//     15000 × 15000 would otherwise cost 675 MB. The bounds below are lower limits
//     on the size of any complete file of that format, so valid files always pass:
//       PNG   deflate expands at most 1032:1 (a 258-byte match coded in 2 bits,
//             RFC 1951 §3.2.5), so the compressed stream holds at least
//             raw_bytes / 1032 bytes;
//       JPEG  Huffman-coded sequential DCT (ITU T.81 §F.1.2): every 8 × 8 block of
//             every component codes a DC difference (≥ 1 bit) and its AC part
//             (an EOB or coefficients, ≥ 1 bit); progressive: every block's DC
//             first scan, ≥ 1 bit; lossless: ≥ 1 bit per sample;
//       BMP, PNM, PFM uncompressed: rows × bytes per row;
//       others (TIFF, WebP, RLE BMP, arithmetic-coded JPEG) have no useful
//             format bound; kMaxPixelsPerByte is a generous cap on the ratio
//             (camera images compress less than 100:1; only near-empty synthetic
//             images go beyond it).
// A JPEG must also end: without an end-of-image marker after its first scan,
// libjpeg would fill the missing part with grey and report success.
// Only formats parsed here are decoded. OpenCV's build also reads EXR, JPEG 2000,
// DICOM, Radiance HDR and more, each a large parser nobody here has hardened; a
// code reader gets camera images, and those come as the formats below.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
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
// Deflate's largest expansion (RFC 1951: length 258 in one bit + distance in one bit).
constexpr std::uint64_t kDeflateMaxRatio = 1032;
// Formats without a tighter bound: at most this many pixels per byte of file.
constexpr std::uint64_t kMaxPixelsPerByte = 4096;
// Below this many pixels the data-size bound is not applied: such an image costs
// at most 64 MB even at 16-bit RGBA.
constexpr std::uint64_t kFreePixels = 1ULL << 23;

using Bytes = std::vector<unsigned char>;

std::uint32_t be16(const Bytes& b, std::size_t i) { return (std::uint32_t{b[i]} << 8) | b[i + 1]; }
std::uint32_t be32(const Bytes& b, std::size_t i) { return (be16(b, i) << 16) | be16(b, i + 2); }
std::uint32_t le16(const Bytes& b, std::size_t i) { return std::uint32_t{b[i]} | (std::uint32_t{b[i + 1]} << 8); }
std::uint32_t le32(const Bytes& b, std::size_t i) { return le16(b, i) | (le16(b, i + 2) << 16); }
std::uint64_t le64(const Bytes& b, std::size_t i) {
  return std::uint64_t{le32(b, i)} | (std::uint64_t{le32(b, i + 4)} << 32);
}

// What a header claims.
struct Claim {
  const char* format = "";
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  // Smallest number of bytes any complete file of this size and format has
  // (0: no bound from the format; the generic kMaxPixelsPerByte cap applies).
  std::uint64_t min_bytes = 0;
  bool bounded = false;  ///< min_bytes is the format's own bound
  std::string problem;   ///< non-empty: the header itself is malformed
};

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// Whether the claimed sides are small enough for the size arithmetic below to be
// exact in 64 bits; larger claims are refused by the pixel limit anyway.
bool sides_in_range(const Claim& c) { return c.width <= kMaxPixels && c.height <= kMaxPixels; }

// ---- PNG (ISO/IEC 15948 §11.2.2 IHDR) ------------------------------------------

bool parse_png(const Bytes& b, Claim& c) {
  static const unsigned char kSig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (b.size() < 8 || !std::equal(kSig, kSig + 8, b.begin())) return false;
  c.format = "PNG";
  if (b.size() < 26 || be32(b, 12) != 0x49484452u /* IHDR */) {
    c.problem = "PNG without a complete IHDR header";
    return true;
  }
  c.width = be32(b, 16);
  c.height = be32(b, 20);
  const unsigned depth = b[24];
  const unsigned type = b[25];
  unsigned channels = 0;
  switch (type) {
    case 0: channels = 1; break;  // gray
    case 2: channels = 3; break;  // RGB
    case 3: channels = 1; break;  // palette
    case 4: channels = 2; break;  // gray + alpha
    case 6: channels = 4; break;  // RGBA
    default: c.problem = "PNG colour type " + std::to_string(type) + " is invalid"; return true;
  }
  if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16) {
    c.problem = "PNG bit depth " + std::to_string(depth) + " is invalid";
    return true;
  }
  if (!sides_in_range(c)) return true;
  // Pixel bits / 8 is a lower bound on the raw stream with or without Adam7
  // interlacing (filter bytes only add to it).
  const std::uint64_t raw = c.width * c.height * channels * depth / 8;
  c.min_bytes = raw / kDeflateMaxRatio;
  c.bounded = true;
  return true;
}

// ---- JPEG (ITU T.81 §B.2) ---------------------------------------------------------

bool parse_jpeg(const Bytes& b, Claim& c) {
  if (b.size() < 3 || b[0] != 0xFF || b[1] != 0xD8 || b[2] != 0xFF) return false;
  c.format = "JPEG";
  std::size_t i = 2;
  bool have_frame = false, have_scan = false;
  unsigned sof = 0;
  std::uint64_t blocks = 0, samples = 0;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) {
      c.problem = "JPEG marker expected at byte " + std::to_string(i);
      return true;
    }
    const unsigned m = b[i + 1];
    if (m == 0xFF) { ++i; continue; }  // fill byte
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { i += 2; continue; }  // no length
    if (m == 0xD9) break;  // end of image before any scan
    const std::size_t len = be16(b, i + 2);
    if (len < 2 || i + 2 + len > b.size()) {
      c.problem = "JPEG segment at byte " + std::to_string(i) + " runs past the end of the file";
      return true;
    }
    const bool is_sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (is_sof && !have_frame) {
      if (len < 8) { c.problem = "JPEG frame header too short"; return true; }
      sof = m;
      c.height = be16(b, i + 5);
      c.width = be16(b, i + 7);
      const unsigned n = b[i + 9];
      if (n == 0 || len < 8 + 3 * n) { c.problem = "JPEG frame header with bad component count"; return true; }
      unsigned hmax = 1, vmax = 1;
      for (unsigned k = 0; k < n; ++k) {
        const unsigned hv = b[i + 11 + 3 * k];
        hmax = std::max(hmax, hv >> 4);
        vmax = std::max(vmax, hv & 15u);
      }
      for (unsigned k = 0; k < n; ++k) {
        const unsigned hv = b[i + 11 + 3 * k];
        const unsigned h = std::max(1u, hv >> 4), v = std::max(1u, hv & 15u);
        // Component size as libjpeg computes it (T.81 §A.1.1).
        const std::uint64_t cw = ceil_div(c.width * h, hmax), ch = ceil_div(c.height * v, vmax);
        blocks += ceil_div(cw, 8) * ceil_div(ch, 8);
        samples += cw * ch;
      }
      have_frame = true;
    }
    if (m == 0xDA) {  // start of scan: the frame header must have come first
      if (!have_frame) { c.problem = "JPEG scan before the frame header"; return true; }
      // Entropy-coded data cannot contain FF D9 (0xFF is stuffed as FF 00), and
      // embedded thumbnails sit in APPn segments before the first scan.
      bool ended = false;
      for (std::size_t k = i + 2 + len; k + 1 < b.size(); ++k) {
        if (b[k] == 0xFF && b[k + 1] == 0xD9) { ended = true; break; }
      }
      if (!ended) c.problem = "truncated JPEG: no end-of-image marker after the image data";
      have_scan = true;
      break;
    }
    i += 2 + len;
  }
  if (!c.problem.empty()) return true;
  if (!have_frame || !have_scan) {
    c.problem = have_frame ? "JPEG without image data (truncated?)" : "JPEG without a frame header (truncated?)";
    return true;
  }
  switch (sof) {
    case 0xC0: case 0xC1:  // baseline / extended sequential, Huffman
      c.min_bytes = blocks * 2 / 8; c.bounded = true; break;
    case 0xC2:  // progressive, Huffman
      c.min_bytes = blocks / 8; c.bounded = true; break;
    case 0xC3:  // lossless, Huffman
      c.min_bytes = samples / 8; c.bounded = true; break;
    default:  // arithmetic coding, hierarchical: no per-block bound
      break;
  }
  return true;
}

// ---- BMP (BITMAPINFOHEADER and later) ------------------------------------------

bool parse_bmp(const Bytes& b, Claim& c) {
  if (b.size() < 2 || b[0] != 'B' || b[1] != 'M') return false;
  c.format = "BMP";
  if (b.size() < 26) { c.problem = "BMP header cut short"; return true; }
  const std::uint32_t info = le32(b, 14);
  if (info == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    c.width = le16(b, 18);
    c.height = le16(b, 20);
    return true;
  }
  const auto w = static_cast<std::int32_t>(le32(b, 18));
  const auto h = static_cast<std::int32_t>(le32(b, 22));
  c.width = static_cast<std::uint64_t>(std::abs(static_cast<std::int64_t>(w)));
  c.height = static_cast<std::uint64_t>(std::abs(static_cast<std::int64_t>(h)));
  if (b.size() >= 34 && sides_in_range(c)) {
    const unsigned bpp = le16(b, 28);
    const std::uint32_t compression = le32(b, 30);
    if ((compression == 0 || compression == 3) && bpp >= 1 && bpp <= 32) {  // BI_RGB, BI_BITFIELDS
      c.min_bytes = c.height * (ceil_div(c.width * bpp, 32) * 4);
      c.bounded = true;
    }
  }
  return true;
}

// ---- TIFF (TIFF 6.0 §2; BigTIFF) -------------------------------------------------

bool parse_tiff(const Bytes& b, Claim& c) {
  if (b.size() < 4) return false;
  const bool le = b[0] == 'I' && b[1] == 'I';
  const bool be = b[0] == 'M' && b[1] == 'M';
  if (!le && !be) return false;
  const auto u16 = [&](std::size_t i) { return le ? le16(b, i) : be16(b, i); };
  const auto u32 = [&](std::size_t i) { return le ? le32(b, i) : be32(b, i); };
  const auto u64 = [&](std::size_t i) {
    return le ? le64(b, i) : (std::uint64_t{be32(b, i)} << 32) | be32(b, i + 4);
  };
  const unsigned version = u16(2);
  if (version != 42 && version != 43) return false;
  c.format = "TIFF";
  const bool big = version == 43;
  std::uint64_t ifd = 0;
  if (!big) {
    if (b.size() < 8) { c.problem = "TIFF header cut short"; return true; }
    ifd = u32(4);
  } else {
    if (b.size() < 16) { c.problem = "BigTIFF header cut short"; return true; }
    ifd = u64(8);
  }
  const std::size_t count_size = big ? 8 : 2, entry_size = big ? 20 : 12, value_at = big ? 12 : 8;
  if (ifd > b.size() || b.size() - ifd < count_size) {
    c.problem = "TIFF first directory offset " + std::to_string(ifd) + " is outside the file";
    return true;
  }
  const std::uint64_t n = big ? u64(ifd) : u16(ifd);
  const std::uint64_t room = (b.size() - ifd - count_size) / entry_size;
  if (n > room) {
    c.problem = "TIFF directory with " + std::to_string(n) + " entries runs past the end of the file";
    return true;
  }
  bool have_w = false, have_h = false;
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::size_t e = ifd + count_size + k * entry_size;
    const unsigned tag = u16(e), type = u16(e + 2);
    std::uint64_t v = 0;
    if (type == 3) v = u16(e + value_at);        // SHORT
    else if (type == 4) v = u32(e + value_at);   // LONG
    else if (type == 16 && big) v = u64(e + value_at);  // LONG8
    else continue;
    if (tag == 256) { c.width = v; have_w = true; }
    if (tag == 257) { c.height = v; have_h = true; }
  }
  if (!have_w || !have_h) c.problem = "TIFF directory without ImageWidth and ImageLength";
  return true;
}

// ---- WebP (RIFF container; VP8, VP8L, VP8X) -------------------------------------

bool parse_webp(const Bytes& b, Claim& c) {
  if (b.size() < 12 || std::string(b.begin(), b.begin() + 4) != "RIFF" ||
      std::string(b.begin() + 8, b.begin() + 12) != "WEBP") {
    return false;
  }
  c.format = "WebP";
  if (b.size() < 30) { c.problem = "WebP header cut short"; return true; }
  const std::string chunk(b.begin() + 12, b.begin() + 16);
  if (chunk == "VP8 ") {
    c.width = le16(b, 26) & 0x3FFF;
    c.height = le16(b, 28) & 0x3FFF;
  } else if (chunk == "VP8L") {
    const std::uint32_t bits = le32(b, 21);
    c.width = (bits & 0x3FFF) + 1;
    c.height = ((bits >> 14) & 0x3FFF) + 1;
  } else if (chunk == "VP8X") {
    c.width = (le32(b, 24) & 0xFFFFFF) + 1;
    c.height = (le32(b, 27) & 0xFFFFFF) + 1;
  } else {
    c.problem = "WebP with an unknown first chunk";
  }
  return true;
}

// ---- PNM (P1–P6) and PFM (Pf, PF) ---------------------------------------------

bool parse_pnm(const Bytes& b, Claim& c) {
  if (b.size() < 2 || b[0] != 'P') return false;
  const char kind = static_cast<char>(b[1]);
  if (!((kind >= '1' && kind <= '6') || kind == 'f' || kind == 'F')) return false;
  c.format = kind == 'f' || kind == 'F' ? "PFM" : "PNM";
  std::size_t i = 2;
  // Whitespace-separated decimal fields, '#' comments to the end of the line.
  const auto field = [&](std::uint64_t& out) {
    while (i < b.size()) {
      if (b[i] == '#') {
        while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
      } else if (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r' || b[i] == '\v' || b[i] == '\f') {
        ++i;
      } else {
        break;
      }
    }
    std::size_t digits = 0;
    out = 0;
    while (i < b.size() && b[i] >= '0' && b[i] <= '9' && digits < 12) {
      out = out * 10 + (b[i] - '0');
      ++i;
      ++digits;
    }
    return digits > 0 && digits < 12;
  };
  if (!field(c.width) || !field(c.height)) {
    c.problem = std::string(c.format) + " header without a valid width and height";
    return true;
  }
  std::uint64_t bytes_per_sample = 1;
  if (kind == '2' || kind == '3' || kind == '5' || kind == '6') {
    std::uint64_t maxval = 0;
    if (!field(maxval) || maxval == 0 || maxval > 65535) {
      c.problem = "PNM header without a valid maximum value";
      return true;
    }
    bytes_per_sample = maxval > 255 ? 2 : 1;
  }
  if (!sides_in_range(c)) return true;
  const std::uint64_t px = c.width * c.height;
  switch (kind) {
    case '1': case '2': c.min_bytes = px; break;       // ASCII: ≥ one character per sample
    case '3': c.min_bytes = 3 * px; break;
    case '4': c.min_bytes = c.height * ceil_div(c.width, 8); break;
    case '5': c.min_bytes = px * bytes_per_sample; break;
    case '6': c.min_bytes = 3 * px * bytes_per_sample; break;
    case 'f': c.min_bytes = 4 * px; break;
    case 'F': c.min_bytes = 12 * px; break;
    default: break;
  }
  c.bounded = true;
  return true;
}

// The claim of a file; false when the format is none of the above.
bool parse_header(const Bytes& b, Claim& c) {
  // Dimensions are read as up to 32 bits (64 for BigTIFF); keep products exact.
  return parse_png(b, c) || parse_jpeg(b, c) || parse_bmp(b, c) || parse_tiff(b, c) ||
         parse_webp(b, c) || parse_pnm(b, c);
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
  Bytes buf;
  try {
    buf.resize(static_cast<std::size_t>(bytes));
  } catch (const std::bad_alloc&) {
    throw InputError(path + ": out of memory reading " + std::to_string(bytes) + " bytes");
  }
  {
    std::ifstream in(path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()))) {
      throw InputError(path + ": cannot read");
    }
  }
  Claim c;
  if (!parse_header(buf, c)) {
    throw InputError(path + ": not a decodable image (not PNG, JPEG, BMP, TIFF, WebP, PNM or PFM)");
  }
  if (!c.problem.empty()) throw InputError(path + ": " + c.problem);
  const std::string size = std::to_string(c.width) + "×" + std::to_string(c.height);
  if (c.width == 0 || c.height == 0) {
    throw InputError(path + ": " + c.format + " header claims an empty " + size + " image");
  }
  // Each side is below 2^32 (2^64 only for BigTIFF, refused here first): the
  // product cannot overflow.
  if (c.width > kMaxPixels || c.height > kMaxPixels || c.width * c.height > kMaxPixels) {
    throw InputError(path + ": " + c.format + " header claims " + size + " pixels, more than the " +
                     std::to_string(kMaxPixels) + "-pixel limit");
  }
  const std::uint64_t pixels = c.width * c.height;
  if (pixels > kFreePixels) {
    const std::uint64_t need = c.bounded ? c.min_bytes : pixels / kMaxPixelsPerByte;
    if (bytes < need) {
      throw InputError(path + ": " + c.format + " header claims " + size + " pixels but the file has " +
                       std::to_string(bytes) + " bytes, fewer than the " + std::to_string(need) +
                       " any such image needs (truncated or forged header)");
    }
  }
  cv::Mat image;
  try {
    image = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw InputError(path + ": cannot decode: " + e.what());
  } catch (const std::bad_alloc&) {
    throw InputError(path + ": out of memory decoding a " + size + " " + c.format + " image");
  }
  if (image.empty()) throw InputError(path + ": not a decodable image (or truncated)");
  return image;
}

}  // namespace ocr2s
