// The driver against the twin through real sockets: a full pick-and-place of the scripted
// oracle's action with core's unchanged PickPlace primitive, and the faults that must end safely.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "realrobot/twin_fixture.h"
#include "taskforge/core/primitives.h"
#include "taskforge/realrobot/control_program.h"
#include "taskforge/realrobot/tcp.h"
#include "taskforge/realrobot/safety.h"

using namespace taskforge;
using namespace taskforge::realrobot;

namespace {

// The object body nearest a point (the block the oracle picks).
sim::BodyId NearestObject(sim::Sim& sim, const Vec3& point) {
  sim::BodyId best = 0;
  double best_d = 1e9;
  for (sim::BodyId body : sim.objects()) {
    const double d = (sim.body_pose(body).translation() - point).head<2>().norm();
    if (d < best_d) best_d = d, best = body;
  }
  return best;
}

// Waits (bounded) until `done` holds; the caller asserts the state afterwards.
template <typename Pred>
void WaitUntil(Pred done) {
  for (int i = 0; i < 2000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

JointVector TwinJoints(twin::RobotTwin& twin) {
  JointVector q{};
  twin.WithEpisode([&](tasks::Episode& e) { q = e.sim().arm().joint_positions(); });
  return q;
}

double JointDistance(const JointVector& a, const JointVector& b) {
  double d = 0.0;
  for (size_t i = 0; i < 6; ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// A far tool pose the arm reaches in a long joint move from home.
const Pose kFarPose = DownwardToolPose(Vec3(0.45, -0.4, 0.25), 0.0);

}  // namespace

TEST_CASE("a twin episode: the oracle's pick and place runs through RTDE, URScript and Dashboard",
          "[realrobot][twin]") {
  twin::RobotTwin twin(testing::TestTwinConfig());
  UrRobot robot(testing::DriverConfigFor(twin));
  const UrStatus status = robot.status();
  CHECK(status.controller_version == "5.11.1.0");
  CHECK(status.frequency_hz == 500.0);
  CHECK(status.robot_mode == 7);  // the driver powered the arm up and released the brakes
  CHECK(twin.counters().programs_started == 1);

  tasks::Action action;
  sim::BodyId block = 0;
  twin.WithEpisode([&](tasks::Episode& e) {
    const std::optional<tasks::Action> oracle = e.OracleAct();
    REQUIRE(oracle);
    action = *oracle;
    block = NearestObject(e.sim(), action.pose0.translation());
  });
  CHECK(CheckPickPlace(action.pose0, action.pose1, robot.config().limits).empty());
  // The joint poses reported over RTDE match the simulation's.
  CHECK(JointDistance(robot.arm().joint_positions(), TwinJoints(twin)) < 1e-3);

  const PrimitiveResult result = PickPlace(robot.arm(), robot.gripper(), action.pose0, action.pose1);
  INFO(robot.last_error());
  REQUIRE(result.ok());
  CHECK(result.grasped);
  CHECK_FALSE(robot.gripper().CheckGrasp());  // released at the place
  twin.WithEpisode([&](tasks::Episode& e) {
    e.sim().SettleUntilStatic();
    const Vec3 placed = e.sim().body_pose(block).translation();
    INFO("block at " << placed.transpose() << ", place " << action.pose1.translation().transpose());
    CHECK((placed - action.pose1.translation()).head<2>().norm() < 0.03);
  });
  CHECK(twin.counters().motions > 4);
}

TEST_CASE("an out-of-bounds action is refused and nothing moves", "[realrobot][twin][safety]") {
  twin::RobotTwin twin(testing::TestTwinConfig());
  UrRobot robot(testing::DriverConfigFor(twin));
  const JointVector before = TwinJoints(twin);
  const int motions = twin.counters().motions;

  const Pose below_table = DownwardToolPose(Vec3(0.5, 0.0, -0.05), 0.0);
  CHECK(robot.arm().MoveTool(below_table, 1.0) == MotionStatus::kFault);
  CHECK_THAT(robot.last_error(), Catch::Contains("refused by the safety limits") && Catch::Contains("tool z -0.050"));
  const Pose tilted = Pose(Eigen::Translation3d(0.5, 0.0, 0.3));  // pointing up
  CHECK(robot.arm().MoveTool(tilted, 1.0) == MotionStatus::kFault);
  CHECK_THAT(robot.last_error(), Catch::Contains("tilted"));
  CHECK_FALSE(robot.arm().CanReach(below_table));

  const Pose pick = MakePlanarPose(Vec3(0.5, 0.0, 0.02), 0.0);
  const Pose outside = MakePlanarPose(Vec3(1.1, 0.0, 0.02), 0.0);
  const std::vector<std::string> problems = CheckPickPlace(pick, outside, robot.config().limits);
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Catch::StartsWith("carry: tool x 1.100 m is beyond the workspace box"));
  CHECK(twin.counters().motions == motions);
  CHECK(JointDistance(TwinJoints(twin), before) < 1e-3);
}

TEST_CASE("a connection dropped mid-move stops the arm and fails the move clearly", "[realrobot][twin][fault]") {
  twin::RobotTwin twin(testing::TestTwinConfig(1.0));
  realrobot::UrConfig config = testing::DriverConfigFor(twin);
  config.limits.max_joint_speed_rad_s = 0.3;  // a move of several seconds
  UrRobot robot(config);
  const JointVector start = TwinJoints(twin);
  const int motions = twin.counters().motions;
  std::future<MotionStatus> move = std::async(std::launch::async, [&] { return robot.arm().MoveTool(kFarPose, 1.0); });
  WaitUntil([&] { return twin.counters().motions > motions && JointDistance(robot.arm().joint_positions(), start) > 0.02; });
  twin.DropConnections();
  CHECK(move.get() == MotionStatus::kFault);
  CHECK_THAT(robot.last_error(), Catch::Contains("lost the RTDE connection") || Catch::Contains("closed"));
  WaitUntil([&] { return !twin.counters().program_running; });
  const twin::TwinCounters counters = twin.counters();
  CHECK_FALSE(counters.program_running);
  CHECK_THAT(counters.last_stop, Catch::StartsWith("watchdog"));
  // The arm stopped on its way: well short of the far pose, and it stays there.
  const JointVector stopped = TwinJoints(twin);
  Pose tool;
  twin.WithEpisode([&](tasks::Episode& e) {
    e.sim().Step(480);
    tool = e.sim().arm().tool_pose();
  });
  CHECK((tool.translation() - kFarPose.translation()).norm() > 0.05);
  CHECK(JointDistance(TwinJoints(twin), stopped) < 1e-3);
}

TEST_CASE("a protective stop aborts the move with a clear message", "[realrobot][twin][fault]") {
  twin::RobotTwin twin(testing::TestTwinConfig(1.0));
  realrobot::UrConfig config = testing::DriverConfigFor(twin);
  config.limits.max_joint_speed_rad_s = 0.3;
  UrRobot robot(config);
  const JointVector start = TwinJoints(twin);
  std::future<MotionStatus> move = std::async(std::launch::async, [&] { return robot.arm().MoveTool(kFarPose, 1.0); });
  WaitUntil([&] { return JointDistance(robot.arm().joint_positions(), start) > 0.02; });
  twin.TriggerProtectiveStop();
  CHECK(move.get() == MotionStatus::kFault);
  CHECK_THAT(robot.last_error(), Catch::Contains("PROTECTIVE_STOP") && Catch::Contains("teach pendant"));
  CHECK(robot.status().safety_mode == 3);
  CHECK_THAT(twin.counters().last_stop, Catch::Equals("protective stop"));
  Pose tool;
  twin.WithEpisode([&](tasks::Episode& e) { tool = e.sim().arm().tool_pose(); });
  CHECK((tool.translation() - kFarPose.translation()).norm() > 0.05);
  // Nothing more moves until it is cleared.
  CHECK(robot.arm().MoveTool(kFarPose, 1.0) == MotionStatus::kFault);
  CHECK(robot.Dashboard("unlock protective stop") == "Protective stop releasing");
  CHECK(robot.Dashboard("safetystatus") == "Safetystatus: NORMAL");
}

TEST_CASE("the twin runs only taskforge's control program, powered and out of protective stop",
          "[realrobot][twin]") {
  twin::TwinConfig config = testing::TestTwinConfig();
  config.start_powered = true;
  twin::RobotTwin twin(config);
  const std::string program = control::ControlProgram(0.25);
  CHECK(program.rfind(std::string(control::kDefinition) + "\n" + control::kHeader + "\n", 0) == 0);
  CHECK_THAT(program, Catch::Contains("stale_limit = ceil(0.25 / get_steptime())"));
  auto send = [&](const std::string& text) {
    Socket script = Socket::Connect("127.0.0.1", twin.ports().script);
    script.SendAll(text);
    // The twin reads to the final `end`, acts, and hangs up: wait for that.
    uint8_t byte = 0;
    CHECK_THROWS_WITH(script.ReadExact(&byte, 1, 5.0), Catch::Contains("closed by the peer"));
    Socket dashboard = Socket::Connect("127.0.0.1", twin.ports().dashboard);
    dashboard.ReadLine(5.0);
    dashboard.SendAll("programState\n");
    return dashboard.ReadLine(5.0);
  };
  CHECK(send("def other():\n  textmsg(\"hello\")\nend\n") == "STOPPED taskforge_control");
  CHECK(twin.counters().programs_started == 0);
  twin.TriggerProtectiveStop();
  CHECK(send(program) == "STOPPED taskforge_control");
  {
    Socket dashboard = Socket::Connect("127.0.0.1", twin.ports().dashboard);
    dashboard.ReadLine(5.0);
    dashboard.SendAll("unlock protective stop\n");
    CHECK(dashboard.ReadLine(5.0) == "Protective stop releasing");
  }
  CHECK(send(program) == "PLAYING taskforge_control");
  CHECK(twin.counters().programs_started == 1);
}
