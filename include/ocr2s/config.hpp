// ocr2s — configuration. Every config is an aggregate with documented defaults,
// fixed when the Reader is constructed; there are no setters on a live reader.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/types.hpp>

#include "ocr2s/export.hpp"

namespace ocr2s {

/// Stage 1: the CRAFT detector and its postprocessor.
struct CraftConfig {
  /// Detector model file. Empty: `detector.pt` in default_model_dir().
  /// Either an ocr2s native detector (written by `ocr2s train detector`) or a
  /// TorchScript module with CRAFT's output contract (see torchscript below).
  std::string model;
  /// Treat `model` as a TorchScript module whose forward(x) takes a float
  /// [N, 3, H, W] RGB batch normalised with ImageNet mean/std and returns
  /// either a tensor [N, H/2, W/2, 2] (region, affinity) or a tuple whose first
  /// element is that tensor — the original CRAFT exported with torch.jit.trace.
  bool torchscript = false;

  /// Long side of the network input, pixels: larger images are scaled down to it
  /// (huge inputs never reach the network at full size). Range [64, 4096].
  int canvas = 1280;
  /// Scale factor applied before the canvas limit; > 1 magnifies small text
  /// (CRAFT's mag_ratio). Range [0.25, 4].
  float magnify = 1.0f;
  /// Automatic scale. The detector reads characters best at one size (the shipped
  /// model: cell heights of about 40–60 network pixels; a 12-px code and a 100-px
  /// code are both read worse at their own size). When > 0, the characters of a
  /// first pass (at `magnify`) are measured: if the median height of the confident
  /// ones (peak ≥ confirm_threshold; all of them when fewer than two are) differs
  /// from this many network pixels by more than `scale_tolerance`, the image is
  /// detected again at the scale that makes it this tall, within
  /// [0.25, max_auto_magnify] and the canvas. Costs a second forward pass on
  /// those images only. 0: off, one pass at `magnify`. Range 0 or [8, 512].
  float target_char_height = 48.0f;
  /// Ratio within which the first pass's character height is accepted as it is
  /// (see target_char_height). Range [1, 16].
  float scale_tolerance = 1.4f;
  /// Largest magnification of the automatic scale's second pass (the scale,
  /// rounded to a quarter octave, is clamped to it). The pass costs the square
  /// of it, within the canvas. On 800 validation images
  /// (seed 9001) 2.5 read 83.12 % exactly against 82.50 % at 2 and 83.00 % at
  /// 3, with the same 2.25 % misreads (README "Status"). Range [0.25, 4].
  float max_auto_magnify = 2.5f;

  /// Region score a character's peak must reach to seed a character
  /// (CRAFT's text_threshold). The default is below confirm_threshold on
  /// purpose: see there. Range (0, 1].
  float seed_threshold = 0.2f;
  /// Region peak below which a seeded character is unsure: it is read, but its
  /// status is kLowConfidence whatever the classifier says, and a line made only
  /// of unsure characters is dropped. With seed_threshold below it, faint marks
  /// next to confident characters (a '.', a broken '1') are read and flagged
  /// instead of silently missing. At or below seed_threshold no character is
  /// unsure (the check is off). Range [0, 1].
  float confirm_threshold = 0.5f;
  /// Region score a character grows into from its seed (CRAFT's low_text).
  /// Range (0, seed_threshold].
  float grow_threshold = 0.15f;
  /// Affinity score that links two characters into one word (CRAFT's
  /// link_threshold). Range (0, 1].
  float link_threshold = 0.3f;
  /// Two region peaks inside one blob are split into two characters when the
  /// saddle between them lies at least this far (absolute score) below the lower
  /// peak; this is how touching characters are separated. Range [0, 1].
  /// Chosen on validation images (models/MODEL_CARD.md): at 0.12, a narrow mark
  /// whose blob touched its neighbour's was dropped silently more often; at 0.08
  /// the split fragment is read or vetoed, which flags the line.
  float split_depth = 0.08f;
  /// Blobs smaller than this many square pixels of the score map are noise.
  float min_area = 3.0f;
  /// Blobs whose long side exceeds max_aspect × short side are noise (rules,
  /// scratches, barcode bars). Characters in the shipped model's annotation
  /// convention have aspect between about 0.2 and 1.5.
  float max_aspect = 6.0f;
};

/// Stage 2: the character classifier.
struct ClassifierConfig {
  /// Classifier model file. Empty: `classifier.pt` in default_model_dir().
  /// The charset, crop geometry and temperature travel inside the file.
  std::string model;
  /// Alternatives reported per character (Char::top_k), including the winner. Range [1, 16].
  int top_k = 3;
  /// Default confidence gate: a character below it gets CharStatus::kLowConfidence.
  /// ReadOptions::min_confidence overrides it per call. Range [0, 1]. Chosen on
  /// 800 validation images (README "Status"): from 0.6 to 0.8 each misread image
  /// avoided cost about one correct reading flagged for a person to check (misreads
  /// 7.0 → 4.0 %, correct and trusted 69.4 → 65.1 %); past 0.8 it costs three or
  /// more (0.9: 2.75 % and 60.8 %). A misread ships a wrong code, a no-read asks
  /// for a look: a station that can afford more looks raises it.
  float min_confidence = 0.8f;
  /// A character whose best probability is below this is read again from four
  /// nearby views of its crop (shifted along the line, scaled; assemble::
  /// nearby_views) and its distribution becomes the mean of the five, before
  /// the reader's second looks. Range [0, 1]; 0 turns it off. About 5 % of
  /// crops are read again at 0.95 (a fifth more classifier work, one more
  /// forward per image that has any). On 800 validation images (seed 9001) the
  /// reader read 82.4 % of them exactly against 80.25 % without it; averaged
  /// readings are less sure, so at one gate there are fewer misreads and more
  /// no-reads, and at equal no-reads as few misreads or fewer (README "Status").
  float reread_below = 0.95f;
  /// Largest number of crops in one forward pass; more are split into batches
  /// of this size. Range [1, 65536].
  int max_batch = 512;
};

/// Graph → lines, and text assembly.
struct AssembleConfig {
  /// Two words on one baseline become one line (joined by a space) when the gap
  /// between them is at most this many line heights; further apart they are
  /// separate lines. Range [0, 100]. Fields printed side by side (two columns of a
  /// label) sit 1.5 line heights apart and more; at 3, their lines were joined
  /// across the gutter. Chosen on validation images (models/MODEL_CARD.md).
  float max_word_gap = 2.0f;
  /// ... and when their centre lines are at most this many line heights apart.
  float max_line_offset = 0.45f;
  /// ... and when their directions differ by at most this many degrees.
  float max_angle_diff_deg = 12.0f;
  /// ... and when their heights differ by at most this ratio (larger / smaller).
  float max_height_ratio = 1.6f;
  /// Words whose heights differ by more than this ratio (larger / smaller) join
  /// only when the gap between them is at most max_unlike_word_gap heights of
  /// the smaller one. Fields printed side by side often differ in type size; a
  /// word of the same line rarely does. On 800 validation images (seed 9001) the
  /// pair 1.2 / 1.0 read 82.50 % exactly and 76.75 % strictly against 82.25 and
  /// 75.88 % without it (README "Status"). Range [1, 100] and [0, 100].
  float like_height_ratio = 1.2f;
  float max_unlike_word_gap = 1.0f;
  /// A line of a single character, in an image (or ROI) where another line has
  /// at least three, is set aside as a mark (ReadResult::marks: not text,
  /// kLowConfidence, the reading not trusted): on parts and labels such a mark is
  /// far more often a scratch, a logo fragment or a speck than a field of its
  /// own. A line matching ReadOptions::pattern stays. A station that reads
  /// one-character fields turns this off.
  bool flag_lone_characters = true;
  /// A detection the classifier vetoes as "not a character" with a reject
  /// probability below this flags the characters on either side of it in its line
  /// (kLowConfidence). Such an unsure veto is often a real character the
  /// classifier could not read (worn, off-centre, a narrow mark): dropped silently
  /// it would make the line a confident misread. 0 turns it off (every veto is
  /// dropped silently). Range [0, 1].
  float veto_doubt = 0.9f;
};

/// Everything the Reader needs, fixed at construction.
struct ReaderConfig {
  CraftConfig craft;
  ClassifierConfig classifier;
  AssembleConfig assemble;
  /// Threads one forward pass may use: LibTorch's intra-op pool gets this many,
  /// and OpenBLAS's pool (where OpenBLAS is the BLAS) one, since two busy pools
  /// contend; process-wide (ocr2s::set_compute_threads). 0 leaves both alone:
  /// LibTorch and OpenBLAS then each start a thread per core, which on the 2-core
  /// development machine made a forward 40 % slower. Concurrent read() calls from
  /// several threads are independent of this; see reader.hpp. A program that runs
  /// one read() per core sets 1.
  int torch_threads = 0;
};

/// Per-call options of Reader::read. All optional.
struct ReadOptions {
  /// Regions of interest in image pixels; empty reads the whole image. Each ROI is
  /// read on its own and its lines are returned in ROI order, quads in whole-image
  /// pixels. Parts outside the image are clipped; an ROI that does not intersect
  /// the image is an InputError.
  std::vector<cv::Rect> rois;
  /// Characters the classifier may answer, as literal UTF-8 characters
  /// (e.g. "0123456789ABCDEF"). Other classes are masked out and the
  /// probabilities renormalised. Empty: the whole charset. An allowlist that
  /// shares no character with the charset is an InputError.
  std::string allowlist;
  /// A format every line must match (see PATTERNS below); empty: none.
  std::string pattern;
  /// The text you expect (lines separated by '\n'); when set the result carries a
  /// Verification. Compared whitespace-insensitively.
  std::string expect;
  /// Confidence gate for this call; < 0 uses ClassifierConfig::min_confidence.
  float min_confidence = -1.0f;
};

// PATTERNS — a small regular-expression subset describing a field format,
// matched against a line's characters with whitespace ignored:
//   literal characters (UTF-8)      A  7  -  /  (escape specials with \)
//   classes and ranges              [A-Z0-9]  [^O]  [-./]
//   shorthands                      \d (digit)  \u (A-Z)  \w ([A-Z0-9])  .  (any)
//   counts                          {n}  {n,m}  {n,}  ?  *  +
//   alternation and grouping        (LOT|L)\d{6}
// Decoding picks the most probable string of the detected length that matches,
// from each position's class probabilities, and reports the positions it changed.

/// The directory searched for shipped models when a config names none: the
/// environment variable OCR2S_MODEL_DIR if set, else the installed data
/// directory, else the source tree's models/ (for use from a build tree).
OCR2S_API std::string default_model_dir();

}  // namespace ocr2s
