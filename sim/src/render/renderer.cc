#include "render/renderer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "render/egl_context.h"
#include "taskforge/core/error.h"

namespace taskforge::sim::render {
namespace {

// Positions are in camera axes (OpenCV: +x right, +y down, +z forward) and projected straight
// from the pinhole intrinsics; VERTEX_NORMALS picks interpolated mesh normals over per-triangle
// normals from screen-space derivatives.
constexpr const char* kVertexShader = R"(
layout(location = 0) in vec3 a_position;  // mesh frame [m]
uniform mat4 u_model_view;                // camera_T_mesh [m]
uniform vec4 u_projection;                // (2 fx / W, 2 fy / H, 2 (cx + 0.5) / W - 1, 2 (cy + 0.5) / H - 1)
uniform vec2 u_depth_range;               // (z_near [m], (z_far + z_near) / (z_far - z_near))
out vec3 v_offset;                        // vertex relative to the mesh origin, camera axes [m]
#ifdef VERTEX_NORMALS
layout(location = 1) in vec3 a_normal;
uniform mat3 u_normal_matrix;
out vec3 v_normal;
#endif

void main() {
  v_offset = mat3(u_model_view) * a_position;
  vec3 p = v_offset + u_model_view[3].xyz;
  // Clip space with w = z: image point (u, v) lands on framebuffer (u + 0.5, v + 0.5), so image
  // row v is framebuffer row v and glReadPixels yields rows top first. Clip z is the standard
  // perspective depth written relative to z_near, which keeps it precise for a far camera with
  // a thin depth range (the Ravens oracle at 1000 m).
  gl_Position = vec4(u_projection.x * p.x + u_projection.z * p.z,
                     u_projection.y * p.y + u_projection.w * p.z,
                     u_depth_range.y * (p.z - u_depth_range.x) - u_depth_range.x, p.z);
#ifdef VERTEX_NORMALS
  v_normal = u_normal_matrix * a_normal;
#endif
}
)";

constexpr const char* kFragmentShader = R"(
in vec3 v_offset;
#ifdef VERTEX_NORMALS
in vec3 v_normal;
#endif
uniform mat4 u_model_view;
uniform vec4 u_color;
uniform uint u_segment;
uniform vec3 u_to_light;  // unit vector towards the light, camera axes
layout(location = 0) out uint o_color;  // RGBA8 packed little-endian: red in the low byte
layout(location = 1) out uint o_segment;
layout(location = 2) out float o_depth;  // along +z [m]

void main() {
#ifdef VERTEX_NORMALS
  vec3 normal = normalize(v_normal);
#else
  vec3 normal = normalize(cross(dFdx(v_offset), dFdy(v_offset)));
  if (dot(normal, v_offset + u_model_view[3].xyz) > 0.0) normal = -normal;  // face the camera
#endif
  vec3 lit = u_color.rgb * (kAmbient + kDiffuse * max(dot(normal, u_to_light), 0.0));
  uvec3 c = uvec3(round(clamp(lit, 0.0, 1.0) * 255.0));
  o_color = c.r | (c.g << 8) | (c.b << 16) | (255u << 24);
  o_segment = u_segment;
  o_depth = u_model_view[3].z + v_offset.z;  // small interpolated offset: precise even at 1000 m
}
)";

// Render targets: packed colour, segment id, depth along +z, and the z-buffer. Colour is an
// integer target because Mesa's llvmpipe reads RGBA8 back through a slow conversion path
// (3 ms for 640x480 against 0.15 ms for a 32-bit integer target).
constexpr GLenum kTargetFormats[] = {GL_R32UI, GL_R32UI, GL_R32F, GL_DEPTH_COMPONENT32F};
constexpr GLenum kTargetAttachments[] = {GL_COLOR_ATTACHMENT0, GL_COLOR_ATTACHMENT1, GL_COLOR_ATTACHMENT2,
                                         GL_DEPTH_ATTACHMENT};
constexpr int kTargetCount = 4;

struct Program {
  GLuint id = 0;
  GLint model_view = -1, normal_matrix = -1, color = -1, segment = -1, projection = -1, depth_range = -1, to_light = -1;
};

struct GpuMesh {
  GLuint vertex_array = 0;
  GLsizei index_count = 0;
  bool has_normals = false;
};

GLuint CompileShader(const GlFunctions& gl, GLenum stage, const std::string& source) {
  const GLuint shader = gl.CreateShader(stage);
  const char* text = source.c_str();
  gl.ShaderSource(shader, 1, &text, nullptr);
  gl.CompileShader(shader);
  GLint compiled = GL_FALSE;
  gl.GetShaderiv(shader, GL_COMPILE_STATUS, &compiled);
  if (compiled != GL_TRUE) {
    char log[4096] = {};
    gl.GetShaderInfoLog(shader, sizeof log, nullptr, log);
    throw Error(std::string("the OpenGL driver rejected a renderer shader: ") + log);
  }
  return shader;
}

Program LinkProgram(const GlFunctions& gl, bool vertex_normals) {
  const std::string prelude = std::string("#version 330 core\n") + (vertex_normals ? "#define VERTEX_NORMALS\n" : "") +
                              "const float kAmbient = " + std::to_string(kAmbient) + ";\n" +
                              "const float kDiffuse = " + std::to_string(kDiffuse) + ";\n";
  const GLuint vertex = CompileShader(gl, GL_VERTEX_SHADER, prelude + kVertexShader);
  const GLuint fragment = CompileShader(gl, GL_FRAGMENT_SHADER, prelude + kFragmentShader);
  Program program;
  program.id = gl.CreateProgram();
  gl.AttachShader(program.id, vertex);
  gl.AttachShader(program.id, fragment);
  gl.LinkProgram(program.id);
  gl.DeleteShader(vertex);  // flagged; freed with the program
  gl.DeleteShader(fragment);
  GLint linked = GL_FALSE;
  gl.GetProgramiv(program.id, GL_LINK_STATUS, &linked);
  if (linked != GL_TRUE) {
    char log[4096] = {};
    gl.GetProgramInfoLog(program.id, sizeof log, nullptr, log);
    throw Error(std::string("the OpenGL driver could not link the renderer's shaders: ") + log);
  }
  program.model_view = gl.GetUniformLocation(program.id, "u_model_view");
  program.normal_matrix = gl.GetUniformLocation(program.id, "u_normal_matrix");
  program.color = gl.GetUniformLocation(program.id, "u_color");
  program.segment = gl.GetUniformLocation(program.id, "u_segment");
  program.projection = gl.GetUniformLocation(program.id, "u_projection");
  program.depth_range = gl.GetUniformLocation(program.id, "u_depth_range");
  program.to_light = gl.GetUniformLocation(program.id, "u_to_light");
  return program;
}

void CheckCamera(const CameraConfig& c) {
  TF_THROW_UNLESS(c.width > 0 && c.height > 0, "camera '", c.name, "' has an empty image size ", c.width, "x",
                  c.height);
  TF_THROW_UNLESS(std::isfinite(c.fx) && std::isfinite(c.fy) && c.fx > 0 && c.fy > 0, "camera '", c.name,
                  "' needs positive focal lengths, got fx = ", c.fx, ", fy = ", c.fy);
  TF_THROW_UNLESS(std::isfinite(c.cx) && std::isfinite(c.cy), "camera '", c.name, "' has a non-finite principal point");
  TF_THROW_UNLESS(std::isfinite(c.z_far) && c.z_near > 0 && c.z_near < c.z_far, "camera '", c.name,
                  "' needs 0 < z_near < z_far, got ", c.z_near, " and ", c.z_far);
  TF_THROW_UNLESS(c.world_T_camera.matrix().allFinite(), "camera '", c.name, "' has a non-finite pose");
}

}  // namespace

Eigen::Vector3d ToLightWorld() { return Eigen::Vector3d(0.3, 0.2, 1.0).normalized(); }

struct Renderer::Impl {
  EglContext context;
  Program programs[2];  // [0]: meshes with vertex normals, [1]: flat-shaded meshes
  GLuint framebuffer = 0;
  GLuint targets[kTargetCount] = {};
  int target_width = 0, target_height = 0;
  std::vector<GpuMesh> meshes;
  mutable std::vector<uint32_t> packed_color;  // read-back scratch, kept between frames

  const GlFunctions& gl() const { return context.gl(); }

  // Reallocates the render targets if they are smaller than width × height [px].
  void EnsureTargetSize(int width, int height) {
    if (width <= target_width && height <= target_height) return;
    GLint max_size = 0;
    gl().GetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &max_size);
    TF_THROW_UNLESS(width <= max_size && height <= max_size, "camera image ", width, "x", height,
                    " exceeds the OpenGL renderbuffer limit of ", max_size, " px");
    target_width = std::max(width, target_width);
    target_height = std::max(height, target_height);
    for (int i = 0; i < kTargetCount; ++i) {
      gl().BindRenderbuffer(GL_RENDERBUFFER, targets[i]);
      gl().RenderbufferStorage(GL_RENDERBUFFER, kTargetFormats[i], target_width, target_height);
      gl().FramebufferRenderbuffer(GL_FRAMEBUFFER, kTargetAttachments[i], GL_RENDERBUFFER, targets[i]);
    }
    const GLenum status = gl().CheckFramebufferStatus(GL_FRAMEBUFFER);
    TF_THROW_UNLESS(status == GL_FRAMEBUFFER_COMPLETE, "the OpenGL driver (", context.description(),
                    ") cannot render to R32UI + R32UI + R32F + DEPTH32F targets (framebuffer status 0x", std::hex,
                    status, ")");
  }

  // Draws the instances whose meshes have (or lack) vertex normals with the matching program.
  void Draw(const CameraConfig& camera, const std::vector<RenderInstance>& instances, bool vertex_normals) {
    const Program& program = programs[vertex_normals ? 0 : 1];
    // Poses are composed in double precision; only camera-frame values reach the GPU as floats.
    const Eigen::Matrix4d camera_T_world = camera.world_T_camera.inverse().matrix();
    bool program_in_use = false;
    for (const RenderInstance& instance : instances) {
      const GpuMesh& mesh = meshes[static_cast<size_t>(instance.mesh)];
      if (mesh.has_normals != vertex_normals || mesh.index_count == 0) continue;
      if (!program_in_use) {
        UseProgram(program, camera, camera_T_world);
        program_in_use = true;
      }
      const Eigen::Matrix4d camera_T_mesh = camera_T_world * instance.world_T_mesh;
      const Eigen::Matrix4f model_view = camera_T_mesh.cast<float>();
      gl().UniformMatrix4fv(program.model_view, 1, GL_FALSE, model_view.data());
      if (vertex_normals) {
        const Eigen::Matrix3f normal_matrix = camera_T_mesh.topLeftCorner<3, 3>().inverse().transpose().cast<float>();
        gl().UniformMatrix3fv(program.normal_matrix, 1, GL_FALSE, normal_matrix.data());
      }
      gl().Uniform4f(program.color, instance.rgba[0], instance.rgba[1], instance.rgba[2], instance.rgba[3]);
      gl().Uniform1ui(program.segment, instance.segment_id);
      gl().BindVertexArray(mesh.vertex_array);
      gl().DrawElements(GL_TRIANGLES, mesh.index_count, GL_UNSIGNED_INT, nullptr);
    }
  }

  // Binds a program and sets the uniforms shared by all instances of one camera image.
  void UseProgram(const Program& program, const CameraConfig& camera, const Eigen::Matrix4d& camera_T_world) {
    const double width = camera.width, height = camera.height;
    const Eigen::Vector3d to_light = camera_T_world.topLeftCorner<3, 3>() * ToLightWorld();
    const double depth_scale = (camera.z_far + camera.z_near) / (camera.z_far - camera.z_near);
    gl().UseProgram(program.id);
    gl().Uniform4f(program.projection, float(2 * camera.fx / width), float(2 * camera.fy / height),
                   float(2 * (camera.cx + 0.5) / width - 1), float(2 * (camera.cy + 0.5) / height - 1));
    gl().Uniform2f(program.depth_range, float(camera.z_near), float(depth_scale));
    gl().Uniform3f(program.to_light, float(to_light.x()), float(to_light.y()), float(to_light.z()));
  }

  // Copies the targets into `frame`; framebuffer row v is image row v (see the vertex shader).
  void ReadBack(int width, int height, RgbdFrame& frame, int y_offset = 0) const {
    frame.color.Resize(height, width, 3);
    frame.depth.Resize(height, width, 1);
    frame.segments.Resize(height, width, 1);
    packed_color.resize(size_t(width) * height);
    gl().ReadBuffer(GL_COLOR_ATTACHMENT0);
    gl().ReadPixels(0, y_offset, width, height, GL_RED_INTEGER, GL_UNSIGNED_INT, packed_color.data());
    uint8_t* rgb = frame.color.data.data();
    for (const uint32_t rgba : packed_color) {
      *rgb++ = uint8_t(rgba);
      *rgb++ = uint8_t(rgba >> 8);
      *rgb++ = uint8_t(rgba >> 16);
    }
    gl().ReadBuffer(GL_COLOR_ATTACHMENT1);
    gl().ReadPixels(0, y_offset, width, height, GL_RED_INTEGER, GL_UNSIGNED_INT, frame.segments.data.data());
    gl().ReadBuffer(GL_COLOR_ATTACHMENT2);
    gl().ReadPixels(0, y_offset, width, height, GL_RED, GL_FLOAT, frame.depth.data.data());
    CheckGlError("rendering a camera image");
  }

  // Renders `count` cameras stacked bottom to top in the framebuffer, each in its own band,
  // then reads each band back into its frame.
  void RenderStack(const CameraConfig* cameras, RgbdFrame* frames, size_t count,
                   const std::vector<RenderInstance>& instances) {
    int width = 0, height = 0;
    for (size_t i = 0; i < count; ++i) {
      CheckCamera(cameras[i]);
      width = std::max(width, cameras[i].width);
      height += cameras[i].height;
    }
    for (const RenderInstance& instance : instances) {
      TF_THROW_UNLESS(instance.mesh >= 0 && instance.mesh < static_cast<int>(meshes.size()),
                      "render instance with segment id ", instance.segment_id, " has no mesh (handle ",
                      instance.mesh, ", ", meshes.size(), " meshes added)");
    }
    context.MakeCurrent();
    EnsureTargetSize(width, height);
    gl().Viewport(0, 0, width, height);
    const GLfloat zeros[4] = {0, 0, 0, 0}, far_depth = 1.0f;
    const GLuint black[4] = {0, 0, 0, 0};
    gl().ClearBufferuiv(GL_COLOR, 0, black);
    gl().ClearBufferuiv(GL_COLOR, 1, black);  // segment 0: background
    gl().ClearBufferfv(GL_COLOR, 2, zeros);
    gl().ClearBufferfv(GL_DEPTH, 0, &far_depth);
    int y = 0;
    for (size_t i = 0; i < count; ++i) {
      gl().Viewport(0, y, cameras[i].width, cameras[i].height);
      Draw(cameras[i], instances, /*vertex_normals=*/true);
      Draw(cameras[i], instances, /*vertex_normals=*/false);
      y += cameras[i].height;
    }
    y = 0;
    for (size_t i = 0; i < count; ++i) {
      ReadBack(cameras[i].width, cameras[i].height, frames[i], y);
      y += cameras[i].height;
    }
  }

  void CheckGlError(const char* step) const {
    const GLenum error = gl().GetError();
    TF_THROW_UNLESS(error == GL_NO_ERROR, "OpenGL error 0x", std::hex, error, " while ", step, " on ",
                    context.description());
  }
};

Renderer::Renderer(int max_width, int max_height) : impl_(std::make_unique<Impl>()) {
  TF_THROW_UNLESS(max_width > 0 && max_height > 0, "renderer size must be positive, got ", max_width, "x", max_height);
  const GlFunctions& gl = impl_->gl();
  impl_->programs[0] = LinkProgram(gl, /*vertex_normals=*/true);
  impl_->programs[1] = LinkProgram(gl, /*vertex_normals=*/false);
  // State that never changes: this context belongs to this renderer alone.
  gl.GenFramebuffers(1, &impl_->framebuffer);
  gl.BindFramebuffer(GL_FRAMEBUFFER, impl_->framebuffer);
  gl.GenRenderbuffers(kTargetCount, impl_->targets);
  impl_->EnsureTargetSize(max_width, max_height);
  const GLenum draw_buffers[] = {GL_COLOR_ATTACHMENT0, GL_COLOR_ATTACHMENT1, GL_COLOR_ATTACHMENT2};
  gl.DrawBuffers(3, draw_buffers);
  gl.Enable(GL_DEPTH_TEST);
  // Meshes wind counter-clockwise seen from outside; the projection flips y (image rows top
  // first), so outward faces reach the rasteriser clockwise and the inward ones are culled.
  // This halves llvmpipe's fill work on closed meshes such as the floor box.
  gl.Enable(GL_CULL_FACE);
  gl.CullFace(GL_FRONT);
  gl.DepthFunc(GL_LESS);
  gl.PixelStorei(GL_PACK_ALIGNMENT, 1);
  impl_->CheckGlError("setting up the renderer");
}

Renderer::~Renderer() = default;  // destroying the context frees all its GL objects

std::string Renderer::device_description() const { return impl_->context.description(); }

int Renderer::AddMesh(const MeshData& mesh) {
  const size_t vertex_count = mesh.positions.size() / 3;
  TF_THROW_UNLESS(mesh.positions.size() % 3 == 0 && mesh.indices.size() % 3 == 0,
                  "mesh arrays must hold whole vertices and triangles, got ", mesh.positions.size(),
                  " position floats and ", mesh.indices.size(), " indices");
  TF_THROW_UNLESS(mesh.normals.empty() || mesh.normals.size() == mesh.positions.size(), "mesh has ",
                  mesh.normals.size() / 3, " normals for ", vertex_count, " vertices");
  for (const uint32_t index : mesh.indices) {
    TF_THROW_UNLESS(index < vertex_count, "mesh index ", index, " is out of range for ", vertex_count, " vertices");
  }
  impl_->context.MakeCurrent();
  const GlFunctions& gl = impl_->gl();
  GpuMesh gpu{0, static_cast<GLsizei>(mesh.indices.size()), !mesh.normals.empty()};
  GLuint buffers[2];  // vertex attributes, triangle indices; owned by the vertex array
  gl.GenVertexArrays(1, &gpu.vertex_array);
  gl.BindVertexArray(gpu.vertex_array);
  gl.GenBuffers(2, buffers);

  const auto position_bytes = static_cast<GLsizeiptr>(mesh.positions.size() * sizeof(float));
  const auto normal_bytes = static_cast<GLsizeiptr>(mesh.normals.size() * sizeof(float));
  gl.BindBuffer(GL_ARRAY_BUFFER, buffers[0]);
  gl.BufferData(GL_ARRAY_BUFFER, position_bytes + normal_bytes, nullptr, GL_STATIC_DRAW);
  gl.BufferSubData(GL_ARRAY_BUFFER, 0, position_bytes, mesh.positions.data());
  gl.VertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 0, nullptr);
  gl.EnableVertexAttribArray(0);
  if (gpu.has_normals) {
    gl.BufferSubData(GL_ARRAY_BUFFER, position_bytes, normal_bytes, mesh.normals.data());
    gl.VertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 0, reinterpret_cast<const void*>(position_bytes));
    gl.EnableVertexAttribArray(1);
  }
  gl.BindBuffer(GL_ELEMENT_ARRAY_BUFFER, buffers[1]);
  gl.BufferData(GL_ELEMENT_ARRAY_BUFFER, static_cast<GLsizeiptr>(mesh.indices.size() * sizeof(uint32_t)),
                mesh.indices.data(), GL_STATIC_DRAW);
  gl.BindVertexArray(0);
  impl_->CheckGlError("uploading a mesh");
  impl_->meshes.push_back(gpu);
  return static_cast<int>(impl_->meshes.size()) - 1;
}

RgbdFrame Renderer::Render(const CameraConfig& camera, const std::vector<RenderInstance>& instances) {
  RgbdFrame frame;
  Render(camera, instances, frame);
  return frame;
}

void Renderer::Render(const CameraConfig& camera, const std::vector<RenderInstance>& instances, RgbdFrame& frame) {
  impl_->RenderStack(&camera, &frame, 1, instances);
}

void Renderer::Render(const std::vector<CameraConfig>& cameras, const std::vector<RenderInstance>& instances,
                      std::vector<RgbdFrame>& frames) {
  frames.resize(cameras.size());
  impl_->RenderStack(cameras.data(), frames.data(), cameras.size(), instances);
}

}  // namespace taskforge::sim::render
