#include "taskforge/core/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "taskforge/core/error.h"

namespace taskforge {

std::string ReadTextFile(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  TF_THROW_UNLESS(in.good(), "cannot read ", what, " ", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  TF_THROW_UNLESS(fd >= 0, "cannot create ", temp.string(), ": ", std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n <= 0) break;
    written += size_t(n);
  }
  const bool ok = written == bytes.size() && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(temp);
    throw Error("cannot write " + temp.string() + ": " + std::strerror(saved_errno));
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  TF_THROW_UNLESS(!ec, "cannot rename ", temp.string(), " to ", path.string(), ": ", ec.message());
}

}  // namespace taskforge
