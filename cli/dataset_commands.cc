// `taskforge demos` and `taskforge dataset info|gif|index` (docs/dataset.md).
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/core/error.h"
#include "taskforge/core/progress.h"
#include "taskforge/dataset/dataset.h"
#include "taskforge/dataset/demos.h"

namespace taskforge::cli {
namespace {

struct DemoFlags {
  std::string tasks;
  std::string shard = "0/1";
  std::string library;
  dataset::DemoConfig config;
};

// "I/N" -> (I, N). @throws Error naming the flag's value.
void ParseShard(const std::string& text, int& shard, int& shards) {
  int consumed = 0;
  const bool parsed = std::sscanf(text.c_str(), "%d/%d%n", &shard, &shards, &consumed) == 2 &&
                      consumed == int(text.size());
  TF_THROW_UNLESS(parsed && shards >= 1 && shard >= 0 && shard < shards, "--shard '", text,
                  "' is not I/N with 0 <= I < N (e.g. 0/2)");
}

nlohmann::json ReportJson(const dataset::DemoReport& r) {
  return {{"episodes", r.episodes}, {"attempts", r.attempts}, {"failed_slots", r.failed_slots},
          {"skipped_slots", r.skipped_slots}, {"frames", r.frames}, {"bytes", r.bytes},
          {"bytes_per_frame", r.bytes_per_frame}, {"episodes_per_s", r.episodes_per_s}, {"wall_s", r.wall_s},
          {"problems", r.problems}, {"dataset_episodes", r.dataset_episodes}};
}

void AddDemosCommand(CLI::App& app, const GlobalOptions& global) {
  auto flags = std::make_shared<DemoFlags>();
  dataset::DemoConfig& c = flags->config;
  CLI::App& demos = *app.add_subcommand("demos", "record successful oracle episodes into a dataset folder");
  demos.add_option("--tasks", flags->tasks, "comma-separated task names, or 'all'")->required();
  demos.add_option("--split", c.split, "train (seeds 0, 2, ...), val (1, 3, ...) or test (10001, 10003, ...)")
      ->check(CLI::IsMember({"train", "val", "test"}))
      ->capture_default_str();
  demos.add_option("--episodes", c.episodes, "successful episodes per task (N; at most 3N attempts)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  demos.add_option("--out", c.out, "dataset folder")->required();
  demos.add_option("--jobs", c.jobs, "worker processes")->check(CLI::Range(1, 1024))->capture_default_str();
  demos.add_option("--shard", flags->shard, "do shard I of N (I/N) of the slots; N runs fill one dataset")
      ->capture_default_str();
  demos.add_flag("--resume", c.resume, "continue an interrupted run: skip finished slots, redo corrupt ones");
  demos.add_flag("--raw", c.raw, "also store the agent cameras' RGB-D (about 100x larger)");
  demos.add_option("--level", c.compression_level, "zstd level")->check(CLI::Range(1, 19))->capture_default_str();
  demos.add_option("--library", flags->library, "task folder (default: $TASKFORGE_TASKS or the source tree's)");
  demos.add_option("--assets", c.assets_dir, "assets directory (default: $TASKFORGE_ASSETS or the source tree's)");
  demos.callback([&global, flags] {
    dataset::DemoConfig config = flags->config;
    config.library_dir = flags->library;
    ParseShard(flags->shard, config.shard, config.shards);
    config.tasks = dataset::ExpandTasks(flags->tasks, config.library_dir);
    std::unique_ptr<ProgressBar> bar;
    const dataset::DemoReport report = dataset::GenerateDemos(config, [&](const dataset::DemoReport& r) {
      if (!bar) bar = std::make_unique<ProgressBar>("demos", r.slots_total, "slots", !global.quiet && !global.json);
      bar->Update(r.slots_done, std::to_string(r.episodes) + " episodes, " + std::to_string(r.attempts) +
                                    " attempts, " + std::to_string(r.failed_slots) + " failed");
    });
    bar.reset();
    for (const std::string& problem : report.problems) std::cerr << "taskforge: corrupt file redone: " << problem << "\n";
    if (global.json) {
      nlohmann::json j = ReportJson(report);
      j["jobs"] = config.jobs;
      j["shard"] = flags->shard;
      j["tasks"] = config.tasks;
      PrintJson(j);
    } else if (!global.quiet) {
      std::cout << std::fixed << std::setprecision(2) << report.episodes << " episodes (" << report.attempts
                << " attempts, " << report.failed_slots << " slots failed, " << report.skipped_slots
                << " already done), " << report.frames << " frames, " << report.bytes_per_frame / 1e3
                << " kB/frame, " << report.episodes_per_s << " episodes/s, " << report.wall_s << " s; "
                << config.out.string() << " now holds " << report.dataset_episodes << " episodes\n";
    }
  });
}

void AddDatasetGroup(CLI::App& app, const GlobalOptions& global) {
  CLI::App& group = *app.add_subcommand("dataset", "inspect a demonstration dataset");
  group.require_subcommand(1);

  auto dir = std::make_shared<std::string>();
  auto verify = std::make_shared<bool>(false);
  CLI::App& info = *group.add_subcommand("info", "tasks, episodes, steps and sizes (from the index)");
  info.add_option("dir", *dir, "dataset folder")->required();
  info.add_flag("--verify", *verify, "read every file and check it against the index");
  info.callback([&global, dir, verify] {
    const dataset::DatasetReader reader(*dir);
    const dataset::Index& index = reader.index();
    struct Row {
      long episodes = 0, frames = 0;
      uint64_t bytes = 0;
    };
    std::map<std::string, Row> rows;
    Row total;
    std::vector<std::string> corrupt = index.problems;
    for (size_t i = 0; i < index.episodes.size(); ++i) {
      const dataset::IndexEntry& e = index.episodes[i];
      for (Row* row : {&rows[e.task], &total}) {
        ++row->episodes;
        row->frames += e.frames;
        row->bytes += e.bytes;
      }
      if (*verify) {
        if (std::string problem = reader.Verify(int(i)); !problem.empty()) corrupt.push_back(problem);
      }
    }
    nlohmann::json tasks = nlohmann::json::array();
    for (const std::string& task : index.manifest.tasks) {
      const Row& r = rows[task];
      tasks.push_back({{"task", task}, {"episodes", r.episodes}, {"frames", r.frames}, {"bytes", r.bytes}});
      if (!global.json) {
        std::cout << std::left << std::setw(40) << task << std::right << std::setw(6) << r.episodes << " episodes"
                  << std::setw(8) << r.frames << " frames" << std::fixed << std::setprecision(1) << std::setw(10)
                  << double(r.bytes) / 1e3 << " kB" << std::setw(8)
                  << (r.frames ? double(r.bytes) / 1e3 / double(r.frames) : 0.0) << " kB/frame\n";
      }
    }
    const double per_frame = total.frames ? double(total.bytes) / double(total.frames) : 0.0;
    const nlohmann::json j = {{"split", index.manifest.split}, {"episodes_per_task", index.manifest.episodes_per_task},
                              {"raw", index.manifest.raw}, {"tasks", tasks}, {"episodes", total.episodes},
                              {"frames", total.frames}, {"bytes", total.bytes}, {"bytes_per_frame", per_frame},
                              {"failed_slots", index.failed.size()}, {"problems", corrupt}};
    for (const std::string& problem : corrupt) std::cerr << "taskforge: problem: " << problem << "\n";
    if (global.json) {
      PrintJson(j);
    } else {
      std::cout << "total: " << total.episodes << " episodes, " << total.frames << " frames, " << std::setprecision(1)
                << double(total.bytes) / 1e6 << " MB (" << per_frame / 1e3 << " kB/frame), split " << index.manifest.split << ", " << index.failed.size() << " failed slots, "
                << corrupt.size() << " problems\n";
    }
    TF_THROW_UNLESS(corrupt.empty(), corrupt.size(), " corrupt or truncated file(s) in ", *dir);
  });

  auto index_dir = std::make_shared<std::string>();
  CLI::App& index = *group.add_subcommand("index", "check every episode file and rebuild index.json "
                                                   "(after copying shards made on other machines into one folder)");
  index.add_option("dir", *index_dir, "dataset folder")->required();
  index.callback([&global, index_dir] {
    const dataset::Index built = dataset::BuildIndex(*index_dir);
    for (const std::string& problem : built.problems) std::cerr << "taskforge: problem: " << problem << "\n";
    if (global.json) {
      PrintJson({{"episodes", built.episodes.size()}, {"failed_slots", built.failed.size()},
                 {"problems", built.problems}});
    } else if (!global.quiet) {
      std::cout << built.episodes.size() << " episodes indexed, " << built.failed.size() << " failed slots, "
                << built.problems.size() << " problems\n";
    }
    TF_THROW_UNLESS(built.problems.empty(), built.problems.size(), " corrupt or truncated file(s) in ", *index_dir);
  });

  struct GifFlags {
    std::string dir, episode, out, library, assets;
  };
  auto gif = std::make_shared<GifFlags>();
  CLI::App& gif_cmd = *group.add_subcommand("gif", "an animated picture of an episode: top-down map and front camera");
  gif_cmd.add_option("dir", gif->dir, "dataset folder")->required();
  gif_cmd.add_option("--episode", gif->episode, "episode id TASK/SLOT (see index.json)")->required();
  gif_cmd.add_option("--out", gif->out, "GIF file to write")->required();
  gif_cmd.add_option("--library", gif->library, "task folder for the replay (datasets without --raw)");
  gif_cmd.add_option("--assets", gif->assets, "assets directory for the replay");
  gif_cmd.callback([&global, gif] {
    dataset::WriteEpisodeGif(gif->dir, gif->episode, gif->out, gif->library, gif->assets);
    if (global.json) {
      PrintJson({{"episode", gif->episode}, {"out", gif->out}});
    } else if (!global.quiet) {
      std::cout << "wrote " << gif->out << "\n";
    }
  });
}

}  // namespace

void AddDatasetCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench) {
  AddDemosCommand(app, global);
  AddDatasetGroup(app, global);
}

}  // namespace taskforge::cli
