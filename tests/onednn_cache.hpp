// Shared by the detector and classifier tests: constructing either network caps
// oneDNN's primitive cache (ocr2s::limit_onednn_cache).
#pragma once

#include <cstdlib>
#include <functional>

#include <dlfcn.h>

#include "compute_threads.hpp"

/// Runs `construct` (which builds a network) and checks that oneDNN's cache
/// capacity then reads kOneDnnCacheCapacity. Skipped, with a WARN, where the
/// process has no shared oneDNN or the environment chose a capacity. Catch must
/// be included before this header.
inline void check_network_caps_onednn_cache(const std::function<void()>& construct) {
  using GetCapacity = int (*)(int*);  // dnnl_status_t dnnl_get_primitive_cache_capacity(int*)
  void* const get = dlsym(RTLD_DEFAULT, "dnnl_get_primitive_cache_capacity");
  if (get == nullptr) {
    WARN("this LibTorch has no shared oneDNN: nothing to cap");
    return;
  }
  if (std::getenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY") ||
      std::getenv("DNNL_PRIMITIVE_CACHE_CAPACITY")) {
    WARN("the environment chose oneDNN's cache capacity: the networks leave it alone");
    return;
  }
  construct();
  int capacity = -1;
  REQUIRE(reinterpret_cast<GetCapacity>(get)(&capacity) == 0);  // dnnl_success
  CHECK(capacity == ocr2s::kOneDnnCacheCapacity);
}
