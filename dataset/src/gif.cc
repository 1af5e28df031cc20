// `taskforge dataset gif`: an episode as an animated GIF (giflib), top-down map beside the front camera.
#include <gif_lib.h>

#include <cstdio>
#include <cstring>

#include "binary_io.h"
#include "recording.h"
#include "taskforge/core/error.h"
#include "taskforge/core/workers.h"
#include "taskforge/dataset/dataset.h"
#include "taskforge/dataset/demos.h"

namespace taskforge::dataset {
namespace {

constexpr int kCaption = 30;      // [px] below the pictures
constexpr int kDelayCs = 80;      // [1/100 s] per step
constexpr int kLevels[3] = {6, 7, 6};  // a fixed 252-colour palette: 6 reds x 7 greens x 6 blues

uint8_t PaletteIndex(const uint8_t* rgb) {
  int index = 0;
  for (int k = 0; k < 3; ++k) index = index * kLevels[k] + (rgb[k] * (kLevels[k] - 1) + 127) / 255;
  return uint8_t(index);
}

ColorMapObject* MakePalette() {
  GifColorType colors[256] = {};
  for (int i = 0; i < kLevels[0] * kLevels[1] * kLevels[2]; ++i) {
    const int r = i / (kLevels[1] * kLevels[2]), g = i / kLevels[2] % kLevels[1], b = i % kLevels[2];
    colors[i] = {uint8_t(r * 255 / (kLevels[0] - 1)), uint8_t(g * 255 / (kLevels[1] - 1)),
                 uint8_t(b * 255 / (kLevels[2] - 1))};
  }
  return GifMakeMapObject(256, colors);
}

// The front camera at half size on the left, the top-down colour map on the right, a caption below.
ColorImage Compose(const ColorImage& camera, const ColorImage& top, const std::string& caption,
                   const std::string& footer) {
  const int cam_h = camera.height / 2, cam_w = camera.width / 2;
  ColorImage canvas(std::max(cam_h, top.height) + kCaption, cam_w + top.width, 3, 255);
  for (int r = 0; r < cam_h; ++r) {
    for (int c = 0; c < cam_w; ++c) {
      for (int k = 0; k < 3; ++k) {
        const int sum = camera.at(2 * r, 2 * c, k) + camera.at(2 * r + 1, 2 * c, k) + camera.at(2 * r, 2 * c + 1, k) +
                        camera.at(2 * r + 1, 2 * c + 1, k);
        canvas.at(r, c, k) = uint8_t((sum + 2) / 4);
      }
    }
  }
  for (int r = 0; r < top.height; ++r) {
    for (int c = 0; c < top.width; ++c) {
      for (int k = 0; k < 3; ++k) canvas.at(r, cam_w + c, k) = top.at(r, c, k);
    }
  }
  DrawText(canvas, 4, canvas.height - kCaption + 4, caption, 1, {0, 0, 0});
  DrawText(canvas, 4, canvas.height - 12, footer, 1, {90, 90, 90});
  return canvas;
}

void WriteGif(const std::filesystem::path& path, const std::vector<ColorImage>& pictures) {
  TF_DEMAND(!pictures.empty());
  const std::filesystem::path temp = path.string() + ".tmp";
  int error = 0;
  GifFileType* gif = EGifOpenFileName(temp.c_str(), false, &error);
  TF_THROW_UNLESS(gif != nullptr, "cannot create ", temp.string(), ": ", GifErrorString(error));
  const int width = pictures.front().width, height = pictures.front().height;
  ColorMapObject* palette = MakePalette();
  bool ok = EGifPutScreenDesc(gif, width, height, 8, 0, palette) == GIF_OK;
  GifFreeMapObject(palette);
  EGifSetGifVersion(gif, true);
  const uint8_t loop[3] = {1, 0, 0};  // NETSCAPE2.0: loop forever
  ok = ok && EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_OK &&
       EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_OK && EGifPutExtensionBlock(gif, 3, loop) == GIF_OK &&
       EGifPutExtensionTrailer(gif) == GIF_OK;
  std::vector<GifPixelType> line(size_t(width), 0);
  for (const ColorImage& picture : pictures) {
    TF_DEMAND(picture.width == width && picture.height == height);
    GraphicsControlBlock control{DISPOSAL_UNSPECIFIED, false, kDelayCs, NO_TRANSPARENT_COLOR};
    GifByteType extension[4];
    EGifGCBToExtension(&control, extension);
    ok = ok && EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, extension) == GIF_OK &&
         EGifPutImageDesc(gif, 0, 0, width, height, false, nullptr) == GIF_OK;
    for (int r = 0; ok && r < height; ++r) {
      for (int c = 0; c < width; ++c) line[size_t(c)] = PaletteIndex(&picture.at(r, c, 0));
      ok = EGifPutLine(gif, line.data(), width) == GIF_OK;
    }
  }
  const int write_error = gif->Error;
  ok = EGifCloseFile(gif, &error) == GIF_OK && ok;
  if (!ok) {
    std::filesystem::remove(temp);
    throw Error("cannot write " + temp.string() + ": " + GifErrorString(write_error ? write_error : error));
  }
  std::filesystem::rename(temp, path);
}

// Replays the episode from its seed (the simulation is deterministic; the stored maps check it) for
// the front camera's pictures. It runs in a worker process, so the caller never starts a renderer
// (whose threads would stop it from forking demo workers later).
std::vector<ColorImage> ReplayFrontCamera(const EpisodeInfo& info, const std::vector<Frame>& frames,
                                          const std::string& episode_id, const std::filesystem::path& library_dir,
                                          const std::string& assets_dir) {
  std::string pictures;  // int32 width, int32 height, then the front camera's colour images back to back
  RunInWorkers(
      1, {0},
      [&](int) {
        tasks::EpisodeOptions options;
        options.seed = info.seed;
        options.split = ParseSplit(info.split);
        options.sim.assets_dir = assets_dir;
        std::string out(2 * sizeof(int32_t), '\0');
        const RecordedEpisode replay = RecordOracleEpisode(
            tasks::ResolveTask(info.task, library_dir), options, false, [&](const Observation& obs, int) {
              const ColorImage& c = obs.frames.front().color;
              const int32_t size[2] = {c.width, c.height};
              out.replace(0, sizeof size, reinterpret_cast<const char*>(size), sizeof size);
              out.append(reinterpret_cast<const char*>(c.data.data()), c.data.size());
            });
        bool same = replay.frames.size() == frames.size();
        for (size_t i = 0; same && i < frames.size(); ++i) same = replay.frames[i].color.data == frames[i].color.data;
        TF_THROW_UNLESS(same, "replaying ", episode_id, " (seed ", info.seed, ") did not reproduce the stored episode",
                        " (another task script or build?); make the dataset with --raw to keep the cameras");
        return out;
      },
      [&](int, const std::string& result) { pictures = result; });
  int32_t size[2] = {0, 0};
  TF_DEMAND(pictures.size() >= sizeof size);
  std::memcpy(size, pictures.data(), sizeof size);
  const size_t bytes = size_t(size[0]) * size_t(size[1]) * 3;
  TF_DEMAND(pictures.size() == sizeof size + bytes * frames.size());
  std::vector<ColorImage> cameras;
  for (size_t i = 0; i < frames.size(); ++i) {
    ColorImage& c = cameras.emplace_back(size[1], size[0], 3);
    const auto first = pictures.begin() + long(sizeof size + i * bytes);
    std::copy(first, first + long(bytes), c.data.begin());
  }
  return cameras;
}

}  // namespace

void WriteEpisodeGif(const std::filesystem::path& dataset_dir, const std::string& episode_id,
                     const std::filesystem::path& gif, const std::filesystem::path& library_dir,
                     const std::string& assets_dir) {
  const DatasetReader reader(dataset_dir);
  const int episode = reader.Find(episode_id);
  const Episode stored = reader.ReadEpisode(episode);
  const EpisodeInfo& info = stored.info;
  const std::vector<Frame>& frames = stored.frames;
  std::vector<ColorImage> cameras;
  if (!frames.front().cameras.empty()) {
    for (const Frame& f : frames) cameras.push_back(f.cameras.front().color);
  } else {
    cameras = ReplayFrontCamera(info, frames, episode_id, library_dir, assets_dir);
  }
  std::vector<ColorImage> pictures;
  double total = 0.0;
  for (size_t i = 0; i < frames.size(); ++i) {
    total += i > 0 ? info.steps[i - 1].reward : 0.0;
    char footer[160];
    std::snprintf(footer, sizeof footer, "%s seed %llu  step %zu/%zu  reward %.2f", info.task.c_str(),
                  static_cast<unsigned long long>(info.seed), i, frames.size() - 1, total);
    pictures.push_back(Compose(cameras[i], frames[i].color, info.steps[i].language_goal, footer));
  }
  WriteGif(gif, pictures);
}

}  // namespace taskforge::dataset
