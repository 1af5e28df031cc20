#include "optimizer.h"

#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>

#include "taskforge/core/error.h"

namespace taskforge::policy {
namespace {

// torch::optim keys its per-parameter state by the parameter's TensorImpl: as a string in
// LibTorch 1.x, as the pointer itself in 2.x.
template <typename StateMap>
typename StateMap::key_type StateKey(const torch::Tensor& p) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream address;  // what LibTorch 1.x's c10::guts::to_string writes
    address << p.unsafeGetTensorImpl();
    return address.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

torch::optim::AdamParamState& StateOf(torch::optim::Adam& adam, const torch::Tensor& p) {
  auto& states = adam.state();
  auto it = states.find(StateKey<std::decay_t<decltype(states)>>(p));
  TF_DEMAND(it != states.end());
  return static_cast<torch::optim::AdamParamState&>(*it->second);
}

}  // namespace

AdamOptimizer::AdamOptimizer(std::vector<torch::Tensor> params, double learning_rate)
    : params_(std::move(params)),
      adam_(std::make_unique<torch::optim::Adam>(params_, torch::optim::AdamOptions(learning_rate))),
      fused_(!params_.empty() && params_.front().is_cuda()) {
  if (fused_) BindFusedState();
}

void AdamOptimizer::BindFusedState() {
  torch::NoGradGuard no_grad;
  auto& states = adam_->state();
  exp_avgs_.clear();
  exp_avg_sqs_.clear();
  steps_.clear();
  for (const torch::Tensor& p : params_) {
    const auto key = StateKey<std::decay_t<decltype(states)>>(p);
    if (states.find(key) == states.end()) {
      auto fresh = std::make_unique<torch::optim::AdamParamState>();
      fresh->step(0);
      fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      states[key] = std::move(fresh);
    }
    auto& state = StateOf(*adam_, p);
    // A loaded state comes from a CPU archive: give each moment its parameter's device and layout
    // (the fused kernel walks parameter, gradient and moments in the same memory order).
    for (torch::Tensor* moment : {&state.exp_avg(), &state.exp_avg_sq()}) {
      if (moment->device() == p.device() && moment->strides() == p.strides()) continue;
      torch::Tensor moved = torch::empty_like(p, torch::MemoryFormat::Preserve);
      moved.copy_(*moment);
      *moment = moved;
    }
    exp_avgs_.push_back(state.exp_avg());
    exp_avg_sqs_.push_back(state.exp_avg_sq());
    steps_.push_back(torch::full({}, double(state.step()), p.options().dtype(torch::kFloat)));
  }
}

void AdamOptimizer::ZeroGrad() {
  for (torch::Tensor& p : params_) p.mutable_grad() = torch::Tensor();
}

void AdamOptimizer::Step() {
  if (!fused_) {
    adam_->step();
    return;
  }
  std::vector<torch::Tensor> grads;
  grads.reserve(params_.size());
  for (const torch::Tensor& p : params_) {
    TF_DEMAND(p.grad().defined());
    grads.push_back(p.grad());
  }
  const auto& options = static_cast<const torch::optim::AdamOptions&>(adam_->param_groups().front().options());
  torch::NoGradGuard no_grad;
  at::_foreach_add_(steps_, 1);
  at::_fused_adam_(params_, grads, exp_avgs_, exp_avg_sqs_, /*max_exp_avg_sqs=*/{}, steps_, options.lr(),
                   std::get<0>(options.betas()), std::get<1>(options.betas()), options.weight_decay(), options.eps(),
                   /*amsgrad=*/false, /*maximize=*/false);
}

void AdamOptimizer::SyncSteps() {
  if (!fused_) return;
  for (size_t i = 0; i < params_.size(); ++i) {
    StateOf(*adam_, params_[i]).step(int64_t(std::lround(steps_[i].item<double>())));
  }
}

void AdamOptimizer::Save(torch::serialize::OutputArchive& archive) {
  SyncSteps();
  adam_->save(archive);
}

void AdamOptimizer::Load(torch::serialize::InputArchive& archive) {
  adam_->load(archive);
  if (fused_) BindFusedState();
}

AdamOptimizer::Snapshot AdamOptimizer::Take() const {
  torch::NoGradGuard no_grad;
  Snapshot s;
  auto clone_all = [](const std::vector<torch::Tensor>& from, std::vector<torch::Tensor>& to) {
    for (const torch::Tensor& t : from) to.push_back(t.detach().clone());
  };
  clone_all(params_, s.params);
  clone_all(exp_avgs_, s.exp_avgs);
  clone_all(exp_avg_sqs_, s.exp_avg_sqs);
  clone_all(steps_, s.steps);
  return s;
}

void AdamOptimizer::Restore(const Snapshot& s) {
  torch::NoGradGuard no_grad;
  auto copy_all = [](const std::vector<torch::Tensor>& from, std::vector<torch::Tensor>& to) {
    TF_DEMAND(from.size() == to.size());
    for (size_t i = 0; i < to.size(); ++i) to[i].detach().copy_(from[i]);
  };
  copy_all(s.params, params_);
  copy_all(s.exp_avgs, exp_avgs_);
  copy_all(s.exp_avg_sqs, exp_avg_sqs_);
  copy_all(s.steps, steps_);
}

}  // namespace taskforge::policy
