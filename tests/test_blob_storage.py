"""MIL blob storage (weight.bin): exact bytes, round trips of every dtype, element codecs
against independent references, corrupt-file handling, zero-copy reads, real corpus files."""
import bisect
import gc
import math
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from opencoreml import libmilstoragepython as ms
from opencoreml._errors import BlobStorageError, InvalidArgumentError, ModelIOError, ModelNotFoundError

CORPUS = Path(__file__).parent / "data" / "corpus"
MLP_WEIGHTS = CORPUS / "torch_mlp_fp32" / "model.mlpackage" / "Data" / "com.apple.CoreML" / "weights" / "weight.bin"

SENTINEL = 0xDEADBEEF
CODES = {
    "float16": 1, "float32": 2, "uint8": 3, "int8": 4, "bfloat16": 5, "int16": 6, "uint16": 7,
    "int4": 8, "uint1": 9, "uint2": 10, "uint4": 11, "uint3": 12, "uint6": 13, "int32": 14,
    "uint32": 15, "float8e4m3fn": 16, "float8e5m2": 17,
}
# method suffix -> (dtype name, bits per element)
SUFFIXES = {
    "int4": ("int4", 4), "uint1": ("uint1", 1), "uint2": ("uint2", 2), "uint3": ("uint3", 3),
    "uint4": ("uint4", 4), "uint6": ("uint6", 6), "int8": ("int8", 8), "uint8": ("uint8", 8),
    "int16": ("int16", 16), "uint16": ("uint16", 16), "int32": ("int32", 32), "uint32": ("uint32", 32),
    "fp16": ("float16", 16), "float": ("float32", 32), "bf16": ("bfloat16", 16),
    "fp8e4m3fn": ("float8e4m3fn", 8), "fp8e5m2": ("float8e5m2", 8),
}
SUBBYTE = {"int4", "uint1", "uint2", "uint3", "uint4", "uint6"}
LENGTHS = [0, 1, 7, 8, 9, 1000]


# ---- independent references -------------------------------------------------------------

def header(count):
    return struct.pack("<II", count, 2) + bytes(56)


def record(dtype, size, data_offset, padding=0):
    return struct.pack("<IIQQQ", SENTINEL, CODES[dtype], size, data_offset, padding) + bytes(32)


def align64(x):
    return (x + 63) // 64 * 64


def build_file(blobs):
    """Expected file bytes for [(dtype, data bytes, padding)], written in order."""
    out = bytearray(header(len(blobs)))
    offsets = []
    for dtype, data, padding in blobs:
        out += bytes(align64(len(out)) - len(out))
        offsets.append(len(out))
        out += record(dtype, len(data), len(out) + 64, padding)
        out += data
    return bytes(out), offsets


def ref_pack(values, bits):
    out = bytearray((len(values) * bits + 7) // 8)
    for i, v in enumerate(values):
        u = int(v) & ((1 << bits) - 1)
        for b in range(bits):
            if (u >> b) & 1:
                k = i * bits + b
                out[k // 8] |= 1 << (k % 8)
    return bytes(out)


FP8 = {"float8e4m3fn": (4, 3, True), "float8e5m2": (5, 2, False)}


def ref_fp8_decode(code, fmt):
    ebits, mbits, finite_only = FP8[fmt]
    bias = 2 ** (ebits - 1) - 1
    sign = -1.0 if code & 0x80 else 1.0
    e = (code >> mbits) & ((1 << ebits) - 1)
    m = code & ((1 << mbits) - 1)
    if e == (1 << ebits) - 1:
        if finite_only:
            if m == (1 << mbits) - 1:
                return math.nan
        else:
            return sign * math.inf if m == 0 else math.nan
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - mbits)
    return sign * (1 + m / 2 ** mbits) * 2.0 ** (e - bias)


def ref_fp8_encode(x, fmt):
    """Nearest representable value, ties to the even code; overflow -> inf (e5m2) or NaN (e4m3fn)."""
    _, _, finite_only = FP8[fmt]
    nan_code = 0x7F if finite_only else 0x7E
    if math.isnan(x):
        return nan_code
    sign = 0x80 if math.copysign(1.0, x) < 0 else 0
    a = abs(x)
    overflow = 0x7F if finite_only else 0x7C
    if math.isinf(a):
        return sign | overflow
    finite = [(ref_fp8_decode(c, fmt), c) for c in range(128)]
    finite = [(v, c) for v, c in finite if math.isfinite(v)]  # ascending in value and code
    top_v, top_c = finite[-1]
    step = top_v - finite[-2][0]
    candidates = finite + [(top_v + step, top_c + 1)]  # the value the next code would have
    if a >= top_v + step:
        return sign | overflow
    i = bisect.bisect_right([v for v, _ in candidates], a)
    lo, hi = candidates[max(i - 1, 0)], candidates[min(i, len(candidates) - 1)]
    d_lo, d_hi = Fraction(a) - Fraction(lo[0]), Fraction(hi[0]) - Fraction(a)
    best = lo if (d_lo < d_hi or (d_lo == d_hi and lo[1] % 2 == 0)) else hi
    if best[1] > top_c:
        return sign | overflow
    return sign | best[1]


def random_values(suffix, n, rng):
    dtype, bits = SUFFIXES[suffix]
    if dtype == "int4":
        return rng.integers(-8, 8, n, dtype=np.int8)
    if dtype in SUBBYTE:
        return rng.integers(0, 2 ** bits, n, dtype=np.uint8)
    if dtype == "float32":
        return rng.standard_normal(n).astype(np.float32)
    np_type = {"float16": np.uint16, "bfloat16": np.uint16, "float8e4m3fn": np.uint8, "float8e5m2": np.uint8}.get(
        dtype, dtype)
    info = np.iinfo(np_type)
    return rng.integers(info.min, info.max, n, dtype=np_type, endpoint=True)


def storage_bytes(suffix, values):
    dtype, bits = SUFFIXES[suffix]
    if dtype in SUBBYTE:
        return ref_pack(values, bits), (8 - (len(values) * bits) % 8) % 8
    return np.ascontiguousarray(values).tobytes(), 0


# ---- exact bytes ---------------------------------------------------------------------------

def write_example(path, n_blobs):
    w = ms._BlobStorageWriter(str(path))
    offsets = [w.write_uint8_data(np.array([1, 2, 3, 4, 5], dtype=np.uint8)),
               w.write_fp16_data(np.array([1, 2, -2], dtype=np.float16).view(np.uint16))]
    if n_blobs == 4:
        offsets.append(w.write_uint3_data(np.arange(1, 8, dtype=np.uint8)))
        offsets.append(w.write_int4_data(np.array([-8, 7, -1], dtype=np.int8)))
    del w
    return offsets


def test_worked_example_uint8_then_fp16(tmp_path):
    path = tmp_path / "weight.bin"
    assert write_example(path, 2) == [64, 192]
    data = path.read_bytes()
    assert len(data) == 262
    expected = (header(2) + record("uint8", 5, 128) + bytes([1, 2, 3, 4, 5]) + bytes(59)
                + record("float16", 6, 256) + bytes.fromhex("003c004000c0"))
    assert data == expected
    assert data[64:68] == bytes.fromhex("efbeadde")


def test_worked_example_four_blobs(tmp_path):
    path = tmp_path / "weight.bin"
    assert write_example(path, 4) == [64, 192, 320, 448]
    data = path.read_bytes()
    assert len(data) == 0x202
    assert data[:8] == bytes.fromhex("0400000002000000")
    assert data[384:387] == bytes.fromhex("D1581F")
    assert struct.unpack_from("<IIQQQ", data, 320) == (SENTINEL, 12, 3, 384, 3)
    assert data[512:514] == bytes.fromhex("780F")
    assert struct.unpack_from("<IIQQQ", data, 448) == (SENTINEL, 8, 2, 512, 4)
    expected, offsets = build_file([
        ("uint8", bytes([1, 2, 3, 4, 5]), 0), ("float16", bytes.fromhex("003c004000c0"), 0),
        ("uint3", bytes.fromhex("D1581F"), 3), ("int4", bytes.fromhex("780F"), 4)])
    assert offsets == [64, 192, 320, 448]
    assert data == expected

    r = ms._BlobStorageReader(str(path))
    assert len(r) == 4
    assert r.blobs() == [
        ms.BlobInfo(64, "uint8", 5, 128, 0, 5), ms.BlobInfo(192, "float16", 6, 256, 0, 3),
        ms.BlobInfo(320, "uint3", 3, 384, 3, 7), ms.BlobInfo(448, "int4", 2, 512, 4, 3)]
    assert r.read_uint3_data(320).tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert r.read_int4_data(448).tolist() == [-8, 7, -1]
    assert r.read_data(192).dtype == np.float16
    assert r.read_data(192).tolist() == [1.0, 2.0, -2.0]
    assert r.read_fp16_data(192).dtype == np.uint16


# ---- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", list(SUFFIXES))
@pytest.mark.parametrize("n", LENGTHS)
def test_round_trip(tmp_path, suffix, n):
    rng = np.random.default_rng(1000 * n + list(SUFFIXES).index(suffix))
    dtype, bits = SUFFIXES[suffix]
    values = random_values(suffix, n, rng)
    path = tmp_path / "weight.bin"
    w = ms._BlobStorageWriter(str(path))
    first = w.write_uint8_data(np.array([9], dtype=np.uint8))  # so the blob under test is not at 64
    offset = getattr(w, f"write_{suffix}_data")(values)
    del w
    assert (first, offset) == (64, 192)

    packed, padding = storage_bytes(suffix, values)
    expected, _ = build_file([("uint8", b"\x09", 0), (dtype, packed, padding)])
    assert path.read_bytes() == expected

    r = ms._BlobStorageReader(str(path))
    info = r.info(offset)
    assert info == ms.BlobInfo(offset, dtype, len(packed), offset + 64, padding, n)
    assert r.blobs()[1] == info
    back = getattr(r, f"read_{suffix}_data")(offset)
    expected_np = {"int4": np.int8, "float": np.float32, "fp16": np.uint16, "bf16": np.uint16,
                   "fp8e4m3fn": np.uint8, "fp8e5m2": np.uint8}.get(suffix, np.uint8 if dtype in SUBBYTE else dtype)
    assert back.dtype == expected_np
    assert back.shape == (n,)
    assert back.tobytes() == np.asarray(values, dtype=expected_np).tobytes()
    assert r.read_raw(offset).tobytes() == packed

    natural = r.read_data(offset)
    assert natural.shape == (n,)
    if dtype == "float16":
        assert natural.dtype == np.float16 and natural.view(np.uint16).tolist() == values.tolist()
    elif dtype == "bfloat16":
        assert natural.dtype == np.float32
        assert natural.view(np.uint32).tolist() == (values.astype(np.uint32) << 16).tolist()
    elif dtype in FP8:
        ref = np.array([ref_fp8_decode(int(c), dtype) for c in values], dtype=np.float32)
        np.testing.assert_array_equal(natural, ref)
    else:
        assert natural.tobytes() == back.tobytes()


def test_all_types_in_one_file_and_listing(tmp_path):
    rng = np.random.default_rng(7)
    path = tmp_path / "weight.bin"
    w = ms._BlobStorageWriter(str(path))
    written = []
    for suffix in SUFFIXES:
        for n in (3, 17):
            values = random_values(suffix, n, rng)
            written.append((suffix, values, getattr(w, f"write_{suffix}_data")(values)))
    del w
    blobs = [(SUFFIXES[s][0],) + storage_bytes(s, v) for s, v, _ in written]
    expected, offsets = build_file(blobs)
    assert path.read_bytes() == expected
    assert [o for _, _, o in written] == offsets
    r = ms._BlobStorageReader(str(path))
    listed = r.blobs()
    assert [b.offset for b in listed] == offsets
    assert [b.dtype for b in listed] == [SUFFIXES[s][0] for s, _, _ in written]
    for (suffix, values, offset) in written:
        assert getattr(r, f"read_{suffix}_data")(offset).tobytes() == np.asarray(values).astype(
            getattr(r, f"read_{suffix}_data")(offset).dtype).tobytes()


def test_subbyte_codec_functions():
    for suffix, (dtype, bits) in SUFFIXES.items():
        if dtype not in SUBBYTE:
            continue
        values = random_values(suffix, 1001, np.random.default_rng(bits))
        packed, padding = ms.pack_subbyte(values, dtype)
        assert packed.tobytes() == ref_pack(values, bits)
        assert padding == (8 - (1001 * bits) % 8) % 8
        assert ms.unpack_subbyte(packed, dtype, 1001).tolist() == values.tolist()


# ---- element conversions ------------------------------------------------------------------

def special_floats():
    vals = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 70000.0, -1e30, 3.4e38, 1e-8, 5.96e-8,
            2.98e-8, 2.99e-8, 6.1e-5, -6.1e-5, 1e-45, np.inf, -np.inf, 448.0, 464.0, 465.0, 480.0,
            57344.0, 61439.0, 61440.0, 1.5e-5, 2 ** -9, 2 ** -10, 2 ** -16, 2 ** -17, 1.0000001]
    return np.array(vals, dtype=np.float32)


def test_fp16_against_numpy():
    rng = np.random.default_rng(3)
    x = np.concatenate([special_floats(), rng.standard_normal(20000).astype(np.float32) * 1000,
                        (rng.standard_normal(20000) * 1e-5).astype(np.float32),
                        rng.integers(0, 2 ** 32, 20000, dtype=np.uint32).view(np.float32)])
    got = ms.encode_float32(x, "float16")
    assert got.dtype == np.uint16
    with np.errstate(over="ignore", invalid="ignore"):
        want = x.astype(np.float16)
    nan = np.isnan(x)
    assert np.array_equal(got[~nan], want[~nan].view(np.uint16))
    assert np.isnan(got[nan].view(np.float16)).all()

    every = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    decoded = ms.decode_to_float32(every, "float16")
    want = every.view(np.float16).astype(np.float32)
    assert np.array_equal(np.isnan(decoded), np.isnan(want))
    finite = ~np.isnan(want)
    assert np.array_equal(decoded[finite].view(np.uint32), want[finite].view(np.uint32))


def test_fp16_writer_accepts_float_arrays(tmp_path):
    path = tmp_path / "w.bin"
    w = ms._BlobStorageWriter(str(path))
    x = np.array([0.1, 1e5, -3.5, 2 ** -20], dtype=np.float32)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16)
    a = w.write_fp16_data(x)     # rounded
    b = w.write_fp16_data(want)  # already half precision: bits kept
    del w
    r = ms._BlobStorageReader(str(path))
    assert r.read_fp16_data(a).tolist() == want.view(np.uint16).tolist()
    assert r.read_fp16_data(b).tolist() == want.view(np.uint16).tolist()


def test_bf16_against_bit_reference():
    rng = np.random.default_rng(4)
    x = np.concatenate([special_floats(), rng.standard_normal(50000).astype(np.float32),
                        rng.integers(0, 2 ** 32, 50000, dtype=np.uint32).view(np.float32)])
    u = x.view(np.uint32).astype(np.uint64)
    want = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)  # round to nearest even
    got = ms.encode_float32(x, "bfloat16")
    nan = np.isnan(x)
    assert np.array_equal(got[~nan], want[~nan])
    decoded = ms.decode_to_float32(got, "bfloat16")
    assert np.isnan(decoded[nan]).all()
    every = np.arange(65536, dtype=np.uint32)
    assert np.array_equal(ms.decode_to_float32(every.astype(np.uint16), "bfloat16").view(np.uint32), every << 16)
    # exact bfloat16 values survive the round trip
    exact = (x.view(np.uint32) & 0xFFFF0000).view(np.float32)
    ok = ~np.isnan(exact)
    assert np.array_equal(ms.encode_float32(exact[ok], "bfloat16"), (exact[ok].view(np.uint32) >> 16).astype(np.uint16))


@pytest.mark.parametrize("fmt", list(FP8))
def test_fp8_against_reference(fmt):
    codes = np.arange(256, dtype=np.uint16).astype(np.uint8)
    ref = np.array([ref_fp8_decode(int(c), fmt) for c in codes], dtype=np.float32)
    decoded = ms.decode_to_float32(codes, fmt)
    np.testing.assert_array_equal(decoded, ref)  # NaNs compare equal here
    assert np.array_equal(np.signbit(decoded[~np.isnan(ref)]), np.signbit(ref[~np.isnan(ref)]))

    finite = np.unique(ref[np.isfinite(ref)])
    mids = ((finite[:-1].astype(np.float64) + finite[1:]) / 2).astype(np.float32)
    rng = np.random.default_rng(5)
    x = np.concatenate([
        special_floats(), finite, mids, np.nextafter(mids, np.float32(np.inf)),
        np.nextafter(mids, np.float32(-np.inf)),
        (np.exp2(rng.uniform(-20, 18, 4000)) * rng.choice([-1, 1], 4000)).astype(np.float32),
        np.array([np.nan, -np.nan], dtype=np.float32)]).astype(np.float32)
    got = ms.encode_float32(x, fmt)
    for xi, gi in zip(x.tolist(), got.tolist()):
        want = ref_fp8_encode(xi, fmt)
        if math.isnan(ref_fp8_decode(want, fmt)):
            assert math.isnan(ref_fp8_decode(gi, fmt)), (fmt, xi, gi)
        else:
            assert gi == want, (fmt, xi, hex(gi), hex(want))


@pytest.mark.parametrize("suffix", ["bf16", "fp8e4m3fn", "fp8e5m2"])
def test_float_formats_written_from_floats(tmp_path, suffix):
    dtype = SUFFIXES[suffix][0]
    x = np.array([0.5, -1.25, 3.0, 0.0], dtype=np.float32)  # exact in every format
    path = tmp_path / "w.bin"
    w = ms._BlobStorageWriter(str(path))
    off = getattr(w, f"write_{suffix}_data")(x)
    del w
    r = ms._BlobStorageReader(str(path))
    assert r.read_data(off).tolist() == x.tolist()
    assert getattr(r, f"read_{suffix}_data")(off).tolist() == ms.encode_float32(x, dtype).tolist()


# ---- rejected input ----------------------------------------------------------------------

@pytest.mark.parametrize("suffix,values,bad", [
    ("uint1", [0, 1, 2], 2), ("uint2", [4], 4), ("uint3", [1, 8], 8), ("uint4", [16], 16), ("uint6", [64], 64),
    ("int4", [8], 8), ("int4", [0, -9], -9), ("uint3", np.array([-1], dtype=np.int8), -1),
])
def test_out_of_range_subbyte_values_rejected(tmp_path, suffix, values, bad):
    path = tmp_path / "w.bin"
    w = ms._BlobStorageWriter(str(path))
    with pytest.raises(InvalidArgumentError) as e:
        getattr(w, f"write_{suffix}_data")(np.asarray(values))
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert f"value {bad} at index {len(values) - 1}" in msg
    assert f"for {SUFFIXES[suffix][0]}" in msg and str(path) in msg
    w.write_uint8_data(np.array([1], dtype=np.uint8))
    del w
    assert len(ms._BlobStorageReader(str(path))) == 1  # nothing half-written


def test_wrong_dtype_read_names_both(tmp_path):
    path = tmp_path / "w.bin"
    write_example(path, 4)
    r = ms._BlobStorageReader(str(path))
    with pytest.raises(BlobStorageError, match=r"offset 320 holds uint3 data, but float32 was requested"):
        r.read_float_data(320)
    with pytest.raises(BlobStorageError, match="holds float16 data, but uint16"):
        r.read_uint16_data(192)
    with pytest.raises(BlobStorageError, match="holds int4 data, but uint4"):
        r.read_uint4_data(448)


# ---- append mode -------------------------------------------------------------------------

def test_append_keeps_earlier_blobs(tmp_path):
    path = tmp_path / "w.bin"
    write_example(path, 2)
    before = path.read_bytes()
    w = ms._BlobStorageWriter(str(path), truncate_file=False)
    off = w.write_float_data(np.array([1.5, 2.5], dtype=np.float32))
    del w
    assert off == align64(262)
    data = path.read_bytes()
    assert data[:4] == struct.pack("<I", 3)
    assert data[4:262] == before[4:262]
    r = ms._BlobStorageReader(str(path))
    assert [b.offset for b in r.blobs()] == [64, 192, 320]
    assert r.read_uint8_data(64).tolist() == [1, 2, 3, 4, 5]
    assert r.read_float_data(off).tolist() == [1.5, 2.5]

    ms._BlobStorageWriter(str(path))  # truncate_file=True (default) starts over
    assert path.read_bytes() == header(0)


def test_append_creates_missing_file_and_rejects_bad_header(tmp_path):
    fresh = tmp_path / "fresh.bin"
    w = ms._BlobStorageWriter(str(fresh), truncate_file=False)
    assert w.write_int8_data(np.array([-1], dtype=np.int8)) == 64
    del w
    assert ms._BlobStorageReader(str(fresh)).read_int8_data(64).tolist() == [-1]

    v1 = tmp_path / "v1.bin"
    v1.write_bytes(struct.pack("<II", 0, 1) + bytes(56))
    with pytest.raises(BlobStorageError, match="version 1") as e:
        ms._BlobStorageWriter(str(v1), truncate_file=False)
    assert str(v1) in str(e.value)
    short = tmp_path / "short.bin"
    short.write_bytes(b"\x00" * 10)
    with pytest.raises(BlobStorageError, match="too short"):
        ms._BlobStorageWriter(str(short), truncate_file=False)
    assert v1.read_bytes()[4] == 1  # untouched


# ---- corrupt and missing files ---------------------------------------------------------------

@pytest.fixture
def example(tmp_path):
    path = tmp_path / "weight.bin"
    write_example(path, 4)
    return path, bytearray(path.read_bytes())


def corrupt(path, data):
    path.write_bytes(bytes(data))
    return path


def expect_blob_error(path, pattern, action):
    with pytest.raises(BlobStorageError, match=pattern) as e:
        action()
    assert isinstance(e.value, ValueError)
    assert f"'{path}'" in str(e.value)
    return str(e.value)


def test_truncated_header(example):
    path, data = example
    corrupt(path, data[:40])
    expect_blob_error(path, "too short", lambda: ms._BlobStorageReader(str(path)))
    corrupt(path, b"")
    expect_blob_error(path, "too short", lambda: ms._BlobStorageReader(str(path)))


def test_wrong_version(example):
    path, data = example
    struct.pack_into("<I", data, 4, 1)
    corrupt(path, data)
    expect_blob_error(path, "version 1", lambda: ms._BlobStorageReader(str(path)))


def test_bad_sentinel(example):
    path, data = example
    data[192:196] = bytes(4)
    corrupt(path, data)
    r = ms._BlobStorageReader(str(path))
    msg = expect_blob_error(path, "bad sentinel", lambda: r.read_data(192))
    assert "offset 192" in msg and "0x00000000" in msg and "0xDEADBEEF" in msg
    expect_blob_error(path, r"blob 2 of the 4", r.blobs)


def test_offset_not_aligned_or_outside(example):
    path, _ = example
    r = ms._BlobStorageReader(str(path))
    assert "offset 100" in expect_blob_error(path, "not aligned", lambda: r.read_data(100))
    expect_blob_error(path, "file header", lambda: r.read_uint8_data(0))
    assert "offset 4096" in expect_blob_error(path, "beyond the end", lambda: r.read_data(4096))
    expect_blob_error(path, "beyond the end", lambda: r.read_data(512))  # 2 bytes left, record needs 64
    expect_blob_error(path, "beyond the end", lambda: r.read_data(2 ** 64 - 64))


def test_data_running_past_eof(example):
    path, data = example
    corrupt(path, data[:-1])
    r = ms._BlobStorageReader(str(path))
    msg = expect_blob_error(path, "runs past the end", lambda: r.read_int4_data(448))
    assert "offset 448" in msg
    assert r.read_uint3_data(320).tolist() == [1, 2, 3, 4, 5, 6, 7]  # others still readable
    data = bytearray(path.read_bytes())
    struct.pack_into("<Q", data, 192 + 8, 2 ** 64 - 1)  # size overflowing offset + size
    corrupt(path, data)
    expect_blob_error(path, "runs past the end", lambda: ms._BlobStorageReader(str(path)).read_data(192))
    struct.pack_into("<QQ", data, 192 + 8, 6, 2 ** 63)
    corrupt(path, data)
    expect_blob_error(path, "runs past the end", lambda: ms._BlobStorageReader(str(path)).read_data(192))


def test_unknown_dtype_code(example):
    path, data = example
    struct.pack_into("<I", data, 64 + 4, 99)
    corrupt(path, data)
    r = ms._BlobStorageReader(str(path))
    assert "offset 64" in expect_blob_error(path, "unknown data type code 99", lambda: r.read_data(64))
    struct.pack_into("<I", data, 64 + 4, 0)
    corrupt(path, data)
    expect_blob_error(path, "unknown data type code 0", lambda: ms._BlobStorageReader(str(path)).blobs())


@pytest.mark.parametrize("at,padding,pattern", [
    (320, 8, "must be less than 8"),     # uint3
    (320, 2, "not a whole number"),      # 24 - 2 bits is not a multiple of 3
    (448, 3, "not a whole number"),      # int4 with 13 bits
    (448, 2 ** 63, "must be less than 8"),
])
def test_padding_inconsistent(example, at, padding, pattern):
    path, data = example
    struct.pack_into("<Q", data, at + 24, padding)
    corrupt(path, data)
    r = ms._BlobStorageReader(str(path))
    assert f"offset {at}" in expect_blob_error(path, pattern, lambda: r.read_data(at))


def test_padding_ignored_for_byte_types_and_size_checked(example):
    path, data = example
    struct.pack_into("<Q", data, 64 + 24, 12345)  # old writers left garbage here
    struct.pack_into("<Q", data, 192 + 8, 5)     # 5 bytes of float16
    corrupt(path, data)
    r = ms._BlobStorageReader(str(path))
    assert r.read_uint8_data(64).tolist() == [1, 2, 3, 4, 5]
    assert r.info(64).padding_bits == 0
    expect_blob_error(path, "not a whole number of 2-byte elements", lambda: r.read_data(192))


def test_subbyte_padding_with_no_data(tmp_path):
    path = tmp_path / "w.bin"
    w = ms._BlobStorageWriter(str(path))
    off = w.write_uint3_data(np.zeros(0, dtype=np.uint8))
    del w
    data = bytearray(path.read_bytes())
    assert len(data) == 128 and ms._BlobStorageReader(str(path)).read_uint3_data(off).size == 0
    struct.pack_into("<Q", data, off + 24, 3)
    corrupt(path, data)
    expect_blob_error(path, "no data", lambda: ms._BlobStorageReader(str(path)).read_data(off))


def test_count_larger_than_blobs(example):
    path, data = example
    struct.pack_into("<I", data, 0, 0xFFFFFFFF)
    corrupt(path, data)
    r = ms._BlobStorageReader(str(path))
    assert len(r) == 0xFFFFFFFF
    expect_blob_error(path, r"beyond the end.*blob 5 of the 4294967295", r.blobs)


def test_random_corruption_never_crashes(example):
    path, base = example
    rng = np.random.default_rng(11)
    for _ in range(400):
        data = bytearray(base)
        for pos in rng.integers(0, len(data), rng.integers(1, 6)):
            data[pos] = int(rng.integers(0, 256))
        if rng.random() < 0.2:
            data = data[: int(rng.integers(0, len(data)))]
        corrupt(path, data)
        try:
            r = ms._BlobStorageReader(str(path))
        except BlobStorageError:
            continue
        for off in (0, 64, 192, 320, 448, 512, 8):
            try:
                r.read_data(off)
                r.read_raw(off)
            except BlobStorageError:
                pass
        try:
            for b in r.blobs():
                r.read_data(b.offset)
        except BlobStorageError:
            pass


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope" / "weight.bin"
    with pytest.raises(FileNotFoundError) as e:
        ms._BlobStorageReader(str(missing))
    assert isinstance(e.value, ModelNotFoundError)
    assert str(missing) in str(e.value)
    with pytest.raises(ModelIOError):
        ms._BlobStorageReader(str(tmp_path))
    with pytest.raises(OSError):
        ms._BlobStorageWriter(str(missing))  # parent folder missing


# ---- zero copy -----------------------------------------------------------------------------

def test_reads_are_read_only_views_that_keep_the_mapping_alive(tmp_path):
    path = tmp_path / "w.bin"
    values = np.arange(10000, dtype=np.float32)
    w = ms._BlobStorageWriter(str(path))
    off = w.write_float_data(values)
    off16 = w.write_fp16_data(values[:10].astype(np.float16))
    del w
    r = ms._BlobStorageReader(str(path))
    a = r.read_float_data(off)
    b = r.read_data(off)
    h = r.read_data(off16)
    for arr in (a, b, h):
        assert not arr.flags.owndata
        assert not arr.flags.writeable
        assert arr.base is not None and not isinstance(arr.base, np.ndarray)
    assert np.shares_memory(a, b)  # both point into the same mapping
    assert a.ctypes.data % 64 == 0
    with pytest.raises(ValueError):
        a[0] = 1.0
    with pytest.raises(ValueError):
        a.setflags(write=True)
    del r
    gc.collect()
    assert np.array_equal(a, values) and h.tolist() == values[:10].tolist()


# ---- real files ----------------------------------------------------------------------------

def test_corpus_mlp_weights():
    raw = MLP_WEIGHTS.read_bytes()
    r = ms._BlobStorageReader(str(MLP_WEIGHTS))
    blobs = r.blobs()
    count, version = struct.unpack_from("<II", raw, 0)
    assert version == 2 and len(blobs) == count == len(r) > 0
    expected_offset = 64
    for b in blobs:
        assert b.offset == expected_offset
        sentinel, code, size, data_offset, _ = struct.unpack_from("<IIQQQ", raw, b.offset)
        assert (sentinel, code, size, data_offset) == (SENTINEL, CODES["float32"], b.size_in_bytes, b.data_offset)
        assert b.dtype == "float32" and b.data_offset == b.offset + 64 and b.count == b.size_in_bytes // 4
        w = r.read_float_data(b.offset)
        assert w.dtype == np.float32 and w.size == b.count and np.isfinite(w).all()
        assert w.tobytes() == raw[b.data_offset:b.data_offset + b.size_in_bytes]
        expected_offset = align64(b.data_offset + b.size_in_bytes)
    assert blobs[-1].data_offset + blobs[-1].size_in_bytes == len(raw)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*/model.mlpackage/Data/com.apple.CoreML/weights/weight.bin")),
                         ids=lambda p: p.parts[-7])
def test_corpus_weight_files_parse(path):
    r = ms._BlobStorageReader(str(path))
    blobs = r.blobs()
    assert len(blobs) == len(r)
    for b in blobs:
        assert b.dtype in CODES
        assert r.read_data(b.offset).size == b.count
