#include <algorithm>

#include "ocr2s/result.hpp"

namespace ocr2s {

const char* to_string(CharStatus s) noexcept {
  switch (s) {
    case CharStatus::kOk:
      return "ok";
    case CharStatus::kLowConfidence:
      return "low_confidence";
    case CharStatus::kPatternCorrected:
      return "pattern_corrected";
    case CharStatus::kRejected:
      return "rejected";
  }
  return "unknown";  // only reachable through a cast of an out-of-range value
}

std::string ReadResult::text() const {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out.push_back('\n');
    out += lines[i].text;
  }
  return out;
}

float ReadResult::confidence() const {
  if (lines.empty()) return 0.f;
  float c = lines.front().confidence;
  for (const auto& line : lines) c = std::min(c, line.confidence);
  for (const auto& m : marks) c = std::min(c, m.probability);
  return c;
}

bool ReadResult::trusted() const {
  if (lines.empty() || !marks.empty()) return false;
  return std::all_of(lines.begin(), lines.end(), [](const Line& l) {
    return std::all_of(l.chars.begin(), l.chars.end(), [](const Char& c) {
      return c.status == CharStatus::kOk || c.status == CharStatus::kPatternCorrected;
    });
  });
}

}  // namespace ocr2s
