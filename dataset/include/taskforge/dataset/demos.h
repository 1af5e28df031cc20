#pragma once
// Oracle demonstrations into a dataset (docs/dataset.md): every task gets N episode slots; slot j
// tries the seeds of attempt indices j, j + N, j + 2N, ... (CLIPort's seeds, see DemoSeed) and keeps
// the first successful episode, so at most attempts_per_slot * N episodes run per task and every
// slot is an independent unit of work: shards, worker processes and resumed runs all produce the
// same files.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace taskforge::dataset {

struct DemoConfig {
  std::vector<std::string> tasks;  ///< full task names ("name" or "name-variant"), see ExpandTasks
  std::string split = "train";     ///< "train", "val" or "test": seeds and colour split
  int episodes = 100;              ///< N: successful episodes wanted per task
  int attempts_per_slot = 3;       ///< seeds a slot tries before it is recorded as failed
  std::filesystem::path out;       ///< the dataset folder
  int jobs = 1;                    ///< worker processes (one episode at a time each)
  int shard = 0;                   ///< this run does the slots s with s % shards == shard,
  int shards = 1;                  ///<   numbering slots task by task in `tasks` order
  bool resume = false;             ///< skip slots already done; redo corrupt ones (reported)
  bool raw = false;                ///< also store the agent cameras' RGB-D (~0.35 MB a frame, ~100x)
  int compression_level = 3;       ///< zstd level (1 fastest .. 19 smallest)
  std::filesystem::path library_dir;  ///< task library; empty: tasks::DefaultLibraryDir()
  std::string assets_dir;          ///< empty: $TASKFORGE_ASSETS or the source tree's
};

/// What a run did (this run only; the index covers the whole folder).
struct DemoReport {
  long episodes = 0;       ///< successful episodes written
  long attempts = 0;       ///< episodes run, successful or not
  long failed_slots = 0;   ///< slots whose every attempt failed
  long skipped_slots = 0;  ///< already done (--resume)
  long frames = 0;         ///< frames written (actions + 1 per episode)
  uint64_t bytes = 0;      ///< episode file bytes written
  double bytes_per_frame = 0.0;
  double episodes_per_s = 0.0;  ///< successful episodes per wall-clock second
  double wall_s = 0.0;
  long slots_total = 0;    ///< slots this shard owns
  long slots_done = 0;     ///< of those, finished so far (including skipped)
  std::vector<std::string> problems;  ///< corrupt files found on resume (redone)
  long dataset_episodes = 0;          ///< episodes in the folder's index after the run
};

/// Called after every finished slot (in the parent process).
using DemoProgress = std::function<void(const DemoReport& so_far)>;

/// Runs the demos. @throws Error for bad config, an unknown task, a folder made with other settings,
/// slots already present without `resume`, or a worker that failed (the others' work is kept).
DemoReport GenerateDemos(const DemoConfig& config, const DemoProgress& progress = {});

/// "all" -> every library task (each variant of tasks that have them); otherwise a comma-separated
/// list, each resolved (so typos fail early). @throws Error naming an unknown task.
std::vector<std::string> ExpandTasks(const std::string& list, const std::filesystem::path& library_dir = {});

/// CLIPort's seeds: the i-th attempt of a split uses train 2i, val 2i + 1, test 10001 + 2i.
uint64_t DemoSeed(const std::string& split, uint64_t attempt_index);

/// Writes an animated GIF of a dataset episode ("task/slot"): the top-down colour map beside the
/// front camera, one picture per step, captioned with the goal. Datasets without --raw replay the
/// episode from its seed for the camera (checking the replay's top-down maps equal the stored ones).
/// @throws Error if the episode is missing or corrupt, or the replay differs.
void WriteEpisodeGif(const std::filesystem::path& dataset_dir, const std::string& episode_id,
                     const std::filesystem::path& gif, const std::filesystem::path& library_dir = {},
                     const std::string& assets_dir = {});

}  // namespace taskforge::dataset
