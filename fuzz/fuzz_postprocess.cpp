// libFuzzer harness: arbitrary score maps → postprocess → lines → crops.
//
// The input chooses the map size (1–64 × 1–64), the thresholds (inside their
// documented ranges), the map transform, and the values in one of three
// encodings: raw float32 bit patterns (NaN, ±inf, denormals, huge values),
// bytes / 255, or an 8 × 8 grid of bytes / 255 scaled up bilinearly (smooth blobs
// like a detector's, which reach the splitting, linking and layout code).
// Contract (craft/postprocess.hpp): InputError, or a graph whose links index its
// nodes and whose geometry is finite; build_lines and crop extraction on that
// graph (as the Reader runs them) must then succeed with consistent output.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "assemble/layout.hpp"
#include "charcls/crops.hpp"
#include "craft/postprocess.hpp"
#include "fuzz_common.hpp"
#include "ocr2s/errors.hpp"

namespace {

bool finite(const ocr2s::Quad& q) {
  for (const auto& p : q.pts) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return false;
  }
  return true;
}

cv::Mat make_map(FuzzedDataProvider& in, int mode, cv::Size size) {
  cv::Mat m(size, CV_32FC1, cv::Scalar(0));
  if (mode == 0) {
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        const std::uint32_t bits = in.ConsumeIntegral<std::uint32_t>();
        float v;
        std::memcpy(&v, &bits, sizeof v);
        m.at<float>(y, x) = v;
      }
    }
  } else if (mode == 1) {
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) m.at<float>(y, x) = in.ConsumeIntegral<std::uint8_t>() / 255.f;
    }
  } else {
    cv::Mat grid(8, 8, CV_32FC1);
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 8; ++x) grid.at<float>(y, x) = in.ConsumeIntegral<std::uint8_t>() / 255.f;
    }
    cv::resize(grid, m, size, 0, 0, cv::INTER_LINEAR);
  }
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const cv::Size map_size(in.ConsumeIntegralInRange(1, 64), in.ConsumeIntegralInRange(1, 64));
  const int mode = in.ConsumeIntegralInRange(0, 2);
  const std::uint8_t flags = in.ConsumeIntegral<std::uint8_t>();

  ocr2s::CraftConfig cfg;
  cfg.seed_threshold = in.ConsumeFloatingPointInRange(0.01f, 1.0f);
  cfg.grow_threshold = in.ConsumeFloatingPointInRange(0.005f, cfg.seed_threshold);
  cfg.link_threshold = in.ConsumeFloatingPointInRange(0.01f, 1.0f);
  cfg.split_depth = in.ConsumeFloatingPointInRange(0.0f, 1.0f);
  cfg.min_area = in.ConsumeFloatingPointInRange(0.0f, 50.0f);
  cfg.max_aspect = in.ConsumeFloatingPointInRange(1.0f, 20.0f);

  ocr2s::craft::ScoreMaps maps;
  if (flags & 1) {
    // Odd transforms: zero, negative and non-finite steps must be refused; finite
    // ones are bounded as the Reader's are (step = 2 / scale, with the scale at
    // least canvas / long side, and ROI offsets within an image).
    const auto step = [&]() -> float {
      switch (in.ConsumeIntegralInRange(0, 4)) {
        case 0: return 0.f;
        case 1: return -1.f;
        case 2: return std::numeric_limits<float>::quiet_NaN();
        case 3: return std::numeric_limits<float>::infinity();
        default: return in.ConsumeFloatingPointInRange(-1e4f, 1e4f);
      }
    };
    maps.to_image.step = {step(), step()};
    maps.to_image.offset = {in.ConsumeFloatingPointInRange(-1e6f, 1e6f), in.ConsumeFloatingPointInRange(-1e6f, 1e6f)};
  } else {
    const float s = in.ConsumeFloatingPointInRange(0.25f, 16.0f);
    maps.to_image.step = {s, s};
  }
  maps.region = make_map(in, mode, map_size);
  const cv::Size aff_size = (flags & 2) ? cv::Size(map_size.height, map_size.width) : map_size;
  maps.affinity = make_map(in, mode, aff_size);

  ocr2s::craft::CharGraph graph;
  try {
    graph = ocr2s::craft::postprocess(maps, cfg);
  } catch (const ocr2s::InputError&) {
    return 0;  // documented refusal (NaN/inf, sizes, transform)
  }
  const int n = static_cast<int>(graph.nodes.size());
  for (const auto& node : graph.nodes) {
    OCR2S_FUZZ_REQUIRE(finite(node.quad));
    OCR2S_FUZZ_REQUIRE(std::isfinite(node.peak));
    OCR2S_FUZZ_REQUIRE(std::isfinite(node.area) && node.area >= 0.f);
  }
  for (const auto& l : graph.links) {
    OCR2S_FUZZ_REQUIRE(0 <= l.a && l.a < l.b && l.b < n);
    OCR2S_FUZZ_REQUIRE(std::isfinite(l.weight));
  }

  // As Reader::locate runs it: lines, then one crop per character.
  const auto lines = ocr2s::assemble::build_lines(graph, ocr2s::AssembleConfig{});
  std::set<int> used;
  std::vector<ocr2s::assemble::CropBox> boxes;
  for (const auto& line : lines) {
    OCR2S_FUZZ_REQUIRE(!line.chars.empty());
    OCR2S_FUZZ_REQUIRE(std::isfinite(line.height) && line.height >= 0.f);
    OCR2S_FUZZ_REQUIRE(std::isfinite(line.direction.x) && std::isfinite(line.direction.y));
    OCR2S_FUZZ_REQUIRE(std::abs(std::hypot(line.direction.x, line.direction.y) - 1.f) < 1e-3f);
    for (std::size_t i = 0; i < line.chars.size(); ++i) {
      const int node = line.chars[i].node;
      OCR2S_FUZZ_REQUIRE(0 <= node && node < n);
      OCR2S_FUZZ_REQUIRE(used.insert(node).second);  // each node in at most one slot
      OCR2S_FUZZ_REQUIRE(finite(line.chars[i].quad));
      // Both crop geometries: sized by the line's height alone, and by its
      // characters' width too.
      const ocr2s::assemble::CropFrame frame{1.3f, 1.f, i % 2 == 1};
      boxes.push_back(ocr2s::assemble::crop_box(line, i, frame));
      OCR2S_FUZZ_REQUIRE(std::isfinite(boxes.back().width) && boxes.back().width >= 0.f);
    }
  }
  if (!boxes.empty()) {
    cv::Mat gray(std::max(1, static_cast<int>(map_size.height * 2)), std::max(1, static_cast<int>(map_size.width * 2)),
                 CV_8UC1);
    cv::randu(gray, 0, 255);
    const auto crops = ocr2s::charcls::extract_crops(gray, boxes, cv::Size(32, 32));
    OCR2S_FUZZ_REQUIRE(crops.size() == boxes.size());
    for (const auto& c : crops) {
      OCR2S_FUZZ_REQUIRE(c.type() == CV_32FC1 && c.size() == cv::Size(32, 32));
      OCR2S_FUZZ_REQUIRE(cv::checkRange(c));
    }
  }
  return 0;
}
