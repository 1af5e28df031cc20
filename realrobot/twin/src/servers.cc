// The twin's protocol servers: Dashboard, script upload, RTDE and camera frames.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "taskforge/core/error.h"
#include "taskforge/realrobot/control_program.h"
#include "taskforge/realrobot/rtde.h"
#include "twin_impl.h"

namespace taskforge::twin {
namespace {

using realrobot::Socket;
namespace rtde = realrobot::rtde;
namespace control = realrobot::control;

const char* ModeName(int mode) {
  switch (mode) {
    case kPowerOff: return "POWER_OFF";
    case kIdle: return "IDLE";
    case kRunning: return "RUNNING";
  }
  return "UNKNOWN";
}

// The register number in e.g. "input_int_register_26" after `prefix`, or -1.
int RegisterNumber(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return -1;
  return std::stoi(name.substr(prefix.size()));
}

}  // namespace

void TwinState::AcceptLoop(realrobot::Listener& listener, void (TwinState::*serve)(Socket&)) {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (shutdown) return;
    }
    std::optional<Socket> accepted = listener.Accept(0.05);
    if (!accepted) continue;
    std::lock_guard<std::mutex> lock(connection_threads_mutex);
    connection_threads.emplace_back([this, serve, socket = std::move(*accepted)]() mutable {
      {
        std::lock_guard<std::mutex> registered(mutex);
        if (shutdown) return;
        connections.push_back(&socket);
      }
      try {
        (this->*serve)(socket);
      } catch (const Error&) {
        // the client went away or broke the protocol; the connection simply ends
      }
      std::lock_guard<std::mutex> unregistered(mutex);
      connections.erase(std::find(connections.begin(), connections.end(), &socket));
    });
  }
}

void TwinState::ServeDashboard(Socket& socket) {
  socket.SendAll("Connected: Universal Robots Dashboard Server\n");
  for (;;) {
    const std::string command = socket.ReadLine(3600.0);
    std::string reply;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (command == "power on") {
        if (robot_mode == kPowerOff) robot_mode = kIdle;
        reply = "Powering on";
      } else if (command == "power off") {
        StopProgramLocked("powered off", int(control::State::kStopped));
        robot_mode = kPowerOff;
        reply = "Powering off";
      } else if (command == "brake release") {
        if (robot_mode == kIdle) robot_mode = kRunning;
        reply = "Brake releasing";
      } else if (command == "robotmode") {
        reply = std::string("Robotmode: ") + ModeName(robot_mode);
      } else if (command == "safetystatus" || command == "safetymode") {
        reply = std::string(command == "safetystatus" ? "Safetystatus: " : "Safetymode: ") +
                (safety_mode == kSafetyNormal ? "NORMAL" : "PROTECTIVE_STOP");
      } else if (command == "unlock protective stop") {
        safety_mode = kSafetyNormal;
        reply = "Protective stop releasing";
      } else if (command == "is in remote control") {
        reply = "true";
      } else if (command == "stop") {
        StopProgramLocked("stopped from the Dashboard", int(control::State::kStopped));
        reply = "Stopped";
      } else if (command == "programState") {
        reply = program_running ? "PLAYING taskforge_control" : "STOPPED taskforge_control";
      } else if (command == "PolyscopeVersion") {
        const auto& v = config.controller_version;
        reply = "URSoftware " + std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]) +
                " (taskforge robot twin)";
      } else if (command.rfind("load ", 0) == 0) {
        reply = "File not found: " + command.substr(5);  // the twin has no .urp programs
      } else if (command == "quit") {
        reply = "Disconnected";
      } else {
        reply = "could not understand: '" + command + "'";
      }
    }
    socket.SendAll(reply + "\n");
    if (command == "quit") return;
  }
}

void TwinState::ServeScript(Socket& socket) {
  // The secondary interface runs a `def ...: ... end` program once its last line arrives.
  std::string program, line;
  int lines = 0;
  bool valid = true;
  do {
    line = socket.ReadLine(5.0);
    if (lines == 0) valid = valid && line == control::kDefinition;
    if (lines == 1) valid = valid && line == control::kHeader;
    ++lines;
    program += line + "\n";
  } while (line != "end");
  const std::string key = "stale_limit = ceil(";
  const size_t at = program.find(key);
  if (!valid || at == std::string::npos) {
    return;  // not taskforge's control program: the twin can't run other URScript
  }
  StartProgram(std::stod(program.substr(at + key.size())));
}

void TwinState::ServeRtde(Socket& socket) {
  using rtde::PackageType;
  rtde::Recipe outputs, inputs;
  std::vector<std::string> claimed;
  bool started = false;
  uint8_t next_id = 1;
  double period_s = 0.0;
  Clock::time_point next_send = Clock::now();
  const double max_hz = rtde::ControllerVersion{config.controller_version[0]}.max_frequency_hz();
  const auto reply = [&](PackageType type, std::vector<uint8_t> payload) { socket.SendAll(rtde::Frame(type, payload)); };
  const auto release = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    for (const std::string& name : claimed) claimed_inputs.erase(name);
  };
  try {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (shutdown) break;
      }
      const double wait_s =
          started ? std::max(0.0, std::chrono::duration<double>(next_send - Clock::now()).count()) : 0.05;
      if (std::optional<rtde::Package> package = rtde::ReadPackage(socket, wait_s)) {
        rtde::Reader r(package->payload, "RTDE package");
        switch (package->type) {
          case PackageType::kRequestProtocolVersion: {
            const uint16_t version = r.U16();
            r.ExpectEnd();
            reply(package->type, rtde::Writer().U8(version == rtde::kProtocolVersion).Take());
            break;
          }
          case PackageType::kGetUrControlVersion: {
            rtde::Writer w;
            for (uint32_t v : config.controller_version) w.U32(v);
            reply(package->type, w.Take());
            break;
          }
          case PackageType::kSetupOutputs:
          case PackageType::kSetupInputs: {
            if (started) throw rtde::ProtocolError("RTDE recipe setup while synchronising");
            const bool is_output = package->type == PackageType::kSetupOutputs;
            const double hz = is_output ? r.F64() : 0.0;
            const std::vector<std::string> names = rtde::SplitComma(r.Rest());
            std::vector<std::string> types;
            rtde::Recipe recipe;
            bool ok = !is_output || (hz > 0 && hz <= max_hz);
            std::lock_guard<std::mutex> lock(mutex);
            for (const std::string& name : names) {
              const auto type = is_output ? rtde::OutputFieldType(name) : rtde::InputFieldType(name);
              const bool in_use = !is_output && claimed_inputs.count(name) &&
                                  std::find(claimed.begin(), claimed.end(), name) == claimed.end();
              types.push_back(!type ? "NOT_FOUND" : in_use ? "IN_USE" : rtde::TypeName(*type));
              ok = ok && type && !in_use;
              if (type) {
                recipe.names.push_back(name);
                recipe.types.push_back(*type);
              }
            }
            recipe.id = ok ? next_id++ : 0;
            if (ok && is_output) {
              outputs = recipe;
              period_s = 1.0 / hz;
            } else if (ok) {
              inputs = recipe;
              for (const std::string& name : names) {
                claimed_inputs.insert(name);
                claimed.push_back(name);
              }
            }
            socket.SendAll(rtde::Frame(package->type, rtde::Writer().U8(recipe.id).Bytes(rtde::JoinComma(types)).Take()));
            break;
          }
          case PackageType::kStart:
            started = outputs.id != 0;
            next_send = Clock::now();
            reply(package->type, rtde::Writer().U8(started).Take());
            break;
          case PackageType::kPause:
            started = false;
            reply(package->type, rtde::Writer().U8(1).Take());
            break;
          case PackageType::kDataPackage: {
            if (inputs.id == 0) throw rtde::ProtocolError("RTDE data package before an input recipe was set up");
            const std::vector<rtde::Value> values = rtde::DecodeData(inputs, package->payload);
            std::lock_guard<std::mutex> lock(mutex);
            int std_mask = 0, std_value = 0, tool_mask = 0, tool_value = 0;
            for (size_t i = 0; i < values.size(); ++i) {
              const std::string& name = inputs.names[i];
              const double x = values[i][0];
              if (int reg = RegisterNumber(name, "input_int_register_"); reg >= 0) {
                if (reg == control::kInHeartbeat && in_int[size_t(reg)] != int32_t(x)) {
                  last_heartbeat_change = Clock::now();
                }
                in_int[size_t(reg)] = int32_t(x);
              } else if (int dreg = RegisterNumber(name, "input_double_register_"); dreg >= 0) {
                in_double[size_t(dreg)] = x;
              } else if (name == "standard_digital_output_mask") {
                std_mask = int(x);
              } else if (name == "standard_digital_output") {
                std_value = int(x);
              } else if (name == "tool_digital_output_mask") {
                tool_mask = int(x);
              } else if (name == "tool_digital_output") {
                tool_value = int(x);
              }
            }
            standard_outputs = uint8_t((standard_outputs & ~std_mask) | (std_value & std_mask));
            tool_outputs = uint8_t((tool_outputs & ~tool_mask) | (tool_value & tool_mask));
            break;
          }
          case PackageType::kTextMessage: break;  // a client's log line
        }
      }
      if (started && Clock::now() >= next_send) {
        std::vector<rtde::Value> values;
        {
          std::lock_guard<std::mutex> lock(mutex);
          for (const std::string& name : outputs.names) {
            rtde::Value v;
            if (name == "timestamp") v = rtde::Value::Scalar(snapshot.time_s);
            else if (name == "actual_q" || name == "target_q") v.v = snapshot.q;
            else if (name == "actual_TCP_pose" || name == "target_TCP_pose") v.v = snapshot.tcp_pose;
            else if (name == "robot_mode") v = rtde::Value::Scalar(robot_mode);
            else if (name == "safety_mode" || name == "safety_status") v = rtde::Value::Scalar(safety_mode);
            else if (name == "runtime_state") v = rtde::Value::Scalar(program_running ? kRuntimePlaying : kRuntimeStopped);
            else if (name == "actual_digital_input_bits") v = rtde::Value::Scalar(double(snapshot.digital_inputs));
            else if (name == "actual_digital_output_bits") v = rtde::Value::Scalar(double(snapshot.digital_outputs));
            else if (name == "speed_scaling" || name == "target_speed_fraction") v = rtde::Value::Scalar(1.0);
            else if (int reg = RegisterNumber(name, "output_int_register_"); reg >= 0) v = rtde::Value::Scalar(out_int[size_t(reg)]);
            values.push_back(v);  // fields the twin doesn't model read as zeros
          }
        }
        reply(PackageType::kDataPackage, rtde::EncodeData(outputs, values));
        next_send += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period_s));
        if (next_send < Clock::now()) next_send = Clock::now();  // don't burst after a stall
      }
    }
  } catch (const rtde::ProtocolError& e) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++counters.refused_packages;
    }
    // As the controller does: say why, then drop the connection.
    try {
      reply(PackageType::kTextMessage, rtde::EncodeTextMessage(e.what(), "RTDE", rtde::MessageLevel::kException));
    } catch (const Error&) {
      // the client is already gone
    }
  } catch (const Error&) {
    // connection lost
  }
  release();
}

void TwinState::ServeCamera(Socket& socket) {
  for (;;) {
    const std::string request = socket.ReadLine(3600.0);
    if (request == "cameras") {
      socket.SendAll(nlohmann::json{{"count", RavensAgentCameras().size()}}.dump() + "\n");
      continue;
    }
    if (request == "oracle") {  // the scripted expert's next action, for tests and demos
      nlohmann::json answer;
      RunOnSimulation([&] {
        const std::optional<tasks::Action> action = episode->OracleAct();
        if (!action) {
          answer = {{"error", "the oracle has no action (no goal left, or the object is not visible)"}};
          return;
        }
        auto pose = [](const Pose& p) {
          const Quat q(p.rotation());
          const Vec3 t = p.translation();
          return std::vector<double>{t.x(), t.y(), t.z(), q.x(), q.y(), q.z(), q.w()};
        };
        answer = {{"pick", pose(action->pose0)}, {"place", pose(action->pose1)}, {"goal", episode->language_goal()}};
      });
      socket.SendAll(answer.dump() + "\n");
      continue;
    }
    int index = -1;
    TF_THROW_UNLESS(request.rfind("frame ", 0) == 0, "camera request '", request, "' is not 'frame <index>'");
    index = std::atoi(request.c_str() + 6);
    const std::vector<CameraConfig> cameras = RavensAgentCameras();
    if (index < 0 || index >= int(cameras.size())) {
      socket.SendAll(nlohmann::json{{"error", "no camera " + std::to_string(index)}}.dump() + "\n");
      continue;
    }
    const CameraConfig& camera = cameras[size_t(index)];
    RgbdFrame frame;
    double time_s = 0.0;
    RunOnSimulation([&] {
      frame = episode->sim().Render(camera);
      time_s = episode->sim().time_s();
    });
    nlohmann::json header = {{"width", camera.width}, {"height", camera.height}, {"fx", camera.fx},
                             {"fy", camera.fy},       {"cx", camera.cx},         {"cy", camera.cy},
                             {"depth_scale", config.depth_scale_m}, {"time", time_s}};
    const Eigen::Matrix4d m = camera.world_T_camera.matrix();
    header["world_T_camera"] = std::vector<double>(m.data(), m.data() + 16);
    socket.SendAll(header.dump() + "\n");
    socket.SendAll(frame.color.data);
    std::vector<uint8_t> depth(frame.depth.data.size() * 2);
    for (size_t i = 0; i < frame.depth.data.size(); ++i) {
      const uint16_t units = uint16_t(std::clamp(std::lround(frame.depth.data[i] / config.depth_scale_m), 0L, 65535L));
      depth[2 * i] = uint8_t(units & 0xff);
      depth[2 * i + 1] = uint8_t(units >> 8);
    }
    socket.SendAll(depth);
  }
}

}  // namespace taskforge::twin
