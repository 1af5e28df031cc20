#include "goals.h"

#include <cmath>

namespace taskforge::tasks {

bool IsMatch(const Pose& pose, const Pose& target, double symmetry, double pos_eps, double rot_eps) {
  const double distance = (pose.translation().head<2>() - target.translation().head<2>()).norm();
  double rotation_error = 0.0;
  if (symmetry > 0.0) {
    rotation_error = std::fmod(std::abs(YawOf(pose) - YawOf(target)), symmetry);
    if (rotation_error > symmetry / 2) rotation_error = symmetry - rotation_error;
  }
  return distance < pos_eps && rotation_error < rot_eps;
}

double GoalReward(const Goal& goal, const sim::Sim& sim) {
  if (goal.objects.empty()) return 0.0;
  if (goal.metric == Metric::kPose) {
    double reward = 0.0;
    for (size_t i = 0; i < goal.objects.size(); ++i) {
      const Pose pose = sim.body_pose(goal.objects[i]);
      for (size_t j = 0; j < goal.targets.size(); ++j) {
        if (goal.matches[i][j] && IsMatch(pose, goal.targets[j], goal.symmetries[i], goal.pos_eps, goal.rot_eps)) {
          reward += goal.max_reward / double(goal.objects.size());
          break;
        }
      }
    }
    return reward;
  }
  // Zone: points inside any zone over all points, summed zone by zone as Ravens does.
  double inside = 0.0, total = 0.0;
  for (const Zone& zone : goal.zones) {
    const Pose zone_T_world = zone.pose.inverse();
    for (size_t i = 0; i < goal.objects.size(); ++i) {
      const Pose zone_T_object = zone_T_world * sim.body_pose(goal.objects[i]);
      for (const Vec3& point : goal.object_points[i]) {
        const Vec3 p = zone_T_object * point;
        inside += std::abs(p.x()) < zone.size_x / 2 && std::abs(p.y()) < zone.size_y / 2 && p.z() < zone.height;
        total += 1.0;
      }
    }
  }
  return total > 0 ? goal.max_reward * inside / total : 0.0;
}

std::vector<Vec3> ObjectPoints(const sim::Sim& sim, sim::BodyId body) {
  constexpr double kSpacing = 0.02;  // [m], Ravens get_object_points
  const auto [lo, hi] = sim.body_bounds(body);
  std::vector<Vec3> points;
  for (double x = lo.x(); x < hi.x(); x += kSpacing) {
    for (double y = lo.y(); y < hi.y(); y += kSpacing) {
      for (double z = lo.z(); z < hi.z(); z += kSpacing) points.emplace_back(x, y, z);
    }
  }
  return points;
}

}  // namespace taskforge::tasks
