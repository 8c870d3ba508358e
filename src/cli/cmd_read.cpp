// `ocr2s read PATHS…` — read files, folders and globs; JSON Lines, CSV or TSV out.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "cli/command.hpp"
#include "cli/common_options.hpp"
#include "cli/inputs.hpp"
#include "cli/report.hpp"
#include "ocr2s/reader.hpp"

namespace ocr2s::cli {
namespace {

struct Options {
  std::vector<std::string> paths;
  std::string out;
  std::string format = "jsonl";
  int threads = 1;
  std::string expect;
  std::vector<std::string> rois;
  std::string draw;
  bool resume = false;
  bool progress = true;
  ReaderOptions reader;
};

cv::Rect parse_roi(const std::string& s) {
  int x, y, w, h;
  char c1, c2, c3;
  std::istringstream in(s);
  if (!(in >> x >> c1 >> y >> c2 >> w >> c3 >> h) || c1 != ',' || c2 != ',' || c3 != ',' || w <= 0 || h <= 0) {
    throw InputError("--roi '" + s + "': expected x,y,width,height with positive size");
  }
  return {x, y, w, h};
}

// The image path of one output record, or empty when the record is incomplete.
std::string record_image(const std::string& line, const std::string& format) {
  if (line.empty()) return {};
  if (format == "jsonl") {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.contains("image")) return {};
    return j["image"].get<std::string>();
  }
  if (format == "tsv") return line.substr(0, line.find('\t'));
  // csv: first field, possibly quoted
  if (line[0] != '"') return line.substr(0, line.find(','));
  std::string out;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '"') {
      if (i + 1 < line.size() && line[i + 1] == '"') {
        out += '"';
        ++i;
      } else {
        return out;
      }
    } else {
      out += line[i];
    }
  }
  return {};
}

// --resume: keeps the complete records of an earlier run (dropping a torn last
// line left by a killed process) and returns the images they cover.
std::set<std::string> resume_from(const std::string& path, const std::string& format) {
  std::set<std::string> done;
  std::ifstream in(path, std::ios::binary);
  if (!in) return done;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::size_t keep = content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
  std::istringstream lines(content.substr(0, keep));
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (first && format != "jsonl") {  // header row
      first = false;
      continue;
    }
    first = false;
    const std::string img = record_image(line, format);
    if (!img.empty()) done.insert(img);
  }
  if (keep != content.size()) std::filesystem::resize_file(path, keep);
  return done;
}

std::string format_record(const std::string& image, const ReadResult* r, const std::string& error,
                          const std::string& format) {
  if (format == "jsonl") {
    return (r != nullptr ? to_json(image, *r) : error_json(image, error)).dump() + "\n";
  }
  if (format == "tsv") return image + "\t" + (r != nullptr ? escape_lines(r->text()) : "") + "\n";
  std::ostringstream s;
  s << csv_field(image) << "," << csv_field(r != nullptr ? escape_lines(r->text()) : "") << ",";
  if (r != nullptr) s << r->confidence();
  s << "," << csv_field(error) << "\n";
  return s.str();
}

std::string header(const std::string& format) {
  if (format == "tsv") return "image\ttext\n";
  if (format == "csv") return "image,text,confidence,error\n";
  return {};
}

int run(const Options& o) {
  const auto inputs = expand_inputs(o.paths);
  if (inputs.empty()) throw InputError("no input images");
  ReaderConfig config = o.reader.config();
  Reader reader(config);
  ReadOptions ro = o.reader.read_options();
  ro.expect = o.expect;
  for (const auto& r : o.rois) ro.rois.push_back(parse_roi(r));

  std::set<std::string> done;
  std::FILE* out = stdout;
  if (!o.out.empty()) {
    const bool exists = std::filesystem::exists(o.out);
    if (o.resume && exists) done = resume_from(o.out, o.format);
    out = std::fopen(o.out.c_str(), o.resume ? "ab" : "wb");
    if (out == nullptr) throw InputError(o.out + ": cannot open for writing");
    if (!(o.resume && exists)) std::fputs(header(o.format).c_str(), out);
  } else {
    std::fputs(header(o.format).c_str(), out);
  }
  std::fflush(out);
  if (!o.draw.empty()) std::filesystem::create_directories(o.draw);

  std::vector<std::string> todo;
  for (const auto& p : inputs) {
    if (!done.count(p)) todo.push_back(p);
  }

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::atomic<int> failures{0};
  std::mutex io;
  const bool bar = o.progress && stderr_is_tty();

  auto worker = [&]() {
    for (std::size_t i = next++; i < todo.size(); i = next++) {
      const std::string& path = todo[i];
      std::string record;
      try {
        const cv::Mat image = load_image(path);
        const ReadResult r = reader.read(image, ro);
        record = format_record(path, &r, "", o.format);
        if (!o.draw.empty()) {
          const auto name = std::filesystem::path(path).stem().string() + ".png";
          cv::imwrite((std::filesystem::path(o.draw) / name).string(), draw_overlay(image, r));
        }
      } catch (const Error& e) {
        ++failures;
        record = format_record(path, nullptr, e.what(), o.format);
        std::lock_guard<std::mutex> lock(io);
        std::fprintf(stderr, "%socr2s: %s\n", bar ? "\r\033[K" : "", e.what());
      }
      std::lock_guard<std::mutex> lock(io);
      // One write and one flush per record: a killed run leaves whole records only
      // (plus at most one torn last line, which --resume drops).
      std::fwrite(record.data(), 1, record.size(), out);
      std::fflush(out);
      const std::size_t n = ++finished;
      if (bar) {
        const int width = 30;
        const int filled = static_cast<int>(width * n / todo.size());
        std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
                     std::string(width - filled, '.').c_str(), n, todo.size());
      }
    }
  };
  const int threads = std::max(1, o.threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (bar) std::fprintf(stderr, "\n");
  if (out != stdout) std::fclose(out);
  return failures > 0 ? 1 : 0;
}

const Registrar kRead("read", "Read images: files, folders (recursive) and globs", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  app.add_option("paths", o->paths, "Image files, folders or glob patterns")->required();
  app.add_option("-o,--out", o->out, "Write records to FILE instead of stdout");
  app.add_option("-f,--format", o->format, "jsonl (full records), csv, or tsv (image<TAB>text, as labels.tsv)")
      ->check(CLI::IsMember({"jsonl", "csv", "tsv"}));
  app.add_option("-j,--threads", o->threads, "Worker threads, each reading one image at a time")
      ->check(CLI::Range(1, 256));
  app.add_option("--expect", o->expect, "Expected text (lines separated by \\n): adds a verification");
  app.add_option("--roi", o->rois, "Region of interest x,y,width,height (repeatable)");
  app.add_option("--draw", o->draw, "Write overlays (boxes coloured by confidence, order, text) to DIR");
  app.add_flag("--resume", o->resume, "Continue an interrupted run: skip images already in --out");
  app.add_flag("!--no-progress", o->progress, "No progress bar (it is shown only on a terminal)");
  o->reader.add_to(app);
  return [o]() {
    Options opts = *o;
    opts.expect = unescape_lines(opts.expect);
    if (opts.resume && opts.out.empty()) throw InputError("--resume needs --out FILE");
    return run(opts);
  };
});

}  // namespace
}  // namespace ocr2s::cli
