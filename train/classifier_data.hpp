// Classifier training data: labelled 8-bit line-frame crops, from the synthetic
// generator (in memory) or from a crop folder (docs/DATA_FORMATS.md), and the
// augmentation that turns them into classifier inputs. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "assemble/layout.hpp"
#include "assemble/text.hpp"
#include "charcls/classifier.hpp"
#include "synth/synth.hpp"

namespace ocr2s::train {

/// One labelled sample: an 8-bit upright patch in the line frame and the region of
/// it (patch pixels, continuous coordinates) that the classifier's crop box covers.
/// Synthetic samples keep context around the box so augmentation can shift, scale
/// and rotate the box inside real pixels; folder crops are the box exactly.
struct CropSample {
  cv::Mat patch;        ///< CV_8UC1
  cv::Rect2f core;      ///< the crop box inside `patch`
  int label = 0;        ///< class index; the charset's reject_class() = not a character
  int style = -1;       ///< synth::Style as int; -1 = unknown (folder data)
  /// The character's contrast-to-noise ratio (synth::CharAnn::cnr); +infinity
  /// when unknown (folder data, reject crops).
  float legibility = std::numeric_limits<float>::infinity();
  /// Mined from the detector's own output on a generated image (a detection the
  /// ground truth labels as a character or as nothing), not from ground truth.
  bool mined = false;
};

/// Style index used for samples without a style in per-style reports.
inline constexpr int kNoStyle = -1;

// ---- label folders ---------------------------------------------------------------

/// Reads a crop folder (docs/DATA_FORMATS.md "Character crops"):
/// DIR/<label-dir>/*.png with <label-dir> as synth::crop_label_dir names it (the
/// character for [0-9A-Za-z], else U+XXXX; _reject = not a character). Images are
/// converted to 8-bit gray; crops whose size differs from `crop_size` are resized.
/// Folders are read in sorted order, files sorted within them. Throws InputError
/// when DIR does not exist, holds no crops, or has a folder that names no label.
struct FolderCrops {
  std::vector<std::string> labels;   ///< label per sample ("" = reject)
  std::vector<cv::Mat> crops;        ///< CV_8UC1, crop_size
};
FolderCrops read_crop_folder(const std::string& dir, cv::Size crop_size);

/// Turns folder crops into samples of `charset`; labels not in it are dropped and
/// counted in *dropped.
std::vector<CropSample> samples_from_folder(const FolderCrops& f, const assemble::Charset& charset,
                                            int* dropped = nullptr);

/// Writes one crop as DIR/<label-dir>/<name>.png (folders created as needed; the
/// empty label is the reject class).
void write_crop(const std::string& dir, const std::string& label, const std::string& name,
                const cv::Mat& crop_u8);

// ---- synthetic crops --------------------------------------------------------------

struct SynthCropOptions {
  synth::SynthConfig synth;       ///< generator configuration (charset, styles…)
  std::uint64_t seed = 1;
  std::uint64_t first_index = 0;  ///< generator indices [first_index, first_index + images)
  int images = 1000;
  charcls::CropSpec crop;
  /// Training samples keep this much context: the patch spans context × the crop
  /// box (1 = exactly the box, as at inference). Validation uses 1.
  float context = 1.5f;
  /// Reject ("not a character") crops per character crop (synth::CropGeometry):
  /// boxes on distractors, on empty background, and zoomed out over several
  /// characters.
  float reject_ratio = 0.25f;
  /// When set, each generated image is also read by the detector (detection,
  /// postprocessing and layout as the reader runs them), and its detections are
  /// cropped in the reader's own line frame and labelled by the ground truth
  /// (match_detections): the characters as the reader will crop them, and the
  /// detector's false alarms as "not a character". Called from several threads.
  std::function<std::vector<assemble::LayoutLine>(const cv::Mat& image)> detect;
  /// With `detect`: also keep the detections that are characters (else only the
  /// false alarms, as reject crops).
  bool mine_characters = false;
  int threads = 1;
};

/// A detection judged against the generator's ground truth.
struct DetectionMatch {
  int line = 0, index = 0;          ///< the detection: lines[line].chars[index]
  std::string label;                ///< the character it is; empty = not a character
  int gt_line = -1, gt_index = -1;  ///< the ground-truth character (label non-empty)
};

/// Labels the detections of `lines` by `sample`'s ground-truth character quads.
/// A detection whose centre lies in exactly one character's quad, alone among the
/// detections, that overlaps it with IoU ≥ min_iou and covers no other character
/// by a quarter of its area is that character; one whose centre lies in no
/// character's quad, that overlaps every character with IoU < max_reject_iou and
/// covers none by a tenth is not a character. The rest (a glyph cut in two, two
/// glyphs merged, a box off its glyph) are left out: no label fits them.
std::vector<DetectionMatch> match_detections(const synth::Sample& sample,
                                             const std::vector<assemble::LayoutLine>& lines,
                                             float min_iou = 0.3f, float max_reject_iou = 0.05f);

/// Generates images with synth::Generator and takes their crops from the synth
/// crop sampler (synth::sample_line_crops: the inference geometry, make_line over
/// the line's GT quads + crop_box + extract_crops_u8, and reject crops). With
/// context > 1 each crop is re-cut from the image with that much margin, for
/// augmentation. Characters whose label is not in `charset` are skipped.
std::vector<CropSample> synth_crops(const SynthCropOptions& options,
                                    const assemble::Charset& charset);

// ---- augmentation ------------------------------------------------------------------

struct AugmentOptions {
  float shift = 0.10f;       ///< max centre shift, fraction of the crop box height
  float scale = 0.12f;       ///< box size × U(1 − scale, 1 + scale)
  float aspect = 0.08f;      ///< width / height × U(1 − aspect, 1 + aspect)
  float rotate_deg = 4.f;    ///< max rotation of the box
  float blur_p = 0.3f;       ///< Gaussian blur (σ ≤ 1.1 px) probability
  float noise_p = 0.4f;      ///< Gaussian noise, σ = 5–30% of the crop's own deviation
  float contrast_p = 0.5f;   ///< contrast squeeze (× 0.3…1) and gamma
  float invert_p = 0.5f;     ///< polarity flip
  float dropout_p = 0.15f;   ///< dot / stroke dropout: 1–3 ink spots painted over
};

/// The sample's crop box as it is (no augmentation), cut to `size` in the line
/// frame: what the network sees before normalize_crop. CV_8UC1.
cv::Mat sample_crop_u8(const CropSample& s, cv::Size size);

/// One training input: jittered box → extract_crops_u8 → photometric
/// augmentation → normalize_crop. Without augmentation (aug == nullptr) the box is
/// taken as is. Returns CV_32FC1 of `size`.
cv::Mat make_input(const CropSample& s, cv::Size size, const AugmentOptions* aug,
                   std::mt19937_64& rng);

// ---- charsets ----------------------------------------------------------------------

/// Charset from a generator-style charset string ("0-9A-Z./:#+()%,_-").
assemble::Charset charset_from_string(const std::string& charset);
/// A generator charset string naming exactly these labels ('-' last, so it is a
/// literal).
std::string charset_string(const std::vector<std::string>& labels);

}  // namespace ocr2s::train
