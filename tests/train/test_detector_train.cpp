// Detector training: loss, data, the training loop, validation, and the shipped model.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "compute_threads.hpp"
#include "craft/detector.hpp"
#include "craft/detector_net.hpp"
#include "craft/postprocess.hpp"
#include "detector_data.hpp"
#include "detector_eval.hpp"
#include "detector_loss.hpp"
#include "detector_train.hpp"
#include "ocr2s/errors.hpp"
#include "synth/synth.hpp"

// LibTorch's c10 logging defines a CHECK macro that aborts; Catch's must win, so
// Catch is included after every header that pulls in Torch.
#undef CHECK
#include <catch2/catch.hpp>

using namespace ocr2s;
using namespace ocr2s::train;
namespace fs = std::filesystem;

namespace {

synth::Sample sample(synth::Style style, std::uint64_t seed, std::uint64_t index, int max_side) {
  synth::SynthConfig cfg;
  cfg.styles = {style};
  cfg.max_size = {max_side, max_side / 2};
  cfg.max_lines = 2;
  cfg.min_char_height = 16;
  cfg.max_char_height = 40;
  return synth::Generator(cfg, seed).generate(index);
}

// Generated samples as in-memory training items (synth::Generator is deterministic).
std::vector<DetectorItem> generated(std::uint64_t seed, int per_style, int max_side) {
  std::vector<DetectorItem> items;
  for (synth::Style style : synth::all_styles()) {
    for (int i = 0; i < per_style; ++i) {
      const auto s = sample(style, seed, static_cast<std::uint64_t>(i), max_side);
      DetectorItem it;
      it.image = s.image;
      it.words = synth::word_quads(s.lines);
      it.style = synth::style_name(style);
      items.push_back(std::move(it));
    }
  }
  return items;
}

std::vector<Quad> all_chars(const DetectorItem& it) {
  std::vector<Quad> q;
  for (const auto& w : it.words) q.insert(q.end(), w.chars.begin(), w.chars.end());
  return q;
}

}  // namespace

TEST_CASE("OHEM loss: positives plus the 3x hardest negatives, per map", "[train][detector]") {
  // One sample, 1×10 maps. Region: 2 positives; affinity: none.
  auto target = torch::zeros({1, 2, 1, 10});
  auto pred = torch::zeros({1, 2, 1, 10});
  target[0][0][0][0] = 1.f;
  target[0][0][0][1] = 0.5f;
  pred[0][0][0][0] = 0.5f;  // error 0.25
  pred[0][0][0][1] = 0.5f;  // error 0
  // Negatives of the region map: errors 0.04, 0.09, 0.16, 0.01, 0 …
  pred[0][0][0][2] = 0.2f;
  pred[0][0][0][3] = 0.3f;
  pred[0][0][0][4] = 0.4f;
  pred[0][0][0][5] = 0.1f;
  // Affinity: no positives, negatives 0.36 and 0 ….
  pred[0][1][0][7] = 0.6f;
  // min_negatives = 2: region takes max(2, 3·2) = 6 negatives, affinity 2.
  const float l = ohem_mse_loss(pred, target, 3.0, 2).item<float>();
  const float region = 0.25f / 2 + (0.16f + 0.09f + 0.04f + 0.01f + 0.f + 0.f) / 6;
  const float affinity = (0.36f + 0.f) / 2;
  CHECK(l == Approx((region + affinity) / 2).epsilon(1e-5));

  // Gradients reach the prediction.
  auto p = pred.clone().requires_grad_(true);
  ohem_mse_loss(p, target, 3.0, 2).backward();
  CHECK(p.grad().abs().sum().item<float>() > 0.f);
  // A perfect prediction has zero loss.
  CHECK(ohem_mse_loss(target, target).item<float>() == 0.f);

  // The cross-entropy variant: zero at the target (entropy subtracted), positive
  // elsewhere, and its logit gradient does not vanish on a confident mistake.
  auto soft = torch::rand({2, 2, 4, 4});
  const auto exact_logits = torch::log(soft.clamp(1e-6, 1 - 1e-6) / (1 - soft.clamp(1e-6, 1 - 1e-6)));
  CHECK(std::abs(ohem_bce_loss(exact_logits, soft).item<float>()) < 1e-4f);
  auto z = torch::full({1, 2, 1, 10}, 6.0).requires_grad_(true);  // σ ≈ 0.9975 on background
  ohem_bce_loss(z, torch::zeros({1, 2, 1, 10}), 3.0, 10).backward();
  auto z2 = torch::full({1, 2, 1, 10}, 6.0).requires_grad_(true);
  ohem_mse_loss(torch::sigmoid(z2), torch::zeros({1, 2, 1, 10}), 3.0, 10).backward();
  // σ − t against 2 (σ − t) σ (1 − σ): ≈ 200 times larger here.
  CHECK(z.grad().abs().max().item<float>() > 100.f * z2.grad().abs().max().item<float>());
}

TEST_CASE("patches: targets follow the augmented characters", "[train][detector]") {
  const auto items = generated(/*seed=*/11, /*per_style=*/1, /*max_side=*/320);
  AugmentConfig aug;
  aug.patch = 128;
  for (const auto& it : items) {
    const Patch p = make_patch(it.image, it.words, median_char_height(it.words), aug, 42);
    REQUIRE(p.rgb.size() == cv::Size(128, 128));
    REQUIRE(p.rgb.type() == CV_8UC3);
    REQUIRE(p.region.size() == cv::Size(64, 64));
    REQUIRE(p.affinity.size() == cv::Size(64, 64));
    double lo, hi;
    cv::minMaxLoc(p.region, &lo, &hi);
    CHECK(lo >= 0.0);
    CHECK(hi <= 1.0);
    // Deterministic in the seed.
    const Patch q = make_patch(it.image, it.words, median_char_height(it.words), aug, 42);
    CHECK(cv::norm(p.rgb, q.rgb, cv::NORM_INF) == 0.0);
    CHECK(cv::norm(p.region, q.region, cv::NORM_INF) == 0.0);
  }
  // Without augmentation the targets are render_targets at half resolution.
  const auto& it = items[0];
  const Patch p = plain_patch(it.image, it.words, 320);
  const auto t = craft::render_targets(it.words, {160, 160}, craft::MapTransform{});
  CHECK(cv::norm(p.region, t.region, cv::NORM_INF) == 0.0);
}

TEST_CASE("dataset: reads a synth folder, a missing image is an InputError", "[train][detector]") {
  const fs::path dir = fs::temp_directory_path() / "ocr2s_test_detector_ds";
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  const auto styles = synth::all_styles();
  std::vector<synth::Sample> samples;
  {
    std::ofstream f(dir / "annotations.jsonl");
    for (std::size_t i = 0; i < 2; ++i) {
      samples.push_back(sample(styles[i], 5, i, 256));
      const std::string name = "images/" + std::to_string(i) + ".png";
      cv::imwrite((dir / name).string(), samples[i].image);
      synth::Annotation a;
      a.image = name;
      a.style = synth::style_name(styles[i]);
      a.size = samples[i].image.size();
      a.lines = samples[i].lines;
      f << synth::to_jsonl(a) << "\n";
    }
  }
  const auto ds = DetectorDataset::from_folder(dir.string());
  REQUIRE(ds.size() == 2);
  CHECK(ds.image(0).size() == samples[0].image.size());
  CHECK(ds.item(1).words.size() == synth::word_quads(samples[1].lines).size());
  CHECK(ds.item(0).char_height > 10.f);
  CHECK(ds.styles().size() == 2);
  // Several folders read as one set, in the order given.
  const auto twice = DetectorDataset::from_folders({dir.string(), dir.string()});
  REQUIRE(twice.size() == 4);
  CHECK(twice.item(2).path == ds.item(0).path);
  CHECK(twice.item(3).words.size() == ds.item(1).words.size());
  fs::remove(dir / "images" / "1.png");
  CHECK_THROWS_AS(DetectorDataset::from_folders({dir.string()}), InputError);
  CHECK_THROWS_AS(DetectorDataset::from_folder(dir.string()), InputError);
  CHECK_THROWS_AS(DetectorDataset::from_folder((dir / "nothing").string()), InputError);
}

TEST_CASE("character matching: greedy one-to-one at IoU >= 0.5", "[train][detector]") {
  const Quad a = Quad::from_rect({0, 0, 10, 20});
  const Quad b = Quad::from_rect({12, 0, 10, 20});
  const Quad a_shift = Quad::from_rect({2, 0, 10, 20});   // IoU 8/12 = 0.67 with a
  const Quad a_far = Quad::from_rect({6, 0, 10, 20});     // IoU 4/16 = 0.25 with a
  auto r = match_characters({a, b}, {a_shift, b});
  CHECK(r.tp == 2);
  CHECK(r.fp == 0);
  CHECK(r.fn == 0);
  r = match_characters({a, b}, {a_far, b, b});  // a missed; a duplicate of b
  CHECK(r.tp == 1);
  CHECK(r.fp == 2);
  CHECK(r.fn == 1);
  CHECK(r.f1() == Approx(2.0 / (2 + 2 + 1)));
  // One detection cannot match two characters.
  r = match_characters({a, a_shift}, {a});
  CHECK(r.tp == 1);
  CHECK(r.fn == 1);
}

TEST_CASE("training: a few steps lower the loss, resuming is exact", "[train][detector]") {
  ocr2s::set_compute_threads(1);
  TrainDetectorOptions o;
  o.batch = 4;
  o.aug.patch = 96;
  o.lr = 5e-3;
  o.warmup = 5;
  o.steps = 150;
  o.seed = 7;
  DetectorDataset data(generated(/*seed=*/21, /*per_style=*/2, /*max_side=*/256));

  DetectorTrainer t(o, data);
  // The loss on fixed batches, before and after training on them.
  float before = 0.f;
  for (long s = 0; s < 4; ++s) before += t.batch_loss(s);
  for (int i = 0; i < 150; ++i) t.step();
  float after = 0.f;
  for (long s = 0; s < 4; ++s) after += t.batch_loss(s);
  INFO("loss before " << before / 4 << ", after " << after / 4);
  // 150 steps remove a good part of the initial error (the head starts at the
  // empty-map prior, so the initial loss is already lowish).
  CHECK(after < 0.75f * before);

  // A run stopped at step 3 and resumed from its checkpoint continues exactly as
  // an uninterrupted run (same batches, same optimiser state, one thread).
  TrainDetectorOptions o2 = o;
  DetectorTrainer full(o2, data);
  for (int i = 0; i < 3; ++i) full.step();
  const std::string ckpt = (fs::temp_directory_path() / "ocr2s_test_detector_resume.ckpt").string();
  full.save_checkpoint(ckpt);
  const float next_full = full.step();
  DetectorTrainer resumed(o2, data);
  resumed.resume(ckpt);
  CHECK(resumed.steps_done() == 3);
  const float next_resumed = resumed.step();
  CHECK(next_resumed == Approx(next_full).epsilon(1e-6));

  // Fine-tuning start: a smaller, older architecture (fewer blocks) initialises
  // the matching tensors of this one; the new blocks start near the identity.
  {
    craft::DetectorArch small;
    small.depth = {0, 1, 2, 2};
    small.half_refine = 0;
    torch::manual_seed(1);
    craft::DetectorNet net(small);
    const std::string path = (fs::temp_directory_path() / "ocr2s_test_detector_small.pt").string();
    craft::save_detector(net, {}, path);
    TrainDetectorOptions o3 = o;
    o3.init = path;
    DetectorTrainer grown(o3, data);
    INFO(grown.init_report());
    CHECK(grown.init_report().find(" new") != std::string::npos);
    CHECK(grown.init_report().find(" 0 new") == std::string::npos);
  }

  // A model file (no optimiser state) is not a checkpoint.
  const std::string model = (fs::temp_directory_path() / "ocr2s_test_detector_model.pt").string();
  full.save_model(model, "test");
  DetectorTrainer again(o2, data);
  CHECK_THROWS_AS(again.resume(model), ModelError);
}

TEST_CASE("shipped detector finds the characters of every style", "[train][detector]") {
  const fs::path model = fs::path(OCR2S_SOURCE_DIR) / "models" / "detector.pt";
  if (!fs::exists(model)) {
    WARN("models/detector.pt not present: skipped");
    return;
  }
  CraftConfig c;
  c.model = model.string();
  const craft::Detector det(c);
  // Unseen generator seed; the default synth configuration, 12 images per style.
  for (synth::Style style : synth::all_styles()) {
    synth::SynthConfig cfg;
    cfg.styles = {style};
    const synth::Generator gen(cfg, /*seed=*/424242);
    Prf prf;
    int exact_count = 0;
    long found_total = 0, sure_total = 0, truth_total = 0;
    const int n = 12;
    for (int i = 0; i < n; ++i) {
      const auto s = gen.generate(static_cast<std::uint64_t>(i));
      DetectorItem it;
      it.words = synth::word_quads(s.lines);
      craft::CharGraph graph;  // as the reader detects: with the automatic scale
      det.detect_scaled(s.image, &graph);
      std::vector<Quad> found;
      for (const auto& node : graph.nodes) {
        found.push_back(node.quad);
        sure_total += node.peak >= c.confirm_threshold;
      }
      const auto truth = all_chars(it);
      prf += match_characters(truth, found);
      exact_count += found.size() == truth.size();
      found_total += static_cast<long>(found.size());
      truth_total += static_cast<long>(truth.size());
    }
    INFO(synth::style_name(style) << ": F1 " << prf.f1() << ", recall " << prf.recall()
                                  << ", exact count on " << exact_count << "/" << n
                                  << ", characters found " << found_total << " (" << sure_total
                                  << " above confirm_threshold) of " << truth_total);
    // A regression guard for the shipped detector, not the target: its
    // validation F1 with the automatic scale is 0.978 overall, 0.966-0.991 per
    // style (models/MODEL_CARD.md, stage 7), and on these 12 images per style,
    // with the default thresholds, it measured 0.96-0.99. On 12 images a few
    // characters move F1 by ~0.01-0.02, and CI machines differ a little, hence
    // 0.90. Raise it with the model.
    // The number of images with exactly the right character count is reported,
    // not asserted: on 12 images it swings with one or two characters. The count
    // over the style's 12 images is asserted: the characters seeded above
    // confirm_threshold within 10 % of the truth (measured: −2.6 % to +2.4 %), and
    // all seeds, the flagged weak ones included, at most 20 % more (measured ≤ +7 %).
    CHECK(prf.f1() >= 0.90);
    CHECK(std::abs(sure_total - truth_total) <= truth_total / 10);
    CHECK(found_total <= truth_total + truth_total / 5);
  }
}
