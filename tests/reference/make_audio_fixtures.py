#!/usr/bin/python3
"""Audio fixtures from the ORIGINAL code: bytedance/LatentSync's vendored Whisper (latentsync/whisper/whisper/
audio.py log_mel_spectrogram, transcribe.py's window loop) and Audio2Feature (latentsync/whisper/
audio2feature.py _audio2feat, feature2chunks, get_sliced_feature), with the ffmpeg CLI decoding as load_audio
does. For tests/test_mel.c, tests/test_audio_decode.c and tests/test_audio_chunks.c.

Run (needs the ffmpeg CLI, ../shared/assets and an exported LatentSync tree, see env.sh):
    REF=/tmp/ref-audio . tests/reference/env.sh && /usr/bin/python3 tests/reference/make_audio_fixtures.py

Writes into tests/data/audio/ (format_version 2; every file's metadata names this script):
  mel.safetensors     filters (80, 201): mel_80 of ../shared/assets/mel_filters.npz (metadata: its sha256)
                      short_mel (80, 250): log_mel_spectrogram of the 2.5 s integer test signal (synth_signal)
                      demo1_head (32000,): demo1_audio.wav's first 2 s as load_audio gives them;
                      demo1_head_mel (80, 200) its log_mel_spectrogram
                      long_windows (3, 80, 180): columns long_cols of each 30 s window the original's transcribe
                      loop hands the encoder for the 65 s integer test signal (silent from 20 s to 22 s);
                      long_cols (180,) int32; long_n_real (3,) int32 real frames per window; metadata long_T,
                      long_log_max
  decode.safetensors  demo1_head, demo2_head (16000,) the first second of each file as load_audio decodes it;
                      metadata: sample counts and FNV-1a 64 of the whole s16le output of the ffmpeg CLI for
                      demo1_audio.wav, demo2_video.mp4 (44.1 kHz stereo AAC track) and corrupt_mid.aac
  chunks.safetensors  chunk_cases (k, 2) (La, frame), chunk_rows (k, 10): get_sliced_feature's indices;
                      chunk_counts (m, 2) (La, len(feature2chunks)); feat7 (7, 5, 4), chunks7 (5, 50, 4),
                      feat31 (31, 5, 4), chunks31 (17, 50, 4): random features and their chunks;
                      demo_counts (3, 4): (samples, mel frames, La, chunks) of demo1, demo2 and the long test
                      signal through _audio2feat + feature2chunks with a small random-weight Whisper
  empty.wav (a valid WAV with 0 samples), garbage.mp3 (2000 random bytes), video_only.mp4 (0.2 s of video,
  no audio), truncated.m4a (an AAC m4a cut before its index), corrupt_mid.aac (ADTS AAC with 600 bytes of
  noise written over its middle)
"""
import hashlib, os, subprocess, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../shared/reference"))
sys.path.insert(0, "/work/shared/reference")
import refenv  # noqa: E402

refenv.setup()
import torch  # noqa: E402
import latentsync.whisper.whisper.audio as whisper_audio  # noqa: E402
from latentsync.whisper.whisper.audio import log_mel_spectrogram  # noqa: E402
from latentsync.whisper.whisper.model import ModelDimensions, Whisper  # noqa: E402
from latentsync.whisper.audio2feature import Audio2Feature  # noqa: E402

ASSETS = os.path.abspath(os.path.join(HERE, "../../../shared/assets"))
if not os.path.isdir(ASSETS):
    ASSETS = "/work/shared/assets"
OUT = os.path.join(HERE, "..", "data", "audio")
os.makedirs(OUT, exist_ok=True)
META = {"generator": "tests/reference/make_audio_fixtures.py", "format_version": "2",
        "latentsync_src": os.environ.get("LATENTSYNC_SRC", "")}


def ffmpeg_s16(path):
    """The exact command load_audio's ffmpeg-python call builds: mono, 16 kHz, s16le on stdout."""
    return subprocess.run(["ffmpeg", "-nostdin", "-threads", "0", "-i", path, "-f", "s16le", "-ac", "1",
                           "-acodec", "pcm_s16le", "-ar", "16000", "-"], capture_output=True, check=True).stdout


def load_audio(path, sr=16000):
    """latentsync/whisper/whisper/audio.py load_audio (the ffmpeg module is stubbed by refenv)."""
    return np.frombuffer(ffmpeg_s16(path), np.int16).flatten().astype(np.float32) / 32768.0


whisper_audio.load_audio = load_audio  # log_mel_spectrogram(path) calls it


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in np.frombuffer(data, np.uint8).tolist():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def synth_signal(n, seed, silence=None):
    """Integer test signal, reproduced bit for bit by synth_signal() in tests/test_mel.c: a triangle wave
    whose period (40..89 samples) changes every second and whose amplitude steps every 0.25 s, plus LCG
    noise; optional silence [a, b) in samples. Returns int16."""
    out = np.zeros(n, np.int16)
    state = seed & 0xFFFFFFFF
    for i in range(n):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        noise = ((state >> 16) & 0x7FF) - 1024
        period = 40 + ((i // 16000) * 7) % 50
        amp = 2000 * ((i // 4000) % 4 + 1)
        u = (4 * amp * (i % period)) // period
        tri = u - amp if u <= 2 * amp else 3 * amp - u
        s = tri + noise
        if silence and silence[0] <= i < silence[1]:
            s = 0
        out[i] = max(-32768, min(32767, s))
    return out


def write_wav(path, s16):
    import wave
    with wave.open(path, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(s16.tobytes())


def small_whisper():
    torch.manual_seed(0)
    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=8, n_audio_head=2, n_audio_layer=1,
                           n_vocab=16, n_text_ctx=4, n_text_state=8, n_text_head=2, n_text_layer=1)
    return Whisper(dims).eval()


def run_original(model, path, record=None):
    """_audio2feat + feature2chunks, the original code end to end on a file; records the encoder inputs."""
    a2f = Audio2Feature.__new__(Audio2Feature)
    a2f.model, a2f.audio_feat_length, a2f.embedding_dim = model, [2, 2], model.dims.n_audio_state
    a2f.audio_embeds_cache_dir, a2f.num_frames = None, 16
    enc_forward = model.encoder.forward

    def recording_forward(x, include_embeddings=False):
        if record is not None:
            record.append(x.detach().clone())
        return enc_forward(x, include_embeddings)

    model.encoder.forward = recording_forward
    try:
        with torch.no_grad():
            feats = a2f.audio2feat(path)
            chunks = a2f.feature2chunks(feats, fps=25)
    finally:
        model.encoder.forward = enc_forward
    return feats, chunks


def tool(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


# --- mel ---------------------------------------------------------------------------------------------------
npz = os.path.join(ASSETS, "mel_filters.npz")
filters = np.load(npz)["mel_80"]
npz_sha = hashlib.sha256(open(npz, "rb").read()).hexdigest()
orig_npz = os.path.join(os.environ["LATENTSYNC_SRC"], "latentsync/whisper/whisper/assets/mel_filters.npz")
assert hashlib.sha256(open(orig_npz, "rb").read()).hexdigest() == npz_sha, "shared asset differs from the original's"

short = synth_signal(40000, 1, silence=(16000, 20000)).astype(np.float32) / 32768.0
demo1 = load_audio(os.path.join(ASSETS, "demo1_audio.wav"))
demo2 = load_audio(os.path.join(ASSETS, "demo2_video.mp4"))

LONG_N, LONG_SEED = 160 * 6501 + 37, 7  # T = 6501 frames: windows of 3000, 3000 and 501 real frames
long_wav = "/tmp/ls_audio_fixture_long.wav"
long_s16 = synth_signal(LONG_N, LONG_SEED, silence=(20 * 16000, 22 * 16000))
write_wav(long_wav, long_s16)
model = small_whisper()
windows = []
long_feats, long_chunks = run_original(model, long_wav, record=windows)
long_mel = log_mel_spectrogram(torch.from_numpy(long_s16.astype(np.float32) / 32768.0))
long_T = long_mel.shape[-1]
with torch.no_grad():  # the clip's maximum, before normalisation (recomputed the way log_mel_spectrogram does)
    x = torch.from_numpy(long_s16.astype(np.float32) / 32768.0)
    st = torch.stft(x, 400, 160, window=torch.hann_window(400), return_complex=True)
    mel = torch.from_numpy(filters) @ (st[:, :-1].abs() ** 2)
    long_log_max = float(torch.clamp(mel, min=1e-10).log10().max())
cols = np.r_[0:40, 480:540, 1990:2030, 2960:3000].astype(np.int64)
assert len(windows) == 3 and all(tuple(w.shape) == (1, 80, 3000) for w in windows)
long_n_real = [min(3000, long_T - 3000 * i) for i in range(3)]
for i, w in enumerate(windows):  # what the loop fed the encoder = our definition of a window
    ref = torch.nn.functional.pad(long_mel[:, 3000 * i:3000 * i + 3000], (0, 3000 - long_n_real[i]))
    assert torch.equal(w[0], ref)
mel_t = {
    "filters": torch.from_numpy(filters),
    "short_mel": log_mel_spectrogram(torch.from_numpy(short)),
    "demo1_head": torch.from_numpy(demo1[:32000].copy()),
    "demo1_head_mel": log_mel_spectrogram(torch.from_numpy(demo1[:32000].copy())),
    "long_windows": torch.stack([w[0][:, torch.from_numpy(cols)] for w in windows]).contiguous(),
    "long_cols": torch.from_numpy(cols.astype(np.int32)),
    "long_n_real": torch.tensor(long_n_real, dtype=torch.int32),
}
refenv.write_safetensors(os.path.join(OUT, "mel.safetensors"), mel_t,
                         dict(META, mel_filters_npz_sha256=npz_sha, long_T=str(long_T), long_log_max=repr(long_log_max),
                              short_n="40000", short_seed="1", long_n=str(LONG_N), long_seed=str(LONG_SEED)))

# --- bad and corrupt inputs (made with the ffmpeg CLI) -------------------------------------------------------
tool("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "0", "-c:a", "pcm_s16le", os.path.join(OUT, "empty.wav"))
open(os.path.join(OUT, "garbage.mp3"), "wb").write(np.random.default_rng(5).integers(0, 256, 2000, np.uint8).tobytes())
tool("-f", "lavfi", "-i", "color=c=gray:s=16x16:d=0.2:r=25", "-c:v", "libx264", "-pix_fmt", "yuv420p",
     os.path.join(OUT, "video_only.mp4"))
tone = "/tmp/ls_audio_fixture_tone.m4a"
tool("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", "-b:a", "32k", tone)
data = open(tone, "rb").read()
open(os.path.join(OUT, "truncated.m4a"), "wb").write(data[:len(data) // 2])  # the moov index is at the end
adts = "/tmp/ls_audio_fixture_tone.aac"
tool("-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-c:a", "aac", "-b:a", "32k", "-f", "adts", adts)
data = bytearray(open(adts, "rb").read())
mid = len(data) // 2
data[mid:mid + 600] = np.random.default_rng(6).integers(0, 256, 600, np.uint8).tobytes()
open(os.path.join(OUT, "corrupt_mid.aac"), "wb").write(bytes(data))

# --- decoding ------------------------------------------------------------------------------------------------
dec_meta = dict(META)
for key, path in (("demo1", os.path.join(ASSETS, "demo1_audio.wav")), ("demo2", os.path.join(ASSETS, "demo2_video.mp4")),
                  ("corrupt_mid", os.path.join(OUT, "corrupt_mid.aac"))):
    raw = ffmpeg_s16(path)
    dec_meta[key + "_samples"] = str(len(raw) // 2)
    dec_meta[key + "_fnv1a64"] = fnv1a64(raw)
refenv.write_safetensors(os.path.join(OUT, "decode.safetensors"),
                         {"demo1_head": torch.from_numpy(demo1[:16000].copy()),
                          "demo2_head": torch.from_numpy(demo2[:16000].copy())}, dec_meta)

# --- chunks --------------------------------------------------------------------------------------------------
a2f = Audio2Feature.__new__(Audio2Feature)  # only the indexing methods: no model
a2f.audio_feat_length, a2f.embedding_dim = [2, 2], 1
LAS = (1, 2, 3, 4, 7, 10, 31, 480, 1001, 1500, 1501, 3001)
cases, rows, counts = [], [], []
for La in LAS:
    feat = torch.arange(La).reshape(La, 1, 1).float()
    n_chunks = len(a2f.feature2chunks(feat, fps=25))
    counts.append((La, n_chunks))
    for frame in sorted({0, 1, 2, 3, La // 4, La // 2 - 1, La // 2, La // 2 + 1, n_chunks - 1}):
        if 0 <= frame < n_chunks:
            _, idx = a2f.get_sliced_feature(feat, frame)
            cases.append((La, frame))
            rows.append(idx)
chunk_t = {"chunk_cases": torch.tensor(cases, dtype=torch.int32), "chunk_rows": torch.tensor(rows, dtype=torch.int32),
           "chunk_counts": torch.tensor(counts, dtype=torch.int32)}
a2f.embedding_dim = 4
g = torch.Generator().manual_seed(11)
for La in (7, 31):
    feat = torch.randn(La, 5, 4, generator=g)
    chunk_t["feat%d" % La] = feat
    chunk_t["chunks%d" % La] = torch.stack(a2f.feature2chunks(feat, fps=25))
demo_counts = []
for path, n in ((os.path.join(ASSETS, "demo1_audio.wav"), len(demo1)), (os.path.join(ASSETS, "demo2_video.mp4"), len(demo2)),
                (long_wav, LONG_N)):
    feats, chunks = (long_feats, long_chunks) if path == long_wav else run_original(model, path)
    T = log_mel_spectrogram(load_audio(path)).shape[-1]
    demo_counts.append((n, T, feats.shape[0], len(chunks)))
chunk_t["demo_counts"] = torch.tensor(demo_counts, dtype=torch.int32)
refenv.write_safetensors(os.path.join(OUT, "chunks.safetensors"), chunk_t, META)

print("demo counts (samples, T, La, chunks):", demo_counts)
print("long: T", long_T, "n_real", long_n_real, "log_max", long_log_max)
print({k: tuple(v.shape) for k, v in {**mel_t, **chunk_t}.items()})
