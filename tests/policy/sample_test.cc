#include <catch2/catch.hpp>

#include "taskforge/policy/sample.h"
#include "tokenizer.h"

using namespace taskforge;
using namespace taskforge::policy;

TEST_CASE("tokenizer is deterministic and ignores case and punctuation", "[policy]") {
  const auto a = Tokenize("Put the red block in the GREEN bowl.", 4096, 12);
  const auto b = Tokenize("put the red block, in the green bowl", 4096, 12);
  CHECK(a == b);
  REQUIRE(a.size() == 12);
  CHECK(a[0] == kStartToken);
  CHECK(a[2] == a[6]);  // "the" twice
  CHECK(a[3] != a[7]);  // "red" vs "green"
  CHECK(a[8] != kPadToken);  // "bowl"
  CHECK(a[9] == kPadToken);
  for (int64_t id : a) CHECK((id >= 0 && id < 4096));
  CHECK(Tokenize("a b c d e f", 4096, 3).size() == 3);  // cut, still padded to the fixed length
  CHECK(Tokenize("put the blue block", 4096, 8) != Tokenize("put the red block", 4096, 8));
}

namespace {

// Paints a (2 half + 1)-square of one colour and height centred on `centre`.
void Paint(Sample& s, Pixel centre, int half, std::array<uint8_t, 3> rgb, float height) {
  for (int r = centre[0] - half; r <= centre[0] + half; ++r) {
    for (int c = centre[1] - half; c <= centre[1] + half; ++c) {
      for (int k = 0; k < 3; ++k) s.color.at(r, c, k) = rgb[k];
      s.height.at(r, c) = height;
    }
  }
}

}  // namespace

TEST_CASE("SE(2) augmentation moves the labels with the objects", "[policy]") {
  Sample base{ColorImage(320, 160, 3, 40), HeightImage(320, 160, 1, 0.0f), "put the red block in the green bowl",
              {100, 50}, {250, 110}, 0.7};
  Paint(base, base.pick, 3, {220, 20, 20}, 0.04f);
  Paint(base, base.place, 3, {20, 220, 20}, 0.01f);
  std::mt19937_64 rng(7);
  int moved = 0;
  for (int trial = 0; trial < 200; ++trial) {
    Sample s = base;
    REQUIRE(AugmentSE2(s, rng));
    moved += s.pick != base.pick;
    INFO("trial " << trial << " pick " << s.pick[0] << "," << s.pick[1] << " place " << s.place[0] << "," << s.place[1]);
    CHECK(s.color.at(s.pick[0], s.pick[1], 0) == 220);
    CHECK(s.height.at(s.pick[0], s.pick[1]) == 0.04f);
    CHECK(s.color.at(s.place[0], s.place[1], 1) == 220);
    CHECK(s.height.at(s.place[0], s.place[1]) == 0.01f);
    CHECK(s.place_yaw_rad == base.place_yaw_rad);  // relative yaw: unchanged by a rigid motion
  }
  CHECK(moved > 190);

  // The same generator state gives the same augmentation.
  std::mt19937_64 r1(3), r2(3);
  Sample a = base, b = base;
  AugmentSE2(a, r1);
  AugmentSE2(b, r2);
  CHECK(a.pick == b.pick);
  CHECK(a.place == b.place);
  CHECK(a.color.data == b.color.data);
}

TEST_CASE("synthetic samples are reproducible", "[policy]") {
  std::mt19937_64 r1(5), r2(5);
  const Sample a = MakeSyntheticSample(320, 160, r1), b = MakeSyntheticSample(320, 160, r2);
  CHECK(a.color.data == b.color.data);
  CHECK(a.pick == b.pick);
  CHECK(a.instruction == b.instruction);
  CHECK(a.height.at(a.pick[0], a.pick[1]) > 0.0f);
}
