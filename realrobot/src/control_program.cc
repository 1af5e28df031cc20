#include "taskforge/realrobot/control_program.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "control_program_text.h"
#include "taskforge/core/error.h"

namespace taskforge::realrobot::control {

const char* ToString(State state) {
  switch (state) {
    case State::kIdle: return "idle";
    case State::kMoving: return "moving";
    case State::kReached: return "reached";
    case State::kUnreachable: return "unreachable";
    case State::kStopped: return "stopped";
    case State::kGuardStopped: return "stopped by its guard input";
    case State::kReachable: return "reachable";
    case State::kWatchdog: return "stopped by the heartbeat watchdog";
  }
  return "unknown";
}

std::string ControlProgram(double heartbeat_timeout_s) {
  TF_DEMAND(heartbeat_timeout_s > 0);
  std::string text = kProgramTemplate;
  const std::string key = "{{heartbeat_timeout_s}}";
  std::ostringstream value;
  value << std::setprecision(6) << heartbeat_timeout_s;
  const size_t at = text.find(key);
  TF_DEMAND(at != std::string::npos);
  text.replace(at, key.size(), value.str());
  return text;
}

std::array<double, 6> ToPoseVector(const Pose& pose) {
  const Eigen::AngleAxisd aa(pose.rotation());
  const Vec3 r = aa.axis() * aa.angle();
  const Vec3 t = pose.translation();
  return {t.x(), t.y(), t.z(), r.x(), r.y(), r.z()};
}

Pose FromPoseVector(const std::array<double, 6>& v) {
  const Vec3 r(v[3], v[4], v[5]);
  const double angle = r.norm();
  Pose pose = Pose::Identity();
  if (angle > 1e-12) pose.linear() = Eigen::AngleAxisd(angle, r / angle).toRotationMatrix();
  pose.translation() = Vec3(v[0], v[1], v[2]);
  return pose;
}

}  // namespace taskforge::realrobot::control
