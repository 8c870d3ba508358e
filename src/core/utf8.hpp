// Internal: UTF-8 helpers. Labels in ocr2s are single Unicode code points encoded as UTF-8.
#pragma once

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

}  // namespace ocr2s
