// Internal: the generator's only source of randomness. Every draw goes through an
// explicit Rng seeded from (seed, index), never a global RNG or the clock, so
// Generator::generate(i) is a pure function of (config, seed, i). The
// distributions are written out here instead of using <random>'s, whose outputs
// are implementation-defined and would change the data set with the standard
// library.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace ocr2s::synth {

/// splitmix64 finaliser (Steele et al., "Fast splittable pseudorandom number
/// generators", 2014): a bijective 64-bit mix with full avalanche.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Seed for sample `index` of a data set with seed `seed`.
inline std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t index) {
  return splitmix64(splitmix64(seed) ^ splitmix64(index + 0x632BE59BD9B4E019ull));
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : eng_(seed) {}

  std::uint64_t next() { return eng_(); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(eng_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// Log-uniform in [a, b] (a, b > 0): scale-like quantities such as sizes.
  double log_uniform(double a, double b) { return a * std::exp(std::log(b / a) * uniform()); }
  /// Uniform integer in [lo, hi] (inclusive). The modulo bias is < 2^-40 here.
  int integer(int lo, int hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int>(eng_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return uniform() < p; }
  /// Normal via Box–Muller (one value per call, no cached state).
  double normal(double mean = 0.0, double sd = 1.0) {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  /// Normal clipped to [lo, hi].
  double clipped_normal(double mean, double sd, double lo, double hi) {
    const double v = normal(mean, sd);
    return v < lo ? lo : (v > hi ? hi : v);
  }
  /// Index drawn with the given non-negative weights.
  std::size_t weighted(const std::vector<double>& w) {
    double total = 0;
    for (double x : w) total += x;
    double r = uniform() * total;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (r < w[i]) return i;
      r -= w[i];
    }
    return w.empty() ? 0 : w.size() - 1;
  }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(integer(0, static_cast<int>(v.size()) - 1))];
  }
  /// A fresh 64-bit seed for a sub-generator (e.g. cv::RNG for noise fields).
  std::uint64_t fork() { return splitmix64(eng_()); }

 private:
  std::mt19937_64 eng_;
};

}  // namespace ocr2s::synth
