// The on-disk data set `ocr2s synth` writes: the same bytes for any thread
// count, labels.tsv and annotations.jsonl in step with the images, crops named
// by the documented rule.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "ocr2s/errors.hpp"
#include "synth/dataset.hpp"

using namespace ocr2s;
using namespace ocr2s::synth;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::path(OCR2S_BINARY_DIR) / "synth_test_out" / name;
  fs::remove_all(p);
  return p;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("export: identical bytes for 1 and 3 threads, formats consistent", "[synth]") {
  ExportOptions o;
  o.count = 14;
  o.seed = 77;
  o.crops = true;
  o.preview = true;
  o.preview_count = 6;
  o.config.charset = "0-9A-Z./:-";  // '.' guaranteed in dates: exercises U+002E
  const fs::path a = scratch("t1"), b = scratch("t3");
  o.out_dir = a.string();
  o.threads = 1;
  const ExportSummary s1 = export_dataset(o);
  o.out_dir = b.string();
  o.threads = 3;
  const ExportSummary s3 = export_dataset(o);
  CHECK(s1.images == 14);
  CHECK(s1.characters == s3.characters);
  CHECK(s1.crops == s3.crops);

  CHECK(slurp(a / "annotations.jsonl") == slurp(b / "annotations.jsonl"));
  CHECK(slurp(a / "labels.tsv") == slurp(b / "labels.tsv"));
  for (std::uint64_t i = 0; i < o.count; ++i) {
    const std::string name = "images/" + image_file_name(i, o.count);
    REQUIRE(fs::exists(a / name));
    CHECK(slurp(a / name) == slurp(b / name));
  }
  CHECK(fs::exists(a / "preview.png"));

  // labels.tsv: header, one row per image in order, five columns (the weakest
  // character's legibility to one decimal, then the lines' formats as the
  // annotations record them, escaped as the text is).
  const auto tsv = lines_of(slurp(a / "labels.tsv"));
  REQUIRE(tsv.size() == o.count + 1);
  CHECK(tsv[0] == "image\ttext\tstyle\tlegibility\tformat");
  const auto anns = read_annotations((a / "annotations.jsonl").string());
  REQUIRE(anns.size() == o.count);
  std::size_t n_chars = 0, n_dot = 0;
  for (std::size_t i = 0; i < anns.size(); ++i) {
    const auto& an = anns[i];
    CHECK(an.image == "images/" + image_file_name(i, o.count));
    const cv::Mat img = cv::imread((a / an.image).string(), cv::IMREAD_UNCHANGED);
    REQUIRE_FALSE(img.empty());
    CHECK(img.size() == an.size);
    std::string text;
    for (std::size_t l = 0; l < an.lines.size(); ++l) text += (l ? "\\n" : "") + an.lines[l].text;
    const std::string first3 = an.image + "\t" + text + "\t" + an.style + "\t";
    REQUIRE(tsv[i + 1].size() > first3.size());
    CHECK(tsv[i + 1].compare(0, first3.size(), first3) == 0);
    std::string formats;
    for (std::size_t l = 0; l < an.lines.size(); ++l) {
      REQUIRE_FALSE(an.lines[l].format.empty());
      for (const char ch : an.lines[l].format)
        formats += ch == '\\' ? std::string("\\\\") : std::string(1, ch);
      if (l + 1 < an.lines.size()) formats += "\\n";
    }
    const std::string rest = tsv[i + 1].substr(first3.size());
    const std::size_t tab = rest.find('\t');
    REQUIRE(tab != std::string::npos);
    CHECK(std::regex_match(rest.substr(0, tab), std::regex("[0-9]+\\.[0-9]")));
    CHECK(rest.substr(tab + 1) == formats);
    CHECK(parse_style(an.style).has_value());
    for (const auto& l : an.lines) {
      n_chars += l.chars.size();
      for (const auto& c : l.chars) {
        const fs::path crop = a / "crops" / crop_label_dir(c.label) /
                              (image_file_name(i, o.count).substr(0, 6) + "_" +
                               std::to_string(&l - an.lines.data()) + "_" + std::to_string(&c - l.chars.data()) + ".png");
        CHECK(fs::exists(crop));
        if (c.label == ".") {
          ++n_dot;
          CHECK(crop.parent_path().filename() == "U+002E");
        }
      }
    }
  }
  CHECK(n_chars == s1.characters);
  CHECK(n_dot > 0);  // the charset and the date formats make '.' certain in 14 images
  // Every crop folder name maps back to a label; rejects exist.
  std::size_t files = 0;
  for (const auto& d : fs::directory_iterator(a / "crops")) {
    CHECK(label_from_crop_dir(d.path().filename().string()).has_value());
    for (const auto& f : fs::directory_iterator(d.path())) {
      ++files;
      const cv::Mat c = cv::imread(f.path().string(), cv::IMREAD_UNCHANGED);
      REQUIRE(c.type() == CV_8UC1);
      CHECK(c.size() == cv::Size(32, 32));
    }
  }
  CHECK(files == s1.crops);
  CHECK(fs::exists(a / "crops" / "_reject"));
  CHECK_FALSE(fs::is_empty(a / "crops" / "_reject"));
}

TEST_CASE("export option parsing", "[synth]") {
  CHECK(parse_style_list("").empty());
  const auto v = parse_style_list("printed, segment,printed");
  REQUIRE(v.size() == 2);
  CHECK(v[0] == Style::kPrinted);
  CHECK(v[1] == Style::kSegment);
  CHECK_THROWS_AS(parse_style_list("printed,laser"), InputError);
  CHECK(parse_size("640x160") == cv::Size(640, 160));
  CHECK_THROWS_AS(parse_size("640"), InputError);
  CHECK_THROWS_AS(parse_size("640x"), InputError);
  CHECK_THROWS_AS(parse_size("-5x10"), InputError);
  CHECK(image_file_name(42, 100) == "000042.png");
  CHECK(image_file_name(42, 12345678) == "00000042.png");
}
