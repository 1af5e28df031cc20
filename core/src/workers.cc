#include "taskforge/core/workers.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iterator>

#include "taskforge/core/error.h"

namespace taskforge {
namespace {

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= size_t(n);
  }
  return true;
}

bool ReadAll(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= size_t(n);
  }
  return true;
}

// A reply: u8 ok, u32 length, then the result (ok) or the error message.
[[noreturn]] void WorkerMain(int fd, const std::function<std::string(int unit)>& work) {
  int32_t unit = 0;
  while (ReadAll(fd, &unit, sizeof unit)) {
    uint8_t ok = 1;
    std::string reply;
    try {
      reply = work(unit);
    } catch (const std::exception& e) {
      ok = 0;
      reply = e.what();
    }
    const uint32_t size = uint32_t(reply.size());
    if (!WriteAll(fd, &ok, 1) || !WriteAll(fd, &size, 4) || !WriteAll(fd, reply.data(), size)) break;
  }
  ::_exit(0);  // no atexit handlers or static destructors of the parent's copy
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  int unit = -1;  // the unit it is running, -1 when idle
};

std::string DeathOf(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return "vanished";
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                                  strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

void RunInWorkers(int jobs, const std::vector<int>& units, const std::function<std::string(int unit)>& work,
                  const std::function<void(int unit, const std::string& result)>& on_result) {
  TF_THROW_UNLESS(jobs >= 1, "--jobs must be at least 1, not ", jobs);
  // A child of a threaded process inherits other threads' locks held forever (Mesa's llvmpipe
  // starts threads with the first render): refuse rather than hang.
  const auto threads = std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                     std::filesystem::directory_iterator{});
  TF_THROW_UNLESS(threads == 1, "cannot start worker processes: this process already runs ", threads,
                  " threads (has it rendered or simulated something?); start workers before that");
  std::vector<Worker> workers;
  const size_t count = std::min(size_t(jobs), units.size());
  for (size_t i = 0; i < count; ++i) {
    int fds[2];
    TF_THROW_UNLESS(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair: ", strerror(errno));
    const pid_t pid = ::fork();
    TF_THROW_UNLESS(pid >= 0, "fork: ", strerror(errno));
    if (pid == 0) {
      ::close(fds[0]);
      for (const Worker& w : workers) ::close(w.fd);
      WorkerMain(fds[1], work);
    }
    ::close(fds[1]);
    workers.push_back({pid, fds[0], -1});
  }
  size_t next = 0;
  std::string failure;
  auto dispatch = [&](Worker& w) {
    if (!failure.empty() || next >= units.size()) return;
    const int32_t unit = units[next++];
    w.unit = unit;
    if (!WriteAll(w.fd, &unit, sizeof unit)) failure = "a worker stopped taking work";
  };
  for (Worker& w : workers) dispatch(w);
  for (;;) {
    std::vector<pollfd> polls;
    std::vector<Worker*> busy;
    for (Worker& w : workers) {
      if (w.unit < 0) continue;
      polls.push_back({w.fd, POLLIN, 0});
      busy.push_back(&w);
    }
    if (polls.empty()) break;
    if (::poll(polls.data(), polls.size(), -1) < 0) {
      if (errno == EINTR) continue;
      failure = std::string("poll: ") + strerror(errno);
      break;
    }
    for (size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].revents == 0) continue;
      Worker& w = *busy[i];
      const int unit = w.unit;
      w.unit = -1;
      uint8_t ok = 0;
      uint32_t size = 0;
      std::string reply;
      bool read = ReadAll(w.fd, &ok, 1) && ReadAll(w.fd, &size, 4);
      if (read) {
        reply.resize(size);
        read = ReadAll(w.fd, reply.data(), size);
      }
      if (!read) {
        ::close(w.fd);
        w.fd = -1;
        failure = "worker " + std::to_string(w.pid) + " running unit " + std::to_string(unit) + " " + DeathOf(w.pid);
        w.pid = -1;
        continue;
      }
      if (!ok) {
        if (failure.empty()) failure = "unit " + std::to_string(unit) + ": " + reply;
        continue;
      }
      try {
        on_result(unit, reply);
      } catch (const std::exception& e) {
        if (failure.empty()) failure = e.what();
      }
      dispatch(w);
    }
  }
  for (Worker& w : workers) {
    if (w.fd >= 0) ::close(w.fd);  // EOF: the worker leaves its loop and exits
    if (w.pid > 0) ::waitpid(w.pid, nullptr, 0);
  }
  TF_THROW_UNLESS(failure.empty(), failure);
}

}  // namespace taskforge
