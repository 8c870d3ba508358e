// Internal: UTF-8 helpers. Labels in ocr2s are single Unicode code points encoded as UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ocr2s {

/// Splits UTF-8 text into code points, each as its own UTF-8 string. Invalid bytes
/// become U+FFFD. Pure, no allocation beyond the result.
std::vector<std::string> utf8_split(std::string_view text);

/// Concatenates labels.
std::string utf8_join(const std::vector<std::string>& labels);

/// `text` with all ASCII whitespace removed.
std::string strip_spaces(std::string_view text);

/// Decodes the code point that starts at text[pos] and advances pos past it.
/// Invalid input (a stray continuation byte, an overlong form, a surrogate, a value
/// above U+10FFFF, a truncated sequence) decodes to U+FFFD, advancing past the
/// maximal invalid subpart, with *valid set to false when valid is not null.
/// Requires pos < text.size().
char32_t utf8_next(std::string_view text, std::size_t& pos, bool* valid = nullptr);

/// The UTF-8 encoding of one code point; surrogates and values above U+10FFFF
/// encode as U+FFFD.
std::string utf8_encode(char32_t cp);

/// The first code point of `text` (0 for empty text).
inline char32_t utf8_first(std::string_view text) {
  std::size_t pos = 0;
  return text.empty() ? 0 : utf8_next(text, pos);
}

}  // namespace ocr2s
