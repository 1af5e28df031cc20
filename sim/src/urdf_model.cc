#include "urdf_model.h"

#include <tinyxml.h>

#include <console_bridge/console.h>
#include <urdf_parser/urdf_parser.h>

#include <Eigen/Eigenvalues>

#include <functional>
#include <mutex>
#include <regex>
#include <set>

#include "taskforge/core/error.h"
#include "taskforge/core/files.h"

namespace taskforge::sim {
namespace {

// urdfdom reports why a parse failed only through console_bridge; collect those messages so the
// exception can carry them. console_bridge's handler is global, hence the lock.
class CollectingHandler : public console_bridge::OutputHandler {
 public:
  void log(const std::string& text, console_bridge::LogLevel level, const char*, int) override {
    if (level >= console_bridge::CONSOLE_BRIDGE_LOG_WARN) messages.push_back(text);
  }
  std::vector<std::string> messages;
};
std::mutex urdfdom_mutex;

Pose ToPose(const urdf::Pose& p) {
  return MakePose({p.position.x, p.position.y, p.position.z},
                  Quat(p.rotation.w, p.rotation.x, p.rotation.y, p.rotation.z));
}

Geometry ToGeometry(const urdf::GeometrySharedPtr& g, const std::filesystem::path& base_dir,
                    const std::string& where) {
  TF_THROW_UNLESS(g != nullptr, where, ": shape has no geometry");
  Geometry out;
  switch (g->type) {
    case urdf::Geometry::BOX: {
      const auto& b = static_cast<const urdf::Box&>(*g);
      out.type = Geometry::Type::kBox;
      out.box_size = {b.dim.x, b.dim.y, b.dim.z};
      TF_THROW_UNLESS(out.box_size.minCoeff() > 0, where, ": box size (", b.dim.x, " ", b.dim.y, " ",
                      b.dim.z, ") must be positive");
      break;
    }
    case urdf::Geometry::CYLINDER: {
      const auto& c = static_cast<const urdf::Cylinder&>(*g);
      out.type = Geometry::Type::kCylinder;
      out.radius = c.radius;
      out.length = c.length;
      TF_THROW_UNLESS(c.radius > 0 && c.length > 0, where, ": cylinder radius ", c.radius,
                      " and length ", c.length, " must be positive");
      break;
    }
    case urdf::Geometry::SPHERE: {
      out.type = Geometry::Type::kSphere;
      out.radius = static_cast<const urdf::Sphere&>(*g).radius;
      TF_THROW_UNLESS(out.radius > 0, where, ": sphere radius ", out.radius, " must be positive");
      break;
    }
    case urdf::Geometry::MESH: {
      const auto& m = static_cast<const urdf::Mesh&>(*g);
      std::string file = m.filename;
      if (file.rfind("file://", 0) == 0) file = file.substr(7);
      TF_THROW_UNLESS(file.rfind("package://", 0) != 0, where, ": mesh '", m.filename,
                      "' uses package://, which needs ROS; give a path relative to the URDF");
      out.type = Geometry::Type::kMesh;
      out.mesh = std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : base_dir / file;
      out.mesh_scale = {m.scale.x, m.scale.y, m.scale.z};
      TF_THROW_UNLESS(std::filesystem::exists(out.mesh), where, ": mesh file ", out.mesh, " not found");
      break;
    }
  }
  return out;
}

// Reads what urdfdom ignores: PyBullet's <contact> friction block and <collision concave="yes">.
struct LinkExtras {
  double lateral = 0.5, rolling = 0.0, spinning = 0.0;
  std::vector<bool> concave;  // per collision element, in document order
};

std::map<std::string, LinkExtras> ReadLinkExtras(const std::string& xml) {
  std::map<std::string, LinkExtras> extras;
  TiXmlDocument doc;
  doc.Parse(xml.c_str());
  const TiXmlElement* robot = doc.FirstChildElement("robot");
  if (robot == nullptr) return extras;
  auto value_of = [](const TiXmlElement* parent, const char* tag, double fallback) {
    const TiXmlElement* e = parent->FirstChildElement(tag);
    double v = fallback;
    if (e != nullptr) e->QueryDoubleAttribute("value", &v);
    return v;
  };
  for (const TiXmlElement* link = robot->FirstChildElement("link"); link; link = link->NextSiblingElement("link")) {
    const char* name = link->Attribute("name");
    if (name == nullptr) continue;
    LinkExtras& e = extras[name];
    if (const TiXmlElement* contact = link->FirstChildElement("contact")) {
      e.lateral = value_of(contact, "lateral_friction", e.lateral);
      e.rolling = value_of(contact, "rolling_friction", e.rolling);
      e.spinning = value_of(contact, "spinning_friction", e.spinning);
    }
    for (const TiXmlElement* c = link->FirstChildElement("collision"); c; c = c->NextSiblingElement("collision")) {
      const char* concave = c->Attribute("concave");
      e.concave.push_back(concave != nullptr && std::string(concave) == "yes");
    }
  }
  return extras;
}

// Diagonalises a URDF inertia tensor; the principal axes are folded into link_T_inertial.
void SetInertia(LinkModel& link, const urdf::Inertial& inertial, const std::string& where) {
  link.mass = inertial.mass;
  TF_THROW_UNLESS(link.mass >= 0, where, ": mass ", link.mass, " is negative");
  Eigen::Matrix3d tensor;
  tensor << inertial.ixx, inertial.ixy, inertial.ixz, inertial.ixy, inertial.iyy, inertial.iyz,
      inertial.ixz, inertial.iyz, inertial.izz;
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> solver(tensor);
  Eigen::Matrix3d axes = solver.eigenvectors();
  if (axes.determinant() < 0) axes.col(2) = -axes.col(2);
  link.principal_inertia = solver.eigenvalues().cwiseMax(0.0);
  link.link_T_inertial = ToPose(inertial.origin);
  link.link_T_inertial.linear() = link.link_T_inertial.linear() * axes;
}

}  // namespace

int RobotModel::FindLink(const std::string& link_name) const {
  for (size_t i = 0; i < links.size(); ++i) {
    if (links[i].name == link_name) return static_cast<int>(i);
  }
  return -1;
}

int RobotModel::num_movable_joints() const {
  int n = 0;
  for (const LinkModel& link : links) n += link.joint_type != JointType::kFixed;
  return n;
}

std::string FillTemplate(const std::string& text, const std::map<std::string, std::string>& values,
                         const std::string& source_name) {
  static const std::regex placeholder(R"(\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\})");
  std::string out;
  std::set<std::string> used, missing;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), placeholder), end; it != end; ++it) {
    const std::string key = (*it)[1];
    out.append(last, text.cbegin() + it->position());
    if (auto found = values.find(key); found != values.end()) {
      out += found->second;
      used.insert(key);
    } else {
      missing.insert(key);
    }
    last = text.cbegin() + it->position() + it->length();
  }
  out.append(last, text.cend());
  TF_THROW_UNLESS(missing.empty(), source_name, ": no value given for placeholder(s) ", JoinNames(missing));
  std::set<std::string> unused;
  for (const auto& [key, value] : values) {
    if (!used.count(key)) unused.insert(key);
  }
  TF_THROW_UNLESS(unused.empty(), source_name, ": replacement(s) ", JoinNames(unused),
                  " match no {{placeholder}} in the file");
  return out;
}

RobotModel ParseUrdf(const std::string& xml, const std::filesystem::path& base_dir,
                     const std::string& source_name) {
  urdf::ModelInterfaceSharedPtr urdf;
  {
    std::lock_guard<std::mutex> lock(urdfdom_mutex);
    CollectingHandler handler;
    console_bridge::useOutputHandler(&handler);
    urdf = urdf::parseURDF(xml);
    console_bridge::restorePreviousOutputHandler();
    if (urdf == nullptr) {
      std::string reasons;
      for (const auto& m : handler.messages) reasons += "\n  " + m;
      throw Error(internal::Concat(source_name, ": not a valid URDF", reasons.empty() ? "" : ":", reasons));
    }
  }
  const std::map<std::string, LinkExtras> extras = ReadLinkExtras(xml);
  RobotModel model;
  model.name = urdf->getName();
  model.source = source_name;
  model.urdf_xml = xml;

  // Depth-first from the root, children in document order, as PyBullet numbers links.
  std::function<void(const urdf::LinkConstSharedPtr&, int)> visit = [&](const urdf::LinkConstSharedPtr& l, int parent) {
    LinkModel link;
    link.name = l->name;
    const std::string where = source_name + ": link '" + l->name + "'";
    if (l->inertial) SetInertia(link, *l->inertial, where);
    for (const auto& v : l->visual_array) {
      VisualShape shape{ToGeometry(v->geometry, base_dir, where), ToPose(v->origin), {0.7f, 0.7f, 0.7f, 1.0f}};
      if (v->material) {
        const urdf::Color& c = v->material->color;
        shape.rgba = {c.r, c.g, c.b, c.a};
      }
      link.visuals.push_back(shape);
    }
    const LinkExtras* extra = extras.count(l->name) ? &extras.at(l->name) : nullptr;
    for (size_t i = 0; i < l->collision_array.size(); ++i) {
      const auto& c = l->collision_array[i];
      const bool concave = extra != nullptr && i < extra->concave.size() && extra->concave[i];
      link.collisions.push_back({ToGeometry(c->geometry, base_dir, where), ToPose(c->origin), concave});
    }
    if (extra != nullptr) {
      link.lateral_friction = extra->lateral;
      link.rolling_friction = extra->rolling;
      link.spinning_friction = extra->spinning;
    }
    link.parent = parent;
    if (const urdf::JointConstSharedPtr& j = l->parent_joint) {
      link.joint_name = j->name;
      link.parent_T_joint = ToPose(j->parent_to_joint_origin_transform);
      link.axis = Vec3(j->axis.x, j->axis.y, j->axis.z);
      switch (j->type) {
        case urdf::Joint::FIXED: link.joint_type = JointType::kFixed; break;
        case urdf::Joint::REVOLUTE:
        case urdf::Joint::CONTINUOUS: link.joint_type = JointType::kRevolute; break;
        case urdf::Joint::PRISMATIC: link.joint_type = JointType::kPrismatic; break;
        default:
          throw Error(internal::Concat(source_name, ": joint '", j->name,
                                       "' is floating or planar; only fixed, revolute, continuous and "
                                       "prismatic joints are supported"));
      }
      if (link.joint_type != JointType::kFixed) {
        TF_THROW_UNLESS(link.axis.norm() > 1e-9, source_name, ": joint '", j->name, "' has a zero axis");
        link.axis.normalize();
      }
      if (j->limits && j->type != urdf::Joint::CONTINUOUS) {
        link.lower = j->limits->lower;
        link.upper = j->limits->upper;
        link.max_effort = j->limits->effort;
      } else {
        link.lower = 1.0;  // lower > upper: unlimited
        link.upper = -1.0;
        link.max_effort = j->limits ? j->limits->effort : 0.0;
      }
    }
    model.links.push_back(std::move(link));
    const int self = static_cast<int>(model.links.size()) - 1;
    for (const auto& child : l->child_links) visit(child, self);
  };
  visit(urdf->getRoot(), -1);
  return model;
}

RobotModel LoadUrdf(const std::filesystem::path& path, const std::map<std::string, std::string>& replacements) {
  const std::string xml = FillTemplate(ReadTextFile(path, "URDF file"), replacements, path.string());
  return ParseUrdf(xml, path.parent_path(), path.string());
}

void AttachModel(RobotModel& parent, const std::string& parent_link, const RobotModel& child,
                 const Pose& parent_T_child) {
  const int anchor = parent.FindLink(parent_link);
  TF_THROW_UNLESS(anchor >= 0, parent.source.string(), ": no link '", parent_link, "' to attach '",
                  child.name, "' to");
  const int offset = static_cast<int>(parent.links.size());
  for (size_t i = 0; i < child.links.size(); ++i) {
    LinkModel link = child.links[i];
    TF_THROW_UNLESS(parent.FindLink(link.name) < 0, "attaching '", child.name, "': link name '", link.name,
                    "' already exists in '", parent.name, "'");
    if (i == 0) {
      link.parent = anchor;
      link.joint_name = child.name + "_mount";
      link.joint_type = JointType::kFixed;
      link.parent_T_joint = parent_T_child;
    } else {
      link.parent += offset;
    }
    parent.links.push_back(std::move(link));
  }
}

}  // namespace taskforge::sim
