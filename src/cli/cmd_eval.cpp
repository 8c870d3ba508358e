// `ocr2s eval --labels labels.tsv` — accuracy against line-level ground truth.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "cli/labels.hpp"
#include "cli/report.hpp"
#include "core/align.hpp"
#include "core/utf8.hpp"
#include "ocr2s/reader.hpp"

namespace ocr2s::cli {
namespace {

struct Options {
  std::string labels;
  int threads = 1;
  std::string out;
  std::string gallery;
  int gallery_max = 200;
  bool formats = false;
  ReaderOptions reader;
};

// The pattern of a row's `format` column: its lines' formats as alternatives
// (ReadOptions::pattern holds every line to one pattern); empty when it has none.
std::string row_pattern(const std::string& format) {
  std::vector<std::string> alts;
  std::size_t start = 0;
  while (start <= format.size()) {
    const std::size_t end = std::min(format.find('\n', start), format.size());
    const std::string f = format.substr(start, end - start);
    if (!f.empty() && std::find(alts.begin(), alts.end(), f) == alts.end()) alts.push_back(f);
    start = end + 1;
  }
  if (alts.size() <= 1) return alts.empty() ? std::string() : alts[0];
  std::string p = "(";
  for (std::size_t i = 0; i < alts.size(); ++i) p += (i ? "|" : "") + alts[i];
  return p + ")";
}

// Per-image outcome at the confidence gate.
struct Outcome {
  bool strict = false;      // text == label exactly (lines, spaces)
  bool loose = false;       // equal with all whitespace removed
  bool flagged = false;     // some character below the gate, or nothing read: a no-read
  bool failed = false;      // the image could not be read at all
  int edits = 0;            // whitespace-insensitive edit distance
  int length = 0;           // label characters, whitespace removed
  double ms = 0.0;
  std::vector<std::pair<std::string, std::string>> confusions;  // (expected, read); "" = none
};

struct Tally {
  int n = 0, strict = 0, loose = 0, misread = 0, noread = 0, failed = 0;
  long edits = 0, chars = 0;
  void add(const Outcome& o) {
    ++n;
    strict += o.strict;
    loose += o.loose;
    failed += o.failed;
    if (o.flagged) ++noread;
    else if (!o.loose) ++misread;
    edits += o.edits;
    chars += o.length;
  }
  nlohmann::json json() const {
    auto pct = [&](int k) { return n ? 100.0 * k / n : 0.0; };
    return {{"images", n},
            {"exact_strict_pct", pct(strict)},
            {"exact_pct", pct(loose)},
            {"cer_pct", chars ? 100.0 * edits / chars : 0.0},
            {"misread_pct", pct(misread)},
            {"noread_pct", pct(noread)},
            {"failed", failed}};
  }
};

Outcome score(const std::string& label, const ReadResult* r) {
  Outcome o;
  const auto want = utf8_split(strip_spaces(label));
  o.length = static_cast<int>(want.size());
  if (r == nullptr) {
    o.failed = o.flagged = true;
    o.edits = o.length;
    return o;
  }
  const std::string text = r->text();
  o.strict = text == label;
  const auto got = utf8_split(strip_spaces(text));
  o.loose = got == want;
  o.flagged = !r->trusted();
  const auto steps = align(want, got);
  o.edits = edit_distance(steps, want, got);
  for (const auto& s : steps) {
    const std::string a = s.i >= 0 ? want[s.i] : "";
    const std::string b = s.j >= 0 ? got[s.j] : "";
    if (a != b) o.confusions.emplace_back(a, b);
  }
  return o;
}

void print_header(const char* first_column) {
  std::printf("| %-10s | images | exact %% | strict %% | CER %% | misread %% | no-read %% |\n",
              first_column);
  std::printf("|------------|-------:|--------:|---------:|------:|----------:|----------:|\n");
}

void print_row(const std::string& name, const Tally& t) {
  const auto j = t.json();
  std::printf("| %-10s | %6d | %7.2f | %7.2f | %6.2f | %7.2f | %7.2f |\n", name.c_str(), t.n,
              j["exact_pct"].get<double>(), j["exact_strict_pct"].get<double>(), j["cer_pct"].get<double>(),
              j["misread_pct"].get<double>(), j["noread_pct"].get<double>());
}

int run(const Options& o) {
  const auto rows = read_labels(o.labels);
  if (rows.empty()) throw InputError(o.labels + ": no rows");
  Reader reader(o.reader.config());
  const ReadOptions ro = o.reader.read_options();
  if (o.formats) {
    if (!ro.pattern.empty()) throw InputError("eval: --formats and --pattern exclude each other");
    if (std::none_of(rows.begin(), rows.end(),
                     [](const LabelRow& r) { return !r.format.empty(); })) {
      throw InputError(o.labels + ": --formats needs a 'format' column (ocr2s synth writes one)");
    }
  }

  std::vector<Outcome> outcomes(rows.size());
  std::vector<std::string> texts(rows.size());
  std::vector<ReadTiming> timings(rows.size());
  std::atomic<std::size_t> next{0};
  std::mutex err;
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&]() {
    for (std::size_t i = next++; i < rows.size(); i = next++) {
      try {
        const cv::Mat image = load_image(rows[i].path);
        const auto a = std::chrono::steady_clock::now();
        ReadOptions mine = ro;
        if (o.formats) mine.pattern = row_pattern(rows[i].format);
        const ReadResult r = reader.read(image, mine);
        const auto b = std::chrono::steady_clock::now();
        outcomes[i] = score(rows[i].text, &r);
        outcomes[i].ms = std::chrono::duration<double, std::milli>(b - a).count();
        timings[i] = r.timing;
        texts[i] = r.text();
        if (!o.gallery.empty() && !outcomes[i].loose) {
          const auto name = "fail_" + std::to_string(i) + ".png";
          cv::imwrite((std::filesystem::path(o.gallery) / name).string(), draw_overlay(image, r));
        }
      } catch (const Error& e) {
        outcomes[i] = score(rows[i].text, nullptr);
        texts[i] = std::string("ERROR: ") + e.what();
        std::lock_guard<std::mutex> lock(err);
        std::fprintf(stderr, "ocr2s: %s\n", e.what());
      }
    }
  };
  if (!o.gallery.empty()) std::filesystem::create_directories(o.gallery);
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, o.threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Tally all;
  std::map<std::string, Tally> by_style;
  // Synthetic sets: accuracy against how faint the hardest character is.
  const std::vector<std::pair<float, const char*>> bands = {
      {5.f, "< 5"},
      {10.f, "5-10"},
      {20.f, "10-20"},
      {std::numeric_limits<float>::infinity(), ">= 20"}};
  std::vector<Tally> by_band(bands.size());
  std::map<std::pair<std::string, std::string>, int> confusions;
  std::vector<double> ms;
  // Where the time went, stage by stage (ReadResult::timing), mean over the
  // images read.
  auto stage_mean = ReadTiming{}.stages();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    all.add(outcomes[i]);
    if (!rows[i].style.empty()) by_style[rows[i].style].add(outcomes[i]);
    if (!std::isnan(rows[i].legibility)) {
      std::size_t b = 0;
      while (b + 1 < bands.size() && !(rows[i].legibility < bands[b].first)) ++b;
      by_band[b].add(outcomes[i]);
    }
    for (const auto& c : outcomes[i].confusions) ++confusions[c];
    if (!outcomes[i].failed) {
      ms.push_back(outcomes[i].ms);
      const auto stages = timings[i].stages();
      for (std::size_t f = 0; f < stages.size(); ++f) stage_mean[f].second += stages[f].second;
    }
  }
  for (auto& stage : stage_mean)
    stage.second /= static_cast<double>(std::max<std::size_t>(1, ms.size()));
  std::sort(ms.begin(), ms.end());
  const double p50 = ms.empty() ? 0 : ms[ms.size() / 2];
  const double p95 = ms.empty() ? 0 : ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];

  print_header("style");
  for (const auto& [name, t] : by_style) print_row(name, t);
  print_row("all", all);
  if (std::any_of(by_band.begin(), by_band.end(), [](const Tally& t) { return t.n > 0; })) {
    std::printf(
        "\nby legibility (the weakest character's contrast-to-noise ratio, labels.tsv column):\n");
    print_header("legibility");
    for (std::size_t b = 0; b < bands.size(); ++b) {
      if (by_band[b].n > 0) print_row(bands[b].second, by_band[b]);
    }
  }
  std::printf("\nspeed: %.2f images/s on %d thread(s); per image p50 %.1f ms, p95 %.1f ms\n",
              rows.size() / std::max(wall, 1e-9), std::max(1, o.threads), p50, p95);
  std::printf("per stage, mean ms per image:");
  for (std::size_t f = 0; f < stage_mean.size(); ++f) {
    std::printf("%s %s %.2f", f ? "," : "", stage_mean[f].first, stage_mean[f].second);
  }
  std::printf("\n");
  std::printf("gate: min_confidence %s; misread = wrong and not flagged, no-read = flagged\n",
              o.reader.min_confidence >= 0 ? std::to_string(o.reader.min_confidence).c_str() : "(model default)");

  std::vector<std::pair<int, std::pair<std::string, std::string>>> worst;
  for (const auto& [k, v] : confusions) worst.push_back({v, k});
  std::sort(worst.begin(), worst.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::printf("\nworst confusions (expected → read, ∅ = missing/extra):\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(15, worst.size()); ++i) {
    const auto& [a, b] = worst[i].second;
    std::printf("  %s → %s  ×%d\n", a.empty() ? "∅" : a.c_str(), b.empty() ? "∅" : b.c_str(), worst[i].first);
  }

  if (!o.gallery.empty()) {
    std::ofstream html(std::filesystem::path(o.gallery) / "index.html");
    html << "<!doctype html><meta charset=utf-8><title>ocr2s failures</title>"
            "<style>body{font-family:sans-serif}figure{display:inline-block;margin:8px}"
            "img{max-width:480px;border:1px solid #888}</style><h1>Failures</h1>\n";
    int shown = 0;
    auto esc = [](const std::string& s) {
      std::string r;
      for (char c : s) r += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
      return r;
    };
    for (std::size_t i = 0; i < rows.size() && shown < o.gallery_max; ++i) {
      if (outcomes[i].loose) continue;
      ++shown;
      html << "<figure><img src=\"fail_" << i << ".png\"><figcaption>" << esc(rows[i].image)
           << "<br>expected <b>" << esc(escape_lines(rows[i].text)) << "</b><br>read <b>"
           << esc(escape_lines(texts[i])) << "</b></figcaption></figure>\n";
    }
  }
  if (!o.out.empty()) {
    nlohmann::json j = {{"labels", o.labels}, {"formats", o.formats},
                        {"all", all.json()},  {"p50_ms", p50},
                        {"p95_ms", p95},      {"images_per_s", rows.size() / std::max(wall, 1e-9)}};
    for (const auto& [name, mean] : stage_mean) j["stage_ms_mean"][name] = mean;
    for (const auto& [name, t] : by_style) j["styles"][name] = t.json();
    for (std::size_t b = 0; b < bands.size(); ++b) {
      if (by_band[b].n > 0) j["legibility"][bands[b].second] = by_band[b].json();
    }
    std::ofstream(o.out) << j.dump(2) << "\n";
  }
  return all.failed > 0 ? 1 : 0;
}

const Registrar kEval("eval", "Measure accuracy against a labels.tsv", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  app.add_option("-l,--labels", o->labels, "labels.tsv: image<TAB>text[<TAB>style] with a header row")
      ->required();
  app.add_option("-j,--threads", o->threads, "Worker threads")->check(CLI::Range(1, 256));
  app.add_option("-o,--out", o->out, "Also write the figures as JSON to FILE");
  app.add_option("--gallery", o->gallery, "Write a failure gallery (overlays + index.html) to DIR");
  app.add_flag("--formats", o->formats,
               "Read each image with its row's 'format' column as the pattern (its lines' formats "
               "as alternatives), as a station configured for that code reads it");
  o->reader.add_to(app);
  return [o]() { return run(*o); };
});

}  // namespace
}  // namespace ocr2s::cli
