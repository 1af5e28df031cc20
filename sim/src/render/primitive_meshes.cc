#include "render/primitive_meshes.h"

#include <cmath>
#include <numbers>

#include "taskforge/core/error.h"

namespace taskforge::sim::render {
namespace {

// Appends vertices and counter-clockwise (seen from outside) triangles to a MeshData.
class MeshBuilder {
 public:
  uint32_t AddVertex(const Eigen::Vector3d& position, const Eigen::Vector3d& normal) {
    const uint32_t index = vertex_count();
    for (int k = 0; k < 3; ++k) {
      mesh_.positions.push_back(static_cast<float>(position[k]));
      mesh_.normals.push_back(static_cast<float>(normal[k]));
    }
    return index;
  }
  uint32_t vertex_count() const { return static_cast<uint32_t>(mesh_.positions.size() / 3); }
  void AddTriangle(uint32_t a, uint32_t b, uint32_t c) { mesh_.indices.insert(mesh_.indices.end(), {a, b, c}); }
  MeshData Take() { return std::move(mesh_); }

 private:
  MeshData mesh_;
};

// A point on the unit circle in the xy-plane at `step` of `steps` around z.
Eigen::Vector3d RadialDirection(int step, int steps) {
  const double angle = 2.0 * std::numbers::pi * step / steps;
  return {std::cos(angle), std::sin(angle), 0.0};
}

}  // namespace

MeshData MakeBox(const Eigen::Vector3d& half_extents) {
  TF_THROW_UNLESS(half_extents.allFinite() && (half_extents.array() >= 0.0).all(),
                  "box half extents must be finite and non-negative, got ", half_extents.transpose());
  MeshBuilder mesh;
  // Corners of a face in counter-clockwise order around its normal, in (tangent, bitangent) signs.
  constexpr double kCorners[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
  for (int axis = 0; axis < 3; ++axis) {
    const int tangent = (axis + 1) % 3, bitangent = (axis + 2) % 3;
    for (const double side : {-1.0, 1.0}) {
      const Eigen::Vector3d normal = side * Eigen::Vector3d::Unit(axis);
      uint32_t corner[4];
      for (int i = 0; i < 4; ++i) {
        Eigen::Vector3d p = normal.cwiseProduct(half_extents);
        p[tangent] = kCorners[i][0] * half_extents[tangent];
        p[bitangent] = kCorners[i][1] * half_extents[bitangent];
        corner[i] = mesh.AddVertex(p, normal);
      }
      if (side > 0) {
        mesh.AddTriangle(corner[0], corner[1], corner[2]);
        mesh.AddTriangle(corner[0], corner[2], corner[3]);
      } else {
        mesh.AddTriangle(corner[0], corner[2], corner[1]);
        mesh.AddTriangle(corner[0], corner[3], corner[2]);
      }
    }
  }
  return mesh.Take();
}

MeshData MakeCylinder(double radius, double length, int segments) {
  TF_THROW_UNLESS(std::isfinite(radius) && radius > 0.0, "cylinder radius must be positive, got ", radius);
  TF_THROW_UNLESS(std::isfinite(length) && length >= 0.0, "cylinder length must be non-negative, got ", length);
  TF_THROW_UNLESS(segments >= 3, "a cylinder needs at least 3 segments, got ", segments);
  MeshBuilder mesh;
  const Eigen::Vector3d half_axis(0.0, 0.0, length / 2);

  // Side: one bottom and one top vertex per segment, with smooth radial normals.
  const uint32_t side_start = mesh.vertex_count();
  for (int i = 0; i < segments; ++i) {
    const Eigen::Vector3d direction = RadialDirection(i, segments);
    mesh.AddVertex(radius * direction - half_axis, direction);
    mesh.AddVertex(radius * direction + half_axis, direction);
  }
  for (int i = 0; i < segments; ++i) {
    const uint32_t bottom = side_start + 2 * i, next_bottom = side_start + 2 * ((i + 1) % segments);
    mesh.AddTriangle(bottom, next_bottom, next_bottom + 1);
    mesh.AddTriangle(bottom, next_bottom + 1, bottom + 1);
  }

  // Caps: a centre vertex and a ring with the cap's normal, so the rim edge stays sharp.
  for (const double side : {-1.0, 1.0}) {
    const Eigen::Vector3d normal(0.0, 0.0, side);
    const uint32_t centre = mesh.AddVertex(side * half_axis, normal);
    for (int i = 0; i < segments; ++i) mesh.AddVertex(radius * RadialDirection(i, segments) + side * half_axis, normal);
    for (int i = 0; i < segments; ++i) {
      const uint32_t here = centre + 1 + i, next = centre + 1 + (i + 1) % segments;
      if (side > 0) {
        mesh.AddTriangle(centre, here, next);
      } else {
        mesh.AddTriangle(centre, next, here);
      }
    }
  }
  return mesh.Take();
}

MeshData MakeSphere(double radius, int rings, int segments) {
  TF_THROW_UNLESS(std::isfinite(radius) && radius > 0.0, "sphere radius must be positive, got ", radius);
  TF_THROW_UNLESS(rings >= 2 && segments >= 3, "a sphere needs at least 2 rings and 3 segments, got ", rings, " and ",
                  segments);
  MeshBuilder mesh;
  const uint32_t north = mesh.AddVertex({0.0, 0.0, radius}, Eigen::Vector3d::UnitZ());
  // Latitude rings 1 .. rings-1 from north to south, `segments` vertices each.
  for (int ring = 1; ring < rings; ++ring) {
    const double polar = std::numbers::pi * ring / rings;
    for (int i = 0; i < segments; ++i) {
      const Eigen::Vector3d direction =
          std::sin(polar) * RadialDirection(i, segments) + Eigen::Vector3d(0.0, 0.0, std::cos(polar));
      mesh.AddVertex(radius * direction, direction);
    }
  }
  const uint32_t south = mesh.AddVertex({0.0, 0.0, -radius}, -Eigen::Vector3d::UnitZ());

  const auto ring_vertex = [&](int ring, int i) {
    return north + 1 + static_cast<uint32_t>((ring - 1) * segments + i % segments);
  };
  for (int i = 0; i < segments; ++i) {
    mesh.AddTriangle(north, ring_vertex(1, i), ring_vertex(1, i + 1));
    for (int ring = 1; ring + 1 < rings; ++ring) {
      mesh.AddTriangle(ring_vertex(ring, i), ring_vertex(ring + 1, i), ring_vertex(ring + 1, i + 1));
      mesh.AddTriangle(ring_vertex(ring, i), ring_vertex(ring + 1, i + 1), ring_vertex(ring, i + 1));
    }
    mesh.AddTriangle(south, ring_vertex(rings - 1, i + 1), ring_vertex(rings - 1, i));
  }
  return mesh.Take();
}

}  // namespace taskforge::sim::render
