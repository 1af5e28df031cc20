#pragma once
// Goals and their scoring, as Ravens' Task.reward()/is_match(): pose goals match objects to
// target poses in the plane (xy within pos_eps, yaw within rot_eps modulo the object's symmetry);
// zone goals score the fraction of each object's sample points inside the zones.

#include <string>
#include <vector>

#include "taskforge/core/geometry.h"
#include "taskforge/sim/sim.h"

namespace taskforge::tasks {

enum class Metric { kPose, kZone };

/// A box-shaped target region: `pose` is its centre; points count when |x|, |y| < size/2 in the
/// zone frame and z < `height` [m] above it.
struct Zone {
  Pose pose = Pose::Identity();
  double size_x = 0.0, size_y = 0.0;  ///< [m]
  double height = 0.0;                ///< [m] in the zone frame
};

struct Goal {
  std::vector<sim::BodyId> objects;
  std::vector<double> symmetries;  ///< per object [rad]: 0 = any yaw matches, 2π = no symmetry
  std::vector<Pose> targets;
  std::vector<std::vector<uint8_t>> matches;  ///< objects × targets, 1 = may go there
  bool replace = false;    ///< a target may take several objects
  bool rotations = true;   ///< the oracle turns the object to the target yaw
  Metric metric = Metric::kPose;
  std::vector<Zone> zones;                       ///< zone metric
  std::vector<std::vector<Vec3>> object_points;  ///< zone metric: per object, in its frame [m]
  double max_reward = 1.0;                       ///< share of the episode's reward
  std::string language;
  double pos_eps = 0.01;   ///< [m]
  double rot_eps = 0.2617993877991494;  ///< [rad] (15°)
};

/// Whether `pose` matches `target` in the plane (Ravens is_match; z is not compared).
bool IsMatch(const Pose& pose, const Pose& target, double symmetry, double pos_eps, double rot_eps);

/// The goal's reward in the current state, in [0, max_reward].
double GoalReward(const Goal& goal, const sim::Sim& sim);

/// Ravens' object sample points: a 2 cm grid from the low corner of the body's bounds.
std::vector<Vec3> ObjectPoints(const sim::Sim& sim, sim::BodyId body);

}  // namespace taskforge::tasks
