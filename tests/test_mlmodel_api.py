"""MLModel's coremltools API: construction options, metadata read and written back to the
spec, feature descriptions, functions, repr, enums, and clear errors where runtimes are
not available yet."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.proto import Model_pb2
from conftest import HERE, case_by_name

NN = case_by_name("torch_mlp_nn")
PROGRAM = case_by_name("torch_mlp_fp32")
MULTI = case_by_name("torch_multifunction_two_heads")
STATEFUL = case_by_name("torch_stateful_accumulator_ios18")


def test_enums_have_coremltools_names_and_values():
    assert [(u.name, u.value) for u in ct.ComputeUnit] == [("ALL", 1), ("CPU_AND_GPU", 2), ("CPU_ONLY", 3), ("CPU_AND_NE", 4)]
    assert ct.precision.FLOAT16.value == "float16" and ct.precision.FLOAT32.value == "float32"
    assert ct.target.iOS13 == 4 and ct.target.iOS15 == 6 and ct.target.iOS18 == 9 and ct.target.iOS26 == 10
    assert ct.target.macOS15 == ct.target.iOS18 and ct.target.watchOS9 == ct.target.iOS16 and ct.target.tvOS17 == 8
    assert ct.ReshapeFrequency.Frequent.value == 1 and ct.ReshapeFrequency.Infrequent.value == 2
    assert ct.SpecializationStrategy.Default.value == 1 and ct.SpecializationStrategy.FastPrediction.value == 2
    assert ct._SPECIFICATION_VERSION_IOS_15 == 6 and ct._OPSET[ct._SPECIFICATION_VERSION_IOS_18] == "CoreML8"
    assert ct.SPECIFICATION_VERSION == 1
    assert ct.MAXIMUM_SPECIFICATION_VERSION >= 9


def test_metadata_is_read_written_and_saved(tmp_path):
    model = ct.models.MLModel(NN.model_path)
    assert model.user_defined_metadata["com.github.apple.coremltools.version"] == "9.0"
    model.author = "Ada"
    model.license = "BSD-3-Clause"
    model.short_description = "an MLP"
    model.version = "1.2.3"
    model.user_defined_metadata["team"] = "opencoreml"
    model.input_description["x"] = "four rows of 32 features"
    model.output_description["y"] = "ten scores"
    spec = model.get_spec()
    assert spec.description.metadata.author == "Ada"
    assert spec.description.metadata.versionString == "1.2.3"
    assert spec.description.input[0].shortDescription == "four rows of 32 features"
    target = str(tmp_path / "m.mlmodel")
    model.save(target)
    again = ct.models.MLModel(target)
    assert (again.author, again.license, again.short_description, again.version) == ("Ada", "BSD-3-Clause", "an MLP", "1.2.3")
    assert again.user_defined_metadata["team"] == "opencoreml"
    assert again.input_description["x"] == "four rows of 32 features"
    assert again.output_description["y"] == "ten scores"
    assert "x" in again.input_description and list(again.input_description) == ["x"]
    with pytest.raises(KeyError):
        again.input_description["nope"]
    with pytest.raises(AttributeError):
        again.input_description["nope"] = "x"


def test_get_spec_is_a_deep_copy():
    model = ct.models.MLModel(NN.model_path)
    spec = model.get_spec()
    spec.description.metadata.author = "changed"
    assert model.author == ""


def test_package_properties():
    model = ct.models.MLModel(PROGRAM.model_path, compute_units=ct.ComputeUnit.CPU_ONLY)
    assert model.is_package and not model.is_temp_package
    assert model.package_path == os.path.abspath(PROGRAM.model_path)
    assert model.weights_dir == os.path.join(os.path.abspath(PROGRAM.model_path), "Data", "com.apple.CoreML", "weights")
    assert model.compute_unit == ct.ComputeUnit.CPU_ONLY


def test_repr_shows_kind_interface_and_version():
    text = repr(ct.models.MLModel(PROGRAM.model_path))
    assert "kind: mlProgram" in text and "specification version: 6" in text
    assert "x: MultiArray (Float32, 4 x 32)" in text and "y: MultiArray (Float32, 4 x 10)" in text
    text = repr(ct.models.MLModel(case_by_name("torch_image_rgb").model_path))
    assert "Image (RGB, 40 x 24)" in text
    text = repr(ct.models.MLModel(case_by_name("torch_flex_enumerated_cnn").model_path))
    assert "shapes {[1 x 3 x 32 x 32], [1 x 3 x 48 x 48], [2 x 3 x 40 x 56]}" in text
    text = repr(ct.models.MLModel(STATEFUL.model_path))
    assert "states:" in text and "acc: State (MultiArray (Float16, 1 x 6))" in text


def test_invalid_options():
    with pytest.raises(TypeError, match="compute_units"):
        ct.models.MLModel(NN.model_path, compute_units="CPU_ONLY")
    with pytest.raises(ValueError, match="Unrecognized key"):
        ct.models.MLModel(NN.model_path, optimization_hints={"speed": True})
    with pytest.raises(TypeError, match="reshapeFrequency"):
        ct.models.MLModel(NN.model_path, optimization_hints={"reshapeFrequency": "often"})
    hints = {"reshapeFrequency": ct.ReshapeFrequency.Infrequent, "specializationStrategy": ct.SpecializationStrategy.FastPrediction}
    assert ct.models.MLModel(NN.model_path, optimization_hints=hints).optimization_hints == hints
    with pytest.raises(TypeError, match="Expected model"):
        ct.models.MLModel(42)


def test_functions_of_multifunction_model():
    model = ct.models.MLModel(MULTI.model_path)
    assert model.function_name == "classify"  # the spec's default function
    regress = ct.models.MLModel(MULTI.model_path, function_name="regress")
    assert regress.function_name == "regress"
    with pytest.raises(ValueError, match="not found"):
        ct.models.MLModel(MULTI.model_path, function_name="nope")
    with pytest.raises(ValueError, match='must be "main"'):
        ct.models.MLModel(PROGRAM.model_path, function_name="other")
    assert ct.models.MLModel(PROGRAM.model_path, function_name="main").function_name == "main"


def test_ml_program_from_spec_uses_a_temporary_package(tmp_path):
    source = ct.models.MLModel(PROGRAM.model_path)
    model = ct.models.MLModel(source.get_spec(), weights_dir=source.weights_dir)
    assert model.is_package and model.is_temp_package and os.path.isdir(model.package_path)
    target = str(tmp_path / "from_spec.mlpackage")
    model.save(target)
    assert ct.models.MLModel(target).get_spec() == source.get_spec()
    temp = model.package_path
    del model
    import gc

    gc.collect()
    assert not os.path.exists(temp)


def test_non_program_spec_loads_in_memory(tmp_path):
    spec = ct.utils.load_spec(NN.model_path)
    model = ct.models.MLModel(spec)
    assert not model.is_package and model.get_spec() == spec
    target = str(tmp_path / "nn")
    model.save(target)  # no extension: .mlmodel
    assert os.path.isfile(target + ".mlmodel")


def test_spec_from_another_protobuf_class_is_accepted(tmp_path):
    """A spec object from Apple's coremltools is a different class (default descriptor pool);
    anything with SerializeToString is converted. Simulated with protoc's own Python output."""
    fmt = os.path.join(HERE, "..", "mlmodel", "format")
    out = tmp_path / "foreign"
    out.mkdir()
    protos = [os.path.join(fmt, p) for p in os.listdir(fmt) if p.endswith(".proto")]
    subprocess.run(["protoc", "-I", fmt, "--python_out", str(out)] + protos, check=True)
    script = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, %r)
        import Model_pb2 as foreign  # the default-pool classes, as coremltools has them
        import opencoreml as ct
        spec = foreign.Model.FromString(open(%r, "rb").read())
        model = ct.models.MLModel(spec)
        assert foreign.Model.FromString(model.get_spec().SerializeToString()) == spec  # map order may differ
        ct.utils.save_spec(spec, %r)
        print("ok", model.get_spec().WhichOneof("Type"))
        """
    ) % (str(out), NN.model_path, str(tmp_path / "saved.mlmodel"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok neuralNetwork"


def test_predict_validates_data():
    model = ct.models.MLModel(NN.model_path)
    with pytest.raises(TypeError, match="dict"):
        model.predict([1, 2, 3])
    with pytest.raises(TypeError, match="dict"):
        model.predict("x")
    with pytest.raises(KeyError, match='"z".*x'):
        model.predict({"z": np.zeros((4, 32), np.float32)})
    with pytest.raises(ValueError, match=r"'x'.*expected shape \(4, 32\)"):
        model.predict({"x": np.zeros((3, 32), np.float32)})
    with pytest.raises(ValueError, match=r"'x'.*int64.*astype"):
        model.predict({"x": np.zeros((4, 32), np.int64)})
    with pytest.raises(ValueError, match=r"'x'.*required"):
        model.predict({})
    single = model.predict({"x": np.ones((4, 32), np.float64)})  # float64 converts like Core ML
    batch = model.predict([{"x": np.ones((4, 32), np.float32)}] * 2)
    assert len(batch) == 2
    np.testing.assert_allclose(batch[1]["y"], single["y"], rtol=1e-6)


def test_model_kind_without_runtime_reports_at_predict():
    spec = Model_pb2.Model()
    spec.specificationVersion = 4
    feature = spec.description.input.add()
    feature.name = "text"
    feature.type.stringType.SetInParent()
    out = spec.description.output.add()
    out.name = "label"
    out.type.stringType.SetInParent()
    spec.textClassifier.revision = 1
    with pytest.warns(RuntimeWarning, match="textClassifier"):
        model = ct.models.MLModel(spec)
    with pytest.raises(NotImplementedError, match="textClassifier"):
        model.predict({"text": "hello"})


def test_save_spec_rules(tmp_path):
    spec = ct.utils.load_spec(PROGRAM.model_path)
    with pytest.raises(ValueError, match="Extension"):
        ct.utils.save_spec(spec, str(tmp_path / "m.txt"))
    with pytest.raises(ValueError, match="weights_dir"):
        ct.utils.save_spec(spec, str(tmp_path / "m.mlpackage"))
    nn = ct.utils.load_spec(NN.model_path)
    ct.utils.save_spec(nn, str(tmp_path / "nn.mlpackage"))  # a neural network may live in a package too
    assert ct.models.MLModel(str(tmp_path / "nn.mlpackage")).get_spec() == nn


@pytest.mark.parametrize(
    "case, expected",
    [
        ("sk_linear_regression", 1),
        ("torch_mlp_fp32", 6),
        ("torch_quantized_int8_perchannel_ios16", 7),
        ("mil_builder_ops_ios17", 8),
        ("torch_stateful_accumulator_ios18", 9),
        ("torch_multifunction_two_heads", 9),
        ("nnb_nd_ops", 5),  # cumSum arrived in Core ML 4 (spec 5)
        ("sk_kneighbors_classifier", 4),
    ],
)
def test_auto_set_specification_version(case, expected, tmp_path):
    c = case_by_name(case)
    spec = ct.utils.load_spec(c.model_path)
    spec.specificationVersion = ct.MAXIMUM_SPECIFICATION_VERSION
    target = str(tmp_path / ("m.mlpackage" if c.is_package else "m.mlmodel"))
    weights = os.path.dirname(c.weight_file) if c.weight_file else str(tmp_path)
    ct.utils.save_spec(spec, target, auto_set_specification_version=True, weights_dir=weights)
    assert ct.utils.load_spec(target).specificationVersion == expected
