"""Feature data types used by the model builders (``Int64``, ``Double``, ``String``,
``Array``, ``Dictionary``) and the helpers that normalise them and write them into a
``FeatureType`` protobuf message.

Two datatypes are equal when their ``full_tag`` strings are equal (``"Array({3,2})"``,
``"Dictionary(String)"`` ...); ``repr`` and ``hash`` use the same tag, so instances can be
compared with ``==`` and used as dict keys or in sets.
"""
import numbers as _numbers

import numpy as _np

from ..proto import FeatureTypes_pb2 as _FeatureTypes_pb2


class _DatatypeBase:
    def __init__(self, type_tag, full_tag, num_elements):
        self.type_tag = type_tag
        self.full_tag = full_tag
        self.num_elements = num_elements

    def __eq__(self, other):
        # Duck-typed on ``full_tag`` so that any datatype-like object compares by tag.
        return hasattr(other, "full_tag") and self.full_tag == other.full_tag

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.full_tag)

    def __repr__(self):
        return self.full_tag


class Int64(_DatatypeBase):
    """64-bit integer scalar feature."""

    def __init__(self):
        super().__init__("Int64", "Int64", 1)


class Double(_DatatypeBase):
    """Double-precision scalar feature."""

    def __init__(self):
        super().__init__("Double", "Double", 1)


class String(_DatatypeBase):
    """String feature."""

    def __init__(self):
        super().__init__("String", "String", 1)


class Array(_DatatypeBase):
    """Multi-dimensional array feature with fixed dimensions.

    Examples
    --------
    >>> Array(5)          # a vector of five elements
    >>> Array(5, 2, 10)   # a 5 x 2 x 10 array
    """

    def __init__(self, *dimensions):
        if len(dimensions) == 0:
            raise ValueError("Array needs at least one dimension.")
        if not all(
            isinstance(d, (_numbers.Integral, _np.integer)) for d in dimensions
        ):
            raise TypeError("Dimensions must be ints, not {}".format(str(dimensions)))
        self.dimensions = tuple(int(d) for d in dimensions)

        count = 1
        for d in self.dimensions:
            count *= d
        tag = "Array({%s})" % ",".join(str(d) for d in self.dimensions)
        super().__init__("Array", tag, count)


class Dictionary(_DatatypeBase):
    """Dictionary feature keyed by ``Int64`` or ``String``.

    ``key_type`` may be a datatype instance or class, the Python type ``int`` / ``str``,
    or the name ``"Int64"`` / ``"String"``.

    Examples
    --------
    >>> Dictionary(key_type=String)
    >>> Dictionary(Int64)
    """

    def __init__(self, key_type=None):
        key_type = _lookup_simple_type(key_type, key_type)
        if not isinstance(key_type, (Int64, String)):
            raise TypeError("Key type for dictionary must be either string or integer.")
        self.key_type = key_type
        super().__init__("Dictionary", "Dictionary(%r)" % (self.key_type,), None)


# Shorthands accepted wherever a datatype is expected: Python types, the datatype classes
# themselves, and their names.
_simple_type_remap = {
    int: Int64(),
    str: String(),
    float: Double(),
    Double: Double(),
    Int64: Int64(),
    String: String(),
    "Double": Double(),
    "Int64": Int64(),
    "String": String(),
}


def _lookup_simple_type(value, default):
    try:
        return _simple_type_remap.get(value, default)
    except TypeError:  # unhashable, so certainly not a shorthand
        return default


def _is_valid_datatype(datatype_instance):
    """Return True if ``datatype_instance`` is a datatype object or an accepted shorthand."""
    if _lookup_simple_type(datatype_instance, None) is not None:
        return True
    if isinstance(datatype_instance, (Int64, Double, String, Array)):
        return True
    if isinstance(datatype_instance, Dictionary):
        return isinstance(datatype_instance.key_type, (Int64, String))
    return False


def _normalize_datatype(datatype_instance):
    """Return the datatype instance for ``datatype_instance``.

    Datatype instances are returned as they are; the shorthands ``str``/``"String"``,
    ``int``/``"Int64"`` and ``float``/``"Double"`` (and the datatype classes) become
    instances. Anything else raises ``ValueError``.
    """
    simple = _lookup_simple_type(datatype_instance, None)
    if simple is not None:
        return simple
    if _is_valid_datatype(datatype_instance):
        return datatype_instance
    raise ValueError("Datatype instance not recognized.")


def _set_datatype(proto_type_obj, datatype_instance, array_datatype=None):
    """Fill the ``FeatureType`` message ``proto_type_obj`` from a datatype.

    ``array_datatype`` is the ``ArrayFeatureType`` element type given to ``Array``
    features; it defaults to ``DOUBLE``.
    """
    if array_datatype is None:
        array_datatype = _FeatureTypes_pb2.ArrayFeatureType.DOUBLE

    datatype_instance = _lookup_simple_type(datatype_instance, datatype_instance)

    # SetInParent marks empty sub-messages (Int64FeatureType ...) as present.
    if isinstance(datatype_instance, Int64):
        proto_type_obj.int64Type.SetInParent()
    elif isinstance(datatype_instance, Double):
        proto_type_obj.doubleType.SetInParent()
    elif isinstance(datatype_instance, String):
        proto_type_obj.stringType.SetInParent()
    elif isinstance(datatype_instance, Array):
        proto_type_obj.multiArrayType.SetInParent()
        proto_type_obj.multiArrayType.dataType = array_datatype
        proto_type_obj.multiArrayType.shape.extend(datatype_instance.dimensions)
    elif isinstance(datatype_instance, Dictionary):
        key_type = datatype_instance.key_type
        if isinstance(key_type, Int64):
            proto_type_obj.dictionaryType.int64KeyType.SetInParent()
        elif isinstance(key_type, String):
            proto_type_obj.dictionaryType.stringKeyType.SetInParent()
        else:
            raise ValueError("Dictionary key type must be either string or int.")
    else:
        raise TypeError(
            "Datatype parameter not recognized; must be an instance of "
            "datatypes.{Double, Int64, String, Dictionary, Array}, or python int, "
            "float, or str types."
        )
