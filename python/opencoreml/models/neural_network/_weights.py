"""Writing layer parameters into ``WeightParams`` messages for the builder: float32
values, and already-quantized weights given as packed bytes together with their
linear (scale/bias) or look-up-table parameters."""
import numpy as _np

from . import _bit_packing


def floats(values):
    """``values`` (array, list or scalar) as a flat list of float32 numbers."""
    return _np.asarray(values, dtype=_np.float32).reshape(-1).tolist()


def set_floats(weight_params, values):
    """Replace the float32 values of ``weight_params`` with ``values``."""
    del weight_params.floatValue[:]
    weight_params.floatValue.extend(floats(values))


def is_quantized(W, is_quantized_weight=False):
    """Weights are quantized when flagged so or given as bytes."""
    return bool(is_quantized_weight) or isinstance(W, (bytes, bytearray))


def _vector(value):
    return _np.atleast_1d(_np.asarray(value, dtype=_np.float32)).reshape(-1)


class QuantizedWeights:
    """Already-quantized weights: ``raw`` packed bytes of ``nbits``-bit codes and the
    parameters that map codes back to floats.

    ``quantization_type`` is ``"linear"`` (w = code * scale + bias, per output channel or
    one pair for all) or ``"lut"`` (w = quant_lut[code]). ``int8`` stores the codes as
    signed bytes in ``int8RawValue`` with a single scale and no bias, the format of layers
    with ``int8DynamicQuantize``.
    """

    def __init__(self, raw, quantization_type="linear", nbits=8, quant_scale=None,
                 quant_bias=None, quant_lut=None, int8=False):
        self.raw = raw
        self.quantization_type = (quantization_type or "").lower()
        self.nbits = nbits
        self.quant_scale = quant_scale
        self.quant_bias = quant_bias
        self.quant_lut = quant_lut
        self.int8 = int8

    def validate(self, output_channels, count=None):
        """Check the arguments; ``count`` (number of weights), when known, checks the size
        of ``raw``."""
        if not isinstance(self.raw, (bytes, bytearray)):
            raise ValueError("Weight must be of type bytes() for quantization")
        nbits = self.nbits
        if not isinstance(nbits, (int, _np.integer)) or not 1 <= nbits <= 8:
            raise ValueError("nbits must be between 1 and 8")
        if self.int8:
            if nbits != 8:
                raise ValueError("nbits must be 8 when 'int_8_dynamic_quantize' is true ")
            if self.quant_bias is not None:
                raise ValueError("quant_bias must be empty when 'int_8_dynamic_quantize' is true ")
            if self.quant_scale is None or _vector(self.quant_scale).size != 1:
                raise ValueError("quant_scale must be of size 1 when 'int_8_dynamic_quantize' is true ")
        if self.quantization_type == "linear":
            if not self.int8 and (self.quant_scale is None or self.quant_bias is None):
                raise ValueError(
                    "quant_scale and quant_bias parameters must be provided for linear quantization type"
                )
            for what, value in (("quant_scale", self.quant_scale), ("quant_bias", self.quant_bias)):
                if value is not None and _vector(value).size not in (1, output_channels):
                    raise ValueError(
                        "%s should be of type float or an array of length outputChannels" % what
                    )
        elif self.quantization_type == "lut":
            if self.quant_lut is None:
                raise ValueError("quant_lut must be provided for look up table quantization type")
            if _vector(self.quant_lut).size != 2 ** nbits:
                raise ValueError("quant_lut must be an array of length 2^nbits")
        else:
            raise ValueError("quantization_type must be either linear or lut")
        if count is not None:
            expected = count if self.int8 else _bit_packing.packed_size(count, nbits)
            if len(self.raw) != expected:
                raise ValueError(
                    "Quantized weights hold %d bytes; %d weights of %d bits need %d bytes."
                    % (len(self.raw), count, nbits, expected)
                )

    def reordered(self, shape, axes):
        """A copy whose codes, read as an array of ``shape``, are transposed by ``axes``
        (the builder's weight layouts differ from the spec's)."""
        count = int(_np.prod(shape))
        if self.int8 or self.nbits == 8:  # one code per byte
            codes = _np.frombuffer(bytes(self.raw), dtype=_np.int8 if self.int8 else _np.uint8)[:count]
            raw = codes.reshape(shape).transpose(axes).tobytes()
        else:
            codes = _bit_packing.unpack_bits(self.raw, count, self.nbits)
            raw = _bit_packing.pack_bits(codes.reshape(shape).transpose(axes), self.nbits).tobytes()
        return QuantizedWeights(raw, self.quantization_type, self.nbits, self.quant_scale, self.quant_bias,
                                self.quant_lut, self.int8)

    def fill(self, weight_params):
        """Write the codes and their parameters into ``weight_params``."""
        quantization = weight_params.quantization
        quantization.numberOfBits = self.nbits
        if self.int8:
            weight_params.int8RawValue = bytes(self.raw)
        else:
            weight_params.rawValue = bytes(self.raw)
        if self.quantization_type == "linear":
            linear = quantization.linearQuantization
            linear.scale.extend(floats(_vector(1.0 if self.quant_scale is None else self.quant_scale)))
            if not self.int8:
                linear.bias.extend(floats(_vector(0.0 if self.quant_bias is None else self.quant_bias)))
        else:
            quantization.lookupTableQuantization.floatValue.extend(floats(_vector(self.quant_lut)))


def fill_weights(weight_params, weights):
    """Write ``weights`` — ``QuantizedWeights`` or float values — into ``weight_params``."""
    if isinstance(weights, QuantizedWeights):
        weights.fill(weight_params)
    else:
        set_floats(weight_params, weights)
