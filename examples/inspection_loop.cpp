// How a line-side inspection program uses ocr2s: one Reader built at start-up,
// then for every part: read only the region where the code is printed, constrain
// it with an allowlist and a format pattern, gate on confidence, and verify it
// against the code the MES says this part must carry.
//
//   example_inspection_loop EXPECTED IMAGE [IMAGE…]
//
// The ROI below is the whole image shrunk by 2 % on each side; a real station
// knows where its fixture puts the label.
#include <cstdio>
#include <string>

#include <ocr2s/ocr2s.hpp>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s EXPECTED IMAGE [IMAGE...]\n", argv[0]);
    return 2;
  }
  const std::string expected = argv[1];

  ocr2s::ReaderConfig config;          // shipped models
  config.classifier.min_confidence = 0.9f;  // stricter gate than the default (0.8)
  const ocr2s::Reader reader(config);  // loads and validates once; read() is const

  int rejected = 0;
  for (int i = 2; i < argc; ++i) {
    try {
      const cv::Mat image = ocr2s::load_image(argv[i]);
      ocr2s::ReadOptions options;
      const int mx = image.cols / 50, my = image.rows / 50;
      options.rois = {cv::Rect(mx, my, image.cols - 2 * mx, image.rows - 2 * my)};
      options.allowlist = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-/.";
      options.expect = expected;
      const ocr2s::ReadResult r = reader.read(image, options);

      // Anything below the gate is a no-read, not a guess: send it to a person.
      const char* verdict = r.verification.passed ? "PASS" : "FAIL";
      std::printf("%s\t%s\tread '%s' (confidence %.3f, %d edits)\n", verdict, argv[i], r.text().c_str(),
                  r.confidence(), r.verification.edit_distance);
      if (!r.verification.passed) {
        ++rejected;
        for (const auto& line : r.lines) {
          for (const auto& c : line.chars) {
            if (c.status == ocr2s::CharStatus::kLowConfidence) {
              std::printf("\t  low confidence '%s' %.3f (next: '%s')\n", c.label.c_str(), c.probability,
                          c.top_k.size() > 1 ? c.top_k[1].label.c_str() : "-");
            }
          }
        }
        // A lone mark beside the code: a speck, or a character the layout cut off.
        for (const auto& m : r.marks)
          std::printf("\t  mark '%s' %.3f beside the code\n", m.label.c_str(), m.probability);
      }
    } catch (const ocr2s::Error& e) {
      ++rejected;
      std::printf("ERROR\t%s\t%s\n", argv[i], e.what());
    }
  }
  return rejected == 0 ? 0 : 1;
}
