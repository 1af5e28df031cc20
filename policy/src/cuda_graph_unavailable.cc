// CPU builds of LibTorch (or TASKFORGE_CUDA_GRAPHS=OFF): no graphs; the policy runs eagerly.
#include "cuda_graph.h"

#include "taskforge/core/error.h"

namespace taskforge::policy {

struct CudaGraph::Impl {};

bool CudaGraph::Supported() { return false; }
CudaGraph::CudaGraph() = default;
CudaGraph::~CudaGraph() = default;
void CudaGraph::Capture(const std::function<void()>&, int) { TF_DEMAND(false && "CUDA graphs are not built in"); }
void CudaGraph::Replay() { TF_DEMAND(false && "CUDA graphs are not built in"); }

}  // namespace taskforge::policy
