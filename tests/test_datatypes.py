"""Feature datatypes (opencoreml.models.datatypes) and the builders' feature-list helpers
(_feature_management, _interface_management): normalisation, equality, and the
FeatureType / ModelDescription messages they write."""
import numpy as np
import pytest

from opencoreml.models import _feature_management as fm
from opencoreml.models import _interface_management as im
from opencoreml.models import datatypes as dt
from opencoreml.proto import FeatureTypes_pb2, Model_pb2

DOUBLE = FeatureTypes_pb2.ArrayFeatureType.DOUBLE
FLOAT32 = FeatureTypes_pb2.ArrayFeatureType.FLOAT32


# --- datatypes ------------------------------------------------------------------------


def test_scalar_types():
    for cls, tag in ((dt.Int64, "Int64"), (dt.Double, "Double"), (dt.String, "String")):
        value = cls()
        assert value == cls() and not value != cls()
        assert repr(value) == str(value) == tag
        assert value.type_tag == value.full_tag == tag
        assert value.num_elements == 1
        assert hash(value) == hash(tag)
    assert dt.Int64() != dt.Double()
    assert dt.Double() != "Double"  # a string has no full_tag


def test_array():
    a = dt.Array(5, 2, 10)
    assert a.dimensions == (5, 2, 10)
    assert a.num_elements == 100
    assert repr(a) == "Array({5,2,10})" and a.type_tag == "Array"
    assert a == dt.Array(5, 2, 10) and a != dt.Array(10, 2, 5) and a != dt.Array(100)
    assert dt.Array(np.int64(3), np.int32(4)) == dt.Array(3, 4)
    assert repr(dt.Array(7)) == "Array({7})"
    assert len({dt.Array(3), dt.Array(3), dt.Array(4)}) == 2
    with pytest.raises(TypeError):
        dt.Array(2.0)
    with pytest.raises(TypeError):
        dt.Array("3")
    with pytest.raises(ValueError):
        dt.Array()


@pytest.mark.parametrize("key", [dt.String, dt.String(), str, "String"])
def test_dictionary_string_keys(key):
    d = dt.Dictionary(key)
    assert d.key_type == dt.String()
    assert repr(d) == "Dictionary(String)" and d.type_tag == "Dictionary"
    assert d.num_elements is None


@pytest.mark.parametrize("key", [dt.Int64, dt.Int64(), int, "Int64"])
def test_dictionary_int_keys(key):
    d = dt.Dictionary(key_type=key)
    assert d == dt.Dictionary(dt.Int64()) and d != dt.Dictionary(dt.String())
    assert repr(d) == "Dictionary(Int64)"


@pytest.mark.parametrize("key", [None, dt.Double, float, "Double", dt.Array(2), [1]])
def test_dictionary_bad_keys(key):
    with pytest.raises(TypeError):
        dt.Dictionary(key)


def test_datatypes_as_dict_keys():
    table = {dt.Int64(): "i", dt.Array(2, 3): "a", dt.Dictionary(str): "d"}
    assert table[dt.Int64()] == "i"
    assert table[dt.Array(2, 3)] == "a"
    assert table[dt.Dictionary(dt.String)] == "d"


@pytest.mark.parametrize(
    "shorthand, expected",
    [
        (int, dt.Int64()), ("Int64", dt.Int64()), (dt.Int64, dt.Int64()),
        (float, dt.Double()), ("Double", dt.Double()), (dt.Double, dt.Double()),
        (str, dt.String()), ("String", dt.String()), (dt.String, dt.String()),
    ],
)
def test_normalize_shorthands(shorthand, expected):
    assert dt._is_valid_datatype(shorthand)
    result = dt._normalize_datatype(shorthand)
    assert result == expected and type(result) is type(expected)


def test_normalize_instances_pass_through():
    for value in (dt.Array(3), dt.Dictionary(int), dt.Int64()):
        assert dt._is_valid_datatype(value)
        assert dt._normalize_datatype(value) is value


@pytest.mark.parametrize("bad", [bytes, "float", "int", np.float64, dt.Array, [int], None, 3])
def test_invalid_datatypes(bad):
    assert not dt._is_valid_datatype(bad)
    with pytest.raises(ValueError):
        dt._normalize_datatype(bad)


def _feature_type(value, **kwargs):
    proto = FeatureTypes_pb2.FeatureType()
    dt._set_datatype(proto, value, **kwargs)
    assert FeatureTypes_pb2.FeatureType.FromString(proto.SerializeToString()) == proto
    return proto


def test_set_datatype_scalars():
    assert _feature_type(dt.Int64()).WhichOneof("Type") == "int64Type"
    assert _feature_type(int).WhichOneof("Type") == "int64Type"
    assert _feature_type(float).WhichOneof("Type") == "doubleType"
    assert _feature_type("Double").WhichOneof("Type") == "doubleType"
    assert _feature_type(dt.String).WhichOneof("Type") == "stringType"


def test_set_datatype_array():
    proto = _feature_type(dt.Array(3, 4))
    assert proto.WhichOneof("Type") == "multiArrayType"
    assert list(proto.multiArrayType.shape) == [3, 4]
    assert proto.multiArrayType.dataType == DOUBLE
    proto = _feature_type(dt.Array(6), array_datatype=FLOAT32)
    assert proto.multiArrayType.dataType == FLOAT32 and list(proto.multiArrayType.shape) == [6]


def test_set_datatype_dictionary():
    proto = _feature_type(dt.Dictionary(dt.String))
    assert proto.WhichOneof("Type") == "dictionaryType"
    assert proto.dictionaryType.WhichOneof("KeyType") == "stringKeyType"
    proto = _feature_type(dt.Dictionary(int))
    assert proto.dictionaryType.WhichOneof("KeyType") == "int64KeyType"


def test_set_datatype_rejects_unknown():
    with pytest.raises(TypeError):
        dt._set_datatype(FeatureTypes_pb2.FeatureType(), bytes)


# --- _feature_management ----------------------------------------------------------------


def test_feature_list_passes_through_normalised():
    features = [("a", int), ("b", dt.Array(3)), ("c", "String")]
    assert fm.is_valid_feature_list(features)
    assert fm.process_or_validate_features(features) == [
        ("a", dt.Int64()), ("b", dt.Array(3)), ("c", dt.String())
    ]
    assert fm.process_or_validate_features({"a": dt.Double()}) == [("a", dt.Double())]


def test_feature_list_dimension_check():
    features = [("a", dt.Double()), ("b", dt.Array(2, 2))]
    assert fm.dimension_of_array_features(features) == 5
    assert fm.process_or_validate_features(features, 5) == features
    with pytest.raises(TypeError, match="Dimension mismatch"):
        fm.process_or_validate_features(features, 4)
    # A string feature has no dimension count, so nothing is checked.
    assert fm.process_or_validate_features([("s", dt.String())], 4) == [("s", dt.String())]
    with pytest.raises(ValueError):
        fm.dimension_of_array_features([("s", dt.String())])


def test_is_valid_feature_list():
    assert not fm.is_valid_feature_list([])
    assert not fm.is_valid_feature_list((("a", int),))
    assert not fm.is_valid_feature_list([["a", int]])
    assert not fm.is_valid_feature_list([("a", "float")])
    assert not fm.is_valid_feature_list([(1, int)])


def test_features_from_names():
    assert fm.process_or_validate_features(["a", "b", "c"]) == [
        ("a", dt.Double()), ("b", dt.Double()), ("c", dt.Double())
    ]
    assert fm.process_or_validate_features(["a", "a", "b"]) == [
        ("a", dt.Array(2)), ("b", dt.Double())
    ]
    assert fm.process_or_validate_features(np.array(["x", "y"])) == [
        ("x", dt.Double()), ("y", dt.Double())
    ]
    with pytest.raises(TypeError, match="contiguous"):
        fm.process_or_validate_features(["a", "b", "a"])
    with pytest.raises(TypeError, match="wrong length"):
        fm.process_or_validate_features(["a", "b"], 3)
    with pytest.raises(TypeError):
        fm.process_or_validate_features(["a", 1])


def test_features_from_index_map():
    assert fm.process_or_validate_features({"a": 0, "b": [2, 3], "c": 1}) == [
        ("a", dt.Double()), ("c", dt.Double()), ("b", dt.Array(2))
    ]
    assert fm.process_or_validate_features({"a": range(0, 3), "b": {3}}, 4) == [
        ("a", dt.Array(3)), ("b", dt.Double())
    ]
    typed = fm.process_or_validate_features({"a": 0, "b": 1}, feature_type_map={"b": dt.Int64()})
    assert typed == [("a", dt.Double()), ("b", dt.Int64())]
    for bad in ({"a": 0, "b": 2}, {"a": [0, 2], "b": 1}, {"a": -1}, {"a": 0.5}, {"a": "x"}, {1: 0}):
        with pytest.raises(TypeError):
            fm.process_or_validate_features(bad)
    with pytest.raises(TypeError, match="out of range"):
        fm.process_or_validate_features({"a": [0, 1, 2]}, 2)
    with pytest.raises(TypeError, match="cover"):
        fm.process_or_validate_features({"a": 0}, 2)


def test_features_from_single_name():
    assert fm.process_or_validate_features("x", 4) == [("x", dt.Array(4))]
    assert fm.process_or_validate_features("x", 1) == [("x", dt.Double())]
    with pytest.raises(TypeError, match="num_dimensions"):
        fm.process_or_validate_features("x")
    with pytest.raises(TypeError):
        fm.process_or_validate_features("x", 2.0)
    with pytest.raises(TypeError):
        fm.process_or_validate_features(42)


def test_classifier_outputs_defaults():
    assert fm.process_or_validate_classifier_output_features(None, [0, 1]) == [
        ("classLabel", dt.Int64()), ("classProbability", dt.Dictionary(dt.Int64()))
    ]
    assert fm.process_or_validate_classifier_output_features("label", ["a", "b"]) == [
        ("label", dt.String()), ("classProbability", dt.Dictionary(dt.String()))
    ]
    assert fm.process_or_validate_classifier_output_features(
        None, [np.int64(1), True], supports_class_scores=False
    ) == [("classLabel", dt.Int64())]
    assert fm.process_or_validate_classifier_output_features(("l", "p"), ["a"]) == [
        ("l", dt.String()), ("p", dt.Dictionary(dt.String()))
    ]
    with pytest.raises(ValueError, match="does not support output scores"):
        fm.process_or_validate_classifier_output_features(["l", "p"], ["a"], False)
    with pytest.raises(ValueError, match="all of type int or all of type string"):
        fm.process_or_validate_classifier_output_features(None, [1, "a"])


def test_classifier_outputs_from_feature_list():
    labels = ["cat", "dog"]
    ok = [("label", str), ("probs", dt.Dictionary(str))]
    expected = [("label", dt.String()), ("probs", dt.Dictionary(dt.String()))]
    assert fm.process_or_validate_classifier_output_features(ok, labels) == expected
    # A scores dictionary given first is moved behind the label.
    swapped = [("probs", dt.Dictionary(str)), ("label", dt.String())]
    assert fm.process_or_validate_classifier_output_features(swapped, labels) == expected
    extra = ok + [("other", dt.Double())]
    assert fm.process_or_validate_classifier_output_features(extra, labels)[2] == ("other", dt.Double())
    assert fm.process_or_validate_classifier_output_features([("label", str)], labels) == [
        ("label", dt.String())
    ]
    for bad in (
        [("label", int)],
        [("label", str), ("probs", dt.Array(2))],
        [("label", str), ("probs", dt.Dictionary(int))],
        [("label", dt.Double()), ("probs", dt.Dictionary(str))],
        [1, 2, 3],
    ):
        with pytest.raises(ValueError):
            fm.process_or_validate_classifier_output_features(bad, labels)


# --- _interface_management --------------------------------------------------------------


def _names(features):
    return [f.name for f in features]


def test_classifier_interface_string_labels():
    spec = Model_pb2.Model()
    result = im.set_classifier_interface_params(
        spec, [("x", dt.Array(3))], ["a", "b"], "glmClassifier",
        training_features=[("x", dt.Array(3)), ("target", None)],
    )
    assert result is spec
    desc = spec.description
    assert _names(desc.input) == ["x"] and list(desc.input[0].type.multiArrayType.shape) == [3]
    assert _names(desc.output) == ["classLabel", "classProbability"]
    assert desc.output[0].type.WhichOneof("Type") == "stringType"
    assert desc.output[1].type.dictionaryType.WhichOneof("KeyType") == "stringKeyType"
    assert desc.predictedFeatureName == "classLabel"
    assert desc.predictedProbabilitiesName == "classProbability"
    assert list(spec.glmClassifier.stringClassLabels.vector) == ["a", "b"]
    assert _names(desc.trainingInput) == ["x", "target"]
    assert desc.trainingInput[1].type.WhichOneof("Type") is None


def test_classifier_interface_int_labels_and_single_output():
    spec = Model_pb2.Model()
    im.set_classifier_interface_params(
        spec, ["f0", "f1"], [3, np.int64(7)], "treeEnsembleClassifier", output_features="cls"
    )
    assert _names(spec.description.input) == ["f0", "f1"]
    assert spec.description.input[0].type.WhichOneof("Type") == "doubleType"
    assert list(spec.treeEnsembleClassifier.int64ClassLabels.vector) == [3, 7]
    assert spec.description.output[1].type.dictionaryType.WhichOneof("KeyType") == "int64KeyType"

    spec = Model_pb2.Model()
    im.set_classifier_interface_params(
        spec, ["f"], ["a"], "glmClassifier", output_features=[("only", dt.String())]
    )
    assert _names(spec.description.output) == ["only"]
    assert spec.description.predictedProbabilitiesName == ""


def test_classifier_interface_pipeline_has_no_label_field():
    spec = Model_pb2.Model()
    im.set_classifier_interface_params(spec, ["x"], ["a", "b"], "pipelineClassifier")
    im.set_classifier_interface_params(Model_pb2.Model(), ["x"], [0, 1], "pipelineClassifier")
    assert _names(spec.description.output) == ["classLabel", "classProbability"]
    with pytest.raises(ValueError):
        im.set_classifier_interface_params(Model_pb2.Model(), ["x"], None, "glmClassifier")


def test_regressor_interface():
    spec = Model_pb2.Model()
    im.set_regressor_interface_params(spec, [("x", dt.Array(4))], None)
    assert _names(spec.description.output) == ["predicted_class"]
    assert spec.description.output[0].type.WhichOneof("Type") == "doubleType"
    assert spec.description.predictedFeatureName == "predicted_class"

    spec = Model_pb2.Model()
    im.set_regressor_interface_params(spec, ["a", "b"], "target", training_features=[("a", float)])
    assert _names(spec.description.input) == ["a", "b"]
    assert _names(spec.description.output) == ["target"]
    assert _names(spec.description.trainingInput) == ["a"]
    with pytest.raises(ValueError, match="Double"):
        im.set_regressor_interface_params(Model_pb2.Model(), ["a"], [("t", dt.Int64())])


def test_transform_interface():
    spec = Model_pb2.Model()
    im.set_transform_interface_params(
        spec, [("x", dt.Array(2)), ("s", str)], [("y", dt.Array(5))],
        are_optional=True, array_datatype=FLOAT32,
    )
    desc = spec.description
    assert [f.type.isOptional for f in desc.input] == [True, True]
    assert desc.input[0].type.multiArrayType.dataType == FLOAT32
    assert desc.output[0].type.multiArrayType.dataType == FLOAT32
    assert not desc.output[0].type.isOptional

    spec = Model_pb2.Model()
    im.set_transform_interface_params(spec, ["x"], [("y", dt.Array(5))])
    assert spec.description.input[0].type.WhichOneof("Type") == "doubleType"
    assert not spec.description.input[0].type.isOptional
    assert spec.description.output[0].type.multiArrayType.dataType == DOUBLE
    with pytest.raises(TypeError):
        im.set_transform_interface_params(Model_pb2.Model(), "x", [("y", dt.Array(5))])
