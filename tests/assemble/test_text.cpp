// [assemble] class probabilities → text: allowlist masks, per-character status,
// top-k, rejection, pattern decoding in a line, and verification.
#include <numeric>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "assemble/fixtures.hpp"
#include "assemble/layout.hpp"
#include "assemble/text.hpp"
#include "ocr2s/errors.hpp"

using namespace ocr2s;
using namespace ocr2s::assemble;

namespace {

// 0-9, A-Z, then '.', '-' and 'µ' (two bytes); class 39 is "not a character".
Charset charset() {
  Charset cs;
  for (char c = '0'; c <= '9'; ++c) cs.labels.emplace_back(1, c);
  for (char c = 'A'; c <= 'Z'; ++c) cs.labels.emplace_back(1, c);
  cs.labels.push_back(".");
  cs.labels.push_back("-");
  cs.labels.push_back("µ");
  return cs;
}

int cls(const Charset& cs, const std::string& label) {
  if (label == "<reject>") return cs.reject_class();
  for (std::size_t k = 0; k < cs.labels.size(); ++k) {
    if (cs.labels[k] == label) return static_cast<int>(k);
  }
  FAIL("no label " << label);
  return -1;
}

// A distribution with the given peaks and the remaining mass spread evenly.
std::vector<float> dist(const Charset& cs,
                        const std::vector<std::pair<std::string, float>>& peaks) {
  float rest = 1.f;
  for (const auto& p : peaks) rest -= p.second;
  const auto n = static_cast<std::size_t>(cs.num_classes());
  std::vector<float> r(n, rest / static_cast<float>(n - peaks.size()));
  for (const auto& p : peaks) r[static_cast<std::size_t>(cls(cs, p.first))] = p.second;
  return r;
}

// A horizontal line of n characters with the given word indices.
LayoutLine line_of(const std::vector<int>& words) {
  std::vector<test::Slot> slots;
  for (std::size_t i = 0; i < words.size(); ++i) {
    // Words 1.5 heights apart, characters at a 0.8-height pitch.
    slots.push_back(
        {16.f * static_cast<float>(i) + 30.f * static_cast<float>(words[i]), 0.f, 12.f, 20.f});
  }
  return make_line(test::place({20.f, 40.f}, 0.f, slots), words);
}

float sum(const std::vector<float>& v) {
  return std::accumulate(v.begin(), v.end(), 0.f);
}

std::vector<int> positions(const Line& l) {
  return l.corrected;
}

}  // namespace

TEST_CASE("allow_mask and apply_mask: masked classes vanish, the rest renormalise", "[assemble]") {
  const Charset cs = charset();
  const auto mask = allow_mask(cs, "0123456789µ");
  REQUIRE(mask.size() == static_cast<std::size_t>(cs.num_classes()));
  CHECK(std::count(mask.begin(), mask.end(), true) == 12);  // 10 digits, µ, the veto
  CHECK(mask[static_cast<std::size_t>(cls(cs, "µ"))]);
  CHECK(mask[static_cast<std::size_t>(cs.reject_class())]);
  CHECK_FALSE(mask[static_cast<std::size_t>(cls(cs, "O"))]);

  auto p = dist(cs, {{"O", 0.7f}, {"0", 0.2f}});
  const float before_0 = p[0], before_1 = p[1];
  apply_mask(p, mask);
  // Float sums of 40 terms: 1e-6 is a few ulps of 1.
  CHECK(sum(p) == Approx(1.f).margin(1e-6));
  CHECK(p[static_cast<std::size_t>(cls(cs, "O"))] == 0.f);
  // Allowed classes keep their ratios.
  CHECK(p[0] / p[1] == Approx(before_0 / before_1).epsilon(1e-5));
  CHECK(p[0] > 0.6f);  // '0' now holds most of the mass

  // An allowlist with nothing in the charset is an error, naming it.
  try {
    allow_mask(cs, "xyz");
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("\"xyz\"") != std::string::npos);
  }
  // Empty means the whole charset (ReadOptions::allowlist).
  const auto all = allow_mask(cs, "");
  CHECK(std::count(all.begin(), all.end(), true) == cs.num_classes());

  auto wrong = dist(cs, {});
  wrong.pop_back();
  CHECK_THROWS_AS(apply_mask(wrong, mask), InputError);
}

TEST_CASE("decode_line: words, confidence, status and top-k", "[assemble]") {
  const Charset cs = charset();
  const LayoutLine layout = line_of({0, 0, 1, 1, 1});
  const std::vector<std::vector<float>> probs{
      dist(cs, {{"A", 0.95f}}), dist(cs, {{"B", 0.5f}, {"8", 0.3f}}), dist(cs, {{"1", 0.9f}}),
      dist(cs, {{"2", 0.99f}}), dist(cs, {{"µ", 0.8f}})};
  DecodeOptions opt;
  opt.top_k = 3;
  opt.min_confidence = 0.6f;
  const Line line = decode_line(layout, probs, cs, opt);

  CHECK(line.text == "AB 12µ");
  REQUIRE(line.chars.size() == 5);
  CHECK(line.confidence == Approx(0.5f));  // the weakest character
  CHECK(line.chars[1].status == CharStatus::kLowConfidence);
  CHECK(line.chars[0].status == CharStatus::kOk);
  CHECK(line.chars[1].top_k.size() == 3);
  CHECK(line.chars[1].top_k[0].label == "B");
  CHECK(line.chars[1].top_k[1].label == "8");
  CHECK(line.chars[1].top_k[1].probability == Approx(0.3f));
  CHECK(line.chars[1].top_k[0].probability >= line.chars[1].top_k[2].probability);
  CHECK(line.chars[3].word == 1);
  CHECK(line.rejected.empty());
  CHECK_FALSE(line.pattern_matched);  // no pattern given
  for (std::size_t i = 0; i < 5; ++i)
    CHECK(test::dist(line.chars[i].quad.center(), layout.chars[i].quad.center()) < 1e-4f);

  CHECK_THROWS_AS(decode_line(layout, {probs.begin(), probs.end() - 1}, cs, opt), InputError);
}

TEST_CASE("decode_line: vetoed detections go to rejected and leave no gap in the words",
          "[assemble]") {
  const Charset cs = charset();
  // Word 1 is a single vetoed blob: the text must not get two spaces.
  const LayoutLine layout = line_of({0, 0, 1, 2});
  const std::vector<std::vector<float>> probs{
      dist(cs, {{"A", 0.9f}}), dist(cs, {{"<reject>", 0.8f}, {"1", 0.12f}, {"I", 0.05f}}),
      dist(cs, {{"<reject>", 0.7f}}), dist(cs, {{"7", 0.9f}})};
  const Line line = decode_line(layout, probs, cs, DecodeOptions{});
  CHECK(line.text == "A 7");
  REQUIRE(line.chars.size() == 2);
  CHECK(line.chars[1].word == 1);
  REQUIRE(line.rejected.size() == 2);
  CHECK(line.rejected[0].status == CharStatus::kRejected);
  CHECK(line.rejected[0].probability == Approx(0.8f));
  CHECK(line.rejected[0].label.empty());
  // What the veto would have been read as, with the probabilities it had.
  REQUIRE(line.rejected[0].top_k.size() >= 2);
  CHECK(line.rejected[0].top_k[0].label == "1");
  CHECK(line.rejected[0].top_k[0].probability == Approx(0.12f));
  CHECK(line.rejected[0].top_k[1].label == "I");
  CHECK(line.rejected[0].top_k[1].probability == Approx(0.05f));
  for (const auto& k : line.rejected[1].top_k) CHECK(k.label != "<reject>");
  // An allowlist leaves out what it does not allow.
  DecodeOptions letters;
  letters.mask = allow_mask(cs, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  const Line only_letters = decode_line(layout, probs, cs, letters);
  REQUIRE(!only_letters.rejected.empty());
  REQUIRE(!only_letters.rejected[0].top_k.empty());
  CHECK(only_letters.rejected[0].top_k[0].label == "I");
  // The line quad encloses only the characters that stay.
  CHECK(line.quad.width() ==
        Approx(layout.chars[3].quad.pts[1].x - layout.chars[0].quad.pts[0].x).margin(1e-3));

  // The veto is decided before the allowlist: a clear 'A' under a digits-only
  // allowlist is a low-confidence digit, not a silent deletion.
  DecodeOptions digits;
  digits.mask = allow_mask(cs, "0123456789");
  // Masked: '4' 0.05 / (0.05 + 0.04 + 0.04 + 8 × 0.02 / 36) ≈ 0.37.
  const Line masked = decode_line(
      line_of({0}), {dist(cs, {{"A", 0.85f}, {"4", 0.05f}, {"9", 0.04f}, {"<reject>", 0.04f}})}, cs,
      digits);
  REQUIRE(masked.chars.size() == 1);
  CHECK(masked.chars[0].label == "4");
  CHECK(masked.chars[0].probability == Approx(0.05f / (0.13f + 8.f * 0.02f / 36.f)).epsilon(1e-4));
  CHECK(masked.chars[0].status == CharStatus::kLowConfidence);
  for (const auto& c : masked.chars[0].top_k)
    CHECK(c.label.find_first_not_of("0123456789") == std::string::npos);
}

TEST_CASE("decode_line: an unsure veto flags the characters beside it, a sure one is dropped silently",
          "[assemble]") {
  const Charset cs = charset();
  // A 1 B 2 C 3 D: slots 1 (veto 0.95, sure) and 4 (veto 0.6, unsure) are vetoed.
  const LayoutLine layout = line_of({0, 0, 0, 0, 0, 0, 0});
  const std::vector<std::vector<float>> probs{
      dist(cs, {{"A", 0.99f}}), dist(cs, {{"<reject>", 0.95f}}), dist(cs, {{"B", 0.99f}}),
      dist(cs, {{"2", 0.99f}}), dist(cs, {{"<reject>", 0.6f}, {"1", 0.3f}}), dist(cs, {{"C", 0.99f}}),
      dist(cs, {{"D", 0.99f}})};
  DecodeOptions opt;  // veto_doubt 0.9
  const Line line = decode_line(layout, probs, cs, opt);
  CHECK(line.text == "AB2CD");
  REQUIRE(line.chars.size() == 5);
  REQUIRE(line.rejected.size() == 2);
  const std::vector<CharStatus> expected{CharStatus::kOk, CharStatus::kOk, CharStatus::kLowConfidence,
                                         CharStatus::kLowConfidence, CharStatus::kOk};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(line.chars[i].status == expected[i]);
  // Probabilities are the classifier's: the flag is a status, not a rescaling.
  CHECK(line.chars[2].probability == Approx(0.99f));

  // At the ends of the line there is only one neighbour to flag.
  const Line ends = decode_line(line_of({0, 0, 0}),
                                {dist(cs, {{"<reject>", 0.5f}}), dist(cs, {{"7", 0.99f}}), dist(cs, {{"8", 0.99f}})},
                                cs, opt);
  REQUIRE(ends.chars.size() == 2);
  CHECK(ends.chars[0].status == CharStatus::kLowConfidence);
  CHECK(ends.chars[1].status == CharStatus::kOk);

  // veto_doubt 0: every veto is dropped silently.
  opt.veto_doubt = 0.f;
  for (const auto& c : decode_line(layout, probs, cs, opt).chars) CHECK(c.status == CharStatus::kOk);
}

TEST_CASE("decode_line: a pattern corrects the positions it must and reports them", "[assemble]") {
  const Charset cs = charset();
  const Pattern pattern = Pattern::compile("L\\d{3}");
  const LayoutLine layout = line_of({0, 0, 0, 0});
  // '0' read as 'O' (0.7 vs 0.25), 'L' read well.
  const std::vector<std::vector<float>> probs{dist(cs, {{"L", 0.9f}}), dist(cs, {{"1", 0.9f}}),
                                              dist(cs, {{"O", 0.7f}, {"0", 0.25f}}),
                                              dist(cs, {{"5", 0.9f}})};
  DecodeOptions opt;
  opt.pattern = &pattern;
  const Line line = decode_line(layout, probs, cs, opt);
  CHECK(line.text == "L105");
  CHECK(line.pattern_matched);
  CHECK(positions(line) == std::vector<int>{2});
  CHECK(line.chars[2].status == CharStatus::kPatternCorrected);
  CHECK(line.chars[2].probability == Approx(0.25f).margin(1e-6));
  CHECK(line.chars[2].top_k[0].label == "O");  // the classifier's own choice stays first
  CHECK(line.chars[1].status == CharStatus::kOk);
  CHECK(line.confidence == Approx(0.25f).margin(1e-6));

  // A length no string of the pattern has: the reading is left as it was.
  const Line longer = decode_line(line_of({0, 0, 0, 0, 0}),
                                  {probs[0], probs[1], probs[2], probs[3], probs[3]}, cs, opt);
  CHECK(longer.text == "L1O55");
  CHECK_FALSE(longer.pattern_matched);
  CHECK(longer.corrected.empty());

  // The pattern runs over the characters that stay, across words, after the mask:
  // the allowlist removes '1', so the pattern's digit must be something else.
  DecodeOptions both = opt;
  both.mask = allow_mask(cs, "L023456789");
  const LayoutLine spaced = line_of({0, 1, 1, 1, 1});
  const Line l2 = decode_line(spaced,
                              {probs[0], dist(cs, {{"<reject>", 0.9f}}),
                               dist(cs, {{"1", 0.6f}, {"7", 0.3f}}), probs[2], probs[3]},
                              cs, both);
  CHECK(l2.text == "L 705");
  CHECK(l2.pattern_matched);
  CHECK(l2.rejected.size() == 1);
}

TEST_CASE("verify: whitespace-insensitive alignment by edit distance", "[assemble]") {
  auto make = [](const std::string& text, CharStatus status = CharStatus::kOk) {
    Line l;
    l.text = text;
    for (const char c : text) {
      if (c == ' ') continue;
      Char ch;
      ch.label = std::string(1, c);
      ch.status = status;
      l.chars.push_back(ch);
    }
    return l;
  };
  const auto reading = [](std::vector<Line> lines, std::vector<Char> marks = {}) {
    ReadResult r;
    r.lines = std::move(lines);
    r.marks = std::move(marks);
    return r;
  };

  const auto exact = verify(reading({make("LOT 12"), make("AB")}), "LOT12\nA B");
  CHECK(exact.passed);
  CHECK(exact.edit_distance == 0);
  CHECK(exact.read == "LOT 12\nAB");
  CHECK(exact.agree == std::vector<bool>(7, true));

  // An inserted character: distance 1, every expected character still agrees.
  const auto inserted = verify(reading({make("AB1C")}), "ABC");
  CHECK_FALSE(inserted.passed);
  CHECK(inserted.edit_distance == 1);
  CHECK(inserted.agree == std::vector<bool>{true, true, true});

  // A missing character: distance 1, that one disagrees and the rest align.
  const auto missing = verify(reading({make("ACD")}), "ABCD");
  CHECK(missing.edit_distance == 1);
  CHECK(missing.agree == std::vector<bool>{true, false, true, true});

  // A substitution.
  const auto sub = verify(reading({make("A8C")}), "ABC");
  CHECK(sub.edit_distance == 1);
  CHECK(sub.agree == std::vector<bool>{true, false, true});

  // The right text read with a low-confidence character does not pass.
  const auto weak = verify(reading({make("ABC", CharStatus::kLowConfidence)}), "ABC");
  CHECK(weak.edit_distance == 0);
  CHECK_FALSE(weak.passed);
  CHECK(verify(reading({make("ABC", CharStatus::kPatternCorrected)}), "ABC").passed);

  const auto none = verify(reading({}), "AB");
  CHECK(none.edit_distance == 2);
  CHECK(none.agree == std::vector<bool>{false, false});

  // The right text beside a mark does not pass: the mark may be the code's.
  Char mark;
  mark.label = "5";
  mark.status = CharStatus::kLowConfidence;
  const auto marked = verify(reading({make("ABC")}, {mark}), "ABC");
  CHECK(marked.edit_distance == 0);
  CHECK_FALSE(marked.passed);
}

TEST_CASE("mark_unsure: weak detections are read but flagged, a line of them alone is dropped",
          "[assemble]") {
  // Two lines: one of confident characters with a weak one in the middle, one of
  // weak characters only.
  LayoutLine mixed = line_of({0, 0, 0});
  LayoutLine faint = line_of({0, 0});
  craft::CharGraph g;
  for (const float peak : {0.9f, 0.3f, 0.8f, 0.35f, 0.4f}) {
    craft::CharNode n;
    n.peak = peak;
    g.nodes.push_back(n);
  }
  for (int i = 0; i < 3; ++i) mixed.chars[static_cast<std::size_t>(i)].node = i;
  for (int i = 0; i < 2; ++i) faint.chars[static_cast<std::size_t>(i)].node = 3 + i;
  std::vector<LayoutLine> lines{mixed, faint};
  mark_unsure(lines, g, 0.5f);
  REQUIRE(lines.size() == 1);
  CHECK_FALSE(lines[0].chars[0].unsure);
  CHECK(lines[0].chars[1].unsure);
  CHECK_FALSE(lines[0].chars[2].unsure);

  // The unsure character keeps its reading and probability, but not kOk.
  const Charset cs = charset();
  DecodeOptions opt;
  opt.min_confidence = 0.6f;
  const Line line = decode_line(lines[0], {dist(cs, {{"7", 0.99f}}), dist(cs, {{".", 0.97f}}),
                                           dist(cs, {{"5", 0.98f}})}, cs, opt);
  CHECK(line.text == "7.5");
  CHECK(line.chars[0].status == CharStatus::kOk);
  CHECK(line.chars[1].status == CharStatus::kLowConfidence);
  CHECK(line.chars[1].probability == Approx(0.97f));

  // A threshold at or below every peak marks nothing; a node index outside the
  // graph is an error, not undefined behaviour.
  std::vector<LayoutLine> again{mixed, faint};
  mark_unsure(again, g, 0.2f);
  CHECK(again.size() == 2);
  again[0].chars[0].node = 17;
  CHECK_THROWS_AS(mark_unsure(again, g, 0.2f), InputError);
}

TEST_CASE("merge_duplicates: two detections of one wide glyph become one character", "[assemble]") {
  const Charset cs = charset();
  // Height 20 px: duplicates are closer than 0.42 × 20 = 8.4 px along the line.
  const auto make = [](const std::vector<float>& along, const std::vector<int>& words) {
    std::vector<test::Slot> slots;
    for (const float a : along) slots.push_back({a, 0.f, 8.f, 20.f});
    return make_line(test::place({20.f, 40.f}, 10.f, slots), words);
  };
  SECTION("a split N between S and X") {
    LayoutLine line = make({0.f, 16.f, 23.f, 40.f}, {0, 0, 0, 0});
    const Quad left = line.chars[1].quad, right = line.chars[2].quad;
    line.chars[2].unsure = true;
    std::vector<std::vector<float>> p = {dist(cs, {{"S", 0.9f}}), dist(cs, {{"N", 0.9f}}),
                                         dist(cs, {{"N", 0.7f}, {"M", 0.2f}}), dist(cs, {{"X", 0.9f}})};
    CHECK(merge_duplicates(line, p, cs) == 1);
    REQUIRE(line.chars.size() == 3);
    REQUIRE(p.size() == 3);
    // The union along the line: the left edge of the first, the right of the second.
    CHECK(cv::norm(line.chars[1].quad.pts[0] - left.pts[0]) < 1e-4);
    CHECK(cv::norm(line.chars[1].quad.pts[3] - left.pts[3]) < 1e-4);
    CHECK(cv::norm(line.chars[1].quad.pts[1] - right.pts[1]) < 1e-4);
    CHECK(cv::norm(line.chars[1].quad.pts[2] - right.pts[2]) < 1e-4);
    CHECK_FALSE(line.chars[1].unsure);  // one of the two was sure
    CHECK(p[1][static_cast<std::size_t>(cls(cs, "N"))] == Approx(0.8f));
    CHECK(p[1][static_cast<std::size_t>(cls(cs, "M"))] == Approx(0.5f * (0.2f + p[0][static_cast<std::size_t>(cls(cs, "M"))])));
    CHECK(sum(p[1]) == Approx(1.f));
    const Line out = decode_line(line, p, cs, DecodeOptions{});
    CHECK(out.text == "SNX");
  }
  SECTION("three detections of one glyph become one") {
    LayoutLine line = make({0.f, 6.f, 12.f}, {0, 0, 0});
    std::vector<std::vector<float>> p(3, dist(cs, {{"W", 0.9f}}));
    CHECK(merge_duplicates(line, p, cs) == 2);
    CHECK(line.chars.size() == 1);
  }
  SECTION("what stays apart") {
    // The same letter a normal pitch apart (0.8 heights): two letters.
    LayoutLine pitch = make({0.f, 16.f}, {0, 0});
    std::vector<std::vector<float>> p(2, dist(cs, {{"N", 0.9f}}));
    CHECK(merge_duplicates(pitch, p, cs) == 0);
    // Narrow marks may sit that close: "--", "..", "11".
    for (const char* narrow : {"-", ".", "1"}) {
      LayoutLine close = make({0.f, 6.f}, {0, 0});
      std::vector<std::vector<float>> q(2, dist(cs, {{narrow, 0.9f}}));
      CHECK(merge_duplicates(close, q, cs) == 0);
    }
    // Different labels, different words, vetoed detections.
    LayoutLine a = make({0.f, 6.f}, {0, 0});
    std::vector<std::vector<float>> q = {dist(cs, {{"V", 0.9f}}), dist(cs, {{"W", 0.9f}})};
    CHECK(merge_duplicates(a, q, cs) == 0);
    LayoutLine b = make({0.f, 6.f}, {0, 1});
    std::vector<std::vector<float>> r(2, dist(cs, {{"N", 0.9f}}));
    CHECK(merge_duplicates(b, r, cs) == 0);
    LayoutLine c = make({0.f, 6.f}, {0, 0});
    std::vector<std::vector<float>> v(2, dist(cs, {{"<reject>", 0.9f}}));
    CHECK(merge_duplicates(c, v, cs) == 0);
    CHECK(c.chars.size() == 2);
  }
  SECTION("rows and characters must agree") {
    LayoutLine line = make({0.f, 6.f}, {0, 0});
    std::vector<std::vector<float>> p(3, dist(cs, {{"N", 0.9f}}));
    CHECK_THROWS_AS(merge_duplicates(line, p, cs), InputError);
  }
}

TEST_CASE("merge_splits: a wide glyph detected in two overlapping parts is read whole", "[assemble]") {
  const Charset cs = charset();
  // Height 20 px, characters 14 px wide: parts overlap by 14 - spacing pixels;
  // candidates overlap by at least 0.2 × 20 = 4 px.
  const auto make = [](const std::vector<float>& along, const std::vector<int>& words) {
    std::vector<test::Slot> slots;
    for (const float a : along) slots.push_back({a, 0.f, 14.f, 20.f});
    return make_line(test::place({20.f, 40.f}, 10.f, slots), words);
  };
  SECTION("candidates: overlapping pairs of one word, both read as wide characters") {
    // 0–1 overlap by 6 px, 1–2 by 6 (shares 1: skipped), 2–3 by 0, 3–4 by 8
    // but in two words, 4-5 by 6 with a narrow mark, 5-6 by 6 with a veto.
    LayoutLine line = make({0.f, 8.f, 16.f, 30.f, 36.f, 42.f, 48.f}, {0, 0, 0, 0, 1, 1, 1});
    std::vector<std::vector<float>> p = {dist(cs, {{"V", 0.9f}}), dist(cs, {{"V", 0.9f}}),
                                         dist(cs, {{"A", 0.9f}}), dist(cs, {{"B", 0.9f}}),
                                         dist(cs, {{"C", 0.9f}}), dist(cs, {{".", 0.9f}}),
                                         dist(cs, {{"<reject>", 0.9f}})};
    CHECK(split_candidates(line, p, cs) == std::vector<std::size_t>{0});
    // Less overlap than kSplitOverlap: neighbours.
    LayoutLine apart = make({0.f, 11.f}, {0, 0});
    std::vector<std::vector<float>> q(2, dist(cs, {{"V", 0.9f}}));
    CHECK(split_candidates(apart, q, cs).empty());
    CHECK_THROWS_AS(split_candidates(apart, p, cs), InputError);
  }
  SECTION("the union is kept when it reads as one character") {
    LayoutLine line = make({0.f, 20.f, 28.f, 48.f}, {0, 0, 0, 0});
    line.chars[1].unsure = true;
    const Quad left = line.chars[1].quad, right = line.chars[2].quad;
    std::vector<std::vector<float>> p = {dist(cs, {{"S", 0.9f}}), dist(cs, {{"V", 0.9f}}),
                                         dist(cs, {{"V", 0.8f}}), dist(cs, {{"X", 0.9f}})};
    const auto cand = split_candidates(line, p, cs);
    REQUIRE(cand == std::vector<std::size_t>{1});
    const Quad joined = joined_quad(line, 1);
    CHECK(cv::norm(joined.pts[0] - left.pts[0]) < 1e-4);
    CHECK(cv::norm(joined.pts[3] - left.pts[3]) < 1e-4);
    CHECK(cv::norm(joined.pts[1] - right.pts[1]) < 1e-4);
    CHECK(cv::norm(joined.pts[2] - right.pts[2]) < 1e-4);
    CHECK_THROWS_AS(joined_quad(line, 3), InputError);
    const auto w = dist(cs, {{"W", 0.95f}});
    CHECK(merge_splits(line, p, cand, {w}, cs) == 1);
    REQUIRE(line.chars.size() == 3);
    REQUIRE(p.size() == 3);
    CHECK(p[1] == w);
    CHECK_FALSE(line.chars[1].unsure);  // one part was sure
    CHECK(cv::norm(line.chars[1].quad.pts[1] - right.pts[1]) < 1e-4);
    CHECK(decode_line(line, p, cs, DecodeOptions{}).text == "SWX");
  }
  SECTION("the parts stay when the union is not surely one character") {
    LayoutLine line = make({0.f, 8.f}, {0, 0});
    const std::vector<std::vector<float>> p0 = {dist(cs, {{"V", 0.9f}}), dist(cs, {{"V", 0.9f}})};
    // Not sure enough, not a character, or a glyph too narrow to have been split
    // (two true neighbours read as one letter).
    for (const auto& row : {dist(cs, {{"W", 0.85f}}), dist(cs, {{"<reject>", 0.95f}}), dist(cs, {{"A", 0.99f}})}) {
      auto p = p0;
      CHECK(merge_splits(line, p, {0}, {row}, cs) == 0);
      CHECK(line.chars.size() == 2);
      CHECK(p == p0);
    }
  }
  SECTION("rows, candidates and characters must agree") {
    LayoutLine line = make({0.f, 8.f, 16.f}, {0, 0, 0});
    std::vector<std::vector<float>> p(3, dist(cs, {{"V", 0.9f}}));
    const auto w = dist(cs, {{"W", 0.95f}});
    CHECK_THROWS_AS(merge_splits(line, p, {0}, {}, cs), InputError);
    CHECK_THROWS_AS(merge_splits(line, p, {0, 1}, {w, w}, cs), InputError);  // share character 1
    CHECK_THROWS_AS(merge_splits(line, p, {2}, {w}, cs), InputError);        // no character 3
  }
}

TEST_CASE("merge_tight: one glyph detected as two close characters is read whole, flagged",
          "[assemble]") {
  const Charset cs = charset();
  // Height 20 px, characters 10 px wide, centres 16 px apart unless given closer.
  const auto make = [](const std::vector<float>& along, const std::vector<int>& words) {
    std::vector<test::Slot> slots;
    for (const float a : along) slots.push_back({a, 0.f, 10.f, 20.f});
    return make_line(test::place({20.f, 40.f}, 10.f, slots), words);
  };
  const auto sure = [&](const char* label) { return dist(cs, {{label, 0.95f}}); };
  SECTION(
      "candidates: pairs of one word closer than kTightPitch pitches, both read, neither narrow") {
    // Pitch 16 (upper median). 1–2 are 8 apart (0.5 pitch); 4–5 8 apart but
    // '1' is narrow; 6–7 8 apart across words; 8–9 12 apart (0.75) with a veto.
    LayoutLine line = make({0.f, 16.f, 24.f, 40.f, 56.f, 64.f, 80.f, 88.f, 104.f, 116.f},
                           {0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
    std::vector<std::vector<float>> p = {sure("A"), sure("N"),       sure("M"), sure("B"),
                                         sure("C"), sure("1"),       sure("D"), sure("E"),
                                         sure("F"), sure("<reject>")};
    CHECK(tight_candidates(line, p, cs) == std::vector<std::size_t>{1});
    p[9] = sure("G");
    CHECK(tight_candidates(line, p, cs) == std::vector<std::size_t>{1, 8});
    // Spacing at kTightPitch × the pitch or more: neighbours.
    LayoutLine even = make({0.f, 16.f, 29.f, 45.f, 61.f}, {0, 0, 0, 0, 0});
    std::vector<std::vector<float>> q(5, sure("A"));
    CHECK(tight_candidates(even, q, cs).empty());  // 13 / 16 = 0.81
    // Lines shorter than kTightMinChars have no pitch to go by.
    LayoutLine three = make({0.f, 8.f, 24.f}, {0, 0, 0});
    std::vector<std::vector<float>> r(3, sure("A"));
    CHECK(tight_candidates(three, r, cs).empty());
    CHECK_THROWS_AS(tight_candidates(three, p, cs), InputError);
  }
  SECTION("candidates: a stroke overlapping its neighbour, closer than kStrokePitch pitches") {
    // Characters 10 px wide, pitch 16, height 20: kStrokeOverlap is 4 px, and
    // kStrokePitch × 16 = 10.4 px. 1 (a '1') lies 5 px from 2 (an 'M'): the quads
    // overlap by 5 px, a cut-off stem. 4 ('1') lies 11 px from 3 ('B'): the quads
    // do not overlap. 6 ('I') lies 8 px from 5 ('C'): they overlap by 2 px < 4.
    LayoutLine line =
        make({0.f, 16.f, 21.f, 37.f, 48.f, 64.f, 72.f, 88.f, 104.f}, {0, 0, 0, 0, 0, 0, 0, 0, 0});
    std::vector<std::vector<float>> p = {sure("A"), sure("1"), sure("M"), sure("B"), sure("1"),
                                         sure("C"), sure("I"), sure("D"), sure("E")};
    CHECK(tight_candidates(line, p, cs) == std::vector<std::size_t>{1});
    // Not for other narrow marks (the '.' of "5.5" sits that close), nor across words.
    p[1] = sure(".");
    CHECK(tight_candidates(line, p, cs).empty());
    p[1] = sure("I");
    CHECK(tight_candidates(line, p, cs) == std::vector<std::size_t>{1});
    LayoutLine split = make({0.f, 16.f, 21.f, 37.f, 53.f}, {0, 0, 1, 1, 1});
    std::vector<std::vector<float>> q = {sure("A"), sure("1"), sure("M"), sure("B"), sure("C")};
    CHECK(tight_candidates(split, q, cs).empty());
    // The union reads as the whole M: one character, flagged.
    const auto whole = dist(cs, {{"M", 0.96f}});
    p[1] = sure("1");
    CHECK(merge_tight(line, p, {1}, {whole}, cs) == 1);
    const Line out = decode_line(line, p, cs, DecodeOptions{});
    CHECK(out.text == "AMB1CIDE");
    CHECK(out.chars[1].status == CharStatus::kLowConfidence);
  }
  SECTION(
      "the union is kept, flagged, when it surely reads as one character that is not a narrow "
      "mark") {
    LayoutLine line = make({0.f, 16.f, 24.f, 40.f}, {0, 0, 0, 0});
    std::vector<std::vector<float>> p = {sure("A"), sure("N"), sure("M"), sure("B")};
    const auto cand = tight_candidates(line, p, cs);
    REQUIRE(cand == std::vector<std::size_t>{1});
    const auto whole = dist(cs, {{"N", 0.97f}});  // an N cut in two
    CHECK(merge_tight(line, p, cand, {whole}, cs) == 1);
    REQUIRE(line.chars.size() == 3);
    REQUIRE(p.size() == 3);
    CHECK(p[1] == whole);
    CHECK(line.chars[1].unsure);
    const Line out = decode_line(line, p, cs, DecodeOptions{});
    CHECK(out.text == "ANB");
    CHECK(out.chars[1].status == CharStatus::kLowConfidence);
    CHECK(out.chars[0].status == CharStatus::kOk);
  }
  SECTION("the parts stay when the union is not surely one character") {
    LayoutLine line = make({0.f, 16.f, 24.f, 40.f}, {0, 0, 0, 0});
    const std::vector<std::vector<float>> p0 = {sure("A"), sure("N"), sure("M"), sure("B")};
    // Not sure enough, not a character, or a narrow mark (a true '1' beside a
    // digit's crop would read so).
    for (const auto& row :
         {dist(cs, {{"N", 0.85f}}), dist(cs, {{"<reject>", 0.95f}}), dist(cs, {{"1", 0.99f}})}) {
      LayoutLine l = line;
      auto p = p0;
      CHECK(merge_tight(l, p, {1}, {row}, cs) == 0);
      CHECK(l.chars.size() == 4);
      CHECK(p == p0);
      CHECK_FALSE(l.chars[1].unsure);
    }
  }
  SECTION("rows, candidates and characters must agree") {
    LayoutLine line = make({0.f, 8.f, 16.f}, {0, 0, 0});
    std::vector<std::vector<float>> p(3, sure("A"));
    const auto w = sure("W");
    CHECK_THROWS_AS(merge_tight(line, p, {0}, {}, cs), InputError);
    CHECK_THROWS_AS(merge_tight(line, p, {0, 1}, {w, w}, cs), InputError);  // share character 1
    CHECK_THROWS_AS(merge_tight(line, p, {2}, {w}, cs), InputError);        // no character 3
  }
}

TEST_CASE(
    "split_wide: a narrow mark merged into its neighbour's node is read from the node's halves",
    "[assemble]") {
  const Charset cs = charset();
  // Characters 12 px wide at a 16 px pitch, height 20 px; a candidate is at least
  // 1.3 × the median width (15.6 px) wide.
  const auto make = [](const std::vector<float>& widths) {
    std::vector<test::Slot> slots;
    float along = 0.f;
    for (const float w : widths) {
      slots.push_back({along + 0.5f * w, 0.f, w, 20.f});
      along += w + 4.f;
    }
    return make_line(test::place({20.f, 40.f}, 10.f, slots), std::vector<int>(widths.size(), 0));
  };
  SECTION("candidates: wide nodes not read as wide glyphs, vetoed ones included") {
    // Median width 12 px: read characters from 15.6 px, vetoed ones from 9.6 px.
    LayoutLine line = make({12.f, 20.f, 12.f, 20.f, 20.f, 12.f, 12.f, 8.f});
    std::vector<std::vector<float>> p = {
        dist(cs, {{"A", 0.9f}}),        dist(cs, {{"K", 0.9f}}),        dist(cs, {{"B", 0.9f}}),
        dist(cs, {{"W", 0.9f}}),        dist(cs, {{"<reject>", 0.9f}}), dist(cs, {{"C", 0.9f}}),
        dist(cs, {{"<reject>", 0.9f}}), dist(cs, {{"<reject>", 0.9f}})};
    CHECK(wide_candidates(line, p, cs) == std::vector<std::size_t>{1, 4, 6});
    // Too short a line to know what is wide.
    LayoutLine two = make({12.f, 20.f});
    std::vector<std::vector<float>> q(2, dist(cs, {{"K", 0.9f}}));
    CHECK(wide_candidates(two, q, cs).empty());
    CHECK_THROWS_AS(wide_candidates(two, p, cs), InputError);
  }
  SECTION("halves split the quad along the line") {
    LayoutLine line = make({12.f, 20.f, 12.f});
    const Quad q = line.chars[1].quad;
    const Quad l = half_quad(line, 1, 0), r = half_quad(line, 1, 1);
    CHECK(cv::norm(l.pts[0] - q.pts[0]) < 1e-4);
    CHECK(cv::norm(r.pts[2] - q.pts[2]) < 1e-4);
    CHECK(cv::norm(l.pts[1] - r.pts[0]) < 1e-4);
    CHECK(cv::norm(l.pts[1] - 0.5f * (q.pts[0] + q.pts[1])) < 1e-4);
    CHECK(l.width() == Approx(10.f).margin(1e-3));
    CHECK_THROWS_AS(half_quad(line, 3, 0), InputError);
    CHECK_THROWS_AS(half_quad(line, 1, 2), InputError);
  }
  SECTION("a node whose halves read as a character and a different narrow mark is split, flagged") {
    LayoutLine line = make({12.f, 20.f, 12.f});
    std::vector<std::vector<float>> p = {dist(cs, {{"A", 0.9f}}), dist(cs, {{"K", 0.99f}}),
                                         dist(cs, {{"B", 0.9f}})};
    const auto cand = wide_candidates(line, p, cs);
    REQUIRE(cand == std::vector<std::size_t>{1});
    const Quad right = half_quad(line, 1, 1);
    const auto k = dist(cs, {{"K", 0.95f}}), dot = dist(cs, {{".", 0.92f}});
    CHECK(split_wide(line, p, cand, {k, dot}, cs) == 1);
    REQUIRE(line.chars.size() == 4);
    REQUIRE(p.size() == 4);
    CHECK(p[1] == k);
    CHECK(p[2] == dot);
    CHECK(line.chars[1].unsure);
    CHECK(line.chars[2].unsure);
    CHECK_FALSE(line.chars[0].unsure);
    CHECK(cv::norm(line.chars[2].quad.pts[1] - right.pts[1]) < 1e-4);
    CHECK(decode_line(line, p, cs, DecodeOptions{}).text == "AK.B");
  }
  SECTION("the node stays whole otherwise") {
    LayoutLine line = make({12.f, 20.f, 12.f});
    const std::vector<std::vector<float>> p0 = {dist(cs, {{"A", 0.9f}}), dist(cs, {{"K", 0.99f}}),
                                                dist(cs, {{"B", 0.9f}})};
    const auto k = dist(cs, {{"K", 0.95f}});
    // A half not sure enough, a half vetoed, two halves read alike (one glyph
    // seen twice), or no narrow mark among them (a wide letter's halves).
    const std::vector<std::pair<std::vector<float>, std::vector<float>>> halves = {
        {k, dist(cs, {{".", 0.85f}})},
        {k, dist(cs, {{"<reject>", 0.95f}})},
        {dist(cs, {{"-", 0.95f}}), dist(cs, {{"-", 0.95f}})},
        {k, dist(cs, {{"V", 0.95f}})}};
    for (const auto& [l, r] : halves) {
      auto p = p0;
      CHECK(split_wide(line, p, {1}, {l, r}, cs) == 0);
      CHECK(line.chars.size() == 3);
      CHECK(p == p0);
    }
  }
  SECTION("rows, candidates and characters must agree") {
    LayoutLine line = make({12.f, 20.f, 12.f});
    std::vector<std::vector<float>> p(3, dist(cs, {{"K", 0.9f}}));
    const auto k = dist(cs, {{"K", 0.95f}});
    CHECK_THROWS_AS(split_wide(line, p, {1}, {k}, cs), InputError);
    CHECK_THROWS_AS(split_wide(line, p, {3}, {k, k}, cs), InputError);
    CHECK_THROWS_AS(split_wide(line, p, {1, 1}, {k, k, k, k}, cs), InputError);
    CHECK_THROWS_AS(split_wide(line, p, {1}, {k, {0.5f, 0.5f}}, cs), InputError);
  }
}

TEST_CASE("fill_gaps: a character missed inside a word is read from the gap, or the gap is flagged", "[assemble]") {
  const Charset cs = charset();
  // Pitch 16 px (the median spacing); a gap is 1.7 × 16 = 27.2 px or more.
  const auto make = [](const std::vector<float>& along, const std::vector<int>& words) {
    std::vector<test::Slot> slots;
    for (const float a : along) slots.push_back({a, 0.f, 10.f, 20.f});
    return make_line(test::place({20.f, 40.f}, 10.f, slots), words);
  };
  const auto rows = [&](std::size_t n) { return std::vector<std::vector<float>>(n, dist(cs, {{"A", 0.9f}})); };
  SECTION("candidates: wide spacings inside a word of a long enough line") {
    LayoutLine line = make({0.f, 16.f, 48.f, 64.f, 80.f, 120.f}, {0, 0, 0, 0, 0, 1});
    CHECK(gap_candidates(line) == std::vector<std::size_t>{1});  // 80 -> 120 is a word break
    CHECK(gap_candidates(make({0.f, 16.f, 48.f}, {0, 0, 0})).empty());  // too short to know a pitch
    CHECK(gap_candidates(make({0.f, 16.f, 32.f, 48.f}, {0, 0, 0, 0})).empty());
  }
  SECTION("a confident character is inserted, flagged") {
    LayoutLine line = make({0.f, 16.f, 48.f, 64.f, 80.f}, {0, 0, 0, 0, 0});
    auto p = rows(5);
    const auto cand = gap_candidates(line);
    REQUIRE(cand == std::vector<std::size_t>{1});
    const Quad q = gap_quad(line, 1);
    const cv::Point2f mid = 0.5f * (line.chars[1].quad.center() + line.chars[2].quad.center());
    CHECK(cv::norm(q.center() - mid) < 1e-3);
    CHECK(q.width() == Approx(16.f).epsilon(1e-3));
    CHECK(q.height() == Approx(line.chars[1].quad.height()).epsilon(1e-3));
    CHECK(fill_gaps(line, p, cand, {dist(cs, {{"7", 0.95f}})}, cs) == 1);
    REQUIRE(line.chars.size() == 6);
    REQUIRE(p.size() == 6);
    CHECK(line.chars[2].unsure);
    CHECK_FALSE(line.chars[1].unsure);
    CHECK_FALSE(line.chars[3].unsure);
    CHECK(line.chars[2].word == 0);
    const Line out = decode_line(line, p, cs, DecodeOptions{});
    CHECK(out.text == "AA7AAA");
    CHECK(out.chars[2].status == CharStatus::kLowConfidence);
  }
  SECTION("nothing sure in the gap: its neighbours are flagged") {
    for (const auto& row : {dist(cs, {{"7", 0.8f}}), dist(cs, {{"<reject>", 0.95f}})}) {
      LayoutLine line = make({0.f, 16.f, 48.f, 64.f, 80.f}, {0, 0, 0, 0, 0});
      auto p = rows(5);
      CHECK(fill_gaps(line, p, {1}, {row}, cs) == 0);
      REQUIRE(line.chars.size() == 5);
      CHECK(line.chars[1].unsure);
      CHECK(line.chars[2].unsure);
      CHECK_FALSE(line.chars[0].unsure);
      CHECK_FALSE(line.chars[3].unsure);
    }
  }
  SECTION("rows, gaps and characters must agree") {
    LayoutLine line = make({0.f, 16.f, 48.f, 64.f, 80.f}, {0, 0, 0, 0, 0});
    auto p = rows(5);
    const auto a = dist(cs, {{"7", 0.95f}});
    CHECK_THROWS_AS(fill_gaps(line, p, {1}, {}, cs), InputError);
    CHECK_THROWS_AS(fill_gaps(line, p, {4}, {a}, cs), InputError);
    CHECK_THROWS_AS(fill_gaps(line, p, {2, 1}, {a, a}, cs), InputError);
    CHECK_THROWS_AS(gap_quad(line, 4), InputError);
    auto short_rows = rows(4);
    CHECK_THROWS_AS(fill_gaps(line, short_rows, {1}, {a}, cs), InputError);
  }
}

TEST_CASE("set_aside_lone_characters: a one-character line beside a code becomes a flagged mark",
          "[assemble]") {
  const Charset cs = charset();
  const auto sure = [&](const char* label) { return dist(cs, {{label, 0.99f}}); };
  const auto read = [&](const LayoutLine& l, const std::vector<std::vector<float>>& p) {
    return decode_line(l, p, cs, DecodeOptions{});
  };
  const auto vetoed = dist(cs, {{"<reject>", 0.99f}});
  // A code, a lone mark, a two-character line, and a speck whose two line
  // neighbours were vetoed: after the vetoes it is as alone as the mark.
  std::vector<Line> lines = {
      read(line_of({0, 0, 0, 1, 1}), {sure("A"), sure("B"), sure("C"), sure("1"), sure("2")}),
      read(line_of({0}), {sure("7")}), read(line_of({0, 0}), {sure("4"), sure("5")}),
      read(line_of({0, 0, 0}), {vetoed, sure("I"), vetoed})};
  REQUIRE(lines[3].chars.size() == 1);
  REQUIRE(lines[3].chars[0].status == CharStatus::kOk);
  const std::vector<Line> before = lines;
  const auto marks = set_aside_lone_characters(lines);
  REQUIRE(marks.size() == 2);
  CHECK(marks[0].label == "7");
  CHECK(marks[1].label == "I");
  for (const auto& m : marks) CHECK(m.status == CharStatus::kLowConfidence);
  CHECK(marks[0].quad.center() == before[1].chars[0].quad.center());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text == "ABC 12");
  CHECK(lines[1].text == "45");
  for (const auto& l : lines) {
    for (const auto& c : l.chars) CHECK(c.status == CharStatus::kOk);
  }
  // A line the caller's pattern vouches for stays, its status as it was.
  std::vector<Line> corrected = {before[0], read(line_of({0}), {sure("8")})};
  corrected[1].chars[0].status = CharStatus::kPatternCorrected;
  corrected[1].pattern_matched = true;
  CHECK(set_aside_lone_characters(corrected).empty());
  REQUIRE(corrected.size() == 2);
  CHECK(corrected[1].chars[0].status == CharStatus::kPatternCorrected);
  // Without a line of three or more, short lines are what the image has: text.
  std::vector<Line> short_lines = {read(line_of({0}), {sure("7")}), before[2]};
  CHECK(set_aside_lone_characters(short_lines).empty());
  CHECK(short_lines.size() == 2);
  CHECK(short_lines[0].chars[0].status == CharStatus::kOk);
  // Vetoes count: a line of three detections with one read is no code.
  std::vector<Line> thinned = {read(line_of({0}), {sure("7")}), before[3]};
  CHECK(set_aside_lone_characters(thinned).empty());
  CHECK(thinned.size() == 2);
}

TEST_CASE("doubtful_characters and average_views: doubtful rows become the mean over their views",
          "[assemble]") {
  const std::vector<std::vector<float>> p0 = {
      {0.97f, 0.03f}, {0.6f, 0.4f}, {0.2f, 0.8f}, {0.5f, 0.5f}};
  CHECK(doubtful_characters(p0, 0.95f) == std::vector<std::size_t>{1, 2, 3});
  CHECK(doubtful_characters(p0, 0.7f) == std::vector<std::size_t>{1, 3});
  CHECK(doubtful_characters(p0, 0.f).empty());
  auto p = p0;
  // Two views each for characters 1 and 3.
  average_views(p, {1, 3}, {{0.0f, 1.0f}, {0.3f, 0.7f}, {0.8f, 0.2f}, {0.2f, 0.8f}});
  CHECK(p[0] == p0[0]);
  CHECK(p[2] == p0[2]);
  CHECK(p[1][0] == Approx(0.3f));
  CHECK(p[1][1] == Approx(0.7f));
  CHECK(p[3][0] == Approx(0.5f));
  CHECK(p[3][1] == Approx(0.5f));
  CHECK_THROWS_AS(average_views(p, {1, 3}, {{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}}), InputError);
  CHECK_THROWS_AS(average_views(p, {7}, {{0.5f, 0.5f}}), InputError);
  CHECK_THROWS_AS(average_views(p, {1}, {{0.5f, 0.5f, 0.f}}), InputError);
  CHECK_THROWS_AS(average_views(p, {}, {{0.5f, 0.5f}}), InputError);
}
