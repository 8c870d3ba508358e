// Internal: the code grammar — serials, lot codes, dates, part numbers, readings
// and random strings. Purely combinatorial: no language model, no word lists
// beyond the handful of field prefixes real labels print.
#pragma once

#include <string>
#include <vector>

#include "synth/rng.hpp"
#include "synth/synth.hpp"

namespace ocr2s::synth {

/// The characters one line may be drawn with (charset ∩ what the font/style can
/// draw), split by class so formats can ask for digits or letters.
struct Alphabet {
  std::vector<std::string> all;      ///< every drawable label, no space
  std::vector<std::string> digits;   ///< '0'–'9' present
  std::vector<std::string> letters;  ///< 'A'–'Z', 'a'–'z' and other alphabetic code points
  std::vector<std::string> symbols;  ///< the rest
  bool has(const std::string& c) const;
};

Alphabet make_alphabet(const std::vector<std::string>& drawable);

/// One line of code text (UTF-8; single spaces separate fields) of at most
/// `max_chars` non-space characters, every character from `alpha`.
std::string make_code(Rng& rng, const Alphabet& alpha, Style style, int max_chars);

}  // namespace ocr2s::synth
