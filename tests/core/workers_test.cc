// Forked workers: every unit's result comes back once; a throw or a dead worker is reported.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <csignal>
#include <map>
#include <future>
#include <stdexcept>
#include <thread>

#include "taskforge/core/error.h"
#include "taskforge/core/workers.h"

using taskforge::RunInWorkers;

TEST_CASE("workers run every unit once, in other processes", "[core][workers]") {
  std::vector<int> units;
  for (int i = 0; i < 25; ++i) units.push_back(i * 3);
  std::map<int, std::string> results;
  RunInWorkers(
      3, units, [](int unit) { return std::to_string(unit * unit) + " " + std::to_string(::getpid()); },
      [&](int unit, const std::string& result) {
        CHECK(results.count(unit) == 0);
        results[unit] = result;
      });
  REQUIRE(results.size() == units.size());
  for (const auto& [unit, result] : results) {
    CHECK(result.substr(0, result.find(' ')) == std::to_string(unit * unit));
    CHECK(result.substr(result.find(' ') + 1) != std::to_string(::getpid()));
  }
}

TEST_CASE("a unit that throws stops the run with its message", "[core][workers]") {
  int done = 0;
  CHECK_THROWS_WITH(RunInWorkers(
                        2, {0, 1, 2, 3, 4, 5},
                        [](int unit) -> std::string {
                          if (unit == 2) throw std::runtime_error("disk full");
                          return "ok";
                        },
                        [&](int, const std::string&) { ++done; }),
                    Catch::Contains("unit 2: disk full"));
  CHECK(done >= 1);
  CHECK(done <= 5);
}

TEST_CASE("a worker that dies is reported with its signal", "[core][workers]") {
  CHECK_THROWS_WITH(RunInWorkers(
                        2, {0, 1, 2},
                        [](int unit) -> std::string {
                          if (unit == 1) std::raise(SIGKILL);
                          return "ok";
                        },
                        [](int, const std::string&) {}),
                    Catch::Contains("running unit 1") && Catch::Contains("signal 9"));
}

TEST_CASE("workers are refused in a process that already runs threads", "[core][workers]") {
  std::promise<void> stop;
  std::thread other([done = stop.get_future()]() mutable { done.wait(); });
  CHECK_THROWS_WITH(RunInWorkers(1, {0}, [](int) { return std::string("ok"); }, [](int, const std::string&) {}),
                    Catch::Contains("already runs 2 threads"));
  stop.set_value();
  other.join();
}
