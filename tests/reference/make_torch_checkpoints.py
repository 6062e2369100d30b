#!/usr/bin/python3
"""Fixtures for the PyTorch checkpoint reader (weights-convert/, tests/test_torch_checkpoint.c).

Good files are written by REAL torch.save (Debian python3-torch); hostile files by the small zip and pickle
emitters below (plain Python; nothing hostile is ever unpickled or run). Writes into tests/data/torch/:

  good/*.pt              state dicts: every dtype, views and shared storages, nested dicts, OrderedDict with
                         module metadata, parameters, Whisper and LatentSync layouts, protocols 2/4/5, a top
                         folder "archive", the same data re-zipped with zip64 extras and with Python's zipfile
  expected.safetensors   for every good file and tensor, "<file>:<name>" = the tensor's contiguous bytes in its
                         own dtype (torch's .contiguous()); "<file>:<name>@f16|@bf16|@f32" = torch's conversions;
                         __metadata__: the file list, tensor counts, top folders, scalars ("<file>:scalar:<path>"
                         = "int:123", "float:0.1", "str:x", "bool:True", "none:", "bytes:<hex>"), storage
                         layouts ("<file>:layout:<name>" = "offset;stride,stride"), storage sharing
                         ("<file>:shares:<name>" = first tensor on the same storage)
  bad/*.pt               hostile and broken files; the expected one-line errors live in the C test
  config/*.pt            Whisper files without "dims" and with dims that disagree with the tensors

Run:  /usr/bin/python3 tests/reference/make_torch_checkpoints.py     (seeded; every file is reproduced byte for
      byte except bad/legacy.pt and bad/torchscript.pt, which hold Python object ids)
"""
import collections, io, json, os, pickle, struct, sys, zipfile, zlib

import torch

FORMAT_VERSION = "1"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "torch")
GOOD, BAD = os.path.join(ROOT, "good"), os.path.join(ROOT, "bad")

torch.manual_seed(1234)

# --- expected values -----------------------------------------------------------------------------------------

ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
             torch.bool: "BOOL"}
expected = {}      # name -> (dtype string, shape, bytes)
meta = {"generator": "tests/reference/make_torch_checkpoints.py", "format_version": FORMAT_VERSION,
        "torch": torch.__version__}
files = []


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def expect_tensor(key, t):
    expected[key] = (ST_DTYPES[t.dtype], list(t.shape), tensor_bytes(t))


def scalar_repr(v):
    if v is None: return "none:"
    if isinstance(v, bool): return "bool:" + repr(v)
    if isinstance(v, int): return "int:%d" % v
    if isinstance(v, float): return "float:" + repr(v)
    if isinstance(v, str): return "str:" + v
    if isinstance(v, bytes): return "bytes:" + v.hex()
    raise TypeError(type(v))


def flatten(obj, prefix, out):
    """The reader's naming: dict keys and sequence indices joined by dots."""
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, f"{prefix}.{i}" if prefix else str(i), out)


def record(fname, obj, select, scalars, top, conversions=False):
    """Expected results for `fname`: the tensors under `select`, the given scalar paths."""
    files.append(fname)
    sub = obj
    for k in select.split(".") if select else []:
        sub = sub[k]
    tensors = {}
    flatten(sub, "", tensors)
    meta[f"{fname}:count"] = str(len(tensors))
    meta[f"{fname}:select"] = select
    meta[f"{fname}:top"] = top
    first_on = {}
    for name, t in tensors.items():
        expect_tensor(f"{fname}:{name}", t)
        meta[f"{fname}:layout:{name}"] = "%d;%s" % (t.storage_offset(), ",".join(str(s) for s in t.stride()))
        ptr = t.storage().data_ptr()
        first_on.setdefault(ptr, name)
        meta[f"{fname}:shares:{name}"] = first_on[ptr]
        if conversions and t.is_floating_point():
            for suffix, dt in (("@f32", torch.float32), ("@f16", torch.float16), ("@bf16", torch.bfloat16)):
                if dt != t.dtype:
                    expect_tensor(f"{fname}:{name}{suffix}", t.detach().to(dt))
    for path, v in scalars.items():
        meta[f"{fname}:scalar:{path}"] = scalar_repr(v)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, (dt, shape, data) in tensors.items():
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def save(obj, fname, **kw):
    torch.save(obj, os.path.join(GOOD, fname), **kw)


WHISPER_DIMS = dict(n_mels=8, n_audio_ctx=6, n_audio_state=16, n_audio_head=2, n_audio_layer=2, n_vocab=11,
                    n_text_ctx=4, n_text_state=16, n_text_head=2, n_text_layer=1)


def whisper_state_dict(dims):
    """Tensor names and shapes of openai-whisper's model.py (AudioEncoder + TextDecoder), random f16."""
    wsd = collections.OrderedDict()
    s, m = dims["n_audio_state"], dims["n_mels"]

    def block(prefix, s, cross):
        for att in ["attn"] + (["cross_attn"] if cross else []):
            wsd[f"{prefix}.{att}.query.weight"] = torch.randn(s, s)
            wsd[f"{prefix}.{att}.query.bias"] = torch.randn(s)
            wsd[f"{prefix}.{att}.key.weight"] = torch.randn(s, s)
            wsd[f"{prefix}.{att}.value.weight"] = torch.randn(s, s)
            wsd[f"{prefix}.{att}.value.bias"] = torch.randn(s)
            wsd[f"{prefix}.{att}.out.weight"] = torch.randn(s, s)
            wsd[f"{prefix}.{att}.out.bias"] = torch.randn(s)
            wsd[f"{prefix}.{att}_ln.weight"] = torch.randn(s)
            wsd[f"{prefix}.{att}_ln.bias"] = torch.randn(s)
        wsd[f"{prefix}.mlp.0.weight"] = torch.randn(4 * s, s)
        wsd[f"{prefix}.mlp.0.bias"] = torch.randn(4 * s)
        wsd[f"{prefix}.mlp.2.weight"] = torch.randn(s, 4 * s)
        wsd[f"{prefix}.mlp.2.bias"] = torch.randn(s)
        wsd[f"{prefix}.mlp_ln.weight"] = torch.randn(s)
        wsd[f"{prefix}.mlp_ln.bias"] = torch.randn(s)

    wsd["encoder.positional_embedding"] = torch.randn(dims["n_audio_ctx"], s)
    wsd["encoder.conv1.weight"] = torch.randn(s, m, 3)
    wsd["encoder.conv1.bias"] = torch.randn(s)
    wsd["encoder.conv2.weight"] = torch.randn(s, s, 3)
    wsd["encoder.conv2.bias"] = torch.randn(s)
    for i in range(dims["n_audio_layer"]):
        block(f"encoder.blocks.{i}", s, False)
    wsd["encoder.ln_post.weight"] = torch.randn(s)
    wsd["encoder.ln_post.bias"] = torch.randn(s)
    wsd["decoder.positional_embedding"] = torch.randn(dims["n_text_ctx"], s)
    wsd["decoder.token_embedding.weight"] = torch.randn(dims["n_vocab"], s)
    for i in range(dims["n_text_layer"]):
        block(f"decoder.blocks.{i}", s, True)
    wsd["decoder.ln.weight"] = torch.randn(s)
    wsd["decoder.ln.bias"] = torch.randn(s)
    for k in wsd:
        wsd[k] = wsd[k].half()
    return wsd


# --- good files (real torch.save) -------------------------------------------------------------------------------

def make_good():
    # every storage dtype, special values, 0-d, empty and 5-d tensors
    special = [float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 65504.0, 6e-8, 1e-40, 3.4e38]
    dtypes = {
        "f32": torch.randn(3, 4), "f16": torch.randn(5).half(), "bf16": torch.randn(2, 3).bfloat16(),
        "f64": torch.randn(2, 2, dtype=torch.float64), "i64": torch.tensor([0, -1, 2**40, -2**62]),
        "i32": torch.tensor([7, -7, 2**31 - 1], dtype=torch.int32), "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 0, 127], dtype=torch.int8), "u8": torch.tensor([0, 1, 255, 128], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True, True, False]),
        "special_f32": torch.tensor(special), "special_f16": torch.tensor(special).half(),
        "special_bf16": torch.tensor(special).bfloat16(),
        "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3), "five_d": torch.randn(1, 2, 1, 2, 3),
    }
    save(dtypes, "dtypes.pt")
    record("dtypes.pt", dtypes, "", {}, "dtypes", conversions=True)

    # views with storage offsets and strides, sharing storages
    base = torch.randn(6, 8)
    half = torch.randn(4, 6).half()
    views = collections.OrderedDict()
    views["base"] = base
    views["transposed"] = base.t()
    views["rows"] = base[2:5]
    views["cols"] = base[:, 1:6:2]
    views["element"] = base[4, 3]
    views["flat_slice"] = base.view(-1)[7:20]
    views["permuted"] = base.view(2, 3, 8).permute(2, 0, 1)
    views["expanded"] = torch.randn(3, 1).expand(3, 4)
    views["half_t"] = half.t()
    views["half_rows"] = half[1:3, ::2]
    views["bf16_slice"] = torch.randn(5, 5).bfloat16()[1:4, 2:]
    views["param"] = torch.nn.Parameter(torch.randn(2, 3))
    views["param_view"] = views["param"].data[:, 1]
    views["empty_view"] = base[3:3]
    save(views, "views.pt")
    record("views.pt", views, "", {}, "views", conversions=True)

    # nested dicts, lists, scalars, an int key; no state_dict key: the root is listed
    nested = {"model": {"encoder": {"w": torch.randn(2, 2), "layers": [torch.randn(3), torch.randn(1, 2)]},
                        "head": collections.OrderedDict(b=torch.randn(4))},
              "optimizer": {"lr": 0.001, "betas": (0.9, 0.999), "step": 10},
              "epoch": 3, "name": "tiny", "flag": True, "nothing": None, 7: torch.arange(3)}
    save(nested, "nested.pt")
    record("nested.pt", nested, "", {"optimizer.lr": 0.001, "optimizer.step": 10, "epoch": 3, "name": "tiny",
                                     "flag": True, "nothing": None}, "nested")

    # a module's state_dict: OrderedDict with _metadata (pickled through BUILD), BatchNorm's int64 counter
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Conv2d(2, 2, 3))
    sd = module.state_dict()
    save(sd, "module.pt")
    record("module.pt", sd, "", {}, "module")

    # openai-whisper layout: {"dims": {...}, "model_state_dict": {...}} with f16 weights, tiny dims
    dims = dict(WHISPER_DIMS)
    wsd = whisper_state_dict(dims)
    whisper = {"dims": dims, "model_state_dict": wsd}
    save(whisper, "whisper_tiny.pt")
    record("whisper_tiny.pt", whisper, "model_state_dict", {f"dims.{k}": v for k, v in dims.items()}, "whisper_tiny")

    # LatentSync layout: {"state_dict": ..., "global_step": ...}
    lsd = collections.OrderedDict()
    lsd["conv_in.weight"] = torch.randn(8, 13, 3, 3)
    lsd["conv_in.bias"] = torch.randn(8)
    lsd["time_embedding.linear_1.weight"] = torch.randn(16, 8)
    lsd["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"] = torch.randn(8, 6)
    lsd["down_blocks.0.motion_modules.0.temporal_transformer.proj_in.weight"] = torch.randn(8, 8)
    lsd["conv_out.weight"] = torch.randn(4, 8, 3, 3)
    latentsync = {"state_dict": lsd, "global_step": 123}
    save(latentsync, "latentsync.pt")
    record("latentsync.pt", latentsync, "state_dict", {"global_step": 123}, "latentsync")

    # protocols 4 and 5 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL), big and negative ints, bytes, unicode
    for proto in (4, 5):
        obj = {"w": torch.randn(3, 2), "wt": None, "big": 2**40, "neg": -5, "negbig": -2**40, "huge": 2**63 - 1,
               "pi": 3.141592653589793, "text": "h\u00e9llo", "raw": b"\x00\x01\xff"}
        obj["wt"] = obj["w"].t()
        fname = f"proto{proto}.pt"
        save(obj, fname, pickle_protocol=proto)
        record(fname, obj, "", {k: obj[k] for k in ("big", "neg", "negbig", "huge", "pi", "text", "raw")},
               f"proto{proto}")

    # written to a buffer: the top folder is "archive"
    buf = io.BytesIO()
    arch = {"state_dict": {"a": torch.randn(2, 2).bfloat16()}, "global_step": 1}
    torch.save(arch, buf)
    with open(os.path.join(GOOD, "buffer.pt"), "wb") as f:
        f.write(buf.getvalue())
    record("buffer.pt", arch, "state_dict", {"global_step": 1}, "archive")

    # the same dtypes file re-zipped: every size/offset in zip64 extras, an archive comment; and by Python's
    # zipfile (no data alignment, no zip64 records)
    entries = read_zip(os.path.join(GOOD, "dtypes.pt"))
    with open(os.path.join(GOOD, "zip64.pt"), "wb") as f:
        f.write(build_zip(entries, zip64_extras=True, comment=b"re-zipped with zip64 extras"))
    record("zip64.pt", dtypes, "", {}, "dtypes")
    with zipfile.ZipFile(os.path.join(GOOD, "pyzip.pt"), "w", zipfile.ZIP_STORED) as z:
        for name, data, _ in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    record("pyzip.pt", dtypes, "", {}, "dtypes")


# --- zip and pickle emitters (hostile files) -------------------------------------------------------------------

def read_zip(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename), zipfile.ZIP_STORED) for i in z.infolist()]


def build_zip(entries, zip64_extras=False, comment=b"", align=64, sizes=None, offsets=None, methods=None,
              zip64_record=True, count=None):
    """A zip in torch's layout. `sizes`/`offsets`/`methods` override central-directory values per entry index
    (to make lying files); data is deflated where the method is 8."""
    out, cd, locs = bytearray(), bytearray(), []
    for i, (name, data, method) in enumerate(entries):
        method = (methods or {}).get(i, method)
        payload = zlib.compress(data)[2:-4] if method == 8 else data
        nb = name.encode()
        off = len(out)
        pad = (-(off + 30 + len(nb) + 4) % align) if align else 0
        extra = struct.pack("<HH", 0x4642, pad) + b"Z" * pad if align else b""
        crc = zlib.crc32(data)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, method, 0, 0, crc, len(payload), len(data), len(nb),
                           len(extra)) + nb + extra + payload
        csize, usize = (sizes or {}).get(i, (len(payload), len(data)))
        lho = (offsets or {}).get(i, off)
        locs.append(off)
        if zip64_extras:
            x = struct.pack("<HHQQQ", 1, 24, usize, csize, lho)
            fields = (0xffffffff, 0xffffffff, 0xffffffff)
        else:
            x = b""
            fields = (csize, usize, lho)
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, method, 0, 0, crc, fields[0], fields[1],
                          len(nb), len(x), 0, 0, 0, 0, fields[2]) + nb + x
    cd_off = len(out)
    n = len(entries) if count is None else count
    out += cd
    if zip64_record:
        rec = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n, len(cd), cd_off)
        out += struct.pack("<IIQI", 0x07064b50, 0, rec, 1)
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, len(comment))
    else:
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(cd), cd_off, len(comment))
    return bytes(out + comment)


def P_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def P_int(i):
    if 0 <= i < 256: return b"K" + bytes([i])
    if 0 <= i < 65536: return b"M" + struct.pack("<H", i)
    if -2**31 <= i < 2**31: return b"J" + struct.pack("<i", i)
    b = pickle.encode_long(i)
    return b"\x8a" + bytes([len(b)]) + b


def P_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def P_tuple(items):
    return b"(" + b"".join(items) + b"t"


def P_tensor(storage_type, key, numel, offset, shape, stride):
    """What torch.save emits for a tensor: _rebuild_tensor_v2((persistent storage id), offset, size, stride,
    requires_grad, OrderedDict())."""
    pid = P_tuple([P_str("storage"), P_global("torch", storage_type), P_str(key), P_str("cpu"), P_int(numel)])
    return (P_global("torch._utils", "_rebuild_tensor_v2") +
            P_tuple([pid + b"Q", P_int(offset), P_tuple([P_int(d) for d in shape]), P_tuple([P_int(s) for s in stride]),
                     b"\x89", P_global("collections", "OrderedDict") + b")R"]) + b"R")


def P_dict(items):
    return b"}(" + b"".join(k + v for k, v in items) + b"u"


def P_checkpoint(items):
    return b"\x80\x02" + P_dict(items) + b"."


def torch_layout(pickle_bytes, storages, top="archive", extra=()):
    """Entries of a checkpoint zip: data.pkl, data/<key> records, version."""
    e = [(f"{top}/data.pkl", pickle_bytes, 0)]
    e += [(f"{top}/data/{k}", v, 0) for k, v in storages.items()]
    e += [(f"{top}/version", b"3\n", 0)] + list(extra)
    return e


class Evil:
    """Never unpickled: pickling it only records the global os.system (posix.system) and its argument."""
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def make_bad():
    bad = {}
    f32_12 = struct.pack("<12f", *range(12))
    good_pickle = P_checkpoint([(P_str("w"), P_tensor("FloatStorage", "0", 12, 0, (3, 4), (4, 1)))])
    good = build_zip(torch_layout(good_pickle, {"0": f32_12}))
    bad["ok_reference.pt"] = good  # the unmodified base of the corruptions below; must load

    # zip container
    bad["truncated.pt"] = good[: len(good) // 2]
    first_cd = good.find(b"PK\x01\x02")
    bad["bad_cd_signature.pt"] = good[:first_cd] + b"PK\x01\x09" + good[first_cd + 4:]
    bad["entry_size_lies.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}), sizes={1: (48 + 5000, 48 + 5000)})
    bad["stored_sizes_differ.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}), sizes={1: (48, 4096)})
    bad["zip_bomb_sizes.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}), zip64_extras=True,
                                         sizes={1: (2**62, 2**62)})
    bad["overlap.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}), sizes={1: (48 + 40, 48 + 40)})
    bad["entry_count.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}), zip64_record=False, count=1000)
    bad["local_header_offset.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}), offsets={1: 3})
    bad["compressed.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}), methods={0: 8})
    bad["not_a_zip.pt"] = b"this is not a checkpoint\n" * 4
    bad["empty.pt"] = b""
    cd_lies = bytearray(build_zip(torch_layout(good_pickle, {"0": f32_12}), zip64_record=False))
    struct.pack_into("<I", cd_lies, len(cd_lies) - 6, 4000000000)  # the end record's central directory offset
    bad["cd_offset.pt"] = bytes(cd_lies)
    crc_bad = bytearray(good)
    at = crc_bad.find(b"storage")
    crc_bad[at] = ord("S")
    bad["crc_mismatch.pt"] = bytes(crc_bad)

    # layout and records
    bad["no_data_pkl.pt"] = build_zip([("stuff/readme.txt", b"hello", 0)])
    bad["big_endian.pt"] = build_zip(torch_layout(good_pickle, {"0": f32_12}, extra=[("archive/byteorder", b"big", 0)]))
    bad["missing_storage.pt"] = build_zip(torch_layout(good_pickle, {"1": f32_12}))
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf, _use_new_zipfile_serialization=False)
    bad["legacy.pt"] = buf.getvalue()
    bad["bare_pickle.pt"] = pickle.dumps({"a": 1}, protocol=2)
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    bad["torchscript.pt"] = buf.getvalue()

    # forbidden globals
    bad["global_os_system.pt"] = build_zip(torch_layout(
        b"\x80\x02" + P_global("os", "system") + P_tuple([P_str("echo pwned")]) + b"R.", {}))
    bad["global_reduce.pt"] = build_zip(torch_layout(pickle.dumps({"x": Evil()}, protocol=2), {}))
    bad["global_eval.pt"] = build_zip(torch_layout(
        b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x031+1\x94\x85R.", {}))
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2), "payload": Evil()}, buf)  # real torch.save: records the global, runs nothing
    bad["global_in_torch_save.pt"] = buf.getvalue()
    bad["global_subprocess.pt"] = build_zip(torch_layout(
        b"\x80\x02" + P_global("subprocess", "Popen") + P_tuple([P_str("id")]) + b"R.", {}))

    # pickle machine
    bad["unknown_opcode.pt"] = build_zip(torch_layout(b"\x80\x02}\xff.", {}))
    bad["inst_opcode.pt"] = build_zip(torch_layout(b"\x80\x02(ios\nsystem\n.", {}))
    bad["deep_nesting.pt"] = build_zip(torch_layout(b"\x80\x02)" + b"\x85" * 500 + b".", {}))
    bad["many_marks.pt"] = build_zip(torch_layout(b"\x80\x02" + b"(" * 5000 + b".", {}))
    bad["no_stop.pt"] = build_zip(torch_layout(good_pickle[:-1], {"0": f32_12}))
    bad["truncated_pickle.pt"] = build_zip(torch_layout(good_pickle[:40], {"0": f32_12}))
    bad["string_length.pt"] = build_zip(torch_layout(b"\x80\x02X" + struct.pack("<I", 0x7fffffff) + b"abc.", {}))
    bad["empty_memo.pt"] = build_zip(torch_layout(b"\x80\x02h\x05.", {}))
    bad["stack_underflow.pt"] = build_zip(torch_layout(b"\x80\x02R.", {}))
    bad["huge_int.pt"] = build_zip(torch_layout(b"\x80\x02\x8a\x09" + b"\x01" * 9 + b".", {}))
    bad["protocol_9.pt"] = build_zip(torch_layout(b"\x80\x09}.", {}))

    # tensors against their storages
    def one(tensor, storages):
        return build_zip(torch_layout(P_checkpoint([(P_str("w"), tensor)]), storages))
    bad["storage_too_small.pt"] = one(P_tensor("FloatStorage", "0", 12, 0, (4, 4), (4, 1)), {"0": f32_12})
    bad["offset_past_storage.pt"] = one(P_tensor("FloatStorage", "0", 12, 10, (2, 2), (2, 1)), {"0": f32_12})
    bad["record_too_small.pt"] = one(P_tensor("FloatStorage", "0", 16, 0, (4, 4), (4, 1)), {"0": f32_12})
    bad["shape_overflow.pt"] = one(P_tensor("FloatStorage", "0", 12, 0, (2**40, 2**40), (0, 0)), {"0": f32_12})
    bad["stride_overflow.pt"] = one(P_tensor("FloatStorage", "0", 12, 0, (4, 2), (2**63 - 1, 1)), {"0": f32_12})
    bad["too_many_dims.pt"] = one(P_tensor("FloatStorage", "0", 12, 0, (1,) * 9, (1,) * 9), {"0": f32_12})
    bad["negative_dim.pt"] = one(P_tensor("FloatStorage", "0", 12, 0, (3, -4), (4, 1)), {"0": f32_12})
    bad["complex_storage.pt"] = one(P_tensor("ComplexFloatStorage", "0", 6, 0, (6,), (1,)), {"0": f32_12})
    bad["shared_storage_dtypes.pt"] = build_zip(torch_layout(P_checkpoint([
        (P_str("a"), P_tensor("FloatStorage", "0", 12, 0, (12,), (1,))),
        (P_str("b"), P_tensor("HalfStorage", "0", 24, 0, (24,), (1,)))]), {"0": f32_12}))
    bad["duplicate_names.pt"] = build_zip(torch_layout(b"\x80\x02" + P_dict([
        (P_str("a.b"), P_tensor("FloatStorage", "0", 12, 0, (12,), (1,))),
        (P_str("a"), P_dict([(P_str("b"), P_tensor("FloatStorage", "0", 12, 0, (3,), (1,)))]))]) + b".",
        {"0": f32_12}))
    # one dict referenced twice per level, 60 levels: 2^60 paths to list, built from a few hundred bytes
    blowup = b"\x80\x02}(" + P_str("t") + P_tensor("FloatStorage", "0", 12, 0, (12,), (1,)) + b"uq\x00"
    for i in range(1, 61):
        blowup += b"}(" + P_str("a") + b"h" + bytes([i - 1]) + P_str("b") + b"h" + bytes([i - 1]) + b"uq" + bytes([i])
    bad["shared_blowup.pt"] = build_zip(torch_layout(blowup + b".", {"0": f32_12}))
    return bad


def make_config():
    """Whisper dims derivation and checks: no dims (derive), dims that disagree with the tensors."""
    d = os.path.join(ROOT, "config")
    os.makedirs(d, exist_ok=True)
    dims = dict(WHISPER_DIMS)
    wsd = whisper_state_dict(dims)
    torch.save({"model_state_dict": wsd}, os.path.join(d, "whisper_no_dims.pt"))
    torch.save({"dims": dict(dims, n_audio_state=32), "model_state_dict": wsd}, os.path.join(d, "whisper_wrong_dims.pt"))
    torch.save({"dims": dict(dims, n_audio_layer=1), "model_state_dict": wsd}, os.path.join(d, "whisper_extra_layer.pt"))


def main():
    os.makedirs(GOOD, exist_ok=True)
    os.makedirs(BAD, exist_ok=True)
    make_good()
    make_config()
    meta["files"] = ",".join(files)
    write_safetensors(os.path.join(ROOT, "expected.safetensors"), expected, meta)
    for name, data in make_bad().items():
        with open(os.path.join(BAD, name), "wb") as f:
            f.write(data)
    total = sum(os.path.getsize(os.path.join(d, n)) for d in (GOOD, BAD, ROOT, os.path.join(ROOT, "config")) for n in os.listdir(d)
                if os.path.isfile(os.path.join(d, n)))
    print(f"wrote {len(files)} good files, {len(os.listdir(BAD))} bad files, {len(expected)} expected tensors; "
          f"{total} bytes in {ROOT}")


if __name__ == "__main__":
    sys.exit(main())
