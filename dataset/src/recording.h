#pragma once
// One oracle episode recorded step by step as the dataset stores it.

#include <functional>
#include <string>
#include <vector>

#include "taskforge/dataset/dataset.h"
#include "taskforge/tasks/task.h"

namespace taskforge::dataset {

struct RecordedEpisode {
  bool success = false;
  std::string error;  ///< why it failed, when it did ("" if it ran to the end and scored < 1)
  EpisodeInfo info;   ///< task, variant, seed, split, steps; slot/attempt left to the caller
  std::vector<Frame> frames;
};

/// Runs the oracle from reset to done, observing before every action and once at the end.
/// `raw` keeps the camera frames (without segments); `observer` sees each observation first.
RecordedEpisode RecordOracleEpisode(const tasks::TaskSource& task, const tasks::EpisodeOptions& options, bool raw,
                                    const std::function<void(const Observation&, int step)>& observer = {});

tasks::Split ParseSplit(const std::string& split);

}  // namespace taskforge::dataset
