// libFuzzer harness: image file bytes → ocr2s::load_image → Reader::read with the
// shipped models (default_model_dir(): OCR2S_MODEL_DIR, else models/).
//
// Contract (ocr2s/reader.hpp): load_image throws InputError or returns an image;
// read throws InputError or returns a result shaped as result.hpp documents.
// Everything else (another exception, a crash, a sanitizer report, a hang past
// -timeout, memory past -rss_limit_mb) is a finding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include "fuzz_common.hpp"
#include "ocr2s/reader.hpp"

namespace {

std::unique_ptr<ocr2s::Reader> g_reader;
std::string g_path;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  try {
    ocr2s::ReaderConfig config;
    config.torch_threads = 1;
    g_reader = std::make_unique<ocr2s::Reader>(config);
  } catch (const ocr2s::Error& e) {
    std::fprintf(stderr, "fuzz_read: cannot construct the Reader (shipped models in %s?): %s\n",
                 ocr2s::default_model_dir().c_str(), e.what());
    std::exit(1);
  }
  g_path = (std::filesystem::temp_directory_path() / ("ocr2s_fuzz_read_" + std::to_string(::getpid()) + ".img"))
               .string();
  std::atexit([] { std::remove(g_path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::FILE* f = std::fopen(g_path.c_str(), "wb");
    OCR2S_FUZZ_REQUIRE(f != nullptr);
    if (size > 0) OCR2S_FUZZ_REQUIRE(std::fwrite(data, 1, size, f) == size);
    std::fclose(f);
  }
  cv::Mat image;
  try {
    image = ocr2s::load_image(g_path);
  } catch (const ocr2s::InputError&) {
    return 0;
  }
  OCR2S_FUZZ_REQUIRE(!image.empty());
  ocr2s::ReadResult r;
  try {
    r = g_reader->read(image);
  } catch (const ocr2s::InputError&) {
    return 0;  // e.g. a pixel type the reader does not take
  }
  OCR2S_FUZZ_REQUIRE(r.image_size == image.size());
  for (const auto& line : r.lines) {
    OCR2S_FUZZ_REQUIRE(!line.chars.empty());
    OCR2S_FUZZ_REQUIRE(line.confidence >= 0.f && line.confidence <= 1.f);
    for (const auto& c : line.chars) {
      OCR2S_FUZZ_REQUIRE(c.probability >= line.confidence && c.probability <= 1.f);
      OCR2S_FUZZ_REQUIRE(!c.top_k.empty());
      for (const auto& p : c.quad.pts) OCR2S_FUZZ_REQUIRE(std::isfinite(p.x) && std::isfinite(p.y));
    }
  }
  return 0;
}
