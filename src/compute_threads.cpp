#include "compute_threads.hpp"

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

}  // namespace ocr2s
