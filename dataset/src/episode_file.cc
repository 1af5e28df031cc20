#include "episode_file.h"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "taskforge/core/error.h"

namespace taskforge::dataset {
namespace {

using nlohmann::json;

constexpr char kMagic[8] = {'T', 'F', 'E', 'P', '0', '0', '0', '1'};
constexpr char kTrailerMagic[4] = {'T', 'F', 'E', 'E'};
constexpr size_t kFixedHeader = 36;  // magic, frame count, flags, meta extent
constexpr size_t kExtentBytes = 20;  // u64 offset, u64 size, u32 crc32
constexpr size_t kTrailerBytes = 16; // u64 file size, u32 crc32 of everything before, magic
constexpr uint32_t kFlagRaw = 1;

json PoseJson(const Pose& pose) {
  const Vec3 p = pose.translation();
  const Quat q(pose.rotation());
  return {{"position", {p.x(), p.y(), p.z()}}, {"quaternion_xyzw", {q.x(), q.y(), q.z(), q.w()}}};
}

Pose PoseFrom(const json& j) {
  const auto& p = j.at("position");
  const auto& q = j.at("quaternion_xyzw");
  return MakePose(Vec3(p.at(0), p.at(1), p.at(2)),
                  Quat(q.at(3).get<double>(), q.at(0).get<double>(), q.at(1).get<double>(), q.at(2).get<double>()));
}

json BoundsJson(const WorkspaceBounds& b) {
  return {{"x", {b.x_min, b.x_max}}, {"y", {b.y_min, b.y_max}}, {"z", {b.z_min, b.z_max}}, {"pixel_size", b.pixel_size}};
}

WorkspaceBounds BoundsFrom(const json& j) {
  WorkspaceBounds b;
  b.x_min = j.at("x").at(0), b.x_max = j.at("x").at(1);
  b.y_min = j.at("y").at(0), b.y_max = j.at("y").at(1);
  b.z_min = j.at("z").at(0), b.z_max = j.at("z").at(1);
  b.pixel_size = j.at("pixel_size");
  return b;
}

json CameraJson(const CameraConfig& c) {
  return {{"name", c.name}, {"width", c.width}, {"height", c.height}, {"fx", c.fx}, {"fy", c.fy},
          {"cx", c.cx}, {"cy", c.cy}, {"z_near", c.z_near}, {"z_far", c.z_far},
          {"world_T_camera", PoseJson(c.world_T_camera)}};
}

CameraConfig CameraFrom(const json& j) {
  CameraConfig c;
  c.name = j.at("name"), c.width = j.at("width"), c.height = j.at("height");
  c.fx = j.at("fx"), c.fy = j.at("fy"), c.cx = j.at("cx"), c.cy = j.at("cy");
  c.z_near = j.at("z_near"), c.z_far = j.at("z_far");
  c.world_T_camera = PoseFrom(j.at("world_T_camera"));
  return c;
}

json InfoJson(const EpisodeInfo& info) {
  json steps = json::array();
  for (const StepLabel& s : info.steps) {
    json step = {{"language_goal", s.language_goal}, {"reward", s.reward}, {"action", nullptr}};
    if (s.action) {
      const ActionLabel& a = *s.action;
      step["action"] = {{"pick", PoseJson(a.pick)},          {"place", PoseJson(a.place)},
                        {"pick_pixel", a.pick_pixel},       {"place_pixel", a.place_pixel},
                        {"pick_yaw", a.pick_yaw},           {"place_yaw", a.place_yaw}};
    }
    steps.push_back(std::move(step));
  }
  json cameras = json::array();
  for (const CameraConfig& c : info.cameras) cameras.push_back(CameraJson(c));
  return {{"task", info.task}, {"variant", info.variant}, {"split", info.split}, {"seed", info.seed},
          {"slot", info.slot}, {"attempt", info.attempt}, {"reward", info.reward}, {"steps", steps},
          {"cameras", cameras}, {"bounds", BoundsJson(info.bounds)}, {"height_unit_m", kHeightUnitM}};
}

// Sizes of a frame's parts before compression.
size_t FusedBytes(const WorkspaceBounds& b) { return size_t(b.rows()) * b.cols() * 5; }  // RGB + 2 height bytes
size_t CameraBytes(const CameraConfig& c) { return size_t(c.width) * c.height * 7; }    // RGB + 4 depth bytes

Bytes FramePayload(const Frame& frame, const EpisodeInfo& info, bool raw) {
  const WorkspaceBounds& b = info.bounds;
  const size_t cells = size_t(b.rows()) * b.cols();
  TF_DEMAND(frame.color.height == b.rows() && frame.color.width == b.cols() && frame.color.channels == 3);
  TF_DEMAND(frame.height.height == b.rows() && frame.height.width == b.cols());
  Bytes out(FusedBytes(b));
  std::copy(frame.color.data.begin(), frame.color.data.end(), out.begin());
  uint8_t* height = out.data() + cells * 3;
  for (size_t i = 0; i < cells; ++i) {
    const double code = std::min(std::round(std::max(0.0f, frame.height.data[i]) / kHeightUnitM), 65535.0);
    height[2 * i] = uint8_t(uint16_t(code) & 0xFF);
    height[2 * i + 1] = uint8_t(uint16_t(code) >> 8);
  }
  if (!raw) return out;
  TF_DEMAND(frame.cameras.size() == info.cameras.size());
  for (size_t c = 0; c < info.cameras.size(); ++c) {
    const RgbdFrame& f = frame.cameras[c];
    const size_t pixels = size_t(info.cameras[c].width) * info.cameras[c].height;
    TF_DEMAND(f.color.data.size() == pixels * 3 && f.depth.data.size() == pixels);
    const size_t at = out.size();
    out.resize(at + CameraBytes(info.cameras[c]));
    std::copy(f.color.data.begin(), f.color.data.end(), out.begin() + long(at));
    // Depth as four byte planes (byte 0 of every pixel, then byte 1, ...): 22% smaller than interleaved.
    static_assert(sizeof(float) == 4 && std::endian::native == std::endian::little);
    const auto* depth = reinterpret_cast<const uint8_t*>(f.depth.data.data());
    uint8_t* planes = out.data() + at + pixels * 3;
    for (size_t i = 0; i < pixels; ++i) {
      for (size_t k = 0; k < 4; ++k) planes[k * pixels + i] = depth[i * 4 + k];
    }
  }
  return out;
}

void CheckCrc(const uint8_t* data, const Extent& extent, const std::string& what) {
  const uint32_t crc = Crc32(data, extent.size);
  TF_THROW_UNLESS(crc == extent.crc32, what, " is corrupt: CRC-32 ", crc, " where ", extent.crc32, " was written");
}

}  // namespace

EncodedEpisode EncodeEpisode(const EpisodeInfo& info, const std::vector<Frame>& frames, bool raw,
                             int compression_level) {
  TF_DEMAND(frames.size() == info.steps.size());
  const std::string meta = InfoJson(info).dump();
  EncodedEpisode encoded;
  Bytes& out = encoded.bytes;
  IndexEntry& entry = encoded.entry;
  out.resize(sizeof kMagic);
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  PutU32(out, uint32_t(frames.size()));
  PutU32(out, raw ? kFlagRaw : 0);
  const size_t table = out.size();  // meta extent, then one extent per frame, then the header CRC
  out.resize(table + kExtentBytes * (frames.size() + 1) + 4);
  auto append = [&](const uint8_t* data, size_t size) {
    Extent e{out.size(), size, Crc32(data, size)};
    out.insert(out.end(), data, data + size);
    return e;
  };
  entry.meta = append(reinterpret_cast<const uint8_t*>(meta.data()), meta.size());
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  TF_DEMAND(cctx != nullptr);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, compression_level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
  Bytes compressed;
  for (const Frame& frame : frames) {
    const Bytes payload = FramePayload(frame, info, raw);
    compressed.resize(ZSTD_compressBound(payload.size()));
    const size_t n = ZSTD_compress2(cctx, compressed.data(), compressed.size(), payload.data(), payload.size());
    TF_DEMAND(!ZSTD_isError(n));
    entry.frame_extents.push_back(append(compressed.data(), n));
  }
  ZSTD_freeCCtx(cctx);
  PutU64At(out, table, entry.meta.offset);
  PutU64At(out, table + 8, entry.meta.size);
  PutU32At(out, table + 16, entry.meta.crc32);
  for (size_t i = 0; i < frames.size(); ++i) {
    const Extent& e = entry.frame_extents[i];
    const size_t at = table + kExtentBytes * (i + 1);
    PutU64At(out, at, e.offset);
    PutU64At(out, at + 8, e.size);
    PutU32At(out, at + 16, e.crc32);
  }
  const size_t header_end = table + kExtentBytes * (frames.size() + 1);
  PutU32At(out, header_end, Crc32(out.data(), header_end));
  const uint64_t file_size = out.size() + kTrailerBytes;
  const uint32_t body_crc = Crc32(out);
  PutU64(out, file_size);
  PutU32(out, body_crc);
  out.insert(out.end(), kTrailerMagic, kTrailerMagic + 4);
  entry.task = info.task;
  entry.seed = info.seed;
  entry.slot = info.slot;
  entry.frames = int(frames.size());
  entry.reward = info.reward;
  entry.bytes = out.size();
  entry.crc32 = Crc32(out);
  return encoded;
}

IndexEntry CheckEpisodeFile(const Bytes& bytes, const std::string& name) {
  TF_THROW_UNLESS(bytes.size() >= kFixedHeader + kTrailerBytes && std::memcmp(bytes.data(), kMagic, 8) == 0,
                  name, " is not a taskforge episode file (bad magic or ", bytes.size(), " bytes)");
  const uint8_t* trailer = bytes.data() + bytes.size() - kTrailerBytes;
  TF_THROW_UNLESS(std::memcmp(trailer + 12, kTrailerMagic, 4) == 0 && GetU64(trailer) == bytes.size(), name,
                  " is truncated: its trailer is missing or names another size (file has ", bytes.size(), " bytes)");
  const uint32_t body_crc = Crc32(bytes.data(), bytes.size() - kTrailerBytes);
  TF_THROW_UNLESS(body_crc == GetU32(trailer + 8), name, " is corrupt: CRC-32 of its contents is ", body_crc,
                  " where ", GetU32(trailer + 8), " was written");
  IndexEntry entry;
  const uint32_t frame_count = GetU32(bytes.data() + 8);
  const bool raw = GetU32(bytes.data() + 12) & kFlagRaw;
  const size_t header_end = kFixedHeader - kExtentBytes + kExtentBytes * (size_t(frame_count) + 1);
  TF_THROW_UNLESS(header_end + 4 <= bytes.size(), name, " is corrupt: ", frame_count, " frames do not fit");
  TF_THROW_UNLESS(Crc32(bytes.data(), header_end) == GetU32(bytes.data() + header_end), name,
                  " is corrupt: header CRC mismatch");
  auto extent_at = [&](size_t at) {
    Extent e{GetU64(bytes.data() + at), GetU64(bytes.data() + at + 8), GetU32(bytes.data() + at + 16)};
    TF_THROW_UNLESS(e.offset <= bytes.size() && e.size <= bytes.size() - e.offset, name,
                    " is corrupt: an extent points outside the file");
    return e;
  };
  entry.meta = extent_at(16);
  CheckCrc(bytes.data() + entry.meta.offset, entry.meta, name + " labels");
  const EpisodeInfo info =
      ParseEpisodeInfo(Bytes(bytes.begin() + long(entry.meta.offset),
                             bytes.begin() + long(entry.meta.offset + entry.meta.size)), name);
  TF_THROW_UNLESS(info.steps.size() == frame_count, name, " is corrupt: ", info.steps.size(), " step labels for ",
                  frame_count, " frames");
  for (uint32_t i = 0; i < frame_count; ++i) {
    const Extent e = extent_at(kFixedHeader + kExtentBytes * i);
    const Bytes compressed(bytes.begin() + long(e.offset), bytes.begin() + long(e.offset + e.size));
    DecodeFrame(compressed, e, info, raw, name + " step " + std::to_string(i));
    entry.frame_extents.push_back(e);
  }
  entry.task = info.task;
  entry.seed = info.seed;
  entry.slot = info.slot;
  entry.frames = int(frame_count);
  entry.reward = info.reward;
  entry.bytes = bytes.size();
  entry.crc32 = Crc32(bytes);
  return entry;
}

EpisodeInfo ParseEpisodeInfo(const Bytes& meta, const std::string& name) {
  try {
    const json j = json::parse(meta.begin(), meta.end());
    EpisodeInfo info;
    info.task = j.at("task"), info.variant = j.at("variant"), info.split = j.at("split");
    info.seed = j.at("seed"), info.slot = j.at("slot"), info.attempt = j.at("attempt");
    info.reward = j.at("reward");
    info.bounds = BoundsFrom(j.at("bounds"));
    TF_THROW_UNLESS(j.at("height_unit_m").get<double>() == kHeightUnitM, "height_unit_m ", j.at("height_unit_m"),
                    " is not ", kHeightUnitM);
    for (const json& c : j.at("cameras")) info.cameras.push_back(CameraFrom(c));
    for (const json& s : j.at("steps")) {
      StepLabel step;
      step.language_goal = s.at("language_goal");
      step.reward = s.at("reward");
      if (const json& a = s.at("action"); !a.is_null()) {
        ActionLabel action;
        action.pick = PoseFrom(a.at("pick"));
        action.place = PoseFrom(a.at("place"));
        action.pick_pixel = a.at("pick_pixel");
        action.place_pixel = a.at("place_pixel");
        action.pick_yaw = a.at("pick_yaw");
        action.place_yaw = a.at("place_yaw");
        step.action = action;
      }
      info.steps.push_back(std::move(step));
    }
    return info;
  } catch (const json::exception& e) {
    throw Error(name + ": malformed episode labels: " + e.what());
  }
}

Frame DecodeFrame(const Bytes& compressed, const Extent& extent, const EpisodeInfo& info, bool raw,
                  const std::string& where) {
  CheckCrc(compressed.data(), extent, where);
  size_t expected = FusedBytes(info.bounds);
  if (raw) {
    for (const CameraConfig& c : info.cameras) expected += CameraBytes(c);
  }
  const unsigned long long declared = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  TF_THROW_UNLESS(declared == expected, where, " is corrupt: its zstd frame declares ", declared, " bytes, not ",
                  expected);
  Bytes payload(expected);
  const size_t n = ZSTD_decompress(payload.data(), payload.size(), compressed.data(), compressed.size());
  TF_THROW_UNLESS(!ZSTD_isError(n) && n == expected, where, " is corrupt: zstd says ",
                  ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
  const WorkspaceBounds& b = info.bounds;
  const size_t cells = size_t(b.rows()) * b.cols();
  Frame frame;
  frame.color = ColorImage(b.rows(), b.cols(), 3);
  std::copy(payload.begin(), payload.begin() + long(cells * 3), frame.color.data.begin());
  frame.height = HeightImage(b.rows(), b.cols(), 1);
  const uint8_t* height = payload.data() + cells * 3;
  for (size_t i = 0; i < cells; ++i) {
    frame.height.data[i] = float(double(height[2 * i] | (uint16_t(height[2 * i + 1]) << 8)) * kHeightUnitM);
  }
  if (!raw) return frame;
  size_t at = FusedBytes(b);
  for (const CameraConfig& c : info.cameras) {
    const size_t pixels = size_t(c.width) * c.height;
    RgbdFrame& f = frame.cameras.emplace_back();
    f.color = ColorImage(c.height, c.width, 3);
    std::copy(payload.begin() + long(at), payload.begin() + long(at + pixels * 3), f.color.data.begin());
    f.depth = DepthImage(c.height, c.width, 1);
    auto* depth = reinterpret_cast<uint8_t*>(f.depth.data.data());
    const uint8_t* planes = payload.data() + at + pixels * 3;
    for (size_t i = 0; i < pixels; ++i) {
      for (size_t k = 0; k < 4; ++k) depth[i * 4 + k] = planes[k * pixels + i];
    }
    at += CameraBytes(c);
  }
  return frame;
}

}  // namespace taskforge::dataset
