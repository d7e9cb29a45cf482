"""Rebuilds the corpus models written by coremltools' NeuralNetworkBuilder (the nnb_*
cases) with opencoreml's builder, taking the weights from the corpus files, so tests can
compare the two specs byte for byte."""
import numpy as np

from opencoreml.models import datatypes
from opencoreml.models.neural_network import NeuralNetworkBuilder


def _weights(layer, *path):
    value = getattr(layer, layer.WhichOneof("layer"))
    for part in path:
        value = getattr(value, part)
    return np.array(value.floatValue, dtype=np.float32)


def _conv_weights(layer):
    """The spec's (O, C/groups, kh, kw) weights in the builder's (kh, kw, C/groups, O) order."""
    conv = layer.convolution
    shape = (conv.outputChannels, conv.kernelChannels, conv.kernelSize[0], conv.kernelSize[1])
    return _weights(layer, "weights").reshape(shape).transpose(2, 3, 1, 0)


def _unknown_outputs(names):
    return [(name, None) for name in names]


def build_conv_pool(reference):
    """nnb_conv_pool: convolutions, batchnorm, pooling, elementwise, concat, upsample,
    permute, flatten, softmax and padding over a (3, 10, 12) input."""
    layers = {layer.name: layer for layer in reference.neuralNetwork.layers}
    outputs = [feature.name for feature in reference.description.output]
    b = NeuralNetworkBuilder([("x", datatypes.Array(3, 10, 12))], _unknown_outputs(outputs))
    b.add_convolution("conv1", 3, 8, 3, 3, 1, 1, "same", 1, _conv_weights(layers["conv1"]),
                      _weights(layers["conv1"], "bias"), True, input_name="x", output_name="c1")
    bn = layers["bn"]
    b.add_batchnorm("bn", 8, _weights(bn, "gamma"), _weights(bn, "beta"), _weights(bn, "mean"),
                    _weights(bn, "variance"), input_name="c1", output_name="bn")
    b.add_activation("relu", "RELU", "bn", "conv_bn_relu")
    b.add_pooling("maxpool", 2, 2, 2, 2, "MAX", "VALID", "conv_bn_relu", "maxpool")
    b.add_convolution("conv2", 4, 8, 3, 3, 1, 1, "valid", 2, _conv_weights(layers["conv2"]), None, False,
                      input_name="conv_bn_relu", output_name="grouped_dilated", dilation_factors=[2, 2])
    b.add_pooling("avgpool", 3, 3, 1, 1, "AVERAGE", "SAME", "conv_bn_relu", "avg_same")
    b.add_elementwise("add", ["conv_bn_relu", "avg_same"], "sum", "ADD")
    b.add_elementwise("mul", ["sum", "bn"], "sum_prod", "MULTIPLY")
    b.add_pooling("gap", 0, 0, 0, 0, "AVERAGE", "VALID", "sum_prod", "global_avg", is_global=True)
    b.add_pooling("l2pool", 2, 2, 2, 2, "L2", "VALID", "conv_bn_relu", "l2p")
    b.add_elementwise("concat", ["maxpool", "l2p"], "concat_l2", "CONCAT")
    b.add_upsample("up", 2, 2, "maxpool", "upsampled")
    b.add_permute("perm", (0, 2, 3, 1), "maxpool", "permuted")
    b.add_flatten("flat", 0, "maxpool", "flat")
    b.add_softmax("sm", "flat", "flat_softmax")
    b.add_padding("pad", left=1, right=2, top=2, bottom=0, value=-0.5, input_name="maxpool", output_name="padded")
    b.add_convolution("conv3", 8, 4, 2, 2, 2, 2, "valid", 1, _conv_weights(layers["conv3"]), None, False,
                      input_name="conv_bn_relu", output_name="strided")
    return b


def build_dense_activations(reference):
    """nnb_dense_activations: two inner products around every classic activation."""
    layers = {layer.name: layer for layer in reference.neuralNetwork.layers}
    outputs = [(f.name, datatypes.Array(*f.type.multiArrayType.shape)) for f in reference.description.output]
    b = NeuralNetworkBuilder([("x", datatypes.Array(8))], outputs)
    b.add_inner_product("fc1", _weights(layers["fc1"], "weights").reshape(16, 8), _weights(layers["fc1"], "bias"),
                        8, 16, True, "x", "h")
    prelu = _weights(layers["act_prelu"], "PReLU", "alpha")
    softplus = (_weights(layers["act_parametric_softplus"], "parametricSoftplus", "alpha"),
                _weights(layers["act_parametric_softplus"], "parametricSoftplus", "beta"))
    for name, kind, params in [
        ("relu", "RELU", None), ("leaky_relu", "LEAKYRELU", [0.1]), ("tanh", "TANH", None),
        ("sigmoid", "SIGMOID", None), ("elu", "ELU", 0.8), ("softplus", "SOFTPLUS", None),
        ("softsign", "SOFTSIGN", None), ("scaled_tanh", "SCALED_TANH", [1.5, 0.7]),
        ("sigmoid_hard", "SIGMOID_HARD", None), ("linear", "LINEAR", [2.0, -1.0]),
        ("thresholded_relu", "THRESHOLDEDRELU", 0.3), ("prelu", "PRELU", prelu),
        ("parametric_softplus", "PARAMETRICSOFTPLUS", softplus),
    ]:
        b.add_activation("act_" + name, kind, "h", name, params=params)
    b.add_inner_product("fc2", _weights(layers["fc2"], "weights").reshape(5, 16), _weights(layers["fc2"], "bias"),
                        16, 5, True, "relu", "logits")
    b.add_softmax("softmax", "logits", "probs")
    return b


def build_nd_ops(reference):
    """nnb_nd_ops: rank-N layers (batched matmul, broadcasting arithmetic, reductions,
    shape ops, layer norm, where, embedding, gather, gelu, cumsum, argmax)."""
    layers = {layer.name: layer for layer in reference.neuralNetwork.layers}
    outputs = [feature.name for feature in reference.description.output]
    inputs = [("x", datatypes.Array(4, 6)), ("y", datatypes.Array(4, 6)), ("ids", datatypes.Array(5, 1))]
    b = NeuralNetworkBuilder(inputs, _unknown_outputs(outputs), disable_rank5_shape_mapping=True)
    matmul = _weights(layers["mm"], "weights").reshape(5, 6).T  # the spec stores W transposed
    b.add_batched_mat_mul("mm", ["x"], "matmul", weight_matrix_rows=6, weight_matrix_columns=5, W=matmul,
                          bias=_weights(layers["mm"], "bias"))
    b.add_add_broadcastable("addb", ["x", "y"], "xy_sum")
    b.add_multiply_broadcastable("mulb", ["xy_sum", "x"], "add_mul")
    b.add_reduce_sum("rsum", "x", "reduce_sum", axes=[1], keepdims=True)
    b.add_reduce_mean("rmean", "x", "reduce_mean", axes=[0], keepdims=False)
    b.add_reduce_max("rmax", "y", "reduce_max", axes=[0, 1], keepdims=True)
    b.add_reduce_logsumexp("rlse", "x", "logsumexp", axes=[-1], keepdims=False)
    b.add_transpose("tr", [1, 0], "x", "transposed")
    b.add_reshape_static("rs", "x", "reshaped", [2, 12])
    b.add_concat_nd("cat", ["x", "y"], "concat0", axis=0)
    b.add_slice_static("sl", "y", "sliced", begin_ids=[1, 0], end_ids=[4, 6], strides=[2, 2],
                       begin_masks=[False, True], end_masks=[False, True])
    b.add_softmax_nd("smx", "y", "softmax_last", axis=-1)
    ln = layers["ln"]
    b.add_layer_normalization("ln", "x", "layer_norm", [6], _weights(ln, "gamma"), _weights(ln, "beta"))
    b.add_greater_than("gt", ["x", "y"], "x_gt_y")
    b.add_where_broadcastable("where", ["x_gt_y", "x", "y"], "where")
    b.add_clip("clip", "x", "clipped", min_value=-0.5, max_value=0.8)
    b.add_embedding_nd("emb", "ids", "embedded", 10, 4, _weights(layers["emb"], "weights").reshape(4, 10))
    b.add_load_constant_nd("tbl", "table", _weights(layers["tbl"], "data").reshape(10, 3), [10, 3])
    b.add_squeeze("sq", "ids", "ids_flat", axes=[1])
    b.add_gather("gather", ["table", "ids_flat"], "gathered", axis=0)
    b.add_gelu("gelu", "x", "gelu")
    b.add_cumsum("cs", ["x"], "cumsum", axis=1)
    b.add_argmax("am", "y", "argmax", axis=1, keepdims=False)
    return b


BUILDERS = {
    "nnb_conv_pool": build_conv_pool,
    "nnb_dense_activations": build_dense_activations,
    "nnb_nd_ops": build_nd_ops,
}
