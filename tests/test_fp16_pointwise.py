"""1x1 conv on fp16 tensors: widened, multiplied in float32 (conv_tiled.cpp, reading the input
in place) and rounded once to fp16. The data here is chosen so that every product and sum is
exact in float32 (small multiples of powers of two), so the result is independent of how
the product is blocked and must equal numpy's exactly: one fp16 rounding of the exact sum,
after the bias and a fused clip. Shapes cover a single panel, several panels with a ragged
last one, groups, batches, too few columns to share out, and one and two threads."""
import numpy as np
import pytest

from mil_program import MilProgram

RNG = np.random.default_rng(77)
i32 = np.int32

CASES = [
    # (x shape, output channels, groups, bias, clip)
    ((1, 32, 64, 64), 64, 1, True, True),    # big: several panels, the last one ragged, parallel
    ((2, 8, 33, 35), 12, 2, True, False),    # groups and batches
    ((1, 160, 4, 4), 640, 1, False, True),   # 16 columns: one panel, the product split by rows
    ((1, 24, 20, 20), 40, 1, True, False),   # small: one panel on the calling thread
    ((1, 6, 1, 1), 5, 1, True, True),        # a single position
]


def exact_operands(x_shape, c_out, groups):
    c_in_g = x_shape[1] // groups
    x = (RNG.integers(-4, 5, x_shape) / 4).astype(np.float16)
    w = (RNG.integers(-3, 4, (c_out, c_in_g, 1, 1)) / 8).astype(np.float16)
    b = (RNG.integers(-8, 9, c_out) / 8).astype(np.float16)
    return x, w, b


def reference(x, w, b, groups, clip):
    n, c_in, h, wd = x.shape
    c_out = w.shape[0]
    xg = x.astype(np.float64).reshape(n, groups, c_in // groups, h * wd)
    wg = w.astype(np.float64).reshape(groups, c_out // groups, c_in // groups)
    y = np.einsum("gok,ngkp->ngop", wg, xg).reshape(n, c_out, h, wd)
    if b is not None:
        y = y + b.astype(np.float64)[None, :, None, None]
    if clip:
        y = np.clip(y, -1.5, 6.0)
    return y.astype(np.float32).astype(np.float16)  # the float32 sum is exact; one rounding to fp16


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fp16_pointwise_conv_is_exact(tmp_path, monkeypatch, case, threads):
    monkeypatch.setenv("OPENCOREML_NUM_THREADS", threads)
    shape, c_out, groups, with_bias, clip = CASES[case]
    x, w, b = exact_operands(shape, c_out, groups)
    p = MilProgram(opset="CoreML5")
    xi = p.input("x", np.float16, shape)
    kwargs = dict(x=xi, weight=p.const(w, blob=True), strides=i32([1, 1]), pad_type="valid", dilations=i32([1, 1]),
                  groups=i32(groups))
    if with_bias:
        kwargs["bias"] = p.const(b)
    y = p.op("conv", dtypes=[np.float16], **kwargs)
    if clip:
        y = p.op("clip", x=y, alpha=np.float16(-1.5), beta=np.float16(6), dtypes=[np.float16])
    p.output(y)
    model = p.model(tmp_path / "m")
    want = reference(x, w, b if with_bias else None, groups, clip)
    for _ in range(2):
        got = np.asarray(model.predict({"x": x})[y]).astype(np.float16)
        assert got.shape == want.shape
        assert np.array_equal(got.view(np.uint16), want.view(np.uint16))


@pytest.mark.parametrize("spatial", [(37,), (3, 5, 7)])
def test_fp16_pointwise_conv_1d_and_3d(tmp_path, spatial):
    c_in, c_out = 6, 10
    shape = (2, c_in) + spatial
    x = (RNG.integers(-4, 5, shape) / 4).astype(np.float16)
    w = (RNG.integers(-3, 4, (c_out, c_in) + (1,) * len(spatial)) / 8).astype(np.float16)
    b = (RNG.integers(-8, 9, c_out) / 8).astype(np.float16)
    ones = i32([1] * len(spatial))
    p = MilProgram(opset="CoreML5")
    xi = p.input("x", np.float16, shape)
    y = p.op("conv", x=xi, weight=p.const(w), bias=p.const(b), strides=ones, pad_type="valid", dilations=ones,
             groups=i32(1), dtypes=[np.float16])
    p.output(y)
    got = np.asarray(p.model(tmp_path / "m").predict({"x": x})[y]).astype(np.float16)
    flat = x.astype(np.float64).reshape(2, c_in, -1)
    want = (np.einsum("ok,nkp->nop", w.astype(np.float64).reshape(c_out, c_in), flat) +
            b.astype(np.float64)[None, :, None]).reshape((2, c_out) + spatial).astype(np.float32).astype(np.float16)
    assert np.array_equal(got.view(np.uint16), want.view(np.uint16))
