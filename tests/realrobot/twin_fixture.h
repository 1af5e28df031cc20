#pragma once
// A robot twin on free loopback ports and a driver config that points at it.

#include <memory>

#include "taskforge/realrobot/ur_robot.h"
#include "taskforge/realrobot_twin/twin.h"

namespace taskforge::testing {

inline twin::TwinConfig TestTwinConfig(double realtime_factor = 8.0) {
  twin::TwinConfig config;
  config.task = "put-block-in-bowl";
  config.seed = 3;
  config.port_base = 0;  // free ports: tests may run in parallel
  config.realtime_factor = realtime_factor;
  return config;
}

inline realrobot::UrConfig DriverConfigFor(const twin::RobotTwin& twin) {
  realrobot::UrConfig config;
  config.host = "127.0.0.1";
  const twin::TwinPorts ports = twin.ports();
  config.dashboard_port = ports.dashboard;
  config.script_port = ports.script;
  config.rtde_port = ports.rtde;
  config.vacuum_settle_s = 0.0;  // the simulated cup holds at once
  config.limits.max_joint_speed_rad_s = 3.0;
  config.heartbeat_timeout_s = 1.0;  // a loaded 2-core CI machine may stall a thread for 0.2 s
  return config;
}

}  // namespace taskforge::testing
