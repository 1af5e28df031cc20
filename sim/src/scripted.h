#pragma once
// Scripted scenes and moves shared by the demo, the benchmark and the tests.

#include <vector>

#include "taskforge/core/primitives.h"
#include "taskforge/sim/sim.h"

namespace taskforge::sim {

/// The Ravens palette colours used for blocks (RGBA, 0..1).
std::array<float, 4> PaletteColor(int index);

/// Adds a `size_m` cube of colour `color` at the planar pose (x, y, yaw), resting on the table.
BodyId AddBlock(Sim& sim, double x, double y, double yaw, double size_m, const std::array<float, 4>& color);

/// The oracle move for one block: suction at the block's top centre, placed so the block ends at
/// `target` (a planar pose of its centre; z ignored). The place yaw is relative to the pick, as
/// in Ravens. Settles afterwards.
PrimitiveResult PickPlaceBlock(Sim& sim, BodyId block, const Pose& target, double block_height_m);

/// Planar distance [m] and heading difference modulo the block's 90° symmetry [rad].
std::pair<double, double> PlanarError(const Pose& actual, const Pose& target);

/// The reference scene of the benchmark: `count` 4 cm blocks on a fixed grid over the workspace.
std::vector<BodyId> AddReferenceBlocks(Sim& sim, int count);

}  // namespace taskforge::sim
