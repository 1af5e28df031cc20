#include "taskforge/realrobot/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "taskforge/core/error.h"

namespace taskforge::realrobot {
namespace {

int TimeoutMs(double timeout_s) { return timeout_s <= 0 ? 0 : int(std::ceil(timeout_s * 1000.0)); }

std::string SystemError() { return std::strerror(errno); }

// Waits for `events` on `fd`; returns false on timeout.
bool PollFor(int fd, short events, double timeout_s) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, TimeoutMs(timeout_s));
    if (n >= 0) return n > 0;
    if (errno != EINTR) return false;
  }
}

}  // namespace

Socket::~Socket() { Close(); }

Socket::Socket(Socket&& other) noexcept : fd_(other.fd_), peer_(std::move(other.peer_)) { other.fd_ = -1; }

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    peer_ = std::move(other.peer_);
    other.fd_ = -1;
  }
  return *this;
}

Socket Socket::Connect(const std::string& host, int port, double timeout_s) {
  const std::string peer = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  TF_THROW_UNLESS(rc == 0 && found, "cannot resolve robot host '", host, "': ", ::gai_strerror(rc));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  TF_THROW_UNLESS(fd >= 0, "cannot create a socket for ", peer, ": ", SystemError());
  Socket socket(fd, peer);
  const int connected = ::connect(fd, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (connected != 0) {
    TF_THROW_UNLESS(errno == EINPROGRESS, "cannot connect to ", peer, ": ", SystemError());
    TF_THROW_UNLESS(PollFor(fd, POLLOUT, timeout_s), "cannot connect to ", peer, ": no answer within ",
                    timeout_s, " s");
    int error = 0;
    socklen_t len = sizeof(error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    TF_THROW_UNLESS(error == 0, "cannot connect to ", peer, ": ", std::strerror(error));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // small packets at 500 Hz
  return socket;
}

void Socket::SendAll(std::span<const uint8_t> bytes) {
  TF_THROW_UNLESS(fd_ >= 0, "connection to ", peer_, " is closed");
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    TF_THROW_UNLESS(n > 0, "lost the connection to ", peer_, " while sending: ", SystemError());
    sent += size_t(n);
  }
}

void Socket::SendAll(const std::string& text) {
  SendAll(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

bool Socket::WaitReadable(double timeout_s) const { return fd_ >= 0 && PollFor(fd_, POLLIN, timeout_s); }

void Socket::ReadExact(uint8_t* out, size_t n, double timeout_s) {
  TF_THROW_UNLESS(fd_ >= 0, "connection to ", peer_, " is closed");
  size_t got = 0;
  while (got < n) {
    TF_THROW_UNLESS(PollFor(fd_, POLLIN, timeout_s), "no data from ", peer_, " within ", timeout_s, " s");
    const ssize_t r = ::recv(fd_, out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    TF_THROW_UNLESS(r != 0, "lost the connection to ", peer_, ": closed by the peer");
    TF_THROW_UNLESS(r > 0, "lost the connection to ", peer_, ": ", SystemError());
    got += size_t(r);
  }
}

std::string Socket::ReadLine(double timeout_s) {
  std::string line;
  uint8_t c = 0;
  for (;;) {
    ReadExact(&c, 1, timeout_s);
    if (c == '\n') break;
    line.push_back(char(c));
    TF_THROW_UNLESS(line.size() <= 4096, "a line from ", peer_, " is longer than 4096 bytes");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void Socket::Shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void Socket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Listener::Listener(const std::string& address, int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  TF_THROW_UNLESS(fd_ >= 0, "cannot create a listening socket: ", SystemError());
  const int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  const bool parsed = ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) == 1;
  if (!parsed || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, 8) != 0) {
    const std::string why = parsed ? SystemError() : "not an IPv4 address";
    ::close(fd_);
    fd_ = -1;
    TF_THROW_UNLESS(false, "cannot listen on ", address, ":", port, ": ", why);
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Socket> Listener::Accept(double timeout_s) {
  if (!PollFor(fd_, POLLIN, timeout_s)) return std::nullopt;
  sockaddr_in peer{};
  socklen_t len = sizeof(peer);
  const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  char name[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, name, sizeof(name));
  return Socket(fd, std::string(name) + ":" + std::to_string(ntohs(peer.sin_port)));
}

}  // namespace taskforge::realrobot
