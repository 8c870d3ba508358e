// Shared by the libFuzzer harnesses: an invariant check that fails loudly.
#pragma once

#include <cstdio>
#include <cstdlib>

// A violated invariant is a finding: print it and abort, which libFuzzer reports
// as a crash and saves the input that caused it.
#define OCR2S_FUZZ_REQUIRE(cond)                                                         \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
