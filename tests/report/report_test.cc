// Tests for report/: the page lists every task with its lineage and scene, shows datasets,
// training curves and evaluations, escapes what scripts declare, and renders in a real browser.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "taskforge/dataset/demos.h"
#include "taskforge/library/library.h"
#include "taskforge/report/report.h"
#include "taskforge/tasks/task.h"

namespace fs = std::filesystem;
using namespace taskforge;

namespace {

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("taskforge_report_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string Read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A library seeded with two of the seed tasks, plus one hand-written task whose scene fails.
fs::path SmallLibrary(const fs::path& dir) {
  const fs::path seeds = dir / "seeds";
  fs::create_directories(seeds);
  for (const char* task : {"block-insertion", "place-red-in-green"}) {
    fs::copy_file(tasks::DefaultLibraryDir() / (std::string(task) + ".lua"), seeds / (std::string(task) + ".lua"));
  }
  const fs::path db = dir / "library.db";
  library::TaskLibrary lib(db, seeds);
  library::TaskRecord broken;
  broken.name = "broken-scene";
  broken.description = "spawns an unknown <b>asset</b> <script>alert(1)</script>";
  broken.source = "task = {name = 'broken-scene'}\nfunction reset(env)\n  env.add_object('no-such-asset')\nend\n";
  broken.origin = library::Origin::kHandWritten;
  broken.parents = {"block-insertion"};
  lib.Add(broken);
  return db;
}

// Runs headless Chromium on the page and returns the DOM it ends with.
std::string BrowserDom(const fs::path& html) {
  const fs::path dom = html.parent_path() / "dom.html";
  const std::string command = "chromium --headless --no-sandbox --disable-gpu --dump-dom 'file://" + html.string() +
                              "' > '" + dom.string() + "' 2> '" + dom.string() + ".log'";
  REQUIRE(std::system(command.c_str()) == 0);
  return Read(dom);
}

int BodyAttribute(const std::string& dom, const std::string& name) {
  std::smatch match;
  REQUIRE(std::regex_search(dom, match, std::regex(name + "=\"(\\d+)\"")));
  return std::stoi(match[1]);
}

}  // namespace

TEST_CASE("the report shows every task with lineage, validation and scene, escaped", "[report]") {
  const fs::path dir = FreshDir("library");
  report::ReportConfig config;
  config.library = SmallLibrary(dir);
  config.out = dir / "report";
  int progress_calls = 0;
  const report::ReportSummary summary = report::WriteReport(config, [&](int done, int total) {
    ++progress_calls;
    CHECK(done <= total);
  });
  CHECK(summary.tasks == 3);
  CHECK(progress_calls == 3);
  CHECK(summary.pictures == 2);
  REQUIRE(summary.warnings.size() == 1);
  CHECK_THAT(summary.warnings[0], Catch::Contains("broken-scene") && Catch::Contains("no-such-asset"));
  CHECK(fs::file_size(config.out / "pictures" / "block-insertion.png") > 1000);
  CHECK(fs::file_size(config.out / "pictures" / "place-red-in-green.png") > 1000);

  const std::string html = Read(summary.index_html);
  CHECK_THAT(html, Catch::Contains("block-insertion") && Catch::Contains("place-red-in-green"));
  CHECK_THAT(html, Catch::Contains("from block-insertion"));  // lineage
  CHECK_THAT(html, Catch::Contains("unknown &lt;b&gt;asset&lt;/b&gt;"));
  CHECK_THAT(html, !Catch::Contains("<script>alert(1)"));
  CHECK_THAT(html, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, Catch::Contains("not validated"));
}

TEST_CASE("the report shows a dataset, training curves and an evaluation", "[report]") {
  const fs::path dir = FreshDir("run");
  dataset::DemoConfig demos;
  demos.tasks = {"block-insertion"};
  demos.episodes = 1;
  demos.out = dir / "demos";
  REQUIRE(dataset::GenerateDemos(demos).episodes == 1);

  fs::create_directories(dir / "training");
  std::ofstream(dir / "training" / "metrics.jsonl") << "{\"step\": 0, \"loss\": 9.5, \"val_loss\": 9.9}\n"
                                                    << "{\"step\": 100, \"loss\": 4.25, \"val_loss\": 5.5}\n"
                                                    << "not json\n";
  std::ofstream(dir / "eval.txt") << "progress line\n"
                                  << R"({"tasks": {"block-insertion": 0.75}, "mean_reward": {"block-insertion": 0.8},)"
                                  << R"( "published": {"block-insertion": 1.0}, "mean_success": 0.75})" << "\n";
  report::ReportConfig config;
  config.library = SmallLibrary(dir);
  config.out = dir / "report";
  config.datasets = {dir / "demos"};
  config.training = dir / "training";
  config.evaluation = dir / "eval.txt";
  const report::ReportSummary summary = report::WriteReport(config);
  REQUIRE(summary.warnings.size() == 2);  // the broken scene and the metrics line that is not JSON
  CHECK_THAT(summary.warnings[1], Catch::Contains("metrics.jsonl:3"));

  const std::string html = Read(summary.index_html);
  CHECK(fs::exists(config.out / "pictures" / "demo-demos-block-insertion.png"));
  CHECK_THAT(html, Catch::Contains("<polyline") && Catch::Contains("val_loss"));
  CHECK_THAT(html, Catch::Contains("75.0%") && Catch::Contains("100.0%") && Catch::Contains("0.800"));

  SECTION("and it renders in headless Chromium with every picture loaded") {
    const std::string dom = BrowserDom(summary.index_html);
    CHECK_THAT(dom, Catch::Contains("block-insertion"));
    const int total = BodyAttribute(dom, "data-images-total");
    CHECK(total == 3);  // two scenes and one demo frame
    CHECK(BodyAttribute(dom, "data-images-loaded") == total);
  }
}
