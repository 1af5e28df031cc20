// End to end through the executable: oracle demos -> train (a few steps, narrow network) -> resume
// -> eval in sim on test seeds, each printing its JSON summary last.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

// Runs `taskforge ARGS --json`; returns its exit status and the last stdout line parsed.
std::pair<int, nlohmann::json> RunCli(const std::string& args) {
  FILE* pipe = ::popen((std::string(TASKFORGE_CLI) + " " + args + " --json 2>/dev/null").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  const size_t newline = output.rfind('\n');
  const std::string last = newline == std::string::npos ? output : output.substr(newline + 1);
  return {status, nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false)};
}

}  // namespace

TEST_CASE("taskforge train, resume and eval run end to end", "[policy]") {
  const fs::path root = fs::temp_directory_path() / ("taskforge_policy_cli_" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::string assets = std::string(" --assets ") + TASKFORGE_TEST_ASSETS;
  const std::string data = (root / "demos").string(), run = (root / "run").string();
  REQUIRE(RunCli("demos --tasks block-insertion --episodes 2 --out " + data + assets).first == 0);

  const std::string train = "train --data " + data + " --val " + data + " --tasks block-insertion --batch 1 --width 2"
                            " --checkpoint-every 1 --val-samples 1 --threads 1 --out " + run;
  auto [status, j] = RunCli(train + " --steps 1");
  REQUIRE(status == 0);
  CHECK(j["steps"] == 1);
  std::tie(status, j) = RunCli(train + " --steps 2 --resume");
  REQUIRE(status == 0);
  CHECK(j["start_step"] == 1);
  CHECK(j["steps"] == 2);
  CHECK(j["val_loss"].get<double>() > 0);
  CHECK(fs::exists(root / "run" / "curve.png"));

  std::tie(status, j) = RunCli("eval --checkpoint " + run + "/last.pt --tasks block-insertion --episodes 1 --split test --threads 1" + assets);
  REQUIRE(status == 0);
  REQUIRE(j.contains("tasks"));
  const double rate = j["tasks"]["block-insertion"].get<double>();
  CHECK((rate == 0.0 || rate == 1.0));
  CHECK(j["mean_success"].get<double>() == rate);
  CHECK(j["step"] == 2);

  CHECK(RunCli("eval --checkpoint " + run + "/missing.pt --tasks block-insertion --episodes 1").first != 0);

  SECTION("and the checkpoint plans a pick and place on the robot twin (deploy dry run)") {
    const int port_base = 41000 + int(::getpid() % 500) * 20;
    const fs::path calibration = root / "calibration.json", plan = root / "plan.png";
    const std::string twin = std::string(TASKFORGE_CLI) + " robot-twin --task block-insertion --seconds 60 --port-base " +
                             std::to_string(port_base) + " --write-calibration " + calibration.string() + " > /dev/null 2>&1 &";
    REQUIRE(std::system(twin.c_str()) == 0);
    for (int i = 0; i < 300 && !fs::exists(calibration); ++i) ::usleep(100'000);  // the twin writes it once serving
    REQUIRE(fs::exists(calibration));
    std::tie(status, j) = RunCli("deploy --checkpoint " + run + "/last.pt --robot 127.0.0.1 --camera twin:127.0.0.1:" +
                                 std::to_string(port_base + 11) + " --calibration " + calibration.string() +
                                 " --instruction 'insert the block into the fixture' --plan " + plan.string());
    CHECK(status == 0);
    CHECK(fs::file_size(plan) > 1000);
  }
  fs::remove_all(root);
}
