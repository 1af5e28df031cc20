// The episode file format without the simulator: round trips, corruption and truncation.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "taskforge/core/error.h"
#include "taskforge/dataset/dataset.h"

using namespace taskforge;
using namespace taskforge::dataset;
namespace fs = std::filesystem;

namespace {

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("taskforge_format_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

Manifest SmallManifest(bool raw) {
  Manifest m;
  m.tasks = {"synthetic"};
  m.episodes_per_task = 2;
  m.raw = raw;
  return m;
}

// A two-step episode with patterned pictures (and two tiny cameras when raw).
void MakeEpisode(int slot, bool raw, EpisodeInfo& info, std::vector<Frame>& frames) {
  info.task = "synthetic";
  info.split = "train";
  info.seed = uint64_t(2 * slot);
  info.slot = slot;
  info.reward = 1.0;
  ActionLabel action;
  action.pick = MakePlanarPose(Vec3(0.4, -0.1, 0.02), 0.3);
  action.place = MakePlanarPose(Vec3(0.6, 0.2, 0.05), -1.2);
  action.pick_pixel = WorldToPixel(action.pick.translation());
  action.place_pixel = WorldToPixel(action.place.translation());
  action.pick_yaw = 0.3;
  action.place_yaw = -1.2;
  info.steps = {{"put the block in the fixture", action, 1.0}, {"", std::nullopt, 0.0}};
  if (raw) {
    CameraConfig camera;
    camera.width = 8, camera.height = 6, camera.name = "front";
    camera.world_T_camera = MakePlanarPose(Vec3(1.0, 0.0, 0.75), 0.5);
    info.cameras = {camera, camera};
  }
  frames.clear();
  for (int step = 0; step < 2; ++step) {
    Frame f;
    f.color = ColorImage(info.bounds.rows(), info.bounds.cols(), 3);
    f.height = HeightImage(info.bounds.rows(), info.bounds.cols(), 1);
    for (size_t i = 0; i < f.color.data.size(); ++i) f.color.data[i] = uint8_t((i * 7 + size_t(step + slot)) % 251);
    for (size_t i = 0; i < f.height.data.size(); ++i) f.height.data[i] = float(i % 2800) * 1e-4f + 2e-5f;
    for (const CameraConfig& c : info.cameras) {
      RgbdFrame& rgbd = f.cameras.emplace_back();
      rgbd.color = ColorImage(c.height, c.width, 3, uint8_t(40 + step));
      rgbd.depth = DepthImage(c.height, c.width, 1);
      for (size_t i = 0; i < rgbd.depth.data.size(); ++i) rgbd.depth.data[i] = 0.5f + float(i) * 0.0123f;
    }
    frames.push_back(std::move(f));
  }
}

void WriteTwoEpisodes(const fs::path& dir, bool raw) {
  DatasetWriter writer(dir, SmallManifest(raw));
  for (int slot = 0; slot < 2; ++slot) {
    EpisodeInfo info;
    std::vector<Frame> frames;
    MakeEpisode(slot, raw, info, frames);
    writer.WriteEpisode(info, frames);
  }
  BuildIndex(dir);
}

void FlipByte(const fs::path& file, uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(std::streamoff(offset));
  char c = 0;
  f.get(c);
  f.seekp(std::streamoff(offset));
  f.put(char(c ^ 0x5A));
}

}  // namespace

TEST_CASE("episodes round-trip through the writer, index and reader", "[dataset]") {
  for (const bool raw : {false, true}) {
    const fs::path dir = FreshDir(raw ? "roundtrip_raw" : "roundtrip");
    WriteTwoEpisodes(dir, raw);
    const DatasetReader reader(dir);
    REQUIRE(reader.episodes().size() == 2);
    REQUIRE(reader.EpisodesOfTask("synthetic") == std::vector<int>{0, 1});
    const int episode = reader.Find("synthetic/000001");
    EpisodeInfo want;
    std::vector<Frame> frames;
    MakeEpisode(1, raw, want, frames);
    const EpisodeInfo got = reader.ReadInfo(episode);
    CHECK(got.seed == 2);
    CHECK(got.steps.size() == 2);
    CHECK(got.steps[0].language_goal == "put the block in the fixture");
    REQUIRE(got.steps[0].action.has_value());
    CHECK_FALSE(got.steps[1].action.has_value());
    CHECK(got.steps[0].action->pick.isApprox(want.steps[0].action->pick, 1e-12));
    CHECK(got.steps[0].action->place_pixel == want.steps[0].action->place_pixel);
    CHECK(got.steps[0].action->place_yaw == want.steps[0].action->place_yaw);
    CHECK(got.cameras.size() == want.cameras.size());
    const std::vector<Frame> read = reader.ReadEpisode(episode).frames;
    const Step step = reader.ReadStep(episode, 0);
    CHECK(step.label.language_goal == "put the block in the fixture");
    CHECK(step.frame.color.data == frames[0].color.data);
    REQUIRE(read.size() == 2);
    for (size_t s = 0; s < 2; ++s) {
      CHECK(read[s].color.data == frames[s].color.data);
      float worst = 0;
      for (size_t i = 0; i < read[s].height.data.size(); ++i) {
        worst = std::max(worst, std::abs(read[s].height.data[i] - frames[s].height.data[i]));
      }
      CHECK(worst <= 0.5e-4f + 1e-7f);  // half a 0.1 mm code
      REQUIRE(read[s].cameras.size() == frames[s].cameras.size());
      for (size_t c = 0; c < read[s].cameras.size(); ++c) {
        CHECK(read[s].cameras[c].color.data == frames[s].cameras[c].color.data);
        CHECK(read[s].cameras[c].depth.data == frames[s].cameras[c].depth.data);  // bit-exact
      }
    }
    CHECK(reader.Verify(episode).empty());
    fs::remove_all(dir);
  }
}

TEST_CASE("the same episode always encodes to the same bytes", "[dataset]") {
  const fs::path a = FreshDir("same_a"), b = FreshDir("same_b");
  WriteTwoEpisodes(a, false);
  WriteTwoEpisodes(b, false);
  for (const std::string file : {"index.json", "episodes/synthetic/000000.tfep", "episodes/synthetic/000001.tfep"}) {
    std::ifstream fa(a / file, std::ios::binary), fb(b / file, std::ios::binary);
    const std::string ta((std::istreambuf_iterator<char>(fa)), {}), tb((std::istreambuf_iterator<char>(fb)), {});
    CHECK(!ta.empty());
    CHECK(ta == tb);
  }
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST_CASE("a corrupt byte is detected by the reader, Verify, CheckSlot and BuildIndex", "[dataset]") {
  const fs::path dir = FreshDir("corrupt");
  WriteTwoEpisodes(dir, false);
  const DatasetReader before(dir);
  const IndexEntry entry = before.episodes()[0];
  FlipByte(dir / entry.file, entry.frame_extents[1].offset + entry.frame_extents[1].size / 2);
  CHECK_THROWS_WITH(before.ReadFrame(0, 1), Catch::Contains("step 1") && Catch::Contains("corrupt"));
  CHECK_NOTHROW(before.ReadFrame(0, 0));  // the other frame is intact
  CHECK_THAT(before.Verify(0), Catch::Contains("corrupt"));
  CHECK(before.Verify(1).empty());
  std::string problem;
  CHECK(CheckSlot(dir, "synthetic", 0, &problem) == SlotState::kCorrupt);
  CHECK_THAT(problem, Catch::Contains("000000.tfep"));
  const Index rebuilt = BuildIndex(dir);
  CHECK(rebuilt.episodes.size() == 1);
  REQUIRE(rebuilt.problems.size() == 1);
  CHECK(DatasetReader(dir).index().problems == rebuilt.problems);

  // A flipped byte in the labels.
  FlipByte(dir / entry.file, entry.meta.offset + 10);
  CHECK_THROWS_WITH(before.ReadInfo(0), Catch::Contains("labels are corrupt"));
  fs::remove_all(dir);
}

TEST_CASE("a truncated episode file or index is detected", "[dataset]") {
  const fs::path dir = FreshDir("truncated");
  WriteTwoEpisodes(dir, false);
  const DatasetReader reader(dir);
  const IndexEntry entry = reader.episodes()[1];
  fs::resize_file(dir / entry.file, entry.bytes - 100);
  CHECK_THROWS_WITH(reader.ReadFrame(1, 1), Catch::Contains("truncated"));
  CHECK_THAT(reader.Verify(1), Catch::Contains("bytes where the index has"));
  std::string problem;
  CHECK(CheckSlot(dir, "synthetic", 1, &problem) == SlotState::kCorrupt);
  CHECK_THAT(problem, Catch::Contains("truncated"));
  CHECK(BuildIndex(dir).problems.size() == 1);

  const auto index_size = fs::file_size(dir / "index.json");
  fs::resize_file(dir / "index.json", index_size / 2);
  CHECK_THROWS_WITH(DatasetReader(dir), Catch::Contains("index.json is corrupt or truncated"));
  fs::remove_all(dir);
}

TEST_CASE("a folder made with other settings is refused, naming the setting", "[dataset]") {
  const fs::path dir = FreshDir("manifest");
  DatasetWriter first(dir, SmallManifest(false));
  Manifest other = SmallManifest(false);
  other.split = "val";
  CHECK_THROWS_WITH(DatasetWriter(dir, other), Catch::Contains("split") && Catch::Contains("\"val\""));
  CHECK_NOTHROW(DatasetWriter(dir, SmallManifest(false)));
  fs::remove_all(dir);
}
