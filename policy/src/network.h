#pragma once
// The CLIPort network in LibTorch (private to policy/). Layer sizes are mirrored one for one by
// policy/reference/cliport_reference.py; change both together.

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "taskforge/policy/policy.h"
#include "two_lanes.h"

namespace torch::jit {
struct Module;
}

namespace taskforge::policy::net {

/// CPU inference only: one convolution run by oneDNN with its weights prepacked (reordered once
/// instead of on every call) and the following ReLU fused, through LibTorch's
/// `mkldnn_prepacked::conv2d_*` ops. Packs on first use and again whenever the input shape or the
/// weights change (Adam steps, loading, a memory-format switch).
class PackedConv {
 public:
  /// `conv(x)`, then ReLU if `relu`. Packed when `x` is a channels-last fp32 CPU tensor under
  /// InferenceMode; otherwise the module's own forward (training, CUDA, NCHW).
  torch::Tensor operator()(torch::nn::Conv2d& conv, const torch::Tensor& x, bool relu);

 private:
  c10::IValue context_;  ///< the packed weights (a mkldnn ConvOpContext)
  std::vector<int64_t> input_sizes_;
  const void* weight_data_ = nullptr;
  uint32_t weight_version_ = 0;
};

/// CLIPort's ConvBlock / IdentityBlock: 1x1 -> 3x3 (stride) -> 1x1 with a residual, no
/// normalisation (CLIPort trains with batchnorm off). The shortcut is a strided 1x1 conv when the
/// shape changes.
struct ResidualBlockImpl : torch::nn::Module {
  ResidualBlockImpl(int in_channels, int out_channels, int stride);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d reduce{nullptr}, spatial{nullptr}, expand{nullptr}, shortcut{nullptr};
  PackedConv packed_reduce, packed_spatial, packed_expand, packed_shortcut;
};
TORCH_MODULE(ResidualBlock);

struct StreamOptions {
  int in_channels = 6;
  int width = 16;        ///< stage i has width * 2^i channels, i = 0..4 (stride 2^i)
  int out_channels = 1;
  int lang_dim = 0;      ///< > 0: multiply the language in at the bottleneck and 2 decoder levels
  bool laterals = false; ///< fuse another stream's decoder features at every decoder level
};

/// One stream: a U-Net with a full-resolution stem, 4 stride-2 encoder stages of 2 residual blocks,
/// and a decoder that upsamples (bilinear x2), concatenates the encoder skip and applies a residual
/// block at each level. Stride 16, so inputs must be multiples of 16.
struct StreamImpl : torch::nn::Module {
  explicit StreamImpl(const StreamOptions& options);
  struct Output {
    torch::Tensor logits;                ///< [N, out_channels, H, W]
    std::vector<torch::Tensor> decoder;  ///< decoder features at H/8, H/4, H/2, H (for laterals)
  };
  /// `lang` is [N, lang_dim] when lang_dim > 0; `laterals` the other stream's `decoder` when
  /// laterals is set.
  Output forward(const torch::Tensor& x, const torch::Tensor& lang, const std::vector<torch::Tensor>& laterals);

  StreamOptions options;
  torch::nn::Conv2d stem{nullptr}, head{nullptr};
  PackedConv packed_stem;
  torch::nn::ModuleList down, up, lang_fc, lateral;
};
TORCH_MODULE(Stream);

/// CLIPort's two streams: a spatial stream on normalised RGB-D and a semantic stream on the RGB
/// channels with language and lateral connections from the spatial stream; their outputs are
/// added (pick) or fused by ReLU + 1x1 conv (place).
struct TwoStreamImpl : torch::nn::Module {
  TwoStreamImpl(int width, int out_channels, int lang_dim, bool conv_fusion);
  torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& lang);
  Stream spatial{nullptr}, semantic{nullptr};
  torch::nn::Conv2d fuse{nullptr};
};
TORCH_MODULE(TwoStream);

/// Sentence embedding: the built-in tokenizer + one transformer layer + masked mean pooling +
/// linear, or a frozen TorchScript encoder + trainable linear projection.
struct LanguageEncoderImpl : torch::nn::Module {
  explicit LanguageEncoderImpl(const PolicyConfig& config);
  torch::Tensor forward(const std::vector<std::string>& texts);  ///< [N, lang_dim] on this module's device
  /// The built-in encoder in two halves, so a CUDA graph can record the second: token ids
  /// [N, max_tokens] (int64, CPU) and their embedding [N, lang_dim]. Not for TorchScript encoders.
  bool tokenized() const { return script == nullptr; }
  torch::Tensor Tokenize(const std::vector<std::string>& texts) const;
  torch::Tensor Encode(const torch::Tensor& ids);  ///< `ids` on this module's device

  PolicyConfig config;
  torch::nn::Embedding tokens{nullptr};
  torch::Tensor positions;  ///< [max_tokens, lang_dim]
  torch::nn::TransformerEncoderLayer encoder{nullptr};
  torch::nn::Linear project{nullptr};
  std::shared_ptr<torch::jit::Module> script;  ///< set when config.language_encoder names a file
};
TORCH_MODULE(LanguageEncoder);

/// Profiling laps: Lap(name) adds the wall time since the previous lap (or construction) to
/// (*sink)[name] in ms, after waiting for queued CUDA work. Does nothing without a sink.
class StageClock {
 public:
  StageClock(StageTimes* sink, bool cuda);
  void Lap(const std::string& name);

 private:
  StageTimes* sink_;
  bool cuda_;
  std::chrono::steady_clock::time_point last_;
};

/// The whole policy: language encoder, attention (pick) and transport (place) heads.
struct ClipPortImpl : torch::nn::Module {
  explicit ClipPortImpl(const PolicyConfig& config);
  /// `image` raw [B, 6, H, W]: RGB in 0..255 then height [m] three times. Returns [B, H*W].
  torch::Tensor PickLogits(const torch::Tensor& image, const torch::Tensor& lang);
  /// `pick` [B, 2] float (row, col). Returns [B, rotations, H, W]: CrossCorrelate of the two below.
  torch::Tensor PlaceLogits(const torch::Tensor& image, const torch::Tensor& pick, const torch::Tensor& lang);
  /// `image` with crop / 2 zero cells on every side (its memory format kept): [B, 6, H + crop, W + crop].
  torch::Tensor Pad(const torch::Tensor& image) const;
  /// The transport's key features over Pad(image): [B, C, H + crop, W + crop] float.
  torch::Tensor KeyFeatures(const torch::Tensor& padded, const torch::Tensor& lang);
  /// The query features around `pick` (in unpadded pixels) from Pad(image), one crop per rotation:
  /// [B, rotations, C, crop, crop] float.
  torch::Tensor QueryFeatures(const torch::Tensor& padded, const torch::Tensor& pick, const torch::Tensor& lang);

  PolicyConfig config;  ///< query_rotation resolved ("crops" or "features")
  LanguageEncoder language{nullptr};
  TwoStream attention{nullptr}, key{nullptr}, query{nullptr};
  StageTimes* stage_times = nullptr;  ///< profiling sink (Policy::TimeStages)
};
TORCH_MODULE(ClipPort);

/// Both heads for one observation, greedily: the pick logits [1, H * W], the place logits
/// [1, rotations, H, W] for crops around the pick's argmax, and `best` [2] int64: the pick's flat
/// pixel index (row * W + col) and the place's flat index over [rotation, row, col]. Nothing
/// waits for the device.
struct Greedy {
  torch::Tensor pick_logits, place_logits, best;
};
/// With `lanes` (CPU acting) the key stream runs beside the pick and query streams and the
/// correlation's rotations are split between the two lanes; the results are those of the
/// sequential path (nullptr), which CUDA and profiling use.
Greedy GreedyHeads(ClipPortImpl& model, const torch::Tensor& input, const torch::Tensor& lang, TwoLanes* lanes);

/// out[b, r, y, x] = sum_{c,i,j} key[b, c, y + i, x + j] * queries[b, r, c, i, j] for y < rows,
/// x < cols (a VALID conv2d of the key with each query as kernel). key [B, C, H, W], queries
/// [B, k, C, h, w] with rows + h - 1 <= H and cols + w - 1 <= W. Returns [B, k, rows, cols].
torch::Tensor CrossCorrelate(const torch::Tensor& key, const torch::Tensor& queries, int64_t rows, int64_t cols);

/// Ravens' normalisation of the raw 6-channel input.
torch::Tensor Normalize(const torch::Tensor& raw);

}  // namespace taskforge::policy::net
