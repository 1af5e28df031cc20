#pragma once
// The CLIPort-style policy (CLIPort's `two_stream_clip_lingunet_lat_transporter`): a pick
// (attention) head and a place (transport) head, each a spatial stream on RGB-D plus a semantic
// stream on RGB fused with a language embedding at several decoder levels, with lateral
// connections from the spatial stream. Torch stays inside policy/src; this header speaks core types.
// See docs/policy.md for the architecture and where it departs from CLIPort.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "taskforge/core/geometry.h"
#include "taskforge/core/heightmap.h"
#include "taskforge/policy/sample.h"

namespace taskforge::policy {

/// Network size, optimiser and device. Every field is stored in checkpoints.
struct PolicyConfig {
  WorkspaceBounds bounds;     ///< the input grid: bounds.rows() × bounds.cols() (320 × 160), 6 channels
  int width = 16;             ///< channels of the full-resolution stage; 4 stride-2 stages double it (16..256)
  int rotations = 36;         ///< place yaw bins (10° each)
  int crop = 64;              ///< side of the rotated query crop around the pick [px]; a multiple of 16
  int transport_channels = 3; ///< feature channels correlated between key and query (CLIPort: 3)
  /// How the place head's query gets its `rotations` orientations:
  /// "crops": the query streams run on every rotated crop (CLIPort; rotations × crop² pixels);
  /// "features": they run once on an unrotated window that holds every rotated crop
  ///   (QueryWindow() px, 96 for crop 64) and their output features are rotated instead, an
  ///   equivariance approximation (≈ 16× less query work at 36 rotations);
  /// "auto" (default): "features" on cpu, "crops" on cuda, resolved when the policy is created and
  ///   stored resolved in checkpoints (older checkpoints without the field mean "crops").
  std::string query_rotation = "auto";
  int lang_dim = 256;         ///< sentence embedding size fed to the semantic streams
  int vocab_buckets = 4096;   ///< built-in tokenizer: words hash into this many ids (2 reserved)
  int max_tokens = 24;        ///< built-in tokenizer: words kept per instruction
  int lang_heads = 4;         ///< built-in encoder: attention heads of its one transformer layer
  /// Optional pretrained sentence encoder: a TorchScript file whose forward(List[str]) returns a
  /// float tensor [N, D]; it stays frozen and a trainable linear layer maps D to lang_dim.
  /// Empty: the built-in tokenizer + small transformer, trained from scratch.
  std::string language_encoder;
  double learning_rate = 1e-4;  ///< Adam, no weight decay, no schedule (CLIPort)
  std::string device = "cpu";   ///< "cpu" or "cuda" (needs a CUDA build of LibTorch)
  int threads = 0;              ///< CPU intra-op threads; 0: all hardware threads
  bool bf16 = true;             ///< CUDA only: bf16 autocast of the forward pass
  bool channels_last = true;    ///< NHWC convolutions: on CUDA always, on CPU for Act/Predict only
  /// CUDA only: record a training step (per batch size) and Act once each as a CUDA graph and
  /// replay it, instead of launching thousands of small kernels per call (needs a CUDA LibTorch
  /// built with TASKFORGE_CUDA_GRAPHS and the built-in language encoder; otherwise eager). The
  /// first call of each captures: 3 eager warm-up calls (undone for training) and the recording.
  bool cuda_graphs = true;
  /// CPU only, with threads >= 2: Act and Predict run the pick and the key stream side by side on
  /// two threads of one intra-op thread each, then split the correlation's rotations between them,
  /// instead of splitting every operator over the threads (same results, less waiting on a 2-core
  /// machine). Ignored under OMP_WAIT_POLICY=ACTIVE (spinning OpenMP threads make the per-operator
  /// split cheap and would take the second lane's core). Not stored in checkpoints: a property of
  /// the machine, not of the model.
  bool cpu_lanes = true;
  uint64_t seed = 0;            ///< weight initialisation

  /// Side of the unrotated query window in "features" mode [px]: ceil(crop·√2) rounded up to the
  /// streams' stride 16, so every rotated crop (bilinear support included) lies inside it.
  int QueryWindow() const;
};

/// Host wall time per network stage [ms], summed over calls; see Policy::TimeStages. Stages:
/// input, language, pick, place.crops, place.key, place.query, place.rotate, place.correlate,
/// decide (Act's argmax), loss, backward, adam.
using StageTimes = std::map<std::string, double>;

/// What Act decided. Poses are in the world frame; z is read from the heightmap at the pixel.
struct Action {
  Pixel pick{};
  Pixel place{};
  Pose pick_pose = Pose::Identity();   ///< at the pick point, yaw 0 (suction)
  Pose place_pose = Pose::Identity();  ///< at the place point, rotated by place_yaw_rad
  double place_yaw_rad = 0;            ///< object rotation from pick to place [rad], in [-pi, pi)
  int rotation_bin = 0;                ///< which of the `rotations` bins won
};

/// The raw scores of both heads, for tests and pictures.
struct Logits {
  Image<float> pick;   ///< rows × cols × 1
  Image<float> place;  ///< rows × cols × rotations, for the chosen pick pixel
  Pixel pick_pixel{};  ///< argmax of `pick`, the crop centre of `place`
};

/// Cross-entropy of each head on a batch (Ravens: -log p(expert action), mean over the batch).
struct Loss {
  double pick = 0;
  double place = 0;
  double total() const { return pick + place; }
};

class Policy {
 public:
  /// A freshly initialised network. @throws Error on a bad config (sizes, device, encoder file).
  static Policy Create(const PolicyConfig& config);
  /// Restores network, optimiser state and step from Save(); `device` (if not empty) and
  /// `threads` (if >= 0) override the stored ones. @throws Error if the file is missing or not a
  /// policy checkpoint.
  static Policy Load(const std::filesystem::path& checkpoint, const std::string& device = "", int threads = -1);

  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;
  ~Policy();

  /// Greedy pick and place for one observation. @throws Error if the images are not the grid's size.
  Action Act(const ColorImage& color, const HeightImage& height, const std::string& instruction);
  /// Both heads' logits for one observation (the place head at the pick argmax).
  Logits Predict(const ColorImage& color, const HeightImage& height, const std::string& instruction);
  /// One Adam step on the batch; returns the loss before the step.
  Loss TrainStep(const Batch& batch);
  /// The loss without training (validation).
  Loss Evaluate(const Batch& batch);
  /// While `sink` is set, Act/Predict/TrainStep/Evaluate add each stage's wall time to it (on CUDA
  /// they wait for the device at every stage, so only for profiling). nullptr stops it.
  void TimeStages(StageTimes* sink);
  /// Writes config, weights, optimiser state and step. @throws Error if the file can't be written.
  void Save(const std::filesystem::path& checkpoint) const;

  const PolicyConfig& config() const;
  int64_t step() const;                 ///< Adam steps taken so far
  int64_t parameter_count() const;      ///< trainable parameters
  std::string device_description() const;
  /// Training steps and Act replay recorded CUDA graphs: false on the CPU, with
  /// `PolicyConfig::cuda_graphs` off, without graph support in the build, or after a capture failed.
  bool replays_cuda_graphs() const;
  /// Act and Predict run in two CPU lanes (PolicyConfig::cpu_lanes, in effect).
  bool acts_in_cpu_lanes() const;

 private:
  struct Impl;
  explicit Policy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// `taskforge bench policy`: training and inference speed on synthetic inputs of the real shapes.
struct PolicyBenchConfig {
  PolicyConfig policy;       ///< network and device under test
  int batch = 8;             ///< training batch size
  int warmup = 3;            ///< untimed training steps and Act calls first
  int train_steps = 10;      ///< timed training steps
  int act_runs = 20;         ///< timed Act calls (median and p90 reported)
  uint64_t seed = 0;         ///< synthetic scene generator
};

struct PolicyBenchResult {
  std::string device;
  std::string query_rotation;  ///< resolved ("crops" or "features")
  int64_t parameters = 0;
  int batch = 0;
  double train_steps_per_s = 0;
  double train_samples_per_s = 0;
  double act_median_ms = 0;  ///< pick + place for one observation
  double act_p90_ms = 0;
  double first_loss = 0, last_loss = 0;  ///< of the timed training steps (sanity: finite)
  /// The profiled Act calls (eager: stage laps can't be recorded in a CUDA graph) chose the same
  /// pick, place and rotation as the timed ones (replayed from a graph on CUDA).
  bool profiled_act_agrees = true;
  bool cuda_graphs = false;    ///< the timed calls replayed CUDA graphs (see Policy::replays_cuda_graphs)
  bool cpu_lanes = false;      ///< the timed calls ran in two CPU lanes (see PolicyConfig::cpu_lanes)
  StageTimes act_stages_ms;    ///< mean per Act call, from untimed extra calls (profiling overhead stays out of the figures above)
  StageTimes train_stages_ms;  ///< mean per training step, likewise
};

PolicyBenchResult BenchmarkPolicy(const PolicyBenchConfig& config);

}  // namespace taskforge::policy
