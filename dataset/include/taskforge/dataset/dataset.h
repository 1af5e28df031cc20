#pragma once
// The demonstration dataset on disk (docs/dataset.md has the byte layout): one file per episode
// with a frame table, the episode's labels as JSON and one zstd frame per step; a dataset folder
// holds a manifest, the episode files and an index built from them, so a trainer can sample
// steps uniformly across tasks reading only the step it wants. No Bullet or Lua types here.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "taskforge/core/camera.h"
#include "taskforge/core/geometry.h"
#include "taskforge/core/heightmap.h"

namespace taskforge::dataset {

/// Heights are stored as uint16 in units of this many metres (0.1 mm): the workspace's 0.28 m
/// span needs 2800 of 65535 codes and the rounding error (<= 0.05 mm) is far below a 3.125 mm cell.
constexpr double kHeightUnitM = 1e-4;

/// What a dataset is: written once as DIR/dataset.json by the first run; later runs (other
/// shards, --resume) must ask for the same.
struct Manifest {
  std::string split = "train";          ///< "train", "val" or "test" (seeds and colours)
  int episodes_per_task = 0;            ///< N: episode slots per task
  int attempts_per_slot = 3;            ///< seeds tried per slot before it is given up (3N in all)
  std::vector<std::string> tasks;       ///< full task names ("name-variant"), in generation order
  bool raw = false;                     ///< camera RGB-D stored beside the fused maps
  int compression_level = 3;            ///< zstd level
  WorkspaceBounds bounds;               ///< the fused maps' grid
  bool operator==(const Manifest&) const = default;
};

/// The oracle's action at one step, as the policy learns it. Poses are the suction tip's in the
/// world frame [m, rad]; pixels are (row, col) of the fused maps (WorldToPixel); yaws are the
/// rotation about world z [rad] in (-pi, pi].
struct ActionLabel {
  Pose pick = Pose::Identity();
  Pose place = Pose::Identity();
  std::array<int, 2> pick_pixel{0, 0};
  std::array<int, 2> place_pixel{0, 0};
  double pick_yaw = 0.0;
  double place_yaw = 0.0;
};

/// One step's labels: the goal shown and the action taken on this frame, and the reward it earned.
/// The last frame of an episode shows the final scene and has no action.
struct StepLabel {
  std::string language_goal;
  std::optional<ActionLabel> action;
  double reward = 0.0;  ///< delta reward of this step's action (Ravens)
};

/// One step's pictures.
struct Frame {
  ColorImage color;                ///< fused top-down colour, 320 rows (y) x 160 cols (x) x 3
  HeightImage height;              ///< fused height above z_min [m], quantised to kHeightUnitM
  std::vector<RgbdFrame> cameras;  ///< raw agent camera frames (datasets made with --raw; no segments)
};

/// Everything about an episode but its pictures.
struct EpisodeInfo {
  std::string task;                   ///< full name, e.g. "put-block-in-bowl-seen-colors"
  std::string variant;                ///< "" for tasks without variants
  std::string split;
  uint64_t seed = 0;
  int slot = 0;                       ///< 0 .. N-1 within its task
  int attempt = 0;                    ///< which of the slot's seeds succeeded (0-based)
  double reward = 0.0;                ///< total
  std::vector<StepLabel> steps;       ///< one per frame: actions + 1
  std::vector<CameraConfig> cameras;  ///< with --raw: the cameras of Frame::cameras
  WorkspaceBounds bounds;
};

/// One step as a trainer samples it.
struct Step {
  StepLabel label;
  Frame frame;
};

/// A whole episode.
struct Episode {
  EpisodeInfo info;
  std::vector<Frame> frames;  ///< one per info.steps entry
};

/// Where an episode's parts lie in its file.
struct Extent {
  uint64_t offset = 0;  ///< [bytes] from the start of the file
  uint64_t size = 0;    ///< [bytes]
  uint32_t crc32 = 0;   ///< CRC-32 (IEEE) of those bytes
  bool operator==(const Extent&) const = default;
};

/// One episode in the index.
struct IndexEntry {
  std::string id;          ///< "task/slot", e.g. "block-insertion/000003"
  std::string task;
  uint64_t seed = 0;
  int slot = 0;
  int frames = 0;
  double reward = 0.0;
  std::string file;        ///< relative to the dataset folder
  uint64_t bytes = 0;      ///< file size
  uint32_t crc32 = 0;      ///< of the whole file
  Extent meta;             ///< the labels (JSON)
  std::vector<Extent> frame_extents;  ///< one compressed frame per step
  bool operator==(const IndexEntry&) const = default;
};

/// A slot whose every attempt failed (kept so --resume does not retry it).
struct FailedSlot {
  std::string task;
  int slot = 0;
  std::vector<uint64_t> seeds;
  std::vector<std::string> errors;  ///< why each attempt failed ("" when it ran but scored < 1)
  bool operator==(const FailedSlot&) const = default;
};

struct Index {
  Manifest manifest;
  std::vector<IndexEntry> episodes;  ///< sorted by task order, then slot
  std::vector<FailedSlot> failed;
  std::vector<std::string> problems;  ///< files found corrupt or truncated while indexing (left out)
};

/// Writes episode files. Each is written to a temporary name and renamed, so a crash never
/// leaves a partial file under a final name.
class DatasetWriter {
 public:
  /// Creates DIR and DIR/dataset.json, or checks that an existing manifest equals `manifest`.
  /// @throws Error naming the field that differs.
  DatasetWriter(std::filesystem::path dir, Manifest manifest);

  const Manifest& manifest() const { return manifest_; }
  const std::filesystem::path& dir() const { return dir_; }
  /// The episode file of a slot, relative to the dataset folder ("episodes/TASK/000003.tfep").
  static std::string EpisodeFile(const std::string& task, int slot);
  static std::string FailedFile(const std::string& task, int slot);

  /// Encodes and writes an episode (one Frame per StepLabel); returns its index entry.
  IndexEntry WriteEpisode(const EpisodeInfo& info, const std::vector<Frame>& frames) const;
  void WriteFailedSlot(const FailedSlot& failed) const;

 private:
  std::filesystem::path dir_;
  Manifest manifest_;
};

/// Scans DIR's episode files, verifies each completely (file checksum, frame checksums, zstd
/// frames), and writes DIR/index.json atomically. Corrupt files go to Index::problems.
Index BuildIndex(const std::filesystem::path& dir);

/// What a slot's files say on resume: done (a valid episode or a failed record), missing, or
/// present but corrupt (reported; the slot is then run again).
enum class SlotState { kMissing, kEpisode, kFailed, kCorrupt };
SlotState CheckSlot(const std::filesystem::path& dir, const std::string& task, int slot, std::string* problem);

/// Reads a dataset through its index. Thread-compatible (one reader per thread).
class DatasetReader {
 public:
  /// Loads DIR/index.json. @throws Error when it is missing or malformed.
  explicit DatasetReader(std::filesystem::path dir);

  const Index& index() const { return index_; }
  const std::vector<IndexEntry>& episodes() const { return index_.episodes; }
  /// Episode numbers of one task (for sampling uniformly across tasks).
  std::vector<int> EpisodesOfTask(const std::string& task) const;
  /// The episode numbered `id` ("task/slot"). @throws Error if there is none.
  int Find(const std::string& id) const;

  /// The labels of an episode (reads and checks only its meta extent).
  EpisodeInfo ReadInfo(int episode) const;
  /// One step's pictures: reads one compressed frame, checks its CRC and zstd checksum.
  /// @throws Error naming the file and step on any mismatch.
  Frame ReadFrame(int episode, int step) const;
  /// One step's labels and pictures (ReadInfo + ReadFrame; a trainer may cache ReadInfo instead).
  Step ReadStep(int episode, int step) const;
  /// The labels and all frames of an episode.
  Episode ReadEpisode(int episode) const;
  /// Checks the whole file against the index (size, CRC, every frame). Empty when fine.
  std::string Verify(int episode) const;

 private:
  std::filesystem::path dir_;
  Index index_;
};

}  // namespace taskforge::dataset
