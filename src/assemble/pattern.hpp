// Internal: the pattern subset (documented in include/ocr2s/config.hpp) compiled to
// a Thompson NFA over characters, and most-probable matching decoding. Pure.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ocr2s::assemble {

class Pattern {
 public:
  /// Compiles a pattern; throws ocr2s::PatternError naming the position of the
  /// first offending code point. An empty pattern matches only the empty string.
  /// Unescaped whitespace in the pattern is ignored, as it is in the line matched
  /// ("LOT \d{6}" is "LOT\d{6}"). Counts are at most 1000; a pattern whose
  /// automaton would exceed 20000 states, or that nests groups deeper than 200,
  /// is a PatternError too.
  static Pattern compile(std::string_view pattern);

  /// Whether the characters (one UTF-8 code point each, spaces already removed)
  /// form a string of the pattern.
  bool matches(const std::vector<std::string>& chars) const;

  struct Decoded {
    bool matched = false;        ///< false: no string of this length matches
    std::vector<int> classes;    ///< chosen class index per position
    double log_prob = 0.0;       ///< sum of log probabilities of the choice
  };
  /// The most probable string of exactly probs.size() characters that matches,
  /// where probs[i][k] is the probability of class k (label labels[k]) at position i.
  /// Classes with probability 0 are never chosen.
  Decoded decode(const std::vector<std::vector<float>>& probs,
                 const std::vector<std::string>& labels) const;

  const std::string& source() const noexcept { return source_; }

  struct Impl;  // the compiled NFA; public only so the .cpp can build it

 private:
  std::string source_;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace ocr2s::assemble
