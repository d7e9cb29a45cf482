"""Neural-network layers against numpy references: activations, dense layers, convolution and
pooling, normalisation, elementwise, unary and reduction layers. Networks are built with
NeuralNetworkBuilder and run through the NN front end on the ML program engine (float32).
Tolerances: 1e-5 (rtol and atol) for plain float32 arithmetic, 1e-4 for sums over many
terms and transcendental functions."""
import math

import numpy as np
import pytest

from nn_references import conv2d, deconv2d, pool2d, same_pads, sigmoid
from nn_runner import check, nn_predict, rand

erf = np.vectorize(math.erf)  # float64 reference without scipy

X = rand(4, 5, 6, seed=1, low=-3, high=3)  # a classic [C, H, W] input


# ---- activations --------------------------------------------------------------------------

ALPHA = np.array([0.1, -0.2, 0.3, 0.5], np.float32)
BETA = np.array([1.0, 2.0, 0.5, 1.5], np.float32)
CH = (slice(None), None, None)  # per-channel constant broadcast over [C, H, W]

ACTIVATIONS = [
    ("RELU", None, lambda x: np.maximum(x, 0)),
    ("LEAKYRELU", [0.15], lambda x: np.where(x >= 0, x, 0.15 * x)),
    ("TANH", None, np.tanh),
    ("SCALED_TANH", [1.7, 0.6], lambda x: 1.7 * np.tanh(0.6 * x)),
    ("SIGMOID", None, sigmoid),
    ("SIGMOID_HARD", [0.25, 0.4], lambda x: np.clip(0.25 * x + 0.4, 0, 1)),
    ("LINEAR", [2.5, -0.5], lambda x: 2.5 * x - 0.5),
    ("ELU", 0.7, lambda x: np.where(x >= 0, x, 0.7 * (np.exp(x) - 1))),
    ("SOFTSIGN", None, lambda x: x / (1 + np.abs(x))),
    ("SOFTPLUS", None, lambda x: np.log1p(np.exp(x))),
    ("THRESHOLDEDRELU", 0.5, lambda x: np.where(x >= 0.5, x, 0)),
    ("PRELU", ALPHA, lambda x: np.where(x >= 0, x, ALPHA[CH] * x)),
    ("PARAMETRICSOFTPLUS", (ALPHA, BETA), lambda x: ALPHA[CH] * np.log1p(np.exp(BETA[CH] * x))),
]


@pytest.mark.parametrize("kind,params,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(kind, params, ref):
    out = nn_predict(lambda b: b.add_activation("act", kind, "x", "y", params=params), {"x": X})["y"]
    check(out, ref(X.astype(np.float64)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind,params,ref", [a for a in ACTIVATIONS if a[0] in ("PRELU", "PARAMETRICSOFTPLUS")],
                         ids=["PRELU", "PARAMETRICSOFTPLUS"])
def test_channel_activations_on_rank5_batches(kind, params, ref):
    """ND input [S, B, C, H, W]: the per-channel constants follow axis -3."""
    x = rand(2, 3, 4, 2, 3, seed=2, low=-2, high=2)
    out = nn_predict(lambda b: b.add_activation("act", kind, "x", "y", params=params), {"x": x}, rank5=False)["y"]
    check(out, ref(x.astype(np.float64)))


def test_gelu_modes_and_clamped_relu():
    x = rand(3, 7, seed=3, low=-4, high=4).astype(np.float64)
    refs = {"EXACT": 0.5 * x * (1 + erf(x / np.sqrt(2))),
            "TANH_APPROXIMATION": 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
            "SIGMOID_APPROXIMATION": x * sigmoid(1.702 * x)}
    for mode, ref in refs.items():
        out = nn_predict(lambda b: b.add_gelu("g", "x", "y", mode=mode), {"x": x}, rank5=False)["y"]
        check(out, ref, rtol=1e-4, atol=1e-5)
    out = nn_predict(lambda b: b.add_clamped_relu("c", "x", "y", alpha=0.2, beta=2.5), {"x": x}, rank5=False)["y"]
    check(out, np.minimum(np.where(x >= 0, x, 0.2 * x), 2.5))


# ---- dense layers ---------------------------------------------------------------------------

W = rand(7, 12, seed=4)
B = rand(7, seed=5)


def test_inner_product_classic_vector():
    x = rand(12, seed=6)
    out = nn_predict(lambda b: b.add_inner_product("fc", W, B, 12, 7, True, "x", "y"), {"x": x})["y"]
    check(out, W.astype(np.float64) @ x + B, exact_shape=False)


def test_inner_product_flattens_c_h_w():
    x = rand(3, 2, 2, seed=7)  # C * H * W = 12 features
    out = nn_predict(lambda b: b.add_inner_product("fc", W, None, 12, 7, False, "x", "y"), {"x": x})["y"]
    check(out, (W.astype(np.float64) @ x.reshape(-1)).reshape(7, 1, 1))


@pytest.mark.parametrize("shape,out_shape", [((12,), (7,)), ((5, 12), (5, 7)), ((2, 5, 12), (2, 5, 7)),
                                             ((5, 3, 2, 2), (5, 7, 1, 1)), ((2, 3, 3, 2, 2), (2, 3, 7, 1, 1))])
def test_inner_product_rank_rules(shape, out_shape):
    x = rand(*shape, seed=8)
    out = nn_predict(lambda b: b.add_inner_product("fc", W, B, 12, 7, True, "x", "y"), {"x": x}, rank5=False)["y"]
    rows = x.reshape(-1, 12).astype(np.float64)
    check(out, (rows @ W.T + B).reshape(out_shape))


def test_batched_matmul_with_weights_and_two_inputs():
    x = rand(2, 3, 12, seed=9)
    wt = rand(12, 7, seed=10)  # the builder's W is [X1, X2]
    out = nn_predict(lambda b: b.add_batched_mat_mul("mm", ["x"], "y", weight_matrix_rows=12, weight_matrix_columns=7,
                                                      W=wt, bias=B), {"x": x}, rank5=False)["y"]
    check(out, x.astype(np.float64) @ wt + B)
    a, c = rand(2, 1, 4, 5, seed=11), rand(3, 6, 5, seed=12)
    out = nn_predict(lambda b: b.add_batched_mat_mul("mm", ["a", "c"], "y", transpose_b=True), {"a": a, "c": c},
                     rank5=False)["y"]
    check(out, a.astype(np.float64) @ np.swapaxes(c, -1, -2))


def test_embedding_nd_and_classic_embedding():
    table = rand(4, 10, seed=13)  # [embedding size, vocab]
    bias = rand(4, seed=14)
    ids = np.array([[3], [0], [9], [3]], np.float32)
    out = nn_predict(lambda b: b.add_embedding_nd("e", "x", "y", vocab_size=10, embedding_size=4, W=table, b=bias),
                     {"x": ids}, rank5=False)["y"]
    check(out, table.T[ids[:, 0].astype(int)] + bias)
    out = nn_predict(lambda b: b.add_embedding("e", table, bias, 10, 4, True, "x", "y"),
                     {"x": ids.reshape(4, 1, 1, 1)}, rank5=False)["y"]
    check(out, (table.T[ids[:, 0].astype(int)] + bias).reshape(4, 4, 1, 1))


# ---- convolution ----------------------------------------------------------------------------

XC = rand(4, 9, 11, seed=20)


def conv_weights(o, c, kh, kw, seed):
    w = rand(o, c, kh, kw, seed=seed)                  # the spec's [O, C, kh, kw]
    return w, np.transpose(w, (2, 3, 1, 0)).copy()     # and the builder's [kh, kw, C, O]


@pytest.mark.parametrize("stride,dilation,groups,pads", [((1, 1), (1, 1), 1, (0, 0, 0, 0)), ((2, 1), (1, 1), 1, (1, 2, 0, 3)),
                                                         ((1, 1), (2, 3), 2, (2, 2, 1, 1)), ((2, 2), (1, 1), 4, (0, 0, 0, 0))])
def test_convolution_valid(stride, dilation, groups, pads):
    w, wb = conv_weights(8, 4 // groups, 3, 2, seed=21)
    bias = rand(8, seed=22)
    out = nn_predict(lambda b: b.add_convolution(
        "conv", 4 // groups, 8, 3, 2, stride[0], stride[1], "valid", groups, wb, bias, True, input_name="x",
        output_name="y", dilation_factors=list(dilation), padding_top=pads[0], padding_bottom=pads[1],
        padding_left=pads[2], padding_right=pads[3]), {"x": XC})["y"]
    ref = conv2d(XC[None], w, bias, stride, dilation, pads, groups)[0]
    check(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["BOTTOM_RIGHT_HEAVY", "TOP_LEFT_HEAVY"])
def test_convolution_same_padding(mode):
    w, wb = conv_weights(5, 4, 4, 4, seed=23)
    out = nn_predict(lambda b: b.add_convolution(
        "conv", 4, 5, 4, 4, 2, 2, "same", 1, wb, None, False, input_name="x", output_name="y",
        same_padding_asymmetry_mode=mode), {"x": XC})["y"]
    top_left = mode == "TOP_LEFT_HEAVY"
    pads = same_pads(9, 4, 2, top_left) + same_pads(11, 4, 2, top_left)
    ref = conv2d(XC[None], w, None, (2, 2), (1, 1), pads)[0]
    assert out.shape == (5, 5, 6)
    check(out, ref)


def test_convolution_with_weights_as_second_input():
    x = rand(1, 4, 6, 6, seed=24)
    w, _ = conv_weights(3, 4, 3, 3, seed=25)
    out = nn_predict(lambda b: b.add_convolution("conv", 4, 3, 3, 3, 1, 1, "valid", 1, None, None, False,
                                                 input_name=["x", "w"], output_name="y"),
                     {"x": x, "w": w}, rank5=False)["y"]
    check(out, conv2d(x, w))


@pytest.mark.parametrize("groups,stride,output_shape,border", [(1, (2, 2), None, "valid"), (2, (2, 3), None, "valid"),
                                                               (1, (2, 2), (19, 24), "valid"), (1, (2, 2), None, "same")])
def test_deconvolution(groups, stride, output_shape, border):
    c_in, c_out = 4, 6
    w = rand(c_in, c_out // groups, 3, 4, seed=26)       # spec [C_in, C_out / groups, kh, kw]
    wb = np.transpose(w, (2, 3, 0, 1)).copy()            # builder [kh, kw, C_in, C_out / groups]
    bias = rand(c_out, seed=27)
    out = nn_predict(lambda b: b.add_convolution(
        "deconv", c_in, c_out, 3, 4, stride[0], stride[1], border, groups, wb, bias, True, is_deconv=True,
        output_shape=output_shape, input_name="x", output_name="y"), {"x": XC})["y"]
    if border == "same":
        full_h, full_w = (9 - 1) * stride[0] + 3, (11 - 1) * stride[1] + 4
        th, tw = full_h - 9 * stride[0], full_w - 11 * stride[1]
        ref = deconv2d(XC[None], w, bias, stride, (th // 2, th - th // 2, tw // 2, tw - tw // 2), groups)[0]
    else:
        ref = deconv2d(XC[None], w, bias, stride, (0, 0, 0, 0), groups, output_shape)[0]
    check(out, ref, rtol=1e-5, atol=1e-5)


# ---- pooling --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["MAX", "AVERAGE", "L2"])
@pytest.mark.parametrize("stride,pads,exclude", [((2, 2), (0, 0, 0, 0), True), ((1, 2), (1, 1, 0, 1), True),
                                                 ((2, 1), (1, 0, 1, 1), False)])
def test_pooling_valid(kind, stride, pads, exclude):
    out = nn_predict(lambda b: b.add_pooling("pool", 3, 2, stride[0], stride[1], kind, "VALID", "x", "y",
                                             exclude_pad_area=exclude, padding_top=pads[0], padding_bottom=pads[1],
                                             padding_left=pads[2], padding_right=pads[3]), {"x": X})["y"]
    check(out, pool2d(X[None], kind, (3, 2), stride, pads, exclude)[0])


@pytest.mark.parametrize("kind", ["MAX", "AVERAGE"])
@pytest.mark.parametrize("mode", ["BOTTOM_RIGHT_HEAVY", "TOP_LEFT_HEAVY"])
def test_pooling_same(kind, mode):
    out = nn_predict(lambda b: b.add_pooling("pool", 2, 3, 2, 2, kind, "SAME", "x", "y",
                                             same_padding_asymmetry_mode=mode), {"x": X})["y"]
    top_left = mode == "TOP_LEFT_HEAVY"
    pads = same_pads(5, 2, 2, top_left) + same_pads(6, 3, 2, top_left)
    check(out, pool2d(X[None], kind, (2, 3), (2, 2), pads, True)[0])


def test_pooling_include_last_pixel():
    x = rand(2, 7, 8, seed=30)
    out = nn_predict(lambda b: b.add_pooling("pool", 3, 3, 2, 2, "MAX", "INCLUDE_LAST_PIXEL", "x", "y",
                                             padding_top=1, padding_bottom=1, padding_left=1, padding_right=1),
                     {"x": x})["y"]
    # H_out = ceil((7 + 2 - 3) / 2) + 1 = 4, W_out = ceil((8 + 2 - 3) / 2) + 1 = 5.
    check(out, pool2d(x[None], "MAX", (3, 3), (2, 2), (1, 1, 1, 1), out_hw=(4, 5))[0])


@pytest.mark.parametrize("kind,ref", [("MAX", lambda x: x.max(axis=(1, 2))), ("AVERAGE", lambda x: x.mean(axis=(1, 2))),
                                      ("L2", lambda x: np.sqrt((x.astype(np.float64) ** 2).sum(axis=(1, 2))))])
def test_global_pooling(kind, ref):
    out = nn_predict(lambda b: b.add_pooling("gp", 1, 1, 1, 1, kind, "VALID", "x", "y", is_global=True), {"x": X})["y"]
    check(out, ref(X).reshape(4, 1, 1))


# ---- normalisation --------------------------------------------------------------------------

GAMMA, BETA4 = rand(4, seed=40, low=0.5, high=1.5), rand(4, seed=41)


def test_batchnorm_with_statistics():
    mean, var = rand(4, seed=42), rand(4, seed=43, low=0.2, high=2)
    out = nn_predict(lambda b: b.add_batchnorm("bn", 4, GAMMA, BETA4, mean, var, "x", "y", epsilon=1e-3), {"x": X})["y"]
    ref = (X - mean[CH]) / np.sqrt(var[CH] + 1e-3) * GAMMA[CH] + BETA4[CH]
    check(out, ref)


def test_batchnorm_computing_statistics():
    x = rand(3, 4, 5, 6, seed=44, low=-2, high=3).astype(np.float64)
    out = nn_predict(lambda b: b.add_batchnorm("bn", 4, GAMMA, BETA4, None, None, "x", "y", compute_mean_var=True,
                                               instance_normalization=True, epsilon=1e-5), {"x": x}, rank5=False)["y"]
    mu, var = x.mean(axis=(2, 3), keepdims=True), x.var(axis=(2, 3), keepdims=True)
    check(out, (x - mu) / np.sqrt(var + 1e-5) * GAMMA[CH] + BETA4[CH], rtol=1e-4, atol=1e-4)
    def batch_statistics(b):
        # The builder refuses this combination (as coremltools' does); the spec allows it.
        layer = b.add_batchnorm("bn", 4, GAMMA, BETA4, None, None, "x", "y", compute_mean_var=True,
                                instance_normalization=True, epsilon=1e-5)
        layer.batchnorm.instanceNormalization = False

    out = nn_predict(batch_statistics, {"x": x}, rank5=False)["y"]
    mu, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    check(out, (x - mu) / np.sqrt(var + 1e-5) * GAMMA[CH] + BETA4[CH], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("across,normalize", [(True, True), (False, True), (True, False), (False, False)])
def test_mvn(across, normalize):
    axes = (0, 1, 2) if across else (1, 2)
    out = nn_predict(lambda b: b.add_mvn("mvn", "x", "y", across_channels=across, normalize_variance=normalize,
                                         epsilon=1e-4), {"x": X})["y"]
    x = X.astype(np.float64)
    ref = x - x.mean(axis=axes, keepdims=True)
    if normalize:
        ref = ref / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-4)
    check(out, ref, rtol=1e-4, atol=1e-4)


def test_l2_normalize_lrn_and_softmax():
    x = X.astype(np.float64)
    out = nn_predict(lambda b: b.add_l2_normalize("l2", "x", "y", epsilon=1e-6), {"x": X})["y"]
    check(out, x / np.sqrt((x ** 2).sum() + 1e-6))
    out = nn_predict(lambda b: b.add_lrn("lrn", "x", "y", alpha=0.3, beta=0.75, local_size=3, k=2.0), {"x": X})["y"]
    sq = np.pad(x ** 2, [(1, 1), (0, 0), (0, 0)])
    window = sq[:-2] + sq[1:-1] + sq[2:]
    check(out, x / (2.0 + 0.3 / 3 * window) ** 0.75, rtol=1e-5, atol=1e-6)
    out = nn_predict(lambda b: b.add_softmax("sm", "x", "y"), {"x": X})["y"]
    e = np.exp(x - x.max(axis=0))
    check(out, e / e.sum(axis=0))


def test_softmax_nd_and_layer_normalization():
    x = rand(2, 3, 5, seed=45, low=-3, high=3).astype(np.float64)
    for axis in (0, 1, -1):
        out = nn_predict(lambda b: b.add_softmax_nd("sm", "x", "y", axis=axis), {"x": x}, rank5=False)["y"]
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        check(out, e / e.sum(axis=axis, keepdims=True))
    gamma, beta = rand(3, 5, seed=46), rand(3, 5, seed=47)
    out = nn_predict(lambda b: b.add_layer_normalization("ln", "x", "y", [3, 5], gamma=gamma, beta=beta, eps=1e-5),
                     {"x": x}, rank5=False)["y"]
    mu, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    check(out, (x - mu) / np.sqrt(var + 1e-5) * gamma + beta, rtol=1e-4, atol=1e-5)


# ---- elementwise ----------------------------------------------------------------------------

A, Bc, Cc = rand(4, 5, 6, seed=50), rand(4, 1, 1, seed=51), rand(4, 5, 6, seed=52)


@pytest.mark.parametrize("mode,ref", [("ADD", lambda a, b, c: a + b + c), ("MULTIPLY", lambda a, b, c: a * b * c),
                                      ("AVE", lambda a, b, c: (a + b + c) / 3),
                                      ("MAX", lambda a, b, c: np.maximum(np.maximum(a, b), c)),
                                      ("MIN", lambda a, b, c: np.minimum(np.minimum(a, b), c))])
def test_classic_elementwise_broadcasts_channels(mode, ref):
    out = nn_predict(lambda b: b.add_elementwise("e", ["a", "b", "c"], "y", mode), {"a": A, "b": Bc, "c": Cc})["y"]
    check(out, ref(A.astype(np.float64), Bc, Cc))


def test_classic_elementwise_single_input_alpha():
    out = nn_predict(lambda b: b.add_elementwise("e", ["x"], "y", "ADD", alpha=1.5), {"x": X})["y"]
    check(out, X + 1.5)
    out = nn_predict(lambda b: b.add_elementwise("e", ["x"], "y", "MULTIPLY", alpha=-2.0), {"x": X})["y"]
    check(out, X * -2.0)


BROADCASTABLE = [("add_add_broadcastable", np.add), ("add_subtract_broadcastable", np.subtract),
                 ("add_multiply_broadcastable", np.multiply), ("add_divide_broadcastable", np.divide),
                 ("add_max_broadcastable", np.maximum), ("add_min_broadcastable", np.minimum),
                 ("add_pow_broadcastable", np.power), ("add_mod_broadcastable", np.mod),
                 ("add_floor_div_broadcastable", np.floor_divide)]


@pytest.mark.parametrize("method,ref", BROADCASTABLE, ids=[m[0] for m in BROADCASTABLE])
def test_broadcastable_binary(method, ref):
    a = rand(2, 1, 5, seed=53, low=0.5, high=4)
    b_ = rand(3, 1, seed=54, low=0.5, high=2)
    out = nn_predict(lambda b: getattr(b, method)("op", ["a", "b"], "y"), {"a": a, "b": b_}, rank5=False)["y"]
    check(out, ref(a.astype(np.float64), b_.astype(np.float64)), rtol=1e-5, atol=1e-5)


COMPARISONS = [("add_greater_than", np.greater, False), ("add_greater_than", np.greater_equal, True),
               ("add_less_than", np.less, False), ("add_less_than", np.less_equal, True),
               ("add_equal", np.equal, None), ("add_not_equal", np.not_equal, None)]


@pytest.mark.parametrize("method,ref,or_equal", COMPARISONS)
def test_comparisons_give_ones_and_zeros(method, ref, or_equal):
    a = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    b_ = np.array([[3, 2, 1]], np.float32)
    kwargs = {} if or_equal is None else {"use_greater_than_equal" if "greater" in method else "use_less_than_equal": or_equal}
    out = nn_predict(lambda b: getattr(b, method)("cmp", ["a", "b"], "y", **kwargs), {"a": a, "b": b_}, rank5=False)["y"]
    check(out, ref(a, b_).astype(np.float32))
    out = nn_predict(lambda b: getattr(b, method)("cmp", ["a"], "y", alpha=3.0, **kwargs), {"a": a}, rank5=False)["y"]
    check(out, ref(a, 3.0).astype(np.float32))


@pytest.mark.parametrize("mode,ref", [("AND", np.logical_and), ("OR", np.logical_or), ("XOR", np.logical_xor)])
def test_logical_layers(mode, ref):
    a = np.array([[0, 1, 2], [0, 0, -1]], np.float32)
    b_ = np.array([[0, 0, 3], [1, 0, 0]], np.float32)
    out = nn_predict(lambda b: b.add_logical("l", ["a", "b"], "y", mode), {"a": a, "b": b_}, rank5=False)["y"]
    check(out, ref(a != 0, b_ != 0).astype(np.float32))
    out = nn_predict(lambda b: b.add_logical("l", ["a"], "y", "NOT"), {"a": a}, rank5=False)["y"]
    check(out, (a == 0).astype(np.float32))


def test_where_and_clip():
    cond = np.array([[1, 0, 2]], np.float32)
    a, b_ = rand(2, 3, seed=55), rand(2, 1, seed=56)
    out = nn_predict(lambda b: b.add_where_broadcastable("w", ["c", "a", "b"], "y"), {"c": cond, "a": a, "b": b_},
                     rank5=False)["y"]
    check(out, np.where(cond != 0, a, b_))
    out = nn_predict(lambda b: b.add_clip("clip", "a", "y", min_value=-0.2, max_value=0.3), {"a": a}, rank5=False)["y"]
    check(out, np.clip(a, -0.2, 0.3))


UNARY_MATH = [("add_ceil", np.ceil), ("add_floor", np.floor), ("add_sign", np.sign), ("add_round", np.round),
              ("add_exp2", np.exp2), ("add_sin", np.sin), ("add_cos", np.cos), ("add_tan", np.tan),
              ("add_asin", np.arcsin), ("add_acos", np.arccos), ("add_atan", np.arctan), ("add_sinh", np.sinh),
              ("add_cosh", np.cosh), ("add_tanh", np.tanh), ("add_asinh", np.arcsinh), ("add_atanh", np.arctanh),
              ("add_erf", None)]


@pytest.mark.parametrize("method,ref", UNARY_MATH, ids=[m[0] for m in UNARY_MATH])
def test_unary_math_layers(method, ref):
    x = np.array([[-0.9, -0.4, -0.1, 0.0, 0.3, 0.6, 0.95]], np.float32)
    out = nn_predict(lambda b: getattr(b, method)("u", "x", "y"), {"x": x}, rank5=False)["y"]
    check(out, (ref or erf)(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_acosh():
    x = np.array([[1.0, 1.5, 3.0, 10.0]], np.float32)
    out = nn_predict(lambda b: b.add_acosh("u", "x", "y"), {"x": x}, rank5=False)["y"]
    check(out, np.arccosh(x.astype(np.float64)), rtol=1e-5, atol=1e-5)


POS = rand(3, 4, 5, seed=57, low=0.1, high=3).astype(np.float64)
UNARY = [("SQRT", {}, np.sqrt), ("RSQRT", {"epsilon": 1e-3}, lambda v: 1 / np.sqrt(v + 1e-3)),
         ("INVERSE", {"epsilon": 1e-2}, lambda v: 1 / (v + 1e-2)), ("POWER", {"alpha": 2.5}, lambda v: v ** 2.5),
         ("EXP", {}, np.exp), ("LOG", {}, np.log), ("ABS", {}, np.abs), ("THRESHOLD", {"alpha": 1.2}, lambda v: np.maximum(v, 1.2))]


@pytest.mark.parametrize("mode,kwargs,ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_with_scale_and_shift(mode, kwargs, ref):
    out = nn_predict(lambda b: b.add_unary("u", "x", "y", mode, scale=1.5, shift=0.25, **kwargs), {"x": POS})["y"]
    check(out, ref(1.5 * POS + 0.25), rtol=1e-5, atol=1e-5)


def test_scale_and_bias_shapes():
    scale, bias = rand(4, seed=58), rand(1, 5, 6, seed=59)
    out = nn_predict(lambda b: b.add_scale("s", scale, bias, True, "x", "y", shape_scale=[4], shape_bias=[1, 5, 6]),
                     {"x": X})["y"]
    check(out, X * scale[CH] + bias)
    out = nn_predict(lambda b: b.add_bias("b", np.array([0.5], np.float32), "x", "y", shape_bias=[1]), {"x": X})["y"]
    check(out, X + 0.5)


def test_dot_product_and_cosine():
    a, c = rand(6, 1, 1, seed=60), rand(6, 1, 1, seed=61)
    out = nn_predict(lambda b: b.add_elementwise("d", ["a", "c"], "y", "DOT"), {"a": a, "c": c})["y"]
    check(out, np.array([[[(a * c).sum()]]]), exact_shape=False)
    out = nn_predict(lambda b: b.add_elementwise("d", ["a", "c"], "y", "COS"), {"a": a, "c": c})["y"]
    cos = (a * c).sum() / np.linalg.norm(a) / np.linalg.norm(c)
    check(out, np.array([[[cos]]]), exact_shape=False)


# ---- reductions -----------------------------------------------------------------------------

CLASSIC_REDUCE = [("SUM", np.sum), ("AVG", np.mean), ("PROD", np.prod), ("SUMSQUARE", lambda v, axis, keepdims: (v ** 2).sum(axis, keepdims=keepdims)),
                  ("L1", lambda v, axis, keepdims: np.abs(v).sum(axis, keepdims=keepdims)),
                  ("L2", lambda v, axis, keepdims: np.sqrt((v ** 2).sum(axis, keepdims=keepdims))),
                  ("MAX", np.max), ("MIN", np.min),
                  ("LOGSUM", lambda v, axis, keepdims: np.log(v + 1e-6).sum(axis, keepdims=keepdims))]


@pytest.mark.parametrize("mode,ref", CLASSIC_REDUCE, ids=[r[0] for r in CLASSIC_REDUCE])
@pytest.mark.parametrize("axis,axes", [("CHW", (0, 1, 2)), ("HW", (1, 2)), ("C", (0,)), ("H", (1,)), ("W", (2,))])
def test_classic_reduce(mode, ref, axis, axes):
    x = rand(3, 2, 4, seed=62, low=0.5, high=1.5).astype(np.float64)
    out = nn_predict(lambda b: b.add_reduce("r", "x", "y", axis, mode), {"x": x})["y"]
    check(out, ref(x, axis=axes, keepdims=True), rtol=1e-5, atol=1e-5)


def test_classic_reduce_argmax():
    out = nn_predict(lambda b: b.add_reduce("r", "x", "y", "C", "ARGMAX"), {"x": X})["y"]
    check(out, X.argmax(axis=0)[None].astype(np.float32))


ND_REDUCE = [("add_reduce_sum", np.sum), ("add_reduce_mean", np.mean), ("add_reduce_prod", np.prod),
             ("add_reduce_max", np.max), ("add_reduce_min", np.min),
             ("add_reduce_l1", lambda v, axis, keepdims: np.abs(v).sum(axis, keepdims=keepdims)),
             ("add_reduce_l2", lambda v, axis, keepdims: np.sqrt((v ** 2).sum(axis, keepdims=keepdims))),
             ("add_reduce_sumsquare", lambda v, axis, keepdims: (v ** 2).sum(axis, keepdims=keepdims)),
             ("add_reduce_logsum", lambda v, axis, keepdims: np.log(v.sum(axis, keepdims=keepdims))),
             ("add_reduce_logsumexp", lambda v, axis, keepdims: np.log(np.exp(v).sum(axis, keepdims=keepdims)))]


@pytest.mark.parametrize("method,ref", ND_REDUCE, ids=[r[0] for r in ND_REDUCE])
@pytest.mark.parametrize("axes,keepdims,reduce_all", [((1,), True, False), ((0, -1), False, False), (None, False, True)])
def test_nd_reduce(method, ref, axes, keepdims, reduce_all):
    x = rand(2, 3, 4, seed=63, low=0.5, high=1.5).astype(np.float64)
    out = nn_predict(lambda b: getattr(b, method)("r", "x", "y", axes=axes, keepdims=keepdims, reduce_all=reduce_all),
                     {"x": x}, rank5=False)["y"]
    expected = np.asarray(ref(x, axis=None if reduce_all else tuple(axes), keepdims=keepdims))
    check(out, expected.reshape(1) if expected.ndim == 0 else expected, rtol=1e-5, atol=1e-5)


def test_argmax_argmin_topk_argsort():
    x = rand(3, 5, seed=64)
    out = nn_predict(lambda b: b.add_argmax("a", "x", "y", axis=1, keepdims=False), {"x": x}, rank5=False)["y"]
    check(out, x.argmax(axis=1).astype(np.float32))
    out = nn_predict(lambda b: b.add_argmin("a", "x", "y", axis=0, keepdims=True), {"x": x}, rank5=False)["y"]
    check(out, x.argmin(axis=0)[None].astype(np.float32))
    outs = nn_predict(lambda b: b.add_topk("t", ["x"], ["v", "i"], k=2, axis=1), {"x": x}, outputs=("v", "i"), rank5=False)
    order = np.argsort(-x, axis=1)[:, :2]
    check(outs["v"], np.take_along_axis(x, order, axis=1))
    check(outs["i"], order.astype(np.float32))
    outs = nn_predict(lambda b: b.add_topk("t", ["x"], ["v", "i"], k=3, axis=0, use_bottom_k=True), {"x": x},
                      outputs=("v", "i"), rank5=False)
    check(outs["v"], np.sort(x, axis=0)[:3])
    out = nn_predict(lambda b: b.add_argsort("s", "x", "y", axis=-1, descending=True), {"x": x}, rank5=False)["y"]
    check(out, np.argsort(-x, axis=-1).astype(np.float32))
