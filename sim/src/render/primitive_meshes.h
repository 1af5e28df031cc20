#pragma once
// Triangle meshes of the URDF primitive shapes, centred at their frame's origin. Units: metres.
// Each mesh has outward unit normals per vertex; vertices are duplicated along sharp edges
// (box faces, cylinder caps) so that those edges shade crisply.

#include <Eigen/Core>

#include "render/renderer.h"

namespace taskforge::sim::render {

/// An axis-aligned box spanning [-half_extents, +half_extents] [m]: 24 vertices, 12 triangles.
/// @throws Error if an extent is negative or not finite.
MeshData MakeBox(const Eigen::Vector3d& half_extents);

/// A closed cylinder along z from -length/2 to +length/2 [m], as URDF's <cylinder>, with
/// `segments` facets around its axis.
/// @throws Error if radius <= 0, length < 0 or segments < 3.
MeshData MakeCylinder(double radius, double length, int segments = 24);

/// A UV sphere of `rings` latitude bands and `segments` longitude facets.
/// @throws Error if radius <= 0, rings < 2 or segments < 3.
MeshData MakeSphere(double radius, int rings = 12, int segments = 24);

}  // namespace taskforge::sim::render
