// The Reader wires the stages: detector → postprocess → layout → crops →
// one batched classifier forward → text. See include/ocr2s/reader.hpp.
#include "ocr2s/reader.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "assemble/layout.hpp"
#include "assemble/pattern.hpp"
#include "assemble/text.hpp"
#include "charcls/classifier.hpp"
#include "charcls/crops.hpp"
#include "compute_threads.hpp"
#include "craft/detector.hpp"
#include "craft/postprocess.hpp"

namespace ocr2s {

std::string default_model_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("OCR2S_MODEL_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  if (fs::exists(fs::path(OCR2S_INSTALL_MODEL_DIR) / "detector.pt", ec)) return OCR2S_INSTALL_MODEL_DIR;
  return OCR2S_SOURCE_MODEL_DIR;
}

namespace {

template <typename T>
void check_range(const char* name, T value, T lo, T hi) {
  // Written so that NaN fails too.
  if (!(value >= lo && value <= hi)) {
    throw ConfigError(std::string(name) + " = " + std::to_string(value) + " is outside [" +
                      std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

void validate(const ReaderConfig& c) {
  check_range("craft.canvas", c.craft.canvas, 64, 4096);
  check_range("craft.magnify", c.craft.magnify, 0.25f, 4.0f);
  if (c.craft.target_char_height != 0.0f) {
    check_range("craft.target_char_height", c.craft.target_char_height, 8.0f, 512.0f);
  }
  check_range("craft.scale_tolerance", c.craft.scale_tolerance, 1.0f, 16.0f);
  check_range("craft.max_auto_magnify", c.craft.max_auto_magnify, 0.25f, 4.0f);
  check_range("craft.seed_threshold", c.craft.seed_threshold, 1e-6f, 1.0f);
  check_range("craft.grow_threshold", c.craft.grow_threshold, 1e-6f, c.craft.seed_threshold);
  check_range("craft.confirm_threshold", c.craft.confirm_threshold, 0.0f, 1.0f);
  check_range("craft.link_threshold", c.craft.link_threshold, 1e-6f, 1.0f);
  check_range("craft.split_depth", c.craft.split_depth, 0.0f, 1.0f);
  check_range("craft.min_area", c.craft.min_area, 0.0f, 1e6f);
  check_range("craft.max_aspect", c.craft.max_aspect, 1.0f, 1e3f);
  check_range("classifier.top_k", c.classifier.top_k, 1, 16);
  check_range("classifier.min_confidence", c.classifier.min_confidence, 0.0f, 1.0f);
  check_range("classifier.max_batch", c.classifier.max_batch, 1, 65536);
  check_range("classifier.reread_below", c.classifier.reread_below, 0.0f, 1.0f);
  check_range("assemble.max_word_gap", c.assemble.max_word_gap, 0.0f, 100.0f);
  check_range("assemble.like_height_ratio", c.assemble.like_height_ratio, 1.0f, 100.0f);
  check_range("assemble.max_unlike_word_gap", c.assemble.max_unlike_word_gap, 0.0f, 100.0f);
  check_range("assemble.max_line_offset", c.assemble.max_line_offset, 0.0f, 10.0f);
  check_range("assemble.max_angle_diff_deg", c.assemble.max_angle_diff_deg, 0.0f, 90.0f);
  check_range("assemble.max_height_ratio", c.assemble.max_height_ratio, 1.0f, 100.0f);
  check_range("assemble.veto_doubt", c.assemble.veto_doubt, 0.0f, 1.0f);
  check_range("torch_threads", c.torch_threads, 0, 1024);
}

ReaderConfig resolve(ReaderConfig c) {
  const std::string dir = default_model_dir();
  if (c.craft.model.empty()) c.craft.model = (std::filesystem::path(dir) / "detector.pt").string();
  if (c.classifier.model.empty()) {
    c.classifier.model = (std::filesystem::path(dir) / "classifier.pt").string();
  }
  return c;
}

// Per-image work between the two network passes.
struct Pending {
  std::vector<assemble::LayoutLine> lines;  // all regions, in ROI order
  std::vector<std::size_t> region_end;      // per ROI: one past its last line in `lines`
  std::size_t first_crop = 0;               // index of the first crop of this image
  std::size_t num_crops = 0;
  ReadTiming timing;  // the stages timed so far
};

// Adds the wall time from its construction to stop() or its destruction,
// whichever comes first, to a ReadTiming field.
class StageClock {
 public:
  explicit StageClock(double& ms) : ms_(&ms), start_(std::chrono::steady_clock::now()) {}
  StageClock(const StageClock&) = delete;
  StageClock& operator=(const StageClock&) = delete;
  ~StageClock() { stop(); }
  void stop() {
    if (ms_ == nullptr) return;
    *ms_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
                .count();
    ms_ = nullptr;
  }

 private:
  double* ms_;
  std::chrono::steady_clock::time_point start_;
};

std::string size_string(const cv::Mat& image) {
  return std::to_string(image.cols) + "×" + std::to_string(image.rows);
}

// Runs a step that goes through a network. LibTorch does not throw only
// c10::Error: a TorchScript module's `raise` or `assert` arrives as
// torch::jit::JITException (a std::runtime_error), and other std exceptions may
// come from inside a model. All of them are the model's fault and leave as a
// ModelError naming the file; ocr2s errors, OpenCV's and the allocator's pass on
// (Reader::read turns the latter two into InputErrors).
template <typename F>
auto model_step(const std::string& model, const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const cv::Exception&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(model + ": " + what + ": " + e.what());
  }
}

}  // namespace

struct Reader::Impl {
  ReaderConfig config;
  craft::Detector detector;
  charcls::Classifier classifier;

  explicit Impl(const ReaderConfig& c)
      : config(c),
        detector(model_step(c.craft.model, "cannot load the detector",
                            [&] { return craft::Detector(c.craft); })),
        classifier(model_step(c.classifier.model, "cannot load the classifier",
                              [&] { return charcls::Classifier(c.classifier); })) {}

  // Per-call decoding state derived from ReadOptions (validated before any work).
  struct CallState {
    assemble::DecodeOptions decode;
    std::optional<assemble::Pattern> pattern;
  };

  CallState prepare(const ReadOptions& o) const {
    CallState s;
    if (!o.allowlist.empty()) s.decode.mask = assemble::allow_mask(classifier.charset(), o.allowlist);
    if (!o.pattern.empty()) s.pattern = assemble::Pattern::compile(o.pattern);
    // Written so that NaN fails too (any negative value means "the default").
    if (!(o.min_confidence <= 1.0f)) {
      throw InputError("min_confidence = " + std::to_string(o.min_confidence) + " is above 1 or NaN");
    }
    s.decode.min_confidence = o.min_confidence >= 0.0f ? o.min_confidence : config.classifier.min_confidence;
    s.decode.top_k = config.classifier.top_k;
    s.decode.veto_doubt = config.assemble.veto_doubt;
    return s;
  }

  static std::vector<cv::Rect> regions(const cv::Mat& image, const ReadOptions& o) {
    const cv::Rect whole(0, 0, image.cols, image.rows);
    if (o.rois.empty()) return {whole};
    std::vector<cv::Rect> out;
    for (std::size_t i = 0; i < o.rois.size(); ++i) {
      // Clipped in 64 bits: cv::Rect's operator& computes x + width in int, which
      // overflows for ROIs near INT_MAX (undefined behaviour, not an empty ROI).
      const cv::Rect& q = o.rois[i];
      const std::int64_t x0 = std::max<std::int64_t>(q.x, 0);
      const std::int64_t y0 = std::max<std::int64_t>(q.y, 0);
      const std::int64_t x1 = std::min<std::int64_t>(std::int64_t{q.x} + q.width, image.cols);
      const std::int64_t y1 = std::min<std::int64_t>(std::int64_t{q.y} + q.height, image.rows);
      const cv::Rect r = q.width > 0 && q.height > 0 && x1 > x0 && y1 > y0
                             ? cv::Rect(static_cast<int>(x0), static_cast<int>(y0),
                                        static_cast<int>(x1 - x0), static_cast<int>(y1 - y0))
                             : cv::Rect();
      if (r.empty()) {
        throw InputError("ROI " + std::to_string(i) + " (" + std::to_string(q.x) + ", " +
                         std::to_string(q.y) + ", " + std::to_string(q.width) + "×" +
                         std::to_string(q.height) + ") does not intersect the " +
                         std::to_string(image.cols) + "×" + std::to_string(image.rows) + " image");
      }
      out.push_back(r);
    }
    return out;
  }

  // Detector + postprocess + layout for one image; appends its crops.
  Pending locate(const cv::Mat& image, const ReadOptions& o, const std::vector<craft::ScoreMaps>* maps_in,
                 std::vector<cv::Mat>& crops) const {
    Pending p;
    ReadTiming& t = p.timing;
    p.first_crop = crops.size();
    const auto rois = regions(image, o);
    cv::Mat gray;
    {
      StageClock clock(t.crops_ms);
      gray = charcls::to_gray8(image);
    }
    const auto& spec = classifier.crop_spec();
    for (std::size_t r = 0; r < rois.size(); ++r) {
      const cv::Mat sub = image(rois[r]);
      const cv::Point2f origin(static_cast<float>(rois[r].x), static_cast<float>(rois[r].y));
      craft::ScoreMaps maps;
      if (maps_in != nullptr) {
        maps = (*maps_in)[r];
      } else {
        StageClock clock(t.detector_ms);
        maps = detect(sub);
      }
      craft::CharGraph graph;
      {
        StageClock clock(t.postprocess_ms);
        graph = characters(maps, origin, image);
      }
      // Automatic scale: characters far from the size the detector reads best
      // are detected again at that size.
      if (const float m = craft::rescale_magnify(graph, maps, sub.size(), config.craft); m > 0.f) {
        {
          StageClock clock(t.detector_ms);
          maps = detect(sub, m);
        }
        StageClock clock(t.postprocess_ms);
        graph = characters(maps, origin, image);
      }
      StageClock layout(t.layout_ms);
      auto lines = assemble::build_lines(graph, config.assemble);
      assemble::mark_unsure(lines, graph, config.craft.confirm_threshold);
      std::vector<assemble::CropBox> boxes;
      for (const auto& line : lines) {
        const auto b = assemble::crop_boxes(line, spec.frame());
        boxes.insert(boxes.end(), b.begin(), b.end());
      }
      layout.stop();
      StageClock cutting(t.crops_ms);
      auto c = charcls::extract_crops(gray, boxes, spec.size);
      crops.insert(crops.end(), std::make_move_iterator(c.begin()), std::make_move_iterator(c.end()));
      p.region_end.push_back(p.lines.size() + lines.size());
      p.lines.insert(p.lines.end(), std::make_move_iterator(lines.begin()),
                     std::make_move_iterator(lines.end()));
    }
    p.num_crops = crops.size() - p.first_crop;
    return p;
  }

  // Maps of the region at `origin` of `image` → graph in image pixels.
  craft::CharGraph characters(craft::ScoreMaps& maps, cv::Point2f origin, const cv::Mat& image) const {
    maps.to_image.offset += origin;
    try {
      return craft::postprocess(maps, config.craft);
    } catch (const InputError& e) {
      // The image was valid (the detector accepted it): maps the postprocessor
      // refuses (NaN, inf, wrong size) are the detector model's fault.
      throw ModelError(config.craft.model + ": the detector produced invalid score maps for a " +
                       size_string(image) + " image (" + e.what() + ")");
    }
  }

  craft::ScoreMaps detect(const cv::Mat& image) const {
    return model_step(config.craft.model, "the detector failed on a " + size_string(image) + " image",
                      [&] { return detector.detect(image); });
  }

  craft::ScoreMaps detect(const cv::Mat& image, float magnify) const {
    return model_step(config.craft.model,
                      "the detector failed on a " + size_string(image) + " image at magnification " +
                          std::to_string(magnify),
                      [&] { return detector.detect(image, magnify); });
  }

  std::vector<craft::ScoreMaps> detect_batch(const std::vector<cv::Mat>& images) const {
    return model_step(config.craft.model,
                      "the detector failed on a batch of " + std::to_string(images.size()) + " images",
                      [&] { return detector.detect_batch(images); });
  }

  // Classifier output rows must be distributions; a model with NaN or infinite
  // weights produces rows that would otherwise flow into the text as garbage.
  std::vector<std::vector<float>> classify(const std::vector<cv::Mat>& crops, double& ms) const {
    StageClock clock(ms);
    std::vector<std::vector<float>> probs;
    try {
      probs = model_step(config.classifier.model, "the classifier failed on " + std::to_string(crops.size()) + " crops",
                         [&] { return classifier.classify(crops); });
    } catch (const ModelError& e) {
      const std::string what = e.what();
      if (what.rfind(config.classifier.model, 0) == 0) throw;
      throw ModelError(config.classifier.model + ": " + what);
    }
    const std::size_t classes = static_cast<std::size_t>(classifier.charset().num_classes());
    for (std::size_t i = 0; i < probs.size(); ++i) {
      const auto& row = probs[i];
      const bool finite = std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); });
      if (row.size() != classes || !finite) {
        throw ModelError(config.classifier.model + ": the classifier produced " +
                         (finite ? std::to_string(row.size()) + " probabilities instead of " +
                                       std::to_string(classes)
                                 : std::string("NaN or infinite probabilities")) +
                         " for crop " + std::to_string(i));
      }
    }
    return probs;
  }

  // Second looks at doubtful places of a line's graph (assemble::merge_splits,
  // assemble::fill_gaps): crops of `quad_of(line, i)` for each candidate i, in
  // the line's frame, classified in one call. `gray` is converted on first use.
  template <typename QuadOf>
  std::vector<std::vector<float>> second_look(const cv::Mat& image, cv::Mat& gray,
                                              const assemble::LayoutLine& line,
                                              const std::vector<std::size_t>& candidates,
                                              QuadOf quad_of, ReadTiming& t) const {
    std::vector<Quad> quads;
    for (const std::size_t i : candidates) quads.push_back(quad_of(line, i));
    return second_look(image, gray, line, quads, t);
  }
  std::vector<std::vector<float>> second_look(const cv::Mat& image, cv::Mat& gray,
                                              const assemble::LayoutLine& line,
                                              const std::vector<Quad>& quads, ReadTiming& t) const {
    StageClock cutting(t.crops_ms);
    if (gray.empty()) gray = charcls::to_gray8(image);
    const auto& spec = classifier.crop_spec();
    std::vector<assemble::CropBox> boxes;
    for (const Quad& q : quads) boxes.push_back(assemble::crop_box(line, q, spec.frame()));
    const auto crops = charcls::extract_crops(gray, boxes, spec.size);
    cutting.stop();
    return classify(crops, t.classifier_ms);
  }

  // ClassifierConfig::reread_below: each doubtful character of the image's
  // lines is read again from nearby views of its crop, all in one call.
  void reread_doubtful(const cv::Mat& image, cv::Mat& gray,
                       const std::vector<assemble::LayoutLine>& lines,
                       std::vector<std::vector<float>>& probs, ReadTiming& t) const {
    const auto doubtful = assemble::doubtful_characters(probs, config.classifier.reread_below);
    if (doubtful.empty()) return;
    StageClock cutting(t.crops_ms);
    if (gray.empty()) gray = charcls::to_gray8(image);
    const auto& spec = classifier.crop_spec();
    const auto views = assemble::nearby_views(lines, doubtful, spec.frame());
    const auto crops = charcls::extract_crops(gray, views, spec.size);
    cutting.stop();
    assemble::average_views(probs, doubtful, classify(crops, t.classifier_ms));
  }

  // One line's text: the second looks at its doubtful places, then decoding.
  Line read_line(const cv::Mat& image, cv::Mat& gray, assemble::LayoutLine line,
                 std::vector<std::vector<float>> line_probs, const assemble::DecodeOptions& d,
                 ReadTiming& t) const {
    const auto& charset = classifier.charset();
    // A wide glyph detected in two overlapping parts is read as their union.
    const auto splits = assemble::split_candidates(line, line_probs, charset);
    if (!splits.empty()) {
      const auto rows = second_look(image, gray, line, splits, assemble::joined_quad, t);
      assemble::merge_splits(line, line_probs, splits, rows, charset);
    }
    // A narrow mark merged into its neighbour's node: a node wider than the
    // line's others whose two halves both read as characters is split in two
    // (flagged).
    const auto wides = assemble::wide_candidates(line, line_probs, charset);
    if (!wides.empty()) {
      const auto rows = second_look(image, gray, line, assemble::half_quads(line, wides), t);
      assemble::split_wide(line, line_probs, wides, rows, charset);
    }
    // A character missed inside a word is read at the gap's centre (inserted
    // flagged), or the gap's neighbours are flagged.
    const auto gaps = assemble::gap_candidates(line);
    if (!gaps.empty()) {
      const auto rows = second_look(image, gray, line, gaps, assemble::gap_quad, t);
      assemble::fill_gaps(line, line_probs, gaps, rows, charset);
    }
    assemble::merge_duplicates(line, line_probs, charset);
    // One glyph detected as two close characters: after the duplicates are
    // merged, their union is read, and kept (flagged) when it is one character.
    const auto tight = assemble::tight_candidates(line, line_probs, charset);
    if (!tight.empty()) {
      const auto rows = second_look(image, gray, line, tight, assemble::joined_quad, t);
      assemble::merge_tight(line, line_probs, tight, rows, charset);
    }
    return assemble::decode_line(line, line_probs, charset, d);
  }

  ReadResult finish(const cv::Mat& image, const Pending& p, const std::vector<std::vector<float>>& probs,
                    const CallState& s, const ReadOptions& o) const {
    const auto start = std::chrono::steady_clock::now();
    ReadResult result;
    result.image_size = image.size();
    ReadTiming& t = result.timing;
    t = p.timing;
    const double looks_before = t.classifier_ms + t.crops_ms;
    assemble::DecodeOptions d = s.decode;
    d.pattern = s.pattern ? &*s.pattern : nullptr;
    cv::Mat gray;  // converted when a line needs a second look (rare)
    const auto mine = probs.begin() + static_cast<std::ptrdiff_t>(p.first_crop);
    std::vector<std::vector<float>> own(mine, mine + static_cast<std::ptrdiff_t>(p.num_crops));
    reread_doubtful(image, gray, p.lines, own, t);
    auto next = own.cbegin();
    std::size_t begin = 0;
    for (const std::size_t end : p.region_end) {
      std::vector<Line> region;  // the read lines of one ROI
      for (std::size_t l = begin; l < end; ++l) {
        const auto first = next;
        next += static_cast<std::ptrdiff_t>(p.lines[l].chars.size());
        Line out = read_line(image, gray, p.lines[l], {first, next}, d, t);
        // A line made only of vetoed detections is no text at all.
        if (!out.chars.empty()) region.push_back(std::move(out));
      }
      // A character left alone in its line beside a code is set aside as a mark.
      if (config.assemble.flag_lone_characters) {
        for (auto& m : assemble::set_aside_lone_characters(region))
          result.marks.push_back(std::move(m));
      }
      result.lines.insert(result.lines.end(), std::make_move_iterator(region.begin()),
                          std::make_move_iterator(region.end()));
      begin = end;
    }
    if (!o.expect.empty()) {
      result.has_verification = true;
      result.verification = assemble::verify(result, o.expect);
    }
    // What finishing took beside its classifier calls and crops is text.
    t.text_ms += std::max(
        0.0, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count() -
                 (t.classifier_ms + t.crops_ms - looks_before));
    return result;
  }
};

Reader::Reader(ReaderConfig config) {
  validate(config);
  config = resolve(std::move(config));
  if (config.torch_threads > 0) set_compute_threads(config.torch_threads);
  impl_ = std::make_unique<Impl>(config);
}

Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

namespace {

std::string describe(const cv::Mat& image) {
  return std::to_string(image.cols) + "×" + std::to_string(image.rows) + " " +
         cv::typeToString(image.type()) + " image";
}

// The library boundary: OpenCV's and the allocator's exceptions leave as
// ocr2s::Error with the image named, so a batch caller catching ocr2s::Error
// skips one bad image instead of dying on it.
template <typename F>
auto guarded(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const cv::Exception& e) {
    throw InputError(what + ": OpenCV failed: " + e.what());
  } catch (const std::bad_alloc&) {
    throw InputError(what + ": out of memory while reading it");
  }
}

}  // namespace

ReadResult Reader::read(const cv::Mat& image, const ReadOptions& options) const {
  return guarded(describe(image), [&] {
    auto state = impl_->prepare(options);
    std::vector<cv::Mat> crops;
    Pending p = impl_->locate(image, options, nullptr, crops);
    const auto probs = impl_->classify(crops, p.timing.classifier_ms);
    return impl_->finish(image, p, probs, state, options);
  });
}

std::vector<ReadResult> Reader::read_batch(const std::vector<cv::Mat>& images,
                                           const ReadOptions& options) const {
  return guarded("batch of " + std::to_string(images.size()) + " images", [&] {
    auto state = impl_->prepare(options);
    std::vector<cv::Mat> crops;
    std::vector<Pending> pending;
    pending.reserve(images.size());
    if (options.rois.empty()) {
      // Whole images: one batched detector call (images of equal padded size share
      // a forward pass), then one classifier call for every crop of every image.
      double detect_ms = 0;
      std::vector<craft::ScoreMaps> maps;
      {
        StageClock clock(detect_ms);
        maps = impl_->detect_batch(images);
      }
      for (std::size_t i = 0; i < images.size(); ++i) {
        const std::vector<craft::ScoreMaps> one{maps[i]};
        pending.push_back(impl_->locate(images[i], options, &one, crops));
        pending.back().timing.detector_ms += detect_ms / static_cast<double>(images.size());
      }
    } else {
      for (const auto& image : images) pending.push_back(impl_->locate(image, options, nullptr, crops));
    }
    double classify_ms = 0;
    const auto probs = impl_->classify(crops, classify_ms);
    for (Pending& p : pending) {  // the batch's classifier time, shared by crops
      p.timing.classifier_ms += crops.empty() ? classify_ms / static_cast<double>(pending.size())
                                              : classify_ms * static_cast<double>(p.num_crops) /
                                                    static_cast<double>(crops.size());
    }
    std::vector<ReadResult> out;
    out.reserve(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
      out.push_back(impl_->finish(images[i], pending[i], probs, state, options));
    }
    return out;
  });
}

const ReaderConfig& Reader::config() const noexcept { return impl_->config; }
const std::vector<std::string>& Reader::charset() const noexcept {
  return impl_->classifier.charset().labels;
}

}  // namespace ocr2s
