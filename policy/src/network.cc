#include "network.h"

#include <torch/script.h>

#include <ATen/core/dispatch/Dispatcher.h>

#include <numbers>

#include "taskforge/core/error.h"
#include "tokenizer.h"

namespace taskforge::policy::net {
namespace F = torch::nn::functional;
namespace {

constexpr int kStages = 4;         // stride-2 encoder stages
constexpr int kLanguageLevels = 3; // bottleneck + 2 decoder levels, as CLIPort's lang_fuser1..3

// Ravens / CLIPort Transporter statistics (cliport/utils/utils.py).
constexpr double kColorMean = 0.18877631, kColorStd = 0.07276466;
constexpr double kDepthMean = 0.00509261, kDepthStd = 0.00903967;

torch::nn::Conv2d Conv(int in, int out, int kernel, int stride = 1, bool bias = true) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(bias));
}

int StageWidth(int width, int stage) { return width << stage; }

// For each of `k` rotations phi_r = 2 pi r / k, a crop x crop patch of `source` [B, C, H, W] centred
// on `centre` [B, 2] (row, col, in source pixels): patch pixel (i, j) reads
// centre + R(phi_r) (j - crop/2, i - crop/2) (x = column, y = row), bilinear, zeros outside.
// Returns [B * k, C, crop, crop], rotation-major within each batch item.
torch::Tensor RotatedPatches(const torch::Tensor& source, const torch::Tensor& centre, int64_t crop, int64_t k) {
  const int64_t batch = source.size(0), channels = source.size(1), rows = source.size(2), cols = source.size(3);
  const auto opts = centre.options().dtype(torch::kFloat);
  const torch::Tensor offsets = torch::arange(crop, opts) - double(crop / 2);
  const torch::Tensor dy = offsets.view({crop, 1}).expand({crop, crop});
  const torch::Tensor dx = offsets.view({1, crop}).expand({crop, crop});
  const torch::Tensor phi = torch::arange(k, opts) * (2.0 * std::numbers::pi / double(k));
  const torch::Tensor c = phi.cos().view({k, 1, 1}), s = phi.sin().view({k, 1, 1});
  const torch::Tensor rot_x = c * dx - s * dy, rot_y = s * dx + c * dy;  // [k, crop, crop]
  const torch::Tensor centre_x = centre.select(1, 1).to(torch::kFloat).view({batch, 1, 1, 1});
  const torch::Tensor centre_y = centre.select(1, 0).to(torch::kFloat).view({batch, 1, 1, 1});
  // align_corners=false: pixel p lies at (2p + 1) / size - 1.
  const torch::Tensor gx = (2.0 * (centre_x + rot_x.unsqueeze(0)) + 1.0) / double(cols) - 1.0;
  const torch::Tensor gy = (2.0 * (centre_y + rot_y.unsqueeze(0)) + 1.0) / double(rows) - 1.0;
  const torch::Tensor grid = torch::stack({gx, gy}, -1).view({batch, k * crop, crop, 2});
  return F::grid_sample(source.to(torch::kFloat), grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false))
      .view({batch, channels, k, crop, crop})
      .transpose(1, 2)
      .reshape({batch * k, channels, crop, crop});
}

// On CPU, sampled patches take the input's memory format: channels-last when acting, so the query
// streams' batch-1 convolutions stay on oneDNN (in NCHW, LibTorch 1.13 sends those on maps under
// 20 480 values to im2col + BLAS). CUDA keeps grid_sample's layout.
torch::Tensor LikeInputOnCpu(const torch::Tensor& patches, const torch::Tensor& input) {
  return input.is_cuda() ? patches : patches.contiguous(input.suggest_memory_format());
}

}  // namespace

torch::Tensor Normalize(const torch::Tensor& raw) {
  const torch::Tensor color = (raw.slice(1, 0, 3) / 255.0 - kColorMean) / kColorStd;
  const torch::Tensor height = (raw.slice(1, 3, 6) - kDepthMean) / kDepthStd;
  return torch::cat({color, height}, 1);
}

torch::Tensor PackedConv::operator()(torch::nn::Conv2d& conv, const torch::Tensor& x, bool relu) {
  // The ops are looked up once; a LibTorch without them takes the plain path.
  static const auto prepack = c10::Dispatcher::singleton().findSchema({"mkldnn_prepacked::conv2d_prepack", ""});
  static const auto run = c10::Dispatcher::singleton().findSchema({"mkldnn_prepacked::conv2d_run", ""});
  if (!prepack || !run || x.is_cuda() || !c10::InferenceMode::is_enabled() || x.scalar_type() != torch::kFloat ||
      !x.is_contiguous(torch::MemoryFormat::ChannelsLast)) {
    torch::Tensor y = conv(x);
    return relu ? y.relu_() : y;
  }
  const torch::Tensor& weight = conv->weight;
  if (context_.isNone() || x.sizes() != input_sizes_ || weight.data_ptr() != weight_data_ ||
      weight._version() != weight_version_) {
    const auto& o = conv->options;
    const auto pair = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>{a->begin(), a->end()}; };
    std::vector<int64_t> padding = pair(o.kernel_size());  // Conv() above pads by kernel / 2
    for (int64_t& p : padding) p /= 2;
    torch::jit::Stack stack{weight,
                            conv->bias.defined() ? c10::IValue(conv->bias) : c10::IValue(),
                            pair(o.stride()),
                            padding,
                            pair(o.dilation()),
                            o.groups(),
                            x.sizes().vec(),
                            std::string(relu ? "relu" : "none")};
    prepack->callBoxed(&stack);
    context_ = std::move(stack.front());
    input_sizes_ = x.sizes().vec();
    weight_data_ = weight.data_ptr();
    weight_version_ = weight._version();
  }
  torch::jit::Stack stack{x, context_};
  run->callBoxed(&stack);
  return stack.front().toTensor();
}

ResidualBlockImpl::ResidualBlockImpl(int in_channels, int out_channels, int stride)
    : reduce(register_module("reduce", Conv(in_channels, out_channels, 1, 1, false))),
      spatial(register_module("spatial", Conv(out_channels, out_channels, 3, stride, false))),
      expand(register_module("expand", Conv(out_channels, out_channels, 1, 1, false))) {
  if (stride != 1 || in_channels != out_channels) {
    shortcut = register_module("shortcut", Conv(in_channels, out_channels, 1, stride, false));
  }
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  // In-place ReLUs and residual add: the conv outputs are fresh tensors that nothing else reads
  // (a convolution's backward needs its input, not its output), so no extra full-size buffers.
  torch::Tensor y = packed_reduce(reduce, x, /*relu=*/true);
  y = packed_spatial(spatial, y, /*relu=*/true);
  return packed_expand(expand, y, /*relu=*/false).add_(shortcut ? packed_shortcut(shortcut, x, false) : x).relu_();
}

StreamImpl::StreamImpl(const StreamOptions& opts) : options(opts) {
  const int w = opts.width;
  stem = register_module("stem", Conv(opts.in_channels, w, 3));
  down = register_module("down", torch::nn::ModuleList());
  up = register_module("up", torch::nn::ModuleList());
  for (int s = 1; s <= kStages; ++s) {
    torch::nn::Sequential stage(ResidualBlock(StageWidth(w, s - 1), StageWidth(w, s), 2),
                                ResidualBlock(StageWidth(w, s), StageWidth(w, s), 1));
    down->push_back(stage);
  }
  for (int s = kStages - 1; s >= 0; --s) {  // decoder level from H/8 up to H
    up->push_back(ResidualBlock(StageWidth(w, s + 1) + StageWidth(w, s), StageWidth(w, s), 1));
  }
  if (opts.lang_dim > 0) {
    lang_fc = register_module("lang_fc", torch::nn::ModuleList());
    for (int level = 0; level < kLanguageLevels; ++level) {
      lang_fc->push_back(torch::nn::Linear(opts.lang_dim, StageWidth(w, kStages - level)));
    }
  }
  if (opts.laterals) {
    lateral = register_module("lateral", torch::nn::ModuleList());
    for (int s = kStages - 1; s >= 0; --s) lateral->push_back(Conv(2 * StageWidth(w, s), StageWidth(w, s), 1));
  }
  head = register_module("head", Conv(w, opts.out_channels, 1));
}

StreamImpl::Output StreamImpl::forward(const torch::Tensor& x, const torch::Tensor& lang,
                                       const std::vector<torch::Tensor>& laterals) {
  auto fuse_language = [&](torch::Tensor& features, int level) {
    if (options.lang_dim <= 0 || level >= kLanguageLevels) return;
    const torch::Tensor gain = lang_fc[level]->as<torch::nn::Linear>()->forward(lang);
    features = features * gain.unsqueeze(-1).unsqueeze(-1);
  };
  std::vector<torch::Tensor> skips{packed_stem(stem, x, /*relu=*/true)};
  for (int s = 0; s < kStages; ++s) skips.push_back(down[s]->as<torch::nn::Sequential>()->forward(skips.back()));
  torch::Tensor y = skips.back();
  fuse_language(y, 0);
  Output out;
  for (int level = 0; level < kStages; ++level) {
    const torch::Tensor& skip = skips[size_t(kStages - 1 - level)];
    y = F::interpolate(y, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{skip.size(2), skip.size(3)})
                              .mode(torch::kBilinear)
                              .align_corners(false));
    y = up[level]->as<ResidualBlock>()->forward(torch::cat({y, skip}, 1));
    if (options.laterals) {
      y = lateral[level]->as<torch::nn::Conv2d>()->forward(torch::cat({y, laterals[size_t(level)]}, 1).relu_());
    }
    fuse_language(y, level + 1);
    out.decoder.push_back(y);
  }
  out.logits = head(y);
  return out;
}

TwoStreamImpl::TwoStreamImpl(int width, int out_channels, int lang_dim, bool conv_fusion) {
  spatial = register_module("spatial", Stream(StreamOptions{6, width, out_channels, 0, false}));
  semantic = register_module("semantic", Stream(StreamOptions{3, width, out_channels, lang_dim, true}));
  if (conv_fusion) fuse = register_module("fuse", Conv(2 * out_channels, out_channels, 1));
}

torch::Tensor TwoStreamImpl::forward(const torch::Tensor& image, const torch::Tensor& lang) {
  const StreamImpl::Output s = spatial->forward(image, torch::Tensor(), {});
  const StreamImpl::Output m = semantic->forward(image.slice(1, 0, 3), lang, s.decoder);
  if (fuse) return fuse(torch::relu(torch::cat({s.logits, m.logits}, 1)));
  return s.logits + m.logits;
}

LanguageEncoderImpl::LanguageEncoderImpl(const PolicyConfig& c) : config(c) {
  if (!c.language_encoder.empty()) {
    try {
      script = std::make_shared<torch::jit::Module>(torch::jit::load(c.language_encoder, torch::kCPU));
    } catch (const c10::Error& e) {
      TF_THROW_UNLESS(false, "language_encoder ", c.language_encoder, ": not a loadable TorchScript file (",
                      e.what_without_backtrace(), ")");
    }
    script->eval();
    for (torch::Tensor p : script->parameters()) p.set_requires_grad(false);
    torch::Tensor probe;
    try {
      probe = script->forward({c10::List<std::string>({"probe"})}).toTensor();
    } catch (const c10::Error& e) {
      TF_THROW_UNLESS(false, "language_encoder ", c.language_encoder,
                      ": forward(List[str]) must return a tensor [N, D] (", e.what_without_backtrace(), ")");
    }
    TF_THROW_UNLESS(probe.dim() == 2 && probe.size(0) == 1, "language_encoder ", c.language_encoder,
                    ": forward([\"probe\"]) returned shape ", probe.sizes(), ", expected [1, D]");
    project = register_module("project", torch::nn::Linear(probe.size(1), c.lang_dim));
    return;
  }
  tokens = register_module("tokens", torch::nn::Embedding(c.vocab_buckets, c.lang_dim));
  positions = register_parameter("positions", torch::randn({c.max_tokens, c.lang_dim}) * 0.02);
  encoder = register_module("encoder", torch::nn::TransformerEncoderLayer(
                                           torch::nn::TransformerEncoderLayerOptions(c.lang_dim, c.lang_heads)
                                               .dim_feedforward(4 * c.lang_dim)
                                               .dropout(0.0)));
  project = register_module("project", torch::nn::Linear(c.lang_dim, c.lang_dim));
}

torch::Tensor LanguageEncoderImpl::forward(const std::vector<std::string>& texts) {
  const torch::Device device = project->weight.device();
  if (script) {
    script->to(device);
    torch::Tensor features;
    {
      torch::NoGradGuard frozen;
      features = script->forward({c10::List<std::string>(texts)}).toTensor().to(device, torch::kFloat);
    }
    return project(features);
  }
  return Encode(Tokenize(texts).to(device));
}

torch::Tensor LanguageEncoderImpl::Tokenize(const std::vector<std::string>& texts) const {
  TF_DEMAND(tokenized());
  std::vector<int64_t> ids;
  for (const std::string& t : texts) {
    const std::vector<int64_t> one = taskforge::policy::Tokenize(t, config.vocab_buckets, config.max_tokens);
    ids.insert(ids.end(), one.begin(), one.end());
  }
  return torch::tensor(ids, torch::kLong).view({int64_t(texts.size()), config.max_tokens});
}

torch::Tensor LanguageEncoderImpl::Encode(const torch::Tensor& ids) {
  const torch::Tensor padding = ids.eq(kPadToken);                              // [N, L]
  torch::Tensor x = tokens(ids) + positions.unsqueeze(0);                        // [N, L, D]
  x = encoder->forward(x.transpose(0, 1), /*src_mask=*/torch::Tensor(), /*src_key_padding_mask=*/padding).transpose(0, 1);
  const torch::Tensor keep = padding.logical_not().unsqueeze(-1).to(x.dtype());  // [N, L, 1]
  return project((x * keep).sum(1) / keep.sum(1));
}

ClipPortImpl::ClipPortImpl(const PolicyConfig& c) : config(c) {
  language = register_module("language", LanguageEncoder(c));
  attention = register_module("attention", TwoStream(c.width, 1, c.lang_dim, /*conv_fusion=*/false));
  key = register_module("key", TwoStream(c.width, c.transport_channels, c.lang_dim, true));
  query = register_module("query", TwoStream(c.width, c.transport_channels, c.lang_dim, true));
}

torch::Tensor ClipPortImpl::PickLogits(const torch::Tensor& image, const torch::Tensor& lang) {
  StageClock clock(stage_times, image.is_cuda());
  torch::Tensor logits = attention(Normalize(image), lang).flatten(1).to(torch::kFloat);
  clock.Lap("pick");
  return logits;
}

torch::Tensor ClipPortImpl::PlaceLogits(const torch::Tensor& image, const torch::Tensor& pick,
                                        const torch::Tensor& lang) {
  const torch::Tensor padded = Pad(image);
  const torch::Tensor key_features = KeyFeatures(padded, lang);
  const torch::Tensor query_features = QueryFeatures(padded, pick, lang);
  StageClock clock(stage_times, image.is_cuda());
  const torch::Tensor logits = CrossCorrelate(key_features, query_features, image.size(2), image.size(3));
  clock.Lap("place.correlate");
  return logits;
}

torch::Tensor ClipPortImpl::Pad(const torch::Tensor& image) const {
  const int64_t half = config.crop / 2;
  return F::pad(image, F::PadFuncOptions({half, half, half, half}));  // raw zeros = empty cells
}

torch::Tensor ClipPortImpl::KeyFeatures(const torch::Tensor& padded, const torch::Tensor& lang) {
  StageClock clock(stage_times, padded.is_cuda());
  const torch::Tensor features = key(Normalize(padded), lang).to(torch::kFloat);
  clock.Lap("place.key");
  return features;
}

torch::Tensor ClipPortImpl::QueryFeatures(const torch::Tensor& padded, const torch::Tensor& pick,
                                          const torch::Tensor& lang) {
  StageClock clock(stage_times, padded.is_cuda());
  const int64_t batch = padded.size(0), crop = config.crop, half = crop / 2, k = config.rotations;
  const torch::Tensor centre = pick + double(half);  // the pick in padded pixels
  torch::Tensor query_features;  // [B * k, C, crop, crop]
  if (config.query_rotation == "crops") {  // CLIPort: the query streams see every rotated crop
    const torch::Tensor crops = LikeInputOnCpu(RotatedPatches(padded, centre, crop, k), padded);
    clock.Lap("place.crops");
    // lang per crop, rotation-major like the crops (expand + reshape: repeat_interleave may wait
    // for the device to size its output, which a CUDA graph cannot record)
    const torch::Tensor crop_lang = lang.unsqueeze(1).expand({batch, k, lang.size(1)}).reshape({batch * k, lang.size(1)});
    query_features = query(Normalize(crops), crop_lang).to(torch::kFloat);
    clock.Lap("place.query");
  } else {  // one unrotated window, its features rotated (window centre = the pick)
    const int64_t window = config.QueryWindow();
    const torch::Tensor patch = LikeInputOnCpu(RotatedPatches(padded, centre, window, 1), padded);
    clock.Lap("place.crops");
    const torch::Tensor features = query(Normalize(patch), lang).to(torch::kFloat);  // [B, C, window, window]
    clock.Lap("place.query");
    query_features = RotatedPatches(features, torch::full({batch, 2}, double(window / 2), centre.options()), crop, k);
    clock.Lap("place.rotate");
  }
  return query_features.view({batch, k, -1, crop, crop});
}

namespace {

// By FFT over [prow, pcol]: the size bound on CrossCorrelate means y + i < prow for every output
// row y, so the circular correlation never wraps. The 2-D transforms go one axis at a time so that
// rows known to be zero (the queries' padding) or not wanted (output rows >= rows) skip their 1-D
// transforms; the result is that of rfft2 / irfft2.
torch::Tensor QuerySpectra(const torch::Tensor& queries, int64_t prow, int64_t pcol) {
  return torch::fft::fft(torch::fft::rfft(queries, pcol, -1), prow, -2);
}

torch::Tensor KeySpectrumConj(const torch::Tensor& key) {
  return torch::fft::fft(torch::fft::rfft(key, key.size(3), -1), key.size(2), -2).conj().resolve_conj();
}

torch::Tensor CorrelateSpectra(const torch::Tensor& key_f_conj, const torch::Tensor& query_f, int64_t pcol,
                               int64_t rows, int64_t cols) {
  // The spectra are multiplied as conj(conj(K) Q), channel by channel into one accumulator: the
  // same products as sum_c K conj(Q), without a [B, k, C, ...] temporary or a conjugated copy of Q.
  const int64_t prow = key_f_conj.size(2);
  torch::Tensor product = key_f_conj.select(1, 0).unsqueeze(1) * query_f.select(2, 0);  // [B, k, prow, pcol / 2 + 1]
  for (int64_t c = 1; c < key_f_conj.size(1); ++c) {
    product.addcmul_(key_f_conj.select(1, c).unsqueeze(1), query_f.select(2, c));
  }
  return torch::fft::irfft(torch::fft::ifft(product.conj(), prow, -2).slice(2, 0, rows), pcol, -1).slice(3, 0, cols);
}

}  // namespace

Greedy GreedyHeads(ClipPortImpl& model, const torch::Tensor& input, const torch::Tensor& lang, TwoLanes* lanes) {
  const int64_t rows = input.size(2), cols = input.size(3);
  Greedy out;
  torch::Tensor pick_best, pick;
  const auto pick_head = [&] {
    out.pick_logits = model.PickLogits(input, lang).to(torch::kFloat);
    pick_best = out.pick_logits.argmax(1);  // [1]
    pick = torch::stack({torch::div(pick_best, cols, "floor"), torch::remainder(pick_best, cols)}, 1)
               .to(torch::kFloat);  // [1, 2] (row, col)
  };
  if (lanes == nullptr) {
    pick_head();
    out.place_logits = model.PlaceLogits(input, pick, lang).to(torch::kFloat);
  } else {
    // The key stream needs no pick: it runs (with its spectrum) beside the pick stream, the query
    // and the queries' spectra; then each lane finishes the correlation for half of the rotations.
    const torch::Tensor padded = model.Pad(input);
    const int64_t prow = padded.size(2), pcol = padded.size(3);
    torch::Tensor key_f_conj, query_f, first, second;
    lanes->Run(
        [&] {
          pick_head();
          query_f = QuerySpectra(model.QueryFeatures(padded, pick, lang), prow, pcol);
        },
        [&] { key_f_conj = KeySpectrumConj(model.KeyFeatures(padded, lang)); });
    const int64_t half = query_f.size(1) / 2;
    lanes->Run([&] { first = CorrelateSpectra(key_f_conj, query_f.slice(1, 0, half), pcol, rows, cols); },
               [&] { second = CorrelateSpectra(key_f_conj, query_f.slice(1, half), pcol, rows, cols); });
    out.place_logits = torch::cat({first, second}, 1);
  }
  out.best = torch::cat({pick_best, out.place_logits.flatten(1).argmax(1)});
  return out;
}

torch::Tensor CrossCorrelate(const torch::Tensor& key, const torch::Tensor& queries, int64_t rows, int64_t cols) {
  const int64_t prow = key.size(2), pcol = key.size(3);
  TF_DEMAND(rows + queries.size(3) - 1 <= prow && cols + queries.size(4) - 1 <= pcol);
  return CorrelateSpectra(KeySpectrumConj(key), QuerySpectra(queries, prow, pcol), pcol, rows, cols);
}

StageClock::StageClock(StageTimes* sink, bool cuda)
    : sink_(sink), cuda_(cuda), last_(std::chrono::steady_clock::now()) {}

void StageClock::Lap(const std::string& name) {
  if (!sink_) return;
  if (cuda_) torch::cuda::synchronize();
  const auto now = std::chrono::steady_clock::now();
  (*sink_)[name] += std::chrono::duration<double, std::milli>(now - last_).count();
  last_ = now;
}

}  // namespace taskforge::policy::net
