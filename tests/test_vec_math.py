"""kernels/vec_math (vectorised exp, log, tanh, sigmoid, erf, gelu, softmax rows) and
kernels/vec_gemv against float64 numpy references, on every instruction-set variant the
machine can run (OPENCOREML_VEC_ISA caps the run-time choice).

A small driver (tests/cpp/vec_math_check.cpp) is built against the installed library; it
maps a float32 array through one function. Errors are measured in float32 ulps of the exact
(float64) result for the same float32 input. The bounds are the ones vec_math.hpp states.
Special values must match exactly: NaN positions, infinities, overflow to inf, signed zero
of tanh/erf, underflow through the denormals.
"""
import math
import os
import platform
import shutil
import subprocess

import numpy as np
import pytest

import opencoreml
from conftest import HERE

SRC = os.path.join(HERE, "..", "coremlpython", "src")
DRIVER = os.path.join(HERE, "cpp", "vec_math_check.cpp")
X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
ISAS = ["native", "avx2", "baseline"] if X86 else ["native"]


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++")
    assert compiler, "a C++ compiler is required to build the vec_math driver"
    lib = opencoreml.get_lib_dir()
    out = str(tmp_path_factory.mktemp("vec_math") / "vec_math_check")
    cmd = [compiler, "-std=c++17", "-O1", DRIVER, "-I" + SRC, "-L" + lib, "-lopencoreml", "-Wl,-rpath," + lib, "-o", out]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


def run(driver, tmp_path, fn, x, isa):
    x = np.ascontiguousarray(x, dtype=np.float32)
    src, dst = tmp_path / "in.bin", tmp_path / "out.bin"
    x.tofile(src)
    env = dict(os.environ)
    env.pop("OPENCOREML_VEC_ISA", None)
    if isa != "native":
        env["OPENCOREML_VEC_ISA"] = isa
    result = subprocess.run([driver, fn, str(src), str(dst)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    if isa != "native":
        assert result.stdout.strip() in (isa, "baseline"), result.stdout
    return np.fromfile(dst, dtype=np.float32)


# ---------------------------------------------------------------------------------------
# float64 references

def _sigmoid(v):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e))


def _erfc(v):
    return np.vectorize(math.erfc, otypes=[np.float64])(v)


def _erf(v):
    return np.vectorize(math.erf, otypes=[np.float64])(v)


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _gelu_tanh_inner(v):
    return 2 * SQRT_2_OVER_PI * (v + 0.044715 * v ** 3)


REFERENCES = {
    # name: (reference, (lo, hi) of the uniform sample, ulp bound)
    "exp": (np.exp, (-110, 90), 1.5),
    "exp2": (np.exp2, (-155, 130), 1.5),
    "expm1": (np.expm1, (-30, 90), 2),
    "log": (np.log, (0, 1e6), 1.5),
    "log1p": (np.log1p, (-1, 100), 2),
    "tanh": (np.tanh, (-12, 12), 3),
    "sigmoid": (_sigmoid, (-110, 110), 3),
    "erf": (_erf, (-6, 6), 3),
    "silu": (lambda v: v * _sigmoid(v), (-160, 110), 4),
    "softplus": (lambda v: np.logaddexp(0, v), (-110, 110), 2.5),
    "elu": (lambda v: np.where(v > 0, v, 1.25 * np.expm1(v)), (-30, 30), 2),
    "scaled_tanh": (lambda v: 1.75 * np.tanh(0.625 * v), (-20, 20), 3),
    "gelu_erf": (lambda v: 0.5 * v * _erfc(-v / math.sqrt(2)), (-20, 10), 6),
    "gelu_tanh": (lambda v: v * _sigmoid(_gelu_tanh_inner(v)), (-8, 8), 4),
    "gelu_sigmoid": (lambda v: v * _sigmoid(1.702 * v), (-70, 60), 4),
}

# Where the input to the inner exponential is itself a rounded product (gelu's tanh and
# sigmoid forms), its relative rounding error grows with its size in the result: beyond
# |x| ~ 1 the bound is 4 ulp plus 3 ulp per unit of the inner argument.
INNER_ARGUMENT = {
    "gelu_tanh": _gelu_tanh_inner,
    "gelu_sigmoid": lambda v: 1.702 * v,
}

EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, -1e-40, 1.1754944e-38, 1e-30, -1e-30,
                  3.4e38, -3.4e38, 88.72, 88.73, 89.5, -87.3, -103.9, -104.5, -150, 0.75, -0.75, 0.74999994,
                  9.1, -9.1, 10.5, -10.5, 14.8, -14.8, 17.5, -17.5, 20, -20, 80, 88, 128, 129, -149, -151,
                  1 - 2 ** -24, 1 + 2 ** -23, -1 + 2 ** -24, 0.5, -0.5, 1e7, 1e-7, -1e-7], dtype=np.float32)


def sample(lo, hi, seed):
    rng = np.random.default_rng(seed)
    n = 60000
    wide = np.sign(rng.standard_normal(n // 4)) * np.exp(rng.uniform(-104, 5, n // 4))  # all magnitudes
    x = np.concatenate([rng.uniform(lo, hi, n), rng.standard_normal(n // 4) * 3, wide, EDGES])
    return x.astype(np.float32)


def ulp_errors(actual, expected):
    """|actual - expected| in ulps of float32 at the expected value (finite expected only)."""
    spacing = np.spacing(np.abs(expected.astype(np.float32))).astype(np.float64)
    return np.abs(actual.astype(np.float64) - expected) / spacing


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("fn", sorted(REFERENCES))
def test_accuracy_and_special_values(driver, tmp_path, fn, isa):
    reference, (lo, hi), bound = REFERENCES[fn]
    x = sample(lo, hi, seed=len(fn))
    if fn == "log":
        x = np.concatenate([x, np.abs(x), np.float32([-1, -np.inf])])
    if fn == "log1p":
        x = np.concatenate([x, np.float32([-1, -1.5, -0.999999])])
    got = run(driver, tmp_path, fn, x, isa).astype(np.float64)
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg="NaN positions")
    with np.errstate(over="ignore"):
        want32 = want.astype(np.float32)
    infinite = np.isinf(want32)
    np.testing.assert_array_equal(got[infinite], want32[infinite], err_msg="infinities / overflow")
    finite = np.isfinite(want32)
    err = ulp_errors(got[finite], want[finite])
    limit = np.full(err.shape, float(bound))
    if fn in INNER_ARGUMENT:
        xf = x[finite].astype(np.float64)
        inner = np.abs(INNER_ARGUMENT[fn](xf))
        limit = np.where(np.abs(xf) <= 1, bound, 4 + 3 * inner)
    worst = np.argmax(err - limit)
    assert err[worst] <= limit[worst], "%s: %.2f ulp (limit %.2f) at x=%r: got %r, want %r" % (
        fn, err[worst], limit[worst], x[finite][worst], got[finite][worst], want[finite][worst])
    # Odd functions keep the sign of zero; everything maps +-0 to its exact value.
    zeros = (x == 0) & ~np.isnan(x)
    if fn in ("tanh", "erf", "scaled_tanh"):
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(x[zeros]))


@pytest.mark.parametrize("isa", ISAS)
def test_in_place_and_every_length(driver, tmp_path, isa):
    """x and y may alias; lengths that leave partial vectors give the same values."""
    x = sample(-50, 50, seed=7)
    whole = run(driver, tmp_path, "exp", x, isa)
    np.testing.assert_array_equal(run(driver, tmp_path, "inplace_exp", x, isa), whole)
    for n in (1, 3, 5, 15, 17, 33):
        np.testing.assert_array_equal(run(driver, tmp_path, "exp", x[:n], isa), whole[:n])


def _softmax_rows(x):
    rows = x.astype(np.float64).reshape(-1, 37)
    with np.errstate(invalid="ignore"):
        e = np.exp(rows - rows.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).reshape(-1)


@pytest.mark.parametrize("isa", ISAS)
def test_softmax_rows(driver, tmp_path, isa):
    rng = np.random.default_rng(3)
    rows = (rng.standard_normal((300, 37)) * rng.uniform(0.1, 40, (300, 1))).astype(np.float32)
    rows[5, 3] = -np.inf        # a masked position: exactly 0, the rest still a distribution
    rows[6, :] = 1e30           # equal huge logits
    rows[7, 2] = np.nan         # NaN anywhere: the whole row NaN (as numpy)
    rows[8, :] = -np.inf        # nothing left: NaN (as numpy)
    rows[9, 1] = np.inf         # +inf: NaN (inf - inf), as numpy
    got = run(driver, tmp_path, "softmax", rows.reshape(-1), isa).astype(np.float64)
    want = _softmax_rows(rows)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    # A few ulp, plus the rounding of x - max in float32 (exact only when they are close),
    # which the exponential turns into a relative error of |x - max| * 2^-24.
    r = rows.astype(np.float64)
    with np.errstate(invalid="ignore"):
        shift = np.abs(r - r.max(axis=1, keepdims=True)).reshape(-1)
        rtol = 4 * 2.0 ** -24 + shift * 2.0 ** -24
        bad = ok & (got != want) & ~(np.abs(got - want) <= rtol * np.abs(want) + 1e-44)
    assert not bad.any(), "x=%r got %r want %r" % (rows.reshape(-1)[bad][:3], got[bad][:3], want[bad][:3])
    assert got[5 * 37 + 3] == 0.0
    np.testing.assert_allclose(got.reshape(-1, 37)[ok.reshape(-1, 37).all(axis=1)].sum(axis=1), 1.0, rtol=3e-6)


@pytest.mark.parametrize("isa", ISAS)
def test_layer_norm_rows(driver, tmp_path, isa):
    rng = np.random.default_rng(5)
    rows = (rng.standard_normal((200, 37)) * rng.uniform(0.5, 4, (200, 1)) + rng.uniform(-50, 50, (200, 1)))
    rows = rows.astype(np.float32)
    got = run(driver, tmp_path, "layer_norm", rows.reshape(-1), isa).reshape(rows.shape)
    r = rows.astype(np.float64)
    i = np.arange(37)
    want = (r - r.mean(1, keepdims=True)) / np.sqrt(r.var(1, keepdims=True) + 1e-5) * (1 + i / 37) + i / 74
    # x - mean is taken in float32: up to ulp(mean) / 2 / std absolute, as the scalar op did.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-5)


@pytest.mark.parametrize("isa", ISAS)
def test_lstm_cell(driver, tmp_path, isa):
    H = 37
    rng = np.random.default_rng(9)
    rec = (rng.standard_normal((50, 5 * H)) * 3).astype(np.float32)
    got = run(driver, tmp_path, "lstm_cell", rec.reshape(-1), isa).reshape(50, 5 * H).astype(np.float64)
    r = rec.astype(np.float64)
    i, f, o, z, c = (r[:, k * H:(k + 1) * H] for k in range(5))
    sig = lambda v: 1 / (1 + np.exp(-v))
    c_new = sig(f) * c + sig(i) * np.tanh(z)
    h = sig(o) * np.tanh(c_new)
    np.testing.assert_allclose(got[:, :H], h, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(got[:, H:2 * H], c_new, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("isa", ISAS)
def test_gemv_accumulate(driver, tmp_path, isa):
    K, N, ldb = 37, 75, 78
    rng = np.random.default_rng(11)
    b = rng.standard_normal((K, ldb)).astype(np.float32)
    x = rng.standard_normal(K).astype(np.float32)
    y = rng.standard_normal(N).astype(np.float32)
    got = run(driver, tmp_path, "gemv", np.concatenate([b.reshape(-1), x, y]), isa)
    want = y.astype(np.float64) + x.astype(np.float64) @ b[:, :N].astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
