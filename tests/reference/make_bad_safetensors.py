#!/usr/bin/env python3
"""Hand-made malformed and hostile safetensors files for tests/test_safetensors.c and the CLI test.

Writes tests/data/safetensors_bad/<name>.safetensors and expected.txt (one line per file: name, a tab, a
fragment the one-line error must contain). Plain python3, no torch. Run from anywhere:
    python3 tests/reference/make_bad_safetensors.py
"""
import json, os, struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "safetensors_bad")


def st(header_bytes, data=b""):
    return struct.pack("<Q", len(header_bytes)) + header_bytes + data


def hdr(obj):
    return json.dumps(obj).encode()


GOOD = {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}
cases = {
    "empty": (b"", "too short"),
    "seven_bytes": (b"\x01\x02\x03\x04\x05\x06\x07", "too short"),
    "header_past_eof": (struct.pack("<Q", 1000) + b"{}", "past end of file"),
    "header_huge": (struct.pack("<Q", 1 << 62) + b"{}", "absurd"),
    "not_json": (st(b"{not json at all"), "not valid JSON"),
    "json_array": (st(b"[1, 2, 3]"), "not a JSON object"),
    "trailing_garbage": (st(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}} xyz', b"\0" * 4), "after the header"),
    "entry_not_object": (st(hdr({"a": 5})), "not an object"),
    "missing_dtype": (st(hdr({"a": {"shape": [1], "data_offsets": [0, 4]}}), b"\0" * 4), "missing dtype"),
    "missing_shape": (st(hdr({"a": {"dtype": "F32", "data_offsets": [0, 4]}}), b"\0" * 4), "missing shape"),
    "missing_offsets": (st(hdr({"a": {"dtype": "F32", "shape": [1]}}), b"\0" * 4), "data_offsets"),
    "unknown_dtype": (st(hdr({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}), b"\0" * 16), "unknown dtype"),
    "negative_shape": (st(hdr({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}), b"\0" * 4), "non-negative integer"),
    "float_shape": (st(hdr({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}), b"\0" * 4), "non-negative integer"),
    "string_shape": (st(hdr({"a": {"dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]}}), b"\0" * 8), "non-negative integer"),
    "huge_shape": (st(hdr({"a": {"dtype": "F32", "shape": [1 << 50], "data_offsets": [0, 4]}}), b"\0" * 4), "bytes of data"),
    "shape_overflow": (st(hdr({"a": {"dtype": "F64", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 8]}}), b"\0" * 8), "overflows"),
    "rank_too_high": (st(hdr({"a": {"dtype": "F32", "shape": [1] * 9, "data_offsets": [0, 4]}}), b"\0" * 4), "rank 9"),
    "offsets_reversed": (st(hdr({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}}), b"\0" * 8), "reversed"),
    "offsets_past_end": (st(hdr({"a": {"dtype": "F32", "shape": [300], "data_offsets": [0, 1200]}}), b"\0" * 1000), "past end of data"),
    "size_mismatch": (st(hdr({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}), b"\0" * 16), "bytes of data for"),
    "overlap": (st(hdr({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}), b"\0" * 12), "overlaps"),
    "hole": (st(hdr({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}), b"\0" * 8), "belong to no tensor"),
    "tail_bytes": (st(hdr(GOOD), b"\0" * 20), "after the last tensor"),
    "duplicate_name": (st(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
                          b'"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', b"\0" * 8), "appears twice"),
    "metadata_not_string": (st(hdr({"__metadata__": {"k": 5}, **GOOD}), b"\0" * 16), "not a string"),
    "metadata_not_object": (st(hdr({"__metadata__": [1], **GOOD}), b"\0" * 16), "not an object"),
    "deep_nesting": (st(b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"), "nests deeper"),
    "truncated_data": (st(hdr({"a": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}), b"\0" * 100), "past end of data"),
    "offsets_one_number": (st(hdr({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}), b"\0" * 4), "data_offsets"),
}

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "expected.txt"), "w") as exp:
    for name, (blob, fragment) in sorted(cases.items()):
        with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
            f.write(blob)
        exp.write(f"{name}\t{fragment}\n")
print(f"{len(cases)} files in {OUT}")
