#pragma once
// RGB-D frame sources for the real robot, behind core's Camera interface, and the file format
// they share. A source's CameraConfig carries its intrinsics; world_T_camera comes from the
// calibration (calibration.h), so depth fuses into the same heightmap as in sim.
//
// Camera specs (`taskforge deploy --camera SPEC`):
//   files:DIR                 a recorded sequence: DIR/intrinsics.json, DIR/color_NNNNNN.png
//                             (8-bit RGB), DIR/depth_NNNNNN.png (16-bit grey, depth units)
//   twin:HOST:PORT[:INDEX]    a robot twin's camera INDEX (default 0) over its frame protocol
//   v4l2:COLOR_DEV,DEPTH_DEV,INTRINSICS_JSON
//                             a live UVC RGB-D camera through Video4Linux2 (see v4l2_camera.h)
//
// intrinsics.json: {"width", "height", "fx", "fy", "cx", "cy" [px], "depth_scale" [m per unit]}.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "taskforge/core/image.h"
#include "taskforge/core/robot.h"

namespace taskforge::realrobot {

/// Reads intrinsics.json into a CameraConfig (world_T_camera stays identity); `depth_scale` out.
/// @throws Error naming the file and the bad field.
CameraConfig ReadIntrinsics(const std::filesystem::path& path, double* depth_scale_m = nullptr);
void WriteIntrinsics(const std::filesystem::path& path, const CameraConfig& camera, double depth_scale_m);

/// A 16-bit single-channel PNG (depth images). @throws Error if it can't be written / read.
void WritePng16(const std::filesystem::path& path, const Image<uint16_t>& image);
Image<uint16_t> ReadPng16(const std::filesystem::path& path);
/// An 8-bit RGB PNG (grey and RGBA are converted). @throws Error if it can't be read.
ColorImage ReadPngRgb(const std::filesystem::path& path);

/// Writes one frame of a file sequence: color_NNNNNN.png and depth_NNNNNN.png.
void WriteFrameFiles(const std::filesystem::path& dir, int index, const RgbdFrame& frame, double depth_scale_m);

/// Opens a camera from a spec (above) with the calibrated pose `world_T_camera`.
/// @throws Error naming the spec and what is wrong with it.
std::unique_ptr<Camera> OpenCamera(const std::string& spec, const Pose& world_T_camera);

}  // namespace taskforge::realrobot
