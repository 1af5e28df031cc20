// taskforge: turns a language model into robot-manipulation training data and policies.
#include <exception>
#include <iostream>

#include "commands.h"
#include "taskforge/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"taskforge: an LLM-driven factory of robot-manipulation tasks, demos and policies"};
  app.set_version_flag("--version", std::string("taskforge ") + TASKFORGE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand: `taskforge bench sim --json`
  taskforge::cli::GlobalOptions global;
  app.add_flag("--json", global.json, "print one JSON object as the last line of output");
  app.add_flag("-q,--quiet", global.quiet, "print nothing but results");

  CLI::App& bench = *app.add_subcommand("bench", "measure speed (see docs/benchmarks.md)");
  bench.require_subcommand(1);
  taskforge::cli::AddSimCommands(app, global, bench);
  taskforge::cli::AddTaskCommands(app, global, bench);
  taskforge::cli::AddLibraryCommands(app, global, bench);
  taskforge::cli::AddGenerateCommands(app, global, bench);
  taskforge::cli::AddRobotCommands(app, global);
  taskforge::cli::AddDatasetCommands(app, global, bench);
  taskforge::cli::AddReportCommands(app, global);
  taskforge::cli::AddPolicyCommands(app, global, bench);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0, a command's own failure (CLI::RuntimeError) its code, bad usage 2.
    const int code = app.exit(e);
    return code == 0 || dynamic_cast<const CLI::RuntimeError*>(&e) ? code : 2;
  } catch (const taskforge::Error& e) {
    std::cerr << "taskforge: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "taskforge: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
