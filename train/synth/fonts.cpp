#include "synth/fonts.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>

#include "ocr2s/errors.hpp"

namespace ocr2s::synth {
namespace {

namespace fs = std::filesystem;

struct Candidate {
  const char* file;  ///< file name
  FontKind kind;
  bool mono;
  bool bold;
};

// Fixed Debian locations (scripts/install-deps.sh installs the packages); a user
// may point $OCR2S_FONT_DIR at a folder holding files of the same names.
const char* const kFontDirs[] = {
    "/usr/share/fonts/truetype/ocr-a",      "/usr/share/fonts/opentype/ocr-b",
    "/usr/share/fonts/truetype/dseg",       "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/freefont",
};

std::string find_font_file(const char* file) {
  if (const char* env = std::getenv("OCR2S_FONT_DIR")) {
    fs::path p = fs::path(env) / file;
    if (fs::exists(p)) return p.string();
  }
  for (const char* dir : kFontDirs) {
    fs::path p = fs::path(dir) / file;
    if (fs::exists(p)) return p.string();
  }
  return {};
}

std::vector<FontFace> resolve(const std::vector<Candidate>& cands, const char* what) {
  std::vector<FontFace> out;
  for (const auto& c : cands) {
    std::string path = find_font_file(c.file);
    if (path.empty()) continue;
    FontFace f;
    f.path = path;
    f.name = fs::path(path).stem().string();
    f.kind = c.kind;
    f.mono = c.mono;
    f.bold = c.bold;
    out.push_back(std::move(f));
  }
  if (out.empty()) {
    throw InputError(std::string("synth: no font found for ") + what +
                     " (install the Debian packages listed in scripts/install-deps.sh, "
                     "or set OCR2S_FONT_DIR)");
  }
  return out;
}

constexpr FontKind T = FontKind::kText;

const std::vector<Candidate> kPrinted = {
    {"OCRA.ttf", T, true, false},
    {"OCRB.otf", T, true, false},
    {"DejaVuSansMono.ttf", T, true, false},
    {"DejaVuSansMono-Bold.ttf", T, true, true},
    {"DejaVuSans.ttf", T, false, false},
    {"DejaVuSans-Bold.ttf", T, false, true},
    {"DejaVuSansCondensed.ttf", T, false, false},
    {"DejaVuSansCondensed-Bold.ttf", T, false, true},
    {"LiberationMono-Regular.ttf", T, true, false},
    {"LiberationMono-Bold.ttf", T, true, true},
    {"LiberationSans-Regular.ttf", T, false, false},
    {"LiberationSans-Bold.ttf", T, false, true},
    {"LiberationSansNarrow-Regular.ttf", T, false, false},
    {"LiberationSansNarrow-Bold.ttf", T, false, true},
    {"FreeMono.ttf", T, true, false},
    {"FreeMonoBold.ttf", T, true, true},
    {"FreeSans.ttf", T, false, false},
    {"FreeSansBold.ttf", T, false, true},
};

const std::vector<Candidate> kThermal = {
    {"OCRB.otf", T, true, false},
    {"DejaVuSansMono.ttf", T, true, false},
    {"DejaVuSansMono-Bold.ttf", T, true, true},
    {"LiberationMono-Regular.ttf", T, true, false},
    {"LiberationMono-Bold.ttf", T, true, true},
    {"FreeMonoBold.ttf", T, true, true},
    {"DejaVuSansCondensed.ttf", T, false, false},
    {"DejaVuSansCondensed-Bold.ttf", T, false, true},
    {"LiberationSansNarrow-Regular.ttf", T, false, false},
    {"LiberationSans-Bold.ttf", T, false, true},
    {"FreeSans.ttf", T, false, false},
};

// Engraving fonts: plain sans and mono strokes, including a hairline face that
// looks like single-line (drag) engraving.
const std::vector<Candidate> kEtched = {
    {"OCRB.otf", T, true, false},
    {"OCRA.ttf", T, true, false},
    {"DejaVuSansMono.ttf", T, true, false},
    {"DejaVuSans-ExtraLight.ttf", T, false, false},
    {"DejaVuSans.ttf", T, false, false},
    {"DejaVuSansCondensed.ttf", T, false, false},
    {"LiberationMono-Regular.ttf", T, true, false},
    {"LiberationSans-Regular.ttf", T, false, false},
    {"FreeSans.ttf", T, false, false},
    {"DejaVuSansMono-Bold.ttf", T, true, true},
};

// Stamping dies are heavy sans faces.
const std::vector<Candidate> kStamped = {
    {"DejaVuSans-Bold.ttf", T, false, true},
    {"DejaVuSansMono-Bold.ttf", T, true, true},
    {"DejaVuSansCondensed-Bold.ttf", T, false, true},
    {"LiberationSans-Bold.ttf", T, false, true},
    {"LiberationMono-Bold.ttf", T, true, true},
    {"FreeSansBold.ttf", T, false, true},
    {"OCRA.ttf", T, true, false},
    {"OCRB.otf", T, true, false},
};

const std::vector<Candidate> kSegment = {
    {"DSEG7Classic-Regular.ttf", FontKind::kSeg7, true, false},
    {"DSEG7Classic-Bold.ttf", FontKind::kSeg7, true, true},
    {"DSEG7Classic-Light.ttf", FontKind::kSeg7, true, false},
    {"DSEG7Classic-Italic.ttf", FontKind::kSeg7, true, false},
    {"DSEG7Modern-Regular.ttf", FontKind::kSeg7, true, false},
    {"DSEG7Modern-Bold.ttf", FontKind::kSeg7, true, true},
    {"DSEG7Modern-Light.ttf", FontKind::kSeg7, true, false},
    {"DSEG7Modern-Italic.ttf", FontKind::kSeg7, true, false},
    {"DSEG14Classic-Regular.ttf", FontKind::kSeg14, true, false},
    {"DSEG14Classic-Bold.ttf", FontKind::kSeg14, true, true},
    {"DSEG14Classic-Light.ttf", FontKind::kSeg14, true, false},
    {"DSEG14Classic-Italic.ttf", FontKind::kSeg14, true, false},
    {"DSEG14Modern-Regular.ttf", FontKind::kSeg14, true, false},
    {"DSEG14Modern-Bold.ttf", FontKind::kSeg14, true, true},
    {"DSEG14Modern-Light.ttf", FontKind::kSeg14, true, false},
    {"DSEG14Modern-Italic.ttf", FontKind::kSeg14, true, false},
};

// Dot grids are sampled from the centre lines of plain fixed-pitch faces: their
// shapes are what printer dot fonts imitate.
const std::vector<Candidate> kDotSource = {
    {"DejaVuSansMono.ttf", T, true, false},
    {"LiberationMono-Regular.ttf", T, true, false},
    {"OCRB.otf", T, true, false},
};

}  // namespace

const std::vector<FontFace>& fonts_for(Style style) {
  // Function-local statics: initialised once, thread-safe (C++11 magic statics).
  switch (style) {
    case Style::kPrinted: {
      static const auto v = resolve(kPrinted, "printed labels (fonts-ocr-a/ocr-b/dejavu/liberation/freefont)");
      return v;
    }
    case Style::kThermal: {
      static const auto v = resolve(kThermal, "thermal print (fonts-ocr-b/dejavu/liberation/freefont)");
      return v;
    }
    case Style::kEtched: {
      static const auto v = resolve(kEtched, "etched metal (fonts-ocr-a/ocr-b/dejavu/liberation/freefont)");
      return v;
    }
    case Style::kStamped: {
      static const auto v = resolve(kStamped, "stamped relief (fonts-dejavu/liberation/freefont)");
      return v;
    }
    case Style::kSegment: {
      static const auto v = resolve(kSegment, "segment displays (fonts-dseg)");
      return v;
    }
    case Style::kDotMatrix:
      return dot_source_fonts();
  }
  return dot_source_fonts();
}

const std::vector<FontFace>& dot_source_fonts() {
  static const auto v = resolve(kDotSource, "dot-matrix glyph grids (fonts-dejavu/liberation)");
  return v;
}

std::string segment_glyph_for(FontKind kind, const std::string& label) {
  if (kind == FontKind::kSeg14) {
    // 14-segment faces draw upper-case letters, digits and most ASCII marks;
    // '#' and lower case have no faithful shape, the glyph test rejects the rest.
    if (label.size() != 1) return {};
    const char c = label[0];
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) return label;
    if (std::string("-./:+()%,_*<>=!?'\"$&").find(c) != std::string::npos) return label;
    return {};
  }
  if (kind == FontKind::kSeg7) {
    if (label.size() != 1) return {};
    const char c = label[0];
    if (c >= '0' && c <= '9') return label;
    switch (c) {
      case '-': case '.': case ':': case '_':
      case 'A': case 'E': case 'F': case 'J': case 'L': case 'P':
      case 'b': case 'c': case 'd': case 'h': case 'n': case 'o': case 'r': case 't': case 'u':
        return label;
      case 'H': return "X";  // DSEG7's 'H' is the lower-case form; 'X' is the upper-case H
      case 'U': return "V";  // likewise 'U' is 'u' and 'V' the upper-case U
      default: return {};
    }
  }
  return label;
}

struct GlyphCache::Entry {
  std::mutex mu;
  cv::Ptr<cv::freetype::FreeType2> ft;
  std::map<std::string, std::shared_ptr<const Glyph>> glyphs;
  std::shared_ptr<const Glyph> notdef;
  std::map<std::string, float> advances;
  int marks_zero = -1;  ///< GlyphCache::marks_zero: -1 not yet known, else 0 / 1
  bool have_metrics = false;
  FontMetrics metrics;
};

GlyphCache& GlyphCache::instance() {
  static GlyphCache cache;
  return cache;
}

GlyphCache::Entry& GlyphCache::entry(const FontFace& face) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = fonts_.find(face.path);
  if (it != fonts_.end()) return *it->second;
  auto e = std::make_unique<Entry>();
  try {
    e->ft = cv::freetype::createFreeType2();
    e->ft->loadFontData(face.path, 0);
  } catch (const cv::Exception& ex) {
    throw InputError(face.path + ": cannot load font: " + ex.what());
  }
  return *fonts_.emplace(face.path, std::move(e)).first->second;
}

namespace {

// Renders one code point white on black (OpenCV's FreeType renders into 8UC3 only)
// with the pen at (size, 2·size) on the baseline, and keeps the tight ink box.
std::shared_ptr<Glyph> render_glyph(cv::freetype::FreeType2& ft, const std::string& cp) {
  const int s = kRefFontSize;
  cv::Mat canvas(3 * s, 4 * s, CV_8UC3, cv::Scalar::all(0));
  ft.putText(canvas, cp, cv::Point(s, 2 * s), s, cv::Scalar::all(255), /*thickness=*/-1,
             cv::LINE_AA, /*bottomLeftOrigin=*/true);
  cv::Mat gray;
  cv::extractChannel(canvas, gray, 0);
  auto g = std::make_shared<Glyph>();
  const cv::Rect bb = cv::boundingRect(gray);
  if (bb.area() > 0) {
    g->alpha = gray(bb).clone();
    g->ink_origin = cv::Point(bb.x - s, bb.y - 2 * s);
  }
  return g;
}

bool same_bitmap(const Glyph& a, const Glyph& b) {
  if (a.alpha.size() != b.alpha.size() || a.ink_origin != b.ink_origin) return false;
  if (a.alpha.empty()) return true;
  return cv::countNonZero(a.alpha != b.alpha) == 0;
}

// GlyphCache::marks_zero's test, from the face's cached glyphs.
bool zero_has_mark(const FontFace& face) {
  const std::string zero_cp =
      face.kind == FontKind::kText ? "0" : segment_glyph_for(face.kind, "0");
  const std::string o_cp = face.kind == FontKind::kText ? "O" : segment_glyph_for(face.kind, "O");
  if (zero_cp.empty() || o_cp.empty()) return false;
  auto& cache = GlyphCache::instance();
  const auto zero = cache.glyph(face, zero_cp), o = cache.glyph(face, o_cp);
  if (zero->missing || o->missing || zero->alpha.empty() || o->alpha.empty()) return false;
  const cv::Mat zero_ink = zero->alpha >= 128;
  cv::Mat o_scaled;
  cv::resize(o->alpha, o_scaled, zero->alpha.size(), 0, 0, cv::INTER_AREA);
  const cv::Mat o_ink = o_scaled >= 128;
  if (cv::countNonZero(o_ink) == 0) return false;
  // O's outline: the convex hull of its ink (segment glyphs are separate bars).
  std::vector<cv::Point> pts, hull;
  cv::findNonZero(o_ink, pts);
  cv::convexHull(pts, hull);
  cv::Mat inside = cv::Mat::zeros(o_ink.size(), CV_8U);
  cv::fillConvexPoly(inside, hull, 255);
  cv::Mat dist;
  cv::distanceTransform(255 - o_ink, dist, cv::DIST_L2, 3);
  const float far = kZeroMarkDistance * static_cast<float>(zero->alpha.rows);
  int ink = 0, mark = 0;
  for (int y = 0; y < zero_ink.rows; ++y) {
    for (int x = 0; x < zero_ink.cols; ++x) {
      if (!zero_ink.at<uchar>(y, x)) continue;
      ++ink;
      if (inside.at<uchar>(y, x) && dist.at<float>(y, x) > far) ++mark;
    }
  }
  return static_cast<float>(mark) >= kZeroMarkShare * static_cast<float>(ink);
}

}  // namespace

std::shared_ptr<const Glyph> GlyphCache::glyph(const FontFace& face, const std::string& cp) {
  Entry& e = entry(face);
  std::lock_guard<std::mutex> lock(e.mu);
  auto it = e.glyphs.find(cp);
  if (it != e.glyphs.end()) return it->second;
  if (!e.notdef) e.notdef = render_glyph(*e.ft, "\xEE\x80\x80");  // U+E000, private use: absent everywhere
  auto g = render_glyph(*e.ft, cp);
  // A code point the font lacks renders as the .notdef box, or as nothing at all.
  if (cp != " " && (g->alpha.empty() || same_bitmap(*g, *e.notdef))) g->missing = true;
  std::shared_ptr<const Glyph> cg = g;
  e.glyphs.emplace(cp, cg);
  return cg;
}

bool GlyphCache::marks_zero(const FontFace& face) {
  Entry& e = entry(face);
  {
    std::lock_guard<std::mutex> lock(e.mu);
    if (e.marks_zero >= 0) return e.marks_zero != 0;
  }
  const bool marked = zero_has_mark(face);  // takes e.mu itself, through glyph()
  std::lock_guard<std::mutex> lock(e.mu);
  e.marks_zero = marked ? 1 : 0;
  return marked;
}

FontMetrics GlyphCache::metrics(const FontFace& face) {
  Entry& e = entry(face);
  {
    std::lock_guard<std::mutex> lock(e.mu);
    if (e.have_metrics) return e.metrics;
  }
  const bool seg = face.kind != FontKind::kText;
  auto cap = glyph(face, seg ? "8" : "H");
  FontMetrics m;
  m.cap_height = cap->alpha.empty() ? 0.7f * kRefFontSize : static_cast<float>(cap->alpha.rows);
  {
    // Pen advance of '0': the ink offset between the two zeros of "00".
    std::lock_guard<std::mutex> lock(e.mu);
    auto one = render_glyph(*e.ft, "0");
    auto two = render_glyph(*e.ft, "00");
    const float adv = static_cast<float>((two->alpha.cols - one->alpha.cols));
    m.pitch = adv > 0 ? adv : 0.6f * kRefFontSize;
    e.metrics = m;
    e.have_metrics = true;
  }
  return m;
}

float GlyphCache::advance(const FontFace& face, const std::string& cp) {
  Entry& e = entry(face);
  std::lock_guard<std::mutex> lock(e.mu);
  auto it = e.advances.find(cp);
  if (it != e.advances.end()) return it->second;
  auto two = render_glyph(*e.ft, "00");
  auto three = render_glyph(*e.ft, "0" + cp + "0");
  const float adv = std::max(0.f, static_cast<float>(three->alpha.cols - two->alpha.cols));
  e.advances.emplace(cp, adv);
  return adv;
}

}  // namespace ocr2s::synth
