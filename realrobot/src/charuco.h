#pragma once
// The OpenCV side of calibration (charuco.cc), or its stand-in in builds without OpenCV
// (charuco_unavailable.cc, TASKFORGE_CALIBRATION=OFF): RenderCharucoBoard and DetectBoard of
// calibration.h, and the board check below.

#include "taskforge/realrobot/calibration.h"

namespace taskforge::realrobot {

/// @throws Error for a board OpenCV cannot make (too few squares, markers larger than squares, an
/// unknown dictionary), or in a build without OpenCV.
void ValidateBoard(const CharucoBoard& board);

}  // namespace taskforge::realrobot
