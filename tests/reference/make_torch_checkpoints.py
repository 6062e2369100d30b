#!/usr/bin/python3
"""Checkpoints written by REAL torch.save (Debian python3-torch) and hostile/broken variants for
tests/test_torch_checkpoint.c. Run: /usr/bin/python3 tests/reference/make_torch_checkpoints.py

Writes tests/data/torch/:
  state.pt          nested dicts, OrderedDict, f32/f16/bf16/f64/int64/int32/bool tensors, views with storage
                    offsets, transposed and sliced (non-contiguous) tensors, several tensors sharing one
                    storage, a 0-d tensor, an empty tensor, scalars (global_step, a float, a string)
  state_proto2.pt   the same dict pickled with protocol 2
  expected.txt      per tensor: name dtype shape sha256-of-contiguous-little-endian-bytes; then scalars
  legacy.pt         _use_new_zipfile_serialization=False (refused with a hint)
  bad_*.pt          hostile files, each listed in bad_expected.txt with the fragment its error must contain
"""
import collections, hashlib, io, os, pickle, struct, zipfile
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "torch")
os.makedirs(OUT, exist_ok=True)
g = torch.Generator().manual_seed(11)

base = torch.randn(6, 8, generator=g)
shared = torch.arange(24, dtype=torch.float32)
state = collections.OrderedDict()
state["f32"] = torch.randn(3, 5, generator=g)
state["f16"] = torch.randn(4, 3, generator=g).half()
state["bf16"] = torch.randn(7, generator=g).bfloat16()
state["f64"] = torch.randn(2, 2, generator=g).double()
state["i64"] = torch.arange(-5, 5)
state["i32"] = torch.arange(6, dtype=torch.int32).reshape(2, 3)
state["bool"] = torch.tensor([True, False, True])
state["transposed"] = base.t()                       # non-contiguous, shares `base`'s storage
state["sliced"] = base[1:5, 2:7]                      # storage offset + non-contiguous
state["row"] = base[3]                                # contiguous view with an offset
state["shared_a"] = shared[:12].view(3, 4)
state["shared_b"] = shared[12:].view(4, 3)            # same storage, offset 12
state["scalar"] = torch.tensor(3.5)
state["empty"] = torch.zeros(0, 4)
state["conv.weight"] = torch.nn.Parameter(torch.randn(2, 3, 3, 3, generator=g))  # a Parameter, like real modules
root = {"state_dict": state, "global_step": 123, "lr": 1e-5, "name": "latentsync",
        "nested": {"inner": {"deep": torch.ones(2, 2)}, "n": 7}}
torch.save(root, os.path.join(OUT, "state.pt"))
torch.save(root, os.path.join(OUT, "state_proto2.pt"), pickle_protocol=2)
torch.save({"w": torch.ones(2)}, os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)

dt_names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
            torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL"}


def walk(obj, prefix=""):
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, f"{prefix}.{k}" if prefix else k)


with open(os.path.join(OUT, "expected.txt"), "w") as f:
    for name, t in walk(root):
        t = t.detach().contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype in (torch.float16, torch.bfloat16) else t.numpy().tobytes()
        f.write(f"{name} {dt_names[t.dtype]} {'x'.join(map(str, t.shape)) or '-'} {hashlib.sha256(raw).hexdigest()}\n")
    f.write("int global_step 123\nint nested.n 7\n")

# --- hostile and broken files ------------------------------------------------------------------------------
good = open(os.path.join(OUT, "state.pt"), "rb").read()
bad = {}


def zip_with(entries, compress=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


class Storage:
    """Pickles as torch's persistent storage reference."""
    def __init__(self, key, numel, typename="FloatStorage"):
        self.key, self.numel, self.typename = key, numel, typename


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", getattr(torch, obj.typename), obj.key, "cpu", obj.numel)
        return None


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def pkl(obj, protocol=2):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


def checkpoint(pickle_bytes, storages):
    return zip_with([("archive/data.pkl", pickle_bytes), ("archive/byteorder", b"little")] +
                    [(f"archive/data/{k}", v) for k, v in storages.items()] + [("archive/version", b"3\n")])


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


bad["truncated"] = (good[: len(good) // 2], "end-of-central-directory")
bad["empty"] = (b"", "empty file")
bad["not_zip"] = (b"hello world, not a checkpoint", "not a zip file")
cd = good.rfind(b"PK\x01\x02")
bad["bad_central_directory"] = (good[:cd] + b"XX\x01\x02" + good[cd + 4:], "bad central directory entry")
eocd = good.rfind(b"PK\x05\x06")
z64 = good.rfind(b"PK\x06\x06")  # torch writes zip64 records: lie in both


def patch_directory(blob, cd_offset=None, count=None):
    b = bytearray(blob)
    if cd_offset is not None:
        struct.pack_into("<I", b, eocd + 16, min(cd_offset, 0xFFFFFFFF))
        if z64 >= 0:
            struct.pack_into("<Q", b, z64 + 48, cd_offset)
    if count is not None:
        struct.pack_into("<HH", b, eocd + 8, min(count, 0xFFFF), min(count, 0xFFFF))
        if z64 >= 0:
            struct.pack_into("<QQ", b, z64 + 24, count, count)
    return bytes(b)


bad["lying_directory_offset"] = (patch_directory(good, cd_offset=len(good) + 1000), "outside the file")
lying = bytearray(good)
struct.pack_into("<I", lying, cd + 24, 0x7FFFFFFF)              # an entry claims 2 GB
struct.pack_into("<I", lying, cd + 20, 0x7FFFFFFF)
bad["entry_size_lies"] = (bytes(lying), "run past")
bad["zip_bomb_count"] = (patch_directory(good, count=10**12), "cannot fit")  # more entries than the directory holds
bad["compressed_entry"] = (zip_with([("archive/data.pkl", pkl({"a": 1}) * 50)], zipfile.ZIP_DEFLATED), "compressed")
bad["no_data_pkl"] = (zip_with([("archive/other", b"x")]), "data.pkl")
bad["forbidden_global"] = (checkpoint(pickle.dumps(Evil(), protocol=2), {}), "'posix.system' is not allowed")
bad["forbidden_eval"] = (checkpoint(b"\x80\x02cbuiltins\neval\nX\x04\x00\x00\x001+1\x85R.", {}), "'builtins.eval' is not allowed")
bad["unknown_opcode"] = (checkpoint(b"\x80\x02}\xff.", {}), "unknown or unsupported opcode 0xff")
bad["deep_nesting"] = (checkpoint(b"\x80\x02" + b"(" * 300 + b")" + b"t" * 300 + b".", {}), "nested deeper")
bad["truncated_pickle"] = (checkpoint(pkl({"a": 1})[:-3], {}), "truncated")
bad["storage_too_small"] = (checkpoint(pkl({"w": FakeTensor(Storage("0", 100), 0, (10, 10), (10, 1))}),
                                       {"0": b"\0" * 40}), "fewer than its 100 elements")
bad["tensor_past_storage"] = (checkpoint(pkl({"w": FakeTensor(Storage("0", 10), 4, (3, 3), (3, 1))}),
                                         {"0": b"\0" * 40}), "storage '0' has 10")
bad["shape_overflow"] = (checkpoint(pkl({"w": FakeTensor(Storage("0", 4), 0, (2**62, 2**62), (1, 1))}),
                                    {"0": b"\0" * 16}), "overflowing")
bad["missing_storage"] = (checkpoint(pkl({"w": FakeTensor(Storage("7", 4), 0, (2, 2), (2, 1))}), {}), "storage 'archive/data/7' missing")
bad["big_endian"] = (zip_with([("archive/data.pkl", pkl({"a": 1})), ("archive/byteorder", b"big")]), "not little-endian")

with open(os.path.join(OUT, "bad_expected.txt"), "w") as f:
    for name, (blob, fragment) in sorted(bad.items()):
        with open(os.path.join(OUT, f"bad_{name}.pt"), "wb") as out:
            out.write(blob)
        f.write(f"bad_{name}\t{fragment}\n")
    f.write("legacy\tre-save it with torch>=1.6\n")
print(f"wrote {len(bad) + 3} files to {OUT}")
