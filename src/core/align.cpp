#include "core/align.hpp"

#include <algorithm>

namespace ocr2s {

std::vector<AlignStep> align(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<int> d((n + 1) * (m + 1));
  auto at = [&](std::size_t i, std::size_t j) -> int& { return d[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = static_cast<int>(i);
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const int sub = at(i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1);
      at(i, j) = std::min({sub, at(i - 1, j) + 1, at(i, j - 1) + 1});
    }
  }
  std::vector<AlignStep> steps;
  std::size_t i = n, j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && at(i, j) == at(i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1)) {
      steps.push_back({static_cast<int>(i - 1), static_cast<int>(j - 1)});
      --i;
      --j;
    } else if (i > 0 && at(i, j) == at(i - 1, j) + 1) {
      steps.push_back({static_cast<int>(i - 1), -1});
      --i;
    } else {
      steps.push_back({-1, static_cast<int>(j - 1)});
      --j;
    }
  }
  std::reverse(steps.begin(), steps.end());
  return steps;
}

int edit_distance(const std::vector<AlignStep>& steps, const std::vector<std::string>& a,
                  const std::vector<std::string>& b) {
  int e = 0;
  for (const auto& s : steps) {
    if (s.i < 0 || s.j < 0 || a[s.i] != b[s.j]) ++e;
  }
  return e;
}

}  // namespace ocr2s
