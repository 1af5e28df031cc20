#include <catch2/catch.hpp>

#include "taskforge/core/error.h"
#include "urdf_model.h"

using namespace taskforge;
using namespace taskforge::sim;

namespace {
const std::filesystem::path kAssets = TASKFORGE_TEST_ASSETS;
}

TEST_CASE("The UR5 URDF loads with six revolute joints and a tool flange", "[sim][urdf]") {
  const RobotModel ur5 = LoadUrdf(kAssets / "robots/ur5/ur5.urdf");
  CHECK(ur5.name == "ur5");
  CHECK(ur5.num_movable_joints() == 6);
  REQUIRE(ur5.FindLink("tool0") > 0);
  CHECK(ur5.links[0].name == "base_link");
  for (size_t i = 1; i < ur5.links.size(); ++i) CHECK(ur5.links[i].parent < int(i));
  const LinkModel& elbow = ur5.links[ur5.FindLink("forearm_link")];
  CHECK(elbow.lower == Approx(-3.141593));
  CHECK(elbow.mass == Approx(2.275));
}

TEST_CASE("End effectors attach at the flange and keep their mesh visuals", "[sim][urdf]") {
  RobotModel arm = LoadUrdf(kAssets / "robots/ur5/ur5.urdf");
  const size_t before = arm.links.size();
  AttachModel(arm, "tool0", LoadUrdf(kAssets / "robots/ur5/suction.urdf"));
  CHECK(arm.links.size() == before + 2);
  const int tip = arm.FindLink("tool_tip");
  REQUIRE(tip > 0);
  CHECK(arm.links[arm.links[tip].parent].name == "suction_base");
  CHECK(arm.links[arm.FindLink("suction_base")].parent == arm.FindLink("tool0"));
  bool has_mesh = false;
  for (const VisualShape& v : arm.links[arm.FindLink("suction_base")].visuals) {
    has_mesh |= v.geometry.type == Geometry::Type::kMesh && std::filesystem::exists(v.geometry.mesh);
  }
  CHECK(has_mesh);
  REQUIRE_THROWS_WITH(AttachModel(arm, "no_such_link", LoadUrdf(kAssets / "robots/ur5/spatula.urdf")),
                      Catch::Contains("no link 'no_such_link'"));
}

TEST_CASE("Templates are filled and every placeholder must get a value", "[sim][urdf]") {
  const std::map<std::string, std::string> values = {{"size_x", "0.1"}, {"size_y", "0.2"}, {"size_z", "0.3"},
                                                     {"mass", "0.5"},   {"r", "1"},      {"g", "0"},
                                                     {"b", "0"}};
  const RobotModel box = LoadUrdf(kAssets / "objects/box.urdf", values);
  REQUIRE(box.links.size() == 1);
  CHECK(box.links[0].collisions[0].geometry.box_size.isApprox(Vec3(0.1, 0.2, 0.3)));
  CHECK(box.links[0].lateral_friction == Approx(1.0));
  CHECK(box.links[0].visuals[0].rgba[0] == Approx(1.0f));

  auto missing = values;
  missing.erase("mass");
  REQUIRE_THROWS_WITH(LoadUrdf(kAssets / "objects/box.urdf", missing),
                      Catch::Contains("box.urdf") && Catch::Contains("no value given for placeholder(s) mass"));
  auto extra = values;
  extra["colour"] = "red";
  REQUIRE_THROWS_WITH(LoadUrdf(kAssets / "objects/box.urdf", extra),
                      Catch::Contains("replacement(s) colour match no {{placeholder}}"));
}

TEST_CASE("Malformed URDFs are reported with the file and the reason", "[sim][urdf]") {
  REQUIRE_THROWS_WITH(LoadUrdf(kAssets / "objects/nonexistent.urdf"), Catch::Contains("nonexistent.urdf"));
  REQUIRE_THROWS_WITH(ParseUrdf("<robot name='x'><link name='a'/><joint name='j' type='revolute'>"
                                "<parent link='a'/><child link='b'/></joint></robot>",
                                ".", "broken.urdf"),
                      Catch::Contains("broken.urdf: not a valid URDF"));
  REQUIRE_THROWS_WITH(ParseUrdf("<robot name='x'><link name='a'><visual><geometry><mesh filename='missing.obj'/>"
                                "</geometry></visual></link></robot>",
                                kAssets, "meshy.urdf"),
                      Catch::Contains("meshy.urdf: link 'a': mesh file") && Catch::Contains("missing.obj"));
  REQUIRE_THROWS_WITH(ParseUrdf("<robot name='x'><link name='a'><collision><geometry><box size='0 1 1'/>"
                                "</geometry></collision></link></robot>",
                                ".", "flat.urdf"),
                      Catch::Contains("flat.urdf") && Catch::Contains("must be positive"));
}
