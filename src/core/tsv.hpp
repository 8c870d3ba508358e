// Internal: the text field of labels.tsv (docs/DATA_FORMATS.md). Lines of one
// image are joined by a literal backslash-n; a tab is written \t and a backslash
// \\ so the field stays one field. Pure.
#pragma once

#include <string>
#include <string_view>

namespace ocr2s {

/// Text (lines separated by '\n') → one labels.tsv field. '\r' is dropped.
std::string tsv_escape(std::string_view text);

/// The inverse of tsv_escape. An unknown escape (\x) is kept as written.
std::string tsv_unescape(std::string_view field);

}  // namespace ocr2s
