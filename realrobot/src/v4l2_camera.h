#pragma once
// A live RGB-D camera through Video4Linux2, the kernel's own camera API (no extra package).
// Intel RealSense D4xx cameras appear under the stock uvcvideo driver as several /dev/video
// nodes: depth as Z16 (16-bit depth units) and, pixel-aligned with it, the left infrared
// imager as GREY; the RGB sensor as YUYV. Colour for the heightmap is taken from the node given
// first, converted to RGB (GREY is replicated, YUYV converted with BT.601).

#include <memory>
#include <string>

#include "taskforge/core/robot.h"

namespace taskforge::realrobot {

/// `rest` is "COLOR_DEV,DEPTH_DEV,INTRINSICS_JSON" (the depth stream's intrinsics and depth
/// scale, as camera.h describes). @throws Error naming the device and the failing request.
std::unique_ptr<Camera> OpenV4l2Camera(const std::string& spec, const std::string& rest, const Pose& world_T_camera);

/// Pixel conversions (exposed for tests).
void YuyvToRgb(const uint8_t* yuyv, int width, int height, ColorImage& rgb);
void GreyToRgb(const uint8_t* grey, int width, int height, ColorImage& rgb);
void Z16ToMetres(const uint8_t* z16, int width, int height, double depth_scale_m, DepthImage& depth);

}  // namespace taskforge::realrobot
