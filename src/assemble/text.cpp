#include "assemble/text.hpp"

#include "core/align.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/quad_ops.hpp"
#include "core/utf8.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::assemble {
namespace {

// The classes of `row` ordered best first; ties keep the lower class index so the
// order is deterministic.
std::vector<int> ranked(const std::vector<float>& row, int n_labels) {
  std::vector<int> idx(static_cast<std::size_t>(n_labels));
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) {
    return row[static_cast<std::size_t>(a)] > row[static_cast<std::size_t>(b)];
  });
  return idx;
}

// Appends the labels of `row` (the reject class left out) to `out`, best first,
// until it holds `n` candidates: those the mask allows, with a probability above
// 0, other than `skip` (-1: none).
void add_candidates(std::vector<Candidate>& out, const std::vector<float>& row,
                    const std::vector<bool>& mask, const Charset& charset, int n, int skip) {
  for (const int k : ranked(row, static_cast<int>(charset.labels.size()))) {
    if (static_cast<int>(out.size()) >= n) break;
    const auto kk = static_cast<std::size_t>(k);
    if (k == skip || (!mask.empty() && !mask[kk]) || !(row[kk] > 0.f)) continue;
    out.push_back({charset.labels[kk], row[kk]});
  }
}

// The best label class of a masked row, ignoring the reject class. Among classes
// of equal probability the lowest index wins; when the mask leaves every label at
// 0 the first allowed one is taken (probability 0, so it can only be low-confidence).
int best_label(const std::vector<float>& row, int n_labels, const std::vector<bool>& mask) {
  int arg = -1;
  for (int k = 0; k < n_labels; ++k) {
    if (!mask.empty() && !mask[static_cast<std::size_t>(k)]) continue;
    if (arg < 0 || row[static_cast<std::size_t>(k)] > row[static_cast<std::size_t>(arg)]) arg = k;
  }
  return arg < 0 ? 0 : arg;
}

int argmax(const std::vector<float>& row) {
  int arg = 0;
  for (std::size_t k = 1; k < row.size(); ++k) {
    if (row[k] > row[static_cast<std::size_t>(arg)]) arg = static_cast<int>(k);
  }
  return arg;
}

// The smallest rectangle in the line's frame that encloses the given quads.
Quad enclosing(const std::vector<const Quad*>& quads, cv::Point2f dir, cv::Point2f origin) {
  const cv::Point2f n(-dir.y, dir.x);
  float s0 = 0.f, s1 = 0.f, t0 = 0.f, t1 = 0.f;
  bool first = true;
  for (const Quad* q : quads) {
    for (const auto& p : q->pts) {
      const cv::Point2f d = p - origin;
      const float s = d.dot(dir);
      const float t = d.dot(n);
      if (first) {
        s0 = s1 = s;
        t0 = t1 = t;
        first = false;
      }
      s0 = std::min(s0, s), s1 = std::max(s1, s);
      t0 = std::min(t0, t), t1 = std::max(t1, t);
    }
  }
  const cv::Point2f c = origin + dir * (0.5f * (s0 + s1)) + n * (0.5f * (t0 + t1));
  return oriented_rect(c, dir, s1 - s0, t1 - t0);
}

}  // namespace

std::vector<bool> allow_mask(const Charset& charset, std::string_view allowlist) {
  std::vector<bool> mask(static_cast<std::size_t>(charset.num_classes()), false);
  mask.back() = true;  // the reject class: the veto is never masked
  if (allowlist.empty()) {
    // ReadOptions: an empty allowlist means the whole charset.
    std::fill(mask.begin(), mask.end(), true);
    return mask;
  }
  // Labels are single code points, and a valid code point has exactly one UTF-8
  // encoding, so comparing the encoded strings compares code points.
  const auto allowed = utf8_split(allowlist);
  const std::unordered_set<std::string> set(allowed.begin(), allowed.end());
  bool any = false;
  for (std::size_t k = 0; k < charset.labels.size(); ++k) {
    if (set.count(charset.labels[k]) != 0) mask[k] = any = true;
  }
  if (!any) {
    throw InputError("allowlist \"" + std::string(allowlist) +
                     "\" shares no character with the classifier's charset of " +
                     std::to_string(charset.labels.size()) + " labels");
  }
  return mask;
}

void apply_mask(std::vector<float>& probs, const std::vector<bool>& mask) {
  if (mask.empty()) return;
  if (mask.size() != probs.size()) {
    throw InputError("allowlist mask has " + std::to_string(mask.size()) +
                     " classes but the probability row has " + std::to_string(probs.size()));
  }
  double sum = 0.0;
  std::size_t allowed = 0;
  for (std::size_t k = 0; k < probs.size(); ++k) {
    if (!mask[k] || !(probs[k] > 0.f) || !std::isfinite(probs[k])) {
      probs[k] = 0.f;
    } else {
      sum += probs[k];
    }
    if (mask[k]) ++allowed;
  }
  if (sum > 0.0) {
    for (auto& p : probs) p = static_cast<float>(p / sum);
  } else if (allowed > 0) {
    // Every allowed class underflowed to 0: the classifier says nothing about
    // them, so spread the mass evenly rather than return a row that is not a
    // distribution.
    for (std::size_t k = 0; k < probs.size(); ++k) {
      probs[k] = mask[k] ? 1.f / static_cast<float>(allowed) : 0.f;
    }
  }
}

namespace {

// Marks narrower than about half a cap height in common faces (and '1', whose
// ink is): two of them can be closer than kDuplicateSpacing in a tight face, and
// their padded quads overlap a neighbour's by more than kSplitOverlap.
constexpr std::string_view kNarrow = ".,:;'`!|1Iilj()[]{}-/\\";

// Glyphs wide enough for the detector to find two region peaks in them.
constexpr std::string_view kWideGlyphs = "WM%#@&wm";

// Reads of a lone vertical stroke: what the classifier makes of a crop centred
// on one stem of a glyph the detector cut in two (the left stem of an M or an
// N, the stem of an L).
constexpr std::string_view kStrokes = "1Il|";

// Throws unless there is one probability row per character of the line.
void check_rows(const char* what, const LayoutLine& line,
                const std::vector<std::vector<float>>& probs) {
  if (probs.size() != line.chars.size()) {
    throw InputError(std::string(what) + ": " + std::to_string(probs.size()) +
                     " probability rows for " + std::to_string(line.chars.size()) + " characters");
  }
}

// Whether class k is a label of the charset listed in `set`.
bool one_of(const Charset& charset, int k, std::string_view set) {
  return k >= 0 && static_cast<std::size_t>(k) < charset.labels.size() &&
         set.find(charset.labels[static_cast<std::size_t>(k)]) != std::string_view::npos;
}

bool narrow(const Charset& charset, int k) {
  return one_of(charset, k, kNarrow);
}

bool wide(const Charset& charset, int k) {
  return one_of(charset, k, kWideGlyphs);
}

// The upper median (the middle element for an odd count); 0 for no values.
float upper_median(std::vector<float> v) {
  if (v.empty()) return 0.f;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

int merge_duplicates(LayoutLine& line, std::vector<std::vector<float>>& probs, const Charset& charset) {
  check_rows("merge_duplicates", line, probs);
  const int reject = charset.reject_class();
  int merged = 0;
  // Spacing is measured between the detections themselves: after a merge, from
  // the last one absorbed (a glyph split in three merges whole).
  cv::Point2f last = line.chars.empty() ? cv::Point2f() : line.chars[0].quad.center();
  for (std::size_t i = 0; i + 1 < line.chars.size();) {
    SlotChar& a = line.chars[i];
    const SlotChar& b = line.chars[i + 1];
    const int ka = argmax(probs[i]), kb = argmax(probs[i + 1]);
    const bool same = ka == kb && ka >= 0 && ka < reject && probs[i].size() == probs[i + 1].size();
    const cv::Point2f d = b.quad.center() - last;
    last = b.quad.center();
    const float along = std::abs(d.x * line.direction.x + d.y * line.direction.y);
    if (!same || a.word != b.word || !(along < kDuplicateSpacing * line.height) || narrow(charset, ka)) {
      ++i;
      continue;
    }
    a.quad = joined_quad(line, i);
    a.unsure = a.unsure && b.unsure;
    for (std::size_t k = 0; k < probs[i].size(); ++k) probs[i][k] = 0.5f * (probs[i][k] + probs[i + 1][k]);
    line.chars.erase(line.chars.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    probs.erase(probs.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    ++merged;
  }
  return merged;
}

namespace {

// Extent of a quad along the line's reading direction (offsets from the origin).
std::pair<float, float> along_extent(const LayoutLine& line, const Quad& q) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (const auto& p : q.pts) {
    const float s = (p - line.origin).dot(line.direction);
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  return {lo, hi};
}

}  // namespace

namespace {

// Argument checks shared by the pair merges: rows aligned with the line, one
// union row per candidate, candidates ascending without a shared character.
void check_pairs(const char* what, const LayoutLine& line,
                 const std::vector<std::vector<float>>& probs,
                 const std::vector<std::size_t>& candidates,
                 const std::vector<std::vector<float>>& union_rows) {
  if (probs.size() != line.chars.size() || union_rows.size() != candidates.size()) {
    throw InputError(std::string(what) + ": " + std::to_string(probs.size()) +
                     " probability rows for " + std::to_string(line.chars.size()) +
                     " characters, " + std::to_string(union_rows.size()) + " union rows for " +
                     std::to_string(candidates.size()) + " candidates");
  }
  for (std::size_t j = 0; j < candidates.size(); ++j) {
    if (candidates[j] + 1 >= line.chars.size() ||
        (j > 0 && candidates[j] <= candidates[j - 1] + 1)) {
      throw InputError(std::string(what) + ": candidates must ascend without sharing a character");
    }
  }
}

// Centre positions of the characters along the line and their median spacing.
float median_pitch(const LayoutLine& line, std::vector<float>* along) {
  along->clear();
  for (const auto& c : line.chars)
    along->push_back((c.quad.center() - line.origin).dot(line.direction));
  std::vector<float> d;
  for (std::size_t i = 0; i + 1 < along->size(); ++i) d.push_back((*along)[i + 1] - (*along)[i]);
  return upper_median(std::move(d));
}

// Characters i and i + 1 become one: their joined quad, read as `row`.
void join_pair(LayoutLine& line, std::vector<std::vector<float>>& probs, std::size_t i,
               const std::vector<float>& row, bool unsure) {
  SlotChar& a = line.chars[i];
  a.quad = joined_quad(line, i);
  a.unsure = unsure;
  probs[i] = row;
  line.chars.erase(line.chars.begin() + static_cast<std::ptrdiff_t>(i) + 1);
  probs.erase(probs.begin() + static_cast<std::ptrdiff_t>(i) + 1);
}

// Right to left, so the indices of the candidates still to merge stay valid:
// each pair whose union row's best class is a character that accept(class,
// probability) takes becomes one character, unsure when `flag` is set or both
// parts were.
template <typename Accept>
int merge_pairs(const char* what, LayoutLine& line, std::vector<std::vector<float>>& probs,
                const std::vector<std::size_t>& candidates,
                const std::vector<std::vector<float>>& union_rows, const Charset& charset,
                bool flag, Accept accept) {
  check_pairs(what, line, probs, candidates, union_rows);
  int merged = 0;
  for (std::size_t j = candidates.size(); j-- > 0;) {
    const std::size_t i = candidates[j];
    const auto& row = union_rows[j];
    const int k = argmax(row);
    if (row.size() != probs[i].size() || k < 0 || k == charset.reject_class() ||
        !accept(k, row[static_cast<std::size_t>(k)])) {
      continue;
    }
    join_pair(line, probs, i, row, flag || (line.chars[i].unsure && line.chars[i + 1].unsure));
    ++merged;
  }
  return merged;
}

// The best classes of characters i and i + 1 when they are of one word and both
// read as characters (neither the reject class); {-1, -1} otherwise.
std::pair<int, int> word_pair(const LayoutLine& line, const std::vector<std::vector<float>>& probs,
                              std::size_t i, const Charset& charset) {
  const int ka = argmax(probs[i]), kb = argmax(probs[i + 1]);
  const int reject = charset.reject_class();
  if (line.chars[i].word != line.chars[i + 1].word || ka < 0 || kb < 0 || ka == reject ||
      kb == reject)
    return {-1, -1};
  return {ka, kb};
}

// How far characters i and i + 1 overlap along the line (negative: the gap).
float overlap_along(const LayoutLine& line, std::size_t i) {
  return along_extent(line, line.chars[i].quad).second -
         along_extent(line, line.chars[i + 1].quad).first;
}

// Characters i and i + 1 are of one word and both read as characters that are
// not narrow marks (whose padded quads legitimately crowd a neighbour's).
bool plain_pair(const LayoutLine& line, const std::vector<std::vector<float>>& probs, std::size_t i,
                const Charset& charset) {
  const auto [ka, kb] = word_pair(line, probs, i, charset);
  return ka >= 0 && !narrow(charset, ka) && !narrow(charset, kb);
}

// Characters i and i + 1 are of one word, both read as characters, at least one
// as a lone vertical stroke (kStrokes), and their quads overlap along the line
// by at least kStrokeOverlap line heights.
bool stroke_pair(const LayoutLine& line, const std::vector<std::vector<float>>& probs,
                 std::size_t i, const Charset& charset) {
  const auto [ka, kb] = word_pair(line, probs, i, charset);
  return ka >= 0 && (one_of(charset, ka, kStrokes) || one_of(charset, kb, kStrokes)) &&
         overlap_along(line, i) >= kStrokeOverlap * line.height;
}

}  // namespace

std::vector<std::size_t> split_candidates(const LayoutLine& line, const std::vector<std::vector<float>>& probs,
                                          const Charset& charset) {
  check_rows("split_candidates", line, probs);
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i + 1 < line.chars.size(); ++i) {
    if (plain_pair(line, probs, i, charset) &&
        overlap_along(line, i) >= kSplitOverlap * line.height) {
      out.push_back(i);
      ++i;  // pairs do not share a character
    }
  }
  return out;
}

Quad joined_quad(const LayoutLine& line, std::size_t i) {
  if (i + 1 >= line.chars.size()) {
    throw InputError("joined_quad: characters " + std::to_string(i) + " and " + std::to_string(i + 1) +
                     " of a line of " + std::to_string(line.chars.size()));
  }
  // Vertices are oriented in the line's frame (tl, tr, br, bl).
  Quad q = line.chars[i].quad;
  q.pts[1] = line.chars[i + 1].quad.pts[1];
  q.pts[2] = line.chars[i + 1].quad.pts[2];
  return q;
}

int merge_splits(LayoutLine& line, std::vector<std::vector<float>>& probs,
                 const std::vector<std::size_t>& candidates,
                 const std::vector<std::vector<float>>& union_rows, const Charset& charset) {
  return merge_pairs("merge_splits", line, probs, candidates, union_rows, charset, false,
                     [&](int k, float p) { return p >= kSplitAccept && wide(charset, k); });
}

std::vector<std::size_t> tight_candidates(const LayoutLine& line,
                                          const std::vector<std::vector<float>>& probs,
                                          const Charset& charset) {
  check_rows("tight_candidates", line, probs);
  std::vector<std::size_t> out;
  if (line.chars.size() < kTightMinChars) return out;
  std::vector<float> along;
  const float pitch = median_pitch(line, &along);
  if (!(pitch > 0.f)) return out;
  for (std::size_t i = 0; i + 1 < line.chars.size(); ++i) {
    const float spacing = along[i + 1] - along[i];
    if ((plain_pair(line, probs, i, charset) && spacing < kTightPitch * pitch) ||
        (stroke_pair(line, probs, i, charset) && spacing < kStrokePitch * pitch)) {
      out.push_back(i);
      ++i;  // pairs do not share a character
    }
  }
  return out;
}

int merge_tight(LayoutLine& line, std::vector<std::vector<float>>& probs,
                const std::vector<std::size_t>& candidates,
                const std::vector<std::vector<float>>& union_rows, const Charset& charset) {
  return merge_pairs("merge_tight", line, probs, candidates, union_rows, charset, true,
                     [&](int k, float p) { return p >= kTightAccept && !narrow(charset, k); });
}

std::vector<std::size_t> wide_candidates(const LayoutLine& line,
                                         const std::vector<std::vector<float>>& probs,
                                         const Charset& charset) {
  check_rows("wide_candidates", line, probs);
  std::vector<std::size_t> out;
  if (line.chars.size() < kWideMinChars) return out;
  std::vector<float> widths;
  for (const auto& c : line.chars) {
    const auto [lo, hi] = along_extent(line, c.quad);
    widths.push_back(hi - lo);
  }
  const float median = upper_median(widths);
  if (!(median > 0.f)) return out;
  for (std::size_t i = 0; i < line.chars.size(); ++i) {
    const int k = argmax(probs[i]);
    const float ratio = k == charset.reject_class() ? kWideVetoRatio : kWideRatio;
    if (k >= 0 && widths[i] >= ratio * median && !wide(charset, k)) out.push_back(i);
  }
  return out;
}

Quad half_quad(const LayoutLine& line, std::size_t i, int part) {
  if (i >= line.chars.size() || (part != 0 && part != 1)) {
    throw InputError("half_quad: part " + std::to_string(part) + " of character " +
                     std::to_string(i) + " of a line of " + std::to_string(line.chars.size()));
  }
  // Vertices are oriented in the line's frame (tl, tr, br, bl).
  Quad q = line.chars[i].quad;
  const cv::Point2f top = 0.5f * (q.pts[0] + q.pts[1]);
  const cv::Point2f bottom = 0.5f * (q.pts[3] + q.pts[2]);
  if (part == 0) {
    q.pts[1] = top;
    q.pts[2] = bottom;
  } else {
    q.pts[0] = top;
    q.pts[3] = bottom;
  }
  return q;
}

std::vector<Quad> half_quads(const LayoutLine& line, const std::vector<std::size_t>& candidates) {
  std::vector<Quad> out;
  for (const std::size_t i : candidates) {
    out.push_back(half_quad(line, i, 0));
    out.push_back(half_quad(line, i, 1));
  }
  return out;
}

int split_wide(LayoutLine& line, std::vector<std::vector<float>>& probs,
               const std::vector<std::size_t>& candidates,
               const std::vector<std::vector<float>>& half_rows, const Charset& charset) {
  if (probs.size() != line.chars.size() || half_rows.size() != 2 * candidates.size()) {
    throw InputError("split_wide: " + std::to_string(probs.size()) + " probability rows for " +
                     std::to_string(line.chars.size()) + " characters, " +
                     std::to_string(half_rows.size()) + " half rows for " +
                     std::to_string(candidates.size()) + " candidates");
  }
  const auto n_classes = static_cast<std::size_t>(charset.num_classes());
  for (std::size_t j = 0; j < candidates.size(); ++j) {
    if (candidates[j] >= line.chars.size() || (j > 0 && candidates[j] <= candidates[j - 1]) ||
        half_rows[2 * j].size() != n_classes || half_rows[2 * j + 1].size() != n_classes) {
      throw InputError(
          "split_wide: candidate " + std::to_string(j) +
          " is not a character of the line in order, or a half row is not a distribution "
          "over the charset");
    }
  }
  const auto sure = [&](const std::vector<float>& row, int k) {
    return k >= 0 && k != charset.reject_class() && row[static_cast<std::size_t>(k)] >= kWideAccept;
  };
  int split = 0;
  // Right to left, so the indices of the candidates still to split stay valid.
  for (std::size_t j = candidates.size(); j-- > 0;) {
    const std::size_t i = candidates[j];
    const std::vector<float>& l = half_rows[2 * j];
    const std::vector<float>& r = half_rows[2 * j + 1];
    const int kl = argmax(l), kr = argmax(r);
    // Two halves read alike are one glyph seen twice; a merged pair has a narrow mark.
    if (!sure(l, kl) || !sure(r, kr) || kl == kr || !(narrow(charset, kl) || narrow(charset, kr)))
      continue;
    SlotChar right = line.chars[i];
    right.quad = half_quad(line, i, 1);
    right.unsure = true;
    SlotChar& left = line.chars[i];
    left.quad = half_quad(line, i, 0);
    left.unsure = true;
    probs[i] = half_rows[2 * j];
    line.chars.insert(line.chars.begin() + static_cast<std::ptrdiff_t>(i) + 1, right);
    probs.insert(probs.begin() + static_cast<std::ptrdiff_t>(i) + 1, half_rows[2 * j + 1]);
    ++split;
  }
  return split;
}

std::vector<std::size_t> gap_candidates(const LayoutLine& line) {
  std::vector<std::size_t> out;
  if (line.chars.size() < kGapMinChars) return out;
  std::vector<float> along;
  const float pitch = median_pitch(line, &along);
  if (!(pitch > 0.f)) return out;
  for (std::size_t i = 0; i + 1 < line.chars.size(); ++i) {
    if (line.chars[i].word == line.chars[i + 1].word && along[i + 1] - along[i] >= kGapPitch * pitch) {
      out.push_back(i);
    }
  }
  return out;
}

Quad gap_quad(const LayoutLine& line, std::size_t i) {
  if (i + 1 >= line.chars.size()) {
    throw InputError("gap_quad: characters " + std::to_string(i) + " and " + std::to_string(i + 1) +
                     " of a line of " + std::to_string(line.chars.size()));
  }
  std::vector<float> along;
  const float pitch = median_pitch(line, &along);
  const Quad& a = line.chars[i].quad;
  const Quad& b = line.chars[i + 1].quad;
  const cv::Point2f c = 0.5f * (a.center() + b.center());
  const float h = 0.5f * (a.height() + b.height());
  const cv::Point2f u = line.direction, v(-line.direction.y, line.direction.x);
  const cv::Point2f du = u * (0.5f * pitch), dv = v * (0.5f * h);
  return Quad{{c - du - dv, c + du - dv, c + du + dv, c - du + dv}};
}

int fill_gaps(LayoutLine& line, std::vector<std::vector<float>>& probs, const std::vector<std::size_t>& candidates,
              const std::vector<std::vector<float>>& gap_rows, const Charset& charset) {
  if (probs.size() != line.chars.size() || gap_rows.size() != candidates.size()) {
    throw InputError("fill_gaps: " + std::to_string(probs.size()) + " probability rows for " +
                     std::to_string(line.chars.size()) + " characters, " + std::to_string(gap_rows.size()) +
                     " gap rows for " + std::to_string(candidates.size()) + " gaps");
  }
  for (std::size_t j = 0; j < candidates.size(); ++j) {
    if (candidates[j] + 1 >= line.chars.size() || (j > 0 && candidates[j] <= candidates[j - 1]) ||
        gap_rows[j].size() != static_cast<std::size_t>(charset.num_classes())) {
      throw InputError("fill_gaps: gap " + std::to_string(j) + " is not between two characters of the line in order, "
                       "or its row is not a distribution over the charset");
    }
  }
  int inserted = 0;
  // Right to left, so the indices of the gaps still to fill stay valid.
  for (std::size_t j = candidates.size(); j-- > 0;) {
    const std::size_t i = candidates[j];
    const auto& row = gap_rows[j];
    const int k = argmax(row);
    if (k >= 0 && k != charset.reject_class() && row[static_cast<std::size_t>(k)] >= kGapAccept) {
      SlotChar c;
      c.quad = gap_quad(line, i);
      c.word = line.chars[i].word;
      c.unsure = true;
      line.chars.insert(line.chars.begin() + static_cast<std::ptrdiff_t>(i) + 1, c);
      probs.insert(probs.begin() + static_cast<std::ptrdiff_t>(i) + 1, row);
      ++inserted;
    } else {
      line.chars[i].unsure = true;
      line.chars[i + 1].unsure = true;
    }
  }
  return inserted;
}

Line decode_line(const LayoutLine& line, const std::vector<std::vector<float>>& probs,
                 const Charset& charset, const DecodeOptions& options) {
  const int n_labels = static_cast<int>(charset.labels.size());
  const auto n_classes = static_cast<std::size_t>(charset.num_classes());
  check_rows("decode_line", line, probs);
  if (!options.mask.empty() && options.mask.size() != n_classes) {
    throw InputError("decode_line: allowlist mask has " + std::to_string(options.mask.size()) +
                     " classes but the charset has " + std::to_string(n_classes));
  }
  const int top_k = std::max(options.top_k, 1);

  Line out;
  std::vector<std::vector<float>> kept_rows;  // masked rows of the characters that stay
  std::vector<int> winners;                   // their best label class
  int prev_word = -1;
  int word = -1;
  // Where each doubtful veto sits among the characters that stay: out.chars[p - 1]
  // and out.chars[p] are its neighbours.
  std::vector<std::size_t> doubts;
  for (std::size_t i = 0; i < line.chars.size(); ++i) {
    const auto& row = probs[i];
    if (row.size() != n_classes) {
      throw InputError("decode_line: character " + std::to_string(i) + " has " +
                       std::to_string(row.size()) + " class probabilities, the charset " +
                       std::to_string(n_classes));
    }
    const SlotChar& slot = line.chars[i];
    Char c;
    c.quad = slot.quad;
    // The veto is decided on the classifier's own distribution, before the
    // allowlist: it says whether this is a character at all, which the allowlist
    // does not change. Masking first would turn every well-read but disallowed
    // character into a silent deletion instead of a low-confidence read.
    if (argmax(row) == charset.reject_class()) {
      // A vetoed detection has no reading: its label stays empty and its
      // probability is that of the veto. Its top_k says what it would be read
      // as were it a character, for a person to judge the veto: the labels the
      // allowlist allows, best first, with their probabilities in the
      // classifier's own distribution (beside the veto's, not renormalised).
      c.probability = row[static_cast<std::size_t>(charset.reject_class())];
      c.status = CharStatus::kRejected;
      add_candidates(c.top_k, row, options.mask, charset, top_k, /*skip=*/-1);
      c.word = slot.word;
      if (c.probability < options.veto_doubt) doubts.push_back(out.chars.size());
      out.rejected.push_back(std::move(c));
      continue;
    }
    std::vector<float> masked = row;
    apply_mask(masked, options.mask);
    const int win = best_label(masked, n_labels, options.mask);
    c.label = charset.labels[static_cast<std::size_t>(win)];
    c.probability = masked[static_cast<std::size_t>(win)];
    // A character the detector was unsure of is a no-read however clearly the
    // classifier reads it: whether a character is there at all is the doubt.
    c.status = c.probability >= options.min_confidence && !slot.unsure ? CharStatus::kOk
                                                                       : CharStatus::kLowConfidence;
    // top_k: labels only (the veto is not a reading), best first after masking,
    // classes the mask removed left out; the winner is always first.
    c.top_k.push_back({c.label, c.probability});
    add_candidates(c.top_k, masked, options.mask, charset, top_k, /*skip=*/win);
    // Words are renumbered densely over the characters that stay, so that
    // Char::word counts the spaces of Line::text even when a whole word was vetoed.
    if (slot.word != prev_word) {
      prev_word = slot.word;
      ++word;
    }
    c.word = word;
    out.chars.push_back(std::move(c));
    masked.resize(static_cast<std::size_t>(n_labels));  // the veto is never a pattern choice
    kept_rows.push_back(std::move(masked));
    winners.push_back(win);
  }

  if (options.pattern != nullptr) {
    const Pattern::Decoded d = options.pattern->decode(kept_rows, charset.labels);
    out.pattern_matched = d.matched;
    if (d.matched) {
      for (std::size_t i = 0; i < out.chars.size(); ++i) {
        const int k = d.classes[i];
        if (k == winners[i]) continue;
        Char& c = out.chars[i];
        c.label = charset.labels[static_cast<std::size_t>(k)];
        c.probability = kept_rows[i][static_cast<std::size_t>(k)];
        c.status = CharStatus::kPatternCorrected;
        out.corrected.push_back(static_cast<int>(i));
      }
    }
  }

  // A veto the classifier was not sure of is as often a character it could not
  // read (worn, off-centre) as noise: dropping it silently would make a confident
  // misread of the line, so the characters beside it are a no-read instead.
  auto flag = [&out](std::size_t i) {
    if (i < out.chars.size() && out.chars[i].status == CharStatus::kOk) out.chars[i].status = CharStatus::kLowConfidence;
  };
  for (const std::size_t p : doubts) {
    if (p > 0) flag(p - 1);
    flag(p);
  }

  std::vector<const Quad*> quads;
  for (std::size_t i = 0; i < out.chars.size(); ++i) {
    const Char& c = out.chars[i];
    if (i > 0 && c.word != out.chars[i - 1].word) out.text.push_back(' ');
    out.text += c.label;
    quads.push_back(&c.quad);
  }
  out.confidence = 0.f;
  if (!out.chars.empty()) {
    out.confidence = out.chars.front().probability;
    for (const auto& c : out.chars) out.confidence = std::min(out.confidence, c.probability);
  }
  // The line quad encloses the characters that stay: a vetoed blob at the end of
  // the line must not stretch it.
  out.quad = quads.empty() || out.rejected.empty() ? line.quad
                                                   : enclosing(quads, line.direction, line.origin);
  return out;
}

std::vector<std::size_t> doubtful_characters(const std::vector<std::vector<float>>& probs,
                                             float below) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < probs.size(); ++i) {
    if (!probs[i].empty() && probs[i][static_cast<std::size_t>(argmax(probs[i]))] < below)
      out.push_back(i);
  }
  return out;
}

void average_views(std::vector<std::vector<float>>& probs,
                   const std::vector<std::size_t>& candidates,
                   const std::vector<std::vector<float>>& view_rows) {
  if (candidates.empty()) {
    if (!view_rows.empty()) throw InputError("average_views: view rows without candidates");
    return;
  }
  const std::size_t n = view_rows.size() / candidates.size();
  if (n == 0 || n * candidates.size() != view_rows.size()) {
    throw InputError("average_views: " + std::to_string(view_rows.size()) + " view rows for " +
                     std::to_string(candidates.size()) + " candidates");
  }
  for (std::size_t j = 0; j < candidates.size(); ++j) {
    if (candidates[j] >= probs.size()) {
      throw InputError("average_views: candidate " + std::to_string(candidates[j]) + " of " +
                       std::to_string(probs.size()) + " rows");
    }
    auto& row = probs[candidates[j]];
    for (std::size_t v = 0; v < n; ++v) {
      if (view_rows[j * n + v].size() != row.size())
        throw InputError("average_views: rows of different sizes");
    }
    for (std::size_t k = 0; k < row.size(); ++k) {
      float sum = row[k];
      for (std::size_t v = 0; v < n; ++v) sum += view_rows[j * n + v][k];
      row[k] = sum / static_cast<float>(n + 1);
    }
  }
}

std::vector<Char> set_aside_lone_characters(std::vector<Line>& lines) {
  std::vector<Char> marks;
  const bool has_code =
      std::any_of(lines.begin(), lines.end(), [](const Line& l) { return l.chars.size() >= 3; });
  if (!has_code) return marks;
  const auto lone = [](const Line& l) { return l.chars.size() == 1 && !l.pattern_matched; };
  for (const auto& l : lines) {
    if (!lone(l)) continue;
    marks.push_back(l.chars[0]);
    if (marks.back().status == CharStatus::kOk) marks.back().status = CharStatus::kLowConfidence;
  }
  lines.erase(std::remove_if(lines.begin(), lines.end(), lone), lines.end());
  return marks;
}

Verification verify(const ReadResult& reading, const std::string& expected) {
  Verification v;
  v.expected = expected;
  v.read = reading.text();
  // Every character sure and nothing set aside (trusted() also asks for a line;
  // an empty reading has nothing unsure, and fails on the text alone).
  const bool sure = reading.marks.empty() && (reading.lines.empty() || reading.trusted());
  const auto exp = utf8_split(strip_spaces(expected));
  const auto got = utf8_split(strip_spaces(v.read));
  // An expected character agrees when the minimum-edit alignment pairs it with
  // an equal read character.
  const auto steps = align(exp, got);
  v.edit_distance = edit_distance(steps, exp, got);
  v.agree.assign(exp.size(), false);
  for (const auto& st : steps) {
    if (st.i >= 0 && st.j >= 0) v.agree[st.i] = exp[st.i] == got[st.j];
  }
  v.passed = v.edit_distance == 0 && sure;
  return v;
}

}  // namespace ocr2s::assemble
