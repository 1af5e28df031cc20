// GenerateDemos: slots -> worker processes -> episode files -> index.
#include "taskforge/dataset/demos.h"

#include <cstdio>

#include "recording.h"
#include "taskforge/core/error.h"
#include "taskforge/core/timing.h"
#include "taskforge/core/workers.h"
#include "taskforge/dataset/dataset.h"

namespace taskforge::dataset {
namespace {

namespace fs = std::filesystem;

// A slot's outcome as a worker reports it to the parent.
struct SlotOutcome {
  int episode = 0;  // 1: an episode was written, 0: the slot failed
  long attempts = 0, frames = 0;
  unsigned long long bytes = 0;
};

std::string Serialize(const SlotOutcome& o) {
  char text[96];
  std::snprintf(text, sizeof text, "%d %ld %ld %llu", o.episode, o.attempts, o.frames, o.bytes);
  return text;
}

SlotOutcome Deserialize(const std::string& text) {
  SlotOutcome o;
  TF_DEMAND(std::sscanf(text.c_str(), "%d %ld %ld %llu", &o.episode, &o.attempts, &o.frames, &o.bytes) == 4);
  return o;
}

// Runs in a worker: the slot's attempts in order until one succeeds.
SlotOutcome RunSlot(const DatasetWriter& writer, const tasks::TaskSource& source, int slot, const DemoConfig& config) {
  const Manifest& m = writer.manifest();
  FailedSlot failed{source.full_name(), slot, {}, {}};
  SlotOutcome outcome;
  for (int attempt = 0; attempt < m.attempts_per_slot; ++attempt) {
    tasks::EpisodeOptions options;
    options.split = ParseSplit(m.split);
    options.seed = DemoSeed(m.split, uint64_t(slot) + uint64_t(attempt) * uint64_t(m.episodes_per_task));
    options.sim.assets_dir = config.assets_dir;
    RecordedEpisode recorded = RecordOracleEpisode(source, options, m.raw);
    ++outcome.attempts;
    if (recorded.success) {
      recorded.info.slot = slot;
      recorded.info.attempt = attempt;
      const IndexEntry entry = writer.WriteEpisode(recorded.info, recorded.frames);
      outcome.episode = 1;
      outcome.frames = entry.frames;
      outcome.bytes = entry.bytes;
      return outcome;
    }
    failed.seeds.push_back(options.seed);
    failed.errors.push_back(recorded.error);
  }
  writer.WriteFailedSlot(failed);
  return outcome;
}

void CheckConfig(const DemoConfig& c) {
  TF_THROW_UNLESS(!c.tasks.empty(), "no tasks given (--tasks NAME,NAME or --tasks all)");
  TF_THROW_UNLESS(c.episodes >= 1, "--episodes must be at least 1, not ", c.episodes);
  TF_THROW_UNLESS(c.attempts_per_slot >= 1, "attempts per slot must be at least 1, not ", c.attempts_per_slot);
  TF_THROW_UNLESS(c.jobs >= 1, "--jobs must be at least 1, not ", c.jobs);
  TF_THROW_UNLESS(c.shards >= 1 && c.shard >= 0 && c.shard < c.shards, "--shard ", c.shard, "/", c.shards,
                  " is not I/N with 0 <= I < N");
  TF_THROW_UNLESS(!c.out.empty(), "no output folder (--out DIR)");
  TF_THROW_UNLESS(c.compression_level >= 1 && c.compression_level <= 19, "compression level ",
                  c.compression_level, " is outside 1..19");
  ParseSplit(c.split);
}

}  // namespace

uint64_t DemoSeed(const std::string& split, uint64_t attempt_index) {
  const uint64_t first = split == "train" ? 0 : split == "val" ? 1 : 10001;
  return first + 2 * attempt_index;
}

std::vector<std::string> ExpandTasks(const std::string& list, const fs::path& library_dir) {
  std::vector<std::string> names;
  if (list == "all") {
    for (const tasks::TaskInfo& info : tasks::ListTasks(library_dir)) {
      if (info.variants.empty()) names.push_back(info.name);
      for (const std::string& variant : info.variants) names.push_back(info.name + "-" + variant);
    }
    return names;
  }
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    TF_THROW_UNLESS(!name.empty(), "--tasks '", list, "' has an empty name at character ", start + 1);
    names.push_back(tasks::ResolveTask(name, library_dir).full_name());
    start = comma + 1;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t j = 0; j < i; ++j) TF_THROW_UNLESS(names[i] != names[j], "--tasks names ", names[i], " twice");
  }
  return names;
}

DemoReport GenerateDemos(const DemoConfig& config, const DemoProgress& progress) {
  CheckConfig(config);
  const Stopwatch watch;
  std::vector<tasks::TaskSource> sources;
  Manifest manifest;
  for (const std::string& name : config.tasks) {
    sources.push_back(tasks::ResolveTask(name, config.library_dir));
    manifest.tasks.push_back(sources.back().full_name());
  }
  manifest.split = config.split;
  manifest.episodes_per_task = config.episodes;
  manifest.attempts_per_slot = config.attempts_per_slot;
  manifest.raw = config.raw;
  manifest.compression_level = config.compression_level;
  const DatasetWriter writer(config.out, manifest);

  // Units number the slots task by task; this shard owns every shards-th one.
  DemoReport report;
  std::vector<int> todo;
  const int n = config.episodes;
  for (int unit = config.shard; unit < int(sources.size()) * n; unit += config.shards) {
    ++report.slots_total;
    const std::string& task = manifest.tasks[size_t(unit / n)];
    const int slot = unit % n;
    if (!config.resume) {
      for (const std::string& file : {DatasetWriter::EpisodeFile(task, slot), DatasetWriter::FailedFile(task, slot)}) {
        TF_THROW_UNLESS(!fs::exists(config.out / file), (config.out / file).string(),
                        " already exists: pass --resume to continue this dataset, or use a new --out folder");
      }
      todo.push_back(unit);
      continue;
    }
    std::string problem;
    switch (CheckSlot(config.out, task, slot, &problem)) {
      case SlotState::kEpisode:
      case SlotState::kFailed: ++report.skipped_slots; break;
      case SlotState::kCorrupt:
        report.problems.push_back(problem + " (run again)");
        fs::remove(config.out / DatasetWriter::EpisodeFile(task, slot));
        fs::remove(config.out / DatasetWriter::FailedFile(task, slot));
        todo.push_back(unit);
        break;
      case SlotState::kMissing: todo.push_back(unit); break;
    }
  }
  report.slots_done = report.skipped_slots;
  auto update_rates = [&] {
    report.wall_s = watch.seconds();
    report.bytes_per_frame = report.frames > 0 ? double(report.bytes) / double(report.frames) : 0.0;
    report.episodes_per_s = report.wall_s > 0 ? double(report.episodes) / report.wall_s : 0.0;
  };
  if (progress) progress(report);

  RunInWorkers(
      config.jobs, todo,
      [&](int unit) { return Serialize(RunSlot(writer, sources[size_t(unit / n)], unit % n, config)); },
      [&](int, const std::string& result) {
        const SlotOutcome o = Deserialize(result);
        report.episodes += o.episode;
        report.failed_slots += 1 - o.episode;
        report.attempts += o.attempts;
        report.frames += o.frames;
        report.bytes += o.bytes;
        ++report.slots_done;
        update_rates();
        if (progress) progress(report);
      });
  report.dataset_episodes = long(BuildIndex(config.out).episodes.size());
  update_rates();
  return report;
}

}  // namespace taskforge::dataset
