"""NeuralNetworkBuilder (``ct.models.neural_network``): the spec each add_* method
writes (layer kind, blobs, every parameter, weight layout, specification version), the
model interface and pre-processing methods, updatable-model methods, inspection, already
quantized weights given to the builder, and that built models load and save.

The corpus nnb_* models were written by coremltools' own builder; rebuilding them here
must give the identical spec.
"""
import copy
import inspect
import os
import re

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.models import datatypes
from opencoreml.models.neural_network import AdamParams, NeuralNetworkBuilder, SgdParams
from opencoreml.models.neural_network import printer
from opencoreml.models.neural_network import utils as nn_utils
from opencoreml.models.neural_network.quantization_utils import _convert_array_to_nbit_quantized_bytes
from opencoreml.proto import FeatureTypes_pb2
from opencoreml.proto import NeuralNetwork_pb2 as NN

from conftest import case_by_name
from nn_corpus_models import BUILDERS
from nn_layer_cases import all_cases
from nn_spec_checks import assert_fields, new_builder

CASES = all_cases()
DOUBLE = FeatureTypes_pb2.ArrayFeatureType.DOUBLE
FLOAT32 = FeatureTypes_pb2.ArrayFeatureType.FLOAT32


# ---------------------------------------------------------------------------------------
# Every add_* method


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_layer_fields(case):
    builder = new_builder(rank5=case.rank5)
    layer = getattr(builder, case.method)(**copy.deepcopy(case.kwargs))
    assert layer is not None and layer.name == case.kwargs["name"]
    assert list(builder.nn_spec.layers) == [layer]
    assert layer.WhichOneof("layer") == case.kind
    assert list(layer.input) == case.inputs
    assert list(layer.output) == case.outputs
    assert_fields(getattr(layer, case.kind), case.fields)
    assert builder.spec.specificationVersion == case.version
    assert builder.layer_specs[layer.name] is not None and builder.layers == [layer.name]


def test_every_add_method_is_covered():
    methods = {name for name in dir(NeuralNetworkBuilder) if name.startswith("add_")}
    covered = {case.method for case in CASES} | {"add_optionals"}
    assert methods == covered
    assert len(methods) >= 148


def test_duplicate_layer_name_is_rejected():
    builder = new_builder()
    builder.add_softmax("same", "x", "a")
    with pytest.raises(ValueError, match="same"):
        builder.add_activation("same", "RELU", "a", "b")
    assert len(builder.nn_spec.layers) == 1


@pytest.mark.parametrize(
    "method, kwargs, error",
    [
        ("add_activation", dict(name="a", non_linearity="SWISH", input_name="x", output_name="y"), TypeError),
        ("add_elementwise", dict(name="a", input_names=["a", "b"], output_name="y", mode="XOR"), ValueError),
        ("add_upsample", dict(name="a", scaling_factor_h=1.5, scaling_factor_w=2, input_name="x", output_name="y"),
         ValueError),
        ("add_upsample", dict(name="a", scaling_factor_h=2, scaling_factor_w=2, input_name="x", output_name="y",
                              mode="CUBIC"), ValueError),
        ("add_convolution", dict(name="a", kernel_channels=1, output_channels=1, height=1, width=1,
                                 stride_height=1, stride_width=1, border_mode="full", groups=1,
                                 W=np.ones((1, 1, 1, 1)), b=None, has_bias=False), NotImplementedError),
        ("add_convolution", dict(name="a", kernel_channels=1, output_channels=2, height=2, width=2,
                                 stride_height=1, stride_width=1, border_mode="valid", groups=1,
                                 W=np.ones((2, 2, 1, 3)), b=None, has_bias=False), ValueError),
        ("add_convolution3d", dict(name="a", input_channels=1, output_channels=1, depth=1, height=1, width=1,
                                   W=np.ones((1, 1, 1, 1, 1)), b=None, has_bias=False, input_name=["x", "w"]),
         ValueError),
        ("add_convolution3d", dict(name="a", input_channels=1, output_channels=1, depth=1, height=1, width=1,
                                   W=np.ones((1, 1, 1, 1, 1)), b=None, has_bias=False, padding_mode="full"),
         ValueError),
        ("add_pooling", dict(name="a", height=2, width=2, stride_height=1, stride_width=1, layer_type="MAX",
                             padding_type="INCLUDE_LAST_PIXEL", input_name="x", output_name="y", padding_top=1),
         ValueError),
        ("add_pooling", dict(name="a", height=2, width=2, stride_height=1, stride_width=1, layer_type="MAX",
                             padding_type="FULL", input_name="x", output_name="y"), ValueError),
        ("add_padding", dict(name="a", padding_type="wrap"), ValueError),
        ("add_slice", dict(name="a", input_name="x", output_name="y", axis="depth"), NotImplementedError),
        ("add_slice", dict(name="a", input_name="x", output_name="y", axis="channel", start_index=-1), ValueError),
        ("add_slice", dict(name="a", input_name="x", output_name="y", axis="channel", stride=0), ValueError),
        ("add_reorganize_data", dict(name="a", input_name="x", output_name="y", block_size=1), ValueError),
        ("add_reorganize_data", dict(name="a", input_name="x", output_name="y", mode="FOLD"), NotImplementedError),
        ("add_batchnorm", dict(name="a", channels=1, gamma=np.ones(1), beta=np.ones(1), compute_mean_var=True),
         NotImplementedError),
        ("add_permute", dict(name="a", dim=(0, 1, 2), input_name="x", output_name="y"), ValueError),
        ("add_reshape", dict(name="a", input_name="x", output_name="y", target_shape=(2, 3), mode=0), ValueError),
        ("add_reduce", dict(name="a", input_name="x", output_name="y", axis="CHW", mode="median"),
         NotImplementedError),
        ("add_reduce", dict(name="a", input_name="x", output_name="y", axis="S", mode="sum"), NotImplementedError),
        ("add_unary", dict(name="a", input_name="x", output_name="y", mode="cube"), NotImplementedError),
        ("add_flatten", dict(name="a", mode=2, input_name="x", output_name="y"), NotImplementedError),
        ("add_scale", dict(name="a", W=np.ones(3), b=None, has_bias=False, input_name="x", output_name="y",
                           shape_scale=[2]), ValueError),
        ("add_bias", dict(name="a", b=np.ones(6), input_name="x", output_name="y", shape_bias=[2, 3]), ValueError),
        ("add_load_constant", dict(name="a", output_name="y", constant_value=np.ones(6), shape=[6]), ValueError),
        ("add_load_constant_nd", dict(name="a", output_name="y", constant_value=np.ones(6), shape=[2, 2]),
         ValueError),
        ("add_layer_normalization", dict(name="a", input_name="x", output_name="y", normalized_shape=[3],
                                         gamma=np.ones(4), beta=np.ones(3)), ValueError),
        ("add_inner_product", dict(name="a", W=np.ones((2, 2)), b=None, input_channels=3, output_channels=2,
                                   has_bias=False, input_name="x", output_name="y"), ValueError),
        ("add_batched_mat_mul", dict(name="a", input_names=["x", "z"], output_name="y", W=np.ones((2, 2))),
         ValueError),
        ("add_batched_mat_mul", dict(name="a", input_names=["x"], output_name="y"), ValueError),
        ("add_resize_bilinear", dict(name="a", input_name="x", output_name="y", mode="NEAREST"), ValueError),
        ("add_crop_resize", dict(name="a", input_names=["x", "r"], output_name="y", box_indices_mode="XYXY"),
         ValueError),
        ("add_gelu", dict(name="a", input_name="x", output_name="y", mode="ERF"), ValueError),
        ("add_logical", dict(name="a", input_names=["x"], output_name="y", mode="AND"), ValueError),
        ("add_logical", dict(name="a", input_names=["x", "z"], output_name="y", mode="NOT"), ValueError),
        ("add_logical", dict(name="a", input_names=["x", "z"], output_name="y", mode="NAND"), ValueError),
        ("add_scatter", dict(name="a", input_names=["x", "i", "u"], output_name="y", mode="SWAP"), ValueError),
        ("add_range_dynamic", dict(name="a", input_names=[], output_name="y"), ValueError),
        ("add_constant_pad", dict(name="a", input_names=["x"], output_name="y"), ValueError),
        ("add_broadcast_to_like", dict(name="a", input_names=["x"], output_name="y"), ValueError),
        ("add_slice_by_size", dict(name="a", input_names=["x", "b"], output_name="y", axis=0, size=0), ValueError),
        ("add_split_nd", dict(name="a", input_name="x", output_names=["p", "q"], axis=0, num_splits=3), ValueError),
        ("add_slice_static", dict(name="a", input_name="x", output_name="y", begin_ids=[0], end_ids=[1, 2],
                                  strides=[1], begin_masks=[False], end_masks=[False]), ValueError),
        ("add_tile", dict(name="a", input_name="x", output_name="y", reps=[2, 0]), ValueError),
        ("add_simple_rnn", dict(name="a", W_h=np.ones((1, 1)), W_x=np.ones((1, 1)), b=None, hidden_size=1,
                                input_size=1, activation="SOFTMAX", input_names=["x"], output_names=["y"]),
         TypeError),
        ("add_pooling3d", dict(name="a", input_name="x", output_name="y", pooling_type="L2", kernel_depth=1,
                               kernel_height=1, kernel_width=1, stride_depth=1, stride_height=1, stride_width=1),
         ValueError),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_invalid_layer_arguments(method, kwargs, error):
    parameters = inspect.signature(getattr(NeuralNetworkBuilder, method)).parameters
    kwargs = dict(kwargs)
    for blob, default in (("input_name", "x"), ("output_name", "y")):
        if blob in parameters:
            kwargs.setdefault(blob, default)
    builder = new_builder()
    with pytest.raises(error):
        getattr(builder, method)(**kwargs)
    assert len(builder.nn_spec.layers) == 0  # nothing half-added


# ---------------------------------------------------------------------------------------
# Rebuilding models written by coremltools' builder


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_rebuilt_corpus_model_is_identical(name, tmp_path):
    case = case_by_name(name)
    reference = ct.utils.load_spec(case.model_path)
    builder = BUILDERS[name](reference)
    assert builder.spec.specificationVersion == case.info["specification_version"]
    assert builder.spec.SerializeToString(deterministic=True) == reference.SerializeToString(deterministic=True)

    model = ct.models.MLModel(builder.spec)
    path = str(tmp_path / "rebuilt.mlmodel")
    model.save(path)
    assert ct.utils.load_spec(path) == reference


# ---------------------------------------------------------------------------------------
# Specification versions


def test_specification_versions():
    assert new_builder().spec.specificationVersion == 1
    builder = new_builder(rank5=False)
    assert builder.spec.specificationVersion == 4
    assert builder.nn_spec.arrayInputShapeMapping == NN.EXACT_ARRAY_MAPPING
    assert builder.nn_spec.imageInputShapeMapping == NN.RANK4_IMAGE_MAPPING

    # A requirement never lowers a version already higher.
    builder = new_builder(rank5=False)
    builder.spec.specificationVersion = 7
    builder.add_custom("c", ["x"], ["y"])
    builder.add_clamped_relu("r", "y", "z")
    assert builder.spec.specificationVersion == 7

    # Layers that Core ML 3 introduced do not bump the version by themselves (as in coremltools).
    builder = new_builder()
    builder.add_sin("s", "x", "y")
    builder.add_batched_mat_mul("m", ["y", "y"], "z")
    assert builder.spec.specificationVersion == 1


def test_nested_builder_for_branch_bodies():
    builder = new_builder()
    builder.add_load_constant_nd("c", "cond", np.array([1.0]), [1])
    branch = builder.add_branch("branch", "cond")
    then = NeuralNetworkBuilder(nn_spec=branch.branch.ifBranch, disable_rank5_shape_mapping=True)
    then.add_activation("then_relu", "RELU", "x", "y")
    otherwise = NeuralNetworkBuilder(nn_spec=branch.branch.elseBranch, disable_rank5_shape_mapping=True)
    otherwise.add_activation("else_linear", "LINEAR", "x", "y", params=[-1.0, 0.0])
    assert [l.name for l in builder.spec.neuralNetwork.layers[1].branch.ifBranch.layers] == ["then_relu"]
    assert builder.spec.neuralNetwork.layers[1].branch.elseBranch.layers[0].activation.linear.alpha == -1.0

    body = NeuralNetworkBuilder(nn_spec=NN.NeuralNetwork())
    body.add_loop_break("stop")
    loop = builder.add_loop("loop", body_network=body.nn_spec, input_name="cond")
    assert loop.loop.bodyNetwork.layers[0].WhichOneof("layer") == "loopBreak"

    with pytest.raises(ValueError, match="existing MLModel Spec"):
        NeuralNetworkBuilder(spec=builder.spec, nn_spec=NN.NeuralNetwork())


def test_builder_continues_an_existing_spec():
    builder = new_builder()
    builder.add_activation("relu", "RELU", "x", "h")
    again = NeuralNetworkBuilder(spec=builder.spec)
    assert again.layers == ["relu"] and again.nn_spec is builder.spec.neuralNetwork
    again.add_softmax("sm", "h", "y")
    assert [l.name for l in builder.spec.neuralNetwork.layers] == ["relu", "sm"]
    with pytest.raises(ValueError):
        again.add_softmax("relu", "y", "z")


# ---------------------------------------------------------------------------------------
# Model interface


def test_interface_from_constructor():
    builder = NeuralNetworkBuilder(
        [("x", datatypes.Array(3)), ("img", datatypes.Array(3, 8, 8))],
        [("y", datatypes.Array(2)), ("z", None)],
        mode="regressor",
        use_float_arraytype=True,
        training_features=[("x", datatypes.Array(3)), ("target", datatypes.Double())],
    )
    spec = builder.spec
    assert spec.WhichOneof("Type") == "neuralNetworkRegressor"
    x, img = spec.description.input
    assert (x.name, list(x.type.multiArrayType.shape), x.type.multiArrayType.dataType) == ("x", [3], FLOAT32)
    assert list(img.type.multiArrayType.shape) == [3, 8, 8]
    y, z = spec.description.output
    assert list(y.type.multiArrayType.shape) == [2] and y.type.multiArrayType.dataType == FLOAT32
    assert z.type.WhichOneof("Type") == "multiArrayType" and list(z.type.multiArrayType.shape) == []
    assert [f.name for f in spec.description.trainingInput] == ["x", "target"]
    assert spec.description.trainingInput[1].type.WhichOneof("Type") == "doubleType"
    assert builder.rank_dict == {"x": 1, "img": 3}

    classifier = NeuralNetworkBuilder([("x", datatypes.Array(3))], [("p", None)], mode="classifier")
    assert classifier.spec.WhichOneof("Type") == "neuralNetworkClassifier"
    assert classifier.spec.description.input[0].type.multiArrayType.dataType == DOUBLE


def test_set_input_output_and_training_input():
    builder = NeuralNetworkBuilder([("a", datatypes.Array(1)), ("b", datatypes.Array(1))],
                                   [("o", datatypes.Array(1)), ("p", datatypes.Array(1))], use_float_arraytype=True)
    builder.set_input(["data", "seq"], [(3, 10, 12), (4, 7)])
    data, seq = builder.spec.description.input
    assert (data.name, list(data.type.multiArrayType.shape)) == ("data", [3, 10, 12])
    assert (seq.name, list(seq.type.multiArrayType.shape)) == ("seq", [7])  # rank 2 keeps the last dimension
    assert data.type.multiArrayType.dataType == DOUBLE
    builder.set_output(["out", "aux"], [(5,), (1, 2, 3)])
    assert [(o.name, list(o.type.multiArrayType.shape)) for o in builder.spec.description.output] == [
        ("out", [5]), ("aux", [1, 2, 3])]
    builder.set_training_input([("data", datatypes.Array(3, 10, 12)), ("label", "Int64")])
    assert [t.name for t in builder.spec.description.trainingInput] == ["data", "label"]
    assert builder.spec.description.trainingInput[1].type.WhichOneof("Type") == "int64Type"

    with pytest.raises(ValueError):
        builder.set_input(["only_one"], [(1,), (2,)])
    with pytest.raises(ValueError):
        builder.set_output(["o"], [(1,), (2,)])
    with pytest.raises(RuntimeError, match="rank 4"):
        builder.set_input(["data", "seq"], [(1, 2, 3, 4), (1,)])
    nd = new_builder(rank5=False)
    nd.set_input(["x"], [(1, 2, 3, 4)])
    assert list(nd.spec.description.input[0].type.multiArrayType.shape) == [1, 2, 3, 4]


def _softmax_classifier(mode="classifier"):
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3))], [("probs", datatypes.Array(2))], mode=mode)
    builder.add_inner_product("ip", np.eye(2, 3), np.zeros(2), 3, 2, True, "x", "logits")
    builder.add_softmax("sm", "logits", "probs")
    return builder


def test_set_class_labels():
    builder = _softmax_classifier()
    builder.set_class_labels(["cat", "dog"])
    spec = builder.spec
    probs, label = spec.description.output
    assert probs.type.dictionaryType.WhichOneof("KeyType") == "stringKeyType"
    assert (label.name, label.type.WhichOneof("Type")) == ("classLabel", "stringType")
    assert spec.description.predictedFeatureName == "classLabel"
    assert spec.description.predictedProbabilitiesName == "probs"
    assert list(spec.neuralNetworkClassifier.stringClassLabels.vector) == ["cat", "dog"]
    assert spec.neuralNetworkClassifier.labelProbabilityLayerName == "probs"

    builder = _softmax_classifier()
    builder.set_class_labels([3, 7], predicted_feature_name="digit", prediction_blob="logits")
    spec = builder.spec
    assert spec.description.output[0].type.dictionaryType.WhichOneof("KeyType") == "int64KeyType"
    assert spec.description.output[1].type.WhichOneof("Type") == "int64Type"
    assert list(spec.neuralNetworkClassifier.int64ClassLabels.vector) == [3, 7]
    assert spec.neuralNetworkClassifier.labelProbabilityLayerName == "logits"

    with pytest.raises(TypeError):
        _softmax_classifier().set_class_labels([0.5, 1.5])
    with pytest.raises(TypeError):
        _softmax_classifier().set_class_labels(["a", 1])
    empty = NeuralNetworkBuilder([("x", datatypes.Array(3))], [], mode="classifier")
    with pytest.raises(ValueError, match="at least one output"):
        empty.set_class_labels(["a"])


def test_set_optional_input_and_add_optionals():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3)), ("s", datatypes.Array(1))], [("y", None)],
                                   disable_rank5_shape_mapping=True)
    builder.set_optional_input(0)
    assert builder.spec.description.input[0].type.isOptional
    assert builder.spec.specificationVersion == 4
    builder.set_optional_input(1, value=2.5, format="double")
    array = builder.spec.description.input[1].type.multiArrayType
    assert array.WhichOneof("defaultOptionalValue") == "doubleDefaultValue" and array.doubleDefaultValue == 2.5
    assert builder.spec.specificationVersion == 5
    builder.set_optional_input(1, value=3, format="int")
    assert array.intDefaultValue == 3
    builder.set_optional_input(1, value=1.25)
    assert array.floatDefaultValue == 1.25
    with pytest.raises(ValueError):
        builder.set_optional_input(1, value=1, format="half")
    with pytest.raises(ValueError, match="out of 2"):
        builder.set_optional_input(2)

    builder = NeuralNetworkBuilder([("x", datatypes.Array(3))], [("y", datatypes.Array(3))],
                                   use_float_arraytype=True)
    builder.add_optionals([("h", 4), ("c", (2, 3))], [("h_out", 4), ("c_out", None)])
    inputs = builder.spec.description.input
    assert [(f.name, list(f.type.multiArrayType.shape), f.type.isOptional) for f in inputs] == [
        ("x", [3], False), ("h", [4], True), ("c", [2, 3], True)]
    assert all(f.type.multiArrayType.dataType == DOUBLE for f in inputs[1:])
    outputs = builder.spec.description.output
    assert [(f.name, list(f.type.multiArrayType.shape)) for f in outputs] == [
        ("y", [3]), ("h_out", [4]), ("c_out", [])]
    builder.add_optionals([], [])
    assert len(builder.spec.description.input) == 3


# ---------------------------------------------------------------------------------------
# Image pre-processing


def test_pre_processing_makes_image_inputs():
    builder = NeuralNetworkBuilder(
        [("rgb", datatypes.Array(3, 20, 30)), ("gray", datatypes.Array(1, 8, 9)), ("v", datatypes.Array(4))],
        [("y", None)])
    builder.set_pre_processing_parameters(
        image_input_names=["rgb", "gray"], is_bgr={"rgb": True}, red_bias=-1.0, green_bias={"rgb": 2.0},
        blue_bias=3.0, gray_bias={"gray": 0.5}, image_scale={"rgb": 1 / 255.0})
    rgb, gray, v = builder.spec.description.input
    assert rgb.type.WhichOneof("Type") == "imageType"
    assert (rgb.type.imageType.width, rgb.type.imageType.height) == (30, 20)
    assert rgb.type.imageType.colorSpace == FeatureTypes_pb2.ImageFeatureType.BGR
    assert gray.type.imageType.colorSpace == FeatureTypes_pb2.ImageFeatureType.GRAYSCALE
    assert (gray.type.imageType.width, gray.type.imageType.height) == (9, 8)
    assert v.type.WhichOneof("Type") == "multiArrayType"
    first, second = builder.nn_spec.preprocessing
    assert first.featureName == "rgb"
    assert_fields(first.scaler, {"channelScale": 1 / 255.0, "redBias": -1.0, "greenBias": 2.0, "blueBias": 3.0,
                                 "grayBias": 0.0})
    assert second.featureName == "gray"
    assert_fields(second.scaler, {"channelScale": 1.0, "grayBias": 0.5, "redBias": -1.0})

    builder = NeuralNetworkBuilder([("img", datatypes.Array(3, 2, 2))], [("y", None)])
    builder.set_pre_processing_parameters(["img"])
    assert builder.spec.description.input[0].type.imageType.colorSpace == FeatureTypes_pb2.ImageFeatureType.RGB
    builder.set_pre_processing_parameters(None)  # nothing to do
    assert len(builder.nn_spec.preprocessing) == 1


def test_pre_processing_channels_last():
    # Every use of the input converts NHWC to NCHW: the conversions are removed.
    builder = NeuralNetworkBuilder([("img", datatypes.Array(4, 5, 3))], [("y", None), ("z", None)],
                                   disable_rank5_shape_mapping=True)
    builder.add_transpose("to_chw", [2, 0, 1], "img", "chw")
    builder.add_activation("relu", "RELU", "chw", "y")
    builder.add_transpose("to_chw_2", [2, 0, 1], "img", "chw2")
    builder.add_activation("tanh", "TANH", "chw2", "z")
    builder.set_pre_processing_parameters(["img"], image_format="NHWC")
    image = builder.spec.description.input[0].type.imageType
    assert (image.height, image.width, image.colorSpace) == (4, 5, FeatureTypes_pb2.ImageFeatureType.RGB)
    assert [(l.name, list(l.input)) for l in builder.nn_spec.layers] == [("relu", ["img"]), ("tanh", ["img"])]
    assert builder.layers == ["relu", "tanh"]

    # Otherwise a conversion back to NHWC is inserted first.
    builder = NeuralNetworkBuilder([("img", datatypes.Array(1, 4, 5, 3))], [("y", None)],
                                   disable_rank5_shape_mapping=True)
    builder.add_activation("relu", "RELU", "img", "y")
    builder.set_pre_processing_parameters(["img"], image_format="nhwc")
    first, second = builder.nn_spec.layers
    assert (first.name, list(first.input), list(first.output)) == ("img_to_nhwc", ["img"], ["img_to_nhwc"])
    assert list(first.transpose.axes) == [0, 2, 3, 1]
    assert list(second.input) == ["img_to_nhwc"]
    assert builder.spec.description.input[0].type.imageType.width == 5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(image_format="CHWN"), "NCHW"),
        (dict(red_bias={"other": 1.0}), "Invalid key other in red_bias"),
        (dict(is_bgr={"other": True}), "Invalid key other in is_bgr"),
    ],
)
def test_pre_processing_errors(kwargs, message):
    builder = NeuralNetworkBuilder([("img", datatypes.Array(3, 4, 5))], [("y", None)])
    with pytest.raises(ValueError, match=message):
        builder.set_pre_processing_parameters(["img"], **kwargs)


def test_pre_processing_needs_one_or_three_channels():
    builder = NeuralNetworkBuilder([("img", datatypes.Array(2, 4, 5)), ("v", datatypes.Array(5))], [("y", None)])
    with pytest.raises(ValueError, match="Channel Value 2"):
        builder.set_pre_processing_parameters(["img"])
    with pytest.raises(ValueError, match="rank 1"):
        builder.set_pre_processing_parameters(["v"])


# ---------------------------------------------------------------------------------------
# Updatable models


def test_make_updatable_with_cross_entropy_and_sgd(capsys):
    builder = _softmax_classifier(mode=None)
    builder.make_updatable(["ip"])
    spec = builder.spec
    assert spec.isUpdatable and spec.specificationVersion == 4
    layer = builder.layer_specs["ip"]
    assert layer.isUpdatable and layer.innerProduct.weights.isUpdatable and layer.innerProduct.bias.isUpdatable
    assert builder.nn_spec.updateParams.shuffle.defaultValue

    builder.set_categorical_cross_entropy_loss("loss", input="probs")
    assert "probs_true" in capsys.readouterr().out
    loss = builder.nn_spec.updateParams.lossLayers[0]
    assert (loss.name, loss.categoricalCrossEntropyLossLayer.input,
            loss.categoricalCrossEntropyLossLayer.target) == ("loss", "probs", "probs_true")
    x, target = spec.description.trainingInput
    assert x.name == "x"
    assert target.name == "probs_true"
    assert target.type.multiArrayType.dataType == FeatureTypes_pb2.ArrayFeatureType.INT32
    assert list(target.type.multiArrayType.shape) == [1]

    params = SgdParams(lr=0.1, batch=4, momentum=0.5)
    params.set_lr(0.2, 0.001, 0.5)
    params.set_batch(8, [4, 8, 16])
    builder.set_sgd_optimizer(params)
    sgd = builder.nn_spec.updateParams.optimizer.sgdOptimizer
    assert_fields(sgd, {"learningRate.defaultValue": 0.2, "learningRate.range.minValue": 0.001,
                        "learningRate.range.maxValue": 0.5, "miniBatchSize.defaultValue": 8,
                        "miniBatchSize.set.values": [4, 8, 16], "momentum.defaultValue": 0.5,
                        "momentum.range.minValue": 0.0, "momentum.range.maxValue": 1.0})
    builder.set_epochs(20, [10, 20, 30])
    assert_fields(builder.nn_spec.updateParams, {"epochs.defaultValue": 20, "epochs.set.values": [10, 20, 30]})
    builder.set_shuffle(seed=11)
    assert builder.nn_spec.updateParams.seed.defaultValue == 11

    builder.inspect_loss_layers()
    builder.inspect_optimizer()
    builder.inspect_updatable_layers()
    out = capsys.readouterr().out
    assert "Name: loss (Type: categoricalCrossEntropyLossLayer)" in out
    assert "Loss Target: probs_true" in out
    assert "Optimizer Type: sgdOptimizer" in out and "momentum: 0.5, min: 0.0, max: 1.0" in out
    assert "Name: ip (Type: innerProduct)" in out


def test_classifier_cross_entropy_uses_the_label_feature():
    builder = _softmax_classifier()
    builder.set_class_labels(["a", "b"])
    builder.make_updatable(["ip"])
    builder.set_categorical_cross_entropy_loss("loss", "probs")
    target = builder.spec.description.trainingInput[-1]
    assert (target.name, target.type.WhichOneof("Type")) == ("classLabel", "stringType")


def test_mean_squared_error_and_adam():
    builder = _softmax_classifier(mode=None)
    builder.make_updatable(["ip"])
    builder.set_mean_squared_error_loss("mse", ("probs", datatypes.Array(2)))
    loss = builder.nn_spec.updateParams.lossLayers[0].meanSquaredErrorLossLayer
    assert (loss.input, loss.target) == ("probs", "probs_true")
    target = builder.spec.description.trainingInput[-1]
    assert list(target.type.multiArrayType.shape) == [2] and target.type.multiArrayType.dataType == DOUBLE
    builder.set_adam_optimizer(AdamParams(lr=0.02, batch=5, beta1=0.8, beta2=0.9, eps=1e-6))
    adam = builder.nn_spec.updateParams.optimizer.adamOptimizer
    assert_fields(adam, {"learningRate.defaultValue": 0.02, "miniBatchSize.defaultValue": 5,
                         "miniBatchSize.set.values": [5], "beta1.defaultValue": 0.8, "beta2.defaultValue": 0.9,
                         "eps.defaultValue": 1e-6, "eps.range.maxValue": 1.0})
    builder.set_epochs()
    assert list(builder.nn_spec.updateParams.epochs.set.values) == [1]


def test_updatable_errors():
    builder = _softmax_classifier(mode=None)
    with pytest.raises(ValueError, match="does not exist"):
        builder.make_updatable(["nope"])
    with pytest.raises(ValueError, match="not supported to be marked as updatable"):
        builder.make_updatable(["sm"])
    with pytest.raises(ValueError, match="softmax layer output"):
        builder.set_categorical_cross_entropy_loss("loss", "logits")
    with pytest.raises(ValueError, match="tuple"):
        builder.set_mean_squared_error_loss("loss", ("probs", datatypes.Double()))
    with pytest.raises(Exception, match="SgdParams"):
        builder.set_sgd_optimizer(AdamParams())
    with pytest.raises(TypeError):
        builder.set_shuffle(seed=1.5)
    with pytest.raises(ValueError):
        SgdParams().set_lr(0.1, 1.0, 0.5)
    with pytest.raises(ValueError):
        AdamParams().set_batch(2, [2, 2])

    half = _softmax_classifier(mode=None)
    ct.utils._convert_neural_network_spec_weights_to_fp16(half.spec)
    with pytest.raises(ValueError, match="FP16"):
        half.make_updatable(["ip"])


# ---------------------------------------------------------------------------------------
# Inspection and printing


def test_inspect_methods(capsys):
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3, 8, 8))], [("y", None)])
    builder.add_convolution("conv", 3, 4, 3, 3, 1, 1, "same", 1, np.ones((3, 3, 3, 4)), None, False,
                            input_name="x", output_name="c")
    builder.add_inner_product("ip", np.ones((2, 4)), None, 4, 2, False, "c", "y")
    builder.inspect_layers(last=1, verbose=True)
    out = capsys.readouterr().out
    assert "[Id: 1], Name: ip (Type: innerProduct)" in out and "conv" not in out
    assert "inputChannels = 4" in out and "weights = (8 floatValues)" in out
    builder.inspect_input_features()
    builder.inspect_output_features()
    builder.inspect_conv_channels("conv")
    builder.inspect_innerproduct_channels("ip")
    out = capsys.readouterr().out
    assert "[Id: 0] Name: x" in out and "[Id: 0] Name: y" in out
    assert "outputChannels: 4\nkernelChannels: 3" in out
    assert "inputChannels: 4\noutputChannels: 2" in out
    with pytest.raises(ValueError, match="not a convolution"):
        builder.inspect_conv_channels("ip")
    with pytest.raises(ValueError, match="does not exist"):
        builder.inspect_innerproduct_channels("missing")


def test_print_network_spec(capsys):
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3))], [("y", None)])
    builder.add_inner_product("ip", np.ones((2, 3)), np.zeros(2), 3, 2, True, "x", "h")
    builder.add_load_constant("k", "k", np.array([1.0, 2.0]), [2, 1, 1])
    builder.add_elementwise("add", ["h", "k"], "y", "ADD")
    printer.print_network_spec(builder.spec)
    out = capsys.readouterr().out
    assert "Inputs:\n  x [3]" in out
    assert "[0] (innerProduct) ip" in out and "Input blobs: ['x']" in out
    assert "weights = (6 floatValues)" in out
    printer.print_network_spec(builder.spec, style="coding")
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)  # without the colours
    assert "def model(x):" in out and "h =" in out and "innerProduct" in out
    assert "k = loadConstant (shape = (1, 1, 2, 1, 1),  value = [1.0, 2.0] )" in out
    assert "y = add (h, k)" in out and "return y" in out
    printer.print_network_spec(builder.spec, interface_only=True)
    assert "Layers" not in capsys.readouterr().out


# ---------------------------------------------------------------------------------------
# Weights given already quantized


def test_quantized_inner_product_bits_are_packed_most_significant_first():
    codes = np.array([1, 2, 3, 4, 5, 6, 7, 0, 5, 5, 2, 6], dtype=np.uint8)  # (4, 3), 3 bits each
    raw = _convert_array_to_nbit_quantized_bytes(codes, 3).tobytes()
    # 001 010 011 100 | 101 110 111 000 | 101 101 010 110 -> 0x29 0xCB 0xB8 0xB6 0xB6 (padding zeros)
    assert raw == bytes([0b00101001, 0b11001011, 0b10111000, 0b10110101, 0b01100000])
    builder = new_builder()
    layer = builder.add_inner_product("ip", raw, None, 3, 4, False, "x", "y", is_quantized_weight=True,
                                      quantization_type="linear", nbits=3, quant_scale=[0.5, 1, 2, 4],
                                      quant_bias=[-1.0])
    weights = layer.innerProduct.weights
    assert weights.rawValue == raw and len(weights.floatValue) == 0
    assert weights.quantization.numberOfBits == 3
    assert list(weights.quantization.linearQuantization.scale) == [0.5, 1, 2, 4]
    assert list(weights.quantization.linearQuantization.bias) == [-1.0]
    assert builder.spec.specificationVersion == 1  # as coremltools' builder leaves it


def test_quantized_convolution_weights_are_reordered():
    # Codes given in the builder's (height, width, kernel_channels, output_channels) layout.
    codes = np.arange(2 * 2 * 1 * 2, dtype=np.uint8).reshape(2, 2, 1, 2) % 4
    expected = codes.transpose(3, 2, 0, 1).reshape(-1)  # stored (output_channels, kernel_channels, h, w)
    for nbits in (2, 8):
        raw = _convert_array_to_nbit_quantized_bytes(codes.reshape(-1), nbits).tobytes() if nbits < 8 else \
            codes.reshape(-1).tobytes()
        builder = new_builder()
        lut = list(np.arange(2 ** nbits, dtype=np.float32))
        layer = builder.add_convolution("conv", 1, 2, 2, 2, 1, 1, "valid", 1, raw, None, False, input_name="x",
                                        output_name="y", quantization_type="lut", nbits=nbits, quant_lut=lut)
        stored = layer.convolution.weights.rawValue
        want = expected.tobytes() if nbits == 8 else _convert_array_to_nbit_quantized_bytes(expected, nbits).tobytes()
        assert stored == want
        assert list(layer.convolution.weights.quantization.lookupTableQuantization.floatValue) == lut


def test_quantized_batched_matmul_is_transposed_and_int8():
    codes = np.array([[1, 2], [3, 4], [5, 31]], dtype=np.uint8)  # (rows=3, columns=2), 5 bits
    raw = _convert_array_to_nbit_quantized_bytes(codes.reshape(-1), 5).tobytes()
    builder = new_builder(rank5=False)
    layer = builder.add_batched_mat_mul("mm", ["x"], "y", weight_matrix_rows=3, weight_matrix_columns=2, W=raw,
                                        is_quantized_weight=True, quantization_type="linear", nbits=5,
                                        quant_scale=[0.5, 2.0], quant_bias=[1.0, -1.0])
    want = _convert_array_to_nbit_quantized_bytes(codes.T.reshape(-1), 5).tobytes()
    assert layer.batchedMatmul.weights.rawValue == want

    int8 = np.array([[-3, 2], [1, 0], [127, -128]], dtype=np.int8)
    layer = builder.add_batched_mat_mul("mm8", ["x"], "z", weight_matrix_rows=3, weight_matrix_columns=2,
                                        W=int8.tobytes(), int_8_dynamic_quantize=True, is_quantized_weight=True,
                                        quant_scale=np.array([0.25]))
    params = layer.batchedMatmul
    assert params.int8DynamicQuantize
    assert params.weights.int8RawValue == int8.T.tobytes() and params.weights.rawValue == b""
    assert list(params.weights.quantization.linearQuantization.scale) == [0.25]
    assert list(params.weights.quantization.linearQuantization.bias) == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(quantization_type="linear", nbits=3, quant_scale=[1.0]), "quant_scale and quant_bias"),
        (dict(quantization_type="lut", nbits=2, quant_lut=[0.0, 1.0]), "2\\^nbits"),
        (dict(quantization_type="lut", nbits=2), "quant_lut must be provided"),
        (dict(quantization_type="linear", nbits=9, quant_scale=[1.0], quant_bias=[0.0]), "between 1 and 8"),
        (dict(quantization_type="kmeans", nbits=3), "linear or lut"),
        (dict(quantization_type="linear", nbits=3, quant_scale=[1.0, 2.0], quant_bias=[0.0]), "quant_scale"),
        (dict(quantization_type="linear", nbits=4, quant_scale=[1.0], quant_bias=[0.0]), "bytes"),
        (dict(int_8_dynamic_quantize=True, nbits=8, quant_scale=np.array([1.0, 2.0])), "size 1"),
    ],
)
def test_quantized_weight_argument_errors(kwargs, message):
    raw = _convert_array_to_nbit_quantized_bytes(np.zeros(12, dtype=np.uint8), 3).tobytes()  # 12 3-bit codes
    builder = new_builder()
    with pytest.raises(ValueError, match=message):
        builder.add_inner_product("ip", raw, None, 3, 4, False, "x", "y", is_quantized_weight=True, **kwargs)
    assert len(builder.nn_spec.layers) == 0


# ---------------------------------------------------------------------------------------
# Built models load and save


def _sample_models():
    """Complete (every blob produced) networks of each family of layers."""
    rng = np.random.default_rng(3)
    cnn = NeuralNetworkBuilder([("img", datatypes.Array(3, 8, 8))], [("probs", datatypes.Array(4))],
                               mode="classifier")
    cnn.add_convolution("conv", 3, 6, 3, 3, 1, 1, "same", 1, rng.standard_normal((3, 3, 3, 6)),
                        rng.standard_normal(6), True, input_name="img", output_name="c")
    cnn.add_batchnorm("bn", 6, np.ones(6), np.zeros(6), np.zeros(6), np.ones(6), input_name="c", output_name="b")
    cnn.add_activation("relu", "RELU", "b", "r")
    cnn.add_pooling("pool", 2, 2, 2, 2, "MAX", "VALID", "r", "p")
    cnn.add_pooling("gap", 0, 0, 0, 0, "AVERAGE", "VALID", "p", "g", is_global=True)
    cnn.add_flatten("flat", 0, "g", "f")
    cnn.add_inner_product("fc", rng.standard_normal((4, 6)), np.zeros(4), 6, 4, True, "f", "logits")
    cnn.add_softmax("sm", "logits", "probs")
    cnn.set_class_labels(["a", "b", "c", "d"])
    cnn.set_pre_processing_parameters(["img"], image_scale=1 / 255.0)

    rnn = NeuralNetworkBuilder([("seq", datatypes.Array(5))], [("y", None)])
    w = lambda *s: rng.standard_normal(s)  # noqa: E731
    rnn.add_unilstm("lstm", [w(4, 4)] * 4, [w(4, 5)] * 4, [w(4)] * 4, 4, 5, ["seq"], ["h1"], output_all=True)
    rnn.add_gru("gru", [w(4, 4)] * 3, [w(4, 4)] * 3, None, 4, 4, ["h1"], ["h2"], output_all=True)
    rnn.add_simple_rnn("rnn", w(4, 4), w(4, 4), w(4), 4, 4, "TANH", ["h2"], ["y"])

    nd = NeuralNetworkBuilder([("a", datatypes.Array(2, 3)), ("b", datatypes.Array(3, 4))], [("y", None)],
                              disable_rank5_shape_mapping=True)
    nd.add_batched_mat_mul("mm", ["a", "b"], "ab")
    nd.add_reduce_mean("mean", "ab", "m", axes=[-1], keepdims=True)
    nd.add_subtract_broadcastable("center", ["ab", "m"], "c")
    nd.add_gelu("gelu", "c", "g", mode="TANH_APPROXIMATION")
    nd.add_clamped_relu("clamp", "g", "y", beta=2.0)

    control = NeuralNetworkBuilder([("x", datatypes.Array(1))], [("y", datatypes.Array(1))],
                                   disable_rank5_shape_mapping=True)
    control.add_greater_than("positive", ["x"], "cond", alpha=0.0)
    branch = control.add_branch("branch", "cond")
    NeuralNetworkBuilder(nn_spec=branch.branch.ifBranch).add_copy("keep", "x", "y")
    NeuralNetworkBuilder(nn_spec=branch.branch.elseBranch).add_activation("negate", "LINEAR", "x", "y",
                                                                          params=[-1.0, 0.0])

    quantized = ct.models.MLModel(copy.deepcopy(cnn.spec))
    from opencoreml.models.neural_network import quantization_utils
    quantized = quantization_utils.quantize_weights(quantized, 4, "kmeans_lut").get_spec()
    return {"cnn": cnn.spec, "rnn": rnn.spec, "nd": nd.spec, "control": control.spec, "quantized": quantized}


@pytest.mark.parametrize("name", ["cnn", "rnn", "nd", "control", "quantized"])
def test_built_models_load_and_save(name, tmp_path):
    spec = _sample_models()[name]
    model = ct.models.MLModel(spec)
    assert model.get_spec() == spec
    path = str(tmp_path / (name + ".mlmodel"))
    model.save(path)
    assert os.path.getsize(path) > 0
    reloaded = ct.models.MLModel(path)
    assert reloaded.get_spec() == spec


# ---------------------------------------------------------------------------------------
# neural_network.utils


def _plain_network():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(4, 5, 3)), ("v", datatypes.Array(3))],
                                   [("probs", datatypes.Array(3))], disable_rank5_shape_mapping=True)
    builder.add_transpose("chw", [2, 0, 1], "x", "t")
    builder.add_activation("relu", "RELU", "t", "r")
    builder.add_inner_product("ip", np.eye(3), None, 3, 3, False, "v", "logits")
    builder.add_softmax_nd("sm", "logits", "probs", axis=-1)
    return ct.models.MLModel(builder.spec)


def test_make_nn_classifier(tmp_path):
    model = nn_utils.make_nn_classifier(_plain_network(), ["a", "b", "c"])
    spec = model.get_spec()
    assert spec.WhichOneof("Type") == "neuralNetworkClassifier"
    assert [l.name for l in spec.neuralNetworkClassifier.layers] == ["chw", "relu", "ip", "sm"]
    assert list(spec.neuralNetworkClassifier.stringClassLabels.vector) == ["a", "b", "c"]
    assert spec.description.predictedFeatureName == "classLabel"

    labels = tmp_path / "labels.txt"
    labels.write_text("7\n8\n9\n")
    spec = nn_utils.make_nn_classifier(_plain_network(), str(labels), predicted_feature_name="k",
                                       predicted_probabilities_output="logits").get_spec()
    assert list(spec.neuralNetworkClassifier.stringClassLabels.vector) == ["7", "8", "9"]
    assert spec.neuralNetworkClassifier.labelProbabilityLayerName == "logits"
    assert spec.description.predictedFeatureName == "k"
    with pytest.raises(ValueError, match="does not exist"):
        nn_utils.make_nn_classifier(_plain_network(), str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="neuralNetwork"):
        nn_utils.make_nn_classifier(model, ["a", "b", "c"])


def test_make_image_input():
    model = nn_utils.make_image_input(_plain_network(), "x", is_bgr=True, red_bias=1.0, scale=0.5)
    spec = model.get_spec()
    image = spec.description.input[0].type.imageType
    assert (image.height, image.width, image.colorSpace) == (4, 5, FeatureTypes_pb2.ImageFeatureType.BGR)
    assert [l.name for l in spec.neuralNetwork.layers] == ["relu", "ip", "sm"]  # NHWC transpose folded away
    scaler = spec.neuralNetwork.preprocessing[0].scaler
    assert_fields(scaler, {"channelScale": 0.5, "redBias": 1.0})
    with pytest.raises(ValueError, match="not an existing input"):
        nn_utils.make_image_input(_plain_network(), "nope")
    with pytest.raises(ValueError, match="must be of type neuralNetwork"):
        nn_utils.make_image_input(ct.models.MLModel(case_by_name("sk_linear_regression").model_path), "x")
