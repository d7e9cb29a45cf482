"""Builder methods for rank-N elementwise layers: unary math functions, clipping and
activations, broadcasting binary arithmetic, comparisons, logical operations and
``where``."""
from ... import _enums
from ...proto import NeuralNetwork_pb2 as _NN
from ._layer_fields import enum_value, name_list, upper


def _unary_method(method_name, field, what):
    def method(self, name, input_name, output_name):
        layer = self._add_generic_layer(name, [input_name], [output_name])
        getattr(layer, field).SetInParent()
        return layer

    method.__name__ = method_name
    method.__qualname__ = "ElementwiseLayers." + method_name
    method.__doc__ = "Elementwise %s of the input (layer ``%s``)." % (what, field)
    return method


def _broadcastable_method(method_name, field, what):
    def method(self, name, input_names, output_name):
        layer = self._add_generic_layer(name, input_names, [output_name])
        getattr(layer, field).SetInParent()
        self._set_max_input_rank(input_names, output_name)
        return layer

    method.__name__ = method_name
    method.__qualname__ = "ElementwiseLayers." + method_name
    method.__doc__ = "Elementwise %s of the inputs, broadcasting their shapes (layer ``%s``)." % (what, field)
    return method


def _comparison(builder, name, input_names, output_name, field, alpha):
    """A comparison layer; with a single input it compares against the constant ``alpha``."""
    input_names = name_list(input_names)
    layer = builder._add_generic_layer(name, input_names, [output_name])
    params = getattr(layer, field)
    params.SetInParent()
    if len(input_names) == 1:
        params.alpha = alpha
    return layer


class ElementwiseLayers:
    add_erf = _unary_method("add_erf", "erf", "error function")
    add_sin = _unary_method("add_sin", "sin", "sine")
    add_cos = _unary_method("add_cos", "cos", "cosine")
    add_tan = _unary_method("add_tan", "tan", "tangent")
    add_asin = _unary_method("add_asin", "asin", "arcsine")
    add_acos = _unary_method("add_acos", "acos", "arccosine")
    add_atan = _unary_method("add_atan", "atan", "arctangent")
    add_sinh = _unary_method("add_sinh", "sinh", "hyperbolic sine")
    add_cosh = _unary_method("add_cosh", "cosh", "hyperbolic cosine")
    add_tanh = _unary_method("add_tanh", "tanh", "hyperbolic tangent")
    add_asinh = _unary_method("add_asinh", "asinh", "inverse hyperbolic sine")
    add_acosh = _unary_method("add_acosh", "acosh", "inverse hyperbolic cosine")
    add_atanh = _unary_method("add_atanh", "atanh", "inverse hyperbolic tangent")
    add_exp2 = _unary_method("add_exp2", "exp2", "power of two (2 ** x)")
    add_ceil = _unary_method("add_ceil", "ceil", "ceiling")
    add_floor = _unary_method("add_floor", "floor", "floor")
    add_round = _unary_method("add_round", "round", "rounding")
    add_sign = _unary_method("add_sign", "sign", "sign (-1, 0 or 1)")

    add_add_broadcastable = _broadcastable_method("add_add_broadcastable", "addBroadcastable", "sum")
    add_subtract_broadcastable = _broadcastable_method(
        "add_subtract_broadcastable", "subtractBroadcastable", "difference (first minus second)"
    )
    add_multiply_broadcastable = _broadcastable_method("add_multiply_broadcastable", "multiplyBroadcastable", "product")
    add_divide_broadcastable = _broadcastable_method(
        "add_divide_broadcastable", "divideBroadcastable", "quotient (first over second)"
    )
    add_max_broadcastable = _broadcastable_method("add_max_broadcastable", "maxBroadcastable", "maximum")
    add_min_broadcastable = _broadcastable_method("add_min_broadcastable", "minBroadcastable", "minimum")
    add_floor_div_broadcastable = _broadcastable_method(
        "add_floor_div_broadcastable", "floorDivBroadcastable", "floor of the quotient"
    )
    add_mod_broadcastable = _broadcastable_method("add_mod_broadcastable", "modBroadcastable", "remainder")
    add_pow_broadcastable = _broadcastable_method(
        "add_pow_broadcastable", "powBroadcastable", "power (first raised to the second)"
    )

    def add_where_broadcastable(self, name, input_names, output_name):
        """Pick from the second input where the first (condition) is true, else from the
        third, broadcasting the three shapes."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.whereBroadcastable.SetInParent()
        self._set_max_input_rank(input_names, output_name)
        return layer

    def add_gelu(self, name, input_name, output_name, mode="EXACT"):
        """GELU activation, ``mode`` "EXACT", "TANH_APPROXIMATION" or
        "SIGMOID_APPROXIMATION"."""
        value = enum_value(_NN.GeluLayerParams.GeluMode, upper(mode), ValueError("Unsupported Gelu mode %s" % mode))
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.gelu.SetInParent()
        layer.gelu.mode = value
        return layer

    def add_clip(self, name, input_name, output_name, min_value=0.0, max_value=1.0):
        """Clamp the input to [min_value, max_value]."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.clip.SetInParent()
        layer.clip.minVal = float(min_value)
        layer.clip.maxVal = float(max_value)
        return layer

    def add_clamped_relu(self, name, input_name, output_name, alpha=0.0, beta=6.0):
        """min(beta, x) for x >= 0 and min(beta, alpha * x) otherwise. Needs
        specification version 5."""
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.clampedReLU.SetInParent()
        layer.clampedReLU.alpha = float(alpha)
        layer.clampedReLU.beta = float(beta)
        return layer

    def add_softmax_nd(self, name, input_name, output_name, axis):
        """Softmax along ``axis`` (negative counts from the last axis)."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.softmaxND.SetInParent()
        layer.softmaxND.axis = axis
        return layer

    def add_greater_than(self, name, input_names, output_name, use_greater_than_equal=False, alpha=0.0):
        """1 where the first input is greater than (or equal to, with
        ``use_greater_than_equal``) the second input — or ``alpha`` with one input."""
        field = "greaterEqual" if use_greater_than_equal else "greaterThan"
        return _comparison(self, name, input_names, output_name, field, alpha)

    def add_less_than(self, name, input_names, output_name, use_less_than_equal=False, alpha=0.0):
        """1 where the first input is less than (or equal to, with ``use_less_than_equal``)
        the second input — or ``alpha`` with one input."""
        field = "lessEqual" if use_less_than_equal else "lessThan"
        return _comparison(self, name, input_names, output_name, field, alpha)

    def add_equal(self, name, input_names, output_name, alpha=0.0):
        """1 where the inputs are equal (or the single input equals ``alpha``)."""
        return _comparison(self, name, input_names, output_name, "equal", alpha)

    def add_not_equal(self, name, input_names, output_name, alpha=0.0):
        """1 where the inputs differ (or the single input differs from ``alpha``)."""
        return _comparison(self, name, input_names, output_name, "notEqual", alpha)

    def add_logical(self, name, input_names, output_name, mode):
        """Logical "AND", "OR", "XOR" of two inputs or "NOT" of one (nonzero is true)."""
        input_names = name_list(input_names)
        mode = upper(mode)
        fields = {"AND": "logicalAnd", "OR": "logicalOr", "XOR": "logicalXor", "NOT": "logicalNot"}
        if mode not in fields:
            raise ValueError('Logical operation "%s" is not supported' % mode)
        if mode == "NOT" and len(input_names) != 1:
            raise ValueError('Logical operation "%s" requires 1 input' % name)
        if mode != "NOT" and len(input_names) != 2:
            raise ValueError('Logical operation "%s" requires 2 inputs' % name)
        layer = self._add_generic_layer(name, input_names, [output_name])
        getattr(layer, fields[mode]).SetInParent()
        return layer
