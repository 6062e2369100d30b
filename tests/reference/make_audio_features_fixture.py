#!/usr/bin/python3
"""The whole audio path of the ORIGINAL (LatentSync's Audio2Feature: transcribe's 30 s windows through a
Whisper encoder, then feature2chunks) on the real demo audio, for tests/test_audio_features.c.
Run: . tests/reference/env.sh && /usr/bin/python3 tests/reference/make_audio_features_fixture.py

Writes tests/data/audio/:
  whisper_ctx1500.pt         openai-whisper checkpoint: real 30 s context (1500 positions), narrow (64 wide,
                             1 head, 2 layers) random f16 weights, so windows behave as with tiny
  features_io.safetensors    for demo1_audio.wav and demo2_video.mp4: the chunk count, and chunks 0, 1, the
                             middle one and the last two (each (30, 64): 10 rows x 3 levels); feature row count
"""
import os, subprocess, sys
import numpy as np

sys.path.insert(0, "/work/shared/reference")
import refenv  # noqa: E402

refenv.setup()
import torch  # noqa: E402
import latentsync.whisper.whisper.audio as wa  # noqa: E402
from latentsync.whisper.whisper.model import Whisper, ModelDimensions  # noqa: E402
from latentsync.whisper.audio2feature import Audio2Feature  # noqa: E402

ASSETS = "/work/shared/assets"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "audio")


def load_audio(path, sr=16000):  # whisper's load_audio, through the ffmpeg CLI
    out = subprocess.run(["ffmpeg", "-nostdin", "-threads", "0", "-i", path, "-f", "s16le", "-ac", "1",
                          "-acodec", "pcm_s16le", "-ar", str(sr), "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.int16).flatten().astype(np.float32) / 32768.0


wa.load_audio = load_audio
dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=1, n_audio_layer=2,
                       n_vocab=16, n_text_ctx=4, n_text_state=64, n_text_head=1, n_text_layer=1)
model = Whisper(dims)
g = torch.Generator().manual_seed(21)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_((1.0 + 0.1 * torch.randn(p.shape, generator=g)) if p.dim() == 1 and name.endswith("weight") else
                0.1 * torch.randn(p.shape, generator=g) if p.dim() == 1 else
                torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5)
    for p in list(model.parameters()) + list(model.buffers()):
        p.copy_(p.half().float())
model.eval()
torch.save({"dims": dims.__dict__, "model_state_dict": {k: v.half() for k, v in model.state_dict().items()}},
           os.path.join(OUT, "whisper_ctx1500.pt"))

a2f = Audio2Feature.__new__(Audio2Feature)
a2f.model, a2f.audio_embeds_cache_dir, a2f.num_frames = model, None, 16
a2f.embedding_dim, a2f.audio_feat_length = dims.n_audio_state, [2, 2]
tensors, meta = {}, {"generator": "tests/reference/make_audio_features_fixture.py", "format_version": "1"}
for key, file in (("demo1", "demo1_audio.wav"), ("demo2", "demo2_video.mp4")):
    with torch.no_grad():
        feats = a2f.audio2feat(os.path.join(ASSETS, file))
        chunks = a2f.feature2chunks(feats, fps=25)
    n = len(chunks)
    meta[f"{key}_chunks"], meta[f"{key}_rows"] = str(n), str(len(feats))
    for i in (0, 1, n // 2, n - 2, n - 1):
        tensors[f"{key}.chunk{i}"] = chunks[i].float().contiguous()
refenv.write_safetensors(os.path.join(OUT, "features_io.safetensors"), tensors, meta)
print(meta)
