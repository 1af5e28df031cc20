#!/usr/bin/env bash
# Installs every Debian 12 package taskforge needs to build, run and test. Idempotent: it asks
# apt only when something is missing, and prints nothing when all is present.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkgconf
  # simulation: Bullet (float64 build), URDF parsing, kinematics, meshes, maths
  libbullet-dev liburdfdom-dev liburdfdom-headers-dev liborocos-kdl-dev libtinyobjloader-dev libeigen3-dev
  # headless rendering: EGL + OpenGL with Mesa's software rasteriser (NVIDIA EGL is used when present)
  libegl-dev libgl-dev libopengl-dev libegl-mesa0 libgl1-mesa-dri
  # task scripts: Lua 5.4 (sandboxed)
  liblua5.4-dev
  # task library: one SQLite database file (WAL mode) shared by many processes
  libsqlite3-dev
  # demonstration datasets: zstd-compressed episode files, animated GIF pictures of episodes
  libzstd-dev libgif-dev
  # policy: LibTorch (CPU build; GPU hosts use PyTorch's C++ distribution instead, see docs/policy.md)
  libtorch-dev
  # policy on CPU: an optimised BLAS for LibTorch's small convolutions (Debian's libtorch links
  # libblas.so.3, which is otherwise the slow reference BLAS); the OpenMP build shares libgomp's
  # threads with LibTorch instead of starting its own pool
  libopenblas0-openmp
  # images, JSON, command line, tests
  libstb-dev nlohmann-json3-dev libcli11-dev catch2
  # the language-model client (HTTPS to OpenAI-compatible APIs) and, for its tests, a loopback HTTP server
  libcurl4-openssl-dev libcpp-httplib-dev
  # real robot: ChArUco camera calibration (OpenCV 4.6 with the contrib aruco module)
  libopencv-dev libopencv-contrib-dev
  # the run report's test opens the page in a real browser (headless)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
