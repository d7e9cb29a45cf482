"""``opencoreml.models.neural_network``: building and editing Core ML neural-network
models (``NeuralNetworkBuilder``), flexible input shapes, weight quantization, and
printing a network (coremltools' ``coremltools.models.neural_network``)."""
from .. import datatypes  # noqa: F401
from . import (  # noqa: F401
    flexible_shape_utils,
    optimization_utils,
    printer,
    quantization_utils,
    spec_inspection_utils,
    update_optimizer_utils,
    utils,
)
from .builder import NeuralNetworkBuilder  # noqa: F401
from .update_optimizer_utils import AdamParams, SgdParams  # noqa: F401
