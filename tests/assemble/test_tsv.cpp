// labels.tsv text field escaping (core/tsv.hpp), shared by synth, read and eval.
#include <catch2/catch.hpp>

#include "core/tsv.hpp"

TEST_CASE("tsv_escape keeps a multi-line text in one field and round-trips", "[assemble]") {
  const std::string text = "LOT 12\\34\nEXP\t2026-01";
  const std::string field = ocr2s::tsv_escape(text);
  CHECK(field == "LOT 12\\\\34\\nEXP\\t2026-01");
  CHECK(field.find('\n') == std::string::npos);
  CHECK(field.find('\t') == std::string::npos);
  CHECK(ocr2s::tsv_unescape(field) == text);
  CHECK(ocr2s::tsv_escape("a\r\nb") == "a\\nb");
  CHECK(ocr2s::tsv_unescape("ends with \\") == "ends with \\");
  CHECK(ocr2s::tsv_unescape("\\x stays") == "\\x stays");
}
