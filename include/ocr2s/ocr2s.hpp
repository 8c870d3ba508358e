// ocr2s — umbrella header.
#pragma once

#include "ocr2s/config.hpp"
#include "ocr2s/errors.hpp"
#include "ocr2s/geometry.hpp"
#include "ocr2s/reader.hpp"
#include "ocr2s/result.hpp"
