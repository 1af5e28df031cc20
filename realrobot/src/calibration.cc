#include "taskforge/realrobot/calibration.h"

#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <opencv2/aruco/charuco.hpp>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "taskforge/core/error.h"

namespace taskforge::realrobot {
namespace {

cv::Ptr<cv::aruco::Dictionary> Dictionary(const std::string& name) {
  static const std::pair<const char*, cv::aruco::PREDEFINED_DICTIONARY_NAME> kNames[] = {
      {"DICT_4X4_50", cv::aruco::DICT_4X4_50},   {"DICT_4X4_100", cv::aruco::DICT_4X4_100},
      {"DICT_5X5_50", cv::aruco::DICT_5X5_50},   {"DICT_5X5_100", cv::aruco::DICT_5X5_100},
      {"DICT_6X6_50", cv::aruco::DICT_6X6_50},   {"DICT_6X6_100", cv::aruco::DICT_6X6_100},
  };
  for (const auto& [n, id] : kNames) {
    if (name == n) return cv::aruco::getPredefinedDictionary(id);
  }
  std::vector<std::string> names;
  for (const auto& entry : kNames) names.push_back(entry.first);
  TF_THROW_UNLESS(false, "unknown ArUco dictionary '", name, "' (known: ", JoinNames(names), ")");
  return nullptr;
}

cv::Ptr<cv::aruco::CharucoBoard> MakeBoard(const CharucoBoard& b) {
  TF_THROW_UNLESS(b.squares_x >= 3 && b.squares_y >= 3 && b.marker_m > 0 && b.marker_m < b.square_m,
                  "a ChArUco board needs at least 3x3 squares and markers smaller than squares (got ", b.squares_x,
                  "x", b.squares_y, ", square ", b.square_m, " m, marker ", b.marker_m, " m)");
  return cv::aruco::CharucoBoard::create(b.squares_x, b.squares_y, float(b.square_m), float(b.marker_m),
                                         Dictionary(b.dictionary));
}

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
  MakeBoard(b);  // validates
  return b;
}

ColorImage RenderCharucoBoard(const CharucoBoard& board, int pixels_per_square) {
  cv::Mat grey;
  MakeBoard(board)->draw(cv::Size(board.squares_x * pixels_per_square, board.squares_y * pixels_per_square), grey, 0, 1);
  ColorImage image(grey.rows, grey.cols, 3);
  for (int r = 0; r < grey.rows; ++r) {
    for (int c = 0; c < grey.cols; ++c) {
      for (int ch = 0; ch < 3; ++ch) image.at(r, c, ch) = grey.at<uint8_t>(r, c);
    }
  }
  return image;
}

BoardObservation DetectBoard(const ColorImage& image, const CameraConfig& camera, const CharucoBoard& board) {
  TF_THROW_UNLESS(image.channels == 3 && image.width == camera.width && image.height == camera.height,
                  "calibration image is ", image.width, "x", image.height, ", the camera's intrinsics say ",
                  camera.width, "x", camera.height);
  const cv::Ptr<cv::aruco::CharucoBoard> cv_board = MakeBoard(board);
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.data.data()));
  cv::Mat grey;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  std::vector<std::vector<cv::Point2f>> marker_corners;
  std::vector<int> marker_ids;
  cv::aruco::detectMarkers(grey, cv_board->dictionary, marker_corners, marker_ids);
  const cv::Matx33d k(camera.fx, 0, camera.cx, 0, camera.fy, camera.cy, 0, 0, 1);
  const cv::Mat no_distortion = cv::Mat::zeros(1, 5, CV_64F);
  std::vector<cv::Point2f> corners;
  std::vector<int> ids;
  if (!marker_ids.empty()) {
    cv::aruco::interpolateCornersCharuco(marker_corners, marker_ids, grey, cv_board, corners, ids, k, no_distortion);
  }
  TF_THROW_UNLESS(ids.size() >= 6, "the ChArUco board (", board.squares_x, "x", board.squares_y, ", ", board.dictionary,
                  ") is not in view: ", marker_ids.size(), " markers and ", ids.size(),
                  " corners found, at least 6 corners needed (check lighting, focus and the board spec)");
  cv::Vec3d rvec, tvec;
  TF_THROW_UNLESS(cv::aruco::estimatePoseCharucoBoard(corners, ids, cv_board, k, no_distortion, rvec, tvec),
                  "the ChArUco corners found do not determine the board's pose (collinear?)");
  std::vector<cv::Point3f> object;
  for (int id : ids) object.push_back(cv_board->chessboardCorners[size_t(id)]);
  std::vector<cv::Point2f> projected;
  cv::projectPoints(object, rvec, tvec, k, no_distortion, projected);
  double squared = 0.0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const cv::Point2f d = projected[i] - corners[i];
    squared += d.dot(d);
  }
  cv::Matx33d r;
  cv::Rodrigues(rvec, r);
  BoardObservation out;
  for (int i = 0; i < 3; ++i) {
    out.camera_T_board.translation()[i] = tvec[i];
    for (int j = 0; j < 3; ++j) out.camera_T_board.linear()(i, j) = r(i, j);
  }
  out.corners = int(ids.size());
  out.reprojection_px = std::sqrt(squared / double(ids.size()));
  return out;
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
