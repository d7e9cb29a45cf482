"""Weight quantization of neural-network models (coremltools'
``quantization_utils``): ``quantize_weights`` to float16 or 1-8 bit linear / look-up-table
codes, int8 matrix multiplication, and dequantization. Layer selectors (which layers to
quantize) and ``compare_models`` (quantized against original on sample data) live in
their own modules and are importable from here.

Quantized weights are stored in a ``WeightParams``'s ``rawValue`` as packed n-bit codes
with either linear (scale, bias per output channel) or look-up-table parameters.
"""
import numpy as _np

from ... import _enums
from ..utils import _convert_neural_network_spec_weights_to_fp16, _get_model, _wp_to_fp16wp
from . import _bit_packing
from ._nn_weight_fields import nested_networks, weight_fields
from ._layer_selectors import (  # noqa: F401  (part of this module's API)
    AdvancedQuantizedLayerSelector,
    MatrixMultiplyLayerSelector,
    QuantizedLayerSelector,
)
from ._model_comparison import (  # noqa: F401
    ModelMetrics,
    NoiseMetrics,
    OutputMetric,
    TopKMetrics,
    compare_models,
)
from ._weight_quantizers import (  # noqa: F401  (re-exported under coremltools' names)
    _dequantize_linear,
    _dequantize_lut,
    _get_kmeans_lookup_table_and_weight,
    _get_linear_lookup_table_and_weight,
    _quantize_channelwise_linear,
)
from .optimization_utils import _optimize_nn

from ..model import (  # noqa: F401  (the modes live in models.model, as in coremltools)
    _LUT_BASED_QUANTIZATION,
    _QUANTIZATION_MODE_CUSTOM_LOOKUP_TABLE,
    _QUANTIZATION_MODE_DEQUANTIZE,
    _QUANTIZATION_MODE_LINEAR_QUANTIZATION,
    _QUANTIZATION_MODE_LINEAR_SYMMETRIC,
    _QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS,
    _QUANTIZATION_MODE_LOOKUP_TABLE_LINEAR,
    _SUPPORTED_QUANTIZATION_MODES,
)

_LINEAR_MODES = (_QUANTIZATION_MODE_LINEAR_QUANTIZATION, _QUANTIZATION_MODE_LINEAR_SYMMETRIC)

_MODE_NAMES = {
    "linear": _QUANTIZATION_MODE_LINEAR_QUANTIZATION,
    "linear_lut": _QUANTIZATION_MODE_LOOKUP_TABLE_LINEAR,
    "kmeans_lut": _QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS,
    "kmeans": _QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS,
    "custom_lut": _QUANTIZATION_MODE_CUSTOM_LOOKUP_TABLE,
    "dequantization": _QUANTIZATION_MODE_DEQUANTIZE,
    "linear_symmetric": _QUANTIZATION_MODE_LINEAR_SYMMETRIC,
}

_NN_KINDS = ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor")


# ---------------------------------------------------------------------------------------
# Bit packing under coremltools' names


def _convert_array_to_nbit_quantized_bytes(arr, nbits):
    """Pack unsigned ``nbits``-bit values (most significant bit first) into a uint8 array."""
    return _bit_packing.pack_bits(arr, nbits)


def _convert_1bit_array_to_byte_array(arr):
    """Pack a list of 0/1 bits into bytes, padding with zeros to whole bytes."""
    return _bit_packing.pack_bits(arr, 1)


def _decompose_bytes_to_bit_arr(arr):
    """The bits (most significant first) of a sequence of byte values, as a list."""
    return _np.unpackbits(_bit_packing.as_uint8(arr)).tolist()


def _unpack_to_bytes(byte_arr, num_weights, nbits):
    """The first ``num_weights`` unsigned ``nbits``-bit values packed in ``byte_arr``."""
    if num_weights % 1 != 0:
        raise ValueError("num_weights must be a whole number, got %r" % (num_weights,))
    return _bit_packing.unpack_bits(byte_arr, int(num_weights), nbits)


# ---------------------------------------------------------------------------------------
# One weight blob


def _quantize_wp(wp, nbits, qm, axis=0, **kwargs):
    """Quantize the weight array ``wp`` with mode ``qm``: returns (scale, bias, lut,
    uint8 codes shaped like ``wp``), scale/bias for linear modes and lut otherwise."""
    scale = bias = lut = None
    if qm in _LINEAR_MODES:
        codes, scale, bias = _quantize_channelwise_linear(
            wp, nbits, axis, symmetric=qm == _QUANTIZATION_MODE_LINEAR_SYMMETRIC
        )
    elif qm == _QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS:
        lut, codes = _get_kmeans_lookup_table_and_weight(nbits, wp)
    elif qm == _QUANTIZATION_MODE_LOOKUP_TABLE_LINEAR:
        lut, codes = _get_linear_lookup_table_and_weight(nbits, wp)
    elif qm == _QUANTIZATION_MODE_CUSTOM_LOOKUP_TABLE:
        lut_function = kwargs.get("lut_function")
        if lut_function is None:
            raise Exception("Custom lookup table quantization mode selected but no lookup table function passed")
        if not callable(lut_function):
            raise Exception("Argument for Lookup Table passed in but is not callable")
        try:
            lut, codes = lut_function(nbits, wp)
        except Exception as e:
            raise Exception("{}\nCall to Lookup Table function failed".format(e)) from e
    else:
        raise NotImplementedError('Quantization method "{}" not supported'.format(qm))
    codes = _np.asarray(codes)
    return scale, bias, lut, _np.uint8(codes).reshape(_np.shape(wp))


def _check_axis(axis, shape, action):
    if axis not in (0, 1):
        raise Exception(
            "Invalid quantization axis {} passed in. Allowed values are 0 (first axis) and 1 (second axis)".format(axis)
        )
    if axis == 1 and len(shape) != 4:
        raise Exception("{} on second axis is only supported for rank-4 weight blob.".format(action))


def _quantize_wp_field(wp, nbits, qm, shape, axis=0, **kwargs):
    """Quantize (or with the dequantize mode, restore) the WeightParams ``wp`` holding a
    tensor of ``shape`` in place, channels along ``axis``; nbits 16 means float16."""
    if qm == _QUANTIZATION_MODE_DEQUANTIZE:
        return _dequantize_wp(wp, shape, axis)
    if len(wp.floatValue) == 0:
        return
    if nbits == 16:
        return _wp_to_fp16wp(wp)
    if nbits > 8:
        raise Exception("Only 8-bit and lower quantization is supported")
    if qm not in _SUPPORTED_QUANTIZATION_MODES:
        raise Exception("Quantization mode {} not supported".format(qm))
    _check_axis(axis, shape, "Quantization")
    channels = shape[axis] if qm in _LINEAR_MODES else 1
    if len(wp.floatValue) % channels:
        raise Exception("Number of quantization channels does not divide evenly into weights")

    weights = _np.asarray(wp.floatValue, dtype=_np.float64).reshape(shape)
    scale, bias, lut, codes = _quantize_wp(weights, nbits, qm, axis, **kwargs)
    quantization = wp.quantization
    quantization.numberOfBits = nbits
    if qm in _LINEAR_MODES:
        quantization.linearQuantization.scale.extend(_np.asarray(scale, dtype=_np.float32).tolist())
        quantization.linearQuantization.bias.extend(_np.asarray(bias, dtype=_np.float32).tolist())
    else:
        quantization.lookupTableQuantization.floatValue.extend(
            _np.asarray(lut, dtype=_np.float32).reshape(-1).tolist()
        )
    codes = codes.reshape(-1)
    wp.rawValue = codes.tobytes() if nbits == 8 else _bit_packing.pack_bits(codes, nbits).tobytes()
    del wp.floatValue[:]


def _dequantize_wp(wp, shape, axis=0):
    """Turn a quantized WeightParams holding a tensor of ``shape`` back into float32
    values, in place (no-op for float weights)."""
    if len(wp.floatValue) != 0 or not wp.HasField("quantization"):
        return
    quantization = wp.quantization
    is_linear = quantization.WhichOneof("QuantizationType") == "linearQuantization"
    _check_axis(axis, shape, "Dequantization")
    count = int(_np.prod(shape))
    if len(wp.int8RawValue):
        # int8 weights of an int8DynamicQuantize layer: one scale, no bias
        codes = _np.frombuffer(wp.int8RawValue, dtype=_np.int8)[:count].astype(_np.float64)
        values = codes * quantization.linearQuantization.scale[0]
        wp.int8RawValue = b""
    else:
        if is_linear and len(quantization.linearQuantization.scale) != len(quantization.linearQuantization.bias):
            raise Exception("Linear quantization scale and bias vectors are different lengths")
        nbits = quantization.numberOfBits
        packed = _np.frombuffer(wp.rawValue, dtype=_np.uint8)
        codes = (packed[:count] if nbits == 8 else _bit_packing.unpack_bits(packed, count, nbits)).reshape(shape)
        if is_linear:
            linear = quantization.linearQuantization
            values = _dequantize_linear(codes, _np.array(linear.scale), _np.array(linear.bias), axis)
        else:
            values = _dequantize_lut(codes, _np.array(quantization.lookupTableQuantization.floatValue))
        wp.rawValue = b""
    wp.ClearField("quantization")
    wp.floatValue.extend(_np.asarray(values, dtype=_np.float32).reshape(-1).tolist())


# ---------------------------------------------------------------------------------------
# Networks and models


def _quantize_nn_spec(nn_spec, nbits, qm, **kwargs):
    """Quantize (or dequantize) the weights of every selected layer of the NeuralNetwork
    ``nn_spec`` in place. ``selector`` and ``lut_function`` come in ``kwargs``; so may
    ``protected_blobs``, blobs that layer folding must keep (the model outputs)."""
    selector = kwargs.get("selector") or QuantizedLayerSelector()
    if qm not in _SUPPORTED_QUANTIZATION_MODES:
        raise Exception("Quantization mode {} not supported".format(qm))
    if qm != _QUANTIZATION_MODE_DEQUANTIZE:
        if nbits is None:
            raise Exception('Missing argument "nbits"')
        if not (0 < nbits <= 8 or nbits == 16):
            raise Exception("Only half precision (16-bit), 1 to 8-bit quantization is supported")
    if qm == _QUANTIZATION_MODE_LINEAR_SYMMETRIC and nbits != 8:
        raise Exception("Symmetric quantization is only applicable for 8 bit linear")

    layers = nn_spec.layers
    if nbits is not None and nbits < 16 and qm != _QUANTIZATION_MODE_DEQUANTIZE:
        print("Optimizing Neural Network before Quantization:")
        _optimize_nn(layers, kwargs.get("protected_blobs", ()))
        print("Finished optimizing network. Quantizing neural network..")
    field_kwargs = {k: v for k, v in kwargs.items() if k != "protected_blobs"}
    for layer in layers:
        kind = layer.WhichOneof("layer")
        if kind == "custom":
            print("Skipping custom layer {}. Weights for this layer need to be converted manually".format(layer.name))
            continue
        if not selector.do_quantize(layer):
            continue
        print("Quantizing layer {} of type {}".format(layer.name, kind))
        for network in nested_networks(layer):
            _quantize_nn_spec(network, nbits, qm, **field_kwargs)
        for field in weight_fields(layer):
            if (
                field.is_bias
                and kind in ("convolution", "innerProduct", "batchedMatmul")
                and not selector.do_quantize(layer, weight_param="bias")
            ):
                continue
            _quantize_wp_field(field.params, nbits, qm, field.shape, field.axis, **field_kwargs)


def _dequantize_nn_spec(spec):
    """Restore the float32 weights of every quantized layer of a NeuralNetwork."""
    _quantize_nn_spec(spec, None, _QUANTIZATION_MODE_DEQUANTIZE)


def _pipeline_models(spec):
    kind = spec.WhichOneof("Type")
    if kind == "pipeline":
        return spec.pipeline.models
    if kind in ("pipelineClassifier", "pipelineRegressor"):
        return getattr(spec, kind).pipeline.models
    return ()


def _quantize_spec_weights(spec, nbits, quantization_mode, **kwargs):
    """Quantize the weights of the neural network(s) in ``spec`` (pipelines included) in
    place and raise the specification version they need. Returns ``spec``."""
    kind = spec.WhichOneof("Type")
    if kind in _NN_KINDS:
        if nbits == 16 and quantization_mode != _QUANTIZATION_MODE_DEQUANTIZE and "selector" not in kwargs:
            return _convert_neural_network_spec_weights_to_fp16(spec)
        minimum = _enums._MINIMUM_FP16_SPEC_VERSION if nbits == 16 else _enums._MINIMUM_QUANTIZED_MODEL_SPEC_VERSION
        spec.specificationVersion = max(minimum, spec.specificationVersion)
        outputs = [feature.name for feature in spec.description.output]
        _quantize_nn_spec(getattr(spec, kind), nbits, quantization_mode, protected_blobs=outputs, **kwargs)
    for model in _pipeline_models(spec):
        _quantize_spec_weights(model, nbits, quantization_mode, **kwargs)
    return spec


def quantize_weights(full_precision_model, nbits, quantization_mode="linear", sample_data=None, **kwargs):
    """A copy of the neural-network ``MLModel`` (or pipeline of them) with its weights
    quantized to ``nbits`` bits.

    ``nbits`` 16 stores float16; 1 to 8 stores codes with ``quantization_mode``:
    "linear" (per-channel scale and bias over [min, max]), "linear_symmetric" (8 bits,
    range [-A, A]), "linear_lut" (an evenly spaced look-up table), "kmeans_lut" (a table
    of k-means centroids) or "custom_lut" (``lut_function(nbits, weights) -> (lut,
    codes)`` in ``kwargs``). A ``selector`` (QuantizedLayerSelector) in ``kwargs`` picks
    the layers. With ``sample_data`` (a list of input dicts, or a folder of images for a
    single-image-input model) the two models' outputs are compared and the agreement
    printed.
    """
    qmode = _MODE_NAMES.get(quantization_mode)
    if qmode is None:
        valid = {k: v for k, v in _MODE_NAMES.items() if k != "kmeans"}
        raise Exception("Invalid quantization mode. Quantization mode must be one of {}".format(valid))
    print("Quantizing using {} quantization".format(quantization_mode))
    spec = full_precision_model.get_spec()
    if nbits == 16 and spec.isUpdatable:
        raise Exception("updatable models cannot get quantized to FP16.")
    qspec = _quantize_spec_weights(spec, nbits, qmode, **kwargs)
    quantized_model = _get_model(qspec, compute_units=full_precision_model.compute_unit)
    if sample_data:
        compare_models(full_precision_model, quantized_model, sample_data)
    return quantized_model


def activate_int8_int8_matrix_multiplications(spec, selector=None):
    """Switch the inner product and batched matmul layers chosen by ``selector`` (a
    MatrixMultiplyLayerSelector by default) to int8 weights with int8 dynamic
    quantization of their input; already-quantized weights are dequantized first. Works
    in place on a neural-network spec or the networks of a pipeline; returns ``spec``."""
    kind = spec.WhichOneof("Type")
    if kind in ("pipeline", "pipelineClassifier", "pipelineRegressor"):
        for model in _pipeline_models(spec):
            activate_int8_int8_matrix_multiplications(model, selector=selector)
        return spec
    if kind not in _NN_KINDS:
        raise ValueError("Model Type {} not supported.".format(kind))
    selector = selector or MatrixMultiplyLayerSelector()
    spec = _quantize_spec_weights(spec, None, _QUANTIZATION_MODE_DEQUANTIZE, selector=selector)

    def process(nn_spec):
        for layer in nn_spec.layers:
            if not selector.do_quantize(layer):
                continue
            for network in nested_networks(layer):
                process(network)
            layer_kind = layer.WhichOneof("layer")
            if layer_kind not in ("innerProduct", "batchedMatmul"):
                continue
            spec.specificationVersion = max(_enums._SPECIFICATION_VERSION_IOS_14, spec.specificationVersion)
            params = getattr(layer, layer_kind)
            weights = params.weights
            if len(weights.floatValue) == 0:
                continue
            values = _np.asarray(weights.floatValue, dtype=_np.float64)
            largest = float(_np.max(_np.abs(values)))
            scale = largest / 127.0 if largest > 0 else 1.0
            codes = _np.clip(_np.round(values / scale), -127, 127).astype(_np.int8)
            print(
                "Modifying layer {} with size of weights {}, to use Int8 * Int8 matrix multiplication".format(
                    layer.name, codes.size
                )
            )
            params.int8DynamicQuantize = True
            weights.quantization.numberOfBits = 8
            weights.quantization.linearQuantization.scale.append(scale)
            weights.int8RawValue = codes.tobytes()
            del weights.floatValue[:]

    process(getattr(spec, kind))
    return spec
