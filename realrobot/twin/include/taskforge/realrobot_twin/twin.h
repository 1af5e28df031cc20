#pragma once
// A protocol twin of a Universal Robots controller: the Dashboard server, the secondary client
// interface (URScript upload) and RTDE, served on loopback and backed by a Bullet episode
// (tasks::Episode), plus the episode's cameras over a small TCP frame protocol. The driver in
// taskforge::realrobot talks to it exactly as to a real arm, so deploy runs end to end in tests.
//
// What is emulated and what isn't (docs/real-robot.md): the twin runs no URScript interpreter.
// It accepts taskforge's control program (checked by its header line) and then behaves as that
// program does, command for command, on the simulated arm; the RTDE fields of the driver's
// recipes and the register contract of control_program.h are served, the primary/secondary
// state stream is not. Simulated time runs at `realtime_factor` times wall time.
//
// Camera protocol (port camera): the client sends a line "frame <index>\n"; the twin answers one
// JSON line {"width","height","fx","fy","cx","cy","world_T_camera" (16 numbers, column-major),
// "depth_scale" (metres per depth unit), "time" (simulated s)} and then width*height*3 bytes of
// RGB and width*height little-endian uint16 depth units. "cameras\n" answers {"count": n}.
// "oracle\n" answers the scripted expert's next action {"pick": [x,y,z,qx,qy,qz,qw], "place":
// [...], "goal": "..."} or {"error": "..."}: a stand-in action source until a policy is wired.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "taskforge/tasks/task.h"

namespace taskforge::twin {

struct TwinState;  // the servers' and simulation's shared state (private)

struct TwinConfig {
  std::string task = "put-block-in-bowl";  ///< task name or .lua file (tasks::ResolveTask)
  uint64_t seed = 0;                      ///< the episode's seed
  std::string address = "127.0.0.1";     ///< where the servers listen
  /// Dashboard on port_base, script on +3, RTDE on +5, camera on +11 (29999 = the robot's own
  /// 29999/30002/30004 and 30010); 0 = any free ports (see RobotTwin::ports()).
  int port_base = 29999;
  double realtime_factor = 1.0;           ///< simulated seconds per wall-clock second
  std::array<uint32_t, 4> controller_version{5, 11, 1, 0};  ///< reported over RTDE (5.x: 500 Hz)
  bool start_powered = false;             ///< start in RUNNING instead of POWER_OFF
  int suction_output = 0;                 ///< standard digital output driving the suction
  int vacuum_input = 0;                   ///< input bit set while something is held
  int contact_input = 1;                  ///< input bit set while the cup touches something
  double depth_scale_m = 0.001;           ///< metres per depth unit served (1 mm, as RealSense)
};

struct TwinPorts {
  int dashboard = 0, script = 0, rtde = 0, camera = 0;
};

/// What the twin has done, for tests and the CLI's log.
struct TwinCounters {
  int programs_started = 0;   ///< control programs accepted
  int motions = 0;            ///< motion commands started
  int refused_packages = 0;   ///< malformed or out-of-protocol RTDE packages (connection closed)
  bool program_running = false;
  std::string last_stop;      ///< why the last motion or program ended early ("watchdog", ...)
};

class RobotTwin {
 public:
  /// Builds the episode and starts serving. @throws Error (bad task, port in use).
  explicit RobotTwin(const TwinConfig& config);
  /// Stops serving and joins every thread.
  ~RobotTwin();
  RobotTwin(const RobotTwin&) = delete;
  RobotTwin& operator=(const RobotTwin&) = delete;

  TwinPorts ports() const;
  TwinCounters counters() const;
  /// Runs `fn` on the simulation's thread while the arm is between commands or idle, and waits.
  void WithEpisode(const std::function<void(tasks::Episode&)>& fn);

  // Fault injection.
  /// The arm stops where it is and safety_mode becomes PROTECTIVE_STOP until the Dashboard's
  /// "unlock protective stop"; the control program stops.
  void TriggerProtectiveStop();
  /// Closes every client connection at once, as a pulled network cable would.
  void DropConnections();

 private:
  std::unique_ptr<TwinState> impl_;
};

}  // namespace taskforge::twin
