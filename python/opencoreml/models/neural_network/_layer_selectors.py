"""Layer selectors for weight quantization: which layers (and which of their weights)
``quantization_utils`` quantizes. Subclass ``QuantizedLayerSelector`` for custom choices."""
from ._nn_weight_fields import WEIGHTED_LAYER_KINDS



class QuantizedLayerSelector:
    """Selects the layers to quantize: every layer with weights (and the networks inside
    branches and loops). Subclass it and override ``do_quantize(layer, **kwargs)`` to
    skip layers; ``weight_param="bias"`` asks about a layer's bias."""

    def __init__(self):
        self.quantizable_layer_types = set(WEIGHTED_LAYER_KINDS) | {"depthwiseConv", "loop", "branch"}

    def do_quantize(self, layer, **kwargs):
        return layer.WhichOneof("layer") in self.quantizable_layer_types


class AdvancedQuantizedLayerSelector(QuantizedLayerSelector):
    """Skips the layer types in ``skip_layer_types`` ("bias" skips biases,
    "depthwiseConv" depthwise convolutions) and convolutions with fewer than
    ``minimum_conv_kernel_channels`` kernel channels or ``minimum_conv_weight_count``
    weights."""

    def __init__(self, skip_layer_types=[], minimum_conv_kernel_channels=4, minimum_conv_weight_count=4096):
        super().__init__()
        invalid = [t for t in skip_layer_types if t not in self.quantizable_layer_types]
        if invalid:
            raise ValueError(
                "Skip quantization layer types ({}) is not supported.\nSupported quantization layers: ({})".format(
                    ",".join(invalid), ",".join(sorted(self.quantizable_layer_types))
                )
            )
        self.skip_layer_types = skip_layer_types
        self.minimum_conv_kernel_channels = minimum_conv_kernel_channels
        self.minimum_conv_weight_count = minimum_conv_weight_count

    def do_quantize(self, layer, weight_param=None):
        if not super().do_quantize(layer):
            return False
        kind = layer.WhichOneof("layer")
        if kind in self.skip_layer_types:
            return False
        if weight_param not in (None, "weights", "bias"):
            raise ValueError("Unrecognized quantization weight field {}".format(weight_param))
        if weight_param == "bias":
            return "bias" not in self.skip_layer_types
        if kind == "convolution":
            conv = layer.convolution
            kernel_channels = conv.kernelChannels
            if "depthwiseConv" in self.skip_layer_types and kernel_channels == 1 and conv.nGroups > 1:
                return False
            count = conv.outputChannels * kernel_channels * conv.kernelSize[0] * conv.kernelSize[1]
            if kernel_channels < self.minimum_conv_kernel_channels or count < self.minimum_conv_weight_count:
                return False
        return True


class MatrixMultiplyLayerSelector(QuantizedLayerSelector):
    """Selects inner product and batched matmul layers with a constant weight matrix
    whose size and channel counts lie within the given bounds (and, if
    ``include_layers_with_names`` is given, whose name is listed)."""

    def __init__(self, minimum_weight_count=1, minimum_input_channels=1, minimum_output_channels=1,
                 maximum_input_channels=None, maximum_output_channels=None, include_layers_with_names=None):
        super().__init__()
        self.minimum_weight_count = minimum_weight_count
        self.minimum_input_channels = minimum_input_channels
        self.minimum_output_channels = minimum_output_channels
        self.maximum_input_channels = maximum_input_channels
        self.maximum_output_channels = maximum_output_channels
        names = [] if include_layers_with_names is None else include_layers_with_names
        if not (isinstance(names, (list, tuple)) and all(isinstance(s, str) for s in names)):
            raise ValueError("Property 'include_layers_with_names' must be a list/tuple of str objects")
        self.include_layers_with_names = names

    def do_quantize(self, layer, weight_param=None):
        if not super().do_quantize(layer):
            return False
        kind = layer.WhichOneof("layer")
        if kind in ("loop", "branch"):
            return True
        if kind not in ("innerProduct", "batchedMatmul"):
            return False
        if weight_param == "bias":
            return True
        if weight_param not in (None, "weights"):
            raise ValueError("Unrecognized quantization weight field {}".format(weight_param))
        if kind == "innerProduct":
            inputs, outputs = layer.innerProduct.inputChannels, layer.innerProduct.outputChannels
        else:
            inputs = layer.batchedMatmul.weightMatrixFirstDimension
            outputs = layer.batchedMatmul.weightMatrixSecondDimension
        return (
            inputs * outputs >= self.minimum_weight_count
            and inputs >= self.minimum_input_channels
            and outputs >= self.minimum_output_channels
            and not (self.maximum_input_channels and inputs > self.maximum_input_channels)
            and not (self.maximum_output_channels and outputs > self.maximum_output_channels)
            and not (self.include_layers_with_names and layer.name not in self.include_layers_with_names)
        )
