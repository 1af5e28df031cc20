#include <catch2/catch.hpp>

#include "network.h"

using namespace taskforge::policy;

TEST_CASE("the FFT cross-correlation equals a VALID conv2d of the key with each query", "[policy]") {
  torch::manual_seed(3);
  const int64_t batch = 2, k = 3, channels = 2, crop = 8, rows = 24, cols = 16;
  const torch::Tensor key = torch::randn({batch, channels, rows + crop, cols + crop});
  const torch::Tensor queries = torch::randn({batch, k, channels, crop, crop});
  const torch::Tensor fast = net::CrossCorrelate(key, queries, rows, cols);
  REQUIRE(fast.sizes() == torch::IntArrayRef({batch, k, rows, cols}));
  for (int64_t b = 0; b < batch; ++b) {
    const torch::Tensor direct = torch::conv2d(key[b].unsqueeze(0), queries[b])  // [1, k, rows + 1, cols + 1]
                                     .slice(2, 0, rows)
                                     .slice(3, 0, cols);
    CHECK(torch::allclose(fast[b], direct[0], 1e-4, 1e-3));
  }
}

TEST_CASE("the query window holds every rotated crop", "[policy]") {
  PolicyConfig c;
  CHECK(c.QueryWindow() == 96);  // CLIPort's crop 64: 64 * sqrt(2) = 90.5, + 2 for bilinear, stride 16
  c.crop = 32;
  CHECK(c.QueryWindow() == 48);
}
