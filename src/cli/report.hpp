// CLI helpers: results as JSON / CSV / TSV records, and overlay drawing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "ocr2s/result.hpp"

namespace ocr2s::cli {

/// Full JSON record of one image: path, text, confidence, lines → chars with quad,
/// label, probability, top-k and status; verification when present.
nlohmann::json to_json(const std::string& image, const ReadResult& r);
/// The error record of an image that could not be read.
nlohmann::json error_json(const std::string& image, const std::string& error);

/// Text as one labels.tsv field (core/tsv.hpp): lines joined by a literal
/// backslash-n, tab and backslash escaped.
std::string escape_lines(const std::string& text);
/// The inverse of escape_lines.
std::string unescape_lines(const std::string& text);
/// RFC 4180 quoting for one CSV field.
std::string csv_field(const std::string& s);

/// The reading drawn over the image: character boxes coloured by confidence
/// (red 0 → green 1), the reading order as a polyline through character centres,
/// rejected detections in grey, and each line's text above it. Returns BGR 8-bit.
cv::Mat draw_overlay(const cv::Mat& image, const ReadResult& r);

}  // namespace ocr2s::cli
