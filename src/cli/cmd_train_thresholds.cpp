// `ocr2s train thresholds` — search the postprocessor's thresholds for a detector
// on annotated images: the score maps are computed once, every grid setting is
// scored on them (character F1 at IoU ≥ 0.5, then link F1 for the link threshold).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "craft/detector.hpp"
#include "detector_data.hpp"
#include "postprocess_tune.hpp"

namespace ocr2s::cli {
namespace {

struct Options {
  std::string val;
  CraftConfig base;  // detector and input scaling; the thresholds are searched
  std::size_t limit = 0;
  int top = 10;
  std::string out;
  train::TuneGrid grid;
};

std::string flags(const CraftConfig& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "--seed-threshold %.2f --grow-threshold %.2f --link-threshold %.2f "
                "--split-depth %.2f --min-area %g --max-aspect %g",
                c.seed_threshold, c.grow_threshold, c.link_threshold, c.split_depth, c.min_area,
                c.max_aspect);
  return buf;
}

std::string row(const train::TuneResult& r) {
  char buf[320];
  std::snprintf(buf, sizeof buf, "char P %.4f R %.4f F1 %.4f | link F1 %.4f | %s",
                r.chars.precision(), r.chars.recall(), r.chars.f1(), r.links.f1(),
                flags(r.config).c_str());
  return buf;
}

nlohmann::json to_json(const train::TuneResult& r) {
  nlohmann::json j;
  j["seed_threshold"] = r.config.seed_threshold;
  j["grow_threshold"] = r.config.grow_threshold;
  j["link_threshold"] = r.config.link_threshold;
  j["split_depth"] = r.config.split_depth;
  j["min_area"] = r.config.min_area;
  j["max_aspect"] = r.config.max_aspect;
  j["char_precision"] = r.chars.precision();
  j["char_recall"] = r.chars.recall();
  j["char_f1"] = r.chars.f1();
  j["link_f1"] = r.links.f1();
  for (const auto& [style, p] : r.chars_per_style) j["char_f1_per_style"][style] = p.f1();
  return j;
}

int run(const Options& o) {
  const CraftConfig& base = o.base;
  const craft::Detector det(base);
  const auto data = train::DetectorDataset::from_folder(o.val, o.limit);
  std::cerr << "train thresholds: " << data.size() << " images from " << o.val << "\n";
  std::vector<train::TuneSample> samples;
  samples.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    samples.push_back({det.detect_scaled(data.image(i)), data.item(i).words, data.item(i).style});
  }
  const auto defaults = train::score_config(samples, base);
  const auto ranked = train::search_thresholds(samples, base, o.grid);
  std::cout << "defaults: " << row(defaults) << "\n";
  std::cout << "best:     " << row(ranked.front()) << "\n\n";
  std::cout << "| style | F1 defaults | F1 best |\n|---|---:|---:|\n";
  for (const auto& [style, p] : ranked.front().chars_per_style) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "| %s | %.4f | %.4f |\n", style.c_str(),
                  defaults.chars_per_style.at(style).f1(), p.f1());
    std::cout << buf;
  }
  std::cout << "\ntop " << o.top << " of " << ranked.size() << " settings by character F1:\n";
  for (int i = 0; i < o.top && i < static_cast<int>(ranked.size()); ++i) {
    std::cout << "  " << row(ranked[static_cast<std::size_t>(i)]) << "\n";
  }
  if (!o.out.empty()) {
    nlohmann::json j;
    j["images"] = data.size();
    j["defaults"] = to_json(defaults);
    j["best"] = to_json(ranked.front());
    for (const auto& r : ranked) j["ranked"].push_back(to_json(r));
    std::ofstream(o.out) << j.dump(1) << "\n";
  }
  return 0;
}

const Registrar kTrainThresholds(
    "train thresholds",
    "Search the postprocessor thresholds for a detector on annotated images (character and link F1)",
    [](CLI::App& app) {
      auto o = std::make_shared<Options>();
      app.add_option("--val", o->val, "Annotated folder (annotations.jsonl + images), not the training data")
          ->required();
      add_detector_options(app, o->base);
      app.add_option("--limit", o->limit, "Use at most this many images (0: all)")->capture_default_str();
      app.add_option("--top", o->top, "Settings listed")->check(CLI::Range(1, 100000))->capture_default_str();
      app.add_option("-o,--out", o->out, "Also write every scored setting as JSON to FILE");
      auto& g = o->grid;
      const auto grid_opt = [&app](const char* name, std::vector<float>& v, const char* what) {
        app.add_option(name, v, what)->expected(1, 64)->capture_default_str()->group("Grid");
      };
      grid_opt("--seed-thresholds", g.seed_threshold, "Seed thresholds tried");
      grid_opt("--grow-thresholds", g.grow_threshold, "Grow thresholds tried (those ≤ the seed's)");
      grid_opt("--split-depths", g.split_depth, "Split depths tried");
      grid_opt("--min-areas", g.min_area, "Minimum blob areas tried (score-map pixels)");
      grid_opt("--max-aspects", g.max_aspect, "Maximum aspect ratios tried");
      grid_opt("--link-thresholds", g.link_threshold, "Link thresholds tried for the best setting");
      return [o]() { return run(*o); };
    });

}  // namespace
}  // namespace ocr2s::cli
