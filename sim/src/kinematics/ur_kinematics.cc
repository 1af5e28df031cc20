#include "kinematics/ur_kinematics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace taskforge::sim {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2.0 * kPi;
constexpr int kMaxSolutions = 8;
/// acos/asin arguments at most this far outside [-1, 1] are rounding and get clamped; farther
/// out the pose is out of reach.
constexpr double kDomainTolerance = 1e-9;
/// |sin q5| below this is the wrist singularity. The pose error from fixing q6 there is about
/// |sin q5| times the q6 error, so this is far below any tolerance that matters.
constexpr double kWristSingularSin = 1e-10;

using Solutions = std::array<JointVector, kMaxSolutions>;

/// Clamps `x` into [-1, 1]; false when it lies outside by more than kDomainTolerance.
bool ClampToUnit(double& x) {
  if (!(std::abs(x) <= 1.0 + kDomainTolerance)) return false;  // also rejects NaN
  x = std::clamp(x, -1.0, 1.0);
  return true;
}

/// The standard DH link transform Rz(theta) Tz(d) Tx(a) Rx(alpha), alpha given by sin and cos
/// (exact 0 / +-1 for the UR's right angles).
Pose DhTransform(double theta, double d, double a, double sin_alpha, double cos_alpha) {
  const double s = std::sin(theta);
  const double c = std::cos(theta);
  Pose t;
  t.matrix() << c, -s * cos_alpha, s * sin_alpha, a * c,  //
      s, c * cos_alpha, -c * sin_alpha, a * s,            //
      0.0, sin_alpha, cos_alpha, d,                       //
      0.0, 0.0, 0.0, 1.0;
  return t;
}

// The six DH link transforms of a UR arm, A_i(q_i), so that base_T_flange = A1 A2 ... A6.
Pose A1(const UrDhParameters& dh, double q) { return DhTransform(q, dh.d1, 0.0, 1.0, 0.0); }
Pose A2(const UrDhParameters& dh, double q) { return DhTransform(q, 0.0, dh.a2, 0.0, 1.0); }
Pose A3(const UrDhParameters& dh, double q) { return DhTransform(q, 0.0, dh.a3, 0.0, 1.0); }
Pose A4(const UrDhParameters& dh, double q) { return DhTransform(q, dh.d4, 0.0, 1.0, 0.0); }
Pose A5(const UrDhParameters& dh, double q) { return DhTransform(q, dh.d5, 0.0, -1.0, 0.0); }
Pose A6(const UrDhParameters& dh, double q) { return DhTransform(q, dh.d6, 0.0, 0.0, 1.0); }

/// Writes every solution for `base_T_flange` into `out` and returns how many there are (0 to 8).
/// Branch pairs that coincide (at the edge of reach, at the wrist singularity) are emitted once.
int SolveAll(const UrDhParameters& dh, const Pose& base_T_flange, double singular_q6,
             Solutions& out) {
  const Eigen::Matrix3d& rotation = base_T_flange.linear();
  const Vec3 x6 = rotation.col(0);
  const Vec3 y6 = rotation.col(1);
  const Vec3 z6 = rotation.col(2);
  // The wrist-2 origin: the flange origin moved back d6 along the flange z-axis (= wrist-2 z).
  const Vec3 p5 = base_T_flange.translation() - dh.d6 * z6;

  // Shoulder pan q1: the lift/elbow/wrist-1 axes are parallel to z1 = (sin q1, -cos q1, 0) and
  // p5 sits d4 along them, so p5 . z1 = d4, i.e. r sin(q1 - phi) = d4.
  const double r = std::hypot(p5.x(), p5.y());
  if (!(r > 0.0)) return 0;
  double pan_ratio = dh.d4 / r;
  if (!ClampToUnit(pan_ratio)) return 0;
  const double phi = std::atan2(p5.y(), p5.x());
  const double psi = std::asin(pan_ratio);
  const double q1_options[2] = {phi + psi, phi + kPi - psi};
  const int q1_count = std::abs(pan_ratio) == 1.0 ? 1 : 2;

  int count = 0;
  for (int i1 = 0; i1 < q1_count; ++i1) {
    const double q1 = q1_options[i1];
    const double s1 = std::sin(q1);
    const double c1 = std::cos(q1);
    // Wrist 2 q5 and wrist 3 q6: z1 in the flange frame is (s5 c6, -s5 s6, c5). Taking both
    // sin q5 and cos q5 from it (atan2, not acos) keeps q5 accurate near the wrist singularity.
    // (p6 . z1 = d4 + d6 c5 then holds by construction of p5.)
    const double z1_x6 = s1 * x6.x() - c1 * x6.y();
    const double z1_y6 = s1 * y6.x() - c1 * y6.y();
    const double z1_z6 = s1 * z6.x() - c1 * z6.y();
    const double s5_magnitude = std::hypot(z1_x6, z1_y6);
    const double q5_magnitude = std::atan2(s5_magnitude, z1_z6);
    const bool wrist_singular = s5_magnitude < kWristSingularSin;
    const Pose a1_inverse = A1(dh, q1).inverse(Eigen::Isometry);

    for (int i5 = 0; i5 < (wrist_singular ? 1 : 2); ++i5) {
      const double sign5 = i5 == 0 ? 1.0 : -1.0;
      const double q5 = sign5 * q5_magnitude;
      const double q6 = wrist_singular ? singular_q6 : std::atan2(-sign5 * z1_y6, sign5 * z1_x6);
      // The planar triangle: frame 1 to 4 is Rz(q2) Tx(a2) Rz(q3) Tx(a3) Rz(q4) Tz(d4) Rx(pi/2).
      const Pose t14 = a1_inverse * base_T_flange * A6(dh, q6).inverse(Eigen::Isometry) *
                       A5(dh, q5).inverse(Eigen::Isometry);
      const Vec3 p13 = t14 * Vec3(0.0, -dh.d4, 0.0);  // the wrist-1 (frame 3) origin in frame 1
      const double reach_sq = p13.x() * p13.x() + p13.y() * p13.y();
      double c3 = (reach_sq - dh.a2 * dh.a2 - dh.a3 * dh.a3) / (2.0 * dh.a2 * dh.a3);
      if (!ClampToUnit(c3)) continue;
      const double q3_magnitude = std::acos(c3);
      const int q3_count = q3_magnitude == 0.0 || q3_magnitude == kPi ? 1 : 2;
      const double heading = std::atan2(p13.y(), p13.x());
      const double q234 = std::atan2(t14(1, 0), t14(0, 0));

      for (int i3 = 0; i3 < q3_count; ++i3) {
        const double q3 = i3 == 0 ? q3_magnitude : -q3_magnitude;
        const double q2 = heading - std::atan2(dh.a3 * std::sin(q3), dh.a2 + dh.a3 * std::cos(q3));
        const double q4 = q234 - q2 - q3;
        out[count++] = {WrapAngle(q1), WrapAngle(q2), WrapAngle(q3),
                        WrapAngle(q4), WrapAngle(q5), WrapAngle(q6)};
      }
    }
  }
  return count;
}

/// `angle` shifted by a multiple of 2 pi to lie nearest `seed` within [lower, upper] [rad];
/// nullopt when no shift fits the limits.
std::optional<double> NearestWithinLimits(double angle, double seed, double lower, double upper) {
  double shifted = angle + kTwoPi * std::round((seed - angle) / kTwoPi);
  if (shifted > upper) shifted -= kTwoPi * std::ceil((shifted - upper) / kTwoPi);
  if (shifted < lower) shifted += kTwoPi * std::ceil((lower - shifted) / kTwoPi);
  if (shifted < lower || shifted > upper) return std::nullopt;
  return shifted;
}

}  // namespace

UrDhParameters UrDhParameters::Ur5() {
  return {.d1 = 0.089159, .a2 = -0.425, .a3 = -0.39225, .d4 = 0.10915, .d5 = 0.09465, .d6 = 0.0823};
}

UrDhParameters UrDhParameters::Ur5e() {
  return {.d1 = 0.1625, .a2 = -0.425, .a3 = -0.3922, .d4 = 0.1333, .d5 = 0.0997, .d6 = 0.0996};
}

JointLimits JointLimits::Ur5() {
  return {.lower = {-kTwoPi, -kTwoPi, -kPi, -kTwoPi, -kTwoPi, -kTwoPi},
          .upper = {kTwoPi, kTwoPi, kPi, kTwoPi, kTwoPi, kTwoPi}};
}

JointLimits JointLimits::Ur5Workspace() {
  JointLimits limits = Ur5();
  limits.lower[0] = -1.5 * kPi;
  limits.upper[0] = -0.5 * kPi;
  limits.lower[1] = -0.75 * kPi;
  limits.upper[1] = 0.0;
  return limits;
}

Pose UrForward(const UrDhParameters& dh, const JointVector& q) {
  return A1(dh, q[0]) * A2(dh, q[1]) * A3(dh, q[2]) * A4(dh, q[3]) * A5(dh, q[4]) * A6(dh, q[5]);
}

std::vector<JointVector> UrInverseAll(const UrDhParameters& dh, const Pose& base_T_flange,
                                      double singular_q6) {
  Solutions solutions;
  const int count = SolveAll(dh, base_T_flange, singular_q6, solutions);
  return {solutions.begin(), solutions.begin() + count};
}

// Weights of the squared joint distances: swinging the base, shoulder or elbow moves the whole
// arm, turning the last wrist joint only spins the tool. Unweighted, a wrist that has wound up
// over earlier moves makes a shoulder flip over the base look cheaper than unwinding it.
constexpr double kJointWeights[6] = {4.0, 4.0, 4.0, 1.0, 1.0, 0.25};

std::optional<JointVector> UrInverseNearest(const UrDhParameters& dh, const Pose& base_T_flange,
                                            const JointVector& seed, const JointLimits& limits) {
  Solutions solutions;
  const int count = SolveAll(dh, base_T_flange, seed[5], solutions);
  std::optional<JointVector> best;
  double best_distance_sq = 0.0;
  for (int i = 0; i < count; ++i) {
    JointVector candidate;
    double distance_sq = 0.0;
    bool within_limits = true;
    for (int j = 0; j < 6; ++j) {
      const std::optional<double> shifted =
          NearestWithinLimits(solutions[i][j], seed[j], limits.lower[j], limits.upper[j]);
      if (!shifted) {
        within_limits = false;
        break;
      }
      candidate[j] = *shifted;
      distance_sq += kJointWeights[j] * (*shifted - seed[j]) * (*shifted - seed[j]);
    }
    if (within_limits && (!best || distance_sq < best_distance_sq)) {
      best = candidate;
      best_distance_sq = distance_sq;
    }
  }
  return best;
}

}  // namespace taskforge::sim
