#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <filesystem>
#include <fstream>

#include "taskforge/core/error.h"
#include "taskforge/policy/policy.h"

using namespace taskforge;
using namespace taskforge::policy;

namespace {

// A reduced network on a 160 x 80 grid (6.25 mm cells) so the tests run in seconds on a CPU.
PolicyConfig SmallConfig() {
  PolicyConfig c;
  c.bounds.pixel_size = 0.00625;
  c.width = 4;
  c.rotations = 8;
  c.crop = 32;
  c.transport_channels = 3;
  c.lang_dim = 32;
  c.lang_heads = 2;
  c.vocab_buckets = 512;
  c.max_tokens = 12;
  c.learning_rate = 1e-3;
  c.threads = 1;  // ctest runs test programs side by side; one thread each avoids oversubscription
  c.seed = 1;
  return c;
}

Batch SyntheticBatch(const PolicyConfig& c, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Batch batch;
  for (int i = 0; i < n; ++i) batch.push_back(MakeSyntheticSample(c.bounds.rows(), c.bounds.cols(), rng));
  return batch;
}

std::filesystem::path TempPath(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("taskforge_policy_test_" + std::to_string(::getpid()) + "_" + name);
}

// The largest difference between two logit images, relative to y's largest magnitude (+1).
float max_difference(const Image<float>& x, const Image<float>& y) {
  REQUIRE(x.data.size() == y.data.size());
  float worst = 0, scale = 0;
  for (size_t i = 0; i < x.data.size(); ++i) {
    worst = std::max(worst, std::abs(x.data[i] - y.data[i]));
    scale = std::max(scale, std::abs(y.data[i]));
  }
  return worst / (1.0f + scale);
}

}  // namespace

TEST_CASE("policy outputs have the grid's shapes and actions land on it", "[policy]") {
  const PolicyConfig c = SmallConfig();
  Policy policy = Policy::Create(c);
  CHECK(policy.parameter_count() > 0);
  const Sample s = SyntheticBatch(c, 1, 3).front();
  const Logits logits = policy.Predict(s.color, s.height, s.instruction);
  CHECK(logits.pick.height == 160);
  CHECK(logits.pick.width == 80);
  CHECK(logits.pick.channels == 1);
  CHECK(logits.place.height == 160);
  CHECK(logits.place.width == 80);
  CHECK(logits.place.channels == 8);
  for (float v : logits.place.data) REQUIRE(std::isfinite(v));

  const Action a = policy.Act(s.color, s.height, s.instruction);
  CHECK(a.pick == logits.pick_pixel);
  CHECK((a.place[0] >= 0 && a.place[0] < 160 && a.place[1] >= 0 && a.place[1] < 80));
  CHECK((a.rotation_bin >= 0 && a.rotation_bin < 8));
  // Pixel -> world as core's heightmap helpers: x along columns, y along rows, z from the map.
  CHECK(a.pick_pose.translation().x() == Approx(0.25 + a.pick[1] * 0.00625));
  CHECK(a.pick_pose.translation().y() == Approx(-0.5 + a.pick[0] * 0.00625));
  CHECK(a.pick_pose.translation().z() == Approx(s.height.at(a.pick[0], a.pick[1])));
  CHECK(YawOf(a.place_pose) == Approx(a.place_yaw_rad).margin(1e-9));

  CHECK_THROWS_AS(policy.Act(ColorImage(320, 160, 3), HeightImage(320, 160, 1), "x"), Error);
  Batch bad = SyntheticBatch(c, 1, 4);
  bad[0].place = {500, 10};
  CHECK_THROWS_WITH(policy.TrainStep(bad), Catch::Contains("place pixel (500, 10)"));
  PolicyConfig odd = c;
  odd.crop = 40;
  CHECK_THROWS_WITH(Policy::Create(odd), Catch::Contains("crop 40"));
  PolicyConfig unknown = c;
  unknown.query_rotation = "spin";
  CHECK_THROWS_WITH(Policy::Create(unknown), Catch::Contains("query_rotation 'spin'"));
}

TEST_CASE("training overfits a tiny batch", "[policy]") {
  PolicyConfig c = SmallConfig();
  c.query_rotation = GENERATE("crops", "features");
  INFO("query_rotation " << c.query_rotation);
  Policy policy = Policy::Create(c);
  const Batch batch = SyntheticBatch(c, 2, 11);
  const double first = policy.Evaluate(batch).total();
  Loss last;
  for (int step = 0; step < 40; ++step) last = policy.TrainStep(batch);
  const Loss after = policy.Evaluate(batch);
  INFO("loss " << first << " -> pick " << after.pick << " + place " << after.place);
  CHECK(policy.step() == 40);
  CHECK(after.total() < 0.5 * first);
  CHECK(after.pick < 0.5 * std::log(160.0 * 80.0));  // well below a uniform guess
}

TEST_CASE("a checkpoint restores weights, optimiser state and step", "[policy]") {
  const PolicyConfig c = SmallConfig();
  const Batch batch = SyntheticBatch(c, 2, 21);
  const Batch next = SyntheticBatch(c, 2, 22);
  Policy trained = Policy::Create(c);
  for (int i = 0; i < 3; ++i) trained.TrainStep(batch);
  const auto path = TempPath("ckpt.pt");
  trained.Save(path);

  Policy resumed = Policy::Load(path);
  CHECK(resumed.step() == 3);
  CHECK(resumed.config().width == c.width);
  CHECK(trained.config().query_rotation == "features");  // "auto" on cpu, stored resolved
  CHECK(resumed.config().query_rotation == "features");
  CHECK(resumed.config().bounds == c.bounds);
  CHECK(resumed.Evaluate(next).total() == trained.Evaluate(next).total());
  // Two more steps: the second depends on Adam's moments, so this checks they were restored.
  for (int i = 0; i < 2; ++i) CHECK(resumed.TrainStep(next).total() == trained.TrainStep(next).total());
  CHECK(resumed.Evaluate(batch).total() == trained.Evaluate(batch).total());
  std::filesystem::remove(path);

  CHECK_THROWS_WITH(Policy::Load(TempPath("missing.pt")), Catch::Contains("does not exist"));
  const auto junk = TempPath("junk.pt");
  std::ofstream(junk) << "not a checkpoint";
  CHECK_THROWS_WITH(Policy::Load(junk), Catch::Contains("not readable"));
  std::filesystem::remove(junk);
}

TEST_CASE("the same seed gives the same network", "[policy]") {
  const PolicyConfig c = SmallConfig();
  const Batch batch = SyntheticBatch(c, 1, 5);
  Policy a = Policy::Create(c), b = Policy::Create(c);
  CHECK(a.Evaluate(batch).total() == b.Evaluate(batch).total());
  PolicyConfig other = c;
  other.seed = 2;
  CHECK(Policy::Create(other).Evaluate(batch).total() != a.Evaluate(batch).total());
}

TEST_CASE("CPU acting with prepacked channels-last convolutions matches the plain NCHW network, also after training", "[policy]") {
  PolicyConfig packed = SmallConfig();  // channels_last: Act/Predict run oneDNN with packed weights
  PolicyConfig plain = packed;
  plain.channels_last = false;  // LibTorch's ordinary NCHW convolutions
  Policy a = Policy::Create(packed), b = Policy::Create(plain);
  const Sample s = SyntheticBatch(packed, 1, 31).front();
  const Batch batch = SyntheticBatch(packed, 2, 32);
  const Logits before = a.Predict(s.color, s.height, s.instruction);
  const Logits reference = b.Predict(s.color, s.height, s.instruction);
  CHECK(max_difference(before.pick, reference.pick) < 1e-4f);
  CHECK(max_difference(before.place, reference.place) < 1e-4f);
  // Training changes the weights in place; the packed copies must follow.
  for (int i = 0; i < 3; ++i) CHECK(a.TrainStep(batch).total() == Approx(b.TrainStep(batch).total()).epsilon(1e-4));
  const Logits after = a.Predict(s.color, s.height, s.instruction);
  const Logits after_reference = b.Predict(s.color, s.height, s.instruction);
  CHECK(max_difference(after.place, before.place) > 1e-3f);
  CHECK(max_difference(after.pick, after_reference.pick) < 1e-4f);
  CHECK(max_difference(after.place, after_reference.place) < 1e-4f);
}

TEST_CASE("CPU acting in two lanes gives the logits and actions of the sequential path", "[policy]") {
  PolicyConfig lanes = SmallConfig();
  lanes.threads = 2;  // the pick and key streams side by side, then half the rotations each
  PolicyConfig sequential = lanes;
  sequential.cpu_lanes = false;
  // Policies read OMP_WAIT_POLICY when they are made: spinning OpenMP threads turn the lanes off.
  const char* outer = std::getenv("OMP_WAIT_POLICY");
  const std::string saved = outer ? outer : "";
  ::setenv("OMP_WAIT_POLICY", "ACTIVE", 1);
  CHECK_FALSE(Policy::Create(lanes).acts_in_cpu_lanes());
  ::unsetenv("OMP_WAIT_POLICY");
  Policy a = Policy::Create(lanes), b = Policy::Create(sequential);
  if (outer) ::setenv("OMP_WAIT_POLICY", saved.c_str(), 1);
  REQUIRE(a.acts_in_cpu_lanes());
  REQUIRE_FALSE(b.acts_in_cpu_lanes());
  const Batch batch = SyntheticBatch(lanes, 2, 41);
  for (int round = 0; round < 2; ++round) {  // the lanes are reused, also after a training step
    for (const Sample& s : SyntheticBatch(lanes, 2, 42 + round)) {
      const Logits x = a.Predict(s.color, s.height, s.instruction);
      const Logits y = b.Predict(s.color, s.height, s.instruction);
      CHECK(max_difference(x.pick, y.pick) < 1e-4f);
      CHECK(max_difference(x.place, y.place) < 1e-4f);
      const Action p = a.Act(s.color, s.height, s.instruction), q = b.Act(s.color, s.height, s.instruction);
      CHECK(p.pick == q.pick);
      CHECK(p.place == q.place);
      CHECK(p.rotation_bin == q.rotation_bin);
    }
    CHECK(a.TrainStep(batch).total() == Approx(b.TrainStep(batch).total()).epsilon(1e-4));
  }
}
