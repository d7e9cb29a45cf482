"""int8DynamicQuantize innerProduct and batchedMatmul layers: Core ML quantizes the input at run
time, so the reference emulates that in numpy — one symmetric scale for the whole input
(max |x| / 127, float32), codes round-half-even(x / scale) clamped to [-127, 127], int8 x int8
products summed exactly in integers, the sum times input scale x weight scale (float32).
Compared at rtol 1e-6; the float32 product of the dequantized weights differs by far more."""
import numpy as np
import pytest

from nn_runner import check, nn_predict, rand


def int8_weights(d_out, d_in, seed):
    return np.random.default_rng(seed).integers(-127, 128, size=(d_out, d_in)).astype(np.int8)


def ref_int8(x, w_codes, w_scale):
    """x [.., d_in] float32, w_codes [d_out, d_in] int8 -> [.., d_out]."""
    x = np.asarray(x, np.float32)
    max_abs = np.float32(np.abs(x).max())
    x_scale = max_abs / np.float32(127) if max_abs > 0 else np.float32(1)
    q = np.clip(np.round(x / x_scale), -127, 127).astype(np.int64)
    acc = q @ w_codes.astype(np.int64).T
    return acc.astype(np.float32) * (np.float32(x_scale) * np.float32(w_scale))


def float_product(x, w_codes, w_scale):
    return x.astype(np.float64) @ (w_codes.astype(np.float64) * w_scale).T


def inner_product(w_codes, scale, d_in, d_out):
    return lambda b: b.add_inner_product("ip", w_codes.tobytes(), None, d_in, d_out, False, "x", "y",
                                         int_8_dynamic_quantize=True, is_quantized_weight=True,
                                         quant_scale=np.array([scale]))


@pytest.mark.parametrize("shape", [(7,), (3, 7), (2, 3, 7)])
def test_inner_product_nd(shape):
    d_in, d_out, scale = 7, 5, 0.02
    w = int8_weights(d_out, d_in, seed=1)
    x = rand(*shape, seed=2, low=-3, high=3)
    out = nn_predict(inner_product(w, scale, d_in, d_out), {"x": x}, rank5=False)["y"]
    ref = ref_int8(x, w, scale)
    check(out, ref, rtol=1e-6, atol=0)
    assert not np.allclose(out, float_product(x, w, scale), rtol=1e-6, atol=0)


def test_inner_product_classic_rank5_rows():
    """Rank-5 mapping, input [C, H, W] = [2, 2, 3]: the 12 features of each row are one vector."""
    d_in, d_out, scale = 12, 4, 0.05
    w = int8_weights(d_out, d_in, seed=3)
    x = rand(2, 2, 3, seed=4)
    out = nn_predict(inner_product(w, scale, d_in, d_out), {"x": x})["y"]
    check(out, ref_int8(x.reshape(1, d_in), w, scale).reshape(d_out), rtol=1e-6, atol=0, exact_shape=False)


def test_inner_product_long_rows_accumulate_exactly():
    """2000 features: sums of int8 products beyond 2^24, where float32 accumulation would round."""
    d_in, d_out, scale = 2000, 3, 0.001
    w = np.full((d_out, d_in), 127, np.int8)
    w[1] = -127
    w[2, ::2] = 1
    x = np.full((2, d_in), 2.0, np.float32)
    x[1, ::3] = -1.5
    out = nn_predict(inner_product(w, scale, d_in, d_out), {"x": x}, rank5=False)["y"]
    check(out, ref_int8(x, w, scale), rtol=1e-6, atol=0)


def test_zero_input():
    w = int8_weights(3, 4, seed=5)
    out = nn_predict(inner_product(w, 0.1, 4, 3), {"x": np.zeros((2, 4), np.float32)}, rank5=False)["y"]
    check(out, np.zeros((2, 3)), rtol=0, atol=0)


def test_batched_matmul_with_int8_weights():
    x1, x2, scale = 6, 4, 0.03  # y = x @ W with W [X1, X2]
    w = int8_weights(x1, x2, seed=6)  # rows x columns, row-major
    x = rand(2, 3, x1, seed=7, low=-2, high=2)
    out = nn_predict(lambda b: b.add_batched_mat_mul("mm", ["x"], "y", weight_matrix_rows=x1, weight_matrix_columns=x2,
                                                     W=w.tobytes(), int_8_dynamic_quantize=True, is_quantized_weight=True,
                                                     quant_scale=np.array([scale])),
                     {"x": x}, rank5=False)["y"]
    check(out, ref_int8(x, w.T, scale), rtol=1e-6, atol=0)


def test_invalid_int8_layers_name_the_layer():
    w = int8_weights(3, 4, seed=8)

    def with_bias(b):
        layer = inner_product(w, 0.1, 4, 3)(b)
        layer.innerProduct.hasBias = True
        layer.innerProduct.bias.floatValue.extend([0.0] * 3)

    with pytest.raises(Exception, match="'ip'.*int8DynamicQuantize requires hasBias = false"):
        nn_predict(with_bias, {"x": rand(2, 4)}, rank5=False)

    def wrong_count(b):
        layer = inner_product(w, 0.1, 4, 3)(b)
        layer.innerProduct.weights.int8RawValue = b"\x01\x02"

    with pytest.raises(Exception, match="'ip'.*needs 12 int8 weights in int8RawValue, got 2 bytes"):
        nn_predict(wrong_count, {"x": rand(2, 4)}, rank5=False)


def test_non_finite_inputs_do_not_crash():
    w = int8_weights(3, 4, seed=9)
    x = np.array([[1.0, np.nan, -2.0, 0.5]], np.float32)
    out = nn_predict(inner_product(w, 0.1, 4, 3), {"x": x}, rank5=False)["y"]
    # NaN quantizes to 0: the other features still give the reference's numbers
    check(out, ref_int8(np.nan_to_num(x, nan=0.0), w, 0.1), rtol=1e-6, atol=0)
