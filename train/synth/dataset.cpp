#include "synth/dataset.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "ocr2s/errors.hpp"
#include "synth/rng.hpp"

namespace ocr2s::synth {
namespace {

namespace fs = std::filesystem;

void write_png(const fs::path& path, const cv::Mat& img, int compression = 1) {
  bool ok = false;
  try {
    // Level 1 for the data: zlib's fastest, most of the size of level 9 at a
    // fraction of the time; the one-off preview sheet uses 9.
    ok = cv::imwrite(path.string(), img, {cv::IMWRITE_PNG_COMPRESSION, compression});
  } catch (const cv::Exception& e) {
    throw InputError(path.string() + ": cannot write image: " + e.what());
  }
  if (!ok) throw InputError(path.string() + ": cannot write image");
}

void make_dir(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec && !fs::is_directory(p)) throw InputError(p.string() + ": cannot create folder: " + ec.message());
}

struct Slot {
  std::string jsonl;
  std::string tsv;
  std::uint64_t chars = 0;
  std::uint64_t crops = 0;
  cv::Mat preview;
};

}  // namespace

std::vector<Style> parse_style_list(const std::string& csv) {
  std::vector<Style> out;
  std::string cur;
  auto flush = [&]() {
    const auto b = cur.find_first_not_of(' '), e = cur.find_last_not_of(' ');
    const std::string name = b == std::string::npos ? std::string() : cur.substr(b, e - b + 1);
    cur.clear();
    if (name.empty()) return;
    const auto s = parse_style(name);
    if (!s) {
      std::string valid;
      for (Style v : all_styles()) valid += std::string(valid.empty() ? "" : ", ") + style_name(v);
      throw InputError("synth: unknown style '" + name + "' (valid: " + valid + ")");
    }
    if (std::find(out.begin(), out.end(), *s) == out.end()) out.push_back(*s);
  };
  for (char c : csv) {
    if (c == ',') flush();
    else cur += c;
  }
  flush();
  return out;
}

cv::Size parse_size(const std::string& wxh) {
  const auto x = wxh.find_first_of("xX");
  try {
    if (x == std::string::npos) throw std::invalid_argument("no x");
    std::size_t p1 = 0, p2 = 0;
    const int w = std::stoi(wxh.substr(0, x), &p1);
    const int h = std::stoi(wxh.substr(x + 1), &p2);
    if (p1 != x || p2 != wxh.size() - x - 1 || w <= 0 || h <= 0) throw std::invalid_argument("bad");
    return {w, h};
  } catch (const std::exception&) {
    throw InputError("synth: size '" + wxh + "' is not WIDTHxHEIGHT (e.g. 640x160)");
  }
}

std::string image_file_name(std::uint64_t index, std::uint64_t count) {
  std::size_t width = 6;
  for (std::uint64_t c = count > 0 ? count - 1 : 0; c >= 1000000; c /= 10) ++width;
  std::string digits = std::to_string(index);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits + ".png";
}

ExportSummary export_dataset(const ExportOptions& opt, const std::function<void(std::uint64_t)>& progress) {
  if (opt.out_dir.empty()) throw InputError("synth: no output folder given");
  if (opt.threads < 1 || opt.threads > 256) throw InputError("synth: threads must be in [1, 256]");
  if (opt.preview && (opt.preview_columns < 1 || opt.preview_cell.width < 16 || opt.preview_cell.height < 16)) {
    throw InputError("synth: preview needs at least one column and cells of at least 16×16");
  }
  if (opt.crops && (opt.crop.size.width < 4 || opt.crop.size.height < 4 || opt.crop.height_factor <= 0.f)) {
    throw InputError("synth: crop size must be at least 4×4 and the height factor positive");
  }
  const Generator gen(opt.config, opt.seed);  // validates config and fonts
  const fs::path out(opt.out_dir);
  make_dir(out / "images");
  if (opt.crops) make_dir(out / "crops" / kRejectDir);
  std::ofstream jsonl(out / "annotations.jsonl", std::ios::binary | std::ios::trunc);
  std::ofstream tsv(out / "labels.tsv", std::ios::binary | std::ios::trunc);
  if (!jsonl) throw InputError((out / "annotations.jsonl").string() + ": cannot write");
  if (!tsv) throw InputError((out / "labels.tsv").string() + ": cannot write");
  tsv << labels_tsv_header() << '\n';

  ExportSummary summary;
  std::vector<cv::Mat> previews;
  std::mutex dir_mu;
  // Chunks: workers fill a window of slots in any order; the calling thread
  // writes the window in index order, so the text files do not depend on threads.
  const std::uint64_t chunk = static_cast<std::uint64_t>(std::max(32, opt.threads * 16));
  for (std::uint64_t begin = 0; begin < opt.count; begin += chunk) {
    const std::uint64_t end = std::min(opt.count, begin + chunk);
    std::vector<Slot> slots(static_cast<std::size_t>(end - begin));
    std::atomic<std::uint64_t> next{begin};
    std::exception_ptr error;
    std::mutex error_mu;
    auto work = [&]() {
      for (;;) {
        const std::uint64_t i = next.fetch_add(1);
        if (i >= end) return;
        try {
          Slot& slot = slots[static_cast<std::size_t>(i - begin)];
          const Sample s = gen.generate(i);
          const std::string name = image_file_name(i, opt.count);
          const std::string rel = "images/" + name;
          write_png(out / rel, s.image);
          slot.jsonl = to_jsonl(make_annotation(s, rel));
          slot.tsv = labels_tsv_row(rel, s);
          for (const auto& l : s.lines) slot.chars += l.chars.size();
          if (opt.crops) {
            const std::string stem = name.substr(0, name.size() - 4);
            const auto crops = sample_line_crops(s, opt.crop, mix_seed(opt.seed, i) ^ 0x5bd1e995ull);
            int reject = 0;
            for (const auto& c : crops) {
              const std::string dir = crop_label_dir(c.label);
              const std::string file = c.label.empty()
                                           ? stem + "_r" + std::to_string(reject++) + ".png"
                                           : stem + "_" + std::to_string(c.line) + "_" + std::to_string(c.index) + ".png";
              const fs::path d = out / "crops" / dir;
              {
                std::lock_guard<std::mutex> lock(dir_mu);
                make_dir(d);
              }
              write_png(d / file, c.gray8);
              ++slot.crops;
            }
          }
          if (opt.preview && i < static_cast<std::uint64_t>(std::max(0, opt.preview_count))) {
            slot.preview = draw_annotations(s);
          }
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (!error) error = std::current_exception();
          next = end;  // stop this chunk
          return;
        }
      }
    };
    const int n_threads = static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(opt.threads), end - begin));
    std::vector<std::thread> pool;
    for (int t = 1; t < n_threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    for (auto& slot : slots) {
      jsonl << slot.jsonl << '\n';
      tsv << slot.tsv << '\n';
      summary.characters += slot.chars;
      summary.crops += slot.crops;
      if (!slot.preview.empty()) previews.push_back(std::move(slot.preview));
    }
    summary.images = end;
    if (progress) progress(end);
  }
  jsonl.flush();
  tsv.flush();
  if (!jsonl || !tsv) throw InputError(opt.out_dir + ": write failed (disk full?)");
  if (opt.preview && !previews.empty()) write_png(out / "preview.png", contact_sheet(previews, opt.preview_columns, opt.preview_cell), 9);
  return summary;
}

}  // namespace ocr2s::synth
