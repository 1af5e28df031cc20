#pragma once
// Minimal blocking TCP sockets with timeouts (POSIX), for the UR protocols and the twin that
// serves them. Every failure is a taskforge::Error naming the peer and the system error.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace taskforge::realrobot {

/// A connected TCP stream. Closed on destruction; movable, not copyable.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}
  ~Socket();
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  /// Connects to host:port (an IPv4 address or a name), giving up after `timeout_s`.
  /// @throws Error naming host, port and the reason.
  static Socket Connect(const std::string& host, int port, double timeout_s = 2.0);

  bool is_open() const { return fd_ >= 0; }
  const std::string& peer() const { return peer_; }
  /// Sends every byte. @throws Error if the peer is gone.
  void SendAll(std::span<const uint8_t> bytes);
  void SendAll(const std::string& text);
  /// Waits up to `timeout_s` for data to read; false on timeout.
  bool WaitReadable(double timeout_s) const;
  /// Reads exactly `n` bytes, waiting at most `timeout_s` for each chunk.
  /// @throws Error on end of stream, a socket error, or a timeout.
  void ReadExact(uint8_t* out, size_t n, double timeout_s);
  /// Reads up to and without a '\n' (a trailing '\r' is dropped), at most 4096 bytes.
  /// @throws Error on end of stream, a socket error, a timeout, or an overlong line.
  std::string ReadLine(double timeout_s);
  /// Ends both directions now (the peer sees end of stream); the descriptor stays until Close.
  void Shutdown();
  void Close();

 private:
  int fd_ = -1;
  std::string peer_;  ///< "host:port", for messages
};

/// A listening TCP socket.
class Listener {
 public:
  /// Listens on `address`:`port`; port 0 picks a free one (see port()).
  /// @throws Error if the address can't be bound.
  Listener(const std::string& address, int port);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port() const { return port_; }
  /// Waits up to `timeout_s` for a client; nullopt on timeout.
  std::optional<Socket> Accept(double timeout_s);

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace taskforge::realrobot
