// `taskforge robot-twin`, `deploy` and `calibrate`: the real-robot commands (docs/real-robot.md).
#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/policy/policy.h"
#include "taskforge/core/error.h"
#include "taskforge/realrobot/calibration.h"
#include "taskforge/realrobot/camera.h"
#include "taskforge/realrobot/deploy.h"
#include "taskforge/realrobot/ur_robot.h"
#include "taskforge/realrobot_twin/twin.h"

namespace taskforge::cli {
namespace {

// A trained policy as deploy's action source. The adapter lives here because realrobot depends
// on core alone and policy knows nothing of robots; the two meet only in the executable.
class PolicyActionSource : public realrobot::ActionSource {
 public:
  explicit PolicyActionSource(const std::string& checkpoint) : policy_(policy::Policy::Load(checkpoint)) {}
  std::optional<realrobot::PickPlaceAction> Act(const Observation& observation, const std::string& instruction) override {
    const policy::Action action = policy_.Act(observation.heightmap.color, observation.heightmap.height, instruction);
    return realrobot::PickPlaceAction{action.pick_pose, action.place_pose};
  }

 private:
  policy::Policy policy_;
};

// "twin-oracle:HOST:PORT" is the robot twin's scripted expert; anything else a policy checkpoint.
std::unique_ptr<realrobot::ActionSource> OpenActionSource(const std::string& checkpoint) {
  if (checkpoint.rfind("twin-oracle:", 0) == 0) return realrobot::OpenTwinOracle(checkpoint);
  return std::make_unique<PolicyActionSource>(checkpoint);
}



// "x,y,z" [m] -> a point; `flag` names it in the error.
Vec3 ParsePoint(const std::string& text, const char* flag) {
  double x = 0, y = 0, z = 0;
  char tail = 0;
  TF_THROW_UNLESS(std::sscanf(text.c_str(), "%lf,%lf,%lf%c", &x, &y, &z, &tail) == 3, flag, " '", text,
                  "' must be X,Y,Z in metres");
  return Vec3(x, y, z);
}

nlohmann::json PoseJson(const Pose& p) {
  const Vec3 t = p.translation();
  return {{"x", t.x()}, {"y", t.y()}, {"z", t.z()}, {"yaw", YawOf(p)}};
}

struct TwinFlags {
  twin::TwinConfig config;
  double seconds = 0.0;
  std::string calibration;
};

struct DeployFlags {
  std::string checkpoint, robot, camera, calibration, instruction, plan = "deploy-plan.png", limits;
  bool execute = false;
  int actions = 1;
};

struct CalibrateFlags {
  std::string camera, board = "7x5:0.04:0.03:DICT_5X5_100", origin, along_x, output = "calibration.json", print_board;
  int frames = 5;
};

}  // namespace

void AddRobotCommands(CLI::App& app, const GlobalOptions& global) {
  // taskforge robot-twin
  auto twin_flags = std::make_shared<TwinFlags>();
  CLI::App& twin_cmd = *app.add_subcommand(
      "robot-twin", "serve a simulated UR arm's Dashboard, script, RTDE and camera ports on loopback");
  twin_cmd.add_option("--port-base", twin_flags->config.port_base,
                      "Dashboard on P, script on P+3, RTDE on P+5, camera on P+11 (0: free ports)")
      ->capture_default_str();
  twin_cmd.add_option("--task", twin_flags->config.task, "task whose scene the twin simulates")->capture_default_str();
  twin_cmd.add_option("--seed", twin_flags->config.seed, "episode seed")->capture_default_str();
  twin_cmd.add_option("--realtime", twin_flags->config.realtime_factor, "simulated seconds per wall second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  twin_cmd.add_option("--seconds", twin_flags->seconds, "stop after this many seconds (default: until Ctrl-C)");
  twin_cmd.add_option("--write-calibration", twin_flags->calibration,
                      "write the true pose of the twin's camera 0 as a calibration file for deploy");
  twin_cmd.callback([&global, twin_flags] {
    // Signals go to the waiting main thread only: block them before the twin starts its threads.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    twin::RobotTwin twin(twin_flags->config);
    if (!twin_flags->calibration.empty()) {
      realrobot::Calibration truth;
      truth.world_T_camera = RavensAgentCameras()[0].world_T_camera;
      truth.camera = "robot twin camera 0 (exact)";
      realrobot::SaveCalibration(twin_flags->calibration, truth);
    }
    const twin::TwinPorts ports = twin.ports();
    const nlohmann::json j = {{"dashboard", ports.dashboard}, {"script", ports.script}, {"rtde", ports.rtde},
                              {"camera", ports.camera}, {"task", twin_flags->config.task}};
    if (global.json) {
      PrintJson(j);
    } else if (!global.quiet) {
      std::cout << "robot twin of '" << twin_flags->config.task << "' on " << twin_flags->config.address
                << ": dashboard " << ports.dashboard << ", script " << ports.script << ", RTDE " << ports.rtde
                << ", camera " << ports.camera << " (Ctrl-C stops)" << std::endl;
    }
    if (twin_flags->seconds > 0) {
      timespec wait{time_t(twin_flags->seconds), long((twin_flags->seconds - double(time_t(twin_flags->seconds))) * 1e9)};
      sigtimedwait(&signals, nullptr, &wait);
    } else {
      int received = 0;
      sigwait(&signals, &received);
    }
  });

  // taskforge deploy
  auto deploy = std::make_shared<DeployFlags>();
  CLI::App& deploy_cmd = *app.add_subcommand(
      "deploy", "plan (and with --execute, run) pick-and-place actions on a UR arm; see docs/real-robot.md");
  deploy_cmd.add_option("--checkpoint", deploy->checkpoint, "policy checkpoint, or twin-oracle:HOST:PORT")->required();
  deploy_cmd.add_option("--robot", deploy->robot, "the controller's address (HOST or HOST:DASHBOARD_PORT_BASE)")
      ->required();
  deploy_cmd.add_option("--camera", deploy->camera, "files:DIR, twin:HOST:PORT[:INDEX] or v4l2:COLOR,DEPTH,JSON")
      ->required();
  deploy_cmd.add_option("--calibration", deploy->calibration, "camera extrinsics from `taskforge calibrate`")->required();
  deploy_cmd.add_option("--instruction", deploy->instruction, "what to do, in words")->required();
  deploy_cmd.add_flag("--execute", deploy->execute, "move the arm (default: dry run, nothing moves)");
  deploy_cmd.add_option("--actions", deploy->actions, "actions to run with --execute")->check(CLI::Range(1, 100));
  deploy_cmd.add_option("--plan", deploy->plan, "PNG of the planned pick and place")->capture_default_str();
  deploy_cmd.add_option("--limits", deploy->limits, "safety limits JSON (default: the built-in limits)");
  deploy_cmd.callback([&global, deploy] {
    realrobot::DeployConfig config;
    config.instruction = deploy->instruction;
    config.execute = deploy->execute;
    config.max_actions = deploy->actions;
    config.plan_png = deploy->plan;
    if (!deploy->limits.empty()) config.limits = realrobot::LoadSafetyLimits(deploy->limits);
    const realrobot::Calibration calibration = realrobot::LoadCalibration(deploy->calibration);
    std::unique_ptr<Camera> camera = realrobot::OpenCamera(deploy->camera, calibration.world_T_camera);
    std::unique_ptr<realrobot::ActionSource> source = OpenActionSource(deploy->checkpoint);
    std::unique_ptr<realrobot::UrRobot> robot;
    if (deploy->execute) {
      realrobot::UrConfig ur;
      ur.host = deploy->robot;
      if (const size_t colon = deploy->robot.find(':'); colon != std::string::npos) {  // a twin's --port-base
        ur.host = deploy->robot.substr(0, colon);
        const int base = std::stoi(deploy->robot.substr(colon + 1));
        ur.dashboard_port = base;
        ur.script_port = base + 3;
        ur.rtde_port = base + 5;
      }
      ur.limits = config.limits;
      robot = std::make_unique<realrobot::UrRobot>(ur);
    }
    const realrobot::DeployReport report = realrobot::RunDeploy(config, {camera.get()}, *source, robot.get());
    nlohmann::json steps = nlohmann::json::array();
    for (const realrobot::DeployStep& s : report.steps) {
      steps.push_back({{"pick", PoseJson(s.action.pick)},
                       {"place", PoseJson(s.action.place)},
                       {"refused", s.refused},
                       {"executed", s.executed},
                       {"grasped", s.result.grasped}});
      if (!global.json && !global.quiet) {
        std::cout << "pick  " << PoseJson(s.action.pick).dump() << "\nplace " << PoseJson(s.action.place).dump()
                  << (s.executed ? "  (executed)" : "  (planned)") << "\n";
      }
    }
    if (global.json) {
      PrintJson({{"steps", steps}, {"plan", deploy->plan}, {"execute", deploy->execute}, {"aborted", report.aborted}});
    } else if (!global.quiet) {
      std::cout << "plan drawn in " << deploy->plan << "\n";
    }
    TF_THROW_UNLESS(report.ok(), report.aborted);
  });

  // taskforge calibrate
  auto cal = std::make_shared<CalibrateFlags>();
  CLI::App& cal_cmd = *app.add_subcommand("calibrate", "camera-to-robot extrinsics from a printed ChArUco board");
  cal_cmd.add_option("--print-board", cal->print_board, "step 1: write the board to print as PNG, then stop");
  cal_cmd.add_option("--board", cal->board, "SXxSY:SQUARE_M:MARKER_M[:DICT] as printed")->capture_default_str();
  cal_cmd.add_option("--camera", cal->camera, "camera spec (as for deploy)");
  cal_cmd.add_option("--board-origin", cal->origin, "X,Y,Z of the board's top-left corner, touched with the tool tip");
  cal_cmd.add_option("--board-x", cal->along_x, "X,Y,Z of a point further along the board's top edge, touched");
  cal_cmd.add_option("--frames", cal->frames, "frames to try")->check(CLI::Range(1, 100))->capture_default_str();
  cal_cmd.add_option("--output", cal->output, "calibration JSON to write")->capture_default_str();
  cal_cmd.callback([&global, cal] {
    const realrobot::CharucoBoard board = realrobot::ParseBoard(cal->board);
    if (!cal->print_board.empty()) {
      WritePng(cal->print_board, realrobot::RenderCharucoBoard(board, 200));
      if (!global.quiet && !global.json) {
        std::cout << "1. Print " << cal->print_board << " at a scale where one square measures " << board.square_m
                  << " m (measure it; pass the measured sizes with --board).\n"
                     "2. Lay it flat and face up on the table inside the camera's view; tape it down.\n"
                     "3. Jog the tool tip onto its top-left corner (as printed) and note X,Y,Z from the pendant's\n"
                     "   base-frame TCP readout; then onto a corner further along the top edge.\n"
                     "4. Run: taskforge calibrate --camera SPEC --board-origin X,Y,Z --board-x X,Y,Z --output FILE\n";
      }
      if (global.json) PrintJson({{"board_png", cal->print_board}});
      return;
    }
    TF_THROW_UNLESS(!cal->camera.empty() && !cal->origin.empty() && !cal->along_x.empty(),
                    "calibrate needs --camera, --board-origin and --board-x (start with --print-board FILE for the steps)");
    std::unique_ptr<Camera> camera = realrobot::OpenCamera(cal->camera, Pose::Identity());
    realrobot::Calibration result = realrobot::CalibrateCamera(
        *camera, board, ParsePoint(cal->origin, "--board-origin"), ParsePoint(cal->along_x, "--board-x"), cal->frames);
    result.camera = cal->camera;
    realrobot::SaveCalibration(cal->output, result);
    const Vec3 t = result.world_T_camera.translation();
    if (global.json) {
      PrintJson({{"output", cal->output}, {"camera_position", {t.x(), t.y(), t.z()}}, {"corners", result.corners},
                 {"reprojection_px", result.reprojection_px}});
    } else if (!global.quiet) {
      std::cout << "camera at " << t.transpose() << " m in the robot base frame; " << result.corners
                << " corners, reprojection " << result.reprojection_px << " px; written to " << cal->output << "\n";
    }
  });
}

}  // namespace taskforge::cli
