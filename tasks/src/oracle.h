#pragma once
// The Ravens scripted expert and the scene sampler, both working from the near-orthographic
// oracle camera's top-down heightmap and object-id mask.

#include <optional>
#include <random>
#include <set>

#include "goals.h"
#include "taskforge/core/heightmap.h"
#include "taskforge/sim/sim.h"
#include "taskforge/tasks/task.h"

namespace taskforge::tasks {

/// Task bounds: the agent's workspace with Ravens' task z cap of 0.3 m.
WorkspaceBounds TaskBounds();

/// Renders the oracle camera and fuses it into the task-bounds heightmap (ids in `segments`).
Heightmap RenderOracleView(sim::Sim& sim);

/// An index in [0, n) drawn from `rng` without the implementation-defined std distributions.
size_t UniformIndex(std::mt19937_64& rng, size_t n);
/// A double in [0, 1) with 53 random bits.
double UniformUnit(std::mt19937_64& rng);

/// Ravens get_random_pose: a free spot for an object of footprint `size` (x, y [m]) among the
/// cells not covered by `occupied` bodies, eroded by the footprint's diagonal; the pose stands
/// at z = size_z / 2 with a uniform yaw. nullopt when nothing is free.
std::optional<Pose> RandomFreePose(const Heightmap& view, const std::set<sim::BodyId>& occupied, const Vec3& size,
                                   std::mt19937_64& rng);

/// Ravens Task.oracle for the first goal: the object farthest from its nearest unmatched target
/// is picked at a uniformly sampled pixel of its mask; the place pose carries the pick's offset
/// to the target. nullopt when the chosen object is not visible or nothing is left to move.
std::optional<Action> OracleAction(const Goal& goal, sim::Sim& sim, std::mt19937_64& rng);

}  // namespace taskforge::tasks
