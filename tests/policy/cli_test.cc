// End to end through the executable: oracle demos -> train (a few steps, narrow network) -> resume
// -> eval in sim on test seeds, each printing its JSON summary last.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "taskforge/policy/policy.h"

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
  auto [status, j] = RunCli(train + " --steps 2 --time-limit 1e-9");  // 60 ns: stops after step 1
  REQUIRE(status == 0);
  CHECK(j["steps"] == 1);
  CHECK(j["stopped_by_time_limit"] == true);
  CHECK(fs::exists(root / "run" / "step_1.pt"));
  std::tie(status, j) = RunCli(train + " --steps 2 --resume");
  REQUIRE(status == 0);
  CHECK(j["start_step"] == 1);
  CHECK(j["steps"] == 2);
  CHECK(j["stopped_by_time_limit"] == false);
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

TEST_CASE("taskforge eval gives the same results in one worker and in two", "[policy]") {
  const fs::path root = fs::temp_directory_path() / ("taskforge_policy_eval_jobs_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  // An untrained narrow network on the simulator's full grid: its actions are arbitrary but
  // deterministic, which is all that comparing worker counts needs.
  taskforge::policy::PolicyConfig config;
  config.width = 2;
  config.rotations = 4;
  config.lang_dim = 16;
  config.lang_heads = 2;
  config.vocab_buckets = 256;
  config.threads = 1;
  config.seed = 3;
  const fs::path checkpoint = root / "untrained.pt";
  taskforge::policy::Policy::Create(config).Save(checkpoint);

  const std::string eval = "eval --checkpoint " + checkpoint.string() +
                           " --tasks block-insertion,packing-shapes --episodes 3 --split test --threads 1 --assets " +
                           TASKFORGE_TEST_ASSETS;
  const auto [status1, one] = RunCli(eval + " --jobs 1");
  const auto [status2, two] = RunCli(eval + " --jobs 2");
  REQUIRE(status1 == 0);
  REQUIRE(status2 == 0);
  CHECK(one["jobs"] == 1);
  CHECK(two["jobs"] == 2);
  CHECK(one["step"] == 0);
  REQUIRE(one["tasks"].size() == 2);
  CHECK(one["tasks"] == two["tasks"]);
  CHECK(one["mean_reward"] == two["mean_reward"]);
  CHECK(one["mean_success"] == two["mean_success"]);
  CHECK(one["per_episode"] == two["per_episode"]);
  const nlohmann::json& episodes = one["per_episode"]["block-insertion"];
  REQUIRE(episodes.size() == 3);
  CHECK(episodes[1]["seed"] == 10003);  // test seeds: 10001 + 2i
  double reward = 0;
  for (const auto& e : episodes) reward += e["reward"].get<double>();
  CHECK(one["mean_reward"]["block-insertion"].get<double>() == Approx(reward / 3));
  for (const auto& [task, list] : one["per_episode"].items()) {
    for (const auto& e : list) CHECK(e["actions"].get<int>() >= 1);
  }

  // A checkpoint that is missing fails in the workers: the command exits non-zero.
  const int bad_status = RunCli("eval --checkpoint " + (root / "missing.pt").string() +
                                        " --tasks block-insertion --episodes 2 --jobs 2").first;
  CHECK(bad_status != 0);
  fs::remove_all(root);
}
