#include <catch2/catch.hpp>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "two_lanes.h"

using taskforge::policy::TwoLanes;

namespace {

// Sets `mine`, then waits up to 5 s for `other`: true only if the other lane ran meanwhile.
bool MeetOther(std::atomic<bool>& mine, const std::atomic<bool>& other) {
  mine = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!other && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  return other;
}

}  // namespace

TEST_CASE("two lanes run side by side with one intra-op thread each and pass on exceptions", "[policy]") {
  at::set_num_threads(2);
  TwoLanes lanes;
  for (int round = 0; round < 2; ++round) {  // the helper is reused
    std::atomic<bool> here_started{false}, there_started{false};
    bool here_met = false, there_met = false, there_inference = false;
    int here_threads = 0, there_threads = 0;
    std::thread::id here_id, there_id;
    {
      c10::InferenceMode inference;
      lanes.Run(
          [&] {
            here_id = std::this_thread::get_id();
            here_threads = at::get_num_threads();
            here_met = MeetOther(here_started, there_started);
          },
          [&] {
            there_id = std::this_thread::get_id();
            there_threads = at::get_num_threads();
            there_inference = c10::InferenceMode::is_enabled();
            there_met = MeetOther(there_started, here_started);
          });
    }
    CHECK(here_met);
    CHECK(there_met);
    CHECK(here_id == std::this_thread::get_id());
    CHECK(there_id != here_id);
    CHECK(here_threads == 1);
    CHECK(there_threads == 1);
    CHECK(there_inference);
    CHECK(at::get_num_threads() == 2);  // the caller's count is back
  }
  bool here_ran = false;
  CHECK_THROWS_WITH(lanes.Run([&] { here_ran = true; }, [] { throw std::runtime_error("helper failed"); }),
                    "helper failed");
  CHECK(here_ran);
  CHECK_THROWS_WITH(lanes.Run([] { throw std::runtime_error("caller failed"); }, [] {}), "caller failed");
  CHECK(at::get_num_threads() == 2);
  int sum = 0;
  lanes.Run([&] { sum += 1; }, [&] { sum += 2; });  // still usable after both failures
  CHECK(sum == 3);
}
