// Synthetic industrial-code generator with character-level ground truth.
// Training-side code: never linked into ocr2s::ocr2s. Pure OpenCV (+FreeType).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "craft/render.hpp"
#include "ocr2s/geometry.hpp"

namespace ocr2s::synth {

enum class Style {
  kPrinted,    ///< printed labels: OCR-A/B, DejaVu, Liberation, FreeFont…; both polarities
  kDotMatrix,  ///< dot-matrix / continuous inkjet dot grids
  kEtched,     ///< laser-etched / engraved metal
  kStamped,    ///< stamped / embossed relief
  kSegment,    ///< 7- and 14-segment displays (DSEG fonts)
  kThermal,    ///< thermal / ribbon print, broken strokes, fading
};
inline constexpr int kNumStyles = 6;
const char* style_name(Style s);                      ///< "printed", "dotmatrix", …
std::optional<Style> parse_style(std::string_view name);
std::vector<Style> all_styles();

/// One annotated character. `quad` (image pixels, Quad's vertex order) is the
/// character's cell: along the line it spans the character's ink (widened to a
/// minimum for narrow marks such as '.', '1'); across the line it spans the line's
/// cap height (plus any ink outside it). Every drawn character is annotated.
struct CharAnn {
  std::string label;  ///< one UTF-8 code point
  Quad quad;
  /// Contrast-to-noise ratio of the character as the camera left it
  /// (synth::Legibility; docs/DATA_FORMATS.md); +infinity when not measured
  /// (annotations read back from a file).
  float cnr = std::numeric_limits<float>::infinity();
};

/// One line of text. `chars` are the non-space characters of `text`, in order;
/// spaces in `text` separate words.
struct LineAnn {
  std::string text;
  std::vector<CharAnn> chars;
  /// How the generator drew the line: the font file's stem, and for dot glyphs the
  /// grid and the printer's zero setting ("DejaVuSansMono dots 5x7 plain-zero").
  /// For analysis (accuracy per face); empty where a dataset does not record it.
  std::string font;
  /// The line's format as a pattern (ocr2s/config.hpp, PATTERNS): what a station
  /// printing this code would configure — prefixes and separators literal, the
  /// rest the class each character was drawn from ("LOT\\d{6}", "\\d{2}\\u{3}\\d{4}").
  /// Empty where a dataset does not record it.
  std::string format;
};

struct Sample {
  cv::Mat image;                  ///< CV_8UC3 BGR
  std::vector<LineAnn> lines;
  std::vector<Quad> distractors;  ///< non-text marks drawn (barcodes, logos, rules…)
  Style style = Style::kPrinted;
};

/// Contrast-to-noise ratio of the sample's least legible character
/// (CharAnn::cnr); +infinity when none was measured. For analysis: accuracy
/// against how faint the hardest character is.
float weakest_cnr(const Sample& s);

struct SynthConfig {
  std::vector<Style> styles;  ///< empty: all styles, mixed
  /// Characters codes are drawn from (UTF-8; ranges like A-Z allowed as in pattern
  /// classes; a literal "-" goes last, e.g. "0-9A-Z./:#-"). The code grammar (serials, lots, dates, part
  /// numbers) uses the subset of it that each format needs.
  std::string charset = "0-9A-Z./:#+()%,_-";
  int min_char_height = 10;   ///< pixels
  int max_char_height = 120;  ///< pixels
  cv::Size max_size{1024, 512};  ///< largest image generated
  /// Every image exactly max_size (the scene widens around the codes) instead of
  /// sized to its content — fixed-size batches for training.
  bool fill_max_size = false;
  int max_lines = 4;
  /// Legibility floor: a sample whose weakest character, as the camera left it,
  /// has a mark of fewer grey levels than `min_contrast` or a contrast-to-noise
  /// ratio below `min_cnr` is drawn again (a new draw for the same index, up to
  /// kMaxLegibilityDraws). Both are measured on the character's own mark (the
  /// scene with and without it) at the scale of a stroke; below a ratio of
  /// about 4 a character is noise to any reader, people included
  /// (docs/DATA_FORMATS.md). 0 turns the floor off.
  float min_contrast = 6.f;
  float min_cnr = 4.f;
};

/// Draws tried per index before the generator keeps an illegible sample.
inline constexpr int kMaxLegibilityDraws = 16;

/// The charset string expanded to one label per character (ranges resolved).
std::vector<std::string> expand_charset(std::string_view charset);

/// Deterministic generator: generate(i) depends only on (config, seed, i), so
/// datasets can be produced in parallel and regenerated exactly. generate() is
/// const and may be called from several threads at once (the font and glyph
/// caches it shares are locked).
/// Test/debug output: every annotated character's ink as drawn (before the
/// photometric degradations), warped into the image like the image itself.
struct CharInk {
  cv::Rect roi;   ///< image pixels, inside the image
  cv::Mat alpha;  ///< CV_32FC1, roi-sized, ink coverage in [0, 1]
};

struct DebugSample {
  Sample sample;
  std::vector<std::vector<CharInk>> ink;  ///< [line][char], parallel to sample.lines
  /// Each character's contrast (grey levels of its own mark, before noise), as
  /// the camera left it (synth::Legibility); [line][char], parallel to
  /// sample.lines. Its contrast-to-noise ratio is the character's CharAnn::cnr.
  std::vector<std::vector<float>> contrast;
};

class Generator {
 public:
  /// Throws InputError when the charset is invalid or a style has no font.
  Generator(SynthConfig config, std::uint64_t seed);
  Sample generate(std::uint64_t index) const;
  /// generate(index) plus each character's ink (identical sample; slower).
  DebugSample generate_debug(std::uint64_t index) const;
  const SynthConfig& config() const { return config_; }

 private:
  DebugSample generate_impl(std::uint64_t index, bool want_ink) const;
  DebugSample draw(std::uint64_t index, int attempt, bool want_ink) const;
  SynthConfig config_;
  std::uint64_t seed_;
  std::vector<std::string> charset_;  ///< expand_charset(config_.charset)
  std::vector<Style> styles_;         ///< config_.styles or all styles
};

/// Splits lines into words for craft::render_targets.
std::vector<craft::WordQuads> word_quads(const std::vector<LineAnn>& lines);

// ---- data formats (docs/DATA_FORMATS.md) ------------------------------------

/// Character-level annotations, JSON Lines, one object per image:
/// {"image": "000001.png", "style": "printed", "width": W, "height": H,
///  "lines": [{"text": "LOT 42", "chars": [{"c": "L", "quad": [[x,y],[x,y],[x,y],[x,y]]}, …]}]}
struct Annotation {
  std::string image;  ///< path relative to the annotation file's folder
  std::string style;
  cv::Size size;
  std::vector<LineAnn> lines;
  std::vector<Quad> distractors;  ///< optional "distractors": quads of non-text marks
};
std::string to_jsonl(const Annotation& a);                 ///< one line, no newline
Annotation annotation_from_json(std::string_view line);    ///< throws InputError
std::vector<Annotation> read_annotations(const std::string& jsonl_path);
/// The annotation of a generated sample stored as `image`.
Annotation make_annotation(const Sample& s, std::string image);

/// labels.tsv: a header row `image<TAB>text<TAB>style<TAB>legibility<TAB>format`,
/// then one row per image; the lines of one image are joined by the two
/// characters `\n`; a backslash in the text is written `\\` and a tab `\t`, so
/// the column stays one field. `legibility` is weakest_cnr(s) to one decimal
/// (empty when unmeasured); `format` is each line's LineAnn::format, joined and
/// escaped as the text is (empty when no line has one). Readers find columns by
/// name and may ignore the last two.
std::string labels_tsv_header();
std::string labels_tsv_row(const std::string& image, const Sample& s);

// ---- previews ------------------------------------------------------------------

/// The sample's image with character quads (green, a dot at pts[0]) and
/// distractor quads (red) drawn on it.
cv::Mat draw_annotations(const Sample& s);
/// Tiles images (each scaled down to fit `cell`) into a grid of `columns`.
cv::Mat contact_sheet(const std::vector<cv::Mat>& tiles, int columns, cv::Size cell);

}  // namespace ocr2s::synth
