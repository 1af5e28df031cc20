#pragma once
// The twin's shared state: the simulation thread (twin.cc) and the protocol servers
// (servers.cc) meet here, under one mutex.

#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "taskforge/realrobot/tcp.h"
#include "taskforge/realrobot_twin/twin.h"

namespace taskforge::twin {

using Clock = std::chrono::steady_clock;

// RTDE robot_mode / safety_mode / runtime_state values the twin uses.
inline constexpr int kPowerOff = 3, kIdle = 5, kRunning = 7;
inline constexpr int kSafetyNormal = 1, kSafetyProtectiveStop = 3;
inline constexpr int kRuntimeStopped = 1, kRuntimePlaying = 2;

/// What the controller reports, refreshed after every simulation step.
struct Snapshot {
  double time_s = 0.0;
  std::array<double, 6> q{}, tcp_pose{};
  uint64_t digital_inputs = 0, digital_outputs = 0;
};

struct TwinState {
  TwinConfig config;
  std::vector<std::unique_ptr<realrobot::Listener>> listeners;  // dashboard, script, rtde, camera

  mutable std::mutex mutex;
  bool shutdown = false;
  // Controller state (guarded by mutex).
  int robot_mode = kPowerOff;
  int safety_mode = kSafetyNormal;
  bool program_running = false;
  double heartbeat_timeout_s = 0.0;
  int last_sequence = 0;  // the last command sequence number the program took
  std::array<int32_t, 48> in_int{}, out_int{};
  std::array<double, 48> in_double{};
  uint8_t standard_outputs = 0, tool_outputs = 0;
  Clock::time_point last_heartbeat_change;
  Snapshot snapshot;
  TwinCounters counters;
  std::set<std::string> claimed_inputs;  // RTDE input fields owned by a connected client
  std::deque<std::packaged_task<void()>> jobs;  // run on the simulation thread
  std::vector<realrobot::Socket*> connections;   // open client sockets (for DropConnections)
  tasks::Episode* episode = nullptr;  // owned by the simulation thread; touch it only in jobs

  std::thread simulation;
  std::vector<std::thread> servers;
  std::mutex connection_threads_mutex;
  std::vector<std::thread> connection_threads;

  /// Queues `job` for the simulation thread and waits for it; rethrows what it threw.
  void RunOnSimulation(std::function<void()> job);
  /// Starts the control program (called when a valid script arrives) or stops it.
  void StartProgram(double heartbeat_timeout);
  void StopProgramLocked(const std::string& why, int state);

  // servers.cc
  void ServeDashboard(realrobot::Socket& socket);
  void ServeScript(realrobot::Socket& socket);
  void ServeRtde(realrobot::Socket& socket);
  void ServeCamera(realrobot::Socket& socket);
  void AcceptLoop(realrobot::Listener& listener, void (TwinState::*serve)(realrobot::Socket&));
};

}  // namespace taskforge::twin
