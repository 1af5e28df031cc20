// Several processes write and read one library at once while one writer is killed mid-write.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "taskforge/library/library.h"
#include "temp_dir.h"

using namespace taskforge::library;

namespace {

constexpr int kTasksPerWriter = 25;

// A child process that adds tasks "wN-i" and, after each commit, reads the library back and
// checks that every task it committed so far is there; it reports each commit as a line on `ack`.
[[noreturn]] void Writer(const std::filesystem::path& file, int writer, int ack) {
  int status = 0;
  try {
    TaskLibrary lib(file);
    AddOptions options;
    options.allow_similar = true;  // the scripts share one structure on purpose
    const std::string prefix = "w" + std::to_string(writer) + "-";
    for (int i = 0; i < kTasksPerWriter; ++i) {
      TaskRecord t;
      t.name = prefix + std::to_string(i);
      t.description = "stress task";
      // A long source so a write spans several pages and a kill can land inside it.
      t.source = "task = {name = '" + t.name + "'}\n-- " + std::string(20000, 'x') + "\nfunction reset(env) end\n";
      t.origin = Origin::kGenerated;
      lib.Add(t, options);
      const std::string line = t.name + "\n";
      if (write(ack, line.data(), line.size()) != ssize_t(line.size())) status = 3;
      for (int j = 0; j <= i; ++j) {
        if (!lib.Find(prefix + std::to_string(j))) status = 4;
      }
      if (lib.List().size() < size_t(i + 1)) status = 5;
    }
  } catch (const std::exception&) {
    status = 2;
  }
  _exit(status);
}

}  // namespace

TEST_CASE("four processes share a library and one killed mid-write loses nothing committed", "[library][stress]") {
  TempDir dir;
  const auto file = dir.path() / "library.db";
  const size_t seeds = TaskLibrary(file).List().size();  // created (and seeded) before the writers start

  constexpr int kWriters = 4;
  std::vector<pid_t> pids;
  std::vector<int> acks;
  for (int w = 0; w < kWriters; ++w) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      Writer(file, w, fds[1]);
    }
    close(fds[1]);
    pids.push_back(pid);
    acks.push_back(fds[0]);
  }
  // Collect the commits each writer reports; kill writer 0 once it has committed a few tasks
  // and is in the middle of its next one.
  std::set<std::string> committed;
  std::vector<std::string> pending(kWriters);
  std::vector<bool> open(kWriters, true);
  int victim_commits = 0;
  bool killed = false;
  while (std::count(open.begin(), open.end(), true) > 0) {
    std::vector<pollfd> fds;
    for (int w = 0; w < kWriters; ++w) {
      if (open[size_t(w)]) fds.push_back({acks[size_t(w)], POLLIN, 0});
    }
    poll(fds.data(), fds.size(), 1000);
    for (const pollfd& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP))) continue;
      const int w = int(std::find(acks.begin(), acks.end(), p.fd) - acks.begin());
      char buffer[4096];
      const ssize_t n = read(p.fd, buffer, sizeof buffer);
      if (n <= 0) {
        open[size_t(w)] = false;
        continue;
      }
      pending[size_t(w)].append(buffer, size_t(n));
      for (size_t nl; (nl = pending[size_t(w)].find('\n')) != std::string::npos;) {
        committed.insert(pending[size_t(w)].substr(0, nl));
        pending[size_t(w)].erase(0, nl + 1);
        if (w == 0) ++victim_commits;
      }
      if (w == 0 && !killed && victim_commits >= 5) {
        usleep(2000);  // into the next Add
        kill(pids[0], SIGKILL);
        killed = true;
      }
    }
  }
  for (int w = 0; w < kWriters; ++w) {
    int status = 0;
    waitpid(pids[size_t(w)], &status, 0);
    if (w == 0) {
      CHECK(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == SIGKILL);
    } else {
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
    close(acks[size_t(w)]);
  }
  CHECK(victim_commits >= 5);
  CHECK(victim_commits < kTasksPerWriter);

  TaskLibrary lib(file);
  CHECK(lib.IntegrityCheck().empty());
  std::set<std::string> stored;
  for (const TaskRecord& t : lib.List()) stored.insert(t.name);
  for (const std::string& name : committed) CHECK(stored.count(name) == 1);
  // Nothing appears that no writer started: seeds, the survivors' tasks, the victim's commits
  // and at most the one it was writing.
  CHECK(stored.size() >= seeds + committed.size());
  CHECK(stored.size() <= seeds + committed.size() + 1);
  CHECK(committed.size() == size_t((kWriters - 1) * kTasksPerWriter + victim_commits));
}
