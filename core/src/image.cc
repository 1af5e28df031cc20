#include "taskforge/core/image.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace taskforge {

void DrawText(Image<uint8_t>& image, int x, int y, const std::string& text, int scale,
              const std::array<uint8_t, 3>& rgb) {
  TF_THROW_UNLESS(image.channels == 3, "text is drawn on RGB images, got ", image.channels, " channels");
  TF_THROW_UNLESS(scale >= 1, "text scale must be at least 1, got ", scale);
  // stb_easy_font emits axis-aligned quads of 4 vertices (x, y, z floats and an RGBA colour).
  std::vector<char> buffer(text.size() * 300 + 1000);
  std::string copy = text;
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(), int(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(&buffer[size_t(q) * 64]);
    const float* v2 = reinterpret_cast<const float*>(&buffer[size_t(q) * 64 + 32]);
    for (int py = int(v0[1]) * scale; py < int(v2[1]) * scale; ++py) {
      for (int px = int(v0[0]) * scale; px < int(v2[0]) * scale; ++px) {
        const int ix = x + px, iy = y + py;
        if (ix < 0 || iy < 0 || ix >= image.width || iy >= image.height) continue;
        for (int k = 0; k < 3; ++k) image.at(iy, ix, k) = rgb[size_t(k)];
      }
    }
  }
}

void WritePng(const std::filesystem::path& path, const Image<uint8_t>& image) {
  TF_THROW_UNLESS(!image.empty(), "cannot write an empty image to ", path);
  TF_THROW_UNLESS(image.channels >= 1 && image.channels <= 4, "PNG needs 1-4 channels, got ",
                  image.channels, " for ", path);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const int ok = stbi_write_png(path.c_str(), image.width, image.height, image.channels,
                                image.data.data(), image.width * image.channels);
  TF_THROW_UNLESS(ok != 0, "could not write PNG ", path);
}

Image<uint8_t> ToGrey8(const Image<float>& image, float lo, float hi) {
  Image<uint8_t> out(image.height, image.width, 1);
  const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
  for (size_t i = 0; i < out.data.size(); ++i) {
    const float v = std::clamp((image.data[i * image.channels] - lo) * scale, 0.0f, 255.0f);
    out.data[i] = static_cast<uint8_t>(std::lround(v));
  }
  return out;
}

Image<uint8_t> ColorizeSegments(const SegmentImage& segments) {
  Image<uint8_t> out(segments.height, segments.width, 3);
  for (size_t i = 0; i < segments.data.size(); ++i) {
    const uint32_t id = segments.data[i];
    if (id == 0) continue;
    const uint32_t h = id * 2654435761u;  // Knuth's multiplicative hash spreads nearby ids
    out.data[3 * i + 0] = static_cast<uint8_t>(64 + (h >> 24) % 192);
    out.data[3 * i + 1] = static_cast<uint8_t>(64 + (h >> 16) % 192);
    out.data[3 * i + 2] = static_cast<uint8_t>(64 + (h >> 8) % 192);
  }
  return out;
}

}  // namespace taskforge
