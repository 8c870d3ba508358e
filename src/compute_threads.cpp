#include "compute_threads.hpp"

#include <cstdlib>
#include <mutex>
#include <string>

#include <dlfcn.h>

#include <ATen/Parallel.h>

#include "ocr2s/errors.hpp"

namespace ocr2s {

void set_compute_threads(int n) {
  if (n < 1) throw ConfigError("compute threads must be at least 1, got " + std::to_string(n));
  at::set_num_threads(n);
  // Looked up rather than linked: the BLAS behind LibTorch is chosen by the
  // system (Debian's alternatives), and only OpenBLAS has this pool.
  using SetThreads = void (*)(int);
  if (void* f = dlsym(RTLD_DEFAULT, "openblas_set_num_threads")) {
    reinterpret_cast<SetThreads>(f)(1);
  }
}

void limit_onednn_cache() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* v : {"ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY"}) {
      if (std::getenv(v) != nullptr) return;  // the user's choice wins
    }
    // Looked up for the same reason as OpenBLAS's pool above: whether oneDNN is a
    // shared library of its own depends on the LibTorch build.
    using SetCapacity = int (*)(int);
    if (void* f = dlsym(RTLD_DEFAULT, "dnnl_set_primitive_cache_capacity")) {
      reinterpret_cast<SetCapacity>(f)(kOneDnnCacheCapacity);
    }
  });
}

}  // namespace ocr2s
