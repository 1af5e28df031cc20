#include "taskforge/realrobot/rtde.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>

#include "taskforge/core/error.h"

namespace taskforge::realrobot::rtde {
namespace {

// TF_THROW_UNLESS for protocol violations.
#define TF_PROTOCOL_UNLESS(cond, ...) \
  do {                                  \
    if (!(cond)) throw ProtocolError(::taskforge::internal::Concat(__VA_ARGS__)); \
  } while (0)

int Count(FieldType type) {
  switch (type) {
    case FieldType::kVector3d: return 3;
    case FieldType::kVector6d:
    case FieldType::kVector6Int32:
    case FieldType::kVector6Uint32: return 6;
    default: return 1;
  }
}

// "output_int_register_12" -> 12 when the name is `prefix` + a number in [lo, hi].
std::optional<int> RegisterIndex(const std::string& name, const std::string& prefix, int lo, int hi) {
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size() || name.size() > prefix.size() + 3) return std::nullopt;
  int index = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    index = index * 10 + (name[i] - '0');
  }
  if (index < lo || index > hi) return std::nullopt;
  return index;
}

std::optional<FieldType> RegisterType(const std::string& name, const std::string& io) {
  if (RegisterIndex(name, io + "_int_register_", 0, 47)) return FieldType::kInt32;
  if (RegisterIndex(name, io + "_double_register_", 0, 47)) return FieldType::kDouble;
  if (RegisterIndex(name, io + "_bit_register_", 64, 127)) return FieldType::kBool;
  return std::nullopt;
}

}  // namespace

const char* TypeName(FieldType type) {
  switch (type) {
    case FieldType::kBool: return "BOOL";
    case FieldType::kUint8: return "UINT8";
    case FieldType::kUint32: return "UINT32";
    case FieldType::kUint64: return "UINT64";
    case FieldType::kInt32: return "INT32";
    case FieldType::kDouble: return "DOUBLE";
    case FieldType::kVector3d: return "VECTOR3D";
    case FieldType::kVector6d: return "VECTOR6D";
    case FieldType::kVector6Int32: return "VECTOR6INT32";
    case FieldType::kVector6Uint32: return "VECTOR6UINT32";
  }
  return "?";
}

size_t TypeSize(FieldType type) {
  switch (type) {
    case FieldType::kBool:
    case FieldType::kUint8: return 1;
    case FieldType::kUint32:
    case FieldType::kInt32: return 4;
    case FieldType::kUint64:
    case FieldType::kDouble: return 8;
    case FieldType::kVector3d: return 24;
    case FieldType::kVector6d: return 48;
    case FieldType::kVector6Int32:
    case FieldType::kVector6Uint32: return 24;
  }
  return 0;
}

std::optional<FieldType> OutputFieldType(const std::string& name) {
  static const std::map<std::string, FieldType> fields = {
      {"timestamp", FieldType::kDouble},          {"target_q", FieldType::kVector6d},
      {"target_qd", FieldType::kVector6d},        {"actual_q", FieldType::kVector6d},
      {"actual_qd", FieldType::kVector6d},        {"actual_current", FieldType::kVector6d},
      {"actual_TCP_pose", FieldType::kVector6d},  {"actual_TCP_speed", FieldType::kVector6d},
      {"actual_TCP_force", FieldType::kVector6d}, {"target_TCP_pose", FieldType::kVector6d},
      {"joint_mode", FieldType::kVector6Int32},   {"robot_mode", FieldType::kInt32},
      {"safety_mode", FieldType::kInt32},         {"safety_status", FieldType::kInt32},
      {"runtime_state", FieldType::kUint32},      {"robot_status_bits", FieldType::kUint32},
      {"safety_status_bits", FieldType::kUint32}, {"speed_scaling", FieldType::kDouble},
      {"target_speed_fraction", FieldType::kDouble}, {"actual_digital_input_bits", FieldType::kUint64},
      {"actual_digital_output_bits", FieldType::kUint64}, {"actual_execution_time", FieldType::kDouble},
  };
  if (auto it = fields.find(name); it != fields.end()) return it->second;
  return RegisterType(name, "output");
}

std::optional<FieldType> InputFieldType(const std::string& name) {
  static const std::map<std::string, FieldType> fields = {
      {"speed_slider_mask", FieldType::kUint32},
      {"speed_slider_fraction", FieldType::kDouble},
      {"standard_digital_output_mask", FieldType::kUint8},
      {"standard_digital_output", FieldType::kUint8},
      {"configurable_digital_output_mask", FieldType::kUint8},
      {"configurable_digital_output", FieldType::kUint8},
      {"tool_digital_output_mask", FieldType::kUint8},
      {"tool_digital_output", FieldType::kUint8},
  };
  if (auto it = fields.find(name); it != fields.end()) return it->second;
  return RegisterType(name, "input");
}

std::optional<size_t> Recipe::Find(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return std::nullopt;
}

std::vector<uint8_t> Frame(PackageType type, const std::vector<uint8_t>& payload) {
  TF_DEMAND(payload.size() + 3 <= kMaxPackageSize);
  Writer w;
  w.U16(uint16_t(payload.size() + 3)).U8(uint8_t(type));
  std::vector<uint8_t> out = w.Take();
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::optional<Package> ReadPackage(Socket& socket, double timeout_s) {
  if (!socket.WaitReadable(timeout_s)) return std::nullopt;
  uint8_t header[3];
  socket.ReadExact(header, 3, timeout_s);
  const size_t size = (size_t(header[0]) << 8) | header[1];
  TF_PROTOCOL_UNLESS(size >= 3 && size <= kMaxPackageSize, "malformed RTDE package from ", socket.peer(),
                  ": declared size ", size, " (must be 3..", kMaxPackageSize, ")");
  const uint8_t type = header[2];
  static constexpr uint8_t kKnown[] = {86, 118, 77, 85, 79, 73, 83, 80};
  TF_PROTOCOL_UNLESS(std::find(std::begin(kKnown), std::end(kKnown), type) != std::end(kKnown),
                  "malformed RTDE package from ", socket.peer(), ": unknown package type ", int(type));
  Package package{PackageType(type), std::vector<uint8_t>(size - 3)};
  if (!package.payload.empty()) socket.ReadExact(package.payload.data(), package.payload.size(), timeout_s);
  return package;
}

Writer& Writer::U8(uint8_t x) {
  bytes_.push_back(x);
  return *this;
}
Writer& Writer::U16(uint16_t x) { return U8(uint8_t(x >> 8)).U8(uint8_t(x)); }
Writer& Writer::U32(uint32_t x) { return U16(uint16_t(x >> 16)).U16(uint16_t(x)); }
Writer& Writer::U64(uint64_t x) { return U32(uint32_t(x >> 32)).U32(uint32_t(x)); }
Writer& Writer::I32(int32_t x) { return U32(uint32_t(x)); }
Writer& Writer::F64(double x) { return U64(std::bit_cast<uint64_t>(x)); }
Writer& Writer::Bytes(const std::string& s) {
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  return *this;
}

Writer& Writer::Field(FieldType type, const Value& value) {
  for (int i = 0; i < Count(type); ++i) {
    const double x = value[i];
    switch (type) {
      case FieldType::kBool: U8(x != 0.0); break;
      case FieldType::kUint8: U8(uint8_t(x)); break;
      case FieldType::kUint32:
      case FieldType::kVector6Uint32: U32(uint32_t(x)); break;
      case FieldType::kUint64: U64(uint64_t(x)); break;
      case FieldType::kInt32:
      case FieldType::kVector6Int32: I32(int32_t(x)); break;
      case FieldType::kDouble:
      case FieldType::kVector3d:
      case FieldType::kVector6d: F64(x); break;
    }
  }
  return *this;
}

void Reader::Need(size_t n) const {
  TF_PROTOCOL_UNLESS(pos_ + n <= bytes_.size(), "malformed ", what_, ": needs ", pos_ + n, " bytes, has ",
                  bytes_.size());
}
uint8_t Reader::U8() {
  Need(1);
  return bytes_[pos_++];
}
uint16_t Reader::U16() {
  const uint16_t hi = U8();
  return uint16_t((hi << 8) | U8());
}
uint32_t Reader::U32() {
  const uint32_t hi = U16();
  return (hi << 16) | U16();
}
uint64_t Reader::U64() {
  const uint64_t hi = U32();
  return (hi << 32) | U32();
}
int32_t Reader::I32() { return int32_t(U32()); }
double Reader::F64() { return std::bit_cast<double>(U64()); }
std::string Reader::Bytes(size_t n) {
  Need(n);
  std::string s(bytes_.begin() + long(pos_), bytes_.begin() + long(pos_ + n));
  pos_ += n;
  return s;
}
std::string Reader::Rest() { return Bytes(remaining()); }

Value Reader::Field(FieldType type) {
  Need(TypeSize(type));  // names the whole field's size in the message
  Value value;
  for (int i = 0; i < Count(type); ++i) {
    switch (type) {
      case FieldType::kBool:
      case FieldType::kUint8: value.v[size_t(i)] = U8(); break;
      case FieldType::kUint32:
      case FieldType::kVector6Uint32: value.v[size_t(i)] = U32(); break;
      case FieldType::kUint64: value.v[size_t(i)] = double(U64()); break;
      case FieldType::kInt32:
      case FieldType::kVector6Int32: value.v[size_t(i)] = I32(); break;
      case FieldType::kDouble:
      case FieldType::kVector3d:
      case FieldType::kVector6d: value.v[size_t(i)] = F64(); break;
    }
  }
  return value;
}

void Reader::ExpectEnd() const {
  TF_PROTOCOL_UNLESS(remaining() == 0, "malformed ", what_, ": ", remaining(), " unexpected trailing bytes");
}

std::vector<uint8_t> EncodeData(const Recipe& recipe, const std::vector<Value>& values) {
  TF_DEMAND(values.size() == recipe.types.size());
  Writer w;
  w.U8(recipe.id);
  for (size_t i = 0; i < values.size(); ++i) w.Field(recipe.types[i], values[i]);
  return w.Take();
}

std::vector<Value> DecodeData(const Recipe& recipe, const std::vector<uint8_t>& payload) {
  Reader r(payload, "RTDE data package");
  const uint8_t id = r.U8();
  TF_PROTOCOL_UNLESS(id == recipe.id, "RTDE data package for recipe ", int(id), ", expected recipe ", int(recipe.id));
  std::vector<Value> values;
  values.reserve(recipe.types.size());
  for (FieldType type : recipe.types) values.push_back(r.Field(type));
  r.ExpectEnd();
  return values;
}

std::vector<uint8_t> EncodeTextMessage(const std::string& message, const std::string& source, MessageLevel level) {
  Writer w;
  w.U8(uint8_t(std::min<size_t>(message.size(), 255))).Bytes(message.substr(0, 255));
  w.U8(uint8_t(std::min<size_t>(source.size(), 255))).Bytes(source.substr(0, 255));
  w.U8(uint8_t(level));
  return w.Take();
}

std::string DecodeTextMessage(const std::vector<uint8_t>& payload, MessageLevel* level) {
  Reader r(payload, "RTDE text message");
  const std::string message = r.Bytes(r.U8());
  const std::string source = r.Bytes(r.U8());
  const uint8_t value = r.U8();
  if (level) *level = MessageLevel(value);
  return source + ": " + message;
}

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace taskforge::realrobot::rtde
