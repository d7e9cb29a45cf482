"""One or more calls of every ``NeuralNetworkBuilder.add_*`` method with the layer each
must produce: its kind, blobs and parameter fields (as coremltools' builder documents
them and NeuralNetwork.proto defines them), and the specification version it needs.

A case is ``LayerCase(method, kwargs, kind, fields, inputs, outputs, version)``; field
paths are dotted ("valid.paddingAmounts.borderAmounts.0.startEdgeSize") and numpy arrays
are the expected float32 contents of a WeightParams.
"""
import numpy as np

from opencoreml.proto import NeuralNetwork_pb2 as NN

_rng = np.random.default_rng(7)


def R(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


class LayerCase:
    def __init__(self, method, kwargs, kind, fields, inputs=("x",), outputs=("y",), version=1, rank5=True):
        self.method = method
        self.kwargs = kwargs
        self.kind = kind
        self.fields = fields
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.version = version
        self.rank5 = rank5

    @property
    def id(self):
        return "%s-%s" % (self.method, self.kwargs.get("name"))


def _io(kwargs):
    inputs = kwargs.get("input_names", kwargs.get("input_name", []))
    outputs = kwargs.get("output_names", kwargs.get("output_name", []))
    as_list = lambda v: [v] if isinstance(v, str) else list(v or [])  # noqa: E731
    return as_list(inputs), as_list(outputs)


def C(method, kind, fields, version=1, rank5=True, **kwargs):
    inputs, outputs = _io(kwargs)
    return LayerCase(method, kwargs, kind, fields, inputs, outputs, version, rank5)


def _border(prefix, top, bottom, left, right):
    return {
        prefix + ".borderAmounts.0.startEdgeSize": top,
        prefix + ".borderAmounts.0.endEdgeSize": bottom,
        prefix + ".borderAmounts.1.startEdgeSize": left,
        prefix + ".borderAmounts.1.endEdgeSize": right,
    }


def _dense_cases():
    W, b = R(4, 3), R(4)
    yield C("add_inner_product", "innerProduct",
            {"inputChannels": 3, "outputChannels": 4, "hasBias": True, "int8DynamicQuantize": False,
             "weights": W, "bias": b},
            name="ip", W=W, b=b, input_channels=3, output_channels=4, has_bias=True, input_name="x", output_name="y")
    yield C("add_inner_product", "innerProduct", {"hasBias": False, "weights": W, "bias.floatValue": []},
            name="ip_nobias", W=W, b=None, input_channels=3, output_channels=4, has_bias=False,
            input_name="x", output_name="y")
    Wb, bias = R(3, 2), R(2)
    yield C("add_batched_mat_mul", "batchedMatmul",
            {"weightMatrixFirstDimension": 3, "weightMatrixSecondDimension": 2, "hasBias": True,
             "transposeA": False, "transposeB": False, "weights": Wb.T, "bias": bias},
            name="bmm_w", input_names=["x"], output_name="y", weight_matrix_rows=3, weight_matrix_columns=2,
            W=Wb, bias=bias)
    yield C("add_batched_mat_mul", "batchedMatmul",
            {"transposeA": True, "transposeB": True, "weightMatrixFirstDimension": 0, "hasBias": False},
            name="bmm_2", input_names=["a", "b"], output_name="y", transpose_a=True, transpose_b=True)
    We, be = R(5, 10), R(5)
    yield C("add_embedding", "embedding",
            {"inputDim": 10, "outputChannels": 5, "hasBias": True, "weights": We, "bias": be},
            name="emb", W=We, b=be, input_dim=10, output_channels=5, has_bias=True, input_name="x", output_name="y")
    Wn, bn = R(4, 10), R(4)
    yield C("add_embedding_nd", "embeddingND",
            {"vocabSize": 10, "embeddingSize": 4, "hasBias": True, "weights": Wn, "bias": bn},
            name="embnd", input_name="x", output_name="y", vocab_size=10, embedding_size=4, W=Wn, b=bn)
    yield C("add_embedding_nd", "embeddingND", {"hasBias": False, "weights": Wn},
            name="embnd_nobias", input_name="x", output_name="y", vocab_size=10, embedding_size=4, W=Wn)
    g, be_, m, v = R(3), R(3), R(3), np.abs(R(3))
    yield C("add_batchnorm", "batchnorm",
            {"channels": 3, "epsilon": 1e-3, "computeMeanVar": False, "instanceNormalization": False,
             "gamma": g, "beta": be_, "mean": m, "variance": v},
            name="bn", channels=3, gamma=g, beta=be_, mean=m, variance=v, input_name="x", output_name="y",
            epsilon=1e-3)
    yield C("add_batchnorm", "batchnorm",
            {"computeMeanVar": True, "instanceNormalization": True, "epsilon": 1e-5, "mean.floatValue": []},
            name="in", channels=3, gamma=g, beta=be_, input_name="x", output_name="y", compute_mean_var=True,
            instance_normalization=True)
    gl, bl = R(2, 3), R(2, 3)
    yield C("add_layer_normalization", "layerNormalization",
            {"normalizedShape": [2, 3], "eps": 1e-3, "gamma": gl, "beta": bl},
            name="ln", input_name="x", output_name="y", normalized_shape=[2, 3], gamma=gl, beta=bl, eps=1e-3)
    s, sb = R(3), R(3)
    yield C("add_scale", "scale",
            {"hasBias": True, "shapeScale": [3], "shapeBias": [3], "scale": s, "bias": sb},
            name="scale", W=s, b=sb, has_bias=True, input_name="x", output_name="y", shape_scale=[3], shape_bias=[3])
    yield C("add_scale", "scale", {"hasBias": False, "shapeScale": [1], "shapeBias": [], "scale": np.array([2.0])},
            name="scale_int", W=2, b=None, has_bias=False, input_name="x", output_name="y")
    yield C("add_bias", "bias", {"shape": [3], "bias": sb},
            name="bias", b=sb, input_name="x", output_name="y", shape_bias=[3])
    yield C("add_bias", "bias", {"shape": [1], "bias": np.array([1.0])},
            name="bias_int", b=1, input_name="x", output_name="y")
    c = R(2, 3, 4)
    yield C("add_load_constant", "loadConstant", {"shape": [2, 3, 4], "data": c},
            name="const", output_name="y", constant_value=c, shape=[2, 3, 4])
    yield C("add_load_constant_nd", "loadConstantND", {"shape": [6, 4], "data": c},
            name="const_nd", output_name="y", constant_value=c, shape=[6, 4])


def _spatial_cases():
    Wc, bc = R(3, 2, 2, 4), R(4)  # (height, width, kernel_channels, output_channels)
    yield C("add_convolution", "convolution",
            dict({"outputChannels": 4, "kernelChannels": 2, "nGroups": 1, "kernelSize": [3, 2], "stride": [1, 2],
                  "dilationFactor": [2, 1], "isDeconvolution": False, "hasBias": True,
                  "weights": Wc.transpose(3, 2, 0, 1), "bias": bc},
                 **_border("valid.paddingAmounts", 1, 2, 0, 3)),
            name="conv", kernel_channels=2, output_channels=4, height=3, width=2, stride_height=1, stride_width=2,
            border_mode="valid", groups=1, W=Wc, b=bc, has_bias=True, input_name="x", output_name="y",
            dilation_factors=[2, 1], padding_top=1, padding_bottom=2, padding_left=0, padding_right=3)
    yield C("add_convolution", "convolution",
            {"same.asymmetryMode": NN.SamePadding.TOP_LEFT_HEAVY, "nGroups": 2, "hasBias": False,
             "weights": Wc.transpose(3, 2, 0, 1)},
            name="conv_same", kernel_channels=2, output_channels=4, height=3, width=2, stride_height=1, stride_width=1,
            border_mode="SAME", groups=2, W=Wc, b=None, has_bias=False, input_name="x", output_name="y",
            same_padding_asymmetry_mode="TOP_LEFT_HEAVY")
    Wd = R(3, 3, 2, 2)  # (height, width, kernel_channels, output_channels / groups)
    yield C("add_convolution", "convolution",
            {"isDeconvolution": True, "outputShape": [7, 8], "outputChannels": 4, "nGroups": 2,
             "weights": Wd.transpose(2, 3, 0, 1), "same.asymmetryMode": NN.SamePadding.BOTTOM_RIGHT_HEAVY},
            name="deconv", kernel_channels=2, output_channels=4, height=3, width=3, stride_height=2,
            stride_width=2, border_mode="same", groups=2, W=Wd, b=None, has_bias=False, is_deconv=True,
            output_shape=(7, 8), input_name="x", output_name="y")
    yield C("add_convolution", "convolution", {"weights.floatValue": [], "kernelChannels": 2},
            name="conv_2in", kernel_channels=2, output_channels=4, height=3, width=3, stride_height=1,
            stride_width=1, border_mode="valid", groups=1, W=None, b=None, has_bias=False,
            input_name=["x", "w"], output_name="y")
    W3, b3 = R(6, 2, 2, 3, 3), R(6)
    yield C("add_convolution3d", "convolution3d",
            {"inputChannels": 4, "outputChannels": 6, "nGroups": 2, "kernelDepth": 2, "kernelHeight": 3,
             "kernelWidth": 3, "strideDepth": 2, "strideHeight": 1, "strideWidth": 1, "dilationDepth": 1,
             "dilationHeight": 2, "dilationWidth": 1, "paddingType": NN.Convolution3DLayerParams.CUSTOM,
             "customPaddingFront": 1, "customPaddingBack": 2, "customPaddingTop": 3, "customPaddingBottom": 4,
             "customPaddingLeft": 5, "customPaddingRight": 6, "hasBias": True, "isDeconvolution": False,
             "weights": W3, "bias": b3},
            version=5, name="conv3d", input_channels=4, output_channels=6, depth=2, height=3, width=3, W=W3, b=b3,
            has_bias=True, groups=2, stride_depth=2, dilation_height=2, padding_mode="custom", padding_front=1,
            padding_back=2, padding_top=3, padding_bottom=4, padding_left=5, padding_right=6,
            input_name="x", output_name="y")
    W3d = R(4, 3, 2, 3, 3)  # (input_channels, output_channels / groups, D, H, W)
    yield C("add_convolution3d", "convolution3d",
            {"isDeconvolution": True, "outputShape": [4, 5, 6], "paddingType": NN.Convolution3DLayerParams.SAME,
             "customPaddingFront": 0, "weights": W3d.transpose(1, 0, 2, 3, 4), "hasBias": False},
            version=5, name="deconv3d", input_channels=4, output_channels=6, depth=2, height=3, width=3, W=W3d,
            b=None, has_bias=False, groups=2, is_deconv=True, output_shape=(4, 5, 6), padding_mode="same",
            padding_front=9, input_name="x", output_name="y")
    yield C("add_pooling", "pooling",
            dict({"type": NN.PoolingLayerParams.MAX, "kernelSize": [2, 3], "stride": [2, 1],
                  "avgPoolExcludePadding": False, "globalPooling": False},
                 **_border("valid.paddingAmounts", 1, 0, 2, 1)),
            name="maxpool", height=2, width=3, stride_height=2, stride_width=1, layer_type="MAX",
            padding_type="VALID", input_name="x", output_name="y", exclude_pad_area=False, padding_top=1,
            padding_left=2, padding_right=1)
    yield C("add_pooling", "pooling",
            {"type": NN.PoolingLayerParams.AVERAGE, "same.asymmetryMode": NN.SamePadding.TOP_LEFT_HEAVY,
             "avgPoolExcludePadding": True},
            name="avgpool", height=3, width=3, stride_height=1, stride_width=1, layer_type="average",
            padding_type="same", input_name="x", output_name="y", same_padding_asymmetry_mode="TOP_LEFT_HEAVY")
    yield C("add_pooling", "pooling",
            {"type": NN.PoolingLayerParams.L2, "includeLastPixel.paddingAmounts": [1, 2]},
            name="l2pool", height=3, width=3, stride_height=2, stride_width=2, layer_type="L2",
            padding_type="INCLUDE_LAST_PIXEL", input_name="x", output_name="y", padding_top=1, padding_bottom=1,
            padding_left=2, padding_right=2)
    yield C("add_pooling", "pooling", {"globalPooling": True, "type": NN.PoolingLayerParams.AVERAGE},
            name="gap", height=0, width=0, stride_height=0, stride_width=0, layer_type="AVERAGE",
            padding_type="VALID", input_name="x", output_name="y", is_global=True)
    yield C("add_pooling3d", "pooling3d",
            {"type": NN.Pooling3DLayerParams.MAX, "kernelDepth": 2, "kernelHeight": 3, "kernelWidth": 4,
             "strideDepth": 1, "strideHeight": 2, "strideWidth": 3,
             "paddingType": NN.Pooling3DLayerParams.CUSTOM, "customPaddingFront": 1, "customPaddingBack": 2,
             "customPaddingTop": 3, "customPaddingBottom": 4, "customPaddingLeft": 5, "customPaddingRight": 6,
             "countExcludePadding": True},
            version=5, name="pool3d", input_name="x", output_name="y", pooling_type="max", kernel_depth=2,
            kernel_height=3, kernel_width=4, stride_depth=1, stride_height=2, stride_width=3, padding_mode="CUSTOM",
            custom_padding_front=1, custom_padding_back=2, custom_padding_top=3, custom_padding_bottom=4,
            custom_padding_left=5, custom_padding_right=6, average_pooling_count_excludes_padding=True)
    yield C("add_pooling3d", "pooling3d",
            {"type": NN.Pooling3DLayerParams.AVERAGE, "paddingType": NN.Pooling3DLayerParams.SAME,
             "customPaddingFront": 0},
            version=5, name="pool3d_same", input_name="x", output_name="y", pooling_type="AVERAGE", kernel_depth=2,
            kernel_height=2, kernel_width=2, stride_depth=1, stride_height=1, stride_width=1, padding_mode="same",
            custom_padding_front=3)
    yield C("add_global_pooling3d", "globalPooling3d", {"type": NN.GlobalPooling3DLayerParams.AVERAGE},
            version=5, name="gpool3d", input_name="x", output_name="y", pooling_type="AVERAGE")
    yield C("add_padding", "padding",
            dict({"constant.value": -1.5}, **_border("paddingAmounts", 3, 0, 1, 2)),
            name="pad", left=1, right=2, top=3, bottom=0, value=-1.5, input_name="x", output_name="y")
    yield C("add_padding", "padding", {"PaddingType": "reflection"},
            name="pad_reflect", top=1, input_name="x", output_name="y", padding_type="reflection")
    yield C("add_padding", "padding", {"PaddingType": "replication"},
            name="pad_replicate", top=1, input_name="x", output_name="y", padding_type="replication")
    yield C("add_crop", "crop", dict({"offset": [0, 0]}, **_border("cropAmounts", 3, 4, 1, 2)),
            name="crop", left=1, right=2, top=3, bottom=4, offset=[5, 6], input_names=["x"], output_name="y")
    yield C("add_crop", "crop", {"offset": [5, 6]},
            name="crop2", left=0, right=0, top=0, bottom=0, offset=[5, 6], input_names=["x", "ref"], output_name="y")
    yield C("add_upsample", "upsample",
            {"scalingFactor": [2, 3], "mode": NN.UpsampleLayerParams.NN,
             "linearUpsampleMode": NN.UpsampleLayerParams.DEFAULT, "fractionalScalingFactor": []},
            name="up", scaling_factor_h=2, scaling_factor_w=3, input_name="x", output_name="y")
    yield C("add_upsample", "upsample",
            {"fractionalScalingFactor": [1.5, 2.5], "scalingFactor": [], "mode": NN.UpsampleLayerParams.BILINEAR,
             "linearUpsampleMode": NN.UpsampleLayerParams.ALIGN_CORNERS_TRUE},
            version=5, name="up_frac", scaling_factor_h=1.5, scaling_factor_w=2.5, input_name="x", output_name="y",
            mode="BILINEAR", linear_upsample_mode="ALIGN_CORNERS_TRUE")
    yield C("add_resize_bilinear", "resizeBilinear",
            {"targetSize": [5, 6], "mode.samplingMethod": NN.SamplingMode.UPSAMPLE_MODE},
            name="resize", input_name="x", output_name="y", target_height=5, target_width=6, mode="UPSAMPLE_MODE")
    yield C("add_crop_resize", "cropResize",
            {"targetSize": [3, 2], "normalizedCoordinates": True, "spatialScale": 0.5,
             "mode.samplingMethod": NN.SamplingMode.ROI_ALIGN_MODE,
             "boxIndicesMode.boxMode": NN.BoxCoordinatesMode.CENTER_SIZE_WIDTH_FIRST},
            name="crop_resize", input_names=["x", "roi"], output_name="y", target_height=3, target_width=2,
            mode="ROI_ALIGN_MODE", normalized_roi=True, box_indices_mode="CENTER_SIZE_WIDTH_FIRST", spatial_scale=0.5)
    yield C("add_reorganize_data", "reorganizeData",
            {"blockSize": 3, "mode": NN.ReorganizeDataLayerParams.DEPTH_TO_SPACE},
            name="d2s", input_name="x", output_name="y", mode="DEPTH_TO_SPACE", block_size=3)
    yield C("add_reorganize_data", "reorganizeData",
            {"blockSize": 2, "mode": NN.ReorganizeDataLayerParams.PIXEL_SHUFFLE},
            version=5, name="shuffle", input_name="x", output_name="y", mode="PIXEL_SHUFFLE")


def _recurrent_cases():
    h, i = 4, 3
    Wh, Wx, b = R(h, h), R(h, i), R(h)
    yield C("add_simple_rnn", "simpleRecurrent",
            {"inputVectorSize": i, "outputVectorSize": h, "hasBiasVector": True, "sequenceOutput": True,
             "reverseInput": True, "activation.NonlinearityType": "tanh", "weightMatrix": Wx,
             "recursionMatrix": Wh, "biasVector": b},
            name="rnn", W_h=Wh, W_x=Wx, b=b, hidden_size=h, input_size=i, activation="TANH",
            input_names=["x", "h"], output_names=["y", "h_out"], output_all=True, reverse_input=True)
    gh, gx, gb = [R(h, h) for _ in range(3)], [R(h, i) for _ in range(3)], [R(h) for _ in range(3)]
    fields = {"inputVectorSize": i, "outputVectorSize": h, "hasBiasVectors": True, "sequenceOutput": False,
              "activations.0.NonlinearityType": "sigmoidHard", "activations.1.NonlinearityType": "tanh"}
    for index, gate in enumerate(("updateGate", "resetGate", "outputGate")):
        fields.update({gate + "WeightMatrix": gx[index], gate + "RecursionMatrix": gh[index],
                       gate + "BiasVector": gb[index]})
    yield C("add_gru", "gru", fields, name="gru", W_h=gh, W_x=gx, b=gb, hidden_size=h, input_size=i,
            input_names=["x", "h"], output_names=["y", "h_out"])
    lh, lx, lb, peep = [R(h, h) for _ in range(4)], [R(h, i) for _ in range(4)], [R(h) for _ in range(4)], \
        [R(h) for _ in range(3)]
    weights = {}
    for index, gate in enumerate(("inputGate", "forgetGate", "outputGate", "blockInput")):
        weights.update({gate + "WeightMatrix": lx[index], gate + "RecursionMatrix": lh[index],
                        gate + "BiasVector": lb[index]})
    for index, gate in enumerate(("inputGate", "forgetGate", "outputGate")):
        weights[gate + "PeepholeVector"] = peep[index]
    fields = {"inputVectorSize": i, "outputVectorSize": h, "reverseInput": True,
              "params.sequenceOutput": True, "params.hasBiasVectors": True, "params.hasPeepholeVectors": True,
              "params.forgetBias": True, "params.coupledInputAndForgetGate": True, "params.cellClipThreshold": 10.0,
              "activations.0.NonlinearityType": "sigmoidHard", "activations.1.NonlinearityType": "scaledTanh",
              "activations.2.NonlinearityType": "linear"}
    fields.update({"weightParams." + k: v for k, v in weights.items()})
    yield C("add_unilstm", "uniDirectionalLSTM", fields, name="lstm", W_h=lh, W_x=lx, b=lb, hidden_size=h,
            input_size=i, input_names=["x", "h", "c"], output_names=["y", "h_out", "c_out"],
            inner_activation="SIGMOID_HARD", cell_state_update_activation="SCALED_TANH",
            output_activation="LINEAR", peep=peep, output_all=True, forget_bias=True, coupled_input_forget_gate=True,
            cell_clip_threshold=10.0, reverse_input=True)
    yield C("add_unilstm", "uniDirectionalLSTM",
            {"params.hasBiasVectors": False, "params.hasPeepholeVectors": False, "params.cellClipThreshold": 50000.0,
             "activations.0.NonlinearityType": "sigmoid", "activations.1.NonlinearityType": "tanh",
             "activations.2.NonlinearityType": "tanh", "weightParams.inputGateBiasVector.floatValue": []},
            name="lstm_plain", W_h=lh, W_x=lx, b=None, hidden_size=h, input_size=i, input_names=["x"],
            output_names=["y"])
    back_h, back_x = [R(h, h) for _ in range(4)], [R(h, i) for _ in range(4)]
    fields = {"inputVectorSize": i, "outputVectorSize": h, "params.hasBiasVectors": True,
              "params.hasPeepholeVectors": False, "activationsForwardLSTM.0.NonlinearityType": "sigmoid",
              "activationsBackwardLSTM.2.NonlinearityType": "tanh",
              "weightParams.0.inputGateWeightMatrix": lx[0], "weightParams.0.blockInputBiasVector": lb[3],
              "weightParams.1.forgetGateRecursionMatrix": back_h[1], "weightParams.1.outputGateWeightMatrix": back_x[2],
              "weightParams.1.inputGateBiasVector.floatValue": []}
    yield C("add_bidirlstm", "biDirectionalLSTM", fields, name="bilstm", W_h=lh, W_x=lx, b=lb, W_h_back=back_h,
            W_x_back=back_x, b_back=None, hidden_size=h, input_size=i, input_names=["x"], output_names=["y"])


def _classic_cases():
    yield C("add_softmax", "softmax", {}, name="softmax", input_name="x", output_name="y")
    activations = [
        ("RELU", None, {"NonlinearityType": "ReLU"}),
        ("sigmoid", None, {"NonlinearityType": "sigmoid"}),
        ("TANH", None, {"NonlinearityType": "tanh"}),
        ("SOFTPLUS", None, {"NonlinearityType": "softplus"}),
        ("SOFTSIGN", None, {"NonlinearityType": "softsign"}),
        ("SCALED_TANH", None, {"scaledTanh.alpha": 0.0, "scaledTanh.beta": 0.0, "NonlinearityType": "scaledTanh"}),
        ("SCALED_TANH", [1.5, 0.7], {"scaledTanh.alpha": 1.5, "scaledTanh.beta": 0.7}),
        ("SIGMOID_HARD", None, {"sigmoidHard.alpha": 0.2, "sigmoidHard.beta": 0.5}),
        ("LEAKYRELU", None, {"leakyReLU.alpha": 0.3}),
        ("LEAKYRELU", [0.1], {"leakyReLU.alpha": 0.1}),
        ("ELU", 0.8, {"ELU.alpha": 0.8}),
        ("THRESHOLDEDRELU", None, {"thresholdedReLU.alpha": 1.0}),
        ("THRESHOLDEDRELU", 0.4, {"thresholdedReLU.alpha": 0.4}),
        ("LINEAR", None, {"linear.alpha": 1.0, "linear.beta": 0.0, "NonlinearityType": "linear"}),
        ("LINEAR", [2.0, -1.0], {"linear.alpha": 2.0, "linear.beta": -1.0}),
    ]
    for index, (kind, params, fields) in enumerate(activations):
        yield C("add_activation", "activation", fields, name="act%d_%s" % (index, kind), non_linearity=kind,
                input_name="x", output_name="y", params=params)
    alphas, betas = R(3), R(3)
    yield C("add_activation", "activation", {"PReLU.alpha": alphas}, name="prelu", non_linearity="PRELU",
            input_name="x", output_name="y", params=alphas)
    yield C("add_activation", "activation",
            {"parametricSoftplus.alpha": alphas, "parametricSoftplus.beta": betas},
            name="psoftplus", non_linearity="PARAMETRICSOFTPLUS", input_name="x", output_name="y",
            params=(alphas, betas))
    elementwise = [
        ("ADD", 2.0, "add", {"add.alpha": 2.0}), ("ADD", None, "add", {"add.alpha": 0.0}),
        ("MULTIPLY", 3.0, "multiply", {"multiply.alpha": 3.0}), ("MAX", None, "max", {}),
        ("MIN", None, "min", {}), ("AVE", None, "average", {}),
        ("DOT", None, "dot", {"dot.cosineSimilarity": False}), ("COS", None, "dot", {"dot.cosineSimilarity": True}),
        ("CONCAT", None, "concat", {"concat.sequenceConcat": False}),
        ("SEQUENCE_CONCAT", None, "concat", {"concat.sequenceConcat": True}),
    ]
    for mode, alpha, kind, fields in elementwise:
        yield C("add_elementwise", kind, {k.split(".", 1)[1]: v for k, v in fields.items()}, name="ew_" + mode,
                input_names=["a", "b"], output_name="y", mode=mode, alpha=alpha)
    yield C("add_elementwise", "add", {"alpha": 1.5}, name="ew_add_constant", input_names="a", output_name="y",
            mode="add", alpha=1.5)
    yield C("add_unary", "unary",
            {"type": NN.UnaryFunctionLayerParams.POWER, "alpha": 2.0, "shift": 1.0, "scale": 3.0, "epsilon": 1e-6},
            name="pow", input_name="x", output_name="y", mode="power", alpha=2.0, shift=1.0, scale=3.0)
    for mode, eps in (("rsqrt", 1e-4), ("inverse", 1e-4), ("log", 1e-45), ("sqrt", 1e-6), ("exp", 1e-6),
                      ("abs", 1e-6), ("threshold", 1e-6)):
        yield C("add_unary", "unary",
                {"type": NN.UnaryFunctionLayerParams.Operation.Value(mode.upper()), "epsilon": eps, "alpha": 1.0,
                 "scale": 1.0, "shift": 0.0},
                name="unary_" + mode, input_name="x", output_name="y", mode=mode)
    yield C("add_lrn", "lrn", {"alpha": 1e-4, "beta": 0.75, "localSize": 5, "k": 2.0},
            name="lrn", input_name="x", output_name="y", alpha=1e-4, beta=0.75, local_size=5, k=2.0)
    yield C("add_mvn", "mvn", {"acrossChannels": True, "normalizeVariance": True, "epsilon": 1e-5},
            name="mvn", input_name="x", output_name="y")
    yield C("add_mvn", "mvn", {"acrossChannels": False, "normalizeVariance": False, "epsilon": 1e-3},
            name="mvn2", input_name="x", output_name="y", across_channels=False, normalize_variance=False,
            epsilon=1e-3)
    yield C("add_l2_normalize", "l2normalize", {"epsilon": 1e-3},
            name="l2n", input_name="x", output_name="y", epsilon=1e-3)
    yield C("add_reduce", "reduce",
            {"mode": NN.ReduceLayerParams.AVG, "axis": NN.ReduceLayerParams.HW, "epsilon": 1e-6},
            name="reduce_avg", input_name="x", output_name="y", axis="HW", mode="avg")
    yield C("add_reduce", "reduce",
            {"mode": NN.ReduceLayerParams.ARGMAX, "axis": NN.ReduceLayerParams.C, "epsilon": 1e-4},
            name="reduce_argmax", input_name="x", output_name="y", axis="c", mode="ARGMAX", epsilon=1e-4)
    yield C("add_split", "split", {"nOutputs": 3}, name="split", input_name="x", output_names=["a", "b", "c"])
    yield C("add_flatten", "flatten", {"mode": NN.FlattenLayerParams.CHANNEL_LAST},
            name="flatten", mode=1, input_name="x", output_name="y")
    yield C("add_slice", "slice",
            {"axis": NN.SliceLayerParams.WIDTH_AXIS, "startIndex": 1, "endIndex": -2, "stride": 2},
            name="slice", input_name="x", output_name="y", axis="width", start_index=1, end_index=-2, stride=2)
    yield C("add_slice", "slice",
            {"axis": NN.SliceLayerParams.CHANNEL_AXIS, "startIndex": 0, "endIndex": -1, "stride": 1},
            name="slice_default", input_name="x", output_name="y", axis="channel")
    yield C("add_permute", "permute", {"axis": [0, 3, 1, 2]},
            name="permute", dim=(0, 3, 1, 2), input_name="x", output_name="y")
    yield C("add_reshape", "reshape", {"targetShape": [2, 3, 4], "mode": NN.ReshapeLayerParams.CHANNEL_FIRST},
            name="reshape", input_name="x", output_name="y", target_shape=(2, 3, 4), mode=0)
    yield C("add_reshape", "reshape", {"targetShape": [1, 2, 3, 4], "mode": NN.ReshapeLayerParams.CHANNEL_LAST},
            name="reshape4", input_name="x", output_name="y", target_shape=(1, 2, 3, 4), mode=1)
    yield C("add_sequence_repeat", "sequenceRepeat", {"nRepetitions": 3},
            name="repeat", nrep=3, input_name="x", output_name="y")
    custom = NN.CustomLayerParams()
    custom.className = "MyLayer"
    custom.description = "test"
    yield C("add_custom", "custom", {"className": "MyLayer", "description": "test"}, version=2,
            name="custom", input_names=["x"], output_names=["y", "z"], custom_proto_spec=custom)


def _elementwise_nd_cases():
    unary = ["erf", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
             "exp2", "ceil", "floor", "round", "sign"]
    for op in unary:
        yield C("add_" + op, op, {}, name=op, input_name="x", output_name="y")
    for op, kind in [("add", "addBroadcastable"), ("multiply", "multiplyBroadcastable"),
                     ("divide", "divideBroadcastable"), ("subtract", "subtractBroadcastable"),
                     ("max", "maxBroadcastable"), ("min", "minBroadcastable"),
                     ("floor_div", "floorDivBroadcastable"), ("mod", "modBroadcastable"),
                     ("pow", "powBroadcastable")]:
        yield C("add_%s_broadcastable" % op, kind, {}, name=op + "_b", input_names=["a", "b"], output_name="y")
    yield C("add_where_broadcastable", "whereBroadcastable", {}, name="where", input_names=["c", "a", "b"],
            output_name="y")
    yield C("add_gelu", "gelu", {"mode": NN.GeluLayerParams.EXACT}, name="gelu", input_name="x", output_name="y")
    yield C("add_gelu", "gelu", {"mode": NN.GeluLayerParams.TANH_APPROXIMATION},
            name="gelu_tanh", input_name="x", output_name="y", mode="TANH_APPROXIMATION")
    yield C("add_gelu", "gelu", {"mode": NN.GeluLayerParams.SIGMOID_APPROXIMATION},
            name="gelu_sigmoid", input_name="x", output_name="y", mode="SIGMOID_APPROXIMATION")
    yield C("add_clip", "clip", {"minVal": 0.0, "maxVal": 1.0}, name="clip", input_name="x", output_name="y")
    yield C("add_clip", "clip", {"minVal": -2.0, "maxVal": 3.0},
            name="clip2", input_name="x", output_name="y", min_value=-2, max_value=3)
    yield C("add_clamped_relu", "clampedReLU", {"alpha": 0.0, "beta": 6.0}, version=5,
            name="crelu", input_name="x", output_name="y")
    yield C("add_clamped_relu", "clampedReLU", {"alpha": 0.1, "beta": 5.0}, version=5,
            name="crelu2", input_name="x", output_name="y", alpha=0.1, beta=5)
    yield C("add_softmax_nd", "softmaxND", {"axis": -2}, name="softmax_nd", input_name="x", output_name="y", axis=-2)
    yield C("add_greater_than", "greaterThan", {"alpha": 0.0}, name="gt", input_names=["a", "b"], output_name="y")
    yield C("add_greater_than", "greaterEqual", {"alpha": 2.0}, name="ge", input_names=["a"], output_name="y",
            use_greater_than_equal=True, alpha=2.0)
    yield C("add_greater_than", "greaterThan", {"alpha": 0.0}, name="gt_two_inputs_ignore_alpha",
            input_names=["a", "b"], output_name="y", alpha=5.0)
    yield C("add_less_than", "lessThan", {"alpha": -1.0}, name="lt", input_names=["a"], output_name="y", alpha=-1.0)
    yield C("add_less_than", "lessEqual", {"alpha": 0.0}, name="le", input_names=["a", "b"], output_name="y",
            use_less_than_equal=True)
    yield C("add_equal", "equal", {"alpha": 3.0}, name="eq", input_names=["a"], output_name="y", alpha=3.0)
    yield C("add_not_equal", "notEqual", {"alpha": 0.0}, name="ne", input_names=["a", "b"], output_name="y")
    for mode, kind, inputs in (("AND", "logicalAnd", ["a", "b"]), ("OR", "logicalOr", ["a", "b"]),
                               ("XOR", "logicalXor", ["a", "b"]), ("NOT", "logicalNot", ["a"])):
        yield C("add_logical", kind, {}, name="logical_" + mode, input_names=inputs, output_name="y", mode=mode)


def _reduction_cases():
    kinds = {"sum": "reduceSum", "prod": "reduceProd", "mean": "reduceMean", "max": "reduceMax", "min": "reduceMin",
             "l2": "reduceL2", "l1": "reduceL1", "sumsquare": "reduceSumSquare", "logsum": "reduceLogSum",
             "logsumexp": "reduceLogSumExp"}
    for op, kind in kinds.items():
        yield C("add_reduce_" + op, kind, {"axes": [1, -1], "keepDims": False, "reduceAll": False},
                name="r_" + op, input_name="x", output_name="y", axes=[1, -1], keepdims=False)
        yield C("add_reduce_" + op, kind, {"axes": [], "keepDims": True, "reduceAll": True},
                name="r_all_" + op, input_name="x", output_name="y")
    yield C("add_argmax", "argMax", {"axis": 1, "removeDim": True}, name="argmax", input_name="x", output_name="y",
            axis=1, keepdims=False)
    yield C("add_argmin", "argMin", {"axis": -1, "removeDim": False}, name="argmin", input_name="x",
            output_name="y", axis=-1)
    yield C("add_topk", "topK", {"K": 3, "axis": -1, "useBottomK": True}, name="topk", input_names=["x"],
            output_names=["values", "indices"], k=3, axis=-1, use_bottom_k=True)
    yield C("add_argsort", "argSort", {"axis": -1, "descending": True}, version=5, name="argsort",
            input_name="x", output_name="y", axis=-1, descending=True)
    yield C("add_cumsum", "cumSum", {"axis": 1, "reverse": True, "excludeFinalSum": True}, version=5,
            name="cumsum", input_names=["x"], output_name="y", axis=1, reverse=True, exclusive=True)
    yield C("add_cumsum", "cumSum", {"axis": -1, "reverse": False, "excludeFinalSum": False}, version=5,
            name="cumsum_default", input_names=["x"], output_name="y")


def _shape_cases():
    yield C("add_transpose", "transpose", {"axes": [0, 3, 1, 2]}, name="transpose", axes=[0, -1, 1, 2],
            input_name="x", output_name="y")
    yield C("add_concat_nd", "concatND", {"axis": -1, "interleave": False}, name="concat_nd",
            input_names=["a", "b"], output_name="y", axis=-1)
    yield C("add_concat_nd", "concatND", {"axis": 2, "interleave": True}, version=5, name="concat_interleave",
            input_names=["a", "b"], output_name="y", axis=2, interleave=True)
    yield C("add_split_nd", "splitND", {"axis": 1, "numSplits": 3, "splitSizes": []}, name="split_nd",
            input_name="x", output_names=["a", "b", "c"], axis=1, num_splits=3)
    yield C("add_split_nd", "splitND", {"axis": -1, "numSplits": 2, "splitSizes": [2, 5]}, name="split_sizes",
            input_name="x", output_names=["a", "b"], axis=-1, split_sizes=[2, 5])
    yield C("add_stack", "stack", {"axis": -1}, name="stack", input_names=["a", "b"], output_name="y", axis=-1)
    yield C("add_slice_static", "sliceStatic",
            {"beginIds": [0, 1, 2], "endIds": [1, 5, -1], "strides": [1, 2, 1], "beginMasks": [True, False, False],
             "endMasks": [False, False, True], "squeezeMasks": []},
            name="slice_static", input_name="x", output_name="y", begin_ids=[0, 1, 2], end_ids=[1, 5, -1],
            strides=[1, 2, 1], begin_masks=[True, False, False], end_masks=[False, False, True])
    yield C("add_slice_static", "sliceStatic", {"squeezeMasks": [True, False]}, version=5,
            name="slice_squeeze", input_name="x", output_name="y", begin_ids=[0, 1], end_ids=[1, 5], strides=[1, 1],
            begin_masks=[False, False], end_masks=[False, False], squeeze_masks=[True, False])
    yield C("add_slice_dynamic", "sliceDynamic",
            {"endIds": [1] * 5, "strides": [1] * 5, "beginMasks": [False] * 5, "endMasks": [False] * 5,
             "squeezeMasks": []},
            name="slice_dynamic", input_names=["x", "begin"], output_name="y")
    yield C("add_slice_dynamic", "sliceDynamic",
            {"endIds": [1, 2], "strides": [2, 1], "beginMasks": [True, False], "endMasks": [False, True],
             "squeezeMasks": [False, True]},
            version=5, name="slice_dynamic_squeeze", input_names=["x", "begin", "end"], output_name="y",
            end_ids=[1, 2], strides=[2, 1], begin_masks=[True, False], end_masks=[False, True],
            squeeze_masks=[False, True])
    yield C("add_slice_by_size", "sliceBySize", {"axis": 1, "size": 3}, name="slice_by_size",
            input_names=["x", "begin"], output_name="y", axis=1, size=3)
    yield C("add_tile", "tile", {"reps": [2, 1, 3]}, name="tile", input_name="x", output_name="y", reps=[2, 1, 3])
    yield C("add_tile", "tile", {"reps": []}, version=5, name="tile_dynamic", input_name=["x", "reps"],
            output_name="y", reps=[2])
    yield C("add_expand_dims", "expandDims", {"axes": [0, -1]}, name="expand", input_name="x", output_name="y",
            axes=[0, -1])
    yield C("add_squeeze", "squeeze", {"axes": [1], "squeezeAll": False}, name="squeeze", input_name="x",
            output_name="y", axes=[1])
    yield C("add_squeeze", "squeeze", {"axes": [], "squeezeAll": True}, name="squeeze_all", input_name="x",
            output_name="y", squeeze_all=True)
    yield C("add_flatten_to_2d", "flattenTo2D", {"axis": 2}, name="flatten2d", input_name="x", output_name="y",
            axis=2)
    yield C("add_reshape_like", "reshapeLike", {}, name="reshape_like", input_names=["x", "ref"], output_name="y")
    yield C("add_reshape_static", "reshapeStatic", {"targetShape": [2, -1, 0]}, name="reshape_static",
            input_name="x", output_name="y", output_shape=[2, -1, 0])
    yield C("add_reshape_dynamic", "reshapeDynamic", {}, name="reshape_dynamic", input_names=["x", "shape"],
            output_name="y")
    yield C("add_rank_preserving_reshape", "rankPreservingReshape", {"targetShape": [1, -1, 4]},
            name="rank_reshape", input_name="x", output_name="y", output_shape=[1, -1, 4])
    yield C("add_get_shape", "getShape", {}, name="get_shape", input_name="x", output_name="y")
    yield C("add_broadcast_to_like", "broadcastToLike", {}, name="bcast_like", input_names=["x", "ref"],
            output_name="y")
    yield C("add_broadcast_to_static", "broadcastToStatic", {"targetShape": [3, 4, 5]}, name="bcast_static",
            input_name="x", output_name="y", output_shape=[3, 4, 5])
    yield C("add_broadcast_to_dynamic", "broadcastToDynamic", {}, name="bcast_dynamic", input_names=["x", "shape"],
            output_name="y")
    yield C("add_constant_pad", "constantPad",
            {"value": 2.0, "padAmounts": [1, 2, 0, 3], "padToGivenOutputSizeMode": False},
            name="constant_pad", input_names=["x"], output_name="y", value=2.0, pad_amounts=[1, 2, 0, 3])
    yield C("add_constant_pad", "constantPad", {"value": 0.0, "padAmounts": [], "padToGivenOutputSizeMode": True},
            name="constant_pad_2in", input_names=["x", "pads"], output_name="y", pad_to_given_output_size_mode=True)
    yield C("add_reverse", "reverse", {"reverseDim": [True, False, True]}, name="reverse", input_name="x",
            output_name="y", reverse_dim=[1, 0, 1])
    yield C("add_reverse", "reverse", {"reverseDim": [True]}, name="reverse_default", input_name="x",
            output_name="y")
    yield C("add_reverse_sequence", "reverseSeq", {"batchAxis": 1, "sequenceAxis": 0}, name="reverse_seq",
            input_names=["x", "lengths"], output_name="y", batch_axis=1, seq_axis=0)
    yield C("add_reverse_sequence", "reverseSeq", {"batchAxis": 0, "sequenceAxis": -1}, name="reverse_seq_default",
            input_names=["x", "lengths"], output_name="y")
    yield C("add_sliding_windows", "slidingWindows", {"axis": 1, "windowSize": 3, "step": 2}, name="windows",
            input_name="x", output_name="y", axis=1, window_size=3, step=2)
    yield C("add_matrix_band_part", "matrixBandPart", {"numLower": 1, "numUpper": 2}, name="band",
            input_name="x", output_name="y", num_lower=1, num_upper=2)
    yield C("add_matrix_band_part", "matrixBandPart", {"numLower": -1, "numUpper": -1}, name="band_default",
            input_name="x", output_name="y")
    yield C("add_lower_triangular", "lowerTriangular", {"k": -1}, name="tril", input_name="x", output_name="y",
            k=-1)
    yield C("add_upper_triangular", "upperTriangular", {"k": 2}, name="triu", input_name="x", output_name="y", k=2)


def _indexing_cases():
    yield C("add_gather", "gather", {"axis": 1}, name="gather", input_names=["x", "i"], output_name="y", axis=1)
    yield C("add_gather", "gather", {"axis": 0}, name="gather0", input_names=["x", "i"], output_name="y")
    for mode in ("UPDATE", "ADD", "SUB", "MUL", "DIV", "MAX", "MIN"):
        value = NN.ScatterMode.Value("SCATTER_" + mode)
        yield C("add_scatter", "scatter", {"axis": -1, "mode": value}, name="scatter_" + mode,
                input_names=["x", "i", "u"], output_name="y", axis=-1, mode=mode.lower())
        yield C("add_scatter_along_axis", "scatterAlongAxis", {"axis": 1, "mode": value},
                name="scatter_axis_" + mode, input_names=["x", "i", "u"], output_name="y", axis=1, mode=mode)
        yield C("add_scatter_nd", "scatterND", {"mode": value}, name="scatter_nd_" + mode,
                input_names=["x", "i", "u"], output_name="y", mode=mode)
    yield C("add_gather_along_axis", "gatherAlongAxis", {"axis": -2}, name="gather_axis", input_names=["x", "i"],
            output_name="y", axis=-2)
    yield C("add_gather_nd", "gatherND", {}, name="gather_nd", input_names=["x", "i"], output_name="y")
    yield C("add_one_hot", "oneHot",
            {"oneHotVectorSize": 5, "axis": 0, "onValue": 2.0, "offValue": -1.0}, version=5,
            name="one_hot", input_names=["i"], output_name="y", one_hot_vector_size=5, axis=0, on_value=2.0,
            off_value=-1.0)
    yield C("add_one_hot", "oneHot", {"oneHotVectorSize": 0, "axis": -1, "onValue": 1.0, "offValue": 0.0},
            version=5, name="one_hot_2in", input_names=["i", "depth"], output_name="y")
    yield C("add_where_nonzero", "whereNonZero", {}, name="nonzero", input_name="x", output_name="y")
    yield C("add_nms", "NonMaximumSuppression",
            {"iouThreshold": 0.3, "scoreThreshold": 0.1, "maxBoxes": 5, "perClassSuppression": True},
            name="nms", input_names=["boxes", "scores"], output_names=["b", "s", "i", "n"], iou_threshold=0.3,
            score_threshold=0.1, max_boxes=5, per_class_suppression=True)
    yield C("add_nms", "NonMaximumSuppression",
            {"iouThreshold": 0.5, "scoreThreshold": 0.0, "maxBoxes": 1, "perClassSuppression": False},
            name="nms_default", input_names=["boxes", "scores"], output_names=["b", "s", "i", "n"])


def _generator_cases():
    yield C("add_fill_like", "fillLike", {"value": 2.5}, name="fill_like", input_name="x", output_name="y",
            value=2.5)
    yield C("add_fill_static", "fillStatic", {"value": -1.0, "targetShape": [2, 3]}, name="fill_static",
            output_name="y", output_shape=[2, 3], value=-1.0)
    yield C("add_fill_dynamic", "fillDynamic", {"value": 0.0}, name="fill_dynamic", input_name="x", output_name="y")
    yield C("add_range_static", "rangeStatic", {"endValue": 10.0, "startValue": 2.0, "stepSizeValue": 3.0},
            name="range_static", output_name="y", end=10, start=2, step=3)
    yield C("add_range_dynamic", "rangeDynamic", {"startValue": 1.0, "stepSizeValue": 2.0},
            name="range_dynamic", input_names=["end", "start"], output_name="y", start=1, step=2)
    randoms = [
        ("add_random_normal_like", "randomNormalLike", dict(input_name="x", mean=1.0, stddev=2.0, seed=5),
         {"mean": 1.0, "stdDev": 2.0, "seed": 5}),
        ("add_random_normal_static", "randomNormalStatic", dict(output_shape=[2, 3]),
         {"mean": 0.0, "stdDev": 0.0, "seed": -1, "outputShape": [2, 3]}),
        ("add_random_normal_dynamic", "randomNormalDynamic", dict(input_names=["shape"], stddev=0.5),
         {"stdDev": 0.5, "seed": -1}),
        ("add_random_uniform_like", "randomUniformLike", dict(input_name="x"),
         {"minVal": 0.0, "maxVal": 1.0, "seed": -1}),
        ("add_random_uniform_static", "randomUniformStatic", dict(output_shape=[4], minval=-1.0, maxval=3.0, seed=2),
         {"minVal": -1.0, "maxVal": 3.0, "seed": 2, "outputShape": [4]}),
        ("add_random_uniform_dynamic", "randomUniformDynamic", dict(input_names=["shape"], maxval=5.0),
         {"minVal": 0.0, "maxVal": 5.0}),
        ("add_random_bernoulli_like", "randomBernoulliLike", dict(input_name="x", prob=0.2, seed=7),
         {"prob": 0.2, "seed": 7}),
        ("add_random_bernoulli_static", "randomBernoulliStatic", dict(output_shape=[3, 3]),
         {"prob": 0.5, "seed": -1, "outputShape": [3, 3]}),
        ("add_random_bernoulli_dynamic", "randomBernoulliDynamic", dict(input_names=["shape"], prob=0.9),
         {"prob": 0.9}),
    ]
    for method, kind, kwargs, fields in randoms:
        yield C(method, kind, fields, name=method[4:], output_name="y", **kwargs)
    yield C("add_categorical_distribution", "categoricalDistribution",
            {"numSamples": 4, "isLogits": False, "eps": 1e-5, "temperature": 0.5, "seed": 9},
            name="categorical", input_name="x", output_name="y", num_samples=4, is_logits=False, eps=1e-5,
            temperature=0.5, seed=9)
    yield C("add_categorical_distribution", "categoricalDistribution",
            {"numSamples": 1, "isLogits": True, "eps": 1e-10, "temperature": 1.0, "seed": -1},
            name="categorical_default", input_name="x", output_name="y", num_samples=1)


def _control_flow_cases():
    yield C("add_branch", "branch", {"ifBranch.layers": [], "elseBranch.layers": []}, name="branch",
            input_name="cond")
    yield LayerCase("add_loop", dict(name="loop_count", input_name="n", max_iterations=4), "loop",
                    {"maxLoopIterations": 4, "conditionVar": ""}, ["n"], [])
    yield LayerCase("add_loop", dict(name="loop_cond", condition="c"), "loop",
                    {"maxLoopIterations": 0, "conditionVar": "c"}, [], [])
    yield LayerCase("add_loop_break", dict(name="break"), "loopBreak", {}, [], [])
    yield LayerCase("add_loop_continue", dict(name="continue"), "loopContinue", {}, [], [])
    yield C("add_copy", "copy", {}, name="copy", input_name="x", output_name="y")


def all_cases():
    groups = (_dense_cases, _spatial_cases, _recurrent_cases, _classic_cases, _elementwise_nd_cases,
              _reduction_cases, _shape_cases, _indexing_cases, _generator_cases, _control_flow_cases)
    return [case for group in groups for case in group()]
