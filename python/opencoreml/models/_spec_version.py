"""The lowest specification version that supports every feature a spec uses — what
``save_spec(..., auto_set_specification_version=True)`` writes into the spec."""
import copy

from .. import _enums as E

# Model kinds and the version that introduced them (kinds not listed date from version 1).
_KIND_VERSION = {
    "customModel": 3, "visionFeaturePrint": 3, "textClassifier": 3, "wordTagger": 3,
    "nonMaximumSuppression": 3,
    "kNearestNeighborsClassifier": 4, "itemSimilarityRecommender": 4, "linkedModel": 4,
    "soundAnalysisPreprocessing": 4, "gazetteer": 4, "wordEmbedding": 4,
    "mlProgram": 6, "audioFeaturePrint": 6,
    "classConfidenceThresholding": 8,
}

# Neural-network layers by field number: the rank-N set of Core ML 3 and the additions of Core ML 4.
_NN_V5_LAYERS = {"oneHot", "cumSum", "clampedReLU", "argSort", "pooling3d", "globalPooling3d",
                 "sliceBySize", "convolution3d"}
_NN_V3_LAYERS = {"resizeBilinear", "cropResize"}
_FIRST_RANK_N_LAYER_FIELD = 600


def _feature_version(feature_type):
    kind = feature_type.WhichOneof("Type")
    version = 1
    if kind in ("multiArrayType", "stateType"):
        array = feature_type.multiArrayType if kind == "multiArrayType" else feature_type.stateType.arrayType
        if array.WhichOneof("ShapeFlexibility"):
            version = max(version, E._MINIMUM_FLEXIBLE_SHAPES_SPEC_VERSION)
        if array.dataType == array.FLOAT16:
            version = max(version, E._SPECIFICATION_VERSION_IOS_16)
        elif array.dataType == array.INT8:
            version = max(version, E._SPECIFICATION_VERSION_IOS_26)
        if kind == "stateType":
            version = max(version, E._SPECIFICATION_VERSION_IOS_18)
    elif kind == "imageType":
        image = feature_type.imageType
        if image.WhichOneof("SizeFlexibility"):
            version = max(version, E._MINIMUM_FLEXIBLE_SHAPES_SPEC_VERSION)
        if image.colorSpace == image.GRAYSCALE_FLOAT16:
            version = max(version, E._SPECIFICATION_VERSION_IOS_16)
    elif kind == "sequenceType":
        version = max(version, 3)
    return version


def _is_repeated(field):
    # protobuf 5.x+ has FieldDescriptor.is_repeated; older runtimes only have .label.
    if hasattr(field, "is_repeated"):
        return field.is_repeated
    return field.label == field.LABEL_REPEATED


def _weights_version(layer):
    version = 1
    for field, value in layer.ListFields():
        if field.message_type is None:
            continue
        values = value if _is_repeated(field) else [value]
        for item in values:
            if field.message_type.name == "WeightParams":
                if item.HasField("quantization"):
                    version = max(version, E._MINIMUM_QUANTIZED_MODEL_SPEC_VERSION)
                elif len(item.float16Value):
                    version = max(version, E._MINIMUM_FP16_SPEC_VERSION)
            else:
                version = max(version, _weights_version(item))
    return version


def _network_version(network):
    version = 1
    for layer in network.layers:
        kind = layer.WhichOneof("layer")
        number = layer.DESCRIPTOR.fields_by_name[kind].number if kind else 0
        if kind == "custom":
            version = max(version, E._MINIMUM_CUSTOM_LAYER_SPEC_VERSION)
        elif kind in _NN_V5_LAYERS:
            version = max(version, E._SPECIFICATION_VERSION_IOS_14)
        elif kind in _NN_V3_LAYERS:
            version = max(version, 3)
        elif number >= _FIRST_RANK_N_LAYER_FIELD:
            version = max(version, E._MINIMUM_NDARRAY_SPEC_VERSION)
        version = max(version, _weights_version(layer))
    if network.arrayInputShapeMapping or network.imageInputShapeMapping:
        version = max(version, E._MINIMUM_NDARRAY_SPEC_VERSION)
    return version


def _program_version(program):
    by_opset = {name: version for version, name in E._OPSET.items()}
    version = E._SPECIFICATION_VERSION_IOS_15
    for function in program.functions.values():
        version = max(version, by_opset.get(function.opset, version))
    return version


def minimum_specification_version(spec):
    """Lowest specification version able to hold everything ``spec`` uses."""
    kind = spec.WhichOneof("Type")
    version = _KIND_VERSION.get(kind, 1)
    description = spec.description
    for feature in list(description.input) + list(description.output) + list(description.state):
        version = max(version, _feature_version(feature.type))
    if len(description.functions) > 0 or len(description.state) > 0:
        version = max(version, E._SPECIFICATION_VERSION_IOS_18)
    if spec.isUpdatable:
        version = max(version, E._MINIMUM_UPDATABLE_SPEC_VERSION)
    if kind in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"):
        version = max(version, _network_version(getattr(spec, kind)))
    elif kind == "mlProgram":
        version = max(version, _program_version(spec.mlProgram))
    elif kind in ("pipeline", "pipelineClassifier", "pipelineRegressor"):
        pipeline = spec.pipeline if kind == "pipeline" else getattr(spec, kind).pipeline
        for model in pipeline.models:
            version = max(version, minimum_specification_version(model))
    return version


def set_minimum_specification_version(spec):
    """A copy of ``spec`` whose specificationVersion is the minimum it needs (sub-models of a
    pipeline are set too)."""
    spec = copy.deepcopy(spec)
    _apply(spec)
    return spec


def _apply(spec):
    kind = spec.WhichOneof("Type")
    if kind in ("pipeline", "pipelineClassifier", "pipelineRegressor"):
        pipeline = spec.pipeline if kind == "pipeline" else getattr(spec, kind).pipeline
        for model in pipeline.models:
            _apply(model)
    spec.specificationVersion = minimum_specification_version(spec)
