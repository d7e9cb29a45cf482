"""Flexible input shapes (``ct.models.neural_network.flexible_shape_utils``): the
enumerations and ranges each function writes into a feature, the specification versions
they need, argument checks, and the shape ranges a rank-5 network's layers allow."""
import numpy as np
import pytest

from opencoreml.models import datatypes
from opencoreml.models.neural_network import NeuralNetworkBuilder
from opencoreml.models.neural_network import flexible_shape_utils as fs


def _spec():
    builder = NeuralNetworkBuilder(
        [("img", datatypes.Array(3, 20, 30)), ("vec", datatypes.Array(6)), ("chw", datatypes.Array(2, 4, 5)),
         ("nd", datatypes.Array(2, 3, 4, 5))],
        [("out", datatypes.Array(3, 20, 30))])
    builder.add_activation("relu", "RELU", "img", "out")
    builder.set_pre_processing_parameters(["img"])
    return builder.spec


def _feature(spec, name):
    return [f for f in spec.description.input if f.name == name][0]


def test_enumerated_image_sizes():
    spec = _spec()
    fs.add_enumerated_image_sizes(spec, "img", [fs.NeuralNetworkImageSize(8, 9), fs.NeuralNetworkImageSize(16, 17),
                                                fs.NeuralNetworkImageSize(8, 9)])
    sizes = _feature(spec, "img").type.imageType.enumeratedSizes.sizes
    assert [(s.height, s.width) for s in sizes] == [(8, 9), (16, 17), (20, 30)]
    assert spec.specificationVersion == 3
    # adding more keeps the existing list
    fs.add_enumerated_image_sizes(spec, "img", fs.NeuralNetworkImageSize(1, 2))
    assert [(s.height, s.width) for s in sizes][-1] == (1, 2)
    with pytest.raises(Exception, match="non-image"):
        fs.add_enumerated_image_sizes(spec, "vec", fs.NeuralNetworkImageSize(1, 2))
    with pytest.raises(Exception, match="NeuralNetworkImageSize"):
        fs.add_enumerated_image_sizes(spec, "img", [(1, 2)])


def test_enumerated_multiarray_shapes():
    spec = _spec()
    fs.add_enumerated_multiarray_shapes(spec, "vec", [fs.NeuralNetworkMultiArrayShape(7),
                                                      fs.NeuralNetworkMultiArrayShape(8)])
    shapes = _feature(spec, "vec").type.multiArrayType.enumeratedShapes.shapes
    assert [list(s.shape) for s in shapes] == [[7], [8], [6]]
    shape = fs.NeuralNetworkMultiArrayShape()
    shape.set_channel_shape(2)
    shape.set_height_shape(8)
    shape.set_width_shape(10)
    fs.add_enumerated_multiarray_shapes(spec, "chw", shape)
    shapes = _feature(spec, "chw").type.multiArrayType.enumeratedShapes.shapes
    assert [list(s.shape) for s in shapes] == [[2, 8, 10], [2, 4, 5]]
    assert spec.specificationVersion == 3
    with pytest.raises(Exception, match="length 1 or 3"):
        fs.add_enumerated_multiarray_shapes(spec, "chw", fs.NeuralNetworkMultiArrayShape(channel=2, height=3))
    with pytest.raises(Exception, match="non-multiArray"):
        fs.add_enumerated_multiarray_shapes(spec, "img", fs.NeuralNetworkMultiArrayShape(3))


def test_image_size_range():
    spec = _spec()
    size_range = fs.NeuralNetworkImageSizeRange()
    size_range.add_height_range((10, 40))
    size_range.add_width_range(fs.ShapeRange(0, -1))
    fs.update_image_size_range(spec, "img", size_range)
    image_range = _feature(spec, "img").type.imageType.imageSizeRange
    assert (image_range.heightRange.lowerBound, image_range.heightRange.upperBound) == (10, 40)
    assert (image_range.widthRange.lowerBound, image_range.widthRange.upperBound) == (1, -1)
    assert spec.specificationVersion == 3
    with pytest.raises(Exception, match="NeuralNetworkImageSizeRange"):
        fs.update_image_size_range(spec, "img", (10, 40))


def test_multiarray_shape_range():
    spec = _spec()
    fs.update_multiarray_shape_range(spec, "vec", fs.NeuralNetworkMultiArrayShapeRange({"C": (1, 10), "S": (1, 2)}))
    ranges = _feature(spec, "vec").type.multiArrayType.shapeRange.sizeRanges
    assert [(r.lowerBound, r.upperBound) for r in ranges] == [(1, 10)]
    shape_range = fs.NeuralNetworkMultiArrayShapeRange()
    shape_range.add_channel_range((2, 2))
    shape_range.add_height_range((1, -1))
    shape_range.add_width_range(fs.ShapeRange(5, 20))
    assert shape_range.isFlexible() and shape_range.get_height_range().isUnbounded
    assert not shape_range.get_channel_range().isFlexible
    fs.update_multiarray_shape_range(spec, "chw", shape_range)
    ranges = _feature(spec, "chw").type.multiArrayType.shapeRange.sizeRanges
    assert [(r.lowerBound, r.upperBound) for r in ranges] == [(2, 2), (1, -1), (5, 20)]
    assert spec.specificationVersion == 3
    with pytest.raises(Exception, match="Channel Shape Range"):
        fs.NeuralNetworkMultiArrayShapeRange({"H": (1, 2)})
    with pytest.raises(Exception, match="missing"):
        incomplete = fs.NeuralNetworkMultiArrayShapeRange()
        for add in (incomplete.add_channel_range, incomplete.add_height_range):
            add((1, 2))
        incomplete.arrayShapeRange["S"] = fs.ShapeRange(1, 2)
        fs.update_multiarray_shape_range(spec, "chw", incomplete)


def test_nd_shape_range_and_enumeration():
    spec = _spec()
    fs.set_multiarray_ndshape_range(spec, "nd", [1, 1, 4, 5], [2, -1, 4, 10])
    ranges = _feature(spec, "nd").type.multiArrayType.shapeRange.sizeRanges
    assert [(r.lowerBound, r.upperBound) for r in ranges] == [(1, 2), (1, -1), (4, 4), (5, 10)]
    assert spec.specificationVersion == 4
    with pytest.raises(Exception, match="smaller than the lower bound"):
        fs.set_multiarray_ndshape_range(spec, "nd", [1, 1, 5, 5], [2, -1, 5, 10])
    with pytest.raises(Exception, match="greater than the upper bound"):
        fs.set_multiarray_ndshape_range(spec, "nd", [1, 1, 1, 1], [1, 2, 3, 4])
    with pytest.raises(Exception, match="Length of lower_bounds"):
        fs.set_multiarray_ndshape_range(spec, "nd", [1, 1], [2, 2])
    with pytest.raises(Exception, match="must be a list"):
        fs.set_multiarray_ndshape_range(spec, "nd", (1, 1, 4, 5), [2, 2, 4, 5])

    spec = _spec()
    fs.add_multiarray_ndshape_enumeration(spec, "vec", [(7,), (6,), (9,), (7,)])
    shapes = _feature(spec, "vec").type.multiArrayType.enumeratedShapes.shapes
    assert [list(s.shape) for s in shapes] == [[6], [7], [9]]  # the default shape first, no duplicates
    assert spec.specificationVersion == 4
    with pytest.raises(Exception, match="not a tuple"):
        fs.add_multiarray_ndshape_enumeration(spec, "vec", [[3]])
    with pytest.raises(Exception, match="empty"):
        fs.add_multiarray_ndshape_enumeration(spec, "vec", [])
    with pytest.raises(ValueError, match="does not exist"):
        fs.add_multiarray_ndshape_enumeration(spec, "nope", [(3,)])


def test_shape_classes_validate():
    assert fs.Shape(3).value == 3 and fs.Size(4).value == 4
    with pytest.raises(Exception):
        fs.Shape(0)
    with pytest.raises(Exception, match="lowerBound > upperBound"):
        fs.ShapeRange(5, 3)
    with pytest.raises(Exception, match="Invalid lowerBound"):
        fs.ShapeRange(-2, 3)
    assert fs.ShapeRange(0, 4).lowerBound == 1
    size = fs.NeuralNetworkImageSize(3, 4)
    size.set_height(5)
    size.set_width(6)
    assert (size.height, size.width) == (5, 6)
    with pytest.raises(Exception, match="tuple"):
        fs.NeuralNetworkImageSizeRange(height_range=[1, 2])
    assert fs.NeuralNetworkMultiArrayShape(3, 4, 5).multiarray_shape == [3, 4, 5]


# ---------------------------------------------------------------------------------------
# What the layers allow


def _identity_convolutions(channels=1, count=5):
    builder = NeuralNetworkBuilder([("input", datatypes.Array(channels, 100, 100))], [("output", None)])
    weights = np.eye(channels).reshape(1, 1, channels, channels)
    blob = "input"
    for i in range(count):
        output = "output" if i == count - 1 else "conv%d" % i
        builder.add_convolution("conv%d" % i, channels, channels, 1, 1, 1, 1, "same", 1, weights, None, False,
                                input_name=blob, output_name=output)
        blob = output
    return builder.spec


def test_convolutions_allow_any_spatial_size():
    ranges = fs.get_allowed_shape_ranges(_identity_convolutions())
    assert ranges["input"]["C"] == (1, 1)
    assert ranges["input"]["H"][1] == -1 and ranges["input"]["W"][1] == -1
    assert fs.can_allow_multiple_input_shapes(_identity_convolutions())
    assert fs.get_allowed_shape_range is fs.get_allowed_shape_ranges


def test_inner_product_fixes_the_input():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(6))], [("y", None)])
    builder.add_inner_product("ip", np.ones((2, 6)), None, 6, 2, False, "x", "h")
    builder.add_activation("relu", "RELU", "h", "y")
    ranges = fs.get_allowed_shape_ranges(builder.spec)["x"]
    assert (ranges["C"], ranges["H"], ranges["W"]) == ((6, 6), (1, 1), (1, 1))
    assert not fs.can_allow_multiple_input_shapes(builder.spec)


def test_valid_convolution_then_inner_product_pins_the_image_size():
    # A 3x3 valid convolution must produce a 1x1 map for the inner product: the input is 3x3.
    builder = NeuralNetworkBuilder([("x", datatypes.Array(2, 3, 3))], [("y", None)])
    builder.add_convolution("conv", 2, 4, 3, 3, 1, 1, "valid", 1, np.ones((3, 3, 2, 4)), None, False,
                            input_name="x", output_name="c")
    builder.add_inner_product("ip", np.ones((5, 4)), None, 4, 5, False, "c", "y")
    ranges = fs.get_allowed_shape_ranges(builder.spec)["x"]
    assert (ranges["C"], ranges["H"], ranges["W"]) == ((2, 2), (3, 3), (3, 3))
    assert not fs.can_allow_multiple_input_shapes(builder.spec)


def test_pooling_and_padding_bound_the_size_from_below():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3, 10, 10))], [("y", None)])
    builder.add_pooling("pool", 4, 4, 2, 2, "MAX", "VALID", "x", "p")
    builder.add_padding("pad", left=1, right=1, top=2, bottom=2, input_name="p", output_name="y")
    ranges = fs.get_allowed_shape_ranges(builder.spec)["x"]
    assert ranges["H"] == (4, -1) and ranges["W"] == (4, -1) and ranges["C"] == (0, -1)
    assert fs.can_allow_multiple_input_shapes(builder.spec)


def test_rank_n_networks_are_not_analysed():
    builder = NeuralNetworkBuilder([("x", datatypes.Array(3))], [("y", None)], disable_rank5_shape_mapping=True)
    builder.add_sin("sin", "x", "y")
    with pytest.raises(ValueError, match="rank-5"):
        fs.get_allowed_shape_ranges(builder.spec)
    with pytest.raises(Exception, match="Unable to compute shapes"):
        fs.can_allow_multiple_input_shapes(builder.spec)
