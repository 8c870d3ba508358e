// Internal: class probabilities → text, per-character status, verification. Pure.
#pragma once

#include <string>
#include <vector>

#include "assemble/layout.hpp"
#include "assemble/pattern.hpp"
#include "ocr2s/result.hpp"

namespace ocr2s::assemble {

/// The classifier's class set. labels[k] is class k; class labels.size() is the
/// "not a character" class. Labels are single UTF-8 code points, none a space.
struct Charset {
  std::vector<std::string> labels;
  int reject_class() const { return static_cast<int>(labels.size()); }
  int num_classes() const { return static_cast<int>(labels.size()) + 1; }
};

/// A mask over Charset classes (size num_classes()); the reject class is always
/// allowed. Throws InputError when the allowlist shares no label with the charset.
std::vector<bool> allow_mask(const Charset& charset, std::string_view allowlist);

/// Masks and renormalises one probability row in place: disallowed classes get 0,
/// the rest are scaled to sum to 1.
void apply_mask(std::vector<float>& probs, const std::vector<bool>& mask);

struct DecodeOptions {
  std::vector<bool> mask;            ///< from allow_mask; empty = everything allowed
  const Pattern* pattern = nullptr;  ///< optional
  float min_confidence = 0.8f;       ///< ClassifierConfig::min_confidence
  int top_k = 3;
  /// A detection vetoed with a reject probability below this flags the characters
  /// on either side of it (kLowConfidence); 0 = never (AssembleConfig::veto_doubt).
  float veto_doubt = 0.9f;
};

/// Builds one result line. probs[i] is the calibrated class distribution for
/// line.chars[i] (size charset.num_classes()). Characters whose best class is the
/// reject class go to Line::rejected; the rest form the text, words separated by
/// one space; a veto less sure than options.veto_doubt flags its neighbours in the
/// line (the characters that stay just before and after it). With a pattern,
/// Line::chars are decoded to the most probable matching string (positions changed
/// get kPatternCorrected); otherwise each character is its best class.
/// Line::confidence is the weakest character's probability.
Line decode_line(const LayoutLine& line, const std::vector<std::vector<float>>& probs,
                 const Charset& charset, const DecodeOptions& options);

/// Two detections of one glyph. A wide glyph (W, M, N, %) whose region score has
/// two peaks is split by the postprocessor into two characters, and the classifier
/// reads both alike: each crop, 1.3 line heights wide, sees the whole glyph.
/// Consecutive characters of one word whose best classes are the same label, whose
/// centres lie closer than kDuplicateSpacing line heights along the line, and whose
/// label is not a narrow mark (narrow marks can legitimately sit that close: "II",
/// "--", "..") become one character: the union of their quads along the line, the
/// mean of their distributions, unsure only if both were. probs[i] belongs to
/// line.chars[i] before and after. Returns the number of merges.
constexpr float kDuplicateSpacing = 0.42f;
int merge_duplicates(LayoutLine& line, std::vector<std::vector<float>>& probs, const Charset& charset);

/// One wide glyph detected in two overlapping parts. The region score of a W or M
/// can peak twice, and the postprocessor then cuts the glyph into two characters
/// whose crops sit off the glyph's centre and read as narrower letters: W as "VV",
/// "VW" or "MV", M as "NV". Such parts overlap along the line far more than
/// neighbours do (measured on 1,000 generated images: 0.29–0.48 line heights for
/// parts of one W; up to 0.26 between the padded quads of two neighbours in a
/// tight face). The repair reads the pair's union as one crop and keeps it when
/// the classifier is sure it is one character; nothing is guessed from context.
///
/// split_candidates: indices i such that characters i and i + 1 are of one word,
/// both read as characters that are not narrow marks (best class neither the
/// reject class nor one of .,:;'`!|1Iilj()[]{}-/\, whose padded quads
/// legitimately overlap a neighbour's), and overlap along
/// the line by at least kSplitOverlap line heights. Pairs do not share a
/// character: after i, the next candidate starts at i + 2 or later.
constexpr float kSplitOverlap = 0.2f;
std::vector<std::size_t> split_candidates(const LayoutLine& line, const std::vector<std::vector<float>>& probs,
                                          const Charset& charset);

/// The quad of characters i and i + 1 taken as one: from the left edge of the
/// first to the right edge of the second (vertices in the line's frame).
Quad joined_quad(const LayoutLine& line, std::size_t i);

/// Merges each candidate pair whose union reads as one wide glyph: union_rows[j]
/// is the classifier's distribution for joined_quad(line, candidates[j]); the pair
/// becomes one character (that quad, that distribution, unsure only if both
/// parts were) when its best class has probability ≥ kSplitAccept and is a glyph
/// wide enough to be split (W, M, %, #, @, &; measured on 1,000 generated images,
/// the union crop of two true neighbours can read as a confident narrower letter,
/// never as one of these). `candidates` as split_candidates returns them (ascending, no
/// shared character). probs[i] belongs to line.chars[i] before and after.
/// Returns the number of merges.
constexpr float kSplitAccept = 0.9f;
int merge_splits(LayoutLine& line, std::vector<std::vector<float>>& probs,
                 const std::vector<std::size_t>& candidates, const std::vector<std::vector<float>>& union_rows,
                 const Charset& charset);

/// One glyph detected as two characters that are not wide glyphs: the region
/// score of a wide N, a % or an M with a thin stroke can peak twice far enough
/// apart that the parts do not overlap, and both crops then read as confident
/// characters ("N" as "NM", "%" as "96", "M" as "M1"). On 800 generated images
/// (seed 9001) the centres of such parts lay 0.34–0.78 times the line's median
/// pitch apart (25 pairs; median 0.62), against 1.00 for true neighbours (1st
/// percentile 0.65, 5th 0.81; 13,421 pairs, the close ones mostly a narrow
/// mark beside a digit).
///
/// tight_candidates: indices i such that characters i and i + 1 are of one word
/// of a line of at least kTightMinChars characters, both read as characters, and
/// either
/// - neither is a narrow mark (as split_candidates: a narrow mark sits close to
///   its neighbour in many faces, and the union crop of `:4` reads as `4`) and
///   their centres lie less than kTightPitch × the line's median centre spacing
///   apart, or
/// - one reads as a lone vertical stroke (`1`, `I`, `l`, `|`), their quads
///   overlap along the line by at least kStrokeOverlap line heights, and their
///   centres lie less than kStrokePitch × the median spacing apart. The stem of
///   an M, N or L that the detector cut off reads as a confident `1` or `I`
///   ("1MFG", "MIFD", "DIOV" for NOV); on 800 generated images (seed 9001) the
///   union of such pairs repaired 7 readings and spoiled 1 (`15` read as `5`,
///   flagged), the same test with every narrow mark spoiled 4 more (`/7`,
///   `:2`, `5.5`).
/// Pairs do not share a character.
constexpr float kTightPitch = 0.8f;
constexpr float kStrokeOverlap = 0.2f;
constexpr float kStrokePitch = 0.65f;
constexpr std::size_t kTightMinChars = 4;
std::vector<std::size_t> tight_candidates(const LayoutLine& line,
                                          const std::vector<std::vector<float>>& probs,
                                          const Charset& charset);

/// Merges each candidate pair whose union (joined_quad; its distribution in
/// union_rows[j]) reads as one character that is not a narrow mark with
/// probability ≥ kTightAccept. The merged character is marked unsure: the
/// detector saw two, the classifier one, and which is right is for a person or a
/// pattern to say. Same argument rules as merge_splits; returns the number of
/// merges.
constexpr float kTightAccept = 0.9f;
int merge_tight(LayoutLine& line, std::vector<std::vector<float>>& probs,
                const std::vector<std::size_t>& candidates,
                const std::vector<std::vector<float>>& union_rows, const Charset& charset);

/// A narrow mark the detector merged into its neighbour: `1.`, `K/` or `3.` come
/// out of the region map as one blob, whose node is wider than the line's other
/// characters, and the crop at its centre reads as one of the two. On 1,000
/// generated images, 93 nodes lay over a character and a missed neighbour; their
/// width was 1.31 times the line's median (median; 1.88 at the 90th percentile)
/// against 1.00 (1.49 at the 99th percentile) for the other 20,216 nodes.
///
/// wide_candidates: indices i of characters of a line of at least
/// kWideMinChars characters whose extent along the line is at least
/// kWideRatio × the median extent of the line's characters, and whose best class
/// is not a wide glyph itself (W, M, %, #, @, &). Vetoed nodes are candidates too,
/// from kWideVetoRatio × the median extent: a crop centred between two merged
/// marks is what the classifier learned to reject (at 1.3, 1 more image of 800
/// read exactly on val9001 and none lost, 8 more of 1,000 on eval1000; at 0.8,
/// one misread image of val9001 more read exactly, flagged, and eval1000 77.5
/// → 77.8 % exact, misreads 6.4 → 6.2 %; at 0 the same as 0.8 on val9001).
/// The ratio was chosen on 800 validation images (misread / correct and
/// trusted images at 1.1: 63 / 549, 1.2: 63 / 554, 1.3: 65 / 555, 1.4: 69 / 556, 1.6: 72 / 557;
/// without the second look 76 / 558).
constexpr float kWideRatio = 1.3f;
constexpr float kWideVetoRatio = 0.8f;
constexpr std::size_t kWideMinChars = 3;
std::vector<std::size_t> wide_candidates(const LayoutLine& line,
                                         const std::vector<std::vector<float>>& probs,
                                         const Charset& charset);

/// One half of character i's quad along the line: part 0 the left (first) half,
/// part 1 the right one (vertices in the line's frame).
Quad half_quad(const LayoutLine& line, std::size_t i, int part);
/// Both halves of each candidate, in the order split_wide takes their rows:
/// half_quad(line, candidates[j], 0) at 2j, (…, 1) at 2j + 1.
std::vector<Quad> half_quads(const LayoutLine& line, const std::vector<std::size_t>& candidates);

/// Splits each candidate whose two halves both read as characters: half_rows[2j]
/// and half_rows[2j + 1] are the classifier's distributions for
/// half_quad(line, candidates[j], 0) and (…, 1). When both best classes are
/// characters (not the reject class) with probability ≥ kWideAccept, the
/// character becomes the two halves, both marked unsure (a split the detector
/// did not make: a no-read to check, not a reading to trust). `candidates`
/// ascending; probs stays aligned with line.chars. Returns the number of splits.
constexpr float kWideAccept = 0.9f;
int split_wide(LayoutLine& line, std::vector<std::vector<float>>& probs,
               const std::vector<std::size_t>& candidates,
               const std::vector<std::vector<float>>& half_rows, const Charset& charset);

/// A character the detector missed inside a word. The affinity map links the
/// characters on both sides of it into one word, and they are then about two
/// pitches apart. On 1,000 generated images, a within-word spacing of 1.7 times
/// the line's median pitch or more was found in 53 readings with no character
/// flagged, 14 of them correct and 39 wrong.
///
/// gap_candidates: indices i such that characters i and i + 1 are of one word
/// of a line of at least kGapMinChars characters, and their centres lie at least
/// kGapPitch × the line's median centre spacing apart along the line.
constexpr float kGapPitch = 1.7f;
constexpr std::size_t kGapMinChars = 4;
std::vector<std::size_t> gap_candidates(const LayoutLine& line);

/// Where the missed character would be: centred between characters i and i + 1,
/// the line's median pitch wide and their mean quad height tall (vertices in the
/// line's frame).
Quad gap_quad(const LayoutLine& line, std::size_t i);

/// Resolves each gap with the classifier's distribution for gap_quad(line,
/// candidates[j]) in gap_rows[j]: when its best class is a character (not the
/// reject class) with probability ≥ kGapAccept, the character is inserted
/// between the two, marked unsure (the detector did not find it: a no-read, not a
/// reading to trust); otherwise the two neighbours are marked unsure (something
/// is missing there). probs stays aligned with line.chars. Returns the number of
/// characters inserted.
constexpr float kGapAccept = 0.9f;
int fill_gaps(LayoutLine& line, std::vector<std::vector<float>>& probs, const std::vector<std::size_t>& candidates,
              const std::vector<std::vector<float>>& gap_rows, const Charset& charset);

/// ClassifierConfig::reread_below: indices of the characters whose best
/// probability is below `below` (none for 0), ascending.
std::vector<std::size_t> doubtful_characters(const std::vector<std::vector<float>>& probs,
                                             float below);

/// The doubtful characters' distributions become the mean of their own and of
/// their views (assemble::nearby_views): view_rows holds, for candidates[j], the
/// distributions of its views at [j × n, (j + 1) × n) with n = view_rows.size() /
/// candidates.size() views each.
void average_views(std::vector<std::vector<float>>& probs,
                   const std::vector<std::size_t>& candidates,
                   const std::vector<std::vector<float>>& view_rows);

/// AssembleConfig::flag_lone_characters: when one of `lines` (the lines of one
/// region of interest, as read) has at least three characters, every line that
/// has only one is taken out of `lines` and its character returned, flagged
/// (kOk → kLowConfidence), as a mark for ReadResult::marks: on parts and labels
/// such a mark is far more often a speck, a scratch or a logo fragment than a
/// field. Counted after the classifier's vetoes, so a speck whose line
/// neighbours were vetoed counts as alone (on 1,000 generated images, 4 of the
/// 63 misread images were a trusted character left alone by vetoes). A line
/// that matched the caller's pattern stays: the pattern vouches for it.
///
/// Until session 17 such a character stayed in the text, flagged. Both ways the
/// reading is a no-read; set aside, the text is the better guess: of 27
/// one-character lines the reader made on 1,000 generated images (seed
/// 8675309), 23 were false alarms and 1 was a one-character field, and 14
/// images read exactly once they were set aside.
std::vector<Char> set_aside_lone_characters(std::vector<Line>& lines);

/// Compares a reading with an expected text (both whitespace-insensitive; '\n'
/// separates lines in both). passed requires an exact match, every character of
/// the lines at status kOk or kPatternCorrected, and no marks: a mark may be a
/// character of the code that the layout cut off, leaving a shorter code that
/// matches.
Verification verify(const ReadResult& reading, const std::string& expected);

}  // namespace ocr2s::assemble
