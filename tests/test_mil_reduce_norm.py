"""ML program reductions, softmax and normalisation ops against numpy references.

Each op runs end to end (program -> engine -> kernel). Tolerances: fp32 results within
rtol=1e-5/atol=1e-5 of a float64 reference; fp16 results within 2e-3 relative (fp16 has
11 significant bits) of the reference computed from the same fp16 inputs; int32 results
exact (numpy's astype(int32) truncation for means, norms and logs).
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mil_op_runner import run_op, run_op1
from mil_program import MilProgram

RNG = np.random.default_rng(1234)


def close(actual, expected, dtype, scale=1.0):
    """Float outputs: fp16 ones come back to Python as float32 (Core ML's convention) but must
    hold fp16 values, showing the op rounded at its boundary."""
    assert actual.dtype == np.float32, actual.dtype
    if dtype == np.float16:
        np.testing.assert_array_equal(actual, actual.astype(np.float16).astype(np.float32))
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if dtype == np.float16:
        np.testing.assert_allclose(actual, expected, rtol=2e-3, atol=2e-3 * scale)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * scale)


def sample(shape, dtype, low=-2.0, high=2.0):
    if dtype == np.int32:
        return RNG.integers(int(low) - 3, int(high) + 4, size=shape).astype(np.int32)
    return RNG.uniform(low, high, size=shape).astype(dtype)


def log_sum_exp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


REDUCTIONS = {
    "reduce_sum": np.sum,
    "reduce_mean": np.mean,
    "reduce_prod": np.prod,
    "reduce_max": np.max,
    "reduce_min": np.min,
    "reduce_l1_norm": lambda x, axis=None, keepdims=False: np.sum(np.abs(x), axis=axis, keepdims=keepdims),
    "reduce_l2_norm": lambda x, axis=None, keepdims=False: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)),
    "reduce_sum_square": lambda x, axis=None, keepdims=False: np.sum(x * x, axis=axis, keepdims=keepdims),
    "reduce_log_sum": lambda x, axis=None, keepdims=False: np.log(np.sum(x, axis=axis, keepdims=keepdims)),
    "reduce_log_sum_exp": log_sum_exp,
}

# (shape, axes): None = all axes; negative, contiguous, scattered (forces a permutation),
# unit dims between reduced dims, and an empty dim.
AXES_CASES = [
    ((2, 3, 4, 5), None),
    ((2, 3, 4, 5), [1]),
    ((2, 3, 4, 5), [-1]),
    ((2, 3, 4, 5), [1, 2]),
    ((2, 3, 4, 5), [0, 2]),
    ((2, 3, 4, 5), [1, 3]),
    ((3, 1, 4), [0, 2]),
    ((7,), [0]),
    ((4, 0, 3), [2]),
    ((4, 0, 3), [1]),
]


def op_input(op, shape, dtype):
    if op == "reduce_log_sum":
        return sample(shape, dtype, 0.5, 2.0) if dtype != np.int32 else RNG.integers(1, 5, size=shape).astype(np.int32)
    if op == "reduce_prod":
        return sample(shape, dtype, 0.8, 1.25) if dtype != np.int32 else RNG.integers(-2, 3, size=shape).astype(np.int32)
    return sample(shape, dtype)


def reduces_empty(shape, axes):
    return 0 in shape and (axes is None or any(shape[a] == 0 for a in axes))


# Reducing over an empty axis has no max/min (an error, tested below), gives log(0) for
# reduce_log_sum and no integer mean; those combinations are left out here.
REDUCTION_CASES = [
    (op, dtype, shape, axes)
    for op in sorted(REDUCTIONS)
    for dtype in (np.float32, np.float16, np.int32)
    for shape, axes in AXES_CASES
    if not (reduces_empty(shape, axes) and (op in ("reduce_max", "reduce_min", "reduce_log_sum_exp", "reduce_log_sum")
                                            or (op == "reduce_mean" and dtype == np.int32)))
]


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("op,dtype,shape,axes", REDUCTION_CASES)
@pytest.mark.parametrize("keep_dims", [False, True])
def test_reductions(tmp_path, op, dtype, shape, axes, keep_dims):
    x = op_input(op, shape, dtype)
    params = {"keep_dims": keep_dims}
    if axes is not None:
        params["axes"] = np.array(axes, dtype=np.int32)
    out = run_op1(tmp_path, op, inputs={"x": x}, params=params)
    np_axis = None if axes is None else tuple(axes)
    with np.errstate(invalid="ignore"):
        ref = np.asarray(REDUCTIONS[op](x.astype(np.float64), axis=np_axis, keepdims=keep_dims))
    assert out.shape == ref.shape
    if dtype == np.int32:
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out, np.trunc(ref).astype(np.int64))
    else:
        close(out, ref, dtype, scale=max(1.0, float(np.max(np.abs(np.nan_to_num(ref)), initial=0))))


def test_reduce_empty_axis_error(tmp_path):
    with pytest.raises(ValueError, match="reduce_max.*empty"):
        run_op1(tmp_path, "reduce_max", inputs={"x": np.zeros((3, 0), np.float32)}, params={"axes": np.int32([1])})


def test_reduce_rejects_bad_axes(tmp_path):
    with pytest.raises(ValueError, match="out of range"):
        run_op1(tmp_path, "reduce_sum", inputs={"x": np.zeros((3, 2), np.float32)}, params={"axes": np.int32([2])})


def test_reduce_large_parallel(tmp_path):
    # Big enough for the multi-threaded paths (long single run, many rows, strided inner).
    x = RNG.standard_normal((3, 70000)).astype(np.float32)
    out = run_op1(tmp_path, "reduce_sum", inputs={"x": x.reshape(-1)}, params={"axes": np.int32([0])})
    close(out, x.astype(np.float64).sum(), np.float32, scale=100)
    out = run_op1(tmp_path, "reduce_mean", inputs={"x": x.reshape(3, 700, 100)}, params={"axes": np.int32([1])})
    close(out, x.reshape(3, 700, 100).astype(np.float64).mean(axis=1), np.float32)


def test_reduce_max_propagates_nan(tmp_path):
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], np.float32)
    out = run_op1(tmp_path, "reduce_max", inputs={"x": x}, params={"axes": np.int32([1])})
    assert np.isnan(out[0]) and out[1] == 6.0


def test_reduce_log_sum_exp_is_stable(tmp_path):
    x = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]], np.float32)
    out = run_op1(tmp_path, "reduce_log_sum_exp", inputs={"x": x}, params={"axes": np.int32([1])})
    close(out, log_sum_exp(x.astype(np.float64), axis=1), np.float32, scale=1000)


# ---- reduce_argmax / reduce_argmin -------------------------------------------------------

@pytest.mark.parametrize("op,fn", [("reduce_argmax", np.argmax), ("reduce_argmin", np.argmin)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
@pytest.mark.parametrize("axis", [0, 1, -1, 2])
@pytest.mark.parametrize("keep_dims", [False, True])
def test_arg_reductions(tmp_path, op, fn, dtype, axis, keep_dims):
    x = RNG.integers(-3, 4, size=(3, 4, 5)).astype(dtype)  # small ints: many ties, first wins
    out = run_op1(tmp_path, op, inputs={"x": x}, params={"axis": np.int32(axis), "keep_dims": keep_dims}, dtypes=[np.int32])
    ref = fn(x, axis=axis)
    if keep_dims:
        ref = np.expand_dims(ref, axis)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, ref)


def test_arg_reduction_default_axis_and_nan(tmp_path):
    x = np.array([[1.0, np.nan, 7.0, np.nan], [2.0, 9.0, 9.0, 1.0]], np.float32)
    out = run_op1(tmp_path, "reduce_argmax", inputs={"x": x}, dtypes=[np.int32])
    np.testing.assert_array_equal(out, np.argmax(x, axis=-1))


@pytest.mark.parametrize("out_dtype", ["int32", "uint16"])
def test_arg_reduction_ios17_output_dtype(tmp_path, out_dtype):
    x = RNG.standard_normal((4, 6)).astype(np.float32)
    out = run_op1(tmp_path, "reduce_argmin", inputs={"x": x}, params={"axis": np.int32(1), "output_dtype": out_dtype},
                  dtypes=[np.dtype(out_dtype)])
    np.testing.assert_array_equal(out.astype(np.int64), np.argmin(x, axis=1))


# ---- softmax -----------------------------------------------------------------------------

def softmax_ref(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape,axis", [((2, 3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), 0), ((5,), 0), ((2, 300, 3), 1), ((3, 0, 2), 2)])
def test_softmax(tmp_path, dtype, shape, axis):
    x = sample(shape, dtype, -5, 5)
    out = run_op1(tmp_path, "softmax", inputs={"x": x}, params={"axis": np.int32(axis)})
    close(out, softmax_ref(x.astype(np.float64), axis), dtype)


def test_softmax_default_axis_large_logits(tmp_path):
    x = np.array([[1000.0, 1001.0, 999.0], [-50.0, 0.0, 50.0]], np.float32)
    out = run_op1(tmp_path, "softmax", inputs={"x": x})
    close(out, softmax_ref(x.astype(np.float64), -1), np.float32)


def test_softmax_wide_inner_parallel(tmp_path):
    x = RNG.standard_normal((2, 16, 3000)).astype(np.float32)
    out = run_op1(tmp_path, "softmax", inputs={"x": x}, params={"axis": np.int32(1)})
    close(out, softmax_ref(x.astype(np.float64), 1), np.float32)


# ---- batch_norm / instance_norm / layer_norm / l2_norm / local_response_norm ---------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (1, 3, 2, 3, 2)])
@pytest.mark.parametrize("affine", [False, True])
def test_batch_norm(tmp_path, dtype, shape, affine):
    c = shape[1]
    x = sample(shape, dtype, -3, 3)
    mean, var = sample((c,), dtype), RNG.uniform(0.5, 2.0, c).astype(dtype)
    gamma, beta = sample((c,), dtype), sample((c,), dtype)
    params = {"mean": mean, "variance": var, "epsilon": dtype(1e-3)}
    if affine:
        params.update(gamma=gamma, beta=beta)
    out = run_op1(tmp_path, "batch_norm", inputs={"x": x}, params=params)
    bshape = (1, c) + (1,) * (len(shape) - 2)
    ref = (x.astype(np.float64) - mean.reshape(bshape)) / np.sqrt(var.astype(np.float64).reshape(bshape) + 1e-3)
    if affine:
        ref = ref * gamma.reshape(bshape) + beta.reshape(bshape)
    close(out, ref, dtype, scale=4)


def test_batch_norm_ios17_mixed_param_dtype(tmp_path):
    # iOS17: x fp16 while the constant parameters are fp32.
    x = sample((2, 3, 4), np.float16)
    mean, var = sample((3,), np.float32), RNG.uniform(0.5, 2.0, 3).astype(np.float32)
    out = run_op1(tmp_path, "batch_norm", inputs={"x": x}, params={"mean": mean, "variance": var})
    ref = (x.astype(np.float64) - mean.reshape(1, 3, 1)) / np.sqrt(var.reshape(1, 3, 1) + 1e-5)
    close(out, ref, np.float16, scale=4)


def test_batch_norm_channel_mismatch(tmp_path):
    with pytest.raises(ValueError, match="channels"):
        run_op1(tmp_path, "batch_norm", inputs={"x": np.zeros((1, 4, 2), np.float32)},
                params={"mean": np.zeros(3, np.float32), "variance": np.ones(3, np.float32)})


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 4, 5)])
@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm(tmp_path, dtype, shape, affine):
    c = shape[1]
    x = sample(shape, dtype, -3, 3) + dtype(10)  # an offset mean checks the centring
    gamma, beta = sample((c,), dtype), sample((c,), dtype)
    params = {"epsilon": dtype(1e-4)}
    if affine:
        params.update(gamma=gamma, beta=beta)
    out = run_op1(tmp_path, "instance_norm", inputs={"x": x}, params=params)
    axes = tuple(range(2, len(shape)))
    xf = x.astype(np.float64)
    ref = (xf - xf.mean(axis=axes, keepdims=True)) / np.sqrt(xf.var(axis=axes, keepdims=True) + 1e-4)
    if affine:
        bshape = (1, c) + (1,) * (len(shape) - 2)
        ref = ref * gamma.reshape(bshape) + beta.reshape(bshape)
    close(out, ref, dtype, scale=4)


def layer_norm_ref(x, axes, gamma, beta, eps):
    rank = x.ndim
    axes = sorted(a + rank if a < 0 else a for a in axes)
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    norm_shape = [x.shape[i] if i in axes else 1 for i in range(rank)]
    if gamma is not None:
        out = out * gamma.reshape(norm_shape)
    if beta is not None:
        out = out + beta.reshape(norm_shape)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape,axes", [
    ((2, 3, 8), [-1]), ((2, 3, 8), [1, 2]), ((2, 3, 4, 5), [1]), ((2, 3, 4, 5), [1, 3]),
    ((2, 3, 4, 5), None), ((4, 300, 2), [1]), ((6,), [0]),
])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm(tmp_path, dtype, shape, axes, affine):
    x = sample(shape, dtype, -3, 3) + dtype(5)
    norm_axes = list(range(len(shape))) if axes is None else axes
    norm_shape = tuple(shape[a] for a in sorted(a % len(shape) for a in norm_axes))
    gamma = sample(norm_shape, dtype) if affine else None
    beta = sample(norm_shape, dtype) if affine else None
    params = {"epsilon": dtype(1e-5)}
    if axes is not None:
        params["axes"] = np.array(axes, np.int32)
    if affine:
        params.update(gamma=gamma, beta=beta)
    out = run_op1(tmp_path, "layer_norm", inputs={"x": x}, params=params)
    ref = layer_norm_ref(x.astype(np.float64), norm_axes, None if gamma is None else gamma.astype(np.float64),
                         None if beta is None else beta.astype(np.float64), 1e-5)
    close(out, ref, dtype, scale=4)


def test_layer_norm_gamma_shape_mismatch(tmp_path):
    with pytest.raises(ValueError, match="gamma"):
        run_op1(tmp_path, "layer_norm", inputs={"x": np.zeros((2, 4), np.float32)},
                params={"axes": np.int32([-1]), "gamma": np.ones(3, np.float32)})


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5), (2, 2, 3, 2, 2)])
def test_l2_norm(tmp_path, dtype, shape):
    x = sample(shape, dtype)
    out = run_op1(tmp_path, "l2_norm", inputs={"x": x}, params={"epsilon": dtype(1e-6)})
    xf = x.astype(np.float64).reshape(int(np.prod(shape[:-3])), -1)
    ref = (xf / np.sqrt((xf * xf).sum(axis=1, keepdims=True) + 1e-6)).reshape(shape)
    close(out, ref, dtype)


def lrn_ref(x, size, alpha, beta, k):
    # PyTorch's LocalResponseNorm over axis -3: window [c - size//2, c + (size-1)//2].
    c_axis = x.ndim - 3
    sq = np.moveaxis(x * x, c_axis, 0)
    c = sq.shape[0]
    acc = np.zeros_like(sq)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c - 1, ch + (size - 1) // 2)
        acc[ch] = sq[lo:hi + 1].sum(axis=0)
    div = (k + alpha / size * np.moveaxis(acc, 0, c_axis)) ** beta
    return x / div


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("shape", [(1, 5, 3, 4), (2, 6, 2, 2), (2, 2, 4, 3, 3)])
@pytest.mark.parametrize("size,alpha,beta,k", [(3, 1e-2, 0.75, 1.0), (2, 0.5, 1.0, 2.0), (5, 1e-4, 0.75, 1.0)])
def test_local_response_norm(tmp_path, dtype, shape, size, alpha, beta, k):
    x = sample(shape, dtype, -3, 3)
    out = run_op1(tmp_path, "local_response_norm", inputs={"x": x},
                  params={"size": np.int32(size), "alpha": dtype(alpha), "beta": dtype(beta), "k": dtype(k)})
    close(out, lrn_ref(x.astype(np.float64), size, float(dtype(alpha)), float(dtype(beta)), float(dtype(k))), dtype, scale=3)


def test_local_response_norm_rank3_matches_reference_values(tmp_path):
    # Rank 3: channels are axis -3 (here of length 1), so each value is normalised by itself
    # (the values Core ML's own test expects for size=2 with default alpha/beta/k).
    x = np.array([[[1.0, -7.0], [5.0, -6.0], [-3.0, -5.0]]], np.float32)
    out = run_op1(tmp_path, "local_response_norm", inputs={"x": x}, params={"size": np.int32(2)})
    expected = x / (1.0 + 1e-4 / 2 * x.astype(np.float64) ** 2) ** 0.75
    close(out, expected, np.float32)


def test_concurrent_predicts_share_one_model(tmp_path):
    # Kernels are immutable and predict runs with the GIL released: many threads, one model.
    p = MilProgram(opset="CoreML7")
    x = p.input("x", np.float32, (4, 64, 96))
    y = p.op("layer_norm", x=x, axes=np.int32([-1]), epsilon=np.float32(1e-5))
    y = p.op("softmax", x=y, axis=np.int32(1))
    y = p.op("reduce_sum", x=y, axes=np.int32([2]), keep_dims=False)
    p.output(y)
    model = p.model(tmp_path)
    inputs = [RNG.standard_normal((4, 64, 96)).astype(np.float32) for _ in range(8)]
    serial = [model.predict({"x": v})[y] for v in inputs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda v: model.predict({"x": v})[y], inputs * 4))
    for i, out in enumerate(parallel):
        np.testing.assert_array_equal(out, serial[i % len(inputs)])
    ref = softmax_ref(layer_norm_ref(inputs[0].astype(np.float64), [-1], None, None, 1e-5), 1).sum(axis=2)
    close(serial[0], ref, np.float32)
