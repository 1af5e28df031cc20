# Every third-party dependency, found once. All come from Debian 12 packages installed by
# scripts/setup.sh; see docs/dependencies.md for what each is used for.
find_package(PkgConfig REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(urdfdom REQUIRED)
find_package(orocos_kdl REQUIRED)
find_package(tinyobjloader REQUIRED)
find_package(OpenGL REQUIRED COMPONENTS EGL OpenGL)
find_package(Threads REQUIRED)

# Debian's BulletConfig.cmake is broken in CONFIG mode and FindBullet picks the float32 build;
# the float64 pkg-config module defines BT_USE_DOUBLE_PRECISION and links the *-float64 libraries.
pkg_check_modules(BULLET64 REQUIRED IMPORTED_TARGET bullet-float64)

# Lua 5.4 for task scripts; private to tasks/.
pkg_check_modules(LUA54 REQUIRED IMPORTED_TARGET lua5.4)

# SQLite 3 for the task library; private to library/.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)

# The language-model client: libcurl (private to generator/).
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)

# OpenCV 4.6 (core, imgproc, calib3d, and aruco from the contrib modules) for ChArUco camera
# calibration; private to realrobot/. Off only on hosts that train and never calibrate a camera.
option(TASKFORGE_CALIBRATION "ChArUco camera calibration (needs OpenCV 4 with aruco)" ON)
if(TASKFORGE_CALIBRATION)
  find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc calib3d aruco)
endif()

# Demonstration datasets: zstd compression and GIF pictures; private to dataset/.
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(GIF 5 REQUIRED)

# LibTorch for policy/ (private to it): Debian's CPU build here, PyTorch's C++ distribution with
# CUDA on GPU hosts (-DCMAKE_PREFIX_PATH=<libtorch>; see docs/policy.md).
find_package(Torch REQUIRED)
# CUDA graphs replay the policy's fixed-shape training step and Act as one launch each; they need a
# CUDA build of LibTorch (TORCH_CUDA_LIBRARIES is set only by those). OFF falls back to eager CUDA.
option(TASKFORGE_CUDA_GRAPHS "capture the policy's CUDA work in CUDA graphs (CUDA LibTorch only)" ON)
if(TASKFORGE_CUDA_GRAPHS AND NOT TORCH_CUDA_LIBRARIES)
  set(TASKFORGE_CUDA_GRAPHS OFF)
endif()
message(STATUS "taskforge: CUDA graphs ${TASKFORGE_CUDA_GRAPHS}")
