#include "taskforge/realrobot/camera.h"

#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "taskforge/core/error.h"
#include "taskforge/realrobot/tcp.h"
#include "v4l2_camera.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

namespace taskforge::realrobot {
namespace {

std::string FrameName(const char* kind, int index) {
  std::ostringstream name;
  name << kind << "_" << std::setw(6) << std::setfill('0') << index << ".png";
  return name.str();
}

uint32_t Crc32(const uint8_t* data, size_t n, uint32_t crc = 0xffffffffu) {
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc;
}

void PutU32(std::vector<uint8_t>& out, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(x >> s));
}

void PutChunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data) {
  PutU32(out, uint32_t(data.size()));
  std::vector<uint8_t> body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  out.insert(out.end(), body.begin(), body.end());
  PutU32(out, Crc32(body.data(), body.size()) ^ 0xffffffffu);
}

// Depth units -> metres into a DepthImage (0 stays 0: no reading).
DepthImage ToMetres(const Image<uint16_t>& units, double scale) {
  DepthImage depth(units.height, units.width, 1);
  for (size_t i = 0; i < units.data.size(); ++i) depth.data[i] = float(units.data[i] * scale);
  return depth;
}

// A recorded sequence; Capture() returns the frames in order and fails after the last.
class FileSequenceCamera : public Camera {
 public:
  FileSequenceCamera(std::filesystem::path dir, const Pose& world_T_camera) : dir_(std::move(dir)) {
    config_ = ReadIntrinsics(dir_ / "intrinsics.json", &depth_scale_);
    config_.name = "files:" + dir_.string();
    config_.world_T_camera = world_T_camera;
  }
  const CameraConfig& config() const override { return config_; }
  RgbdFrame Capture() override {
    const std::filesystem::path color = dir_ / FrameName("color", next_), depth = dir_ / FrameName("depth", next_);
    TF_THROW_UNLESS(std::filesystem::exists(color), "camera ", config_.name, ": no frame ", next_, " (", color.string(),
                    " is missing; the sequence has ended)");
    RgbdFrame frame;
    frame.color = ReadPngRgb(color);
    frame.depth = ToMetres(ReadPng16(depth), depth_scale_);
    for (const auto* image : {&frame.color.width, &frame.depth.width}) {
      TF_THROW_UNLESS(*image == config_.width, "camera ", config_.name, ": frame ", next_, " is ", *image,
                      " px wide, intrinsics.json says ", config_.width);
    }
    TF_THROW_UNLESS(frame.color.height == config_.height && frame.depth.height == config_.height, "camera ",
                    config_.name, ": frame ", next_, " is not ", config_.height, " px high as intrinsics.json says");
    ++next_;
    return frame;
  }

 private:
  std::filesystem::path dir_;
  CameraConfig config_;
  double depth_scale_ = 0.001;
  int next_ = 0;
};

// A robot twin's camera over its frame protocol (realrobot_twin/twin.h).
class TwinCamera : public Camera {
 public:
  TwinCamera(const std::string& host, int port, int index, const Pose& world_T_camera)
      : socket_(Socket::Connect(host, port)), index_(index) {
    config_.name = "twin:" + host + ":" + std::to_string(port) + ":" + std::to_string(index);
    Fetch();  // learns the intrinsics
    config_.world_T_camera = world_T_camera;
  }
  const CameraConfig& config() const override { return config_; }
  RgbdFrame Capture() override { return Fetch(); }

 private:
  RgbdFrame Fetch() {
    socket_.SendAll("frame " + std::to_string(index_) + "\n");
    const nlohmann::json header = nlohmann::json::parse(socket_.ReadLine(30.0));
    TF_THROW_UNLESS(!header.contains("error"), "camera ", config_.name, ": ", header.value("error", ""));
    config_.width = header.at("width");
    config_.height = header.at("height");
    config_.fx = header.at("fx");
    config_.fy = header.at("fy");
    config_.cx = header.at("cx");
    config_.cy = header.at("cy");
    const double scale = header.at("depth_scale");
    RgbdFrame frame;
    frame.color = ColorImage(config_.height, config_.width, 3);
    socket_.ReadExact(frame.color.data.data(), frame.color.data.size(), 30.0);
    std::vector<uint8_t> raw(size_t(config_.width) * config_.height * 2);
    socket_.ReadExact(raw.data(), raw.size(), 30.0);
    Image<uint16_t> units(config_.height, config_.width, 1);
    for (size_t i = 0; i < units.data.size(); ++i) units.data[i] = uint16_t(raw[2 * i] | (raw[2 * i + 1] << 8));
    frame.depth = ToMetres(units, scale);
    return frame;
  }

  Socket socket_;
  int index_;
  CameraConfig config_;
};

}  // namespace

CameraConfig ReadIntrinsics(const std::filesystem::path& path, double* depth_scale_m) {
  std::ifstream in(path);
  TF_THROW_UNLESS(in, "cannot read camera intrinsics '", path.string(), "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    TF_THROW_UNLESS(false, "camera intrinsics '", path.string(), "' are not valid JSON: ", e.what());
  }
  auto number = [&](const char* key) {
    TF_THROW_UNLESS(j.contains(key) && j[key].is_number() && j[key].get<double>() > 0, "camera intrinsics '",
                    path.string(), "': '", key, "' must be a positive number",
                    j.contains(key) ? ", got " + j[key].dump() : " (missing)");
    return j[key].get<double>();
  };
  CameraConfig camera;
  camera.width = int(number("width"));
  camera.height = int(number("height"));
  camera.fx = number("fx");
  camera.fy = number("fy");
  camera.cx = number("cx");
  camera.cy = number("cy");
  if (depth_scale_m) *depth_scale_m = number("depth_scale");
  return camera;
}

void WriteIntrinsics(const std::filesystem::path& path, const CameraConfig& camera, double depth_scale_m) {
  std::ofstream out(path);
  TF_THROW_UNLESS(out, "cannot write '", path.string(), "'");
  out << nlohmann::json{{"width", camera.width}, {"height", camera.height}, {"fx", camera.fx}, {"fy", camera.fy},
                        {"cx", camera.cx},       {"cy", camera.cy},         {"depth_scale", depth_scale_m}}
             .dump(2)
      << "\n";
}

void WritePng16(const std::filesystem::path& path, const Image<uint16_t>& image) {
  TF_DEMAND(image.channels == 1);
  // Uncompressed deflate ("stored" blocks): valid PNG without a compressor.
  std::vector<uint8_t> raw;
  for (int r = 0; r < image.height; ++r) {
    raw.push_back(0);  // filter: none
    for (int c = 0; c < image.width; ++c) {
      raw.push_back(uint8_t(image.at(r, c) >> 8));
      raw.push_back(uint8_t(image.at(r, c) & 0xff));
    }
  }
  std::vector<uint8_t> z = {0x78, 0x01};
  for (size_t at = 0; at < raw.size() || at == 0; at += 65535) {
    const size_t n = std::min<size_t>(65535, raw.size() - at);
    z.push_back(at + n == raw.size() ? 1 : 0);
    z.push_back(uint8_t(n & 0xff));
    z.push_back(uint8_t(n >> 8));
    z.push_back(uint8_t(~n & 0xff));
    z.push_back(uint8_t((~n >> 8) & 0xff));
    z.insert(z.end(), raw.begin() + long(at), raw.begin() + long(at + n));
    if (at + n == raw.size()) break;
  }
  uint32_t a = 1, b = 0;
  for (uint8_t x : raw) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  PutU32(z, (b << 16) | a);
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  PutU32(ihdr, uint32_t(image.width));
  PutU32(ihdr, uint32_t(image.height));
  ihdr.insert(ihdr.end(), {16, 0, 0, 0, 0});  // 16-bit greyscale, deflate, no filter, no interlace
  PutChunk(png, "IHDR", ihdr);
  PutChunk(png, "IDAT", z);
  PutChunk(png, "IEND", {});
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(png.data()), long(png.size()));
  TF_THROW_UNLESS(out, "cannot write '", path.string(), "'");
}

Image<uint16_t> ReadPng16(const std::filesystem::path& path) {
  int w = 0, h = 0, n = 0;
  TF_THROW_UNLESS(stbi_is_16_bit(path.c_str()), "depth image '", path.string(), "' is not a 16-bit PNG",
                  std::filesystem::exists(path) ? "" : " (missing)");
  stbi_us* data = stbi_load_16(path.c_str(), &w, &h, &n, 1);
  TF_THROW_UNLESS(data, "cannot read depth image '", path.string(), "': ", stbi_failure_reason());
  Image<uint16_t> image(h, w, 1);
  std::memcpy(image.data.data(), data, image.data.size() * 2);
  stbi_image_free(data);
  return image;
}

ColorImage ReadPngRgb(const std::filesystem::path& path) {
  int w = 0, h = 0, n = 0;
  stbi_uc* data = stbi_load(path.c_str(), &w, &h, &n, 3);
  TF_THROW_UNLESS(data, "cannot read colour image '", path.string(), "': ", stbi_failure_reason());
  ColorImage image(h, w, 3);
  std::memcpy(image.data.data(), data, image.data.size());
  stbi_image_free(data);
  return image;
}

void WriteFrameFiles(const std::filesystem::path& dir, int index, const RgbdFrame& frame, double depth_scale_m) {
  WritePng(dir / FrameName("color", index), frame.color);
  Image<uint16_t> units(frame.depth.height, frame.depth.width, 1);
  for (size_t i = 0; i < units.data.size(); ++i) {
    units.data[i] = uint16_t(std::clamp(std::lround(frame.depth.data[i] / depth_scale_m), 0L, 65535L));
  }
  WritePng16(dir / FrameName("depth", index), units);
}

std::unique_ptr<Camera> OpenCamera(const std::string& spec, const Pose& world_T_camera) {
  const size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon), rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "files") return std::make_unique<FileSequenceCamera>(rest, world_T_camera);
  if (kind == "twin") {
    std::vector<std::string> parts;
    for (size_t at = 0;;) {
      const size_t next = rest.find(':', at);
      parts.push_back(rest.substr(at, next == std::string::npos ? std::string::npos : next - at));
      if (next == std::string::npos) break;
      at = next + 1;
    }
    TF_THROW_UNLESS(parts.size() == 2 || parts.size() == 3, "camera spec '", spec, "' must be twin:HOST:PORT[:INDEX]");
    try {
      return std::make_unique<TwinCamera>(parts[0], std::stoi(parts[1]), parts.size() == 3 ? std::stoi(parts[2]) : 0,
                                          world_T_camera);
    } catch (const std::logic_error&) {
      TF_THROW_UNLESS(false, "camera spec '", spec, "': port and index must be numbers");
    }
  }
  if (kind == "v4l2") return OpenV4l2Camera(spec, rest, world_T_camera);
  TF_THROW_UNLESS(false, "camera spec '", spec, "' must start with files:, twin: or v4l2:");
  return nullptr;
}

}  // namespace taskforge::realrobot
