#pragma once
// Ravens' RGB-D -> top-down heightmap fusion (utils.get_fused_heightmap) and the pixel <-> world
// conversions of the 320 x 160 workspace grid.

#include <array>
#include <cstdint>
#include <vector>

#include "taskforge/core/camera.h"

namespace taskforge {

/// The workspace box [m] in world coordinates and the grid resolution.
struct WorkspaceBounds {
  double x_min = 0.25, x_max = 0.75;
  double y_min = -0.5, y_max = 0.5;
  double z_min = 0.0, z_max = 0.28;  ///< agent/dataset cap (tasks use 0.3)
  double pixel_size = 0.003125;      ///< [m]
  int rows() const;                  ///< along y: 320 by default
  int cols() const;                  ///< along x: 160 by default
  bool operator==(const WorkspaceBounds&) const = default;
};

/// The fused top-down view: rows index y, columns index x.
struct Heightmap {
  ColorImage color;          ///< mean colour over the views that saw the cell
  HeightImage height;        ///< max height above z_min over views [m]; 0 where empty
  SegmentImage segments;     ///< body id of the highest point (from the last view with one)
};

/// Back-projects each frame, bounds, z-orders and fuses them exactly as Ravens does.
/// @throws Error if a frame's size doesn't match its camera.
Heightmap FuseHeightmap(const std::vector<RgbdFrame>& frames, const std::vector<CameraConfig>& cameras,
                        const WorkspaceBounds& bounds = {});

/// FuseHeightmap one view at a time, so a caller can fuse a view while rendering the next.
/// Views must be added in camera order for identical results; buffers are kept between uses.
class HeightmapFusion {
 public:
  explicit HeightmapFusion(const WorkspaceBounds& bounds = {});
  /// Forgets the views added so far.
  void Reset();
  /// @throws Error if the frame's size doesn't match the camera.
  void AddView(const RgbdFrame& frame, const CameraConfig& camera);
  /// Writes the fusion of the views added since the last Reset() into `out`, reusing its buffers.
  void Finish(Heightmap& out) const;
  const WorkspaceBounds& bounds() const { return bounds_; }

 private:
  WorkspaceBounds bounds_;
  std::vector<std::array<uint16_t, 4>> color_sum_;  // r, g, b sums and the views that saw colour
  std::vector<float> best_z_, height_;               // [m]
  std::vector<uint32_t> segment_;
  std::vector<float> top_z_;                         // one view's projection (scratch)
  std::vector<int32_t> top_pixel_;
  int views_ = 0;                                    // added since Reset(); colour sums are 16-bit
};

/// A near-orthographic top-down camera (1000 m above the bounds' centre, as Ravens' oracle
/// camera) with one pixel per heightmap cell, each aimed at the point PixelToWorld gives for its
/// cell: its one view fuses into the top-down map of Ravens' 640×480 oracle image (the two differ
/// only along outlines) from a sixth of the pixels, and a cell's height and id are those of the
/// point an oracle picking that cell goes to.
CameraConfig CellAlignedTopDownCamera(const WorkspaceBounds& bounds = {});

/// Grid cell (row, col) -> world point at height z_min + height[row, col].
Vec3 PixelToWorld(int row, int col, const Heightmap& map, const WorkspaceBounds& bounds = {});
/// World point -> grid cell (row, col), rounded as Ravens' xyz_to_pix (may fall outside the grid).
std::array<int, 2> WorldToPixel(const Vec3& point, const WorkspaceBounds& bounds = {});

}  // namespace taskforge

namespace taskforge {

/// What a policy sees at one step: the raw camera frames and their fused top-down maps.
struct Observation {
  std::vector<CameraConfig> cameras;
  std::vector<RgbdFrame> frames;  ///< one per camera, same order
  Heightmap heightmap;            ///< FuseHeightmap(frames, cameras)
};

}  // namespace taskforge
