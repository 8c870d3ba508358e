// Shared builders for the [assemble] tests: character quads laid out along a line
// in a known frame, and graphs linking them, so every expectation is exact.
#pragma once

#include <cmath>
#include <vector>

#include "core/quad_ops.hpp"
#include "craft/graph.hpp"
#include "ocr2s/geometry.hpp"

namespace ocr2s::test {

inline cv::Point2f unit(float deg) {
  const float r = deg * 3.14159265358979f / 180.f;
  return {std::cos(r), std::sin(r)};
}

// A character slot in a line frame: `along` is its centre along the reading
// direction, `across` its centre offset below the centre line (both in pixels),
// w × h its size.
struct Slot {
  float along;
  float across;
  float w;
  float h;
};

// Quads of the slots in the frame with origin `o` and reading direction `deg`.
inline std::vector<Quad> place(cv::Point2f o, float deg, const std::vector<Slot>& slots) {
  const cv::Point2f d = unit(deg);
  const cv::Point2f n(-d.y, d.x);
  std::vector<Quad> out;
  for (const auto& s : slots)
    out.push_back(oriented_rect(o + d * s.along + n * s.across, d, s.w, s.h));
  return out;
}

// `count` full-height characters (w = 0.6 h) at a pitch of 0.8 h, the first
// centred at `along0`.
inline std::vector<Slot> word(int count, float h, float along0 = 0.f) {
  std::vector<Slot> out;
  for (int i = 0; i < count; ++i)
    out.push_back({along0 + 0.8f * h * static_cast<float>(i), 0.f, 0.6f * h, h});
  return out;
}

// Appends quads as nodes and links consecutive ones (weight 0.8); returns the
// index of the first new node.
inline int add_word(craft::CharGraph& g, const std::vector<Quad>& quads, float weight = 0.8f) {
  const int first = static_cast<int>(g.nodes.size());
  for (const auto& q : quads)
    g.nodes.push_back(craft::CharNode{q, /*peak=*/0.9f, /*area=*/q.area()});
  for (int i = 1; i < static_cast<int>(quads.size()); ++i)
    g.links.push_back({first + i - 1, first + i, weight});
  return first;
}

inline float dist(cv::Point2f a, cv::Point2f b) {
  return static_cast<float>(cv::norm(a - b));
}

}  // namespace ocr2s::test
