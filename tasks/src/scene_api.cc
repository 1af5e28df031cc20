#include "scene_api.h"

#include <lua.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "lua_values.h"
#include "oracle.h"
#include "prelude_lua.h"
#include "taskforge/core/error.h"

namespace taskforge::tasks {

using detail::CheckInWorkspace;
using detail::ReadColor;

namespace {

constexpr int kMaxSettleSteps = 4800;  // per call into the script, asked for with env.settle

std::string Number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

// Fills a template's placeholders from the script's values, the catalogue's defaults and its
// derived expressions (half sizes, wall offsets, ...).
std::map<std::string, std::string> TemplateValues(const CatalogueEntry& entry, std::map<std::string, double> numbers,
                                                  std::map<std::string, std::string> strings) {
  for (const auto& [name, value] : entry.defaults) numbers.try_emplace(name, value);
  if (std::count(entry.parameters.begin(), entry.parameters.end(), "mass")) numbers.try_emplace("mass", 0.1);
  // Derived values may build on each other: evaluate until nothing more can be.
  for (bool progress = true; progress;) {
    progress = false;
    for (const auto& [name, expression] : entry.derived) {
      if (numbers.count(name)) continue;
      try {
        numbers[name] = Evaluate(expression, numbers);
        progress = true;
      } catch (const Error&) {
        // an input is still missing; reported below if it stays missing
      }
    }
  }
  std::map<std::string, std::string> values = std::move(strings);
  for (const std::string& p : entry.parameters) {
    if (values.count(p)) continue;
    if (auto it = numbers.find(p); it != numbers.end()) {
      values[p] = Number(it->second);
      continue;
    }
    std::string doc;
    for (const std::string& q : entry.parameters) {
      if (entry.derived.count(q)) continue;
      auto d = entry.parameter_doc.find(q);
      doc += "\n  " + q + (d != entry.parameter_doc.end() ? ": " + d->second : "");
    }
    throw Error("asset '" + entry.name + "' needs a value for '" + p + "' (give size = {x, y, z}, color, mass, " +
                "shape or params = {...}); its parameters:" + doc);
  }
  return values;
}

// --- env functions -------------------------------------------------------------------------

int AddObject(lua_State* L, SceneContext& c) {
  const CatalogueEntry& entry = c.catalogue->Find(ReadString(L, 1, "asset (argument 1)"));
  const Pose pose = ReadPose(L, 2, "pose (argument 2)");
  CheckInWorkspace(pose.translation(), "pose (argument 2)");
  TF_THROW_UNLESS(int(c.objects.size()) < c.max_objects, "object budget exceeded: a task may spawn at most ",
                  c.max_objects, " objects");
  sim::BodyOptions options;
  options.fixed = entry.default_fixed;
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;
  double symmetry = entry.symmetry_rad;
  std::optional<Vec3> rgb;
  if (lua_gettop(L) >= 3 && !lua_isnil(L, 3)) {
    TF_THROW_UNLESS(lua_type(L, 3) == LUA_TTABLE, "options (argument 3) must be a table, got ", DescribeValue(L, 3));
    CheckKeys(L, 3, {"fixed", "color", "size", "mass", "params", "shape"}, "options (argument 3)");
    options.fixed = BoolField(L, 3, "fixed", options.fixed, "options");
    if (GetField(L, 3, "color") != LUA_TNIL) rgb = ReadColor(L, -1, "options.color");
    lua_pop(L, 1);
    if (GetField(L, 3, "size") != LUA_TNIL) {
      const Vec3 size = ReadVec3(L, -1, "options.size");
      TF_THROW_UNLESS(size.minCoeff() > 0 && size.maxCoeff() <= 1.0, "options.size must lie in (0, 1] m, got (",
                      size.x(), ", ", size.y(), ", ", size.z(), ")");
      numbers["size_x"] = size.x();
      numbers["size_y"] = size.y();
      numbers["size_z"] = size.z();
    }
    lua_pop(L, 1);
    const double mass = NumberField(L, 3, "mass", -1.0, "options");
    if (mass != -1.0) {
      TF_THROW_UNLESS(mass > 0 && mass <= 10, "options.mass must lie in (0, 10] kg, got ", mass);
      numbers["mass"] = mass;
    }
    if (GetField(L, 3, "shape") != LUA_TNIL) {
      const std::string key = lua_type(L, -1) == LUA_TNUMBER ? std::to_string(lua_tointeger(L, -1))
                                                              : ReadString(L, -1, "options.shape");
      const KitShape& shape = c.catalogue->FindKitShape(key);
      strings["mesh"] = "../" + shape.file;  // the kit templates live in assets/objects/
      symmetry = shape.symmetry_rad;
    }
    lua_pop(L, 1);
    if (GetField(L, 3, "params") != LUA_TNIL) {
      TF_THROW_UNLESS(lua_type(L, -1) == LUA_TTABLE, "options.params must be a table, got ", DescribeValue(L, -1));
      CheckKeys(L, -1, std::set<std::string>(entry.parameters.begin(), entry.parameters.end()), "options.params of '" + entry.name + "'");
      lua_pushnil(L);
      while (lua_next(L, -2) != 0) {
        const std::string key = lua_tostring(L, -2);
        numbers[key] = ReadNumber(L, -1, "options.params." + key);
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  if (rgb) {
    numbers["r"] = rgb->x();
    numbers["g"] = rgb->y();
    numbers["b"] = rgb->z();
    options.color = std::array<float, 4>{float(rgb->x()), float(rgb->y()), float(rgb->z()), 1.0f};
  } else if (std::count(entry.parameters.begin(), entry.parameters.end(), "r") && !entry.defaults.count("r")) {
    numbers["r"] = numbers["g"] = numbers["b"] = 0.7;  // light grey unless the script says otherwise
  }
  if (!entry.parameters.empty()) options.replacements = TemplateValues(entry, numbers, strings);
  const sim::BodyId id = c.sim->AddBody(entry.urdf, pose, options);
  c.objects.insert(id);
  c.assets[id] = entry.name;
  if (options.fixed) c.fixed.insert(id);
  c.symmetries[id] = symmetry;
  c.oracle_view.reset();
  lua_pushinteger(L, id);
  return 1;
}

int RandomPose(lua_State* L, SceneContext& c) {
  const Vec3 size = ReadPoint(L, 1, "size (argument 1, {x, y, z} in metres)");
  TF_THROW_UNLESS(size.x() > 0 && size.y() > 0 && size.z() >= 0, "size (argument 1) must be positive, got (",
                  size.x(), ", ", size.y(), ", ", size.z(), ")");
  if (!c.oracle_view) c.oracle_view = RenderOracleView(*c.sim);
  const std::optional<Pose> pose = RandomFreePose(*c.oracle_view, c.objects, size, *c.rng);
  if (pose) {
    PushPose(L, *pose);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int RandomSize(lua_State* L, SceneContext& c) {
  Vec3 size;
  for (int axis = 0; axis < 3; ++axis) {
    const double lo = ReadNumber(L, 2 * axis + 1, "argument " + std::to_string(2 * axis + 1));
    const double hi = ReadNumber(L, 2 * axis + 2, "argument " + std::to_string(2 * axis + 2));
    TF_THROW_UNLESS(lo > 0 && lo <= hi, "sizes need 0 < min <= max, got min ", lo, " and max ", hi, " for axis ",
                    "xyz"[axis]);
    size[axis] = lo + (hi - lo) * UniformUnit(*c.rng);
  }
  PushVec3(L, size);
  return 1;
}

int MakePoseFn(lua_State* L, SceneContext&) {
  const double x = ReadNumber(L, 1, "x (argument 1)"), y = ReadNumber(L, 2, "y (argument 2)");
  const double z = lua_isnoneornil(L, 3) ? 0.0 : ReadNumber(L, 3, "z (argument 3)");
  const double yaw = lua_isnoneornil(L, 4) ? 0.0 : ReadNumber(L, 4, "yaw (argument 4)");
  PushPose(L, MakePlanarPose({x, y, z}, yaw));
  return 1;
}

int Apply(lua_State* L, SceneContext&) {
  const Pose pose = ReadPose(L, 1, "pose (argument 1)");
  PushVec3(L, pose * ReadPoint(L, 2, "offset (argument 2)"));
  return 1;
}

int Multiply(lua_State* L, SceneContext&) {
  PushPose(L, ReadPose(L, 1, "pose (argument 1)") * ReadPose(L, 2, "pose (argument 2)"));
  return 1;
}

int Invert(lua_State* L, SceneContext&) {
  PushPose(L, ReadPose(L, 1, "pose (argument 1)").inverse());
  return 1;
}

sim::BodyId ReadObject(lua_State* L, int index, const SceneContext& c, const std::string& what) {
  TF_THROW_UNLESS(lua_isinteger(L, index), what, " must be an object id from env.add_object, got ",
                  DescribeValue(L, index));
  const lua_Integer id = lua_tointeger(L, index);
  TF_THROW_UNLESS(id > 0 && c.objects.count(sim::BodyId(id)), what, " ", id, " is not an object this task added");
  return sim::BodyId(id);
}

int ObjectPose(lua_State* L, SceneContext& c) {
  PushPose(L, c.sim->body_pose(ReadObject(L, 1, c, "object (argument 1)")));
  return 1;
}

int Colors(lua_State* L, SceneContext& c) {
  PushStringList(L, SplitColors(c.variant, c.split));
  return 1;
}

int AllColors(lua_State* L, SceneContext&) {
  std::vector<std::string> names;
  for (const auto& [name, rgb] : Palette()) names.push_back(name);
  PushStringList(L, names);
  return 1;
}

int Color(lua_State* L, SceneContext&) {
  PushVec3(L, ReadColor(L, 1, "colour (argument 1)"));
  return 1;
}

int Shuffle(lua_State* L, SceneContext& c) {
  TF_THROW_UNLESS(lua_type(L, 1) == LUA_TTABLE, "list (argument 1) must be a table, got ", DescribeValue(L, 1));
  const int n = int(lua_rawlen(L, 1));
  lua_createtable(L, n, 0);
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, 1, i);
    lua_rawseti(L, -2, i);
  }
  for (int i = n; i > 1; --i) {  // Fisher-Yates on the copy
    const int j = 1 + int(UniformIndex(*c.rng, size_t(i)));
    lua_rawgeti(L, -1, i);
    lua_rawgeti(L, -2, j);
    lua_rawseti(L, -3, i);
    lua_rawseti(L, -2, j);
  }
  return 1;
}

int Choice(lua_State* L, SceneContext& c) {
  TF_THROW_UNLESS(lua_type(L, 1) == LUA_TTABLE && lua_rawlen(L, 1) > 0, "list (argument 1) must be a non-empty list, got ",
                  DescribeValue(L, 1));
  lua_rawgeti(L, 1, lua_Integer(1 + UniformIndex(*c.rng, lua_rawlen(L, 1))));
  return 1;
}

int SetMaxSteps(lua_State* L, SceneContext& c) {
  const double steps = ReadNumber(L, 1, "steps (argument 1)");
  TF_THROW_UNLESS(steps >= 1 && steps <= 100 && steps == std::floor(steps), "steps must be an integer in [1, 100], got ",
                  steps);
  c.settings->max_steps = int(steps);
  return 0;
}

int Settle(lua_State* L, SceneContext& c) {
  const double steps = ReadNumber(L, 1, "steps (argument 1)");
  TF_THROW_UNLESS(steps >= 0 && steps == std::floor(steps) && c.extra_settle_steps + steps <= kMaxSettleSteps,
                  "settle steps must be a non-negative integer, at most ", kMaxSettleSteps,
                  " in one call of reset() or after_step(), got ", steps);
  c.extra_settle_steps += int(steps);
  c.sim->Step(int(steps));
  c.oracle_view.reset();
  return 0;
}

// Steps until every object has been at rest (Sim::IsStatic) for this many steps in a row: one
// step alone can catch a bouncing or rocking body at the top of its swing.
constexpr int kRestfulSteps = 10;

int WaitForRest(lua_State* L, SceneContext& c) {
  const double max_steps = ReadNumber(L, 1, "max_steps (argument 1)");
  TF_THROW_UNLESS(max_steps >= 1 && max_steps == std::floor(max_steps) && c.extra_settle_steps + max_steps <= kMaxSettleSteps,
                  "wait_for_rest's max_steps must be a positive integer, at most ", kMaxSettleSteps,
                  " with env.settle's steps in one call of reset() or after_step(), got ", max_steps);
  int steps = 0;
  for (int restful = 0; steps < int(max_steps) && restful < kRestfulSteps; ++steps) {
    c.sim->Step();
    restful = c.sim->IsStatic() ? restful + 1 : 0;
  }
  c.extra_settle_steps += steps;
  c.oracle_view.reset();
  lua_pushinteger(L, steps);
  return 1;
}

int AssetSize(lua_State* L, SceneContext& c) {
  const CatalogueEntry& entry = c.catalogue->Find(ReadString(L, 1, "asset (argument 1)"));
  TF_THROW_UNLESS(entry.size.has_value(), "asset '", entry.name, "' is a template: its size is what you give it");
  PushVec3(L, *entry.size);
  return 1;
}

int SetPose(lua_State* L, SceneContext& c) {
  const sim::BodyId id = ReadObject(L, 1, c, "object (argument 1)");
  const Pose pose = ReadPose(L, 2, "pose (argument 2)");
  CheckInWorkspace(pose.translation(), "pose (argument 2)");
  c.sim->set_body_pose(id, pose);
  c.parked.erase(id);
  c.oracle_view.reset();
  return 0;
}

int Park(lua_State* L, SceneContext& c) {
  // Off the table, out of every camera's view, 20 cm apart so parked objects never touch.
  const sim::BodyId id = ReadObject(L, 1, c, "object (argument 1)");
  if (!c.parked.count(id)) c.parked[id] = c.parked.size();
  c.sim->set_body_pose(id, MakePose({0.5 + 0.2 * double(c.parked[id] % 20), -10.0 - 0.2 * double(c.parked[id] / 20), 0.2}));
  c.oracle_view.reset();
  return 0;
}

int IsParked(lua_State* L, SceneContext& c) {
  lua_pushboolean(L, c.parked.count(ReadObject(L, 1, c, "object (argument 1)")) != 0);
  return 1;
}

int SplitFn(lua_State* L, SceneContext& c) {
  lua_pushstring(L, SplitName(c.split));
  return 1;
}

int KitShapes(lua_State* L, SceneContext& c) {
  const auto& shapes = c.catalogue->kit_shapes();
  lua_createtable(L, int(shapes.size()), 0);
  for (size_t i = 0; i < shapes.size(); ++i) {
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, shapes[i].id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, shapes[i].name.c_str());
    lua_setfield(L, -2, "name");
    lua_pushnumber(L, shapes[i].symmetry_rad);
    lua_setfield(L, -2, "symmetry");
    lua_rawseti(L, -2, lua_Integer(i + 1));
  }
  return 1;
}

struct Binding {
  const char* name;
  int (*function)(lua_State*, SceneContext&);
};

constexpr Binding kBindings[] = {
    {"add_object", AddObject}, {"random_pose", RandomPose}, {"random_size", RandomSize},
    {"pose", MakePoseFn},      {"apply", Apply},            {"multiply", Multiply},
    {"invert", Invert},        {"object_pose", ObjectPose}, {"colors", Colors},
    {"all_colors", AllColors}, {"color", Color},            {"shuffle", Shuffle},
    {"choice", Choice},        {"set_max_steps", SetMaxSteps}, {"settle", Settle},
    {"wait_for_rest", WaitForRest},
    {"kit_shapes", KitShapes}, {"add_goal", detail::AddGoal}, {"add_rope", detail::AddRope},
    {"asset_size", AssetSize}, {"set_pose", SetPose},       {"park", Park},
    {"is_parked", IsParked},   {"split", SplitFn},
};

// Calls a binding with `env` dropped from env:f(...) calls, turning C++ exceptions into Lua
// errors at the caller's line. No C++ object with a destructor is alive when Lua unwinds.
int Dispatch(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE && lua_rawequal(L, 1, lua_upvalueindex(2))) lua_remove(L, 1);
  auto& context = *static_cast<SceneContext*>(lua_touserdata(L, lua_upvalueindex(1)));
  const auto& binding = kBindings[lua_tointeger(L, lua_upvalueindex(3))];
  char message[2048];
  try {
    return binding.function(L, context);
  } catch (const std::exception& e) {
    std::snprintf(message, sizeof message, "env.%s: %s", binding.name, e.what());
  }
  return luaL_error(L, "%s", message);
}

}  // namespace

namespace detail {

void CheckInWorkspace(const Vec3& p, const std::string& what) {
  const WorkspaceBounds b = TaskBounds();
  TF_THROW_UNLESS(p.x() >= b.x_min && p.x() <= b.x_max && p.y() >= b.y_min && p.y() <= b.y_max, what, " (", p.x(),
                  ", ", p.y(), ") is outside the workspace x [", b.x_min, ", ", b.x_max, "], y [", b.y_min, ", ",
                  b.y_max, "] m");
  TF_THROW_UNLESS(p.z() >= -0.05 && p.z() <= 1.0, what, " has height ", p.z(), " m, outside [-0.05, 1] m");
}

Vec3 ReadColor(lua_State* L, int index, const std::string& what) {
  if (lua_type(L, index) == LUA_TSTRING) {
    const std::string name = lua_tostring(L, index);
    const auto& palette = Palette();
    auto it = palette.find(name);
    if (it != palette.end()) return it->second;
    std::vector<std::string> names;
    for (const auto& [n, c] : palette) names.push_back(n);
    throw Error(what + ": unknown colour '" + name + "' (colours: " + JoinNames(names) + ")");
  }
  const Vec3 rgb = ReadVec3(L, index, what);
  TF_THROW_UNLESS(rgb.minCoeff() >= 0 && rgb.maxCoeff() <= 1, what, " components must lie in [0, 1], got (", rgb.x(),
                  ", ", rgb.y(), ", ", rgb.z(), ")");
  return rgb;
}

}  // namespace detail

const std::map<std::string, Vec3>& Palette() {
  static const std::map<std::string, Vec3> palette = [] {
    const std::pair<const char*, std::array<int, 3>> colors[] = {
        {"blue", {78, 121, 167}},  {"red", {255, 87, 89}},     {"green", {89, 169, 79}},   {"orange", {242, 142, 43}},
        {"yellow", {237, 201, 72}}, {"purple", {176, 122, 161}}, {"pink", {255, 157, 167}}, {"cyan", {118, 183, 178}},
        {"brown", {156, 117, 95}}, {"white", {255, 255, 255}}, {"gray", {186, 176, 172}}};
    std::map<std::string, Vec3> out;
    for (const auto& [name, rgb] : colors) out[name] = Vec3(rgb[0], rgb[1], rgb[2]) / 255.0;
    return out;
  }();
  return palette;
}

std::vector<std::string> SplitColors(const std::string& variant, Split split) {
  const std::vector<std::string> train = {"blue", "red", "green", "yellow", "brown", "gray", "cyan"};
  const std::vector<std::string> eval = {"blue", "red", "green", "orange", "purple", "pink", "white"};
  if (variant == "unseen-colors") return split == Split::kTrain ? train : eval;
  if (variant == "full") {
    std::vector<std::string> all = train;
    for (const std::string& c : eval) {
      if (std::find(all.begin(), all.end(), c) == all.end()) all.push_back(c);
    }
    return all;
  }
  return train;  // "seen-colors" and tasks without colour variants
}

void LoadTask(LuaSandbox& sandbox, const std::string& code) {
  sandbox.Load(kPreludeLua, "prelude.lua");
  sandbox.Load(code);
}

void InstallSceneApi(LuaSandbox& sandbox, SceneContext& context) {
  lua_State* L = sandbox.state();
  lua_createtable(L, 0, int(std::size(kBindings)));
  for (size_t i = 0; i < std::size(kBindings); ++i) {
    lua_pushlightuserdata(L, &context);
    lua_pushvalue(L, -2);  // the env table, to recognise env:f(...) calls
    lua_pushinteger(L, lua_Integer(i));
    lua_pushcclosure(L, Dispatch, 3);
    lua_setfield(L, -2, kBindings[i].name);
  }
  lua_pushvalue(L, -1);
  context.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);  // for PushSceneApi: no lookup the script could hijack
  lua_setglobal(L, "env");
}

void PushSceneApi(LuaSandbox& sandbox, const SceneContext& context) {
  lua_rawgeti(sandbox.state(), LUA_REGISTRYINDEX, context.env_ref);
}

}  // namespace taskforge::tasks
