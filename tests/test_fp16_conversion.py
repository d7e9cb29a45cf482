"""float16 <-> float32 array conversions: the vectorised routines (F16C on x86-64, NEON on
aarch64) give exactly the bits of numpy's conversions and of the scalar loops, on every half,
on ties, overflow, subnormals, NaN payloads, odd lengths and unaligned runs; fp16 ML programs
(cast, elementwise ops through stack blocks) round the same way."""
import functools
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from mil_program import MilProgram
from opencoreml import _core
from opencoreml import libmilstoragepython as ms

RNG = np.random.default_rng(1616)


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# ---- references ------------------------------------------------------------------------

def half_to_float_reference(h):
    """numpy's widening, with NaN payloads kept bit for bit (no quiet bit added)."""
    h = np.asarray(h, np.uint16)
    out = h.view(np.float16).astype(np.float32).view(np.uint32).copy()
    nan = (h & 0x7C00) == 0x7C00
    nan &= (h & 0x03FF) != 0
    hn = h[nan].astype(np.uint32)
    out[nan] = ((hn & 0x8000) << 16) | 0x7F800000 | ((hn & 0x03FF) << 13)
    return out


def float_to_half_reference(x):
    """numpy's rounding (nearest even, overflow to inf); a NaN keeps its sign and the top
    ten payload bits and becomes quiet."""
    x = np.asarray(x, np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        out = x.astype(np.float16).view(np.uint16).copy()
    bits = x.view(np.uint32)
    nan = np.isnan(x)
    out[nan] = (((bits[nan] >> 16) & 0x8000) | 0x7E00 | ((bits[nan] >> 13) & 0x03FF)).astype(np.uint16)
    return out


@functools.lru_cache(maxsize=1)
def _hard_floats():
    """Every tie between neighbouring halves (and the floats one ulp either side), the
    overflow and underflow boundaries, float32 subnormals, NaNs with assorted payloads and
    a large sample of random bit patterns."""
    halves = np.arange(0, 0x7C00, dtype=np.uint32).astype(np.uint16)  # every finite positive half
    lo = halves.view(np.float16).astype(np.float64)
    hi = (halves.astype(np.uint32) + 1).astype(np.uint16).view(np.float16).astype(np.float64)
    hi[-1] = 65520.0  # past the largest half: the value that rounds to infinity
    ties = ((lo + hi) / 2).astype(np.float32)  # exact: a half-way point has at most 12 significant bits
    tie_bits = ties.view(np.uint32)
    around = np.concatenate([tie_bits, tie_bits + 1, tie_bits - 1, halves.view(np.float16).astype(np.float32).view(np.uint32)])
    special = np.array([0.0, 65504.0, 65519.996, 65520.0, 65536.0, 1e30, 3.4028235e38, np.inf,
                        2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 2.0 ** -26, 2.0 ** -14, 2.0 ** -14 * (1 - 2 ** -11),
                        1e-45, 1.1754942e-38, 1.17549435e-38], np.float32).view(np.uint32)
    nans = np.concatenate([
        np.array([0x7F800001, 0x7F801FFF, 0x7F802000, 0x7FBFFFFF, 0x7FC00000, 0x7FC00001, 0x7FFFFFFF, 0x7FE00000,
                  0x7FA00000, 0x7F9FE000], np.uint32),
        (0x7F800000 | RNG.integers(1, 1 << 23, 4000, dtype=np.uint32)).astype(np.uint32)])
    random_bits = RNG.integers(0, 2 ** 32, 1 << 21, dtype=np.uint64).astype(np.uint32)
    # Random floats in fp16's range with low mantissa bits at and near the rounding point.
    near = (RNG.integers(0x33000000, 0x47800000, 1 << 18, dtype=np.uint32) & ~np.uint32(0x1FFF)) | \
        RNG.choice(np.array([0x0FFF, 0x1000, 0x1001, 0x0000, 0x1FFF], np.uint32), 1 << 18)
    u = np.concatenate([around, special, nans, random_bits, near.astype(np.uint32)])
    u = np.concatenate([u, u | np.uint32(0x80000000)])  # both signs
    return u.view(np.float32)


def hard_floats():
    return _hard_floats().copy()


# ---- array conversions -------------------------------------------------------------------

def test_the_vector_path_is_used_where_the_cpu_has_one():
    path = _core.blob_fp16_conversion_path()
    assert path in ("f16c", "neon", "scalar")
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64") and {"f16c", "avx2"} <= cpu_flags():
        assert path == "f16c"
    if machine in ("aarch64", "arm64"):
        assert path == "neon"


def test_every_half_widens_exactly():
    every = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    got = ms.decode_to_float32(every, "float16")
    assert np.array_equal(got.view(np.uint32), half_to_float_reference(every))


def test_narrowing_matches_numpy_bit_for_bit():
    x = hard_floats()
    got = ms.encode_float32(x, "float16")
    want = float_to_half_reference(x)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, "first mismatches: " + ", ".join(
        "%08x -> %04x (want %04x)" % (x.view(np.uint32)[i], got[i], want[i]) for i in bad[:5])


@pytest.mark.parametrize("n", list(range(0, 19)) + [31, 33, 255, 257, 1023, 1025])
def test_short_and_unaligned_runs(n):
    """Tails shorter than a vector and runs starting off a vector boundary."""
    x = hard_floats()[: n + 3]
    for start in (0, 1, 3):
        part = x[start:start + n]
        assert np.array_equal(ms.encode_float32(part, "float16"), float_to_half_reference(part))
        h = float_to_half_reference(part)
        assert np.array_equal(ms.decode_to_float32(h, "float16").view(np.uint32), half_to_float_reference(h))


def _conversions_in_subprocess(env_extra):
    code = (
        "import numpy as np, sys\n"
        "from opencoreml import _core\n"
        "from opencoreml import libmilstoragepython as ms\n"
        "x = np.load(sys.argv[1])\n"
        "every = np.arange(65536, dtype=np.uint32).astype(np.uint16)\n"
        "np.save(sys.argv[2], ms.encode_float32(x, 'float16'))\n"
        "np.save(sys.argv[3], ms.decode_to_float32(every, 'float16').view(np.uint32))\n"
        "print(_core.blob_fp16_conversion_path())\n")
    return code, dict(os.environ, **env_extra)


def test_vector_and_scalar_paths_agree_bit_for_bit(tmp_path):
    """The same inputs through the default (vector) path and, in a child process with
    OPENCOREML_SCALAR_FP16=1, through the scalar loops: identical bits, NaN payloads too."""
    x = hard_floats()
    np.save(tmp_path / "x.npy", x)
    results = {}
    for label, env in (("vector", {"OPENCOREML_SCALAR_FP16": "0"}), ("scalar", {"OPENCOREML_SCALAR_FP16": "1"})):
        code, environ = _conversions_in_subprocess(env)
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.npy"), str(tmp_path / f"n_{label}.npy"),
                              str(tmp_path / f"w_{label}.npy")], env=environ, capture_output=True, text=True, check=True)
        results[label] = (out.stdout.strip(), np.load(tmp_path / f"n_{label}.npy"), np.load(tmp_path / f"w_{label}.npy"))
    assert results["scalar"][0] == "scalar"
    assert results["vector"][0] == _core.blob_fp16_conversion_path()
    assert np.array_equal(results["vector"][1], results["scalar"][1])
    assert np.array_equal(results["vector"][2], results["scalar"][2])


# ---- fp16 programs -------------------------------------------------------------------------

def test_cast_fp32_to_fp16_and_back_rounds_like_numpy(tmp_path):
    x = hard_floats()[:: 7][: 60000]
    x = x[~np.isnan(x)]  # a NaN crosses the program boundary as "some NaN"; checked below
    p = MilProgram(opset="CoreML5")
    src = p.input("x", np.float32, x.shape)
    h = p.op("cast", x=src, dtype="fp16", dtypes=[np.float16])
    back = p.op("cast", x=h, dtype="fp32", dtypes=[np.float32])
    p.output(h, back)
    res = p.model(tmp_path / "m").predict({"x": x})
    want = float_to_half_reference(x)
    # fp16 outputs come back widened to float32 (exact), so narrowing them again is too.
    assert np.array_equal(np.asarray(res[h]).astype(np.float16).view(np.uint16), want)
    assert np.array_equal(np.asarray(res[back]).view(np.uint32), half_to_float_reference(want))

    nan_in = np.array([np.nan, -np.nan, 1.0, np.inf], np.float32)
    p = MilProgram(opset="CoreML5")
    src = p.input("x", np.float32, nan_in.shape)
    h = p.op("cast", x=src, dtype="fp16", dtypes=[np.float16])
    p.output(h)
    got = np.asarray(p.model(tmp_path / "n").predict({"x": nan_in})[h]).astype(np.float32)
    assert np.isnan(got[:2]).all() and got[2] == 1.0 and got[3] == np.inf


@pytest.mark.parametrize("shape", [(1, 3, 17, 19), (2, 8, 64, 64)])
def test_fp16_elementwise_chain_rounds_at_every_op(tmp_path, shape):
    """clip -> add -> relu in fp16: each op's result rounded to fp16 before the next one."""
    x = (RNG.standard_normal(shape) * 4).astype(np.float16)
    y = (RNG.standard_normal(shape) * 4).astype(np.float16)
    p = MilProgram(opset="CoreML5")
    xi = p.input("x", np.float16, shape)
    yi = p.input("y", np.float16, shape)
    c = p.op("clip", x=xi, alpha=np.float16(-1.5), beta=np.float16(3.25), dtypes=[np.float16])
    s = p.op("add", x=c, y=yi, dtypes=[np.float16])
    r = p.op("relu", x=s, dtypes=[np.float16])
    p.output(r)
    got = np.asarray(p.model(tmp_path / "m").predict({"x": x, "y": y})[r]).astype(np.float16)
    f32 = np.float32
    want = np.maximum((np.clip(x.astype(f32), -1.5, 3.25).astype(np.float16).astype(f32) + y.astype(f32))
                      .astype(np.float16), np.float16(0))
    assert np.array_equal(got.view(np.uint16), want.view(np.uint16))


@pytest.mark.parametrize("threads", ["1", "2"])
def test_big_fp16_tensors_convert_in_parallel_chunks(tmp_path, monkeypatch, threads):
    """max_pool widens its whole fp16 input and rounds its whole output (RunContext::input_f32
    / store_f32_output), split over the pool for big tensors: the max of fp16 values is
    exact, so the result must equal numpy's bit for bit, including NaN and inf lanes."""
    monkeypatch.setenv("OPENCOREML_NUM_THREADS", threads)
    shape = (1, 3, 211, 307)  # 194 331 elements: several chunks, ragged last one
    x = (RNG.standard_normal(shape) * 100).astype(np.float16)
    x.reshape(-1)[RNG.choice(x.size, 50, replace=False)] = np.inf
    x.reshape(-1)[RNG.choice(x.size, 50, replace=False)] = -np.inf
    p = MilProgram(opset="CoreML5")
    xi = p.input("x", np.float16, shape)
    out = p.op("max_pool", x=xi, kernel_sizes=np.int32([1, 2]), strides=np.int32([1, 1]), pad_type="custom",
               pad=np.int32([0, 0, 0, 1]), ceil_mode=np.bool_(False), dtypes=[np.float16])
    p.output(out)
    model = p.model(tmp_path / "m")
    want = np.maximum(x, np.concatenate([x[..., 1:], np.full(shape[:-1] + (1,), -np.inf, np.float16)], axis=-1))
    for _ in range(3):
        got = np.asarray(model.predict({"x": x})[out]).astype(np.float16)
        assert np.array_equal(got.view(np.uint16), want.view(np.uint16))


def test_float64_inputs_round_once_to_fp16(tmp_path):
    # A float64 array fed to an fp16 input is rounded straight to the nearest fp16 value, not
    # through float32 (where each of these values first lands on an fp16 tie, then rounds to
    # even, the wrong way).
    x = np.array([1 + 2.0**-11 + 2.0**-40, -(1 + 2.0**-11 + 2.0**-40), 2.0**-25 + 2.0**-50, 1 + 2.0**-11,
                  2048 + 1 + 2.0**-30, 65519.99, 0.1], np.float64)
    p = MilProgram(opset="CoreML6")
    src = p.input("x", np.float16, x.shape)
    y = p.op("identity", x=src, dtypes=[np.float16])
    p.output(y)
    got = np.asarray(p.model(tmp_path).predict({"x": x})[y]).astype(np.float16)
    want = x.astype(np.float16)  # numpy converts float64 -> float16 directly
    assert np.array_equal(got.view(np.uint16), want.view(np.uint16)), (got, want)
    assert want[0] == np.float16(1 + 2.0**-10) and want[2] == np.float16(2.0**-24)  # the cases above
    through_f32 = x.astype(np.float32).astype(np.float16)
    assert not np.array_equal(through_f32.view(np.uint16), want.view(np.uint16))


def test_cast_float64_to_fp16_rounds_once(tmp_path):
    # cast of an fp64 tensor (here a constant, folded at load through the cast kernel).
    x = np.array([1 + 2.0**-11 + 2.0**-40, 2.0**-25 + 2.0**-50, -3.5, 65519.99], np.float64)
    p = MilProgram(opset="CoreML6")
    src = p.input("z", np.float32, (1,))
    h = p.op("cast", x=p.const(x), dtype="fp16", dtypes=[np.float16])
    keep = p.op("add", x=src, y=np.float32(0))
    p.output(h, keep)
    got = np.asarray(p.model(tmp_path).predict({"z": np.zeros(1, np.float32)})[h]).astype(np.float16)
    assert np.array_equal(got.view(np.uint16), x.astype(np.float16).view(np.uint16)), got
