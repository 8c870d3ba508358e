// Classifier training and fine-tuning (`ocr2s train classifier`). Torch-free
// interface; the network, optimiser and loop live in classifier_train.cpp.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "assemble/text.hpp"
#include "charcls/classifier.hpp"
#include "classifier_data.hpp"

namespace ocr2s::train {

struct TrainClassifierOptions {
  // ---- data ----
  std::string data;          ///< crop folder (DIR/<label>/*.png); may be combined with synth
  bool synth = false;        ///< generate crops in memory with synth::Generator
  /// Validation crop folder. Empty: synthetic crops from val_seed when synth is
  /// set, else a held-out 10% of `data`. When fine-tuning with replay, synthetic
  /// crops of the base classes from val_seed are always added, so the report shows
  /// what the old classes kept.
  std::string val;
  std::string charset = "0-9A-Z./:#+()%,_-";  ///< classes of a fresh model (generator syntax)
  std::string styles;        ///< synthetic styles, comma-separated names; empty = all
  int synth_images = 5000;   ///< generated images in the training pool
  std::uint64_t val_seed = 9001;  ///< generator seed of synthetic validation (unseen)
  int val_images = 600;      ///< generated validation images
  float reject_ratio = 0.25f;  ///< "not a character" crops per character crop (synthetic)
  // ---- fine-tuning ----
  /// Base model to fine-tune: the new charset is the union of its charset, the
  /// labels found in `data` and `charset` (when given explicitly); old classes keep
  /// their weights (final-layer rows copied), new rows start fresh, reject stays last.
  std::string base;
  /// Synthetic images of the base charset replayed while fine-tuning, so the old
  /// classes keep their accuracy (0: none).
  int replay_images = 1500;
  bool charset_given = false;  ///< set when --charset was passed (union with the base)
  // ---- distillation ----
  /// Trained models to learn from as well as from the labels (knowledge
  /// distillation, Hinton et al. 2015): the loss is (1 − w)·cross-entropy +
  /// w·T²·KL(teacher ‖ student), both softened by T, the teachers seeing the same
  /// augmented crops. Several teachers teach as one ensemble: the mean of their
  /// softened probabilities. Each one's charset must be the student's, class for
  /// class, and its crop geometry the student's; its logit adjustment is taken
  /// off, so it teaches the class-balanced scores the student learns. Empty: none.
  std::vector<std::string> teachers;
  float distill_weight = 0.5f;      ///< w
  float distill_temperature = 2.f;  ///< T
  // ---- model ----
  charcls::CropSpec crop;    ///< crop geometry of a fresh model (a base model keeps its own)
  /// Conv widths of a fresh model (the first conv at stride 1, each later one at
  /// stride 2); empty = the network's default (charcls/classifier_net.hpp). A base
  /// model keeps its own architecture.
  std::vector<int> channels;
  int hidden = -1;           ///< hidden FC width of a fresh model; 0 = none, -1 = default
  // ---- optimisation ----
  std::string out = "classifier.pt";
  long steps = 14000;
  double epochs = 0;         ///< > 0: steps = epochs × training pool size / batch (overrides steps)
  int batch = 128;
  double lr = 0;             ///< peak (AdamW, warm-up + cosine); 0: 3e-3 fresh, 1e-3 fine-tune
  double weight_decay = 1e-4;
  long warmup = 200;
  /// Exponential moving average of the weights (Polyak averaging): after each
  /// step every parameter and BatchNorm statistic of an averaged copy moves
  /// (1 − d) of the way to the trained network's, with d = min(ema_decay,
  /// (1 + t) / (10 + t)) at step t. Validation, calibration and the saved model
  /// use the averaged copy. 0: off (the trained network itself).
  double ema_decay = 0;
  std::uint64_t seed = 1;
  int threads = 1;
  long val_every = 1000;     ///< validation + checkpoint (written to OUT) every N steps; 0: end only
  long log_every = 100;
  /// When set: the final validation's misclassified crops are written here
  /// (write_misses), so that what the model gets wrong can be looked at.
  std::string errors_dir;
  float reject_weight = 3.f; ///< sampling weight of the reject class relative to one character class
  /// Within its class, a crop whose character's contrast-to-noise ratio is below
  /// faint_below is drawn faint_weight times as often as the others (synthetic
  /// crops; faint but legible characters are where the classifier errs most).
  int faint_weight = 1;
  float faint_below = 10.f;
  /// Legibility floor (synth::SynthConfig::min_cnr) of the generated training
  /// images; negative: the generator's default. Validation and calibration
  /// images always use the default, so their figures stay comparable.
  float train_min_cnr = -1.f;
  /// Detector model whose detections on the generated training images are mined
  /// (SynthCropOptions::detect): cropped as the reader crops them, labelled by the
  /// ground truth, false alarms as "not a character". Empty: none.
  std::string mine_detector;
  /// Also learn the mined detections that are characters (SynthCropOptions::
  /// mine_characters); else only its false alarms.
  bool mine_characters = false;
  /// Within the reject class, a mined false alarm is drawn mined_reject_weight
  /// times as often as a reject crop sampled from ground truth (there are far
  /// fewer of them). Mined characters are drawn like the others.
  int mined_reject_weight = 1;
  /// Fresh models: after training, add τ·log π_k to the output bias (π = class
  /// frequencies of the training pool, τ ∈ {0, ¼, ½, ¾, 1} picked for top-1 on the
  /// calibration crops). Training samples classes uniformly, so the network learns
  /// p(x|y)-like scores; this restores the data's own prior for look-alike pairs
  /// (0/O, 2/Z, 1/I, 8/B) whose digits are far more frequent. Off when fine-tuning.
  bool prior_adjust = true;
  AugmentOptions aug;
  std::string command;       ///< the command line, recorded in the model file
};

/// Accuracy of a classifier on labelled crops.
struct ClassifierEval {
  std::vector<std::string> class_names;  ///< labels, then "<reject>"
  long chars = 0, chars_correct = 0;     ///< character crops; correct = top-1 equals the label
  long rejects = 0, rejects_correct = 0; ///< reject crops; correct = top-1 is reject
  /// Per style (index style + 1; 0 = no style): character crops and correct ones.
  std::vector<long> style_chars, style_correct;
  std::vector<std::vector<long>> confusion;  ///< [true class][predicted class]
  double nll = 0;                            ///< mean NLL at the model's temperature
  /// One misclassified sample: its index in the evaluated samples, its class, the
  /// predicted class and that prediction's probability at the model's temperature.
  struct Miss {
    std::size_t sample = 0;
    int truth = 0, predicted = 0;
    float probability = 0.f;
  };
  std::vector<Miss> misses;  ///< in sample order

  double char_accuracy() const { return chars ? double(chars_correct) / chars : 0.0; }
  double reject_recall() const { return rejects ? double(rejects_correct) / rejects : 0.0; }
  /// Accuracy of class k's crops (NaN-free: 0 when there are none).
  double class_accuracy(int k) const;
  long class_count(int k) const;

  struct Pair {
    int truth = 0, predicted = 0;
    long count = 0;
  };
  /// The n most frequent (truth → predicted) errors, most frequent first.
  std::vector<Pair> top_confusions(int n) const;
  /// Multi-line human-readable report: overall, per style, reject, worst confusions.
  std::string report(int confusions = 10) const;
};

/// Labels of a fine-tuned model: the base labels in their order, then each new
/// label not already present, in the given order.
assemble::Charset union_charset(const assemble::Charset& base,
                                const std::vector<std::string>& extra);

/// One training run: network, optimiser, sampling state.
class ClassifierTrainer {
 public:
  /// `samples` are labelled in `charset` (reject = charset.reject_class()). With
  /// options.base set, the network starts from the base model extended to
  /// `charset`, which must contain every base label (use union_charset).
  ClassifierTrainer(TrainClassifierOptions options, assemble::Charset charset,
                    std::vector<CropSample> samples);
  ~ClassifierTrainer();
  ClassifierTrainer(const ClassifierTrainer&) = delete;
  ClassifierTrainer& operator=(const ClassifierTrainer&) = delete;

  /// One optimiser step on a class-balanced, augmented batch; returns its loss.
  float step();
  long steps_done() const;
  /// Evaluation (no augmentation) at the current temperature. With `allowed`
  /// (size num_classes), predictions are restricted to the allowed classes — e.g.
  /// the base model's classes, which reproduces the base model's own top-1 before
  /// fine-tuning (its output rows are copied unchanged).
  ClassifierEval evaluate(const std::vector<CropSample>& samples,
                          const std::vector<bool>* allowed = nullptr) const;
  /// Fits the temperature on `samples` (minimum NLL of softmax(logits / T),
  /// golden-section search over log T) and returns it.
  float calibrate(const std::vector<CropSample>& samples);
  /// Logit adjustment (Menon et al., "Long-tail learning via logit adjustment",
  /// ICLR 2021): picks τ ∈ {0, ¼, ½, ¾, 1} maximising top-1 over all of `samples`
  /// (characters and rejects), adds τ·log π_k to the output bias, and returns τ.
  /// π_k is class k's frequency in the training pool (add-one smoothed).
  float adjust_prior(const std::vector<CropSample>& samples);
  float temperature() const;
  const assemble::Charset& charset() const;
  /// Writes a native model file (see charcls/classifier_net.hpp).
  void save(const std::string& path, const std::string& notes = {}) const;
  /// Floating-point operations of one crop's forward pass.
  std::int64_t flops() const;
  /// How many times sample `i` sits in its class's draw pool: faint_weight for a
  /// faint crop, mined_reject_weight for a mined false alarm, else 1.
  int pool_copies(std::size_t i) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Result of a whole `ocr2s train classifier` run.
struct TrainClassifierResult {
  ClassifierEval val;          ///< final validation (calibrated)
  float prior_tau = 0.f;       ///< logit-adjustment strength applied (0: none)
  /// Fine-tuning only: top-1 on validation crops of the base model's classes
  /// (characters only), before (= the base model) and after fine-tuning, and on
  /// the new classes after.
  double old_before = 0, old_after = 0, new_after = 0;
  long old_count = 0, new_count = 0;
  assemble::Charset charset;
  float temperature = 1.f;
  double seconds = 0;          ///< wall time of the whole run
};

/// Writes each miss of `e`, an evaluation of `samples`, to DIR (created if needed)
/// as NNNNN_<truth>_as_<predicted>.png — the crop as the network sees it (line
/// frame, `size`, 8-bit, before contrast normalisation; labels spelt as
/// synth::crop_label_dir spells folder names, "_reject" for not a character) —
/// and lists them in DIR/errors.tsv: file, truth, predicted, probability, style,
/// legibility (the generator's contrast-to-noise ratio; empty when unknown).
/// Returns the number of crops written. Throws InputError when DIR or a file
/// cannot be written.
int write_misses(const std::string& dir, const std::vector<CropSample>& samples,
                 const ClassifierEval& e, cv::Size size);

/// Builds the data (synthetic and/or folder, validation, replay), trains, calibrates
/// the temperature on the validation crops, writes options.out and prints progress
/// and the final report to `log`.
TrainClassifierResult train_classifier(const TrainClassifierOptions& options, std::ostream& log);

}  // namespace ocr2s::train
