// [assemble] the pattern subset: parsing (valid and malformed, with positions),
// matching, and most-probable decoding.
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "assemble/pattern.hpp"
#include "core/utf8.hpp"
#include "ocr2s/errors.hpp"

using namespace ocr2s;
using namespace ocr2s::assemble;

namespace {

bool match(const std::string& pattern, const std::string& text) {
  return Pattern::compile(pattern).matches(utf8_split(text));
}

// The position a malformed pattern reports, or -1 when it compiles.
long error_position(const std::string& pattern, std::string* message = nullptr) {
  try {
    Pattern::compile(pattern);
  } catch (const PatternError& e) {
    if (message != nullptr) *message = e.what();
    return static_cast<long>(e.position());
  }
  return -1;
}

// 0-9 then A-Z.
std::vector<std::string> alnum_labels() {
  std::vector<std::string> out;
  for (char c = '0'; c <= '9'; ++c) out.emplace_back(1, c);
  for (char c = 'A'; c <= 'Z'; ++c) out.emplace_back(1, c);
  return out;
}

int index_of(const std::vector<std::string>& labels, const std::string& l) {
  for (std::size_t k = 0; k < labels.size(); ++k) {
    if (labels[k] == l) return static_cast<int>(k);
  }
  return -1;
}

// A row with `p` on each (label, p) pair and the rest of the mass spread evenly.
std::vector<float> row(const std::vector<std::string>& labels,
                       const std::vector<std::pair<std::string, float>>& peaks) {
  float rest = 1.f;
  for (const auto& pk : peaks) rest -= pk.second;
  const float fill = rest / static_cast<float>(labels.size() - peaks.size());
  std::vector<float> r(labels.size(), fill);
  for (const auto& pk : peaks) r[static_cast<std::size_t>(index_of(labels, pk.first))] = pk.second;
  return r;
}

std::string decoded_text(const Pattern::Decoded& d, const std::vector<std::string>& labels) {
  std::string s;
  for (const int k : d.classes) s += labels[static_cast<std::size_t>(k)];
  return s;
}

}  // namespace

TEST_CASE("pattern: literals, classes, shorthands and counts", "[assemble]") {
  CHECK(match("(LOT|L)\\d{6}", "LOT123456"));
  CHECK(match("(LOT|L)\\d{6}", "L123456"));
  CHECK_FALSE(match("(LOT|L)\\d{6}", "LO123456"));
  CHECK_FALSE(match("(LOT|L)\\d{6}", "LOT12345"));

  CHECK(match("[A-F0-9]{4}", "0A9F"));
  CHECK_FALSE(match("[A-F0-9]{4}", "0A9G"));
  CHECK(match("[^O]", "0"));
  CHECK_FALSE(match("[^O]", "O"));
  CHECK(match("\\d[-./]\\d", "1/2"));
  CHECK(match("\\d[-./]\\d", "1-2"));
  CHECK_FALSE(match("\\d[-./]\\d", "1+2"));
  CHECK(match("[a-]", "-"));  // '-' last is literal

  CHECK(match("\\u\\w", "A7"));
  CHECK_FALSE(match("\\u", "7"));
  CHECK_FALSE(match("\\w", "a"));  // \w is [A-Z0-9] as documented, not lower case
  CHECK(match(".", "#"));
  CHECK(match("\\.", "."));
  CHECK_FALSE(match("\\.", "A"));
  CHECK(match("\\(\\)\\\\", "()\\"));

  CHECK(match("A{2,3}", "AA"));
  CHECK(match("A{2,3}", "AAA"));
  CHECK_FALSE(match("A{2,3}", "AAAA"));
  CHECK_FALSE(match("A{2,}", "A"));
  CHECK(match("A{2,}", "AAAAAAA"));
  CHECK(match("A{0}B", "B"));
  CHECK(match("AB?C", "AC"));
  CHECK(match("AB?C", "ABC"));
  CHECK(match("AB*C", "ABBBC"));
  CHECK_FALSE(match("AB+C", "AC"));
  CHECK(match("(AB)+", "ABAB"));
  CHECK_FALSE(match("(AB)+", "ABA"));
  CHECK(match("(A|)B", "B"));
  CHECK(match("(A?)*B", "AAB"));  // an ε-loop must not hang the simulation

  CHECK(match("", ""));
  CHECK_FALSE(match("", "A"));
}

TEST_CASE("pattern: UTF-8 literals and ranges match by code point", "[assemble]") {
  CHECK(match("\\d+°C", "25°C"));
  CHECK(match("[α-ω]{2}", "βγ"));
  CHECK_FALSE(match("[α-ω]", "Ω"));  // U+03A9 is below α (U+03B1)
  CHECK(match("Ø\\d", "Ø7"));
  // A label that is not one code point matches nothing, not even '.'.
  CHECK_FALSE(Pattern::compile(".").matches({"AB"}));
}

TEST_CASE("pattern: whitespace in a pattern is ignored like whitespace in a line", "[assemble]") {
  CHECK(match("LOT \\d{2}", "LOT12"));
  CHECK(match("[A -C]", "B"));
  CHECK_FALSE(match("LOT\\ \\d{2}", "LOT12"));  // an escaped space is a literal
}

TEST_CASE("pattern: malformed patterns report the code point at fault", "[assemble]") {
  CHECK(error_position("(AB") == 0);       // the '(' never closed
  CHECK(error_position("AB)") == 2);       // ')' closing nothing
  CHECK(error_position("[AB") == 0);       // the '[' never closed
  CHECK(error_position("[]") == 1);        // empty class
  CHECK(error_position("[Z-A]") == 1);     // reversed range, at its start
  CHECK(error_position("[\\d-Z]") == -1);  // shorthand then a literal '-' and 'Z'
  CHECK(error_position("[A-\\d]") == 3);   // range ending in a shorthand
  CHECK(error_position("*A") == 0);        // nothing to repeat
  CHECK(error_position("A|+") == 2);
  CHECK(error_position("A**") == 2);  // a count on a count
  CHECK(error_position("A{2}{3}") == 4);
  CHECK(error_position("A{2,1}") == 4);  // max < min, at max
  CHECK(error_position("A{x}") == 2);    // not a number
  CHECK(error_position("A{2") == 3);     // ends inside the count
  CHECK(error_position("A{2,3") == 5);
  CHECK(error_position("A{2;}") == 3);
  CHECK(error_position("A{1001}") == 2);  // beyond the count limit
  CHECK(error_position("\\q") == 0);      // unknown escape
  CHECK(error_position("A\\") == 1);      // lone backslash
  CHECK(error_position("A]") == 1);
  CHECK(error_position("A}") == 1);
  // Positions count code points, not bytes: 'é' and '°' are two bytes each.
  CHECK(error_position("é°)") == 2);
  CHECK(error_position("A\xff") == 1);                   // invalid UTF-8
  CHECK(error_position("((\\d{999}){999}){999}") >= 0);  // too large an automaton
  CHECK(error_position(std::string(300, '(') + std::string(300, ')')) == 200);  // nested too deep

  std::string message;
  REQUIRE(error_position("\\d{3,2}", &message) == 5);
  CHECK(message.find("\\d{3,2}") != std::string::npos);  // names the pattern
  CHECK(message.find("position 5") != std::string::npos);
}

TEST_CASE("pattern: decode picks the most probable matching string", "[assemble]") {
  const auto labels = alnum_labels();
  const Pattern p = Pattern::compile("\\d{4}");
  // Position 2 looks like 'O' (0.7) more than '0' (0.2): a digit slot makes it '0'.
  const std::vector<std::vector<float>> probs{
      row(labels, {{"1", 0.9f}}), row(labels, {{"2", 0.9f}}),
      row(labels, {{"O", 0.7f}, {"0", 0.2f}}), row(labels, {{"8", 0.6f}, {"B", 0.3f}})};
  const auto d = p.decode(probs, labels);
  REQUIRE(d.matched);
  CHECK(decoded_text(d, labels) == "1208");
  const double expected = std::log(0.9) + std::log(0.9) + std::log(0.2) + std::log(0.6);
  CHECK(d.log_prob == Approx(expected).epsilon(1e-6));  // float inputs: ~1e-7 relative
}

TEST_CASE("pattern: decoding is global, not greedy per position", "[assemble]") {
  const auto labels = alnum_labels();
  // Greedy would take 'A' first (0.6 > 0.4) and end at AB = 0.06; CD = 0.36 wins.
  const std::vector<std::vector<float>> probs{row(labels, {{"A", 0.6f}, {"C", 0.4f}}),
                                              row(labels, {{"B", 0.1f}, {"D", 0.9f}})};
  const auto d = Pattern::compile("AB|CD").decode(probs, labels);
  REQUIRE(d.matched);
  CHECK(decoded_text(d, labels) == "CD");
  CHECK(d.log_prob == Approx(std::log(0.4) + std::log(0.9)).epsilon(1e-6));

  // Optional parts and loops: the length decides which branch is possible.
  const std::vector<std::vector<float>> three{
      row(labels, {{"L", 0.9f}}), row(labels, {{"0", 0.5f}}), row(labels, {{"7", 0.9f}})};
  const auto d3 = Pattern::compile("(LOT|L)\\d+").decode(three, labels);
  REQUIRE(d3.matched);
  CHECK(decoded_text(d3, labels) == "L07");
  const auto d_loop = Pattern::compile("(A?)*\\d").decode(three, labels);
  REQUIRE(d_loop.matched);
  // Every position but the last must be 'A'; the last must be a digit.
  CHECK(decoded_text(d_loop, labels) == "AA7");
}

TEST_CASE("pattern: no string of the length, or only masked classes, is no match", "[assemble]") {
  const auto labels = alnum_labels();
  const Pattern p = Pattern::compile("\\d{4}");
  const std::vector<std::vector<float>> five(5, row(labels, {{"5", 0.9f}}));
  CHECK_FALSE(p.decode(five, labels).matched);
  CHECK(p.decode(five, labels).classes.empty());

  // Every digit masked to 0 at position 1: the digit slot has nothing to choose.
  std::vector<std::vector<float>> masked(4, row(labels, {{"5", 0.9f}}));
  std::fill(masked[1].begin(), masked[1].begin() + 10, 0.f);
  CHECK_FALSE(p.decode(masked, labels).matched);
  // With one digit left at a tiny probability, that one is chosen over any letter.
  masked[1][3] = 1e-6f;
  const auto d = p.decode(masked, labels);
  REQUIRE(d.matched);
  CHECK(decoded_text(d, labels) == "5355");

  // Length 0: only patterns with the empty string.
  CHECK(Pattern::compile("A?").decode({}, labels).matched);
  CHECK_FALSE(Pattern::compile("A").decode({}, labels).matched);
}
