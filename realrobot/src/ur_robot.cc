#include "taskforge/realrobot/ur_robot.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "rtde_client.h"
#include "taskforge/core/error.h"
#include "taskforge/realrobot/control_program.h"

namespace taskforge::realrobot {
namespace {

using control::Command;
using control::State;
using Clock = std::chrono::steady_clock;

std::string InReg(int i) { return "input_int_register_" + std::to_string(i); }
std::string InDouble(int i) { return "input_double_register_" + std::to_string(i); }
std::string OutReg(int i) { return "output_int_register_" + std::to_string(i); }

constexpr int kSafetyNormal = 1, kSafetyReduced = 2;

}  // namespace

const char* RobotModeName(int mode) {
  static const char* kNames[] = {"NO_CONTROLLER", "DISCONNECTED", "CONFIRM_SAFETY", "BOOTING", "POWER_OFF",
                                 "POWER_ON", "IDLE", "BACKDRIVE", "RUNNING", "UPDATING_FIRMWARE"};
  return mode >= -1 && mode <= 8 ? kNames[mode + 1] : "UNKNOWN";
}

const char* SafetyModeName(int mode) {
  static const char* kNames[] = {"UNKNOWN", "NORMAL", "REDUCED", "PROTECTIVE_STOP", "RECOVERY", "SAFEGUARD_STOP",
                                 "SYSTEM_EMERGENCY_STOP", "ROBOT_EMERGENCY_STOP", "VIOLATION", "FAULT",
                                 "VALIDATE_JOINT_ID", "UNDEFINED_SAFETY_MODE", "AUTOMATIC_MODE_SAFEGUARD_STOP",
                                 "SYSTEM_THREE_POSITION_ENABLING_STOP"};
  return mode >= 0 && mode <= 13 ? kNames[mode] : "UNKNOWN";
}

struct UrRobot::Impl {
  UrConfig config;
  Socket dashboard;
  std::mutex dashboard_mutex;
  std::unique_ptr<RtdeClient> rtde;
  int sequence = 0;
  mutable std::mutex error_mutex;
  std::string last_error;

  class UrArm;
  class UrGripper;
  std::unique_ptr<Arm> arm;
  std::unique_ptr<Gripper> gripper;

  std::string DashboardCommand(const std::string& command) {
    std::lock_guard<std::mutex> lock(dashboard_mutex);
    dashboard.SendAll(command + "\n");
    return dashboard.ReadLine(config.connect_timeout_s);
  }

  void SetError(const std::string& message) {
    std::lock_guard<std::mutex> lock(error_mutex);
    last_error = message;
  }

  MotionStatus Fail(const std::string& message) {
    SetError(message);
    return MotionStatus::kFault;
  }

  int OutInt(int reg) const { return int(rtde->Output(OutReg(reg))[0]); }

  // A fault in the connection or the controller's safety state, or "" when all is well.
  std::string Health() const {
    if (std::string e = rtde->error(); !e.empty()) return e + " (the control program stops the arm when its heartbeat stops)";
    const int safety = int(rtde->Output("safety_mode")[0]);
    if (safety != kSafetyNormal && safety != kSafetyReduced) {
      return "the robot at " + config.host + " is in " + SafetyModeName(safety) +
             ": it stopped; find the cause, then clear it on the teach pendant (a protective stop also with the "
             "Dashboard command 'unlock protective stop') before running again";
    }
    if (OutInt(control::kOutAlive) != control::kProtocolVersion) {
      return "the control program on " + config.host + " is not running (" +
             control::ToString(State(OutInt(control::kOutState))) + "; stopped from the pendant or the Dashboard?)";
    }
    return "";
  }

  // Sends one command and waits for the program's answer. `stop` (may be empty) is evaluated
  // on every state package while the arm moves; once true the arm is stopped: kStopped.
  MotionStatus Execute(Command command, const std::array<double, 6>& target, double speed, double acceleration,
                       int guard_bit, const std::function<bool()>& stop, State* answer = nullptr) {
    if (std::string why = Health(); !why.empty()) return Fail(why);
    const int seq = ++sequence;
    std::map<std::string, rtde::Value> inputs = {
        {InReg(control::kInSequence), rtde::Value::Scalar(seq)},
        {InReg(control::kInCommand), rtde::Value::Scalar(int(command))},
        {InReg(control::kInGuardInput), rtde::Value::Scalar(guard_bit)},
        {InDouble(control::kInSpeed), rtde::Value::Scalar(speed)},
        {InDouble(control::kInAcceleration), rtde::Value::Scalar(acceleration)}};
    for (int i = 0; i < 6; ++i) inputs[InDouble(control::kInTarget + i)] = rtde::Value::Scalar(target[size_t(i)]);
    rtde->SetInputs(inputs);
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(config.move_timeout_s));
    uint64_t seen = rtde->state_count();
    for (;;) {
      seen = rtde->WaitForState(seen, config.state_timeout_s);
      if (std::string why = Health(); !why.empty()) return Fail(why);
      if (seen == 0) return Fail("no RTDE state from " + config.host);
      if (OutInt(control::kOutAcknowledged) == seq) {
        const State state = State(OutInt(control::kOutState));
        if (answer) *answer = state;
        switch (state) {
          case State::kMoving: break;
          case State::kReached:
          case State::kReachable: return MotionStatus::kReached;
          case State::kUnreachable: return MotionStatus::kUnreachable;
          case State::kGuardStopped: return MotionStatus::kStopped;
          case State::kStopped: return command == Command::kStop ? MotionStatus::kReached : MotionStatus::kStopped;
          default: return Fail(std::string("the control program answered ") + control::ToString(state));
        }
        if (stop && stop()) {
          const MotionStatus halted = Execute(Command::kStop, {}, 0, 0, -1, {});
          return halted == MotionStatus::kReached ? MotionStatus::kStopped : halted;
        }
      }
      if (Clock::now() > deadline) {
        Execute(Command::kStop, {}, 0, 0, -1, {});
        return Fail("a move on " + config.host + " took longer than " + std::to_string(config.move_timeout_s) +
                    " s; the arm was stopped");
      }
    }
  }

  void SetSuction(bool on) {
    const std::string prefix = config.suction_on_tool ? "tool_digital_output" : "standard_digital_output";
    const int bit = config.suction_output;
    rtde->SetInputs({{prefix + "_mask", rtde::Value::Scalar(1 << bit)},
                     {prefix, rtde::Value::Scalar(on ? (1 << bit) : 0)}});
    // Wait until the controller reports the output switched (tool outputs are bits 16, 17).
    const int reported_bit = config.suction_on_tool ? 16 + bit : bit;
    uint64_t seen = rtde->state_count();
    const auto give_up = Clock::now() + std::chrono::milliseconds(int(config.state_timeout_s * 1000));
    while (Clock::now() < give_up) {
      const uint64_t bits = uint64_t(rtde->Output("actual_digital_output_bits")[0]);
      if (bool((bits >> reported_bit) & 1u) == on) break;
      if ((seen = rtde->WaitForState(seen, config.state_timeout_s)) == 0) break;
    }
    if (config.vacuum_settle_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(config.vacuum_settle_s));
  }

  bool Input(int bit) const { return (uint64_t(rtde->Output("actual_digital_input_bits")[0]) >> bit) & 1u; }
};

class UrRobot::Impl::UrArm : public Arm {
 public:
  explicit UrArm(Impl& robot) : r_(robot) {}
  JointVector joint_positions() const override {
    const rtde::Value q = r_.rtde->Output("actual_q");
    return {q[0], q[1], q[2], q[3], q[4], q[5]};
  }
  Pose tool_pose() const override { return r_.config.world_T_base * control::FromPoseVector(r_.rtde->Output("actual_TCP_pose").v); }
  MotionStatus MoveJoints(const JointVector& target, double speed_rad_s) override {
    for (double q : target) {
      if (!std::isfinite(q) || std::abs(q) > 2 * M_PI) return r_.Fail("refused: a joint target is outside +-2 pi");
    }
    return r_.Execute(Command::kMoveJoints, target, JointSpeed(speed_rad_s), JointAcceleration(), -1, {});
  }
  MotionStatus MoveTool(const Pose& tool_pose, double speed_rad_s) override {
    return MoveToolUntil(tool_pose, speed_rad_s, {});
  }
  MotionStatus MoveToolUntil(const Pose& tool_pose, double speed_rad_s, const std::function<bool()>& stop) override {
    if (std::string why = CheckToolPose(tool_pose, r_.config.limits); !why.empty()) {
      return r_.Fail("refused by the safety limits, nothing moved: " + why);
    }
    // A guarded move also stops in the program itself on the contact input: no network latency.
    const int guard = stop ? r_.config.contact_input : -1;
    return r_.Execute(Command::kMoveJointsToPose, BaseVector(tool_pose), JointSpeed(speed_rad_s), JointAcceleration(),
                      guard, stop);
  }
  bool CanReach(const Pose& tool_pose) const override {
    if (!CheckToolPose(tool_pose, r_.config.limits).empty()) return false;
    State answer = State::kIdle;
    r_.Execute(Command::kCheckReach, BaseVector(tool_pose), 0, 0, -1, {}, &answer);
    return answer == State::kReachable;
  }

 private:
  std::array<double, 6> BaseVector(const Pose& tool_pose) const {
    return control::ToPoseVector(r_.config.world_T_base.inverse() * tool_pose);
  }
  double JointSpeed(double requested) const { return std::min(requested, r_.config.limits.max_joint_speed_rad_s); }
  double JointAcceleration() const {
    return std::min(r_.config.joint_acceleration_rad_s2, r_.config.limits.max_joint_accel_rad_s2);
  }
  Impl& r_;
};

class UrRobot::Impl::UrGripper : public Gripper {
 public:
  explicit UrGripper(Impl& robot) : r_(robot) {}
  void Activate() override { r_.SetSuction(true); }
  void Release() override { r_.SetSuction(false); }
  bool DetectContact() const override { return r_.Input(r_.config.contact_input); }
  bool CheckGrasp() const override { return r_.Input(r_.config.vacuum_input); }

 private:
  Impl& r_;
};

UrRobot::UrRobot(const UrConfig& config) : impl_(std::make_unique<Impl>()) {
  Impl& r = *impl_;
  r.config = config;
  TF_THROW_UNLESS(config.suction_output >= 0 && config.suction_output < (config.suction_on_tool ? 2 : 8),
                  "suction output ", config.suction_output, " does not exist on the ",
                  config.suction_on_tool ? "tool (0..1)" : "controller (0..7)");
  for (int bit : {config.vacuum_input, config.contact_input}) {
    TF_THROW_UNLESS(bit >= 0 && bit <= 17, "digital input bit ", bit, " is outside 0..17");
  }
  const std::string where = config.host + ":" + std::to_string(config.dashboard_port);
  r.dashboard = Socket::Connect(config.host, config.dashboard_port, config.connect_timeout_s);
  const std::string banner = r.dashboard.ReadLine(config.connect_timeout_s);
  TF_THROW_UNLESS(banner.rfind("Connected: Universal Robots Dashboard Server", 0) == 0, where,
                  " is not a UR Dashboard server (it said '", banner, "')");
  const std::string remote = r.DashboardCommand("is in remote control");
  TF_THROW_UNLESS(remote != "false", "the robot at ", config.host,
                  " is in local control: switch the teach pendant to Remote Control (e-Series)");
  std::string safety = r.DashboardCommand("safetystatus");
  if (safety.rfind("Safetystatus: ", 0) != 0) safety = r.DashboardCommand("safetymode");  // CB3 < 5.4
  const std::string safety_value = safety.substr(safety.find(": ") == std::string::npos ? 0 : safety.find(": ") + 2);
  TF_THROW_UNLESS(safety_value == "NORMAL" || safety_value == "REDUCED", "the robot at ", config.host,
                  " is not safe to start: Dashboard says '", safety, "'; clear it on the teach pendant first");
  auto wait_mode = [&](const std::string& wanted) {
    for (int i = 0; i < 300; ++i) {
      if (r.DashboardCommand("robotmode") == "Robotmode: " + wanted) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    TF_THROW_UNLESS(false, "the robot at ", config.host, " did not reach robot mode ", wanted, " within 30 s");
  };
  if (r.DashboardCommand("robotmode") != "Robotmode: RUNNING") {
    TF_THROW_UNLESS(config.power_on, "the arm at ", config.host, " is not powered with brakes released, and power_on is off");
    r.DashboardCommand("power on");
    wait_mode("IDLE");
    r.DashboardCommand("brake release");
    wait_mode("RUNNING");
  }

  const std::string dig = config.suction_on_tool ? "tool_digital_output" : "standard_digital_output";
  std::vector<std::string> inputs = {dig + "_mask", dig};
  for (int reg = control::kInSequence; reg <= control::kInGuardInput; ++reg) inputs.push_back(InReg(reg));
  for (int reg = control::kInTarget; reg <= control::kInAcceleration; ++reg) inputs.push_back(InDouble(reg));
  std::vector<std::string> outputs = {"timestamp", "actual_q", "actual_TCP_pose", "robot_mode", "safety_mode",
                                      "runtime_state", "actual_digital_input_bits", "actual_digital_output_bits"};
  for (int reg = control::kOutAcknowledged; reg <= control::kOutAlive; ++reg) outputs.push_back(OutReg(reg));
  r.rtde = std::make_unique<RtdeClient>(config.host, config.rtde_port, config.connect_timeout_s, config.frequency_hz,
                                        outputs, inputs, InReg(control::kInHeartbeat), config.state_timeout_s);
  r.rtde->SetInputs({{InReg(control::kInSequence), rtde::Value::Scalar(0)},
                     {InReg(control::kInGuardInput), rtde::Value::Scalar(-1)}});

  Socket script = Socket::Connect(config.host, config.script_port, config.connect_timeout_s);
  script.SendAll(control::ControlProgram(config.heartbeat_timeout_s));
  script.Close();
  uint64_t seen = r.rtde->state_count();
  const auto give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(10 * config.connect_timeout_s));
  while (r.OutInt(control::kOutAlive) != control::kProtocolVersion) {
    TF_THROW_UNLESS(r.rtde->error().empty(), r.rtde->error());
    TF_THROW_UNLESS(Clock::now() < give_up, "the control program sent to ", config.host, ":", config.script_port,
                    " did not start (is the robot in remote control, with no program or popup blocking it?)");
    seen = r.rtde->WaitForState(seen, config.state_timeout_s);
  }
  r.arm = std::make_unique<Impl::UrArm>(r);
  r.gripper = std::make_unique<Impl::UrGripper>(r);
}

UrRobot::~UrRobot() {
  Stop();
  try {
    if (impl_->rtde->error().empty()) impl_->SetSuction(false);
    impl_->rtde->Close();
    impl_->DashboardCommand("stop");
  } catch (const Error&) {
    // the connection is already gone; the program's watchdog has stopped the arm
  }
}

Arm& UrRobot::arm() { return *impl_->arm; }
Gripper& UrRobot::gripper() { return *impl_->gripper; }
const UrConfig& UrRobot::config() const { return impl_->config; }

UrStatus UrRobot::status() const {
  const Impl& r = *impl_;
  const rtde::ControllerVersion& v = r.rtde->version();
  UrStatus s;
  s.controller_version = std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.bugfix) +
                         "." + std::to_string(v.build);
  s.frequency_hz = r.rtde->frequency_hz();
  s.robot_mode = int(r.rtde->Output("robot_mode")[0]);
  s.safety_mode = int(r.rtde->Output("safety_mode")[0]);
  s.runtime_state = int(r.rtde->Output("runtime_state")[0]);
  s.connected = r.rtde->error().empty();
  return s;
}

std::string UrRobot::last_error() const {
  std::lock_guard<std::mutex> lock(impl_->error_mutex);
  return impl_->last_error;
}

void UrRobot::Stop() {
  try {
    // Only a healthy program can take the command (and last_error keeps the fault that got us here);
    // otherwise the controller has stopped the arm already.
    if (impl_->rtde && impl_->Health().empty()) impl_->Execute(Command::kStop, {}, 0, 0, -1, {});
  } catch (const Error&) {
    // best effort: the heartbeat watchdog stops the arm when we can't reach it
  }
}

std::string UrRobot::Dashboard(const std::string& command) { return impl_->DashboardCommand(command); }

}  // namespace taskforge::realrobot
