"""``NeuralNetworkBuilder``: builds a Core ML neural-network spec (plain, classifier or
regressor) layer by layer, with coremltools' API.

This file owns the builder's state — the spec, the ``NeuralNetwork`` message layers go
into, the layer registry and the rank bookkeeping — and the layer-adding primitive every
``add_*`` method uses. The methods themselves live in the mixins imported below, one
file per family of layers or concern.
"""
from ... import _enums
from ...proto import Model_pb2 as _Model_pb2
from ...proto import NeuralNetwork_pb2 as _NeuralNetwork_pb2
from .._interface_management import set_transform_interface_params
from .. import datatypes
from ._interface_methods import InterfaceMethods
from ._preprocessing import PreprocessingMethods
from ._training_methods import TrainingMethods
from ._inspection_methods import InspectionMethods
from ._layers_dense import DenseLayers
from ._layers_spatial import SpatialLayers
from ._layers_recurrent import RecurrentLayers
from ._layers_classic import ClassicLayers
from ._layers_elementwise import ElementwiseLayers
from ._layers_reduction import ReductionLayers
from ._layers_shape import ShapeLayers
from ._layers_indexing import IndexingLayers
from ._layers_generators import GeneratorLayers
from ._layers_control_flow import ControlFlowLayers
from ._layer_fields import fill_tensor_fields
from .update_optimizer_utils import AdamParams, SgdParams  # noqa: F401  (importable from here, as in coremltools)

_NN_KINDS = ("neuralNetworkClassifier", "neuralNetworkRegressor", "neuralNetwork")


def _get_nn_spec(spec):
    """The ``NeuralNetwork`` message of a neural-network spec, or None."""
    for kind in _NN_KINDS:
        if spec.HasField(kind):
            return getattr(spec, kind)
    return None


class NeuralNetworkBuilder(
    InterfaceMethods,
    PreprocessingMethods,
    TrainingMethods,
    InspectionMethods,
    DenseLayers,
    SpatialLayers,
    RecurrentLayers,
    ClassicLayers,
    ElementwiseLayers,
    ReductionLayers,
    ShapeLayers,
    IndexingLayers,
    GeneratorLayers,
    ControlFlowLayers,
):
    """Builds a neural-network model spec layer by layer.

    Layers must be added so that each layer's inputs are produced earlier (by a model
    input or a previous layer). See ``NeuralNetwork.proto`` for the meaning of each
    layer's fields.

    Parameters
    ----------
    input_features, output_features: list of (name, datatype)
        The model's inputs and outputs (``datatypes.Array`` for multi-arrays). An output
        type may be ``None`` when its shape is not known. Required unless ``spec`` or
        ``nn_spec`` is given.
    mode: None, "classifier" or "regressor"
        Which neural-network kind to build.
    spec: Model_pb2.Model or None
        Continue building an existing neural-network spec.
    nn_spec: NeuralNetwork_pb2.NeuralNetwork or None
        Build into this message alone, without a model around it (the body of a branch or
        loop layer).
    disable_rank5_shape_mapping: bool
        Interpret inputs with their own rank (``EXACT_ARRAY_MAPPING`` for arrays,
        ``RANK4_IMAGE_MAPPING`` for images) instead of Core ML 1's rank-5 mapping; the
        spec then needs specification version 4.
    training_features: list of (name, datatype) or None
        Training inputs of an updatable model.
    use_float_arraytype: bool
        Give multi-array inputs and outputs the FLOAT32 element type instead of DOUBLE.
    """

    def __init__(
        self,
        input_features=None,
        output_features=None,
        mode=None,
        spec=None,
        nn_spec=None,
        disable_rank5_shape_mapping=False,
        training_features=None,
        use_float_arraytype=False,
    ):
        self.spec = spec
        self.nn_spec = nn_spec
        self._disable_rank5_shape_mapping = disable_rank5_shape_mapping
        self.layers = []
        self.layer_specs = {}
        self.named_parameters = []
        self.rank_dict = {}

        if spec is not None:
            if nn_spec is not None:
                raise ValueError(
                    "Attempting to assign another NeuralNetwork Spec to an existing MLModel Spec"
                )
            self.nn_spec = _get_nn_spec(spec)
            if self.nn_spec is not None:
                for layer in self.nn_spec.layers:
                    self.layers.append(layer.name)
                    self.layer_specs[layer.name] = layer
            if input_features is None and output_features is None:
                return
        elif nn_spec is not None:
            return  # a nested network: no model interface around it

        if input_features is None or output_features is None:
            raise ValueError("input_features and output_features must be given to build a new model.")

        if self.spec is None:
            self.spec = _Model_pb2.Model()
        self.spec.specificationVersion = _enums.SPECIFICATION_VERSION
        if disable_rank5_shape_mapping:
            self.spec.specificationVersion = _enums._MINIMUM_NDARRAY_SPEC_VERSION

        # An output of unknown type is declared as an array whose shape is cleared below.
        outputs = [
            (str(name), datatypes.Array(1) if datatype is None else datatype)
            for name, datatype in output_features
        ]
        del self.spec.description.input[:]
        del self.spec.description.output[:]
        array_type = _Model_pb2.ArrayFeatureType
        self.spec = set_transform_interface_params(
            self.spec,
            input_features,
            outputs,
            training_features=training_features,
            array_datatype=array_type.FLOAT32 if use_float_arraytype else array_type.DOUBLE,
        )
        for name, datatype in input_features:
            dimensions = getattr(datatype, "dimensions", None)
            if dimensions is not None:
                self.rank_dict[name] = len(dimensions)
        for index, (_, datatype) in enumerate(output_features):
            if datatype is None:
                self.spec.description.output[index].type.multiArrayType.ClearField("shape")

        if self.nn_spec is None:
            kind = {"classifier": "neuralNetworkClassifier", "regressor": "neuralNetworkRegressor"}
            self.nn_spec = getattr(self.spec, kind.get(mode, "neuralNetwork"))
            self.nn_spec.SetInParent()

        if disable_rank5_shape_mapping:
            self.nn_spec.arrayInputShapeMapping = _NeuralNetwork_pb2.EXACT_ARRAY_MAPPING
            self.nn_spec.imageInputShapeMapping = _NeuralNetwork_pb2.RANK4_IMAGE_MAPPING

    # -----------------------------------------------------------------------------------
    # Shared by every add_* method

    def _add_generic_layer(
        self,
        name,
        input_names,
        output_names,
        input_ranks=None,
        input_shapes=None,
        output_ranks=None,
        output_shapes=None,
    ):
        """Append a layer named ``name`` reading ``input_names`` and writing
        ``output_names`` and return it; its outputs take the rank of its first input."""
        if name in self.layer_specs:
            raise ValueError(
                'Layer with name "%s" has already been added. Please use a unique name.' % name
            )
        layer = self.nn_spec.layers.add()
        layer.name = name
        if input_names is not None:
            layer.input.extend(input_names)
        layer.output.extend(output_names)
        self.layers.append(name)
        self.layer_specs[name] = layer
        fill_tensor_fields(layer.inputTensor, input_ranks, input_shapes)
        fill_tensor_fields(layer.outputTensor, output_ranks, output_shapes)
        if input_names:
            for output in output_names:
                self.rank_dict[output] = self._get_rank(input_names[0])
        return layer

    def _require_specification_version(self, version):
        """Raise the spec's version to ``version`` when a layer option needs it."""
        if self.spec is not None and self.spec.specificationVersion < version:
            self.spec.specificationVersion = version

    # -----------------------------------------------------------------------------------
    # Rank bookkeeping (-1 means unknown), used by converters that build rank-N networks

    def _get_rank(self, name):
        return self.rank_dict.get(name, -1)

    def _set_max_input_rank(self, input_names, output_name):
        if len(input_names) == 0:
            raise ValueError("Input name list empty for collecting rank information")
        ranks = [self._get_rank(name) for name in input_names]
        self.rank_dict[output_name] = -1 if -1 in ranks else max(ranks)

    def _set_rank_for_reduce_op(self, input_name, output_name, axes, keepdims, reduce_all):
        if keepdims:
            self.rank_dict[output_name] = self._get_rank(input_name)
        elif reduce_all or self._get_rank(input_name) == 1:
            self.rank_dict[output_name] = 1
        elif axes is not None and len(axes) > 0:
            rank = self._get_rank(input_name) - len(axes)
            self.rank_dict[output_name] = rank if rank != 0 else 1
        else:
            raise ValueError("Reduce Ops must provide axes to reduce on if reduce_all is False")
