"""Builder methods for layers that carry weight tensors applied per element or per
channel: inner product, batched matrix multiply, embeddings, batch and layer
normalisation, scale, bias and constants."""
import numpy as _np

from ._weights import QuantizedWeights, fill_weights, floats, is_quantized, set_floats


def _check_count(layer_name, what, values, expected):
    count = _np.size(values)
    if count != expected:
        raise ValueError(
            "Layer '%s': %s has %d values, expected %d." % (layer_name, what, count, expected)
        )


def _checked_weights(layer_name, W, output_channels, count, is_quantized_weight, quantization_type, nbits,
                     quant_scale, quant_bias, quant_lut, int8=False):
    """``W`` as validated ``QuantizedWeights`` when it is quantized (flagged, given as bytes,
    or ``int8`` dynamic quantization), else ``W`` itself once it holds ``count`` floats."""
    if is_quantized(W, is_quantized_weight) or int8:
        weights = QuantizedWeights(W, quantization_type, nbits, quant_scale, quant_bias, quant_lut, int8)
        weights.validate(output_channels, count)
        return weights
    _check_count(layer_name, "W", W, count)
    return W


def _set_weights_and_bias(params, weights, b, has_bias):
    """``hasBias``, ``weights`` (from ``_checked_weights``) and, with ``has_bias``, ``bias``
    of a weighted layer's ``params``."""
    params.hasBias = has_bias
    fill_weights(params.weights, weights)
    if has_bias:
        set_floats(params.bias, b)


class DenseLayers:
    def add_inner_product(
        self,
        name,
        W,
        b,
        input_channels,
        output_channels,
        has_bias,
        input_name,
        output_name,
        int_8_dynamic_quantize=False,
        is_quantized_weight=False,
        quantization_type="linear",
        nbits=8,
        quant_scale=None,
        quant_bias=None,
        quant_lut=None,
    ):
        """Fully connected layer: ``W`` has shape (output_channels, input_channels), ``b``
        (output_channels,) and is used when ``has_bias``.

        ``W`` may instead be already-quantized ``bytes`` (``is_quantized_weight``), with
        ``quantization_type`` "linear" (``quant_scale``, ``quant_bias``) or "lut"
        (``quant_lut`` of 2**nbits values); ``int_8_dynamic_quantize`` takes signed 8-bit
        weights with one ``quant_scale`` and runs the product in int8.
        """
        weights = _checked_weights(name, W, output_channels, input_channels * output_channels,
                                   is_quantized_weight, quantization_type, nbits, quant_scale, quant_bias,
                                   quant_lut, int_8_dynamic_quantize)
        if has_bias:
            _check_count(name, "b", b, output_channels)

        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.innerProduct
        params.inputChannels = input_channels
        params.outputChannels = output_channels
        params.int8DynamicQuantize = int_8_dynamic_quantize
        _set_weights_and_bias(params, weights, b, has_bias)
        return layer

    def add_batched_mat_mul(
        self,
        name,
        input_names,
        output_name,
        transpose_a=False,
        transpose_b=False,
        weight_matrix_rows=0,
        weight_matrix_columns=0,
        W=None,
        bias=None,
        int_8_dynamic_quantize=False,
        is_quantized_weight=False,
        quantization_type="linear",
        nbits=8,
        quant_scale=None,
        quant_bias=None,
        quant_lut=None,
    ):
        """Batched matrix product of two inputs, or of one input with the constant ``W``
        of shape (weight_matrix_rows, weight_matrix_columns) plus an optional ``bias`` of
        weight_matrix_columns values. Quantized ``W`` is given as bytes in that same
        row-major order (see ``add_inner_product`` for the quantization arguments)."""
        if (W is not None or bias is not None) and len(input_names) == 2:
            raise ValueError("batched_mat_mul: Weight and/or bias are ignored when there are two inputs")
        if W is None and len(input_names) == 1:
            raise ValueError("batched_mat_mul: Weight parameter must be provided when there is one input")
        weights = None
        if len(input_names) == 1:
            rows, columns = weight_matrix_rows, weight_matrix_columns
            weights = _checked_weights(name, W, columns, rows * columns, is_quantized_weight, quantization_type,
                                       nbits, quant_scale, quant_bias, quant_lut, int_8_dynamic_quantize)
            # The spec stores the matrix transposed: (columns, rows).
            if isinstance(weights, QuantizedWeights):
                weights = weights.reordered((rows, columns), (1, 0))
            else:
                weights = _np.asarray(W).reshape(rows, columns).T
            if bias is not None:
                _check_count(name, "bias", bias, columns)

        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.batchedMatmul
        params.transposeA = transpose_a
        params.transposeB = transpose_b
        params.int8DynamicQuantize = int_8_dynamic_quantize
        self.rank_dict[output_name] = max([2] + [self._get_rank(n) for n in input_names])
        if len(input_names) == 1:
            params.weightMatrixFirstDimension = weight_matrix_rows
            params.weightMatrixSecondDimension = weight_matrix_columns
            _set_weights_and_bias(params, weights, bias, bias is not None)
        return layer

    def add_embedding(
        self,
        name,
        W,
        b,
        input_dim,
        output_channels,
        has_bias,
        input_name,
        output_name,
        is_quantized_weight=False,
        quantization_type="linear",
        nbits=8,
        quant_scale=None,
        quant_bias=None,
        quant_lut=None,
    ):
        """Embedding lookup of indices in [0, input_dim): ``W`` has shape
        (output_channels, input_dim), ``b`` (output_channels,). Quantized ``W`` as in
        ``add_inner_product``."""
        weights = _checked_weights(name, W, output_channels, input_dim * output_channels, is_quantized_weight,
                                   quantization_type, nbits, quant_scale, quant_bias, quant_lut)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.embedding
        params.inputDim = input_dim
        params.outputChannels = output_channels
        _set_weights_and_bias(params, weights, b, has_bias)
        return layer

    def add_embedding_nd(
        self,
        name,
        input_name,
        output_name,
        vocab_size,
        embedding_size,
        W,
        b=None,
        is_quantized_weight=False,
        quantization_type="linear",
        nbits=8,
        quant_scale=None,
        quant_bias=None,
        quant_lut=None,
    ):
        """Rank-N embedding lookup: ``W`` has shape (embedding_size, vocab_size), optional
        ``b`` (embedding_size,). Quantized ``W`` as in ``add_inner_product``."""
        weights = _checked_weights(name, W, embedding_size, vocab_size * embedding_size, is_quantized_weight,
                                   quantization_type, nbits, quant_scale, quant_bias, quant_lut)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.embeddingND
        params.vocabSize = vocab_size
        params.embeddingSize = embedding_size
        _set_weights_and_bias(params, weights, b, b is not None)
        return layer

    def add_batchnorm(
        self,
        name,
        channels,
        gamma,
        beta,
        mean=None,
        variance=None,
        input_name="data",
        output_name="out",
        compute_mean_var=False,
        instance_normalization=False,
        epsilon=1e-5,
    ):
        """Batch normalisation with per-channel ``gamma``, ``beta``, ``mean`` and
        ``variance``; ``compute_mean_var`` with ``instance_normalization`` computes the
        statistics from the input instead (instance normalisation)."""
        if compute_mean_var and not instance_normalization:
            raise NotImplementedError("Batch-instance norm is currently not supported")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.batchnorm
        params.channels = channels
        set_floats(params.gamma, gamma)
        set_floats(params.beta, beta)
        params.epsilon = epsilon
        params.computeMeanVar = compute_mean_var
        params.instanceNormalization = instance_normalization
        if not compute_mean_var:
            set_floats(params.mean, mean)
            set_floats(params.variance, variance)
        return layer

    def add_layer_normalization(self, name, input_name, output_name, normalized_shape, gamma, beta, eps=1e-5):
        """Normalise over the trailing ``normalized_shape`` dimensions, then scale by
        ``gamma`` and shift by ``beta`` (both of that shape)."""
        if _np.shape(gamma) != tuple(normalized_shape):
            raise ValueError("Shape of parameter gamma should match normalized_shape")
        if _np.shape(beta) != tuple(normalized_shape):
            raise ValueError("Shape of parameter beta should match normalized_shape")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.layerNormalization
        params.normalizedShape.extend(normalized_shape)
        set_floats(params.gamma, gamma)
        set_floats(params.beta, beta)
        params.eps = eps
        return layer

    def add_scale(self, name, W, b, has_bias, input_name, output_name, shape_scale=None, shape_bias=None):
        """Multiply by ``W`` (shape ``shape_scale``: [1], [C], [1, H, W] or [C, H, W]) and,
        when ``has_bias``, add ``b`` (shape ``shape_bias``)."""
        shape_scale = shape_scale or [1]
        shape_bias = shape_bias or [1]
        scale = floats(W)
        if len(scale) != _np.prod(shape_scale):
            raise ValueError("Dimensions of 'shape_scale' do not match the size of the provided 'scale' parameter")
        bias = floats(b) if has_bias else None
        if has_bias and len(bias) != _np.prod(shape_bias):
            raise ValueError("Dimensions of 'shape_bias' do not match the size of the provided 'b' parameter")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.scale
        params.hasBias = has_bias
        params.shapeScale.extend(shape_scale)
        params.scale.floatValue.extend(scale)
        if has_bias:
            params.shapeBias.extend(shape_bias)
            params.bias.floatValue.extend(bias)
        return layer

    def add_bias(self, name, b, input_name, output_name, shape_bias=None):
        """Add ``b`` of shape ``shape_bias`` ([1], [C], [1, H, W] or [C, H, W])."""
        shape_bias = shape_bias or [1]
        if len(shape_bias) not in (1, 3):
            raise ValueError("Shape of bias layer must have length 1 or 3.")
        bias = floats(b)
        if len(bias) != _np.prod(shape_bias):
            raise ValueError("Dimensions of 'shape_bias' do not match the sizeof the provided 'b' parameter")
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.bias
        params.shape.extend(shape_bias)
        params.bias.floatValue.extend(bias)
        return layer

    def add_load_constant(self, name, output_name, constant_value, shape):
        """Output the constant ``constant_value`` of shape ``shape`` — (C, H, W), unless
        the builder disabled the rank-5 mapping."""
        values = floats(constant_value)
        if len(values) != _np.prod(shape):
            raise ValueError("Dimensions of 'shape' do not match the size of the provided constant")
        if not self._disable_rank5_shape_mapping and len(shape) != 3:
            raise ValueError("'shape' must be of length 3")
        layer = self._add_generic_layer(name, [], [output_name])
        params = layer.loadConstant
        params.data.floatValue.extend(values)
        params.shape.extend(shape)
        self.rank_dict[output_name] = 5
        return layer

    def add_load_constant_nd(self, name, output_name, constant_value, shape):
        """Output the constant ``constant_value`` with the rank-N shape ``shape``."""
        values = floats(constant_value)
        if len(values) != _np.prod(shape):
            raise ValueError("Dimensions of 'shape' do not match the size of the provided constant")
        layer = self._add_generic_layer(name, [], [output_name])
        params = layer.loadConstantND
        params.data.floatValue.extend(values)
        params.shape.extend(shape)
        self.rank_dict[output_name] = len(shape)
        return layer
