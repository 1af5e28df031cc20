#include "mesh_loader.h"

#include <tiny_obj_loader.h>

#include "taskforge/core/error.h"

namespace taskforge::sim {

std::vector<TriangleMesh> LoadObj(const std::filesystem::path& path, const Vec3& scale) {
  tinyobj::ObjReaderConfig config;
  config.triangulate = true;
  config.vertex_color = false;
  config.mtl_search_path = path.parent_path().string();
  tinyobj::ObjReader reader;
  const bool ok = reader.ParseFromFile(path.string(), config);
  TF_THROW_UNLESS(ok, "mesh ", path, ": ", reader.Error().empty() ? "unreadable" : reader.Error());
  const auto& positions = reader.GetAttrib().vertices;
  std::vector<TriangleMesh> parts;
  for (const tinyobj::shape_t& shape : reader.GetShapes()) {
    if (shape.mesh.indices.empty()) continue;
    TriangleMesh part;
    // Re-index so each part holds only its own vertices (a convex hull per part needs that).
    std::vector<int> remap(positions.size() / 3, -1);
    for (const tinyobj::index_t& index : shape.mesh.indices) {
      const int v = index.vertex_index;
      TF_THROW_UNLESS(v >= 0 && size_t(3 * v + 2) < positions.size(), "mesh ", path, ": face index ", v,
                      " out of range in shape '", shape.name, "'");
      if (remap[v] < 0) {
        remap[v] = static_cast<int>(part.vertices.size());
        part.vertices.emplace_back(positions[3 * v] * scale.x(), positions[3 * v + 1] * scale.y(),
                                   positions[3 * v + 2] * scale.z());
      }
      part.triangles.push_back(static_cast<uint32_t>(remap[v]));
    }
    parts.push_back(std::move(part));
  }
  TF_THROW_UNLESS(!parts.empty(), "mesh ", path, " has no faces");
  return parts;
}

TriangleMesh MergeMeshes(const std::vector<TriangleMesh>& parts) {
  TriangleMesh merged;
  for (const TriangleMesh& part : parts) {
    const auto base = static_cast<uint32_t>(merged.vertices.size());
    merged.vertices.insert(merged.vertices.end(), part.vertices.begin(), part.vertices.end());
    for (uint32_t t : part.triangles) merged.triangles.push_back(base + t);
  }
  return merged;
}

}  // namespace taskforge::sim
