"""Which blob shapes the layers of a rank-5 (Core ML 1/2) neural network accept.

Every blob gets a range of sizes for each of its five axes (S: sequence, B: batch, C, H,
W), starting unconstrained. Each layer narrows the ranges of its inputs and outputs
(a convolution fixes its input channels, an inner product needs H = W = 1, a valid
convolution maps input heights to output heights...). Forward and backward sweeps over
the layers repeat until nothing changes. Only the rank-5 layer kinds are understood.
"""
_AXES = ("S", "B", "C", "H", "W")
_LIMIT = 1 << 31  # search bound for inverting size maps


class _Range:
    """Sizes from ``low`` to ``high`` inclusive; ``high`` None means unbounded."""

    def __init__(self, low=0, high=None):
        self.low, self.high = low, high

    def narrow(self, low=0, high=None):
        """Intersect with [low, high]; True if this range changed."""
        new_low = max(self.low, low)
        new_high = self.high if high is None else (high if self.high is None else min(self.high, high))
        changed = (new_low, new_high) != (self.low, self.high)
        self.low, self.high = new_low, new_high
        return changed

    def pair(self):
        return self.low, -1 if self.high is None else self.high


class _BlobShape:
    def __init__(self, name):
        self.name = name
        self.ranges = {axis: _Range() for axis in _AXES}

    def __getitem__(self, axis):
        return self.ranges[axis]

    def as_dict(self):
        return {axis: self.ranges[axis].pair() for axis in _AXES}


class _Shaper:
    def __init__(self):
        self.blobs = {}
        self.changed = False

    def __getitem__(self, name):
        if name not in self.blobs:
            self.blobs[name] = _BlobShape(name)
        return self.blobs[name]

    # Constraint primitives ----------------------------------------------------------

    def narrow(self, blob, axis, low=0, high=None):
        target = blob[axis]
        if target.narrow(low, high):
            self.changed = True
        if target.high is not None and target.low > target.high:
            raise ValueError("No size of axis %s of blob '%s' satisfies every layer." % (axis, blob.name))

    def fix(self, blob, axis, value):
        self.narrow(blob, axis, value, value)

    def tie(self, a, b, axes=_AXES):
        """Axes that must be equal in the two blobs."""
        for axis in axes:
            self.narrow(a, axis, a[axis].low, a[axis].high)
            self.narrow(a, axis, b[axis].low, b[axis].high)
            self.narrow(b, axis, a[axis].low, a[axis].high)

    def map_size(self, source, source_axis, target, target_axis, size_map):
        """``target``'s axis is ``size_map`` (non-decreasing) of ``source``'s axis."""
        low, high = source[source_axis].low, source[source_axis].high
        self.narrow(target, target_axis, max(0, size_map(low)), None if high is None else max(0, size_map(high)))
        out = target[target_axis]
        # The sources mapping into [out.low, out.high] (an actual blob has at least one
        # element per axis): bisect the smallest and the largest.
        first = _bisect(lambda x: size_map(x) >= max(out.low, 1))
        last = None if out.high is None else _bisect(lambda x: size_map(x) > out.high) - 1
        self.narrow(source, source_axis, first, last)

    def product(self, source, axes, target, target_axis):
        """``target``'s axis is the product of ``source``'s ``axes``."""
        highs = [source[a].high for a in axes]
        self.narrow(target, target_axis, _prod(source[a].low for a in axes), None if None in highs else _prod(highs))
        self.bound_factors(source, axes, target[target_axis])

    def bound_factors(self, source, axes, total):
        """Narrow ``source``'s ``axes`` so that their product can lie in ``total``."""
        for axis in axes:
            others = [a for a in axes if a != axis]
            if total.high is not None:
                self.narrow(source, axis, 0, total.high // max(1, _prod(source[a].low for a in others)))
            other_highs = [source[a].high for a in others]
            if total.low and None not in other_highs:
                self.narrow(source, axis, _ceil_div(total.low, max(1, _prod(other_highs))))

    # Layers ------------------------------------------------------------------------------

    def layer(self, layer):
        kind = layer.WhichOneof("layer")
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise ValueError(
                "Shape ranges are computed for rank-5 (Core ML 1/2) layers only; layer '%s' is of type %s."
                % (layer.name, kind)
            )
        handler(self, layer, getattr(layer, kind), [self[n] for n in layer.input], [self[n] for n in layer.output])


def _bisect(predicate):
    """Smallest x in [0, _LIMIT] with ``predicate(x)`` (non-decreasing in x)."""
    low, high = 0, _LIMIT
    while low < high:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _prod(values):
    result = 1
    for value in values:
        result *= value
    return result


def _ceil_div(a, b):
    return -(-a // b)


def _spatial(shaper, source, target, height_map, width_map, tie_channels=True):
    shaper.tie(source, target, ("S", "B", "C") if tie_channels else ("S", "B"))
    shaper.map_size(source, "H", target, "H", height_map)
    shaper.map_size(source, "W", target, "W", width_map)


def _edges(border_amounts):
    """(top, bottom, left, right) of a BorderAmounts message."""
    amounts = list(border_amounts.borderAmounts)
    if len(amounts) != 2:
        return 0, 0, 0, 0
    return amounts[0].startEdgeSize, amounts[0].endEdgeSize, amounts[1].startEdgeSize, amounts[1].endEdgeSize


def _pair(values, default):
    return (values[0], values[1]) if len(values) == 2 else (default, default)


def _convolution(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    groups = max(params.nGroups, 1)
    shaper.fix(source, "C", params.kernelChannels if params.isDeconvolution else params.kernelChannels * groups)
    shaper.fix(target, "C", params.outputChannels)
    shaper.tie(source, target, ("S", "B"))
    kh, kw = _pair(params.kernelSize, 3)
    sh, sw = _pair(params.stride, 1)
    dh, dw = _pair(params.dilationFactor, 1)
    kh, kw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if params.isDeconvolution and len(params.outputShape) == 2:
        shaper.fix(target, "H", params.outputShape[0])
        shaper.fix(target, "W", params.outputShape[1])
        return
    if params.WhichOneof("ConvolutionPaddingType") == "same":
        if params.isDeconvolution:
            maps = (lambda x: x * sh, lambda x: x * sw)
        else:
            maps = (lambda x: _ceil_div(x, sh), lambda x: _ceil_div(x, sw))
    else:
        top, bottom, left, right = _edges(params.valid.paddingAmounts)
        if params.isDeconvolution:
            maps = (lambda x: (x - 1) * sh + kh - top - bottom, lambda x: (x - 1) * sw + kw - left - right)
        else:
            maps = (lambda x: (x + top + bottom - kh) // sh + 1, lambda x: (x + left + right - kw) // sw + 1)
    _spatial(shaper, source, target, *maps, tie_channels=False)


def _pooling(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    if params.globalPooling:
        shaper.tie(source, target, ("S", "B", "C"))
        shaper.fix(target, "H", 1)
        shaper.fix(target, "W", 1)
        return
    kh, kw = _pair(params.kernelSize, 3)
    sh, sw = _pair(params.stride, 1)
    padding = params.WhichOneof("PoolingPaddingType")
    if padding == "same":
        maps = (lambda x: _ceil_div(x, sh), lambda x: _ceil_div(x, sw))
    elif padding == "includeLastPixel":
        ph, pw = _pair(params.includeLastPixel.paddingAmounts, 0)

        def include_last(x, k, s, p):
            out = _ceil_div(x + 2 * p - k, s) + 1
            # the last window must start inside the (top/left padded) input
            return out - 1 if p and (out - 1) * s >= x + p else out

        maps = (lambda x: include_last(x, kh, sh, ph), lambda x: include_last(x, kw, sw, pw))
    else:
        top, bottom, left, right = _edges(params.valid.paddingAmounts)
        maps = (lambda x: (x + top + bottom - kh) // sh + 1, lambda x: (x + left + right - kw) // sw + 1)
    _spatial(shaper, source, target, *maps)


def _unchanged(shaper, layer, params, inputs, outputs):
    shaper.tie(inputs[0], outputs[0])


def _broadcast(shaper, layer, params, inputs, outputs):
    """Elementwise layers over several inputs: each input axis is 1 or the output's size."""
    if len(inputs) == 1:
        return _unchanged(shaper, layer, params, inputs, outputs)
    target = outputs[0]
    for axis in _AXES:
        highs = [blob[axis].high for blob in inputs]
        shaper.narrow(target, axis, max(blob[axis].low for blob in inputs), None if None in highs else max(highs))


def _inner_product(shaper, layer, params, inputs, outputs):
    _vector_layer(shaper, inputs[0], outputs[0], params.inputChannels, params.outputChannels)


def _embedding(shaper, layer, params, inputs, outputs):
    _vector_layer(shaper, inputs[0], outputs[0], 1, params.outputChannels)


def _vector_layer(shaper, source, target, in_channels, out_channels):
    shaper.tie(source, target, ("S", "B"))
    for blob, channels in ((source, in_channels), (target, out_channels)):
        shaper.fix(blob, "C", channels)
        shaper.fix(blob, "H", 1)
        shaper.fix(blob, "W", 1)


def _crop(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    if len(inputs) == 2:
        shaper.tie(source, target, ("S", "B", "C"))
        shaper.tie(inputs[1], target, ("H", "W"))
        return
    top, bottom, left, right = _edges(params.cropAmounts)
    _spatial(shaper, source, target, lambda x: x - top - bottom, lambda x: x - left - right)


def _padding(shaper, layer, params, inputs, outputs):
    top, bottom, left, right = _edges(params.paddingAmounts)
    _spatial(shaper, inputs[0], outputs[0], lambda x: x + top + bottom, lambda x: x + left + right)


def _upsample(shaper, layer, params, inputs, outputs):
    if len(params.fractionalScalingFactor) == 2:
        fh, fw = params.fractionalScalingFactor
        maps = (lambda x: int(x * fh), lambda x: int(x * fw))
    else:
        sh, sw = (max(f, 1) for f in _pair(params.scalingFactor, 1))
        maps = (lambda x: x * sh, lambda x: x * sw)
    _spatial(shaper, inputs[0], outputs[0], *maps)


def _dot(shaper, layer, params, inputs, outputs):
    for other in inputs[1:]:
        shaper.tie(inputs[0], other)
    shaper.tie(inputs[0], outputs[0], ("S", "B"))
    for axis in ("C", "H", "W"):
        shaper.fix(outputs[0], axis, 1)


def _reduce(shaper, layer, params, inputs, outputs):
    reduced = params.DESCRIPTOR.fields_by_name["axis"].enum_type.values_by_number[params.axis].name
    shaper.tie(inputs[0], outputs[0], [a for a in _AXES if a not in reduced])
    for axis in reduced:
        shaper.fix(outputs[0], axis, 1)


def _load_constant(shaper, layer, params, inputs, outputs):
    shape = list(params.shape)[-3:]
    for axis, size in zip(("C", "H", "W")[3 - len(shape):], shape):
        shaper.fix(outputs[0], axis, size)


def _reshape(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    shape = list(params.targetShape)
    axes = ("S", "C", "H", "W")[4 - len(shape):]
    for axis, size in zip(axes, shape):
        shaper.fix(target, axis, size)
    shaper.tie(source, target, ("B",))
    count = _prod(shape)
    shaper.bound_factors(source, axes, _Range(count, count))


def _flatten(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    shaper.tie(source, target, ("S", "B"))
    shaper.product(source, ("C", "H", "W"), target, "C")
    shaper.fix(target, "H", 1)
    shaper.fix(target, "W", 1)


def _permute(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    names = ("S", "C", "H", "W")
    shaper.tie(source, target, ("B",))
    for position, axis in enumerate(params.axis):
        target_range = target[names[position]]
        shaper.narrow(source, names[axis], target_range.low, target_range.high)
        source_range = source[names[axis]]
        shaper.narrow(target, names[position], source_range.low, source_range.high)


def _concat(shaper, layer, params, inputs, outputs):
    target = outputs[0]
    summed = "S" if params.sequenceConcat else "C"
    for source in inputs:
        shaper.tie(source, target, [a for a in _AXES if a != summed])
    highs = [blob[summed].high for blob in inputs]
    shaper.narrow(target, summed, sum(blob[summed].low for blob in inputs), None if None in highs else sum(highs))
    if target[summed].high is not None:
        for index, source in enumerate(inputs):
            others = sum(blob[summed].low for i, blob in enumerate(inputs) if i != index)
            shaper.narrow(source, summed, 0, target[summed].high - others)


def _split(shaper, layer, params, inputs, outputs):
    parts = max(params.nOutputs, len(outputs), 1)
    for target in outputs:
        shaper.tie(inputs[0], target, ("S", "B", "H", "W"))
        shaper.map_size(inputs[0], "C", target, "C", lambda x: x // parts)


def _sequence_repeat(shaper, layer, params, inputs, outputs):
    repeats = max(params.nRepetitions, 1)
    shaper.tie(inputs[0], outputs[0], ("B", "C", "H", "W"))
    shaper.map_size(inputs[0], "S", outputs[0], "S", lambda x: x * repeats)


def _reorganize_data(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    block = max(params.blockSize, 1)
    shaper.tie(source, target, ("S", "B"))
    if params.mode == params.SPACE_TO_DEPTH:
        maps = (lambda c: c * block * block, lambda x: x // block)
    else:
        maps = (lambda c: c // (block * block), lambda x: x * block)
    shaper.map_size(source, "C", target, "C", maps[0])
    shaper.map_size(source, "H", target, "H", maps[1])
    shaper.map_size(source, "W", target, "W", maps[1])


def _slice(shaper, layer, params, inputs, outputs):
    source, target = inputs[0], outputs[0]
    axis = {params.CHANNEL_AXIS: "C", params.HEIGHT_AXIS: "H", params.WIDTH_AXIS: "W"}[params.axis]
    shaper.tie(source, target, [a for a in _AXES if a != axis])
    shaper.narrow(source, axis, params.startIndex + 1)
    shaper.narrow(target, axis, 0, source[axis].high)


def _recurrent(shaper, layer, params, inputs, outputs):
    kind = layer.WhichOneof("layer")
    hidden = params.outputVectorSize
    sequence_output = params.params.sequenceOutput if kind.endswith("LSTM") else params.sequenceOutput
    output_channels = 2 * hidden if kind == "biDirectionalLSTM" else hidden
    source, target = inputs[0], outputs[0]
    shaper.tie(source, target, ("B",))
    for blob, channels in ((source, params.inputVectorSize), (target, output_channels)):
        shaper.fix(blob, "C", channels)
        shaper.fix(blob, "H", 1)
        shaper.fix(blob, "W", 1)
    if sequence_output:
        shaper.tie(source, target, ("S",))
    else:
        shaper.fix(target, "S", 1)
    for state in inputs[1:] + outputs[1:]:
        shaper.fix(state, "S", 1)
        shaper.fix(state, "C", hidden)
        shaper.fix(state, "H", 1)
        shaper.fix(state, "W", 1)


def _resize(shaper, layer, params, inputs, outputs):
    shaper.tie(inputs[0], outputs[0], ("B", "C") if layer.WhichOneof("layer") == "cropResize" else ("S", "B", "C"))
    height, width = _pair(params.targetSize, 1)
    shaper.fix(outputs[0], "H", height)
    shaper.fix(outputs[0], "W", width)


def _custom(shaper, layer, params, inputs, outputs):
    pass  # nothing is known about a custom layer's shapes


_HANDLERS = {
    "convolution": _convolution,
    "pooling": _pooling,
    "activation": _unchanged,
    "innerProduct": _inner_product,
    "embedding": _embedding,
    "batchnorm": _unchanged,
    "mvn": _unchanged,
    "l2normalize": _unchanged,
    "softmax": _unchanged,
    "lrn": _unchanged,
    "crop": _crop,
    "padding": _padding,
    "upsample": _upsample,
    "unary": _unchanged,
    "add": _broadcast,
    "multiply": _broadcast,
    "average": _broadcast,
    "scale": _unchanged,
    "bias": _unchanged,
    "max": _broadcast,
    "min": _broadcast,
    "dot": _dot,
    "reduce": _reduce,
    "loadConstant": _load_constant,
    "reshape": _reshape,
    "flatten": _flatten,
    "permute": _permute,
    "concat": _concat,
    "split": _split,
    "sequenceRepeat": _sequence_repeat,
    "reorganizeData": _reorganize_data,
    "slice": _slice,
    "simpleRecurrent": _recurrent,
    "gru": _recurrent,
    "uniDirectionalLSTM": _recurrent,
    "biDirectionalLSTM": _recurrent,
    "custom": _custom,
    "resizeBilinear": _resize,
    "cropResize": _resize,
}


def network_shape_ranges(spec, max_sweeps=32):
    """Blob name -> _BlobShape for every input and blob of the neural network in
    ``spec``, from the layers' requirements alone."""
    network = None
    for kind in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"):
        if spec.HasField(kind):
            network = getattr(spec, kind)
    if network is None:
        raise ValueError("The model is not a neural network.")
    shaper = _Shaper()
    for feature in spec.description.input:
        shaper[feature.name]
    layers = list(network.layers)
    for _ in range(max_sweeps):
        shaper.changed = False
        for layer in layers + layers[::-1]:
            shaper.layer(layer)
        if not shaper.changed:
            break
    return shaper.blobs
