// Synthetic samples, and Ravens' utils.perturb (random SE(2) about the image centre) on core images.
#include <cmath>

#include "taskforge/policy/sample.h"

namespace taskforge::policy {
namespace {

// p' = R(theta) (p - c) + c + t, in (x = col, y = row) coordinates.
struct Se2 {
  double cos_t, sin_t, cx, cy, tx, ty;
  std::array<double, 2> Forward(double x, double y) const {
    const double dx = x - cx, dy = y - cy;
    return {cos_t * dx - sin_t * dy + cx + tx, sin_t * dx + cos_t * dy + cy + ty};
  }
  std::array<double, 2> Inverse(double x, double y) const {
    const double dx = x - cx - tx, dy = y - cy - ty;
    return {cos_t * dx + sin_t * dy + cx, -sin_t * dx + cos_t * dy + cy};
  }
};

bool Inside(const std::array<double, 2>& p, int rows, int cols) {
  const long x = std::lround(p[0]), y = std::lround(p[1]);
  return x >= 0 && x < cols && y >= 0 && y < rows;
}

template <typename T>
Image<T> Warp(const Image<T>& src, const Se2& tf) {
  Image<T> out(src.height, src.width, src.channels, T{});
  for (int r = 0; r < src.height; ++r) {
    for (int c = 0; c < src.width; ++c) {
      const std::array<double, 2> s = tf.Inverse(c, r);
      if (!Inside(s, src.height, src.width)) continue;
      const int sc = int(std::lround(s[0])), sr = int(std::lround(s[1]));
      for (int k = 0; k < src.channels; ++k) out.at(r, c, k) = src.at(sr, sc, k);
    }
  }
  return out;
}

}  // namespace

Sample MakeSyntheticSample(int rows, int cols, std::mt19937_64& rng) {
  TF_THROW_UNLESS(rows >= 32 && cols >= 32, "synthetic sample: grid ", rows, "x", cols, " is smaller than 32x32");
  Sample s{ColorImage(rows, cols, 3, 50), HeightImage(rows, cols, 1, 0.0f), "", {}, {}, 0.0};
  std::uniform_int_distribution<int> row(8, rows - 9), col(8, cols - 9), colour(0, 255);
  std::uniform_real_distribution<float> tall(0.02f, 0.08f);
  std::vector<Pixel> centres;
  for (int box = 0; box < 6; ++box) {
    const Pixel c{row(rng), col(rng)};
    const uint8_t rgb[3] = {uint8_t(colour(rng)), uint8_t(colour(rng)), uint8_t(colour(rng))};
    const float h = tall(rng);
    for (int r = c[0] - 6; r <= c[0] + 6; ++r) {
      for (int k = c[1] - 6; k <= c[1] + 6; ++k) {
        for (int ch = 0; ch < 3; ++ch) s.color.at(r, k, ch) = rgb[ch];
        s.height.at(r, k) = h;
      }
    }
    centres.push_back(c);
  }
  s.pick = centres[0];
  s.place = centres[1];
  s.place_yaw_rad = std::uniform_real_distribution<double>(-3.1, 3.1)(rng);
  static const char* kInstructions[] = {"put the red block in the green bowl", "pack the yellow box",
                                        "stack the blue block on the middle of the base"};
  s.instruction = kInstructions[rng() % 3];
  return s;
}

bool AugmentSE2(Sample& sample, std::mt19937_64& rng, const AugmentConfig& config) {
  const int rows = sample.height.height, cols = sample.height.width;
  TF_THROW_UNLESS(sample.color.height == rows && sample.color.width == cols && sample.color.channels == 3,
                  "AugmentSE2: colour image is ", sample.color.height, "x", sample.color.width, "x",
                  sample.color.channels, ", height map is ", rows, "x", cols);
  const double t_sigma = config.translation_sigma_px > 0 ? config.translation_sigma_px : std::min(rows, cols) / 6.0;
  std::normal_distribution<double> theta(0.0, config.theta_sigma_rad), shift(0.0, t_sigma);
  for (int attempt = 0; attempt < config.max_tries; ++attempt) {
    const double a = theta(rng);
    const double tx = shift(rng), ty = shift(rng);
    const Se2 tf{std::cos(a), std::sin(a), cols / 2.0, rows / 2.0, tx, ty};
    const auto pick = tf.Forward(sample.pick[1], sample.pick[0]);
    const auto place = tf.Forward(sample.place[1], sample.place[0]);
    if (!Inside(pick, rows, cols) || !Inside(place, rows, cols)) continue;
    sample.color = Warp(sample.color, tf);
    sample.height = Warp(sample.height, tf);
    sample.pick = {int(std::lround(pick[1])), int(std::lround(pick[0]))};
    sample.place = {int(std::lround(place[1])), int(std::lround(place[0]))};
    return true;
  }
  return false;
}

}  // namespace taskforge::policy
