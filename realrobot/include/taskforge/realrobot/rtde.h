#pragma once
// The Universal Robots Real-Time Data Exchange (RTDE) protocol, version 2, as published in UR's
// "Real-Time Data Exchange (RTDE) Guide": framing, big-endian packing, the field types, recipes
// and the request/reply payloads. Shared by the driver (client side) and the twin (server side).
//
// A package is [uint16 size incl. this 3-byte header][uint8 type][payload], all big-endian.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "taskforge/core/error.h"
#include "taskforge/realrobot/tcp.h"

namespace taskforge::realrobot::rtde {

inline constexpr int kPort = 30004;
inline constexpr uint16_t kProtocolVersion = 2;
/// The largest package the driver or twin accepts (the guide caps recipes at 2048 bytes of names).
inline constexpr size_t kMaxPackageSize = 4096;

/// A package that breaks the protocol (bad size, unknown type, a payload that doesn't match its
/// recipe). The connection can't be trusted afterwards.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

enum class PackageType : uint8_t {
  kRequestProtocolVersion = 86,  // 'V'
  kGetUrControlVersion = 118,    // 'v'
  kTextMessage = 77,             // 'M'
  kDataPackage = 85,             // 'U'
  kSetupOutputs = 79,            // 'O'
  kSetupInputs = 73,             // 'I'
  kStart = 83,                   // 'S'
  kPause = 80,                   // 'P'
};

enum class FieldType { kBool, kUint8, kUint32, kUint64, kInt32, kDouble, kVector3d, kVector6d, kVector6Int32, kVector6Uint32 };

/// The guide's type name, e.g. "VECTOR6D".
const char* TypeName(FieldType type);
/// Bytes one value occupies in a data package.
size_t TypeSize(FieldType type);
/// The type of a field the controller knows (outputs, inputs and the 0..47 registers) as the guide
/// lists it; nullopt for a name it doesn't know (the controller then answers NOT_FOUND).
std::optional<FieldType> OutputFieldType(const std::string& name);
std::optional<FieldType> InputFieldType(const std::string& name);

/// One field's value: up to six numbers (integers are exact up to 2^53, enough for every field).
struct Value {
  std::array<double, 6> v{};
  double operator[](int i) const { return v[size_t(i)]; }
  static Value Scalar(double x) { return Value{{x, 0, 0, 0, 0, 0}}; }
};

/// A negotiated recipe: its id and, per field, name and type.
struct Recipe {
  uint8_t id = 0;
  std::vector<std::string> names;
  std::vector<FieldType> types;
  /// Index of a field; nullopt if the recipe lacks it.
  std::optional<size_t> Find(const std::string& name) const;
};

/// A package as read from the wire.
struct Package {
  PackageType type = PackageType::kTextMessage;
  std::vector<uint8_t> payload;
};

/// Frames a payload: prepends the size and type.
std::vector<uint8_t> Frame(PackageType type, const std::vector<uint8_t>& payload);
/// Reads one package, waiting up to `timeout_s`; nullopt if nothing arrived in time.
/// @throws Error on end of stream, ProtocolError for a malformed header (size < 3 or > kMaxPackageSize, unknown type).
std::optional<Package> ReadPackage(Socket& socket, double timeout_s);

/// Big-endian writer for payloads.
class Writer {
 public:
  Writer& U8(uint8_t x);
  Writer& U16(uint16_t x);
  Writer& U32(uint32_t x);
  Writer& U64(uint64_t x);
  Writer& I32(int32_t x);
  Writer& F64(double x);
  Writer& Bytes(const std::string& s);
  Writer& Field(FieldType type, const Value& value);
  std::vector<uint8_t> Take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

/// Big-endian reader; every read past the end throws ProtocolError naming `what` (the package).
class Reader {
 public:
  Reader(const std::vector<uint8_t>& bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}
  uint8_t U8();
  uint16_t U16();
  uint32_t U32();
  uint64_t U64();
  int32_t I32();
  double F64();
  std::string Rest();          ///< the remaining bytes as text
  std::string Bytes(size_t n);
  Value Field(FieldType type);
  size_t remaining() const { return bytes_.size() - pos_; }
  /// @throws Error if bytes are left over.
  void ExpectEnd() const;

 private:
  void Need(size_t n) const;
  const std::vector<uint8_t>& bytes_;
  std::string what_;
  size_t pos_ = 0;
};

/// Data package payload: recipe id, then each field packed in recipe order.
std::vector<uint8_t> EncodeData(const Recipe& recipe, const std::vector<Value>& values);
/// @throws ProtocolError if the id isn't the recipe's or the size doesn't match the recipe exactly.
std::vector<Value> DecodeData(const Recipe& recipe, const std::vector<uint8_t>& payload);

/// Controller version as RTDE's GET_URCONTROL_VERSION reports it.
struct ControllerVersion {
  uint32_t major = 0, minor = 0, bugfix = 0, build = 0;
  /// e-Series (major >= 5) streams at up to 500 Hz, CB3 at 125 Hz.
  double max_frequency_hz() const { return major >= 5 ? 500.0 : 125.0; }
};

/// Text message levels (protocol 2).
enum class MessageLevel : uint8_t { kException = 0, kError = 1, kWarning = 2, kInfo = 3 };
std::vector<uint8_t> EncodeTextMessage(const std::string& message, const std::string& source, MessageLevel level);
/// "source: message" from a text message payload; its level into `level` when given.
std::string DecodeTextMessage(const std::vector<uint8_t>& payload, MessageLevel* level = nullptr);

/// Comma-joined names or types as the setup packages carry them; and the split back.
std::string JoinComma(const std::vector<std::string>& items);
std::vector<std::string> SplitComma(const std::string& text);

}  // namespace taskforge::realrobot::rtde
