// ocr2s and Tesseract 5 side by side on the same images in one run: accuracy per
// style, latency, throughput, peak memory, ocr2s per stage, and the detector's
// achieved GFLOP/s against a calibration convolution on this machine.
//
//   bench_compare [--per-style N] [--seed S] [--reread-below P] [--out FILE.md]
//
// Each engine runs in its own child process (fork before either initialises), so
// peak RSS is each engine's own and neither warms caches for the other.
// Tesseract is set up fairly: LSTM engine (OEM_LSTM_ONLY), loaded once, one thread
// (OMP_THREAD_LIMIT=1), whitelist = ocr2s's charset, PSM 6 (a single uniform block
// of text, which suits one- and multi-line codes), the same gray image.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <tesseract/baseapi.h>
#include <torch/torch.h>

#include "charcls/crops.hpp"
#include "compute_threads.hpp"
#include "core/align.hpp"
#include "core/utf8.hpp"
#include "craft/detector_net.hpp"
#include "ocr2s/reader.hpp"
#include "synth/synth.hpp"

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

struct Item {
  std::vector<unsigned char> png;
  std::string text;  // lines joined by '\n'
  std::string style;
};

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double pct(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))];
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Whitespace-insensitive exact match and edit distance.
void score(const std::string& want, const std::string& got, json& acc) {
  const auto w = ocr2s::utf8_split(ocr2s::strip_spaces(want));
  const auto g = ocr2s::utf8_split(ocr2s::strip_spaces(got));
  const auto steps = ocr2s::align(w, g);
  if (acc.is_null()) acc = json::object();
  acc["n"] = acc.value("n", 0) + 1;
  acc["exact"] = acc.value("exact", 0) + (w == g ? 1 : 0);
  acc["edits"] = acc.value("edits", 0) + ocr2s::edit_distance(steps, w, g);
  acc["chars"] = acc.value("chars", 0) + static_cast<int>(w.size());
}

// Runs `engine(image) -> text` over all items: accuracy, latency, throughput.
template <typename MakeEngine>
json run_engine(const std::vector<Item>& items, MakeEngine make_engine, int max_threads) {
  json out;
  auto engine = make_engine();
  // Warm-up: first calls allocate and initialise lazily in both engines.
  for (std::size_t i = 0; i < std::min<std::size_t>(3, items.size()); ++i) {
    engine(cv::imdecode(items[i].png, cv::IMREAD_UNCHANGED));
  }
  std::vector<double> lat;
  json by_style;
  const auto t0 = Clock::now();
  for (const auto& it : items) {
    const auto t = Clock::now();
    const std::string text = engine(cv::imdecode(it.png, cv::IMREAD_UNCHANGED));
    lat.push_back(ms_since(t));
    score(it.text, text, by_style[it.style]);
    score(it.text, text, by_style["all"]);
  }
  out["ips_1"] = items.size() / (ms_since(t0) / 1000.0);
  out["p50_ms"] = pct(lat, 0.5);
  out["p95_ms"] = pct(lat, 0.95);
  out["acc"] = by_style;
  if (max_threads >= 2) {
    std::vector<decltype(make_engine())> engines;
    for (int t = 0; t < max_threads; ++t) engines.push_back(make_engine());
    std::atomic<std::size_t> next{0};
    const auto t1 = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < max_threads; ++t) {
      pool.emplace_back([&, t]() {
        for (std::size_t i = next++; i < items.size(); i = next++) {
          engines[t](cv::imdecode(items[i].png, cv::IMREAD_UNCHANGED));
        }
      });
    }
    for (auto& th : pool) th.join();
    out["ips_" + std::to_string(max_threads)] = items.size() / (ms_since(t1) / 1000.0);
  }
  out["peak_rss_mb"] = peak_rss_kb() / 1024.0;
  return out;
}

json run_ocr2s(const std::vector<Item>& items, int max_threads, const ocr2s::ReaderConfig& config) {
  ocr2s::set_compute_threads(1);
  // One Reader shared by all threads (read() is const and thread-safe), as a
  // line-side program would use it.
  auto reader = std::make_shared<ocr2s::Reader>(config);
  json out = run_engine(
      items,
      [&]() { return [reader](const cv::Mat& m) { return reader->read(m).text(); }; },
      max_threads);

  // Per stage, same images, one thread, as the reader times them itself
  // (ReadResult::timing); decoding the PNG is the benchmark's own.
  std::map<std::string, std::vector<double>> st;
  std::size_t chars = 0;
  for (const auto& it : items) {
    const auto t = Clock::now();
    const cv::Mat img = cv::imdecode(it.png, cv::IMREAD_UNCHANGED);
    st["decode"].push_back(ms_since(t));
    const ocr2s::ReadResult r = reader->read(img);
    for (const auto& [name, ms] : r.timing.stages()) st[name].push_back(ms);
    for (const auto& l : r.lines) chars += l.chars.size() + l.rejected.size();
    chars += r.marks.size();
  }
  for (const auto& [name, v] : st) out["stages"][name] = pct(v, 0.5);
  out["chars_per_image"] = static_cast<double>(chars) / std::max<std::size_t>(1, items.size());

  // Achieved detector GFLOP/s on a 640×160 input vs. a calibration convolution
  // of about the same FLOPs (dense 3×3, 64→64 channels on 40×160) in this build.
  ocr2s::craft::DetectorNet net;
  net->fuse_for_inference();
  const double gflop = net->flops(160, 640) / 1e9;
  auto time_fn = [](auto&& fn) {
    for (int i = 0; i < 5; ++i) fn();
    std::vector<double> v;
    for (int i = 0; i < 40; ++i) {
      const auto t = Clock::now();
      fn();
      v.push_back(ms_since(t));
    }
    return pct(v, 0.5);
  };
  c10::InferenceMode guard;
  const auto x = torch::randn({1, 3, 160, 640});
  const double det_ms = time_fn([&]() { net->forward(x); });
  auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3).padding(1));
  conv->eval();
  const auto y = torch::randn({1, 64, 40, 160});
  const double cal_gflop = 2.0 * 64 * 64 * 9 * 40 * 160 / 1e9;
  const double cal_ms = time_fn([&]() { conv->forward(y); });
  out["det_gflop"] = gflop;
  out["det_ms"] = det_ms;
  out["det_gflops"] = gflop / (det_ms / 1000.0);
  out["cal_gflops"] = cal_gflop / (cal_ms / 1000.0);
  return out;
}

json run_tesseract(const std::vector<Item>& items, const std::string& whitelist, int max_threads) {
  setenv("OMP_THREAD_LIMIT", "1", 1);
  auto make = [&]() {
    auto api = std::make_shared<tesseract::TessBaseAPI>();
    if (api->Init(nullptr, "eng", tesseract::OEM_LSTM_ONLY) != 0) {
      throw std::runtime_error("tesseract: cannot load eng.traineddata");
    }
    api->SetPageSegMode(tesseract::PSM_SINGLE_BLOCK);
    api->SetVariable("tessedit_char_whitelist", whitelist.c_str());
    return [api](const cv::Mat& m) {
      cv::Mat gray = ocr2s::charcls::to_gray8(m);
      api->SetImage(gray.data, gray.cols, gray.rows, 1, static_cast<int>(gray.step));
      char* t = api->GetUTF8Text();
      std::string s = t != nullptr ? t : "";
      delete[] t;
      return s;
    };
  };
  return run_engine(items, make, max_threads);
}

// Runs fn in a child process and returns the JSON it wrote to a pipe.
template <typename Fn>
json in_child(Fn fn) {
  int fd[2];
  if (pipe(fd) != 0) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    std::string s;
    try {
      s = fn().dump();
    } catch (const std::exception& e) {
      s = json{{"error", e.what()}}.dump();
    }
    if (write(fd[1], s.data(), s.size()) < 0) _exit(1);
    close(fd[1]);
    _exit(0);
  }
  close(fd[1]);
  std::string s;
  char buf[65536];
  for (ssize_t n; (n = read(fd[0], buf, sizeof buf)) > 0;) s.append(buf, static_cast<std::size_t>(n));
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  auto j = json::parse(s, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("child produced no result");
  if (j.contains("error")) throw std::runtime_error(j["error"].get<std::string>());
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  int per_style = 40;
  std::uint64_t seed = 424242;
  std::string out_path;
  ocr2s::ReaderConfig config;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--per-style" && i + 1 < argc) per_style = std::atoi(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--out" && i + 1 < argc) out_path = argv[++i];
    else if (a == "--reread-below" && i + 1 < argc)
      config.classifier.reread_below = std::strtof(argv[++i], nullptr);
    else if (a == "--max-auto-magnify" && i + 1 < argc)
      config.craft.max_auto_magnify = std::strtof(argv[++i], nullptr);
    else {
      std::fprintf(stderr,
                   "usage: %s [--per-style N] [--seed S] [--reread-below P] [--max-auto-magnify M] "
                   "[--out FILE.md]\n",
                   argv[0]);
      return 2;
    }
  }
  cv::setNumThreads(1);

  // Label-sized images of every style from a seed never used in training.
  std::vector<Item> items;
  for (auto style : ocr2s::synth::all_styles()) {
    ocr2s::synth::SynthConfig sc;
    sc.styles = {style};
    sc.max_size = cv::Size(640, 200);
    sc.max_lines = 2;
    sc.max_char_height = 60;
    sc.min_char_height = 16;
    ocr2s::synth::Generator gen(sc, seed);
    for (int i = 0; i < per_style; ++i) {
      const auto s = gen.generate(static_cast<std::uint64_t>(i));
      Item it;
      cv::imencode(".png", s.image, it.png);
      for (std::size_t l = 0; l < s.lines.size(); ++l) it.text += (l ? "\n" : "") + s.lines[l].text;
      it.style = ocr2s::synth::style_name(style);
      items.push_back(std::move(it));
    }
  }
  std::string whitelist;
  for (const auto& l : ocr2s::synth::expand_charset(ocr2s::synth::SynthConfig{}.charset)) whitelist += l;

  const int threads = 2;
  std::fprintf(stderr, "bench_compare: %zu images; running ocr2s…\n", items.size());
  const json o = in_child([&]() { return run_ocr2s(items, threads, config); });
  std::fprintf(stderr, "bench_compare: running Tesseract…\n");
  const json t = in_child([&]() { return run_tesseract(items, whitelist, threads); });

  std::ostringstream md;
  auto acc = [](const json& a, const std::string& key) {
    const double n = a.value("n", 0);
    return key == "exact" ? 100.0 * a.value("exact", 0) / std::max(1.0, n)
                          : 100.0 * a.value("edits", 0) / std::max(1.0, a.value("chars", 0) * 1.0);
  };
  md << "Images: " << items.size() << " synthetic label-sized images (" << per_style
     << " per style, ≤ 640×200, 1–2 lines), seed " << seed << ", never used in training.\n\n";
  md << "| style | ocr2s exact % | Tesseract exact % | ocr2s CER % | Tesseract CER % |\n";
  md << "|---|---:|---:|---:|---:|\n";
  char buf[256];
  for (const auto& [style, a] : o["acc"].items()) {
    const json& b = t["acc"][style];
    std::snprintf(buf, sizeof buf, "| %s | %.1f | %.1f | %.2f | %.2f |\n", style.c_str(), acc(a, "exact"),
                  acc(b, "exact"), acc(a, "cer"), acc(b, "cer"));
    md << buf;
  }
  md << "\n| engine | p50 ms | p95 ms | images/s, 1 thread | images/s, 2 threads | peak RSS MB |\n";
  md << "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& [name, j] : {std::pair<std::string, json>{"ocr2s", o}, {"Tesseract 5 (LSTM)", t}}) {
    std::snprintf(buf, sizeof buf, "| %s | %.2f | %.2f | %.1f | %.1f | %.0f |\n", name.c_str(),
                  j["p50_ms"].get<double>(), j["p95_ms"].get<double>(), j["ips_1"].get<double>(),
                  j["ips_2"].get<double>(), j["peak_rss_mb"].get<double>());
    md << buf;
  }
  std::snprintf(buf, sizeof buf, "\nSpeed-up at one thread (p50): **%.1f×**.\n\n",
                t["p50_ms"].get<double>() / std::max(1e-9, o["p50_ms"].get<double>()));
  md << buf;
  md << "ocr2s per stage (median ms per image, one thread, " << o["chars_per_image"].get<double>()
     << " detections per image on average, characters and vetoes):\n\n| decode | detector | "
        "postprocess | layout | crops | classifier | text |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n|";
  for (const char* s : {"decode", "detector", "postprocess", "layout", "crops", "classifier", "text"}) {
    std::snprintf(buf, sizeof buf, " %.3f |", o["stages"][s].get<double>());
    md << buf;
  }
  std::snprintf(buf, sizeof buf,
                "\n\nDetector on 640×160: %.3f GFLOP in %.2f ms = %.1f GFLOP/s; a dense 3×3 64→64 "
                "calibration convolution of similar size runs at %.1f GFLOP/s here, so the detector "
                "achieves %.0f %% of what this machine's convolutions reach.\n",
                o["det_gflop"].get<double>(), o["det_ms"].get<double>(), o["det_gflops"].get<double>(),
                o["cal_gflops"].get<double>(),
                100.0 * o["det_gflops"].get<double>() / std::max(1e-9, o["cal_gflops"].get<double>()));
  md << buf;

  std::fputs(md.str().c_str(), stdout);
  if (!out_path.empty()) std::ofstream(out_path) << md.str();
  return 0;
}
