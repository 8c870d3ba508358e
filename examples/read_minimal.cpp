// The smallest ocr2s program: read one image, print each line and its confidence.
//   example_read_minimal IMAGE
#include <cstdio>

#include <ocr2s/ocr2s.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
    return 2;
  }
  try {
    const ocr2s::Reader reader;  // shipped models from ocr2s::default_model_dir()
    const ocr2s::ReadResult result = reader.read(ocr2s::load_image(argv[1]));
    for (const ocr2s::Line& line : result.lines) {
      std::printf("%s\t(confidence %.3f)\n", line.text.c_str(), line.confidence);
    }
    return 0;
  } catch (const ocr2s::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
