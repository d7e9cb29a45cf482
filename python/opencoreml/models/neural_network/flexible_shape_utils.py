"""Flexible input shapes of neural-network models (coremltools'
``flexible_shape_utils``): enumerated shapes or sizes, and ranges, for multi-array and
image features, in the rank-3 (C, H, W) form of Core ML 2 and the rank-N form of
Core ML 3; and the ranges a network's layers allow for its inputs.

Each edit raises the spec's specification version to the one that introduced it (3 for
(C, H, W) flexibility, 4 for rank-N).
"""
from ... import _enums
from ..utils import _get_feature, _get_input_names, _get_nn_layers
from . import _nn_shaper

_SEQUENCE_KEY = "S"
_BATCH_KEY = "B"
_CHANNEL_KEY = "C"
_HEIGHT_KEY = "H"
_WIDTH_KEY = "W"
_CONSTRAINED_KEYS = [_CHANNEL_KEY, _HEIGHT_KEY, _WIDTH_KEY]


class Shape:
    """One dimension's size (at least 1)."""

    def __init__(self, shape_value):
        if shape_value < 1:
            raise Exception("Invalid value. Size/Shape values must be > 0")
        self._value = shape_value

    @property
    def value(self):
        return self._value


class Size(Shape):
    """One image dimension's size (at least 1)."""


def _check_nn_dims(dims, has_channel, no_channel_error):
    """A neural network's multi-array shape is [C] or [C, H, W]."""
    if dims not in (1, 3):
        raise Exception(
            "For neural networks, shape must be of length 1 or 3, representing input shape [C] or "
            "[C,H,W], respectively"
        )
    if dims == 1 and not has_channel:
        raise Exception(no_channel_error)


class NeuralNetworkMultiArrayShape:
    """A (C,) or (C, H, W) multi-array shape."""

    def __init__(self, channel=None, height=None, width=None):
        self._shape = {
            _CHANNEL_KEY: Shape(int(channel)) if channel else None,
            _HEIGHT_KEY: Shape(int(height)) if height else None,
            _WIDTH_KEY: Shape(int(width)) if width else None,
        }

    def set_channel_shape(self, channel_shape):
        self._shape[_CHANNEL_KEY] = Shape(channel_shape)

    def set_height_shape(self, height_shape):
        self._shape[_HEIGHT_KEY] = Shape(height_shape)

    def set_width_shape(self, width_shape):
        self._shape[_WIDTH_KEY] = Shape(width_shape)

    def _dims(self):
        return len([v for v in self._shape.values() if v])

    def _validate_multiarray_shape(self):
        dims = self._dims()
        _check_nn_dims(dims, bool(self._shape[_CHANNEL_KEY]), "Channel Shape not specified")

    @property
    def multiarray_shape(self):
        dims = self._dims()
        if dims == 1:
            return [self._shape[_CHANNEL_KEY].value]
        if dims == 3:
            return [self._shape[key].value for key in _CONSTRAINED_KEYS]
        raise Exception("Invalid multiarray shape for neural network")


class NeuralNetworkImageSize:
    """An image size (height, width)."""

    def __init__(self, height=None, width=None):
        self._height = Size(height)
        self._width = Size(width)

    def set_width(self, width):
        self._width = Size(width)

    def set_height(self, height):
        self._height = Size(height)

    @property
    def width(self):
        return self._width.value

    @property
    def height(self):
        return self._height.value


class ShapeRange:
    """Sizes from ``lowerBound`` to ``upperBound`` (-1: unbounded); a lower bound of 0
    means 1."""

    def __init__(self, lowerBound, upperBound):
        unbounded = upperBound == -1
        if not unbounded and lowerBound > upperBound:
            raise Exception("lowerBound > upperBound for range ({},{})".format(lowerBound, upperBound))
        if not unbounded and upperBound < 1:
            raise Exception("Invalid upperBound: {} ".format(upperBound))
        if lowerBound == 0:
            lowerBound = 1
        if lowerBound < 1:
            raise Exception("Invalid lowerBound: {}".format(lowerBound))
        self._lowerBound = lowerBound
        self._upperBound = upperBound
        self._unBounded = unbounded

    @property
    def lowerBound(self):
        return self._lowerBound

    @property
    def upperBound(self):
        return self._upperBound

    @property
    def isUnbounded(self):
        return self._unBounded

    @property
    def isFlexible(self):
        return self._lowerBound != self._upperBound


def _as_shape_range(value, what):
    if isinstance(value, ShapeRange):
        return value
    if not isinstance(value, tuple):
        raise Exception("%s range should be a ShapeRange or a tuple object" % what)
    if len(value) != 2:
        raise Exception("%s range tuple should be at least length 2" % what)
    return ShapeRange(value[0], value[1])


class NeuralNetworkMultiArrayShapeRange:
    """Ranges for a (C,) or (C, H, W) multi-array: ``input_ranges`` maps "C", "H", "W"
    to (lower, upper) tuples (other keys, such as "S" and "B", are ignored)."""

    def __init__(self, input_ranges=None):
        self.arrayShapeRange = {}
        if input_ranges:
            if not isinstance(input_ranges, dict):
                raise Exception(
                    "Attempting to initialize a shape range with something other than a dictionary of shapes."
                )
            for key, value in input_ranges.items():
                if key in _CONSTRAINED_KEYS:
                    self.arrayShapeRange[key] = self._create_shape_range(value)
            self.validate_array_shape_range()

    def _create_shape_range(self, r):
        if not isinstance(r, tuple):
            raise Exception("Range should be a ShapeRange or a tuple object")
        if len(r) != 2:
            raise Exception("Range tuple should be at least length 2")
        return ShapeRange(r[0], r[1])

    def add_channel_range(self, channel_range):
        self.arrayShapeRange[_CHANNEL_KEY] = _as_shape_range(channel_range, "Channel")

    def add_height_range(self, height_range):
        self.arrayShapeRange[_HEIGHT_KEY] = _as_shape_range(height_range, "Height")

    def add_width_range(self, width_range):
        self.arrayShapeRange[_WIDTH_KEY] = _as_shape_range(width_range, "Width")

    def get_shape_range_dims(self):
        return len(self.arrayShapeRange)

    def validate_array_shape_range(self):
        dims = self.get_shape_range_dims()
        _check_nn_dims(dims, _CHANNEL_KEY in self.arrayShapeRange, "Channel Shape Range not specified")
        if dims == 3 and any(key not in self.arrayShapeRange for key in _CONSTRAINED_KEYS):
            raise Exception("Shape range constraint missing for either channel, height, or width.")

    def get_channel_range(self):
        return self.arrayShapeRange[_CHANNEL_KEY]

    def get_height_range(self):
        return self.arrayShapeRange[_HEIGHT_KEY]

    def get_width_range(self):
        return self.arrayShapeRange[_WIDTH_KEY]

    def isFlexible(self):
        return any(
            value.isFlexible for key, value in self.arrayShapeRange.items() if key in _CONSTRAINED_KEYS
        )


class NeuralNetworkImageSizeRange:
    """Ranges of image height and width, each a ShapeRange or a (lower, upper) tuple."""

    def __init__(self, height_range=None, width_range=None):
        self._height_range = _as_shape_range(height_range, "Height") if height_range else height_range
        self._width_range = _as_shape_range(width_range, "Width") if width_range else width_range

    def add_width_range(self, width_range):
        self._width_range = _as_shape_range(width_range, "Width")

    def add_height_range(self, height_range):
        self._height_range = _as_shape_range(height_range, "Height")

    def get_width_range(self):
        return self._width_range

    def get_height_range(self):
        return self._height_range


# ---------------------------------------------------------------------------------------
# Editing a feature's flexibility


def _multiarray_feature(feature, action):
    if feature.type.WhichOneof("Type") != "multiArrayType":
        raise Exception("Trying to %s for a non-multiArray feature type" % action)
    return feature.type.multiArrayType


def _image_feature(feature, action):
    if feature.type.WhichOneof("Type") != "imageType":
        raise Exception("Trying to %s for a non-image feature type" % action)
    return feature.type.imageType


def _bump(spec, version):
    spec.specificationVersion = max(version, spec.specificationVersion)


def _set_multiarray_ndshape_range_for_feature(feature, lower_bounds, upper_bounds):
    if not isinstance(lower_bounds, list):
        raise Exception("lower_bounds must be a list")
    if not isinstance(upper_bounds, list):
        raise Exception("upper_bounds must be a list")
    array = _multiarray_feature(feature, "update shape range")
    shape = list(array.shape)
    if len(shape) != len(lower_bounds):
        raise Exception("Length of lower_bounds is not equal to the number of dimensions in the default shape")
    if len(shape) != len(upper_bounds):
        raise Exception("Length of upper_bounds is not equal to the number of dimensions in the default shape")
    for i, (size, low, high) in enumerate(zip(shape, lower_bounds, upper_bounds)):
        if size < low:
            raise Exception(
                "Default shape in %d-th dimension, which is %d, is smaller than the lower bound of %d"
                % (i, int(size), low)
            )
        if high != -1 and size > high:
            raise Exception(
                "Default shape in %d-th dimension, which is %d, is greater than the upper bound of %d"
                % (i, int(size), high)
            )
    array.ClearField("ShapeFlexibility")
    for low, high in zip(lower_bounds, upper_bounds):
        size_range = array.shapeRange.sizeRanges.add()
        size_range.lowerBound = low
        size_range.upperBound = high


def _update_image_size_range_for_feature(feature, size_range):
    if not isinstance(size_range, NeuralNetworkImageSizeRange):
        raise Exception("Shape ranges should be of type NeuralNetworkImageSizeRange")
    image = _image_feature(feature, "add size ranges")
    image.ClearField("SizeFlexibility")
    for target, source in (
        (image.imageSizeRange.heightRange, size_range.get_height_range()),
        (image.imageSizeRange.widthRange, size_range.get_width_range()),
    ):
        target.lowerBound = source.lowerBound
        target.upperBound = source.upperBound


def _add_multiarray_ndshape_enumeration_for_feature(feature, enumerated_shapes, allow_duplicate_shapes=False):
    if not isinstance(enumerated_shapes, list):
        raise Exception("enumerated_shapes must be a list")
    if len(enumerated_shapes) == 0:
        raise Exception("enumerated_shapes is empty")
    array = _multiarray_feature(feature, "update shape range")
    if array.WhichOneof("ShapeFlexibility") != "enumeratedShapes":
        array.ClearField("ShapeFlexibility")
    default = list(array.shape)
    shapes = []
    for shape in enumerated_shapes:
        if not isinstance(shape, tuple):
            raise Exception("An element in 'enumerated_shapes' is not a tuple")
        shape = list(shape)
        if shape in shapes and not allow_duplicate_shapes:
            continue
        if shape == default:
            shapes.insert(0, shape)  # the default shape comes first
        else:
            shapes.append(shape)
    if default not in shapes:
        shapes.insert(0, default)
    for shape in shapes:
        array.enumeratedShapes.shapes.add().shape.extend(shape)


def _add_enumerated_image_sizes_for_feature(feature, sizes, allow_duplicate_shapes=False):
    sizes = sizes if isinstance(sizes, list) else [sizes]
    if not all(isinstance(size, NeuralNetworkImageSize) for size in sizes):
        raise Exception("Shape ranges should be of type NeuralNetworkImageSize")
    image = _image_feature(feature, "add enumerated sizes")
    if image.WhichOneof("SizeFlexibility") != "enumeratedSizes":
        image.ClearField("SizeFlexibility")
    default = [image.height, image.width]
    pairs = []
    for size in sizes:
        pair = [size.height, size.width]
        if pair in pairs and not allow_duplicate_shapes:
            continue
        pairs.append(pair)
    if default not in pairs:
        pairs.insert(0, default)
    for height, width in pairs:
        entry = image.enumeratedSizes.sizes.add()
        entry.height = height
        entry.width = width


def add_enumerated_multiarray_shapes(spec, feature_name, shapes):
    """Let the (C,) or (C, H, W) multi-array feature take any of ``shapes``
    (NeuralNetworkMultiArrayShape objects) besides its current shape."""
    shapes = list(shapes) if isinstance(shapes, list) else [shapes]
    for shape in shapes:
        if not isinstance(shape, NeuralNetworkMultiArrayShape):
            raise Exception("Shape ranges should be of type NeuralNetworkMultiArrayShape")
        shape._validate_multiarray_shape()
    array = _multiarray_feature(_get_feature(spec, feature_name), "add enumerated shapes")
    if array.WhichOneof("ShapeFlexibility") != "enumeratedShapes":
        array.ClearField("ShapeFlexibility")
    if len(array.enumeratedShapes.shapes) == 0:
        fixed = list(array.shape)
        if len(fixed) not in (1, 3):
            raise Exception("Original fixed multiArray shape for {} is invalid".format(feature_name))
        shapes.append(NeuralNetworkMultiArrayShape(*fixed))
    for shape in shapes:
        array.enumeratedShapes.shapes.add().shape.extend(shape.multiarray_shape)
    _bump(spec, _enums._MINIMUM_FLEXIBLE_SHAPES_SPEC_VERSION)


def add_enumerated_image_sizes(spec, feature_name, sizes):
    """Let the image feature take any of ``sizes`` (NeuralNetworkImageSize objects)
    besides its current size."""
    sizes = list(sizes) if isinstance(sizes, list) else [sizes]
    if not all(isinstance(size, NeuralNetworkImageSize) for size in sizes):
        raise Exception("Shape ranges should be of type NeuralNetworkImageSize")
    image = _image_feature(_get_feature(spec, feature_name), "add enumerated sizes")
    if image.WhichOneof("SizeFlexibility") != "enumeratedSizes":
        image.ClearField("SizeFlexibility")
    if len(image.enumeratedSizes.sizes) == 0:
        sizes.append(NeuralNetworkImageSize(image.height, image.width))
    added = []
    for size in sizes:
        if [size.height, size.width] in added:
            continue
        entry = image.enumeratedSizes.sizes.add()
        entry.height = size.height
        entry.width = size.width
        added.append([size.height, size.width])
    _bump(spec, _enums._MINIMUM_FLEXIBLE_SHAPES_SPEC_VERSION)


def update_image_size_range(spec, feature_name, size_range):
    """Let the image feature take any size within ``size_range``
    (a NeuralNetworkImageSizeRange)."""
    _update_image_size_range_for_feature(_get_feature(spec, feature_name), size_range)
    _bump(spec, _enums._MINIMUM_FLEXIBLE_SHAPES_SPEC_VERSION)


def update_multiarray_shape_range(spec, feature_name, shape_range):
    """Let the (C,) or (C, H, W) multi-array feature take any shape within
    ``shape_range`` (a NeuralNetworkMultiArrayShapeRange)."""
    if not isinstance(shape_range, NeuralNetworkMultiArrayShapeRange):
        raise Exception("Shape range should be of type MultiArrayShapeRange")
    shape_range.validate_array_shape_range()
    array = _multiarray_feature(_get_feature(spec, feature_name), "update shape range")
    array.ClearField("ShapeFlexibility")
    ranges = [shape_range.get_channel_range()]
    if shape_range.get_shape_range_dims() > 1:
        ranges += [shape_range.get_height_range(), shape_range.get_width_range()]
    for source in ranges:
        size_range = array.shapeRange.sizeRanges.add()
        size_range.lowerBound = source.lowerBound
        size_range.upperBound = source.upperBound
    _bump(spec, _enums._MINIMUM_FLEXIBLE_SHAPES_SPEC_VERSION)


def set_multiarray_ndshape_range(spec, feature_name, lower_bounds, upper_bounds):
    """Let each dimension i of the rank-N multi-array feature range over
    [lower_bounds[i], upper_bounds[i]] (-1: unbounded); the current shape must lie inside."""
    _set_multiarray_ndshape_range_for_feature(_get_feature(spec, feature_name), lower_bounds, upper_bounds)
    _bump(spec, _enums._MINIMUM_NDARRAY_SPEC_VERSION)


def add_multiarray_ndshape_enumeration(spec, feature_name, enumerated_shapes):
    """Let the rank-N multi-array feature take any of ``enumerated_shapes`` (tuples)
    besides its current shape, which is listed first."""
    _add_multiarray_ndshape_enumeration_for_feature(_get_feature(spec, feature_name), enumerated_shapes)
    _bump(spec, _enums._MINIMUM_NDARRAY_SPEC_VERSION)


# ---------------------------------------------------------------------------------------
# What the network allows


def get_allowed_shape_ranges(spec):
    """For each input of a rank-5 neural network, the sizes its layers accept: a dict
    "S", "B", "C", "H", "W" -> (lower, upper), upper -1 meaning unbounded. The inputs'
    declared shapes are not taken into account, only the layers' requirements."""
    shapes = _nn_shaper.network_shape_ranges(spec)
    return {name: shapes[name].as_dict() for name in _get_input_names(spec)}


get_allowed_shape_range = get_allowed_shape_ranges


def can_allow_multiple_input_shapes(spec):
    """True if the network's layers accept more than one (C, H, W) shape for some input."""
    try:
        _get_nn_layers(spec)
    except Exception as e:
        raise Exception("Unable to verify that this model contains a neural network.") from e
    try:
        ranges = get_allowed_shape_ranges(spec)
    except Exception as e:
        raise Exception("Unable to compute shapes for this neural network.") from e
    return any(NeuralNetworkMultiArrayShapeRange(value).isFlexible() for value in ranges.values())
