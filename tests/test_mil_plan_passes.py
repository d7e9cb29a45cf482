"""Plan-time rewrites of ML programs and the fast kernel paths they select, checked end to end
against numpy: a relu / relu6 / clip after conv, linear or matmul is fused into the producer
(and must give the same numbers, also in fp16 and when the producer's result has other
readers), one-row products go through matrix-vector code, and depthwise convolutions with
3x3/5x5/7x7 kernels at stride 1 or 2 take a padded-plane path. OPENCOREML_PROFILE's report
(stderr of a child process) shows which ops actually ran.

Tolerances: fp32 within rtol/atol 1e-5 of a float64 reference; fp16 within 2e-3.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mil_program import MilProgram
from test_mil_linalg_conv import ref_conv, same_pads

RNG = np.random.default_rng(11)
FP32 = dict(rtol=1e-5, atol=1e-5)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def i32(v):
    return np.array(v, dtype=np.int32)


def producer(p, kind, x, w, b):
    if kind == "conv":
        return p.op("conv", x=x, weight=p.const(w, blob=True), bias=p.const(b), pad_type="same")
    if kind == "linear":
        return p.op("linear", x=x, weight=p.const(w, blob=True), bias=p.const(b))
    return p.op("matmul", x=x, y=p.const(w, blob=True), transpose_x=False, transpose_y=False)


def reference(kind, x, w, b):
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    if kind == "conv":
        pads = same_pads(x.shape[2:], w.shape[2:], (1, 1), (1, 1))
        return ref_conv(x64, w64, b.astype(np.float64), pads=pads)
    if kind == "linear":
        return x64 @ w64.T + b
    return x64 @ w64


def activation(p, name, y):
    if name == "relu":
        return p.op("relu", x=y), lambda r: np.maximum(r, 0)
    if name == "relu6":
        return p.op("relu6", x=y), lambda r: np.clip(r, 0, 6)
    return p.op("clip", x=y, alpha=np.float32(-0.5), beta=np.float32(0.75)), lambda r: np.clip(r, -0.5, 0.75)


CASES = {"conv": ((1, 3, 9, 8), (5, 3, 3, 3), 5), "linear": ((1, 40), (30, 40), 30),
         "matmul": ((4, 24), (24, 16), 16)}


def build(tmp_path, kind, act, dtype=np.float32, keep_raw=False):
    xs, ws, nb = CASES[kind]
    x, w, b = rand(*xs, dtype=dtype), rand(*ws, dtype=dtype) * 2, rand(nb, dtype=dtype)
    p = MilProgram(opset="CoreML7")
    y = producer(p, kind, p.input("x", dtype, xs), w, b)
    z, ref_act = activation(p, act, y)
    p.output(z)
    if keep_raw:  # the producer's result is read again: it must not be fused away
        p.output(p.op("add", x=y, y=np.asarray(1, dtype=dtype)))
    return p.model(tmp_path), x, w, b, ref_act


@pytest.mark.parametrize("kind", ["conv", "linear", "matmul"])
@pytest.mark.parametrize("act", ["relu", "relu6", "clip"])
def test_fused_activation_matches_reference(tmp_path, kind, act):
    model, x, w, b, ref_act = build(tmp_path, kind, act)
    out = model.predict({"x": x})
    raw = reference(kind, x, w, b)
    (name,) = [n for n in out]
    np.testing.assert_allclose(out[name], ref_act(raw), **FP32)


@pytest.mark.parametrize("kind", ["conv", "linear"])
def test_producer_with_other_readers_is_not_fused(tmp_path, kind):
    model, x, w, b, ref_act = build(tmp_path, kind, "relu", keep_raw=True)
    out = model.predict({"x": x})
    raw = reference(kind, x, w, b)
    values = sorted(out.values(), key=lambda v: float(v.min()))  # relu's output has no negatives
    np.testing.assert_allclose(values[0], raw + 1, **FP32)
    np.testing.assert_allclose(values[1], ref_act(raw), **FP32)


def test_fused_activation_fp16(tmp_path):
    model, x, w, b, ref_act = build(tmp_path, "conv", "relu6", dtype=np.float16)
    (out,) = model.predict({"x": x}).values()
    ref = ref_act(reference("conv", x, w, b)).astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(out, ref, rtol=2e-3, atol=2e-3)


def test_profile_report_shows_the_fused_plan(tmp_path):
    model, x, *_ = build(tmp_path, "linear", "relu")
    path = os.path.join(str(tmp_path), "fused.mlpackage")
    model.save(path)
    script = textwrap.dedent(f"""
        import numpy as np, opencoreml as ct
        m = ct.models.MLModel({path!r})
        m.predict({{"x": np.ones((1, 40), np.float32)}})
    """)
    env = dict(os.environ, OPENCOREML_PROFILE="1")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    table = run.stderr.split("slowest ops")[0]
    assert "opencoreml profile of" in table and "linear" in table
    assert "relu" not in table  # the activation ran inside linear


@pytest.mark.parametrize("kernel", [3, 5, 7])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("pad_type", ["same", "valid", "custom"])
def test_depthwise_fast_path(tmp_path, kernel, stride, pad_type):
    c = 6
    x, w, b = rand(1, c, 17, 12), rand(c, 1, kernel, kernel), rand(c)
    p = MilProgram(opset="CoreML7")
    params = dict(groups=np.int32(c), pad_type=pad_type, strides=i32([stride, stride]))
    if pad_type == "custom":
        pads = [2, 0, kernel, 1]  # uneven, and one larger than needed
        params["pad"] = i32(pads)
    elif pad_type == "same":
        pads = same_pads(x.shape[2:], (kernel, kernel), (stride, stride), (1, 1))
    else:
        pads = [0, 0, 0, 0]
    y = p.op("conv", x=p.input("x", np.float32, x.shape), weight=p.const(w, blob=True), bias=p.const(b), **params)
    p.output(y)
    out = p.model(tmp_path).predict({"x": x})[y]
    ref = ref_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), strides=[stride, stride],
                   pads=pads, groups=c)
    np.testing.assert_allclose(out, ref, **FP32)


@pytest.mark.parametrize("shape_x,shape_y,tx,ty", [((1, 64), (64, 300), False, False), ((1, 64), (300, 64), False, True),
                                                   ((64, 1), (64, 300), True, False), ((300, 64), (64, 1), False, False),
                                                   ((64, 300), (64, 1), True, False)])
def test_matrix_vector_products(tmp_path, shape_x, shape_y, tx, ty):
    x, y = rand(*shape_x), rand(*shape_y)
    p = MilProgram(opset="CoreML7")
    out = p.op("matmul", x=p.input("x", np.float32, x.shape), y=p.input("y", np.float32, y.shape), transpose_x=tx,
               transpose_y=ty)
    p.output(out)
    got = p.model(tmp_path).predict({"x": x, "y": y})[out]
    a = x.T if tx else x
    bm = y.T if ty else y
    np.testing.assert_allclose(got, a.astype(np.float64) @ bm.astype(np.float64), **FP32)


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("strides,dilations,pads", [((1, 1), (1, 1), [1, 1, 1, 1]), ((2, 1), (1, 2), [0, 2, 1, 0]),
                                                    ((2, 2), (2, 2), [3, 1, 0, 2])])
def test_conv_wide_output_many_column_rows(tmp_path, monkeypatch, threads, strides, dilations, pads):
    """im2col + GEMM on a wide output with many column rows, padded, strided and dilated, at
    one and two threads (the product split over the pool)."""
    monkeypatch.setenv("OPENCOREML_NUM_THREADS", threads)
    x, w, b = rand(1, 64, 23, 29), rand(20, 64, 3, 3) * 0.1, rand(20)
    p = MilProgram(opset="CoreML7")
    y = p.op("conv", x=p.input("x", np.float32, x.shape), weight=p.const(w, blob=True), bias=p.const(b),
             pad_type="custom", pad=i32(pads), strides=i32(strides), dilations=i32(dilations))
    p.output(y)
    out = p.model(tmp_path).predict({"x": x})[y]
    ref = ref_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), strides=list(strides),
                   dilations=list(dilations), pads=pads)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


def conv_bn_program(tmp_path, dtype=np.float32, act=None, extra_reader=False, bias=True):
    x, w, b = rand(1, 3, 9, 8, dtype=dtype), rand(5, 3, 3, 3, dtype=dtype), rand(5, dtype=dtype)
    mean, var = rand(5, dtype=dtype), (RNG.random(5) + 0.5).astype(dtype)
    gamma, beta = rand(5, dtype=dtype), rand(5, dtype=dtype)
    p = MilProgram(opset="CoreML7")
    kwargs = dict(bias=p.const(b)) if bias else {}
    y = p.op("conv", x=p.input("x", dtype, x.shape), weight=p.const(w, blob=True), pad_type="same", **kwargs)
    z = p.op("batch_norm", x=y, mean=p.const(mean), variance=p.const(var), gamma=p.const(gamma), beta=p.const(beta),
             epsilon=np.asarray(1e-3, dtype=dtype))
    if act:
        z = p.op(act, x=z)
    p.output(z)
    if extra_reader:
        p.output(p.op("add", x=y, y=np.asarray(0, dtype=dtype)))
    conv = reference("conv", x, w, b if bias else np.zeros(5, dtype))
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + 1e-3)
    bn = (conv - mean.reshape(1, -1, 1, 1)) * scale.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
    if act == "relu6":
        bn = np.clip(bn, 0, 6)
    return p.model(tmp_path), x, z, conv, bn


@pytest.mark.parametrize("act", [None, "relu6"])
@pytest.mark.parametrize("bias", [True, False])
def test_batch_norm_folded_into_conv(tmp_path, act, bias):
    model, x, z, _, ref = conv_bn_program(tmp_path, act=act, bias=bias)
    np.testing.assert_allclose(model.predict({"x": x})[z], ref, rtol=1e-4, atol=1e-4)


def test_batch_norm_after_conv_with_other_readers_still_runs(tmp_path):
    model, x, z, conv, ref = conv_bn_program(tmp_path, extra_reader=True)
    out = model.predict({"x": x})
    np.testing.assert_allclose(out[z], ref, rtol=1e-4, atol=1e-4)
    (other,) = [v for k, v in out.items() if k != z]
    np.testing.assert_allclose(other, conv, rtol=1e-5, atol=1e-5)


def test_batch_norm_folded_fp16(tmp_path):
    model, x, z, _, ref = conv_bn_program(tmp_path, dtype=np.float16)
    np.testing.assert_allclose(model.predict({"x": x})[z], ref.astype(np.float16).astype(np.float32), rtol=5e-3, atol=5e-3)


def test_profile_shows_conv_batch_norm_relu6_as_one_conv(tmp_path):
    model, *_ = conv_bn_program(tmp_path, act="relu6")
    path = os.path.join(str(tmp_path), "folded.mlpackage")
    model.save(path)
    script = textwrap.dedent(f"""
        import numpy as np, opencoreml as ct
        m = ct.models.MLModel({path!r})
        m.predict({{"x": np.ones((1, 3, 9, 8), np.float32)}})
    """)
    run = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, OPENCOREML_PROFILE="1"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    table = run.stderr.split("slowest ops")[0]
    assert "conv" in table and "batch_norm" not in table and "relu6" not in table


@pytest.mark.parametrize("channels", [8, 21])
@pytest.mark.parametrize("size,kernel,stride,dilation", [(4, 3, 1, 1), (8, 3, 2, 1), (7, 5, 1, 1), (9, 3, 1, 2),
                                                         (12, 3, 2, 1)])
def test_depthwise_small_planes_channel_blocks(tmp_path, monkeypatch, channels, size, kernel, stride, dilation):
    """Depthwise convs on small planes (runs of channels share one plane buffer, whose zero
    padding is kept between runs), with a batch of 2 at 1 and 2 threads; bias and fused relu6
    included."""
    for threads in ("1", "2"):
        monkeypatch.setenv("OPENCOREML_NUM_THREADS", threads)
        x, w, b = rand(2, channels, size, size), rand(channels, 1, kernel, kernel), rand(channels)
        p = MilProgram(opset="CoreML7")
        y = p.op("conv", x=p.input("x", np.float32, x.shape), weight=p.const(w, blob=True), bias=p.const(b),
                 groups=np.int32(channels), pad_type="same", strides=i32([stride, stride]),
                 dilations=i32([dilation, dilation]))
        z = p.op("relu6", x=y)
        p.output(z)
        out = p.model(tmp_path / threads).predict({"x": x})[z]
        pads = same_pads(x.shape[2:], (kernel, kernel), (stride, stride), (dilation, dilation))
        ref = ref_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), strides=[stride, stride],
                       dilations=[dilation, dilation], pads=pads, groups=channels)
        np.testing.assert_allclose(out, np.clip(ref, 0, 6), **FP32)
