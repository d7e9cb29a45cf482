"""ML program ops linear, matmul, einsum, conv, conv_transpose, avg_pool, max_pool and l2_pool,
run end to end (a one-op program predicted through opencoreml) against numpy references
written here from the MIL op definitions: direct loops over kernel taps for convolutions,
explicit windows for pools.

Tolerances: fp32 results within rtol 1e-5 / atol 1e-5 of a float64 reference (float32 GEMM
rounding over at most a few hundred terms). fp16 programs read fp16 inputs, compute in fp32
and round the result to fp16 once, so they are compared with the float64 reference of the
same fp16 inputs within 2 fp16 ulps (rtol 2e-3, atol 2e-3).
"""
import math

import numpy as np
import pytest

from mil_program import MilProgram

FP32 = dict(rtol=1e-5, atol=1e-5)
FP16 = dict(rtol=2e-3, atol=2e-3)
RNG = np.random.default_rng(7)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def run_op(tmp_path, op, inputs, opset="CoreML7", consts=None, blob=False, dtypes=None, **params):
    """One-op program: `inputs` (name -> array) become model inputs, `consts` (param -> array)
    const ops (in weight.bin when blob), `params` inline values. Returns the op's output."""
    p = MilProgram(opset=opset)
    args = {}
    for name, value in inputs.items():
        args[name] = p.input(name, value.dtype, value.shape)
    for name, value in (consts or {}).items():
        args[name] = p.const(value, blob=blob)
    args.update(params)
    out = p.op(op, dtypes=dtypes, **args)
    p.output(out)
    model = p.model(tmp_path)
    return model.predict(inputs)[out]


def check(actual, expected, dtype):
    tol = FP16 if dtype == np.float16 else FP32
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if dtype == np.float16:
        # predict returns fp16 outputs as float32 (as Core ML does); the values must be fp16's.
        np.testing.assert_array_equal(actual, actual.astype(np.float16).astype(actual.dtype))
    np.testing.assert_allclose(actual.astype(np.float64), expected, **tol)


# ---------------------------------------------------------------------------------------------
# numpy references


def same_pads(in_sizes, kernel, strides, dilations, lower=False):
    pads = []
    for i, k, s, d in zip(in_sizes, kernel, strides, dilations):
        dk = (k - 1) * d + 1
        total = max(0, (math.ceil(i / s) - 1) * s + dk - i)
        small, big = total // 2, total - total // 2
        pads += [big, small] if lower else [small, big]
    return pads


def ref_conv(x, w, b=None, strides=None, dilations=None, pads=None, groups=1):
    """out[n, co, o] = sum over ci in co's group and taps t of w[co, ci, t] * xpad[n, ci, o*s + t*d]."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    nsp = x.ndim - 2
    strides = strides or [1] * nsp
    dilations = dilations or [1] * nsp
    pads = pads or [0] * (2 * nsp)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads[2 * i], pads[2 * i + 1]) for i in range(nsp)])
    k = w.shape[2:]
    out_sp = [(xp.shape[2 + i] - ((k[i] - 1) * dilations[i] + 1)) // strides[i] + 1 for i in range(nsp)]
    n, cin = x.shape[:2]
    cout, cin_g = w.shape[:2]
    cout_g = cout // groups
    out = np.zeros((n, cout, *out_sp))
    for g in range(groups):
        xg = xp[:, g * cin_g:(g + 1) * cin_g]
        wg = w[g * cout_g:(g + 1) * cout_g]
        for tap in np.ndindex(*k):
            sl = tuple(slice(tap[i] * dilations[i], tap[i] * dilations[i] + (out_sp[i] - 1) * strides[i] + 1, strides[i])
                       for i in range(nsp))
            patch = xg[(slice(None), slice(None)) + sl]          # [n, cin_g, *out]
            out[:, g * cout_g:(g + 1) * cout_g] += np.einsum("nc...,oc->no...", patch, wg[(slice(None), slice(None)) + tap])
    if b is not None:
        out += b.astype(np.float64).reshape((1, -1) + (1,) * nsp)
    return out


def ref_conv_transpose(x, w, b=None, strides=None, dilations=None, crop_before=None, out_sizes=None, groups=1):
    """Scatter every input position over the taps: full[n, co, i*s + t*d] += x[n, ci, i] * w[ci, co, t],
    then take out_sizes positions starting at crop_before (zeros beyond the full result)."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    nsp = x.ndim - 2
    strides = strides or [1] * nsp
    dilations = dilations or [1] * nsp
    n, cin = x.shape[:2]
    cin_g = cin // groups
    cout_g = w.shape[1]
    k = w.shape[2:]
    full_sp = [(x.shape[2 + i] - 1) * strides[i] + (k[i] - 1) * dilations[i] + 1 for i in range(nsp)]
    crop_before = crop_before or [0] * nsp
    out_sizes = out_sizes or [f - c for f, c in zip(full_sp, crop_before)]
    big = [max(f, c + o) for f, c, o in zip(full_sp, crop_before, out_sizes)]
    full = np.zeros((n, cout_g * groups, *big))
    for g in range(groups):
        xg = x[:, g * cin_g:(g + 1) * cin_g]
        wg = w[g * cin_g:(g + 1) * cin_g]
        for tap in np.ndindex(*k):
            sl = tuple(slice(tap[i] * dilations[i], tap[i] * dilations[i] + (x.shape[2 + i] - 1) * strides[i] + 1, strides[i])
                       for i in range(nsp))
            full[(slice(None), slice(g * cout_g, (g + 1) * cout_g)) + sl] += np.einsum(
                "nc...,co->no...", xg, wg[(slice(None), slice(None)) + tap])
    out = full[(slice(None), slice(None)) + tuple(slice(c, c + o) for c, o in zip(crop_before, out_sizes))]
    if b is not None:
        out = out + b.astype(np.float64).reshape((1, -1) + (1,) * nsp)
    return out


def ref_pool(x, mode, kernel, strides, pads, ceil_mode=False, exclude_padding=False):
    """Windows over explicit index ranges; pads are before/after per spatial dim."""
    x = x.astype(np.float64)
    nsp = x.ndim - 2
    out_sp = []
    for i in range(nsp):
        size, k, s, pb, pa = x.shape[2 + i], kernel[i], strides[i], pads[2 * i], pads[2 * i + 1]
        if ceil_mode:
            o = math.ceil((size + pb + pa - k) / s) + 1
            if (o - 1) * s >= size + pb and pb + pa > 0:
                o -= 1
        else:
            o = (size + pb + pa - k) // s + 1
        out_sp.append(o)
    out = np.zeros(x.shape[:2] + tuple(out_sp))
    for o in np.ndindex(*out_sp):
        valid, padded = [], 1
        for i in range(nsp):
            start = o[i] * strides[i] - pads[2 * i]
            end = start + kernel[i]
            valid.append(slice(max(start, 0), min(end, x.shape[2 + i])))
            padded *= min(end, x.shape[2 + i] + pads[2 * i + 1]) - max(start, -pads[2 * i])
        win = x[(slice(None), slice(None)) + tuple(valid)].reshape(x.shape[0], x.shape[1], -1)
        if mode == "max_pool":
            val = win.max(axis=-1)
        elif mode == "l2_pool":
            val = np.sqrt((win ** 2).sum(axis=-1))
        else:
            val = win.sum(axis=-1) / (win.shape[-1] if exclude_padding else padded)
        out[(slice(None), slice(None)) + o] = val
    return out


def i32(values):
    return np.array(values, dtype=np.int32)


# ---------------------------------------------------------------------------------------------
# linear


@pytest.mark.parametrize("x_shape", [(7,), (3, 7), (2, 5, 7)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_fp32(tmp_path, x_shape, bias):
    x, w, b = rand(*x_shape), rand(4, 7), rand(4)
    consts = {"weight": w, **({"bias": b} if bias else {})}
    out = run_op(tmp_path, "linear", {"x": x}, consts=consts, blob=True)
    check(out, x.astype(np.float64) @ w.T.astype(np.float64) + (b if bias else 0), np.float32)


def test_linear_fp16(tmp_path):
    x, w, b = rand(6, 33, dtype=np.float16), rand(10, 33, dtype=np.float16), rand(10, dtype=np.float16)
    out = run_op(tmp_path, "linear", {"x": x}, consts={"weight": w, "bias": b})
    check(out, x.astype(np.float64) @ w.T.astype(np.float64) + b, np.float16)


def test_linear_ios17_fp16_weights_fp32_input(tmp_path):
    x, w, b = rand(3, 12), rand(5, 12, dtype=np.float16), rand(5, dtype=np.float16)
    out = run_op(tmp_path, "linear", {"x": x}, consts={"weight": w, "bias": b}, dtypes=[np.float32], blob=True)
    assert out.dtype == np.float32
    check(out, x.astype(np.float64) @ w.T.astype(np.float64) + b, np.float32)


def test_linear_int32(tmp_path):
    x = RNG.integers(-50, 50, (4, 6)).astype(np.int32)
    w = RNG.integers(-50, 50, (3, 6)).astype(np.int32)
    b = RNG.integers(-50, 50, (3,)).astype(np.int32)
    out = run_op(tmp_path, "linear", {"x": x}, consts={"weight": w, "bias": b})
    np.testing.assert_array_equal(out, x.astype(np.int64) @ w.T + b)


def test_linear_large_uses_threads_and_matches(tmp_path):
    x, w, b = rand(64, 256), rand(192, 256), rand(192)
    out = run_op(tmp_path, "linear", {"x": x}, consts={"weight": w, "bias": b}, blob=True)
    np.testing.assert_allclose(out, x.astype(np.float64) @ w.T.astype(np.float64) + b, rtol=1e-5, atol=1e-4)


def test_linear_wrong_width_is_a_clear_error(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (2, 5))
    out = p.op("linear", x=x, weight=p.const(rand(3, 4)))
    p.output(out)
    with pytest.raises(ValueError, match="linear"):
        p.model(tmp_path).predict({"x": rand(2, 5)})


# ---------------------------------------------------------------------------------------------
# matmul


@pytest.mark.parametrize("tx,ty", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_transposes(tmp_path, tx, ty):
    a, b = rand(2, 3, 4), rand(2, 4, 5)
    x = np.swapaxes(a, -1, -2).copy() if tx else a
    y = np.swapaxes(b, -1, -2).copy() if ty else b
    out = run_op(tmp_path, "matmul", {"x": x, "y": y}, transpose_x=np.bool_(tx), transpose_y=np.bool_(ty))
    check(out, a.astype(np.float64) @ b, np.float32)


@pytest.mark.parametrize("xs,ys", [
    ((2, 1, 3, 4), (5, 4, 6)),       # batch broadcast both ways
    ((3, 4), (2, 2, 4, 5)),          # x without batch
    ((6, 3, 4), (4, 5)),             # y without batch: one stacked product
    ((4,), (3, 4, 5)),               # rank-1 x: prepended dim dropped
    ((3, 5, 4), (4,)),               # rank-1 y: appended dim dropped
    ((4,), (4, 2)),
    ((0, 4), (4, 3)),                # empty rows
    ((2, 0), (0, 3)),                # empty inner dim: zeros
])
def test_matmul_broadcast_and_rank1(tmp_path, xs, ys):
    x, y = rand(*xs), rand(*ys)
    out = run_op(tmp_path, "matmul", {"x": x, "y": y})
    check(out, x.astype(np.float64) @ y.astype(np.float64), np.float32)


def test_matmul_vector_dot(tmp_path):
    x, y = rand(6), rand(6)
    out = run_op(tmp_path, "matmul", {"x": x, "y": y})
    check(np.asarray(out).reshape(()), np.asarray(x.astype(np.float64) @ y), np.float32)


def test_matmul_fp16(tmp_path):
    x, y = rand(2, 3, 17, dtype=np.float16), rand(17, 9, dtype=np.float16)
    out = run_op(tmp_path, "matmul", {"x": x, "y": y})
    check(out, x.astype(np.float64) @ y.astype(np.float64), np.float16)


def test_matmul_int32(tmp_path):
    x = RNG.integers(-100, 100, (2, 3, 4)).astype(np.int32)
    y = RNG.integers(-100, 100, (2, 4, 5)).astype(np.int32)
    out = run_op(tmp_path, "matmul", {"x": x, "y": y}, transpose_y=np.bool_(False))
    np.testing.assert_array_equal(out, x.astype(np.int64) @ y)
    yt = np.swapaxes(y, -1, -2).copy()
    out = run_op(tmp_path / "t", "matmul", {"x": x, "y": yt}, transpose_y=np.bool_(True))
    np.testing.assert_array_equal(out, x.astype(np.int64) @ y)


def test_matmul_ios17_const_fp16_operand(tmp_path):
    x, y = rand(3, 8), rand(8, 4, dtype=np.float16)
    out = run_op(tmp_path, "matmul", {"x": x}, consts={"y": y}, dtypes=[np.float32], blob=True)
    assert out.dtype == np.float32
    check(out, x.astype(np.float64) @ y.astype(np.float64), np.float32)


def test_matmul_large_batched(tmp_path):
    x, y = rand(8, 64, 64), rand(8, 64, 96)
    out = run_op(tmp_path, "matmul", {"x": x, "y": y})
    np.testing.assert_allclose(out, x.astype(np.float64) @ y, rtol=1e-5, atol=1e-4)


def test_matmul_mismatched_inner_dims_is_a_clear_error(tmp_path):
    p = MilProgram()
    x, y = p.input("x", np.float32, (2, 3)), p.input("y", np.float32, (4, 5))
    p.output(p.op("matmul", x=x, y=y))
    with pytest.raises(ValueError, match="matmul"):
        p.model(tmp_path).predict({"x": rand(2, 3), "y": rand(4, 5)})


# ---------------------------------------------------------------------------------------------
# einsum


def run_einsum(tmp_path, equation, a, b):
    p = MilProgram()
    x, y = p.input("a", a.dtype, a.shape), p.input("b", b.dtype, b.shape)
    out = p.op("einsum", values=[x, y], equation=equation)
    p.output(out)
    return p.model(tmp_path).predict({"a": a, "b": b})[out]


@pytest.mark.parametrize("equation,xs,ys", [
    ("nchw,nwhu->nchu", (2, 3, 4, 5), (2, 5, 4, 6)),
    ("nchw,nwhu->nchu", (1, 3, 4, 5), (2, 5, 1, 6)),   # n and h broadcast
    ("chw,whr->chr", (3, 4, 5), (5, 4, 2)),
    ("chw,whr->chr", (3, 1, 5), (5, 4, 2)),
    ("abcd,adce->abce", (2, 3, 4, 5), (2, 5, 4, 6)),  # relabelled MIL form
    ("ij,jk->ik", (3, 4), (4, 5)),
    ("bij,bkj->bik", (2, 3, 4), (2, 5, 4)),
    ("ij,jk", (3, 4), (4, 5)),                        # implicit output
])
def test_einsum(tmp_path, equation, xs, ys):
    a, b = rand(*xs), rand(*ys)
    out = run_einsum(tmp_path, equation, a, b)
    check(out, np.einsum(equation, *_broadcast_einsum(equation, a, b)), np.float32)


def _broadcast_einsum(equation, a, b):
    """numpy's einsum does not broadcast size-1 labels against larger ones; expand them."""
    lhs = equation.split("->")[0]
    ta, tb = lhs.split(",")
    sizes = {}
    for term, arr in ((ta, a), (tb, b)):
        for label, size in zip(term, arr.shape):
            sizes[label] = max(sizes.get(label, 1), size)
    return (np.broadcast_to(a, [sizes[c] for c in ta]).astype(np.float64),
            np.broadcast_to(b, [sizes[c] for c in tb]).astype(np.float64))


def test_einsum_fp16(tmp_path):
    a, b = rand(2, 3, 4, 5, dtype=np.float16), rand(2, 5, 4, 6, dtype=np.float16)
    out = run_einsum(tmp_path, "nchw,nwhu->nchu", a, b)
    check(out, np.einsum("nchw,nwhu->nchu", a.astype(np.float64), b.astype(np.float64)), np.float16)


def test_einsum_summing_one_input_is_rejected(tmp_path):
    p = MilProgram()
    x, y = p.input("a", np.float32, (2, 3)), p.input("b", np.float32, (3, 4))
    p.output(p.op("einsum", values=[x, y], equation="ij,kl->ik"))
    with pytest.warns(RuntimeWarning, match="einsum.*summed within one input"):
        model = p.model(tmp_path)
    with pytest.raises(Exception, match="einsum"):
        model.predict({"a": rand(2, 3), "b": rand(3, 4)})


# ---------------------------------------------------------------------------------------------
# conv


def conv_case(tmp_path, x, w, b=None, opset="CoreML7", blob=True, **params):
    consts = {"weight": w, **({"bias": b} if b is not None else {})}
    return run_op(tmp_path, "conv", {"x": x}, opset=opset, consts=consts, blob=blob, **params)


@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_valid(tmp_path, bias):
    x, w, b = rand(2, 4, 9, 10), rand(6, 4, 3, 3), rand(6)
    out = conv_case(tmp_path, x, w, b if bias else None, pad_type="valid")
    check(out, ref_conv(x, w, b if bias else None), np.float32)


def test_conv2d_defaults_without_optional_params(tmp_path):
    x, w = rand(1, 3, 6, 7), rand(2, 3, 2, 2)
    out = conv_case(tmp_path, x, w)
    check(out, ref_conv(x, w), np.float32)


def test_conv2d_strided_dilated_asymmetric_custom_pad(tmp_path):
    x, w, b = rand(2, 3, 11, 12), rand(5, 3, 3, 2), rand(5)
    pads = [1, 2, 0, 3]
    out = conv_case(tmp_path, x, w, b, strides=i32([2, 3]), dilations=i32([2, 1]), pad_type="custom", pad=i32(pads))
    check(out, ref_conv(x, w, b, strides=[2, 3], dilations=[2, 1], pads=pads), np.float32)


@pytest.mark.parametrize("pad_type", ["same", "same_lower"])
@pytest.mark.parametrize("kernel,strides,dilations", [((3, 3), (1, 1), (1, 1)), ((2, 4), (2, 2), (1, 1)),
                                                      ((3, 2), (3, 1), (2, 2))])
def test_conv2d_same_padding(tmp_path, pad_type, kernel, strides, dilations):
    x, w = rand(1, 2, 9, 10), rand(3, 2, *kernel)
    out = conv_case(tmp_path, x, w, pad_type=pad_type, strides=i32(strides), dilations=i32(dilations))
    pads = same_pads(x.shape[2:], kernel, strides, dilations, lower=pad_type == "same_lower")
    ref = ref_conv(x, w, strides=list(strides), dilations=list(dilations), pads=pads)
    assert out.shape[2:] == tuple(math.ceil(i / s) for i, s in zip(x.shape[2:], strides))
    check(out, ref, np.float32)


def test_conv2d_grouped(tmp_path):
    x, w, b = rand(2, 6, 8, 8), rand(9, 2, 3, 3), rand(9)
    out = conv_case(tmp_path, x, w, b, groups=np.int32(3), pad_type="custom", pad=i32([1, 1, 1, 1]))
    check(out, ref_conv(x, w, b, pads=[1, 1, 1, 1], groups=3), np.float32)


@pytest.mark.parametrize("multiplier", [1, 2])
@pytest.mark.parametrize("kernel,stride", [(3, 1), (5, 2), (3, 2)])
def test_conv2d_depthwise(tmp_path, multiplier, kernel, stride):
    c = 4
    x, w, b = rand(2, c, 11, 9), rand(c * multiplier, 1, kernel, kernel), rand(c * multiplier)
    out = conv_case(tmp_path, x, w, b, groups=np.int32(c), pad_type="same", strides=i32([stride, stride]))
    pads = same_pads(x.shape[2:], (kernel, kernel), (stride, stride), (1, 1))
    check(out, ref_conv(x, w, b, strides=[stride, stride], pads=pads, groups=c), np.float32)


def test_conv2d_depthwise_dilated_asymmetric(tmp_path):
    x, w = rand(1, 3, 10, 13), rand(3, 1, 3, 3)
    pads = [2, 0, 1, 3]
    out = conv_case(tmp_path, x, w, groups=np.int32(3), dilations=i32([2, 3]), pad_type="custom", pad=i32(pads),
                    strides=i32([1, 2]))
    check(out, ref_conv(x, w, strides=[1, 2], dilations=[2, 3], pads=pads, groups=3), np.float32)


def test_conv2d_pointwise(tmp_path):
    x, w, b = rand(2, 8, 5, 6), rand(4, 8, 1, 1), rand(4)
    out = conv_case(tmp_path, x, w, b)
    check(out, ref_conv(x, w, b), np.float32)


def test_conv1d(tmp_path):
    x, w, b = rand(2, 3, 17), rand(5, 3, 4), rand(5)
    pads = [3, 1]
    out = conv_case(tmp_path, x, w, b, strides=i32([2]), dilations=i32([2]), pad_type="custom", pad=i32(pads))
    check(out, ref_conv(x, w, b, strides=[2], dilations=[2], pads=pads), np.float32)


def test_conv1d_depthwise_same(tmp_path):
    x, w = rand(1, 6, 16), rand(6, 1, 5)
    out = conv_case(tmp_path, x, w, groups=np.int32(6), pad_type="same")
    check(out, ref_conv(x, w, pads=[2, 2], groups=6), np.float32)


def test_conv3d(tmp_path):
    x, w, b = rand(1, 2, 5, 6, 7), rand(4, 2, 2, 3, 3), rand(4)
    pads = [0, 1, 1, 1, 2, 0]
    out = conv_case(tmp_path, x, w, b, strides=i32([1, 2, 1]), dilations=i32([1, 1, 2]), pad_type="custom",
                    pad=i32(pads))
    check(out, ref_conv(x, w, b, strides=[1, 2, 1], dilations=[1, 1, 2], pads=pads), np.float32)


def test_conv3d_depthwise_same(tmp_path):
    x, w = rand(1, 3, 4, 5, 6), rand(3, 1, 3, 3, 3)
    out = conv_case(tmp_path, x, w, groups=np.int32(3), pad_type="same")
    check(out, ref_conv(x, w, pads=[1, 1] * 3, groups=3), np.float32)


def test_conv_fp16(tmp_path):
    x, w, b = rand(1, 4, 8, 8, dtype=np.float16), rand(6, 4, 3, 3, dtype=np.float16), rand(6, dtype=np.float16)
    out = conv_case(tmp_path, x, w, b, pad_type="same")
    check(out, ref_conv(x, w, b, pads=[1, 1, 1, 1]), np.float16)


def test_conv_fp16_depthwise(tmp_path):
    x, w = rand(1, 4, 7, 7, dtype=np.float16), rand(4, 1, 3, 3, dtype=np.float16)
    out = conv_case(tmp_path, x, w, groups=np.int32(4), strides=i32([2, 2]))
    check(out, ref_conv(x, w, strides=[2, 2], groups=4), np.float16)


def test_conv_ios17_fp16_weights_fp32_input(tmp_path):
    x, w, b = rand(1, 3, 6, 6), rand(2, 3, 3, 3, dtype=np.float16), rand(2, dtype=np.float16)
    out = conv_case(tmp_path, x, w, b, dtypes=[np.float32])
    assert out.dtype == np.float32
    check(out, ref_conv(x, w, b), np.float32)


def test_conv_ios17_runtime_weight(tmp_path):
    x, w = rand(1, 3, 6, 6), rand(2, 3, 3, 3)
    out = run_op(tmp_path, "conv", {"x": x, "weight": w}, pad_type="valid")
    check(out, ref_conv(x, w), np.float32)


@pytest.mark.parametrize("n", [1, 3])
def test_conv_large_parallel_paths(tmp_path, n):
    # n == 1: one big im2col + threaded GEMM; n == 3: whole products per thread.
    x, w, b = rand(n, 16, 32, 32), rand(32, 16, 3, 3), rand(32)
    out = conv_case(tmp_path, x, w, b, pad_type="same")
    np.testing.assert_allclose(out, ref_conv(x, w, b, pads=[1, 1, 1, 1]), rtol=1e-5, atol=1e-4)


def test_conv_empty_batch(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (0, 2, 5, 5))
    out = p.op("conv", x=x, weight=p.const(rand(3, 2, 3, 3)), pad_type="valid")
    p.output(out)
    result = p.model(tmp_path).predict({"x": np.zeros((0, 2, 5, 5), np.float32)})[out]
    assert result.shape == (0, 3, 3, 3)


def test_conv_channel_mismatch_is_a_clear_error(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (1, 5, 6, 6))
    p.output(p.op("conv", x=x, weight=p.const(rand(2, 4, 3, 3))))
    with pytest.raises(ValueError, match="conv"):
        p.model(tmp_path).predict({"x": rand(1, 5, 6, 6)})


def test_conv_bad_pad_type_is_rejected_at_load(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (1, 2, 6, 6))
    p.output(p.op("conv", x=x, weight=p.const(rand(2, 2, 3, 3)), pad_type="reflect"))
    with pytest.raises(Exception, match="pad_type"):
        p.model(tmp_path)


# ---------------------------------------------------------------------------------------------
# conv_transpose


def deconv_case(tmp_path, x, w, b=None, **params):
    consts = {"weight": w, **({"bias": b} if b is not None else {})}
    return run_op(tmp_path, "conv_transpose", {"x": x}, consts=consts, blob=True, **params)


def test_conv_transpose2d_strided_valid(tmp_path):
    x, w, b = rand(2, 3, 4, 5), rand(3, 4, 3, 3), rand(4)
    out = deconv_case(tmp_path, x, w, b, strides=i32([2, 2]), pad_type="valid")
    check(out, ref_conv_transpose(x, w, b, strides=[2, 2]), np.float32)


def test_conv_transpose2d_custom_pad_dilated(tmp_path):
    x, w = rand(1, 2, 5, 4), rand(2, 3, 3, 2)
    pads = [1, 2, 0, 1]
    out = deconv_case(tmp_path, x, w, strides=i32([2, 1]), dilations=i32([2, 2]), pad_type="custom", pad=i32(pads))
    full = [(5 - 1) * 2 + 2 * 2 + 1, (4 - 1) * 1 + 1 * 2 + 1]
    ref = ref_conv_transpose(x, w, strides=[2, 1], dilations=[2, 2], crop_before=[1, 0],
                             out_sizes=[full[0] - 3, full[1] - 1])
    check(out, ref, np.float32)


def test_conv_transpose2d_grouped(tmp_path):
    x, w, b = rand(1, 4, 3, 3), rand(4, 3, 2, 2), rand(6)
    out = deconv_case(tmp_path, x, w, b, groups=np.int32(2), strides=i32([2, 2]))
    check(out, ref_conv_transpose(x, w, b, strides=[2, 2], groups=2), np.float32)


def test_conv_transpose_depthwise(tmp_path):
    x, w = rand(1, 3, 4, 4), rand(3, 1, 4, 4)
    out = deconv_case(tmp_path, x, w, groups=np.int32(3), strides=i32([2, 2]), pad_type="custom", pad=i32([1, 1, 1, 1]))
    check(out, ref_conv_transpose(x, w, strides=[2, 2], groups=3, crop_before=[1, 1], out_sizes=[8, 8]), np.float32)


@pytest.mark.parametrize("kernel", [3, 4])
def test_conv_transpose_same(tmp_path, kernel):
    x, w = rand(1, 2, 4, 5), rand(2, 3, kernel, kernel)
    out = deconv_case(tmp_path, x, w, strides=i32([2, 2]), pad_type="same")
    assert out.shape == (1, 3, 8, 10)
    crop = [max(0, (i - 1) * 2 + kernel - i * 2) // 2 for i in (4, 5)]
    check(out, ref_conv_transpose(x, w, strides=[2, 2], crop_before=crop, out_sizes=[8, 10]), np.float32)


def test_conv_transpose_output_shape_like_output_padding(tmp_path):
    # torch ConvTranspose2d(k=3, s=2, padding=1, output_padding=1): one extra row/col at the end.
    x, w, b = rand(1, 2, 4, 4), rand(2, 3, 3, 3), rand(3)
    out = deconv_case(tmp_path, x, w, b, strides=i32([2, 2]), pad_type="custom", pad=i32([1, 1, 1, 1]),
                      output_shape=i32([1, 3, 8, 8]))
    check(out, ref_conv_transpose(x, w, b, strides=[2, 2], crop_before=[1, 1], out_sizes=[8, 8]), np.float32)


def test_conv_transpose_output_shape_same(tmp_path):
    x, w = rand(1, 2, 4, 4), rand(2, 2, 3, 3)
    out = deconv_case(tmp_path, x, w, strides=i32([2, 2]), pad_type="same", output_shape=i32([1, 2, 7, 8]))
    crop = [(9 - 7) // 2, (9 - 8) // 2]
    check(out, ref_conv_transpose(x, w, strides=[2, 2], crop_before=crop, out_sizes=[7, 8]), np.float32)


def test_conv_transpose1d(tmp_path):
    x, w, b = rand(2, 3, 6), rand(3, 2, 4), rand(2)
    out = deconv_case(tmp_path, x, w, b, strides=i32([3]), dilations=i32([2]))
    check(out, ref_conv_transpose(x, w, b, strides=[3], dilations=[2]), np.float32)


def test_conv_transpose3d(tmp_path):
    x, w = rand(1, 2, 3, 4, 3), rand(2, 2, 2, 3, 2)
    out = deconv_case(tmp_path, x, w, strides=i32([2, 1, 2]), pad_type="custom", pad=i32([0, 1, 1, 0, 0, 0]))
    full = [(3 - 1) * 2 + 2, (4 - 1) + 3, (3 - 1) * 2 + 2]
    ref = ref_conv_transpose(x, w, strides=[2, 1, 2], crop_before=[0, 1, 0], out_sizes=[full[0] - 1, full[1] - 1, full[2]])
    check(out, ref, np.float32)


def test_conv_transpose_fp16(tmp_path):
    x, w, b = rand(1, 3, 4, 4, dtype=np.float16), rand(3, 2, 3, 3, dtype=np.float16), rand(2, dtype=np.float16)
    out = deconv_case(tmp_path, x, w, b, strides=i32([2, 2]))
    check(out, ref_conv_transpose(x, w, b, strides=[2, 2]), np.float16)


# ---------------------------------------------------------------------------------------------
# pools


def pool_case(tmp_path, op, x, kernel, **params):
    return run_op(tmp_path, op, {"x": x}, kernel_sizes=i32(kernel), **params)


POOLS = ["max_pool", "avg_pool", "l2_pool"]


@pytest.mark.parametrize("op", POOLS)
def test_pool2d_valid_strided(tmp_path, op):
    x = rand(2, 3, 9, 8)
    out = pool_case(tmp_path, op, x, [3, 2], strides=i32([2, 2]), pad_type="valid")
    check(out, ref_pool(x, op, [3, 2], [2, 2], [0, 0, 0, 0]), np.float32)


@pytest.mark.parametrize("op", POOLS)
@pytest.mark.parametrize("pad_type", ["same", "same_lower"])
def test_pool2d_same(tmp_path, op, pad_type):
    x = rand(1, 2, 7, 8)
    out = pool_case(tmp_path, op, x, [2, 3], strides=i32([2, 3]), pad_type=pad_type)
    pads = same_pads(x.shape[2:], [2, 3], [2, 3], [1, 1], lower=pad_type == "same_lower")
    check(out, ref_pool(x, op, [2, 3], [2, 3], pads), np.float32)


@pytest.mark.parametrize("exclude", [False, True])
def test_avg_pool_padding_in_average(tmp_path, exclude):
    x = rand(1, 3, 6, 7)
    pads = [1, 2, 2, 0]
    out = pool_case(tmp_path, "avg_pool", x, [3, 3], strides=i32([1, 2]), pad_type="custom", pad=i32(pads),
                    exclude_padding_from_average=np.bool_(exclude))
    check(out, ref_pool(x, "avg_pool", [3, 3], [1, 2], pads, exclude_padding=exclude), np.float32)


@pytest.mark.parametrize("op", POOLS)
@pytest.mark.parametrize("pads", [[0, 0, 0, 0], [1, 1, 1, 1]])
def test_pool_ceil_mode(tmp_path, op, pads):
    x = rand(1, 2, 8, 9)
    extra = {"exclude_padding_from_average": np.bool_(False)} if op == "avg_pool" else {}
    out = pool_case(tmp_path, op, x, [3, 3], strides=i32([2, 2]), pad_type="custom", pad=i32(pads),
                    ceil_mode=np.bool_(True), **extra)
    ref = ref_pool(x, op, [3, 3], [2, 2], pads, ceil_mode=True)
    assert out.shape == ref.shape
    check(out, ref, np.float32)


@pytest.mark.parametrize("op", POOLS)
def test_pool1d(tmp_path, op):
    x = rand(2, 3, 11)
    out = pool_case(tmp_path, op, x, [4], strides=i32([3]), pad_type="custom", pad=i32([1, 2]))
    check(out, ref_pool(x, op, [4], [3], [1, 2]), np.float32)


@pytest.mark.parametrize("op", POOLS)
def test_pool3d(tmp_path, op):
    x = rand(1, 2, 5, 6, 7)
    out = pool_case(tmp_path, op, x, [2, 3, 2], strides=i32([1, 2, 2]), pad_type="same")
    pads = same_pads(x.shape[2:], [2, 3, 2], [1, 2, 2], [1, 1, 1])
    check(out, ref_pool(x, op, [2, 3, 2], [1, 2, 2], pads), np.float32)


@pytest.mark.parametrize("op", POOLS)
def test_pool_fp16(tmp_path, op):
    x = rand(1, 4, 8, 8, dtype=np.float16)
    out = pool_case(tmp_path, op, x, [2, 2], strides=i32([2, 2]), pad_type="valid")
    check(out, ref_pool(x, op, [2, 2], [2, 2], [0, 0, 0, 0]), np.float16)


def test_global_avg_pool_large(tmp_path):
    x = rand(2, 64, 16, 16)
    out = pool_case(tmp_path, "avg_pool", x, [16, 16], pad_type="valid")
    check(out, x.astype(np.float64).mean(axis=(2, 3), keepdims=True), np.float32)


def test_pool_rank_mismatch_is_a_clear_error(tmp_path):
    p = MilProgram()
    x = p.input("x", np.float32, (1, 2, 6, 6))
    p.output(p.op("max_pool", x=x, kernel_sizes=i32([2]), pad_type="valid"))
    with pytest.raises(Exception, match="max_pool"):
        p.model(tmp_path).predict({"x": rand(1, 2, 6, 6)})


def test_concurrent_predicts_share_one_model(tmp_path):
    # Kernels are immutable after load: many threads predicting at once get their own answers.
    from concurrent.futures import ThreadPoolExecutor

    p = MilProgram()
    x = p.input("x", np.float32, (2, 8, 16, 16))
    w, b = rand(16, 8, 3, 3), rand(16)
    y = p.op("conv", x=x, weight=p.const(w, blob=True), bias=p.const(b), pad_type="same")
    p.output(p.op("max_pool", x=y, kernel_sizes=i32([2, 2]), strides=i32([2, 2]), pad_type="valid"))
    model = p.model(tmp_path)
    out_name = model.get_spec().description.output[0].name
    xs = [rand(2, 8, 16, 16) for _ in range(8)]
    refs = [ref_pool(ref_conv(v, w, b, pads=[1, 1, 1, 1]), "max_pool", [2, 2], [2, 2], [0, 0, 0, 0]) for v in xs]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda v: model.predict({"x": v})[out_name], xs * 4))
    for i, out in enumerate(outs):
        check(out, refs[i % len(xs)], np.float32)


# conv_quantized: uint8 codes dequantized at load ("linear": code * scale + bias per output
# channel or shared; "lut": quant_scale is the 2^nbits-entry table), then an ordinary conv.


@pytest.mark.parametrize("per_channel", [True, False])
def test_conv_quantized_linear(tmp_path, per_channel):
    x = rand(1, 3, 8, 9)
    codes = RNG.integers(0, 256, size=(4, 3, 3, 3)).astype(np.uint8)
    scale = (RNG.random(4 if per_channel else 1) * 0.02 + 0.01).astype(np.float32)
    qbias = (RNG.standard_normal(4 if per_channel else 1)).astype(np.float32)
    b = rand(4)
    out = run_op(tmp_path, "conv_quantized", {"x": x}, opset="CoreML5",
                 consts={"weight": codes, "quant_scale": scale, "quant_bias": qbias, "bias": b},
                 quantization_type="linear", nbits=np.int32(8), pad_type="same")
    w = codes.astype(np.float64) * scale.reshape(-1, 1, 1, 1) + qbias.reshape(-1, 1, 1, 1)
    check(out, ref_conv(x, w, b, pads=same_pads(x.shape[2:], (3, 3), (1, 1), (1, 1))), np.float32)


def test_conv_quantized_lut_grouped_strided(tmp_path):
    x = rand(1, 4, 10, 10)
    codes = RNG.integers(0, 4, size=(6, 2, 3, 3)).astype(np.uint8)
    table = np.array([-1.5, -0.25, 0.5, 2.0], np.float32)
    out = run_op(tmp_path, "conv_quantized", {"x": x}, opset="CoreML5",
                 consts={"weight": codes, "quant_scale": table, "quant_bias": np.zeros(1, np.float32)},
                 quantization_type="lut", nbits=np.int32(2), groups=np.int32(2), strides=i32([2, 2]), pad_type="valid")
    check(out, ref_conv(x, table[codes].astype(np.float64), strides=[2, 2], groups=2), np.float32)


def test_conv_quantized_code_out_of_range_is_rejected_at_load(tmp_path):
    codes = np.full((2, 1, 1, 1), 9, np.uint8)
    with pytest.raises(Exception, match="nbits"):
        run_op(tmp_path, "conv_quantized", {"x": rand(1, 1, 3, 3)}, opset="CoreML5",
               consts={"weight": codes, "quant_scale": np.ones(1, np.float32), "quant_bias": np.zeros(1, np.float32)},
               quantization_type="linear", nbits=np.int32(3))
