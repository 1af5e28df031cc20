#include "v4l2_camera.h"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "taskforge/core/error.h"
#include "taskforge/realrobot/camera.h"

namespace taskforge::realrobot {
namespace {

int Ioctl(int fd, unsigned long request, void* arg) {
  int r;
  do r = ::ioctl(fd, request, arg);
  while (r < 0 && errno == EINTR);
  return r;
}

std::string FourCc(uint32_t f) { return {char(f & 0xff), char((f >> 8) & 0xff), char((f >> 16) & 0xff), char(f >> 24)}; }

// One streaming capture node with memory-mapped buffers.
class V4l2Stream {
 public:
  V4l2Stream(const std::string& device, int width, int height, const std::vector<uint32_t>& formats) : device_(device) {
    fd_ = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
    TF_THROW_UNLESS(fd_ >= 0, "cannot open camera device '", device, "': ", std::strerror(errno));
    v4l2_capability cap{};
    TF_THROW_UNLESS(Ioctl(fd_, VIDIOC_QUERYCAP, &cap) == 0, "'", device, "' is not a Video4Linux2 device");
    const uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    TF_THROW_UNLESS((caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING), "'", device,
                    "' can't stream video capture (is it a metadata node? try the next /dev/video)");
    for (uint32_t f : formats) {
      v4l2_format fmt{};
      fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      fmt.fmt.pix.width = uint32_t(width);
      fmt.fmt.pix.height = uint32_t(height);
      fmt.fmt.pix.pixelformat = f;
      fmt.fmt.pix.field = V4L2_FIELD_NONE;
      if (Ioctl(fd_, VIDIOC_S_FMT, &fmt) == 0 && fmt.fmt.pix.pixelformat == f &&
          int(fmt.fmt.pix.width) == width && int(fmt.fmt.pix.height) == height) {
        format_ = f;
        break;
      }
    }
    std::vector<std::string> names;
    for (uint32_t f : formats) names.push_back(FourCc(f));
    TF_THROW_UNLESS(format_ != 0, "'", device, "' offers none of ", JoinNames(names), " at ", width, "x", height);
    v4l2_requestbuffers req{};
    req.count = 4;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    TF_THROW_UNLESS(Ioctl(fd_, VIDIOC_REQBUFS, &req) == 0 && req.count > 0, "'", device, "' refused buffers: ",
                    std::strerror(errno));
    for (uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      TF_THROW_UNLESS(Ioctl(fd_, VIDIOC_QUERYBUF, &buf) == 0, "'", device, "': VIDIOC_QUERYBUF failed");
      void* p = ::mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
      TF_THROW_UNLESS(p != MAP_FAILED, "'", device, "': mmap failed: ", std::strerror(errno));
      buffers_.push_back({p, buf.length});
      TF_THROW_UNLESS(Ioctl(fd_, VIDIOC_QBUF, &buf) == 0, "'", device, "': VIDIOC_QBUF failed");
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    TF_THROW_UNLESS(Ioctl(fd_, VIDIOC_STREAMON, &type) == 0, "'", device, "': VIDIOC_STREAMON failed: ",
                    std::strerror(errno));
  }
  ~V4l2Stream() {
    if (fd_ < 0) return;
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    Ioctl(fd_, VIDIOC_STREAMOFF, &type);
    for (const auto& [p, n] : buffers_) ::munmap(p, n);
    ::close(fd_);
  }
  uint32_t format() const { return format_; }
  /// The newest frame's bytes (waits up to 2 s for one).
  std::vector<uint8_t> Grab() {
    pollfd p{fd_, POLLIN, 0};
    TF_THROW_UNLESS(::poll(&p, 1, 2000) > 0, "camera '", device_, "' delivered no frame within 2 s");
    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    TF_THROW_UNLESS(Ioctl(fd_, VIDIOC_DQBUF, &buf) == 0, "camera '", device_, "': VIDIOC_DQBUF failed");
    const uint8_t* data = static_cast<const uint8_t*>(buffers_[buf.index].first);
    std::vector<uint8_t> bytes(data, data + buf.bytesused);
    Ioctl(fd_, VIDIOC_QBUF, &buf);
    return bytes;
  }

 private:
  std::string device_;
  int fd_ = -1;
  uint32_t format_ = 0;
  std::vector<std::pair<void*, size_t>> buffers_;
};

class V4l2Camera : public Camera {
 public:
  V4l2Camera(const std::string& color, const std::string& depth, const std::string& intrinsics, const Pose& pose) {
    config_ = ReadIntrinsics(intrinsics, &depth_scale_);
    config_.name = "v4l2:" + color + "," + depth;
    config_.world_T_camera = pose;
    color_ = std::make_unique<V4l2Stream>(color, config_.width, config_.height,
                                          std::vector<uint32_t>{V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_GREY});
    depth_ = std::make_unique<V4l2Stream>(depth, config_.width, config_.height, std::vector<uint32_t>{V4L2_PIX_FMT_Z16});
  }
  const CameraConfig& config() const override { return config_; }
  RgbdFrame Capture() override {
    const size_t pixels = size_t(config_.width) * config_.height;
    const std::vector<uint8_t> color = color_->Grab(), depth = depth_->Grab();
    const bool yuyv = color_->format() == V4L2_PIX_FMT_YUYV;
    TF_THROW_UNLESS(color.size() >= pixels * (yuyv ? 2 : 1) && depth.size() >= pixels * 2, "camera ", config_.name,
                    ": a frame arrived short (", color.size(), " colour, ", depth.size(), " depth bytes)");
    RgbdFrame frame;
    if (yuyv) {
      YuyvToRgb(color.data(), config_.width, config_.height, frame.color);
    } else {
      GreyToRgb(color.data(), config_.width, config_.height, frame.color);
    }
    Z16ToMetres(depth.data(), config_.width, config_.height, depth_scale_, frame.depth);
    return frame;
  }

 private:
  CameraConfig config_;
  double depth_scale_ = 0.001;
  std::unique_ptr<V4l2Stream> color_, depth_;
};

uint8_t Clamp8(double x) { return uint8_t(std::clamp(x, 0.0, 255.0) + 0.5); }

}  // namespace

void YuyvToRgb(const uint8_t* yuyv, int width, int height, ColorImage& rgb) {
  rgb.Resize(height, width, 3);
  for (size_t pair = 0; pair < size_t(width) * height / 2; ++pair) {
    const uint8_t* p = yuyv + 4 * pair;
    const double u = p[1] - 128.0, v = p[3] - 128.0;
    for (int k = 0; k < 2; ++k) {
      const double y = p[2 * k];
      uint8_t* out = rgb.data.data() + 3 * (2 * pair + size_t(k));
      out[0] = Clamp8(y + 1.402 * v);
      out[1] = Clamp8(y - 0.344136 * u - 0.714136 * v);
      out[2] = Clamp8(y + 1.772 * u);
    }
  }
}

void GreyToRgb(const uint8_t* grey, int width, int height, ColorImage& rgb) {
  rgb.Resize(height, width, 3);
  for (size_t i = 0; i < size_t(width) * height; ++i) rgb.data[3 * i] = rgb.data[3 * i + 1] = rgb.data[3 * i + 2] = grey[i];
}

void Z16ToMetres(const uint8_t* z16, int width, int height, double depth_scale_m, DepthImage& depth) {
  depth.Resize(height, width, 1);
  for (size_t i = 0; i < size_t(width) * height; ++i) {
    depth.data[i] = float(uint16_t(z16[2 * i] | (z16[2 * i + 1] << 8)) * depth_scale_m);  // little-endian
  }
}

std::unique_ptr<Camera> OpenV4l2Camera(const std::string& spec, const std::string& rest, const Pose& world_T_camera) {
  const size_t a = rest.find(','), b = a == std::string::npos ? a : rest.find(',', a + 1);
  TF_THROW_UNLESS(b != std::string::npos, "camera spec '", spec, "' must be v4l2:COLOR_DEV,DEPTH_DEV,INTRINSICS_JSON");
  return std::make_unique<V4l2Camera>(rest.substr(0, a), rest.substr(a + 1, b - a - 1), rest.substr(b + 1), world_T_camera);
}

}  // namespace taskforge::realrobot
