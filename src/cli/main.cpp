// ocr2s — command-line entry point.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <opencv2/core.hpp>

#include "cli/command.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::cli {
namespace {

struct Entry {
  std::string path;
  std::string description;
  Setup setup;
};

std::vector<Entry>& registry() {
  static std::vector<Entry> entries;
  return entries;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == ' ') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

}  // namespace

Registrar::Registrar(std::string path, std::string description, Setup setup) {
  registry().push_back({std::move(path), std::move(description), std::move(setup)});
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace ocr2s::cli

int main(int argc, char** argv) {
  using namespace ocr2s::cli;
  cv::setNumThreads(1);  // parallelism is ours to choose (--threads), not OpenCV's

  CLI::App app{"ocr2s — two-stage industrial serial-code reader (CRAFT detector + character classifier)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ocr2s 0.1.0");

  // Build the command tree; parents of nested commands are created on demand.
  std::map<std::string, CLI::App*> nodes;
  std::map<CLI::App*, Runner> runners;
  for (auto& e : registry()) {
    auto parts = split_path(e.path);
    CLI::App* parent = &app;
    std::string prefix;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix += parts[i] + " ";
      auto it = nodes.find(prefix);
      if (it == nodes.end()) {
        CLI::App* sub = parent->add_subcommand(parts[i], parts[i] + " commands");
        sub->require_subcommand(1);
        it = nodes.emplace(prefix, sub).first;
      }
      parent = it->second;
    }
    CLI::App* sub = parent->add_subcommand(parts.back(), e.description);
    runners[sub] = e.setup(*sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const ocr2s::Error& e) {
    std::fprintf(stderr, "ocr2s: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ocr2s: internal error: %s\n", e.what());
    return 3;
  }
  std::fprintf(stderr, "ocr2s: no command\n");
  return 1;
}
