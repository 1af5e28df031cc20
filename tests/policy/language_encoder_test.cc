// A pretrained sentence encoder plugs in as a TorchScript file. The test writes a small one with
// Torch's C++ frontend (a frozen lookup table indexed by the text's length) and trains through it.
#include <catch2/catch.hpp>

#include <torch/script.h>

#include <filesystem>

#include "taskforge/core/error.h"
#include "taskforge/policy/policy.h"

using namespace taskforge;
using namespace taskforge::policy;

TEST_CASE("a TorchScript sentence encoder plugs in through PolicyConfig", "[policy]") {
  const auto dir = std::filesystem::temp_directory_path() / ("taskforge_lang_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto script_path = dir / "encoder.pt";
  {
    torch::jit::Module encoder("SentenceTable");
    encoder.register_parameter("table", torch::randn({7, 5}), /*is_buffer=*/false);
    encoder.define(R"JIT(
def forward(self, texts: List[str]):
    rows = [self.table[len(t) % 7] for t in texts]
    return torch.stack(rows)
)JIT");
    encoder.save(script_path.string());
  }
  PolicyConfig c;
  c.bounds.pixel_size = 0.00625;
  c.width = 4;
  c.rotations = 4;
  c.crop = 32;
  c.lang_dim = 16;
  c.lang_heads = 2;
  c.threads = 1;
  c.language_encoder = script_path.string();
  Policy policy = Policy::Create(c);
  PolicyConfig builtin = c;
  builtin.language_encoder.clear();
  // The script's table stays frozen: only the 5 -> 16 projection is trainable on the language side.
  const int64_t heads_only = Policy::Create(builtin).parameter_count();
  CHECK(policy.parameter_count() < heads_only);

  std::mt19937_64 rng(1);
  Batch batch{MakeSyntheticSample(c.bounds.rows(), c.bounds.cols(), rng)};
  batch[0].instruction = "pack the yellow box";
  const double before = policy.TrainStep(batch).total();
  CHECK(std::isfinite(before));
  const auto checkpoint = dir / "policy.pt";
  policy.Save(checkpoint);
  Policy loaded = Policy::Load(checkpoint);
  CHECK(loaded.config().language_encoder == script_path.string());
  CHECK(loaded.Evaluate(batch).total() == policy.Evaluate(batch).total());
  // Texts of another length pick another table row, so the pick logits change.
  const Logits a = loaded.Predict(batch[0].color, batch[0].height, "pack the yellow box");
  const Logits b = loaded.Predict(batch[0].color, batch[0].height, "pack the yellow boxes");
  CHECK(a.pick.data != b.pick.data);

  c.language_encoder = (dir / "missing.pt").string();
  CHECK_THROWS_WITH(Policy::Create(c), Catch::Contains("not a loadable TorchScript file"));
  std::filesystem::remove_all(dir);
}
