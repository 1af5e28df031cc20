#pragma once
// Training samples of the pick-and-place policy in core terms, and Ravens' random SE(2)
// augmentation of a sample (image and labels together). No Torch here.

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "taskforge/core/image.h"

namespace taskforge::policy {

/// A cell of the top-down grid: {row, col}; rows run along world y, columns along world x, as
/// core's WorldToPixel / PixelToWorld.
using Pixel = std::array<int, 2>;

/// One demonstration step: what the policy saw, what it was told, and what the expert did.
struct Sample {
  ColorImage color;         ///< fused top-down colour, rows × cols × 3
  HeightImage height;       ///< fused top-down height above the workspace floor [m], rows × cols × 1
  std::string instruction;  ///< the language goal of this step
  Pixel pick{};             ///< where the suction cup grasped
  Pixel place{};            ///< where the grasped point was put down
  double place_yaw_rad = 0; ///< rotation of the object about world z from pick to place [rad]
};

/// Several samples trained on together (any size >= 1; CLIPort trains with batch 1).
using Batch = std::vector<Sample>;

/// Ravens' `utils.perturb`: a random rotation about the image centre plus a random translation.
struct AugmentConfig {
  double theta_sigma_rad = 1.0471975511965976;  ///< std-dev of the rotation [rad] (60°, CLIPort's default)
  double translation_sigma_px = 0;              ///< std-dev of the shift [px]; 0: min(rows, cols) / 6 as Ravens
  int max_tries = 100;  ///< draws until both labels stay inside the image; after that the sample is kept as is
};

/// Applies one random SE(2) transform to the images (nearest-neighbour warp, empty cells become
/// colour 0 and height 0) and moves the pick and place pixels with it. The yaw label is relative
/// (place minus pick), so a rigid motion of the whole scene leaves it unchanged. Returns false when
/// no draw kept both labels inside the image (the sample is then untouched).
bool AugmentSE2(Sample& sample, std::mt19937_64& rng, const AugmentConfig& config = {});

/// A synthetic scene on a grey table: six flat-topped boxes of random colour and height, a pick
/// on the first and a place on the second with a random yaw, and one of a few instructions. For
/// benchmarks and tests; the same generator state gives the same sample.
Sample MakeSyntheticSample(int rows, int cols, std::mt19937_64& rng);

}  // namespace taskforge::policy
