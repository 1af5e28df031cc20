#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <sstream>

#include "end_effector.h"
#include "physics_world.h"
#include "render/primitive_meshes.h"
#include "render/renderer.h"
#include "taskforge/core/error.h"
#include "taskforge/sim/sim.h"
#include "mesh_loader.h"
#include "ur5_arm.h"

namespace taskforge::sim {
namespace {

// Bodies faster than this have exploded; farther than this from the base have left the table.
constexpr double kExplodingSpeed = 20.0;   // [m/s]
constexpr double kTableRadius = 2.0;       // [m]
constexpr double kFloorDrop = -0.5;        // [m]

// FNV-1a over raw bytes: the determinism tests need bit-exact state comparison.
class StateHasher {
 public:
  void Add(double v) { AddBytes(&v, sizeof v); }
  void Add(const btVector3& v) { Add(v.x()), Add(v.y()), Add(v.z()); }
  void Add(const btTransform& t) {
    Add(t.getOrigin());
    for (int r = 0; r < 3; ++r) Add(t.getBasis().getRow(r));
  }
  uint64_t value() const { return hash_; }

 private:
  void AddBytes(const void* data, size_t n) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) hash_ = (hash_ ^ bytes[i]) * 1099511628211ull;
  }
  uint64_t hash_ = 14695981039346656037ull;
};

// Primitives share one unit mesh each and are scaled per instance, so the meshes a renderer holds
// stay few however many sizes the tasks draw; OBJ meshes are keyed by file and scale.
std::string GeometryKey(const Geometry& g) {
  std::ostringstream key;
  key.precision(17);
  switch (g.type) {
    case Geometry::Type::kBox: return "box";
    case Geometry::Type::kCylinder: return "cylinder";
    case Geometry::Type::kSphere: return "sphere";
    case Geometry::Type::kMesh: key << "mesh " << g.mesh.string() << ' ' << g.mesh_scale.transpose(); break;
  }
  return key.str();
}

// The scale that turns the geometry's unit mesh into the shape.
Eigen::Matrix4d UnitMeshScale(const Geometry& g) {
  Eigen::Vector4d diagonal(1, 1, 1, 1);
  switch (g.type) {
    case Geometry::Type::kBox: diagonal.head<3>() = g.box_size; break;
    case Geometry::Type::kCylinder: diagonal.head<3>() = Vec3(g.radius, g.radius, g.length); break;
    case Geometry::Type::kSphere: diagonal.head<3>().setConstant(g.radius); break;
    case Geometry::Type::kMesh: break;
  }
  return diagonal.asDiagonal();
}

render::MeshData MeshFor(const Geometry& g) {
  switch (g.type) {
    case Geometry::Type::kBox: return render::MakeBox(Vec3(0.5, 0.5, 0.5));
    case Geometry::Type::kCylinder: return render::MakeCylinder(1.0, 1.0);
    case Geometry::Type::kSphere: return render::MakeSphere(1.0);
    case Geometry::Type::kMesh: break;
  }
  const TriangleMesh mesh = MergeMeshes(LoadObj(g.mesh, g.mesh_scale));
  render::MeshData data;
  for (const Vec3& v : mesh.vertices) {
    data.positions.insert(data.positions.end(), {float(v.x()), float(v.y()), float(v.z())});
  }
  data.indices = mesh.triangles;
  return data;
}

}  // namespace

std::filesystem::path ResolveAssetsDir(const std::filesystem::path& requested) {
  std::filesystem::path dir = requested;
  if (dir.empty()) {
    const char* env = std::getenv("TASKFORGE_ASSETS");
    dir = env != nullptr && *env != '\0' ? std::filesystem::path(env) : std::filesystem::path(TASKFORGE_DEFAULT_ASSETS);
  }
  TF_THROW_UNLESS(std::filesystem::is_directory(dir / "robots"), "assets directory ", dir,
                  " not found or has no robots/ folder (set --assets or TASKFORGE_ASSETS)");
  return dir;
}

// One renderer per thread, shared by the thread's worlds in turn: creating an EGL context and
// compiling shaders costs 40-130 ms on llvmpipe, more than a short episode. Its meshes are keyed
// by geometry, so they serve every world.
struct RenderCache {
  std::unique_ptr<render::Renderer> renderer;
  std::map<std::string, int> meshes;  // geometry key -> renderer mesh handle
};

RenderCache& ThreadRenderCache() {
  thread_local RenderCache cache;
  return cache;
}

struct Sim::Impl {
  SimConfig config;
  PhysicsWorld physics;
  BodyId floor = 0, workspace = 0, robot = 0;
  std::unique_ptr<Ur5Arm> arm;
  std::unique_ptr<Gripper> gripper;
  SuctionCup* suction = nullptr;  // == gripper when the end effector is the suction cup
  std::vector<BodyId> objects;
  std::optional<HeightmapFusion> fusion;  // kept between observations for its buffers
  int64_t renders = 0;
  std::mt19937_64 rng;

  explicit Impl(const SimConfig& c) : config(c), physics(config), rng(c.seed) {
    config.assets_dir = ResolveAssetsDir(c.assets_dir);
  }

  BodyId Load(const std::filesystem::path& urdf, const Pose& pose, const BodyOptions& options) {
    const std::filesystem::path path = urdf.is_absolute() ? urdf : config.assets_dir / urdf;
    RobotModel model = LoadUrdf(path, options.replacements);
    if (options.color) {
      for (LinkModel& link : model.links) {
        for (VisualShape& v : link.visuals) v.rgba = *options.color;
      }
    }
    return physics.Add(std::move(model), pose, options.fixed).id;
  }

  int MeshHandle(const Geometry& g) {
    RenderCache& cache = ThreadRenderCache();
    const std::string key = GeometryKey(g);
    auto it = cache.meshes.find(key);
    if (it == cache.meshes.end()) it = cache.meshes.emplace(key, cache.renderer->AddMesh(MeshFor(g))).first;
    return it->second;
  }

  render::Renderer& Renderer() {
    RenderCache& cache = ThreadRenderCache();
    if (!cache.renderer) cache.renderer = std::make_unique<render::Renderer>();
    return *cache.renderer;
  }

  std::vector<render::RenderInstance> instances;  // scratch for Instances()

  // The visual shapes of every body at their current poses; valid until the next call.
  const std::vector<render::RenderInstance>& Instances() {
    instances.clear();
    for (const auto& [id, body] : physics.bodies()) {
      for (size_t l = 0; l < body->model.links.size(); ++l) {
        const LinkModel& link = body->model.links[l];
        if (link.visuals.empty()) continue;
        const Pose world_T_link = body->link_pose(static_cast<int>(l));
        for (const VisualShape& v : link.visuals) {
          instances.push_back(
              {MeshHandle(v.geometry), (world_T_link * v.link_T_shape).matrix() * UnitMeshScale(v.geometry), v.rgba, id});
        }
      }
    }
    return instances;
  }

  void AddNoise(RgbdFrame& frame) {
    // Ravens' optional sensor noise: colour + N(0, 3), depth + N(0, 3 mm).
    std::normal_distribution<double> color_noise(0.0, 3.0), depth_noise(0.0, 0.003);
    for (uint8_t& c : frame.color.data) c = uint8_t(std::clamp(std::lround(c + color_noise(rng)), 0L, 255L));
    for (float& d : frame.depth.data) {
      if (d > 0) d = float(d + depth_noise(rng));
    }
  }
};

Sim::Sim(const SimConfig& config) : impl_(std::make_unique<Impl>(config)) {
  Impl& s = *impl_;
  const std::filesystem::path& assets = s.config.assets_dir;
  BodyOptions fixed;
  fixed.fixed = true;
  s.floor = s.Load("scene/plane.urdf", MakePose({0, 0, -0.001}), fixed);
  s.workspace = s.Load("scene/workspace.urdf", MakePose({0.5, 0, 0}), fixed);
  RobotModel arm = LoadUrdf(assets / s.config.arm_urdf);
  const bool suction = s.config.end_effector == EndEffector::kSuction;
  AttachModel(arm, "tool0", LoadUrdf(assets / (suction ? "robots/ur5/suction.urdf" : "robots/ur5/spatula.urdf")));
  const int tip = arm.FindLink("tool_tip");
  TF_THROW_UNLESS(tip > 0, "end effector has no 'tool_tip' link");
  Body& robot = s.physics.Add(std::move(arm), Pose::Identity(), /*fixed=*/true);
  s.robot = robot.id;
  s.arm = std::make_unique<Ur5Arm>(s.physics, robot, tip, s.config);
  if (suction) {
    auto cup = std::make_unique<SuctionCup>(s.physics, robot, tip);
    s.suction = cup.get();
    s.gripper = std::move(cup);
  } else {
    s.gripper = std::make_unique<Spatula>(s.physics, robot, tip);
  }
  ResetArm();
}

Sim::~Sim() = default;

const SimConfig& Sim::config() const { return impl_->config; }

BodyId Sim::AddBody(const std::filesystem::path& urdf, const Pose& world_T_body, const BodyOptions& options) {
  const BodyId id = impl_->Load(urdf, world_T_body, options);
  impl_->objects.push_back(id);
  return id;
}

void Sim::RemoveBody(BodyId body) {
  auto& objects = impl_->objects;
  auto it = std::find(objects.begin(), objects.end(), body);
  TF_THROW_UNLESS(it != objects.end(), "no object with id ", body, " to remove");
  if (impl_->suction && impl_->suction->held() == body) impl_->suction->Release();
  impl_->physics.Remove(body);
  objects.erase(it);
}

std::vector<BodyId> Sim::objects() const { return impl_->objects; }
BodyId Sim::robot_id() const { return impl_->robot; }
BodyId Sim::floor_id() const { return impl_->floor; }
const std::string& Sim::body_name(BodyId body) const { return impl_->physics.body(body).model.name; }

Pose Sim::body_pose(BodyId body) const { return impl_->physics.body(body).link_pose(0); }

void Sim::set_body_pose(BodyId body, const Pose& world_T_body) {
  Body& b = impl_->physics.body(body);
  TF_THROW_UNLESS(b.rigid != nullptr, "body ", body, " ('", b.model.name, "') is articulated; only single-link bodies can be moved");
  b.rigid->setWorldTransform(ToBullet(world_T_body * b.model.links[0].link_T_inertial));
  b.rigid->setLinearVelocity(btVector3(0, 0, 0));
  b.rigid->setAngularVelocity(btVector3(0, 0, 0));
  b.rigid->activate(true);  // a teleported body must fall or settle even if it was asleep
}

Vec3 Sim::linear_velocity(BodyId body) const {
  const Body& b = impl_->physics.body(body);
  const btVector3 v = b.rigid ? b.rigid->getLinearVelocity() : b.multibody->getBaseVel();
  return {v.x(), v.y(), v.z()};
}

Vec3 Sim::angular_velocity(BodyId body) const {
  const Body& b = impl_->physics.body(body);
  const btVector3 w = b.rigid ? b.rigid->getAngularVelocity() : b.multibody->getBaseOmega();
  return {w.x(), w.y(), w.z()};
}

std::vector<Contact> Sim::contacts(BodyId body) const {
  const Body& b = impl_->physics.body(body);
  return impl_->physics.ContactsOf(b, kTouchDistance);
}

std::pair<Vec3, Vec3> Sim::body_bounds(BodyId body) const { return impl_->physics.LocalBounds(body); }

void Sim::AddPointJoint(BodyId a, const Vec3& pivot_in_a, BodyId b, const Vec3& pivot_in_b, double max_force_n) {
  impl_->physics.AddPointJoint(a, pivot_in_a, b, pivot_in_b, max_force_n);
}

void Sim::Step(int steps) {
  for (int i = 0; i < steps; ++i) impl_->physics.Step();
}

bool Sim::IsStatic() const {
  for (BodyId id : impl_->objects) {
    const Body& b = impl_->physics.body(id);
    if (b.rigid && !b.fixed && b.rigid->getLinearVelocity().length() >= impl_->config.static_speed_m_s) return false;
  }
  return true;
}

int Sim::SettleUntilStatic() {
  int steps = 0;
  while (steps < impl_->config.settle_step_budget && !IsStatic()) {
    impl_->physics.Step();
    ++steps;
  }
  return steps;
}

void Sim::set_step_timing(bool enabled) { impl_->physics.set_step_timing(enabled); }
double Sim::step_wall_s() const { return impl_->physics.step_wall_s(); }

int64_t Sim::step_count() const { return impl_->physics.step_count(); }
double Sim::time_s() const { return double(impl_->physics.step_count()) * impl_->physics.time_step_s(); }

std::vector<BodyIssue> Sim::CheckHealth() const {
  std::vector<BodyIssue> issues;
  for (BodyId id : impl_->objects) {
    const Body& b = impl_->physics.body(id);
    if (!b.rigid || b.fixed) continue;
    const btVector3 p = b.rigid->getWorldTransform().getOrigin();
    const btVector3 v = b.rigid->getLinearVelocity();
    auto report = [&](BodyIssue::Kind kind, const std::string& what) {
      std::ostringstream text;
      text << "body " << id << " ('" << b.model.name << "') " << what << " at (" << p.x() << ", " << p.y() << ", "
           << p.z() << ") moving " << v.length() << " m/s";
      issues.push_back({id, b.model.name, kind, text.str()});
    };
    if (!std::isfinite(p.length2()) || !std::isfinite(v.length2())) {
      report(BodyIssue::Kind::kNotFinite, "has a non-finite state");
    } else if (v.length() > kExplodingSpeed || b.rigid->getAngularVelocity().length() > 10 * kExplodingSpeed) {
      report(BodyIssue::Kind::kExploding, "exploded");
    } else if (p.z() < kFloorDrop || std::hypot(p.x(), p.y()) > kTableRadius) {
      report(BodyIssue::Kind::kLeftTable, "left the table");
    }
  }
  return issues;
}

Arm& Sim::arm() { return *impl_->arm; }
Gripper& Sim::gripper() { return *impl_->gripper; }

void Sim::ResetArm() {
  impl_->gripper->Release();
  impl_->arm->ResetJoints(HomeJoints());
}

bool Sim::arm_has_closed_form_ik() const { return impl_->arm->closed_form_ik(); }

JointVector Sim::HomeJoints() {
  constexpr double pi = 3.14159265358979323846;
  return {-1 * pi, -0.5 * pi, 0.5 * pi, -0.5 * pi, -0.5 * pi, 0.0};
}

RgbdFrame Sim::Render(const CameraConfig& camera) {
  RgbdFrame frame;
  Render(camera, frame);
  return frame;
}

void Sim::Render(const CameraConfig& camera, RgbdFrame& frame) {
  render::Renderer& renderer = impl_->Renderer();
  renderer.Render(camera, impl_->Instances(), frame);
  ++impl_->renders;
  if (camera.noise) impl_->AddNoise(frame);
}

Observation Sim::Observe(const WorkspaceBounds& bounds) {
  Observation obs;
  Observe(obs, bounds);
  return obs;
}

void Sim::Observe(Observation& obs, const WorkspaceBounds& bounds) {
  if (obs.cameras.empty()) obs.cameras = RavensAgentCameras();
  obs.frames.resize(obs.cameras.size());
  if (!impl_->fusion || !(impl_->fusion->bounds() == bounds)) impl_->fusion.emplace(bounds);
  HeightmapFusion& fusion = *impl_->fusion;
  fusion.Reset();
  // The bodies do not move between the views: one instance list serves all of them. (Fusing a
  // view on a helper thread while the next renders was measured slower on 2 cores: llvmpipe's
  // rasteriser threads already use them.)
  render::Renderer& renderer = impl_->Renderer();  // before Instances(), which uploads meshes
  const std::vector<render::RenderInstance>& instances = impl_->Instances();
  renderer.Render(obs.cameras, instances, obs.frames);  // one pass: ~30% faster than three
  impl_->renders += int64_t(obs.cameras.size());
  for (size_t i = 0; i < obs.cameras.size(); ++i) {
    if (obs.cameras[i].noise) impl_->AddNoise(obs.frames[i]);
    fusion.AddView(obs.frames[i], obs.cameras[i]);
  }
  fusion.Finish(obs.heightmap);
}

int64_t Sim::render_count() const { return impl_->renders; }
int64_t Sim::ik_call_count() const { return impl_->arm->ik_calls(); }

std::string Sim::render_device() { return impl_->Renderer().device_description(); }

uint64_t Sim::StateHash() const {
  StateHasher h;
  for (const auto& [id, body] : impl_->physics.bodies()) {
    if (body->rigid) {
      h.Add(body->rigid->getWorldTransform());
      h.Add(body->rigid->getLinearVelocity());
      h.Add(body->rigid->getAngularVelocity());
    } else {
      const btMultiBody& mb = *body->multibody;
      h.Add(mb.getBaseWorldTransform());
      for (int l = 0; l < mb.getNumLinks(); ++l) {
        if (mb.getLink(l).m_jointType == btMultibodyLink::eFixed) continue;
        h.Add(mb.getJointPos(l));
        h.Add(mb.getJointVel(l));
      }
    }
  }
  return h.value();
}

}  // namespace taskforge::sim
