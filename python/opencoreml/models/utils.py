"""Spec-level utilities of ``opencoreml.models.utils``: renaming features, switching
multi-array features from double to float32, converting neural-network weights to
float16, neural-network layer queries and platform checks.

``load_spec`` and ``save_spec`` live in ``_model_io`` and are re-exported from here.
"""
import functools as _functools
import re as _re
import subprocess as _subprocess
import sys as _sys

import numpy as _np

from .._enums import _MINIMUM_FP16_SPEC_VERSION
from .._enums import ComputeUnit as _ComputeUnit
from .._errors import InvalidArgumentError as _InvalidArgumentError
from ..proto import FeatureTypes_pb2 as _FeatureTypes_pb2
from ._model_io import _MLMODEL_EXTENSION, _MLPACKAGE_EXTENSION  # noqa: F401
from ._pipeline_utils import (  # noqa: F401
    evaluate_classifier,
    evaluate_classifier_with_probabilities,
    evaluate_regressor,
    evaluate_transformer,
    make_pipeline,
)
from ._model_io import load_spec, save_spec  # noqa: F401

_NN_TYPES = ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor")
_PIPELINE_TYPES = ("pipeline", "pipelineClassifier", "pipelineRegressor")

# Largest float16 magnitude accepted; like coremltools the bound itself is rejected.
_FP16_LIMIT = 65504.0


# ---------------------------------------------------------------------------------------
# Platform and model helpers


def _is_macos():
    """True when running on macOS."""
    return _sys.platform == "darwin"


@_functools.lru_cache()
def _macos_version():
    """The macOS version as a tuple of ints, e.g. ``(14, 4)``; ``()`` on other systems."""
    if not _is_macos():
        return ()
    try:
        out = _subprocess.run(
            ["sw_vers", "-productVersion"], stdout=_subprocess.PIPE, check=True
        ).stdout.decode("utf-8")
        return tuple(int(v) for v in out.strip().split("."))
    except Exception as e:
        raise Exception("Unable to determine the macOS version") from e


def _python_version():
    """The running Python version as a tuple of ints."""
    return tuple(_sys.version_info[:3])


def _get_model(spec, compute_units=_ComputeUnit.ALL):
    """Return ``spec`` if it is already an ``MLModel``, else an ``MLModel`` built from it."""
    from .model import MLModel  # imported here: model.py may itself import this module

    if isinstance(spec, MLModel):
        return spec
    return MLModel(spec, compute_units=compute_units)


def _get_feature(spec, feature_name):
    """The input or output ``FeatureDescription`` called ``feature_name``."""
    for feature in spec.description.input:
        if feature.name == feature_name:
            return feature
    for feature in spec.description.output:
        if feature.name == feature_name:
            return feature
    raise ValueError("Feature with name {} does not exist".format(feature_name))


def _get_input_names(spec):
    """Names of the model's input features, in order."""
    return [feature.name for feature in spec.description.input]


def _pipeline_of(spec):
    """The ``Pipeline`` message of a pipeline, pipeline classifier or regressor, else None."""
    kind = spec.WhichOneof("Type")
    if kind == "pipeline":
        return spec.pipeline
    if kind in ("pipelineClassifier", "pipelineRegressor"):
        return getattr(spec, kind).pipeline
    return None


# ---------------------------------------------------------------------------------------
# Neural-network layer queries


def _get_nn_layers(spec):
    """The top-level layers of the neural network in ``spec``.

    For a pipeline (of any kind) the layers of every sub-model, in order, as a list;
    for a neural network its ``layers`` field itself, so the layers can be edited in
    place. Layers nested inside branch and loop layers are not included.
    """
    pipeline = _pipeline_of(spec)
    if pipeline is not None:
        layers = []
        for sub in pipeline.models:
            layers.extend(_get_nn_layers(sub))
        return layers
    kind = spec.WhichOneof("Type")
    if kind in _NN_TYPES:
        return getattr(spec, kind).layers
    return []


def _get_custom_layers(spec):
    """The custom layers of ``spec`` (see ``_get_nn_layers``)."""
    return [layer for layer in _get_nn_layers(spec) if layer.WhichOneof("layer") == "custom"]


def _has_custom_layer(spec):
    """True if the neural network(s) in ``spec`` contain a custom layer."""
    return any(layer.WhichOneof("layer") == "custom" for layer in _get_nn_layers(spec))


def _get_custom_layer_names(spec):
    """The set of ``className`` values of the custom layers in ``spec``."""
    return {layer.custom.className for layer in _get_custom_layers(spec)}


def _replace_custom_layer_name(spec, oldname, newname):
    """Set ``className`` to ``newname`` on every custom layer whose class is ``oldname``."""
    for layer in _get_custom_layers(spec):
        if layer.custom.className == oldname:
            layer.custom.className = newname


# ---------------------------------------------------------------------------------------
# rename_feature

_MIL_NAME = _re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Type names of the MIL text format; a variable may not be called like one of them.
_MIL_RESERVED_NAMES = frozenset(
    {
        "any", "bool", "program", "func", "tensor", "list", "dict", "tuple", "true",
        "false", "string", "bf16", "fp16", "fp32", "fp64", "int8", "int16", "int32",
        "int64", "uint8", "uint16", "uint32", "uint64", "state",
    }
)


def _is_valid_mil_name(name):
    return _MIL_NAME.match(name) is not None and name not in _MIL_RESERVED_NAMES


def _sub_model_flags(index, count, rename_inputs, rename_outputs):
    # Inside a pipeline, inputs of later models and outputs of earlier ones are internal
    # connections, so they follow the rename whatever the caller asked for.
    return rename_inputs or index > 0, rename_outputs or index < count - 1


def _rename_in_features(features, current_name, new_name):
    found = False
    for feature in features:
        if feature.name == current_name:
            feature.name = new_name
            found = True
    return found


def _input_like_features(desc):
    # States are inputs of an ML program function; training inputs repeat the inputs and
    # add the targets that loss layers read.
    yield desc.input
    yield desc.state
    if hasattr(desc, "trainingInput"):  # a ModelDescription, not a FunctionDescription
        yield desc.trainingInput


def _rename_in_description(desc, current_name, new_name, rename_inputs, rename_outputs):
    """Rename in a ModelDescription or FunctionDescription; return (in inputs, in outputs)."""
    found_in = found_out = False
    if rename_inputs:
        for features in _input_like_features(desc):
            found_in |= _rename_in_features(features, current_name, new_name)
    if rename_outputs:
        found_out = _rename_in_features(desc.output, current_name, new_name)
        if desc.predictedFeatureName == current_name:
            desc.predictedFeatureName = new_name
        if desc.predictedProbabilitiesName == current_name:
            desc.predictedProbabilitiesName = new_name
    return found_in, found_out


def _description_has(desc, name, look_in_inputs, look_in_outputs):
    """Whether ``_rename_in_description`` would find ``name`` in ``desc``."""
    groups = list(_input_like_features(desc)) if look_in_inputs else []
    if look_in_outputs:
        groups.append(desc.output)
    return any(f.name == name for features in groups for f in features)


def _renames_ml_program(spec, name, rename_inputs, rename_outputs):
    """Whether ``rename_feature`` with these arguments would edit an ML program."""
    desc = spec.description
    found = _description_has(desc, name, rename_inputs, rename_outputs) or any(
        _description_has(f, name, rename_inputs, rename_outputs) for f in desc.functions
    )
    if not found:
        return False
    if spec.WhichOneof("Type") == "mlProgram":
        return True
    pipeline = _pipeline_of(spec)
    if pipeline is None:
        return False
    count = len(pipeline.models)
    return any(
        _renames_ml_program(sub, name, *_sub_model_flags(i, count, rename_inputs, rename_outputs))
        for i, sub in enumerate(pipeline.models)
    )


def _rename_in_strings(strings, current_name, new_name):
    for i, value in enumerate(strings):
        if value == current_name:
            strings[i] = new_name


def _rename_in_nn(nn, current_name, new_name):
    # A neural network has one namespace of blobs, shared with its branch and loop bodies,
    # so every reference to the renamed blob changes: producers and consumers alike.
    for layer in nn.layers:
        _rename_in_strings(layer.input, current_name, new_name)
        _rename_in_strings(layer.output, current_name, new_name)
        kind = layer.WhichOneof("layer")
        if kind == "branch":
            _rename_in_nn(layer.branch.ifBranch, current_name, new_name)
            _rename_in_nn(layer.branch.elseBranch, current_name, new_name)
        elif kind == "loop":
            if layer.loop.conditionVar == current_name:
                layer.loop.conditionVar = new_name
            _rename_in_nn(layer.loop.conditionNetwork, current_name, new_name)
            _rename_in_nn(layer.loop.bodyNetwork, current_name, new_name)
    for preprocessing in nn.preprocessing:
        if preprocessing.featureName == current_name:
            preprocessing.featureName = new_name
    for loss in nn.updateParams.lossLayers:
        kind = loss.WhichOneof("LossLayerType")
        if kind is not None:
            params = getattr(loss, kind)
            if params.input == current_name:
                params.input = new_name
            if params.target == current_name:
                params.target = new_name


def _rename_in_mil_block(block, current_name, new_name):
    # MIL variable names are unique within a function, so renaming every occurrence,
    # nested blocks included, keeps the program consistent.
    for value in block.inputs:
        if value.name == current_name:
            value.name = new_name
    _rename_in_strings(block.outputs, current_name, new_name)
    for op in block.operations:
        for argument in op.inputs.values():
            for binding in argument.arguments:
                if binding.WhichOneof("binding") == "name" and binding.name == current_name:
                    binding.name = new_name
        for value in op.outputs:
            if value.name == current_name:
                value.name = new_name
        for nested in op.blocks:
            _rename_in_mil_block(nested, current_name, new_name)


def _rename_in_ml_program(program, function_names, current_name, new_name):
    for function_name, function in program.functions.items():
        if function_names is not None and function_name not in function_names:
            continue
        for value in function.inputs:
            if value.name == current_name:
                value.name = new_name
        for block in function.block_specializations.values():
            _rename_in_mil_block(block, current_name, new_name)


def _rename_in_feature_name_fields(message, current_name, new_name, inputs, outputs):
    # Models such as NonMaximumSuppression, ItemSimilarityRecommender, WordTagger and
    # BayesianProbitRegressor name their features in "...InputFeatureName" /
    # "...OutputFeatureName" string fields.
    for field in message.DESCRIPTOR.fields:
        if (inputs and field.name.endswith("InputFeatureName")) or (
            outputs and field.name.endswith("OutputFeatureName")
        ):
            if getattr(message, field.name) == current_name:
                setattr(message, field.name, new_name)


def _rename_feature(spec, current_name, new_name, rename_inputs, rename_outputs):
    desc = spec.description
    found_in, found_out = _rename_in_description(
        desc, current_name, new_name, rename_inputs, rename_outputs
    )
    found_at_top = found_in or found_out
    touched_functions = set()
    for function_desc in desc.functions:
        hit_in, hit_out = _rename_in_description(
            function_desc, current_name, new_name, rename_inputs, rename_outputs
        )
        if hit_in or hit_out:
            touched_functions.add(function_desc.name)
            found_in |= hit_in
            found_out |= hit_out

    # A name that is not a feature of this model is internal to it and left alone.
    if not (found_in or found_out):
        return

    kind = spec.WhichOneof("Type")
    if kind in _NN_TYPES:
        nn = getattr(spec, kind)
        _rename_in_nn(nn, current_name, new_name)
        if kind == "neuralNetworkClassifier" and nn.labelProbabilityLayerName == current_name:
            nn.labelProbabilityLayerName = new_name
    elif kind == "featureVectorizer":
        if found_in:
            for column in spec.featureVectorizer.inputList:
                if column.inputColumn == current_name:
                    column.inputColumn = new_name
    elif kind == "mlProgram":
        # A single-function program lists its features at the top of the description; a
        # multifunction one per function, and then only those functions are edited.
        _rename_in_ml_program(
            spec.mlProgram, None if found_at_top else touched_functions, current_name, new_name
        )
    elif kind in _PIPELINE_TYPES:
        pipeline = _pipeline_of(spec)
        count = len(pipeline.models)
        for index, sub in enumerate(pipeline.models):
            _rename_feature(
                sub,
                current_name,
                new_name,
                *_sub_model_flags(index, count, rename_inputs, rename_outputs),
            )
    elif kind is not None:
        _rename_in_feature_name_fields(
            getattr(spec, kind), current_name, new_name, found_in, found_out
        )


def rename_feature(spec, current_name, new_name, rename_inputs=True, rename_outputs=True):
    """Rename a feature of ``spec`` in place.

    The feature is looked up among the inputs, states and training inputs
    (``rename_inputs``) and/or the outputs (``rename_outputs``) of the model description,
    or of its function descriptions for a multifunction model. When it is found, every
    reference to it inside the model follows: predicted feature / probabilities names,
    neural-network layer inputs and outputs (including branch and loop bodies),
    preprocessing, loss layers and the classifier's probability layer, ML program function
    inputs, block outputs and the operations that produce or use it, feature-vectorizer
    columns, ``...FeatureName`` fields of other model types, and the sub-models of a
    pipeline. A name that is not a feature (an internal blob or variable) is left alone.

    Parameters
    ----------
    spec: Model_pb2.Model
        The specification to edit.
    current_name: str
        Current name of the feature.
    new_name: str
        New name of the feature. ML programs need names of the form
        ``[a-zA-Z_][a-zA-Z0-9_]*`` that are not MIL type names; otherwise ``ValueError``
        is raised and ``spec`` is left unchanged.
    rename_inputs: bool
        Look for ``current_name`` among the input features.
    rename_outputs: bool
        Look for ``current_name`` among the output features.

    Examples
    --------
    .. sourcecode:: python

        spec = model.get_spec()
        opencoreml.utils.rename_feature(spec, "old_feature", "new_feature_name")
        # ML programs keep their weights outside the spec
        model = opencoreml.models.MLModel(spec, weights_dir=model.weights_dir)
    """
    if not rename_inputs and not rename_outputs:
        return
    if not _is_valid_mil_name(new_name) and _renames_ml_program(
        spec, current_name, rename_inputs, rename_outputs
    ):
        raise ValueError(
            "Input/output names for ML Program must be of the format "
            "[a-zA-Z_][a-zA-Z0-9_]*. That is, it must start with a letter and only "
            "contain numerals, underscore or letters. Provided feature name, \"{}\" does "
            "not satisfy these requirements.".format(new_name)
        )
    _rename_feature(spec, current_name, new_name, rename_inputs, rename_outputs)


# ---------------------------------------------------------------------------------------
# Double -> float32 multi-arrays


def convert_double_to_float_multiarray_type(spec):
    """Change every ``DOUBLE`` multi-array input, output and training input of ``spec``
    (and of the sub-models of a pipeline) to ``FLOAT32``, in place.

    Examples
    --------
    .. sourcecode:: python

        spec = mlmodel.get_spec()
        opencoreml.utils.convert_double_to_float_multiarray_type(spec)
        model = opencoreml.models.MLModel(spec)
    """
    double = _FeatureTypes_pb2.ArrayFeatureType.DOUBLE
    float32 = _FeatureTypes_pb2.ArrayFeatureType.FLOAT32
    desc = spec.description
    for features in (desc.input, desc.output, desc.trainingInput):
        for feature in features:
            if (
                feature.type.WhichOneof("Type") == "multiArrayType"
                and feature.type.multiArrayType.dataType == double
            ):
                feature.type.multiArrayType.dataType = float32

    pipeline = _pipeline_of(spec)
    if pipeline is not None:
        for sub in pipeline.models:
            convert_double_to_float_multiarray_type(sub)


# ---------------------------------------------------------------------------------------
# float16 neural-network weights

# Weight fields converted per layer type (the layer types coremltools' weight quantizer
# handles), each with the flag that must be set for it to be used.
_FP16_LAYER_WEIGHTS = {
    "convolution": (("weights", None), ("bias", "hasBias")),
    "innerProduct": (("weights", None), ("bias", "hasBias")),
    "batchedMatmul": (("weights", None), ("bias", "hasBias")),
    "embedding": (("weights", None), ("bias", "hasBias")),
    "embeddingND": (("weights", None), ("bias", "hasBias")),
    "batchnorm": (("gamma", None), ("beta", None), ("mean", None), ("variance", None)),
    "scale": (("scale", None), ("bias", "hasBias")),
    "bias": (("bias", None),),
    "loadConstant": (("data", None),),
    "loadConstantND": (("data", None),),
    "simpleRecurrent": (
        ("weightMatrix", None),
        ("recursionMatrix", None),
        ("biasVector", "hasBiasVector"),
    ),
    "gru": (
        ("updateGateWeightMatrix", None),
        ("resetGateWeightMatrix", None),
        ("outputGateWeightMatrix", None),
        ("updateGateRecursionMatrix", None),
        ("resetGateRecursionMatrix", None),
        ("outputGateRecursionMatrix", None),
        ("updateGateBiasVector", "hasBiasVectors"),
        ("resetGateBiasVector", "hasBiasVectors"),
        ("outputGateBiasVector", "hasBiasVectors"),
    ),
}

_LSTM_WEIGHTS = tuple(
    part + kind
    for kind in ("WeightMatrix", "RecursionMatrix", "BiasVector")
    for part in ("inputGate", "forgetGate", "blockInput", "outputGate")
)
_LSTM_PEEPHOLES = ("inputGatePeepholeVector", "forgetGatePeepholeVector", "outputGatePeepholeVector")


def _nn_weight_params_for_fp16(nn):
    """Yield the WeightParams of ``nn`` (and its branch/loop bodies) that fp16 conversion
    applies to."""
    for layer in nn.layers:
        kind = layer.WhichOneof("layer")
        if kind in _FP16_LAYER_WEIGHTS:
            params = getattr(layer, kind)
            for field, flag in _FP16_LAYER_WEIGHTS[kind]:
                if flag is None or getattr(params, flag):
                    yield getattr(params, field)
        elif kind in ("uniDirectionalLSTM", "biDirectionalLSTM"):
            params = getattr(layer, kind)
            fields = _LSTM_WEIGHTS
            if params.params.hasPeepholeVectors:
                fields += _LSTM_PEEPHOLES
            weight_sets = params.weightParams
            if kind == "uniDirectionalLSTM":
                weight_sets = [weight_sets]
            for weights in weight_sets:
                for field in fields:
                    yield getattr(weights, field)
        elif kind == "branch":
            yield from _nn_weight_params_for_fp16(layer.branch.ifBranch)
            yield from _nn_weight_params_for_fp16(layer.branch.elseBranch)
        elif kind == "loop":
            yield from _nn_weight_params_for_fp16(layer.loop.conditionNetwork)
            yield from _nn_weight_params_for_fp16(layer.loop.bodyNetwork)


def _fp32_to_fp16_byte_array(fp32_arr):
    """Little-endian IEEE half-precision bytes of ``fp32_arr``.

    Raises if a value's magnitude reaches 65504, the largest finite half.
    """
    values = _np.asarray(fp32_arr, dtype=_np.float32)
    if values.size and (_np.amax(values) >= _FP16_LIMIT or _np.amin(values) <= -_FP16_LIMIT):
        raise _InvalidArgumentError(
            "Model cannot be converted as it has weights that cannot be represented in "
            "half precision.\n"
        )
    return values.astype("<f2").tobytes()


def _wp_to_fp16wp(wp):
    """Move the ``floatValue`` of a WeightParams to ``float16Value``, in place."""
    if len(wp.floatValue) == 0:
        return
    wp.float16Value = _fp32_to_fp16_byte_array(wp.floatValue)
    wp.ClearField("floatValue")


def _collect_fp16_targets(spec, nn_specs, weight_params):
    kind = spec.WhichOneof("Type")
    if kind in _NN_TYPES:
        nn_specs.append(spec)
        weight_params.extend(
            wp for wp in _nn_weight_params_for_fp16(getattr(spec, kind)) if len(wp.floatValue)
        )
        return
    pipeline = _pipeline_of(spec)
    if pipeline is not None:
        for sub in pipeline.models:
            _collect_fp16_targets(sub, nn_specs, weight_params)


def _convert_neural_network_spec_weights_to_fp16(fp_spec):
    """Store the float32 weights of the neural network(s) in ``fp_spec`` as float16.

    Works in place on a neural network (plain, classifier or regressor) or on every
    neural network inside a pipeline; each converted network's specification version is
    raised to at least 2. If any weight is out of half-precision range, nothing is changed
    and an error is raised. Returns ``fp_spec``.
    """
    nn_specs, weight_params = [], []
    _collect_fp16_targets(fp_spec, nn_specs, weight_params)

    # Convert everything first so that a weight out of range leaves the spec untouched.
    halves = [_fp32_to_fp16_byte_array(wp.floatValue) for wp in weight_params]

    for spec in nn_specs:
        spec.specificationVersion = max(_MINIMUM_FP16_SPEC_VERSION, spec.specificationVersion)
    for wp, half in zip(weight_params, halves):
        wp.float16Value = half
        wp.ClearField("floatValue")
    return fp_spec


def _convert_neural_network_weights_to_fp16(full_precision_model):
    """Return a copy of the neural-network ``MLModel`` (or pipeline of them) with float16
    weights."""
    spec = full_precision_model.get_spec()
    return _get_model(_convert_neural_network_spec_weights_to_fp16(spec))
