// Policy: tensors from core images, training steps, greedy actions, checkpoints, devices.
#include "taskforge/policy/policy.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <nlohmann/json.hpp>

#include <malloc.h>
#include <strings.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <numbers>
#include <sstream>
#include <thread>

#include "cuda_graph.h"
#include "network.h"
#include "optimizer.h"

namespace taskforge::policy {
namespace {

constexpr int kCheckpointVersion = 1;

// OMP_WAIT_POLICY=ACTIVE: idle OpenMP threads spin instead of sleeping. Splitting each operator
// over the threads then costs no wake-ups, and a spinning thread would take a core from the second
// lane, so PolicyConfig::cpu_lanes is ignored.
bool OpenMpThreadsSpin() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  return policy != nullptr && strcasecmp(policy, "active") == 0;  // OpenMP reads it case-blind
}

nlohmann::json ConfigToJson(const PolicyConfig& c) {
  const WorkspaceBounds& b = c.bounds;
  return {{"bounds", {b.x_min, b.x_max, b.y_min, b.y_max, b.z_min, b.z_max, b.pixel_size}},
          {"width", c.width}, {"rotations", c.rotations}, {"crop", c.crop},
          {"transport_channels", c.transport_channels}, {"query_rotation", c.query_rotation}, {"lang_dim", c.lang_dim},
          {"vocab_buckets", c.vocab_buckets}, {"max_tokens", c.max_tokens}, {"lang_heads", c.lang_heads},
          {"language_encoder", c.language_encoder}, {"learning_rate", c.learning_rate}, {"device", c.device},
          {"threads", c.threads}, {"bf16", c.bf16}, {"channels_last", c.channels_last}, {"cuda_graphs", c.cuda_graphs},
          {"seed", c.seed}};
}

PolicyConfig ConfigFromJson(const nlohmann::json& j) {
  PolicyConfig c;
  const auto& b = j.at("bounds");
  c.bounds = {b[0], b[1], b[2], b[3], b[4], b[5], b[6]};
  c.width = j.at("width"); c.rotations = j.at("rotations"); c.crop = j.at("crop");
  c.transport_channels = j.at("transport_channels"); c.lang_dim = j.at("lang_dim");
  c.query_rotation = j.value("query_rotation", "crops");  // checkpoints before the field: CLIPort's crops
  c.vocab_buckets = j.at("vocab_buckets"); c.max_tokens = j.at("max_tokens"); c.lang_heads = j.at("lang_heads");
  c.language_encoder = j.at("language_encoder"); c.learning_rate = j.at("learning_rate");
  c.device = j.at("device"); c.threads = j.at("threads"); c.bf16 = j.at("bf16");
  c.channels_last = j.at("channels_last"); c.cuda_graphs = j.value("cuda_graphs", true); c.seed = j.at("seed");
  return c;
}

void CheckConfig(const PolicyConfig& c) {
  const int rows = c.bounds.rows(), cols = c.bounds.cols();
  TF_THROW_UNLESS(rows > 0 && cols > 0 && rows % 16 == 0 && cols % 16 == 0, "policy config: grid ", rows, "x",
                  cols, " (from bounds and pixel_size) must be positive multiples of 16 (the streams' stride)");
  TF_THROW_UNLESS(c.crop >= 16 && c.crop % 16 == 0, "policy config: crop ", c.crop, " must be a multiple of 16");
  TF_THROW_UNLESS(c.width >= 1 && c.rotations >= 1 && c.transport_channels >= 1, "policy config: width ", c.width,
                  ", rotations ", c.rotations, ", transport_channels ", c.transport_channels, " must be >= 1");
  TF_THROW_UNLESS(c.query_rotation == "auto" || c.query_rotation == "crops" || c.query_rotation == "features",
                  "policy config: query_rotation '", c.query_rotation, "' is none of auto, crops, features");
  TF_THROW_UNLESS(c.lang_dim >= 1 && c.lang_heads >= 1 && c.lang_dim % c.lang_heads == 0, "policy config: lang_dim ",
                  c.lang_dim, " must be a positive multiple of lang_heads ", c.lang_heads);
  TF_THROW_UNLESS(c.vocab_buckets > 2 && c.max_tokens >= 2, "policy config: vocab_buckets ", c.vocab_buckets,
                  " must be > 2 and max_tokens ", c.max_tokens, " >= 2");
  TF_THROW_UNLESS(c.learning_rate > 0, "policy config: learning_rate ", c.learning_rate, " must be > 0");
  TF_THROW_UNLESS(c.device == "cpu" || c.device == "cuda", "policy config: device '", c.device,
                  "' is neither cpu nor cuda");
  TF_THROW_UNLESS(c.device == "cpu" || torch::cuda::is_available(),
                  "policy config: device cuda, but this LibTorch build sees no CUDA GPU (build against a CUDA "
                  "LibTorch, see docs/policy.md)");
}

// bf16 autocast of the forward pass on CUDA; a no-op on CPU.
class AutocastScope {
 public:
  explicit AutocastScope(bool on) : on_(on) { Set(on_); }
  ~AutocastScope() {
    if (!on_) return;
    Set(false);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  static void Set(bool enable) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)  // per-device API
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, enable);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(enable);
#endif
  }
  bool on_;
};

// CPU tensors come from glibc malloc. By default it maps every large block (its threshold adapts
// up to 32 MiB) and returns freed memory at the top of the heap to the kernel, so each forward pass
// faulted in ~250 MB of fresh zeroed pages (~60 k faults, ~170 ms of kernel time per Act at
// width 16). Serving blocks up to 32 MiB (glibc's cap) from the heap and never trimming it keeps
// freed tensor memory for the next pass; the process keeps its peak heap instead. Process-wide,
// set once; a no-op where mallopt is unavailable.
void KeepFreedTensorMemory() {
#ifdef M_MMAP_THRESHOLD
  static const bool done = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
    return true;
  }();
  (void)done;
#endif
}

}  // namespace

int PolicyConfig::QueryWindow() const {
  // ceil(crop * sqrt(2)) + 2 covers the rotated corners and their bilinear neighbours; then stride 16.
  const int needed = int(std::ceil(crop * std::numbers::sqrt2)) + 2;
  return (needed + 15) / 16 * 16;
}

struct Policy::Impl {
  PolicyConfig config;
  torch::Device device{torch::kCPU};
  net::ClipPort model{nullptr};
  std::unique_ptr<AdamOptimizer> optimizer;
  int64_t step = 0;
  StageTimes* stage_times = nullptr;  // profiling sink, also handed to the network

  // A training step's tensors: the network input, the labels, the instructions (as token ids for
  // the built-in encoder, as text for a TorchScript one). Built on the host, then copied.
  struct BatchTensors {
    torch::Tensor input;        // [B, 6, H, W] float, see Input
    torch::Tensor ids;          // [B, max_tokens] int64; undefined with a TorchScript encoder
    std::vector<std::string> texts;
    torch::Tensor pick;         // [B, 2] float (row, col) of the expert's pick: the place crops' centre
    torch::Tensor pick_index;   // [B] int64: row * cols + col
    torch::Tensor place_index;  // [B] int64: (rotation bin * rows + row) * cols + col
  };
  // CUDA graphs of a training step (one batch size at a time) and of Act, with their static
  // tensors: each call copies its inputs into them and replays.
  struct TrainGraph {
    BatchTensors batch;  // on the device
    torch::Tensor losses;  // [2]: pick, place
    CudaGraph graph;
  };
  struct ActGraph {
    torch::Tensor input, ids, best;
    CudaGraph graph;
  };
  std::unique_ptr<TrainGraph> train_graph;
  std::unique_ptr<ActGraph> act_graph;
  bool graphs_failed = false;  // a capture failed once: stay eager
  std::unique_ptr<TwoLanes> cpu_lanes;  // CPU acting on two threads (PolicyConfig::cpu_lanes)
  static constexpr int kGraphWarmup = 3;  // eager calls before a capture (PyTorch's recipe)

  explicit Impl(const PolicyConfig& c) : config(c) {
    CheckConfig(config);
    if (config.query_rotation == "auto") config.query_rotation = config.device == "cpu" ? "features" : "crops";
    if (config.device == "cpu") {
      KeepFreedTensorMemory();
      const int threads = config.threads > 0 ? config.threads : int(std::max(1u, std::thread::hardware_concurrency()));
      torch::set_num_threads(threads);
      if (config.cpu_lanes && threads >= 2 && !OpenMpThreadsSpin()) cpu_lanes = std::make_unique<TwoLanes>();
    } else {
      device = torch::Device(torch::kCUDA);
    }
    torch::manual_seed(config.seed);
    model = net::ClipPort(config);
  }

  bool cuda() const { return device.is_cuda(); }

  // After the weights are final: device, memory format, optimiser.
  void Prepare() {
    model->to(device);
    if (cuda() && config.channels_last) SetConvWeightFormat(torch::MemoryFormat::ChannelsLast);
    optimizer = std::make_unique<AdamOptimizer>(model->parameters(), config.learning_rate);
  }

  // Graphs need a CUDA build, the built-in (tokenized) language encoder, and no per-stage
  // profiling (its laps wait for the device, which a graph cannot record).
  bool UseGraphs() const {
    return cuda() && config.cuda_graphs && !graphs_failed && stage_times == nullptr && CudaGraph::Supported() &&
           model->language->tokenized();
  }

  void GiveUpGraphs(const Error& e) {
    std::cerr << "policy: " << e.what() << "; continuing without CUDA graphs\n";
    graphs_failed = true;
  }

  // Stores every convolution weight in `format` (a no-op when it already is).
  void SetConvWeightFormat(torch::MemoryFormat format) {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : model->parameters()) {
      if (p.dim() == 4 && !p.is_contiguous(format)) p.set_data(p.data().contiguous(format));
    }
  }

  // CPU with channels_last: the weights follow the input's layout (see Input), channels-last while
  // acting, NCHW while training; otherwise every Act copied each 3x3 weight to channels-last
  // (~64 MB at width 16). Only switches on the first call after the other mode.
  void SetCpuWeightFormat(bool acting) {
    if (cuda() || !config.channels_last) return;
    SetConvWeightFormat(acting ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous);
  }

  void CheckImages(const ColorImage& color, const HeightImage& height, const std::string& what) const {
    const int rows = config.bounds.rows(), cols = config.bounds.cols();
    TF_THROW_UNLESS(color.height == rows && color.width == cols && color.channels == 3, what, ": colour image is ",
                    color.height, "x", color.width, "x", color.channels, ", the policy expects ", rows, "x", cols, "x3");
    TF_THROW_UNLESS(height.height == rows && height.width == cols && height.channels == 1, what,
                    ": height map is ", height.height, "x", height.width, "x", height.channels,
                    ", the policy expects ", rows, "x", cols, "x1");
  }

  void CheckPixel(const Pixel& p, const std::string& what) const {
    TF_THROW_UNLESS(p[0] >= 0 && p[0] < config.bounds.rows() && p[1] >= 0 && p[1] < config.bounds.cols(), what,
                    " (", p[0], ", ", p[1], ") is outside the ", config.bounds.rows(), "x", config.bounds.cols(), " grid");
  }

  // Raw network input [N, 6, H, W]: RGB 0..255, then the height [m] three times (CLIPort's layout),
  // built on the host by HostInput and moved by ToDevice. Channels-last on CUDA, and on CPU for
  // inference (`acting`): there it steers batch-1 convolutions onto oneDNN (~30% faster Act); CPU
  // training stays NCHW, since LibTorch 1.13's channels-last convolution backward on CPU corrupted
  // the heap at width 8.
  torch::Tensor ToDevice(const torch::Tensor& host_input, bool acting) const {
    torch::Tensor input = host_input.to(device);
    if (config.channels_last && (cuda() || acting)) input = input.contiguous(torch::MemoryFormat::ChannelsLast);
    return input;
  }
  torch::Tensor HostInput(const std::vector<std::pair<const ColorImage*, const HeightImage*>>& views) const {
    const int rows = config.bounds.rows(), cols = config.bounds.cols();
    const int64_t plane = int64_t(rows) * cols;
    torch::Tensor input = torch::empty({int64_t(views.size()), 6, rows, cols}, torch::kFloat);
    float* out = input.data_ptr<float>();
    for (const auto& [color, height] : views) {
      for (int64_t i = 0; i < plane; ++i) {
        for (int ch = 0; ch < 3; ++ch) out[ch * plane + i] = float(color->data[size_t(i) * 3 + size_t(ch)]);
        for (int ch = 3; ch < 6; ++ch) out[ch * plane + i] = height->data[size_t(i)];
      }
      out += 6 * plane;
    }
    return input;
  }

  int RotationBin(double place_yaw_rad) const {
    // Ravens: theta = -(place yaw - pick yaw), binned to the nearest of `rotations` steps.
    const double step_rad = 2.0 * std::numbers::pi / config.rotations;
    const long bin = std::lround(-place_yaw_rad / step_rad) % config.rotations;
    return int(bin < 0 ? bin + config.rotations : bin);
  }

  double YawOfBin(int bin) const { return WrapAngle(-2.0 * std::numbers::pi * bin / config.rotations); }

  BatchTensors HostBatch(const Batch& batch) const {
    TF_THROW_UNLESS(!batch.empty(), "policy: empty batch");
    std::vector<std::pair<const ColorImage*, const HeightImage*>> views;
    std::vector<int64_t> pick_index, place_index;
    std::vector<float> pick_pixels;
    BatchTensors out;
    const int64_t rows = config.bounds.rows(), cols = config.bounds.cols();
    for (size_t i = 0; i < batch.size(); ++i) {
      const Sample& s = batch[i];
      const std::string where = "batch sample " + std::to_string(i);
      CheckImages(s.color, s.height, where);
      CheckPixel(s.pick, where + " pick pixel");
      CheckPixel(s.place, where + " place pixel");
      views.emplace_back(&s.color, &s.height);
      out.texts.push_back(s.instruction);
      pick_index.push_back(s.pick[0] * cols + s.pick[1]);
      place_index.push_back((RotationBin(s.place_yaw_rad) * rows + s.place[0]) * cols + s.place[1]);
      pick_pixels.push_back(float(s.pick[0]));
      pick_pixels.push_back(float(s.pick[1]));
    }
    out.input = HostInput(views);
    if (model->language->tokenized()) out.ids = model->language->Tokenize(out.texts);
    out.pick = torch::tensor(pick_pixels).view({int64_t(batch.size()), 2});
    out.pick_index = torch::tensor(pick_index);
    out.place_index = torch::tensor(place_index);
    return out;
  }

  BatchTensors OnDevice(const BatchTensors& host) const {
    BatchTensors d = host;
    d.input = ToDevice(host.input, /*acting=*/false);
    if (host.ids.defined()) d.ids = host.ids.to(device);
    d.pick = host.pick.to(device);
    d.pick_index = host.pick_index.to(device);
    d.place_index = host.place_index.to(device);
    return d;
  }

  // The sentence embedding, in fp32: LibTorch's C++ multi-head attention has no bf16 masked_fill.
  torch::Tensor Language(const torch::Tensor& ids, const std::vector<std::string>& texts) {
    return ids.defined() ? model->language->Encode(ids) : model->language(texts);
  }

  // Forward pass and loss of a batch already on the device; the autograd graph is kept when training.
  std::pair<torch::Tensor, torch::Tensor> Losses(const BatchTensors& b) {
    net::StageClock clock(stage_times, cuda());
    const torch::Tensor lang = Language(b.ids, b.texts);
    clock.Lap("language");
    torch::Tensor pick_logits, place_logits;
    {
      AutocastScope autocast(cuda() && config.bf16);
      pick_logits = model->PickLogits(b.input, lang).to(torch::kFloat);
      place_logits = model->PlaceLogits(b.input, b.pick, lang).flatten(1).to(torch::kFloat);
    }
    clock = net::StageClock(stage_times, cuda());
    namespace F = torch::nn::functional;
    std::pair<torch::Tensor, torch::Tensor> losses{F::cross_entropy(pick_logits, b.pick_index),
                                                   F::cross_entropy(place_logits, b.place_index)};
    clock.Lap("loss");
    return losses;
  }

  // One training step on a batch on the device: forward, loss, backward, Adam; gradients are left
  // undefined, so a graph of this records them being written, not accumulated. Returns [2]: the
  // pick and place losses before the step, on the device.
  torch::Tensor TrainOn(const BatchTensors& b) {
    auto [pick, place] = Losses(b);
    net::StageClock clock(stage_times, cuda());
    (pick + place).backward();
    clock.Lap("backward");
    optimizer->Step();
    optimizer->ZeroGrad();
    clock.Lap("adam");
    return torch::stack({pick.detach(), place.detach()});
  }

  torch::Tensor GraphedTrainStep(const BatchTensors& host) {
    const int64_t n = host.input.size(0);
    if (!train_graph || train_graph->batch.input.size(0) != n) {
      train_graph.reset();
      auto g = std::make_unique<TrainGraph>();
      g->batch = OnDevice(host);
      g->losses = torch::zeros({2}, torch::TensorOptions(device).dtype(torch::kFloat));
      // The warm-up calls train for real: undo them, so this call is one step like any other.
      const AdamOptimizer::Snapshot before = optimizer->Take();
      optimizer->ZeroGrad();
      try {
        g->graph.Capture([this, g = g.get()] { g->losses.copy_(TrainOn(g->batch)); }, kGraphWarmup);
      } catch (const Error& e) {
        optimizer->Restore(before);
        optimizer->ZeroGrad();
        GiveUpGraphs(e);
        return TrainOn(OnDevice(host));
      }
      optimizer->Restore(before);
      train_graph = std::move(g);
    }
    BatchTensors& b = train_graph->batch;
    b.input.copy_(host.input);
    b.ids.copy_(host.ids);
    b.pick.copy_(host.pick);
    b.pick_index.copy_(host.pick_index);
    b.place_index.copy_(host.place_index);
    train_graph->graph.Replay();
    return train_graph->losses;
  }

  // Both heads, greedily (net::GreedyHeads); on the CPU in two lanes unless stages are timed.
  net::Greedy Heads(const torch::Tensor& input, const torch::Tensor& lang) {
    AutocastScope autocast(cuda() && config.bf16);
    return net::GreedyHeads(*model, input, lang, cpu_lanes && stage_times == nullptr ? cpu_lanes.get() : nullptr);
  }

  // Act's and Predict's start: checks, eval mode, weight layout; then (the caller holding
  // InferenceMode) the host input and token ids (undefined with a TorchScript encoder).
  void BeginActing(const ColorImage& color, const HeightImage& height) {
    CheckImages(color, height, "policy input");
    model->eval();
    SetCpuWeightFormat(/*acting=*/true);  // before InferenceMode: the parameters stay normal tensors
  }
  std::pair<torch::Tensor, torch::Tensor> ActingInputs(const ColorImage& color, const HeightImage& height,
                                                       const std::string& instruction) const {
    return {HostInput({{&color, &height}}),
            model->language->tokenized() ? model->language->Tokenize({instruction}) : torch::Tensor()};
  }

  // The eager path's input and sentence embedding on the device.
  std::pair<torch::Tensor, torch::Tensor> EagerInputs(const torch::Tensor& host_input, const torch::Tensor& ids,
                                                      const std::string& instruction) {
    net::StageClock clock(stage_times, cuda());
    const torch::Tensor input = ToDevice(host_input, /*acting=*/true);
    clock.Lap("input");
    const torch::Tensor lang = Language(ids.defined() ? ids.to(device) : ids, {instruction});
    clock.Lap("language");
    return {input, lang};
  }

  // Act's device work for one observation (under InferenceMode): replayed from a graph when it can.
  torch::Tensor ActIndices(const torch::Tensor& host_input, const torch::Tensor& ids, const std::string& instruction) {
    if (UseGraphs()) {
      if (!act_graph) {
        auto g = std::make_unique<ActGraph>();
        g->input = ToDevice(host_input, /*acting=*/true);
        g->ids = ids.to(device);
        g->best = torch::zeros({2}, torch::TensorOptions(device).dtype(torch::kLong));
        try {
          g->graph.Capture([this, g = g.get()] { g->best.copy_(Heads(g->input, Language(g->ids, {})).best); },
                           kGraphWarmup);
          act_graph = std::move(g);
        } catch (const Error& e) {
          GiveUpGraphs(e);
        }
      }
      if (act_graph) {
        act_graph->input.copy_(host_input);
        act_graph->ids.copy_(ids);
        act_graph->graph.Replay();
        return act_graph->best;
      }
    }
    const auto [input, lang] = EagerInputs(host_input, ids, instruction);
    return Heads(input, lang).best;
  }

  Logits Predict(const ColorImage& color, const HeightImage& height, const std::string& instruction) {
    const int rows = config.bounds.rows(), cols = config.bounds.cols();
    BeginActing(color, height);
    c10::InferenceMode inference;
    const auto [host_input, ids] = ActingInputs(color, height, instruction);
    const auto [input, lang] = EagerInputs(host_input, ids, instruction);
    const net::Greedy g = Heads(input, lang);
    const torch::Tensor place_cpu = g.place_logits[0].permute({1, 2, 0}).contiguous().cpu();
    const torch::Tensor pick_cpu = g.pick_logits.view({rows, cols}).contiguous().cpu();
    const int64_t pick_index = g.best[0].item<int64_t>();
    Logits out;
    out.pick_pixel = {int(pick_index / cols), int(pick_index % cols)};
    out.pick = Image<float>(rows, cols, 1);
    out.place = Image<float>(rows, cols, config.rotations);
    std::copy_n(pick_cpu.data_ptr<float>(), out.pick.data.size(), out.pick.data.begin());
    std::copy_n(place_cpu.data_ptr<float>(), out.place.data.size(), out.place.data.begin());
    return out;
  }
};

Policy::Policy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;
Policy::~Policy() = default;

Policy Policy::Create(const PolicyConfig& config) {
  auto impl = std::make_unique<Impl>(config);
  impl->Prepare();
  return Policy(std::move(impl));
}

Policy Policy::Load(const std::filesystem::path& checkpoint, const std::string& device, int threads) {
  TF_THROW_UNLESS(std::filesystem::is_regular_file(checkpoint), "policy checkpoint ", checkpoint, " does not exist");
  torch::serialize::InputArchive archive;
  PolicyConfig config;
  int64_t step = 0;
  try {
    archive.load_from(checkpoint.string(), torch::kCPU);
    c10::IValue header, steps;
    archive.read("header", header);
    archive.read("step", steps);
    const nlohmann::json j = nlohmann::json::parse(header.toStringRef());
    TF_THROW_UNLESS(j.at("version") == kCheckpointVersion, "policy checkpoint ", checkpoint, ": version ",
                    j.at("version").dump(), ", expected ", kCheckpointVersion);
    config = ConfigFromJson(j.at("config"));
    step = steps.toInt();
  } catch (const c10::Error& e) {
    TF_THROW_UNLESS(false, "policy checkpoint ", checkpoint, ": not readable (", e.what_without_backtrace(), ")");
  } catch (const nlohmann::json::exception& e) {
    TF_THROW_UNLESS(false, "policy checkpoint ", checkpoint, ": bad header (", e.what(), ")");
  }
  if (!device.empty()) config.device = device;
  if (threads >= 0) config.threads = threads;
  auto impl = std::make_unique<Impl>(config);
  try {
    torch::serialize::InputArchive weights, optimizer;
    archive.read("model", weights);
    impl->model->load(weights);
    impl->Prepare();
    archive.read("optimizer", optimizer);
    impl->optimizer->Load(optimizer);
  } catch (const c10::Error& e) {
    TF_THROW_UNLESS(false, "policy checkpoint ", checkpoint, ": weights do not fit the stored config (",
                    e.what_without_backtrace(), ")");
  }
  impl->step = step;
  return Policy(std::move(impl));
}

void Policy::Save(const std::filesystem::path& checkpoint) const {
  torch::serialize::OutputArchive archive, weights, optimizer;
  impl_->model->save(weights);
  impl_->optimizer->Save(optimizer);
  archive.write("header", c10::IValue(nlohmann::json{{"version", kCheckpointVersion},
                                                      {"config", ConfigToJson(impl_->config)}}.dump()));
  archive.write("step", c10::IValue(impl_->step));
  archive.write("model", weights);
  archive.write("optimizer", optimizer);
  // Write next to the target and rename, so a kill mid-save never leaves a torn checkpoint.
  const std::filesystem::path partial = checkpoint.string() + ".partial";
  try {
    archive.save_to(partial.string());
  } catch (const c10::Error& e) {
    TF_THROW_UNLESS(false, "policy checkpoint ", checkpoint, ": can't write (", e.what_without_backtrace(), ")");
  }
  std::filesystem::rename(partial, checkpoint);
}

Action Policy::Act(const ColorImage& color, const HeightImage& height, const std::string& instruction) {
  Impl& m = *impl_;
  m.BeginActing(color, height);
  c10::InferenceMode inference;
  const auto [host_input, ids] = m.ActingInputs(color, height, instruction);
  const torch::Tensor best = m.ActIndices(host_input, ids, instruction).cpu();  // waits for the device
  net::StageClock clock(m.stage_times, m.cuda());
  const int64_t pick_index = best[0].item<int64_t>(), place_index = best[1].item<int64_t>();
  clock.Lap("decide");
  const int rows = m.config.bounds.rows(), cols = m.config.bounds.cols();
  Action action;
  action.pick = {int(pick_index / cols), int(pick_index % cols)};
  action.rotation_bin = int(place_index / (int64_t(rows) * cols));
  action.place = {int(place_index / cols % rows), int(place_index % cols)};
  action.place_yaw_rad = m.YawOfBin(action.rotation_bin);
  Heightmap map;  // core's pixel -> world conversion reads the height at the pixel
  map.height = height;
  action.pick_pose = MakePlanarPose(PixelToWorld(action.pick[0], action.pick[1], map, m.config.bounds), 0.0);
  action.place_pose = MakePlanarPose(PixelToWorld(action.place[0], action.place[1], map, m.config.bounds),
                                     action.place_yaw_rad);
  return action;
}

Logits Policy::Predict(const ColorImage& color, const HeightImage& height, const std::string& instruction) {
  return impl_->Predict(color, height, instruction);
}

Loss Policy::TrainStep(const Batch& batch) {
  Impl& m = *impl_;
  m.model->train();
  m.SetCpuWeightFormat(/*acting=*/false);
  const Impl::BatchTensors host = m.HostBatch(batch);
  torch::Tensor losses;
  if (m.UseGraphs()) {
    losses = m.GraphedTrainStep(host);
  } else {
    net::StageClock clock(m.stage_times, m.cuda());
    const Impl::BatchTensors on_device = m.OnDevice(host);
    clock.Lap("input");
    losses = m.TrainOn(on_device);
  }
  losses = losses.cpu();  // waits for the device
  ++m.step;
  return {losses[0].item<double>(), losses[1].item<double>()};
}

void Policy::TimeStages(StageTimes* sink) {
  impl_->stage_times = sink;
  impl_->model->stage_times = sink;
}

Loss Policy::Evaluate(const Batch& batch) {
  torch::NoGradGuard no_grad;
  impl_->model->eval();
  auto [pick, place] = impl_->Losses(impl_->OnDevice(impl_->HostBatch(batch)));
  return {pick.item<double>(), place.item<double>()};
}

const PolicyConfig& Policy::config() const { return impl_->config; }
int64_t Policy::step() const { return impl_->step; }

int64_t Policy::parameter_count() const {
  int64_t n = 0;
  for (const torch::Tensor& p : impl_->model->parameters()) n += p.numel();
  return n;
}

bool Policy::replays_cuda_graphs() const { return impl_->UseGraphs(); }
bool Policy::acts_in_cpu_lanes() const { return impl_->cpu_lanes != nullptr; }

std::string Policy::device_description() const {
  if (!impl_->cuda()) return "cpu, " + std::to_string(torch::get_num_threads()) + " threads, LibTorch " + TORCH_VERSION;
  return std::string("cuda") + (impl_->config.bf16 ? ", bf16 autocast" : ", fp32") +
         (impl_->config.channels_last ? ", channels-last" : "") + ", LibTorch " + TORCH_VERSION;
}

}  // namespace taskforge::policy
