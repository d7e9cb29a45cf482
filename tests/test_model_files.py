"""Every corpus model (written by Apple's coremltools 9.0) loads with the right kind, spec
version and interface; saving and reloading gives an equal spec; package weights round-trip
byte for byte."""
import filecmp
import os

import numpy as np
import pytest

import opencoreml as ct
from conftest import CASES
from opencoreml.proto import Model_pb2

ARRAY_DTYPES = {"FLOAT32": 65568, "DOUBLE": 65600, "FLOAT16": 65552, "INT32": 131104, "INT8": 131080}
COLOR_SPACES = {"GRAYSCALE": 10, "RGB": 20, "BGR": 30, "GRAYSCALE_FLOAT16": 40}


def check_array(array_type, expected):
    assert array_type.dataType == ARRAY_DTYPES[expected["dtype"]]
    if "shape" in expected:
        assert list(array_type.shape) == expected["shape"]
    if "enumerated_shapes" in expected:
        assert [list(s.shape) for s in array_type.enumeratedShapes.shapes] == expected["enumerated_shapes"]
    if "shape_range" in expected:
        ranges = [[r.lowerBound, r.upperBound] for r in array_type.shapeRange.sizeRanges]
        assert ranges == expected["shape_range"]


def check_feature(feature, expected):
    assert feature.name == expected["name"]
    kind = feature.type.WhichOneof("Type")
    assert kind == expected["type"]
    assert feature.type.isOptional == expected.get("optional", False)
    if kind == "multiArrayType":
        check_array(feature.type.multiArrayType, expected)
    elif kind == "stateType":
        check_array(feature.type.stateType.arrayType, expected)
    elif kind == "imageType":
        image = feature.type.imageType
        assert (image.width, image.height) == (expected["width"], expected["height"])
        assert image.colorSpace == COLOR_SPACES[expected["color_space"]]
    elif kind == "dictionaryType":
        assert feature.type.dictionaryType.WhichOneof("KeyType") == expected["key_type"]


def test_corpus_model_loads_with_its_description(corpus_case):
    model = ct.models.MLModel(corpus_case.model_path)
    spec = model.get_spec()
    info = corpus_case.info
    assert spec.WhichOneof("Type") == info["model_type"]
    assert spec.specificationVersion == info["specification_version"]
    assert model.is_package == corpus_case.is_package
    desc = spec.description
    # Multifunction models describe each function; case.json lists them under "functions".
    interfaces = [(desc, info)]
    if "functions" in info:
        assert [f.name for f in desc.functions] == [f["name"] for f in info["functions"]]
        interfaces += list(zip(desc.functions, info["functions"]))
    for described, expected_io in interfaces:
        for key, features in (("inputs", described.input), ("outputs", described.output), ("states", described.state)):
            expected = expected_io.get(key, [])
            assert len(features) == len(expected), key
            for feature, want in zip(features, expected):
                check_feature(feature, want)
    # The spec read through the C++ core equals a plain protobuf parse of the file.
    with open(corpus_case.spec_file, "rb") as f:
        assert Model_pb2.Model.FromString(f.read()) == spec


def test_corpus_model_op_histogram(corpus_case):
    """The CLI/C++ summary counts the same ops and layers that coremltools wrote."""
    summary = ct._core.summarize(corpus_case.model_path)
    assert summary["kind"] == corpus_case.info["model_type"]
    expected = corpus_case.info["ops_or_layers"]
    if corpus_case.info["model_type"] in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor", "mlProgram"):
        counts = dict(summary["op_counts"])
        if len(summary["functions"]) > 1:
            # case.json counts one function; the summary counts all of them.
            assert all(counts[op] >= n for op, n in expected.items())
        else:
            assert counts == expected


def test_multifunction_histogram_covers_both_functions():
    from conftest import case_by_name

    case = case_by_name("torch_multifunction_two_heads")
    summary = ct._core.summarize(case.model_path)
    assert summary["functions"] == ["classify", "regress"]
    for op, n in case.info["ops_or_layers"].items():
        assert summary["op_counts"][op] >= n


def test_save_and_reload_gives_equal_spec(corpus_case, tmp_path):
    model = ct.models.MLModel(corpus_case.model_path)
    ext = ".mlpackage" if corpus_case.is_package else ".mlmodel"
    target = str(tmp_path / ("saved" + ext))
    model.save(target)
    reloaded = ct.models.MLModel(target)
    assert reloaded.get_spec() == model.get_spec()
    if corpus_case.weight_file:
        saved_weights = os.path.join(target, "Data", "com.apple.CoreML", "weights", "weight.bin")
        assert filecmp.cmp(corpus_case.weight_file, saved_weights, shallow=False)
        assert reloaded.weights_dir == os.path.dirname(saved_weights)


WEIGHTED = [c for c in CASES if c.weight_file]


@pytest.mark.parametrize("corpus_case", WEIGHTED, ids=[c.name for c in WEIGHTED])
def test_every_weight_blob_round_trips_byte_for_byte(corpus_case, tmp_path):
    from opencoreml.libmilstoragepython import _BlobStorageReader

    model = ct.models.MLModel(corpus_case.model_path)
    target = str(tmp_path / "copy.mlpackage")
    model.save(target)
    original = _BlobStorageReader(corpus_case.weight_file)
    copied = _BlobStorageReader(os.path.join(target, "Data", "com.apple.CoreML", "weights", "weight.bin"))
    blobs = original.blobs()
    assert blobs and blobs == copied.blobs()
    summary = ct._core.summarize(corpus_case.model_path)
    referenced = {w["offset"] for w in summary["weights"]}
    assert referenced <= {b.offset for b in blobs}
    for blob in blobs:
        a = np.asarray(original.read_data(blob.offset))
        b = np.asarray(copied.read_data(blob.offset))
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_load_spec_save_spec_round_trip(corpus_case, tmp_path):
    spec = ct.utils.load_spec(corpus_case.model_path)
    if corpus_case.is_package:
        target = str(tmp_path / "m.mlpackage")
        ct.utils.save_spec(spec, target, weights_dir=os.path.dirname(corpus_case.weight_file) if corpus_case.weight_file else str(tmp_path))
    else:
        target = str(tmp_path / "m.mlmodel")
        ct.utils.save_spec(spec, target)
    assert ct.utils.load_spec(target) == spec
