"""conv through opencoreml's register-tiled product (mil/ops/conv/conv_tiled.cpp): every 1-D
and 2-D conv that is not depthwise. The geometries here are chosen to hit the kernel's edges:
output-channel counts that are not multiples of a register block (12 rows on AVX-512, 6 on
AVX2 and the baseline), output planes whose last tile is partial, one- and two-vector tiles,
stride phases (2, 3 and 4), dilation with stride, asymmetric padding, pointwise convs read in
place (with a partial last tile, groups and batches), grouped convs whose groups span several
blocks, fused relu / clip / batch_norm, weights given at run time, and every instruction-set
variant (OPENCOREML_VEC_ISA caps the run-time choice; each variant runs in its own process).

Reference: a float64 direct loop (test_mil_linalg_conv.ref_conv). Tolerance: rtol 1e-5 and
atol 2e-5 * sqrt(K) for K products per output (fp32 sums of standard-normal terms).
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from mil_program import MilProgram
from test_mil_linalg_conv import i32, ref_conv, same_pads

RNG = np.random.default_rng(11)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def close(actual, expected, k):
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=1e-5, atol=2e-5 * np.sqrt(k))


def conv_program(x_shape, w, b=None, after=None, **params):
    """x -> conv(weight w, bias b) [-> `after` op] -> output."""
    p = MilProgram()
    x = p.input("x", np.float32, x_shape)
    args = dict(x=x, weight=p.const(w, blob=True), **params)
    if b is not None:
        args["bias"] = p.const(b, blob=True)
    y = p.op("conv", **args)
    if after is not None:
        op, extra = after
        y = p.op(op, x=y, **{k: (p.const(v) if isinstance(v, np.ndarray) and v.ndim else v) for k, v in extra.items()})
    p.output(y)
    return p, y


def predict(tmp_path, x, w, b=None, after=None, **params):
    p, y = conv_program(x.shape, w, b, after, **params)
    return p.model(tmp_path).predict({"x": x})[y]


# (x shape, weight shape, strides, dilations, pads, groups)
GEOMETRIES = {
    "3x3 same, 13 channels, partial tiles": ((1, 5, 9, 11), (13, 5, 3, 3), [1, 1], [1, 1], [1, 1, 1, 1], 1),
    "3x3 stride 2, 25 channels": ((2, 7, 15, 17), (25, 7, 3, 3), [2, 2], [1, 1], [1, 1, 1, 1], 1),
    "7x7 stride 2 stem": ((1, 3, 32, 30), (16, 3, 7, 7), [2, 2], [1, 1], [3, 3, 3, 3], 1),
    "stride 3 x 4, dilated, asymmetric pads": ((1, 4, 20, 23), (7, 4, 3, 4), [3, 4], [2, 1], [0, 2, 3, 1], 1),
    "1x1 stride 2 shortcut": ((1, 8, 16, 16), (24, 8, 1, 1), [2, 2], [1, 1], [0, 0, 0, 0], 1),
    "pointwise, partial last tile": ((1, 19, 7, 9), (30, 19, 1, 1), [1, 1], [1, 1], [0, 0, 0, 0], 1),
    "pointwise, groups, batch 3": ((3, 12, 5, 13), (27, 4, 1, 1), [1, 1], [1, 1], [0, 0, 0, 0], 3),
    "grouped 3x3, groups of 14 channels": ((2, 8, 10, 10), (28, 4, 3, 3), [1, 1], [1, 1], [1, 1, 1, 1], 2),
    "valid 3x3 on a 4x4 plane": ((1, 6, 4, 4), (9, 6, 3, 3), [1, 1], [1, 1], [0, 0, 0, 0], 1),
    "deep, small plane (one tile)": ((1, 64, 4, 4), (40, 64, 3, 3), [1, 1], [1, 1], [1, 1, 1, 1], 1),
    "wide row (one-vector tiles)": ((1, 3, 5, 70), (8, 3, 3, 3), [1, 1], [1, 1], [1, 1, 1, 1], 1),
    "kernel larger than the plane": ((1, 2, 3, 3), (5, 2, 5, 5), [1, 1], [1, 1], [2, 2, 2, 2], 1),
    "3-channel stem, batch 2 (planes shared by the threads)": ((2, 3, 40, 36), (8, 3, 3, 3), [2, 2], [1, 1],
                                                              [1, 1, 1, 1], 1),
    "9x9 patches, stride 9 (81 phase planes)": ((1, 3, 27, 36), (10, 3, 9, 9), [9, 9], [1, 1], [0, 0, 0, 0], 1),
    "depthwise 9x9 (more taps than tap_sum takes)": ((1, 4, 12, 13), (4, 1, 9, 9), [1, 1], [1, 1], [4, 4, 4, 4], 4),
}


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_geometry(tmp_path, name):
    xs, ws, strides, dilations, pads, groups = GEOMETRIES[name]
    x, w, b = rand(*xs), rand(*ws), rand(ws[0])
    out = predict(tmp_path, x, w, b, strides=i32(strides), dilations=i32(dilations), pad_type="custom",
                  pad=i32(pads), groups=np.int32(groups))
    close(out, ref_conv(x, w, b, strides=strides, dilations=dilations, pads=pads, groups=groups), w[0].size)


@pytest.mark.parametrize("length,kernel,stride,dilation", [(50, 3, 1, 1), (41, 5, 2, 2), (9, 1, 1, 1)])
def test_conv1d(tmp_path, length, kernel, stride, dilation):
    x, w, b = rand(2, 6, length), rand(14, 6, kernel), rand(14)
    pads = same_pads([length], [kernel], [stride], [dilation])
    out = predict(tmp_path, x, w, b, strides=i32([stride]), dilations=i32([dilation]), pad_type="same")
    close(out, ref_conv(x, w, b, strides=[stride], dilations=[dilation], pads=pads), w[0].size)


@pytest.mark.parametrize("op,params,lo,hi", [("relu", {}, 0.0, np.inf), ("relu6", {}, 0.0, 6.0),
                                            ("clip", {"alpha": np.float32(-0.5), "beta": np.float32(0.7)}, -0.5, 0.7)])
def test_fused_clamp(tmp_path, op, params, lo, hi):
    x, w, b = rand(1, 5, 12, 12), rand(17, 5, 3, 3), rand(17)
    out = predict(tmp_path, x, w, b, after=(op, params), pad_type="same")
    ref = np.clip(ref_conv(x, w, b, pads=[1, 1, 1, 1]), lo, hi)
    close(out, ref, w[0].size)
    assert out.min() >= lo and out.max() <= hi


def test_fused_batch_norm(tmp_path):
    x, w = rand(1, 6, 11, 11), rand(15, 6, 3, 3)
    mean, var, gamma, beta = rand(15), np.abs(rand(15)) + 0.5, rand(15), rand(15)
    after = ("batch_norm", dict(mean=mean, variance=var, gamma=gamma, beta=beta, epsilon=np.float32(1e-5)))
    out = predict(tmp_path, x, w, after=after, strides=i32([2, 2]), pad_type="same")
    conv = ref_conv(x, w, strides=[2, 2], pads=same_pads([11, 11], [3, 3], [2, 2], [1, 1]))
    shape = (1, -1, 1, 1)
    ref = (conv - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5) * gamma.reshape(shape) + beta.reshape(shape)
    close(out, ref, w[0].size)


def test_runtime_weights(tmp_path):
    # Weights as an input are packed for each prediction.
    x, w = rand(2, 9, 8, 7), rand(20, 9, 3, 3)
    p = MilProgram()
    y = p.op("conv", x=p.input("x", np.float32, x.shape), weight=p.input("w", np.float32, w.shape),
             pad_type="same", strides=i32([1, 2]))
    p.output(y)
    model = p.model(tmp_path)
    pads = same_pads([8, 7], [3, 3], [1, 2], [1, 1])
    for _ in range(2):
        w = rand(20, 9, 3, 3)
        close(model.predict({"x": x, "w": w})[y], ref_conv(x, w, strides=[1, 2], pads=pads), w[0].size)


def test_many_threads_agree(tmp_path):
    # One model, predictions from several Python threads at once: same answers as alone.
    from concurrent.futures import ThreadPoolExecutor

    x, w, b = rand(1, 16, 20, 20), rand(40, 16, 3, 3), rand(40)
    p, y = conv_program(x.shape, w, b, pad_type="same")
    model = p.model(tmp_path)
    inputs = [rand(1, 16, 20, 20) for _ in range(8)]
    alone = [model.predict({"x": v})[y] for v in inputs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda v: model.predict({"x": v})[y], inputs))
    for a, t in zip(alone, together):
        np.testing.assert_array_equal(a, t)


_ISA_SCRIPT = r"""
import sys, numpy as np, opencoreml as ct
model = ct.models.MLModel(sys.argv[1])
x = np.load(sys.argv[2])
np.save(sys.argv[3], model.predict({"x": x})[sys.argv[4]])
"""


@pytest.mark.parametrize("isa", ["baseline", "avx2"])
@pytest.mark.parametrize("name", ["3x3 stride 2, 25 channels", "pointwise, partial last tile",
                                  "stride 3 x 4, dilated, asymmetric pads", "wide row (one-vector tiles)"])
def test_instruction_set_variants(tmp_path, isa, name):
    xs, ws, strides, dilations, pads, groups = GEOMETRIES[name]
    x, w, b = rand(*xs), rand(*ws), rand(ws[0])
    p, y = conv_program(xs, w, b, strides=i32(strides), dilations=i32(dilations), pad_type="custom", pad=i32(pads),
                        groups=np.int32(groups))
    package = str(tmp_path / "conv.mlpackage")
    p.model(tmp_path).save(package)
    np.save(tmp_path / "x.npy", x)
    env = dict(os.environ, OPENCOREML_VEC_ISA=isa)
    result = subprocess.run([sys.executable, "-c", _ISA_SCRIPT, package, str(tmp_path / "x.npy"),
                             str(tmp_path / "y.npy"), y], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    out = np.load(tmp_path / "y.npy")
    close(out, ref_conv(x, w, b, strides=strides, dilations=dilations, pads=pads, groups=groups), w[0].size)


def test_repeated_predictions_with_mixed_layouts(tmp_path):
    # Threads keep the zero padding of their plane buffers between runs of one layout and
    # re-zero on a change: a chain of three layouts, predicted repeatedly, must stay exact.
    x_shape = (1, 8, 12, 12)
    w1, b1 = rand(16, 8, 3, 3), rand(16)
    w2 = rand(16, 1, 3, 3)
    w3, b3 = rand(8, 16, 5, 5), rand(8)
    p = MilProgram()
    y = p.op("conv", x=p.input("x", np.float32, x_shape), weight=p.const(w1, blob=True), bias=p.const(b1, blob=True),
             pad_type="same")
    y = p.op("conv", x=y, weight=p.const(w2, blob=True), groups=np.int32(16), strides=i32([2, 2]), pad_type="same")
    y = p.op("conv", x=y, weight=p.const(w3, blob=True), bias=p.const(b3, blob=True), pad_type="same")
    p.output(y)
    model = p.model(tmp_path)
    for _ in range(3):
        x = rand(*x_shape)
        r = ref_conv(x, w1, b1, pads=[1, 1, 1, 1])
        r = ref_conv(r, w2, strides=[2, 2], pads=same_pads([12, 12], [3, 3], [2, 2], [1, 1]), groups=16)
        r = ref_conv(r, w3, b3, pads=[2, 2, 2, 2])
        close(model.predict({"x": x})[y], r, 16 * 25 * 8)


@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_many_channels(tmp_path, stride):
    # Hundreds of small planes: each task fills runs of channels into one buffer.
    w, b = rand(300, 1, 3, 3), rand(300)
    p, y = conv_program((2, 300, 6, 7), w, b, groups=np.int32(300), strides=i32([stride, stride]), pad_type="same")
    model = p.model(tmp_path)
    pads = same_pads([6, 7], [3, 3], [stride, stride], [1, 1])
    for _ in range(2):
        x = rand(2, 300, 6, 7)
        close(model.predict({"x": x})[y], ref_conv(x, w, b, strides=[stride, stride], pads=pads, groups=300), 9)


# Residual connections: conv -> add(other) [-> relu] runs as one conv that adds `other` in its
# output loop (fuse_activations.cpp), when other is a float32 tensor of the output's shape that
# exists before the conv runs.


def residual_program(x_shape, w, groups=1, order="xy", act=None, dims=2, dtype=np.float32):
    """x -> a = conv0(x) (the residual, made first) -> y = conv1(a) -> add(y, a) [-> act]."""
    p = MilProgram()
    x = p.input("x", dtype, x_shape)
    c = x_shape[1]
    w0 = rand(c, c, *([1] * dims)).astype(dtype)
    # Declared output shapes, as converters write them: fusion needs the add's operands' shapes.
    kw = dict(dtypes=[dtype], shapes=[x_shape])
    a = p.op("conv", x=x, weight=p.const(w0, blob=True), **kw)
    pad = i32([1] * (2 * dims))
    y = p.op("conv", x=a, weight=p.const(w.astype(dtype), blob=True), pad_type="custom", pad=pad, groups=np.int32(groups),
             **kw)
    z = p.op("add", x=y, y=a, **kw) if order == "xy" else p.op("add", x=a, y=y, **kw)
    if act:
        z = p.op(act, x=z, **kw)
    p.output(z)
    return p, z, w0


def residual_reference(x, w0, w, groups, act, dims=2):
    a = ref_conv(x, w0)
    z = ref_conv(a, w, pads=[1] * (2 * dims), groups=groups) + a
    return np.maximum(z, 0) if act == "relu" else z


@pytest.mark.parametrize("order", ["xy", "yx"])
@pytest.mark.parametrize("act", [None, "relu"])
@pytest.mark.parametrize("kind", ["tiled", "depthwise", "3-D"])
def test_residual_add_fused(tmp_path, order, act, kind):
    c = 12
    if kind == "3-D":
        xs, w, groups, dims = (1, c, 4, 5, 6), rand(c, c, 3, 3, 3), 1, 3
    else:
        xs, w, groups, dims = (2, c, 9, 10), (rand(c, c, 3, 3) if kind == "tiled" else rand(c, 1, 3, 3)), \
            (1 if kind == "tiled" else c), 2
    p, z, w0 = residual_program(xs, w, groups=groups, order=order, act=act, dims=dims)
    x = rand(*xs)
    out = p.model(tmp_path).predict({"x": x})[z]
    close(out, residual_reference(x, w0, w, groups, act, dims), w[0].size + c)


def test_residual_add_leaves_the_plan(tmp_path):
    p, z, _ = residual_program((1, 8, 6, 6), rand(8, 8, 3, 3), act="relu")
    path = str(tmp_path / "residual.mlpackage")
    p.model(tmp_path).save(path)
    script = f"import numpy as np, opencoreml as ct; ct.models.MLModel({path!r}).predict({{'x': np.ones((1, 8, 6, 6), np.float32)}})"
    run = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, OPENCOREML_PROFILE="1"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    table = run.stderr.split("slowest ops")[0]
    assert "conv" in table and " add " not in table and "relu" not in table, table


def test_residual_made_after_the_conv(tmp_path):
    # add(conv1(x), conv2(x)): conv2's output does not exist when conv1 runs, so conv2 (made
    # second) takes conv1's output as its residual.
    x, w1, w2 = rand(1, 6, 7, 7), rand(6, 6, 3, 3), rand(6, 6, 1, 1)
    p = MilProgram()
    xv = p.input("x", np.float32, x.shape)
    a = p.op("conv", x=xv, weight=p.const(w1, blob=True), pad_type="same", shapes=[x.shape])
    b = p.op("conv", x=xv, weight=p.const(w2, blob=True), shapes=[x.shape])
    z = p.op("add", x=a, y=b, shapes=[x.shape])
    p.output(z)
    close(p.model(tmp_path).predict({"x": x})[z], ref_conv(x, w1, pads=[1, 1, 1, 1]) + ref_conv(x, w2), 60)


def test_broadcast_add_is_not_a_residual(tmp_path):
    x, w, s = rand(1, 5, 6, 6), rand(5, 5, 3, 3), rand(1, 5, 1, 1)
    p = MilProgram()
    y = p.op("conv", x=p.input("x", np.float32, x.shape), weight=p.const(w, blob=True), pad_type="same", shapes=[x.shape])
    z = p.op("add", x=y, y=p.const(s), shapes=[x.shape])
    p.output(z)
    close(p.model(tmp_path).predict({"x": x})[z], ref_conv(x, w, pads=[1, 1, 1, 1]) + s, 45)


def test_fp16_residual_add_rounds_twice(tmp_path):
    # fp16 programs keep the add (the conv's result is rounded to fp16 before it): same numbers
    # as the unfused pair.
    xs, w = (1, 4, 5, 5), rand(4, 4, 3, 3).astype(np.float16)
    p, z, w0 = residual_program(xs, w, dtype=np.float16)
    x = rand(*xs).astype(np.float16)
    out = p.model(tmp_path).predict({"x": x})[z]
    f16 = lambda v: np.asarray(v).astype(np.float16).astype(np.float64)
    a = f16(ref_conv(x, w0.astype(np.float16)))
    ref = f16(f16(ref_conv(a, w, pads=[1, 1, 1, 1])) + a)
    np.testing.assert_allclose(out.astype(np.float64), ref, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("left", [0, 1, 2, 3])
@pytest.mark.parametrize("width", [8, 9, 14])
@pytest.mark.parametrize("depthwise", [False, True])
def test_stride_two_column_phases(tmp_path, left, width, depthwise):
    # Stride-2 rows are split into even and odd column phases in one pass: every left padding
    # parity, odd and even widths, a right pad that cuts the last pair short.
    c = 5
    x = rand(1, c, 6, width)
    w = rand(c, 1 if depthwise else c, 3, 3)
    pads = [1, 1, left, (left + 1) % 3]
    out = predict(tmp_path, x, w, strides=i32([2, 2]), pad_type="custom", pad=i32(pads),
                  groups=np.int32(c if depthwise else 1))
    close(out, ref_conv(x, w, strides=[2, 2], pads=pads, groups=c if depthwise else 1), w[0].size)


@pytest.mark.parametrize("dtype,act,lo,hi", [(np.float32, "relu6", 0, 6), (np.float16, "relu", 0, np.inf),
                                             (np.float16, "clip", -0.5, 0.75)])
def test_clamp_fused_into_a_float_add(tmp_path, dtype, act, lo, hi):
    # add -> relu / relu6 / clip runs as one add (elementwise/binary.cpp): same values as the
    # pair, fp16 included (clamping before or after the rounding agrees), and no clamp op left.
    a, b = (rand(2, 3, 5, 7) * 4).astype(dtype), (rand(2, 3, 5, 7) * 4).astype(dtype)
    p = MilProgram()
    xa, xb = p.input("a", dtype, a.shape), p.input("b", dtype, b.shape)
    s = p.op("add", x=xa, y=xb, dtypes=[dtype], shapes=[a.shape])
    params = dict(alpha=dtype(lo), beta=dtype(hi)) if act == "clip" else {}
    z = p.op(act, x=s, dtypes=[dtype], **params)
    p.output(z)
    path = str(tmp_path / "add_clamp.mlpackage")
    model = p.model(tmp_path)
    got = model.predict({"a": a, "b": b})[z]
    ref = np.clip((a.astype(np.float32) + b.astype(np.float32)).astype(dtype).astype(np.float32), lo, hi)
    np.testing.assert_array_equal(np.asarray(got, np.float32), ref)
    model.save(path)
    script = (f"import numpy as np, opencoreml as ct; m = ct.models.MLModel({path!r}); "
              f"m.predict({{'a': np.ones({a.shape}, np.{np.dtype(dtype).name}), 'b': np.ones({a.shape}, np.{np.dtype(dtype).name})}})")
    run = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, OPENCOREML_PROFILE="1"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    table = run.stderr.split("slowest ops")[0]
    assert " add " in table and act not in table, table


@pytest.mark.parametrize("name", ["3x3 same, 13 channels, partial tiles", "3x3 stride 2, 25 channels",
                                  "pointwise, partial last tile", "pointwise, groups, batch 3",
                                  "deep, small plane (one tile)", "stride 3 x 4, dilated, asymmetric pads"])
@pytest.mark.parametrize("act", [None, "relu"])
def test_fp16_matches_fp32_rounded_once(tmp_path, name, act):
    # fp16 in and out: the input widened as it is copied into planes (pointwise: widened
    # whole), the result rounded once. Same products as the fp32 program on the same values,
    # so the result is exactly that program's output rounded once to fp16.
    xs, ws, strides, dilations, pads, groups = GEOMETRIES[name]
    x16, w16, b16 = rand(*xs).astype(np.float16), rand(*ws).astype(np.float16), rand(ws[0]).astype(np.float16)
    params = dict(strides=i32(strides), dilations=i32(dilations), pad_type="custom", pad=i32(pads), groups=np.int32(groups))
    outs = {}
    for dtype in (np.float32, np.float16):
        p = MilProgram()
        y = p.op("conv", x=p.input("x", dtype, xs), weight=p.const(w16.astype(dtype), blob=True),
                 bias=p.const(b16.astype(dtype), blob=True), dtypes=[dtype], **params)
        if act:
            y = p.op(act, x=y, dtypes=[dtype])
        p.output(y)
        outs[dtype] = np.asarray(p.model(tmp_path / np.dtype(dtype).name).predict({"x": x16.astype(dtype)})[y])
    want = outs[np.float32].astype(np.float16)
    assert np.array_equal(outs[np.float16].astype(np.float16).view(np.uint16), want.view(np.uint16))
