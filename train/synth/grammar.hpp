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

/// A line of code text and its format: for each non-space code point of `text`,
/// in order, the pattern atom (ocr2s/config.hpp, PATTERNS) of the position it
/// was drawn for: the literal itself where the format prints a fixed character
/// (a prefix such as "LOT", a separator), else the class it was drawn from,
/// written over the block's alphabet (\d, \u, \w when the alphabet has all of
/// them, else a bracket class; "." for any character). Months are letters and
/// dates digits: the format a station would configure, not the value printed.
struct Code {
  std::string text;
  std::vector<std::string> atoms;
};

/// One line of code text (UTF-8; single spaces separate fields) of at most
/// `max_chars` non-space characters, every character from `alpha`.
Code make_code(Rng& rng, const Alphabet& alpha, Style style, int max_chars);

/// The pattern of a run of atoms, equal neighbours counted ("LOT\d{6}").
std::string format_pattern(const std::vector<std::string>& atoms);

/// The pattern atom of a literal code point (ASCII punctuation escaped).
std::string literal_atom(const std::string& cp);

}  // namespace ocr2s::synth
