"""Feature transformers, pipelines and the other classic model kinds: the real corpus models,
then specs built here for every transformer and option — each checked against an
independent numpy/Python evaluation written in this file — pipelines built with the
Pipeline builders and make_pipeline, bad inputs, and the kinds only Apple's framework runs.

Transformers compute in double, so numbers must match the float64 references to rtol 1e-12
(atol 1e-12) unless a test says otherwise; labels, keys and integers match exactly.
"""
import math
import os
import warnings

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.models import datatypes
from opencoreml.models._pipeline_utils import (
    evaluate_classifier,
    evaluate_classifier_with_probabilities,
    evaluate_regressor,
    evaluate_transformer,
    make_pipeline,
)
from opencoreml.models.array_feature_extractor import create_array_feature_extractor
from opencoreml.models.feature_vectorizer import create_feature_vectorizer
from opencoreml.models.pipeline import Pipeline, PipelineClassifier, PipelineRegressor
from opencoreml.proto import FeatureTypes_pb2, Model_pb2

from conftest import case_by_name
from corpus_runner import check_case

RTOL, ATOL = 1e-12, 1e-12
DOUBLE = FeatureTypes_pb2.ArrayFeatureType.DOUBLE
FLOAT32 = FeatureTypes_pb2.ArrayFeatureType.FLOAT32


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=RTOL, atol=ATOL)


# --- corpus ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name",
    ["sk_dict_vectorizer", "sk_normalizer_l2", "sk_one_hot_encoder", "sk_pipeline_impute_scale_logreg", "sk_standard_scaler"],
)
def test_corpus_case(name):
    check_case(case_by_name(name))


def test_corpus_pipeline_batch_matches_single_predictions():
    case = case_by_name("sk_pipeline_impute_scale_logreg")
    inputs = np.load(os.path.join(case.folder, "inputs.npz"))
    model = ct.models.MLModel(case.model_path)
    rows = [{"input": inputs[run["inputs"]["input"]]} for run in case.info["runs"]]
    batch = model.predict(rows)
    assert len(batch) == len(rows)
    for row, out in zip(rows, batch):
        single = model.predict(row)
        assert out["classLabel"] == single["classLabel"]
        assert out["classProbability"] == single["classProbability"]


# --- spec helpers ---------------------------------------------------------------------------

def set_type(feature_type, kind):
    """kind: "double", "int64", "string", ("array", shape[, dtype]), ("dict", "string"|"int64"),
    ("seq", "string"|"int64")."""
    if kind == "double":
        feature_type.doubleType.SetInParent()
    elif kind == "int64":
        feature_type.int64Type.SetInParent()
    elif kind == "string":
        feature_type.stringType.SetInParent()
    elif kind[0] == "array":
        feature_type.multiArrayType.dataType = kind[2] if len(kind) > 2 else DOUBLE
        feature_type.multiArrayType.shape.extend(kind[1])
    elif kind[0] == "dict":
        getattr(feature_type.dictionaryType, kind[1] + "KeyType").SetInParent()
    elif kind[0] == "seq":
        getattr(feature_type.sequenceType, kind[1] + "Type").SetInParent()
    else:
        raise ValueError(kind)


def make_spec(inputs, outputs, optional=()):
    spec = Model_pb2.Model()
    spec.specificationVersion = 4
    for name, kind in inputs:
        f = spec.description.input.add()
        f.name = name
        set_type(f.type, kind)
        f.type.isOptional = name in optional
    for name, kind in outputs:
        f = spec.description.output.add()
        f.name = name
        set_type(f.type, kind)
    return spec


def load(spec):
    return ct.models.MLModel(spec, compute_units=ct.ComputeUnit.CPU_ONLY)


# --- featureVectorizer ----------------------------------------------------------------------

def test_feature_vectorizer_builder_concatenates_numbers_arrays_and_sparse_dicts():
    spec, size = create_feature_vectorizer(
        [("a", datatypes.Double()), ("b", datatypes.Int64()), ("c", datatypes.Array(3)), ("d", datatypes.Dictionary("Int64"))],
        "out",
        known_size_map={"d": 4},
    )
    assert size == 1 + 1 + 3 + 4
    assert [(c.inputColumn, c.inputDimensions) for c in spec.featureVectorizer.inputList] == [("a", 1), ("b", 1), ("c", 3), ("d", 4)]
    model = load(spec)
    c = np.array([0.5, -2.0, 7.25])
    out = model.predict({"a": 1.5, "b": 3, "c": c, "d": {0: 9.0, 3: -1.0}})["out"]
    close(out, np.concatenate([[1.5, 3.0], c, [9.0, 0.0, 0.0, -1.0]]))
    empty = model.predict({"a": 0.0, "b": 0, "c": np.zeros(3), "d": {}})["out"]
    close(empty, np.zeros(9))


def test_feature_vectorizer_builder_needs_sizes_it_cannot_infer():
    with pytest.raises(ValueError, match="must be manually supplied"):
        create_feature_vectorizer([("d", datatypes.Dictionary("Int64"))], "out")
    with pytest.raises(ValueError, match="not compatible"):
        create_feature_vectorizer([("c", datatypes.Array(3))], "out", known_size_map={"c": 2})
    with pytest.raises(TypeError):
        create_feature_vectorizer([("c", datatypes.Array(3))], [("out", datatypes.Array(5))])
    spec, _ = create_feature_vectorizer([("c", datatypes.Array(3))], [("out", datatypes.Array(3))])
    assert spec.description.output[0].name == "out"


def test_feature_vectorizer_rejects_sparse_key_outside_its_dimensions():
    spec, _ = create_feature_vectorizer([("d", datatypes.Dictionary("Int64"))], "out", known_size_map={"d": 3})
    with pytest.raises(ValueError, match=r"'d'.*key 5"):
        load(spec).predict({"d": {5: 1.0}})


def test_feature_vectorizer_rejects_string_keyed_dictionary_at_load():
    spec = make_spec([("d", ("dict", "string"))], [("out", ("array", [2]))])
    col = spec.featureVectorizer.inputList.add()
    col.inputColumn, col.inputDimensions = "d", 2
    with pytest.raises(ct.InvalidModelError, match="int64 keys"):
        load(spec)


# --- arrayFeatureExtractor ------------------------------------------------------------------

def test_array_feature_extractor_one_index_gives_a_double():
    spec = create_array_feature_extractor([("x", datatypes.Array(5))], "y", 3)
    assert spec.description.output[0].type.WhichOneof("Type") == "doubleType"
    x = np.array([1.0, 2.0, 3.0, 4.5, 5.0])
    out = load(spec).predict({"x": x})["y"]
    assert isinstance(out, float) and out == 4.5


def test_array_feature_extractor_index_list_gives_an_array_in_index_order():
    spec = create_array_feature_extractor([("x", datatypes.Array(5))], "y", [4, 0, 4])
    x = np.array([1.0, 2.0, 3.0, 4.5, 5.0])
    close(load(spec).predict({"x": x})["y"], x[[4, 0, 4]])


def test_array_feature_extractor_int64_output_needs_an_integral_value():
    spec = create_array_feature_extractor([("x", datatypes.Array(3))], "y", 1, output_type=datatypes.Int64())
    model = load(spec)
    out = model.predict({"x": np.array([0.0, 7.0, 1.0])})["y"]
    assert isinstance(out, int) and out == 7
    with pytest.raises(ValueError, match=r"2\.5.*not an integer"):
        model.predict({"x": np.array([0.0, 2.5, 1.0])})
    with pytest.raises(ValueError, match="not an integer"):
        model.predict({"x": np.array([0.0, np.nan, 1.0])})


def test_array_feature_extractor_index_outside_declared_input_fails_at_load():
    spec = make_spec([("x", ("array", [3]))], [("y", "double")])
    spec.arrayFeatureExtractor.extractIndex.append(3)
    with pytest.raises(ct.InvalidModelError, match="extractIndex 3"):
        load(spec)


def test_array_feature_extractor_double_output_needs_exactly_one_index():
    spec = make_spec([("x", ("array", [3]))], [("y", "double")])
    spec.arrayFeatureExtractor.extractIndex.extend([0, 1])
    with pytest.raises(ct.InvalidModelError, match="exactly one index"):
        load(spec)


def test_array_feature_extractor_builder_rejects_bad_indices():
    with pytest.raises(TypeError):
        create_array_feature_extractor([("x", datatypes.Array(3))], "y", [0, "1"])
    with pytest.raises(TypeError):
        create_array_feature_extractor([("x", datatypes.Array(3))], "y", 1.0)


# --- oneHotEncoder --------------------------------------------------------------------------

def one_hot_spec(categories, sparse=False, ignore_unknown=False, dtype=DOUBLE):
    strings = isinstance(categories[0], str)
    out = ("dict", "int64") if sparse else ("array", [len(categories)], dtype)
    spec = make_spec([("x", "string" if strings else "int64")], [("y", out)])
    ohe = spec.oneHotEncoder
    (ohe.stringCategories if strings else ohe.int64Categories).vector.extend(categories)
    ohe.outputSparse = sparse
    ohe.handleUnknown = ohe.IgnoreUnknown if ignore_unknown else ohe.ErrorOnUnknown
    return spec


def reference_one_hot(categories, value):
    return np.array([1.0 if c == value else 0.0 for c in categories])


@pytest.mark.parametrize("categories", [["red", "green", "blue"], [10, -3, 7, 0]])
def test_one_hot_dense(categories):
    model = load(one_hot_spec(categories))
    for value in categories:
        close(model.predict({"x": value})["y"], reference_one_hot(categories, value))


def test_one_hot_dense_float32_output():
    out = load(one_hot_spec(["a", "b"], dtype=FLOAT32)).predict({"x": "b"})["y"]
    assert out.dtype == np.float32 and out.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("categories", [["red", "green", "blue"], [10, -3, 7, 0]])
def test_one_hot_sparse_is_one_entry_dictionary(categories):
    model = load(one_hot_spec(categories, sparse=True))
    for i, value in enumerate(categories):
        assert model.predict({"x": value})["y"] == {i: 1.0}


def test_one_hot_ignore_unknown_gives_all_zeros():
    assert load(one_hot_spec(["a", "b"], ignore_unknown=True)).predict({"x": "zzz"})["y"].tolist() == [0.0, 0.0]
    assert load(one_hot_spec([1, 2], sparse=True, ignore_unknown=True)).predict({"x": 5})["y"] == {}


def test_one_hot_error_on_unknown_names_the_value():
    with pytest.raises(ValueError, match=r"'x' is 'kiwi'.*categories"):
        load(one_hot_spec(["apple", "pear"])).predict({"x": "kiwi"})
    with pytest.raises(ValueError, match=r"'x' is 42\b"):
        load(one_hot_spec([1, 2], sparse=True)).predict({"x": 42})


def test_one_hot_wrong_input_type_is_a_clear_error():
    with pytest.raises(ValueError, match="'x'"):
        load(one_hot_spec(["a", "b"])).predict({"x": 3})


def test_one_hot_categories_must_match_the_input_type():
    spec = one_hot_spec(["a", "b"])
    spec.description.input[0].type.int64Type.SetInParent()
    with pytest.raises(ct.InvalidModelError, match="categories are strings"):
        load(spec)


# --- imputer --------------------------------------------------------------------------------

def imputer_spec(kind, optional=False, **fields):
    spec = make_spec([("x", kind)], [("y", kind)], optional=("x",) if optional else ())
    for key, value in fields.items():
        target = getattr(spec.imputer, key)
        if hasattr(target, "vector"):
            target.vector.extend(value)
        elif hasattr(target, "map"):
            target.map.update(value)
        else:
            setattr(spec.imputer, key, value)
    if not fields:
        spec.imputer.SetInParent()
    return spec


def test_imputer_double_replaces_nan_by_default():
    model = load(imputer_spec("double", imputedDoubleValue=2.5))
    assert model.predict({"x": float("nan")})["y"] == 2.5
    assert model.predict({"x": -1.25})["y"] == -1.25


def test_imputer_double_with_replace_value():
    model = load(imputer_spec("double", imputedDoubleValue=2.5, replaceDoubleValue=-1.0))
    assert model.predict({"x": -1.0})["y"] == 2.5
    assert model.predict({"x": 3.0})["y"] == 3.0
    assert math.isnan(model.predict({"x": float("nan")})["y"])  # NaN is not the missing marker here


def test_imputer_int64_with_replace_value():
    model = load(imputer_spec("int64", imputedInt64Value=7, replaceInt64Value=-1))
    assert model.predict({"x": -1})["y"] == 7
    assert model.predict({"x": 3})["y"] == 3


def test_imputer_string_with_replace_value():
    model = load(imputer_spec("string", imputedStringValue="unknown", replaceStringValue=""))
    assert model.predict({"x": ""})["y"] == "unknown"
    assert model.predict({"x": "cat"})["y"] == "cat"


def test_imputer_array_per_element_values():
    imputed = [10.0, 20.0, 30.0, 40.0]
    model = load(imputer_spec(("array", [4]), imputedDoubleArray=imputed))
    x = np.array([1.0, np.nan, 3.0, np.nan])
    close(model.predict({"x": x})["y"], np.where(np.isnan(x), imputed, x))


def test_imputer_array_one_value_for_all_elements():
    model = load(imputer_spec(("array", [3]), imputedDoubleValue=-9.0))
    x = np.array([np.nan, 0.5, np.nan])
    close(model.predict({"x": x})["y"], [-9.0, 0.5, -9.0])


def test_imputer_array_int64_values_with_replace_value():
    model = load(imputer_spec(("array", [3]), imputedInt64Array=[4, 5, 6], replaceInt64Value=0))
    close(model.predict({"x": np.array([0.0, 2.0, 0.0])})["y"], [4.0, 2.0, 6.0])


def test_imputer_left_out_optional_input_is_imputed():
    assert load(imputer_spec("double", optional=True, imputedDoubleValue=1.5)).predict({})["y"] == 1.5
    assert load(imputer_spec("string", optional=True, imputedStringValue="none")).predict({})["y"] == "none"
    model = load(imputer_spec(("dict", "string"), optional=True, imputedStringDictionary={"a": 1.0, "b": 2.0}))
    assert model.predict({})["y"] == {"a": 1.0, "b": 2.0}
    assert model.predict({"x": {"c": 3.0}})["y"] == {"c": 3.0}
    close(load(imputer_spec(("array", [2]), optional=True, imputedDoubleArray=[7.0, 8.0])).predict({})["y"], [7.0, 8.0])


def test_imputer_replace_value_must_match_imputed_type():
    with pytest.raises(ct.InvalidModelError, match="replace value"):
        load(imputer_spec("double", imputedDoubleValue=1.0, replaceStringValue="x"))
    with pytest.raises(ct.InvalidModelError, match="imputed value"):
        load(imputer_spec("string", imputedDoubleValue=1.0))


# --- scaler ---------------------------------------------------------------------------------

def scaler_spec(in_kind, out_kind, shift=(), scale=()):
    spec = make_spec([("x", in_kind)], [("y", out_kind)])
    spec.scaler.shiftValue.extend(shift)
    spec.scaler.scaleValue.extend(scale)
    spec.scaler.SetInParent()
    return spec


def test_scaler_shifts_then_scales_per_element():
    shift, scale = [1.0, -2.0, 0.5], [2.0, 0.25, -1.0]
    x = np.array([3.0, 4.0, -0.5])
    out = load(scaler_spec(("array", [3]), ("array", [3]), shift, scale)).predict({"x": x})["y"]
    close(out, (x + np.array(shift)) * np.array(scale))


def test_scaler_single_values_apply_to_every_element_and_defaults():
    x = np.array([3.0, 4.0, -0.5])
    close(load(scaler_spec(("array", [3]), ("array", [3]), [1.0], [3.0])).predict({"x": x})["y"], (x + 1.0) * 3.0)
    close(load(scaler_spec(("array", [3]), ("array", [3]), scale=[2.0])).predict({"x": x})["y"], x * 2.0)
    close(load(scaler_spec(("array", [3]), ("array", [3]), shift=[2.0])).predict({"x": x})["y"], x + 2.0)


def test_scaler_scalars():
    assert load(scaler_spec("double", "double", [0.5], [4.0])).predict({"x": 1.0})["y"] == 6.0
    assert load(scaler_spec("int64", "double", [1.0], [0.5])).predict({"x": 2})["y"] == 1.5
    model = load(scaler_spec("int64", "int64", [2.0], [3.0]))
    assert model.predict({"x": 4})["y"] == 18
    lossy = load(scaler_spec("int64", "int64", [0.0], [0.5]))
    with pytest.raises(ValueError, match=r"1\.5.*not an integer"):
        lossy.predict({"x": 3})


def test_scaler_size_mismatch_fails_at_load():
    with pytest.raises(ct.InvalidModelError, match="shiftValue has 2 values"):
        load(scaler_spec(("array", [3]), ("array", [3]), shift=[1.0, 2.0]))


# --- normalizer -----------------------------------------------------------------------------

def normalizer_spec(norm):
    spec = make_spec([("x", ("array", [5]))], [("y", ("array", [5]))])
    spec.normalizer.normType = norm
    spec.normalizer.SetInParent()
    return spec


@pytest.mark.parametrize(
    "norm, reference",
    [
        ("L1", lambda x: x / np.abs(x).sum()),
        ("L2", lambda x: x / np.sqrt((x * x).sum())),
        ("LMax", lambda x: x / x.max()),
    ],
)
def test_normalizer_norms(norm, reference):
    model = load(normalizer_spec(getattr(Model_pb2.Normalizer, norm)))
    for x in (np.array([3.0, -4.0, 0.5, 2.0, -1.0]), np.array([0.1, 0.2, 0.3, 0.4, 5.0])):
        close(model.predict({"x": x})["y"], reference(x))


def test_normalizer_zero_vector_is_left_unchanged():
    out = load(normalizer_spec(Model_pb2.Normalizer.L2)).predict({"x": np.zeros(5)})["y"]
    assert out.tolist() == [0.0] * 5


# --- dictVectorizer -------------------------------------------------------------------------

def dict_vectorizer_spec(vocabulary, sparse=False):
    strings = isinstance(vocabulary[0], str)
    out = ("dict", "int64") if sparse else ("array", [len(vocabulary)])
    spec = make_spec([("d", ("dict", "string" if strings else "int64"))], [("v", out)])
    (spec.dictVectorizer.stringToIndex if strings else spec.dictVectorizer.int64ToIndex).vector.extend(vocabulary)
    return spec


def reference_vectorize(vocabulary, d):
    return np.array([float(d.get(k, 0.0)) for k in vocabulary])


def test_dict_vectorizer_string_keys_in_vocabulary_order_ignoring_unseen_keys():
    vocabulary = ["zeta", "alpha", "mid"]
    model = load(dict_vectorizer_spec(vocabulary))
    for d in ({"alpha": 2.0, "zeta": -1.0}, {"mid": 4.5, "unseen": 100.0}, {}):
        close(model.predict({"d": d})["v"], reference_vectorize(vocabulary, d))


def test_dict_vectorizer_int64_keys():
    vocabulary = [30, 10, 20]
    model = load(dict_vectorizer_spec(vocabulary))
    d = {10: 1.5, 20: -2.0, 99: 5.0}
    close(model.predict({"d": d})["v"], reference_vectorize(vocabulary, d))
    close(model.predict({"d": {}})["v"], np.zeros(3))


def test_dict_vectorizer_sparse_output():
    model = load(dict_vectorizer_spec(["a", "b", "c"], sparse=True))
    assert model.predict({"d": {"c": 3.0, "a": 1.0, "x": 9.0}})["v"] == {2: 3.0, 0: 1.0}


def test_dict_vectorizer_wrong_key_type_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'d'.*int64 keys.*string keys"):
        load(dict_vectorizer_spec(["a", "b"])).predict({"d": {1: 2.0}})
    with pytest.raises(ValueError, match=r"'d'.*string keys.*int64 keys"):
        load(dict_vectorizer_spec([1, 2])).predict({"d": {"a": 2.0}})
    with pytest.raises(ValueError, match="all be integers or all be strings"):
        load(dict_vectorizer_spec(["a", "b"])).predict({"d": {"a": 1.0, 2: 2.0}})


# --- categoricalMapping ---------------------------------------------------------------------

def mapping_spec(mapping, default=None, sequence=False):
    to_int = isinstance(next(iter(mapping)), str)
    in_kind, out_kind = ("string", "int64") if to_int else ("int64", "string")
    if sequence:
        in_kind, out_kind = ("seq", in_kind), ("seq", out_kind)
    spec = make_spec([("x", in_kind)], [("y", out_kind)])
    cm = spec.categoricalMapping
    (cm.stringToInt64Map if to_int else cm.int64ToStringMap).map.update(mapping)
    if default is not None:
        if to_int:
            cm.int64Value = default
        else:
            cm.strValue = default
    return spec


def test_categorical_mapping_string_to_int64_with_default():
    mapping = {"cat": 3, "dog": 7}
    model = load(mapping_spec(mapping, default=-1))
    for key, value in list(mapping.items()) + [("bird", -1)]:
        assert model.predict({"x": key})["y"] == value


def test_categorical_mapping_int64_to_string_with_default():
    mapping = {3: "cat", 7: "dog"}
    model = load(mapping_spec(mapping, default="other"))
    for key, value in list(mapping.items()) + [(5, "other")]:
        assert model.predict({"x": key})["y"] == value


def test_categorical_mapping_without_default_names_the_unknown_value():
    with pytest.raises(ValueError, match=r"'x' is 'bird'"):
        load(mapping_spec({"cat": 3})).predict({"x": "bird"})
    with pytest.raises(ValueError, match=r"'x' is 5\b"):
        load(mapping_spec({3: "cat"})).predict({"x": 5})


def test_categorical_mapping_sequences_map_element_wise():
    assert load(mapping_spec({"a": 1, "b": 2}, default=0, sequence=True)).predict({"x": ["b", "z", "a"]})["y"] == [2, 0, 1]
    assert load(mapping_spec({1: "a", 2: "b"}, default="?", sequence=True)).predict({"x": [2, 9, 1]})["y"] == ["b", "?", "a"]


def test_categorical_mapping_default_of_the_wrong_type_fails_at_load():
    spec = mapping_spec({"cat": 3})
    spec.categoricalMapping.strValue = "oops"
    with pytest.raises(ct.InvalidModelError, match="ValueOnUnknown"):
        load(spec)


# --- identity -------------------------------------------------------------------------------

def test_identity_passes_inputs_through_by_name_then_position():
    spec = make_spec([("a", "double"), ("x", ("array", [2]))], [("x", ("array", [2])), ("b", ("array", [2]))])
    spec.identity.SetInParent()
    out = load(spec).predict({"a": 2.5, "x": np.array([1.0, -1.0])})
    close(out["x"], [1.0, -1.0])
    # "b" has no input of its own name, so it takes the input at its position (1: "x")...
    close(out["b"], [1.0, -1.0])  # ...not "a"
    spec = make_spec([("in", "string")], [("out", "string")])
    spec.identity.SetInParent()
    assert load(spec).predict({"in": "hello"})["out"] == "hello"


# --- nonMaximumSuppression ------------------------------------------------------------------

def nms_spec(iou=0.5, confidence=0.0, per_class=False, rows=None, row_range=None, threshold_inputs=False, dtype=DOUBLE):
    inputs = [("confidence", ("array", [], dtype)), ("coordinates", ("array", [], dtype))]
    if threshold_inputs:
        inputs += [("iouThreshold", "double"), ("confidenceThreshold", "double")]
    spec = make_spec(inputs, [("outConfidence", ("array", [], dtype)), ("outCoordinates", ("array", [], dtype))],
                     optional=("iouThreshold", "confidenceThreshold"))
    spec.specificationVersion = 4
    nms = spec.nonMaximumSuppression
    nms.pickTop.perClass = per_class
    nms.iouThreshold = iou
    nms.confidenceThreshold = confidence
    nms.confidenceInputFeatureName = "confidence"
    nms.coordinatesInputFeatureName = "coordinates"
    nms.confidenceOutputFeatureName = "outConfidence"
    nms.coordinatesOutputFeatureName = "outCoordinates"
    if threshold_inputs:
        nms.iouThresholdInputFeatureName = "iouThreshold"
        nms.confidenceThresholdInputFeatureName = "confidenceThreshold"
    out = spec.description.output[0].type.multiArrayType
    if rows is not None:
        out.shape.extend([rows, 3])
        spec.description.output[1].type.multiArrayType.shape.extend([rows, 4])
    if row_range is not None:
        for feature in spec.description.output:
            r = feature.type.multiArrayType.shapeRange.sizeRanges.add()
            r.lowerBound, r.upperBound = row_range
            r = feature.type.multiArrayType.shapeRange.sizeRanges.add()
            r.lowerBound, r.upperBound = 1, -1
    return spec


def reference_iou(a, b):
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    w, h = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def reference_nms(conf, coords, iou, threshold, per_class):
    """Rows kept by greedy pick-top suppression, best first (indices into the input)."""
    score, label = conf.max(axis=1), conf.argmax(axis=1)
    order = sorted((i for i in range(len(conf)) if score[i] >= threshold), key=lambda i: -score[i])
    kept = []
    for i in order:
        if all((per_class and label[k] != label[i]) or reference_iou(coords[k], coords[i]) <= iou for k in kept):
            kept.append(i)
    return kept


# Boxes: two heavy overlaps (rows 0/1 and 2/3), one moderate (0/4), one far away (5), one
# faint box (6). Classes chosen so the per-class variant keeps row 1 (a different class).
NMS_CONF = np.array([
    [0.90, 0.05, 0.05],
    [0.10, 0.80, 0.10],
    [0.70, 0.20, 0.10],
    [0.65, 0.30, 0.05],
    [0.20, 0.10, 0.60],
    [0.10, 0.85, 0.05],
    [0.04, 0.03, 0.02],
])
NMS_COORDS = np.array([
    [0.50, 0.50, 0.20, 0.20],
    [0.51, 0.50, 0.20, 0.21],
    [0.20, 0.20, 0.10, 0.10],
    [0.21, 0.21, 0.10, 0.10],
    [0.58, 0.55, 0.20, 0.20],
    [0.90, 0.90, 0.05, 0.05],
    [0.30, 0.80, 0.10, 0.10],
])


@pytest.mark.parametrize("per_class", [False, True])
@pytest.mark.parametrize("iou, threshold", [(0.5, 0.0), (0.3, 0.1), (0.05, 0.5), (1.0, 0.0)])
def test_nms_matches_reference(per_class, iou, threshold):
    out = load(nms_spec(iou=iou, confidence=threshold, per_class=per_class)).predict(
        {"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    kept = reference_nms(NMS_CONF, NMS_COORDS, iou, threshold, per_class)
    close(out["outConfidence"], NMS_CONF[kept].reshape(-1, 3))
    close(out["outCoordinates"], NMS_COORDS[kept].reshape(-1, 4))


def test_nms_per_class_keeps_overlapping_boxes_of_other_classes():
    agnostic = load(nms_spec(iou=0.5)).predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    per_class = load(nms_spec(iou=0.5, per_class=True)).predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    assert len(per_class["outConfidence"]) == len(agnostic["outConfidence"]) + 1
    assert any(np.array_equal(row, NMS_COORDS[1]) for row in per_class["outCoordinates"])


def test_nms_threshold_inputs_override_the_spec():
    model = load(nms_spec(iou=0.5, confidence=0.0, threshold_inputs=True))
    out = model.predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS, "iouThreshold": 0.05, "confidenceThreshold": 0.5})
    kept = reference_nms(NMS_CONF, NMS_COORDS, 0.05, 0.5, False)
    close(out["outCoordinates"], NMS_COORDS[kept])
    default = model.predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    close(default["outCoordinates"], NMS_COORDS[reference_nms(NMS_CONF, NMS_COORDS, 0.5, 0.0, False)])


def test_nms_fixed_output_shape_pads_with_zeros_and_cuts():
    kept = reference_nms(NMS_CONF, NMS_COORDS, 0.5, 0.0, False)
    padded = load(nms_spec(rows=len(kept) + 2)).predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    close(padded["outConfidence"], np.vstack([NMS_CONF[kept], np.zeros((2, 3))]))
    close(padded["outCoordinates"], np.vstack([NMS_COORDS[kept], np.zeros((2, 4))]))
    cut = load(nms_spec(rows=2)).predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    close(cut["outCoordinates"], NMS_COORDS[kept[:2]])


def test_nms_shape_range_bounds_the_row_count():
    kept = reference_nms(NMS_CONF, NMS_COORDS, 0.5, 0.0, False)
    out = load(nms_spec(row_range=(len(kept) + 1, len(kept) + 5))).predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    assert out["outConfidence"].shape == (len(kept) + 1, 3)
    out = load(nms_spec(row_range=(1, 2))).predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS})
    close(out["outCoordinates"], NMS_COORDS[kept[:2]])


def test_nms_float32_and_no_boxes_left():
    model = load(nms_spec(confidence=0.99, dtype=FLOAT32))
    out = model.predict({"confidence": NMS_CONF.astype(np.float32), "coordinates": NMS_COORDS.astype(np.float32)})
    assert out["outConfidence"].shape == (0, 3) and out["outCoordinates"].shape == (0, 4)
    assert out["outConfidence"].dtype == np.float32


def test_nms_mismatched_box_counts_are_a_clear_error():
    with pytest.raises(ValueError, match=r"'coordinates'.*\(7, 4\)"):
        load(nms_spec()).predict({"confidence": NMS_CONF, "coordinates": NMS_COORDS[:5]})


def test_nan_where_a_number_must_be_exact_is_a_clear_error():
    with pytest.raises(ValueError, match="'iouThreshold'.*NaN"):
        load(nms_spec(threshold_inputs=True)).predict(
            {"confidence": NMS_CONF, "coordinates": NMS_COORDS, "iouThreshold": float("nan")})
    with pytest.raises(ValueError, match=r"'x'.*expected an integer"):
        load(one_hot_spec([1, 2])).predict({"x": float("nan")})


def test_nms_invalid_iou_threshold_fails_at_load():
    with pytest.raises(ct.InvalidModelError, match="iouThreshold"):
        load(nms_spec(iou=1.5))


# --- itemSimilarityRecommender --------------------------------------------------------------

# Similarities: item i -> [(k, sim)], adjustments per item i.
ISR_LINKS = {0: [(1, 0.5), (2, 0.25)], 1: [(0, 0.5), (3, 0.8)], 2: [(3, 0.1)], 3: [(2, 0.6), (0, 0.3)]}
ISR_ADJUST = {0: 0.0, 1: 1.0, 2: 0.0, 3: 0.5}


def isr_spec(ids=None, dictionary_input=True, extra_inputs=True):
    strings = ids is not None and isinstance(ids[0], str)
    key = "string" if strings else "int64"
    inputs = [("items", ("dict", key) if dictionary_input else ("seq", key))]
    if extra_inputs:
        inputs += [("k", "int64"), ("exclude", ("seq", key)), ("restrict", ("seq", key))]
    spec = make_spec(inputs, [("recommendations", ("seq", key)), ("scores", ("dict", key))],
                     optional=("k", "exclude", "restrict"))
    isr = spec.itemSimilarityRecommender
    for i, links in ISR_LINKS.items():
        s = isr.itemItemSimilarities.add()
        s.itemId = i
        s.itemScoreAdjustment = ISR_ADJUST[i]
        for k, sim in links:
            c = s.similarItemList.add()
            c.itemId, c.similarityScore = k, sim
    if ids is not None:
        (isr.itemStringIds if strings else isr.itemInt64Ids).vector.extend(ids)
    isr.itemInputFeatureName = "items"
    if extra_inputs:
        isr.numRecommendationsInputFeatureName = "k"
        isr.itemExclusionInputFeatureName = "exclude"
        isr.itemRestrictionInputFeatureName = "restrict"
    isr.recommendedItemListOutputFeatureName = "recommendations"
    isr.recommendedItemScoreOutputFeatureName = "scores"
    return spec


def reference_recommend(observed, k=None, exclude=None, restrict=None, n=4):
    """observed: {item position: rating}. Returns [(position, score)] best first."""
    score = [0.0] * n
    for i, rating in observed.items():
        for item, sim in ISR_LINKS.get(i, []):
            score[item] += sim * (rating - ISR_ADJUST[i])
    excluded = set(observed) if exclude is None else set(exclude)
    candidates = [i for i in range(n) if i not in excluded and (restrict is None or i in restrict)]
    ranked = sorted(candidates, key=lambda i: (-score[i], i))
    return [(i, score[i]) for i in (ranked if k is None else ranked[:k])]


def check_recommendations(out, expected, ids):
    assert out["recommendations"] == [ids[i] for i, _ in expected]
    assert set(out["scores"]) == {ids[i] for i, _ in expected}
    for i, s in expected:
        assert out["scores"][ids[i]] == pytest.approx(s, rel=1e-12, abs=1e-12)


def test_item_similarity_with_ratings_and_default_exclusion():
    ids = [0, 1, 2, 3]
    model = load(isr_spec())
    for observed in ({0: 2.0}, {1: 3.0, 2: 1.0}, {3: 4.0, 1: 0.5}, {}):
        check_recommendations(model.predict({"items": observed}), reference_recommend(observed), ids)


def test_item_similarity_count_exclusion_and_restriction():
    ids = [0, 1, 2, 3]
    model = load(isr_spec())
    observed = {1: 3.0, 2: 1.0}
    check_recommendations(model.predict({"items": observed, "k": 1}), reference_recommend(observed, k=1), ids)
    check_recommendations(model.predict({"items": observed, "exclude": []}), reference_recommend(observed, exclude=[]), ids)
    check_recommendations(model.predict({"items": observed, "exclude": [3], "restrict": [0, 1, 3]}),
                          reference_recommend(observed, exclude=[3], restrict={0, 1, 3}), ids)
    with pytest.raises(ValueError, match="'k'"):
        model.predict({"items": observed, "k": -1})


def test_item_similarity_string_ids_and_item_lists():
    ids = ["apple", "banana", "cherry", "date"]
    model = load(isr_spec(ids=ids, dictionary_input=False, extra_inputs=False))
    out = model.predict({"items": ["banana", "date", "kiwi"]})  # kiwi is unknown: it adds nothing
    check_recommendations(out, reference_recommend({1: 1.0, 3: 1.0}), ids)


def test_item_similarity_int64_ids():
    ids = [100, 205, 31, 4]
    out = load(isr_spec(ids=ids)).predict({"items": {205: 2.0}})
    check_recommendations(out, reference_recommend({1: 2.0}), ids)


def test_item_similarity_ids_must_cover_referenced_items():
    with pytest.raises(ct.InvalidModelError, match="item 3"):
        load(isr_spec(ids=[1, 2, 3]))


# --- classConfidenceThresholding ------------------------------------------------------------

def thresholding_spec(classes, dtype=FLOAT32):
    spec = make_spec([("confidence", ("array", [classes], dtype))], [("filtered", ("array", [2, classes], dtype))])
    spec.specificationVersion = 9
    for _ in range(classes):
        curve = spec.classConfidenceThresholding.precisionRecallCurves.add()
        curve.precisionValues.vector.extend([0.5, 0.8])
        curve.precisionConfidenceThresholds.vector.extend([0.1, 0.6])
        curve.recallValues.vector.extend([0.9, 0.4])
        curve.recallConfidenceThresholds.vector.extend([0.1, 0.6])
    return spec


def test_class_confidence_thresholding_keeps_every_class():
    c = np.array([0.1, 0.7, 0.2], dtype=np.float32)
    out = load(thresholding_spec(3)).predict({"confidence": c})["filtered"]
    assert out.shape == (2, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.vstack([c, np.ones(3, np.float32)]))


def test_class_confidence_thresholding_checks_curves_at_load():
    spec = thresholding_spec(2)
    spec.classConfidenceThresholding.precisionRecallCurves[1].recallValues.vector.append(0.1)
    with pytest.raises(ct.InvalidModelError, match="recall"):
        load(spec)


# --- bayesianProbitRegressor ----------------------------------------------------------------

def probit_spec():
    spec = make_spec([("x", ("array", [3], FeatureTypes_pb2.ArrayFeatureType.INT32)), ("optimism", "double")],
                     [("probability", "double"), ("mean", "double"), ("variance", "double"), ("pessimistic", "double"),
                      ("sampled", "double")],
                     optional=("optimism",))
    bpr = spec.bayesianProbitRegressor
    bpr.numberOfFeatures = 3
    bpr.bias.mean, bpr.bias.precision = 0.2, 4.0
    weights = {(0, 0): (0.5, 2.0), (0, 1): (-0.3, 1.0), (1, 2): (1.1, 0.5), (2, 0): (-0.7, 8.0)}
    for feature in range(3):
        fw = bpr.features.add()
        fw.featureId = feature
        for (f, value), (mean, precision) in weights.items():
            if f == feature:
                w = fw.weights.add()
                w.featureValue = value
                w.featureWeight.mean, w.featureWeight.precision = mean, precision
    bpr.regressionInputFeatureName = "x"
    bpr.optimismInputFeatureName = "optimism"
    bpr.meanOutputFeatureName = "mean"
    bpr.varianceOutputFeatureName = "variance"
    bpr.pessimisticProbabilityOutputFeatureName = "pessimistic"
    bpr.sampledProbabilityOutputFeatureName = "sampled"
    return spec, weights


def phi(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def test_bayesian_probit_mean_variance_and_probabilities():
    spec, weights = probit_spec()
    model = load(spec)
    for x, optimism in (([0, 2, 0], 0.0), ([1, 2, 0], -1.5), ([1, 0, 5], 2.0)):
        mean, variance = 0.2, 1 / 4.0
        for feature, value in enumerate(x):
            if (feature, value) in weights:
                m, p = weights[(feature, value)]
                mean += m
                variance += 1 / p
        out = model.predict({"x": np.array(x, dtype=np.int32), "optimism": optimism})
        assert out["mean"] == pytest.approx(mean, rel=1e-12)
        assert out["variance"] == pytest.approx(variance, rel=1e-12)
        assert out["probability"] == pytest.approx(phi(mean / math.sqrt(1 + variance)), rel=1e-12)
        assert out["pessimistic"] == pytest.approx(phi((mean + optimism * math.sqrt(variance)) / math.sqrt(1 + variance)), rel=1e-12)
        assert 0.0 <= out["sampled"] <= 1.0


def test_bayesian_probit_feature_id_value_pairs():
    spec, _ = probit_spec()
    spec.description.input[0].type.multiArrayType.ClearField("shape")
    spec.description.input[0].type.multiArrayType.shape.extend([2, 2])
    out = load(spec).predict({"x": np.array([[1, 2], [2, 0]], dtype=np.int32)})
    assert out["mean"] == pytest.approx(0.2 + 1.1 - 0.7, rel=1e-12)
    assert out["variance"] == pytest.approx(0.25 + 2.0 + 0.125, rel=1e-12)


# --- linkedModel ----------------------------------------------------------------------------

def linked_spec(file_name, search_path=""):
    spec = make_spec([("x", ("array", [3]))], [("y", ("array", [3]))])
    spec.linkedModel.linkedModelFile.linkedModelFileName.defaultValue = file_name
    spec.linkedModel.linkedModelFile.linkedModelSearchPath.defaultValue = search_path
    return spec


def test_linked_model_loads_the_source_of_a_compiled_link(tmp_path):
    (tmp_path / "sub").mkdir()
    load(scaler_spec(("array", [3]), ("array", [3]), [1.0], [2.0])).save(str(tmp_path / "sub" / "Scaler.mlmodel"))
    path = str(tmp_path / "linked.mlmodel")
    ct.utils.save_spec(linked_spec("Scaler.mlmodelc", "other:sub"), path)
    out = ct.models.MLModel(path).predict({"x": np.array([1.0, 2.0, 3.0])})["y"]
    close(out, [4.0, 6.0, 8.0])


def test_linked_model_missing_file_is_a_clear_error(tmp_path):
    path = str(tmp_path / "linked.mlmodel")
    ct.utils.save_spec(linked_spec("Missing.mlmodel"), path)
    with pytest.raises(ct.ModelNotFoundError, match="Missing.mlmodel"):
        ct.models.MLModel(path)


# --- pipelines ------------------------------------------------------------------------------

def test_pipeline_builder_impute_scale_normalize():
    pipeline = Pipeline([("x", datatypes.Array(3))], [("z", datatypes.Array(3))])
    imputer = imputer_spec(("array", [3]), imputedDoubleArray=[1.0, 2.0, 3.0])
    scaler = scaler_spec(("array", [3]), ("array", [3]), [0.5, -1.0, 0.0], [2.0, 1.0, -3.0])
    normalizer = normalizer_spec(Model_pb2.Normalizer.L1)
    # Rename the interfaces so the features chain x -> y -> s -> z.
    scaler.description.input[0].name, scaler.description.output[0].name = "y", "s"
    for spec in (normalizer,):
        spec.description.input[0].name, spec.description.output[0].name = "s", "z"
        del spec.description.input[0].type.multiArrayType.shape[:]
        spec.description.input[0].type.multiArrayType.shape.append(3)
        del spec.description.output[0].type.multiArrayType.shape[:]
        spec.description.output[0].type.multiArrayType.shape.append(3)
    pipeline.add_model(imputer)
    pipeline.add_model(load(scaler))  # an MLModel works as well as a spec
    pipeline.add_model(normalizer)
    model = load(pipeline.spec)
    for x in (np.array([np.nan, 2.0, 4.0]), np.array([1.0, np.nan, np.nan])):
        y = np.where(np.isnan(x), [1.0, 2.0, 3.0], x)
        s = (y + [0.5, -1.0, 0.0]) * [2.0, 1.0, -3.0]
        close(model.predict({"x": x})["z"], s / np.abs(s).sum())


def glm_regressor_spec(weights, offset, input_name, output_name):
    spec = make_spec([(input_name, ("array", [len(weights)]))], [(output_name, "double")])
    spec.description.predictedFeatureName = output_name
    spec.glmRegressor.weights.add().value.extend(weights)
    spec.glmRegressor.offset.append(offset)
    return spec


def test_pipeline_regressor_scaler_then_glm():
    pipeline = PipelineRegressor([("x", datatypes.Array(2))], [("target", datatypes.Double())])
    scaler = scaler_spec(("array", [2]), ("array", [2]), [1.0, -1.0], [0.5, 2.0])
    scaler.description.output[0].name = "scaled"
    pipeline.add_model(scaler)
    pipeline.add_model(glm_regressor_spec([3.0, -0.5], 0.25, "scaled", "target"))
    assert pipeline.spec.description.predictedFeatureName == "target"
    model = load(pipeline.spec)
    x = np.array([2.0, 3.0])
    s = (x + [1.0, -1.0]) * [0.5, 2.0]
    assert model.predict({"x": x})["target"] == pytest.approx(s @ [3.0, -0.5] + 0.25, rel=1e-12)


def test_pipeline_classifier_dict_vectorizer_then_glm_classifier():
    vocabulary = ["a", "b", "c"]
    pipeline = PipelineClassifier([("d", datatypes.Dictionary(str))], ["no", "yes"])
    vectorizer = dict_vectorizer_spec(vocabulary)
    pipeline.add_model(vectorizer)
    glm = make_spec([("v", ("array", [3]))], [("classLabel", "string"), ("classProbability", ("dict", "string"))])
    glm.description.predictedFeatureName = "classLabel"
    glm.description.predictedProbabilitiesName = "classProbability"
    glm.glmClassifier.weights.add().value.extend([1.0, -2.0, 0.5])
    glm.glmClassifier.offset.append(-0.25)
    glm.glmClassifier.stringClassLabels.vector.extend(["no", "yes"])
    pipeline.add_model(glm)
    model = load(pipeline.spec)
    for d in ({"a": 2.0}, {"b": 1.0, "c": 0.5}, {}):
        z = reference_vectorize(vocabulary, d) @ [1.0, -2.0, 0.5] - 0.25
        p_yes = 1 / (1 + math.exp(-z))
        out = model.predict({"d": d})
        assert out["classLabel"] == ("yes" if p_yes > 0.5 else "no")
        assert out["classProbability"]["yes"] == pytest.approx(p_yes, rel=1e-12)
        assert out["classProbability"]["no"] == pytest.approx(1 - p_yes, rel=1e-12)


def test_pipeline_builder_set_training_input_and_updatable_rules():
    pipeline = Pipeline([("x", datatypes.Double())], [("y", datatypes.Double())])
    pipeline.set_training_input([("x", datatypes.Double()), ("target", datatypes.Double())])
    assert [f.name for f in pipeline.spec.description.trainingInput] == ["x", "target"]
    with pytest.raises(ValueError, match="does not seem to have any models"):
        pipeline.make_updatable()
    pipeline.add_model(scaler_spec("double", "double", [1.0], [1.0]))
    with pytest.raises(ValueError, match="last model is updatable"):
        pipeline.make_updatable()


def test_nested_pipeline_and_batch_prediction():
    inner = Pipeline([("x", datatypes.Array(3))], [("s", datatypes.Array(3))])
    scaler = scaler_spec(("array", [3]), ("array", [3]), [1.0], [2.0])
    scaler.description.output[0].name = "s"
    inner.add_model(scaler)
    outer = Pipeline([("x", datatypes.Array(3))], [("z", datatypes.Array(3)), ("s", datatypes.Array(3))])
    outer.add_model(inner.spec)
    normalizer = normalizer_spec(Model_pb2.Normalizer.LMax)
    for f in (normalizer.description.input[0], normalizer.description.output[0]):
        del f.type.multiArrayType.shape[:]
        f.type.multiArrayType.shape.append(3)
    normalizer.description.input[0].name, normalizer.description.output[0].name = "s", "z"
    outer.add_model(normalizer)
    model = load(outer.spec)
    rows = [{"x": np.array([1.0, 2.0, 3.0])}, {"x": np.array([-4.0, 0.5, 0.0])}]
    batch = model.predict(rows)
    for row, out in zip(rows, batch):
        s = (row["x"] + 1.0) * 2.0
        close(out["s"], s)
        close(out["z"], s / s.max())
        single = model.predict(row)
        np.testing.assert_array_equal(single["z"], out["z"])


def test_pipeline_predicts_from_many_threads():
    from concurrent.futures import ThreadPoolExecutor

    model = ct.models.MLModel(case_by_name("sk_one_hot_encoder").model_path)
    rows = [np.array([i % 3, i % 5, i % 2], dtype=np.float64) for i in range(60)]

    def encode(x):
        return model.predict({"input": x})["transformed_features"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(encode, rows))
    for x, out in zip(rows, results):
        expected = np.concatenate([np.eye(3)[int(x[0])], np.eye(5)[int(x[1])], np.eye(2)[int(x[2])]])
        close(out.reshape(-1), expected)


def test_pipeline_stage_input_not_available_fails_at_load():
    pipeline = Pipeline([("x", datatypes.Array(3))], [("y", datatypes.Array(3))])
    scaler = scaler_spec(("array", [3]), ("array", [3]), [1.0], [2.0])
    scaler.description.input[0].name = "missing"
    pipeline.add_model(scaler)
    with pytest.raises(ct.InvalidModelError, match=r"stage 0 .*'missing'"):
        load(pipeline.spec)


def test_pipeline_output_not_produced_fails_at_load():
    pipeline = Pipeline([("x", datatypes.Array(3))], [("nowhere", datatypes.Array(3))])
    pipeline.add_model(scaler_spec(("array", [3]), ("array", [3]), [1.0], [2.0]))
    with pytest.raises(ct.InvalidModelError, match="'nowhere'"):
        load(pipeline.spec)


def test_pipeline_bad_input_inside_a_stage_names_the_stage():
    pipeline = Pipeline([("x", datatypes.String())], [("y", datatypes.Array(2))])
    pipeline.add_model(one_hot_spec(["a", "b"]))
    model = load(pipeline.spec)
    close(model.predict({"x": "b"})["y"], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"stage 0.*'kiwi'"):
        model.predict({"x": "kiwi"})


def test_make_pipeline_chains_models_and_derives_the_interface():
    scaler = scaler_spec(("array", [3]), ("array", [3]), [1.0], [2.0])
    scaler.description.output[0].name = "s"
    normalizer = normalizer_spec(Model_pb2.Normalizer.L2)
    for f in (normalizer.description.input[0], normalizer.description.output[0]):
        del f.type.multiArrayType.shape[:]
        f.type.multiArrayType.shape.append(3)
    normalizer.description.input[0].name = "s"
    model = make_pipeline(load(scaler), load(normalizer))
    spec = model.get_spec()
    assert spec.WhichOneof("Type") == "pipeline"
    assert [f.name for f in spec.description.input] == ["x"]
    assert [f.name for f in spec.description.output] == ["y"]
    assert model.compute_unit == ct.ComputeUnit.CPU_ONLY
    x = np.array([1.0, -2.0, 0.5])
    s = (x + 1.0) * 2.0
    close(model.predict({"x": x})["y"], s / np.linalg.norm(s))


def test_make_pipeline_compute_units():
    a = ct.models.MLModel(scaler_spec("double", "double", [1.0], [1.0]), compute_units=ct.ComputeUnit.CPU_ONLY)
    b_spec = scaler_spec("double", "double", [1.0], [1.0])
    b_spec.description.input[0].name, b_spec.description.output[0].name = "y", "z"
    b = ct.models.MLModel(b_spec, compute_units=ct.ComputeUnit.ALL)
    with pytest.raises(ValueError, match="different compute_unit"):
        make_pipeline(a, b)
    assert make_pipeline(a, b, compute_units=ct.ComputeUnit.CPU_AND_GPU).compute_unit == ct.ComputeUnit.CPU_AND_GPU
    with pytest.raises(ValueError, match="two or more"):
        make_pipeline(a)


def test_make_pipeline_of_ml_programs_keeps_each_models_weights(tmp_path):
    from mil_program import MilProgram

    w1 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    w2 = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -2.0]], np.float32)
    p1 = MilProgram()
    x = p1.input("x", np.float32, (2, 3))
    p1.output(p1.op("add", x=x, y=p1.const(w1, blob=True), name="h", shapes=[(2, 3)]))
    m1 = p1.model(tmp_path / "m1")
    h_name = m1.get_spec().description.output[0].name
    p2 = MilProgram()
    h = p2.input(h_name, np.float32, (2, 3))
    p2.output(p2.op("mul", x=h, y=p2.const(w2, blob=True), shapes=[(2, 3)]))
    m2 = p2.model(tmp_path / "m2")
    model = make_pipeline(m1, m2)
    assert model.is_package
    blob_names = sorted(os.listdir(model.weights_dir))
    assert blob_names == ["0-weight.bin", "1-weight.bin"]
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    out_name = model.get_spec().description.output[0].name
    np.testing.assert_allclose(model.predict({"x": xv})[out_name], (xv + w1) * w2, rtol=1e-6)
    saved = str(tmp_path / "pipeline.mlpackage")
    model.save(saved)
    np.testing.assert_allclose(ct.models.MLModel(saved).predict({"x": xv})[out_name], (xv + w1) * w2, rtol=1e-6)


# --- evaluate_* -----------------------------------------------------------------------------

class Frame:
    """The two things the evaluate functions use of a pandas DataFrame: iterrows and len."""

    def __init__(self, rows):
        self.rows = rows

    def iterrows(self):
        return enumerate(self.rows)

    def __len__(self):
        return len(self.rows)


def test_evaluate_regressor_reports_rmse_and_max_error():
    model = load(glm_regressor_spec([2.0], 1.0, "x", "target"))
    rows = [{"x": np.array([1.0]), "target": 3.0}, {"x": np.array([2.0]), "target": 5.5}, {"x": np.array([0.0]), "target": 0.0}]
    metrics = evaluate_regressor(model, Frame(rows), target="target")
    deltas = [0.0, -0.5, 1.0]
    assert metrics == {"samples": 3, "rmse": pytest.approx(math.sqrt(sum(d * d for d in deltas) / 3)), "max_error": 1.0}


def test_evaluate_classifier_and_probabilities():
    # Any model with a label output will do: a categorical mapping labels strings with ints.
    mapping = load(mapping_spec({"a": 1, "b": 2}, default=0))
    rows = [{"x": "a", "y": 1}, {"x": "b", "y": 1}, {"x": "q", "y": 0}]
    assert evaluate_classifier(mapping, Frame(rows), target="y") == {"num_samples": 3, "num_errors": 1}

    glm = make_spec([("v", ("array", [1]))], [("label", "int64"), ("probabilities", ("dict", "int64"))])
    glm.description.predictedFeatureName = "label"
    glm.description.predictedProbabilitiesName = "probabilities"
    glm.glmClassifier.weights.add().value.append(1.0)
    glm.glmClassifier.offset.append(0.0)
    glm.glmClassifier.int64ClassLabels.vector.extend([0, 1])
    model = load(glm)
    p = 1 / (1 + math.exp(-2.0))
    rows = [
        {"v": np.array([2.0]), "probabilities": {0: 1 - p, 1: p + 0.01}},
        {"v": np.array([0.0]), "probabilities": {0: 0.5, 1: 0.5}},
        {"v": np.array([0.0]), "probabilities": {0: 0.5, 7: 0.5}},
    ]
    metrics = evaluate_classifier_with_probabilities(model, Frame(rows), probabilities="probabilities")
    assert metrics["num_samples"] == 3 and metrics["num_key_mismatch"] == 1
    assert metrics["max_probability_error"] == pytest.approx(0.01, rel=1e-9)


def test_evaluate_transformer_counts_rows_that_differ():
    model = load(scaler_spec(("array", [2]), ("array", [2]), [1.0], [2.0]))
    inputs = [{"x": np.array([1.0, 2.0])}, {"x": np.array([0.0, 0.0])}, {"x": np.array([3.0, 1.0])}]
    reference = [{"y": np.array([4.0, 6.0])}, {"y": np.array([2.0, 2.0])}, {"y": np.array([8.0, 5.0])}]
    assert evaluate_transformer(model, inputs, reference) == {"num_samples": 3, "num_errors": 1}
    mapping = load(mapping_spec({"a": 1}, default=0))
    assert evaluate_transformer(mapping, [{"x": "a"}, {"x": "b"}], [{"y": 1}, {"y": 0}]) == {"num_samples": 2, "num_errors": 0}


def test_evaluate_reads_csv_with_pandas_or_says_it_is_needed(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,target\n1.0,3.0\n2.0,5.0\n")
    spec = scaler_spec("double", "double", [0.5], [2.0])  # (x + 0.5) * 2 is the target column exactly
    spec.description.output[0].name = "target"
    model = load(spec)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            evaluate_regressor(model, str(path))
    else:
        assert evaluate_regressor(model, str(path)) == {"samples": 2, "rmse": 0.0, "max_error": 0.0}
    with pytest.raises(TypeError, match="DataFrame"):
        evaluate_regressor(model, [1, 2, 3])


# --- model kinds only Apple's framework can run ---------------------------------------------

PROPRIETARY = ["customModel", "textClassifier", "wordTagger", "visionFeaturePrint", "soundAnalysisPreprocessing",
               "gazetteer", "wordEmbedding", "audioFeaturePrint", "serializedModel"]


@pytest.mark.parametrize("kind", PROPRIETARY)
def test_proprietary_kind_loads_and_predict_says_why_not(kind):
    spec = make_spec([("text", "string")], [("label", "string")])
    spec.specificationVersion = 10
    getattr(spec, kind).SetInParent()
    if kind == "customModel":
        spec.customModel.className = "MyCustomModel"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = ct.models.MLModel(spec)
    assert model.get_spec().WhichOneof("Type") == kind
    with pytest.raises(NotImplementedError, match=r"a %s model .*Apple" % kind):
        model.predict({"text": "hello"})


def test_pipeline_holding_a_proprietary_stage_reports_it_at_predict():
    stage = make_spec([("text", "string")], [("label", "string")])
    stage.wordTagger.SetInParent()
    pipeline = Pipeline([("text", datatypes.String())], [("label", datatypes.String())])
    pipeline.add_model(stage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = ct.models.MLModel(pipeline.spec)
    with pytest.raises(NotImplementedError, match="wordTagger"):
        model.predict({"text": "hello"})
