#pragma once
// Pinhole RGB-D camera models shared by sim and real cameras.

#include <string>
#include <vector>

#include "taskforge/core/geometry.h"
#include "taskforge/core/image.h"

namespace taskforge {

/// A pinhole camera. Image axes: u to the right (columns), v down (rows). Camera frame as in
/// OpenCV and Ravens: +z along the optical axis, +x to the right, +y down the image.
struct CameraConfig {
  std::string name = "camera";
  int width = 640;            ///< [px]
  int height = 480;           ///< [px]
  double fx = 450.0;          ///< focal length [px]
  double fy = 450.0;          ///< focal length [px]
  double cx = 320.0;          ///< principal point [px]
  double cy = 240.0;          ///< principal point [px]
  double z_near = 0.01;       ///< clip distance [m]
  double z_far = 10.0;        ///< clip distance [m]
  Pose world_T_camera = Pose::Identity();  ///< camera frame in world
  bool noise = false;         ///< add N(0,3) colour and N(0,3 mm) depth noise as Ravens does
};

/// One RGB-D frame with a per-pixel body id, as rendered or captured.
struct RgbdFrame {
  ColorImage color;       ///< RGB 8-bit
  DepthImage depth;       ///< metric depth [m] along +z; 0 where nothing was seen
  SegmentImage segments;  ///< body id per pixel (sim only; empty for real cameras)
};

/// The three Ravens RealSense D415 agent cameras (front, left, right), 640×480, fx = fy = 450.
std::vector<CameraConfig> RavensAgentCameras();
/// The Ravens near-orthographic top-down oracle camera (z = 1000 m, fx = fy = 6.3e5).
CameraConfig RavensOracleCamera();

}  // namespace taskforge
