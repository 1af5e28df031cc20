#pragma once
// CUDA graphs for the policy's fixed-shape work (private to policy/). At width 16 the network is
// far too small to keep an H200 busy: a training step or an Act call is thousands of small kernels
// and the host's launch overhead, not the GPU, sets the pace. A graph records the kernels of one
// call once and replays them with a single launch. Only CUDA builds of LibTorch have it
// (cuda_graph.cc); CPU builds link cuda_graph_unavailable.cc.

#include <functional>
#include <memory>

namespace taskforge::policy {

class CudaGraph {
 public:
  /// Whether this build can capture graphs (a CUDA LibTorch and TASKFORGE_CUDA_GRAPHS).
  static bool Supported();

  CudaGraph();
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  /// Runs `body` `warmup` times eagerly on a side stream (cuDNN/cuBLAS/cuFFT plans, autograd and
  /// allocator state settle), then records one more call. Recording runs no kernel. `body` must
  /// read and write only tensors that outlive the graph (static inputs and outputs), never wait
  /// for the device (no .item(), no host copies) and take the same path every time. Autocast's
  /// weight cache is off while it runs. @throws Error (with the CUDA/PyTorch message) when the
  /// capture fails; the graph then stays empty and the device stays usable.
  void Capture(const std::function<void()>& body, int warmup);
  /// Runs the recorded kernels once on the current stream.
  void Replay();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskforge::policy
