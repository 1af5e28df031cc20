#include "taskforge/realrobot/safety.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "taskforge/core/error.h"

namespace taskforge::realrobot {
namespace {

std::string Fmt(double x) {
  std::ostringstream out;
  out.precision(3);
  out << std::fixed << x;
  return out.str();
}

}  // namespace

SafetyLimits LoadSafetyLimits(const std::filesystem::path& path) {
  std::ifstream in(path);
  TF_THROW_UNLESS(in, "cannot read safety limits '", path.string(), "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    TF_THROW_UNLESS(false, "safety limits '", path.string(), "' are not valid JSON: ", e.what());
  }
  TF_THROW_UNLESS(j.is_object(), "safety limits '", path.string(), "' must be a JSON object");
  SafetyLimits limits;
  auto number = [&](const char* key, double& out, double lo) {
    if (!j.contains(key)) return;
    TF_THROW_UNLESS(j[key].is_number() && j[key].get<double>() >= lo, "safety limits '", path.string(), "': '",
                    key, "' must be a number >= ", lo, ", got ", j[key].dump());
    out = j[key].get<double>();
  };
  auto vec = [&](const char* key, Vec3& out) {
    if (!j.contains(key)) return;
    const auto& v = j[key];
    TF_THROW_UNLESS(v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() && v[2].is_number(),
                    "safety limits '", path.string(), "': '", key, "' must be [x, y, z] in metres, got ", v.dump());
    out = Vec3(v[0].get<double>(), v[1].get<double>(), v[2].get<double>());
  };
  for (const auto& [key, value] : j.items()) {
    static const char* kKeys[] = {"box_min", "box_max", "min_tool_height_m", "max_tilt_rad", "max_joint_speed_rad_s",
                                  "max_joint_accel_rad_s2", "max_tool_speed_m_s", "max_tool_accel_m_s2",
                                  "max_frame_age_s"};
    TF_THROW_UNLESS(std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys), "safety limits '",
                    path.string(), "': unknown key '", key, "' (known: ", JoinNames(kKeys), ")");
  }
  vec("box_min", limits.box_min);
  vec("box_max", limits.box_max);
  number("min_tool_height_m", limits.min_tool_height_m, -1.0);
  number("max_tilt_rad", limits.max_tilt_rad, 0.0);
  number("max_joint_speed_rad_s", limits.max_joint_speed_rad_s, 0.0);
  number("max_joint_accel_rad_s2", limits.max_joint_accel_rad_s2, 0.0);
  number("max_tool_speed_m_s", limits.max_tool_speed_m_s, 0.0);
  number("max_tool_accel_m_s2", limits.max_tool_accel_m_s2, 0.0);
  number("max_frame_age_s", limits.max_frame_age_s, 0.0);
  TF_THROW_UNLESS((limits.box_min.array() < limits.box_max.array()).all(), "safety limits '", path.string(),
                  "': box_min must be below box_max on every axis");
  return limits;
}

std::string CheckToolPose(const Pose& tool_pose, const SafetyLimits& limits) {
  const Vec3 p = tool_pose.translation();
  if (!p.allFinite()) return "tool position is not finite";
  static const char* kAxis[] = {"x", "y", "z"};
  for (int i = 0; i < 3; ++i) {
    if (p[i] < limits.box_min[i]) {
      return std::string("tool ") + kAxis[i] + " " + Fmt(p[i]) + " m is below the workspace box (" + kAxis[i] +
             " >= " + Fmt(limits.box_min[i]) + " m)";
    }
    if (p[i] > limits.box_max[i]) {
      return std::string("tool ") + kAxis[i] + " " + Fmt(p[i]) + " m is beyond the workspace box (" + kAxis[i] +
             " <= " + Fmt(limits.box_max[i]) + " m)";
    }
  }
  if (p.z() < limits.min_tool_height_m) {
    return "tool height " + Fmt(p.z()) + " m is below the minimum " + Fmt(limits.min_tool_height_m) + " m";
  }
  const Vec3 axis = tool_pose.linear().col(2);
  const double tilt = std::acos(std::clamp(-axis.z(), -1.0, 1.0));
  if (tilt > limits.max_tilt_rad) {
    return "tool tilted " + Fmt(tilt) + " rad from straight down (at most " + Fmt(limits.max_tilt_rad) + " rad)";
  }
  return "";
}

std::vector<std::string> CheckPickPlace(const Pose& pick, const Pose& place, const SafetyLimits& limits,
                                        const PickPlaceConfig& config) {
  auto above = [](const Pose& p, double h) {
    return DownwardToolPose(p.translation() + Vec3(0, 0, h), YawOf(p));
  };
  const std::pair<const char*, Pose> waypoints[] = {
      {"approach", above(pick, config.approach_height_m)},
      {"pick", above(pick, 0.0)},
      {"lift", above(pick, config.lift_height_m)},
      {"carry", above(place, config.lift_height_m)},
      {"place", above(place, 0.0)},
  };
  std::vector<std::string> problems;
  for (const auto& [name, pose] : waypoints) {
    if (std::string why = CheckToolPose(pose, limits); !why.empty()) problems.push_back(std::string(name) + ": " + why);
  }
  return problems;
}

}  // namespace taskforge::realrobot
