#!/usr/bin/python3
"""Golden fixture for tests/test_face_track.c, produced by the ORIGINAL LatentSync code
(bytedance/LatentSync a229c394, Debian torch CPU): FaceDetector.__call__ (face selection, landmark
rounding), ImageProcessor.affine_transform (the three alignment points) and
AlignRestore.transformation_from_points with smoothing (the 2x3 matrix, then float16 as align_warp_face
stores it), over a sequence of synthetic frames at resolutions 256 and 512.

The detector is replaced by a stand-in returning fixed faces (boxes, scores, 106 landmarks), so the
original selection and alignment code runs unchanged; kornia, insightface, einops and the video utilities
are stubbed (only their import is reached, plus einops.rearrange "h w c -> c h w" on the unused crop).

Setup:  git -C <LatentSync mirror> archive HEAD latentsync | tar -x -C /tmp/ref-face/LatentSync
Run:    LATENTSYNC_SRC=/tmp/ref-face/LatentSync /usr/bin/python3 tests/reference/face_track_reference.py
Writes tests/data/face/face_track_reference.json (format "latentsync-face-track-reference", version 1).
"""
import json, os, sys, types

import numpy as np
import torch

FORMAT, VERSION = "latentsync-face-track-reference", 1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "face", "face_track_reference.json")


def stub_modules():
    for name in ("kornia", "insightface", "insightface.app", "einops", "latentsync.utils.util"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["insightface.app"].FaceAnalysis = None
    sys.modules["latentsync.utils.util"].read_video = sys.modules["latentsync.utils.util"].write_video = None

    def rearrange(x, pattern):
        assert pattern == "h w c -> c h w", pattern
        return x.permute(2, 0, 1)

    sys.modules["einops"].rearrange = rearrange


class Face:
    def __init__(self, bbox, score, lmk):
        self.bbox = np.array(bbox, dtype=np.float32)
        self.det_score = np.float32(score)
        self.landmark_2d_106 = np.array(lmk, dtype=np.float32)


class FakeApp:
    def __init__(self):
        self.faces = []

    def get(self, frame):
        return self.faces


def landmarks(rng, box):
    """106 points over the box, the brow and nose groups where a face has them (image-left brow, image-right
    brow, nose), jittered; a few land exactly on .5 to exercise half-to-even rounding."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    pts = np.stack([rng.uniform(x1, x2, 106), rng.uniform(y1, y2, 106)], axis=1)
    for idx, (fx, fy) in (([43, 48, 49, 51, 50], (0.3, 0.35)), ([101, 102, 103, 104, 105], (0.7, 0.35)),
                          ([74, 77, 83, 86], (0.5, 0.55))):
        pts[idx] = [x1 + fx * w, y1 + fy * h] + rng.normal(0, 0.04 * w, (len(idx), 2))
    pts = pts.astype(np.float32)
    pts[[43, 74, 101]] = np.floor(pts[[43, 74, 101]]) + 0.5
    return pts


def f32(values):
    """Shortest decimal strings that read back as the same float32 values (keeps the JSON small)."""
    return [float(np.format_float_positional(np.float32(v), unique=True)) for v in np.ravel(values)]


def main():
    src = os.environ.get("LATENTSYNC_SRC")
    if not src:
        sys.exit("set LATENTSYNC_SRC (see the docstring)")
    sys.path.insert(0, src)
    stub_modules()
    from latentsync.utils.face_detector import FaceDetector
    from latentsync.utils.image_processor import ImageProcessor
    from latentsync.utils.affine_transform import AlignRestore

    rng = np.random.default_rng(20250620)
    out = {"format": FORMAT, "version": VERSION, "generator": "tests/reference/face_track_reference.py",
           "latentsync_commit": "a229c3948406bc2cf6eaf4873e662e70c6a04746", "runs": []}
    frame = np.zeros((1920, 1080, 3), dtype=np.uint8)
    for resolution in (256, 512):
        detector = object.__new__(FaceDetector)
        detector.app = FakeApp()
        proc = object.__new__(ImageProcessor)
        proc.resolution = resolution
        proc.face_detector = detector
        proc.restorer = AlignRestore(resolution=resolution, device="cpu")
        run = {"resolution": resolution, "crop": list(proc.restorer.face_size),
               "template": proc.restorer.face_template.tolist(), "frames": []}
        cx, cy = 540.0, 700.0
        for i in range(8):
            cx += rng.normal(0, 6)
            cy += rng.normal(0, 6)
            w, h = rng.uniform(150, 230), rng.uniform(220, 300)
            main_box = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
            faces = [Face(main_box, rng.uniform(0.6, 0.99), landmarks(rng, main_box))]
            # distractors: too small, too wide, too low a score, a smaller valid face, and once a larger one
            faces.append(Face([100, 100, 140, 200], 0.95, landmarks(rng, [100, 100, 140, 200])))
            faces.append(Face([50, 1200, 400, 1300], 0.9, landmarks(rng, [50, 1200, 400, 1300])))
            faces.append(Face([600, 200, 900, 600], 0.45, landmarks(rng, [600, 200, 900, 600])))
            faces.append(Face([800, 1500, 870, 1600], 0.8, landmarks(rng, [800, 1500, 870, 1600])))
            if i == 5:  # a larger valid face wins
                faces.append(Face([200.9, 300.2, 480.7, 650.99], 0.7, landmarks(rng, [200, 300, 480, 650])))
            if i == 7:  # the same integer box twice: the first in list order wins
                faces.append(Face(main_box, 0.55, landmarks(rng, main_box)))
            if i == 3:  # nothing qualifies: the original raises "Face not detected"
                faces = faces[1:4]
            order = rng.permutation(len(faces))
            faces = [faces[k] for k in order]
            detector.app.faces = faces
            bbox, lmk = detector(frame)
            captured = {}
            real_warp = proc.restorer.align_warp_face

            def capture(img, landmarks3, smooth=True):
                captured["points"] = landmarks3.tolist()
                M, proc.restorer.p_bias = proc.restorer.transformation_from_points(
                    landmarks3, proc.restorer.face_template, smooth, proc.restorer.p_bias)
                captured["affine"] = M.tolist()
                captured["affine_f16"] = torch.from_numpy(M).to(torch.float16).float().tolist()
                return np.zeros((proc.restorer.face_size[1], proc.restorer.face_size[0], 3), np.uint8), M

            proc.restorer.align_warp_face = capture
            try:
                proc.affine_transform(frame)
            except RuntimeError as e:
                assert str(e) == "Face not detected" and bbox is None
            proc.restorer.align_warp_face = real_warp
            selected = -1 if bbox is None else next(
                k for k, f in enumerate(faces) if np.array_equal(np.round(f.landmark_2d_106).astype(np.int_), lmk))
            run["frames"].append({
                "faces": [{"bbox": f32(f.bbox), "score": f32(f.det_score)[0],
                           "landmarks": f32(f.landmark_2d_106) if k == selected else None}
                          for k, f in enumerate(faces)],
                "selected": selected, **captured})
        out["runs"].append(run)
    with open(OUT, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
