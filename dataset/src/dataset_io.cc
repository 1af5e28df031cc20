// The dataset folder: manifest, episode and failed-slot files, the index built from them, and the reader.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "binary_io.h"
#include "episode_file.h"
#include "taskforge/core/error.h"
#include "taskforge/dataset/dataset.h"

namespace taskforge::dataset {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kFormat = "taskforge-dataset";
constexpr int kVersion = 1;

json ManifestJson(const Manifest& m) {
  const WorkspaceBounds& b = m.bounds;
  return {{"format", kFormat},
          {"version", kVersion},
          {"split", m.split},
          {"episodes_per_task", m.episodes_per_task},
          {"attempts_per_slot", m.attempts_per_slot},
          {"tasks", m.tasks},
          {"raw", m.raw},
          {"compression_level", m.compression_level},
          {"bounds", {{"x", {b.x_min, b.x_max}}, {"y", {b.y_min, b.y_max}}, {"z", {b.z_min, b.z_max}},
                      {"pixel_size", b.pixel_size}}}};
}

Manifest ManifestFrom(const json& j, const std::string& where) {
  TF_THROW_UNLESS(j.value("format", "") == kFormat && j.value("version", 0) == kVersion, where,
                  " is not a taskforge dataset of version ", kVersion);
  Manifest m;
  m.split = j.at("split"), m.episodes_per_task = j.at("episodes_per_task");
  m.attempts_per_slot = j.at("attempts_per_slot"), m.tasks = j.at("tasks").get<std::vector<std::string>>();
  m.raw = j.at("raw"), m.compression_level = j.at("compression_level");
  const json& b = j.at("bounds");
  m.bounds.x_min = b.at("x").at(0), m.bounds.x_max = b.at("x").at(1);
  m.bounds.y_min = b.at("y").at(0), m.bounds.y_max = b.at("y").at(1);
  m.bounds.z_min = b.at("z").at(0), m.bounds.z_max = b.at("z").at(1);
  m.bounds.pixel_size = b.at("pixel_size");
  return m;
}

json ReadJson(const fs::path& path) {
  const Bytes bytes = ReadFileBytes(path);
  try {
    return json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& e) {
    throw Error(path.string() + " is corrupt or truncated: " + e.what());
  }
}

json ExtentJson(const Extent& e) { return {e.offset, e.size, e.crc32}; }
Extent ExtentFrom(const json& j) { return {j.at(0), j.at(1), j.at(2)}; }

json FailedJson(const FailedSlot& f) {
  return {{"task", f.task}, {"slot", f.slot}, {"seeds", f.seeds}, {"errors", f.errors}};
}
FailedSlot FailedFrom(const json& j) {
  return {j.at("task"), j.at("slot"), j.at("seeds").get<std::vector<uint64_t>>(),
          j.at("errors").get<std::vector<std::string>>()};
}

std::string SlotName(int slot) {
  char name[16];
  std::snprintf(name, sizeof name, "%06d", slot);
  return name;
}

// Holds an exclusive lock on DIR/.lock while alive, so concurrent shards write the index in turn.
class DirLock {
 public:
  explicit DirLock(const fs::path& dir) : fd_(::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    TF_THROW_UNLESS(fd_ >= 0, "cannot create ", (dir / ".lock").string());
    ::flock(fd_, LOCK_EX);
  }
  ~DirLock() { ::close(fd_); }  // closing releases the lock
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_;
};

Manifest ReadManifest(const fs::path& dir) {
  const fs::path path = dir / "dataset.json";
  try {
    return ManifestFrom(ReadJson(path), path.string());
  } catch (const json::exception& e) {
    throw Error(path.string() + ": malformed manifest: " + e.what());
  }
}

}  // namespace

DatasetWriter::DatasetWriter(fs::path dir, Manifest manifest) : dir_(std::move(dir)), manifest_(std::move(manifest)) {
  fs::create_directories(dir_);
  DirLock lock(dir_);
  const fs::path path = dir_ / "dataset.json";
  if (!fs::exists(path)) {
    WriteFileAtomically(path, ManifestJson(manifest_).dump(2) + "\n");
    return;
  }
  const json have = ManifestJson(ReadManifest(dir_)), want = ManifestJson(manifest_);
  for (const auto& [key, value] : want.items()) {
    TF_THROW_UNLESS(have.at(key) == value, path.string(), " was made with ", key, " = ", have.at(key).dump(),
                    ", not ", value.dump(), " (use a new --out folder, or the same flags to add to it)");
  }
}

std::string DatasetWriter::EpisodeFile(const std::string& task, int slot) {
  return "episodes/" + task + "/" + SlotName(slot) + ".tfep";
}
std::string DatasetWriter::FailedFile(const std::string& task, int slot) {
  return "episodes/" + task + "/" + SlotName(slot) + ".failed.json";
}

IndexEntry DatasetWriter::WriteEpisode(const EpisodeInfo& info, const std::vector<Frame>& frames) const {
  EncodedEpisode encoded = EncodeEpisode(info, frames, manifest_.raw, manifest_.compression_level);
  encoded.entry.file = EpisodeFile(info.task, info.slot);
  encoded.entry.id = info.task + "/" + SlotName(info.slot);
  const fs::path path = dir_ / encoded.entry.file;
  fs::create_directories(path.parent_path());
  WriteFileAtomically(path, encoded.bytes);
  return encoded.entry;
}

void DatasetWriter::WriteFailedSlot(const FailedSlot& failed) const {
  const fs::path path = dir_ / FailedFile(failed.task, failed.slot);
  fs::create_directories(path.parent_path());
  WriteFileAtomically(path, FailedJson(failed).dump() + "\n");
}

namespace {

// Reads and checks a slot's files; fills `entry` or `failed` by what it finds.
SlotState InspectSlot(const fs::path& dir, const std::string& task, int slot, IndexEntry* entry, FailedSlot* failed,
                      std::string* problem) {
  const std::string episode_file = DatasetWriter::EpisodeFile(task, slot);
  const fs::path failed_path = dir / DatasetWriter::FailedFile(task, slot);
  try {
    if (fs::exists(dir / episode_file)) {
      IndexEntry found = CheckEpisodeFile(ReadFileBytes(dir / episode_file), (dir / episode_file).string());
      TF_THROW_UNLESS(found.task == task && found.slot == slot, (dir / episode_file).string(), " holds ", found.task,
                      " slot ", found.slot, ", not ", task, " slot ", slot);
      found.id = task + "/" + SlotName(slot);
      found.file = episode_file;
      if (entry) *entry = std::move(found);
      return SlotState::kEpisode;
    }
    if (fs::exists(failed_path)) {
      FailedSlot found = FailedFrom(ReadJson(failed_path));
      TF_THROW_UNLESS(found.task == task && found.slot == slot, failed_path.string(), " is for another slot");
      if (failed) *failed = std::move(found);
      return SlotState::kFailed;
    }
    return SlotState::kMissing;
  } catch (const Error& e) {
    if (problem) *problem = e.what();
  } catch (const json::exception& e) {
    if (problem) *problem = failed_path.string() + ": malformed: " + e.what();
  }
  return SlotState::kCorrupt;
}

}  // namespace

SlotState CheckSlot(const fs::path& dir, const std::string& task, int slot, std::string* problem) {
  return InspectSlot(dir, task, slot, nullptr, nullptr, problem);
}

Index BuildIndex(const fs::path& dir) {
  Index index;
  index.manifest = ReadManifest(dir);
  for (const std::string& task : index.manifest.tasks) {
    for (int slot = 0; slot < index.manifest.episodes_per_task; ++slot) {
      std::string problem;
      IndexEntry entry;
      FailedSlot failed;
      switch (InspectSlot(dir, task, slot, &entry, &failed, &problem)) {
        case SlotState::kEpisode: index.episodes.push_back(std::move(entry)); break;
        case SlotState::kFailed: index.failed.push_back(std::move(failed)); break;
        case SlotState::kCorrupt: index.problems.push_back(problem); break;
        case SlotState::kMissing: break;
      }
    }
  }
  json episodes = json::array(), failed = json::array();
  for (const IndexEntry& e : index.episodes) {
    json frames = json::array();
    for (const Extent& f : e.frame_extents) frames.push_back(ExtentJson(f));
    episodes.push_back({{"id", e.id}, {"task", e.task}, {"seed", e.seed}, {"slot", e.slot}, {"frames", e.frames},
                        {"reward", e.reward}, {"file", e.file}, {"bytes", e.bytes}, {"crc32", e.crc32},
                        {"meta", ExtentJson(e.meta)}, {"frame_extents", frames}});
  }
  for (const FailedSlot& f : index.failed) failed.push_back(FailedJson(f));
  const json j = {{"manifest", ManifestJson(index.manifest)}, {"episodes", episodes}, {"failed", failed},
                  {"problems", index.problems}};
  DirLock lock(dir);
  WriteFileAtomically(dir / "index.json", j.dump() + "\n");
  return index;
}

DatasetReader::DatasetReader(fs::path dir) : dir_(std::move(dir)) {
  const fs::path path = dir_ / "index.json";
  TF_THROW_UNLESS(fs::exists(path), path.string(), " does not exist (is ", dir_.string(),
                  " a dataset? `taskforge dataset index` rebuilds it)");
  const json j = ReadJson(path);
  try {
    index_.manifest = ManifestFrom(j.at("manifest"), path.string());
    for (const json& e : j.at("episodes")) {
      IndexEntry entry;
      entry.id = e.at("id"), entry.task = e.at("task"), entry.seed = e.at("seed"), entry.slot = e.at("slot");
      entry.frames = e.at("frames"), entry.reward = e.at("reward"), entry.file = e.at("file");
      entry.bytes = e.at("bytes"), entry.crc32 = e.at("crc32"), entry.meta = ExtentFrom(e.at("meta"));
      for (const json& f : e.at("frame_extents")) entry.frame_extents.push_back(ExtentFrom(f));
      TF_THROW_UNLESS(int(entry.frame_extents.size()) == entry.frames, path.string(), ": episode ", entry.id,
                      " lists ", entry.frame_extents.size(), " frame extents for ", entry.frames, " frames");
      index_.episodes.push_back(std::move(entry));
    }
    for (const json& f : j.at("failed")) index_.failed.push_back(FailedFrom(f));
    index_.problems = j.at("problems").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    throw Error(path.string() + ": malformed index: " + e.what());
  }
}

std::vector<int> DatasetReader::EpisodesOfTask(const std::string& task) const {
  std::vector<int> out;
  for (size_t i = 0; i < index_.episodes.size(); ++i) {
    if (index_.episodes[i].task == task) out.push_back(int(i));
  }
  return out;
}

int DatasetReader::Find(const std::string& id) const {
  for (size_t i = 0; i < index_.episodes.size(); ++i) {
    if (index_.episodes[i].id == id) return int(i);
  }
  throw Error("no episode '" + id + "' in " + dir_.string() + " (ids are TASK/SLOT, e.g. " +
              (index_.episodes.empty() ? std::string("block-insertion/000000") : index_.episodes.front().id) + ")");
}

EpisodeInfo DatasetReader::ReadInfo(int episode) const {
  const IndexEntry& e = index_.episodes.at(size_t(episode));
  const Bytes meta = ReadFileRange(dir_ / e.file, e.meta.offset, e.meta.size);
  const uint32_t crc = Crc32(meta);
  TF_THROW_UNLESS(crc == e.meta.crc32, e.file, " labels are corrupt: CRC-32 ", crc, " where the index has ",
                  e.meta.crc32);
  return ParseEpisodeInfo(meta, e.file);
}

Frame DatasetReader::ReadFrame(int episode, int step) const {
  const IndexEntry& e = index_.episodes.at(size_t(episode));
  TF_THROW_UNLESS(step >= 0 && step < e.frames, "episode ", e.id, " has ", e.frames, " frames, not step ", step);
  EpisodeInfo info;
  if (index_.manifest.raw) {
    info = ReadInfo(episode);  // the cameras' sizes
  } else {
    info.bounds = index_.manifest.bounds;
  }
  const Extent& extent = e.frame_extents[size_t(step)];
  return DecodeFrame(ReadFileRange(dir_ / e.file, extent.offset, extent.size), extent, info, index_.manifest.raw,
                     e.file + " step " + std::to_string(step));
}

Step DatasetReader::ReadStep(int episode, int step) const {
  Step out;
  out.frame = ReadFrame(episode, step);
  out.label = ReadInfo(episode).steps.at(size_t(step));
  return out;
}

Episode DatasetReader::ReadEpisode(int episode) const {
  Episode out;
  out.info = ReadInfo(episode);
  for (int step = 0; step < index_.episodes.at(size_t(episode)).frames; ++step) {
    out.frames.push_back(ReadFrame(episode, step));
  }
  return out;
}

std::string DatasetReader::Verify(int episode) const {
  const IndexEntry& e = index_.episodes.at(size_t(episode));
  try {
    const Bytes bytes = ReadFileBytes(dir_ / e.file);
    TF_THROW_UNLESS(bytes.size() == e.bytes, e.file, " has ", bytes.size(), " bytes where the index has ", e.bytes);
    const uint32_t crc = Crc32(bytes);
    TF_THROW_UNLESS(crc == e.crc32, e.file, " is corrupt: CRC-32 ", crc, " where the index has ", e.crc32);
    const IndexEntry found = CheckEpisodeFile(bytes, e.file);
    TF_THROW_UNLESS(found.meta == e.meta && found.frame_extents == e.frame_extents, e.file,
                    " does not match its index entry");
  } catch (const Error& error) {
    return error.what();
  }
  return {};
}

}  // namespace taskforge::dataset
