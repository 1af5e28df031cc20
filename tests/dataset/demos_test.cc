// Oracle demos in worker processes on real Bullet episodes: shards, resume, GIFs and the CLI's JSON.
#include <catch2/catch.hpp>

#include <gif_lib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taskforge/core/error.h"
#include "taskforge/dataset/dataset.h"
#include "taskforge/dataset/demos.h"

using namespace taskforge;
using namespace taskforge::dataset;
namespace fs = std::filesystem;

namespace {

// Two fast tasks, two episodes each: small enough for CI, enough to split into shards.
DemoConfig SmallConfig(const std::string& name) {
  DemoConfig c;
  c.tasks = {"block-insertion", "align-box-corner"};
  c.episodes = 2;
  c.assets_dir = TASKFORGE_TEST_ASSETS;
  c.out = fs::temp_directory_path() / ("taskforge_demos_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(c.out);
  return c;
}

std::string FileText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The dataset's files that define it (manifest, index, episodes, failed slots) by relative path.
std::vector<std::string> DatasetFiles(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name != ".lock") files.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void RequireSameDataset(const fs::path& a, const fs::path& b) {
  const std::vector<std::string> files = DatasetFiles(a);
  REQUIRE(files == DatasetFiles(b));
  for (const std::string& file : files) {
    INFO(file);
    CHECK(FileText(a / file) == FileText(b / file));
  }
}

// A reference dataset made in one run, shared by the tests below.
const DemoConfig& Reference() {
  static const DemoConfig config = [] {
    DemoConfig c = SmallConfig("reference");
    const DemoReport report = GenerateDemos(c);
    REQUIRE(report.episodes == 4);
    return c;
  }();
  return config;
}

}  // namespace

TEST_CASE("a single run records successful episodes with CLIPort seeds", "[dataset][demos]") {
  const DatasetReader reader(Reference().out);
  REQUIRE(reader.episodes().size() == 4);
  CHECK(reader.episodes()[0].id == "block-insertion/000000");
  CHECK(reader.episodes()[0].seed == 0);
  CHECK(reader.episodes()[1].seed == 2);
  CHECK(reader.EpisodesOfTask("align-box-corner").size() == 2);
  for (size_t i = 0; i < reader.episodes().size(); ++i) {
    CHECK(reader.Verify(int(i)).empty());
    const EpisodeInfo info = reader.ReadInfo(int(i));
    CHECK(info.reward > 0.99);
    CHECK(info.split == "train");
    REQUIRE(info.steps.size() >= 2);
    REQUIRE(info.steps.front().action.has_value());
    CHECK_FALSE(info.steps.back().action.has_value());
    const auto [row, col] = info.steps.front().action->pick_pixel;
    CHECK((row >= 0 && row < 320 && col >= 0 && col < 160));
    // Something stands on the table where the oracle picks.
    const Frame first = reader.ReadFrame(int(i), 0);
    CHECK(first.height.at(row, col) > 0.005f);
  }
  CHECK(DemoSeed("val", 0) == 1);
  CHECK(DemoSeed("test", 3) == 10007);
}

TEST_CASE("shards 0/2 and 1/2 in one folder equal a single run", "[dataset][demos]") {
  DemoConfig shard0 = SmallConfig("shards");
  shard0.shards = 2;
  DemoConfig shard1 = shard0;
  shard1.shard = 1;
  shard1.jobs = 2;
  const DemoReport r0 = GenerateDemos(shard0);
  CHECK(r0.slots_total == 2);
  CHECK(r0.dataset_episodes == 2);  // the index so far holds only this shard's episodes
  const DemoReport r1 = GenerateDemos(shard1);
  CHECK(r1.slots_total == 2);
  CHECK(r1.dataset_episodes == 4);
  RequireSameDataset(Reference().out, shard0.out);
  fs::remove_all(shard0.out);
}

TEST_CASE("resume fills gaps and redoes corrupt files without duplicates", "[dataset][demos]") {
  DemoConfig config = SmallConfig("resume");
  fs::copy(Reference().out, config.out, fs::copy_options::recursive);
  // What an interrupted run leaves: slots not started, a file cut short, a temporary file.
  fs::remove(config.out / DatasetWriter::EpisodeFile("align-box-corner", 1));
  fs::remove(config.out / DatasetWriter::EpisodeFile("block-insertion", 0));
  const fs::path cut = config.out / DatasetWriter::EpisodeFile("align-box-corner", 0);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  std::ofstream(cut.string() + ".tmp-12345") << "partial";

  CHECK_THROWS_WITH(GenerateDemos(config), Catch::Contains("pass --resume"));
  config.resume = true;
  const DemoReport report = GenerateDemos(config);
  CHECK(report.skipped_slots == 1);
  CHECK(report.episodes == 3);
  REQUIRE(report.problems.size() == 1);
  CHECK_THAT(report.problems[0], Catch::Contains("align-box-corner/000000.tfep") && Catch::Contains("truncated"));
  fs::remove(cut.string() + ".tmp-12345");
  RequireSameDataset(Reference().out, config.out);

  const DemoReport again = GenerateDemos(config);  // nothing left to do
  CHECK(again.skipped_slots == 4);
  CHECK(again.attempts == 0);
  fs::remove_all(config.out);
}

TEST_CASE("a GIF of an episode decodes to one picture per step", "[dataset][demos]") {
  const DatasetReader reader(Reference().out);
  const int episode = reader.Find("align-box-corner/000001");
  const fs::path gif = Reference().out.string() + ".gif";
  WriteEpisodeGif(Reference().out, "align-box-corner/000001", gif, {}, TASKFORGE_TEST_ASSETS);
  int error = 0;
  GifFileType* file = DGifOpenFileName(gif.c_str(), &error);
  REQUIRE(file != nullptr);
  REQUIRE(DGifSlurp(file) == GIF_OK);
  CHECK(file->ImageCount == reader.episodes()[size_t(episode)].frames);
  CHECK(file->SWidth == 320 + 160);  // half-size front camera beside the top-down map
  // The top-down map's pixels come through the 6x7x6 palette within one palette step.
  const Frame frame = reader.ReadFrame(episode, 0);
  const ColorMapObject* palette = file->SColorMap;
  int worst = 0;
  for (int r = 0; r < 320; r += 7) {
    for (int c = 0; c < 160; c += 5) {
      const GifColorType rgb = palette->Colors[file->SavedImages[0].RasterBits[r * file->SWidth + 320 + c]];
      worst = std::max({worst, std::abs(rgb.Red - frame.color.at(r, c, 0)), std::abs(rgb.Green - frame.color.at(r, c, 1)),
                        std::abs(rgb.Blue - frame.color.at(r, c, 2))});
    }
  }
  CHECK(worst <= 26);
  DGifCloseFile(file, &error);
  fs::remove(gif);
}

TEST_CASE("the demos command ends its output with one JSON line of figures", "[dataset][demos][cli]") {
  const fs::path out = fs::temp_directory_path() / ("taskforge_demos_cli_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string command = std::string(TASKFORGE_CLI) + " demos --tasks block-insertion --episodes 1 --jobs 2 --out " +
                              out.string() + " --assets " + TASKFORGE_TEST_ASSETS + " --json 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output, line;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  CHECK(::pclose(pipe) == 0);
  REQUIRE(!output.empty());
  output.pop_back();  // the final newline
  line = output.substr(output.rfind('\n') == std::string::npos ? 0 : output.rfind('\n') + 1);
  const nlohmann::json j = nlohmann::json::parse(line);
  for (const char* key : {"episodes", "attempts", "frames", "bytes_per_frame", "episodes_per_s", "wall_s"}) {
    INFO(key);
    CHECK(j.contains(key));
  }
  CHECK(j["episodes"] == 1);
  CHECK(j["bytes_per_frame"].get<double>() > 0);
  CHECK(j["bytes_per_frame"].get<double>() <= 0.3e6);
  fs::remove_all(out);
}

TEST_CASE("raw camera frames rebuild the stored fused maps", "[dataset][demos]") {
  DemoConfig config = SmallConfig("raw");
  config.tasks = {"block-insertion"};
  config.episodes = 1;
  config.raw = true;
  REQUIRE(GenerateDemos(config).episodes == 1);
  const DatasetReader reader(config.out);
  const Step step = reader.ReadStep(0, 0);
  const EpisodeInfo info = reader.ReadInfo(0);
  REQUIRE(info.cameras.size() == 3);
  REQUIRE(step.frame.cameras.size() == 3);
  const Heightmap rebuilt = FuseHeightmap(step.frame.cameras, info.cameras, info.bounds);
  CHECK(rebuilt.color.data == step.frame.color.data);
  float worst = 0;
  for (size_t i = 0; i < rebuilt.height.data.size(); ++i) {
    worst = std::max(worst, std::abs(rebuilt.height.data[i] - step.frame.height.data[i]));
  }
  CHECK(worst <= 0.5e-4f + 1e-6f);
  fs::remove_all(config.out);
}
