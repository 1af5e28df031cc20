#include "taskforge/core/heightmap.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace taskforge {

int WorkspaceBounds::rows() const { return static_cast<int>(std::lround((y_max - y_min) / pixel_size)); }
int WorkspaceBounds::cols() const { return static_cast<int>(std::lround((x_max - x_min) / pixel_size)); }

namespace {

constexpr int32_t kNoPixel = -1;

// One view's top-down projection: the highest in-bounds point of each cell wins, which is what
// Ravens' "sort by z, later writes win" amounts to. Cells keep the winning pixel's index into
// the frame (kNoPixel where no point landed) and its height [m, world z]; colour and id are
// looked up once per cell afterwards instead of once per candidate point.
void ProjectView(const RgbdFrame& frame, const CameraConfig& camera, const WorkspaceBounds& b,
                 std::vector<float>& top_z, std::vector<int32_t>& top_pixel) {
  const int rows = b.rows(), cols = b.cols();
  top_z.assign(size_t(rows) * cols, 0.0f);
  top_pixel.assign(size_t(rows) * cols, kNoPixel);
  // Back-projection of pixel (u, v) at depth d is t + d * ray(u, v), with the world-frame ray
  // R * [(u - cx)/fx, (v - cy)/fy, 1] affine in u and v.
  const Eigen::Matrix3d r = camera.world_T_camera.linear();
  const Vec3 t = camera.world_T_camera.translation();
  const Vec3 ray0 = r * Vec3(-camera.cx / camera.fx, -camera.cy / camera.fy, 1.0);
  const Vec3 du = r.col(0) / camera.fx;
  const Vec3 dv = r.col(1) / camera.fy;
  const double inv_pixel = 1.0 / b.pixel_size;
  const int width = frame.depth.width;
  for (int v = 0; v < frame.depth.height; ++v) {
    const Vec3 row_ray = ray0 + v * dv;
    const float* depth_row = &frame.depth.data[size_t(v) * width];
    for (int u = 0; u < width; ++u) {
      const double d = depth_row[u];
      if (!(d > 0.0)) continue;
      const double x = t.x() + d * (row_ray.x() + u * du.x());
      const double y = t.y() + d * (row_ray.y() + u * du.y());
      const double z = t.z() + d * (row_ray.z() + u * du.z());
      if (!(x >= b.x_min && x < b.x_max && y >= b.y_min && y < b.y_max && z >= b.z_min && z < b.z_max)) {
        continue;
      }
      const int col = std::min(cols - 1, int((x - b.x_min) * inv_pixel));  // >= 0: x >= x_min
      const int row = std::min(rows - 1, int((y - b.y_min) * inv_pixel));
      const size_t cell = size_t(row) * cols + col;
      if (top_pixel[cell] == kNoPixel || !(float(z) <= top_z[cell])) {
        top_z[cell] = float(z);
        top_pixel[cell] = v * width + u;
      }
    }
  }
}

void CheckFrame(const RgbdFrame& f, const CameraConfig& c) {
  TF_THROW_UNLESS(f.depth.width == c.width && f.depth.height == c.height && f.color.width == c.width &&
                      f.color.height == c.height && f.color.channels == 3,
                  "frame is ", f.color.width, "x", f.color.height, " colour / ", f.depth.width, "x",
                  f.depth.height, " depth but camera '", c.name, "' is ", c.width, "x", c.height);
  TF_THROW_UNLESS(f.segments.empty() || (f.segments.width == c.width && f.segments.height == c.height),
                  "frame has a ", f.segments.width, "x", f.segments.height, " segment mask but camera '",
                  c.name, "' is ", c.width, "x", c.height);
}

}  // namespace

HeightmapFusion::HeightmapFusion(const WorkspaceBounds& bounds) : bounds_(bounds) { Reset(); }

void HeightmapFusion::Reset() {
  const size_t cells = size_t(bounds_.rows()) * size_t(bounds_.cols());
  color_sum_.assign(cells, {0, 0, 0, 0});
  best_z_.assign(cells, -std::numeric_limits<float>::infinity());
  height_.assign(cells, 0.0f);
  segment_.assign(cells, 0);
  views_ = 0;
}

void HeightmapFusion::AddView(const RgbdFrame& frame, const CameraConfig& camera) {
  CheckFrame(frame, camera);
  TF_THROW_UNLESS(views_ < 256, "heightmap fusion takes at most 256 views");
  ++views_;
  ProjectView(frame, camera, bounds_, top_z_, top_pixel_);
  const bool has_segments = !frame.segments.empty();
  const float z_min = float(bounds_.z_min);
  for (size_t cell = 0; cell < best_z_.size(); ++cell) {
    const int32_t pixel = top_pixel_[cell];
    // Ravens: colour is averaged over the views whose colour is not black; an empty cell of a
    // view counts as height z_min in the max (and black in the colour).
    float z = z_min;
    uint32_t segment = 0;
    if (pixel != kNoPixel) {
      const uint8_t* c = &frame.color.data[size_t(pixel) * 3];
      if (c[0] + c[1] + c[2] > 0) {
        for (int k = 0; k < 3; ++k) color_sum_[cell][k] = uint16_t(color_sum_[cell][k] + c[k]);
        ++color_sum_[cell][3];
      }
      z = top_z_[cell];
      if (has_segments) segment = frame.segments.data[size_t(pixel)];
    }
    if (z > best_z_[cell]) {
      best_z_[cell] = z;
      height_[cell] = z - z_min;
      segment_[cell] = segment;
    }
  }
}

void HeightmapFusion::Finish(Heightmap& out) const {
  const int rows = bounds_.rows(), cols = bounds_.cols();
  out.color.Resize(rows, cols, 3);
  out.height.Resize(rows, cols, 1);
  out.segments.Resize(rows, cols, 1);
  std::copy(height_.begin(), height_.end(), out.height.data.begin());
  std::copy(segment_.begin(), segment_.end(), out.segments.data.begin());
  for (size_t cell = 0; cell < color_sum_.size(); ++cell) {
    const int seen = color_sum_[cell][3];
    for (int k = 0; k < 3; ++k) {
      out.color.data[cell * 3 + k] =
          seen == 0 ? uint8_t{0} : static_cast<uint8_t>((2 * color_sum_[cell][k] + seen) / (2 * seen));
    }
  }
}

Heightmap FuseHeightmap(const std::vector<RgbdFrame>& frames, const std::vector<CameraConfig>& cameras,
                        const WorkspaceBounds& bounds) {
  TF_THROW_UNLESS(frames.size() == cameras.size(), "heightmap fusion got ", frames.size(),
                  " frames for ", cameras.size(), " cameras");
  HeightmapFusion fusion(bounds);
  for (size_t i = 0; i < frames.size(); ++i) fusion.AddView(frames[i], cameras[i]);
  Heightmap out;
  fusion.Finish(out);
  return out;
}

CameraConfig CellAlignedTopDownCamera(const WorkspaceBounds& b) {
  constexpr double kHeight = 1000.0;  // [m] above the bounds' floor, as Ravens' oracle camera
  CameraConfig camera = RavensOracleCamera();  // its orientation: image u along +y, v along +x
  camera.name = "oracle";
  camera.width = b.rows();
  camera.height = b.cols();
  camera.fx = camera.fy = kHeight / b.pixel_size;  // one pixel per cell on the floor
  // Pixel (u, v) looks at the point PixelToWorld gives for cell (row u, col v), the cell's low
  // corner, where the oracle picks when it samples that cell; nudged a tenth of a cell inwards, so
  // that the view's slight perspective (at most 0.05 px at the image edge for a point 0.3 m above
  // the floor) never carries a pixel into the neighbouring cell.
  constexpr double kInset = 0.1;  // [px]
  camera.cx = 0.5 * camera.width - kInset;
  camera.cy = 0.5 * camera.height - kInset;
  camera.world_T_camera.translation() =
      Vec3(0.5 * (b.x_min + b.x_max), 0.5 * (b.y_min + b.y_max), b.z_min + kHeight);
  return camera;
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
