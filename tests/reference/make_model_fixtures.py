#!/usr/bin/python3
"""Golden fixtures for the model tests, produced by the ORIGINAL code (bytedance/LatentSync HEAD,
huggingface/diffusers v0.32.2, horseee/DeepCache) on Debian's torch, CPU fp32.

Writes into tests/data/models/ (see tests/reference/README.md for the environment):
  whisper/tiny_random.pt        openai-whisper checkpoint format, tiny-like dims (2 heads, 2 layers, 50 positions), f16 weights
  whisper_io.safetensors        mel (1, 80, 100) -> features (1, 50, 3, 128) (block input + each block's output)
  vae/config.json + vae/diffusion_pytorch_model.safetensors   diffusers layout, 4 levels of 32 channels, LEGACY
                                attention names, f16 weights (query/key/value/proj_attn)
  vae_io.safetensors            images (2, 3, 32, 32) -> moments (2, 8, 4, 4); latents (2, 4, 4, 4) -> decoded (2, 3, 32, 32)
  unet/latentsync_unet.pt       LatentSync checkpoint format {"state_dict", "global_step"}, stage2 layout with 32
                                channels everywhere, cross_attention_dim 24, f16 weights
  unet_io.safetensors           one evaluation: sample (2, 13, 3, 16, 16), t 951, audio (6, 50, 24) with the
                                first 3 rows zero (CFG) -> out (2, 4, 3, 16, 16)
  denoise_io.safetensors        3 DDIM steps, guidance 1.5, with and without DeepCache (interval 3)

Every weight is random (the original zero-initialises conv_out and the motion modules' proj_out: a fixture
with those at zero would not test them). Run:  . tests/reference/env.sh && /usr/bin/python3 tests/reference/make_model_fixtures.py
"""
import json, os, sys, types
sys.path.insert(0, "/work/shared/reference") if os.path.isdir("/work/shared/reference") else None
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../shared/reference"))
import refenv
refenv.setup()
import numpy as np
import torch
from omegaconf import OmegaConf

FORMAT_VERSION = "1"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "models")
LATENTSYNC = os.environ["LATENTSYNC_SRC"]
META = {"generator": "tests/reference/make_model_fixtures.py", "format_version": FORMAT_VERSION,
        "torch": torch.__version__}


def randomise(module, seed):
    """Every parameter random (fan-in scaled matrices, norms near 1); buffers (positional tables) kept."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() == 1:
                base = 1.0 if name.endswith("weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)


def round_to_f16(module):
    """Parameters and buffers (positional tables) as the f16 checkpoint will hold them."""
    with torch.no_grad():
        for p in list(module.parameters()) + list(module.buffers()):
            if p.is_floating_point():
                p.copy_(p.half().float())


def whisper_fixture():
    from latentsync.whisper.whisper.model import Whisper, ModelDimensions
    dims = ModelDimensions(n_mels=80, n_audio_ctx=50, n_audio_state=128, n_audio_head=2, n_audio_layer=2,
                           n_vocab=16, n_text_ctx=4, n_text_state=128, n_text_head=2, n_text_layer=1)
    model = Whisper(dims)
    randomise(model, 1)
    round_to_f16(model)  # the published tiny.pt holds f16 tensors
    model.eval()
    os.makedirs(os.path.join(OUT, "whisper"), exist_ok=True)
    sd = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    torch.save({"dims": dims.__dict__, "model_state_dict": sd}, os.path.join(OUT, "whisper", "tiny_random.pt"))
    g = torch.Generator().manual_seed(2)
    mel = (torch.rand(1, 80, 100, generator=g) * 2 - 1) * 1.5
    with torch.no_grad():
        _, emb = model.encoder(mel, include_embeddings=True)  # (1, 3, 50, 128) numpy
    feats = torch.from_numpy(emb).permute(0, 2, 1, 3).contiguous()
    refenv.write_safetensors(os.path.join(OUT, "whisper_io.safetensors"), {"mel": mel, "features": feats},
                             dict(META, model="whisper", dims=json.dumps(dims.__dict__)))


LEGACY = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}


def vae_fixture():
    from diffusers import AutoencoderKL
    cfg = dict(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, norm_num_groups=32,
               block_out_channels=(32, 32, 32, 32), down_block_types=("DownEncoderBlock2D",) * 4,
               up_block_types=("UpDecoderBlock2D",) * 4, sample_size=32)
    vae = AutoencoderKL(**cfg)
    randomise(vae, 3)
    round_to_f16(vae)  # stored as f16, like the fp16 variant files of diffusers repos
    vae.eval()
    d = os.path.join(OUT, "vae")
    os.makedirs(d, exist_ok=True)
    sd = {}
    for k, v in vae.state_dict().items():
        if ".attentions.0." in k:
            for new, old in LEGACY.items():
                k = k.replace(".attentions.0." + new + ".", ".attentions.0." + old + ".")
        sd[k] = v.half()
    refenv.write_safetensors(os.path.join(d, "diffusion_pytorch_model.safetensors"), sd)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(dict(cfg, _class_name="AutoencoderKL", scaling_factor=0.18215,
                       down_block_types=list(cfg["down_block_types"]), up_block_types=list(cfg["up_block_types"]),
                       block_out_channels=list(cfg["block_out_channels"])), f, indent=1)
    g = torch.Generator().manual_seed(4)
    images = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    latents = torch.randn(2, 4, 4, 4, generator=g)
    with torch.no_grad():
        moments = vae.quant_conv(vae.encoder(images))
        decoded = vae.decode(latents).sample
    refenv.write_safetensors(os.path.join(OUT, "vae_io.safetensors"),
                             {"images": images, "moments": moments, "latents": latents, "decoded": decoded},
                             dict(META, model="vae"))


def unet_model():
    from latentsync.models.unet import UNet3DConditionModel
    cfg = OmegaConf.to_container(OmegaConf.load(os.path.join(LATENTSYNC, "configs/unet/stage2.yaml")).model)
    cfg.update(block_out_channels=[32, 32, 32, 32], cross_attention_dim=24)
    unet = UNet3DConditionModel(**cfg)
    randomise(unet, 5)
    round_to_f16(unet)
    unet.eval()
    return unet, cfg


def unet_fixture(unet):
    d = os.path.join(OUT, "unet")
    os.makedirs(d, exist_ok=True)
    sd = {k: v.half() for k, v in unet.state_dict().items()}
    torch.save({"state_dict": sd, "global_step": 123}, os.path.join(d, "latentsync_unet.pt"))
    g = torch.Generator().manual_seed(6)
    sample = torch.randn(2, 13, 3, 16, 16, generator=g)
    audio = torch.randn(6, 50, 24, generator=g)
    audio[:3] = 0  # the unconditional half of classifier-free guidance
    with torch.no_grad():
        out = unet(sample, torch.tensor(951), encoder_hidden_states=audio).sample
    refenv.write_safetensors(os.path.join(OUT, "unet_io.safetensors"),
                             {"sample": sample, "audio": audio, "out": out, "timestep": torch.tensor([951.0])},
                             dict(META, model="unet", heads="8"))


def denoise_fixture(unet):
    """LipsyncPipeline.__call__'s loop (lipsync_pipeline.py, the `for j, t in enumerate(timesteps)` body)."""
    from diffusers import DDIMScheduler
    sched_cfg = json.load(open(os.path.join(LATENTSYNC, "configs/scheduler_config.json")))
    steps, guidance, frames = 3, 1.5, 3
    g = torch.Generator().manual_seed(7)
    noise = torch.randn(1, 4, 1, 16, 16, generator=g).repeat(1, 1, frames, 1, 1)
    mask = (torch.rand(1, 1, frames, 16, 16, generator=g) > 0.5).float()
    masked = torch.randn(1, 4, frames, 16, 16, generator=g)
    ref = torch.randn(1, 4, frames, 16, 16, generator=g)
    audio = torch.randn(frames, 50, 24, generator=g)

    def run(deepcache):
        scheduler = DDIMScheduler.from_config(sched_cfg)
        scheduler.set_timesteps(steps)
        pipe = types.SimpleNamespace(unet=unet, scheduler=scheduler)
        helper = None
        if deepcache:
            from DeepCache import DeepCacheSDHelper
            helper = DeepCacheSDHelper(pipe=pipe)
            helper.set_params(cache_interval=3, cache_branch_id=0)
            helper.enable()
        latents = noise.clone()
        audio_embeds = torch.cat([torch.zeros_like(audio), audio])
        mask_l, masked_l, ref_l = (torch.cat([x] * 2) for x in (mask, masked, ref))
        with torch.no_grad():
            for j, t in enumerate(scheduler.timesteps):
                unet_input = torch.cat([latents] * 2)
                unet_input = scheduler.scale_model_input(unet_input, t)
                unet_input = torch.cat([unet_input, mask_l, masked_l, ref_l], dim=1)
                noise_pred = pipe.unet(unet_input, t, encoder_hidden_states=audio_embeds).sample
                uncond, cond = noise_pred.chunk(2)
                noise_pred = uncond + guidance * (cond - uncond)
                latents = scheduler.step(noise_pred, t, latents, eta=0.0).prev_sample
        if helper is not None:
            helper.disable()
        return latents, scheduler.timesteps

    plain, timesteps = run(False)
    cached, _ = run(True)
    refenv.write_safetensors(os.path.join(OUT, "denoise_io.safetensors"),
                             {"noise": noise, "mask": mask, "masked": masked, "ref": ref, "audio": audio,
                              "latents": plain, "latents_deepcache": cached,
                              "timesteps": timesteps.float()},
                             dict(META, model="unet", steps=str(steps), guidance=str(guidance), deepcache_interval="3"))


if __name__ == "__main__":
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    whisper_fixture()
    vae_fixture()
    unet, _ = unet_model()
    unet_fixture(unet)
    denoise_fixture(unet)
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            p = os.path.join(root, f)
            print(f"{os.path.relpath(p, OUT):40s} {os.path.getsize(p):>9d} bytes")
