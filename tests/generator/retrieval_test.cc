#include <catch2/catch.hpp>

#include "retrieval.h"

using namespace taskforge::generator;

TEST_CASE("reference tasks are the most similar by description words and assets") {
  const std::vector<std::string> catalogue = {"block", "bowl", "box", "container", "line", "bead"};
  REQUIRE(AssetsInSource("env.add_object(\"bowl\", p)\nenv:add_object('block', q)\nenv.add_rope{}", catalogue) ==
          std::vector<std::string>{"bead", "block", "bowl"});

  const std::vector<LibraryEntry> library = {
      {"align-rope", "Lay a rope straight between two points.", "", {"bead"}},
      {"place-red-in-green", "Put each red block into a green bowl.", "", {"block", "bowl"}},
      {"packing-boxes", "Pack boxes into a container.", "", {"box", "container"}},
      {"put-block-in-bowl", "Put the blocks of one colour into bowls of another colour.", "", {"block", "bowl"}},
  };
  const auto best = MostSimilar("Sort blocks of two colours into bowls of the same colours.", {"block", "bowl"}, library, 2);
  REQUIRE(best == std::vector<size_t>{3, 1});
  REQUIRE(MostSimilar("Put a box into a container.", {"box", "container"}, library, 1) == std::vector<size_t>{2});
  REQUIRE(Similarity("same words here", {"block"}, "same words here", {"block"}) == Approx(1.0));
  REQUIRE(Similarity("alpha", {"block"}, "omega", {"bowl"}) == 0.0);
}
