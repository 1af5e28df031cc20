#pragma once
// The simulated Ravens tabletop: a Bullet (float64) world with a UR5 arm carrying a suction cup or
// a spatula, rigid objects loaded from URDF, and headless RGB-D cameras.
//
// Frames and units: world = the arm's base frame (x over the table, z up, table top at z = 0);
// metres, radians, seconds of simulated time. Nothing here reads a wall clock: every loop is
// bounded by a number of simulation steps, so the same seed and binary give the same episode.
//
// Not thread-safe: use one Sim per thread.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskforge/core/camera.h"
#include "taskforge/core/heightmap.h"
#include "taskforge/core/robot.h"

namespace taskforge::sim {

/// Identifies a body in the world; also its value in segment masks (0 = background).
using BodyId = uint32_t;

enum class EndEffector { kSuction, kSpatula };

/// World construction options. Defaults reproduce Ravens' demo/eval settings.
struct SimConfig {
  /// Root of the asset tree; empty = $TASKFORGE_ASSETS, else the source tree's assets/.
  std::filesystem::path assets_dir;
  double time_step_s = 1.0 / 480.0;   ///< physics step [s]; Ravens demos and eval run at 480 Hz
  /// Constraint solver iterations per step. PyBullet's default is 50; 20 kept every seed task's
  /// oracle success and steps piles of 50 blocks and 18-box stacks about twice as fast.
  int solver_iterations = 20;
  /// The arm: six revolute joints ending in a `tool0` flange (relative to assets_dir, or absolute).
  /// The UR5's own chain gets closed-form IK; any other chain KDL's numeric solver.
  std::filesystem::path arm_urdf = "robots/ur5/ur5.urdf";
  EndEffector end_effector = EndEffector::kSuction;
  int move_step_budget = 2400;        ///< max physics steps per arm move (5 s simulated at 480 Hz)
  int settle_step_budget = 2400;      ///< max physics steps waiting for objects to come to rest
  double static_speed_m_s = 5e-3;     ///< bodies slower than this are at rest (Ravens is_static)
  double joint_tolerance_rad = 1e-2;  ///< a move ends when every joint is this close (Ravens)
  uint64_t seed = 0;                  ///< seeds camera noise and anything random in the world
  /// Bodies slower than 5 mm/s and 0.01 rad/s for 2 s of simulated time stop being simulated
  /// until something touches or moves them (Bullet deactivation). Settled piles and stacks then
  /// cost nothing; off simulates every body every step, as PyBullet does.
  bool sleep_resting_bodies = true;
};

/// How to load a body.
struct BodyOptions {
  bool fixed = false;  ///< static (infinite mass), e.g. bowls' fixtures and zones
  /// Values for `{{name}}` placeholders in the URDF text (sizes [m], colours 0..1, masses [kg]).
  std::map<std::string, std::string> replacements;
  /// Overrides every visual colour of the body (RGBA, 0..1).
  std::optional<std::array<float, 4>> color;
};

/// A contact point between a body and something else, after the last step.
struct Contact {
  BodyId other = 0;
  Vec3 position = Vec3::Zero();  ///< on the queried body, world frame [m]
  Vec3 normal = Vec3::Zero();    ///< pointing from `other` to the queried body
  double distance_m = 0.0;       ///< negative = penetration
};

/// Something wrong with a body, found by Sim::CheckHealth instead of crashing later.
struct BodyIssue {
  enum class Kind { kNotFinite, kExploding, kLeftTable };
  BodyId body = 0;
  std::string name;
  Kind kind = Kind::kNotFinite;
  std::string description;  ///< human-readable, names the body and the values
};

/// Resolves the assets directory the way SimConfig documents.
std::filesystem::path ResolveAssetsDir(const std::filesystem::path& requested = {});

class Sim {
 public:
  /// Builds the world: floor, workspace, UR5 at home with the configured end effector.
  /// @throws Error if an asset is missing or malformed.
  explicit Sim(const SimConfig& config = {});
  ~Sim();
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  const SimConfig& config() const;

  // --- Scene -------------------------------------------------------------------------------
  /// Loads a URDF (absolute, or relative to the assets dir) at `world_T_body` (the root link's
  /// frame). Multi-link URDFs become fixed articulated bodies. @throws Error naming the file
  /// and the problem (missing file, parse error, unfilled placeholder, bad mesh).
  BodyId AddBody(const std::filesystem::path& urdf, const Pose& world_T_body, const BodyOptions& options = {});
  /// Removes an object body (not the robot). @throws Error for an unknown id.
  void RemoveBody(BodyId body);
  /// The objects added with AddBody, in the order added.
  std::vector<BodyId> objects() const;
  /// Body ids of the fixed scene parts.
  BodyId robot_id() const;
  BodyId floor_id() const;
  /// Name of a body (the URDF's robot name). @throws Error for an unknown id.
  const std::string& body_name(BodyId body) const;

  Pose body_pose(BodyId body) const;               ///< root link frame in world
  void set_body_pose(BodyId body, const Pose& world_T_body);  ///< teleports, zeroes velocity
  Vec3 linear_velocity(BodyId body) const;         ///< [m/s]
  Vec3 angular_velocity(BodyId body) const;        ///< [rad/s]
  std::vector<Contact> contacts(BodyId body) const;
  /// Corners (min, max) of the box bounding a body's collision shapes, in its own frame [m].
  std::pair<Vec3, Vec3> body_bounds(BodyId body) const;
  /// Joins two single-link objects at a point given in each one's frame [m]: a ball joint whose
  /// force is capped at `max_force_n` (Ravens ropes: 100 N). Removed with either body.
  /// @throws Error for articulated bodies or a non-positive force.
  void AddPointJoint(BodyId a, const Vec3& pivot_in_a, BodyId b, const Vec3& pivot_in_b, double max_force_n);

  // --- Time --------------------------------------------------------------------------------
  /// Advances the physics by `steps` fixed steps.
  void Step(int steps = 1);
  /// Steps until every object is at rest or the settle budget is spent; returns steps taken.
  int SettleUntilStatic();
  bool IsStatic() const;
  int64_t step_count() const;  ///< physics steps since construction
  double time_s() const;       ///< simulated time [s]
  /// Benchmarks only: accumulate the wall time spent inside Bullet's step (off by default; it
  /// is measured, never used by the simulation).
  void set_step_timing(bool enabled);
  double step_wall_s() const;  ///< accumulated wall time inside steps [s]

  /// Bodies with non-finite state, absurd speeds or that left the table (z < -0.5 m or more
  /// than 2 m from the base). Empty when all is well.
  std::vector<BodyIssue> CheckHealth() const;

  // --- Robot -------------------------------------------------------------------------------
  Arm& arm();
  Gripper& gripper();
  /// Whether the arm's IK is the closed-form UR5 solution (else KDL's numeric one).
  bool arm_has_closed_form_ik() const;
  /// Resets the arm to the Ravens home pose (and releases any held object).
  void ResetArm();
  /// Ravens' home joint positions: [-1, -0.5, 0.5, -0.5, -0.5, 0]·π.
  static JointVector HomeJoints();

  // --- Cameras -----------------------------------------------------------------------------
  /// Renders colour, metric depth and body ids in one pass (EGL; created on first use).
  /// @throws Error if no EGL device can be opened.
  RgbdFrame Render(const CameraConfig& camera);
  /// As above into `frame`, reusing its buffers (no allocation once sized; the fast path).
  void Render(const CameraConfig& camera, RgbdFrame& frame);
  /// Renders the three Ravens agent cameras and fuses them into the 320×160 heightmap.
  Observation Observe(const WorkspaceBounds& bounds = {});
  /// As above into `obs`, reusing its buffers: loops that observe every step keep one.
  void Observe(Observation& obs, const WorkspaceBounds& bounds = {});
  /// Camera images rendered since construction (an observation counts three).
  int64_t render_count() const;
  /// Inverse-kinematics solves since construction.
  int64_t ik_call_count() const;
  /// The renderer's device, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
  std::string render_device();

  /// A hash of every body's pose and velocity and the arm's joints, bit for bit; equal hashes
  /// mean identical states (the determinism tests compare them).
  uint64_t StateHash() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A simulated camera behind the hardware-neutral Camera interface.
class SimCamera : public Camera {
 public:
  SimCamera(Sim& sim, CameraConfig config) : sim_(sim), config_(std::move(config)) {}
  const CameraConfig& config() const override { return config_; }
  RgbdFrame Capture() override { return sim_.Render(config_); }

 private:
  Sim& sim_;
  CameraConfig config_;
};

}  // namespace taskforge::sim
