#pragma once
// Dense row-major images with interleaved channels.

#include <cstdint>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "taskforge/core/error.h"

namespace taskforge {

/// An image of `height` rows × `width` columns × `channels`, row-major, channels interleaved.
template <typename T>
struct Image {
  int height = 0;
  int width = 0;
  int channels = 1;
  std::vector<T> data;

  Image() = default;
  Image(int h, int w, int c, T fill = T{}) : height(h), width(w), channels(c), data(size_t(h) * w * c, fill) {}
  T& at(int row, int col, int ch = 0) { return data[(size_t(row) * width + col) * channels + ch]; }
  const T& at(int row, int col, int ch = 0) const {
    return data[(size_t(row) * width + col) * channels + ch];
  }
  bool empty() const { return data.empty(); }
  /// Gives the image a new shape, keeping its buffer's capacity (contents are left as they are).
  void Resize(int h, int w, int c) {
    height = h;
    width = w;
    channels = c;
    data.resize(size_t(h) * w * c);
  }
};

using ColorImage = Image<uint8_t>;    ///< RGB, 3 channels.
using DepthImage = Image<float>;      ///< metric depth along the optical axis [m], 1 channel.
using HeightImage = Image<float>;     ///< height above the workspace floor [m], 1 channel.
using SegmentImage = Image<uint32_t>; ///< per-pixel body id (see sim::World), 1 channel.

/// Writes an 8-bit image (1, 3 or 4 channels) as PNG. @throws Error if the file can't be written.
void WritePng(const std::filesystem::path& path, const Image<uint8_t>& image);
/// Maps a float image linearly from [lo, hi] to a grey 8-bit image (values outside are clamped).
Image<uint8_t> ToGrey8(const Image<float>& image, float lo, float hi);
/// Draws `text` (ASCII, stb_easy_font's 6 px-high glyphs times `scale`) with its top-left corner
/// at (x, y) [px] into an RGB image; whatever falls outside is clipped.
void DrawText(Image<uint8_t>& image, int x, int y, const std::string& text, int scale,
              const std::array<uint8_t, 3>& rgb);
/// Colours each id with a distinct hash colour (id 0 is black); for looking at segment masks.
Image<uint8_t> ColorizeSegments(const SegmentImage& segments);

}  // namespace taskforge
