// End-to-end reads with the shipped models (models/detector.pt, models/classifier.pt).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "ocr2s/reader.hpp"
#include "reader_fixtures.hpp"

namespace {

std::string no_spaces(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

const ocr2s::Reader& shared_reader() {
  static const ocr2s::Reader reader;
  return reader;
}

}  // namespace

TEST_CASE("shipped models read generated codes of every style", "[reader]") {
  const auto& reader = shared_reader();
  const auto images = ocr2s_test::sample_images(/*count=*/24);
  int exact = 0;
  for (const auto& s : images) {
    const ocr2s::ReadResult r = reader.read(s.image);
    exact += no_spaces(r.text()) == no_spaces(s.text);
    for (const auto& l : r.lines) {
      REQUIRE(l.confidence >= 0.f);
      REQUIRE(l.confidence <= 1.f);
      for (const auto& c : l.chars) {
        CHECK(c.probability >= l.confidence);  // a line is no surer than its weakest char
        CHECK(!c.top_k.empty());
        const cv::Point2f m = c.quad.center();
        CHECK(m.x >= 0.f);
        CHECK(m.y >= 0.f);
        CHECK(m.x <= s.image.cols);
        CHECK(m.y <= s.image.rows);
      }
    }
  }
  // A regression guard for the shipped models, not the accuracy target: these
  // models read 23 of these 24 images exactly (session 12: generator without O
  // beside marked zeros, reading order by blocks, classifier retrained; 20 with
  // session 11's, 13 before the automatic scale and the stage-4 detector; README
  // "Status" has the 1,000-image eval and the gap to the ≥ 97 % goal). Fewer
  // than 20 means the pipeline or a model got worse; raise the bound whenever
  // the models improve.
  INFO("exact " << exact << " of " << images.size());
  CHECK(exact >= 20);
}

TEST_CASE("a blank image reads as no text", "[reader]") {
  const cv::Mat blank(120, 480, CV_8UC1, cv::Scalar(235));
  const auto r = shared_reader().read(blank);
  CHECK(r.lines.empty());
  CHECK(r.text().empty());
  CHECK(r.image_size == blank.size());
}

TEST_CASE("read_batch equals read per image, inputs are not modified", "[reader]") {
  const auto& reader = shared_reader();
  const auto images = ocr2s_test::sample_images(/*count=*/6, /*seed=*/777);
  std::vector<cv::Mat> mats;
  std::vector<cv::Mat> copies;
  for (const auto& s : images) {
    mats.push_back(s.image);
    copies.push_back(s.image.clone());
  }
  const auto batch = reader.read_batch(mats);
  REQUIRE(batch.size() == mats.size());
  for (std::size_t i = 0; i < mats.size(); ++i) {
    const auto one = reader.read(mats[i]);
    CHECK(batch[i].text() == one.text());
    CHECK(cv::norm(mats[i], copies[i], cv::NORM_INF) == 0.0);
  }
}

TEST_CASE("gray, BGRA and 16-bit versions of one image read alike", "[reader]") {
  const auto& reader = shared_reader();
  const auto s = ocr2s_test::sample_images(/*count=*/1, /*seed=*/4242)[0];
  const std::string want = reader.read(s.image).text();
  cv::Mat gray, bgra, g16;
  cv::cvtColor(s.image, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(s.image, bgra, cv::COLOR_BGR2BGRA);
  gray.convertTo(g16, CV_16U, 257.0);
  CHECK(no_spaces(reader.read(gray).text()) == no_spaces(want));
  CHECK(no_spaces(reader.read(bgra).text()) == no_spaces(want));
  CHECK(no_spaces(reader.read(g16).text()) == no_spaces(want));
}

TEST_CASE("options: ROI, allowlist, pattern and verification", "[reader]") {
  const auto& reader = shared_reader();
  // One generated label; the options are checked against its plain reading.
  const auto s = ocr2s_test::sample_images(/*count=*/1, /*seed=*/99)[0];
  const auto full = reader.read(s.image);
  REQUIRE(!full.lines.empty());

  SECTION("an ROI outside the image is an InputError") {
    ocr2s::ReadOptions o;
    o.rois = {cv::Rect(s.image.cols + 10, 0, 20, 20)};
    CHECK_THROWS_AS(reader.read(s.image, o), ocr2s::InputError);
  }
  SECTION("the whole image as ROI reads the same; quads stay in image pixels") {
    ocr2s::ReadOptions o;
    o.rois = {cv::Rect(0, 0, s.image.cols, s.image.rows)};
    CHECK(reader.read(s.image, o).text() == full.text());
  }
  SECTION("an ROI with nothing in it, before or after the text's, leaves the reading as it is") {
    ocr2s::ReadOptions o;
    const cv::Rect whole(0, 0, s.image.cols, s.image.rows), speck(0, 0, 1, 1);
    o.rois = {speck, whole};
    CHECK(reader.read(s.image, o).text() == full.text());
    o.rois = {whole, speck};
    CHECK(reader.read(s.image, o).text() == full.text());
    o.rois = {speck, whole, speck};
    CHECK(reader.read(s.image, o).text() == full.text());
  }
  SECTION("an allowlist with no charset character is an InputError") {
    ocr2s::ReadOptions o;
    o.allowlist = "ü";
    CHECK_THROWS_AS(reader.read(s.image, o), ocr2s::InputError);
  }
  SECTION("an allowlist restricts every answer, top-k included") {
    ocr2s::ReadOptions o;
    o.allowlist = "0123456789";
    for (const auto& l : reader.read(s.image, o).lines) {
      for (const auto& c : l.chars) {
        CHECK(std::string("0123456789").find(c.label) != std::string::npos);
        for (const auto& k : c.top_k) CHECK(std::string("0123456789").find(k.label) != std::string::npos);
      }
    }
  }
  SECTION("a malformed pattern is a PatternError") {
    ocr2s::ReadOptions o;
    o.pattern = "[A-Z";
    CHECK_THROWS_AS(reader.read(s.image, o), ocr2s::PatternError);
  }
  SECTION("verification against the truth and against a wrong string") {
    ocr2s::ReadOptions o;
    o.expect = full.text();
    const auto r = reader.read(s.image, o);
    REQUIRE(r.has_verification);
    CHECK(r.verification.edit_distance == 0);
    o.expect = full.text() + "X";
    const auto w = reader.read(s.image, o);
    CHECK_FALSE(w.verification.passed);
    CHECK(w.verification.edit_distance == 1);
  }
}

TEST_CASE("automatic scale: the second pass reads as a reader fixed at that magnification", "[reader]") {
  // A target far above any character's height asks every image for the largest
  // magnification, max_auto_magnify; a reader without the automatic scale, fixed
  // at that magnification, must then produce the same reading — text, quads in
  // the original image's pixels, probabilities — with and without an ROI.
  ocr2s::ReaderConfig autoscale;
  autoscale.craft.target_char_height = 400.f;
  autoscale.craft.max_auto_magnify = 2.f;
  ocr2s::ReaderConfig fixed;
  fixed.craft.target_char_height = 0.f;
  fixed.craft.magnify = 2.f;
  const ocr2s::Reader a(autoscale), b(fixed);
  int compared = 0;
  for (const auto& s : ocr2s_test::sample_images(/*count=*/3, /*seed=*/2718)) {
    cv::Mat small;
    cv::resize(s.image, small, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
    const auto ra = a.read(small);
    if (ra.lines.empty()) continue;  // no first-pass characters: nothing to rescale
    ++compared;
    CHECK(ocr2s_test::fingerprint(ra) == ocr2s_test::fingerprint(b.read(small)));
    ocr2s::ReadOptions o;
    o.rois = {cv::Rect(small.cols / 8, 0, small.cols - small.cols / 8, small.rows)};
    CHECK(ocr2s_test::fingerprint(a.read(small, o)) == ocr2s_test::fingerprint(b.read(small, o)));
    // And the automatic scale changed something: the first pass alone differs.
    ocr2s::ReaderConfig one_pass;
    one_pass.craft.target_char_height = 0.f;
    CHECK(ocr2s_test::fingerprint(ocr2s::Reader(one_pass).read(small)) != ocr2s_test::fingerprint(ra));
  }
  CHECK(compared >= 2);
}

TEST_CASE("a lone character beside a code is set aside as a mark, and the reading is not trusted",
          "[reader]") {
  const auto& reader = shared_reader();
  // A generated label read whole and trusted, on a canvas twice as tall whose
  // lower half repeats the label's background with one of its characters, copied
  // cell and all, alone in the middle.
  const auto samples = ocr2s_test::sample_images(/*count=*/6, /*seed=*/99);
  const auto it = std::find_if(samples.begin(), samples.end(), [&](const auto& s) {
    const auto r = reader.read(s.image);
    return r.trusted() && no_spaces(r.text()) == no_spaces(s.text) && r.lines[0].chars.size() >= 3;
  });
  REQUIRE(it != samples.end());
  const cv::Mat& label = it->image;
  const auto plain = reader.read(label);
  const cv::Rect cell =
      cv::Rect(plain.lines[0].chars[1].quad.bounds()) & cv::Rect(0, 0, label.cols, label.rows);
  cv::Mat canvas;
  cv::vconcat(label, label, canvas);
  cv::Mat lower = canvas(cv::Rect(0, label.rows, label.cols, label.rows));
  cv::Mat patch;
  cv::resize(label(cv::Rect(0, 0, label.cols, 4)), patch, lower.size(), 0, 0, cv::INTER_NEAREST);
  patch.copyTo(lower);  // the label's top rows stretched: its background, no text
  label(cell).copyTo(lower(cv::Rect((label.cols - cell.width) / 2, (label.rows - cell.height) / 2,
                                    cell.width, cell.height)));

  ocr2s::ReadOptions expect;
  expect.expect = plain.text();
  const auto r = reader.read(canvas, expect);
  INFO("read '" << r.text() << "' with " << r.marks.size() << " marks");
  REQUIRE(r.marks.size() == 1);
  CHECK(r.marks[0].label == plain.lines[0].chars[1].label);
  CHECK(r.marks[0].status == ocr2s::CharStatus::kLowConfidence);
  CHECK(r.marks[0].quad.center().y > static_cast<float>(label.rows));
  CHECK(r.text() == plain.text());
  CHECK_FALSE(r.trusted());
  CHECK(r.confidence() <= r.marks[0].probability);
  CHECK_FALSE(r.verification.passed);  // the mark may belong to the code
  CHECK(r.verification.edit_distance == 0);

  // A station that reads one-character fields keeps it as a line of text.
  ocr2s::ReaderConfig lone;
  lone.assemble.flag_lone_characters = false;
  const auto kept = ocr2s::Reader(lone).read(canvas);
  CHECK(kept.marks.empty());
  CHECK(kept.text() == plain.text() + "\n" + plain.lines[0].chars[1].label);
}

TEST_CASE("only doubtful characters are read again from nearby views", "[reader]") {
  // reread_below = 0 reads every crop once. With the default, a character the
  // single reading was sure of (at or above the threshold) keeps its reading
  // exactly; the doubtful ones get the mean over five views, so the probability
  // of some of them changes (and a doubtful veto may become a character:
  // characters are matched by their quads). The second looks see the averaged
  // rows, so a sure character may be joined with a changed neighbour: rare.
  ocr2s::ReaderConfig once;
  once.classifier.reread_below = 0.f;
  const ocr2s::Reader single(once);
  const auto& reader = shared_reader();
  const float below = ocr2s::ClassifierConfig{}.reread_below;
  const auto same_place = [](const ocr2s::Char& x, const ocr2s::Char& y) {
    for (int k = 0; k < 4; ++k) {
      if (x.quad.pts[k] != y.quad.pts[k]) return false;
    }
    return true;
  };
  int sure = 0, doubtful = 0, changed = 0, merged = 0;
  for (const auto& s : ocr2s_test::sample_images(/*count=*/24)) {
    const auto a = single.read(s.image), b = reader.read(s.image);
    std::vector<const ocr2s::Char*> reread;
    for (const auto& l : b.lines) {
      for (const auto& c : l.chars) reread.push_back(&c);
    }
    for (const auto& l : a.lines) {
      for (const auto& x : l.chars) {
        const auto y = std::find_if(reread.begin(), reread.end(),
                                    [&](const ocr2s::Char* c) { return same_place(x, *c); });
        if (x.top_k[0].probability >= below) {
          ++sure;
          if (y == reread.end()) {
            ++merged;  // joined with a doubtful neighbour whose reading changed
            continue;
          }
          CHECK((*y)->label == x.label);
          CHECK((*y)->probability == x.probability);
        } else {
          ++doubtful;
          changed += y == reread.end() || (*y)->probability != x.probability;
        }
      }
    }
  }
  INFO(sure << " sure, " << doubtful << " doubtful, " << changed << " changed, " << merged
            << " sure ones merged");
  CHECK(sure > 100);
  CHECK(merged * 20 <= sure);
  CHECK(doubtful > 0);
  CHECK(changed > 0);
}

TEST_CASE("a read times its stages, their sum is within the call's own time", "[reader]") {
  const auto& reader = shared_reader();
  const auto images = ocr2s_test::sample_images(/*count=*/4, /*seed=*/31);
  auto check_stages = [](const ocr2s::ReadTiming& t) {
    for (double ms :
         {t.detector_ms, t.postprocess_ms, t.layout_ms, t.crops_ms, t.classifier_ms, t.text_ms}) {
      CHECK(ms >= 0.0);
    }
    CHECK(t.detector_ms > 0.0);
    CHECK(t.postprocess_ms > 0.0);
    CHECK(t.classifier_ms > 0.0);  // each sample image has characters
    CHECK(t.total_ms() == Approx(t.detector_ms + t.postprocess_ms + t.layout_ms + t.crops_ms +
                                 t.classifier_ms + t.text_ms));
  };
  std::vector<cv::Mat> mats;
  double sum_of_reads = 0;
  for (const auto& s : images) {
    const auto start = std::chrono::steady_clock::now();
    const ocr2s::ReadResult r = reader.read(s.image);
    const double wall =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(!r.lines.empty());
    check_stages(r.timing);
    CHECK(r.timing.total_ms() <= wall);
    CHECK(r.timing.total_ms() >= 0.3 * wall);  // the stages are where the time goes
    sum_of_reads += wall;
    mats.push_back(s.image);
  }
  // A batch shares its detector and classifier calls out among its images.
  const auto start = std::chrono::steady_clock::now();
  const auto batch = reader.read_batch(mats);
  const double wall =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  double total = 0;
  for (const auto& r : batch) {
    check_stages(r.timing);
    total += r.timing.total_ms();
  }
  CHECK(total <= wall);
  CHECK(total >= 0.3 * wall);
  INFO("reads " << sum_of_reads << " ms, batch " << wall << " ms");
}
