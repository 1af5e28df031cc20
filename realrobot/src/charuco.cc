// ChArUco boards through OpenCV's aruco module: rendering a printable board and detecting it
// in a camera image (the only OpenCV code in taskforge; built when TASKFORGE_CALIBRATION is ON).
#include "taskforge/realrobot/calibration.h"

#include <opencv2/aruco/charuco.hpp>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "charuco.h"
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

}  // namespace

void ValidateBoard(const CharucoBoard& board) { MakeBoard(board); }

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

}  // namespace taskforge::realrobot
