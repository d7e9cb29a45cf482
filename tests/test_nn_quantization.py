"""Weight quantization of neural networks (``ct.models.neural_network.quantization_utils``):
every mode and bit width stores packed codes whose dequantized values (decoded here
independently, most significant bit first) are within the quantization error of the
original weights; float16; layer folding before quantization; selectors; int8 matrix
multiplication; pipelines; argument errors."""
import contextlib
import copy
import io

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.models import datatypes
from opencoreml.models.neural_network import NeuralNetworkBuilder
from opencoreml.models.neural_network import quantization_utils as qu
from opencoreml.proto import Model_pb2

_rng = np.random.default_rng(11)


def _weights(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _network():
    """A model with an inner product, a (grouped) convolution, a deconvolution, an
    embedding, a batched matmul and an LSTM; returns (MLModel, {layer: original weights})."""
    b = NeuralNetworkBuilder([("x", datatypes.Array(4, 6, 6)), ("v", datatypes.Array(6))],
                             [("c", None), ("d", None), ("ip", None), ("e", None), ("mm", None), ("l", None)])
    W = {
        "ip": _weights(5, 6), "conv": _weights(3, 3, 2, 6), "deconv": _weights(2, 2, 6, 2),
        "emb": _weights(4, 10), "mm": _weights(6, 7),
    }
    b.add_inner_product("ip", W["ip"], None, 6, 5, False, "v", "ip")
    b.add_convolution("conv", 2, 6, 3, 3, 1, 1, "same", 2, W["conv"], None, False, input_name="x", output_name="c")
    b.add_convolution("deconv", 6, 4, 2, 2, 2, 2, "valid", 2, W["deconv"], None, False, is_deconv=True,
                      input_name="c", output_name="d")
    b.add_embedding_nd("emb", "v", "e", 10, 4, W["emb"])
    b.add_batched_mat_mul("mm", ["v"], "mm", weight_matrix_rows=6, weight_matrix_columns=7, W=W["mm"])
    lstm = [[_weights(3, 3) for _ in range(4)], [_weights(3, 6) for _ in range(4)], [_weights(3) for _ in range(4)]]
    b.add_unilstm("lstm", *lstm, 3, 6, ["v"], ["l"])
    # Per-layer original weights in the spec's layout and (rows = output channels) shape.
    originals = {
        "ip": W["ip"],
        "conv": W["conv"].transpose(3, 2, 0, 1).reshape(6, -1),
        "deconv": W["deconv"].transpose(2, 3, 0, 1),  # (kernel_channels, out / groups, h, w): channels on axis 1
        "emb": W["emb"],
        "mm": W["mm"].T,
        "lstm": lstm[1][0],
    }
    return ct.models.MLModel(b.spec), originals


def _weight_params(spec, name):
    layer = [l for l in spec.neuralNetwork.layers if l.name == name][0]
    kind = layer.WhichOneof("layer")
    if kind == "uniDirectionalLSTM":
        return layer.uniDirectionalLSTM.weightParams.inputGateWeightMatrix
    return getattr(layer, kind).weights


def _codes(wp, count):
    """The ``count`` unsigned codes of a quantized WeightParams (MSB-first bit stream)."""
    nbits = wp.quantization.numberOfBits
    bits = np.unpackbits(np.frombuffer(wp.rawValue, dtype=np.uint8))[: count * nbits].reshape(count, nbits)
    return bits.astype(np.int64) @ (1 << np.arange(nbits - 1, -1, -1))


def _quantize(model, nbits, mode, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return qu.quantize_weights(model, nbits, mode, **kwargs)


def _channels_first(array, axis):
    return np.moveaxis(array, axis, 0).reshape(array.shape[axis], -1)


@pytest.mark.parametrize("nbits", [1, 2, 3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("mode", ["linear", "linear_lut", "kmeans_lut"])
def test_quantized_weights_reconstruct_the_originals(mode, nbits):
    model, originals = _network()
    quantized = _quantize(model, nbits, mode)
    assert isinstance(quantized, ct.models.MLModel)
    spec = quantized.get_spec()
    assert spec.specificationVersion == 3
    for name, original in originals.items():
        wp = _weight_params(spec, name)
        count = original.size
        assert len(wp.floatValue) == 0 and wp.quantization.numberOfBits == nbits
        assert len(wp.rawValue) == -(-count * nbits // 8)
        codes = _codes(wp, count)
        assert codes.max() < 2 ** nbits
        if mode == "linear":
            axis = 1 if name == "deconv" else 0
            scale = np.array(wp.quantization.linearQuantization.scale)
            bias = np.array(wp.quantization.linearQuantization.bias)
            assert len(scale) == len(bias) == original.shape[axis]
            values = _channels_first(codes.reshape(original.shape), axis) * scale[:, None] + bias[:, None]
            error = np.abs(values - _channels_first(original, axis))
            assert np.all(error <= scale[:, None] / 2 + 1e-5), (name, error.max())
        else:
            lut = np.array(wp.quantization.lookupTableQuantization.floatValue)
            assert len(lut) == 2 ** nbits
            values = lut[codes]
            flat = original.reshape(-1)
            if mode == "linear_lut":
                step = (flat.max() - flat.min()) / (2 ** nbits - 1)
                np.testing.assert_allclose(np.diff(lut), step, rtol=1e-4)
                assert np.abs(values - flat).max() <= step / 2 + 1e-5, name
            else:
                # k-means: every weight uses its nearest table entry
                nearest = np.abs(flat[:, None] - lut[None, :]).min(axis=1)
                np.testing.assert_allclose(np.abs(values - flat), nearest, atol=1e-6, err_msg=name)
                if len(np.unique(flat)) <= 2 ** nbits:
                    np.testing.assert_array_equal(values, flat)


def test_symmetric_linear_quantization():
    model, originals = _network()
    spec = _quantize(model, 8, "linear_symmetric").get_spec()
    wp = _weight_params(spec, "ip")
    original = originals["ip"]
    scale = np.array(wp.quantization.linearQuantization.scale)
    bias = np.array(wp.quantization.linearQuantization.bias)
    reach = np.abs(original).max(axis=1)
    np.testing.assert_allclose(scale, reach / 127, rtol=1e-6)
    np.testing.assert_allclose(bias, -128 * scale, rtol=1e-6)
    values = _codes(wp, original.size).reshape(original.shape) * scale[:, None] + bias[:, None]
    assert np.all(np.abs(values - original) <= scale[:, None] / 2 + 1e-6)
    with pytest.raises(Exception, match="8 bit"):
        _quantize(_network()[0], 4, "linear_symmetric")


def test_kmeans_keeps_few_distinct_values_exactly():
    b = NeuralNetworkBuilder([("v", datatypes.Array(4))], [("y", None)])
    W = np.array([[0.5, -1.0, 0.5, 2.0], [2.0, 2.0, -1.0, 0.5]], dtype=np.float32)
    b.add_inner_product("ip", W, None, 4, 2, False, "v", "y")
    wp = _weight_params(_quantize(ct.models.MLModel(b.spec), 2, "kmeans_lut").get_spec(), "ip")
    lut = np.array(wp.quantization.lookupTableQuantization.floatValue)
    np.testing.assert_array_equal(lut[_codes(wp, 8)], W.reshape(-1))


def test_custom_lookup_table():
    model, originals = _network()

    def sign_table(nbits, weights):
        return np.array([-1.0, 1.0]), (np.asarray(weights) > 0).astype(np.uint8)

    spec = _quantize(model, 1, "custom_lut", lut_function=sign_table).get_spec()
    wp = _weight_params(spec, "mm")
    assert list(wp.quantization.lookupTableQuantization.floatValue) == [-1.0, 1.0]
    np.testing.assert_array_equal(_codes(wp, 42), (originals["mm"].reshape(-1) > 0).astype(int))
    with pytest.raises(Exception, match="no lookup table function"):
        _quantize(_network()[0], 1, "custom_lut")


def test_float16_weights():
    model, originals = _network()
    spec = _quantize(model, 16, "linear").get_spec()
    assert spec.specificationVersion == 2
    for name, original in originals.items():
        wp = _weight_params(spec, name)
        assert len(wp.floatValue) == 0
        assert wp.float16Value == original.reshape(-1).astype("<f2").tobytes()
    # the input model is left unchanged
    assert len(_weight_params(model.get_spec(), "ip").floatValue) == 30


def test_quantization_argument_errors():
    model = _network()[0]
    with pytest.raises(Exception, match="Invalid quantization mode"):
        _quantize(model, 8, "median")
    with pytest.raises(Exception, match="1 to 8-bit"):
        _quantize(model, 12, "linear")
    updatable = NeuralNetworkBuilder([("v", datatypes.Array(2))], [("y", datatypes.Array(2))])
    updatable.add_inner_product("ip", np.eye(2), None, 2, 2, False, "v", "y")
    updatable.make_updatable(["ip"])
    with pytest.raises(Exception, match="FP16"):
        _quantize(ct.models.MLModel(updatable.spec), 16, "linear")


def test_bit_packing_helpers():
    packed = qu._convert_array_to_nbit_quantized_bytes(np.array([3, 0, 2, 1, 3]), 2)
    np.testing.assert_array_equal(packed, [0b11001001, 0b11000000])
    np.testing.assert_array_equal(qu._unpack_to_bytes(packed, 5, 2), [3, 0, 2, 1, 3])
    np.testing.assert_array_equal(qu._convert_1bit_array_to_byte_array([1, 0, 1]), [0b10100000])
    assert qu._decompose_bytes_to_bit_arr([0b10000001, 2]) == [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    seven = qu._convert_array_to_nbit_quantized_bytes(np.arange(128), 7)
    assert len(seven) == 112
    np.testing.assert_array_equal(qu._unpack_to_bytes(seven, 128, 7), np.arange(128))


def _apply_chain(x, W, b, scale, scale_bias, bias):
    return ((W @ x + b) * scale + scale_bias) + bias


def test_affine_layers_are_folded_before_quantization():
    W, b, s, sb, bb = _weights(3, 4), _weights(3), _weights(3), _weights(3), _weights(3)
    builder = NeuralNetworkBuilder([("v", datatypes.Array(4))], [("y", None)])
    builder.add_inner_product("ip", W, b, 4, 3, True, "v", "h")
    builder.add_scale("scale", s, sb, True, "h", "s", shape_scale=[3], shape_bias=[3])
    builder.add_bias("bias", bb, "s", "y", shape_bias=[3])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        spec = qu.quantize_weights(ct.models.MLModel(builder.spec), 8, "linear").get_spec()
    assert "Fused ip->scale" in out.getvalue() and "Fused ip->bias" in out.getvalue()
    (layer,) = spec.neuralNetwork.layers
    assert list(layer.output) == ["y"] and layer.innerProduct.hasBias
    qu._dequantize_nn_spec(spec.neuralNetwork)
    fused_W = np.array(layer.innerProduct.weights.floatValue).reshape(3, 4)
    fused_b = np.array(layer.innerProduct.bias.floatValue)
    x = _weights(4)
    scale = np.abs(W * s[:, None]).max() / 127
    np.testing.assert_allclose(fused_W @ x + fused_b, _apply_chain(x, W, b, s, sb, bb), atol=8 * scale * 4)


def test_batchnorm_is_folded_into_convolution():
    W, gamma, beta, mean = _weights(1, 1, 2, 3), _weights(3), _weights(3), _weights(3)
    variance = np.abs(_weights(3)) + 0.5
    builder = NeuralNetworkBuilder([("x", datatypes.Array(2, 4, 4))], [("y", None)])
    builder.add_convolution("conv", 2, 3, 1, 1, 1, 1, "valid", 1, W, None, False, input_name="x", output_name="c")
    builder.add_batchnorm("bn", 3, gamma, beta, mean, variance, input_name="c", output_name="y", epsilon=1e-3)
    spec = copy.deepcopy(builder.spec)
    with contextlib.redirect_stdout(io.StringIO()):
        qu._quantize_spec_weights(spec, 8, qu._QUANTIZATION_MODE_LINEAR_QUANTIZATION)
    (conv,) = spec.neuralNetwork.layers
    qu._dequantize_nn_spec(spec.neuralNetwork)
    x = _weights(2)  # one pixel: a 1x1 convolution is a matrix product
    fused = np.array(conv.convolution.weights.floatValue).reshape(3, 2) @ x + np.array(conv.convolution.bias.floatValue)
    reference = gamma * ((W[0, 0].T @ x) - mean) / np.sqrt(variance + 1e-3) + beta
    np.testing.assert_allclose(fused, reference, atol=0.05)


def test_layers_are_not_folded_across_outputs_or_branches():
    W, s = _weights(3, 4), _weights(3)
    builder = NeuralNetworkBuilder([("v", datatypes.Array(4))], [("h", None), ("y", None)])
    builder.add_inner_product("ip", W, None, 4, 3, False, "v", "h")  # "h" is a model output
    builder.add_scale("scale", s, None, False, "h", "y", shape_scale=[3])
    spec = _quantize(ct.models.MLModel(builder.spec), 8, "linear").get_spec()
    assert [l.name for l in spec.neuralNetwork.layers] == ["ip", "scale"]

    builder = NeuralNetworkBuilder([("v", datatypes.Array(4))], [("y", None), ("z", None)])
    builder.add_inner_product("ip", W, None, 4, 3, False, "v", "h")
    builder.add_scale("scale", s, None, False, "h", "y", shape_scale=[3])
    builder.add_activation("relu", "RELU", "h", "z")  # "h" feeds two layers
    spec = _quantize(ct.models.MLModel(builder.spec), 8, "linear").get_spec()
    assert [l.name for l in spec.neuralNetwork.layers] == ["ip", "scale", "relu"]


def test_layer_selectors():
    model, _ = _network()
    selector = qu.AdvancedQuantizedLayerSelector(skip_layer_types=["embeddingND"], minimum_conv_kernel_channels=4)
    spec = _quantize(model, 8, "linear", selector=selector).get_spec()
    assert len(_weight_params(spec, "conv").floatValue) == 6 * 2 * 9  # 2 kernel channels < 4: kept
    assert len(_weight_params(spec, "emb").floatValue) == 40  # skipped type
    assert len(_weight_params(spec, "ip").rawValue) == 30
    with pytest.raises(ValueError, match="not supported"):
        qu.AdvancedQuantizedLayerSelector(skip_layer_types=["softmax"])

    selector = qu.MatrixMultiplyLayerSelector(minimum_weight_count=35, maximum_output_channels=10)
    spec = _quantize(model, 8, "linear", selector=selector).get_spec()
    assert len(_weight_params(spec, "mm").rawValue) == 42  # 6 x 7 weights
    assert len(_weight_params(spec, "ip").floatValue) == 30  # 30 weights < 35
    assert len(_weight_params(spec, "conv").floatValue) > 0  # not a matrix multiplication

    class SkipByName(qu.QuantizedLayerSelector):
        def do_quantize(self, layer, **kwargs):
            return super().do_quantize(layer) and layer.name != "mm"

    spec = _quantize(model, 4, "linear_lut", selector=SkipByName()).get_spec()
    assert len(_weight_params(spec, "mm").floatValue) == 42 and len(_weight_params(spec, "ip").floatValue) == 0


def test_int8_matrix_multiplications():
    model, originals = _network()
    lut_spec = _quantize(model, 4, "linear_lut").get_spec()
    with contextlib.redirect_stdout(io.StringIO()):
        spec = qu.activate_int8_int8_matrix_multiplications(lut_spec)
    assert spec.specificationVersion == 5
    for name in ("ip", "mm"):
        layer = [l for l in spec.neuralNetwork.layers if l.name == name][0]
        params = getattr(layer, layer.WhichOneof("layer"))
        assert params.int8DynamicQuantize
        wp = params.weights
        assert wp.quantization.numberOfBits == 8 and len(wp.rawValue) == 0 and len(wp.floatValue) == 0
        (scale,) = wp.quantization.linearQuantization.scale
        assert len(wp.quantization.linearQuantization.bias) == 0
        codes = np.frombuffer(wp.int8RawValue, dtype=np.int8).astype(np.float64)
        # The weights were 4-bit quantized first: compare with those, then with the originals.
        step = (originals[name].max() - originals[name].min()) / 15
        np.testing.assert_allclose(codes * scale, originals[name].reshape(-1), atol=scale / 2 + step / 2 + 1e-6)
    # layers the selector leaves out keep their quantization
    assert _weight_params(spec, "conv").quantization.numberOfBits == 4


def test_pipelines_are_quantized_throughout():
    model, originals = _network()
    pipeline = Model_pb2.Model()
    pipeline.specificationVersion = 1
    pipeline.description.CopyFrom(model.get_spec().description)
    pipeline.pipeline.models.add().CopyFrom(model.get_spec())
    spec = copy.deepcopy(pipeline)
    with contextlib.redirect_stdout(io.StringIO()):
        qu._quantize_spec_weights(spec, 6, qu._QUANTIZATION_MODE_LINEAR_QUANTIZATION)
    inner = spec.pipeline.models[0]
    assert inner.specificationVersion == 3
    assert _weight_params(inner, "ip").quantization.numberOfBits == 6


def test_compare_models_argument_errors():
    model = _network()[0]
    with pytest.raises(Exception, match="Invalid sample data"):
        qu.compare_models(model, model, {"v": np.zeros(6)})
    with pytest.raises(Exception, match="one image type input"):
        qu.compare_models(model, model, "/tmp")


def test_quantization_mode_constants_live_in_models_model():
    from opencoreml.models import model as model_module
    assert model_module._QUANTIZATION_MODE_LINEAR_QUANTIZATION == "_linear_quantization"
    assert model_module._QUANTIZATION_MODE_LINEAR_SYMMETRIC == "_linear_quantization_symmetric"
    assert model_module._QUANTIZATION_MODE_DEQUANTIZE == "_dequantize_network"
    assert set(model_module._LUT_BASED_QUANTIZATION) == {
        model_module._QUANTIZATION_MODE_LOOKUP_TABLE_LINEAR, model_module._QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS,
        model_module._QUANTIZATION_MODE_CUSTOM_LOOKUP_TABLE}
    assert len(model_module._SUPPORTED_QUANTIZATION_MODES) == 6
    # quantization_utils uses the same objects
    assert qu._SUPPORTED_QUANTIZATION_MODES is model_module._SUPPORTED_QUANTIZATION_MODES
    assert qu._QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS is model_module._QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS
