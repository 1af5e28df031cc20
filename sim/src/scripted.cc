#include "scripted.h"

#include <cmath>
#include <numbers>
#include <string>

namespace taskforge::sim {

std::array<float, 4> PaletteColor(int index) {
  // Ravens/CLIPort palette (Tableau): red, green, blue, yellow, orange, purple, pink, cyan, brown, gray.
  static constexpr std::array<std::array<int, 3>, 10> kPalette = {{{255, 87, 89},
                                                                   {89, 169, 79},
                                                                   {78, 121, 167},
                                                                   {237, 201, 72},
                                                                   {242, 142, 43},
                                                                   {176, 122, 161},
                                                                   {255, 157, 167},
                                                                   {118, 183, 178},
                                                                   {156, 117, 95},
                                                                   {186, 176, 172}}};
  const auto& c = kPalette[size_t(index) % kPalette.size()];
  return {c[0] / 255.0f, c[1] / 255.0f, c[2] / 255.0f, 1.0f};
}

BodyId AddBlock(Sim& sim, double x, double y, double yaw, double size_m, const std::array<float, 4>& color) {
  const std::string size = std::to_string(size_m);
  BodyOptions options;
  options.replacements = {{"size_x", size}, {"size_y", size}, {"size_z", size}, {"mass", "0.01"},
                          {"r", std::to_string(color[0])}, {"g", std::to_string(color[1])},
                          {"b", std::to_string(color[2])}};
  return sim.AddBody("objects/box.urdf", MakePlanarPose({x, y, size_m / 2}, yaw), options);
}

PrimitiveResult PickPlaceBlock(Sim& sim, BodyId block, const Pose& target, double block_height_m) {
  const Pose object = sim.body_pose(block);
  const Vec3 top = object.translation() + Vec3(0, 0, block_height_m / 2);
  const Pose pick = MakePlanarPose(top, 0.0);
  const Pose place = MakePlanarPose(Vec3(target.translation().x(), target.translation().y(), block_height_m),
                                    YawOf(target) - YawOf(object));
  const PrimitiveResult result = PickPlace(sim.arm(), sim.gripper(), pick, place);
  sim.SettleUntilStatic();
  return result;
}

std::pair<double, double> PlanarError(const Pose& actual, const Pose& target) {
  const Vec3 d = actual.translation() - target.translation();
  const double quarter = std::numbers::pi / 2;
  double yaw = std::fmod(std::abs(WrapAngle(YawOf(actual) - YawOf(target))), quarter);
  yaw = std::min(yaw, quarter - yaw);
  return {std::hypot(d.x(), d.y()), yaw};
}

std::vector<BodyId> AddReferenceBlocks(Sim& sim, int count) {
  std::vector<BodyId> blocks;
  for (int i = 0; i < count; ++i) {
    const double x = 0.35 + 0.1 * (i % 4);
    const double y = -0.3 + 0.15 * (i / 4);
    blocks.push_back(AddBlock(sim, x, y, 0.2 * i, 0.04, PaletteColor(i)));
  }
  sim.SettleUntilStatic();
  return blocks;
}

}  // namespace taskforge::sim
