#!/usr/bin/python3
"""Golden fixtures for the engine's ops, produced by the ORIGINAL code on Debian's torch (CPU, fp32):
torch.nn.functional, diffusers v0.32.2 (Attention + AttnProcessor, GEGLU, Downsample2D,
get_timestep_embedding) and bytedance/LatentSync (vendored Whisper's Conv1d and sinusoids, the motion
module's PositionalEncoding, nn.GroupNorm on 5-D tensors as its ResNets use it).

Writes tests/data/op_fixtures.safetensors, read by tests/ops/test_torch_ops.c. Tensors are f32 and named
`<case>.<role>`; __metadata__ holds `format` ("ls-op-fixtures"), `format_version`, `generator`, the torch /
diffusers versions and source commits, and `cases`: a JSON object {case: {"op": ..., params...}} that the C
test reads, so every parameter lives in one place.

Attention inputs are not stored (they would take megabytes): q, k and v come from a generator both sides
implement exactly, splitmix64 (tests/harness.h rng_next) from the case's seeds, value = scale * (2u - 1),
u = (z >> 40) / 2^24 (exact in f32 for power-of-two scales). The first row of each is stored as a check.
The long-sequence case stores every `row_step`-th query row of the output only.

Run (environment: tests/reference/README.md):
    REF=/tmp/ref . tests/reference/env.sh && /usr/bin/python3 tests/reference/make_op_fixtures.py
"""
import json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("REFENV_DIR", os.path.join(HERE, "../../../shared/reference")))
import refenv

refenv.setup()
import numpy as np
import torch
import torch.nn.functional as F

import diffusers
from diffusers.models.activations import GEGLU
from diffusers.models.attention_processor import Attention, AttnProcessor
from diffusers.models.downsampling import Downsample2D
from diffusers.models.embeddings import get_timestep_embedding
from latentsync.models.motion_module import PositionalEncoding
from latentsync.whisper.whisper.model import Conv1d as WhisperConv1d, sinusoids

FORMAT = "ls-op-fixtures"
FORMAT_VERSION = 1
SEED = 20250601
OUT = os.path.join(HERE, "..", "data", "op_fixtures.safetensors")

torch.manual_seed(SEED)
tensors, cases = {}, {}


def put(case, role, t):
    tensors[f"{case}.{role}"] = t.detach().to(torch.float32).contiguous().clone()


def randn(*shape, scale=1.0, offset=0.0):
    return torch.randn(*shape) * scale + offset


# --- linear ------------------------------------------------------------------------------------------------
def linear_case(name, xshape, n_out, bias):
    k = xshape[-1]
    x, w = randn(*xshape), randn(n_out, k, scale=k ** -0.5)
    b = randn(n_out) if bias else None
    put(name, "x", x), put(name, "w", w)
    if bias: put(name, "b", b)
    put(name, "out", F.linear(x, w, b))
    cases[name] = {"op": "linear", "bias": bias}


linear_case("linear", (3, 7, 45), 37, True)
linear_case("linear_nobias", (5, 64), 24, False)  # to_q/to_k/to_v have no bias


# --- conv2d / conv1d -----------------------------------------------------------------------------------------
def conv2d_case(name, xshape, co, k, stride, pad, note):
    ci = xshape[1]
    x, w, b = randn(*xshape), randn(co, ci, k, k, scale=(ci * k * k) ** -0.5), randn(co)
    put(name, "x", x), put(name, "w", w), put(name, "b", b)
    put(name, "out", F.conv2d(x, w, b, stride=stride, padding=pad))
    cases[name] = {"op": "conv2d", "stride": stride, "pad": [pad] * 4, "note": note}  # pad: top, bottom, left, right


conv2d_case("conv3x3", (2, 5, 9, 11), 7, 3, 1, 1, "ResNet conv1/conv2, conv_in/out")
conv2d_case("conv3x3_s2", (2, 6, 11, 9), 8, 3, 2, 1, "UNet Downsample2D (padding 1)")
conv2d_case("conv1x1", (2, 10, 7, 5), 6, 1, 1, 0, "conv_shortcut, proj_in/out")

# SD VAE encoder downsampler: diffusers Downsample2D(padding=0) pads (0, 1, 0, 1) then convolves, stride 2
down = Downsample2D(8, use_conv=True, out_channels=9, padding=0, name="op").eval()
x = randn(2, 8, 13, 10)
with torch.no_grad():
    put("conv_vae_down", "x", x), put("conv_vae_down", "w", down.conv.weight), put("conv_vae_down", "b", down.conv.bias)
    put("conv_vae_down", "out", down(x))
    assert torch.equal(down(x), F.conv2d(F.pad(x, (0, 1, 0, 1)), down.conv.weight, down.conv.bias, stride=2))
cases["conv_vae_down"] = {"op": "conv2d", "stride": 2, "pad": [0, 1, 0, 1],
                          "note": "diffusers Downsample2D(padding=0): F.pad (0,1,0,1) then conv stride 2 pad 0"}


def conv1d_case(name, ci, length, co, stride, note):
    conv = WhisperConv1d(ci, co, kernel_size=3, stride=stride, padding=1)
    x = randn(1, ci, length)
    with torch.no_grad():
        put(name, "x", x), put(name, "w", conv.weight), put(name, "b", conv.bias), put(name, "out", conv(x))
    cases[name] = {"op": "conv1d", "stride": stride, "pad": 1, "note": note}


conv1d_case("conv1d_whisper1", 80, 31, 32, 1, "Whisper AudioEncoder.conv1: n_mels -> n_state, k3 s1 p1")
conv1d_case("conv1d_whisper2", 32, 31, 32, 2, "Whisper AudioEncoder.conv2: n_state -> n_state, k3 s2 p1")


# --- normalisation ---------------------------------------------------------------------------------------------
def group_norm_case(name, xshape, groups, eps, note):
    c = xshape[1]
    norm = torch.nn.GroupNorm(groups, c, eps=eps, affine=True)
    with torch.no_grad():
        norm.weight.copy_(randn(c, scale=0.5, offset=1.0)), norm.bias.copy_(randn(c, scale=0.5))
        x = randn(*xshape, scale=2.0, offset=1.5)  # a mean offset, as real activations have
        out = norm(x)
        put(name, "x", x), put(name, "gamma", norm.weight), put(name, "beta", norm.bias)
        put(name, "out", out), put(name, "out_silu", F.silu(out))
    cases[name] = {"op": "group_norm", "groups": groups, "eps": eps, "note": note}


# 4-D: per image (transformer / motion-module GroupNorm, VAE); 5-D (B, C, F, H, W): LatentSync ResNets call a
# plain nn.GroupNorm on the video tensor, so statistics span all F frames of a batch element.
group_norm_case("gn4d_eps1e-5", (3, 64, 5, 3), 32, 1e-5, "per image")
group_norm_case("gn4d_eps1e-6", (3, 64, 5, 3), 32, 1e-6, "per image (transformer, motion module, VAE eps)")
group_norm_case("gn5d_eps1e-5", (2, 64, 3, 3, 4), 32, 1e-5, "(B, C, F, H, W): across frames (ResNet norm1/norm2)")
group_norm_case("gn5d_eps1e-6", (2, 64, 3, 3, 4), 32, 1e-6, "(B, C, F, H, W): across frames")

ln = torch.nn.LayerNorm(96, eps=1e-5)
with torch.no_grad():
    ln.weight.copy_(randn(96, scale=0.5, offset=1.0)), ln.bias.copy_(randn(96, scale=0.5))
    x = randn(3, 11, 96, scale=2.0, offset=-0.7)
    put("layer_norm", "x", x), put("layer_norm", "gamma", ln.weight), put("layer_norm", "beta", ln.bias)
    put("layer_norm", "out", ln(x))
cases["layer_norm"] = {"op": "layer_norm", "eps": 1e-5, "note": "nn.LayerNorm (BasicTransformerBlock, Whisper)"}

x = randn(4, 7, 53, scale=4.0)
put("softmax", "x", x), put("softmax", "out", torch.softmax(x, dim=-1))
cases["softmax"] = {"op": "softmax", "note": "torch.softmax over the last dim"}


# --- attention -------------------------------------------------------------------------------------------------
def splitmix_uniform(seed, n, scale):
    """scale * (2u - 1), u from splitmix64 as tests/harness.h rng_uniform: bit-exact in f32."""
    m = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9) & m
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB) & m
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / 16777216.0
    v = (scale * (2.0 * u - 1.0)).astype(np.float32)
    assert np.array_equal(v.astype(np.float64), scale * (2.0 * u - 1.0))
    return torch.from_numpy(v)


def attention_case(name, b, tq, tk, heads, dim_head, note, row_step=1, cross=True):
    c = heads * dim_head
    seeds, scales = [1000 + len(cases) * 3 + i for i in range(3)], [4.0, 1.0, 1.0]  # q scale 4: peaky softmax
    q = splitmix_uniform(seeds[0], b * tq * c, scales[0]).reshape(b, tq, c)
    k = splitmix_uniform(seeds[1], b * tk * c, scales[1]).reshape(b, tk, c)
    v = splitmix_uniform(seeds[2], b * tk * c, scales[2]).reshape(b, tk, c)
    # diffusers Attention with the plain AttnProcessor; the projections' outputs are replaced by q, k, v
    # (forward hooks), and the input of to_out[0] is the attention result we store.
    attn = Attention(query_dim=c, cross_attention_dim=c if cross else None, heads=heads, dim_head=dim_head,
                     processor=AttnProcessor()).eval()
    got = {}
    attn.to_q.register_forward_hook(lambda m, i, o: q)
    attn.to_k.register_forward_hook(lambda m, i, o: k)
    attn.to_v.register_forward_hook(lambda m, i, o: v)
    attn.to_out[0].register_forward_pre_hook(lambda m, i: got.__setitem__("out", i[0]))
    with torch.no_grad():
        attn(torch.zeros(b, tq, c), encoder_hidden_states=torch.zeros(b, tk, c) if cross else None)
        # sanity: torch math, heads split as LatentSync's own Attention does
        sp = lambda t: t.reshape(b, -1, heads, dim_head).permute(0, 2, 1, 3)
        ref = (torch.softmax(sp(q) @ sp(k).transpose(-1, -2) * dim_head ** -0.5, -1) @ sp(v))
        ref = ref.permute(0, 2, 1, 3).reshape(b, tq, c)
        assert (got["out"] - ref).abs().max() < 1e-5, (got["out"] - ref).abs().max()
    out = got["out"]
    put(name, "q0", q[0, 0]), put(name, "k0", k[0, 0]), put(name, "v0", v[0, 0])
    put(name, "out", out[:, ::row_step] if row_step > 1 else out)
    cases[name] = {"op": "attention", "batch": b, "tq": tq, "tk": tk, "heads": heads, "dim_head": dim_head,
                   "scale": attn.scale, "seeds": seeds, "scales": scales, "row_step": row_step, "note": note}


attention_case("attn_self_d40", 1, 45, 45, 8, 40, "spatial self-attention, level 1 (320 channels)", cross=False)
attention_case("attn_cross_d40", 2, 13, 50, 8, 40, "audio cross-attention, level 1: 50 audio tokens")
attention_case("attn_self_d80", 1, 25, 25, 8, 80, "spatial self-attention, level 2 (640 channels)", cross=False)
attention_case("attn_cross_d80", 1, 21, 50, 8, 80, "audio cross-attention, level 2")
attention_case("attn_temporal", 2, 16, 16, 8, 40, "motion module: 16 frames per spatial position", cross=False)
attention_case("attn_long_d40", 1, 1024, 1024, 8, 40, "32x32 latent self-attention (256 px crop); output rows sampled",
               row_step=32, cross=False)


# --- GEGLU, activations, upsampling -------------------------------------------------------------------------------
geglu = GEGLU(40, 56).eval()
with torch.no_grad():
    geglu.proj.weight.copy_(randn(112, 40, scale=40 ** -0.5 * 2)), geglu.proj.bias.copy_(randn(112, scale=0.5))
    proj = {}
    geglu.proj.register_forward_hook(lambda m, i, o: proj.__setitem__("out", o))
    x = randn(2, 9, 40)
    out = geglu(x)
    put("geglu", "x", x), put("geglu", "w", geglu.proj.weight), put("geglu", "b", geglu.proj.bias)
    put("geglu", "proj", proj["out"]), put("geglu", "out", out)
cases["geglu"] = {"op": "geglu", "note": "diffusers GEGLU(40, 56): proj = linear(x, w, b); out = proj[..., :56] * gelu(proj[..., 56:])"}

x = torch.cat([randn(5, 37, scale=3.0).flatten(), torch.tensor([0.0, -0.0, 1e-4, -1e-4, 12.0, -12.0, 30.0, -30.0])])
for name, fn in (("gelu", F.gelu), ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh")), ("silu", F.silu)):
    put(name, "x", x), put(name, "out", fn(x))
    cases[name] = {"op": name, "note": {"gelu": "erf form", "gelu_tanh": "approximate='tanh'", "silu": ""}[name]}

x = randn(2, 3, 5, 7)
put("upsample", "x", x), put("upsample", "out", F.interpolate(x, scale_factor=2.0, mode="nearest"))
cases["upsample"] = {"op": "upsample2x", "note": "F.interpolate(scale_factor=2, nearest) (diffusers Upsample2D)"}
x = randn(1, 3, 2, 5, 7)
put("upsample5d", "x", x), put("upsample5d", "out", F.interpolate(x, scale_factor=[1.0, 2.0, 2.0], mode="nearest"))
cases["upsample5d"] = {"op": "upsample2x", "note": "LatentSync Upsample3D: (B, C, F, H, W), scale (1, 2, 2)"}


# --- sinusoidal tables -------------------------------------------------------------------------------------------
t = torch.tensor([951, 501, 1, 0, 999])
put("temb", "t", t), put("temb", "out", get_timestep_embedding(t, 320, flip_sin_to_cos=True, downscale_freq_shift=0))
cases["temb"] = {"op": "timestep_embedding", "flip_sin_to_cos": True, "freq_shift": 0, "max_period": 10000,
                 "note": "diffusers get_timestep_embedding as the UNet's time_proj (Timesteps(320, True, 0))"}

table = sinusoids(1500, 384)
rows = list(range(0, 1500, 100)) + [1499]
put("whisper_pos", "out", table[rows])
cases["whisper_pos"] = {"op": "sinusoids", "length": 1500, "channels": 384, "rows": rows,
                        "note": "Whisper sinusoids(1500, 384): [sin | cos], log-timescale step ln(1e4)/(C/2 - 1)"}

pe = PositionalEncoding(320, max_len=24).pe[0]
put("temporal_pos", "out", pe)
cases["temporal_pos"] = {"op": "positional_encoding", "max_len": 24, "d_model": 320,
                         "note": "LatentSync motion_module PositionalEncoding: sin at even, cos at odd channels"}


# --- write ---------------------------------------------------------------------------------------------------------
def commit_of(var):
    p = os.path.join(os.environ.get(var, ""), ".ref_commit")
    return open(p).read().strip() if os.path.exists(p) else "unknown"


meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "generator": "tests/reference/make_op_fixtures.py",
        "torch": torch.__version__, "diffusers": diffusers.__version__, "seed": SEED,
        "latentsync_commit": commit_of("LATENTSYNC_SRC"), "diffusers_commit": commit_of("DIFFUSERS_SRC"),
        "cases": json.dumps(cases, sort_keys=True)}
for name in tensors:
    assert name.split(".")[0] in cases, name
refenv.write_safetensors(OUT, tensors, meta)
n_bytes = os.path.getsize(OUT)
print(f"{OUT}: {len(cases)} cases, {len(tensors)} tensors, {n_bytes} bytes")
assert n_bytes < 1_000_000
