// ocr2s — results. Owned values shaped as the data is: ReadResult → Line → Char.
// Nothing to free and nothing that refers back into the Reader.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core/types.hpp>

#include "ocr2s/export.hpp"
#include "ocr2s/geometry.hpp"

namespace ocr2s {

/// How far a character can be trusted.
enum class CharStatus {
  kOk,                ///< probability ≥ the confidence gate
  kLowConfidence,     ///< probability < the confidence gate, a detection below
                      ///< CraftConfig::confirm_threshold, or a lone character set
                      ///< aside (ReadResult::marks): treat as a no-read
  kPatternCorrected,  ///< the pattern decoder replaced the classifier's first choice
  kRejected,          ///< the classifier vetoed the detection as "not a character";
                      ///< kept in Line::rejected, not part of the text
};

OCR2S_API const char* to_string(CharStatus s) noexcept;

/// One alternative reading of a character.
struct Candidate {
  std::string label;   ///< one character, UTF-8
  float probability;   ///< calibrated, in [0, 1], after allowlist renormalisation
};

/// One character.
struct Char {
  Quad quad;                       ///< original image pixels, vertex order as in Quad
  std::string label;               ///< one character, UTF-8 (after pattern decoding)
  float probability = 0.f;         ///< of `label`, in [0, 1]
  /// Best first; top_k[0] is the classifier's own choice. For a vetoed
  /// detection (kRejected, empty label): the characters it would be read as, with
  /// their probabilities beside the veto's, not renormalised.
  std::vector<Candidate> top_k;
  CharStatus status = CharStatus::kOk;
  int word = 0;                    ///< index of the word within its line (words are
                                   ///< separated by one space in Line::text)
};

/// One line of text, characters in reading order.
struct Line {
  std::string text;       ///< characters of `chars` in order, words separated by one space
  Quad quad;              ///< encloses the line's characters, original image pixels
  /// No higher than the weakest character: the minimum of chars[i].probability
  /// (0 for a line without characters).
  float confidence = 0.f;
  std::vector<Char> chars;      ///< one entry per non-space character of `text`
  std::vector<Char> rejected;   ///< detections the classifier vetoed (status kRejected)
  /// Only meaningful when a pattern was given: whether `text` matches it. A line
  /// whose length no string of the pattern has is left as read, with false here.
  bool pattern_matched = false;
  /// Positions (indices into `chars`) the pattern decoder changed.
  std::vector<int> corrected;
};

/// Comparison of a reading with ReadOptions::expect.
struct Verification {
  /// Whitespace-insensitive exact match, every character ≥ gate, and no marks
  /// (ReadResult::marks): a mark may be a character of the code that the layout
  /// cut off, so that the rest reads as a shorter expected code.
  bool passed = false;
  std::string expected;     ///< as given
  std::string read;         ///< ReadResult::text()
  /// One entry per non-space expected character: whether the reading has the same
  /// character at the aligned position (alignment by minimum edit distance).
  std::vector<bool> agree;
  int edit_distance = 0;    ///< Levenshtein distance, whitespace ignored
};

/// Where the wall time of one read went, in milliseconds, stage by stage.
/// Reader::read times its own stages; Reader::read_batch shares its batched
/// calls out (the detector's forward passes equally among the images, the
/// classifier's by their numbers of crops). For a line-side program watching
/// its cycle time, and for the benchmarks (benchmarks/bench_compare.cpp).
struct ReadTiming {
  double detector_ms = 0;     ///< detector forward passes (both of the automatic scale)
  double postprocess_ms = 0;  ///< score maps to the character graph
  double layout_ms = 0;       ///< lines, words, reading order and crop boxes
  double crops_ms = 0;        ///< cutting the crops out of the image
  double classifier_ms = 0;   ///< every classifier call: the batch, rereading, second looks
  double text_ms = 0;         ///< the rest: choosing, merging and decoding the text

  /// The stages by name, in pipeline order, for reports.
  std::array<std::pair<const char*, double>, 6> stages() const {
    return {{{"detector", detector_ms},
             {"postprocess", postprocess_ms},
             {"layout", layout_ms},
             {"crops", crops_ms},
             {"classifier", classifier_ms},
             {"text", text_ms}}};
  }
  double total_ms() const {
    double total = 0;
    for (const auto& stage : stages()) total += stage.second;
    return total;
  }
};

/// Everything read from one image.
struct ReadResult {
  std::vector<Line> lines;       ///< top to bottom in the text's own frame
  /// One-character lines set aside beside a code (AssembleConfig::
  /// flag_lone_characters), in reading order: not part of text(), each
  /// kLowConfidence. Usually a speck, a scratch or a logo fragment read as a
  /// character; a reading with marks is a no-read all the same, for a person to
  /// look at (the mark may be a one-character field, or a character of a line
  /// that the layout cut off).
  std::vector<Char> marks;
  cv::Size image_size;           ///< of the input image
  bool has_verification = false;
  Verification verification;     ///< valid when has_verification
  ReadTiming timing;             ///< where this read's time went

  /// The lines' texts joined by '\n' (marks are not text).
  OCR2S_API std::string text() const;
  /// The weakest line's or mark's confidence (0 when there is no line).
  OCR2S_API float confidence() const;
  /// Whether the reading can be taken without a look: at least one line, every
  /// character kOk or kPatternCorrected, and no marks.
  OCR2S_API bool trusted() const;
};

}  // namespace ocr2s
