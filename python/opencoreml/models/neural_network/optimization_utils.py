"""Folding of per-channel affine layers into the layer before them, done before weight
quantization so the folded weights are quantized once: batchnorm, scale and bias after a
convolution; scale and bias after an inner product; scale after a batchnorm.

A pair is folded only when the first layer's output feeds nothing but the second layer,
the second layer reads nothing else, the intermediate blob is not a model output, and
both layers keep their parameters as float32 values with one value (or one per channel).
"""
import numpy as _np


def _floats(weight_params):
    return _np.asarray(weight_params.floatValue, dtype=_np.float64)


def _set(weight_params, values):
    del weight_params.floatValue[:]
    weight_params.floatValue.extend(_np.asarray(values, dtype=_np.float32).reshape(-1).tolist())


def _plain(weight_params):
    """The float32 values of ``weight_params``, or None if stored as float16 or quantized."""
    if len(weight_params.float16Value) or weight_params.HasField("quantization"):
        return None
    return _floats(weight_params)


def _per_channel(weight_params, channels):
    """Float values of ``weight_params`` if there is one, or one per channel; else None."""
    values = _plain(weight_params)
    return values if values is not None and values.size in (1, channels) else None


def _affine(layer, channels):
    """(multiplier, offset) per channel of a foldable scale, bias or batchnorm layer."""
    kind = layer.WhichOneof("layer")
    if kind == "scale":
        scale = _per_channel(layer.scale.scale, channels)
        offset = _per_channel(layer.scale.bias, channels) if layer.scale.hasBias else _np.zeros(1)
        return None if scale is None or offset is None else (scale, offset)
    if kind == "bias":
        offset = _per_channel(layer.bias.bias, channels)
        return None if offset is None else (_np.ones(1), offset)
    if kind == "batchnorm":
        bn = layer.batchnorm
        if bn.instanceNormalization or bn.computeMeanVar:
            return None
        parts = [_per_channel(getattr(bn, f), channels) for f in ("gamma", "beta", "mean", "variance")]
        if any(p is None for p in parts):
            return None
        gamma, beta, mean, variance = parts
        multiplier = gamma / _np.sqrt(variance + bn.epsilon)
        return multiplier, beta - mean * multiplier
    return None


def _fold_into_weighted(producer, consumer):
    """Fold ``consumer`` (scale/bias/batchnorm) into a convolution or inner product."""
    params = getattr(producer, producer.WhichOneof("layer"))
    if producer.WhichOneof("layer") == "convolution" and params.isDeconvolution:
        return False  # weights are laid out (in, out, ...), not per output channel
    channels = params.outputChannels
    weights = _plain(params.weights)
    if weights is None or weights.size == 0 or weights.size % channels:
        return False
    if params.hasBias and _per_channel(params.bias, channels) is None:
        return False
    affine = _affine(consumer, channels)
    if affine is None:
        return False
    multiplier, offset = (_np.broadcast_to(v, (channels,)) for v in affine)
    bias = _np.broadcast_to(_floats(params.bias), (channels,)) if params.hasBias else _np.zeros(channels)
    _set(params.weights, weights.reshape(channels, -1) * multiplier[:, None])
    _set(params.bias, bias * multiplier + offset)
    params.hasBias = True
    return True


def _fold_scale_into_batchnorm(producer, consumer):
    bn = producer.batchnorm
    if bn.instanceNormalization or consumer.WhichOneof("layer") != "scale":
        return False
    channels = bn.channels
    gamma, beta = _per_channel(bn.gamma, channels), _per_channel(bn.beta, channels)
    affine = _affine(consumer, channels)
    if gamma is None or beta is None or affine is None:
        return False
    multiplier, offset = affine
    _set(bn.gamma, _np.broadcast_to(gamma * multiplier, (channels,)))
    _set(bn.beta, _np.broadcast_to(beta * multiplier + offset, (channels,)))
    return True


_FOLDS = {
    "convolution": (("batchnorm", "scale", "bias"), _fold_into_weighted),
    "innerProduct": (("scale", "bias"), _fold_into_weighted),
    "batchnorm": (("scale",), _fold_scale_into_batchnorm),
}


def _fold_once(layers, protected):
    for producer in layers:
        kind = producer.WhichOneof("layer")
        if kind not in _FOLDS or len(producer.output) != 1:
            continue
        blob = producer.output[0]
        consumers = [i for i, layer in enumerate(layers) if blob in layer.input]
        if blob in protected or len(consumers) != 1:
            continue
        consumer = layers[consumers[0]]
        followers, fold = _FOLDS[kind]
        if consumer.WhichOneof("layer") not in followers or list(consumer.input) != [blob]:
            continue
        if not fold(producer, consumer):
            continue
        print("Fused {}->{}".format(producer.name, consumer.name))
        del producer.output[:]
        producer.output.extend(consumer.output)
        del layers[consumers[0]]
        return True
    return False


def _optimize_nn(layers, protected_blobs=()):
    """Fold foldable layer pairs of the repeated ``layers`` field in place, until none
    is left; blobs in ``protected_blobs`` (model outputs) are never folded away."""
    protected = set(protected_blobs)
    while _fold_once(layers, protected):
        pass
