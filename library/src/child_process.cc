#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>

#include "taskforge/core/error.h"
#include "taskforge/core/timing.h"

namespace taskforge::library {
namespace {

constexpr size_t kStderrTail = 2048;  // bytes of a child's stderr kept for the report

struct Running {
  size_t index = 0;
  pid_t pid = -1;
  int out_fd = -1, err_fd = -1;
  Stopwatch clock;  // since the fork
  bool killed = false;
};

void SetLimit(int resource, rlim_t soft, rlim_t hard) {
  const rlimit limit{soft, hard};
  setrlimit(resource, &limit);
}

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += size_t(n);
  }
}

[[noreturn]] void ChildMain(const std::function<std::string()>& work, int out_fd, int err_fd,
                            const ChildLimits& limits) {
  const rlim_t cpu = rlim_t(std::ceil(limits.cpu_s));
  SetLimit(RLIMIT_CPU, cpu, cpu + 2);
  SetLimit(RLIMIT_AS, limits.address_space_bytes, limits.address_space_bytes);
  SetLimit(RLIMIT_FSIZE, 0, 0);
  SetLimit(RLIMIT_CORE, 0, 0);
  signal(SIGXFSZ, SIG_IGN);  // a write to a file fails with EFBIG instead of killing the child
  signal(SIGPIPE, SIG_IGN);
  setenv("MESA_SHADER_CACHE_DISABLE", "true", 1);  // nothing may be written to disk
  const int null_fd = open("/dev/null", O_RDWR);
  dup2(null_fd, STDIN_FILENO);
  dup2(null_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  std::string output;
  try {
    output = work();
  } catch (const std::bad_alloc&) {
    output = "!out-of-memory";
  } catch (const std::exception& e) {
    output = std::string("!exception: ") + e.what();
  }
  WriteAll(out_fd, output);
  _exit(0);  // no atexit handlers, no destructors of the parent's objects (its database)
}

Running Start(const std::function<std::string()>& work, size_t index, const ChildLimits& limits) {
  int out[2], err[2];
  TF_THROW_UNLESS(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0, "cannot create a pipe for a worker: ",
                  std::strerror(errno));
  const pid_t pid = fork();
  TF_THROW_UNLESS(pid >= 0, "cannot fork a worker process: ", std::strerror(errno));
  if (pid == 0) {
    close(out[0]);
    close(err[0]);
    ChildMain(work, out[1], err[1], limits);
  }
  close(out[1]);
  close(err[1]);
  return {index, pid, out[0], err[0], Stopwatch(), false};
}

// Reads what is available on `fd` into `text`; false at end of file.
bool Drain(int& fd, std::string& text, size_t keep_tail) {
  char buffer[65536];
  const ssize_t n = read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    close(fd);
    fd = -1;
    return false;
  }
  text.append(buffer, size_t(n));
  if (keep_tail && text.size() > keep_tail) text.erase(0, text.size() - keep_tail);
  return true;
}

}  // namespace

std::vector<ChildOutcome> RunInChildren(const std::vector<std::function<std::string()>>& work, int jobs,
                                        const ChildLimits& limits) {
  TF_THROW_UNLESS(jobs >= 1, "jobs must be at least 1, got ", jobs);
  std::vector<ChildOutcome> outcomes(work.size());
  std::vector<Running> running;
  size_t next = 0;
  while (next < work.size() || !running.empty()) {
    while (next < work.size() && int(running.size()) < jobs) {
      running.push_back(Start(work[next], next, limits));
      ++next;
    }
    std::vector<pollfd> fds;
    for (const Running& r : running) {
      if (r.out_fd >= 0) fds.push_back({r.out_fd, POLLIN, 0});
      if (r.err_fd >= 0) fds.push_back({r.err_fd, POLLIN, 0});
    }
    if (!fds.empty()) poll(fds.data(), fds.size(), 100);
    for (auto it = running.begin(); it != running.end();) {
      Running& r = *it;
      ChildOutcome& outcome = outcomes[r.index];
      for (const pollfd& p : fds) {
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (p.fd == r.out_fd) Drain(r.out_fd, outcome.output, 0);
        else if (p.fd == r.err_fd) Drain(r.err_fd, outcome.stderr_tail, kStderrTail);
      }
      const double elapsed = r.clock.seconds();
      if (!r.killed && elapsed > limits.wall_s) {
        kill(r.pid, SIGKILL);
        r.killed = true;
      }
      if (r.out_fd >= 0 || r.err_fd >= 0) {
        ++it;
        continue;
      }
      // Both pipes closed: the child is gone or about to be.
      int status = 0;
      while (waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
      }
      outcome.wall_s = elapsed;
      outcome.wall_killed = r.killed;
      outcome.exited = WIFEXITED(status);
      outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
      outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      it = running.erase(it);
    }
  }
  return outcomes;
}

std::string DescribeChildDeath(const ChildOutcome& o, const ChildLimits& limits) {
  std::ostringstream text;
  text << "the task's process ";
  if (o.wall_killed) {
    text << "ran past the wall-clock limit (" << limits.wall_s << " s) and was killed: something in the task never "
         << "finishes (an endless loop, or a scene the episode cannot end)";
  } else if (o.signal == SIGXCPU || (o.signal == SIGKILL && o.wall_s >= limits.cpu_s)) {
    text << "was stopped by the CPU-time limit (" << limits.cpu_s << " s): an endless loop or a computation far "
         << "too large (including code that runs while Lua collects garbage, e.g. a __gc metamethod)";
  } else if (o.signal == SIGSEGV || o.signal == SIGBUS || o.signal == SIGABRT || o.signal == SIGILL ||
             o.signal == SIGFPE) {
    text << "crashed (" << strsignal(o.signal) << "); the address-space limit is "
         << double(limits.address_space_bytes) / double(size_t(1) << 30)
         << " GiB, so a memory bomb outside Lua's heap cap ends this way too";
  } else if (o.signal != 0) {
    text << "was killed by signal " << o.signal << " (" << strsignal(o.signal) << ")";
  } else {
    text << "exited with status " << o.exit_code << " without reporting a result";
  }
  if (!o.stderr_tail.empty()) {
    std::string tail = o.stderr_tail;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    const size_t last_line = tail.rfind('\n');
    text << " (its last message: " << (last_line == std::string::npos ? tail : tail.substr(last_line + 1)) << ")";
  }
  return text.str();
}

}  // namespace taskforge::library
