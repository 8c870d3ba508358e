#include "cli/labels.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/report.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::cli {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == '\t') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

std::vector<LabelRow> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open labels file");
  std::string line;
  if (!std::getline(in, line)) throw InputError(path + ": empty labels file (a header row is required)");
  const auto head = split_tabs(line);
  int ci = -1, ct = -1, cs = -1, cl = -1, cf = -1;
  for (int i = 0; i < static_cast<int>(head.size()); ++i) {
    if (head[i] == "image") ci = i;
    if (head[i] == "text") ct = i;
    if (head[i] == "style") cs = i;
    if (head[i] == "legibility") cl = i;
    if (head[i] == "format") cf = i;
  }
  if (ci < 0 || ct < 0) throw InputError(path + ": header row must name the columns 'image' and 'text'");
  const auto base = std::filesystem::path(path).parent_path();
  std::vector<LabelRow> rows;
  int number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    const auto f = split_tabs(line);
    if (static_cast<int>(f.size()) <= std::max(ci, ct)) {
      throw InputError(path + ":" + std::to_string(number) + ": expected at least " +
                       std::to_string(std::max(ci, ct) + 1) + " tab-separated fields");
    }
    LabelRow r;
    r.image = f[ci];
    const std::filesystem::path p(r.image);
    r.path = p.is_absolute() ? r.image : (base / p).string();
    r.text = unescape_lines(f[ct]);
    if (cs >= 0 && cs < static_cast<int>(f.size())) r.style = f[cs];
    if (cl >= 0 && cl < static_cast<int>(f.size()) && !f[cl].empty()) {
      char* end = nullptr;
      r.legibility = std::strtof(f[cl].c_str(), &end);
      if (end == f[cl].c_str() || *end != '\0') {
        throw InputError(path + ":" + std::to_string(number) + ": legibility \"" + f[cl] +
                         "\" is not a number");
      }
    }
    if (cf >= 0 && cf < static_cast<int>(f.size())) r.format = unescape_lines(f[cf]);
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace ocr2s::cli
