// `ocr2s inspect IMAGE` — what each stage saw: score maps, the character graph,
// the line-frame crops, and the final reading, as PNG files.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "assemble/layout.hpp"
#include "charcls/classifier.hpp"
#include "charcls/crops.hpp"
#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "cli/report.hpp"
#include "craft/detector.hpp"
#include "craft/postprocess.hpp"
#include "ocr2s/reader.hpp"

namespace ocr2s::cli {
namespace {

struct Options {
  std::string image;
  std::string out = "inspect";
  ReaderOptions reader;
};

cv::Mat heatmap(const cv::Mat& map, cv::Size size) {
  cv::Mat u8, colour;
  map.convertTo(u8, CV_8U, 255.0);
  cv::resize(u8, u8, size, 0, 0, cv::INTER_NEAREST);
  cv::applyColorMap(u8, colour, cv::COLORMAP_JET);
  return colour;
}

int run(const Options& o) {
  namespace fs = std::filesystem;
  fs::create_directories(o.out);
  const cv::Mat image = load_image(o.image);
  const Reader reader(o.reader.config());
  const ReaderConfig& config = reader.config();  // validated, model paths resolved
  craft::Detector detector(config.craft);
  charcls::Classifier classifier(config.classifier);

  craft::CharGraph graph;
  const craft::ScoreMaps maps = detector.detect_scaled(image, &graph);
  const cv::Size view(std::max(1, cvRound(maps.region.cols * maps.to_image.step.x)),
                      std::max(1, cvRound(maps.region.rows * maps.to_image.step.y)));
  const auto out = [&](const char* name) { return (fs::path(o.out) / name).string(); };
  cv::imwrite(out("region.png"), heatmap(maps.region, view));
  cv::imwrite(out("affinity.png"), heatmap(maps.affinity, view));

  ReadResult bare;  // draw_overlay's input format for the raw graph
  bare.image_size = image.size();
  cv::Mat g = draw_overlay(image, bare);
  for (const auto& n : graph.nodes) {
    std::vector<cv::Point> pts;
    for (const auto& p : n.quad.pts) pts.emplace_back(cvRound(p.x - 0.5f), cvRound(p.y - 0.5f));
    cv::polylines(g, pts, /*isClosed=*/true, cv::Scalar(0, 200, 255), 1, cv::LINE_AA);
  }
  for (const auto& l : graph.links) {
    const cv::Point2f a = graph.nodes[l.a].quad.center(), b = graph.nodes[l.b].quad.center();
    cv::line(g, cv::Point(cvRound(a.x - 0.5f), cvRound(a.y - 0.5f)),
             cv::Point(cvRound(b.x - 0.5f), cvRound(b.y - 0.5f)), cv::Scalar(255, 0, 0), 1, cv::LINE_AA);
  }
  cv::imwrite(out("graph.png"), g);

  const auto lines = assemble::build_lines(graph, config.assemble);
  const auto& spec = classifier.crop_spec();
  std::vector<assemble::CropBox> boxes;
  std::vector<int> row_of;
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const auto b = assemble::crop_boxes(lines[li], spec.frame());
    boxes.insert(boxes.end(), b.begin(), b.end());
    row_of.insert(row_of.end(), b.size(), static_cast<int>(li));
  }
  const auto crops = charcls::extract_crops_u8(charcls::to_gray8(image), boxes, spec.size);
  if (!crops.empty()) {
    std::size_t widest = 1;
    for (const auto& l : lines) widest = std::max(widest, l.chars.size());
    const int pad = 2, cw = spec.size.width * 2, chh = spec.size.height * 2;
    cv::Mat sheet(static_cast<int>(lines.size()) * (chh + pad) + pad,
                  static_cast<int>(widest) * (cw + pad) + pad, CV_8UC1, cv::Scalar(96));
    std::vector<int> col(lines.size(), 0);
    for (std::size_t k = 0; k < crops.size(); ++k) {
      const int r = row_of[k];
      cv::Mat big;
      cv::resize(crops[k], big, cv::Size(cw, chh), 0, 0, cv::INTER_NEAREST);
      big.copyTo(sheet(cv::Rect(pad + col[r]++ * (cw + pad), pad + r * (chh + pad), cw, chh)));
    }
    cv::imwrite(out("crops.png"), sheet);
  }

  const ReadResult r = reader.read(image, o.reader.read_options());
  cv::imwrite(out("reading.png"), draw_overlay(image, r));
  std::printf("%s\n", to_json(o.image, r).dump(2).c_str());
  std::fprintf(stderr, "wrote region.png affinity.png graph.png crops.png reading.png to %s "
               "(%zu nodes, %zu links, %zu lines)\n",
               o.out.c_str(), graph.nodes.size(), graph.links.size(), lines.size());
  return 0;
}

const Registrar kInspect("inspect", "Write each stage's view of one image as PNG files", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  app.add_option("image", o->image, "Image file")->required();
  app.add_option("-o,--out", o->out, "Output folder (default: ./inspect)");
  o->reader.add_to(app);
  return [o]() { return run(*o); };
});

}  // namespace
}  // namespace ocr2s::cli
