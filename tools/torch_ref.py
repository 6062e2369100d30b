#!/usr/bin/python3
"""The original PyTorch code on the shapes `latentsync bench` uses, for same-run comparisons.

    tools/torch_ref.py unet --frames 16 --latent 32 --batch 2 [--device cpu|cuda] [--dtype f32|f16] [--threads N]
    tools/torch_ref.py vae-encode|vae-decode --size 256 --batch 1 [...]
    tools/torch_ref.py whisper [...]

Builds bytedance/LatentSync's UNet3DConditionModel from configs/unet/stage2.yaml with random weights
(diffusers 0.32.2; the sources are located through LATENTSYNC_SRC / DIFFUSERS_SRC / HFHUB_SRC /
EINOPS_SRC as in tests/reference/env.sh), runs one warm-up and one timed evaluation with
classifier-free-guidance batch 2 (zero audio in the first half), and prints a JSON line
{"seconds": ..., "peak_rss_mib": ..., "peak_vram_mib": ...} last. Never part of the engine: tooling only.
"""
import argparse, json, os, resource, sys, time

here = os.path.dirname(os.path.abspath(__file__))
for p in (os.path.join(here, "..", "..", "shared", "reference"), "/work/shared/reference"):
    if os.path.isdir(p):
        sys.path.insert(0, p)
import refenv  # noqa: E402

# Default source locations: $REF (as tests/reference/env.sh sets them), else the first export found.
_ref = os.environ.get("REF") or next((p for p in ("/tmp/ref-lead", "/tmp/ref") if os.path.isdir(p)), "/tmp/ref")
for _var, _sub in (("LATENTSYNC_SRC", "LatentSync"), ("DIFFUSERS_SRC", "diffusers"), ("HFHUB_SRC", "hfhub"),
                   ("EINOPS_SRC", "einops")):
    os.environ.setdefault(_var, os.path.join(_ref, _sub))
refenv.setup()
import torch  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["unet", "vae-encode", "vae-decode", "whisper"])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--latent", type=int, default=32)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="f32", choices=["f32", "f16"])
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    device = "cuda" if a.device.startswith("cuda") else "cpu"
    dtype = torch.float16 if a.dtype == "f16" else torch.float32
    if a.what != "unet":
        return other(a, device, dtype)
    from latentsync.models.unet import UNet3DConditionModel
    cfg = OmegaConf.to_container(OmegaConf.load(os.path.join(os.environ["LATENTSYNC_SRC"], "configs/unet/stage2.yaml")).model)
    with torch.no_grad():
        unet = UNet3DConditionModel(**cfg).to(device=device, dtype=dtype).eval()
        b, f, s = a.batch, a.frames, a.latent
        sample = torch.randn(b, 13, f, s, s, device=device, dtype=dtype)
        audio = torch.randn(b * f, 50, cfg["cross_attention_dim"], device=device, dtype=dtype)
        if b > 1:
            audio[: f] = 0
        t = torch.tensor(951, device=device)
        unet(sample, t, encoder_hidden_states=audio)  # warm-up (oneDNN primitives, cuDNN plans, allocator)
        if device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.time()
        unet(sample, t, encoder_hidden_states=audio)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.time() - t0
    vram = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else 0
    print(json.dumps({"seconds": seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "peak_vram_mib": vram, "torch": torch.__version__, "threads": torch.get_num_threads()}))


def other(a, device, dtype):
    """diffusers' AutoencoderKL (sd-vae-ft-mse config) or LatentSync's Whisper encoder (tiny dims)."""
    with torch.no_grad():
        if a.what.startswith("vae"):
            from diffusers import AutoencoderKL
            vae = AutoencoderKL(block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
                                up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2, latent_channels=4,
                                sample_size=a.size).to(device=device, dtype=dtype).eval()
            if a.what == "vae-encode":
                x = torch.randn(a.batch, 3, a.size, a.size, device=device, dtype=dtype)
                run = lambda: vae.quant_conv(vae.encoder(x))
            else:
                z = torch.randn(a.batch, 4, a.size // 8, a.size // 8, device=device, dtype=dtype)
                run = lambda: vae.decode(z).sample
        else:
            from latentsync.whisper.whisper.model import AudioEncoder
            enc = AudioEncoder(80, 1500, 384, 6, 4).to(device=device, dtype=dtype).eval()
            mel = torch.randn(1, 80, 3000, device=device, dtype=dtype)
            run = lambda: enc(mel, include_embeddings=True)
        run()  # warm-up
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.time()
        run()
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.time() - t0
    print(json.dumps({"seconds": seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
