#include "taskforge/core/heightmap.h"

#include <cmath>
#include <limits>

namespace taskforge {

int WorkspaceBounds::rows() const { return static_cast<int>(std::lround((y_max - y_min) / pixel_size)); }
int WorkspaceBounds::cols() const { return static_cast<int>(std::lround((x_max - x_min) / pixel_size)); }

namespace {

// One view's top-down projection: the highest in-bounds point of each cell wins, which is what
// Ravens' "sort by z, later writes win" amounts to. `top_z` is NaN where no point landed.
struct ViewProjection {
  std::vector<double> top_z;
  std::vector<std::array<uint8_t, 3>> color;
  std::vector<uint32_t> segment;
};

ViewProjection ProjectView(const RgbdFrame& frame, const CameraConfig& camera,
                           const WorkspaceBounds& b) {
  const int rows = b.rows(), cols = b.cols();
  ViewProjection view{std::vector<double>(size_t(rows) * cols, std::numeric_limits<double>::quiet_NaN()),
                      std::vector<std::array<uint8_t, 3>>(size_t(rows) * cols, {0, 0, 0}),
                      std::vector<uint32_t>(size_t(rows) * cols, 0)};
  // Back-projection of pixel (u, v) at depth d is t + d * ray(u, v), with the world-frame ray
  // R * [(u - cx)/fx, (v - cy)/fy, 1] affine in u and v.
  const Eigen::Matrix3d r = camera.world_T_camera.linear();
  const Vec3 t = camera.world_T_camera.translation();
  const Vec3 ray0 = r * Vec3(-camera.cx / camera.fx, -camera.cy / camera.fy, 1.0);
  const Vec3 du = r.col(0) / camera.fx;
  const Vec3 dv = r.col(1) / camera.fy;
  const bool has_segments = !frame.segments.empty();
  for (int v = 0; v < frame.depth.height; ++v) {
    const Vec3 row_ray = ray0 + v * dv;
    const float* depth_row = &frame.depth.data[size_t(v) * frame.depth.width];
    for (int u = 0; u < frame.depth.width; ++u) {
      const double d = depth_row[u];
      if (!(d > 0.0)) continue;
      const Vec3 p = t + d * (row_ray + u * du);
      if (p.x() < b.x_min || p.x() >= b.x_max || p.y() < b.y_min || p.y() >= b.y_max ||
          p.z() < b.z_min || p.z() >= b.z_max) {
        continue;
      }
      const int col = std::min(cols - 1, std::max(0, int(std::floor((p.x() - b.x_min) / b.pixel_size))));
      const int row = std::min(rows - 1, std::max(0, int(std::floor((p.y() - b.y_min) / b.pixel_size))));
      const size_t cell = size_t(row) * cols + col;
      if (!(p.z() <= view.top_z[cell])) {  // true for NaN (empty cell) or a higher point
        view.top_z[cell] = p.z();
        const uint8_t* c = &frame.color.data[(size_t(v) * frame.color.width + u) * 3];
        view.color[cell] = {c[0], c[1], c[2]};
        if (has_segments) view.segment[cell] = frame.segments.data[size_t(v) * frame.segments.width + u];
      }
    }
  }
  return view;
}

}  // namespace

Heightmap FuseHeightmap(const std::vector<RgbdFrame>& frames, const std::vector<CameraConfig>& cameras,
                        const WorkspaceBounds& bounds) {
  TF_THROW_UNLESS(frames.size() == cameras.size(), "heightmap fusion got ", frames.size(),
                  " frames for ", cameras.size(), " cameras");
  for (size_t i = 0; i < frames.size(); ++i) {
    const RgbdFrame& f = frames[i];
    const CameraConfig& c = cameras[i];
    TF_THROW_UNLESS(f.depth.width == c.width && f.depth.height == c.height && f.color.width == c.width &&
                        f.color.height == c.height && f.color.channels == 3,
                    "frame ", i, " is ", f.color.width, "x", f.color.height, " colour / ", f.depth.width,
                    "x", f.depth.height, " depth but camera '", c.name, "' is ", c.width, "x", c.height);
  }
  const int rows = bounds.rows(), cols = bounds.cols();
  Heightmap out{ColorImage(rows, cols, 3), HeightImage(rows, cols, 1), SegmentImage(rows, cols, 1)};
  std::vector<std::array<int, 3>> color_sum(size_t(rows) * cols, {0, 0, 0});
  std::vector<int> color_views(size_t(rows) * cols, 0);
  std::vector<double> best_z(size_t(rows) * cols, -std::numeric_limits<double>::infinity());

  for (size_t i = 0; i < frames.size(); ++i) {
    const ViewProjection view = ProjectView(frames[i], cameras[i], bounds);
    for (size_t cell = 0; cell < view.top_z.size(); ++cell) {
      const auto& c = view.color[cell];
      // Ravens: colour is averaged over the views whose colour is not black; an empty cell of a
      // view counts as height 0 in the max.
      if (c[0] + c[1] + c[2] > 0) {
        for (int k = 0; k < 3; ++k) color_sum[cell][k] += c[k];
        ++color_views[cell];
      }
      const double z = std::isnan(view.top_z[cell]) ? bounds.z_min : view.top_z[cell];
      if (z > best_z[cell]) {
        best_z[cell] = z;
        out.height.data[cell] = static_cast<float>(z - bounds.z_min);
        out.segments.data[cell] = view.segment[cell];
      }
    }
  }
  for (size_t cell = 0; cell < color_views.size(); ++cell) {
    if (color_views[cell] == 0) continue;
    for (int k = 0; k < 3; ++k) {
      out.color.data[cell * 3 + k] =
          static_cast<uint8_t>(std::lround(double(color_sum[cell][k]) / color_views[cell]));
    }
  }
  return out;
}

Vec3 PixelToWorld(int row, int col, const Heightmap& map, const WorkspaceBounds& b) {
  TF_THROW_UNLESS(row >= 0 && row < map.height.height && col >= 0 && col < map.height.width,
                  "pixel (", row, ", ", col, ") is outside the ", map.height.height, "x",
                  map.height.width, " heightmap");
  return {b.x_min + col * b.pixel_size, b.y_min + row * b.pixel_size,
          b.z_min + map.height.at(row, col)};
}

std::array<int, 2> WorldToPixel(const Vec3& point, const WorkspaceBounds& b) {
  return {static_cast<int>(std::lround((point.y() - b.y_min) / b.pixel_size)),
          static_cast<int>(std::lround((point.x() - b.x_min) / b.pixel_size))};
}

}  // namespace taskforge
