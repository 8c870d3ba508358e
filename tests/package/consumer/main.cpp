// A program that knows ocr2s only through its installed package.
#include <cstdio>
#include <string>

#include <ocr2s/ocr2s.hpp>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string prefix = argv[1];

  // Exceptions must cross the shared-library boundary with their type intact.
  ocr2s::ReaderConfig bad;
  bad.craft.model = prefix + "/no-such-detector.pt";
  try {
    ocr2s::Reader reader(bad);
    std::puts("FAIL: a missing model was accepted");
    return 1;
  } catch (const ocr2s::ModelError& e) {
    std::printf("ModelError as expected: %s\n", e.what());
  }

  // The installed models are found and read a blank image without text.
  ocr2s::ReaderConfig config;
  config.craft.model = prefix + "/share/ocr2s/models/detector.pt";
  config.classifier.model = prefix + "/share/ocr2s/models/classifier.pt";
  ocr2s::Reader reader(config);
  const cv::Mat blank(64, 256, CV_8UC1, cv::Scalar(255));
  const ocr2s::ReadResult result = reader.read(blank);
  std::printf("blank image: %zu lines, charset of %zu classes\n", result.lines.size(),
              reader.charset().size());
  return result.lines.empty() && !reader.charset().empty() ? 0 : 1;
}
