#pragma once
// Headless rasteriser for simulated RGB-D cameras: colour, metric depth and body ids in one
// OpenGL pass (EGL, no window). Works on a GPU or on Mesa's llvmpipe.

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "taskforge/core/camera.h"

namespace taskforge::sim::render {

/// A triangle mesh in its own frame.
struct MeshData {
  std::vector<float> positions;   ///< x, y, z per vertex [m], mesh frame
  std::vector<float> normals;     ///< outward unit normal per vertex, or empty: flat shading per triangle
  std::vector<uint32_t> indices;  ///< three vertex indices per triangle
};

/// One placement of an uploaded mesh in the world.
struct RenderInstance {
  int mesh = -1;                                               ///< handle from Renderer::AddMesh
  Eigen::Matrix4d world_T_mesh = Eigen::Matrix4d::Identity();  ///< affine [m]; may scale non-uniformly
  std::array<float, 4> rgba = {0.7f, 0.7f, 0.7f, 1.0f};        ///< colour in [0, 1]; alpha is ignored
  uint32_t segment_id = 0;  ///< written to RgbdFrame::segments (0 also marks the background)
};

/// Shading: colour = rgba.rgb * (kAmbient + kDiffuse * max(0, n · l)), with n the unit surface
/// normal (turned towards the camera when computed per triangle) and l = ToLightWorld().
inline constexpr double kAmbient = 0.6;
inline constexpr double kDiffuse = 0.4;
/// Unit vector towards the fixed directional light, world frame (mostly from above).
Eigen::Vector3d ToLightWorld();

/// Renders RgbdFrames of instanced meshes through an off-screen framebuffer, in one pass with
/// three colour targets (RGBA8 colour, R32UI segment id, R32F depth along the optical axis) and
/// a DEPTH_COMPONENT32F z-buffer.
///
/// Each Renderer owns its own EGL context and makes it current in every call, so several
/// renderers may live in one thread. Not thread-safe: use one renderer from one thread at a time.
class Renderer {
 public:
  /// Creates the context and a framebuffer for images up to max_width × max_height [px]; a
  /// larger camera grows it. @throws Error if no headless OpenGL 3.3 context can be created.
  explicit Renderer(int max_width = 640, int max_height = 480);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  /// Uploads a mesh once and returns its handle for RenderInstance::mesh.
  /// @throws Error if the arrays are inconsistent (sizes, out-of-range indices).
  int AddMesh(const MeshData& mesh);

  /// Renders the instances as seen by `camera` (pinhole intrinsics, OpenCV axes, clipped to
  /// [z_near, z_far]). Pixels that see nothing have colour 0, depth 0 and segment 0.
  /// @throws Error for invalid intrinsics or mesh handles.
  RgbdFrame Render(const CameraConfig& camera, const std::vector<RenderInstance>& instances);
  /// As above, into `frame`, whose images are reshaped to the camera's size; reusing one frame
  /// across calls avoids allocating (and page-faulting) ~3.4 MB per 640×480 image.
  void Render(const CameraConfig& camera, const std::vector<RenderInstance>& instances, RgbdFrame& frame);
  /// Renders several cameras in one pass, stacked in one tall framebuffer (one clear, one
  /// synchronisation), and reads each into frames[i]; images equal rendering each alone.
  void Render(const std::vector<CameraConfig>& cameras, const std::vector<RenderInstance>& instances,
              std::vector<RgbdFrame>& frames);

  /// The GL vendor and renderer, e.g. "Mesa llvmpipe (LLVM 15.0.6, 256 bits)".
  std::string device_description() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskforge::sim::render
