// Internal: the character graph, the postprocessor's output and the assembler's input.
#pragma once

#include <vector>

#include "ocr2s/geometry.hpp"

namespace ocr2s::craft {

/// One detected character region.
struct CharNode {
  /// Image pixels. A rotated rectangle recovered from the region blob; its vertex
  /// order is provisional (the axis closest to the image x axis is taken as
  /// "right") until the assembler orients it in its line's frame.
  Quad quad;
  float peak = 0.f;   ///< highest region score inside the blob, [0, 1]
  float area = 0.f;   ///< blob area in square image pixels (at the grow threshold)
};

/// An affinity link: characters a and b (indices into CharGraph::nodes, a < b)
/// are consecutive characters of one word.
struct Link {
  int a = 0;
  int b = 0;
  float weight = 0.f;  ///< affinity score between them, [0, 1]
};

struct CharGraph {
  std::vector<CharNode> nodes;
  std::vector<Link> links;
};

}  // namespace ocr2s::craft
