// [assemble] core helpers owned with the text layer: UTF-8 splitting and the
// result accessors of include/ocr2s/result.hpp.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/utf8.hpp"
#include "ocr2s/result.hpp"

using namespace ocr2s;

TEST_CASE("utf8_split: one string per code point, U+FFFD for invalid bytes", "[assemble]") {
  CHECK(utf8_split("A°µ€😀") == std::vector<std::string>{"A", "°", "µ", "€", "😀"});
  CHECK(utf8_split("").empty());
  const std::string bad = "\xEF\xBF\xBD";
  CHECK(utf8_split("A\xff"
                   "B") == std::vector<std::string>{"A", bad, "B"});
  // Overlong '/', one U+FFFD per byte (neither byte starts a valid sequence).
  CHECK(utf8_split("\xC0\xAF") == std::vector<std::string>{bad, bad});
  // A truncated 3-byte sequence is one maximal subpart: one U+FFFD.
  CHECK(utf8_split("\xE2\x82"
                   "A") == std::vector<std::string>{bad, "A"});
  // A surrogate (ED A0 80) is invalid at its second byte: three replacements.
  CHECK(utf8_split("\xED\xA0\x80") == std::vector<std::string>{bad, bad, bad});
  // Above U+10FFFF.
  CHECK(utf8_split("\xF4\x90\x80\x80").size() == 4);

  std::size_t pos = 0;
  bool valid = false;
  CHECK(utf8_next("€", pos, &valid) == 0x20AC);
  CHECK(valid);
  CHECK(pos == 3);
}

TEST_CASE("utf8_join and strip_spaces", "[assemble]") {
  CHECK(utf8_join({"L", "°", "7"}) == "L°7");
  CHECK(strip_spaces(" A\tB\nC\r\vD\f ") == "ABCD");
  CHECK(strip_spaces("µ µ") == "µµ");
}

TEST_CASE("result: status names, text and confidence", "[assemble]") {
  CHECK(std::string(to_string(CharStatus::kOk)) == "ok");
  CHECK(std::string(to_string(CharStatus::kLowConfidence)) == "low_confidence");
  CHECK(std::string(to_string(CharStatus::kPatternCorrected)) == "pattern_corrected");
  CHECK(std::string(to_string(CharStatus::kRejected)) == "rejected");

  ReadResult r;
  CHECK(r.text().empty());
  CHECK(r.confidence() == 0.f);
  Line a, b;
  a.text = "LOT 12";
  a.confidence = 0.9f;
  b.text = "AB";
  b.confidence = 0.4f;
  r.lines = {a, b};
  CHECK(r.text() == "LOT 12\nAB");
  CHECK(r.confidence() == 0.4f);
}

TEST_CASE("result: trusted only with every character sure and no marks", "[assemble]") {
  ReadResult r;
  CHECK_FALSE(r.trusted());  // nothing read
  Char sure;
  sure.label = "7";
  sure.probability = 0.95f;
  Line l;
  l.text = "77";
  l.confidence = 0.95f;
  l.chars = {sure, sure};
  r.lines = {l};
  CHECK(r.trusted());
  r.lines[0].chars[1].status = CharStatus::kPatternCorrected;
  CHECK(r.trusted());
  r.lines[0].chars[1].status = CharStatus::kLowConfidence;
  CHECK_FALSE(r.trusted());
  r.lines[0].chars[1].status = CharStatus::kOk;
  // A mark is not text, but it is doubt, and its probability counts.
  Char mark = sure;
  mark.label = "I";
  mark.probability = 0.6f;
  mark.status = CharStatus::kLowConfidence;
  r.marks = {mark};
  CHECK(r.text() == "77");
  CHECK_FALSE(r.trusted());
  CHECK(r.confidence() == 0.6f);
}

TEST_CASE("utf8_encode: code points to UTF-8, invalid ones as U+FFFD", "[assemble]") {
  CHECK(utf8_encode(U'A') == "A");
  CHECK(utf8_encode(U'µ') == "µ");
  CHECK(utf8_encode(U'€') == "€");
  CHECK(utf8_encode(U'😀') == "😀");
  CHECK(utf8_encode(0xD800) == "\xEF\xBF\xBD");
  CHECK(utf8_encode(0x110000) == "\xEF\xBF\xBD");
}
