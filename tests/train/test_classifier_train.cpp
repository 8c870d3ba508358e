// Classifier training: data, a few optimiser steps, fine-tuning for a new character.
// Torch (through classifier_net.hpp) brings glog's CHECK macro; Catch's must win.
#include "charcls/classifier_net.hpp"
#undef CHECK
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "charcls/classifier.hpp"
#include "classifier_data.hpp"
#include "classifier_train.hpp"
#include "core/quad_ops.hpp"
#include "ocr2s/errors.hpp"
#include "synth/crops.hpp"
#include "synth/synth.hpp"

namespace fs = std::filesystem;
using namespace ocr2s;
using namespace ocr2s::train;

namespace {

std::string temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "ocr2s_test_train" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// Hand-made samples: glyphs drawn with cv::putText into a 48×48 patch whose
// central 32×32 is the crop box; class `labels.size()` (reject) is texture only.
std::vector<CropSample> drawn_samples(const std::vector<std::string>& labels, int per_class,
                                      unsigned seed) {
  cv::RNG rng(seed);
  std::vector<CropSample> out;
  for (int k = 0; k <= static_cast<int>(labels.size()); ++k) {
    for (int i = 0; i < per_class; ++i) {
      const int bg = rng.uniform(150, 250), ink = rng.uniform(0, 90);
      cv::Mat p(48, 48, CV_8UC1, cv::Scalar(bg));
      if (k < static_cast<int>(labels.size())) {
        const double scale = rng.uniform(0.6, 0.8);
        cv::putText(p, labels[k], cv::Point(16 + rng.uniform(-2, 3), 33 + rng.uniform(-2, 3)),
                    cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(ink), rng.uniform(1, 3), cv::LINE_AA);
      } else {
        cv::Mat n(p.size(), CV_8UC1);
        rng.fill(n, cv::RNG::UNIFORM, 0, 60);
        p -= n;
      }
      CropSample s;
      s.patch = p;
      s.core = cv::Rect2f(8.f, 8.f, 32.f, 32.f);
      s.label = k;
      out.push_back(s);
    }
  }
  return out;
}

// Sixty steps on five easy drawn glyphs: enough to learn them.
TrainClassifierOptions quick_options() {
  TrainClassifierOptions o;
  o.steps = 60;
  o.batch = 32;
  o.warmup = 10;
  o.seed = 3;
  return o;
}

const std::vector<std::string> kFiveGlyphs = {"0", "1", "7", "-", "X"};

}  // namespace

TEST_CASE("classifier training: a few steps lower the loss on hand-made crops", "[train]") {
  assemble::Charset cs;
  cs.labels = kFiveGlyphs;
  const auto train = drawn_samples(cs.labels, 40, 1);
  const auto val = drawn_samples(cs.labels, 20, 2);

  const TrainClassifierOptions o = quick_options();
  ClassifierTrainer trainer(o, cs, train);
  const ClassifierEval before = trainer.evaluate(val);
  float first = 0, last = 0;
  for (int i = 0; i < 60; ++i) {
    const float loss = trainer.step();
    if (i < 5) first += loss / 5;
    if (i >= 55) last += loss / 5;
  }
  const ClassifierEval after = trainer.evaluate(val);
  INFO("train loss " << first << " -> " << last << "; val NLL " << before.nll << " -> " << after.nll
                     << "; val accuracy " << after.char_accuracy());
  CHECK(trainer.steps_done() == 60);
  // Chance level is ln 6 ≈ 1.79. Sixty steps on five easy drawn glyphs reliably
  // reach well under half of that; 0.5× leaves a wide margin against seed noise.
  CHECK(last < 0.5f * first);
  CHECK(after.nll < 0.5 * before.nll);
  CHECK(after.char_accuracy() >= 0.9);

  // The temperature is fitted on held-out crops and lands in the searched range.
  const float t = trainer.calibrate(val);
  CHECK(t > 0.05f);
  CHECK(t < 20.f);
  const ClassifierEval calibrated = trainer.evaluate(val);
  CHECK(calibrated.nll <= after.nll + 1e-4);  // calibration never raises the NLL it minimises
}

TEST_CASE("classifier evaluation lists its misses, and write_misses writes each one", "[train]") {
  assemble::Charset cs;
  cs.labels = kFiveGlyphs;
  const auto val = drawn_samples(cs.labels, 6, 5);
  TrainClassifierOptions o = quick_options();
  ClassifierTrainer trainer(o, cs, drawn_samples(cs.labels, 10, 6));  // untrained: misses plenty
  const ClassifierEval e = trainer.evaluate(val);
  REQUIRE(e.misses.size() ==
          static_cast<std::size_t>(e.chars - e.chars_correct + e.rejects - e.rejects_correct));
  REQUIRE(!e.misses.empty());
  for (const auto& m : e.misses) {
    CHECK(m.truth == val[m.sample].label);
    CHECK(m.predicted != m.truth);
    CHECK(m.probability > 0.f);
    CHECK(m.probability <= 1.f);
  }

  const std::string dir = temp_dir("misses") + "/errors";
  const int n = write_misses(dir, val, e, o.crop.size);
  CHECK(n == static_cast<int>(e.misses.size()));
  std::ifstream tsv(dir + "/errors.tsv");
  std::string line;
  std::getline(tsv, line);
  CHECK(line == "file\ttruth\tpredicted\tprobability\tstyle\tlegibility");
  int rows = 0;
  while (std::getline(tsv, line)) {
    const std::string file = line.substr(0, line.find('\t'));
    const auto& m = e.misses[static_cast<std::size_t>(rows)];
    // Named by sample, truth and prediction; the reject class is "_reject".
    const std::string truth =
        synth::crop_label_dir(m.truth == cs.reject_class() ? std::string() : cs.labels[m.truth]);
    char prefix[24];
    std::snprintf(prefix, sizeof prefix, "%05zu_", m.sample);
    CHECK(file.rfind(prefix + truth + "_as_", 0) == 0);
    const cv::Mat crop = cv::imread(dir + "/" + file, cv::IMREAD_UNCHANGED);
    REQUIRE(!crop.empty());
    CHECK(crop.size() == o.crop.size);
    CHECK(crop.type() == CV_8UC1);
    ++rows;
  }
  CHECK(rows == n);
}

TEST_CASE("classifier training: a fresh network takes the widths it is given", "[train]") {
  assemble::Charset cs;
  cs.labels = {"0", "1"};
  const auto train = drawn_samples(cs.labels, 4, 1);
  TrainClassifierOptions o;
  o.steps = 1;
  o.batch = 4;
  const std::int64_t default_flops = ClassifierTrainer(o, cs, train).flops();
  o.channels = {8, 16, 24};
  o.hidden = 0;
  ClassifierTrainer small(o, cs, train);
  CHECK(small.flops() < default_flops);
  small.step();
  const std::string path = temp_dir("arch") + "/small.pt";
  small.save(path);
  const charcls::ClassifierModel m = charcls::load_classifier_model(path);
  CHECK((m.net->arch.channels == std::vector<int>{8, 16, 24}));
  CHECK(m.net->arch.hidden == 0);
  CHECK(m.net->arch.flops() == small.flops());
}

TEST_CASE("classifier data: crop folders round trip with synth's label names", "[train]") {
  const std::string dir = temp_dir("folder");
  cv::Mat a(32, 32, CV_8UC1, cv::Scalar(10)), b(32, 32, CV_8UC1, cv::Scalar(200));
  write_crop(dir, "A", "x0", a);
  write_crop(dir, ".", "x1", b);
  write_crop(dir, "Ä", "x2", a);
  write_crop(dir, "", "x3", b);  // reject
  CHECK(fs::exists(fs::path(dir) / "A" / "x0.png"));
  CHECK(fs::exists(fs::path(dir) / "U+002E" / "x1.png"));
  CHECK(fs::exists(fs::path(dir) / "U+00C4" / "x2.png"));
  CHECK(fs::exists(fs::path(dir) / "_reject" / "x3.png"));

  const FolderCrops f = read_crop_folder(dir, {32, 32});
  REQUIRE(f.crops.size() == 4);
  std::vector<std::string> labels = f.labels;
  std::sort(labels.begin(), labels.end());
  CHECK(labels == std::vector<std::string>{"", ".", "A", "Ä"});

  assemble::Charset cs;
  cs.labels = {"A", "."};
  int dropped = 0;
  const auto samples = samples_from_folder(f, cs, &dropped);
  CHECK(dropped == 1);  // Ä is not in the charset
  REQUIRE(samples.size() == 3);
  for (const auto& s : samples) {
    CHECK(s.patch.size() == cv::Size(32, 32));
    CHECK((s.label >= 0 && s.label <= cs.reject_class()));
  }

  fs::create_directories(fs::path(dir) / "not-a-label");
  CHECK_THROWS_AS(read_crop_folder(dir, {32, 32}), InputError);
  CHECK_THROWS_AS(read_crop_folder(dir + "/missing", {32, 32}), InputError);
}

TEST_CASE("classifier data: synthetic crops follow the inference geometry", "[train]") {
  SynthCropOptions o;
  o.synth.styles = {synth::Style::kPrinted};
  o.images = 4;
  o.seed = 5;
  const assemble::Charset cs = charset_from_string(o.synth.charset);
  CHECK(cs.labels.size() == 47);  // 0-9 A-Z and ./:#+()%,_-

  o.context = 1.f;
  const auto exact = synth_crops(o, cs);
  o.context = 1.5f;
  const auto wide = synth_crops(o, cs);
  REQUIRE(!exact.empty());
  REQUIRE(exact.size() == wide.size());
  int rejects = 0;
  std::mt19937_64 rng(0);
  for (std::size_t i = 0; i < exact.size(); ++i) {
    CHECK(exact[i].label == wide[i].label);
    rejects += exact[i].label == cs.reject_class();
    // A character's crop knows how legible the generator made it; a reject's does not.
    CHECK(std::isfinite(exact[i].legibility) == (exact[i].label != cs.reject_class()));
    CHECK(exact[i].legibility == wide[i].legibility);
    CHECK(exact[i].patch.size() == cv::Size(32, 32));
    CHECK(wide[i].patch.size() == cv::Size(48, 48));
    // The core of the wide patch is the exact crop, resampled once more
    // (bilinear at 1:1 with a zero offset): mean difference under 3 grey levels.
    const cv::Mat a = make_input(exact[i], {32, 32}, nullptr, rng);
    const cv::Mat b = make_input(wide[i], {32, 32}, nullptr, rng);
    cv::Mat a8, b8;
    exact[i].patch.convertTo(a8, CV_32F);
    const cv::Mat core = wide[i].patch(cv::Rect(8, 8, 32, 32));
    core.convertTo(b8, CV_32F);
    CHECK(cv::mean(cv::abs(a8 - b8))[0] < 3.0);
    CHECK(cv::norm(a - b, cv::NORM_L1) / 1024.0 < 0.1);  // normalised inputs agree
  }
  CHECK(rejects > 0);
}

TEST_CASE("classifier fine-tuning adds a new character and keeps the old ones", "[train]") {
  // Base: digits only, printed style. New: 'X', from generated samples only.
  const std::string dir = temp_dir("finetune");
  const std::string base_path = dir + "/base.pt";
  const assemble::Charset digits = charset_from_string("0-9");

  SynthCropOptions so;
  so.synth.styles = {synth::Style::kPrinted};
  so.synth.charset = "0-9";
  so.images = 60;
  so.seed = 11;
  const auto base_train = synth_crops(so, digits);
  so.context = 1.f;
  so.seed = 9001;  // unseen seed
  so.images = 30;
  const auto digit_val = synth_crops(so, digits);

  TrainClassifierOptions o;
  o.steps = 300;
  o.batch = 64;
  o.seed = 1;
  double base_accuracy = 0;
  {
    ClassifierTrainer base(o, digits, base_train);
    for (int i = 0; i < o.steps; ++i) base.step();
    // As the shipped model: logit adjustment baked into the bias (and recorded, so
    // fine-tuning can take it out and put it back), then the temperature.
    const float tau = base.adjust_prior(digit_val);
    CHECK((tau >= 0.f && tau <= 1.f));
    base.calibrate(digit_val);
    base.save(base_path);
    base_accuracy = base.evaluate(digit_val).char_accuracy();
  }

  // The union charset: the base labels in order, then X; reject stays last.
  const assemble::Charset cs = union_charset(digits, {"X", "5"});
  REQUIRE(cs.labels.size() == 11);
  CHECK(cs.labels.back() == "X");
  const int x = 10;

  // New-character samples: the generator with X in its charset; only X crops kept.
  auto only_x = [&](std::vector<CropSample> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [&](const CropSample& s) { return s.label != x; }),
            v.end());
    return v;
  };
  SynthCropOptions xo;
  xo.synth.styles = {synth::Style::kPrinted};
  xo.synth.charset = "0-9X";
  xo.images = 24;
  xo.seed = 21;
  auto x_train = only_x(synth_crops(xo, cs));
  xo.context = 1.f;
  xo.seed = 9002;
  xo.images = 60;  // ~220 crops of X: one error is under half a point
  const auto x_val = only_x(synth_crops(xo, cs));
  REQUIRE(x_train.size() >= 30);
  REQUIRE(x_val.size() >= 50);
  if (x_train.size() > 40) x_train.resize(40);  // 40 samples of the new character

  // Old classes in the union charset (same indices: the base order is kept).
  TrainClassifierOptions f = o;
  f.base = base_path;
  f.steps = 300;
  f.seed = 2;
  std::vector<CropSample> ft = x_train;
  for (const auto& s : base_train) {  // replayed crops of the old classes
    CropSample r = s;
    if (r.label == digits.reject_class()) r.label = cs.reject_class();
    ft.push_back(r);
  }
  std::vector<CropSample> old_val = digit_val;
  for (auto& s : old_val) {
    if (s.label == digits.reject_class()) s.label = cs.reject_class();
  }

  ClassifierTrainer tuner(f, cs, ft);
  for (int i = 0; i < f.steps; ++i) tuner.step();
  const ClassifierEval old_after = tuner.evaluate(old_val);
  const ClassifierEval new_after = tuner.evaluate(x_val);
  INFO("old classes " << base_accuracy << " -> " << old_after.char_accuracy() << " on "
                      << old_after.chars << " crops; X " << new_after.char_accuracy() << " on "
                      << new_after.chars << " crops from " << x_train.size() << " samples");
  CHECK(base_accuracy >= 0.97);  // the base learned its digits
  CHECK(new_after.char_accuracy() >= 0.98);
  // Old classes lose at most half a point (an old digit read as X counts as lost).
  CHECK(old_after.char_accuracy() >= base_accuracy - 0.005);

  // The saved fine-tuned model carries the union charset; the runner reads it.
  tuner.calibrate(x_val);
  tuner.save(dir + "/tuned.pt");
  ClassifierConfig cfg;
  cfg.model = dir + "/tuned.pt";
  const charcls::Classifier cls(cfg);
  CHECK(cls.charset().labels == cs.labels);
}

TEST_CASE("classifier training: a student learns from a teacher's outputs", "[train]") {
  assemble::Charset cs;
  cs.labels = kFiveGlyphs;
  const auto train = drawn_samples(cs.labels, 40, 1);
  const auto val = drawn_samples(cs.labels, 20, 2);
  const TrainClassifierOptions o = quick_options();
  ClassifierTrainer teacher(o, cs, train);
  for (int i = 0; i < 60; ++i) teacher.step();
  const std::string dir = temp_dir("distill");
  teacher.save(dir + "/teacher.pt");

  // Taught by the teacher alone (weight 1: no label term), a fresh student of
  // another width learns the true classes even from crops whose labels are all
  // wrong (rotated by one class); from the labels it would learn the rotation.
  auto wrong = train;
  for (auto& s : wrong) s.label = (s.label + 1) % cs.num_classes();
  TrainClassifierOptions so = o;
  so.seed = 4;
  so.channels = {8, 16, 24};
  so.teachers = {dir + "/teacher.pt"};
  so.distill_weight = 1.f;
  ClassifierTrainer student(so, cs, wrong);
  const ClassifierEval before = student.evaluate(val);
  for (int i = 0; i < 60; ++i) student.step();
  const ClassifierEval after = student.evaluate(val);
  INFO("student val accuracy " << before.char_accuracy() << " -> " << after.char_accuracy());
  CHECK(after.char_accuracy() >= 0.8);
  CHECK(after.nll < 0.5 * before.nll);

  // A teacher of another charset is refused.
  assemble::Charset other = cs;
  other.labels.back() = "Y";
  CHECK_THROWS_AS(ClassifierTrainer(so, other, drawn_samples(other.labels, 4, 1)), InputError);
  so.teachers = {dir + "/missing.pt"};
  CHECK_THROWS_AS(ClassifierTrainer(so, cs, train), ModelError);
}

TEST_CASE("classifier training: several teachers teach the mean of their outputs", "[train]") {
  assemble::Charset cs;
  cs.labels = kFiveGlyphs;
  const auto train = drawn_samples(cs.labels, 40, 1);
  auto val = drawn_samples(cs.labels, 20, 2);
  auto wrong = train, wrong_val = val;
  for (auto& s : wrong) s.label = (s.label + 1) % cs.num_classes();
  for (auto& s : wrong_val) s.label = (s.label + 1) % cs.num_classes();
  const TrainClassifierOptions o = quick_options();
  const std::string dir = temp_dir("distill2");
  // One teacher learns the true classes, the other the rotation by one.
  ClassifierTrainer right(o, cs, train), rotated(o, cs, wrong);
  for (int i = 0; i < 60; ++i) right.step(), rotated.step();
  right.save(dir + "/right.pt");
  rotated.save(dir + "/rotated.pt");

  // Taught by both alone, the student splits its belief between the two
  // readings of each crop: neither set of labels is far more probable than the
  // other, and both are far more probable than under a uniform guess (ln 6 ≈
  // 1.79 nats); one teacher alone would leave the other reading near 0.
  TrainClassifierOptions so = o;
  so.seed = 5;
  so.steps = 80;
  so.teachers = {dir + "/right.pt", dir + "/rotated.pt"};
  so.distill_weight = 1.f;
  ClassifierTrainer student(so, cs, train);
  for (int i = 0; i < 80; ++i) student.step();
  const double nll_right = student.evaluate(val).nll, nll_rotated = student.evaluate(wrong_val).nll;
  INFO("student NLL on the true labels " << nll_right << ", on the rotated ones " << nll_rotated);
  CHECK(nll_right < 1.2);
  CHECK(nll_rotated < 1.2);
  CHECK(std::abs(nll_right - nll_rotated) < 0.5);
}

TEST_CASE("classifier training: faint crops are drawn more often within their class", "[train]") {
  assemble::Charset cs;
  cs.labels = {"0", "1"};
  auto train = drawn_samples(cs.labels, 3, 1);
  train[0].legibility = 6.f;   // faint
  train[1].legibility = 12.f;  // legible
  // train[2] keeps +infinity: unknown, as for folder data
  TrainClassifierOptions o;
  o.steps = 1;
  o.batch = 4;
  o.faint_weight = 5;
  o.faint_below = 10.f;
  ClassifierTrainer t(o, cs, train);
  CHECK(t.pool_copies(0) == 5);
  CHECK(t.pool_copies(1) == 1);
  CHECK(t.pool_copies(2) == 1);
  o.faint_weight = 1;
  CHECK(ClassifierTrainer(o, cs, train).pool_copies(0) == 1);
  o.faint_weight = 0;
  CHECK_THROWS_AS(ClassifierTrainer(o, cs, train), InputError);
}

namespace {

// The ground truth's own lines, as a detector that found every character exactly
// would report them.
std::vector<assemble::LayoutLine> truth_lines(const synth::Sample& s) {
  std::vector<assemble::LayoutLine> lines;
  for (const auto& la : s.lines) {
    std::vector<Quad> quads;
    for (const auto& c : la.chars) quads.push_back(c.quad);
    lines.push_back(assemble::make_line(quads, std::vector<int>(quads.size(), 0)));
  }
  return lines;
}

// A one-character line at the image corner that holds the least ink: a false
// alarm clear of every character.
assemble::LayoutLine corner_line(const synth::Sample& s) {
  const float side = 12.f;
  const Quad q = Quad::from_rect(cv::Rect2f(2.f, 2.f, side, side));
  for (const auto& la : s.lines)
    for (const auto& c : la.chars) REQUIRE(quad_iou(q, c.quad) == 0.f);
  return assemble::make_line({q}, {0});
}

}  // namespace

TEST_CASE("classifier data: detections are labelled by the ground truth they land on", "[train]") {
  synth::SynthConfig cfg;
  cfg.styles = {synth::Style::kPrinted};
  const synth::Sample s = synth::Generator(cfg, 41).generate(0);
  REQUIRE(!s.lines.empty());
  REQUIRE(s.lines[0].chars.size() >= 3);

  SECTION("every exact detection is its character") {
    const auto lines = truth_lines(s);
    const auto m = match_detections(s, lines);
    std::size_t n = 0;
    for (const auto& la : s.lines) n += la.chars.size();
    REQUIRE(m.size() == n);
    for (const auto& d : m) {
      CHECK(d.gt_line == d.line);
      CHECK(d.gt_index == d.index);
      CHECK(d.label == s.lines[d.line].chars[d.index].label);
    }
  }
  SECTION("a detection on bare surface is not a character") {
    auto lines = truth_lines(s);
    lines.push_back(corner_line(s));
    const auto m = match_detections(s, lines);
    REQUIRE(!m.empty());
    CHECK(m.back().line == static_cast<int>(lines.size()) - 1);
    CHECK(m.back().label.empty());
    CHECK(m.back().gt_line == -1);
    CHECK(std::count_if(m.begin(), m.end(),
                        [](const DetectionMatch& d) { return d.label.empty(); }) == 1);
  }
  SECTION("a glyph cut in two and a box over two glyphs get no label") {
    const auto& gt = s.lines[0].chars;
    std::vector<Quad> quads;
    // Character 0 cut into its left and right halves.
    const Quad& a = gt[0].quad;
    const cv::Point2f top = 0.5f * (a.pts[0] + a.pts[1]), bottom = 0.5f * (a.pts[3] + a.pts[2]);
    quads.push_back(Quad{{a.pts[0], top, bottom, a.pts[3]}});
    quads.push_back(Quad{{top, a.pts[1], a.pts[2], bottom}});
    // Characters 1 and 2 under one box.
    quads.push_back(
        Quad{{gt[1].quad.pts[0], gt[2].quad.pts[1], gt[2].quad.pts[2], gt[1].quad.pts[3]}});
    std::vector<assemble::LayoutLine> lines{assemble::make_line(quads, {0, 0, 0})};
    const auto m = match_detections(s, lines);
    // Neither a character nor a reject: teaching "not a character" on real
    // glyphs would veto them, a character on two glyphs would hide one.
    CHECK(m.empty());
  }
}

TEST_CASE("classifier data: mined crops are cut in the detector's line frame", "[train]") {
  SynthCropOptions o;
  o.synth.styles = {synth::Style::kPrinted};
  o.images = 2;
  o.seed = 41;
  o.context = 1.f;
  const assemble::Charset cs = charset_from_string(o.synth.charset);
  const auto plain = synth_crops(o, cs);
  int calls = 0;
  o.detect = [&calls](const cv::Mat& image) {
    ++calls;
    (void)image;
    return std::vector<assemble::LayoutLine>{};
  };
  CHECK(synth_crops(o, cs).size() == plain.size());
  CHECK(calls == 2);

  const synth::Generator gen(o.synth, o.seed);
  o.detect = [&gen](const cv::Mat& image) {
    // The generated image this call is for, found by its pixels.
    for (std::uint64_t i = 0; i < 2; ++i) {
      const synth::Sample s = gen.generate(i);
      if (s.image.size() == image.size() && cv::norm(s.image, image, cv::NORM_INF) == 0) {
        auto lines = truth_lines(s);
        lines.push_back(corner_line(s));
        return lines;
      }
    }
    FAIL("detect called on an image the generator did not draw");
    return std::vector<assemble::LayoutLine>{};
  };
  o.mine_characters = true;
  for (const float context : {1.f, 1.5f}) {
    o.context = context;
    const auto with = synth_crops(o, cs);
    std::vector<CropSample> mined;
    for (const auto& x : with)
      if (x.mined) mined.push_back(x);
    REQUIRE(with.size() == plain.size() + mined.size());
    // Every ground-truth character once more, and one false alarm per image.
    const auto chars = std::count_if(plain.begin(), plain.end(), [&](const CropSample& x) {
      return x.label != cs.reject_class();
    });
    CHECK(static_cast<long>(mined.size()) == chars + 2);
    CHECK(std::count_if(mined.begin(), mined.end(),
                        [&](const CropSample& x) { return x.label == cs.reject_class(); }) == 2);
    const cv::Size size = context > 1.f ? cv::Size(48, 48) : cv::Size(32, 32);
    for (const auto& x : mined) {
      CHECK(x.patch.size() == size);
      CHECK(std::isfinite(x.legibility) == (x.label != cs.reject_class()));
    }
  }
  // By default only the false alarms are kept.
  o.mine_characters = false;
  const auto rejects_only = synth_crops(o, cs);
  REQUIRE(rejects_only.size() == plain.size() + 2);
  int mined_rejects = 0;
  for (const auto& x : rejects_only) mined_rejects += x.mined && x.label == cs.reject_class();
  CHECK(mined_rejects == 2);
}

TEST_CASE("classifier training: mined false alarms are drawn more often among rejects", "[train]") {
  assemble::Charset cs;
  cs.labels = {"0", "1"};
  auto train = drawn_samples(cs.labels, 2, 1);  // 0 0 1 1 reject reject
  train[0].mined = true;                        // a mined character
  train[4].mined = true;                        // a mined false alarm
  TrainClassifierOptions o;
  o.steps = 1;
  o.batch = 4;
  o.mined_reject_weight = 6;
  ClassifierTrainer t(o, cs, train);
  CHECK(t.pool_copies(0) == 1);
  CHECK(t.pool_copies(1) == 1);
  CHECK(t.pool_copies(4) == 6);
  CHECK(t.pool_copies(5) == 1);
  o.mined_reject_weight = 0;
  CHECK_THROWS_AS(ClassifierTrainer(o, cs, train), InputError);
}

TEST_CASE("classifier training: the averaged weights follow the trained ones, step by step",
          "[train]") {
  assemble::Charset cs;
  cs.labels = kFiveGlyphs;
  const auto train = drawn_samples(cs.labels, 12, 5);
  TrainClassifierOptions plain = quick_options();
  plain.steps = 25;
  plain.hidden = 0;  // no dropout: the steps draw nothing from Torch's generator
  TrainClassifierOptions averaged = plain;
  averaged.ema_decay = 0.9;
  ClassifierTrainer a(plain, cs, train);
  const std::string dir = temp_dir("ema");
  // The expected average, from the plain run's weights after every step (both
  // runs train identically: averaging only reads the trained network).
  std::map<std::string, torch::Tensor> expected;
  auto state = [](const charcls::ClassifierNet& net) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : net->named_parameters()) out[p.key()] = p.value().detach().clone();
    for (const auto& p : net->named_buffers()) out[p.key()] = p.value().detach().clone();
    return out;
  };
  a.save(dir + "/start.pt", "");
  expected = state(charcls::load_classifier_model(dir + "/start.pt").net);
  std::vector<float> losses;
  for (int t = 0; t < 25; ++t) {
    losses.push_back(a.step());
    a.save(dir + "/plain.pt", "");
    const auto now = state(charcls::load_classifier_model(dir + "/plain.pt").net);
    const double d = std::min(0.9, (1.0 + t) / (10.0 + t));
    for (auto& [key, value] : expected) {
      if (value.is_floating_point()) {
        value = value * d + now.at(key) * (1.0 - d);
      } else {
        value = now.at(key);
      }
    }
  }
  ClassifierTrainer b(averaged, cs, train);
  for (int t = 0; t < 25; ++t) CHECK(b.step() == losses[t]);
  b.save(dir + "/averaged.pt", "");
  const auto got = state(charcls::load_classifier_model(dir + "/averaged.pt").net);
  const auto last = state(charcls::load_classifier_model(dir + "/plain.pt").net);
  double moved = 0;
  for (const auto& [key, value] : expected) {
    CAPTURE(key);
    CHECK(torch::allclose(got.at(key), value, /*rtol=*/1e-4, /*atol=*/1e-5));
    if (value.is_floating_point())
      moved = std::max(moved, (got.at(key) - last.at(key)).abs().max().item<double>());
  }
  CHECK(moved > 1e-3);  // the average is not the last step's weights
  TrainClassifierOptions bad = plain;
  bad.ema_decay = 1.0;
  CHECK_THROWS_AS(ClassifierTrainer(bad, cs, train), InputError);
}
