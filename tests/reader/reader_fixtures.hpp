// Shared helpers for [reader] tests: generated sample images and a result
// fingerprint that covers text, geometry and probabilities.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "ocr2s/result.hpp"

namespace ocr2s_test {

struct SampleImage {
  cv::Mat image;
  std::string text;  // lines joined by '\n'
  std::string style;
};

/// `count` label-sized images cycling through every synthetic style, from a seed
/// no shipped model was trained on. Defined in reader_fixtures.cpp.
std::vector<SampleImage> sample_images(int count, unsigned long long seed = 31337);

/// Text, every character's label, probability (6 decimals) and quad (2 decimals):
/// two results with the same fingerprint are the same reading.
inline std::string fingerprint(const ocr2s::ReadResult& r) {
  std::string s = r.text() + "|";
  char buf[96];
  for (const auto& l : r.lines) {
    for (const auto& c : l.chars) {
      std::snprintf(buf, sizeof buf, "%s:%.6f:%.2f,%.2f,%.2f,%.2f;", c.label.c_str(), c.probability,
                    c.quad.pts[0].x, c.quad.pts[0].y, c.quad.pts[2].x, c.quad.pts[2].y);
      s += buf;
    }
  }
  s += "|marks:";
  for (const auto& c : r.marks) {
    std::snprintf(buf, sizeof buf, "%s:%.6f:%.2f,%.2f;", c.label.c_str(), c.probability,
                  c.quad.pts[0].x, c.quad.pts[0].y);
    s += buf;
  }
  return s;
}

}  // namespace ocr2s_test
