#include <cmath>
#include <sstream>

#include "taskforge/core/error.h"
#include "taskforge/realrobot/control_program.h"
#include "twin_impl.h"

namespace taskforge::twin {
namespace {

using realrobot::control::Command;
using realrobot::control::State;
namespace control = realrobot::control;

// One command as the control program reads it from the input registers.
struct PendingCommand {
  int sequence = 0;
  Command command = Command::kNone;
  std::array<double, 6> target{};
  double speed = 0.0;
  int guard_bit = -1;
};

// Why a move ended before its target.
enum class StopReason { kNone, kGuard, kNewCommand, kProgramStopped, kShutdown };

// The simulation thread: owns the episode, runs queued jobs, executes the control program's
// commands on the simulated arm and keeps simulated time in step with wall time.
class Simulation {
 public:
  Simulation(TwinState& twin, tasks::Episode& episode) : t_(twin), sim_(episode.sim()) {
    RebasePace();
    Publish();  // clients never see a state older than the scene
  }

  void Run() {
    for (;;) {
      RunJobs();
      {
        std::lock_guard<std::mutex> lock(t_.mutex);
        if (t_.shutdown) return;
      }
      if (std::optional<PendingCommand> command = TakeCommand()) {
        Execute(*command);
      } else {
        sim_.Step(1);
        Tick(-1);
      }
    }
  }

 private:
  void RunJobs() {
    for (;;) {
      std::packaged_task<void()> job;
      {
        std::lock_guard<std::mutex> lock(t_.mutex);
        if (t_.jobs.empty()) return;
        job = std::move(t_.jobs.front());
        t_.jobs.pop_front();
      }
      job();
      RebasePace();  // rendering takes wall time the arm didn't spend
    }
  }

  std::optional<PendingCommand> TakeCommand() {
    std::lock_guard<std::mutex> lock(t_.mutex);
    if (!t_.program_running || t_.in_int[control::kInSequence] == t_.last_sequence) return std::nullopt;
    PendingCommand c;
    c.sequence = t_.last_sequence = t_.in_int[control::kInSequence];
    c.command = Command(t_.in_int[control::kInCommand]);
    for (int i = 0; i < 6; ++i) c.target[size_t(i)] = t_.in_double[size_t(control::kInTarget + i)];
    c.speed = t_.in_double[control::kInSpeed];
    c.guard_bit = t_.in_int[control::kInGuardInput];
    return c;
  }

  void Report(int sequence, State state) {
    std::lock_guard<std::mutex> lock(t_.mutex);
    if (!t_.program_running) return;  // a stopped program writes nothing more
    t_.out_int[control::kOutState] = int(state);
    t_.out_int[control::kOutAcknowledged] = sequence;
  }

  void Execute(const PendingCommand& c) {
    Arm& arm = sim_.arm();
    const Pose target_pose = control::FromPoseVector(c.target);
    const auto tick = [&] { return Tick(c.guard_bit); };
    MotionStatus status = MotionStatus::kReached;
    switch (c.command) {
      case Command::kStop: return Report(c.sequence, State::kStopped);
      case Command::kCheckReach:
        return Report(c.sequence, arm.CanReach(target_pose) ? State::kReachable : State::kUnreachable);
      case Command::kMoveJointsToPose:
        if (!arm.CanReach(target_pose)) return Report(c.sequence, State::kUnreachable);
        StartMotion(c.sequence);
        status = arm.MoveToolUntil(target_pose, c.speed, tick);
        break;
      case Command::kMoveLinear:
        StartMotion(c.sequence);
        status = MoveLinear(target_pose, c.speed, tick);
        break;
      case Command::kMoveJoints:
        StartMotion(c.sequence);
        status = MoveJointsInSteps(c.target, c.speed, tick);
        break;
      case Command::kNone: return Report(c.sequence, State::kIdle);
    }
    if (status == MotionStatus::kReached) return Report(c.sequence, State::kReached);
    if (status == MotionStatus::kUnreachable) return Report(c.sequence, State::kUnreachable);
    if (status == MotionStatus::kStopped && stop_reason_ == StopReason::kGuard) {
      return Report(c.sequence, State::kGuardStopped);
    }
    if (status != MotionStatus::kStopped) Report(c.sequence, State::kStopped);  // budget or fault in the sim
    // Stopped by a new command, the watchdog or a protective stop: those report for themselves.
  }

  void StartMotion(int sequence) {
    stop_reason_ = StopReason::kNone;
    Report(sequence, State::kMoving);
    std::lock_guard<std::mutex> lock(t_.mutex);
    ++t_.counters.motions;
  }

  // movel: the straight line in 1 cm waypoints (the simulated arm moves in joint space).
  MotionStatus MoveLinear(const Pose& target, double speed_m_s, const std::function<bool()>& tick) {
    const Pose start = sim_.arm().tool_pose();
    const Vec3 a = start.translation(), b = target.translation();
    const int n = std::max(1, int(std::ceil((b - a).norm() / 0.01)));
    for (int i = 1; i <= n; ++i) {
      Pose waypoint = target;
      waypoint.translation() = a + (b - a) * (double(i) / n);
      // A tool speed [m/s] becomes a joint speed with the UR5's ~0.8 m reach.
      const MotionStatus s = sim_.arm().MoveToolUntil(waypoint, speed_m_s / 0.8, tick);
      if (s != MotionStatus::kReached) return s;
    }
    return MotionStatus::kReached;
  }

  // movej to joints in 0.05 rad pieces, so the watchdog and new commands are seen in between.
  MotionStatus MoveJointsInSteps(const std::array<double, 6>& target, double speed, const std::function<bool()>& tick) {
    const JointVector start = sim_.arm().joint_positions();
    double span = 0.0;
    for (int i = 0; i < 6; ++i) span = std::max(span, std::abs(target[size_t(i)] - start[size_t(i)]));
    const int n = std::max(1, int(std::ceil(span / 0.05)));
    for (int k = 1; k <= n; ++k) {
      JointVector q;
      for (size_t i = 0; i < 6; ++i) q[i] = start[i] + (target[i] - start[i]) * (double(k) / n);
      const MotionStatus s = sim_.arm().MoveJoints(q, speed);
      if (s != MotionStatus::kReached) return s;
      if (tick()) return MotionStatus::kStopped;
    }
    return MotionStatus::kReached;
  }

  // After every simulation step: keep pace with the wall clock, apply the outputs, run the
  // watchdog, publish the state. True when a move in progress must stop now.
  bool Tick(int guard_bit) {
    Pace();
    bool suction = false;
    {
      std::lock_guard<std::mutex> lock(t_.mutex);
      suction = (t_.standard_outputs >> t_.config.suction_output) & 1u;
      if (t_.program_running && Clock::now() - t_.last_heartbeat_change >
                                    std::chrono::duration<double>(t_.heartbeat_timeout_s)) {
        t_.StopProgramLocked("watchdog: the driver's heartbeat went stale; the arm was stopped",
                             int(State::kWatchdog));
      }
    }
    if (suction != suction_on_) {
      suction ? sim_.gripper().Activate() : sim_.gripper().Release();
      suction_on_ = suction;
    }
    const Snapshot s = Publish();
    std::lock_guard<std::mutex> lock(t_.mutex);
    if (t_.shutdown) return Stop(StopReason::kShutdown);
    if (!t_.program_running || t_.safety_mode != kSafetyNormal) return Stop(StopReason::kProgramStopped);
    if (t_.in_int[control::kInSequence] != t_.last_sequence) return Stop(StopReason::kNewCommand);
    if (guard_bit >= 0 && ((s.digital_inputs >> guard_bit) & 1u)) return Stop(StopReason::kGuard);
    return false;
  }

  // The controller's state after a step, for RTDE.
  Snapshot Publish() {
    Gripper& gripper = sim_.gripper();
    Snapshot s;
    s.time_s = sim_.time_s();
    s.q = sim_.arm().joint_positions();
    s.tcp_pose = control::ToPoseVector(sim_.arm().tool_pose());
    const bool contact = gripper.DetectContact();
    if (gripper.CheckGrasp()) s.digital_inputs |= uint64_t(1) << t_.config.vacuum_input;
    if (contact) s.digital_inputs |= uint64_t(1) << t_.config.contact_input;
    std::lock_guard<std::mutex> lock(t_.mutex);
    s.digital_outputs = t_.standard_outputs | (uint64_t(t_.tool_outputs) << 16);
    t_.snapshot = s;
    return s;
  }

  bool Stop(StopReason reason) {
    stop_reason_ = reason;
    return true;
  }

  void Pace() {
    const double ahead_s = (sim_.time_s() - pace_sim_s_) / t_.config.realtime_factor -
                           std::chrono::duration<double>(Clock::now() - pace_wall_).count();
    if (ahead_s > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(ahead_s));
    } else if (ahead_s < -0.1) {
      RebasePace();  // fell behind (a slow step): don't rush to catch up
    }
  }

  void RebasePace() {
    pace_wall_ = Clock::now();
    pace_sim_s_ = sim_.time_s();
  }

  TwinState& t_;
  sim::Sim& sim_;
  bool suction_on_ = false;
  StopReason stop_reason_ = StopReason::kNone;
  Clock::time_point pace_wall_;
  double pace_sim_s_ = 0.0;
};

}  // namespace

void TwinState::RunOnSimulation(std::function<void()> job) {
  std::packaged_task<void()> task(std::move(job));
  std::future<void> done = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex);
    TF_THROW_UNLESS(!shutdown, "the robot twin is shutting down");
    jobs.push_back(std::move(task));
  }
  done.get();
}

void TwinState::StartProgram(double heartbeat_timeout) {
  std::lock_guard<std::mutex> lock(mutex);
  if (robot_mode != kRunning || safety_mode != kSafetyNormal) return;  // the controller refuses to run it
  program_running = true;
  last_sequence = in_int[control::kInSequence];
  heartbeat_timeout_s = heartbeat_timeout;
  last_heartbeat_change = Clock::now();
  out_int[control::kOutAcknowledged] = in_int[control::kInSequence];
  out_int[control::kOutState] = int(State::kIdle);
  out_int[control::kOutAlive] = control::kProtocolVersion;
  ++counters.programs_started;
  counters.program_running = true;
}

void TwinState::StopProgramLocked(const std::string& why, int state) {
  if (!program_running) return;
  program_running = false;
  out_int[control::kOutState] = state;
  out_int[control::kOutAlive] = 0;
  counters.program_running = false;
  counters.last_stop = why;
}

RobotTwin::RobotTwin(const TwinConfig& config) : impl_(std::make_unique<TwinState>()) {
  TwinState& t = *impl_;
  t.config = config;
  TF_THROW_UNLESS(config.realtime_factor > 0, "robot twin: realtime factor must be positive, got ",
                  config.realtime_factor);
  t.robot_mode = config.start_powered ? kRunning : kPowerOff;
  for (int offset : {0, 3, 5, 11}) {
    t.listeners.push_back(
        std::make_unique<realrobot::Listener>(config.address, config.port_base == 0 ? 0 : config.port_base + offset));
  }
  // The episode is built on its own thread: the renderer's EGL context belongs to that thread.
  std::promise<void> ready;
  std::future<void> built = ready.get_future();
  t.simulation = std::thread([&t, &ready] {
    std::unique_ptr<tasks::Episode> episode;
    try {
      tasks::EpisodeOptions options;
      options.seed = t.config.seed;
      episode = std::make_unique<tasks::Episode>(tasks::ResolveTask(t.config.task), options);
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    t.episode = episode.get();
    Simulation simulation(t, *episode);
    ready.set_value();
    simulation.Run();
    t.episode = nullptr;
  });
  try {
    built.get();
  } catch (...) {
    t.simulation.join();
    throw;
  }
  using Serve = void (TwinState::*)(realrobot::Socket&);
  const Serve serve[] = {&TwinState::ServeDashboard, &TwinState::ServeScript, &TwinState::ServeRtde, &TwinState::ServeCamera};
  for (size_t i = 0; i < 4; ++i) {
    t.servers.emplace_back([&t, i, s = serve[i]] { t.AcceptLoop(*t.listeners[i], s); });
  }
}

RobotTwin::~RobotTwin() {
  TwinState& t = *impl_;
  {
    std::lock_guard<std::mutex> lock(t.mutex);
    t.shutdown = true;
    for (realrobot::Socket* s : t.connections) s->Shutdown();
  }
  t.simulation.join();
  {
    std::lock_guard<std::mutex> lock(t.mutex);
    t.jobs.clear();  // breaks their promises: nobody waits forever on a job queued at shutdown
  }
  for (std::thread& s : t.servers) s.join();
  std::lock_guard<std::mutex> lock(t.connection_threads_mutex);
  for (std::thread& c : t.connection_threads) c.join();
}

TwinPorts RobotTwin::ports() const {
  const auto& l = impl_->listeners;
  return {l[0]->port(), l[1]->port(), l[2]->port(), l[3]->port()};
}

TwinCounters RobotTwin::counters() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->counters;
}

void RobotTwin::WithEpisode(const std::function<void(tasks::Episode&)>& fn) {
  TwinState& t = *impl_;
  t.RunOnSimulation([&] { fn(*t.episode); });
}

void RobotTwin::TriggerProtectiveStop() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->safety_mode = kSafetyProtectiveStop;
  impl_->StopProgramLocked("protective stop", int(State::kStopped));
}

void RobotTwin::DropConnections() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  for (realrobot::Socket* s : impl_->connections) s->Shutdown();
}

}  // namespace taskforge::twin
