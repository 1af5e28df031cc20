#include "two_lanes.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <unistd.h>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace taskforge::policy {

// The helper thread and what it shares with the caller.
struct TwoLanes::Helper {
  const pid_t owner = getpid();  // threads do not survive fork: a child starts its own helper
  std::mutex mutex;
  std::condition_variable changed;
  const std::function<void()>* task = nullptr;  // set: the helper has work
  bool done = false, stop = false, ready = false;
  bool grad_mode = false, inference_mode = false;
  std::exception_ptr error;
  std::thread thread;

  Helper() {
    // at::set_num_threads also sets the process-wide count that threads adopt on their first
    // parallel call: the helper takes 1 for itself, then the caller's count is put back.
    const int caller_threads = at::get_num_threads();
    std::unique_lock<std::mutex> lock(mutex);
    thread = std::thread([this] { Serve(); });
    changed.wait(lock, [this] { return ready; });
    at::set_num_threads(caller_threads);
  }

  ~Helper() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    changed.notify_all();
    thread.join();
  }

  void Serve() {
    // A thread's first parallel call adopts the process-wide count (LibTorch's lazy per-thread
    // initialisation): make that happen now, then take 1, or the helper would later become 2.
    (void)at::get_num_threads();
    at::set_num_threads(1);
    std::unique_lock<std::mutex> lock(mutex);
    ready = true;
    changed.notify_all();
    for (;;) {
      changed.wait(lock, [this] { return stop || task != nullptr; });
      if (stop) return;
      lock.unlock();
      std::exception_ptr failure;
      try {
        c10::InferenceMode inference_guard(inference_mode);
        c10::AutoGradMode grad_guard(grad_mode && !inference_mode);
        (*task)();
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      task = nullptr;
      error = failure;
      done = true;
      changed.notify_all();
    }
  }
};

TwoLanes::TwoLanes() = default;

TwoLanes::~TwoLanes() {
  // In a forked child the helper (its thread and lock state) belongs to the parent: leave it.
  if (helper_ && helper_->owner != getpid()) (void)helper_.release();
}

void TwoLanes::Run(const std::function<void()>& here, const std::function<void()>& there) {
  if (helper_ && helper_->owner != getpid()) (void)helper_.release();
  if (!helper_) helper_ = std::make_unique<Helper>();
  Helper& h = *helper_;
  {
    std::lock_guard<std::mutex> lock(h.mutex);
    h.task = &there;
    h.done = false;
    h.error = nullptr;
    h.grad_mode = c10::GradMode::is_enabled();
    h.inference_mode = c10::InferenceMode::is_enabled();
  }
  h.changed.notify_all();
  const int threads = at::get_num_threads();
  at::set_num_threads(1);  // the caller's share runs on one intra-op thread too
  std::exception_ptr failure;
  try {
    here();
  } catch (...) {
    failure = std::current_exception();
  }
  {
    std::unique_lock<std::mutex> lock(h.mutex);
    h.changed.wait(lock, [&h] { return h.done; });
    if (!failure) failure = h.error;
  }
  at::set_num_threads(threads);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace taskforge::policy
