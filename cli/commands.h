#pragma once
// Registration of the subcommands; each Add* function adds its commands to the app.

#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace taskforge::cli {

/// Global flags every command sees.
struct GlobalOptions {
  bool json = false;   ///< machine-readable: the last stdout line is one JSON object
  bool quiet = false;  ///< no progress or chatter
};

/// Prints `j` on one line of stdout: with --json, a command's last line.
inline void PrintJson(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

/// `taskforge sim ...` and `taskforge bench sim`.
void AddSimCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench);
/// `taskforge tasks`, `run`, `render` and `bench tasks`.
void AddTaskCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench);
/// `taskforge library ...`, `validate` and `bench validate`.
void AddLibraryCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench);

/// `taskforge generate` (the LLM task generator).
void AddGenerateCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench);

/// `taskforge robot-twin`, `deploy` and `calibrate` (docs/real-robot.md).
void AddRobotCommands(CLI::App& app, const GlobalOptions& global);

/// `taskforge demos` and `taskforge dataset info|index|gif`.
void AddDatasetCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench);
/// `taskforge report`.
void AddReportCommands(CLI::App& app, const GlobalOptions& global);
/// `taskforge train`, `taskforge eval` and `taskforge bench policy`.
void AddPolicyCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench);

}  // namespace taskforge::cli
