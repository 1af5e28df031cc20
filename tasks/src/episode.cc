#include <mutex>

#include "catalogue.h"
#include "goals.h"
#include "lua_sandbox.h"
#include "oracle.h"
#include "scene_api.h"
#include "taskforge/core/error.h"
#include "taskforge/core/timing.h"
#include "taskforge/tasks/task.h"

namespace taskforge::tasks {
namespace {

// The catalogue is read once per assets folder and shared (it is immutable once read).
std::shared_ptr<const Catalogue> SharedCatalogue(const std::filesystem::path& assets_dir) {
  static std::mutex mutex;
  static std::map<std::filesystem::path, std::shared_ptr<const Catalogue>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& entry = cache[assets_dir];
  if (!entry) entry = std::make_shared<const Catalogue>(assets_dir);
  return entry;
}

SandboxLimits ToSandboxLimits(const ScriptLimits& limits) {
  SandboxLimits out;
  out.instructions_per_call = limits.instructions_per_call;
  out.memory_bytes = limits.memory_bytes;
  out.wall_s_per_call = limits.wall_s_per_call;
  return out;
}

}  // namespace

struct Episode::Impl {
  TaskSource source;
  EpisodeOptions options;
  std::mt19937_64 rng;
  std::shared_ptr<const Catalogue> catalogue;
  std::unique_ptr<LuaSandbox> sandbox;
  TaskSettings settings;
  std::unique_ptr<sim::Sim> sim;
  SceneContext context;
  std::vector<std::string> language;
  std::vector<std::string> printed;
  double progress = 0.0;  // rewards of completed goals (Ravens `progress`)
  double rewards = 0.0;   // total reward so far (Ravens `_rewards`)
  int actions = 0;
  std::string failure;

  std::vector<Goal>& goals() { return context.goals; }

  // Ravens Task.reward(): the delta since the last call; a goal is popped once complete.
  double Reward() {
    if (goals().empty()) return 0.0;
    const Goal& goal = goals().front();
    const double step_reward = GoalReward(goal, *sim);
    const double delta = progress + step_reward - rewards;
    rewards = progress + step_reward;
    if (std::abs(goal.max_reward - step_reward) < 0.01) {
      progress += goal.max_reward;
      goals().erase(goals().begin());
    }
    return delta;
  }
};

Episode::Episode(const TaskSource& task, const EpisodeOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& e = *impl_;
  e.source = task;
  e.options = options;
  e.rng.seed(options.seed);
  e.sandbox = std::make_unique<LuaSandbox>(task.script_name, e.rng, ToSandboxLimits(options.limits));
  LoadTask(*e.sandbox, task.code);
  e.settings = ReadTaskSettings(*e.sandbox);
  if (!task.variant.empty()) {
    const std::string declared = JoinNames(e.settings.variants);
    TF_THROW_UNLESS(std::find(e.settings.variants.begin(), e.settings.variants.end(), task.variant) !=
                        e.settings.variants.end(),
                    "task '", e.settings.name, "' has no variant '", task.variant, "' (variants: ",
                    declared.empty() ? "none" : declared, ")");
  }
  sim::SimConfig config = options.sim;
  config.end_effector = e.settings.end_effector;
  if (e.settings.solver_iterations > 0) config.solver_iterations = e.settings.solver_iterations;
  if (e.settings.physics_hz > 0) config.time_step_s = 1.0 / e.settings.physics_hz;
  config.seed = options.seed;
  e.sim = std::make_unique<sim::Sim>(config);
  e.catalogue = SharedCatalogue(e.sim->config().assets_dir);

  SceneContext& c = e.context;
  c.sim = e.sim.get();
  c.rng = &e.rng;
  c.catalogue = e.catalogue.get();
  c.settings = &e.settings;
  c.variant = task.variant;
  c.split = options.split;
  c.max_objects = options.limits.max_objects;
  InstallSceneApi(*e.sandbox, c);
  PushSceneApi(*e.sandbox, c);
  e.sandbox->Call("reset", 1, 0);
  e.printed = e.sandbox->TakePrinted();
  if (c.goals.empty()) {
    throw ScriptError("reset() declared no goals: call env.add_goal{...} at least once", task.script_name, 0);
  }
  for (const Goal& goal : c.goals) e.language.push_back(goal.language);
  if (options.settle_after_reset > 0) e.sim->Step(options.settle_after_reset);
}

Episode::~Episode() = default;

const std::string& Episode::task_name() const { return impl_->settings.name; }
int Episode::max_steps() const { return impl_->settings.max_steps; }

std::string Episode::language_goal() const {
  const auto& goals = impl_->context.goals;
  return goals.empty() ? std::string() : goals.front().language;
}

const std::vector<std::string>& Episode::language_goals() const { return impl_->language; }

void Episode::Observe(Observation& obs) { impl_->sim->Observe(obs); }

std::optional<Action> Episode::OracleAct() {
  if (done()) return std::nullopt;
  return OracleAction(impl_->context.goals.front(), *impl_->sim, impl_->rng);
}

StepResult Episode::Step(const Action& action) {
  Impl& e = *impl_;
  TF_THROW_UNLESS(!done(), "the episode is over; start a new one");
  StepResult result;
  ++e.actions;
  if (e.settings.end_effector == sim::EndEffector::kSuction) {
    result.primitive = PickPlace(e.sim->arm(), e.sim->gripper(), action.pose0, action.pose1, e.settings.pick_place);
  } else {
    result.primitive = Push(e.sim->arm(), action.pose0.translation(), action.pose1.translation(), e.settings.push);
  }
  if (!result.primitive.ok()) {
    // Ravens ends the episode with no reward when a motion times out.
    e.failure = "action " + std::to_string(e.actions) + ": the arm could not complete the primitive's " +
                result.primitive.failed_phase + " (" + ToString(result.primitive.status) + ")";
    result.done = true;
    return result;
  }
  e.sim->SettleUntilStatic();
  for (const sim::BodyIssue& issue : e.sim->CheckHealth()) {
    if (issue.kind == sim::BodyIssue::Kind::kLeftTable && e.context.parked.count(issue.body)) continue;
    e.failure = "action " + std::to_string(e.actions) + ": " + issue.description;
    result.done = true;
    return result;
  }
  result.reward = e.Reward();
  // Tasks that stage their scene (palletizing spawns the next box) do it after each score.
  if (e.sandbox->HasFunction("after_step")) {
    e.context.extra_settle_steps = 0;
    PushSceneApi(*e.sandbox, e.context);
    e.sandbox->Call("after_step", 1, 0);
    const std::vector<std::string> printed = e.sandbox->TakePrinted();
    e.printed.insert(e.printed.end(), printed.begin(), printed.end());
  }
  result.done = done();
  return result;
}

bool Episode::done() const {
  const Impl& e = *impl_;
  return e.context.goals.empty() || e.rewards > 0.99 || e.actions >= e.settings.max_steps || !e.failure.empty();
}

bool Episode::success() const { return impl_->rewards > 0.99; }
double Episode::total_reward() const { return impl_->rewards; }
int Episode::actions_taken() const { return impl_->actions; }

EpisodeStats Episode::stats() const {
  const sim::Sim& s = *impl_->sim;
  return {s.step_count(), s.render_count(), s.ik_call_count(), impl_->actions};
}

const std::string& Episode::failure() const { return impl_->failure; }
const std::vector<std::string>& Episode::script_output() const { return impl_->printed; }
sim::Sim& Episode::sim() { return *impl_->sim; }

SceneLayout Episode::layout() const {
  const SceneContext& c = impl_->context;
  SceneLayout layout;
  for (sim::BodyId id : impl_->sim->objects()) {
    if (!c.objects.count(id) || c.parked.count(id)) continue;
    layout.objects.push_back({id, c.assets.at(id), c.fixed.count(id) != 0});
  }
  for (const Goal& goal : c.goals) layout.targets.insert(layout.targets.end(), goal.targets.begin(), goal.targets.end());
  return layout;
}

OracleRun RunOracleEpisode(const TaskSource& task, const EpisodeOptions& options,
                           const std::function<void(Episode&, int action)>& observer) {
  OracleRun run;
  run.seed = options.seed;
  const Stopwatch watch;
  try {
    Episode episode(task, options);
    if (observer) observer(episode, 0);
    while (!episode.done()) {
      const std::optional<Action> action = episode.OracleAct();
      if (!action) {
        run.error = "the oracle cannot act: the object to move is not visible";
        break;
      }
      episode.Step(*action);
      if (observer) observer(episode, episode.actions_taken());
    }
    if (run.error.empty()) run.error = episode.failure();
    run.success = episode.success();
    run.reward = episode.total_reward();
    run.actions = episode.actions_taken();
    run.stats = episode.stats();
  } catch (const Error& e) {
    run.error = e.what();
  }
  run.wall_s = watch.seconds();
  return run;
}

}  // namespace taskforge::tasks
