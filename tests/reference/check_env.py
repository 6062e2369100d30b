"""check_env.py — smoke test of the reference environment: imports the ORIGINAL LatentSync UNet (from
configs/unet/stage2.yaml, shrunk), diffusers 0.32.2's AutoencoderKL and LatentSync's vendored Whisper, each
with tiny random-weight configs, and runs one forward on the CPU. Prints shapes and versions.

Run (see tests/reference/README.md):  REF=/tmp/ref . tests/reference/env.sh && /usr/bin/python3 tests/reference/check_env.py
"""
import os, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("REFENV_DIR", os.path.join(HERE, "../../../shared/reference")))
import refenv

refenv.setup()
import torch
from omegaconf import OmegaConf

torch.manual_seed(0)
print("torch", torch.__version__)
import diffusers
print("diffusers", diffusers.__version__, os.path.dirname(diffusers.__file__))

# --- LatentSync UNet3DConditionModel, stage2 config shrunk ------------------------------------------------
from latentsync.models.unet import UNet3DConditionModel

cfg = OmegaConf.to_container(OmegaConf.load(os.path.join(os.environ["LATENTSYNC_SRC"], "configs/unet/stage2.yaml")).model)
cfg.update(block_out_channels=[32, 64, 64, 64], norm_num_groups=8, cross_attention_dim=16, layers_per_block=1)
cfg["motion_module_kwargs"]["num_attention_heads"] = 2
unet = UNet3DConditionModel(**cfg).eval()
with torch.no_grad():  # conv_in, conv_out and the motion modules' proj_out are zero-initialised: randomise all
    for p in unet.parameters():
        p.normal_(0.0, 0.02 if p.dim() > 1 else 0.1)
n_params = sum(p.numel() for p in unet.parameters())
b, f, h, w = 1, 2, 16, 16
x = torch.randn(b, cfg["in_channels"], f, h, w)
audio = torch.randn(b * f, 5, cfg["cross_attention_dim"])
t0 = time.time()
with torch.no_grad():
    out = unet(x, torch.tensor(501), encoder_hidden_states=audio).sample
print(f"unet: {n_params} params, in {tuple(x.shape)} -> out {tuple(out.shape)}, |out| mean {out.abs().mean():.4g}, "
      f"{time.time() - t0:.2f} s")
assert out.shape == (b, cfg["out_channels"], f, h, w) and torch.isfinite(out).all()

# --- diffusers AutoencoderKL, tiny -------------------------------------------------------------------------
from diffusers import AutoencoderKL

vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
                    up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(16, 32), layers_per_block=1,
                    latent_channels=4, norm_num_groups=8).eval()
img = torch.randn(1, 3, 16, 16)
with torch.no_grad():
    lat = vae.encode(img).latent_dist.mean
    rec = vae.decode(lat).sample
print(f"vae: {sum(p.numel() for p in vae.parameters())} params, {tuple(img.shape)} -> {tuple(lat.shape)} -> {tuple(rec.shape)}")
assert rec.shape == img.shape and torch.isfinite(rec).all()

# --- LatentSync's vendored Whisper, tiny dims --------------------------------------------------------------
from latentsync.whisper.whisper.model import Whisper, ModelDimensions

dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2, n_audio_layer=2,
                       n_vocab=100, n_text_ctx=8, n_text_state=64, n_text_head=2, n_text_layer=1)
wh = Whisper(dims).eval()
mel = torch.randn(1, 80, 3000)
with torch.no_grad():
    enc = wh.encoder(mel, include_embeddings=True)
enc_out = enc[0] if isinstance(enc, tuple) else enc
print(f"whisper encoder: mel {tuple(mel.shape)} -> {tuple(enc_out.shape)}"
      + (f", {enc[1].shape[1]} embedding layers" if isinstance(enc, tuple) else ""))
assert enc_out.shape == (1, 1500, 64) and torch.isfinite(enc_out).all()
print("reference environment ok")
