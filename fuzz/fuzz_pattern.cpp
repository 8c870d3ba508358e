// libFuzzer harness: pattern compiler + most-probable matching decode + allowlist.
//
// The input is a pattern (arbitrary bytes, so invalid UTF-8 too), an allowlist,
// and a probability table (up to 24 positions over a 41-label charset with
// multi-byte labels). Contracts (assemble/pattern.hpp, assemble/text.hpp):
// compile throws PatternError or gives a Pattern; allow_mask throws InputError or
// gives a mask. The decode result is checked against matches():
//  * a matched decode has one class per position, each allowed (p > 0), and its
//    string matches the pattern;
//  * when the per-position best string itself matches, decoding must find a
//    string at least as probable (it is the most probable one).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "assemble/pattern.hpp"
#include "assemble/text.hpp"
#include "fuzz_common.hpp"
#include "ocr2s/errors.hpp"

namespace {

const std::vector<std::string>& labels() {
  static const std::vector<std::string> l = [] {
    std::vector<std::string> v;
    for (char c = '0'; c <= '9'; ++c) v.emplace_back(1, c);
    for (char c = 'A'; c <= 'Z'; ++c) v.emplace_back(1, c);
    for (const char* s : {"-", ".", "/", "\xC3\xBC" /* ü */, "\xE2\x82\xAC" /* € */}) v.emplace_back(s);
    return v;
  }();
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string source = in.ConsumeRandomLengthString(96);
  const std::string allowlist = in.ConsumeRandomLengthString(16);
  const std::size_t length = in.ConsumeIntegralInRange<std::size_t>(0, 24);
  const auto& names = labels();

  ocr2s::assemble::Charset charset;
  charset.labels = names;
  std::vector<bool> mask;
  try {
    mask = ocr2s::assemble::allow_mask(charset, allowlist);
  } catch (const ocr2s::InputError&) {
    mask.clear();  // no allowed label: decode unmasked
  }
  if (!mask.empty()) {
    OCR2S_FUZZ_REQUIRE(mask.size() == static_cast<std::size_t>(charset.num_classes()));
    OCR2S_FUZZ_REQUIRE(mask.back());  // the reject class is never masked
  }

  // Rows over the labels (the reject class is not part of pattern decoding).
  std::vector<std::vector<float>> probs(length, std::vector<float>(names.size()));
  for (auto& row : probs) {
    std::vector<float> full(static_cast<std::size_t>(charset.num_classes()));
    for (auto& p : full) p = static_cast<float>(in.ConsumeIntegral<std::uint8_t>());
    if (!mask.empty()) ocr2s::assemble::apply_mask(full, mask);
    double sum = 0;
    for (float p : full) sum += p;
    for (std::size_t k = 0; k < row.size(); ++k) row[k] = sum > 0 ? static_cast<float>(full[k] / sum) : 0.f;
    for (float p : row) OCR2S_FUZZ_REQUIRE(std::isfinite(p) && p >= 0.f && p <= 1.f);
  }

  ocr2s::assemble::Pattern pattern;
  try {
    pattern = ocr2s::assemble::Pattern::compile(source);
  } catch (const ocr2s::PatternError& e) {
    OCR2S_FUZZ_REQUIRE(e.position() <= source.size());
    return 0;
  }

  const auto d = pattern.decode(probs, names);
  if (d.matched) {
    OCR2S_FUZZ_REQUIRE(d.classes.size() == length);
    std::vector<std::string> chars;
    for (std::size_t i = 0; i < length; ++i) {
      const int k = d.classes[i];
      OCR2S_FUZZ_REQUIRE(0 <= k && static_cast<std::size_t>(k) < names.size());
      OCR2S_FUZZ_REQUIRE(probs[i][static_cast<std::size_t>(k)] > 0.f);
      chars.push_back(names[static_cast<std::size_t>(k)]);
    }
    OCR2S_FUZZ_REQUIRE(pattern.matches(chars));
    OCR2S_FUZZ_REQUIRE(!std::isnan(d.log_prob) && d.log_prob <= 1e-6);
  }

  // The per-position best string: if it matches, decoding must do at least as well.
  std::vector<std::string> best;
  double best_log = 0;
  bool all_positive = true;
  for (const auto& row : probs) {
    std::size_t arg = 0;
    for (std::size_t k = 1; k < row.size(); ++k) {
      if (row[k] > row[arg]) arg = k;
    }
    all_positive = all_positive && row[arg] > 0.f;
    best.push_back(names[arg]);
    best_log += std::log(static_cast<double>(row[arg]));
  }
  if (all_positive && pattern.matches(best)) {
    OCR2S_FUZZ_REQUIRE(d.matched);
    OCR2S_FUZZ_REQUIRE(d.log_prob >= best_log - 1e-4 * (1.0 + std::abs(best_log)));
  }
  return 0;
}
