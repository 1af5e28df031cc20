#pragma once
// An engine-neutral description of a URDF: links in depth-first order with their joints,
// inertias, collision and visual shapes. One loader feeds Bullet, the renderer and kinematics.

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "taskforge/core/geometry.h"

namespace taskforge::sim {

struct Geometry {
  enum class Type { kBox, kCylinder, kSphere, kMesh };
  Type type = Type::kBox;
  Vec3 box_size = Vec3::Zero();    ///< full extents [m]
  double radius = 0.0;             ///< cylinder/sphere [m]
  double length = 0.0;            ///< cylinder, along z [m]
  std::filesystem::path mesh;      ///< absolute path of an OBJ file
  Vec3 mesh_scale = Vec3::Ones();
};

struct VisualShape {
  Geometry geometry;
  Pose link_T_shape = Pose::Identity();
  std::array<float, 4> rgba = {0.7f, 0.7f, 0.7f, 1.0f};
};

struct CollisionShape {
  Geometry geometry;
  Pose link_T_shape = Pose::Identity();
  bool concave = false;  ///< `<collision concave="yes">`: triangle mesh, static bodies only
};

enum class JointType { kFixed, kRevolute, kPrismatic };

struct LinkModel {
  std::string name;
  double mass = 0.0;                            ///< [kg]
  Pose link_T_inertial = Pose::Identity();      ///< centre of mass frame, principal axes
  Vec3 principal_inertia = Vec3::Zero();        ///< [kg m²] about the principal axes
  std::vector<VisualShape> visuals;
  std::vector<CollisionShape> collisions;
  double lateral_friction = 0.5;                ///< Bullet/PyBullet default unless <contact>
  double rolling_friction = 0.0;
  double spinning_friction = 0.0;

  // The joint to the parent (unused for the root, index 0).
  int parent = -1;
  std::string joint_name;
  JointType joint_type = JointType::kFixed;
  Pose parent_T_joint = Pose::Identity();  ///< joint frame in the parent link frame
  Vec3 axis = Vec3::UnitZ();               ///< in the joint (= child link) frame
  double lower = 0.0, upper = 0.0;         ///< limits [rad] or [m]; lower > upper = none
  double max_effort = 0.0;                 ///< [N m] or [N]
};

struct RobotModel {
  std::string name;
  std::filesystem::path source;   ///< the file it came from, for messages
  std::vector<LinkModel> links;   ///< links[0] is the root; every link comes after its parent
  std::string urdf_xml;           ///< the filled-in URDF text (kinematics re-parses it)

  int FindLink(const std::string& link_name) const;  ///< -1 if absent
  int num_movable_joints() const;
};

/// Replaces every `{{key}}` with its value. @throws Error naming the file and any placeholder
/// left without a value, or a replacement that matches no placeholder.
std::string FillTemplate(const std::string& text, const std::map<std::string, std::string>& values,
                         const std::string& source_name);

/// Parses URDF text; mesh paths resolve against `base_dir`. @throws Error naming `source_name`
/// and what is wrong (XML/URDF syntax, missing mesh, unsupported joint, negative mass, ...).
RobotModel ParseUrdf(const std::string& xml, const std::filesystem::path& base_dir,
                     const std::string& source_name);

/// Reads, fills and parses a URDF file. @throws Error as ParseUrdf, or if the file is missing.
RobotModel LoadUrdf(const std::filesystem::path& path,
                    const std::map<std::string, std::string>& replacements = {});

/// Grafts `child` onto `parent`'s link `parent_link` with a fixed joint at `parent_T_child`.
/// @throws Error if the link is absent.
void AttachModel(RobotModel& parent, const std::string& parent_link, const RobotModel& child,
                 const Pose& parent_T_child = Pose::Identity());

}  // namespace taskforge::sim
