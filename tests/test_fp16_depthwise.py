"""Depthwise conv on fp16 tensors runs plane by plane (depthwise.cpp: each input plane
widened, convolved and rounded in cache). Its results must be exactly those of the float32
kernel on the widened input, rounded once to fp16 at the op boundary: checked bit for bit
against the same program in float32, for the fast 3x3/5x5 planes and the general loop,
strides, padding, channel multipliers, batches, a fused clip, and two threads."""
import numpy as np
import pytest

from mil_program import MilProgram

RNG = np.random.default_rng(2024)
i32 = np.int32


def depthwise_program(dtype, x_shape, weight, bias, stride, pad_type, pad, dilation, clip):
    p = MilProgram(opset="CoreML5")
    x = p.input("x", dtype, x_shape)
    kwargs = dict(x=x, weight=p.const(weight.astype(dtype), blob=True), strides=i32(stride), pad_type=pad_type,
                  dilations=i32(dilation), groups=i32(x_shape[1]))
    if pad is not None:
        kwargs["pad"] = i32(pad)
    if bias is not None:
        kwargs["bias"] = p.const(bias.astype(dtype))
    y = p.op("conv", dtypes=[dtype], **kwargs)
    if clip:
        y = p.op("clip", x=y, alpha=dtype(0), beta=dtype(6), dtypes=[dtype])
    p.output(y)
    return p, y


CASES = [
    # (x shape, kernel, channel multiplier, stride, pad_type, pad, dilation, bias, clip)
    ((1, 8, 20, 17), 3, 1, (1, 1), "same", None, (1, 1), True, True),     # fast 3x3 plane, fused relu6-style clip
    ((2, 6, 19, 22), 3, 1, (2, 2), "custom", (1, 1, 1, 1), (1, 1), True, False),  # stride 2, batch 2
    ((1, 4, 15, 15), 5, 2, (1, 1), "same", None, (1, 1), False, False),   # 5x5, two outputs per input channel
    ((1, 5, 12, 13), 2, 1, (1, 1), "valid", None, (1, 1), True, False),   # 2x2: the general loop
    ((1, 3, 14, 11), 3, 1, (1, 2), "custom", (2, 0, 1, 3), (2, 1), True, True),  # dilation, uneven strides/pads
]


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fp16_depthwise_matches_float32_kernel_rounded_once(tmp_path, monkeypatch, case, threads):
    monkeypatch.setenv("OPENCOREML_NUM_THREADS", threads)
    shape, k, mult, stride, pad_type, pad, dilation, with_bias, clip = CASES[case]
    c = shape[1]
    # fp16-representable data, so the float32 program sees exactly the fp16 program's values.
    x = (RNG.standard_normal(shape) * 3).astype(np.float16)
    weight = (RNG.standard_normal((c * mult, 1, k, k)) * 0.5).astype(np.float16)
    bias = (RNG.standard_normal(c * mult)).astype(np.float16) if with_bias else None

    results = {}
    for dtype in (np.float16, np.float32):
        p, y = depthwise_program(dtype, shape, weight, bias, stride, pad_type, pad, dilation, clip)
        model = p.model(tmp_path / np.dtype(dtype).name)
        results[dtype] = np.asarray(model.predict({"x": x.astype(dtype)})[y])
    half = results[np.float16].astype(np.float16)  # fp16 outputs come back widened to float32
    with np.errstate(over="ignore"):
        want = results[np.float32].astype(np.float16)
    assert half.shape == want.shape
    assert np.array_equal(half.view(np.uint16), want.view(np.uint16))
