// The ocr2s command-line tool: every subcommand registers itself here, so each
// lives in its own file (cmd_*.cpp) and main.cpp knows none of them by name.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace ocr2s::cli {

/// What runs after parsing; returns the process exit status.
using Runner = std::function<int()>;

/// Adds the command's options to `sub` and returns its runner. Options are bound to
/// variables owned by the closure (capture a shared_ptr to an options struct).
using Setup = std::function<Runner(CLI::App& sub)>;

/// Static registration: `static Registrar r("train detector", "…", setup);`
/// A path with spaces nests ("train detector" is `ocr2s train detector`).
struct Registrar {
  Registrar(std::string path, std::string description, Setup setup);
};

/// True when stderr is a terminal (progress bars go there only then).
bool stderr_is_tty();

}  // namespace ocr2s::cli
