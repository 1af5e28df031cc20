#pragma once
// Two CPU lanes for one batch-1 inference (private to policy/): the calling thread and one
// persistent helper thread, each running its share with a single intra-op thread.
//
// Why: on a 2-core machine an Act call is a few hundred small operators. Splitting each of them
// over two OpenMP threads costs a wake-up of the second thread per operator (with the default
// OMP_WAIT_POLICY=PASSIVE a futex round trip) and gains little on layers this small; the pick
// stream and the transport's key stream, on the other hand, are independent networks of similar
// cost, so running them side by side, one core each, keeps both cores busy with no per-operator
// synchronisation (docs/benchmarks.md, "CPU latency").

#include <functional>
#include <memory>

namespace taskforge::policy {

class TwoLanes {
 public:
  TwoLanes();
  ~TwoLanes();
  TwoLanes(const TwoLanes&) = delete;
  TwoLanes& operator=(const TwoLanes&) = delete;

  /// Runs `here` on the calling thread and `there` on the helper at the same time, both with one
  /// intra-op thread, and returns when both are done (the caller's thread count is restored). The
  /// helper adopts the caller's grad and inference modes. Rethrows the first exception of either.
  void Run(const std::function<void()>& here, const std::function<void()>& there);

 private:
  struct Helper;
  std::unique_ptr<Helper> helper_;  // started on first use, and again in a forked child
};

}  // namespace taskforge::policy
