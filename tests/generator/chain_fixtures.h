#pragma once
// Model answers for the chain tests and the shipped offline session: what a model would write at
// each stage, and the new tasks in generator/sessions/offline-demo/ (which pass the validator).

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "taskforge/generator/generator.h"  // before httplib (see chain_test.cc)
#include "fake_provider.h"

namespace taskforge::testing {

inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::filesystem::path(TASKFORGE_SOURCE_DIR) / relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string DemoTask(const std::string& name) {
  return ReadSourceFile("generator/sessions/offline-demo/" + name + ".lua");
}

inline std::string ProposeAnswer(const std::string& name, const std::string& description,
                                 const std::vector<std::string>& assets) {
  return "Here is a new task that the library does not have yet.\n\n" +
         nlohmann::json{{"name", name}, {"description", description}, {"assets", assets}}.dump(2) + "\n";
}

inline std::string ApiAnswer(const std::string& needs) {
  return "Understood. I will use " + needs +
         ". Poses are {pos = {x, y, z}, yaw = a}, objects rest at z = height / 2, and the goal rewards add up to 1.";
}

inline std::string CodeAnswer(const std::string& lua) {
  return "Here is the task script.\n\n```lua\n" + lua + "```\n\nEvery goal can be completed by the oracle in order.";
}

inline std::string Verdict(bool accept, const std::string& reasons) {
  return nlohmann::json{{"reasons", reasons}, {"accept", accept ? "yes" : "no"}}.dump();
}

/// Proposal, API review and code answers for a task that passes on the first script, then `k`
/// reflection verdicts of yes.
inline void PushGoodTrial(FakeProvider& server, const std::string& name, const std::string& description,
                          const std::vector<std::string>& assets, int k = 2) {
  server.Push(Answer(ProposeAnswer(name, description, assets)));
  server.Push(Answer(ApiAnswer("env.add_object, env.random_pose and env.add_goal")));
  server.Push(Answer(CodeAnswer(DemoTask(name))));
  for (int i = 0; i < k; ++i) server.Push(Answer(Verdict(true, "New: no library task uses this layout, and the code matches.")));
}

/// A generator config for tests: few episodes, a fresh run directory.
inline generator::GenerateConfig TestGenerateConfig(const std::filesystem::path& run_dir) {
  generator::GenerateConfig config;
  config.run_dir = run_dir;
  config.validator.episodes = 4;
  config.validator.assets_dir = TASKFORGE_TEST_ASSETS;
  config.reflections = 2;
  config.repair_rounds = 3;
  return config;
}

}  // namespace taskforge::testing
