// The deploy loop end to end through the twin: camera frames over TCP fused into the sim's
// heightmap, the twin oracle's action, the safety check, the plan PNG and the pick and place.
#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <thread>

#include "realrobot/twin_fixture.h"
#include "taskforge/realrobot/camera.h"
#include "taskforge/realrobot/deploy.h"
#include "v4l2_camera.h"

using namespace taskforge;
using namespace taskforge::realrobot;

namespace {

// The twin's front camera pose: what a calibration would give.
Pose TwinCameraPose() { return RavensAgentCameras()[0].world_T_camera; }

// An action source that moves the oracle's place far out of the workspace.
class OutOfBounds : public ActionSource {
 public:
  explicit OutOfBounds(ActionSource& inner) : inner_(inner) {}
  std::optional<PickPlaceAction> Act(const Observation& obs, const std::string& text) override {
    std::optional<PickPlaceAction> a = inner_.Act(obs, text);
    if (a) a->place.translation().x() += 0.6;
    return a;
  }

 private:
  ActionSource& inner_;
};

std::filesystem::path TempDir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("taskforge_realrobot_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Passes the oracle's action through and keeps the heightmap height under the pick.
class Recording : public ActionSource {
 public:
  explicit Recording(ActionSource& inner) : inner_(inner) {}
  std::optional<PickPlaceAction> Act(const Observation& obs, const std::string& text) override {
    std::optional<PickPlaceAction> a = inner_.Act(obs, text);
    if (a) {
      const std::array<int, 2> cell = WorldToPixel(a->pick.translation());
      pick_height = obs.heightmap.height.at(cell[0], cell[1]);
    }
    return a;
  }
  float pick_height = -1.0f;

 private:
  ActionSource& inner_;
};

}  // namespace

TEST_CASE("deploy through the twin: dry run plans, execute picks and places", "[realrobot][deploy][twin]") {
  twin::RobotTwin twin(testing::TestTwinConfig());
  const int port = twin.ports().camera;
  std::unique_ptr<Camera> camera = OpenCamera("twin:127.0.0.1:" + std::to_string(port), TwinCameraPose());
  std::unique_ptr<ActionSource> oracle = OpenTwinOracle("127.0.0.1", port);
  const std::filesystem::path dir = TempDir("deploy");
  DeployConfig config;
  config.instruction = "put the blocks in the bowls";
  config.plan_png = dir / "plan.png";

  Recording recording(*oracle);
  const DeployReport dry = RunDeploy(config, {camera.get()}, recording, nullptr);
  // The heightmap fused from the twin's depth over TCP sees the block the oracle picks.
  CHECK(recording.pick_height > 0.02f);
  REQUIRE(dry.ok());
  REQUIRE(dry.steps.size() == 1);
  CHECK_FALSE(dry.steps[0].executed);
  CHECK(std::filesystem::file_size(config.plan_png) > 1000);
  CHECK(twin.counters().motions == 0);

  UrRobot robot(testing::DriverConfigFor(twin));
  config.execute = true;
  config.limits.max_frame_age_s = 30.0;  // the twin renders on a software rasteriser
  const DeployReport run = RunDeploy(config, {camera.get()}, *oracle, &robot);
  INFO(run.aborted);
  REQUIRE(run.ok());
  REQUIRE(run.steps.size() == 1);
  CHECK(run.steps[0].executed);
  CHECK(run.steps[0].result.grasped);
  CHECK(twin.counters().motions > 4);
}

TEST_CASE("deploy refuses an out-of-bounds action and a stale frame without moving", "[realrobot][deploy][safety]") {
  twin::RobotTwin twin(testing::TestTwinConfig());
  const int port = twin.ports().camera;
  std::unique_ptr<Camera> camera = OpenCamera("twin:127.0.0.1:" + std::to_string(port), TwinCameraPose());
  std::unique_ptr<ActionSource> oracle = OpenTwinOracle("127.0.0.1", port);
  UrRobot robot(testing::DriverConfigFor(twin));
  DeployConfig config;
  config.execute = true;

  OutOfBounds bad(*oracle);
  const DeployReport refused = RunDeploy(config, {camera.get()}, bad, &robot);
  CHECK_THAT(refused.aborted, Catch::Contains("refused by the safety limits, nothing moved") &&
                                  Catch::Contains("beyond the workspace box"));
  REQUIRE(refused.steps.size() == 1);
  CHECK_FALSE(refused.steps[0].executed);

  config.limits.max_frame_age_s = 0.0;  // every frame is too old
  const DeployReport stale = RunDeploy(config, {camera.get()}, *oracle, &robot);
  CHECK_THAT(stale.aborted, Catch::Contains("camera frame is") && Catch::Contains("old"));
  CHECK(twin.counters().motions == 0);
}

TEST_CASE("file-sequence camera reads what was recorded, depth in 16-bit PNG", "[realrobot][camera]") {
  const std::filesystem::path dir = TempDir("files");
  CameraConfig intrinsics;
  intrinsics.width = 8;
  intrinsics.height = 4;
  WriteIntrinsics(dir / "intrinsics.json", intrinsics, 0.001);
  RgbdFrame frame;
  frame.color = ColorImage(4, 8, 3, 0);
  frame.depth = DepthImage(4, 8, 1, 0.0f);
  frame.color.at(1, 2, 0) = 200;
  frame.depth.at(3, 7) = 1.234f;
  frame.depth.at(0, 0) = 70.0f;  // beyond 16 bits of millimetres: saturates
  WriteFrameFiles(dir, 0, frame, 0.001);
  std::unique_ptr<Camera> camera = OpenCamera("files:" + dir.string(), Pose::Identity());
  CHECK(camera->config().width == 8);
  const RgbdFrame back = camera->Capture();
  CHECK(back.color.at(1, 2, 0) == 200);
  CHECK(back.depth.at(3, 7) == Approx(1.234).margin(1e-6));
  CHECK(back.depth.at(0, 0) == Approx(65.535).margin(1e-6));
  CHECK(back.depth.at(2, 2) == 0.0f);
  CHECK_THROWS_WITH(camera->Capture(), Catch::Contains("no frame 1") && Catch::Contains("color_000001.png"));
  CHECK_THROWS_WITH(OpenCamera("files:" + (dir / "nope").string(), Pose::Identity()),
                    Catch::Contains("cannot read camera intrinsics"));
  CHECK_THROWS_WITH(OpenCamera("kinect", Pose::Identity()), Catch::Contains("must start with files:, twin: or v4l2:"));
}

TEST_CASE("V4L2 pixel conversions and a clear error without a device", "[realrobot][camera]") {
  // YUYV: two pixels share U and V; grey (Y=128, U=V=128) and a saturated red pair.
  const uint8_t yuyv[] = {128, 128, 128, 128, 76, 85, 76, 255};
  ColorImage rgb;
  YuyvToRgb(yuyv, 4, 1, rgb);
  CHECK(rgb.at(0, 0, 0) == 128);
  CHECK(rgb.at(0, 1, 2) == 128);
  CHECK(rgb.at(0, 2, 0) >= 250);  // red
  CHECK(rgb.at(0, 2, 1) < 5);
  CHECK(rgb.at(0, 3, 2) < 5);
  const uint8_t z16[] = {0xd2, 0x04, 0x00, 0x00};  // 1234 units, then no reading
  DepthImage depth;
  Z16ToMetres(z16, 2, 1, 0.001, depth);
  CHECK(depth.at(0, 0) == Approx(1.234));
  CHECK(depth.at(0, 1) == 0.0f);
  CHECK_THROWS_WITH(OpenCamera("v4l2:/dev/taskforge-no-such-video,/dev/video1,x.json", Pose::Identity()),
                    Catch::Contains("cannot read camera intrinsics 'x.json'"));
  const std::filesystem::path dir = TempDir("v4l2");
  WriteIntrinsics(dir / "depth.json", CameraConfig{}, 0.001);
  CHECK_THROWS_WITH(OpenCamera("v4l2:/dev/taskforge-no-such-video,/dev/video1," + (dir / "depth.json").string(),
                               Pose::Identity()),
                    Catch::Contains("cannot open camera device '/dev/taskforge-no-such-video'"));
}

TEST_CASE("a protective stop during deploy aborts the episode with a clear message", "[realrobot][deploy][fault]") {
  twin::RobotTwin twin(testing::TestTwinConfig(2.0));
  const int port = twin.ports().camera;
  std::unique_ptr<Camera> camera = OpenCamera("twin:127.0.0.1:" + std::to_string(port), TwinCameraPose());
  std::unique_ptr<ActionSource> oracle = OpenTwinOracle("127.0.0.1", port);
  realrobot::UrConfig robot_config = testing::DriverConfigFor(twin);
  robot_config.limits.max_joint_speed_rad_s = 0.5;
  UrRobot robot(robot_config);
  DeployConfig config;
  config.execute = true;
  config.limits.max_frame_age_s = 30.0;
  std::future<DeployReport> run =
      std::async(std::launch::async, [&] { return RunDeploy(config, {camera.get()}, *oracle, &robot); });
  for (int i = 0; i < 4000 && twin.counters().motions < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  twin.TriggerProtectiveStop();
  const DeployReport report = run.get();
  REQUIRE(report.steps.size() == 1);
  CHECK(report.steps[0].executed);
  CHECK_THAT(report.aborted, Catch::StartsWith("action 1 stopped in its") && Catch::Contains("PROTECTIVE_STOP") &&
                                 Catch::Contains("teach pendant"));
  CHECK_FALSE(twin.counters().program_running);
}
