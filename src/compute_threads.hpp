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

/// oneDNN primitives (compiled convolutions) kept per process by
/// limit_onednn_cache, when the user has not chosen a capacity.
inline constexpr int kOneDnnCacheCapacity = 32;

/// Caps oneDNN's primitive cache at kOneDnnCacheCapacity primitives, once per
/// process, through `dnnl_set_primitive_cache_capacity` when the process's
/// LibTorch uses a shared oneDNN that exports it (Debian's does); no-op when the
/// user set ONEDNN_PRIMITIVE_CACHE_CAPACITY or DNNL_PRIMITIVE_CACHE_CAPACITY.
/// The Detector and Classifier constructors call it. Why: oneDNN keeps a compiled
/// primitive, with its buffers, for every convolution shape it has run (up to
/// 1,024 by default), and a reader sees many shapes: every padded size of the
/// automatic scale's second pass (and, until session 18, when the classifier's
/// inference moved to plain GEMMs, every classifier batch size). Measured on 600
/// label images, one worker (max RSS): 450 MB with the default cache, 258 MB at
/// 64, 251 MB at 32, 226 MB with none; at 16 and 0 the primitives are compiled
/// again so often that it shows in the time. 32 kept the reading time of 64 on
/// those images and brings 10,000 images on two workers under the 300 MB budget
/// (benchmarks/README.md "Memory"). It costs throughput where image sizes vary:
/// `bench_compare` on two workers read 53–57 images/s at 32 against 82–107 at
/// 1,024 on session 10's machine (benchmarks/README.md, top); set
/// ONEDNN_PRIMITIVE_CACHE_CAPACITY where memory allows.
void limit_onednn_cache();

}  // namespace ocr2s
