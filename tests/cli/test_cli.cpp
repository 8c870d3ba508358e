// The ocr2s command line, run as a user runs it: a real process, real files.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/tsv.hpp"
#include "ocr2s/config.hpp"
#include "reader/reader_fixtures.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace {

const std::string kCli = OCR2S_CLI;

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// A folder of generated images with a labels.tsv (image, text, style).
fs::path make_folder(const std::string& name, int count) {
  const fs::path dir = fs::temp_directory_path() / ("ocr2s_test_cli_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir / "imgs");
  std::ofstream labels(dir / "imgs" / "labels.tsv");
  labels << "image\ttext\tstyle\n";
  const auto samples = ocr2s_test::sample_images(count, /*seed=*/5150);
  for (int i = 0; i < count; ++i) {
    const auto& s = samples[static_cast<std::size_t>(i)];
    char name_buf[32];
    std::snprintf(name_buf, sizeof name_buf, "img%03d.png", i);
    cv::imwrite((dir / "imgs" / name_buf).string(), s.image);
    labels << name_buf << "\t" << ocr2s::tsv_escape(s.text) << "\t" << s.style << "\n";
  }
  return dir;
}

}  // namespace

TEST_CASE("ocr2s --help lists every command", "[cli]") {
  const fs::path out = fs::temp_directory_path() / "ocr2s_cli_help.txt";
  REQUIRE(sh(kCli + " --help > " + out.string()) == 0);
  std::ifstream in(out);
  const std::string help((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* cmd : {"read", "eval", "inspect", "synth", "train"}) CHECK_THAT(help, Catch::Contains(cmd));
}

TEST_CASE("read: tsv output, a bad file is reported and the batch goes on", "[cli]") {
  const fs::path dir = make_folder("read", 5);
  std::ofstream(dir / "imgs" / "broken.png") << "not a png";
  const fs::path out = dir / "out.tsv";
  const int rc = sh(kCli + " read " + (dir / "imgs").string() + " --format tsv --out " + out.string() +
                    " 2> " + (dir / "err.txt").string());
  CHECK(rc == 1);  // non-zero because one file failed
  const auto rows = lines_of(out);
  REQUIRE(rows.size() == 1 + 6);  // header + every image, the broken one included
  CHECK(rows[0] == "image\ttext");
  const auto err = lines_of(dir / "err.txt");
  REQUIRE(!err.empty());
  CHECK_THAT(err[0], Catch::Contains("broken.png"));
  for (std::size_t i = 1; i < rows.size(); ++i) CHECK(rows[i].find('\t') != std::string::npos);
}

TEST_CASE("read: JSON Lines records carry lines, characters and an error record", "[cli]") {
  const fs::path dir = make_folder("json", 2);
  std::ofstream(dir / "imgs" / "broken.jpg") << "nope";
  const fs::path out = dir / "out.jsonl";
  CHECK(sh(kCli + " read " + (dir / "imgs").string() + " --out " + out.string() + " 2>/dev/null") == 1);
  int errors = 0, reads = 0;
  for (const auto& l : lines_of(out)) {
    const auto j = nlohmann::json::parse(l);
    REQUIRE(j.contains("image"));
    if (j.contains("error")) {
      ++errors;
      continue;
    }
    ++reads;
    for (const auto& line : j["lines"]) {
      for (const auto& c : line["chars"]) {
        CHECK(c["quad"].size() == 4);
        CHECK(c["p"].get<double>() >= 0.0);
        CHECK(!c["top_k"].empty());
      }
    }
  }
  CHECK(errors == 1);
  CHECK(reads == 2);
}

TEST_CASE("eval: figures per style from labels.tsv", "[cli]") {
  const fs::path dir = make_folder("eval", 6);
  const fs::path json = dir / "eval.json";
  REQUIRE(sh(kCli + " eval --labels " + (dir / "imgs" / "labels.tsv").string() + " --out " + json.string() +
             " > /dev/null") == 0);
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  CHECK(j["all"]["images"] == 6);
  CHECK(j["styles"].size() == 6);
  const double exact = j["all"]["exact_pct"].get<double>();
  CHECK(exact >= 0.0);
  CHECK(exact <= 100.0);
  // Where the time went: the reader's own stage clocks, averaged.
  double stages = 0;
  for (const char* s : {"detector", "postprocess", "layout", "crops", "classifier", "text"}) {
    REQUIRE(j["stage_ms_mean"].contains(s));
    CHECK(j["stage_ms_mean"][s].get<double>() >= 0.0);
    stages += j["stage_ms_mean"][s].get<double>();
  }
  CHECK(j["stage_ms_mean"]["detector"].get<double>() > 0.0);
  CHECK(stages <= 1.01 * j["p95_ms"].get<double>() + 1.0);
}

TEST_CASE("eval: figures by legibility from a synth folder's labels.tsv", "[cli]") {
  const fs::path dir = fs::temp_directory_path() / "ocr2s_test_cli_legibility";
  fs::remove_all(dir);
  REQUIRE(sh(kCli + " synth --out " + dir.string() + " --count 6 --seed 78 > /dev/null 2>&1") == 0);
  const auto rows = lines_of(dir / "labels.tsv");
  REQUIRE(rows.size() == 7);
  CHECK(rows[0] == "image\ttext\tstyle\tlegibility\tformat");
  const fs::path json = dir / "eval.json";
  REQUIRE(sh(kCli + " eval --labels " + (dir / "labels.tsv").string() + " --out " + json.string() +
             " > /dev/null") == 0);
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  int banded = 0;
  for (const auto& [band, t] : j["legibility"].items()) banded += t["images"].get<int>();
  CHECK(banded == 6);  // every generated image has its weakest character's ratio

  // A value that is not a number is an error naming the line, not a silent NaN.
  std::ofstream(dir / "bad.tsv") << "image\ttext\tlegibility\nimages/000000.png\tX\tfaint\n";
  CHECK(sh(kCli + " eval --labels " + (dir / "bad.tsv").string() + " > /dev/null 2>&1") != 0);

  // --formats reads each image with its row's formats as the pattern; it needs
  // the column, and a --pattern of its own is refused.
  const fs::path fjson = dir / "eval_formats.json";
  REQUIRE(sh(kCli + " eval --formats --labels " + (dir / "labels.tsv").string() + " --out " +
             fjson.string() + " > /dev/null") == 0);
  std::ifstream fin(fjson);
  const auto f = nlohmann::json::parse(fin);
  CHECK(f["formats"] == true);
  CHECK(f["all"]["images"] == 6);
  CHECK(f["all"]["failed"] == 0);
  CHECK(j["formats"] == false);
  std::ofstream(dir / "plain.tsv") << "image\ttext\nimages/000000.png\tX\n";
  CHECK(sh(kCli + " eval --formats --labels " + (dir / "plain.tsv").string() +
           " > /dev/null 2>&1") != 0);
  CHECK(sh(kCli + " eval --formats --pattern '\\d+' --labels " + (dir / "labels.tsv").string() +
           " > /dev/null 2>&1") != 0);
}

TEST_CASE("read --resume after kill -9 finishes with every image exactly once", "[cli]") {
  const fs::path dir = make_folder("resume", 40);
  const fs::path out = dir / "out.jsonl";
  const std::string imgs = (dir / "imgs").string();
  const std::string out_s = out.string();
  std::vector<std::string> args = {kCli, "read", imgs, "--out", out_s, "--no-progress"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, kCli.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
  // Kill it once a few records are out (or give up waiting after 120 s).
  for (int i = 0; i < 6000 && lines_of(out).size() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const auto before = lines_of(out).size();
  INFO("records before the kill: " << before);
  CHECK(before < 40);  // it really was interrupted

  REQUIRE(sh(kCli + " read " + imgs + " --out " + out_s + " --resume --no-progress") == 0);
  std::map<std::string, int> seen;
  for (const auto& l : lines_of(out)) {
    const auto j = nlohmann::json::parse(l);  // every record whole: parse throws otherwise
    ++seen[j["image"].get<std::string>()];
  }
  CHECK(seen.size() == 40);
  for (const auto& [image, n] : seen) CHECK(n == 1);
}

TEST_CASE("train thresholds: grid search on annotated images, read takes the thresholds", "[cli]") {
  const fs::path dir = fs::temp_directory_path() / "ocr2s_test_cli_thresholds";
  fs::remove_all(dir);
  REQUIRE(sh(kCli + " synth --out " + (dir / "val").string() + " --count 4 --seed 77 > /dev/null 2>&1") == 0);
  const fs::path json = dir / "tune.json";
  REQUIRE(sh(kCli + " train thresholds --val " + (dir / "val").string() +
             " --seed-thresholds 0.4 0.5 --grow-thresholds 0.3 --split-depths 0.12 --min-areas 3"
             " --max-aspects 6 --link-thresholds 0.2 0.3 --out " + json.string() + " > /dev/null 2>&1") == 0);
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  CHECK(j["images"] == 4);
  REQUIRE(j["ranked"].size() == 2);
  const double best = j["best"]["char_f1"].get<double>();
  CHECK(best >= j["ranked"][1]["char_f1"].get<double>());
  CHECK(best > 0.0);
  // "defaults" are the reader's own: CraftConfig's (0.2 since session 16).
  CHECK(j["defaults"]["seed_threshold"].get<double>() ==
        Approx(ocr2s::CraftConfig{}.seed_threshold));

  // The same fields reach the reader; an inconsistent pair is refused.
  const std::string img = (dir / "val" / "images" / "000000.png").string();
  CHECK(sh(kCli + " read " + img + " --seed-threshold 0.6 --grow-threshold 0.4 > /dev/null 2>&1") == 0);
  CHECK(sh(kCli + " read " + img + " --seed-threshold 0.3 --grow-threshold 0.5 > /dev/null 2>&1") != 0);
}
