// Builds configured with TASKFORGE_CALIBRATION=OFF (GPU training hosts without OpenCV): the
// ChArUco functions say how to get them instead of detecting anything.
#include "charuco.h"
#include "taskforge/core/error.h"

namespace taskforge::realrobot {
namespace {

[[noreturn]] void Unavailable(const char* what) {
  throw Error(std::string(what) +
              " needs OpenCV: this taskforge was configured with -DTASKFORGE_CALIBRATION=OFF; install "
              "libopencv-dev and libopencv-contrib-dev (scripts/setup.sh) and configure with it ON");
}

}  // namespace

void ValidateBoard(const CharucoBoard&) { Unavailable("a ChArUco board"); }
ColorImage RenderCharucoBoard(const CharucoBoard&, int) { Unavailable("rendering a ChArUco board"); }
BoardObservation DetectBoard(const ColorImage&, const CameraConfig&, const CharucoBoard&) {
  Unavailable("detecting a ChArUco board");
}

}  // namespace taskforge::realrobot
