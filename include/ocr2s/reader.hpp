// ocr2s — the Reader: image in, text with per-character boxes and confidences out.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "ocr2s/config.hpp"
#include "ocr2s/errors.hpp"
#include "ocr2s/export.hpp"
#include "ocr2s/result.hpp"

namespace ocr2s {

/// Reads industrial codes: CRAFT detector → character graph → lines →
/// one batched classifier forward over line-frame character crops → text.
///
/// Construction loads and validates both models and the whole config; it throws
/// ModelError (missing, corrupt or inconsistent model file) or ConfigError (a
/// value out of its documented range). A constructed Reader is ready to read.
///
/// THREAD SAFETY: read() and read_batch() are const and may be called
/// concurrently from any number of threads on one Reader; the models are
/// immutable after construction and each call keeps its own state. Results do
/// not depend on how calls are interleaved. Construction, move and destruction
/// must not race with reads. The Reader is move-only: copies would share hidden
/// state, so there are none.
///
/// INPUTS: 8-bit or 16-bit, 1, 3 or 4 channels (gray, BGR, BGRA, as
/// cv::imread returns them) or 32-bit float in [0, 1]. The caller's image is
/// never modified. An empty image or another type is an InputError.
///
/// PROCESS-WIDE SETTINGS: the first Reader sets, once per process, glibc's
/// malloc to keep allocations of up to 64 MB in the heap (M_MMAP_THRESHOLD,
/// M_TRIM_THRESHOLD; left alone when GLIBC_TUNABLES or a MALLOC_*_ variable is
/// set) and oneDNN's primitive cache to 32 compiled
/// convolutions (left alone when ONEDNN_PRIMITIVE_CACHE_CAPACITY or
/// DNNL_PRIMITIVE_CACHE_CAPACITY is set). ReaderConfig::torch_threads sets the
/// compute thread pools (see there).
class OCR2S_API Reader {
 public:
  explicit Reader(ReaderConfig config = {});
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// Reads one image. Throws InputError for an unreadable image or invalid
  /// options (also when OpenCV fails on the image or memory runs out reading it),
  /// PatternError for a malformed pattern, ModelError naming the model file when
  /// a model misbehaves on this input (a forward pass that fails, NaN scores).
  /// Nothing else: a batch caller that catches ocr2s::Error can skip the image.
  ReadResult read(const cv::Mat& image, const ReadOptions& options = {}) const;

  /// Reads many images with one batched classifier forward pass (and batched
  /// detector passes for images of equal padded size). result[i] belongs to
  /// images[i]. Same errors as read(); one bad image fails the whole call, so
  /// batch tools that must continue past bad files call read() per image.
  std::vector<ReadResult> read_batch(const std::vector<cv::Mat>& images,
                                     const ReadOptions& options = {}) const;

  /// The configuration the reader was built with, model paths resolved.
  const ReaderConfig& config() const noexcept;
  /// The classifier's charset, one UTF-8 character per entry, in class order.
  const std::vector<std::string>& charset() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Decodes an image file for read(): like cv::imread(path, IMREAD_UNCHANGED), for
/// PNG, JPEG, BMP, TIFF, WebP, PNM and PFM files only. Before decoding it parses the
/// header and refuses an image over 250 megapixels, or one whose file is too small
/// to hold the pixels its header claims (a truncated or forged header: no
/// allocation proportional to what a hostile header says), and a JPEG without its
/// end-of-image marker. Throws InputError naming the file on any failure,
/// including a path that is missing, a directory, a FIFO or a device.
OCR2S_API cv::Mat load_image(const std::string& path);

}  // namespace ocr2s
