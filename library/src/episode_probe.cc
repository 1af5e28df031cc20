#include "episode_probe.h"

#include <array>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "taskforge/core/primitives.h"

namespace taskforge::library {
namespace {

using nlohmann::json;

struct Box {
  Pose pose;          // the body's frame in the world
  Vec3 lo, hi;        // its collision bounds in that frame [m]
  bool Contains(const Vec3& world_point, double slack) const {
    const Vec3 p = pose.inverse() * world_point;
    return (p.array() >= lo.array() + slack).all() && (p.array() <= hi.array() - slack).all();
  }
  std::array<Vec3, 8> Corners() const {
    std::array<Vec3, 8> corners;
    for (int i = 0; i < 8; ++i) {
      corners[size_t(i)] = pose * Vec3(i & 1 ? hi.x() : lo.x(), i & 2 ? hi.y() : lo.y(), i & 4 ? hi.z() : lo.z());
    }
    return corners;
  }
};

// A script controls its error messages; a report carries at most kMaxMessage characters of one.
std::string Clip(const std::string& text) {
  if (text.size() <= kMaxMessage) return text;
  return text.substr(0, kMaxMessage) + "... (" + std::to_string(text.size() - kMaxMessage) + " more characters)";
}

std::string Describe(const sim::Sim& sim, const tasks::SceneLayout::Object& o) {
  std::ostringstream text;
  const Vec3 p = sim.body_pose(o.body).translation();
  text << "object " << o.body << " ('" << o.asset << "' at (" << p.x() << ", " << p.y() << ", " << p.z() << "))";
  return text.str();
}

// What is wrong with the scene reset() built: objects off the workspace or inside one another,
// unreachable targets, bodies already unhealthy.
std::vector<std::string> CheckResetScene(tasks::Episode& episode) {
  sim::Sim& sim = episode.sim();
  const tasks::SceneLayout layout = episode.layout();
  std::vector<std::string> issues;
  std::set<sim::BodyId> on_table;
  for (const auto& o : layout.objects) on_table.insert(o.body);
  for (const sim::BodyIssue& issue : sim.CheckHealth()) {
    if (on_table.count(issue.body)) issues.push_back("right after reset(), " + issue.description);
  }
  const WorkspaceBounds ws;
  std::vector<Box> boxes;
  for (const auto& o : layout.objects) {
    const auto [lo, hi] = sim.body_bounds(o.body);
    boxes.push_back({sim.body_pose(o.body), lo, hi});
    for (const Vec3& c : boxes.back().Corners()) {
      if (c.x() < ws.x_min - kWorkspaceMargin || c.x() > ws.x_max + kWorkspaceMargin ||
          c.y() < ws.y_min - kWorkspaceMargin || c.y() > ws.y_max + kWorkspaceMargin) {
        std::ostringstream text;
        text << Describe(sim, o) << " reaches outside the workspace (x " << ws.x_min << ".." << ws.x_max << ", y "
             << ws.y_min << ".." << ws.y_max << " m) to (" << c.x() << ", " << c.y()
             << "): choose a smaller size or a pose further inside, e.g. with env.random_pose(size)";
        issues.push_back(text.str());
        break;
      }
    }
  }
  // A whole object inside a movable one: the solver would throw them apart. (Fixed objects such
  // as bowls, containers, kits and zones are meant to hold things; piles may overlap partly.)
  for (size_t a = 0; a < boxes.size(); ++a) {
    for (size_t b = 0; b < boxes.size(); ++b) {
      if (a == b || layout.objects[b].fixed) continue;
      bool inside = true;
      for (const Vec3& c : boxes[a].Corners()) inside = inside && boxes[b].Contains(c, -kContainmentSlack);
      if (inside) {
        issues.push_back(Describe(sim, layout.objects[a]) + " was spawned inside " + Describe(sim, layout.objects[b]) +
                         ": give each object its own free pose, e.g. with env.random_pose(size)");
      }
    }
  }
  for (const Pose& target : layout.targets) {
    Vec3 p = target.translation();
    p.z() = std::max(p.z(), kReachHeight);
    const double yaw = std::atan2(target.linear()(1, 0), target.linear()(0, 0));
    if (!sim.arm().CanReach(DownwardToolPose(p, yaw))) {
      std::ostringstream text;
      text << "the goal target at (" << p.x() << ", " << p.y() << ", " << target.translation().z()
           << ") cannot be reached by the arm pointing down: place targets on the table inside the workspace";
      issues.push_back(text.str());
    }
  }
  return issues;
}

}  // namespace

std::string ProbeScript(const tasks::TaskSource& task) {
  try {
    const tasks::TaskInfo info = tasks::ReadTaskInfo(task);
    return json{{"name", info.name}, {"description", info.description}, {"variants", info.variants}}.dump();
  } catch (const Error& e) {
    return json{{"error", Clip(e.what())}}.dump();
  }
}

std::string ProbeEpisode(const tasks::TaskSource& task, const tasks::EpisodeOptions& options) {
  json out = {{"seed", options.seed}, {"success", false}, {"reward", 0.0}, {"actions", 0}, {"physics_steps", 0},
              {"runtime_error", ""}, {"sanity_issues", json::array()}, {"left_table", false}, {"failure", ""},
              {"assets", json::array()}};
  std::unique_ptr<tasks::Episode> episode;
  try {
    episode = std::make_unique<tasks::Episode>(task, options);
  } catch (const Error& e) {
    out["runtime_error"] = "reset() failed: " + Clip(e.what());
    return out.dump();
  }
  std::set<std::string> assets;
  for (const auto& o : episode->layout().objects) assets.insert(o.asset);
  out["assets"] = assets;
  const std::vector<std::string> scene_issues = CheckResetScene(*episode);
  out["sanity_issues"] = scene_issues;
  try {
    while (!episode->done()) {
      const std::optional<tasks::Action> action = episode->OracleAct();
      if (!action) {
        out["failure"] = "the oracle cannot act: the object to move is not visible";
        break;
      }
      const tasks::StepResult step = episode->Step(*action);
      if (episode->failure().empty() || !step.primitive.ok()) continue;
      // The step ended the episode on a body's health: exploding or non-finite bodies are a
      // broken scene; one knocked off the table now and then is the oracle's clumsiness.
      std::set<sim::BodyId> on_table;
      for (const auto& o : episode->layout().objects) on_table.insert(o.body);
      for (const sim::BodyIssue& issue : episode->sim().CheckHealth()) {
        if (!on_table.count(issue.body)) continue;  // parked on purpose
        if (issue.kind == sim::BodyIssue::Kind::kLeftTable) {
          out["left_table"] = true;
        } else {
          out["sanity_issues"].push_back("during action " + std::to_string(episode->actions_taken()) + ", " +
                                         issue.description);
        }
      }
    }
    if (out["failure"] == "") out["failure"] = episode->failure();
  } catch (const Error& e) {
    out["runtime_error"] = "after " + std::to_string(episode->actions_taken()) + " oracle actions: " + Clip(e.what());
  }
  out["success"] = episode->success();
  out["reward"] = episode->total_reward();
  out["actions"] = episode->actions_taken();
  out["physics_steps"] = episode->stats().physics_steps;
  return out.dump();
}

}  // namespace taskforge::library
