#include "taskforge/realrobot/deploy.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "taskforge/core/error.h"
#include "taskforge/realrobot/tcp.h"

namespace taskforge::realrobot {
namespace {

using Clock = std::chrono::steady_clock;

class TwinOracle : public ActionSource {
 public:
  TwinOracle(const std::string& host, int port) : socket_(Socket::Connect(host, port)) {}
  std::optional<PickPlaceAction> Act(const Observation&, const std::string&) override {
    socket_.SendAll("oracle\n");
    const nlohmann::json answer = nlohmann::json::parse(socket_.ReadLine(30.0));
    if (answer.contains("error")) return std::nullopt;
    auto pose = [](const nlohmann::json& v) {
      return MakePose(Vec3(v.at(0), v.at(1), v.at(2)), Quat(v.at(6).get<double>(), v.at(3), v.at(4), v.at(5)));
    };
    return PickPlaceAction{pose(answer.at("pick")), pose(answer.at("place"))};
  }

 private:
  Socket socket_;
};

// Draws a filled disc and a ring of `rgb` centred on a grid cell, scaled by `scale`.
void Mark(ColorImage& image, const std::array<int, 2>& cell, int scale, const std::array<uint8_t, 3>& rgb) {
  const int cy = cell[0] * scale + scale / 2, cx = cell[1] * scale + scale / 2;
  for (int dy = -10; dy <= 10; ++dy) {
    for (int dx = -10; dx <= 10; ++dx) {
      const double r = std::hypot(dx, dy);
      const int y = cy + dy, x = cx + dx;
      if ((r > 4 && r < 8) || r <= 2) {
        if (y >= 0 && y < image.height && x >= 0 && x < image.width) {
          for (int c = 0; c < 3; ++c) image.at(y, x, c) = rgb[size_t(c)];
        }
      }
    }
  }
}

std::string PoseText(const Pose& p) {
  char text[96];
  std::snprintf(text, sizeof(text), "%.3f %.3f %.3f yaw %.2f", p.translation().x(), p.translation().y(),
                p.translation().z(), YawOf(p));
  return text;
}

}  // namespace

std::unique_ptr<ActionSource> OpenTwinOracle(const std::string& host, int port) {
  return std::make_unique<TwinOracle>(host, port);
}

std::unique_ptr<ActionSource> OpenTwinOracle(const std::string& spec) {
  const std::string prefix = "twin-oracle:";
  const size_t colon = spec.rfind(':');
  TF_THROW_UNLESS(spec.rfind(prefix, 0) == 0 && colon >= prefix.size() && colon + 1 < spec.size(), "action source '",
                  spec, "' must be twin-oracle:HOST:PORT (the twin's camera port)");
  try {
    return OpenTwinOracle(spec.substr(prefix.size(), colon - prefix.size()), std::stoi(spec.substr(colon + 1)));
  } catch (const std::logic_error&) {
    TF_THROW_UNLESS(false, "action source '", spec, "': the port must be a number");
  }
  return nullptr;
}

void WritePlanImage(const std::filesystem::path& path, const Heightmap& heightmap, const PickPlaceAction& action,
                    const WorkspaceBounds& bounds) {
  constexpr int kScale = 3;
  const ColorImage& src = heightmap.color;
  ColorImage image(src.height * kScale, src.width * kScale + 200, 3, 32);
  for (int r = 0; r < image.height; ++r) {
    for (int c = 0; c < src.width * kScale; ++c) {
      for (int ch = 0; ch < 3; ++ch) image.at(r, c, ch) = src.at(r / kScale, c / kScale, ch);
    }
  }
  Mark(image, WorldToPixel(action.pick.translation(), bounds), kScale, {0, 220, 0});
  Mark(image, WorldToPixel(action.place.translation(), bounds), kScale, {230, 0, 0});
  const int x = src.width * kScale + 8;
  DrawText(image, x, 10, "pick", 2, {0, 220, 0});
  DrawText(image, x, 30, PoseText(action.pick), 1, {255, 255, 255});
  DrawText(image, x, 50, "place", 2, {230, 0, 0});
  DrawText(image, x, 70, PoseText(action.place), 1, {255, 255, 255});
  WritePng(path, image);
}

DeployReport RunDeploy(const DeployConfig& config, const std::vector<Camera*>& cameras, ActionSource& source,
                       UrRobot* robot) {
  TF_THROW_UNLESS(!cameras.empty(), "deploy needs at least one camera");
  TF_THROW_UNLESS(!config.execute || robot, "deploy --execute needs a robot");
  DeployReport report;
  for (int n = 0; n < (config.execute ? config.max_actions : 1); ++n) {
    Observation obs;
    for (Camera* camera : cameras) {
      obs.cameras.push_back(camera->config());
      obs.frames.push_back(camera->Capture());
    }
    const Clock::time_point captured = Clock::now();
    obs.heightmap = FuseHeightmap(obs.frames, obs.cameras, config.bounds);
    const std::optional<PickPlaceAction> action = source.Act(obs, config.instruction);
    if (!action) break;  // the source is done
    DeployStep& step = report.steps.emplace_back();
    step.action = *action;
    step.refused = CheckPickPlace(action->pick, action->place, config.limits, config.pick_place);
    if (!config.plan_png.empty()) {
      std::filesystem::path png = config.plan_png;
      if (n > 0) png.replace_filename(png.stem().string() + "_" + std::to_string(n) + png.extension().string());
      WritePlanImage(png, obs.heightmap, *action, config.bounds);
    }
    if (!step.refused.empty()) {
      report.aborted = "action " + std::to_string(n + 1) + " refused by the safety limits, nothing moved: " +
                       JoinNames(step.refused);
      break;
    }
    if (!config.execute) break;
    step.frame_age_s = std::chrono::duration<double>(Clock::now() - captured).count();
    if (step.frame_age_s > config.limits.max_frame_age_s) {
      char why[160];
      std::snprintf(why, sizeof(why), "action %d not run: the camera frame is %.2f s old (limit %.2f s); the scene "
                    "may have changed", n + 1, step.frame_age_s, config.limits.max_frame_age_s);
      report.aborted = why;
      break;
    }
    step.executed = true;
    step.result = PickPlace(robot->arm(), robot->gripper(), action->pick, action->place, config.pick_place);
    if (!step.result.ok()) {
      report.aborted = "action " + std::to_string(n + 1) + " stopped in its " + step.result.failed_phase + " (" +
                       ToString(step.result.status) + ")" +
                       (step.result.status == MotionStatus::kFault ? ": " + robot->last_error() : std::string());
      robot->Stop();
      break;
    }
  }
  return report;
}

}  // namespace taskforge::realrobot
