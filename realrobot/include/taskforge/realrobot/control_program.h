#pragma once
// The contract between the driver and taskforge's URScript control program
// (realrobot/urscript/taskforge_control.script), which runs on the UR controller and which the
// twin emulates: the RTDE registers it reads and writes and the meaning of their values.
//
// Registers 24..47 are the range the RTDE guide leaves to external clients (0..23 belong to
// fieldbuses). Poses in registers are UR pose vectors in the robot base frame:
// [x, y, z, rx, ry, rz], metres and a rotation vector (axis * angle, radians).

#include <array>
#include <string>

#include "taskforge/core/geometry.h"

namespace taskforge::realrobot::control {

/// Bumped whenever the register contract changes; the program reports it when alive.
inline constexpr int kProtocolVersion = 1;
/// The program's first two lines (the comment inside the `def`, as the secondary interface
/// expects a program to start with `def`); the twin refuses scripts without them.
inline constexpr const char* kDefinition = "def taskforge_control():";
inline constexpr const char* kHeader = "  # taskforge-control-protocol 1";

// Input registers (driver -> program).
inline constexpr int kInSequence = 24;    ///< int: a new value = a new command
inline constexpr int kInCommand = 25;     ///< int: a Command
inline constexpr int kInHeartbeat = 26;   ///< int: the driver increments it every RTDE cycle
inline constexpr int kInGuardInput = 27;  ///< int: -1 = no guard, else the digital input bit (0..17
                                          ///< of actual_digital_input_bits) that stops the move
inline constexpr int kInTarget = 24;      ///< doubles 24..29: joints [rad] or a pose vector
inline constexpr int kInSpeed = 30;       ///< double: rad/s (movej) or m/s (movel)
inline constexpr int kInAcceleration = 31;  ///< double: rad/s^2 or m/s^2
// Output registers (program -> driver).
inline constexpr int kOutAcknowledged = 24;  ///< int: the last sequence number taken
inline constexpr int kOutState = 25;         ///< int: a State
inline constexpr int kOutAlive = 26;         ///< int: kProtocolVersion while the program runs

enum class Command : int {
  kNone = 0,
  kMoveJoints = 1,   ///< movej to joint targets
  kMoveJointsToPose = 2,  ///< movej to the controller's inverse kinematics of a pose
  kMoveLinear = 3,   ///< movel to a pose
  kStop = 4,         ///< stopj now
  kCheckReach = 5,   ///< answer kReachable / kUnreachable for a pose; nothing moves
};

enum class State : int {
  kIdle = 0,
  kMoving = 1,
  kReached = 2,
  kUnreachable = 3,  ///< no inverse-kinematics solution; nothing moved
  kStopped = 4,      ///< a kStop command ended the move
  kGuardStopped = 5, ///< the guard input went high and the program stopped the move
  kReachable = 6,    ///< answer to kCheckReach
  kWatchdog = 7,     ///< the heartbeat went stale: the arm was stopped and the program halted
};
const char* ToString(State state);

/// The program text with its settings filled in (starts with kDefinition, then kHeader).
/// @param heartbeat_timeout_s the program stops the arm and halts when the heartbeat register
///        hasn't changed for this long [s]
std::string ControlProgram(double heartbeat_timeout_s);

/// Pose <-> UR pose vector [x, y, z, rx, ry, rz] (rotation vector).
std::array<double, 6> ToPoseVector(const Pose& pose);
Pose FromPoseVector(const std::array<double, 6>& v);

}  // namespace taskforge::realrobot::control
