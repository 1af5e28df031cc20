#include "recording.h"

#include "taskforge/core/error.h"

namespace taskforge::dataset {
namespace {

ActionLabel LabelOf(const tasks::Action& action, const WorkspaceBounds& bounds) {
  ActionLabel label;
  label.pick = action.pose0;
  label.place = action.pose1;
  label.pick_pixel = WorldToPixel(action.pose0.translation(), bounds);
  label.place_pixel = WorldToPixel(action.pose1.translation(), bounds);
  label.pick_yaw = YawOf(action.pose0);
  label.place_yaw = YawOf(action.pose1);
  return label;
}

Frame FrameOf(const Observation& obs, bool raw) {
  Frame frame;
  frame.color = obs.heightmap.color;
  frame.height = obs.heightmap.height;
  if (raw) {
    for (const RgbdFrame& f : obs.frames) frame.cameras.push_back({f.color, f.depth, {}});
  }
  return frame;
}

}  // namespace

tasks::Split ParseSplit(const std::string& split) {
  if (split == "train") return tasks::Split::kTrain;
  if (split == "val") return tasks::Split::kVal;
  TF_THROW_UNLESS(split == "test", "split '", split, "' is not train, val or test");
  return tasks::Split::kTest;
}

RecordedEpisode RecordOracleEpisode(const tasks::TaskSource& task, const tasks::EpisodeOptions& options, bool raw,
                                    const std::function<void(const Observation&, int step)>& observer) {
  RecordedEpisode out;
  EpisodeInfo& info = out.info;
  info.task = task.full_name();
  info.variant = task.variant;
  info.split = tasks::SplitName(options.split);
  info.seed = options.seed;
  try {
    tasks::Episode episode(task, options);
    Observation obs;
    for (int step = 0;; ++step) {
      episode.Observe(obs);
      if (step == 0) {
        TF_DEMAND(obs.heightmap.color.height == info.bounds.rows() && obs.heightmap.color.width == info.bounds.cols());
        if (raw) info.cameras = obs.cameras;
      }
      if (observer) observer(obs, step);
      out.frames.push_back(FrameOf(obs, raw));
      StepLabel& label = info.steps.emplace_back();
      label.language_goal = episode.language_goal();
      if (episode.done()) break;
      const std::optional<tasks::Action> action = episode.OracleAct();
      if (!action) {
        out.error = "the oracle cannot act: the object to move is not visible";
        break;
      }
      label.action = LabelOf(*action, info.bounds);
      label.reward = episode.Step(*action).reward;
    }
    if (out.error.empty()) out.error = episode.failure();
    out.success = episode.success() && out.error.empty();
    info.reward = episode.total_reward();
  } catch (const Error& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace taskforge::dataset
