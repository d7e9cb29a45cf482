"""Where the weights of each neural-network layer kind live, with the tensor shape they
hold and the axis of their output channels — what weight quantization and
dequantization need to treat every weight blob of a layer."""
import numpy as _np

_LSTM_GATES = ("inputGate", "forgetGate", "blockInput", "outputGate")
_LSTM_PEEPHOLES = ("inputGate", "forgetGate", "outputGate")
_GRU_GATES = ("updateGate", "resetGate", "outputGate")

# Layer kinds with weights in their own fields (branch and loop layers hold networks).
WEIGHTED_LAYER_KINDS = frozenset({
    "convolution", "innerProduct", "embedding", "embeddingND", "batchnorm", "scale", "bias",
    "loadConstant", "loadConstantND", "simpleRecurrent", "gru", "uniDirectionalLSTM",
    "biDirectionalLSTM", "batchedMatmul",
})


class WeightField:
    """One weight blob of a layer: its WeightParams, the shape it holds, the axis of its
    output channels (for per-channel quantization) and whether it is a bias."""

    def __init__(self, params, shape, axis=0, is_bias=False):
        self.params = params
        self.shape = tuple(int(d) for d in shape)
        self.axis = axis
        self.is_bias = is_bias


def _gate_fields(weights, gates, inputs, outputs, has_bias, peephole_gates=()):
    """The <gate>WeightMatrix, RecursionMatrix, BiasVector (with ``has_bias``) and
    PeepholeVector (of ``peephole_gates``) fields of a gated recurrent layer."""
    for gate in gates:
        yield WeightField(getattr(weights, gate + "WeightMatrix"), (outputs, inputs))
    for gate in gates:
        yield WeightField(getattr(weights, gate + "RecursionMatrix"), (outputs, outputs))
    if has_bias:
        for gate in gates:
            yield WeightField(getattr(weights, gate + "BiasVector"), (outputs,), is_bias=True)
    for gate in peephole_gates:
        yield WeightField(getattr(weights, gate + "PeepholeVector"), (outputs,))


def _lstm_fields(weights, lstm):
    peepholes = _LSTM_PEEPHOLES if lstm.params.hasPeepholeVectors else ()
    yield from _gate_fields(weights, _LSTM_GATES, lstm.inputVectorSize, lstm.outputVectorSize, True, peepholes)


def _matrix_and_bias(params, rows, columns):
    """``weights`` of shape (rows, columns) and, with ``hasBias``, ``bias`` of ``rows``."""
    yield WeightField(params.weights, (rows, columns))
    if params.hasBias:
        yield WeightField(params.bias, (rows,), is_bias=True)


def weight_fields(layer):
    """The WeightFields of ``layer`` (none for kinds outside WEIGHTED_LAYER_KINDS)."""
    kind = layer.WhichOneof("layer")
    if kind not in WEIGHTED_LAYER_KINDS:
        return
    params = getattr(layer, kind)
    if kind == "convolution":
        out, kc = params.outputChannels, params.kernelChannels
        kh, kw = params.kernelSize[0], params.kernelSize[1]
        if params.isDeconvolution:
            yield WeightField(params.weights, (kc, out // max(params.nGroups, 1), kh, kw), axis=1)
        else:
            yield WeightField(params.weights, (out, kc, kh, kw))
        if params.hasBias:
            yield WeightField(params.bias, (out,), is_bias=True)
    elif kind == "innerProduct":
        yield from _matrix_and_bias(params, params.outputChannels, params.inputChannels)
    elif kind == "batchedMatmul":  # the spec holds the matrix transposed: (columns, rows)
        yield from _matrix_and_bias(params, params.weightMatrixSecondDimension, params.weightMatrixFirstDimension)
    elif kind == "embedding":
        yield from _matrix_and_bias(params, params.outputChannels, params.inputDim)
    elif kind == "embeddingND":
        yield from _matrix_and_bias(params, params.embeddingSize, params.vocabSize)
    elif kind == "batchnorm":
        for field in ("gamma", "beta", "mean", "variance"):
            yield WeightField(getattr(params, field), (params.channels,))
    elif kind == "scale":
        yield WeightField(params.scale, (int(_np.prod(params.shapeScale)),))
        if params.hasBias:
            yield WeightField(params.bias, (int(_np.prod(params.shapeBias)),), is_bias=True)
    elif kind == "bias":
        yield WeightField(params.bias, (int(_np.prod(params.shape)),), is_bias=True)
    elif kind in ("loadConstant", "loadConstantND"):
        yield WeightField(params.data, (int(_np.prod(params.shape)),))
    elif kind == "simpleRecurrent":
        inputs, outputs = params.inputVectorSize, params.outputVectorSize
        yield WeightField(params.weightMatrix, (outputs, inputs))
        yield WeightField(params.recursionMatrix, (outputs, outputs))
        if params.hasBiasVector:
            yield WeightField(params.biasVector, (outputs,), is_bias=True)
    elif kind == "gru":
        yield from _gate_fields(params, _GRU_GATES, params.inputVectorSize, params.outputVectorSize,
                                params.hasBiasVectors)
    elif kind == "uniDirectionalLSTM":
        yield from _lstm_fields(params.weightParams, params)
    else:  # biDirectionalLSTM
        for weights in params.weightParams:
            yield from _lstm_fields(weights, params)


def nested_networks(layer):
    """The NeuralNetworks inside a branch or loop layer."""
    kind = layer.WhichOneof("layer")
    if kind == "branch":
        return [layer.branch.ifBranch, layer.branch.elseBranch]
    if kind == "loop":
        return [layer.loop.conditionNetwork, layer.loop.bodyNetwork]
    return []
