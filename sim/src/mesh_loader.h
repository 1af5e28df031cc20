#pragma once
// Triangle meshes from OBJ files (tinyobjloader).

#include <filesystem>
#include <vector>

#include "taskforge/core/geometry.h"

namespace taskforge::sim {

/// One OBJ object/group: vertices [m] in the file's frame, three indices per triangle.
struct TriangleMesh {
  std::vector<Vec3> vertices;
  std::vector<uint32_t> triangles;
};

/// Loads every shape of an OBJ file, faces triangulated, scaled by `scale`.
/// @throws Error naming the file if it can't be read or has no triangles.
std::vector<TriangleMesh> LoadObj(const std::filesystem::path& path, const Vec3& scale = Vec3::Ones());

/// All shapes of LoadObj merged into one mesh.
TriangleMesh MergeMeshes(const std::vector<TriangleMesh>& parts);

}  // namespace taskforge::sim
