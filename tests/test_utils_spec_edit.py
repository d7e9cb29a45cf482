"""Spec editing in opencoreml.models.utils on real corpus models: rename_feature,
convert_double_to_float_multiarray_type and float16 conversion of neural-network weights.

Every check locates each occurrence of a name (or each weight) by its path in the message
tree, asserts exactly the expected paths changed, and that undoing those changes gives back
the original spec, so nothing else was touched."""
import copy

import numpy as np
import pytest

from conftest import case_by_name
from opencoreml.models import utils
from opencoreml.proto import FeatureTypes_pb2, Model_pb2

DOUBLE = FeatureTypes_pb2.ArrayFeatureType.DOUBLE
FLOAT32 = FeatureTypes_pb2.ArrayFeatureType.FLOAT32


def load(case_name):
    with open(case_by_name(case_name).spec_file, "rb") as f:
        return Model_pb2.Model.FromString(f.read())


# --- walking the message tree ---------------------------------------------------------


def _children(msg):
    """(key, value) of every set field; repeated and map fields contribute one per element."""
    for field, value in msg.ListFields():
        if field.type == field.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            for key in sorted(value):
                yield (field.name, key), value[key]
        elif field.is_repeated:
            for i, item in enumerate(value):
                yield (field.name, i), item
        else:
            yield (field.name,), value


def walk(msg, path=()):
    """Yield (path, value) for every scalar and message in the tree under ``msg``."""
    for key, value in _children(msg):
        yield path + key, value
        if hasattr(value, "ListFields"):
            yield from walk(value, path + key)


def string_paths(msg, text):
    return {path for path, value in walk(msg) if isinstance(value, str) and value == text}


def get_at(msg, path):
    for key in path:
        # In a message a key is a field name; in a repeated or map field, an index or key.
        msg = getattr(msg, key) if hasattr(msg, "ListFields") else msg[key]
    return msg


def set_string_at(msg, path, value):
    parent = get_at(msg, path[:-1])
    if isinstance(path[-1], str):
        setattr(parent, path[-1], value)
    else:
        parent[path[-1]] = value


def is_op_attribute(path):
    return "attributes" in path


def is_layer_name(path):
    return len(path) >= 2 and path[-1] == "name" and path[-3] == "layers"


def check_rename(spec, old, new, expected_paths, **flags):
    """Rename and check that exactly ``expected_paths`` went from ``old`` to ``new``."""
    original = copy.deepcopy(spec)
    assert not string_paths(original, new), "test needs a name not used yet"
    old_paths = string_paths(original, old)
    assert expected_paths <= old_paths

    utils.rename_feature(spec, old, new, **flags)

    assert string_paths(spec, new) == expected_paths
    assert string_paths(spec, old) == old_paths - expected_paths
    restored = copy.deepcopy(spec)
    for path in expected_paths:
        set_string_at(restored, path, old)
    assert restored == original
    assert Model_pb2.Model.FromString(spec.SerializeToString()) == spec


# --- rename_feature: neural networks ---------------------------------------------------


def test_rename_nn_input():
    spec = load("torch_mlp_nn")
    expected = {("description", "input", 0, "name"), ("neuralNetwork", "layers", 0, "input", 0)}
    check_rename(spec, "x", "features", expected)
    assert spec.description.input[0].name == "features"
    assert spec.neuralNetwork.layers[0].input[0] == "features"


def test_rename_nn_output_keeps_layer_name():
    spec = load("torch_mlp_nn")
    # The last layer is itself called "y"; layer names are not feature names.
    old = string_paths(spec, "y")
    expected = {p for p in old if not is_layer_name(p)}
    assert len(old - expected) == 1
    check_rename(spec, "y", "out.1", expected)
    assert spec.neuralNetwork.layers[-1].name == "y"
    assert list(spec.neuralNetwork.layers[-1].output) == ["out.1"]


def test_rename_nn_output_that_feeds_other_layers():
    spec = load("nnb_conv_pool")
    old = string_paths(spec, "conv_bn_relu")
    consumers = [l.name for l in spec.neuralNetwork.layers if "conv_bn_relu" in l.input]
    assert len(consumers) >= 5
    # Producer, consumers and the output feature are one blob: all follow, even when only
    # outputs are searched.
    check_rename(spec, "conv_bn_relu", "renamed", old, rename_inputs=False)
    for layer in spec.neuralNetwork.layers:
        if layer.name in consumers:
            assert "renamed" in layer.input


def test_rename_nn_output_named_like_a_layer():
    spec = load("nnb_conv_pool")
    old = string_paths(spec, "maxpool")
    expected = {p for p in old if not is_layer_name(p)}
    check_rename(spec, "maxpool", "pooled", expected)
    assert any(l.name == "maxpool" for l in spec.neuralNetwork.layers)


@pytest.mark.parametrize(
    "name, flags",
    [
        ("no_such_feature", {}),
        ("input.1", {}),  # a blob inside the network, not a feature
        ("x", {"rename_inputs": False}),
        ("y", {"rename_outputs": False}),
        ("x", {"rename_inputs": False, "rename_outputs": False}),
    ],
)
def test_rename_noop(name, flags):
    spec = load("torch_mlp_nn")
    original = copy.deepcopy(spec)
    utils.rename_feature(spec, name, "something_else", **flags)
    assert spec == original


def _nn_classifier():
    spec = Model_pb2.Model(specificationVersion=4)
    spec.description.input.add(name="data").type.multiArrayType.shape.append(3)
    spec.description.output.add(name="classLabel").type.stringType.SetInParent()
    spec.description.output.add(name="probs").type.dictionaryType.stringKeyType.SetInParent()
    spec.description.predictedFeatureName = "classLabel"
    spec.description.predictedProbabilitiesName = "probs"
    nn = spec.neuralNetworkClassifier
    nn.stringClassLabels.vector.extend(["a", "b", "c"])
    layer = nn.layers.add(name="probs", input=["data"], output=["probs"])
    layer.softmax.SetInParent()
    nn.labelProbabilityLayerName = "probs"
    return spec


def test_rename_nn_classifier_probabilities():
    spec = _nn_classifier()
    expected = {
        ("description", "output", 1, "name"),
        ("description", "predictedProbabilitiesName"),
        ("neuralNetworkClassifier", "layers", 0, "output", 0),
        ("neuralNetworkClassifier", "labelProbabilityLayerName"),
    }
    check_rename(spec, "probs", "scores", expected)


def test_rename_nn_classifier_label():
    spec = _nn_classifier()
    expected = {("description", "output", 0, "name"), ("description", "predictedFeatureName")}
    check_rename(spec, "classLabel", "label", expected)


def test_rename_nn_image_preprocessing():
    spec = load("torch_image_rgb_nn")
    name = spec.description.input[0].name
    assert spec.neuralNetwork.preprocessing[0].featureName == name
    expected = {p for p in string_paths(spec, name) if not is_layer_name(p)}
    check_rename(spec, name, "picture", expected)
    assert spec.neuralNetwork.preprocessing[0].featureName == "picture"


def test_rename_inside_branch_and_loop():
    spec = Model_pb2.Model(specificationVersion=4)
    spec.description.input.add(name="x").type.multiArrayType.shape.append(2)
    spec.description.output.add(name="y").type.multiArrayType.shape.append(2)
    nn = spec.neuralNetwork
    branch = nn.layers.add(name="br", input=["cond"])
    branch.branch.ifBranch.layers.add(name="a", input=["x"], output=["y"]).activation.ReLU.SetInParent()
    branch.branch.elseBranch.layers.add(name="b", input=["x"], output=["y"]).activation.tanh.SetInParent()
    loop = nn.layers.add(name="lp")
    loop.loop.conditionVar = "x"
    loop.loop.bodyNetwork.layers.add(name="c", input=["x"], output=["t"]).activation.ReLU.SetInParent()
    check_rename(spec, "x", "x2", string_paths(spec, "x"))
    check_rename(spec, "y", "y2", string_paths(spec, "y"))


def test_rename_updatable_nn_training_features():
    spec = load("torch_mlp_nn")
    spec.description.trainingInput.add().CopyFrom(spec.description.input[0])
    spec.description.trainingInput.add(name="target").type.multiArrayType.shape.append(10)
    loss = spec.neuralNetwork.updateParams.lossLayers.add(name="loss")
    loss.meanSquaredErrorLossLayer.input = "y"
    loss.meanSquaredErrorLossLayer.target = "target"
    for name, new in (("x", "x2"), ("target", "t2")):
        check_rename(spec, name, new, string_paths(spec, name))
    expected = {p for p in string_paths(spec, "y") if not is_layer_name(p)}
    assert ("neuralNetwork", "updateParams", "lossLayers", 0, "meanSquaredErrorLossLayer", "input") in expected
    check_rename(spec, "y", "y2", expected)


def test_rename_feature_name_fields_of_other_models():
    spec = Model_pb2.Model(specificationVersion=3)
    spec.description.input.add(name="scores").type.multiArrayType.shape.append(4)
    spec.description.output.add(name="confidence").type.multiArrayType.shape.append(4)
    nms = spec.nonMaximumSuppression
    nms.confidenceInputFeatureName = "scores"
    nms.confidenceOutputFeatureName = "confidence"
    check_rename(spec, "scores", "raw_scores", string_paths(spec, "scores"))
    check_rename(spec, "confidence", "conf", string_paths(spec, "confidence"))
    assert (nms.confidenceInputFeatureName, nms.confidenceOutputFeatureName) == ("raw_scores", "conf")


# --- rename_feature: pipelines ----------------------------------------------------------


def test_rename_pipeline_classifier_input():
    spec = load("sk_pipeline_impute_scale_logreg")
    expected = string_paths(spec, "input")
    assert ("pipelineClassifier", "pipeline", "models", 0, "description", "input", 0, "name") in expected
    check_rename(spec, "input", "renamed_input", expected)
    assert spec.pipelineClassifier.pipeline.models[0].description.input[0].name == "renamed_input"


@pytest.mark.parametrize("name", ["classLabel", "classProbability"])
def test_rename_pipeline_classifier_outputs(name):
    spec = load("sk_pipeline_impute_scale_logreg")
    expected = string_paths(spec, name)
    last = ("pipelineClassifier", "pipeline", "models", 2, "description")
    field = "predictedFeatureName" if name == "classLabel" else "predictedProbabilitiesName"
    assert {("description", field), last + (field,)} <= expected
    check_rename(spec, name, "renamed", expected)


def test_rename_pipeline_internal_name_is_noop():
    spec = load("sk_pipeline_impute_scale_logreg")
    original = copy.deepcopy(spec)
    utils.rename_feature(spec, "__feature_vector__", "fv")
    assert spec == original


def _pipeline_program_then_nn():
    """Plain pipeline: ML program (x -> y) followed by a neural network (y -> z)."""
    program = load("torch_mlp_fp32")
    spec = Model_pb2.Model(specificationVersion=program.specificationVersion)
    spec.description.input.add().CopyFrom(program.description.input[0])
    out = spec.description.output.add()
    out.CopyFrom(program.description.output[0])
    out.name = "z"
    spec.pipeline.models.add().CopyFrom(program)
    nn = spec.pipeline.models.add(specificationVersion=4)
    nn.description.input.add().CopyFrom(program.description.output[0])
    nn.description.output.add().CopyFrom(out)
    nn.neuralNetwork.layers.add(name="relu", input=["y"], output=["z"]).activation.ReLU.SetInParent()
    return spec


def test_rename_pipeline_with_ml_program():
    spec = _pipeline_program_then_nn()
    expected = {p for p in string_paths(spec, "x") if not is_op_attribute(p)}
    assert any("mlProgram" in p for p in expected)
    check_rename(spec, "x", "x_in", expected)

    expected = string_paths(spec, "z")
    check_rename(spec, "z", "z_out", expected)


def test_rename_pipeline_invalid_ml_program_name_leaves_spec_unchanged():
    spec = _pipeline_program_then_nn()
    original = copy.deepcopy(spec)
    with pytest.raises(ValueError, match="ML Program"):
        utils.rename_feature(spec, "x", "bad name")
    assert spec == original
    # The neural network at the end takes any name.
    utils.rename_feature(spec, "z", "z.out")
    assert spec.pipeline.models[1].neuralNetwork.layers[0].output[0] == "z.out"


# --- rename_feature: ML programs --------------------------------------------------------


def test_rename_ml_program_input():
    spec = load("torch_mlp_fp32")
    expected = {p for p in string_paths(spec, "x") if not is_op_attribute(p)}
    function_input = ("mlProgram", "functions", "main", "inputs", 0, "name")
    assert function_input in expected
    # The op that reads x is bound to it by name.
    assert any("arguments" in p for p in expected)
    check_rename(spec, "x", "features", expected)


def test_rename_ml_program_output():
    spec = load("torch_mlp_fp32")
    block = spec.mlProgram.functions["main"].block_specializations["CoreML5"]
    producer = [op for op in block.operations if op.outputs and op.outputs[0].name == "y"][0]
    # An op's own name is an attribute, not a variable: it keeps its value.
    op_name = producer.attributes["name"].immediateValue.tensor.strings
    op_name.ClearField("values")
    op_name.values.append("y")
    old = string_paths(spec, "y")
    expected = {p for p in old if not is_op_attribute(p)}
    block = ("mlProgram", "functions", "main", "block_specializations", "CoreML5")
    assert block + ("outputs", 0) in expected
    assert any(p[:len(block) + 1] == block + ("operations",) and p[-3] == "outputs" for p in expected)
    check_rename(spec, "y", "prediction", expected)


def test_rename_ml_program_classifier_label():
    spec = load("torch_classifier_strings")
    expected = {p for p in string_paths(spec, "classLabel") if not is_op_attribute(p)}
    assert ("description", "predictedFeatureName") in expected
    check_rename(spec, "classLabel", "highestProbClass", expected)


@pytest.mark.parametrize("bad", ["in put", "1x", "x-y", "fp32", "tensor"])
def test_rename_ml_program_rejects_invalid_names(bad):
    spec = load("torch_mlp_fp32")
    original = copy.deepcopy(spec)
    with pytest.raises(ValueError):
        utils.rename_feature(spec, "x", bad)
    assert spec == original
    # Nothing would be renamed, so nothing is checked.
    utils.rename_feature(spec, "absent", bad)
    assert spec == original


def test_rename_ml_program_state():
    spec = load("torch_stateful_accumulator_ios18")
    assert spec.description.state[0].name == "acc"
    expected = {p for p in string_paths(spec, "acc") if not is_op_attribute(p)}
    assert ("mlProgram", "functions", "main", "inputs", 1, "name") in expected
    check_rename(spec, "acc", "total", expected)


def test_rename_multifunction_program():
    spec = load("torch_multifunction_two_heads")
    assert len(spec.description.input) == 0
    expected = {p for p in string_paths(spec, "x") if not is_op_attribute(p)}
    assert {("description", "functions", 0, "input", 0, "name"),
            ("description", "functions", 1, "input", 0, "name")} <= expected
    check_rename(spec, "x", "features", expected)

    # An output of one function only: the other function, which here happens to have a
    # variable of that name, is not edited.
    regress = spec.mlProgram.functions["regress"].block_specializations["CoreML8"]
    regress.operations.add(type="identity").outputs.add(name="probs")
    old = string_paths(spec, "probs")
    expected = {p for p in old if not is_op_attribute(p) and "regress" not in p}
    assert len(old - expected) == 1
    check_rename(spec, "probs", "scores", expected)


# --- convert_double_to_float_multiarray_type -------------------------------------------


def _array_types(spec):
    return {
        path: value
        for path, value in walk(spec)
        if path[-1] == "multiArrayType" and ("input" in path or "output" in path or "trainingInput" in path)
    }


def check_double_to_float(spec):
    original = copy.deepcopy(spec)
    doubles = {p for p, t in _array_types(spec).items() if t.dataType == DOUBLE}
    assert doubles

    utils.convert_double_to_float_multiarray_type(spec)

    arrays = _array_types(spec)
    assert {p for p, t in arrays.items() if t.dataType == DOUBLE} == set()
    restored = copy.deepcopy(spec)
    for path in doubles:
        assert get_at(spec, path).dataType == FLOAT32
        get_at(restored, path).dataType = DOUBLE
    assert restored == original
    return doubles


def test_double_to_float_sklearn_regressor():
    spec = load("sk_linear_regression")
    doubles = check_double_to_float(spec)
    assert doubles == {("description", "input", 0, "type", "multiArrayType")}
    assert spec.description.output[0].type.WhichOneof("Type") == "doubleType"


def test_double_to_float_pipeline_classifier():
    spec = load("sk_pipeline_impute_scale_logreg")
    doubles = check_double_to_float(spec)
    # The pipeline's own input and every array feature of its three models.
    assert len(doubles) == 6
    for sub in spec.pipelineClassifier.pipeline.models:
        for feature in list(sub.description.input) + list(sub.description.output):
            if feature.type.WhichOneof("Type") == "multiArrayType":
                assert feature.type.multiArrayType.dataType == FLOAT32


@pytest.mark.parametrize("case", ["sk_dict_vectorizer", "sk_one_hot_encoder"])
def test_double_to_float_plain_pipeline(case):
    spec = load(case)
    assert spec.WhichOneof("Type") == "pipeline"
    doubles = check_double_to_float(spec)
    assert any(p[0] == "pipeline" for p in doubles)


def test_double_to_float_training_inputs_and_other_types():
    spec = Model_pb2.Model()
    spec.description.input.add(name="a").type.multiArrayType.dataType = DOUBLE
    spec.description.input.add(name="b").type.multiArrayType.dataType = FeatureTypes_pb2.ArrayFeatureType.INT32
    spec.description.input.add(name="c").type.doubleType.SetInParent()
    spec.description.trainingInput.add(name="t").type.multiArrayType.dataType = DOUBLE
    utils.convert_double_to_float_multiarray_type(spec)
    kinds = [f.type.multiArrayType.dataType for f in spec.description.input[:2]]
    assert kinds == [FLOAT32, FeatureTypes_pb2.ArrayFeatureType.INT32]
    assert spec.description.input[2].type.WhichOneof("Type") == "doubleType"
    assert spec.description.trainingInput[0].type.multiArrayType.dataType == FLOAT32


# --- float16 weights --------------------------------------------------------------------


def weight_params(spec):
    return {
        path: value
        for path, value in walk(spec)
        if hasattr(value, "ListFields") and value.DESCRIPTOR.name == "WeightParams"
    }


@pytest.mark.parametrize("case", ["torch_mlp_nn", "nnb_conv_pool", "torch_lstm_nn"])
def test_fp16_weights(case):
    spec = load(case)
    original = copy.deepcopy(spec)
    floats = {
        path: np.array(w.floatValue, dtype=np.float32)
        for path, w in weight_params(spec).items()
        if len(w.floatValue)
    }
    assert floats

    result = utils._convert_neural_network_spec_weights_to_fp16(spec)

    assert result is spec
    assert spec.specificationVersion == max(2, original.specificationVersion)
    after = weight_params(spec)
    assert all(len(w.floatValue) == 0 for w in after.values())
    restored = copy.deepcopy(spec)
    for path, values in floats.items():
        half = after[path].float16Value
        assert half == values.astype("<f2").tobytes()
        np.testing.assert_array_equal(
            np.frombuffer(half, dtype="<f2").view("<u2"), np.float16(values).view(np.uint16)
        )
        get_at(restored, path).ClearField("float16Value")
        get_at(restored, path).floatValue.extend(values)
    restored.specificationVersion = original.specificationVersion
    assert restored == original
    assert Model_pb2.Model.FromString(spec.SerializeToString()) == spec


def test_fp16_keeps_weights_coremltools_leaves_in_float32():
    # Core ML requires float32 layer-normalization gamma/beta, and coremltools' converter
    # does not touch PReLU slopes either.
    spec = load("nnb_nd_ops")
    utils._convert_neural_network_spec_weights_to_fp16(spec)
    norm = [l for l in spec.neuralNetwork.layers if l.WhichOneof("layer") == "layerNormalization"]
    assert norm and len(norm[0].layerNormalization.gamma.floatValue) > 0
    assert not norm[0].layerNormalization.gamma.float16Value


def test_fp16_out_of_range_leaves_spec_unchanged():
    spec = load("torch_mlp_nn")
    # The last inner product: earlier layers must not have been converted either.
    assert spec.neuralNetwork.layers[5].WhichOneof("layer") == "innerProduct"
    spec.neuralNetwork.layers[5].innerProduct.weights.floatValue[3] = 70000.0
    original = copy.deepcopy(spec)
    with pytest.raises(ValueError, match="half precision"):
        utils._convert_neural_network_spec_weights_to_fp16(spec)
    assert spec == original


def test_fp16_pipeline_of_networks():
    spec = Model_pb2.Model(specificationVersion=1)
    for case in ("nnb_conv_pool", "torch_mlp_nn"):
        spec.pipelineRegressor.pipeline.models.add().CopyFrom(load(case))
    utils._convert_neural_network_spec_weights_to_fp16(spec)
    models = spec.pipelineRegressor.pipeline.models
    assert [m.specificationVersion for m in models] == [2, 4]
    for model in models:
        wps = weight_params(model).values()
        assert wps and all(len(w.floatValue) == 0 for w in wps)
        assert any(w.float16Value for w in wps)


def test_fp16_ignores_other_models():
    spec = load("sk_linear_regression")
    original = copy.deepcopy(spec)
    utils._convert_neural_network_spec_weights_to_fp16(spec)
    assert spec == original


# --- layer queries and platform helpers -------------------------------------------------


def test_nn_layer_queries():
    spec = load("torch_mlp_nn")
    layers = utils._get_nn_layers(spec)
    assert len(layers) == 8 and layers[0].name == "linear_0"
    assert not utils._has_custom_layer(spec)
    assert utils._get_custom_layer_names(spec) == set()
    assert utils._get_nn_layers(load("sk_linear_regression")) == []

    pipeline = Model_pb2.Model()
    pipeline.pipeline.models.add().CopyFrom(spec)
    second = pipeline.pipeline.models.add()
    second.CopyFrom(spec)
    custom = second.neuralNetwork.layers.add(name="mine", input=["y"], output=["w"])
    custom.custom.className = "MyLayer"
    assert len(utils._get_nn_layers(pipeline)) == 17
    assert utils._has_custom_layer(pipeline)
    assert utils._get_custom_layer_names(pipeline) == {"MyLayer"}
    utils._replace_custom_layer_name(pipeline, "MyLayer", "Other")
    assert custom.custom.className == "Other"


def test_platform_helpers():
    import sys

    assert utils._is_macos() == (sys.platform == "darwin")
    if not utils._is_macos():
        assert utils._macos_version() == ()
    assert utils._python_version()[:2] == sys.version_info[:2]


def test_reexports():
    from opencoreml.models import _model_io

    assert utils.load_spec is _model_io.load_spec
    assert utils.save_spec is _model_io.save_spec


def test_fp16_mlmodel_wrapper():
    import opencoreml as ct

    model = ct.models.MLModel(case_by_name("torch_mlp_nn").model_path)
    assert utils._get_model(model) is model

    half = utils._convert_neural_network_weights_to_fp16(model)

    assert isinstance(half, ct.models.MLModel) and half is not model
    weights = half.get_spec().neuralNetwork.layers[0].innerProduct.weights
    assert weights.float16Value and len(weights.floatValue) == 0
    # The source model is not modified.
    assert len(model.get_spec().neuralNetwork.layers[0].innerProduct.weights.floatValue) > 0
