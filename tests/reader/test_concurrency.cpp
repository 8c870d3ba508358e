// Thread-safety contract of reader.hpp: read() is const and may be called from
// many threads on one Reader, with results identical to a sequential run. CI also
// runs this test in a ThreadSanitizer build (scripts/sanitize.sh thread).
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "ocr2s/reader.hpp"
#include "reader_fixtures.hpp"

TEST_CASE("four threads on one Reader give the sequential results", "[reader][concurrency]") {
  ocr2s::ReaderConfig config;
  config.torch_threads = 1;  // parallelism comes from the callers' threads
  const ocr2s::Reader reader(config);
  const auto images = ocr2s_test::sample_images(/*count=*/8);

  std::vector<std::string> sequential;
  for (const auto& s : images) sequential.push_back(ocr2s_test::fingerprint(reader.read(s.image)));

  constexpr int kThreads = 4;
  constexpr int kRounds = 2;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t]() {
      for (int r = 0; r < kRounds; ++r) {
        // Each thread walks the images from a different start, so different
        // images are in flight at the same time.
        for (std::size_t k = 0; k < images.size(); ++k) {
          const std::size_t i = (k + static_cast<std::size_t>(t) * 3) % images.size();
          got[t].push_back(std::to_string(i) + ":" + ocr2s_test::fingerprint(reader.read(images[i].image)));
        }
      }
    });
  }
  for (auto& th : pool) th.join();

  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(got[t].size() == images.size() * kRounds);
    for (const auto& entry : got[t]) {
      const std::size_t colon = entry.find(':');
      const std::size_t i = std::stoul(entry.substr(0, colon));
      CHECK(entry.substr(colon + 1) == sequential[i]);
    }
  }
}
