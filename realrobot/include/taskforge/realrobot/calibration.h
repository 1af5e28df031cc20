#pragma once
// Camera-to-robot-base extrinsics from a printed ChArUco board (OpenCV's aruco module), and the
// calibration file deploy reads.
//
// Procedure (docs/real-robot.md, `taskforge calibrate`): lay the printed board flat on the
// table; touch its origin corner and a corner along its x edge with the tool tip and read the
// two positions off the pendant (world_T_board, BoardPoseFromTouches); the camera sees the
// board (camera_T_board, DetectBoard); world_T_camera = world_T_board * camera_T_board^-1.

#include <filesystem>
#include <string>

#include "taskforge/core/robot.h"

namespace taskforge::realrobot {

/// The board as printed. Its frame is OpenCV's: origin at the top-left outer corner of the
/// board as rendered (RenderCharucoBoard, upright), x along the top edge (squares_x squares),
/// y down the left edge, z into the print: lying face up, z points down into the table.
struct CharucoBoard {
  int squares_x = 7;
  int squares_y = 5;
  double square_m = 0.04;   ///< printed square side [m] (measure it after printing)
  double marker_m = 0.03;   ///< printed marker side [m]
  std::string dictionary = "DICT_5X5_100";
};

/// Parses "7x5:0.04:0.03[:DICT_5X5_100]". @throws Error naming the text.
CharucoBoard ParseBoard(const std::string& text);

/// The printable board (RGB), `pixels_per_square` px per square, no margin.
ColorImage RenderCharucoBoard(const CharucoBoard& board, int pixels_per_square);

struct BoardObservation {
  Pose camera_T_board = Pose::Identity();
  int corners = 0;               ///< ChArUco corners used
  double reprojection_px = 0.0;  ///< RMS reprojection error of those corners [px]
};

/// Finds the board in a colour image taken with `camera`'s intrinsics (no lens distortion: use
/// rectified streams). @throws Error if fewer than 6 corners are found (says how many).
BoardObservation DetectBoard(const ColorImage& image, const CameraConfig& camera, const CharucoBoard& board);

/// The pose of a board lying face up on the table from two touched points [m, world]: its
/// origin corner and a point further along its x (top) edge. Board z is world down.
Pose BoardPoseFromTouches(const Vec3& origin, const Vec3& along_x);

struct Calibration {
  Pose world_T_camera = Pose::Identity();
  std::string camera;            ///< the camera spec it was made with
  CharucoBoard board;
  int corners = 0;
  double reprojection_px = 0.0;
};

/// Captures `frames` frames, finds the board in each and keeps the view with the smallest
/// reprojection error. @throws Error if the board is in none of them.
Calibration CalibrateCamera(Camera& camera, const CharucoBoard& board, const Vec3& touched_origin,
                            const Vec3& touched_along_x, int frames = 5);

void SaveCalibration(const std::filesystem::path& path, const Calibration& calibration);
/// @throws Error naming the file and the missing or bad field.
Calibration LoadCalibration(const std::filesystem::path& path);

}  // namespace taskforge::realrobot
