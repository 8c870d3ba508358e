// Small stand-in model files for reliability tests: they load in milliseconds,
// need no training, and include deliberately broken ones. Written once per test
// process into its own temporary folder. Defined in stub_models.cpp (the only
// test file here that includes Torch).
#pragma once

#include <filesystem>
#include <string>

#include "ocr2s/config.hpp"

namespace ocr2s_test {

enum class StubDetector {
  kPool,           ///< valid TorchScript: region/affinity = sigmoid of the 2×2-pooled R/G input
  kFullSize,       ///< output [N, H, W, 2] instead of [N, H/2, W/2, 2]
  kNotTensor,      ///< returns a list of integers
  kNaN,            ///< the contract's shape, every value NaN
  kRaises,         ///< raises (a TorchScript assert) on every input
  kFailsLarge,     ///< correct on the 64×96 load-time probe, raises on larger inputs
  kWrongShapeLarge ///< correct on the probe, [N, H/2, W/2, 3] on larger inputs
};

enum class StubClassifier {
  kRandom,     ///< valid native model, charset 0-9 A-Z, random weights (seeded)
  kMismatch,   ///< 36 labels but 38 outputs (37 needed)
  kNaNWeights  ///< valid shapes, one weight NaN
};

/// Path of the TorchScript detector file of that kind.
std::string stub_detector(StubDetector kind);
/// Path of the native classifier file of that kind.
std::string stub_classifier(StubClassifier kind);
/// This test process's scratch folder (created on first use, removed at exit;
/// per process because ctest runs test cases in parallel and other builds' test
/// runs may share /tmp).
std::filesystem::path scratch_dir();
/// A file in scratch_dir().
std::string scratch_file(const std::string& name);

/// A working Reader config from the stubs: the pooling detector (TorchScript) and
/// the random classifier. Reads are meaningless but well-formed, so the tests of
/// every code path between the two networks run without the shipped models.
ocr2s::ReaderConfig stub_config();

}  // namespace ocr2s_test
