// Internal: minimum-edit-distance alignment of two character sequences (pure).
#pragma once

#include <string>
#include <vector>

namespace ocr2s {

/// One step of an alignment: a pair (expected[i], read[j]) where i or j is -1 for
/// an insertion (extra read character) or a deletion (missing read character).
struct AlignStep {
  int i = -1;  ///< index into `expected`, -1 for an inserted read character
  int j = -1;  ///< index into `read`, -1 for a deleted expected character
};

/// Levenshtein alignment (Wagner & Fischer 1974) of `expected` against `read`,
/// unit costs; ties prefer substitution, then deletion. O(n·m) time and memory.
std::vector<AlignStep> align(const std::vector<std::string>& expected,
                             const std::vector<std::string>& read);

/// The edit distance of an alignment (steps that are not an equal pair).
int edit_distance(const std::vector<AlignStep>& steps, const std::vector<std::string>& expected,
                  const std::vector<std::string>& read);

}  // namespace ocr2s
