#pragma once
// Adam as CLIPort trains (no weight decay, no schedule), private to policy/. On CUDA every
// parameter is updated by one fused kernel (PyTorch's _fused_adam_, what torch.optim.Adam(fused=True)
// runs) whose step counters live on the device, so a CUDA graph can record the update; LibTorch's
// C++ Adam would launch a dozen kernels per parameter tensor and bake its bias correction into the
// graph as a constant. On CPU it is LibTorch's Adam. Both keep their moments in a torch::optim::Adam,
// so checkpoints have one format whichever device wrote them.

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace taskforge::policy {

class AdamOptimizer {
 public:
  /// `params` must already be on their device and in their final memory format.
  AdamOptimizer(std::vector<torch::Tensor> params, double learning_rate);

  /// Gradients back to undefined, so the next backward writes them afresh (what a graph records).
  void ZeroGrad();
  /// One Adam step from the current gradients; on CUDA it never waits for the device.
  void Step();

  void Save(torch::serialize::OutputArchive& archive);
  /// @throws c10::Error if the archive does not fit these parameters.
  void Load(torch::serialize::InputArchive& archive);

  /// Parameters and optimiser state at one moment, for undoing a graph's warm-up steps.
  struct Snapshot {
    std::vector<torch::Tensor> params, exp_avgs, exp_avg_sqs, steps;
  };
  Snapshot Take() const;
  void Restore(const Snapshot& snapshot);

 private:
  void BindFusedState();  // creates missing states, then points the fused lists at them
  void SyncSteps();       // device step counters -> the Adam state's integer steps

  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Adam> adam_;
  bool fused_ = false;
  std::vector<torch::Tensor> exp_avgs_, exp_avg_sqs_, steps_;  // fused: the state's tensors; steps as float32 scalars
};

}  // namespace taskforge::policy
