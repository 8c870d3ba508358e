// JSON Lines annotations (docs/DATA_FORMATS.md). Coordinates are written rounded
// to 1/100 px: enough for any training target, and it keeps files small and the
// output byte-identical for a seed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ocr2s/errors.hpp"
#include "synth/synth.hpp"

#include "core/tsv.hpp"

namespace ocr2s::synth {
namespace {

using nlohmann::json;

double round2(float v) { return std::round(static_cast<double>(v) * 100.0) / 100.0; }

json quad_json(const Quad& q) {
  json a = json::array();
  for (const auto& p : q.pts) a.push_back(json::array({round2(p.x), round2(p.y)}));
  return a;
}

Quad quad_from(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() != 4) throw InputError(where + ": quad must be 4 [x, y] points");
  Quad q;
  for (std::size_t i = 0; i < 4; ++i) {
    const json& p = j[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
      throw InputError(where + ": quad point " + std::to_string(i) + " must be [x, y]");
    }
    q.pts[i] = cv::Point2f(p[0].get<float>(), p[1].get<float>());
  }
  return q;
}

}  // namespace

std::string to_jsonl(const Annotation& a) {
  json j;
  j["image"] = a.image;
  j["style"] = a.style;
  j["width"] = a.size.width;
  j["height"] = a.size.height;
  json lines = json::array();
  for (const auto& l : a.lines) {
    json jl;
    jl["text"] = l.text;
    json chars = json::array();
    for (const auto& c : l.chars) chars.push_back(json{{"c", c.label}, {"quad", quad_json(c.quad)}});
    jl["chars"] = std::move(chars);
    if (!l.font.empty()) jl["font"] = l.font;
    if (!l.format.empty()) jl["format"] = l.format;
    lines.push_back(std::move(jl));
  }
  j["lines"] = std::move(lines);
  if (!a.distractors.empty()) {
    json d = json::array();
    for (const auto& q : a.distractors) d.push_back(quad_json(q));
    j["distractors"] = std::move(d);
  }
  return j.dump();
}

Annotation annotation_from_json(std::string_view line) {
  json j;
  try {
    j = json::parse(line.begin(), line.end());
  } catch (const json::exception& e) {
    throw InputError(std::string("annotation: invalid JSON: ") + e.what());
  }
  try {
    Annotation a;
    a.image = j.at("image").get<std::string>();
    a.style = j.value("style", std::string());
    a.size = cv::Size(j.at("width").get<int>(), j.at("height").get<int>());
    for (const auto& jl : j.at("lines")) {
      LineAnn l;
      l.text = jl.at("text").get<std::string>();
      l.font = jl.value("font", std::string());
      l.format = jl.value("format", std::string());
      for (const auto& jc : jl.at("chars")) {
        CharAnn c;
        c.label = jc.at("c").get<std::string>();
        c.quad = quad_from(jc.at("quad"), a.image);
        l.chars.push_back(std::move(c));
      }
      a.lines.push_back(std::move(l));
    }
    if (j.contains("distractors")) {
      for (const auto& q : j.at("distractors")) a.distractors.push_back(quad_from(q, a.image));
    }
    return a;
  } catch (const json::exception& e) {
    throw InputError(std::string("annotation: missing or mistyped field: ") + e.what());
  }
}

std::vector<Annotation> read_annotations(const std::string& jsonl_path) {
  std::ifstream in(jsonl_path);
  if (!in) throw InputError(jsonl_path + ": cannot open annotations");
  std::vector<Annotation> out;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.push_back(annotation_from_json(line));
    } catch (const InputError& e) {
      throw InputError(jsonl_path + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  return out;
}

Annotation make_annotation(const Sample& s, std::string image) {
  Annotation a;
  a.image = std::move(image);
  a.style = style_name(s.style);
  a.size = s.image.size();
  a.lines = s.lines;
  a.distractors = s.distractors;
  return a;
}

std::string labels_tsv_header() {
  return "image\ttext\tstyle\tlegibility\tformat";
}

std::string escape_tsv_text(const std::vector<LineAnn>& lines) {
  std::string text;
  for (std::size_t i = 0; i < lines.size(); ++i) text += (i ? "\n" : "") + lines[i].text;
  return tsv_escape(text);
}

float weakest_cnr(const Sample& s) {
  float weakest = std::numeric_limits<float>::infinity();
  for (const auto& line : s.lines)
    for (const auto& c : line.chars) weakest = std::min(weakest, c.cnr);
  return weakest;
}

std::string labels_tsv_row(const std::string& image, const Sample& s) {
  std::string legibility;
  if (const float w = weakest_cnr(s); std::isfinite(w)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(w));
    legibility = buf;
  }
  std::string format;
  bool any_format = false;
  for (std::size_t i = 0; i < s.lines.size(); ++i) {
    format += (i ? "\n" : "") + s.lines[i].format;
    any_format = any_format || !s.lines[i].format.empty();
  }
  return image + "\t" + escape_tsv_text(s.lines) + "\t" + style_name(s.style) + "\t" + legibility +
         "\t" + (any_format ? tsv_escape(format) : std::string());
}

}  // namespace ocr2s::synth
