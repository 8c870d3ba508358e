// The generator's contracts that do not need pixels measured: determinism, the
// data formats, charset parsing and the crop export's naming.
#include <catch2/catch.hpp>
#include <limits>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "ocr2s/errors.hpp"
#include "synth/crops.hpp"
#include "synth/materials.hpp"
#include "synth/rng.hpp"
#include "synth/synth.hpp"

using namespace ocr2s;
using namespace ocr2s::synth;

namespace {

std::vector<uchar> png(const cv::Mat& m) {
  std::vector<uchar> buf;
  cv::imencode(".png", m, buf);
  return buf;
}

std::string jsonl(const Sample& s) { return to_jsonl(make_annotation(s, "x.png")); }

}  // namespace

TEST_CASE("style names round-trip", "[synth]") {
  for (Style s : all_styles()) {
    REQUIRE(parse_style(style_name(s)).has_value());
    CHECK(*parse_style(style_name(s)) == s);
  }
  CHECK_FALSE(parse_style("inkjet").has_value());
  CHECK(all_styles().size() == static_cast<std::size_t>(kNumStyles));
}

TEST_CASE("charset ranges expand, a trailing hyphen is literal", "[synth]") {
  const auto cs = expand_charset("0-9A-C./-");
  const std::vector<std::string> want = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
                                         "A", "B", "C", ".", "/", "-"};
  CHECK(cs == want);
  CHECK(expand_charset("0-9A-Z./:#+()%,_-").size() == 36 + 11);
  CHECK(expand_charset("\xC3\x84-\xC3\x86").size() == 3);  // Ä-Æ
  CHECK_THROWS_AS(expand_charset("Z-A"), InputError);
  CHECK_THROWS_AS(expand_charset("A B"), InputError);
}

TEST_CASE("generate(i) depends only on config, seed and i", "[synth]") {
  SynthConfig cfg;
  Generator a(cfg, 7), b(cfg, 7), c(cfg, 8);
  for (std::uint64_t i : {0ull, 5ull, 123456789ull}) {
    const Sample sa = a.generate(i);
    // A different generator, and the same one asked again out of order.
    const Sample sb = b.generate(i);
    (void)a.generate(i + 1);
    const Sample sa2 = a.generate(i);
    CHECK(jsonl(sa) == jsonl(sb));
    CHECK(jsonl(sa) == jsonl(sa2));
    CHECK(png(sa.image) == png(sb.image));
    CHECK(png(sa.image) == png(sa2.image));
    // A different seed gives a different sample.
    const Sample sc = c.generate(i);
    CHECK(jsonl(sa) != jsonl(sc));
  }
  // The debug path draws the identical sample.
  const DebugSample d = a.generate_debug(5);
  CHECK(jsonl(d.sample) == jsonl(a.generate(5)));
  CHECK(png(d.sample.image) == png(a.generate(5).image));
}

TEST_CASE("samples are well formed for every style", "[synth]") {
  for (Style st : all_styles()) {
    SynthConfig cfg;
    cfg.styles = {st};
    Generator g(cfg, 11);
    const auto charset = expand_charset(cfg.charset);
    for (std::uint64_t i = 0; i < 12; ++i) {
      const Sample s = g.generate(i);
      INFO(style_name(st) << " sample " << i);
      CHECK(s.style == st);
      REQUIRE(s.image.type() == CV_8UC3);
      CHECK(s.image.cols <= cfg.max_size.width);
      CHECK(s.image.rows <= cfg.max_size.height);
      REQUIRE_FALSE(s.lines.empty());
      CHECK(static_cast<int>(s.lines.size()) <= cfg.max_lines);
      for (const auto& l : s.lines) {
        REQUIRE_FALSE(l.chars.empty());
        // chars are exactly the non-space characters of text.
        std::string joined;
        for (const auto& c : l.chars) joined += c.label;
        std::string stripped;
        for (char ch : l.text)
          if (ch != ' ') stripped += ch;
        CHECK(joined == stripped);
        for (const auto& c : l.chars) {
          CHECK(std::find(charset.begin(), charset.end(), c.label) != charset.end());
          // Quads lie in the image (1 px slack for the cells' rounding) and are
          // in reading order: pts[0]→pts[1] points along the line, within 50°
          // of the image x axis for these angles (≤ 45° plus perspective).
          for (const auto& p : c.quad.pts) {
            CHECK(p.x >= -1.f);
            CHECK(p.y >= -1.f);
            CHECK(p.x <= s.image.cols + 1.f);
            CHECK(p.y <= s.image.rows + 1.f);
          }
          CHECK(std::fabs(c.quad.angle_deg()) <= 50.f);
          CHECK(c.quad.height() >= 0.8f * cfg.min_char_height);
        }
      }
      const auto words = word_quads(s.lines);
      std::size_t n = 0, m = 0;
      for (const auto& w : words) n += w.chars.size();
      for (const auto& l : s.lines) m += l.chars.size();
      CHECK(n == m);
    }
  }
}

TEST_CASE("fill_max_size gives fixed-size images", "[synth]") {
  SynthConfig cfg;
  cfg.max_size = {640, 160};
  cfg.fill_max_size = true;
  Generator g(cfg, 5);
  for (std::uint64_t i = 0; i < 10; ++i) {
    const Sample s = g.generate(i);
    CHECK(s.image.size() == cv::Size(640, 160));
    for (const auto& l : s.lines)
      for (const auto& c : l.chars)
        for (const auto& p : c.quad.pts) {
          CHECK(p.x >= -1.f);
          CHECK(p.x <= 641.f);
          CHECK(p.y >= -1.f);
          CHECK(p.y <= 161.f);
        }
  }
}

TEST_CASE("JSON Lines annotations round-trip", "[synth]") {
  Generator g(SynthConfig{}, 3);
  for (std::uint64_t i = 0; i < 6; ++i) {
    const Sample s = g.generate(i);
    const Annotation a = make_annotation(s, "images/000001.png");
    const std::string line = to_jsonl(a);
    CHECK(line.find('\n') == std::string::npos);
    const Annotation b = annotation_from_json(line);
    CHECK(b.image == a.image);
    CHECK(b.style == a.style);
    CHECK(b.size == a.size);
    REQUIRE(b.lines.size() == a.lines.size());
    for (std::size_t l = 0; l < a.lines.size(); ++l) {
      CHECK(b.lines[l].text == a.lines[l].text);
      CHECK_FALSE(a.lines[l].font.empty());  // every generated line names its font
      CHECK(b.lines[l].font == a.lines[l].font);
      REQUIRE(b.lines[l].chars.size() == a.lines[l].chars.size());
      for (std::size_t c = 0; c < a.lines[l].chars.size(); ++c) {
        CHECK(b.lines[l].chars[c].label == a.lines[l].chars[c].label);
        for (int k = 0; k < 4; ++k) {
          // Coordinates are written rounded to 0.01 px.
          CHECK(b.lines[l].chars[c].quad.pts[k].x == Approx(a.lines[l].chars[c].quad.pts[k].x).margin(0.006));
          CHECK(b.lines[l].chars[c].quad.pts[k].y == Approx(a.lines[l].chars[c].quad.pts[k].y).margin(0.006));
        }
      }
    }
    CHECK(b.distractors.size() == a.distractors.size());
    CHECK(to_jsonl(b) == line);  // rounding is idempotent
  }
  CHECK_THROWS_AS(annotation_from_json("{\"image\": 3}"), InputError);
  CHECK_THROWS_AS(annotation_from_json("not json"), InputError);
}

TEST_CASE("labels.tsv rows", "[synth]") {
  CHECK(labels_tsv_header() == "image\ttext\tstyle\tlegibility\tformat");
  Sample s;
  s.style = Style::kDotMatrix;
  s.lines.push_back({"LOT 42", {}, "", ""});
  s.lines.push_back({"A\\B", {}, "", ""});
  CHECK(labels_tsv_row("images/000000.png", s) ==
        "images/000000.png\tLOT 42\\nA\\\\B\tdotmatrix\t\t");
  s.lines[0].chars.push_back({"L", {}, 9.5f});
  s.lines[1].chars.push_back({"A", {}, 7.26f});  // the weakest character is reported
  CHECK(labels_tsv_row("images/000000.png", s) ==
        "images/000000.png\tLOT 42\\nA\\\\B\tdotmatrix\t7.3\t");
  // Formats are joined and escaped as the text is: "LOT\d{2}" and "\u\\\u".
  s.lines[0].format = "LOT\\d{2}";
  s.lines[1].format = "\\u\\\\\\u";
  CHECK(labels_tsv_row("images/000000.png", s) ==
        "images/000000.png\tLOT 42\\nA\\\\B\tdotmatrix\t7.3\tLOT\\\\d{2}\\n\\\\u\\\\\\\\\\\\u");
}

TEST_CASE("crop folder names", "[synth]") {
  CHECK(crop_label_dir("A") == "A");
  CHECK(crop_label_dir("z") == "z");
  CHECK(crop_label_dir("7") == "7");
  CHECK(crop_label_dir(".") == "U+002E");
  CHECK(crop_label_dir("/") == "U+002F");
  CHECK(crop_label_dir("\xC3\x84") == "U+00C4");
  CHECK(crop_label_dir("") == "_reject");
  for (const std::string l : {"A", ".", "/", "_", "\xC3\x84", "", "\xF0\x9F\x98\x80"}) {
    const auto back = label_from_crop_dir(crop_label_dir(l));
    REQUIRE(back.has_value());
    CHECK(*back == l);
  }
  CHECK_FALSE(label_from_crop_dir("U+0041").has_value());  // 'A' is named "A", never U+0041
  CHECK_FALSE(label_from_crop_dir("..").has_value());
}

TEST_CASE("line crops: one per character plus rejects", "[synth]") {
  Generator g(SynthConfig{}, 21);
  CropGeometry geo;
  for (std::uint64_t i = 0; i < 8; ++i) {
    const Sample s = g.generate(i);
    const auto crops = sample_line_crops(s, geo, i);
    std::size_t n_chars = 0;
    for (const auto& l : s.lines) n_chars += l.chars.size();
    std::size_t chars = 0, rejects = 0;
    for (const auto& c : crops) {
      REQUIRE(c.gray8.type() == CV_8UC1);
      CHECK(c.gray8.size() == geo.size);
      if (c.label.empty()) {
        ++rejects;
        CHECK(c.kind != LabelledCrop::Kind::kChar);
      } else {
        ++chars;
        CHECK(c.label == s.lines[static_cast<std::size_t>(c.line)].chars[static_cast<std::size_t>(c.index)].label);
      }
    }
    CHECK(chars == n_chars);
    CHECK(rejects == static_cast<std::size_t>(std::ceil(geo.reject_ratio * n_chars)));
    // Same seed, same crops.
    const auto again = sample_line_crops(s, geo, i);
    REQUIRE(again.size() == crops.size());
    for (std::size_t k = 0; k < crops.size(); ++k) CHECK(cv::norm(crops[k].gray8, again[k].gray8, cv::NORM_INF) == 0);
  }
}

TEST_CASE("line crops by character width: each character's crop is its line's crop_box",
          "[synth]") {
  Generator g(SynthConfig{}, 23);
  CropGeometry geo;
  geo.by_char_width = true;
  const assemble::CropFrame frame{geo.height_factor, 1.f, true};
  int non_square = 0;
  for (std::uint64_t i = 0; i < 8; ++i) {
    const Sample s = g.generate(i);
    std::vector<assemble::LayoutLine> lines;
    for (const auto& l : s.lines) {
      std::vector<Quad> quads;
      for (const auto& c : l.chars) quads.push_back(c.quad);
      lines.push_back(assemble::make_line(quads, std::vector<int>(quads.size(), 0)));
    }
    for (const auto& c : sample_line_crops(s, geo, i)) {
      if (c.kind != LabelledCrop::Kind::kChar) continue;
      const auto& line = lines[static_cast<std::size_t>(c.line)];
      const assemble::CropBox want =
          assemble::crop_box(line, static_cast<std::size_t>(c.index), frame);
      CHECK(c.box.width == Approx(want.width).epsilon(1e-5));
      CHECK(c.box.height == Approx(want.height).epsilon(1e-5));
      const float scale = c.box.width / c.box.height;
      CHECK(scale >= assemble::kMinCharWidthScale - 1e-5f);
      CHECK(scale <= assemble::kMaxCharWidthScale + 1e-5f);
      if (std::fabs(scale - 1.f) > 0.05f) ++non_square;
    }
  }
  CHECK(non_square > 0);  // the lines' character widths do differ
}

TEST_CASE(
    "line crops sit on their characters, background rejects touch none, straddles sit between",
    "[synth]") {
  Generator g(SynthConfig{}, 31);
  CropGeometry geo;
  int n_background = 0, n_straddle = 0;
  for (std::uint64_t i = 0; i < 10; ++i) {
    const Sample s = g.generate(i);
    const auto crops = sample_line_crops(s, geo, i);
    for (const auto& c : crops) {
      const cv::Point2f dir = c.box.direction;
      CHECK(std::fabs(std::hypot(dir.x, dir.y) - 1.0) < 1e-3);
      CHECK(c.box.width == Approx(c.box.height).epsilon(1e-4));  // 32×32 crops: square boxes
      if (c.kind == LabelledCrop::Kind::kChar) {
        const auto& line = s.lines[static_cast<std::size_t>(c.line)];
        const Quad& q = line.chars[static_cast<std::size_t>(c.index)].quad;
        // Along the line the crop is centred on the character (1 px slack for
        // the line fit); its height is 1.3 line heights, and the line height is
        // a robust mean of the quads' heights (0.7–1.5 of this one's, since
        // ',' and '_' cells are taller than the band).
        const cv::Point2f d = c.box.center - q.center();
        CHECK(std::fabs(d.x * dir.x + d.y * dir.y) <= 0.5f * q.width() + 1.f);
        const float ratio = c.box.height / (geo.height_factor * q.height());
        CHECK(ratio >= 0.6f);
        CHECK(ratio <= 1.5f);
      } else if (c.kind == LabelledCrop::Kind::kStraddle) {
        // Between two neighbours: off every character's centre by at least half
        // the minimum spacing, along the line.
        ++n_straddle;
        float nearest = 1e9f, line_height = 0.f;
        for (const auto& l : s.lines) {
          for (const auto& ch : l.chars) {
            const cv::Point2f d = c.box.center - ch.quad.center();
            const float across = std::fabs(d.y * dir.x - d.x * dir.y);
            if (across > ch.quad.height()) continue;  // another line
            const float along = std::fabs(d.x * dir.x + d.y * dir.y);
            if (along < nearest) {
              nearest = along;
              line_height = c.box.height / geo.height_factor;
            }
          }
        }
        CHECK(nearest >= 0.5f * kStraddleSpacing * line_height - 1.f);
      } else if (c.kind == LabelledCrop::Kind::kBackground) {
        ++n_background;
        std::vector<cv::Point2f> box = {
            c.box.center + dir * (-0.5f * c.box.width) + cv::Point2f(-dir.y, dir.x) * (-0.5f * c.box.height),
            c.box.center + dir * (0.5f * c.box.width) + cv::Point2f(-dir.y, dir.x) * (-0.5f * c.box.height),
            c.box.center + dir * (0.5f * c.box.width) + cv::Point2f(-dir.y, dir.x) * (0.5f * c.box.height),
            c.box.center + dir * (-0.5f * c.box.width) + cv::Point2f(-dir.y, dir.x) * (0.5f * c.box.height)};
        for (const auto& l : s.lines) {
          for (const auto& ch : l.chars) {
            std::vector<cv::Point2f> q(ch.quad.pts.begin(), ch.quad.pts.end()), out;
            CHECK(cv::intersectConvexConvex(box, q, out, true) <= 0.5f);
          }
        }
      }
    }
  }
  CHECK(n_background > 0);
  CHECK(n_straddle > 0);
}

TEST_CASE("legibility floor: every character clears it, legible samples are unchanged, 0 turns it off", "[synth]") {
  SynthConfig off;
  off.styles = {Style::kStamped, Style::kEtched};  // the styles that fall below it most often
  off.min_contrast = 0.f;
  off.min_cnr = 0.f;
  SynthConfig on = off;
  on.min_contrast = 6.f;
  on.min_cnr = 4.f;
  const Generator g_off(off, 5), g_on(on, 5);
  auto legible = [&](const DebugSample& d) {
    REQUIRE(d.contrast.size() == d.sample.lines.size());
    for (std::size_t l = 0; l < d.contrast.size(); ++l) {
      const auto& chars = d.sample.lines[l].chars;
      REQUIRE(d.contrast[l].size() == chars.size());
      for (std::size_t c = 0; c < chars.size(); ++c) {
        if (d.contrast[l][c] < on.min_contrast || chars[c].cnr < on.min_cnr) return false;
      }
    }
    return true;
  };
  int redrawn = 0;
  for (std::uint64_t i = 0; i < 150; ++i) {
    const DebugSample a = g_off.generate_debug(i), b = g_on.generate_debug(i);
    CHECK(legible(b));
    float weakest = std::numeric_limits<float>::infinity();
    for (const auto& line : b.sample.lines)
      for (const auto& c : line.chars) weakest = std::min(weakest, c.cnr);
    CHECK(weakest_cnr(b.sample) == weakest);  // what labels.tsv's legibility column reports
    const bool same = a.sample.image.size() == b.sample.image.size() &&
                      cv::norm(a.sample.image, b.sample.image, cv::NORM_INF) == 0;
    if (legible(a)) {
      CHECK(same);  // draw 0 is kept when it is legible
    } else {
      ++redrawn;
      CHECK_FALSE(same);
    }
  }
  CHECK(redrawn > 0);  // the floor had something to do
}

TEST_CASE("sample 4771 of seed 1 generates (thermal pixelation of a tiny mark)", "[synth]") {
  // Regression: quantising a '.'-sized glyph to the thermal dot grid rounded its
  // size to 0 pixels and cv::resize aborted the whole data set export.
  const ocr2s::synth::Generator gen(ocr2s::synth::SynthConfig{}, /*seed=*/1);
  const auto s = gen.generate(/*index=*/4771);
  CHECK(!s.image.empty());
  CHECK(!s.lines.empty());
}

TEST_CASE("legibility is measured on the character's own ink, not a neighbour's in its box",
          "[synth]") {
  // A box whose left half holds a neighbour's dark stroke and whose right half
  // holds the character: a faint dot. Measured over the whole box, the stroke
  // makes the dot look legible; measured where the dot's own ink is, it is not.
  const cv::Size size(120, 60);
  const cv::Mat bare(size, CV_8UC3, cv::Scalar(200, 200, 200));
  cv::Mat img = bare.clone();
  cv::rectangle(img, cv::Rect(40, 10, 6, 40), cv::Scalar(20, 20, 20), cv::FILLED);  // neighbour
  cv::circle(img, cv::Point(70, 45), 2, cv::Scalar(196, 196, 196), cv::FILLED);     // faint dot
  const cv::Rect box(36, 8, 44, 44);
  CharBox whole{box, 40.f, {}};
  CharBox own{box, 40.f, cv::Mat(box.size(), CV_32F, cv::Scalar(0))};
  cv::circle(own.own, cv::Point(70, 45) - box.tl(), 2, cv::Scalar(1), cv::FILLED);
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    Rng a(seed), b(seed);
    cv::Mat ia = img.clone(), ib = img.clone();
    const auto la = degrade(a, ia, bare.clone(), 40.f, {whole});
    const auto lb = degrade(b, ib, bare.clone(), 40.f, {own});
    REQUIRE(la.size() == 1);
    REQUIRE(lb.size() == 1);
    CHECK(cv::norm(ia, ib, cv::NORM_INF) == 0);  // the same image either way
    CHECK(la[0].contrast > 5.f * lb[0].contrast);
    CHECK(la[0].cnr > 5.f * lb[0].cnr);
    CHECK(lb[0].contrast < 6.f);  // the dot changed the scene by a few grey levels at most
  }
}
