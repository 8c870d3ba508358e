// Internal: the few UTF-8 operations the generator needs, self-contained so the
// training code does not depend on the inference library's helpers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ocr2s::synth {

/// Splits UTF-8 into code points (each its own string). Invalid bytes become U+FFFD.
inline std::vector<std::string> split_code_points(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out.emplace_back("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

inline char32_t decode_code_point(std::string_view cp) {
  const unsigned char c = static_cast<unsigned char>(cp.empty() ? 0 : cp[0]);
  if (c < 0x80) return c;
  char32_t v = 0;
  std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
  v = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < len && k < cp.size(); ++k)
    v = (v << 6) | (static_cast<unsigned char>(cp[k]) & 0x3F);
  return v;
}

inline std::string encode_code_point(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

}  // namespace ocr2s::synth
