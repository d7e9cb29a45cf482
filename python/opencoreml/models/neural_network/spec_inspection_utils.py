"""Human-readable summaries of a neural-network spec: each layer's type, blobs and
parameters (weights shown by size and storage, not by value), and a code-like listing
of the network used by ``printer.print_network_spec(style="coding")``."""
import numpy as _np

from ...proto import NeuralNetwork_pb2 as _NeuralNetwork_pb2

_LSTM_WEIGHT_NAMES = (
    ("W_i", "inputGateWeightMatrix"), ("W_f", "forgetGateWeightMatrix"),
    ("W_z", "blockInputWeightMatrix"), ("W_o", "outputGateWeightMatrix"),
    ("H_i", "inputGateRecursionMatrix"), ("H_f", "forgetGateRecursionMatrix"),
    ("H_z", "blockInputRecursionMatrix"), ("H_o", "outputGateRecursionMatrix"),
    ("b_i", "inputGateBiasVector"), ("b_f", "forgetGateBiasVector"),
    ("b_z", "blockInputBiasVector"), ("b_o", "outputGateBiasVector"),
    ("p_i", "inputGatePeepholeVector"), ("p_f", "forgetGatePeepholeVector"),
    ("p_o", "outputGatePeepholeVector"),
)


def _get_weight_param_summary(wp):
    """How a WeightParams stores its values, e.g. ``8-bit linearly quantized(24 bytes rawValues)``."""
    summary = ""
    if wp.HasField("quantization"):
        kind = "linearly" if wp.quantization.HasField("linearQuantization") else "lookup-table"
        summary += "{}-bit {} quantized".format(wp.quantization.numberOfBits, kind)
    if len(wp.floatValue) > 0:
        summary += "({} floatValues)".format(len(wp.floatValue))
    if len(wp.float16Value) > 0:
        summary += "({} bytes float16Values)".format(len(wp.float16Value))
    if len(wp.rawValue) > 0:
        summary += "({} bytes rawValues)".format(len(wp.rawValue))
    if len(wp.int8RawValue) > 0:
        summary += "({} bytes int8RawValues)".format(len(wp.int8RawValue))
    return summary


def _get_lstm_weight_param_summary(lstm_wp):
    lines = []
    for short, field in _LSTM_WEIGHT_NAMES:
        summary = _get_weight_param_summary(getattr(lstm_wp, field))
        if summary:
            lines.append(short + ", " + summary)
    return ("\n" + " " * 8).join(lines)


def _get_feature_description_summary(feature):
    if feature.type.HasField("multiArrayType"):
        return str([int(x) for x in feature.type.multiArrayType.shape])
    return "({})".format(str(feature.type)).replace("\n", "")


def _summarize_network_layer_info(layer):
    """(type, name, inputs, outputs, [[parameter, summary], ...]) of a layer."""
    kind = layer.WhichOneof("layer")
    params = getattr(layer, kind)
    details = []
    for field in params.DESCRIPTOR.fields:
        value = getattr(params, field.name)
        if isinstance(value, _NeuralNetwork_pb2.LSTMWeightParams):
            summary = _get_lstm_weight_param_summary(value)
        elif isinstance(value, _NeuralNetwork_pb2.WeightParams):
            summary = _get_weight_param_summary(value)
        else:
            summary = str(value).replace("\n", " ")
        if summary:
            details.append([field.name, summary])
    return kind, layer.name, list(layer.input), list(layer.output), details


def _nn_of(spec):
    for kind in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"):
        if spec.HasField(kind):
            return getattr(spec, kind)
    return None


def _summarize_neural_network_spec(mlmodel_spec):
    """(inputs, outputs, layers) summaries; layers is None for a non-network model."""
    inputs = [(f.name, _get_feature_description_summary(f)) for f in mlmodel_spec.description.input]
    outputs = [(f.name, _get_feature_description_summary(f)) for f in mlmodel_spec.description.output]
    nn = _nn_of(mlmodel_spec)
    layers = None if nn is None else [_summarize_network_layer_info(layer) for layer in nn.layers]
    return inputs, outputs, layers


# ---------------------------------------------------------------------------------------
# Code-style listing: one "outputs = layerType(inputs)" line per layer, nested networks
# of branches and loops indented.

_COLORS = {"red": "91", "light_purple": "94", "purple": "95", "green": "92"}


def _colored(color, text, end=None):
    print("\033[{}m {}\033[00m".format(_COLORS[color], text), end=end)


def _constant_shape_and_value(layer):
    """Shape of a load-constant layer and, for fewer than 4 values, the values."""
    kind = layer.WhichOneof("layer")
    params = getattr(layer, kind)
    shape = tuple(int(x) for x in params.shape)
    if kind == "loadConstant":
        shape = (1, 1) + shape  # rank-5 layout: (sequence, batch, C, H, W)
    values = None
    if int(_np.prod(shape)) < 4 and len(params.data.floatValue) > 0:
        values = list(params.data.floatValue)
    return shape, values


def _print_call(kind, arguments, indentation, indent=True, shape=None, values=None):
    _colored("red", (indentation * "\t" if indent else "") + kind, end="")
    if shape is None:
        _colored("light_purple", "({})".format(", ".join(arguments)))
        return
    _colored("light_purple", "(shape = ", end="")
    if values is None:
        print(str(shape), end="")
    else:
        print("{}, ".format(shape), end="")
        _colored("light_purple", "value = ", end="")
        print("[{}]".format(",".join("{0: 0.1f}".format(v) for v in values).lstrip()), end="")
    _colored("light_purple", ")")


def _summarize_neural_network_spec_code_style(nn_spec, indentation=0, input_names=None, output_names=None):
    if input_names:
        print("def model({}):".format(", ".join(input_names)))
        indentation += 1
    for layer in nn_spec.layers:
        kind = layer.WhichOneof("layer")
        inputs = list(layer.input)
        if kind == "loop":
            condition = layer.loop.conditionNetwork
            if len(condition.layers) > 0:
                _colored("purple", indentation * "\t" + "Condition Network: ")
                _summarize_neural_network_spec_code_style(condition, indentation)
            if layer.loop.conditionVar:
                inputs.append(layer.loop.conditionVar)
            _print_call(kind, inputs, indentation)
            _summarize_neural_network_spec_code_style(layer.loop.bodyNetwork, indentation + 1)
            continue
        if kind == "branch":
            _print_call(kind, inputs, indentation)
            _colored("red", indentation * "\t" + "IfBranch:")
            _summarize_neural_network_spec_code_style(layer.branch.ifBranch, indentation + 1)
            if len(layer.branch.elseBranch.layers) > 0:
                _colored("red", indentation * "\t" + "ElseBranch:")
                _summarize_neural_network_spec_code_style(layer.branch.elseBranch, indentation + 1)
            continue
        if kind in ("loopBreak", "loopContinue"):
            _colored("red", indentation * "\t" + kind)
            continue
        shape = values = None
        if kind in ("loadConstant", "loadConstantND"):
            shape, values = _constant_shape_and_value(layer)
        print(indentation * "\t", end="")
        print("{} =".format(", ".join(layer.output)), end="")
        _print_call(kind, inputs, indentation, indent=False, shape=shape, values=values)
    if output_names:
        _colored("red", "\n" + indentation * "\t" + "return ", end="")
        print(", ".join(output_names))
