#pragma once
// A Universal Robots arm (CB3 or e-Series, RTDE protocol 2) with a suction tool, driven over the robot's
// own TCP protocols, behind core's Arm and Gripper interfaces so core's primitives run on it
// unchanged:
//  * Dashboard server (29999): power on, brake release, safety/robot mode queries, stop;
//  * secondary client interface (30002): uploads taskforge's URScript control program;
//  * RTDE (30004): state at the controller's rate (125 Hz CB3, 500 Hz e-Series), commands to
//    the control program through input registers, the heartbeat, and the suction output.
//
// Every motion command is checked against SafetyLimits first; a refused one returns kFault and
// nothing moves. A lost connection, stale state or a protective stop also give kFault, and
// last_error() says which. Frames: world = robot base unless UrConfig::world_T_base says otherwise.

#include <cstdint>
#include <memory>
#include <string>

#include "taskforge/core/robot.h"
#include "taskforge/realrobot/safety.h"

namespace taskforge::realrobot {

struct UrConfig {
  std::string host = "192.168.1.10";  ///< the controller's address
  int dashboard_port = 29999;
  int script_port = 30002;            ///< secondary client interface (30003 realtime also works)
  int rtde_port = 30004;
  double connect_timeout_s = 2.0;     ///< per connection attempt and per reply [s]
  double state_timeout_s = 0.5;       ///< no RTDE state for this long = connection lost [s]
  double frequency_hz = 0.0;          ///< RTDE output rate; 0 = the controller's maximum
  /// The control program stops the arm and halts when the driver's heartbeat is older [s].
  double heartbeat_timeout_s = 0.2;
  double move_timeout_s = 60.0;       ///< a blocking move gives up (and stops the arm) after [s]
  double joint_acceleration_rad_s2 = 1.4;  ///< movej acceleration before the safety cap
  bool power_on = true;               ///< power on and release the brakes if the arm is off
  /// Suction valve: a standard digital output (0..7), or the tool's (0..1) if `suction_on_tool`.
  int suction_output = 0;
  bool suction_on_tool = false;
  /// Inputs as bits of RTDE's actual_digital_input_bits (0..7 standard, 8..15 configurable,
  /// 16..17 tool): the vacuum switch (something is held) and the cup's contact switch.
  int vacuum_input = 0;
  int contact_input = 1;
  double vacuum_settle_s = 0.3;       ///< wait after switching suction, for the vacuum to build [s]
  Pose world_T_base = Pose::Identity();  ///< the robot base in taskforge's world frame
  SafetyLimits limits;
};

/// The controller's state as last reported.
struct UrStatus {
  std::string controller_version;  ///< "5.11.1.108318"
  double frequency_hz = 0.0;       ///< RTDE output rate in use
  int robot_mode = -1;             ///< RTDE robot_mode (7 = running)
  int safety_mode = 0;             ///< RTDE safety_mode (1 = normal, 3 = protective stop)
  int runtime_state = 0;           ///< RTDE runtime_state (2 = playing)
  bool connected = false;
};

/// Names of RTDE robot_mode / safety_mode values, e.g. "RUNNING", "PROTECTIVE_STOP".
const char* RobotModeName(int robot_mode);
const char* SafetyModeName(int safety_mode);

class UrRobot {
 public:
  /// Connects (Dashboard, then RTDE), powers the arm up if asked, uploads and starts the
  /// control program and waits until it reports alive.
  /// @throws Error naming the host, port and step that failed (refused connection, protective
  /// stop, not in remote control, RTDE field unknown or in use, ...).
  explicit UrRobot(const UrConfig& config);
  /// Stops the arm, turns suction off and disconnects.
  ~UrRobot();
  UrRobot(const UrRobot&) = delete;
  UrRobot& operator=(const UrRobot&) = delete;

  Arm& arm();
  Gripper& gripper();
  UrStatus status() const;
  const UrConfig& config() const;
  /// Why the last motion failed: a refused command, a lost connection, a protective stop.
  std::string last_error() const;
  /// Stops any motion now (best effort; never throws).
  void Stop();
  /// Sends a raw Dashboard command and returns its reply line.
  std::string Dashboard(const std::string& command);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskforge::realrobot
