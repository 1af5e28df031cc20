// The parts of the task API that declare what a task wants: env.add_goal, env.add_rope (whose
// beads come with their goal geometry) and the `task` table.
#include <lua.hpp>

#include <cmath>
#include <cstdio>

#include "lua_values.h"
#include "oracle.h"
#include "scene_api.h"
#include "taskforge/core/error.h"

namespace taskforge::tasks {
namespace {

std::string At(const std::string& what, size_t i) { return what + "[" + std::to_string(i) + "]"; }

std::vector<Pose> ReadPoseList(lua_State* L, int index, const std::string& what) {
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TTABLE, what, " must be a list of poses, got ", DescribeValue(L, index));
  const int table = lua_absindex(L, index);
  std::vector<Pose> poses;
  for (size_t i = 1; i <= lua_rawlen(L, table); ++i) {
    lua_rawgeti(L, table, lua_Integer(i));
    poses.push_back(ReadPose(L, -1, At(what, i)));
    lua_pop(L, 1);
  }
  return poses;
}

// nil: one-to-one when the counts agree, any target when there is one; "all": any target;
// otherwise an explicit objects × targets list of lists of 0/1 (or booleans).
std::vector<std::vector<uint8_t>> ReadMatches(lua_State* L, int index, size_t objects, size_t targets) {
  std::vector<std::vector<uint8_t>> m(objects, std::vector<uint8_t>(targets, 0));
  if (lua_isnil(L, index)) {
    TF_THROW_UNLESS(objects == targets || targets == 1, "goal.matches is needed: ", objects, " objects and ", targets,
                    " targets cannot be paired one to one (use matches = \"all\" or a list of rows)");
    for (size_t i = 0; i < objects; ++i) m[i][targets == 1 ? 0 : i] = 1;
    return m;
  }
  if (lua_type(L, index) == LUA_TSTRING) {
    const std::string word = lua_tostring(L, index);
    TF_THROW_UNLESS(word == "all", "goal.matches must be \"all\" or a list of rows, got '", word, "'");
    for (auto& row : m) std::fill(row.begin(), row.end(), 1);
    return m;
  }
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TTABLE, "goal.matches must be \"all\" or a list of rows, got ",
                  DescribeValue(L, index));
  const int table = lua_absindex(L, index);
  TF_THROW_UNLESS(lua_rawlen(L, table) == objects, "goal.matches has ", lua_rawlen(L, table), " rows but the goal has ",
                  objects, " objects (one row per object, one column per target)");
  for (size_t i = 0; i < objects; ++i) {
    lua_rawgeti(L, table, lua_Integer(i + 1));
    TF_THROW_UNLESS(lua_type(L, -1) == LUA_TTABLE && lua_rawlen(L, -1) == targets, "goal.matches[", i + 1,
                    "] must be a row of ", targets, " values (one per target), got ",
                    lua_type(L, -1) == LUA_TTABLE ? std::to_string(lua_rawlen(L, -1)) + " values" : DescribeValue(L, -1));
    for (size_t j = 0; j < targets; ++j) {
      lua_rawgeti(L, -1, lua_Integer(j + 1));
      const int type = lua_type(L, -1);
      TF_THROW_UNLESS(type == LUA_TBOOLEAN || (type == LUA_TNUMBER && (lua_tonumber(L, -1) == 0 || lua_tonumber(L, -1) == 1)),
                      "goal.matches[", i + 1, "][", j + 1, "] must be 0, 1, true or false, got ", DescribeValue(L, -1));
      m[i][j] = type == LUA_TBOOLEAN ? lua_toboolean(L, -1) : lua_tonumber(L, -1) == 1;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return m;
}

Zone ReadZone(lua_State* L, int index, const std::string& what, double default_height) {
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TTABLE, what, " must be {pose = ..., size = {x, y}}, got ",
                  DescribeValue(L, index));
  CheckKeys(L, index, {"pose", "size"}, what);
  Zone zone;
  GetField(L, index, "pose");
  zone.pose = ReadPose(L, -1, what + ".pose");
  lua_pop(L, 1);
  GetField(L, index, "size");
  const Vec3 size = ReadPoint(L, -1, what + ".size", default_height);
  lua_pop(L, 1);
  TF_THROW_UNLESS(size.x() > 0 && size.y() > 0 && size.z() > 0, what, ".size must be positive, got (", size.x(), ", ",
                  size.y(), ", ", size.z(), ")");
  detail::CheckInWorkspace(zone.pose.translation(), what + ".pose");
  zone.size_x = size.x();
  zone.size_y = size.y();
  zone.height = size.z();
  return zone;
}

}  // namespace

namespace detail {

int AddGoal(lua_State* L, SceneContext& c) {
  const std::string what = "goal (argument 1)";
  TF_THROW_UNLESS(lua_type(L, 1) == LUA_TTABLE, what, " must be a table {objects = ..., targets = ..., ...}, got ",
                  DescribeValue(L, 1));
  CheckKeys(L, 1, {"objects", "targets", "matches", "replace", "rotations", "symmetries", "metric", "zone", "zones",
                   "reward", "language", "pos_eps", "rot_eps"}, "goal");
  Goal goal;
  goal.pos_eps = NumberField(L, 1, "pos_eps", c.settings->pos_eps, "goal");
  goal.rot_eps = NumberField(L, 1, "rot_eps", c.settings->rot_eps, "goal");
  TF_THROW_UNLESS(goal.pos_eps > 0 && goal.rot_eps > 0, "goal.pos_eps and goal.rot_eps must be positive");
  goal.replace = BoolField(L, 1, "replace", false, "goal");
  goal.rotations = BoolField(L, 1, "rotations", true, "goal");
  goal.max_reward = NumberField(L, 1, "reward", 1.0, "goal");
  TF_THROW_UNLESS(goal.max_reward > 0 && goal.max_reward <= 1, "goal.reward (this goal's share of the task) must lie in "
                  "(0, 1], got ", goal.max_reward);

  GetField(L, 1, "objects");
  for (const long long id : ReadIntegerList(L, -1, "goal.objects")) {
    TF_THROW_UNLESS(id > 0 && c.objects.count(sim::BodyId(id)), "goal.objects holds ", id,
                    ", which is not an object this task added");
    goal.objects.push_back(sim::BodyId(id));
  }
  lua_pop(L, 1);
  TF_THROW_UNLESS(!goal.objects.empty(), "goal.objects must list at least one object");

  if (GetField(L, 1, "metric") != LUA_TNIL) {
    const std::string metric = ReadString(L, -1, "goal.metric");
    TF_THROW_UNLESS(metric == "pose" || metric == "zone", "goal.metric must be \"pose\" or \"zone\", got '", metric, "'");
    goal.metric = metric == "zone" ? Metric::kZone : Metric::kPose;
  }
  lua_pop(L, 1);

  if (GetField(L, 1, "zone") != LUA_TNIL) goal.zones.push_back(ReadZone(L, -1, "goal.zone", c.settings->zone_height));
  lua_pop(L, 1);
  if (GetField(L, 1, "zones") != LUA_TNIL) {
    TF_THROW_UNLESS(lua_type(L, -1) == LUA_TTABLE, "goal.zones must be a list of zones");
    for (size_t i = 1; i <= lua_rawlen(L, -1); ++i) {
      lua_rawgeti(L, -1, lua_Integer(i));
      goal.zones.push_back(ReadZone(L, -1, At("goal.zones", i), c.settings->zone_height));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);

  if (GetField(L, 1, "targets") != LUA_TNIL) goal.targets = ReadPoseList(L, -1, "goal.targets");
  lua_pop(L, 1);
  if (goal.metric == Metric::kZone) {
    TF_THROW_UNLESS(!goal.zones.empty(), "a zone goal needs goal.zone = {pose = ..., size = {x, y}}");
    if (goal.targets.empty()) {
      for (const Zone& zone : goal.zones) goal.targets.push_back(zone.pose);  // where the oracle aims
    }
    for (const sim::BodyId id : goal.objects) goal.object_points.push_back(ObjectPoints(*c.sim, id));
  } else {
    TF_THROW_UNLESS(goal.zones.empty(), "goal.zone is only for metric = \"zone\"");
    TF_THROW_UNLESS(!goal.targets.empty(), "a pose goal needs goal.targets (a list of poses)");
  }
  for (size_t j = 0; j < goal.targets.size(); ++j) {
    detail::CheckInWorkspace(goal.targets[j].translation(), At("goal.targets", j + 1));
  }

  GetField(L, 1, "matches");
  goal.matches = ReadMatches(L, -1, goal.objects.size(), goal.targets.size());
  lua_pop(L, 1);

  const int symmetry_type = GetField(L, 1, "symmetries");
  for (size_t i = 0; i < goal.objects.size(); ++i) {
    if (symmetry_type == LUA_TNIL) {
      goal.symmetries.push_back(c.symmetries.at(goal.objects[i]));
    } else if (symmetry_type == LUA_TNUMBER) {
      goal.symmetries.push_back(ReadNumber(L, -1, "goal.symmetries"));
    } else {
      TF_THROW_UNLESS(symmetry_type == LUA_TTABLE && lua_rawlen(L, -1) == goal.objects.size(),
                      "goal.symmetries must be one angle [rad] or one per object (", goal.objects.size(), ")");
      lua_rawgeti(L, -1, lua_Integer(i + 1));
      goal.symmetries.push_back(ReadNumber(L, -1, At("goal.symmetries", i + 1)));
      lua_pop(L, 1);
    }
    TF_THROW_UNLESS(goal.symmetries.back() >= 0, "goal.symmetries must be >= 0 (0 = any yaw), got ",
                    goal.symmetries.back());
  }
  lua_pop(L, 1);

  if (GetField(L, 1, "language") != LUA_TNIL) goal.language = ReadString(L, -1, "goal.language");
  lua_pop(L, 1);
  TF_THROW_UNLESS(c.goals.size() < 100, "a task may declare at most 100 goals");
  c.goals.push_back(std::move(goal));
  return 0;
}

int AddRope(lua_State* L, SceneContext& c) {
  // A Ravens rope: `count` beads stacked upright from `start`, each joined to the previous at a
  // point `spacing` above it (force capped at 100 N); it falls into a tangle when released.
  const std::string what = "rope (argument 1)";
  TF_THROW_UNLESS(lua_type(L, 1) == LUA_TTABLE, what, " must be a table {start = {x, y}, count = 20, spacing = ...}");
  CheckKeys(L, 1, {"start", "count", "spacing", "color", "end_color"}, "rope");
  GetField(L, 1, "start");
  Vec3 position = ReadPoint(L, -1, "rope.start");
  lua_pop(L, 1);
  detail::CheckInWorkspace(position, "rope.start");
  const double count = NumberField(L, 1, "count", 20, "rope");
  const double spacing = NumberField(L, 1, "spacing", 0.005 * 2 * std::sqrt(2.0), "rope");
  TF_THROW_UNLESS(count >= 2 && count <= 50 && count == std::floor(count), "rope.count must be an integer in [2, 50]");
  TF_THROW_UNLESS(spacing >= 0.005 && spacing <= 0.05, "rope.spacing must lie in [0.005, 0.05] m, got ", spacing);
  TF_THROW_UNLESS(int(c.objects.size() + size_t(count)) <= c.max_objects, "object budget exceeded: a task may spawn at "
                  "most ", c.max_objects, " objects");
  Vec3 middle = Palette().at("red"), ends = Vec3(0.7, 0.7, 0.7);
  if (GetField(L, 1, "color") != LUA_TNIL) middle = detail::ReadColor(L, -1, "rope.color");
  lua_pop(L, 1);
  if (GetField(L, 1, "end_color") != LUA_TNIL) ends = detail::ReadColor(L, -1, "rope.end_color");
  lua_pop(L, 1);
  const CatalogueEntry& bead = c.catalogue->Find("bead");
  std::vector<sim::BodyId> beads;
  for (int i = 0; i < int(count); ++i) {
    position.z() += spacing;
    sim::BodyOptions options;
    const Vec3 rgb = i == 0 || i == int(count) - 1 ? ends : middle;
    options.color = std::array<float, 4>{float(rgb.x()), float(rgb.y()), float(rgb.z()), 1.0f};
    const sim::BodyId id = c.sim->AddBody(bead.urdf, MakePose(position), options);
    if (!beads.empty()) c.sim->AddPointJoint(beads.back(), {0, 0, spacing}, id, {0, 0, 0}, 100.0);
    beads.push_back(id);
    c.objects.insert(id);
    c.assets[id] = bead.name;
    c.symmetries[id] = 0.0;
  }
  c.oracle_view.reset();
  lua_createtable(L, int(beads.size()), 0);
  for (size_t i = 0; i < beads.size(); ++i) {
    lua_pushinteger(L, beads[i]);
    lua_rawseti(L, -2, lua_Integer(i + 1));
  }
  return 1;
}

}  // namespace detail

TaskSettings ReadTaskSettings(LuaSandbox& sandbox) {
  lua_State* L = sandbox.state();
  TaskSettings s;
  auto fail = [&](const std::string& message) {
    throw ScriptError("the `task` table: " + message, sandbox.script_name(), 0);
  };
  lua_getglobal(L, "task");
  struct Popper {
    lua_State* L;
    ~Popper() { lua_settop(L, 0); }
  } pop{L};
  if (lua_type(L, -1) != LUA_TTABLE) fail("the script must define a global table `task = {name = ..., ...}`");
  try {
    CheckKeys(L, -1, {"name", "description", "variants", "max_steps", "end_effector", "primitive", "pos_eps", "rot_eps",
                      "zone_height", "solver_iterations", "physics_hz"}, "task");
    GetField(L, -1, "name");
    s.name = ReadString(L, -1, "task.name");
    lua_pop(L, 1);
    if (GetField(L, -1, "description") != LUA_TNIL) s.description = ReadString(L, -1, "task.description");
    lua_pop(L, 1);
    if (GetField(L, -1, "variants") != LUA_TNIL) {
      TF_THROW_UNLESS(lua_type(L, -1) == LUA_TTABLE, "task.variants must be a list of names");
      for (size_t i = 1; i <= lua_rawlen(L, -1); ++i) {
        lua_rawgeti(L, -1, lua_Integer(i));
        s.variants.push_back(ReadString(L, -1, At("task.variants", i)));
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
    const double max_steps = NumberField(L, -1, "max_steps", 10, "task");
    TF_THROW_UNLESS(max_steps >= 1 && max_steps <= 100 && max_steps == std::floor(max_steps),
                    "task.max_steps must be an integer in [1, 100], got ", max_steps);
    s.max_steps = int(max_steps);
    if (GetField(L, -1, "end_effector") != LUA_TNIL) {
      const std::string ee = ReadString(L, -1, "task.end_effector");
      TF_THROW_UNLESS(ee == "suction" || ee == "spatula", "task.end_effector must be \"suction\" or \"spatula\", got '",
                      ee, "'");
      s.end_effector = ee == "spatula" ? sim::EndEffector::kSpatula : sim::EndEffector::kSuction;
    }
    lua_pop(L, 1);
    s.pos_eps = NumberField(L, -1, "pos_eps", s.pos_eps, "task");
    s.rot_eps = NumberField(L, -1, "rot_eps", s.rot_eps, "task");
    s.zone_height = NumberField(L, -1, "zone_height", s.zone_height, "task");
    TF_THROW_UNLESS(s.pos_eps > 0 && s.rot_eps > 0 && s.zone_height > 0, "task.pos_eps, rot_eps and zone_height must be "
                    "positive");
    const double iterations = NumberField(L, -1, "solver_iterations", 0, "task");
    TF_THROW_UNLESS(iterations == 0 || (iterations >= 5 && iterations <= 200 && iterations == std::floor(iterations)),
                    "task.solver_iterations must be an integer in [5, 200], got ", iterations);
    s.solver_iterations = int(iterations);
    const double hz = NumberField(L, -1, "physics_hz", 0, "task");
    TF_THROW_UNLESS(hz == 0 || hz == 240 || hz == 480, "task.physics_hz must be 240 or 480, got ", hz);
    s.physics_hz = int(hz);
    if (GetField(L, -1, "primitive") != LUA_TNIL) {
      TF_THROW_UNLESS(lua_type(L, -1) == LUA_TTABLE, "task.primitive must be a table {height = ..., speed = ...}");
      CheckKeys(L, -1, {"height", "speed"}, "task.primitive");
      s.pick_place.lift_height_m = NumberField(L, -1, "height", s.pick_place.lift_height_m, "task.primitive");
      // The speed is the carry's with suction and the push's with the spatula.
      double& speed = s.end_effector == sim::EndEffector::kSpatula ? s.push.push_speed_rad_s
                                                                    : s.pick_place.carry_speed_rad_s;
      speed = NumberField(L, -1, "speed", speed, "task.primitive");
      TF_THROW_UNLESS(s.pick_place.lift_height_m >= 0.01 && s.pick_place.lift_height_m <= 0.5,
                      "task.primitive.height must lie in [0.01, 0.5] m");
      TF_THROW_UNLESS(speed >= 0.1 && speed <= 10, "task.primitive.speed must lie in [0.1, 10] rad/s, got ", speed);
    }
    lua_pop(L, 1);
  } catch (const ScriptError&) {
    throw;
  } catch (const Error& e) {
    fail(e.what());
  }
  return s;
}

}  // namespace taskforge::tasks
