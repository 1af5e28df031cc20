#!/usr/bin/env python3
"""PyTorch reference of taskforge's CLIPort-style policy (policy/src/network.cc), for GPU hosts.

Same layers, sizes, normalisation, rotated crops, FFT correlation, losses and optimiser as the
C++ network, so `taskforge bench policy` and this script can be compared in one run:

    python3 policy/reference/cliport_reference.py --device cuda --batch 8 --steps 20
    ./build/taskforge bench policy --device cuda --batch 8 --steps 20

It trains on the same kind of synthetic scenes (random boxes, random pick/place labels) and prints
the parameter count (it must equal the C++ one), training steps/s and pick+place latency.
Options mirror PolicyConfig's defaults. Needs only torch.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

COLOR_MEAN, COLOR_STD = 0.18877631, 0.07276466
DEPTH_MEAN, DEPTH_STD = 0.00509261, 0.00903967
STAGES = 4
LANGUAGE_LEVELS = 3


def conv(cin, cout, kernel, stride=1, bias=True):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=bias)


def normalize(raw):
    color = (raw[:, 0:3] / 255.0 - COLOR_MEAN) / COLOR_STD
    height = (raw[:, 3:6] - DEPTH_MEAN) / DEPTH_STD
    return torch.cat([color, height], 1)


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.reduce = conv(cin, cout, 1, bias=False)
        self.spatial = conv(cout, cout, 3, stride, bias=False)
        self.expand = conv(cout, cout, 1, bias=False)
        self.shortcut = conv(cin, cout, 1, stride, bias=False) if (stride != 1 or cin != cout) else None

    def forward(self, x):
        y = F.relu(self.reduce(x))
        y = F.relu(self.spatial(y))
        y = self.expand(y)
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


class Stream(nn.Module):
    def __init__(self, cin, width, cout, lang_dim=0, laterals=False):
        super().__init__()
        w = lambda s: width << s
        self.lang_dim, self.laterals = lang_dim, laterals
        self.stem = conv(cin, w(0), 3)
        self.down = nn.ModuleList(
            nn.Sequential(ResidualBlock(w(s - 1), w(s), 2), ResidualBlock(w(s), w(s), 1)) for s in range(1, STAGES + 1))
        self.up = nn.ModuleList(ResidualBlock(w(s + 1) + w(s), w(s), 1) for s in range(STAGES - 1, -1, -1))
        if lang_dim > 0:
            self.lang_fc = nn.ModuleList(nn.Linear(lang_dim, w(STAGES - l)) for l in range(LANGUAGE_LEVELS))
        if laterals:
            self.lateral = nn.ModuleList(conv(2 * w(s), w(s), 1) for s in range(STAGES - 1, -1, -1))
        self.head = conv(w(0), cout, 1)

    def fuse_language(self, y, lang, level):
        if self.lang_dim <= 0 or level >= LANGUAGE_LEVELS:
            return y
        return y * self.lang_fc[level](lang)[:, :, None, None]

    def forward(self, x, lang=None, laterals=None):
        skips = [F.relu(self.stem(x))]
        for stage in self.down:
            skips.append(stage(skips[-1]))
        y = self.fuse_language(skips[-1], lang, 0)
        decoder = []
        for level in range(STAGES):
            skip = skips[STAGES - 1 - level]
            y = F.interpolate(y, size=skip.shape[2:], mode="bilinear", align_corners=False)
            y = self.up[level](torch.cat([y, skip], 1))
            if self.laterals:
                y = self.lateral[level](F.relu(torch.cat([y, laterals[level]], 1)))
            y = self.fuse_language(y, lang, level + 1)
            decoder.append(y)
        return self.head(y), decoder


class TwoStream(nn.Module):
    def __init__(self, width, cout, lang_dim, conv_fusion):
        super().__init__()
        self.spatial = Stream(6, width, cout)
        self.semantic = Stream(3, width, cout, lang_dim, True)
        self.fuse = conv(2 * cout, cout, 1) if conv_fusion else None

    def forward(self, image, lang):
        s, lat = self.spatial(image)
        m, _ = self.semantic(image[:, 0:3], lang, lat)
        return self.fuse(F.relu(torch.cat([s, m], 1))) if self.fuse is not None else s + m


def fnv1a(word):
    h = 1469598103934665603
    for c in word.encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def tokenize(text, buckets, max_tokens):
    """policy/src/tokenizer.cc: start token 1, words (alnum runs, lower-cased) hashed, pad 0."""
    ids, word = [1], ""
    for ch in text + " ":
        if ch.isascii() and ch.isalnum():
            word += ch.lower()
        else:
            if word and len(ids) < max_tokens:
                ids.append(2 + fnv1a(word) % (buckets - 2))
            word = ""
    return ids + [0] * (max_tokens - len(ids))


class LanguageEncoder(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.tokens = nn.Embedding(args.vocab_buckets, args.lang_dim)
        self.positions = nn.Parameter(torch.randn(args.max_tokens, args.lang_dim) * 0.02)
        self.encoder = nn.TransformerEncoderLayer(args.lang_dim, args.lang_heads, 4 * args.lang_dim, dropout=0.0)
        self.project = nn.Linear(args.lang_dim, args.lang_dim)

    def forward(self, texts):
        device = self.project.weight.device
        ids = torch.tensor([tokenize(t, self.args.vocab_buckets, self.args.max_tokens) for t in texts], device=device)
        padding = ids.eq(0)
        x = self.tokens(ids) + self.positions[None]
        x = self.encoder(x.transpose(0, 1), src_key_padding_mask=padding).transpose(0, 1)
        keep = (~padding).unsqueeze(-1).to(x.dtype)
        return self.project((x * keep).sum(1) / keep.sum(1))


class ClipPort(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.language = LanguageEncoder(args)
        self.attention = TwoStream(args.width, 1, args.lang_dim, False)
        self.key = TwoStream(args.width, args.transport_channels, args.lang_dim, True)
        self.query = TwoStream(args.width, args.transport_channels, args.lang_dim, True)

    def pick_logits(self, image, lang):
        return self.attention(normalize(image), lang).flatten(1).float()

    def place_logits(self, image, pick, lang):
        b, _, rows, cols = image.shape
        crop, k = self.args.crop, self.args.rotations
        half = crop // 2
        padded = F.pad(image, (half, half, half, half))
        prow, pcol = rows + crop, cols + crop
        offsets = torch.arange(crop, device=image.device, dtype=torch.float) - half
        dy = offsets.view(crop, 1).expand(crop, crop)
        dx = offsets.view(1, crop).expand(crop, crop)
        phi = torch.arange(k, device=image.device, dtype=torch.float) * (2 * math.pi / k)
        c, s = phi.cos().view(k, 1, 1), phi.sin().view(k, 1, 1)
        rot_x, rot_y = c * dx - s * dy, s * dx + c * dy
        cx = (pick[:, 1] + half).view(b, 1, 1, 1)
        cy = (pick[:, 0] + half).view(b, 1, 1, 1)
        gx = (2 * (cx + rot_x[None]) + 1) / pcol - 1
        gy = (2 * (cy + rot_y[None]) + 1) / prow - 1
        grid = torch.stack([gx, gy], -1).view(b, k * crop, crop, 2)
        crops = F.grid_sample(padded.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        crops = crops.view(b, 6, k, crop, crop).permute(0, 2, 1, 3, 4).reshape(b * k, 6, crop, crop)
        key = self.key(normalize(padded), lang).float()
        query = self.query(normalize(crops), lang.repeat_interleave(k, 0)).float().view(b, k, -1, crop, crop)
        key_f = torch.fft.rfft2(key, s=(prow, pcol))
        query_f = torch.fft.rfft2(query, s=(prow, pcol))
        corr = torch.fft.irfft2((key_f.unsqueeze(1) * query_f.conj()).sum(2), s=(prow, pcol))
        return corr[:, :, :rows, :cols]


def synthetic_batch(args, gen):
    """Random boxes on a grey table, labels on two of them (as MakeSyntheticSample, not bit-equal)."""
    rows, cols, b = args.rows, args.cols, args.batch
    image = torch.zeros(b, 6, rows, cols)
    image[:, 0:3] = 50
    picks, places = [], []
    for i in range(b):
        centres = []
        for _ in range(6):
            r = int(torch.randint(8, rows - 8, (1,), generator=gen))
            c = int(torch.randint(8, cols - 8, (1,), generator=gen))
            image[i, 0:3, r - 6:r + 7, c - 6:c + 7] = torch.randint(0, 256, (3, 1, 1), generator=gen).float()
            image[i, 3:6, r - 6:r + 7, c - 6:c + 7] = 0.02 + 0.06 * torch.rand(1, generator=gen)
            centres.append((r, c))
        picks.append(centres[0])
        places.append(centres[1])
    texts = ["put the red block in the green bowl", "pack the yellow box",
             "stack the blue block on the middle of the base"]
    instructions = [texts[i % 3] for i in range(b)]
    rot = torch.randint(0, args.rotations, (b,), generator=gen)
    pick = torch.tensor(picks, dtype=torch.float)
    pick_index = torch.tensor([r * cols + c for r, c in picks])
    place_index = torch.tensor([(int(k) * rows + r) * cols + c for k, (r, c) in zip(rot, places)])
    return image, pick, instructions, pick_index, place_index


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--rows", type=int, default=320)
    p.add_argument("--cols", type=int, default=160)
    p.add_argument("--rotations", type=int, default=36)
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--transport-channels", type=int, default=3)
    p.add_argument("--lang-dim", type=int, default=256)
    p.add_argument("--lang-heads", type=int, default=4)
    p.add_argument("--vocab-buckets", type=int, default=4096)
    p.add_argument("--max-tokens", type=int, default=24)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--fp32", action="store_true", help="CUDA: no bf16 autocast")
    p.add_argument("--no-channels-last", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    device = torch.device(args.device)
    torch.manual_seed(0)
    model = ClipPort(args).to(device)
    cuda = device.type == "cuda"
    if cuda and not args.no_channels_last:
        model = model.to(memory_format=torch.channels_last)
    autocast = cuda and not args.fp32
    params = sum(t.numel() for t in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    image, pick, texts, pick_index, place_index = synthetic_batch(args, torch.Generator().manual_seed(0))

    def step():
        # As the C++ trainer: host batch -> device every step, one Adam step on pick + place CE.
        x = image.to(device)
        if cuda and not args.no_channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            lang = model.language(texts)
            pl = model.pick_logits(x, lang)
            ql = model.place_logits(x, pick.to(device), lang).flatten(1)
        loss = F.cross_entropy(pl, pick_index.to(device)) + F.cross_entropy(ql, place_index.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    @torch.no_grad()
    def act():
        model.eval()
        x = image[:1].to(device)
        if cuda and not args.no_channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            lang = model.language(texts[:1])
            best = int(model.pick_logits(x, lang).argmax(1))
            p0 = torch.tensor([[best // args.cols, best % args.cols]], dtype=torch.float, device=device)
            place = model.place_logits(x, p0, lang).flatten()
        result = int(place.argmax())
        model.train()
        return result

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    losses = [step() for _ in range(args.steps)]
    steps_per_s = args.steps / (time.perf_counter() - start)
    for _ in range(args.warmup):
        act()
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        act()
        times.append(1e3 * (time.perf_counter() - t))
    times.sort()
    result = {"implementation": "pytorch-reference", "torch": torch.__version__, "device": str(device),
              "bf16": autocast, "parameters": params, "width": args.width, "batch": args.batch,
              "train_steps": args.steps, "train_steps_per_s": steps_per_s,
              "train_samples_per_s": steps_per_s * args.batch, "act_median_ms": statistics.median(times),
              "act_p90_ms": times[min(len(times) - 1, int(0.9 * len(times)))],
              "first_loss": losses[0], "last_loss": losses[-1]}
    if not args.json:
        print(f"reference on {device} (torch {torch.__version__}), {params} parameters (width {args.width})")
        print(f"  training: {steps_per_s:.2f} steps/s at batch {args.batch}, loss {losses[0]:.2f} -> {losses[-1]:.2f}")
        print(f"  pick+place: median {result['act_median_ms']:.2f} ms, p90 {result['act_p90_ms']:.2f} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
