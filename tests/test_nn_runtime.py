"""The neural-network model kinds around the layers: classifiers (string and int64 labels,
probability blob chosen or defaulted) and regressors, image inputs with their preprocessing,
weights stored as float16 or quantized (1-8 bit linear, look-up tables, int8), graph
validation errors at load, input checks at predict, saving and reloading, and concurrent
predictions on one model."""
import concurrent.futures
import contextlib
import io

import numpy as np
import pytest
from PIL import Image

import opencoreml as ct
from nn_runner import check, nn_builder, nn_predict, rand
from opencoreml.models import datatypes
from opencoreml.models.neural_network import NeuralNetworkBuilder
from opencoreml.models.neural_network import quantization_utils as qu

W = rand(3, 6, seed=1)
B = rand(3, seed=2)


def logits_and_probs(x):
    z = W.astype(np.float64) @ x + B
    e = np.exp(z - z.max())
    return z, e / e.sum()


# ---- classifiers and regressors -------------------------------------------------------------

@pytest.mark.parametrize("labels", [["cat", "dog", "bird"], [10, 20, 30]])
def test_classifier_outputs_label_and_probabilities(labels):
    builder = NeuralNetworkBuilder([("x", datatypes.Array(6))], [("probs", None)], mode="classifier")
    builder.add_inner_product("fc", W, B, 6, 3, True, "x", "logits")
    builder.add_softmax("sm", "logits", "probs")
    builder.set_class_labels(labels)
    model = ct.models.MLModel(builder.spec)
    for seed in range(3):
        x = rand(6, seed=10 + seed)
        out = model.predict({"x": x})
        _, probs = logits_and_probs(x)
        assert out["classLabel"] == labels[int(np.argmax(probs))]
        assert sorted(out["probs"]) == sorted(labels)
        np.testing.assert_allclose([out["probs"][label] for label in labels], probs, rtol=1e-5, atol=1e-6)


def test_classifier_reads_the_named_probability_blob():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(6))], [("probs", None)], mode="classifier")
    builder.add_inner_product("fc", W, B, 6, 3, True, "x", "logits")
    builder.add_softmax("sm", "logits", "probs")
    builder.set_class_labels(["a", "b", "c"], predicted_feature_name="best", prediction_blob="logits")
    x = rand(6, seed=20)
    out = ct.models.MLModel(builder.spec).predict({"x": x})
    logits, _ = logits_and_probs(x)
    assert out["best"] == "abc"[int(np.argmax(logits))]
    np.testing.assert_allclose([out["probs"][k] for k in "abc"], logits, rtol=1e-5, atol=1e-6)


def test_regressor():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(6))], [("y", datatypes.Array(3))], mode="regressor")
    builder.add_inner_product("fc", W, B, 6, 3, True, "x", "y")
    assert builder.spec.WhichOneof("Type") == "neuralNetworkRegressor"
    x = rand(6, seed=21)
    out = ct.models.MLModel(builder.spec).predict({"x": x})["y"]
    assert out.shape == (3,)
    check(out, logits_and_probs(x)[0])


def test_double_inputs_and_outputs_follow_the_description():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(6))], [("y", datatypes.Array(3))])
    builder.add_inner_product("fc", W, B, 6, 3, True, "x", "y")
    builder.spec.description.input[0].type.multiArrayType.dataType = ct.proto.FeatureTypes_pb2.ArrayFeatureType.DOUBLE
    builder.spec.description.output[0].type.multiArrayType.dataType = ct.proto.FeatureTypes_pb2.ArrayFeatureType.DOUBLE
    x = rand(6, seed=22).astype(np.float64)
    out = ct.models.MLModel(builder.spec).predict({"x": x})["y"]
    assert out.dtype == np.float64
    check(out, logits_and_probs(x)[0])


# ---- images ---------------------------------------------------------------------------------

PIXELS = np.random.default_rng(3).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)


def image_model(channels, rank5=True, **preprocessing):
    builder = NeuralNetworkBuilder([("image", datatypes.Array(channels, 5, 7))], [("y", None)],
                                   disable_rank5_shape_mapping=not rank5)
    builder.add_activation("id", "LINEAR", "image", "y", params=[1.0, 0.0])
    builder.set_pre_processing_parameters(image_input_names=["image"], **preprocessing)
    return ct.models.MLModel(builder.spec)


@pytest.mark.parametrize("is_bgr", [False, True])
@pytest.mark.parametrize("rank5", [True, False])
def test_color_image_preprocessing(is_bgr, rank5):
    model = image_model(3, rank5, is_bgr=is_bgr, red_bias=-1.0, green_bias=0.5, blue_bias=2.0, image_scale=1 / 255.0)
    out = model.predict({"image": Image.fromarray(PIXELS, "RGB")})["y"]
    planes = PIXELS.transpose(2, 0, 1).astype(np.float64)  # R, G, B
    biases = np.array([-1.0, 0.5, 2.0])
    if is_bgr:
        planes, biases = planes[::-1], biases[::-1]
    check(out, planes / 255.0 + biases[:, None, None], exact_shape=False)


def test_grayscale_image_and_mean_image():
    gray = PIXELS[:, :, 0]
    out = image_model(1, gray_bias=3.0, image_scale=2.0).predict({"image": Image.fromarray(gray, "L")})["y"]
    check(out, 2.0 * gray[None].astype(np.float64) + 3.0, exact_shape=False)
    builder = NeuralNetworkBuilder([("image", datatypes.Array(3, 5, 7))], [("y", None)])
    builder.add_activation("id", "LINEAR", "image", "y", params=[1.0, 0.0])
    builder.set_pre_processing_parameters(image_input_names=["image"])
    mean = rand(3, 5, 7, seed=4, low=0, high=50)
    pre = builder.nn_spec.preprocessing[0]
    pre.meanImage.meanImage.extend(mean.reshape(-1).tolist())
    out = ct.models.MLModel(builder.spec).predict({"image": Image.fromarray(PIXELS, "RGB")})["y"]
    check(out, PIXELS.transpose(2, 0, 1).astype(np.float64) - mean, rtol=1e-6, atol=1e-4, exact_shape=False)


# ---- stored weights -------------------------------------------------------------------------

def network():
    builder = nn_builder({"x": (4, 6, 6)})
    conv = rand(3, 3, 4, 5, seed=5)  # builder layout [kh, kw, C, O]
    builder.add_convolution("conv", 4, 5, 3, 3, 1, 1, "same", 1, conv, rand(5, seed=6), True, input_name="x",
                            output_name="c")
    deconv = rand(2, 2, 5, 3, seed=7)
    builder.add_convolution("deconv", 5, 3, 2, 2, 2, 2, "valid", 1, deconv, None, False, is_deconv=True,
                            input_name="c", output_name="d")
    builder.add_flatten("flat", 0, "d", "f")
    builder.add_inner_product("fc", rand(7, 432, seed=8), rand(7, seed=9), 432, 7, True, "f", "y")
    return ct.models.MLModel(builder.spec)


def decoded(wp, count, axis_shape=None, axis=0):
    """float32 values of a WeightParams, decoded independently of the runtime."""
    if len(wp.floatValue):
        return np.array(wp.floatValue, np.float32)
    if len(wp.float16Value):
        return np.frombuffer(wp.float16Value, np.float16).astype(np.float32)
    nbits = wp.quantization.numberOfBits
    bits = np.unpackbits(np.frombuffer(wp.rawValue, np.uint8))[: count * nbits].reshape(count, nbits)
    codes = bits.astype(np.int64) @ (1 << np.arange(nbits - 1, -1, -1))
    if wp.quantization.WhichOneof("QuantizationType") == "lookupTableQuantization":
        return np.array(wp.quantization.lookupTableQuantization.floatValue, np.float32)[codes]
    q = wp.quantization.linearQuantization
    scale, bias = np.array(q.scale, np.float32), np.array(q.bias, np.float32)
    values = codes.reshape(axis_shape).astype(np.float32)
    values = np.moveaxis(values, axis, -1) * scale + (bias if len(bias) else 0)
    return np.moveaxis(values, -1, axis).reshape(-1)


def with_float_weights(spec):
    """A copy of `spec` whose weights are the decoded values of its stored weights."""
    out = ct.proto.Model_pb2.Model()
    out.CopyFrom(spec)
    for layer in out.neuralNetwork.layers:
        kind = layer.WhichOneof("layer")
        params = getattr(layer, kind)
        if kind == "convolution":
            shape = (params.kernelChannels, params.outputChannels, 2, 2) if params.isDeconvolution else \
                (params.outputChannels, params.kernelChannels, 3, 3)
            values = decoded(params.weights, int(np.prod(shape)), shape, 1 if params.isDeconvolution else 0)
        elif kind == "innerProduct":
            shape = (params.outputChannels, params.inputChannels)
            values = decoded(params.weights, int(np.prod(shape)), shape, 0)
        else:
            continue
        params.weights.Clear()
        params.weights.floatValue.extend(values.tolist())
    return out


@pytest.mark.parametrize("nbits,mode", [(16, "linear"), (8, "linear"), (5, "linear"), (3, "linear_lut"),
                                        (4, "kmeans_lut"), (1, "linear")])
def test_quantized_and_half_precision_weights(nbits, mode):
    model = network()
    with contextlib.redirect_stdout(io.StringIO()):
        quantized = qu.quantize_weights(model, nbits, mode)
    spec = quantized.get_spec()
    reference = ct.models.MLModel(with_float_weights(spec))
    x = rand(4, 6, 6, seed=10)
    out = quantized.predict({"x": x})["y"]
    check(out, reference.predict({"x": x})["y"], rtol=1e-5, atol=1e-5, exact_shape=False)
    # And the quantization really changed the numbers (else this test checks nothing).
    if nbits < 8:
        assert np.abs(out - model.predict({"x": x})["y"]).max() > 1e-4


def test_int8_raw_weights():
    builder = nn_builder({"x": (6,)})
    builder.add_inner_product("fc", W, None, 6, 3, False, "x", "y")
    codes = np.random.default_rng(5).integers(-128, 128, size=(3, 6)).astype(np.int8)
    wp = builder.nn_spec.layers[0].innerProduct.weights
    wp.Clear()
    wp.int8RawValue = codes.tobytes()
    wp.quantization.numberOfBits = 8
    wp.quantization.linearQuantization.scale.append(0.02)
    x = rand(6, seed=11)
    out = ct.models.MLModel(builder.spec).predict({"x": x})["y"]
    check(out, (codes.astype(np.float64) * 0.02) @ x, rtol=1e-5, atol=1e-5, exact_shape=False)


def test_weight_count_mismatch_is_rejected_at_load():
    builder = nn_builder({"x": (6,)})
    builder.add_inner_product("fc", W, None, 6, 3, False, "x", "y")
    del builder.nn_spec.layers[0].innerProduct.weights.floatValue[-1]
    with pytest.raises(ValueError, match="layer 'fc'.*weights.*17 values, expected 18"):
        ct.models.MLModel(builder.spec).predict({"x": rand(6)})


# ---- graph checks and errors ----------------------------------------------------------------

def relu_chain(*layers):
    builder = nn_builder({"x": (3,)})
    for name, inp, out in layers:
        builder.add_activation(name, "RELU", inp, out)
    return builder.spec


@pytest.mark.parametrize("layers,message", [
    ([("a", "nope", "y")], "layer 'a' consumes an input named 'nope'"),
    ([("a", "x", "h"), ("b", "x", "h"), ("c", "h", "y")], "layer 'b' produces blob 'h' which is also produced by layer 'a'"),
    ([("a", "h", "y"), ("b", "x", "h")], "layer 'a' consumes blob 'h' before layer 'b' produces it"),
    ([("a", "y", "h"), ("b", "h", "y")], "layer 'a' consumes blob 'y' before layer 'b' produces it"),
    ([("a", "x", "x"), ("b", "x", "y")], "layer 'a' produces blob 'x' which is also produced by a model input"),
])
def test_invalid_graphs_are_rejected_naming_the_layer(layers, message):
    with pytest.raises(ValueError, match=message):
        ct.models.MLModel(relu_chain(*layers)).predict({"x": rand(3)})


def test_missing_output_blob_is_rejected():
    spec = relu_chain(("a", "x", "h"))
    with pytest.raises(ValueError, match="output 'y' is not produced by any layer"):
        ct.models.MLModel(spec).predict({"x": rand(3)})


def test_custom_layer_names_its_class():
    builder = nn_builder({"x": (3,)})
    layer = builder.nn_spec.layers.add()
    layer.name = "mine"
    layer.input.append("x")
    layer.output.append("y")
    layer.custom.className = "MyFancyLayer"
    with pytest.raises(NotImplementedError, match="layer 'mine' is a custom layer.*MyFancyLayer"):
        ct.models.MLModel(builder.spec).predict({"x": rand(3)})


def test_loop_jumps_outside_loops_name_the_layer():
    # Every layer kind translates now; loopBreak/loopContinue only make sense in a loop body.
    for name, field in (("l1", "loopContinue"), ("l2", "loopBreak")):
        builder = nn_builder({"x": (3,)})
        layer = builder.nn_spec.layers.add()
        layer.name = name
        getattr(layer, field).SetInParent()
        builder.add_activation("a", "RELU", "x", "y")
        with pytest.raises(Exception, match="layer '%s' \\(%s\\): must be in the body network of a loop" % (name, field)):
            ct.models.MLModel(builder.spec).predict({"x": rand(3)})


def test_bad_inputs_name_the_feature():
    model = nn_model_relu()
    with pytest.raises(ValueError, match="x"):
        model.predict({"x": rand(4)})
    with pytest.raises(KeyError, match="x"):
        model.predict({"y": rand(3)})


def nn_model_relu():
    builder = nn_builder({"x": (3,)})
    builder.add_activation("a", "RELU", "x", "y")
    return ct.models.MLModel(builder.spec)


# ---- files and threads ----------------------------------------------------------------------

def test_save_and_reload(tmp_path):
    model = network()
    path = str(tmp_path / "net.mlmodel")
    model.save(path)
    x = rand(4, 6, 6, seed=12)
    np.testing.assert_array_equal(ct.models.MLModel(path).predict({"x": x})["y"], model.predict({"x": x})["y"])


def test_concurrent_predictions_match_serial_ones():
    model = network()
    inputs = [rand(4, 6, 6, seed=100 + i) for i in range(16)]
    serial = [model.predict({"x": x})["y"] for x in inputs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda x: model.predict({"x": x})["y"], inputs * 3))
    for i, out in enumerate(parallel):
        np.testing.assert_array_equal(out, serial[i % len(inputs)])


def test_shapes_classic_outputs_like_core_ml():
    """Rank-5 networks hand back [C, H, W] (or the described shape) for [1, 1, C, H, W] blobs."""
    out = nn_predict(lambda b: b.add_activation("a", "RELU", "x", "y"), {"x": rand(2, 3, 4)})["y"]
    assert out.shape == (2, 3, 4)
    builder = NeuralNetworkBuilder([("x", datatypes.Array(6))], [("y", datatypes.Array(3))])
    builder.add_inner_product("fc", W, B, 6, 3, True, "x", "y")
    assert ct.models.MLModel(builder.spec).predict({"x": rand(6)})["y"].shape == (3,)
