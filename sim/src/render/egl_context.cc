#include "render/egl_context.h"

#include <EGL/eglext.h>

#include <array>
#include <map>
#include <mutex>
#include <sstream>
#include <string_view>
#include <vector>

#include "taskforge/core/error.h"

namespace taskforge::sim::render {
namespace {

constexpr const char* kInstallHint =
    ". Headless rendering needs libEGL with an OpenGL driver: on Debian/Ubuntu `apt-get install libegl1 "
    "libegl-mesa0 libgl1-mesa-dri` (Mesa's llvmpipe needs no GPU), or the NVIDIA driver's EGL library";

bool HasExtension(const char* extensions, std::string_view name) {
  std::string_view rest(extensions != nullptr ? extensions : "");
  while (!rest.empty()) {
    const size_t end = rest.find(' ');
    if (rest.substr(0, end) == name) return true;
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return false;
}

std::string EglErrorCode() {
  std::ostringstream out;
  out << "EGL error 0x" << std::hex << eglGetError();
  return out.str();
}

template <typename Function>
Function LoadEglFunction(const char* name) {
  return reinterpret_cast<Function>(eglGetProcAddress(name));
}

// EGL displays are shared process-wide (one per device) and eglTerminate is not reference
// counted, so count the contexts on each display: one renderer's teardown must not end another's.
struct DisplayUsers {
  std::mutex mutex;
  std::map<EGLDisplay, int> count;
};

DisplayUsers& display_users() {
  static DisplayUsers users;  // function-local: outlives renderers that are statics themselves
  return users;
}

bool AcquireDisplay(EGLDisplay display) {
  DisplayUsers& users = display_users();
  std::lock_guard lock(users.mutex);
  auto [entry, first_user] = users.count.try_emplace(display, 0);
  if (first_user && eglInitialize(display, nullptr, nullptr) != EGL_TRUE) {
    users.count.erase(entry);
    return false;
  }
  ++entry->second;
  return true;
}

void ReleaseDisplay(EGLDisplay display) {
  DisplayUsers& users = display_users();
  std::lock_guard lock(users.mutex);
  const auto entry = users.count.find(display);
  if (--entry->second == 0) {
    eglTerminate(display);
    users.count.erase(entry);
  }
}

struct DisplayCandidate {
  EGLDisplay display;  // EGL_NO_DISPLAY if eglGetPlatformDisplayEXT failed
  std::string name;    // for error messages
};

// The displays to try, best first: hardware EGL devices, Mesa software devices, then Mesa's
// surfaceless platform.
std::vector<DisplayCandidate> ListDisplays() {
  const char* client_extensions = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  const auto get_platform_display = LoadEglFunction<PFNEGLGETPLATFORMDISPLAYEXTPROC>("eglGetPlatformDisplayEXT");
  if (get_platform_display == nullptr) return {};
  std::vector<DisplayCandidate> candidates;

  const auto query_devices = LoadEglFunction<PFNEGLQUERYDEVICESEXTPROC>("eglQueryDevicesEXT");
  const auto query_device_string = LoadEglFunction<PFNEGLQUERYDEVICESTRINGEXTPROC>("eglQueryDeviceStringEXT");
  const bool can_enumerate = (HasExtension(client_extensions, "EGL_EXT_device_enumeration") ||
                              HasExtension(client_extensions, "EGL_EXT_device_base")) &&
                             HasExtension(client_extensions, "EGL_EXT_platform_device");
  std::array<EGLDeviceEXT, 16> devices{};
  EGLint device_count = 0;
  if (can_enumerate && query_devices != nullptr &&
      query_devices(static_cast<EGLint>(devices.size()), devices.data(), &device_count) != EGL_TRUE) {
    device_count = 0;
  }
  for (const bool software : {false, true}) {
    for (EGLint i = 0; i < device_count; ++i) {
      const char* device_extensions =
          query_device_string != nullptr ? query_device_string(devices[i], EGL_EXTENSIONS) : nullptr;
      if (HasExtension(device_extensions, "EGL_MESA_device_software") != software) continue;
      candidates.push_back({get_platform_display(EGL_PLATFORM_DEVICE_EXT, devices[i], nullptr),
                            "EGL device " + std::to_string(i) + (software ? " (software)" : "")});
    }
  }

  if (HasExtension(client_extensions, "EGL_MESA_platform_surfaceless")) {
    candidates.push_back({get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr),
                          "Mesa surfaceless platform"});
  }
  return candidates;
}

// Creates an OpenGL 3.3 core context on an initialised display, or returns EGL_NO_CONTEXT and
// says why in `failure`.
EGLContext CreateGlContext(EGLDisplay display, std::string& failure) {
  if (!HasExtension(eglQueryString(display, EGL_EXTENSIONS), "EGL_KHR_surfaceless_context")) {
    failure = "no EGL_KHR_surfaceless_context";
    return EGL_NO_CONTEXT;
  }
  if (eglBindAPI(EGL_OPENGL_API) != EGL_TRUE) {
    failure = "eglBindAPI(EGL_OPENGL_API) failed: no desktop OpenGL (" + EglErrorCode() + ")";
    return EGL_NO_CONTEXT;
  }
  // Surface type 0 matches every config: we never create a surface.
  const EGLint config_attributes[] = {EGL_SURFACE_TYPE, 0, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
  EGLConfig config = nullptr;
  EGLint config_count = 0;
  if (eglChooseConfig(display, config_attributes, &config, 1, &config_count) != EGL_TRUE || config_count < 1) {
    failure = "no EGLConfig renderable with OpenGL (" + EglErrorCode() + ")";
    return EGL_NO_CONTEXT;
  }
  // clang-format off
  const EGLint context_attributes[] = {EGL_CONTEXT_MAJOR_VERSION, 3,
                                       EGL_CONTEXT_MINOR_VERSION, 3,
                                       EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                                       EGL_NONE};
  // clang-format on
  const EGLContext context = eglCreateContext(display, config, EGL_NO_CONTEXT, context_attributes);
  if (context == EGL_NO_CONTEXT) failure = "eglCreateContext(OpenGL 3.3 core) failed (" + EglErrorCode() + ")";
  return context;
}

}  // namespace

EglContext::EglContext() {
  std::string failures;
  for (const DisplayCandidate& candidate : ListDisplays()) {
    if (candidate.display == EGL_NO_DISPLAY) {
      failures += "; " + candidate.name + ": eglGetPlatformDisplayEXT failed (" + EglErrorCode() + ")";
      continue;
    }
    if (!AcquireDisplay(candidate.display)) {
      failures += "; " + candidate.name + ": eglInitialize failed (" + EglErrorCode() + ")";
      continue;
    }
    std::string failure;
    context_ = CreateGlContext(candidate.display, failure);
    if (context_ != EGL_NO_CONTEXT) {
      display_ = candidate.display;
      break;
    }
    failures += "; " + candidate.name + ": " + failure;
    ReleaseDisplay(candidate.display);
  }
  TF_THROW_UNLESS(context_ != EGL_NO_CONTEXT, "could not create a headless OpenGL 3.3 core context through EGL (",
                  failures.empty() ? "no EGL device or surfaceless platform found" : failures.substr(2), ")",
                  kInstallHint);
  try {
    MakeCurrent();
#define TASKFORGE_LOAD_GL_FUNCTION(type, name)                      \
  gl_.name = reinterpret_cast<type>(eglGetProcAddress("gl" #name)); \
  TF_THROW_UNLESS(gl_.name != nullptr, "eglGetProcAddress found no gl" #name, kInstallHint);
    TASKFORGE_GL_FUNCTIONS(TASKFORGE_LOAD_GL_FUNCTION)
#undef TASKFORGE_LOAD_GL_FUNCTION
    const auto gl_string = [this](GLenum name) {
      const GLubyte* value = gl_.GetString(name);
      return value != nullptr ? std::string(reinterpret_cast<const char*>(value)) : std::string("?");
    };
    description_ = gl_string(GL_VENDOR) + " " + gl_string(GL_RENDERER);
  } catch (...) {
    Destroy();
    throw;
  }
}

EglContext::~EglContext() { Destroy(); }

void EglContext::Destroy() {
  if (eglGetCurrentContext() == context_) eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  eglDestroyContext(display_, context_);  // frees every GL object of the context
  ReleaseDisplay(display_);
}

void EglContext::MakeCurrent() const {
  if (eglGetCurrentContext() == context_) return;
  TF_THROW_UNLESS(eglBindAPI(EGL_OPENGL_API) == EGL_TRUE &&
                      eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_) == EGL_TRUE,
                  "eglMakeCurrent failed for the headless OpenGL context (", EglErrorCode(),
                  "); a context can be current on one thread only");
}

}  // namespace taskforge::sim::render
