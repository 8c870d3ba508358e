// ocr2s — symbol visibility for the shared library.
#pragma once

// The library is built with hidden visibility; only what is marked OCR2S_API is
// exported. Exception types must be exported so that `catch (const ocr2s::Error&)`
// matches across the shared-library boundary.
#if defined(_WIN32)
#  define OCR2S_API
#elif defined(__GNUC__) || defined(__clang__)
#  define OCR2S_API __attribute__((visibility("default")))
#else
#  define OCR2S_API
#endif
