#pragma once
// The client side of RTDE: the handshake (protocol version, controller version, recipes,
// start), then a background thread that keeps the latest state, notices stale or lost
// connections and sends the input package (with a fresh heartbeat) after every state package.

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "taskforge/realrobot/rtde.h"
#include "taskforge/realrobot/tcp.h"

namespace taskforge::realrobot {

class RtdeClient {
 public:
  /// Connects and runs the handshake. `frequency_hz` 0 = the controller's maximum.
  /// `heartbeat_field` (an input int register in `inputs`) is incremented with every send.
  /// @throws Error naming the step, field or reply that failed.
  RtdeClient(const std::string& host, int port, double timeout_s, double frequency_hz,
             const std::vector<std::string>& outputs, const std::vector<std::string>& inputs,
             const std::string& heartbeat_field, double state_timeout_s);
  ~RtdeClient();

  const rtde::ControllerVersion& version() const { return version_; }
  double frequency_hz() const { return frequency_hz_; }

  /// The newest value of an output field (must be in the recipe).
  rtde::Value Output(const std::string& name) const;
  /// Sets input fields (kept and re-sent every cycle) and sends them now.
  void SetInputs(const std::map<std::string, rtde::Value>& values);
  /// Blocks until a state package newer than `after` arrives; returns its number, or 0 when
  /// the connection is lost (see error()) or `timeout_s` passes.
  uint64_t WaitForState(uint64_t after, double timeout_s);
  uint64_t state_count() const;
  /// Why the connection is unusable; empty while it is fine.
  std::string error() const;
  /// Pauses synchronisation and closes the connection.
  void Close();

 private:
  rtde::Package Expect(rtde::PackageType type);
  void SendInputsLocked();
  void ReceiveLoop();

  Socket socket_;
  double timeout_s_, state_timeout_s_;
  rtde::ControllerVersion version_;
  double frequency_hz_ = 0.0;
  rtde::Recipe outputs_, inputs_;
  size_t heartbeat_index_ = 0;
  std::string last_message_;  // the controller's last text message during the handshake

  mutable std::mutex mutex_;
  std::condition_variable updated_;
  std::vector<rtde::Value> state_, input_values_;
  uint64_t states_ = 0;
  std::string error_;
  bool closing_ = false;
  std::mutex send_mutex_;
  std::thread receiver_;
};

}  // namespace taskforge::realrobot
