#!/usr/bin/python3
"""Audio fixtures from the ORIGINAL code (bytedance/LatentSync's vendored whisper audio.py and
audio2feature.py) for tests/test_mel.c and tests/test_audio_decode.c. Run: . tests/reference/env.sh &&
/usr/bin/python3 tests/reference/make_audio_fixtures.py   (needs the ffmpeg CLI and ../shared/assets)

Writes tests/data/audio/audio_io.safetensors:
  filters          (80, 201) mel_80 from ../shared/assets/mel_filters.npz (metadata: the npz's sha256)
  synth            (40000,) a 2.5 s synthetic signal; synth_mel (80, 250) its log_mel_spectrogram
  demo1_head       (48000,) the first 3 s of demo1_audio.wav as load_audio decodes it (ffmpeg s16le / 32768)
  demo1_head_mel   (80, 300) log_mel_spectrogram of demo1_head
  demo2_head       (16000,) the first second of demo2_video.mp4's audio track (44.1 kHz stereo AAC) as load_audio
  chunk_rows       (k, 10) feature-row indices of get_sliced_feature for the (La, frame) pairs in chunk_cases
  chunk_cases      (k, 2) (La, frame); chunk_counts (m, 2) (La, number of chunks feature2chunks makes)
metadata: demo1_samples, demo2_samples (total sample counts of the whole files)
"""
import hashlib, os, subprocess, sys
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../shared/reference"))
sys.path.insert(0, "/work/shared/reference")
import refenv  # noqa: E402

refenv.setup()
import torch  # noqa: E402
from latentsync.whisper.whisper.audio import log_mel_spectrogram  # noqa: E402
from latentsync.whisper.audio2feature import Audio2Feature  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ASSETS = os.path.abspath(os.path.join(HERE, "../../../shared/assets"))
if not os.path.isdir(ASSETS):
    ASSETS = "/work/shared/assets"
OUT = os.path.join(HERE, "..", "data", "audio")
os.makedirs(OUT, exist_ok=True)


def load_audio(path):
    """whisper's load_audio: ffmpeg to mono 16 kHz s16le, then / 32768."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-threads", "0", "-i", path, "-f", "s16le", "-ac", "1",
                          "-acodec", "pcm_s16le", "-ar", "16000", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.int16).flatten().astype(np.float32) / 32768.0


npz = os.path.join(ASSETS, "mel_filters.npz")
filters = np.load(npz)["mel_80"]
t = np.arange(40000) / 16000.0
rng = np.random.default_rng(3)
synth = (0.3 * np.sin(2 * np.pi * (200 + 600 * t) * t) + 0.05 * rng.standard_normal(t.shape)).astype(np.float32)
demo1 = load_audio(os.path.join(ASSETS, "demo1_audio.wav"))
demo2 = load_audio(os.path.join(ASSETS, "demo2_video.mp4"))

a2f = Audio2Feature.__new__(Audio2Feature)  # only the indexing methods are used: no model needed
a2f.audio_feat_length = [2, 2]
a2f.embedding_dim = 1
cases, rows = [], []
for La in (1, 2, 3, 7, 10, 480, 1500, 1501, 3001):
    feat = torch.arange(La).reshape(La, 1, 1).float()
    for frame in sorted({0, 1, 2, La // 4, La // 2 - 1, La // 2, La // 2 + 1}):
        if frame < 0:
            continue
        sel, idx = a2f.get_sliced_feature(feat, frame)
        cases.append((La, frame))
        rows.append(idx)
counts = []
for La in (1, 2, 3, 7, 10, 480, 1500, 1501, 3001):
    chunks = a2f.feature2chunks(torch.arange(La).reshape(La, 1, 1).float(), fps=25)
    counts.append((La, len(chunks)))

tensors = {
    "filters": torch.from_numpy(filters),
    "synth": torch.from_numpy(synth),
    "synth_mel": log_mel_spectrogram(torch.from_numpy(synth)),
    "demo1_head": torch.from_numpy(demo1[:48000].copy()),
    "demo1_head_mel": log_mel_spectrogram(torch.from_numpy(demo1[:48000].copy())),
    "demo2_head": torch.from_numpy(demo2[:16000].copy()),
    "chunk_cases": torch.tensor(cases, dtype=torch.int32),
    "chunk_rows": torch.tensor(rows, dtype=torch.int32),
    "chunk_counts": torch.tensor(counts, dtype=torch.int32),
}
meta = {"generator": "tests/reference/make_audio_fixtures.py", "format_version": "1",
        "mel_filters_npz_sha256": hashlib.sha256(open(npz, "rb").read()).hexdigest(),
        "demo1_samples": str(len(demo1)), "demo2_samples": str(len(demo2))}
refenv.write_safetensors(os.path.join(OUT, "audio_io.safetensors"), tensors, meta)
print({k: tuple(v.shape) for k, v in tensors.items()}, meta)
