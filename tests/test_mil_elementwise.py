"""ML program elementwise ops against numpy: binary arithmetic / comparison / logical ops
with broadcasting, unary math, activations, cast, select, identity, fill, fill_like,
range_1d and the random ops (statistics and seeding, not exact values).

Tolerances: fp32 results are compared with a float64 numpy reference computed from the same
float32 inputs at rtol 1e-5, atol 1e-6 (libm-level accuracy); fp16 ops compute in float32 and
round once, so they must be within one fp16 ulp of the float64 reference rounded to fp16
(rtol 1e-3, atol 1e-6). Integer and bool results must match exactly.
"""
import math

import numpy as np
import pytest

from mil_op_runner import run_op
from mil_program import MilProgram

FP32 = dict(rtol=1e-5, atol=1e-6)
FP16 = dict(rtol=1e-3, atol=1e-6)
RNG = np.random.default_rng(1234)


class Folder:
    """A fresh sub-folder of tmp_path per model."""

    def __init__(self, root):
        self.root, self.count = root, 0

    def __call__(self):
        self.count += 1
        path = self.root / ("m%d" % self.count)
        path.mkdir()
        return path


@pytest.fixture
def folder(tmp_path):
    return Folder(tmp_path)


def check_float(actual, expected, dtype):
    """Compare with the float64 `expected` rounded to the op's type."""
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, "shape %s, expected %s" % (actual.shape, expected.shape)
    assert_type(actual, dtype)
    if dtype == np.float16:
        np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float16).astype(np.float64), **FP16)
    else:
        np.testing.assert_allclose(actual.astype(np.float64), expected, **FP32)


def assert_type(actual, dtype):
    """fp16 results come back widened to float32 (as Core ML hands them to Python) but must
    hold fp16 values; other types come back as themselves."""
    actual = np.asarray(actual)
    if dtype == np.float16:
        assert actual.dtype == np.float32, actual.dtype
        np.testing.assert_array_equal(actual, actual.astype(np.float16).astype(np.float32))
    else:
        assert actual.dtype == dtype, actual.dtype


def check_exact(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, "shape %s, expected %s" % (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual.astype(np.float64), expected.astype(np.float64))


def one(tmp, op, inputs, dtypes=None, opset="CoreML7", **params):
    """The op's output; fp32/fp16/int32 `inputs` are model inputs, `params` inline constants."""
    return run_op(tmp, op, inputs=inputs, params=params, opset=opset, dtypes=dtypes)[0]


# ---------------------------------------------------------------------------------------
# Binary ops

BROADCAST_SHAPES = [
    ((2, 3, 4), (2, 3, 4)),   # same shape
    ((2, 3, 4), (4,)),        # inner contiguous
    ((2, 3, 4), (3, 1)),      # broadcast inside
    ((1, 3, 1), (2, 1, 4)),   # both broadcast
    ((5,), (1,)),             # single element
    ((2, 1, 3, 1), (4, 1, 5)),
]

ARITH = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "real_div": np.divide,
    "floor_div": np.floor_divide, "mod": np.mod, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum,
}
COMPARE = {
    "equal": np.equal, "not_equal": np.not_equal, "greater": np.greater,
    "greater_equal": np.greater_equal, "less": np.less, "less_equal": np.less_equal,
}


def float_operands(op, xs, ys, dtype):
    x = RNG.uniform(-4, 4, xs).astype(dtype)
    y = RNG.uniform(-4, 4, ys).astype(dtype)
    if op == "pow":
        x = RNG.uniform(0.1, 3, xs).astype(dtype)
    if op in ("real_div", "floor_div", "mod"):
        y = np.where(np.abs(y) < 0.25, 1.5, y).astype(dtype)
    return x, y


@pytest.mark.parametrize("op", sorted(ARITH))
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_float_arithmetic_broadcasts_like_numpy(folder, op, dtype, shapes):
    x, y = float_operands(op, *shapes, dtype)
    for a, b in ((x, y), (y, x)) if op != "pow" else ((x, y),):
        got = one(folder(), op, {"x": a, "y": b})
        check_float(got, ARITH[op](a.astype(np.float64), b.astype(np.float64)), dtype)


@pytest.mark.parametrize("op", sorted(ARITH))
def test_scalar_constant_operand(folder, op):
    x, _ = float_operands(op, (3, 4), (1,), np.float32)
    got = one(folder(), op, {"x": x}, y=np.float32(1.75))
    check_float(got, ARITH[op](x.astype(np.float64), 1.75), np.float32)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "real_div", "floor_div", "mod", "pow", "maximum", "minimum"])
def test_int32_arithmetic(folder, op):
    x = RNG.integers(-20, 20, (3, 5)).astype(np.int32)
    y = RNG.integers(-6, 7, (5,)).astype(np.int32)
    y[y == 0] = 3
    if op == "pow":
        x = RNG.integers(-4, 5, (3, 5)).astype(np.int32)
        y = RNG.integers(0, 6, (5,)).astype(np.int32)
    got = one(folder(), op, {"x": x, "y": y})
    assert got.dtype == np.int32
    if op == "real_div":  # int32 result: the true quotient truncated toward zero
        expected = np.trunc(x / y).astype(np.int32)
    else:
        expected = ARITH[op](x, y)
    check_exact(got, expected)


def test_int32_arithmetic_wraps_and_divides_by_zero_as_numpy(folder):
    big = np.array([2**31 - 1, -2**31, 7, -7, 0, 5], np.int32)
    other = np.array([1, -1, 0, 0, 0, -2], np.int32)
    with np.errstate(all="ignore"):
        check_exact(one(folder(), "add", {"x": big, "y": other}), big + other)
        check_exact(one(folder(), "mul", {"x": big, "y": np.full(6, 3, np.int32)}), big * np.int32(3))
        check_exact(one(folder(), "floor_div", {"x": big[2:], "y": other[2:]}), np.floor_divide(big[2:], other[2:]))
        check_exact(one(folder(), "mod", {"x": big[2:], "y": other[2:]}), np.mod(big[2:], other[2:]))


def test_float_division_edge_cases_follow_ieee_and_numpy(folder):
    x = np.array([1, -1, 0, 5.5, -5.5, 1, np.inf, 7, -7, 7, -7], np.float32)
    y = np.array([0, 0, 0, 2, 2, 0.1, 2, -2, -2, np.inf, np.inf], np.float32)
    with np.errstate(all="ignore"):
        for op in ("real_div", "floor_div", "mod"):
            got = one(folder(), op, {"x": x, "y": y})
            expected = ARITH[op](x, y)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=op)
            ok = ~np.isnan(expected)
            np.testing.assert_allclose(got[ok], expected[ok], rtol=1e-6, err_msg=op)


def test_maximum_minimum_propagate_nan(folder):
    x = np.array([np.nan, 1, 2, -np.inf], np.float32)
    y = np.array([1, np.nan, 3, np.inf], np.float32)
    for op in ("maximum", "minimum"):
        got = one(folder(), op, {"x": x, "y": y})
        np.testing.assert_array_equal(got, ARITH[op](x, y))


@pytest.mark.parametrize("op", sorted(COMPARE))
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
def test_comparisons_output_bool(folder, op, dtype):
    x = RNG.integers(-3, 4, (2, 3, 4)).astype(dtype)
    y = RNG.integers(-3, 4, (3, 1)).astype(dtype)
    got = one(folder(), op, {"x": x, "y": y}, dtypes=[np.bool_])
    check_exact(got, COMPARE[op](x, y))


@pytest.mark.parametrize("op", sorted(COMPARE))
def test_comparisons_with_nan(folder, op):
    x = np.array([np.nan, 1, np.nan, np.inf], np.float32)
    y = np.array([1, np.nan, np.nan, np.inf], np.float32)
    check_exact(one(folder(), op, {"x": x, "y": y}, dtypes=[np.bool_]), COMPARE[op](x, y))


@pytest.mark.parametrize("op,ref", [("logical_and", np.logical_and), ("logical_or", np.logical_or),
                                    ("logical_xor", np.logical_xor)])
def test_logical_ops_broadcast(folder, op, ref):
    a = RNG.integers(0, 2, (2, 3, 4)).astype(bool)
    b = np.array([[True], [False], [True]])

    p = MilProgram()
    p.input("xa", np.int32, a.shape)
    x = p.op("greater", x="xa", y=np.int32(0), dtypes=[np.bool_])
    out = p.op(op, x=x, y=p.const(b), dtypes=[np.bool_])
    p.output(out)
    got = p.model(folder()).predict({"xa": a.astype(np.int32)})[out]
    check_exact(got, ref(a, b))


def test_binary_empty_and_rank0(folder):
    x = np.zeros((0, 3), np.float32)
    got = one(folder(), "add", {"x": x}, y=np.float32(1))
    assert got.shape == (0, 3)
    # rank-0 operands: a scalar constant with a scalar constant gives a rank-0 result
    p = MilProgram()
    xi = p.input("x", np.float32, (2,))
    s = p.op("mul", x=np.float32(3), y=np.float32(2.5))
    out = p.op("add", x=xi, y=s)
    p.output(out, s)
    res = p.model(folder()).predict({"x": np.array([1, 2], np.float32)})
    np.testing.assert_array_equal(res[out], [8.5, 9.5])
    assert np.asarray(res[s]).size == 1 and float(np.asarray(res[s]).reshape(-1)[0]) == 7.5


def test_incompatible_shapes_are_a_clear_error(folder):
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\).*do not broadcast"):
        one(folder(), "add", {"x": np.zeros((2, 3), np.float32), "y": np.zeros((4,), np.float32)})


def test_mixed_int_and_float_operands_are_rejected_at_load(folder):
    with pytest.raises(Exception, match=r"same type"):
        one(folder(), "add", {"x": np.zeros(3, np.float32), "y": np.zeros(3, np.int32)})


def test_large_broadcast_runs_in_parallel_chunks(folder):
    """Big enough for several parallel_for chunks that start mid-row."""
    x = RNG.standard_normal((7, 300, 129)).astype(np.float32)
    y = RNG.standard_normal((300, 1)).astype(np.float32)
    check_float(one(folder(), "sub", {"x": x, "y": y}), x.astype(np.float64) - y, np.float32)
    xh = x.astype(np.float16)
    check_float(one(folder(), "mul", {"x": xh, "y": y.astype(np.float16)}),
                xh.astype(np.float64) * y.astype(np.float16), np.float16)


# ---------------------------------------------------------------------------------------
# Unary math

def _erf(v):
    return np.vectorize(math.erf)(v)


UNARY = {
    "abs": (np.abs, (-5, 5)), "acos": (np.arccos, (-0.99, 0.99)), "asin": (np.arcsin, (-0.99, 0.99)),
    "atan": (np.arctan, (-5, 5)), "atanh": (np.arctanh, (-0.95, 0.95)), "ceil": (np.ceil, (-5, 5)),
    "cos": (np.cos, (-10, 10)), "cosh": (np.cosh, (-5, 5)), "erf": (_erf, (-3, 3)), "exp": (np.exp, (-10, 10)),
    "exp2": (np.exp2, (-10, 10)), "floor": (np.floor, (-5, 5)), "round": (np.round, (-5, 5)),
    "sign": (np.sign, (-5, 5)), "sin": (np.sin, (-10, 10)), "sinh": (np.sinh, (-5, 5)),
    "sqrt": (np.sqrt, (0, 10)), "square": (np.square, (-5, 5)), "tan": (np.tan, (-1.4, 1.4)),
    "tanh": (np.tanh, (-5, 5)),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_unary_math(folder, op, dtype):
    ref, (lo, hi) = UNARY[op]
    x = RNG.uniform(lo, hi, (3, 4, 5)).astype(dtype)
    if op in ("ceil", "floor", "round", "sign", "abs"):
        x.reshape(-1)[:6] = [0, -0.0, 2, -3, 0.5, -2.5]
    check_float(one(folder(), op, {"x": x}), ref(x.astype(np.float64)), dtype)


def test_round_halves_to_even(folder):
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51], np.float32)
    check_exact(one(folder(), "round", {"x": x}), [-2, -2, -0, 0, 2, 2, 4, 0, -1])


@pytest.mark.parametrize("op,ref", [("abs", np.abs), ("sign", np.sign), ("square", np.square),
                                    ("exp2", lambda v: np.where(v >= 0, 2 ** np.maximum(v, 0), 0))])
def test_unary_int32(folder, op, ref):
    x = np.arange(-6, 14, dtype=np.int32).reshape(4, 5)
    got = one(folder(), op, {"x": x})
    assert got.dtype == np.int32
    check_exact(got, ref(x.astype(np.int64)))


def test_unary_float_only_ops_reject_int32_at_load(folder):
    with pytest.raises(Exception, match=r"sqrt.*int32.*expected fp16 or fp32"):
        one(folder(), "sqrt", {"x": np.ones(3, np.int32)})


def test_unary_empty_tensor(folder):
    got = one(folder(), "exp", {"x": np.zeros((2, 0), np.float32)})
    assert got.shape == (2, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_clip_and_threshold(folder, dtype):
    x = RNG.uniform(-5, 5, (4, 6)).astype(dtype)
    got = one(folder(), "clip", {"x": x}, alpha=dtype(-1.5), beta=dtype(2))
    check_float(got, np.clip(x.astype(np.float64), -1.5, 2), dtype)
    got = one(folder(), "threshold", {"x": x}, alpha=dtype(0.75))
    check_float(got, np.maximum(x.astype(np.float64), 0.75), dtype)


def test_threshold_int32(folder):
    x = np.arange(-5, 5, dtype=np.int32)
    check_exact(one(folder(), "threshold", {"x": x}, alpha=np.int32(-2)), np.maximum(x, -2))


def test_clip_keeps_nan_and_ios17_requires_alpha_below_beta(folder):
    x = np.array([np.nan, -9, 9, 0.5], np.float32)
    got = one(folder(), "clip", {"x": x}, alpha=np.float32(-1), beta=np.float32(1))
    np.testing.assert_array_equal(got, [np.nan, -1, 1, 0.5])
    with pytest.raises(Exception, match=r"alpha .* must be smaller than beta"):
        one(folder(), "clip", {"x": x}, alpha=np.float32(1), beta=np.float32(1), opset="CoreML7")
    # iOS15 has no such rule: min(max(x, 1), 0) is 0 everywhere but NaN
    got = one(folder(), "clip", {"x": x[1:]}, alpha=np.float32(1), beta=np.float32(0), opset="CoreML5")
    np.testing.assert_array_equal(got, [0, 0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_inverse_log_rsqrt_epsilon(folder, dtype):
    x = RNG.uniform(0.05, 4, (3, 7)).astype(dtype)
    xd = x.astype(np.float64)
    check_float(one(folder(), "inverse", {"x": x}), 1 / (xd + float(dtype(1e-4))), dtype)
    check_float(one(folder(), "inverse", {"x": x}, epsilon=dtype(0.5)), 1 / (xd + 0.5), dtype)
    check_float(one(folder(), "log", {"x": x}), np.log(xd), dtype)
    check_float(one(folder(), "log", {"x": x}, epsilon=dtype(0.25)), np.log(xd + 0.25), dtype)
    check_float(one(folder(), "rsqrt", {"x": x}), 1 / np.sqrt(xd), dtype)
    check_float(one(folder(), "rsqrt", {"x": x}, epsilon=dtype(1)), 1 / np.sqrt(xd + 1), dtype)


def test_default_epsilons_of_zero_input(folder):
    z = np.zeros(2, np.float32)
    # fp32: log(0 + 1e-45) is log of the smallest subnormal; rsqrt(0 + 1e-12) = 1e6
    np.testing.assert_allclose(one(folder(), "log", {"x": z}), np.log(np.float32(1e-45).astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(one(folder(), "rsqrt", {"x": z}), 1e6, rtol=1e-6)
    np.testing.assert_allclose(one(folder(), "inverse", {"x": z}), 1e4, rtol=1e-6)
    # fp16: the tiny defaults round to 0 in the input's type
    zh = z.astype(np.float16)
    assert np.all(np.isneginf(one(folder(), "log", {"x": zh})))
    assert np.all(np.isposinf(one(folder(), "rsqrt", {"x": zh})))


def test_ios17_epsilon_of_another_type(folder):
    x = RNG.uniform(0.5, 2, (5,)).astype(np.float16)
    got = one(folder(), "log", {"x": x}, epsilon=np.float32(0.125), opset="CoreML7")
    check_float(got, np.log(x.astype(np.float64) + 0.125), np.float16)


def test_logical_not(folder):
    a = np.array([[1, 0, 3], [0, 0, -2]], np.int32)
    p = MilProgram()
    p.input("a", np.int32, a.shape)
    b = p.op("not_equal", x="a", y=np.int32(0), dtypes=[np.bool_])
    out = p.op("logical_not", x=b, dtypes=[np.bool_])
    p.output(out)
    check_exact(p.model(folder()).predict({"a": a})[out], a == 0)


# ---------------------------------------------------------------------------------------
# Activations

def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


ACTIVATIONS = {  # constants exactly representable in fp16, so one reference serves both types
    "relu": (lambda v: np.maximum(v, 0), {}),
    "relu6": (lambda v: np.minimum(np.maximum(v, 0), 6), {}),
    "sigmoid": (_sigmoid, {}),
    "silu": (lambda v: v * _sigmoid(v), {}),
    "softplus": (lambda v: np.log1p(np.exp(v)), {}),
    "softsign": (lambda v: v / (1 + np.abs(v)), {}),
    "clamped_relu": (lambda v: np.minimum(np.where(v >= 0, v, 0.375 * v), 4.5), dict(alpha=0.375, beta=4.5)),
    "elu": (lambda v: np.where(v > 0, v, 1.25 * np.expm1(v)), dict(alpha=1.25)),
    "leaky_relu": (lambda v: np.where(v >= 0, v, 0.0625 * v), dict(alpha=0.0625)),
    "linear_activation": (lambda v: 1.5 * v - 0.25, dict(alpha=1.5, beta=-0.25)),
    "scaled_tanh": (lambda v: 1.75 * np.tanh(0.625 * v), dict(alpha=1.75, beta=0.625)),
    "sigmoid_hard": (lambda v: np.clip(0.25 * v + 0.5, 0, 1), dict(alpha=0.25, beta=0.5)),
    "thresholded_relu": (lambda v: np.where(v >= 1.25, v, 0), dict(alpha=1.25)),
}


@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_activations(folder, op, dtype):
    ref, params = ACTIVATIONS[op]
    x = RNG.uniform(-8, 8, (2, 3, 5, 7)).astype(dtype)
    x.reshape(-1)[:4] = [0, 6, 1.25, -0.0]
    got = one(folder(), op, {"x": x}, **{k: dtype(v) for k, v in params.items()})
    check_float(got, ref(x.astype(np.float64)), dtype)


@pytest.mark.parametrize("op", ["clamped_relu", "elu", "leaky_relu", "linear_activation", "scaled_tanh",
                                "sigmoid_hard", "thresholded_relu"])
def test_ios17_activation_params_of_another_type(folder, op):
    ref, params = ACTIVATIONS[op]
    x = RNG.uniform(-8, 8, (4, 9)).astype(np.float16)
    got = one(folder(), op, {"x": x}, opset="CoreML7", **{k: np.float32(v) for k, v in params.items()})
    check_float(got, ref(x.astype(np.float64)), np.float16)


def test_activations_extreme_inputs(folder):
    x = np.array([-1000, -100, -20, 0, 20, 100, 1000], np.float32)
    xd = x.astype(np.float64)
    with np.errstate(over="ignore"):
        check_float(one(folder(), "sigmoid", {"x": x}), _sigmoid(xd), np.float32)
        check_float(one(folder(), "softplus", {"x": x}), np.logaddexp(0, xd), np.float32)
        check_float(one(folder(), "silu", {"x": x}), xd * _sigmoid(xd), np.float32)


@pytest.mark.parametrize("mode", ["EXACT", "TANH_APPROXIMATION", "SIGMOID_APPROXIMATION", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_gelu_modes(folder, mode, dtype):
    x = RNG.uniform(-6, 6, (3, 64)).astype(dtype)
    xd = x.astype(np.float64)
    if mode in ("EXACT", None):
        expected = 0.5 * xd * (1 + _erf(xd / math.sqrt(2)))
    elif mode == "TANH_APPROXIMATION":
        expected = 0.5 * xd * (1 + np.tanh(math.sqrt(2 / math.pi) * (xd + 0.044715 * xd ** 3)))
    else:
        expected = xd * _sigmoid(1.702 * xd)
    kw = {} if mode is None else {"mode": mode}
    check_float(one(folder(), "gelu", {"x": x}, **kw), expected, dtype)


def test_gelu_unknown_mode_is_a_load_error(folder):
    with pytest.raises(Exception, match=r"gelu.*unknown mode 'FAST'"):
        one(folder(), "gelu", {"x": np.zeros(3, np.float32)}, mode="FAST")


def _per_channel(values, rank):
    return np.asarray(values, np.float64).reshape((1, -1) + (1,) * (rank - 2))


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (1, 3, 2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_prelu_per_channel(folder, shape, dtype):
    x = RNG.uniform(-3, 3, shape).astype(dtype)
    alpha = np.array([0.1, -0.5, 2.0], dtype)
    got = one(folder(), "prelu", {"x": x}, alpha=alpha)
    xd = x.astype(np.float64)
    check_float(got, np.where(xd >= 0, xd, _per_channel(alpha, len(shape)) * xd), dtype)


def test_prelu_checks_rank_and_channels(folder):
    with pytest.raises(ValueError, match=r"prelu.*rank 2.*expected rank 3 to 5"):
        one(folder(), "prelu", {"x": np.zeros((2, 3), np.float32)}, alpha=np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"prelu.*4 channels.*3"):
        one(folder(), "prelu", {"x": np.zeros((1, 4, 2), np.float32)}, alpha=np.ones(3, np.float32))


@pytest.mark.parametrize("shape", [(2, 3, 5), (1, 3, 4, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_softplus_parametric_per_channel(folder, shape, dtype):
    x = RNG.uniform(-4, 4, shape).astype(dtype)
    alpha = np.array([0.5, 1.0, 2.0], dtype)
    beta = np.array([1.0, -0.5, 3.0], dtype)
    got = one(folder(), "softplus_parametric", {"x": x}, alpha=alpha, beta=beta)
    rank = len(shape)
    expected = _per_channel(alpha, rank) * np.log1p(np.exp(_per_channel(beta, rank) * x.astype(np.float64)))
    check_float(got, expected, dtype)


# ---------------------------------------------------------------------------------------
# cast

def _cast_program(folder, x, dtype_name, out_dtype, opset="CoreML7", via=None):
    """cast of runtime x (or of a constant `via` when x has no model-input type)."""
    p = MilProgram(opset=opset)
    feed = {}
    if via is None:
        src = p.input("x", x.dtype, x.shape)
        feed["x"] = x
    else:
        p.input("dummy", np.float32, (1,))
        feed["dummy"] = np.zeros(1, np.float32)
        src = p.const(x)
        # keep the cast at run time: add a runtime dependency through select
        cond = p.op("greater", x="dummy", y=np.float32(-1), dtypes=[np.bool_])
        src = p.op("select", cond=cond, a=src, b=src, dtypes=[x.dtype])
    out = p.op("cast", x=src, dtype=dtype_name, dtypes=[out_dtype])
    p.output(out)
    return p.model(folder()).predict(feed)[out]


@pytest.mark.parametrize("src", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("dst", ["fp32", "fp16", "int32", "bool"])
def test_cast_ios15_types(folder, src, dst):
    x = np.array([-3.7, -1.5, -0.5, 0, 0.25, 1, 2.5, 100.9, 65504], np.float64).astype(src)
    out_dtype = {"fp32": np.float32, "fp16": np.float16, "int32": np.int32, "bool": np.bool_}[dst]
    got = _cast_program(folder, x, dst, out_dtype, opset="CoreML5")
    expected = x.astype(out_dtype)  # numpy: floats truncate toward zero, != 0 is True
    check_exact(got, expected)


@pytest.mark.parametrize("dst,np_type", [("int8", np.int8), ("uint8", np.uint8), ("int16", np.int16),
                                         ("uint16", np.uint16)])
def test_cast_ios17_small_integers(folder, dst, np_type):
    ints = np.array([-300, -129, -1, 0, 1, 127, 128, 255, 256, 40000, 70000], np.int32)
    check_exact(_cast_program(folder, ints, dst, np_type), ints.astype(np_type))  # wraps like numpy
    floats = np.array([-2.9, -0.5, 0, 0.9, 3.99, 100.5], np.float32)
    if np_type in (np.uint8, np.uint16):
        floats = np.abs(floats)
    check_exact(_cast_program(folder, floats, dst, np_type), floats.astype(np_type))


def test_cast_float_saturates_and_nan_is_zero(folder):
    x = np.array([np.nan, 1e10, -1e10, np.inf, -np.inf, 300.0, -300.0], np.float32)
    check_exact(_cast_program(folder, x, "int32", np.int32),
                [0, 2**31 - 1, -2**31, 2**31 - 1, -2**31, 300, -300])
    check_exact(_cast_program(folder, x, "uint8", np.uint8), [0, 255, 0, 255, 0, 255, 0])
    check_exact(_cast_program(folder, x, "bool", np.bool_), [1, 1, 1, 1, 1, 1, 1])


@pytest.mark.parametrize("src", [np.int8, np.uint8, np.int16, np.uint16, np.bool_])
def test_cast_from_ios17_types(folder, src):
    x = np.array([0, 1, 100, 127], np.int64).astype(src)
    for dst, np_type in (("fp32", np.float32), ("int32", np.int32), ("fp16", np.float16), ("bool", np.bool_)):
        check_exact(_cast_program(folder, x, dst, np_type, via="const"), x.astype(np_type))


def test_cast_rounds_to_fp16_nearest_even(folder):
    x = np.array([1 + 2**-11, 1 + 3 * 2**-11, 70000, 2049, 2051], np.float32)
    got = _cast_program(folder, x, "fp16", np.float16)
    with np.errstate(over="ignore"):  # 70000 -> inf is the point
        np.testing.assert_array_equal(got, x.astype(np.float16))


def test_cast_rejects_unknown_and_too_new_dtype(folder):
    with pytest.raises(Exception, match=r"dtype 'int8' is not supported; expected one of bool, fp16, fp32, int32"):
        _cast_program(folder, np.zeros(2, np.float32), "int8", np.int8, opset="CoreML5")
    with pytest.raises(Exception, match=r"dtype 'complex64' is not supported"):
        _cast_program(folder, np.zeros(2, np.float32), "complex64", np.float32)


# ---------------------------------------------------------------------------------------
# select, identity

@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32, np.bool_])
def test_select_broadcasts_three_operands(folder, dtype):
    cond = RNG.integers(0, 2, (3, 1, 5)).astype(np.int32)
    a = RNG.integers(-9, 9, (4, 5)).astype(dtype)
    b = RNG.integers(-9, 9, (1,)).astype(dtype)
    p = MilProgram()
    p.input("c", np.int32, cond.shape)
    c = p.op("not_equal", x="c", y=np.int32(0), dtypes=[np.bool_])
    av = p.const(a)
    if dtype == np.bool_:
        bv = p.const(b)
        feed = {"c": cond}
    else:
        bv = p.input("b", dtype, b.shape)
        feed = {"c": cond, "b": b}
    out = p.op("select", cond=c, a=av, b=bv, dtypes=[dtype])
    p.output(out)
    got = p.model(folder()).predict(feed)[out]
    check_exact(got, np.where(cond != 0, a, b))


def test_select_same_shapes(folder):
    c = RNG.standard_normal((6, 7)).astype(np.float32)
    a = RNG.standard_normal((6, 7)).astype(np.float32)
    b = RNG.standard_normal((6, 7)).astype(np.float32)
    p = MilProgram()
    for name, v in (("c", c), ("a", a), ("b", b)):
        p.input(name, np.float32, v.shape)
    cond = p.op("greater", x="c", y=np.float32(0), dtypes=[np.bool_])
    out = p.op("select", cond=cond, a="a", b="b", dtypes=[np.float32])
    p.output(out)
    got = p.model(folder()).predict({"c": c, "a": a, "b": b})[out]
    np.testing.assert_array_equal(got, np.where(c > 0, a, b))


def test_identity(folder):
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(one(folder(), "identity", {"x": x}), x)
    xi = np.arange(6, dtype=np.int32)
    np.testing.assert_array_equal(one(folder(), "identity", {"x": xi}), xi)


# ---------------------------------------------------------------------------------------
# fill, fill_like, range_1d

@pytest.mark.parametrize("value,dtype", [(np.float32(2.5), np.float32), (np.float16(-1.25), np.float16),
                                         (np.int32(7), np.int32), (None, np.float32)])
def test_fill(folder, value, dtype):
    p = MilProgram()
    p.input("x", np.float32, (1,))
    kw = {} if value is None else {"value": value}
    out = p.op("fill", shape=np.array([2, 3, 4], np.int32), dtypes=[dtype], **kw)
    s = p.op("add", x="x", y=np.float32(0))
    p.output(out, s)
    got = p.model(folder()).predict({"x": np.zeros(1, np.float32)})[out]
    check_exact(got, np.full((2, 3, 4), 0 if value is None else value, dtype))
    assert_type(got, dtype)


def test_fill_with_runtime_shape_and_bool(folder):
    p = MilProgram()
    p.input("shape", np.int32, (2,))
    out = p.op("fill", shape="shape", value=np.float32(3), dtypes=[np.float32])
    flag = p.op("fill", shape="shape", value=True, dtypes=[np.bool_])
    p.output(out, flag)
    res = p.model(folder()).predict({"shape": np.array([3, 2], np.int32)})
    check_exact(res[out], np.full((3, 2), 3.0))
    check_exact(res[flag], np.ones((3, 2)))
    res = p.model(folder()).predict({"shape": np.array([0, 2], np.int32)})
    assert np.asarray(res[out]).shape == (0, 2)
    with pytest.raises(ValueError, match=r"fill.*negative dim"):
        p.model(folder()).predict({"shape": np.array([-1, 2], np.int32)})


@pytest.mark.parametrize("value,dtype", [(np.float32(4.5), np.float32), (np.int32(-3), np.int32),
                                         (np.float16(0.5), np.float16), (None, np.float32)])
def test_fill_like(folder, value, dtype):
    ref = np.zeros((3, 1, 4), np.float16)
    kw = {} if value is None else {"value": value}
    got = one(folder(), "fill_like", {"ref_tensor": ref}, dtypes=[dtype], opset="CoreML6", **kw)
    check_exact(got, np.full(ref.shape, 0 if value is None else value, dtype))
    assert_type(got, dtype)


@pytest.mark.parametrize("start,end,step", [(0, 10, 1), (2, 11, 3), (10, 0, -3), (5, 5, 1), (5, 0, 1), (-4, 4, 7)])
def test_range_1d_int32(folder, start, end, step):
    got = one(folder(), "range_1d", {"end": np.array([end], np.int32)}, start=np.int32(start), step=np.int32(step))
    check_exact(got, np.arange(start, end, step, dtype=np.int32))
    assert got.dtype == np.int32


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("start,end,step", [(0, 1, 0.1), (2.5, -1, -0.75), (1, 1, 0.5), (0, 3, 0.5)])
def test_range_1d_float(folder, dtype, start, end, step):
    got = one(folder(), "range_1d", {"start": np.array([start], dtype)}, end=dtype(end), step=dtype(step))
    expected = np.arange(float(dtype(start)), float(dtype(end)), float(dtype(step)))
    check_float(got, expected, dtype)


def test_range_1d_zero_step_is_an_error(folder):
    with pytest.raises(ValueError, match=r"range_1d.*step must not be 0"):
        one(folder(), "range_1d", {"end": np.array([4], np.int32)}, start=np.int32(0), step=np.int32(0))


# ---------------------------------------------------------------------------------------
# random ops: shapes, seeding, statistics

def _random_model(folder, op, shape, out_dtype=np.float32, **params):
    p = MilProgram()
    p.input("x", np.float32, (1,))
    out = p.op(op, shape=np.array(shape, np.int32), dtypes=[out_dtype], **params)
    keep = p.op("add", x="x", y=np.float32(0))
    p.output(out, keep)
    model = p.model(folder())
    return lambda: model.predict({"x": np.zeros(1, np.float32)})[out]


N = (200, 500)  # 100k samples: sample means within ~5 standard errors


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_random_uniform(folder, dtype):
    draw = _random_model(folder, "random_uniform", N, dtype, low=dtype(-2), high=dtype(3), seed=np.int32(7))
    v = draw()
    assert v.shape == N
    assert_type(v, dtype)
    assert v.min() >= -2 and v.max() < 3
    vd = v.astype(np.float64)
    assert abs(vd.mean() - 0.5) < 5 * 5 / math.sqrt(12 * vd.size)
    assert abs(vd.var() - 25 / 12) < 0.05
    hist, _ = np.histogram(vd, bins=10, range=(-2, 3))
    assert np.all(np.abs(hist / vd.size - 0.1) < 0.006)


def test_random_uniform_defaults_and_tight_upper_bound(folder):
    v = _random_model(folder, "random_uniform", (1000,))()
    assert v.min() >= 0 and v.max() < 1
    v = _random_model(folder, "random_uniform", (10000,), np.float16, low=np.float16(1), high=np.float16(1.001))()
    assert v.min() >= 1 and v.max() < np.float16(1.001)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_random_normal(folder, dtype):
    v = _random_model(folder, "random_normal", N, dtype, mean=dtype(1.5), stddev=dtype(2), seed=np.int32(3))()
    assert v.shape == N
    assert_type(v, dtype)
    vd = v.astype(np.float64)
    assert abs(vd.mean() - 1.5) < 5 * 2 / math.sqrt(vd.size)
    assert abs(vd.std() - 2) < 0.03
    z = (vd - 1.5) / 2
    assert abs(np.mean(np.abs(z) < 1) - 0.6827) < 0.01      # the normal's shape, not just its moments
    assert abs(np.mean(np.abs(z) < 2) - 0.9545) < 0.005
    assert abs(np.mean(z ** 3)) < 0.06


@pytest.mark.parametrize("op,params", [("random_normal", dict(mean=1.5, stddev=2.0)), ("random_uniform", dict(low=-3.0, high=5.0))])
def test_fp16_random_draws_round_once(folder, op, params):
    # The same seed in fp32 and fp16: the fp32 draw f is the double draw rounded once. Where f
    # is not an fp16 tie, the fp16 draw must be f rounded to fp16; where it is a tie, the
    # double draw was on either side of it, so both neighbours must occur (rounding the fp32
    # value again would always pick the even one).
    shape = (1 << 20,)
    f32 = _random_model(folder, op, shape, np.float32, seed=np.int32(11), **{k: np.float32(v) for k, v in params.items()})()
    f16 = _random_model(folder, op, shape, np.float16, seed=np.int32(11), **{k: np.float16(v) for k, v in params.items()})()
    h = f16.astype(np.float16)
    nearest = f32.astype(np.float16)
    up = np.nextafter(nearest, np.float16(np.inf))
    down = np.nextafter(nearest, np.float16(-np.inf))
    tie = (f32 == (nearest.astype(np.float32) + up.astype(np.float32)) / 2) | \
        (f32 == (nearest.astype(np.float32) + down.astype(np.float32)) / 2)
    if op == "random_uniform":
        tie &= nearest < params["high"]  # draws rounding up to `high` are kept below it instead
        plain = ~tie & (nearest < params["high"])
    else:
        plain = ~tie
    assert np.array_equal(h[plain].view(np.uint16), nearest[plain].view(np.uint16))
    assert tie.sum() > 20
    odd = (h[tie].view(np.uint16) & 1) == 1
    assert 0.2 < odd.mean() < 0.8


@pytest.mark.parametrize("prob", [0.5, 0.1, 0.0, 1.0])
def test_random_bernoulli(folder, prob):
    kw = {} if prob == 0.5 else {"prob": np.float32(prob)}
    v = _random_model(folder, "random_bernoulli", N, **kw)()
    assert v.shape == N
    assert set(np.unique(v)).issubset({0.0, 1.0})
    assert abs(v.mean() - prob) < 5 * math.sqrt(max(prob * (1 - prob), 1e-12) / v.size) + 1e-12


@pytest.mark.parametrize("op,params", [("random_uniform", {}), ("random_normal", {}), ("random_bernoulli", {})])
def test_random_seeding(folder, op, params):
    seeded = _random_model(folder, op, (64,), seed=np.int32(42), **params)
    first = seeded()
    np.testing.assert_array_equal(first, seeded())  # same seed: same values on every predict
    again = _random_model(folder, op, (64,), seed=np.int32(42), **params)()
    np.testing.assert_array_equal(first, again)     # ... and in another load of the model
    other = _random_model(folder, op, (64,), seed=np.int32(43), **params)()
    assert not np.array_equal(first, other)
    unseeded = _random_model(folder, op, (64,), **params)
    assert not np.array_equal(unseeded(), unseeded())  # seed -1: a fresh stream per call


def _categorical(folder, x, **params):
    p = MilProgram()
    p.input("x", x.dtype, x.shape)
    out = p.op("random_categorical", x="x", **params)
    p.output(out)
    model = p.model(folder())
    return lambda: model.predict({"x": x})[out]


@pytest.mark.parametrize("mode", ["logits", "probs"])
def test_random_categorical_frequencies(folder, mode):
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.3, 0.0]], np.float64)
    x = (np.log(np.where(probs > 0, probs, 1e-30)) + 1.0 if mode == "logits" else probs).astype(np.float32)
    size = 50000
    kw = {"mode": mode} if mode == "probs" else {}
    v = _categorical(folder, x, size=np.int32(size), seed=np.int32(5), **kw)()
    assert v.shape == (2, size) and v.dtype == np.float32
    for row in range(2):
        freq = np.bincount(v[row].astype(np.int64), minlength=4) / size
        assert np.all(np.abs(freq - probs[row]) < 5 * np.sqrt(probs[row] * (1 - probs[row]) / size) + 1e-9), freq


def test_random_categorical_shape_dtype_and_seed(folder):
    x = RNG.standard_normal((2, 3, 6)).astype(np.float16)
    draw = _categorical(folder, x, seed=np.int32(9))
    v = draw()
    assert v.shape == (2, 3, 1)
    assert_type(v, np.float16)
    assert np.all((v >= 0) & (v < 6)) and np.all(v == np.round(v))
    np.testing.assert_array_equal(v, draw())


def test_random_categorical_rejects_negative_probabilities(folder):
    x = np.array([[0.5, -0.1, 0.6]], np.float32)
    with pytest.raises(ValueError, match=r"random_categorical.*negative or NaN probabilities"):
        _categorical(folder, x, mode="probs")()

