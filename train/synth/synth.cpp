// Style names, charset expansion and the word split for CRAFT targets.
#include "synth/synth.hpp"

#include "ocr2s/errors.hpp"
#include "core/utf8.hpp"

namespace ocr2s::synth {

const char* style_name(Style s) {
  switch (s) {
    case Style::kPrinted: return "printed";
    case Style::kDotMatrix: return "dotmatrix";
    case Style::kEtched: return "etched";
    case Style::kStamped: return "stamped";
    case Style::kSegment: return "segment";
    case Style::kThermal: return "thermal";
  }
  return "printed";
}

std::optional<Style> parse_style(std::string_view name) {
  for (Style s : all_styles())
    if (name == style_name(s)) return s;
  return std::nullopt;
}

std::vector<Style> all_styles() {
  return {Style::kPrinted, Style::kDotMatrix, Style::kEtched,
          Style::kStamped, Style::kSegment,   Style::kThermal};
}

std::vector<std::string> expand_charset(std::string_view charset) {
  const std::vector<std::string> cps = utf8_split(charset);
  std::vector<std::string> out;
  auto add = [&out](const std::string& c) {
    for (const auto& o : out)
      if (o == c) return;
    out.push_back(c);
  };
  for (std::size_t i = 0; i < cps.size(); ++i) {
    // "X-Y" is a range when '-' has a code point on both sides; a '-' first or
    // last is the literal hyphen (as in pattern classes).
    if (i + 2 < cps.size() && cps[i + 1] == "-") {
      const char32_t a = utf8_first(cps[i]);
      const char32_t b = utf8_first(cps[i + 2]);
      if (b < a) {
        throw InputError("synth: charset range " + cps[i] + "-" + cps[i + 2] + " is reversed");
      }
      if (b - a > 0x3000) {
        throw InputError("synth: charset range " + cps[i] + "-" + cps[i + 2] + " is too large");
      }
      for (char32_t c = a; c <= b; ++c) add(utf8_encode(c));
      i += 2;
      continue;
    }
    if (cps[i] == " " || cps[i] == "\t" || cps[i] == "\n" || cps[i] == "\r") {
      throw InputError("synth: charset must not contain whitespace (spaces separate words)");
    }
    add(cps[i]);
  }
  if (out.empty()) throw InputError("synth: charset is empty");
  return out;
}

std::vector<craft::WordQuads> word_quads(const std::vector<LineAnn>& lines) {
  std::vector<craft::WordQuads> words;
  for (const auto& line : lines) {
    const std::vector<std::string> cps = utf8_split(line.text);
    std::size_t k = 0;  // index into line.chars
    craft::WordQuads cur;
    for (const auto& cp : cps) {
      if (cp == " ") {
        if (!cur.chars.empty()) words.push_back(std::move(cur));
        cur = {};
        continue;
      }
      if (k < line.chars.size()) cur.chars.push_back(line.chars[k++].quad);
    }
    if (!cur.chars.empty()) words.push_back(std::move(cur));
  }
  return words;
}

}  // namespace ocr2s::synth
