"""The ML program ops that run on kernels/vec_math (sigmoid, tanh, exp, exp2, erf, log, silu,
softplus, elu, scaled_tanh, gelu in all modes, softmax down rows and down columns, and the
recurrent gate activations through lstm) on large arrays with edge values: sizes that leave
partial vectors and span several parallel chunks, fp32 and fp16 (computed in float32, rounded
once at the op boundary). References are float64 numpy; fp32 must be within a few ulp
(rtol 1e-6), fp16 within one fp16 ulp of the reference rounded to fp16. NaN and infinities
must land where numpy puts them.
"""
import math

import numpy as np
import pytest

from mil_op_runner import run_op

RNG = np.random.default_rng(2024)
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 100, -100, 1000, -1000], np.float32)


def _sigmoid(v):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e))


def _erf(v):
    return np.vectorize(math.erf, otypes=[np.float64])(v)


def _erfc(v):
    return np.vectorize(math.erfc, otypes=[np.float64])(v)


OPS = {
    # op: (reference, sample range, params)
    "sigmoid": (_sigmoid, 30, {}),
    "tanh": (np.tanh, 12, {}),
    "exp": (np.exp, 80, {}),
    "exp2": (np.exp2, 120, {}),
    "erf": (_erf, 5, {}),
    "silu": (lambda v: v * _sigmoid(v), 30, {}),
    "softplus": (lambda v: np.logaddexp(0, v), 30, {}),
    "elu": (lambda v: np.where(v > 0, v, 0.5 * np.expm1(v)), 20, dict(alpha=np.float32(0.5))),
    "scaled_tanh": (lambda v: 1.5 * np.tanh(0.75 * v), 12, dict(alpha=np.float32(1.5), beta=np.float32(0.75))),
    "gelu": (lambda v: 0.5 * v * _erfc(-v / math.sqrt(2)), 6, dict(mode="EXACT")),
    "gelu_tanh": (lambda v: v * _sigmoid(2 * math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)), 4,
                  dict(mode="TANH_APPROXIMATION")),
    "gelu_sigmoid": (lambda v: v * _sigmoid(1.702 * v), 6, dict(mode="SIGMOID_APPROXIMATION")),
}


def compare(got, want, dtype, rtol=1e-6):
    got = np.asarray(got, np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg="NaN positions")
    if dtype == np.float16:
        with np.errstate(over="ignore"):
            want = want.astype(np.float16).astype(np.float64)
        inf = np.isinf(want)
        np.testing.assert_array_equal(got[inf], want[inf])
        ok = np.isfinite(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-3, atol=6e-8)
    else:
        with np.errstate(over="ignore"):
            inf = np.isinf(want.astype(np.float32))  # overflows float32 -> inf
        np.testing.assert_array_equal(got[inf], np.sign(want[inf]) * np.inf)
        ok = ~inf & ~np.isnan(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=rtol, atol=1e-37)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("name", sorted(OPS))
def test_vectorised_unary_ops(tmp_path, name, dtype):
    reference, span, params = OPS[name]
    op = "gelu" if name.startswith("gelu") else name
    x = np.concatenate([RNG.uniform(-span, span, 40001), SPECIALS]).astype(np.float32)
    if dtype == np.float16:
        with np.errstate(over="ignore"):
            x = x.astype(np.float16)
    x = x.reshape(1, -1)
    got = run_op(tmp_path, op, inputs={"x": x}, params=params)[0]
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64))
    # gelu's approximate forms: the rounding of their inner argument grows with |x| (see
    # kernels/vec_math.hpp), a few ulp more at |x| ~ 4.
    compare(got, want, dtype, rtol=4e-6 if name in ("gelu_tanh", "gelu_sigmoid") else 1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_log_op(tmp_path, dtype):
    x = np.concatenate([np.exp(RNG.uniform(-80, 80, 20001)), [0, -1, np.inf, np.nan, 1e-40, 1]]).astype(np.float32)
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    got = run_op(tmp_path, "log", inputs={"x": x}, params={"epsilon": dtype(0)})[0]
    with np.errstate(all="ignore"):
        want = np.log(x.astype(np.float64))
    compare(got, want, dtype)


def _softmax(x, axis):
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_edges(tmp_path, dtype, axis):
    x = (RNG.standard_normal((3, 70, 53)) * 8).astype(np.float32)
    x[0, 5, 7] = -np.inf      # masked: exactly 0
    x[1, 9, 3] = np.nan       # NaN: its whole softmax slice NaN, as numpy
    x = x.astype(dtype)
    got = run_op(tmp_path, "softmax", inputs={"x": x}, params={"axis": np.int32(axis)})[0]
    want = _softmax(x.astype(np.float64), axis)
    got = np.asarray(got, np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    # x - max rounds in float32 before the exponential: |x - max| * 2^-24 relative.
    np.testing.assert_allclose(got[ok], want[ok], rtol=2e-5 if dtype == np.float32 else 1e-3,
                               atol=1e-30 if dtype == np.float32 else 6e-8)
    assert got[0, 5, 7] == 0.0


# ---- recurrent ops at sizes that exercise the vectorised per-step path -----------------------
# (batch <= 4: matrix-vector products per row; more rows: GEMM; hidden sizes leave partial
# vectors at every width.)

@pytest.mark.parametrize("batch", [1, 3, 6])
@pytest.mark.parametrize("hidden", [40, 37])
@pytest.mark.parametrize("peephole", ["random", "zeros", "absent"])
def test_lstm_realistic_sizes(tmp_path, batch, hidden, peephole):
    """Without a (non-zero) peephole the default activations run as one fused cell pass."""
    from test_mil_image_recurrent import lstm_ref, rand
    s_len, inp = 7, 19
    peep = rand(3 * hidden) if peephole == "random" else np.zeros(3 * hidden, np.float32)
    dirs = [(rand(4 * hidden, inp, scale=0.3), rand(4 * hidden, hidden, scale=0.3), rand(4 * hidden), peep)]
    x, h0, c0 = rand(s_len, batch, inp, scale=1), rand(batch, hidden), rand(batch, hidden, scale=2)
    params = dict(weight_ih=dirs[0][0], weight_hh=dirs[0][1], bias=dirs[0][2], output_sequence=True)
    if peephole != "absent":
        params["peephole"] = peep
    got = run_op(tmp_path, "lstm", inputs={"x": x, "initial_h": h0, "initial_c": c0}, outputs=3, opset="CoreML5",
                 params=params)
    ref = lstm_ref(x.astype(np.float64), h0, c0, dirs, "forward", True, ("sigmoid", "tanh", "tanh"), None)
    for a, e in zip(got, ref):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("reverse", [False, True])
def test_gru_realistic_sizes(tmp_path, batch, reverse):
    from test_mil_image_recurrent import gru_ref, rand
    s_len, inp, hidden = 6, 11, 45
    w_ih, w_hh, bias = rand(3 * hidden, inp, scale=0.3), rand(3 * hidden, hidden, scale=0.3), rand(3 * hidden)
    x, h0 = rand(s_len, batch, inp, scale=1), rand(batch, hidden)
    got = run_op(tmp_path, "gru", inputs={"x": x, "initial_h": h0}, outputs=2, opset="CoreML5",
                 params=dict(weight_ih=w_ih, weight_hh=w_hh, bias=bias, direction="reverse" if reverse else "forward",
                             output_sequence=True))
    ref = gru_ref(x.astype(np.float64), h0, w_ih, w_hh, np.zeros(3 * hidden), bias, reverse, True,
                  ("sigmoid", "tanh"), False)
    for a, e in zip(got, ref):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch", [1, 4, 7])
def test_rnn_realistic_sizes(tmp_path, batch):
    s_len, inp, hidden = 9, 13, 70
    rng = np.random.default_rng(batch)
    w_ih = (rng.standard_normal((hidden, inp)) * 0.3).astype(np.float32)
    w_hh = (rng.standard_normal((hidden, hidden)) * 0.15).astype(np.float32)
    bias = (rng.standard_normal(hidden) * 0.5).astype(np.float32)
    x = rng.standard_normal((s_len, batch, inp)).astype(np.float32)
    h0 = (rng.standard_normal((batch, hidden)) * 0.5).astype(np.float32)
    y, hn = run_op(tmp_path, "rnn", inputs={"x": x, "initial_h": h0}, outputs=2, opset="CoreML5",
                   params=dict(weight_ih=w_ih, weight_hh=w_hh, bias=bias, output_sequence=True))
    h, seq = h0.astype(np.float64), []
    for t in range(s_len):
        h = np.tanh(x[t].astype(np.float64) @ w_ih.T + h @ w_hh.T + bias)
        seq.append(h)
    np.testing.assert_allclose(y, np.stack(seq), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hn, h, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm_rows(tmp_path, dtype, affine):
    """Rows of 133 (partial vectors at every width) far from zero: the statistics (in double)
    must not lose precision to the offset. (x - mean is taken in float32, so results carry an
    absolute error up to ulp(mean) / 2 / std: std stays >= 0.5 here.)"""
    x = (RNG.standard_normal((4, 9, 133)) * RNG.uniform(0.5, 3, (4, 9, 1)) + 300).astype(dtype)
    params = {"axes": np.int32([-1]), "epsilon": dtype(1e-5)}
    gamma, beta = RNG.uniform(0.5, 2, 133).astype(dtype), RNG.standard_normal(133).astype(dtype)
    if affine:
        params.update(gamma=gamma, beta=beta)
    got = run_op(tmp_path, "layer_norm", inputs={"x": x}, params=params)[0]
    xd = x.astype(np.float64)
    want = (xd - xd.mean(-1, keepdims=True)) / np.sqrt(xd.var(-1, keepdims=True) + 1e-5)
    if affine:
        want = want * gamma.astype(np.float64) + beta.astype(np.float64)
    if dtype == np.float16:
        np.testing.assert_allclose(got, want.astype(np.float16).astype(np.float64), rtol=2e-3, atol=2e-3)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=5e-5)
