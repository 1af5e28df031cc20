#pragma once
// Converting between Lua values and poses, points and lists for the task API. Readers throw
// taskforge::Error with a message naming `what` and the offending value; the API wrapper turns
// those into Lua errors at the script's line.

#include <set>
#include <string>
#include <vector>

#include "taskforge/core/geometry.h"

struct lua_State;

namespace taskforge::tasks {

/// A short rendering of the value at `index` for messages ("nil", "'blok'", "table", "0.3").
std::string DescribeValue(lua_State* L, int index);

double ReadNumber(lua_State* L, int index, const std::string& what);
std::string ReadString(lua_State* L, int index, const std::string& what);
/// {x, y, z} (three numbers).
Vec3 ReadVec3(lua_State* L, int index, const std::string& what);
/// {x, y} or {x, y, z}; z defaults to `default_z`.
Vec3 ReadPoint(lua_State* L, int index, const std::string& what, double default_z = 0.0);
/// A pose table {pos = {x, y, z}, yaw = θ} or {pos = ..., quat = {x, y, z, w}} (a yaw given
/// with a quaternion turns it further about world z); a bare {x, y, z} is a position.
Pose ReadPose(lua_State* L, int index, const std::string& what);
/// A list of integers (e.g. object ids).
std::vector<long long> ReadIntegerList(lua_State* L, int index, const std::string& what);

/// Field `key` of the table at `index` pushed on the stack (no metamethods); returns its type.
int GetField(lua_State* L, int index, const char* key);

/// Every string key of the table at `index` must be in `allowed`: a misspelt option is an
/// error ("options has no field 'colour' (fields: color, fixed, ...)"), never ignored.
void CheckKeys(lua_State* L, int index, const std::set<std::string>& allowed, const std::string& what);
/// Optional fields of the table at `table`; `fallback` when nil. `what` names the table.
double NumberField(lua_State* L, int table, const char* key, double fallback, const std::string& what);
bool BoolField(lua_State* L, int table, const char* key, bool fallback, const std::string& what);

void PushVec3(lua_State* L, const Vec3& v);
/// {pos = {x, y, z}, yaw = θ} for poses that only turn about z, else {pos = ..., quat = ...}.
void PushPose(lua_State* L, const Pose& pose);
void PushStringList(lua_State* L, const std::vector<std::string>& values);

}  // namespace taskforge::tasks
