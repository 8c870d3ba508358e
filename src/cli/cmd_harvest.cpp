// `ocr2s train harvest` — labelled character crops from photos that have only
// line-level labels (labels.tsv), for fine-tuning the classifier on a factory's own
// images without drawing a box.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "charcls/classifier.hpp"
#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "cli/labels.hpp"
#include "craft/detector.hpp"
#include "harvest.hpp"
#include "ocr2s/config.hpp"

namespace ocr2s::cli {
namespace {

struct HarvestCliOptions {
  std::string images;
  std::string labels;
  std::string out;
  CraftConfig craft;
  std::string classifier;
};

const Registrar kHarvest(
    "train harvest",
    "Cut labelled character crops from photos with line-level labels (for fine-tuning)",
    [](CLI::App& app) {
      auto o = std::make_shared<HarvestCliOptions>();
      app.add_option("--images", o->images,
                     "Folder the labels' image names are relative to (default: the labels file's folder)");
      app.add_option("--labels", o->labels, "labels.tsv: image<TAB>text, lines separated by \\n")
          ->required();
      app.add_option("-o,--out", o->out, "Crop folder to write: OUT/<label>/*.png")->required();
      add_detector_options(app, o->craft);
      app.add_option("--classifier", o->classifier,
                     "Classifier whose crop geometry to use (default: classifier.pt in the model dir)");
      return [o]() {
        namespace fs = std::filesystem;
        const std::string model_dir = default_model_dir();
        CraftConfig craft = o->craft;
        if (craft.model.empty()) craft.model = (fs::path(model_dir) / "detector.pt").string();
        train::HarvestOptions h;
        h.craft = craft;
        h.out = o->out;
        // The crops must be cut as the classifier that will learn from them cuts them.
        ClassifierConfig cls;
        cls.model = o->classifier.empty() ? (fs::path(model_dir) / "classifier.pt").string() : o->classifier;
        if (!o->classifier.empty() || fs::exists(cls.model)) {
          h.crop = charcls::Classifier(cls).crop_spec();
        } else {
          std::cerr << "no classifier model at " << cls.model << ": default crop geometry ("
                    << h.crop.size.width << "x" << h.crop.size.height << ", height factor "
                    << h.crop.height_factor << ")\n";
        }

        std::vector<train::HarvestItem> items;
        for (const auto& row : read_labels(o->labels)) {
          train::HarvestItem it;
          it.path = o->images.empty() ? row.path : (fs::path(o->images) / row.image).string();
          it.lines = train::label_lines(row.text);
          items.push_back(std::move(it));
        }
        const craft::Detector detector(craft);
        auto detect = [&detector](const std::string&, const cv::Mat& image) {
          return detector.detect_scaled(image);
        };
        const auto rep = train::harvest(items, h, detect, &std::cerr);
        std::cout << "images: " << rep.images << " (" << rep.unreadable << " unreadable, "
                  << rep.line_count_mismatch << " with a different number of lines)\n"
                  << "lines kept: " << rep.kept_lines << "/" << rep.label_lines
                  << " (character count matched the label)\n"
                  << "crops written: " << rep.crops << " to " << o->out << " in "
                  << rep.per_label.size() << " labels\n";
        return rep.crops > 0 ? 0 : 1;
      };
    });

}  // namespace
}  // namespace ocr2s::cli
