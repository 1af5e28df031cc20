// CUDA graphs through PyTorch's at::cuda::CUDAGraph (CUDA builds of LibTorch only).
#include "cuda_graph.h"

#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include <exception>
#include <string>

#include "taskforge/core/error.h"

namespace taskforge::policy {

struct CudaGraph::Impl {
  at::cuda::CUDAGraph graph;
  bool captured = false;
};

bool CudaGraph::Supported() { return true; }
CudaGraph::CudaGraph() : impl_(std::make_unique<Impl>()) {}
CudaGraph::~CudaGraph() = default;

void CudaGraph::Capture(const std::function<void()>& body, int warmup) {
  TF_DEMAND(!impl_->captured);
  // A cast weight cached by autocast would be freed when autocast ends, under the graph's feet.
  const bool autocast_cache = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);
  torch::cuda::synchronize();  // the side stream must see everything queued so far
  std::string failure;
  {
    const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
    const c10::cuda::CUDAStreamGuard on_side(side);
    bool capturing = false;
    try {
      for (int i = 0; i < warmup; ++i) body();
      side.synchronize();
      impl_->graph.capture_begin();
      capturing = true;
      body();
      capturing = false;
      impl_->graph.capture_end();
    } catch (const std::exception& e) {
      failure = e.what();
      if (capturing) {
        try {
          impl_->graph.capture_end();  // ends the (invalidated) capture so the stream is usable again
        } catch (const std::exception&) {
        }
      }
    }
    side.synchronize();
  }
  at::autocast::set_autocast_cache_enabled(autocast_cache);
  if (!failure.empty()) {
    impl_ = std::make_unique<Impl>();
    TF_THROW_UNLESS(false, "CUDA graph capture failed: ", failure.substr(0, failure.find('\n')));
  }
  torch::cuda::synchronize();
  impl_->captured = true;
}

void CudaGraph::Replay() {
  TF_DEMAND(impl_->captured);
  impl_->graph.replay();
}

}  // namespace taskforge::policy
