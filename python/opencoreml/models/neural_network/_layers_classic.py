"""Builder methods for the Core ML 1 layers working on rank-5 (S, B, C, H, W) blobs:
activations, softmax, elementwise combinations, unary functions, normalisations,
reductions, reshapes, slices, splits and custom layers."""
from ... import _enums
from ...proto import NeuralNetwork_pb2 as _NN
from ._layer_fields import enum_value, lower, name_list, upper
from ._weights import set_floats

_REDUCE_MODES = {
    "sum": "SUM", "avg": "AVG", "prod": "PROD", "logsum": "LOGSUM", "sumsquare": "SUMSQUARE",
    "l1": "L1", "l2": "L2", "max": "MAX", "min": "MIN", "argmax": "ARGMAX",
}
_UNARY_DEFAULT_EPSILON = {"inverse": 1e-4, "rsqrt": 1e-4, "log": 1e-45}
_SLICE_AXES = {"channel": "CHANNEL_AXIS", "height": "HEIGHT_AXIS", "width": "WIDTH_AXIS"}


_SIMPLE_ACTIVATIONS = {"RELU": "ReLU", "SIGMOID": "sigmoid", "TANH": "tanh", "SOFTPLUS": "softplus",
                       "SOFTSIGN": "softsign"}
_ACTIVATIONS = set(_SIMPLE_ACTIVATIONS) | {
    "SCALED_TANH", "SIGMOID_HARD", "LEAKYRELU", "PRELU", "ELU", "PARAMETRICSOFTPLUS", "THRESHOLDEDRELU", "LINEAR",
}


def _pair(params, default):
    return default if params is None else (params[0], params[1])


def _set_activation(params, non_linearity, values):
    """Select ``non_linearity`` in ActivationParams ``params`` with its parameters
    ``values`` (see ``add_activation``)."""
    kind = upper(non_linearity)
    if kind in _SIMPLE_ACTIVATIONS:
        getattr(params, _SIMPLE_ACTIVATIONS[kind]).SetInParent()
    elif kind == "SCALED_TANH":
        params.scaledTanh.SetInParent()
        params.scaledTanh.alpha, params.scaledTanh.beta = _pair(values, (0.0, 0.0))
    elif kind == "SIGMOID_HARD":
        params.sigmoidHard.SetInParent()
        params.sigmoidHard.alpha, params.sigmoidHard.beta = _pair(values, (0.2, 0.5))
    elif kind == "LEAKYRELU":
        params.leakyReLU.SetInParent()
        params.leakyReLU.alpha = float(0.3 if values is None else values[0])
    elif kind == "PRELU":
        set_floats(params.PReLU.alpha, values)
    elif kind == "ELU":
        params.ELU.SetInParent()
        params.ELU.alpha = float(values)
    elif kind == "PARAMETRICSOFTPLUS":
        alphas, betas = values[0], values[1]
        set_floats(params.parametricSoftplus.alpha, alphas)
        set_floats(params.parametricSoftplus.beta, betas)
    elif kind == "THRESHOLDEDRELU":
        params.thresholdedReLU.SetInParent()
        params.thresholdedReLU.alpha = float(1.0 if values is None else values)
    elif kind == "LINEAR":
        params.linear.SetInParent()
        params.linear.alpha, params.linear.beta = _pair(values, (1.0, 0.0))
    else:
        raise TypeError("Unknown activation type %s." % non_linearity)


class ClassicLayers:
    def add_activation(
        self,
        name,
        non_linearity,
        input_name,
        output_name,
        params=None,
        input_rank=None,
        input_shape=None,
        output_rank=None,
        output_shape=None,
    ):
        """Elementwise activation. ``non_linearity`` and its ``params``:

        "RELU", "SIGMOID", "TANH", "SOFTPLUS", "SOFTSIGN": none; "SCALED_TANH": (alpha,
        beta), default (0, 0); "SIGMOID_HARD": (alpha, beta), default (0.2, 0.5);
        "LEAKYRELU": [alpha], default 0.3; "PRELU": per-channel alphas; "ELU": alpha;
        "PARAMETRICSOFTPLUS": (alphas, betas) per channel; "THRESHOLDEDRELU": theta,
        default 1.0; "LINEAR": (alpha, beta), default (1, 0).
        The optional ranks/shapes annotate the layer's input and output tensors.
        """
        if input_shape and not input_rank:
            input_rank = len(input_shape)
        if output_shape and not output_rank:
            output_rank = len(output_shape)
        kind = upper(non_linearity)
        if kind not in _ACTIVATIONS:
            raise TypeError("Unknown activation type %s." % non_linearity)
        layer = self._add_generic_layer(
            name,
            [input_name],
            [output_name],
            [input_rank] if input_rank else None,
            [input_shape] if input_shape else None,
            [output_rank] if output_rank else None,
            [output_shape] if output_shape else None,
        )
        _set_activation(layer.activation, kind, params)
        return layer

    def add_softmax(self, name, input_name, output_name):
        """Softmax over the channel axis."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.softmax.SetInParent()
        return layer

    def add_elementwise(self, name, input_names, output_name, mode, alpha=None):
        """Combine inputs elementwise. ``mode``: "ADD", "MULTIPLY" (with one input and
        ``alpha``: add/multiply the constant), "MAX", "MIN", "AVE", "DOT", "COS" (cosine
        similarity), "CONCAT" (channels) or "SEQUENCE_CONCAT"."""
        input_names = name_list(input_names)
        mode = upper(mode)
        if mode not in ("CONCAT", "SEQUENCE_CONCAT", "ADD", "MULTIPLY", "COS", "DOT", "MAX", "MIN", "AVE"):
            raise ValueError("Unsupported elementwise mode %s" % mode)
        layer = self._add_generic_layer(name, input_names, [output_name])
        if mode in ("CONCAT", "SEQUENCE_CONCAT"):
            layer.concat.SetInParent()
            layer.concat.sequenceConcat = mode == "SEQUENCE_CONCAT"
        elif mode in ("ADD", "MULTIPLY"):
            params = getattr(layer, mode.lower())
            params.SetInParent()
            if alpha:
                params.alpha = alpha
        elif mode in ("COS", "DOT"):
            layer.dot.SetInParent()
            layer.dot.cosineSimilarity = mode == "COS"
        else:
            getattr(layer, {"MAX": "max", "MIN": "min", "AVE": "average"}[mode]).SetInParent()
        return layer

    def add_unary(self, name, input_name, output_name, mode, alpha=1.0, shift=0, scale=1.0, epsilon=None):
        """Unary function of ``scale * x + shift``: ``mode`` "sqrt", "rsqrt", "inverse",
        "power" (to ``alpha``), "exp", "log", "abs" or "threshold" (max with ``alpha``).
        ``epsilon`` guards rsqrt/inverse (default 1e-4) and log (1e-45)."""
        mode = lower(mode)
        operation = enum_value(
            _NN.UnaryFunctionLayerParams.Operation, upper(mode),
            NotImplementedError("Unknown unary function %s " % mode),
        )
        if epsilon is None:
            epsilon = _UNARY_DEFAULT_EPSILON.get(mode, 1e-6)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.unary
        params.epsilon = epsilon
        params.alpha = alpha
        params.shift = shift
        params.scale = scale
        params.type = operation
        return layer

    def add_lrn(self, name, input_name, output_name, alpha, beta, local_size, k=1.0):
        """Local response normalisation across ``local_size`` channels."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.lrn
        params.alpha = alpha
        params.beta = beta
        params.localSize = local_size
        params.k = k
        return layer

    def add_mvn(self, name, input_name, output_name, across_channels=True, normalize_variance=True,
                epsilon=1e-5):
        """Mean (and variance) normalisation over H, W (and C when ``across_channels``)."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.mvn
        params.acrossChannels = across_channels
        params.normalizeVariance = normalize_variance
        params.epsilon = epsilon
        return layer

    def add_l2_normalize(self, name, input_name, output_name, epsilon=1e-5):
        """Divide by the L2 norm over C, H and W."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.l2normalize.epsilon = epsilon
        return layer

    def add_reduce(self, name, input_name, output_name, axis, mode, epsilon=1e-6):
        """Reduce over ``axis`` ("CHW", "HW", "C", "H" or "W") with ``mode`` "sum", "avg",
        "prod", "logsum", "sumsquare", "l1", "l2", "max", "min" or "argmax"."""
        operation = _REDUCE_MODES.get(lower(mode))
        if operation is None:
            raise NotImplementedError("Unknown reduction operation %s." % lower(mode))
        axis = upper(axis)
        axis_value = enum_value(
            _NN.ReduceLayerParams.ReduceAxis, axis, NotImplementedError("Unknown reduction axis %s." % axis)
        )
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.reduce
        params.epsilon = epsilon
        params.mode = _NN.ReduceLayerParams.ReduceOperation.Value(operation)
        params.axis = axis_value
        return layer

    def add_split(self, name, input_name, output_names):
        """Split along channels into ``len(output_names)`` equal parts."""
        layer = self._add_generic_layer(name, [input_name], output_names)
        layer.split.nOutputs = len(output_names)
        return layer

    def add_flatten(self, name, mode, input_name, output_name):
        """Flatten (C, H, W) to (C*H*W, 1, 1): ``mode`` 0 channel-first, 1 channel-last."""
        if mode not in (0, 1):
            raise NotImplementedError("Unknown flatten mode %s " % (mode,))
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.flatten.SetInParent()
        layer.flatten.mode = _NN.FlattenLayerParams.FlattenOrder.Value("CHANNEL_FIRST" if mode == 0 else "CHANNEL_LAST")
        return layer

    def add_slice(self, name, input_name, output_name, axis, start_index=0, end_index=-1, stride=1):
        """Slice ``axis`` ("channel", "height" or "width") from ``start_index`` to
        ``end_index`` (exclusive; negative counts from the end) by ``stride``."""
        if start_index < 0:
            raise ValueError("Invalid start_index value %d. Must be non-negative." % start_index)
        if stride < 1:
            raise ValueError("Invalid stride value %d. Must be positive." % stride)
        axis_name = _SLICE_AXES.get(lower(axis))
        if axis_name is None:
            raise NotImplementedError("Unsupported Slice axis %s " % axis)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.slice
        params.startIndex = start_index
        params.endIndex = end_index
        params.stride = stride
        params.axis = _NN.SliceLayerParams.SliceAxis.Value(axis_name)
        return layer

    def add_permute(self, name, dim, input_name, output_name):
        """Permute the (S, C, H, W) axes: ``dim`` is a permutation of (0, 1, 2, 3)."""
        if len(dim) != 4:
            raise ValueError("Length of the 'dim' parameter must be equal to 4")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.permute.axis.extend(list(dim))
        return layer

    def add_reshape(self, name, input_name, output_name, target_shape, mode):
        """Reshape to ``target_shape`` (C, H, W) or (S, C, H, W); ``mode`` 0 reads and
        writes channel-first, 1 channel-last."""
        if len(target_shape) not in (3, 4):
            raise ValueError("Length of the 'target-shape' parameter must be equal to 3 or 4")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.reshape
        params.targetShape.extend(target_shape)
        params.mode = _NN.ReshapeLayerParams.ReshapeOrder.Value("CHANNEL_FIRST" if mode == 0 else "CHANNEL_LAST")
        self.rank_dict[output_name] = len(target_shape)
        return layer

    def add_sequence_repeat(self, name, nrep, input_name, output_name):
        """Repeat the input ``nrep`` times along the sequence axis."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.sequenceRepeat.nRepetitions = nrep
        return layer

    def add_custom(self, name, input_names, output_names, custom_proto_spec=None):
        """A custom layer, run by the app's own implementation; ``custom_proto_spec`` (a
        CustomLayerParams) names its class and parameters. Needs specification version 2."""
        self._require_specification_version(_enums._MINIMUM_CUSTOM_LAYER_SPEC_VERSION)
        layer = self._add_generic_layer(name, input_names, output_names)
        layer.custom.SetInParent()
        if custom_proto_spec:
            layer.custom.CopyFrom(custom_proto_spec)
        return layer
