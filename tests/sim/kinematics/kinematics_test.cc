#include <catch2/catch.hpp>
#include <urdf_parser/urdf_parser.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

#include "kinematics/kdl_chain.h"
#include "kinematics/ur_kinematics.h"
#include "taskforge/core/error.h"

using namespace taskforge;
using namespace taskforge::sim;

namespace {

constexpr double kPi = std::numbers::pi;
const std::filesystem::path kAssets = TASKFORGE_TEST_ASSETS;
const UrDhParameters kUr5 = UrDhParameters::Ur5();
/// Ravens' home joints: flange pointing down over the table.
const JointVector kHome = {-kPi, -0.5 * kPi, 0.5 * kPi, -0.5 * kPi, -0.5 * kPi, 0.0};

double RotationError(const Pose& a, const Pose& b) {
  return Eigen::AngleAxisd(a.linear().transpose() * b.linear()).angle();
}

double PositionError(const Pose& a, const Pose& b) {
  return (a.translation() - b.translation()).norm();
}

JointVector RandomJoints(std::mt19937& rng) {
  std::uniform_real_distribution<double> angle(-kPi, kPi);
  JointVector q;
  for (double& qj : q) qj = angle(rng);
  return q;
}

/// Whether `q` is within `margin` of a wrist (sin q5 = 0), elbow (sin q3 = 0) or shoulder
/// (the two shoulder-pan branches merge) singularity, where solutions coalesce.
bool NearSingular(const JointVector& q, double margin) {
  const Pose flange = UrForward(kUr5, q);
  const Vec3 wrist = flange.translation() - kUr5.d6 * flange.linear().col(2);
  const double pan_ratio = kUr5.d4 / std::hypot(wrist.x(), wrist.y());
  return std::abs(std::sin(q[4])) < margin || std::abs(std::sin(q[2])) < margin ||
         std::abs(pan_ratio) > 1.0 - margin;
}

bool EqualModulo2Pi(const JointVector& a, const JointVector& b, double tolerance) {
  for (int j = 0; j < 6; ++j) {
    if (std::abs(WrapAngle(a[j] - b[j])) > tolerance) return false;
  }
  return true;
}

/// A flange pose pointing straight down (flange z = world -z) with the flange x-axis at `yaw`.
Pose DownwardFlange(const Vec3& position, double yaw) {
  Pose pose = Pose::Identity();
  pose.linear() = (Eigen::AngleAxisd(yaw, Vec3::UnitZ()) * Eigen::AngleAxisd(kPi, Vec3::UnitX()))
                      .toRotationMatrix();
  pose.translation() = position;
  return pose;
}

urdf::ModelInterfaceSharedPtr LoadUr5Urdf() {
  std::ifstream file(kAssets / "robots/ur5/ur5.urdf");
  std::stringstream xml;
  xml << file.rdbuf();
  urdf::ModelInterfaceSharedPtr model = urdf::parseURDF(xml.str());
  REQUIRE(model);
  return model;
}

}  // namespace

TEST_CASE("UR5 forward kinematics matches the published home flange pose", "[kinematics][ur]") {
  const Pose flange = UrForward(kUr5, kHome);
  CHECK(PositionError(flange, Pose(Eigen::Translation3d(0.4869, 0.1092, 0.4319))) < 1e-4);
  CHECK((flange.linear().col(2) - Vec3(0, 0, -1)).norm() < 1e-9);
  CHECK((flange.linear().col(0) - Vec3(0, -1, 0)).norm() < 1e-9);
}

TEST_CASE("Every UR5 IK solution reproduces the pose and one is the original joints",
          "[kinematics][ur]") {
  std::mt19937 rng(7);
  int regular = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    const JointVector q = RandomJoints(rng);
    const Pose target = UrForward(kUr5, q);
    const std::vector<JointVector> solutions = UrInverseAll(kUr5, target);
    INFO("trial " << trial);
    REQUIRE(!solutions.empty());
    CHECK(solutions.size() <= 8);
    bool found_original = false;
    for (const JointVector& solution : solutions) {
      for (double qj : solution) {
        CHECK(qj >= -kPi);
        CHECK(qj < kPi);
      }
      const Pose reached = UrForward(kUr5, solution);
      CHECK(PositionError(reached, target) < 1e-6);
      CHECK(RotationError(reached, target) < 1e-6);
      found_original |= EqualModulo2Pi(solution, q, 1e-6);
    }
    if (!NearSingular(q, 1e-3)) {
      ++regular;
      CHECK(found_original);
    }
  }
  CHECK(regular > 950);
}

TEST_CASE("UR5 IK nearest a perturbed seed tracks the original joints", "[kinematics][ur]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> noise(-1e-3, 1e-3);
  const JointLimits limits = JointLimits::Ur5();
  int checked = 0;
  while (checked < 500) {
    const JointVector q = RandomJoints(rng);
    if (NearSingular(q, 1e-2)) continue;
    ++checked;
    JointVector seed = q;
    for (double& sj : seed) sj += noise(rng);
    const std::optional<JointVector> solved =
        UrInverseNearest(kUr5, UrForward(kUr5, q), seed, limits);
    REQUIRE(solved);
    for (int j = 0; j < 6; ++j) CHECK((*solved)[j] == Approx(q[j]).margin(1e-6));
  }
}

TEST_CASE("UR5 IK nearest unwraps joints towards the seed within the limits", "[kinematics][ur]") {
  const JointLimits limits = JointLimits::Ur5();
  JointVector q = kHome;
  q[0] = -kPi + 0.2;
  JointVector seed = q;
  seed[0] = kPi + 0.25;  // one turn further on: the answer must follow the seed, not wrap back
  const std::optional<JointVector> solved =
      UrInverseNearest(kUr5, UrForward(kUr5, q), seed, limits);
  REQUIRE(solved);
  CHECK((*solved)[0] == Approx(kPi + 0.2).margin(1e-9));
  // Every UR5 limit but the elbow's spans two turns, so a seed on a limit still finds a solution.
  seed[0] = limits.upper[0];
  REQUIRE(UrInverseNearest(kUr5, UrForward(kUr5, q), seed, limits));
  // Limits that exclude every solution's shoulder pan give nothing.
  JointLimits narrow = limits;
  narrow.lower[0] = 1.0;
  narrow.upper[0] = 1.1;
  CHECK_FALSE(UrInverseNearest(kUr5, UrForward(kUr5, q), seed, narrow));
}

TEST_CASE("Top-down tabletop poses are reachable from the Ravens home pose", "[kinematics][ur]") {
  // The flange box x in [0.3, 0.7], y in [-0.4, 0.4], z in [0.1, 0.4] m. Above z = 0.42 m the
  // far corners (x = 0.7, |y| = 0.4) leave the UR5's reach; see the unreachable-pose case.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> x(0.3, 0.7), y(-0.4, 0.4), z(0.1, 0.4), yaw(-kPi, kPi);
  std::vector<Pose> targets;
  for (double cx : {0.3, 0.7}) {
    for (double cy : {-0.4, 0.4}) {
      for (double cz : {0.1, 0.4}) targets.push_back(DownwardFlange({cx, cy, cz}, yaw(rng)));
    }
  }
  for (int i = 0; i < 500; ++i) {
    targets.push_back(DownwardFlange({x(rng), y(rng), z(rng)}, yaw(rng)));
  }
  for (const Pose& target : targets) {
    INFO("target " << target.translation().transpose());
    const std::optional<JointVector> q = UrInverseNearest(kUr5, target, kHome, JointLimits::Ur5());
    REQUIRE(q);
    const Pose reached = UrForward(kUr5, *q);
    CHECK(PositionError(reached, target) < 1e-9);
    CHECK(RotationError(reached, target) < 1e-9);
  }
}

TEST_CASE("Out-of-reach poses have no UR5 IK solution", "[kinematics][ur]") {
  for (const Pose& target :
       {DownwardFlange({2.0, 0.0, 0.1}, 0.0), DownwardFlange({0.0, 0.0, 2.0}, 1.0),
        DownwardFlange({0.7, 0.4, 0.5}, 0.0)}) {
    INFO("target " << target.translation().transpose());
    CHECK(UrInverseAll(kUr5, target).empty());
    CHECK_FALSE(UrInverseNearest(kUr5, target, kHome, JointLimits::Ur5()));
  }
  // Within the wrist's lateral offset of the base axis nothing is reachable either.
  CHECK(UrInverseAll(kUr5, DownwardFlange({0.0, 0.0, 0.3}, 0.0)).empty());
}

TEST_CASE("UR5 IK at the wrist singularity fixes q6 and stays finite", "[kinematics][ur]") {
  JointVector q = kHome;
  q[4] = 0.0;  // wrist 1 and wrist 3 coaxial
  q[5] = 0.7;
  const Pose target = UrForward(kUr5, q);
  const std::vector<JointVector> solutions = UrInverseAll(kUr5, target);
  int singular = 0;  // the other shoulder branch reaches the pose with a regular wrist
  for (const JointVector& solution : solutions) {
    if (std::abs(std::sin(solution[4])) < 1e-9) {
      ++singular;
      CHECK(solution[5] == 0.0);
    }
    CHECK(PositionError(UrForward(kUr5, solution), target) < 1e-9);
    CHECK(RotationError(UrForward(kUr5, solution), target) < 1e-9);
  }
  CHECK(singular == 2);  // elbow up and down; the two wrist branches coincide
  JointVector seed = q;
  seed[5] = 1.2;
  const std::optional<JointVector> nearest =
      UrInverseNearest(kUr5, target, seed, JointLimits::Ur5());
  REQUIRE(nearest);
  CHECK((*nearest)[5] == Approx(1.2).margin(1e-12));
  CHECK(PositionError(UrForward(kUr5, *nearest), target) < 1e-9);
  CHECK(RotationError(UrForward(kUr5, *nearest), target) < 1e-9);

  // Just off the singularity the wrist is still resolved exactly.
  q[4] = 1e-7;
  seed = q;
  seed[5] += 0.01;
  const std::optional<JointVector> near_singular =
      UrInverseNearest(kUr5, UrForward(kUr5, q), seed, JointLimits::Ur5());
  REQUIRE(near_singular);
  for (int j = 0; j < 6; ++j) CHECK((*near_singular)[j] == Approx(q[j]).margin(1e-6));
}

TEST_CASE("UR5 IK of arbitrary poses never yields NaN and every solution is exact",
          "[kinematics][ur]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> coordinate(-1.0, 1.0);
  std::normal_distribution<double> gaussian;
  int reachable = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    Pose target = Pose::Identity();
    const Quat orientation(gaussian(rng), gaussian(rng), gaussian(rng), gaussian(rng));
    target.linear() = orientation.normalized().toRotationMatrix();
    target.translation() = Vec3(coordinate(rng), coordinate(rng), coordinate(rng));
    const std::vector<JointVector> solutions = UrInverseAll(kUr5, target);
    reachable += !solutions.empty();
    for (const JointVector& solution : solutions) {
      for (double qj : solution) REQUIRE(std::isfinite(qj));
      CHECK(PositionError(UrForward(kUr5, solution), target) < 1e-6);
      CHECK(RotationError(UrForward(kUr5, solution), target) < 1e-6);
    }
  }
  CHECK(reachable > 100);  // the sampled cube is partly within reach
}

TEST_CASE("The UR5 URDF chain's KDL forward kinematics equals the DH model", "[kinematics][kdl]") {
  const urdf::ModelInterfaceSharedPtr model = LoadUr5Urdf();
  const KdlChain chain(*model, "base_link", "tool0");
  REQUIRE(chain.num_joints() == 6);
  CHECK(chain.lower_limits()[2] == Approx(-3.141593));
  CHECK(chain.upper_limits()[0] == Approx(6.283185));
  std::mt19937 rng(13);
  for (int trial = 0; trial < 100; ++trial) {
    const JointVector q = RandomJoints(rng);
    const Pose expected = UrForward(kUr5, q);
    const Pose actual = chain.Forward({q.begin(), q.end()});
    INFO("trial " << trial);
    CHECK((actual.matrix() - expected.matrix()).cwiseAbs().maxCoeff() < 1e-9);
  }
  REQUIRE_THROWS_AS(chain.Forward({0.0, 0.0}), Error);
}

TEST_CASE("KDL IK reaches targets from nearby and from distant seeds", "[kinematics][kdl]") {
  const urdf::ModelInterfaceSharedPtr model = LoadUr5Urdf();
  const KdlChain chain(*model, "base_link", "tool0");
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> noise(-0.2, 0.2);
  for (int trial = 0; trial < 50; ++trial) {
    const JointVector q = RandomJoints(rng);
    const Pose target = UrForward(kUr5, q);
    std::vector<double> seed(q.begin(), q.end());
    for (double& sj : seed) sj += noise(rng);
    if (trial % 5 == 0) seed.assign(6, 0.0);  // a far seed: may need the restarts
    INFO("trial " << trial);
    const std::optional<std::vector<double>> solved = chain.Inverse(target, seed);
    REQUIRE(solved);
    for (int j = 0; j < 6; ++j) {
      CHECK((*solved)[j] >= chain.lower_limits()[j]);
      CHECK((*solved)[j] <= chain.upper_limits()[j]);
    }
    const Pose reached = chain.Forward(*solved);
    CHECK(PositionError(reached, target) < 1e-5);
    CHECK(RotationError(reached, target) < 1e-4);
  }
  CHECK_FALSE(chain.Inverse(DownwardFlange({2.0, 0.0, 0.1}, 0.0), std::vector<double>(6, 0.0)));
}

TEST_CASE("KDL chains handle prismatic, continuous and fixed joints within limits",
          "[kinematics][kdl]") {
  // A lift carrying a planar 3R arm: the elbow is limited to bend one way only.
  const urdf::ModelInterfaceSharedPtr model = urdf::parseURDF(R"(
    <robot name="lift_planar">
      <link name="base"/><link name="carriage"/><link name="upper"/><link name="fore"/>
      <link name="hand"/><link name="tip"/>
      <joint name="lift" type="prismatic"><parent link="base"/><child link="carriage"/>
        <axis xyz="0 0 1"/><limit lower="0" upper="0.5" effort="1" velocity="1"/></joint>
      <joint name="pan" type="continuous"><parent link="carriage"/><child link="upper"/>
        <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/></joint>
      <joint name="elbow" type="revolute"><parent link="upper"/><child link="fore"/>
        <origin xyz="0.4 0 0"/><axis xyz="0 0 1"/>
        <limit lower="0.05" upper="3.0" effort="1" velocity="1"/></joint>
      <joint name="wrist" type="revolute"><parent link="fore"/><child link="hand"/>
        <origin xyz="0.3 0 0"/><axis xyz="0 0 1"/>
        <limit lower="-3.1" upper="3.1" effort="1" velocity="1"/></joint>
      <joint name="tool" type="fixed"><parent link="hand"/><child link="tip"/>
        <origin xyz="0.1 0 0" rpy="0 0 0.5"/></joint>
    </robot>)");
  REQUIRE(model);
  const KdlChain chain(*model, "base", "tip");
  REQUIRE(chain.num_joints() == 4);
  CHECK(std::isinf(chain.lower_limits()[1]));

  const std::vector<double> q = {0.2, 2.5, 1.0, -0.5};
  const Pose target = chain.Forward(q);
  const double yaw = q[1] + q[2] + q[3] + 0.5;
  const Vec3 expected(
      0.4 * std::cos(q[1]) + 0.3 * std::cos(q[1] + q[2]) + 0.1 * std::cos(yaw - 0.5),
      0.4 * std::sin(q[1]) + 0.3 * std::sin(q[1] + q[2]) + 0.1 * std::sin(yaw - 0.5), q[0] + 0.1);
  CHECK((target.translation() - expected).norm() < 1e-12);
  CHECK(RotationError(target, Pose(Eigen::AngleAxisd(yaw, Vec3::UnitZ()))) < 1e-12);

  // Seeded at the mirror (elbow -1.0), LMA converges to the solution the elbow limit forbids;
  // the restarts must find the allowed one.
  const std::vector<double> seed = {0.2, 2.5 + 2.0 * kPi + 1.0, -1.0, 0.5};
  const std::optional<std::vector<double>> solved = chain.Inverse(target, seed);
  REQUIRE(solved);
  CHECK((*solved)[0] == Approx(0.2).margin(1e-5));
  CHECK((*solved)[1] == Approx(2.5).margin(1e-4));
  CHECK((*solved)[2] == Approx(1.0).margin(1e-4));
  CHECK((*solved)[3] == Approx(-0.5).margin(1e-4));
  // Converged a turn away, the continuous pan comes back into [-pi, pi).
  const std::optional<std::vector<double>> unwound =
      chain.Inverse(target, {0.2, 2.5 + 2.0 * kPi, 1.0, -0.5});
  REQUIRE(unwound);
  CHECK((*unwound)[1] == Approx(2.5).margin(1e-6));
  // Beyond the lift's travel nothing is reachable.
  Pose too_high = target;
  too_high.translation().z() += 1.0;
  CHECK_FALSE(chain.Inverse(too_high, q));
}

TEST_CASE("KDL chains reject unknown links and non-serial paths", "[kinematics][kdl]") {
  const urdf::ModelInterfaceSharedPtr model = LoadUr5Urdf();
  REQUIRE_THROWS_WITH(KdlChain(*model, "base_link", "no_such_link"),
                      Catch::Contains("no_such_link"));
  REQUIRE_THROWS_WITH(KdlChain(*model, "no_such_base", "tool0"), Catch::Contains("no_such_base"));
  REQUIRE_THROWS_WITH(KdlChain(*model, "tool0", "base_link"),
                      Catch::Contains("does not descend from 'tool0'"));
  REQUIRE_THROWS_AS(KdlChain(*model, "wrist_3_link", "tool0"), Error);  // only a fixed joint
}

TEST_CASE("Workspace limits keep the upper arm above horizontal on the elbow's other branch",
          "[kinematics][ur]") {
  // Seen in stack-block-pyramid: after a far-corner pick the nearest solution had crossed to the
  // negative-elbow branch (upper arm horizontal, forearm hanging); lowering the tool 2 cm from
  // there asked the shoulder to dip below horizontal, which put the elbow on the table.
  const JointVector crossed = {-3.098, 0.008, -1.570, -0.009, -1.571, -0.863};
  const Pose lower = UrForward(kUr5, {-3.098, 0.157, -1.706, -0.022, -1.571, -0.863});
  const std::optional<JointVector> free = UrInverseNearest(kUr5, lower, crossed, JointLimits::Ur5());
  REQUIRE(free);
  CHECK((*free)[1] > 0.1);  // without the workspace limits: the dip
  const JointLimits limits = JointLimits::Ur5Workspace();
  const std::optional<JointVector> kept = UrInverseNearest(kUr5, lower, crossed, limits);
  REQUIRE(kept);
  for (int j = 0; j < 6; ++j) {
    CHECK((*kept)[j] >= limits.lower[j]);
    CHECK((*kept)[j] <= limits.upper[j]);
  }
  CHECK((*kept)[1] <= 0.0);
  CHECK((*kept)[2] > 0.0);  // back on the home pose's elbow branch
  CHECK(PositionError(UrForward(kUr5, *kept), lower) < 1e-9);
  CHECK(RotationError(UrForward(kUr5, *kept), lower) < 1e-9);
}
