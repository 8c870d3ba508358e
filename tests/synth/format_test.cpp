// Each generated line records its format as a pattern (LineAnn::format): what a
// station printing that code would configure. The line's own text must match it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "assemble/pattern.hpp"
#include "core/utf8.hpp"
#include "synth/grammar.hpp"
#include "synth/synth.hpp"

using namespace ocr2s;
using namespace ocr2s::synth;

namespace {

std::vector<std::string> non_space(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& cp : utf8_split(text))
    if (cp != " ") out.push_back(cp);
  return out;
}

}  // namespace

TEST_CASE("format atoms: literals escaped, classes counted", "[synth]") {
  CHECK(literal_atom("L") == "L");
  CHECK(literal_atom("7") == "7");
  CHECK(literal_atom("-") == "\\-");
  CHECK(literal_atom("/") == "\\/");
  CHECK(literal_atom("\xC3\x84") == "\xC3\x84");
  CHECK(format_pattern({"L", "O", "T", "\\d", "\\d", "\\d", "\\-", "\\u"}) == "LOT\\d{3}\\-\\u");
  CHECK(format_pattern({"0", "0", "[AB]", "[AB]", ".", ".", "."}) == "00[AB]{2}.{3}");
  CHECK(format_pattern({}).empty());
}

TEST_CASE("make_code: one atom per character, drawn from the alphabet's classes", "[synth]") {
  // A digits-only alphabet (a seven-segment face): the digit class is written
  // out, letters fall back to any character.
  const Alphabet digits = make_alphabet({"0", "1", "2", "3"});
  const Alphabet full = make_alphabet(expand_charset("0-9A-Z./:#+()%,_-"));
  for (const Alphabet* a : {&digits, &full}) {
    for (Style st : all_styles()) {
      Rng rng(17);
      for (int i = 0; i < 200; ++i) {
        const Code c = make_code(rng, *a, st, 24);
        const auto chars = non_space(c.text);
        INFO(style_name(st) << " \"" << c.text << "\"");
        REQUIRE(c.atoms.size() == chars.size());
        const auto p = assemble::Pattern::compile(format_pattern(c.atoms));
        CHECK(p.matches(chars));
        if (a == &digits) {
          for (const auto& atom : c.atoms)
            CHECK((atom == "[0123]" || atom == "." || atom.size() == 1));
        }
      }
    }
  }
}

TEST_CASE("every generated line matches its recorded format", "[synth]") {
  int constrained = 0, lines = 0;
  for (Style st : all_styles()) {
    SynthConfig cfg;
    cfg.styles = {st};
    Generator g(cfg, 23);
    for (std::uint64_t i = 0; i < 10; ++i) {
      const Sample s = g.generate(i);
      for (const auto& l : s.lines) {
        INFO(style_name(st) << " sample " << i << " \"" << l.text << "\" format " << l.format);
        REQUIRE_FALSE(l.format.empty());
        CHECK(assemble::Pattern::compile(l.format).matches(non_space(l.text)));
        ++lines;
        if (l.format.find('.') == std::string::npos) ++constrained;
      }
    }
  }
  // Most codes have a format that says something: not every position "any".
  INFO(constrained << " of " << lines << " lines have no 'any' position");
  CHECK(constrained * 2 > lines);
}
