// Process-wide thread settings for the networks' forward (and backward) passes.
// Torch-free interface; the implementation is in compute_threads.cpp.
#pragma once

namespace ocr2s {

/// Threads one forward pass may use, process-wide: LibTorch's intra-op pool gets
/// n, and when the process's BLAS is OpenBLAS (Debian's LibTorch does matrix
/// products there), OpenBLAS's own pool gets 1. LibTorch's setting does not reach
/// that pool, which otherwise keeps one busy thread per core. Measured on a 2-core
/// machine with the shipped detector: with only LibTorch's setting at 1, a
/// 640×160 forward used two cores' CPU time (12.4 ms for 6.2 ms wall), and two
/// reading workers gave 1.05× the throughput of one. With LibTorch at 2, the forward
/// took 5.3 ms with OpenBLAS at 2 threads and 3.7 ms with OpenBLAS at 1, because
/// two busy pools contend (benchmarks/README.md). Throws ConfigError for n < 1.
void set_compute_threads(int n);

}  // namespace ocr2s
