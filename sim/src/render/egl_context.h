#pragma once
// A headless OpenGL 3.3 core context through EGL: no window, no X server, no pbuffer.
// Every GL entry point is resolved at run time through eglGetProcAddress.

#ifndef EGL_NO_X11
#define EGL_NO_X11  // keep <X11/Xlib.h> and its macros (None, Bool, ...) out of eglplatform.h
#endif
#include <EGL/egl.h>
#include <GL/glcorearb.h>

#include <string>

namespace taskforge::sim::render {

// The GL entry points used by the renderer: X(pointer type, name without the "gl" prefix).
#define TASKFORGE_GL_FUNCTIONS(X)                              \
  X(PFNGLGETSTRINGPROC, GetString)                             \
  X(PFNGLGETERRORPROC, GetError)                               \
  X(PFNGLGETINTEGERVPROC, GetIntegerv)                         \
  X(PFNGLENABLEPROC, Enable)                                   \
  X(PFNGLCULLFACEPROC, CullFace)                               \
  X(PFNGLDEPTHFUNCPROC, DepthFunc)                             \
  X(PFNGLVIEWPORTPROC, Viewport)                               \
  X(PFNGLPIXELSTOREIPROC, PixelStorei)                         \
  X(PFNGLREADBUFFERPROC, ReadBuffer)                           \
  X(PFNGLREADPIXELSPROC, ReadPixels)                           \
  X(PFNGLDRAWBUFFERSPROC, DrawBuffers)                         \
  X(PFNGLCLEARBUFFERFVPROC, ClearBufferfv)                     \
  X(PFNGLCLEARBUFFERUIVPROC, ClearBufferuiv)                   \
  X(PFNGLGENFRAMEBUFFERSPROC, GenFramebuffers)                 \
  X(PFNGLBINDFRAMEBUFFERPROC, BindFramebuffer)                 \
  X(PFNGLFRAMEBUFFERRENDERBUFFERPROC, FramebufferRenderbuffer) \
  X(PFNGLCHECKFRAMEBUFFERSTATUSPROC, CheckFramebufferStatus)   \
  X(PFNGLGENRENDERBUFFERSPROC, GenRenderbuffers)               \
  X(PFNGLBINDRENDERBUFFERPROC, BindRenderbuffer)               \
  X(PFNGLRENDERBUFFERSTORAGEPROC, RenderbufferStorage)         \
  X(PFNGLGENVERTEXARRAYSPROC, GenVertexArrays)                 \
  X(PFNGLBINDVERTEXARRAYPROC, BindVertexArray)                 \
  X(PFNGLGENBUFFERSPROC, GenBuffers)                           \
  X(PFNGLBINDBUFFERPROC, BindBuffer)                           \
  X(PFNGLBUFFERDATAPROC, BufferData)                           \
  X(PFNGLBUFFERSUBDATAPROC, BufferSubData)                     \
  X(PFNGLENABLEVERTEXATTRIBARRAYPROC, EnableVertexAttribArray) \
  X(PFNGLVERTEXATTRIBPOINTERPROC, VertexAttribPointer)         \
  X(PFNGLDRAWELEMENTSPROC, DrawElements)                       \
  X(PFNGLCREATESHADERPROC, CreateShader)                       \
  X(PFNGLSHADERSOURCEPROC, ShaderSource)                       \
  X(PFNGLCOMPILESHADERPROC, CompileShader)                     \
  X(PFNGLGETSHADERIVPROC, GetShaderiv)                         \
  X(PFNGLGETSHADERINFOLOGPROC, GetShaderInfoLog)               \
  X(PFNGLDELETESHADERPROC, DeleteShader)                       \
  X(PFNGLCREATEPROGRAMPROC, CreateProgram)                     \
  X(PFNGLATTACHSHADERPROC, AttachShader)                       \
  X(PFNGLLINKPROGRAMPROC, LinkProgram)                         \
  X(PFNGLGETPROGRAMIVPROC, GetProgramiv)                       \
  X(PFNGLGETPROGRAMINFOLOGPROC, GetProgramInfoLog)             \
  X(PFNGLUSEPROGRAMPROC, UseProgram)                           \
  X(PFNGLGETUNIFORMLOCATIONPROC, GetUniformLocation)           \
  X(PFNGLUNIFORM1UIPROC, Uniform1ui)                           \
  X(PFNGLUNIFORM2FPROC, Uniform2f)                             \
  X(PFNGLUNIFORM3FPROC, Uniform3f)                             \
  X(PFNGLUNIFORM4FPROC, Uniform4f)                             \
  X(PFNGLUNIFORMMATRIX3FVPROC, UniformMatrix3fv)               \
  X(PFNGLUNIFORMMATRIX4FVPROC, UniformMatrix4fv)

/// OpenGL entry points of one context, called as `gl.DrawElements(...)`.
struct GlFunctions {
#define TASKFORGE_DECLARE_GL_FUNCTION(type, name) type name = nullptr;
  TASKFORGE_GL_FUNCTIONS(TASKFORGE_DECLARE_GL_FUNCTION)
#undef TASKFORGE_DECLARE_GL_FUNCTION
};

/// An OpenGL 3.3+ core-profile context with no surface (EGL_KHR_surfaceless_context); render
/// into framebuffer objects. Picks the first hardware EGL device (e.g. NVIDIA), else Mesa's
/// software device (llvmpipe), else Mesa's surfaceless platform.
///
/// Not thread-safe: use a context from one thread at a time, and call MakeCurrent() before GL
/// calls, since another context may have been made current on this thread in between.
class EglContext {
 public:
  /// @throws Error saying which step failed on each display tried and what to install.
  EglContext();
  ~EglContext();
  EglContext(const EglContext&) = delete;
  EglContext& operator=(const EglContext&) = delete;

  /// Makes this context current on the calling thread; cheap when it already is.
  /// @throws Error if eglMakeCurrent fails (e.g. the context is current on another thread).
  void MakeCurrent() const;
  /// The GL entry points; valid while this context is current.
  const GlFunctions& gl() const { return gl_; }
  /// GL vendor and renderer, e.g. "Mesa llvmpipe (LLVM 15.0.6, 256 bits)".
  std::string description() const { return description_; }

 private:
  void Destroy();

  EGLDisplay display_ = EGL_NO_DISPLAY;
  EGLContext context_ = EGL_NO_CONTEXT;
  GlFunctions gl_;
  std::string description_;
};

}  // namespace taskforge::sim::render
