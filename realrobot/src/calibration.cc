#include "taskforge/realrobot/calibration.h"

#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>

#include "charuco.h"
#include "taskforge/core/error.h"

namespace taskforge::realrobot {
namespace {

nlohmann::json PoseJson(const Pose& p) {
  const Quat q(p.rotation());
  return {{"position", {p.translation().x(), p.translation().y(), p.translation().z()}},
          {"quaternion_wxyz", {q.w(), q.x(), q.y(), q.z()}}};
}

}  // namespace

CharucoBoard ParseBoard(const std::string& text) {
  CharucoBoard b;
  char dict[64] = {};
  const int n = std::sscanf(text.c_str(), "%dx%d:%lf:%lf:%63s", &b.squares_x, &b.squares_y, &b.square_m, &b.marker_m, dict);
  TF_THROW_UNLESS(n >= 4, "board '", text, "' must be SXxSY:SQUARE_M:MARKER_M[:DICTIONARY], e.g. 7x5:0.04:0.03");
  if (n == 5) b.dictionary = dict;
  ValidateBoard(b);
  return b;
}


Pose BoardPoseFromTouches(const Vec3& origin, const Vec3& along_x) {
  Vec3 x = along_x - origin;
  x.z() = 0.0;
  TF_THROW_UNLESS(x.norm() > 0.05, "the two touched board corners are only ", x.norm(),
                  " m apart on the table; touch corners at least 5 cm apart along the board's x edge");
  x.normalize();
  const Vec3 z = -Vec3::UnitZ();  // into the print, which faces up
  Pose pose = Pose::Identity();
  pose.linear().col(0) = x;
  pose.linear().col(1) = z.cross(x);
  pose.linear().col(2) = z;
  pose.translation() = origin;
  return pose;
}

Calibration CalibrateCamera(Camera& camera, const CharucoBoard& board, const Vec3& touched_origin,
                            const Vec3& touched_along_x, int frames) {
  const Pose world_T_board = BoardPoseFromTouches(touched_origin, touched_along_x);
  std::optional<BoardObservation> best;
  std::string last_problem;
  for (int i = 0; i < frames; ++i) {
    try {
      const BoardObservation seen = DetectBoard(camera.Capture().color, camera.config(), board);
      if (!best || seen.reprojection_px < best->reprojection_px) best = seen;
    } catch (const Error& e) {
      last_problem = e.what();
    }
  }
  TF_THROW_UNLESS(best, "camera ", camera.config().name, ": no usable view in ", frames, " frames: ", last_problem);
  Calibration c;
  c.world_T_camera = world_T_board * best->camera_T_board.inverse();
  c.camera = camera.config().name;
  c.board = board;
  c.corners = best->corners;
  c.reprojection_px = best->reprojection_px;
  return c;
}

void SaveCalibration(const std::filesystem::path& path, const Calibration& c) {
  nlohmann::json j = {{"world_T_camera", PoseJson(c.world_T_camera)},
                      {"camera", c.camera},
                      {"board",
                       {{"squares_x", c.board.squares_x},
                        {"squares_y", c.board.squares_y},
                        {"square_m", c.board.square_m},
                        {"marker_m", c.board.marker_m},
                        {"dictionary", c.board.dictionary}}},
                      {"corners", c.corners},
                      {"reprojection_px", c.reprojection_px}};
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  TF_THROW_UNLESS(out, "cannot write calibration '", path.string(), "'");
}

Calibration LoadCalibration(const std::filesystem::path& path) {
  std::ifstream in(path);
  TF_THROW_UNLESS(in, "cannot read calibration '", path.string(), "'");
  Calibration c;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    const auto& pose = j.at("world_T_camera");
    const auto& p = pose.at("position");
    const auto& q = pose.at("quaternion_wxyz");
    const Quat quat(q.at(0).get<double>(), q.at(1).get<double>(), q.at(2).get<double>(), q.at(3).get<double>());
    TF_THROW_UNLESS(std::abs(quat.norm() - 1.0) < 1e-3, "calibration '", path.string(),
                    "': world_T_camera.quaternion_wxyz is not a unit quaternion");
    c.world_T_camera = MakePose(Vec3(p.at(0), p.at(1), p.at(2)), quat.normalized());
    c.camera = j.value("camera", "");
    if (j.contains("board")) {
      const auto& b = j["board"];
      c.board = {b.at("squares_x"), b.at("squares_y"), b.at("square_m"), b.at("marker_m"), b.at("dictionary")};
    }
    c.corners = j.value("corners", 0);
    c.reprojection_px = j.value("reprojection_px", 0.0);
  } catch (const nlohmann::json::exception& e) {
    TF_THROW_UNLESS(false, "calibration '", path.string(), "' is malformed: ", e.what());
  }
  return c;
}

}  // namespace taskforge::realrobot
