#include "rtde_client.h"

#include <chrono>

#include "taskforge/core/error.h"

namespace taskforge::realrobot {

using rtde::FieldType;
using rtde::PackageType;

RtdeClient::RtdeClient(const std::string& host, int port, double timeout_s, double frequency_hz,
                       const std::vector<std::string>& outputs, const std::vector<std::string>& inputs,
                       const std::string& heartbeat_field, double state_timeout_s)
    : socket_(Socket::Connect(host, port, timeout_s)), timeout_s_(timeout_s), state_timeout_s_(state_timeout_s) {
  const std::string where = "RTDE at " + host + ":" + std::to_string(port);
  socket_.SendAll(rtde::Frame(PackageType::kRequestProtocolVersion, rtde::Writer().U16(rtde::kProtocolVersion).Take()));
  {
    const rtde::Package reply = Expect(PackageType::kRequestProtocolVersion);
    rtde::Reader r(reply.payload, "RTDE protocol version reply");
    TF_THROW_UNLESS(r.U8() == 1, where, " refused protocol version ", rtde::kProtocolVersion,
                    " (older CB3 software speaks only protocol 1: update PolyScope)", last_message_);
  }
  socket_.SendAll(rtde::Frame(PackageType::kGetUrControlVersion, {}));
  {
    const rtde::Package reply = Expect(PackageType::kGetUrControlVersion);
    rtde::Reader r(reply.payload, "RTDE controller version reply");
    version_ = {r.U32(), r.U32(), r.U32(), r.U32()};
  }
  const double max_hz = version_.max_frequency_hz();
  frequency_hz_ = frequency_hz <= 0 ? max_hz : frequency_hz;
  TF_THROW_UNLESS(frequency_hz_ <= max_hz, where, ": RTDE frequency ", frequency_hz_, " Hz exceeds this controller's ",
                  max_hz, " Hz");

  // Each recipe: the controller answers the types (or NOT_FOUND / IN_USE per field).
  auto setup = [&](PackageType type, const std::vector<std::string>& names, rtde::Recipe& recipe,
                   auto known_type) {
    rtde::Writer w;
    if (type == PackageType::kSetupOutputs) w.F64(frequency_hz_);
    w.Bytes(rtde::JoinComma(names));
    socket_.SendAll(rtde::Frame(type, w.Take()));
    const rtde::Package reply = Expect(type);
    rtde::Reader r(reply.payload, "RTDE recipe setup reply");
    recipe.id = r.U8();
    const std::vector<std::string> types = rtde::SplitComma(r.Rest());
    TF_THROW_UNLESS(types.size() == names.size(), where, " answered ", types.size(), " types for ", names.size(),
                    " recipe fields");
    for (size_t i = 0; i < names.size(); ++i) {
      TF_THROW_UNLESS(types[i] != "NOT_FOUND", where, " does not know the field '", names[i],
                      "' (controller ", version_.major, ".", version_.minor, ")");
      TF_THROW_UNLESS(types[i] != "IN_USE", where, ": the input '", names[i],
                      "' is in use by another RTDE client or a fieldbus (check EtherNet/IP, PROFINET, URCaps)");
      const std::optional<FieldType> expected = known_type(names[i]);
      TF_DEMAND(expected.has_value());
      TF_THROW_UNLESS(types[i] == rtde::TypeName(*expected), where, " reports field '", names[i], "' as ", types[i],
                      ", expected ", rtde::TypeName(*expected));
      recipe.names.push_back(names[i]);
      recipe.types.push_back(*expected);
    }
    TF_THROW_UNLESS(recipe.id != 0, where, " refused the ", type == PackageType::kSetupOutputs ? "output" : "input",
                    " recipe", last_message_);
  };
  setup(PackageType::kSetupOutputs, outputs, outputs_, rtde::OutputFieldType);
  setup(PackageType::kSetupInputs, inputs, inputs_, rtde::InputFieldType);
  const std::optional<size_t> beat = inputs_.Find(heartbeat_field);
  TF_DEMAND(beat.has_value());
  heartbeat_index_ = *beat;
  input_values_.assign(inputs_.types.size(), rtde::Value{});
  state_.assign(outputs_.types.size(), rtde::Value{});

  socket_.SendAll(rtde::Frame(PackageType::kStart, {}));
  {
    const rtde::Package reply = Expect(PackageType::kStart);
    rtde::Reader r(reply.payload, "RTDE start reply");
    TF_THROW_UNLESS(r.U8() == 1, where, " refused to start data synchronisation", last_message_);
  }
  receiver_ = std::thread([this] { ReceiveLoop(); });
}

RtdeClient::~RtdeClient() { Close(); }

rtde::Package RtdeClient::Expect(PackageType type) {
  for (;;) {
    std::optional<rtde::Package> package = rtde::ReadPackage(socket_, timeout_s_);
    TF_THROW_UNLESS(package, "RTDE at ", socket_.peer(), " sent no reply within ", timeout_s_, " s");
    if (package->type == type) return *package;
    TF_THROW_UNLESS(package->type == PackageType::kTextMessage, "RTDE at ", socket_.peer(), " answered package type ",
                    int(package->type), " where ", int(type), " was expected");
    // The controller may explain a refusal in a text message; keep it for the error.
    last_message_ = " (the controller said: " + rtde::DecodeTextMessage(package->payload) + ")";
  }
}

rtde::Value RtdeClient::Output(const std::string& name) const {
  const std::optional<size_t> index = outputs_.Find(name);
  TF_DEMAND(index.has_value());
  std::lock_guard<std::mutex> lock(mutex_);
  return state_[*index];
}

void RtdeClient::SetInputs(const std::map<std::string, rtde::Value>& values) {
  std::lock_guard<std::mutex> lock(send_mutex_);
  for (const auto& [name, value] : values) {
    const std::optional<size_t> index = inputs_.Find(name);
    TF_DEMAND(index.has_value());
    input_values_[*index] = value;
  }
  SendInputsLocked();
}

void RtdeClient::SendInputsLocked() {
  input_values_[heartbeat_index_].v[0] = double((int64_t(input_values_[heartbeat_index_][0]) + 1) % 1000000);
  try {
    socket_.SendAll(rtde::Frame(PackageType::kDataPackage, rtde::EncodeData(inputs_, input_values_)));
  } catch (const Error& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_.empty()) error_ = e.what();
    updated_.notify_all();
  }
}

uint64_t RtdeClient::WaitForState(uint64_t after, double timeout_s) {
  std::unique_lock<std::mutex> lock(mutex_);
  const bool got = updated_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                                     [&] { return states_ > after || !error_.empty(); });
  return got && error_.empty() ? states_ : 0;
}

uint64_t RtdeClient::state_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return states_;
}

std::string RtdeClient::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

void RtdeClient::ReceiveLoop() {
  try {
    for (;;) {
      std::optional<rtde::Package> package = rtde::ReadPackage(socket_, state_timeout_s_);
      TF_THROW_UNLESS(package, "lost the RTDE connection to ", socket_.peer(), ": no state for ", state_timeout_s_,
                      " s");
      if (package->type == PackageType::kTextMessage) {
        rtde::MessageLevel level = rtde::MessageLevel::kInfo;
        const std::string text = rtde::DecodeTextMessage(package->payload, &level);
        if (level == rtde::MessageLevel::kException || level == rtde::MessageLevel::kError) {
          std::lock_guard<std::mutex> lock(mutex_);
          error_ = "RTDE at " + socket_.peer() + " reports: " + text;
          updated_.notify_all();
        }
        continue;  // warnings and information don't stop the arm
      }
      if (package->type == PackageType::kPause) break;
      TF_THROW_UNLESS(package->type == PackageType::kDataPackage, "RTDE at ", socket_.peer(),
                      " sent unexpected package type ", int(package->type), " while synchronising");
      std::vector<rtde::Value> values = rtde::DecodeData(outputs_, package->payload);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        state_ = std::move(values);
        ++states_;
        updated_.notify_all();
      }
      std::lock_guard<std::mutex> lock(send_mutex_);
      SendInputsLocked();  // the heartbeat: one input package per state package
    }
  } catch (const Error& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closing_) error_ = e.what();
    updated_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_.empty()) error_ = "the RTDE connection to " + socket_.peer() + " was closed";
  updated_.notify_all();
}

void RtdeClient::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_) return;
    closing_ = true;
  }
  try {
    std::lock_guard<std::mutex> lock(send_mutex_);
    socket_.SendAll(rtde::Frame(PackageType::kPause, {}));
  } catch (const Error&) {
    // already gone: nothing to pause
  }
  socket_.Shutdown();
  if (receiver_.joinable()) receiver_.join();
  socket_.Close();
}

}  // namespace taskforge::realrobot
