#include "reader_fixtures.hpp"

#include "synth/synth.hpp"

namespace ocr2s_test {

std::vector<SampleImage> sample_images(int count, unsigned long long seed) {
  const auto styles = ocr2s::synth::all_styles();
  std::vector<SampleImage> out;
  for (int i = 0; i < count; ++i) {
    ocr2s::synth::SynthConfig sc;
    sc.styles = {styles[static_cast<std::size_t>(i) % styles.size()]};
    sc.max_size = cv::Size(640, 200);
    sc.max_lines = 2;
    sc.min_char_height = 16;
    sc.max_char_height = 60;
    const ocr2s::synth::Generator gen(sc, seed);
    auto s = gen.generate(static_cast<std::uint64_t>(i));
    SampleImage img;
    img.image = s.image;
    for (std::size_t l = 0; l < s.lines.size(); ++l) img.text += (l ? "\n" : "") + s.lines[l].text;
    img.style = ocr2s::synth::style_name(s.style);
    out.push_back(std::move(img));
  }
  return out;
}

}  // namespace ocr2s_test
