#include "oracle.h"

#include <algorithm>
#include <limits>

namespace taskforge::tasks {

WorkspaceBounds TaskBounds() {
  WorkspaceBounds b;
  b.z_max = 0.3;
  return b;
}

Heightmap RenderOracleView(sim::Sim& sim) {
  const WorkspaceBounds bounds = TaskBounds();
  const CameraConfig camera = CellAlignedTopDownCamera(bounds);
  thread_local RgbdFrame frame;
  sim.Render(camera, frame);
  HeightmapFusion fusion(bounds);
  fusion.AddView(frame, camera);
  Heightmap map;
  fusion.Finish(map);
  return map;
}

size_t UniformIndex(std::mt19937_64& rng, size_t n) {
  // Rejection sampling keeps every index equally likely and the draw sequence reproducible.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t draw;
  do draw = rng();
  while (draw >= limit);
  return size_t(draw % n);
}

double UniformUnit(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

std::optional<Pose> RandomFreePose(const Heightmap& view, const std::set<sim::BodyId>& occupied, const Vec3& size,
                                   std::mt19937_64& rng) {
  const WorkspaceBounds bounds = TaskBounds();
  const int rows = view.segments.height, cols = view.segments.width;
  // Occupied cells: task objects and the image border, as Ravens marks them.
  std::vector<int> blocked((rows + 1) * size_t(cols + 1), 0);  // 2-D prefix sums, padded
  auto at = [&](int r, int c) -> int& { return blocked[size_t(r) * (cols + 1) + c]; };
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const bool border = r == 0 || c == 0 || r == rows - 1 || c == cols - 1;
      const bool taken = border || occupied.count(view.segments.at(r, c)) != 0;
      at(r + 1, c + 1) = int(taken) + at(r, c + 1) + at(r + 1, c) - at(r, c);
    }
  }
  // Erosion by a k×k square (OpenCV anchors it at k/2); cells outside the image count as free.
  const int k = std::max(1, int(std::lround(std::hypot(size.x(), size.y()) / bounds.pixel_size)));
  const int before = k / 2, after = k - 1 - k / 2;
  std::vector<int> free_cells;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const int r0 = std::max(0, r - before), r1 = std::min(rows - 1, r + after);
      const int c0 = std::max(0, c - before), c1 = std::min(cols - 1, c + after);
      const int taken = at(r1 + 1, c1 + 1) - at(r0, c1 + 1) - at(r1 + 1, c0) + at(r0, c0);
      if (taken == 0) free_cells.push_back(r * cols + c);
    }
  }
  if (free_cells.empty()) return std::nullopt;
  const int cell = free_cells[UniformIndex(rng, free_cells.size())];
  const double x = bounds.x_min + (cell % cols) * bounds.pixel_size;
  const double y = bounds.y_min + (cell / cols) * bounds.pixel_size;
  const double yaw = UniformUnit(rng) * 2 * 3.14159265358979323846;
  return MakePlanarPose({x, y, size.z() / 2}, yaw);
}

std::optional<Action> OracleAction(const Goal& goal, sim::Sim& sim, std::mt19937_64& rng) {
  const size_t n = goal.objects.size(), m = goal.targets.size();
  std::vector<std::vector<uint8_t>> matches = goal.matches;
  std::vector<Pose> poses(n);
  for (size_t i = 0; i < n; ++i) poses[i] = sim.body_pose(goal.objects[i]);
  if (!goal.replace) {  // objects already on a target, and those targets, are done with
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < m; ++j) {
        if (goal.matches[i][j] && IsMatch(poses[i], goal.targets[j], goal.symmetries[i], goal.pos_eps, goal.rot_eps)) {
          std::fill(matches[i].begin(), matches[i].end(), 0);
          for (auto& row : matches) row[j] = 0;
        }
      }
    }
  }
  // Nearest allowed target of each object; pick the farthest object first.
  std::vector<double> nearest_distance(n, 0.0);
  std::vector<int> nearest_target(n, -1);
  for (size_t i = 0; i < n; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < m; ++j) {
      if (!matches[i][j]) continue;
      const double d = (goal.targets[j].translation() - poses[i].translation()).norm();
      if (d < best) {
        best = d;
        nearest_target[i] = int(j);
      }
    }
    if (nearest_target[i] >= 0) nearest_distance[i] = best;
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return nearest_distance[a] > nearest_distance[b]; });

  const Heightmap view = RenderOracleView(sim);
  const WorkspaceBounds bounds = TaskBounds();
  for (size_t i : order) {
    if (!(nearest_distance[i] > 0)) break;  // the rest are matched or have no target
    std::vector<int> mask;
    for (int cell = 0; cell < int(view.segments.data.size()); ++cell) {
      if (view.segments.data[size_t(cell)] == goal.objects[i]) mask.push_back(cell);
    }
    if (mask.empty()) continue;  // Ravens tries the next object when a mask is empty
    const int cell = mask[UniformIndex(rng, mask.size())];
    const int cols = view.segments.width;
    const Vec3 pick_position = PixelToWorld(cell / cols, cell % cols, view, bounds);
    const Pose pick = MakePose(pick_position);
    // Objects turn only about z unless the task is six-DoF.
    const Pose object = MakePlanarPose(poses[i].translation(), YawOf(poses[i]));
    const Pose pick_T_object = pick.inverse() * object;
    Pose place = goal.targets[size_t(nearest_target[i])] * pick_T_object.inverse();
    if (!goal.rotations) place = MakePose(place.translation());
    return Action{pick, place};
  }
  return std::nullopt;
}

}  // namespace taskforge::tasks
