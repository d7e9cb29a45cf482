"""Predictions of models made with NeuralNetworkBuilder, compared with numpy: the weight
layouts the builder writes (dense, convolution, recurrent gates, transposed matmul
weights, quantized codes) must mean what coremltools documents. Tolerance: float32
arithmetic, |actual - expected| <= 1e-4 + 1e-4 * |expected| unless stated."""
import contextlib
import io
import math

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.models import datatypes
from opencoreml.models.neural_network import NeuralNetworkBuilder
from opencoreml.models.neural_network import quantization_utils as qu

_rng = np.random.default_rng(5)
RTOL = ATOL = 1e-4


def R(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _predict(builder, **inputs):
    return ct.models.MLModel(builder.spec).predict(inputs)


def _close(actual, expected, atol=ATOL, rtol=RTOL):
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64).reshape(expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_inner_product_and_activations():
    x, W, b = R(8), R(6, 8), R(6)
    alphas, betas = np.abs(R(6)) + 0.1, np.abs(R(6)) + 0.1
    h = W @ x + b
    activations = {
        "RELU": (None, np.maximum(h, 0)),
        "SIGMOID": (None, _sigmoid(h)),
        "TANH": (None, np.tanh(h)),
        "SCALED_TANH": ([1.5, 0.7], 1.5 * np.tanh(0.7 * h)),
        "SOFTPLUS": (None, np.log1p(np.exp(h))),
        "SOFTSIGN": (None, h / (1 + np.abs(h))),
        "SIGMOID_HARD": (None, np.clip(0.2 * h + 0.5, 0, 1)),
        "LEAKYRELU": ([0.1], np.where(h >= 0, h, 0.1 * h)),
        "PRELU": (alphas, np.where(h >= 0, h, alphas * h)),
        "ELU": (0.8, np.where(h >= 0, h, 0.8 * (np.exp(h) - 1))),
        "PARAMETRICSOFTPLUS": ((alphas, betas), alphas * np.log1p(np.exp(betas * h))),
        "THRESHOLDEDRELU": (0.3, np.where(h > 0.3, h, 0)),
        "LINEAR": ([2.0, -1.0], 2 * h - 1),
    }
    builder = NeuralNetworkBuilder([("x", datatypes.Array(8))], [(k, None) for k in activations])
    builder.add_inner_product("ip", W, b, 8, 6, True, "x", "h")
    for kind, (params, _) in activations.items():
        builder.add_activation("act_" + kind, kind, "h", kind, params=params)
    out = _predict(builder, x=x)
    for kind, (_, expected) in activations.items():
        _close(out[kind], expected)


def _conv2d(x, W, b, stride, dilation, padding, groups):
    """x (C, H, W); W (O, C/groups, kh, kw); padding (top, bottom, left, right)."""
    x = np.pad(x, ((0, 0), padding[:2], padding[2:]))
    out_channels, per_group, kh, kw = W.shape
    span_h, span_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    oh = (x.shape[1] - span_h) // stride[0] + 1
    ow = (x.shape[2] - span_w) // stride[1] + 1
    y = np.zeros((out_channels, oh, ow))
    outputs_per_group = out_channels // groups
    for o in range(out_channels):
        group = o // outputs_per_group
        channels = x[group * per_group:(group + 1) * per_group]
        for i in range(oh):
            for j in range(ow):
                r, c = i * stride[0], j * stride[1]
                patch = channels[:, r:r + span_h:dilation[0], c:c + span_w:dilation[1]]
                y[o, i, j] = np.sum(patch * W[o]) + (b[o] if b is not None else 0)
    return y


def test_convolutions_batchnorm_and_pooling():
    x = R(4, 7, 9)
    W1, b1 = R(3, 3, 4, 6), R(6)  # builder layout (kh, kw, C, O)
    W2 = R(2, 3, 3, 6)  # groups=2: (kh, kw, C/groups, O)
    gamma, beta, mean, variance = R(6), R(6), R(6), np.abs(R(6)) + 0.5
    builder = NeuralNetworkBuilder([("x", datatypes.Array(4, 7, 9))],
                                   [("same", None), ("grouped", None), ("bn", None), ("maxpool", None),
                                    ("avgpool", None), ("gap", None)])
    builder.add_convolution("same", 4, 6, 3, 3, 1, 1, "same", 1, W1, b1, True, input_name="x", output_name="same")
    builder.add_convolution("grouped", 3, 6, 2, 3, 2, 1, "valid", 2, W2[..., :3, :], None, False,
                            input_name="same", output_name="grouped", dilation_factors=[1, 2],
                            padding_top=1, padding_left=2)
    builder.add_batchnorm("bn", 6, gamma, beta, mean, variance, input_name="same", output_name="bn")
    builder.add_pooling("maxpool", 2, 2, 2, 2, "MAX", "VALID", "same", "maxpool")
    builder.add_pooling("avgpool", 3, 3, 1, 1, "AVERAGE", "VALID", "same", "avgpool")
    builder.add_pooling("gap", 0, 0, 0, 0, "AVERAGE", "VALID", "same", "gap", is_global=True)
    out = _predict(builder, x=x)

    same = _conv2d(x, W1.transpose(3, 2, 0, 1), b1, (1, 1), (1, 1), (1, 1, 1, 1), 1)
    _close(out["same"], same, atol=1e-3)
    grouped = _conv2d(same, W2[..., :3, :].transpose(3, 2, 0, 1), None, (2, 1), (1, 2), (1, 0, 2, 0), 2)
    _close(out["grouped"], grouped, atol=1e-3)
    bn = (same - mean[:, None, None]) / np.sqrt(variance[:, None, None] + 1e-5) * gamma[:, None, None] + \
        beta[:, None, None]
    _close(out["bn"], bn, atol=1e-3)
    _close(out["maxpool"], same[:, :6, :8].reshape(6, 3, 2, 4, 2).max(axis=(2, 4)), atol=1e-3)
    windows = np.lib.stride_tricks.sliding_window_view(same, (3, 3), axis=(1, 2))
    _close(out["avgpool"], windows.mean(axis=(-1, -2)), atol=1e-3)
    _close(out["gap"], same.mean(axis=(1, 2)), atol=1e-3)


def test_lstm_gate_order():
    hidden, size = 3, 4
    x = R(size)
    W_h, W_x, b = [R(hidden, hidden) for _ in range(4)], [R(hidden, size) for _ in range(4)], [R(hidden) for _ in
                                                                                              range(4)]
    builder = NeuralNetworkBuilder([("x", datatypes.Array(size))], [("h", None)])
    builder.add_unilstm("lstm", W_h, W_x, b, hidden, size, ["x"], ["h"])
    out = _predict(builder, x=x)
    # gates in the builder's order: input, forget, output, cell (block input); zero initial state
    i, f, o = (_sigmoid(W_x[k] @ x + b[k]) for k in range(3))
    z = np.tanh(W_x[3] @ x + b[3])
    c = i * z  # + f * c0, with c0 = 0
    _close(out["h"], o * np.tanh(c))
    assert f.shape == (hidden,)


def test_rank_n_layers():
    x, y = R(4, 6), R(4, 6)
    Wm, bm = R(6, 5), R(5)
    gamma, beta = R(6), R(6)
    builder = NeuralNetworkBuilder([("x", datatypes.Array(4, 6)), ("y", datatypes.Array(4, 6))],
                                   [(n, None) for n in ("mm", "mm2", "arith", "rsum", "rmax", "smx", "tr", "cat",
                                                        "sl", "ln", "where", "gelu", "cs", "am", "clip", "crelu",
                                                        "tile", "sq")],
                                   disable_rank5_shape_mapping=True)
    builder.add_batched_mat_mul("mm", ["x"], "mm", weight_matrix_rows=6, weight_matrix_columns=5, W=Wm, bias=bm)
    builder.add_batched_mat_mul("mm2", ["x", "y"], "mm2", transpose_b=True)
    builder.add_load_constant_nd("two", "two", np.array([2.0]), [1])
    builder.add_add_broadcastable("add", ["x", "y"], "s")
    builder.add_multiply_broadcastable("mul", ["s", "x"], "p")
    builder.add_subtract_broadcastable("sub", ["p", "y"], "d")
    builder.add_divide_broadcastable("div", ["d", "two"], "arith")
    builder.add_reduce_sum("rsum", "x", "rsum", axes=[1], keepdims=True)
    builder.add_reduce_max("rmax", "y", "rmax", axes=[0], keepdims=False)
    builder.add_softmax_nd("smx", "y", "smx", axis=-1)
    builder.add_transpose("tr", [1, 0], "x", "tr")
    builder.add_concat_nd("cat", ["x", "y"], "cat", axis=0)
    builder.add_slice_static("sl", "y", "sl", begin_ids=[1, 0], end_ids=[4, 6], strides=[2, 2],
                             begin_masks=[False, True], end_masks=[False, True])
    builder.add_layer_normalization("ln", "x", "ln", [6], gamma, beta)
    builder.add_greater_than("gt", ["x", "y"], "gt")
    builder.add_where_broadcastable("where", ["gt", "x", "y"], "where")
    builder.add_gelu("gelu", "x", "gelu")
    builder.add_cumsum("cs", ["x"], "cs", axis=1)
    builder.add_argmax("am", "y", "am", axis=1, keepdims=False)
    builder.add_clip("clip", "x", "clip", min_value=-0.5, max_value=0.8)
    builder.add_clamped_relu("crelu", "x", "crelu", alpha=0.1, beta=0.5)
    builder.add_tile("tile", "x", "tile", reps=[2, 1])
    builder.add_expand_dims("ex", "x", "ex", axes=[0])
    builder.add_squeeze("sq", "ex", "sq", axes=[0])
    out = _predict(builder, x=x, y=y)

    _close(out["mm"], x @ Wm + bm)
    _close(out["mm2"], x @ y.T)
    _close(out["arith"], ((x + y) * x - y) / 2)
    _close(out["rsum"], x.sum(axis=1, keepdims=True))
    _close(out["rmax"], y.max(axis=0))
    e = np.exp(y - y.max(axis=1, keepdims=True))
    _close(out["smx"], e / e.sum(axis=1, keepdims=True))
    _close(out["tr"], x.T)
    _close(out["cat"], np.concatenate([x, y]))
    _close(out["sl"], y[1:4:2, ::2])
    normal = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    _close(out["ln"], normal * gamma + beta, atol=1e-3)
    _close(out["where"], np.where(x > y, x, y))
    _close(out["gelu"], 0.5 * x * (1 + _erf(x / np.sqrt(2))))
    _close(out["cs"], np.cumsum(x, axis=1))
    _close(out["am"], np.argmax(y, axis=1))
    _close(out["clip"], np.clip(x, -0.5, 0.8))
    _close(out["crelu"], np.minimum(np.where(x >= 0, x, 0.1 * x), 0.5))
    _close(out["tile"], np.tile(x, (2, 1)))
    _close(out["sq"], x)


def test_embedding_and_gather():
    ids = np.array([[3.0], [0.0], [9.0], [3.0], [5.0]])
    W = R(4, 10)
    table = R(10, 3)
    builder = NeuralNetworkBuilder([("ids", datatypes.Array(5, 1))], [("e", None), ("g", None)],
                                   disable_rank5_shape_mapping=True)
    builder.add_embedding_nd("emb", "ids", "e", 10, 4, W)
    builder.add_load_constant_nd("table", "table", table, [10, 3])
    builder.add_squeeze("sq", "ids", "flat", axes=[1])
    builder.add_gather("gather", ["table", "flat"], "g")
    out = _predict(builder, ids=ids)
    index = ids[:, 0].astype(int)
    _close(out["e"], W[:, index].T.reshape(5, 4))
    _close(out["g"], table[index])


def _dequantized_ip(codes, scale=None, bias=None, lut=None):
    codes = np.asarray(codes, dtype=np.float64)
    if lut is not None:
        return np.asarray(lut)[codes.astype(int)]
    return codes * np.asarray(scale)[:, None] + np.asarray(bias)[:, None]


def test_builder_quantized_weights_predict():
    x = R(3)
    codes = np.array([1, 2, 3, 4, 5, 6, 7, 0, 5, 5, 2, 6]).reshape(4, 3)
    scale, bias = np.array([0.5, 1.0, 2.0, 4.0]), np.array([-1.0, 0.0, 1.0, -2.0])
    lut = np.array([-1.5, 0.0, 0.25, 2.0])
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3))], [("linear", None), ("lut", None), ("int8", None)])
    builder.add_inner_product("linear", _pack(codes, 3), None, 3, 4, False, "x", "linear", is_quantized_weight=True,
                              quantization_type="linear", nbits=3, quant_scale=scale, quant_bias=bias)
    builder.add_inner_product("lut", _pack(codes % 4, 2), None, 3, 4, False, "x", "lut", is_quantized_weight=True,
                              quantization_type="lut", nbits=2, quant_lut=lut)
    signed = (codes - 4).astype(np.int8)
    builder.add_inner_product("int8", signed.tobytes(), None, 3, 4, False, "x", "int8", int_8_dynamic_quantize=True,
                              is_quantized_weight=True, quant_scale=np.array([0.5]))
    out = _predict(builder, x=x)
    _close(out["linear"], _dequantized_ip(codes, scale, bias) @ x)
    _close(out["lut"], _dequantized_ip(codes % 4, lut=lut) @ x)
    # int8 dynamic quantization also rounds the input to 8 bits: allow that error
    _close(out["int8"], 0.5 * signed.astype(np.float64) @ x, atol=0.05, rtol=0.02)


def _pack(codes, nbits):
    return qu._convert_array_to_nbit_quantized_bytes(np.asarray(codes).reshape(-1), nbits).tobytes()


@pytest.mark.parametrize("nbits, mode", [(8, "linear"), (4, "linear_lut"), (3, "kmeans_lut"), (16, "linear")])
def test_quantize_weights_predictions(nbits, mode):
    x, W, b = R(16), R(10, 16), R(10)
    builder = NeuralNetworkBuilder([("x", datatypes.Array(16))], [("y", None)])
    builder.add_inner_product("ip", W, b, 16, 10, True, "x", "h")
    builder.add_activation("relu", "RELU", "h", "y")
    model = ct.models.MLModel(builder.spec)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        quantized = qu.quantize_weights(model, nbits, mode, sample_data=[{"x": x}, {"x": R(16)}])
    assert "SNR" in printed.getvalue()
    # the prediction equals the dequantized network's, and approaches the original
    dequantized = quantized.get_spec()
    qu._dequantize_nn_spec(dequantized.neuralNetwork)
    if nbits == 16:
        W_used = np.frombuffer(dequantized.neuralNetwork.layers[0].innerProduct.weights.float16Value,
                               dtype="<f2").astype(np.float64).reshape(10, 16)
        b_used = np.frombuffer(dequantized.neuralNetwork.layers[0].innerProduct.bias.float16Value,
                               dtype="<f2").astype(np.float64)
    else:
        W_used = np.array(dequantized.neuralNetwork.layers[0].innerProduct.weights.floatValue).reshape(10, 16)
        b_used = np.array(dequantized.neuralNetwork.layers[0].innerProduct.bias.floatValue)
    got = quantized.predict({"x": x})["y"]
    _close(got, np.maximum(W_used @ x + b_used, 0), atol=2e-3)
    step = (W.max() - W.min()) / (2 ** min(nbits, 8) - 1)
    _close(got, np.maximum(W @ x + b, 0), atol=16 * step * np.abs(x).max() + 1e-2)


def test_classifier_predicts_labels():
    x, W = R(3), R(4, 3)
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3))], [("probs", None)], mode="classifier")
    builder.add_inner_product("ip", W, None, 3, 4, False, "x", "logits")
    builder.add_softmax("sm", "logits", "probs")
    builder.set_class_labels(["a", "b", "c", "d"])
    out = _predict(builder, x=x)
    logits = W @ x
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    assert out["classLabel"] == "abcd"[int(np.argmax(logits))]
    _close([out["probs"][k] for k in "abcd"], expected)


def test_image_input_preprocessing():
    from PIL import Image

    pixels = _rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    builder = NeuralNetworkBuilder([("img", datatypes.Array(3, 4, 5))], [("y", None)])
    builder.add_activation("identity", "LINEAR", "img", "y")
    builder.set_pre_processing_parameters(["img"], is_bgr=True, red_bias=-1.0, green_bias=2.0, blue_bias=0.5,
                                          image_scale=0.5)
    out = _predict(builder, img=Image.fromarray(pixels, "RGB"))
    bgr = pixels[..., ::-1].transpose(2, 0, 1).astype(np.float64)
    expected = 0.5 * bgr + np.array([0.5, 2.0, -1.0])[:, None, None]
    _close(out["y"], expected)


def test_gru_and_simple_rnn_gate_order():
    hidden, size = 3, 4
    x = R(size)
    W_h, W_x, b = [R(hidden, hidden) for _ in range(3)], [R(hidden, size) for _ in range(3)], \
        [R(hidden) for _ in range(3)]
    Wr, Rr, br = R(hidden, size), R(hidden, hidden), R(hidden)
    builder = NeuralNetworkBuilder([("x", datatypes.Array(size))], [("gru", None), ("rnn", None)])
    builder.add_gru("gru", W_h, W_x, b, hidden, size, ["x"], ["gru"], inner_activation="SIGMOID")
    builder.add_simple_rnn("rnn", Rr, Wr, br, hidden, size, "TANH", ["x"], ["rnn"])
    out = _predict(builder, x=x)
    # gates in the builder's order: update (z), reset (r), output; zero initial state
    z = _sigmoid(W_x[0] @ x + b[0])
    candidate = np.tanh(W_x[2] @ x + b[2])
    _close(out["gru"], (1 - z) * candidate)
    _close(out["rnn"], np.tanh(Wr @ x + br))


def test_deconvolution_weight_layout():
    x = R(2, 3, 3)
    W = R(2, 2, 2, 3)  # builder layout for a deconvolution: (kh, kw, C_in, C_out / groups)
    builder = NeuralNetworkBuilder([("x", datatypes.Array(2, 3, 3))], [("y", None)])
    builder.add_convolution("deconv", 2, 3, 2, 2, 2, 2, "valid", 1, W, None, False, is_deconv=True,
                            input_name="x", output_name="y")
    out = _predict(builder, x=x)
    expected = np.zeros((3, 6, 6))
    for c in range(2):
        for i in range(3):
            for j in range(3):
                expected[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += x[c, i, j] * W[:, :, c, :].transpose(2, 0, 1)
    _close(out["y"], expected)


def test_quantized_convolution_predicts():
    x = R(1, 2, 2)
    codes = np.zeros((2, 2, 1, 2), dtype=np.uint8)  # (kh, kw, C, O) 2-bit codes
    codes[..., 1] = 2
    codes[0, 1, 0, 0] = 3
    lut = np.array([10.0, 11.0, -3.0, -1.0])
    builder = NeuralNetworkBuilder([("x", datatypes.Array(1, 2, 2))], [("y", None)])
    builder.add_convolution("conv", 1, 2, 2, 2, 1, 1, "valid", 1, _pack(codes, 2), None, False, input_name="x",
                            output_name="y", quantization_type="lut", nbits=2, quant_lut=lut)
    out = _predict(builder, x=x)
    weights = lut[codes[:, :, 0, :]]  # (kh, kw, O)
    _close(out["y"], np.einsum("hw,hwo->o", x[0], weights))


def test_spatial_classic_layers():
    x = R(2, 3, 4)
    builder = NeuralNetworkBuilder([("x", datatypes.Array(2, 3, 4))],
                                   [(n, None) for n in ("up", "pad", "crop", "perm", "flat", "cat", "l2")])
    builder.add_upsample("up", 2, 3, "x", "up")
    builder.add_padding("pad", left=1, right=0, top=2, bottom=1, value=-1.0, input_name="x", output_name="pad")
    builder.add_crop("crop", 1, 2, 1, 0, [0, 0], ["x"], "crop")
    builder.add_permute("perm", (0, 2, 3, 1), "x", "perm")
    builder.add_flatten("flat", 0, "x", "flat")
    builder.add_elementwise("cat", ["x", "x"], "cat", "CONCAT")
    builder.add_l2_normalize("l2", "x", "l2", epsilon=1e-12)
    out = _predict(builder, x=x)
    _close(out["up"], x.repeat(2, axis=1).repeat(3, axis=2))
    _close(out["pad"], np.pad(x, ((0, 0), (2, 1), (1, 0)), constant_values=-1.0))
    _close(out["crop"], x[:, 1:, 1:2])
    _close(out["perm"], x.transpose(1, 2, 0))
    _close(out["flat"], x.reshape(-1))
    _close(out["cat"], np.concatenate([x, x]))
    _close(out["l2"], x / np.sqrt((x ** 2).sum()))
