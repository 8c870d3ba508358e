// ocr2s — the exception hierarchy thrown at the library boundary.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "ocr2s/export.hpp"

namespace ocr2s {

/// Base of every exception ocr2s throws. Messages name the thing, the value and,
/// where there is one, the file: "models/cls.pt: charset has 36 labels but the
/// network outputs 37". Errors from LibTorch and OpenCV are caught inside the
/// library and rethrown as one of these with that context.
class OCR2S_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// A model file is missing, unreadable, corrupt or inconsistent with itself
/// (charset vs. output layer, wrong output shape, unknown format version).
class OCR2S_API ModelError : public Error {
 public:
  explicit ModelError(const std::string& what) : Error(what) {}
};

/// An input cannot be read: undecodable or empty image, unsupported pixel type,
/// score maps with NaN/inf or mismatched sizes, an option value out of range
/// (for example an allowlist that excludes every class).
class OCR2S_API InputError : public Error {
 public:
  explicit InputError(const std::string& what) : Error(what) {}
};

/// A configuration value is out of its documented range. Thrown by the Reader's
/// constructor, which validates everything before any image is read.
class OCR2S_API ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(what) {}
};

/// A pattern (see ocr2s/config.hpp, ReadOptions::pattern) is malformed.
/// position() is the 0-based index of the offending code point in the pattern.
class OCR2S_API PatternError : public Error {
 public:
  PatternError(const std::string& what, std::size_t position)
      : Error(what), position_(position) {}
  std::size_t position() const noexcept { return position_; }

 private:
  std::size_t position_;
};

}  // namespace ocr2s
