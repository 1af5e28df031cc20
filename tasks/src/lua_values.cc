#include "lua_values.h"

#include <lua.hpp>

#include <cmath>
#include <set>
#include <sstream>

#include "taskforge/core/error.h"

namespace taskforge::tasks {

std::string DescribeValue(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TNONE:
    case LUA_TNIL:
      return "nil";
    case LUA_TNUMBER: {
      std::ostringstream out;
      out << lua_tonumber(L, index);
      return out.str();
    }
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    case LUA_TSTRING: {
      std::string s = lua_tostring(L, index);
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "'" + s + "'";
    }
    default:
      return lua_typename(L, lua_type(L, index));
  }
}

int GetField(lua_State* L, int index, const char* key) {
  const int table = lua_absindex(L, index);
  lua_pushstring(L, key);
  return lua_rawget(L, table);
}

double ReadNumber(lua_State* L, int index, const std::string& what) {
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TNUMBER, what, " must be a number, got ", DescribeValue(L, index));
  const double value = lua_tonumber(L, index);
  TF_THROW_UNLESS(std::isfinite(value), what, " must be finite, got ", value);
  return value;
}

std::string ReadString(lua_State* L, int index, const std::string& what) {
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TSTRING, what, " must be a string, got ", DescribeValue(L, index));
  return lua_tostring(L, index);
}

namespace {

std::vector<double> ReadNumbers(lua_State* L, int index, const std::string& what, size_t min, size_t max) {
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TTABLE, what, " must be a list of ", min,
                  min == max ? "" : " to " + std::to_string(max), " numbers, got ", DescribeValue(L, index));
  const int table = lua_absindex(L, index);
  const size_t n = lua_rawlen(L, table);
  TF_THROW_UNLESS(n >= min && n <= max, what, " must hold ", min, min == max ? "" : " to " + std::to_string(max),
                  " numbers, got ", n);
  std::vector<double> out;
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, table, lua_Integer(i));
    try {
      out.push_back(ReadNumber(L, -1, what + "[" + std::to_string(i) + "]"));
    } catch (...) {
      lua_pop(L, 1);
      throw;
    }
    lua_pop(L, 1);
  }
  return out;
}

}  // namespace

Vec3 ReadVec3(lua_State* L, int index, const std::string& what) {
  const std::vector<double> v = ReadNumbers(L, index, what, 3, 3);
  return {v[0], v[1], v[2]};
}

Vec3 ReadPoint(lua_State* L, int index, const std::string& what, double default_z) {
  const std::vector<double> v = ReadNumbers(L, index, what, 2, 3);
  return {v[0], v[1], v.size() == 3 ? v[2] : default_z};
}

Pose ReadPose(lua_State* L, int index, const std::string& what) {
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TTABLE, what,
                  " must be a pose {pos = {x, y, z}, yaw = angle} (from env.pose or env.random_pose), got ",
                  DescribeValue(L, index));
  const int table = lua_absindex(L, index);
  if (lua_rawlen(L, table) > 0) return MakePose(ReadVec3(L, table, what));  // a bare position
  struct Popper {
    lua_State* L;
    ~Popper() { lua_pop(L, 1); }
  };
  Vec3 position;
  {
    GetField(L, table, "pos");
    Popper pop{L};
    position = ReadVec3(L, -1, what + ".pos");
  }
  Quat rotation = Quat::Identity();
  {
    const int type = GetField(L, table, "quat");
    Popper pop{L};
    if (type != LUA_TNIL) {
      TF_THROW_UNLESS(lua_type(L, -1) == LUA_TTABLE && lua_rawlen(L, -1) == 4, what,
                      ".quat must be {x, y, z, w}, got ", DescribeValue(L, -1));
      double q[4];
      for (int i = 0; i < 4; ++i) {
        lua_rawgeti(L, -1, i + 1);
        Popper inner{L};
        q[i] = ReadNumber(L, -1, what + ".quat[" + std::to_string(i + 1) + "]");
      }
      rotation = Quat(q[3], q[0], q[1], q[2]);
      TF_THROW_UNLESS(rotation.norm() > 1e-6, what, ".quat has zero length");
      rotation.normalize();
    }
  }
  {
    const int type = GetField(L, table, "yaw");
    Popper pop{L};
    if (type != LUA_TNIL) {
      const double yaw = ReadNumber(L, -1, what + ".yaw");
      rotation = Quat(Eigen::AngleAxisd(yaw, Vec3::UnitZ())) * rotation;
    }
  }
  return MakePose(position, rotation);
}

std::vector<long long> ReadIntegerList(lua_State* L, int index, const std::string& what) {
  TF_THROW_UNLESS(lua_type(L, index) == LUA_TTABLE, what, " must be a list, got ", DescribeValue(L, index));
  const int table = lua_absindex(L, index);
  std::vector<long long> out;
  const size_t n = lua_rawlen(L, table);
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, table, lua_Integer(i));
    const bool integer = lua_isinteger(L, -1);
    const long long value = integer ? lua_tointeger(L, -1) : 0;
    const std::string shown = DescribeValue(L, -1);
    lua_pop(L, 1);
    TF_THROW_UNLESS(integer, what, "[", i, "] must be an integer (an object id), got ", shown);
    out.push_back(value);
  }
  return out;
}

// Every string key of the table at `index` must be in `allowed`: a misspelt option is an error,
// never silently ignored.
void CheckKeys(lua_State* L, int index, const std::set<std::string>& allowed, const std::string& what) {
  const int table = lua_absindex(L, index);
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);  // value
    const bool is_string = lua_type(L, -1) == LUA_TSTRING;
    const std::string key = is_string ? lua_tostring(L, -1) : "";
    if (is_string && allowed.count(key)) continue;
    const std::string shown = DescribeValue(L, -1);
    lua_pop(L, 1);  // key
    throw Error(what + " has no field " + shown + " (fields: " + JoinNames(allowed) + ")");
  }
}

namespace {

// Reads optional field `key` with `read`, or returns `fallback` when it is nil.
template <typename T, typename Reader>
T Field(lua_State* L, int table, const char* key, T fallback, Reader read) {
  const int type = GetField(L, table, key);
  struct Popper {
    lua_State* L;
    ~Popper() { lua_pop(L, 1); }
  } pop{L};
  if (type == LUA_TNIL) return fallback;
  return read(L, -1);
}

}  // namespace

double NumberField(lua_State* L, int table, const char* key, double fallback, const std::string& what) {
  return Field(L, table, key, fallback, [&](lua_State* l, int i) { return ReadNumber(l, i, what + "." + key); });
}

bool BoolField(lua_State* L, int table, const char* key, bool fallback, const std::string& what) {
  return Field(L, table, key, fallback, [&](lua_State* l, int i) {
    TF_THROW_UNLESS(lua_type(l, i) == LUA_TBOOLEAN, what, ".", key, " must be true or false, got ", DescribeValue(l, i));
    return bool(lua_toboolean(l, i));
  });
}

void PushVec3(lua_State* L, const Vec3& v) {
  lua_createtable(L, 3, 0);
  for (int i = 0; i < 3; ++i) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

void PushPose(lua_State* L, const Pose& pose) {
  lua_createtable(L, 0, 2);
  PushVec3(L, pose.translation());
  lua_setfield(L, -2, "pos");
  // Planar poses (the usual case) carry a yaw a script can read and change; others a quaternion.
  if ((pose.linear().col(2) - Vec3::UnitZ()).norm() < 1e-9) {
    lua_pushnumber(L, YawOf(pose));
    lua_setfield(L, -2, "yaw");
    return;
  }
  const Quat q(pose.linear());
  lua_createtable(L, 4, 0);
  const double xyzw[4] = {q.x(), q.y(), q.z(), q.w()};
  for (int i = 0; i < 4; ++i) {
    lua_pushnumber(L, xyzw[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "quat");
}

void PushStringList(lua_State* L, const std::vector<std::string>& values) {
  lua_createtable(L, int(values.size()), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    lua_pushstring(L, values[i].c_str());
    lua_rawseti(L, -2, lua_Integer(i + 1));
  }
}

}  // namespace taskforge::tasks
