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

# Debian's BulletConfig.cmake is broken in CONFIG mode and FindBullet picks the float32 build;
# the float64 pkg-config module defines BT_USE_DOUBLE_PRECISION and links the *-float64 libraries.
pkg_check_modules(BULLET64 REQUIRED IMPORTED_TARGET bullet-float64)

# Lua 5.4 for task scripts; private to tasks/.
pkg_check_modules(LUA54 REQUIRED IMPORTED_TARGET lua5.4)

# Demonstration datasets: zstd compression and GIF pictures; private to dataset/.
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(GIF 5 REQUIRED)
# LibTorch for policy/ (private to it): Debian's CPU build here, PyTorch's C++ distribution with
# CUDA on GPU hosts (-DCMAKE_PREFIX_PATH=<libtorch>; see docs/policy.md).
find_package(Torch REQUIRED)
