#pragma once
// Multitask training of the policy on demonstration datasets (dataset/): uniform task, then
// uniform episode, then uniform step, as CLIPort's RavensMultiTaskDataset; Ravens' SE(2)
// augmentation; Adam; periodic checkpoints and validation; resume after a kill.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "taskforge/policy/policy.h"

namespace taskforge::policy {

struct TrainConfig {
  std::filesystem::path data;      ///< training dataset folder (`taskforge demos --split train`)
  std::filesystem::path val_data;  ///< validation dataset folder (split val); empty: no validation
  std::vector<std::string> tasks;  ///< full task names; empty: every task of the training dataset
  std::filesystem::path out;       ///< last.pt, step_N.pt, metrics.jsonl, curve.png
  int64_t steps = 1000;            ///< total Adam steps; a resumed run continues up to this
  int batch = 8;
  int checkpoint_every = 500;      ///< steps between checkpoints and validations
  int log_every = 10;              ///< steps averaged into one metrics line
  int val_samples = 32;            ///< fixed validation samples (not augmented)
  bool resume = false;             ///< continue from out/last.pt (a fresh start when there is none)
  /// Wall-clock budget of this call [minutes], counted from the start of Train (datasets and model
  /// set-up included); 0: none. Once it has run out, the step under way finishes and is
  /// checkpointed (validation, metrics, last.pt and step_N.pt) as at checkpoint_every, and training
  /// stops; `resume` continues it towards `steps` later.
  double time_limit_min = 0;
  bool augment = true;             ///< random SE(2) per sample
  AugmentConfig augment_config;
  uint64_t seed = 0;               ///< sampling and augmentation; step s uses its own generator
  PolicyConfig policy;             ///< ignored on resume except `device` and `threads`
  /// Called after every step with the step number (1-based) and its loss.
  std::function<void(int64_t, const Loss&)> on_step;
};

struct TrainResult {
  int64_t start_step = 0;    ///< the step the run began at (> 0 when resumed)
  int64_t steps = 0;         ///< the step it ended at
  double first_loss = 0;     ///< mean loss of the run's first log window
  double last_loss = 0;      ///< mean loss of its last log window
  double val_loss = -1;      ///< at the last validation; -1 without validation data
  double steps_per_s = 0;
  bool stopped_by_time_limit = false;  ///< ended before `steps` because time_limit_min ran out
  std::filesystem::path checkpoint;  ///< out/last.pt
};

/// @throws Error on a missing dataset, unknown task, grid mismatch or an existing run in `out`
/// without `resume`.
TrainResult Train(const TrainConfig& config);

}  // namespace taskforge::policy
