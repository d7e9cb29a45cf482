"""Builder methods for layers over the spatial (H, W[, D]) axes of (C, H, W) data:
convolutions, pooling, padding, cropping, resampling and space/depth reorganisation."""
import math as _math

import numpy as _np

from ... import _enums
from ...proto import NeuralNetwork_pb2 as _NN
from ._layer_fields import enum_value, lower, name_list, upper
from ._weights import QuantizedWeights, fill_weights, set_floats

_QUANTIZATION_KWARGS = ("quantization_type", "nbits", "quant_scale", "quant_bias", "quant_lut")
_PADDING_3D = ("CUSTOM", "VALID", "SAME")


def _set_border_amounts(amounts, top, bottom, left, right):
    """Height then width (start, end) edge sizes of a ``BorderAmounts`` message."""
    for start, end in ((top, bottom), (left, right)):
        edge = amounts.borderAmounts.add()
        edge.startEdgeSize = start
        edge.endEdgeSize = end


def _set_same_padding(same, asymmetry_mode):
    mode = upper(asymmetry_mode)
    if mode not in ("BOTTOM_RIGHT_HEAVY", "TOP_LEFT_HEAVY"):
        raise ValueError("Invalid value %s of same_padding_asymmetry_mode parameter" % (asymmetry_mode,))
    same.asymmetryMode = _NN.SamePadding.SamePaddingMode.Value(mode)


def _padding_mode_3d(padding_mode):
    mode = upper(padding_mode)
    if mode not in _PADDING_3D:
        raise ValueError(
            "Unsupported padding mode: %s.  Must be one of %s" % (padding_mode, set(_PADDING_3D))
        )
    return mode


def _set_custom_padding_3d(params, mode, front, back, top, bottom, left, right):
    if mode != "CUSTOM":
        return
    params.customPaddingFront = front
    params.customPaddingBack = back
    params.customPaddingTop = top
    params.customPaddingBottom = bottom
    params.customPaddingLeft = left
    params.customPaddingRight = right


def _sampling_method(mode, what):
    mode = upper(mode)
    return enum_value(_NN.SamplingMode.Method, mode, ValueError("Unsupported %s mode %s" % (what, mode)))


def _bias_values(layer_name, b, output_channels):
    """The first ``output_channels`` values of ``b``."""
    values = _np.asarray(b, dtype=_np.float32).reshape(-1)
    if values.size < output_channels:
        raise ValueError(
            "Layer '%s': b has %d values, expected %d." % (layer_name, values.size, output_channels)
        )
    return values[:output_channels]


def _conv_quantization(kwargs):
    unknown = set(kwargs) - set(_QUANTIZATION_KWARGS) - {"is_quantized_weight"}
    if unknown:
        raise TypeError("add_convolution() got unexpected keyword arguments %s" % sorted(unknown))
    if kwargs.get("quantization_type") is None:
        return None
    return {key: kwargs[key] for key in _QUANTIZATION_KWARGS if key in kwargs}


class SpatialLayers:
    def add_convolution(
        self,
        name,
        kernel_channels,
        output_channels,
        height,
        width,
        stride_height,
        stride_width,
        border_mode,
        groups,
        W,
        b,
        has_bias,
        is_deconv=False,
        output_shape=None,
        input_name="data",
        output_name="out",
        dilation_factors=[1, 1],
        padding_top=0,
        padding_bottom=0,
        padding_left=0,
        padding_right=0,
        same_padding_asymmetry_mode="BOTTOM_RIGHT_HEAVY",
        **kwargs
    ):
        """2-D convolution (or transposed convolution when ``is_deconv``).

        ``W`` has shape (height, width, kernel_channels, output_channels) — (height,
        width, kernel_channels, output_channels / groups) for a deconvolution — and is
        stored as (output_channels, kernel_channels, height, width) [(kernel_channels,
        output_channels / groups, height, width)]. With two ``input_name`` entries the
        weights come from the second input and ``W`` is unused. ``border_mode`` is
        "valid" (with explicit paddings) or "same". Already-quantized weights are given as
        bytes in ``W``'s layout with ``quantization_type``, ``nbits``, ``quant_scale``,
        ``quant_bias`` / ``quant_lut`` keyword arguments.
        """
        input_names = name_list(input_name)
        quantization = _conv_quantization(kwargs)
        border = lower(border_mode)
        if border not in ("valid", "same"):
            raise NotImplementedError("Border mode %s is not implemented." % border_mode)
        weights = None
        if len(input_names) == 1:
            weights = self._convolution_weights(
                name, W, quantization, kernel_channels, output_channels, height, width, groups, is_deconv
            )

        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.convolution
        params.isDeconvolution = is_deconv
        if is_deconv and output_shape:
            params.outputShape.extend([output_shape[0], output_shape[1]])
        params.outputChannels = output_channels
        params.kernelChannels = kernel_channels
        params.kernelSize.extend([height, width])
        params.stride.extend([stride_height, stride_width])
        if border == "valid":
            _set_border_amounts(params.valid.paddingAmounts, padding_top, padding_bottom, padding_left, padding_right)
        else:
            _set_same_padding(params.same, same_padding_asymmetry_mode)
        params.nGroups = groups
        params.hasBias = has_bias
        params.dilationFactor.extend([dilation_factors[0], dilation_factors[1]])
        if weights is None:
            return layer  # weights are the layer's second input
        fill_weights(params.weights, weights)
        if has_bias:
            set_floats(params.bias, _bias_values(name, b, output_channels))
        return layer

    @staticmethod
    def _convolution_weights(name, W, quantization, kernel_channels, output_channels, height, width, groups,
                             is_deconv):
        """The weights in the spec's layout: float32 values or reordered QuantizedWeights."""
        last = output_channels // groups if is_deconv else output_channels
        shape = (height, width, kernel_channels, last)
        axes = (2, 3, 0, 1) if is_deconv else (3, 2, 0, 1)
        if quantization is not None:
            weights = QuantizedWeights(W, **quantization)
            weights.validate(output_channels, int(_np.prod(shape)))
            return weights.reordered(shape, axes)
        if isinstance(W, (bytes, bytearray)):
            raise ValueError(
                "Layer '%s': quantized convolution weights (bytes) need the quantization_type, "
                "nbits and quant_* arguments." % name
            )
        W = _np.asarray(W)
        if W.size != _np.prod(shape):
            raise ValueError(
                "Layer '%s': W has %d values, expected shape %s." % (name, W.size, shape)
            )
        return W.reshape(shape).transpose(axes)

    def add_convolution3d(
        self,
        name,
        input_channels,
        output_channels,
        depth,
        height,
        width,
        W,
        b,
        has_bias,
        groups=1,
        stride_depth=1,
        stride_height=1,
        stride_width=1,
        dilation_width=1,
        dilation_height=1,
        dilation_depth=1,
        is_deconv=False,
        output_shape=None,
        padding_mode="valid",
        padding_front=0,
        padding_back=0,
        padding_top=0,
        padding_bottom=0,
        padding_left=0,
        padding_right=0,
        input_name="data",
        output_name="out",
    ):
        """3-D convolution (or transposed convolution) over (C, D, H, W) data.

        ``W`` has shape (output_channels, input_channels / groups, depth, height, width) —
        (input_channels, output_channels / groups, depth, height, width) for a
        deconvolution. ``padding_mode`` is "valid", "same" or "custom" (with the six
        paddings). Needs specification version 5.
        """
        input_names = name_list(input_name)
        if len(input_names) > 1:
            raise ValueError("3D convolution only supports 1 input.")
        mode = _padding_mode_3d(padding_mode)
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.convolution3d
        params.isDeconvolution = is_deconv
        params.nGroups = groups
        params.outputChannels = output_channels
        params.inputChannels = input_channels
        params.kernelDepth = depth
        params.kernelHeight = height
        params.kernelWidth = width
        params.strideDepth = stride_depth
        params.strideHeight = stride_height
        params.strideWidth = stride_width
        if is_deconv and output_shape:
            params.outputShape.extend(list(output_shape[:3]))
        _set_custom_padding_3d(params, mode, padding_front, padding_back, padding_top, padding_bottom,
                               padding_left, padding_right)
        params.paddingType = _NN.Convolution3DLayerParams.PaddingType.Value(mode)
        params.dilationDepth = dilation_depth
        params.dilationHeight = dilation_height
        params.dilationWidth = dilation_width
        W = _np.asarray(W)
        set_floats(params.weights, W.transpose((1, 0, 2, 3, 4)) if is_deconv else W)
        params.hasBias = has_bias
        if has_bias:
            set_floats(params.bias, _bias_values(name, b, output_channels))
        return layer

    def add_pooling(
        self,
        name,
        height,
        width,
        stride_height,
        stride_width,
        layer_type,
        padding_type,
        input_name,
        output_name,
        exclude_pad_area=True,
        is_global=False,
        padding_top=0,
        padding_bottom=0,
        padding_left=0,
        padding_right=0,
        same_padding_asymmetry_mode="BOTTOM_RIGHT_HEAVY",
    ):
        """2-D pooling: ``layer_type`` "MAX", "AVERAGE" or "L2"; ``padding_type``
        "VALID", "SAME" or "INCLUDE_LAST_PIXEL" (symmetric paddings only); ``is_global``
        pools over the whole plane."""
        pooling_type = enum_value(
            _NN.PoolingLayerParams.PoolingType, upper(layer_type),
            ValueError("Unknown pooling type %s" % (layer_type,)),
        )
        padding = upper(padding_type)
        if padding not in ("VALID", "SAME", "INCLUDE_LAST_PIXEL"):
            raise ValueError("Unknown padding_type %s in pooling" % padding)
        if padding == "INCLUDE_LAST_PIXEL" and (padding_top != padding_bottom or padding_left != padding_right):
            raise ValueError("Only symmetric padding is supported with the INCLUDE_LAST_PIXEL padding type")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.pooling
        params.type = pooling_type
        if padding == "VALID":
            _set_border_amounts(params.valid.paddingAmounts, padding_top, padding_bottom, padding_left, padding_right)
        elif padding == "SAME":
            _set_same_padding(params.same, same_padding_asymmetry_mode)
        else:
            params.includeLastPixel.paddingAmounts.extend([padding_top, padding_left])
        params.kernelSize.extend([height, width])
        params.stride.extend([stride_height, stride_width])
        params.avgPoolExcludePadding = exclude_pad_area
        params.globalPooling = is_global
        return layer

    def add_pooling3d(
        self,
        name,
        input_name,
        output_name,
        pooling_type,
        kernel_depth,
        kernel_height,
        kernel_width,
        stride_depth,
        stride_height,
        stride_width,
        padding_mode="valid",
        custom_padding_front=0,
        custom_padding_back=0,
        custom_padding_top=0,
        custom_padding_bottom=0,
        custom_padding_left=0,
        custom_padding_right=0,
        average_pooling_count_excludes_padding=False,
    ):
        """3-D pooling ("MAX" or "AVERAGE") over (C, D, H, W) data; ``padding_mode`` as in
        ``add_convolution3d``. Needs specification version 5."""
        kind = enum_value(
            _NN.Pooling3DLayerParams.PoolingType3D, upper(pooling_type),
            ValueError("Unknown 3D pooling type %s" % (pooling_type,)),
        )
        mode = _padding_mode_3d(padding_mode)
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.pooling3d
        params.type = kind
        params.kernelDepth = kernel_depth
        params.kernelHeight = kernel_height
        params.kernelWidth = kernel_width
        params.strideDepth = stride_depth
        params.strideHeight = stride_height
        params.strideWidth = stride_width
        _set_custom_padding_3d(params, mode, custom_padding_front, custom_padding_back, custom_padding_top,
                               custom_padding_bottom, custom_padding_left, custom_padding_right)
        params.paddingType = _NN.Pooling3DLayerParams.Pooling3DPaddingType.Value(mode)
        params.countExcludePadding = average_pooling_count_excludes_padding
        return layer

    def add_global_pooling3d(self, name, input_name, output_name, pooling_type):
        """Pool ("MAX" or "AVERAGE") over all of D, H and W. Needs specification version 5."""
        kind = enum_value(
            _NN.GlobalPooling3DLayerParams.GlobalPoolingType3D, upper(pooling_type),
            ValueError("Unknown global 3D pooling type %s" % (pooling_type,)),
        )
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.globalPooling3d.type = kind
        return layer

    def add_padding(
        self,
        name,
        left=0,
        right=0,
        top=0,
        bottom=0,
        value=0,
        input_name="data",
        output_name="out",
        padding_type="constant",
    ):
        """Pad the H and W axes: ``padding_type`` "constant" (with ``value``),
        "reflection" or "replication"."""
        kind = lower(padding_type)
        if kind not in ("constant", "reflection", "replication"):
            raise ValueError("Unknown padding_type %s" % kind)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.padding
        if kind == "constant":
            params.constant.value = value
        else:
            getattr(params, kind).SetInParent()
        _set_border_amounts(params.paddingAmounts, top, bottom, left, right)
        return layer

    def add_crop(self, name, left, right, top, bottom, offset, input_names, output_name):
        """Crop H and W by fixed amounts (one input), or to the size of the second input
        starting at ``offset`` (height, width) (two inputs)."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.crop
        params.offset.extend([0, 0] if len(input_names) == 1 else offset)
        _set_border_amounts(params.cropAmounts, top, bottom, left, right)
        return layer

    def add_upsample(
        self,
        name,
        scaling_factor_h,
        scaling_factor_w,
        input_name,
        output_name,
        mode="NN",
        linear_upsample_mode="DEFAULT",
    ):
        """Upsample H and W by the scaling factors, ``mode`` "NN" or "BILINEAR".

        ``linear_upsample_mode`` ("DEFAULT", "ALIGN_CORNERS_TRUE", "ALIGN_CORNERS_FALSE")
        picks the bilinear sampling grid; fractional factors need BILINEAR with an
        ALIGN_CORNERS mode. A non-default mode needs specification version 5.
        """
        mode = upper(mode)
        linear_mode = upper(linear_upsample_mode)
        if mode not in ("NN", "BILINEAR"):
            raise ValueError("Unsupported upsampling mode %s" % mode)
        if linear_mode not in ("DEFAULT", "ALIGN_CORNERS_TRUE", "ALIGN_CORNERS_FALSE"):
            raise ValueError("Unsupported linear upsampling mode %s" % linear_mode)
        fractional = any(f - _math.floor(f) > 0.001 for f in (scaling_factor_h, scaling_factor_w))
        if fractional and (mode != "BILINEAR" or linear_mode == "DEFAULT"):
            raise ValueError(
                "Fractional upsampling only compatible with BILINEAR and ALIGN_CORNERS_TRUE or ALIGN_CORNERS_FALSE"
            )
        if linear_mode != "DEFAULT":
            self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.upsample
        if fractional:
            params.fractionalScalingFactor.extend([float(scaling_factor_h), float(scaling_factor_w)])
        else:
            params.scalingFactor.extend([int(scaling_factor_h), int(scaling_factor_w)])
        params.mode = _NN.UpsampleLayerParams.InterpolationMode.Value(mode)
        params.linearUpsampleMode = _NN.UpsampleLayerParams.LinearUpsampleMode.Value(linear_mode)
        return layer

    def add_resize_bilinear(
        self, name, input_name, output_name, target_height=1, target_width=1, mode="ALIGN_ENDPOINTS_MODE"
    ):
        """Bilinear resize of H and W to (target_height, target_width); ``mode`` is the
        sampling grid ("ALIGN_ENDPOINTS_MODE", "STRICT_ALIGN_ENDPOINTS_MODE",
        "UPSAMPLE_MODE" or "ROI_ALIGN_MODE")."""
        method = _sampling_method(mode, "resize bilinear")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.resizeBilinear
        params.targetSize.extend([target_height, target_width])
        params.mode.samplingMethod = method
        return layer

    def add_crop_resize(
        self,
        name,
        input_names,
        output_name,
        target_height=1,
        target_width=1,
        mode="STRICT_ALIGN_ENDPOINTS_MODE",
        normalized_roi=False,
        box_indices_mode="CORNERS_HEIGHT_FIRST",
        spatial_scale=1.0,
    ):
        """Crop the regions of interest given by the second input out of the first and
        resize each to (target_height, target_width). ``box_indices_mode`` is how a box
        is written ("CORNERS_HEIGHT_FIRST", "CORNERS_WIDTH_FIRST",
        "CENTER_SIZE_HEIGHT_FIRST", "CENTER_SIZE_WIDTH_FIRST"); ``normalized_roi`` means
        box coordinates in [0, 1]."""
        method = _sampling_method(mode, "crop resize")
        box_mode = upper(box_indices_mode)
        box = enum_value(
            _NN.BoxCoordinatesMode.Coordinates, box_mode,
            ValueError("Unsupported crop resize box indices mode %s" % box_mode),
        )
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.cropResize
        params.targetSize.extend([target_height, target_width])
        params.normalizedCoordinates = normalized_roi
        params.spatialScale = spatial_scale
        params.mode.samplingMethod = method
        params.boxIndicesMode.boxMode = box
        return layer

    def add_reorganize_data(self, name, input_name, output_name, mode="SPACE_TO_DEPTH", block_size=2):
        """Move blocks of ``block_size`` x ``block_size`` pixels between the spatial axes
        and channels: "SPACE_TO_DEPTH", "DEPTH_TO_SPACE" or "PIXEL_SHUFFLE" (the last
        needs specification version 5)."""
        if block_size < 2:
            raise ValueError("Invalid block_size value %d. Must be greater than 1." % block_size)
        mode = upper(mode)
        if mode not in ("SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "PIXEL_SHUFFLE"):
            raise NotImplementedError("Unknown reorganization mode %s." % mode)
        if mode == "PIXEL_SHUFFLE":
            self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.reorganizeData
        params.blockSize = block_size
        params.mode = _NN.ReorganizeDataLayerParams.ReorganizationType.Value(mode)
        return layer
