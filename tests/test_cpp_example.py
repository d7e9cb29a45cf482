"""The public C++ API is usable without Python: examples/describe_model.cpp builds against the
installed headers and shared library and describes real models."""
import os
import shutil
import subprocess
import sys

import pytest

import opencoreml
from conftest import HERE, case_by_name

EXAMPLE = os.path.join(HERE, "..", "examples", "describe_model.cpp")


@pytest.fixture(scope="module")
def example_binary(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++")
    assert compiler, "a C++ compiler is required to build the example"
    inc, lib = opencoreml.get_include(), opencoreml.get_lib_dir()
    assert os.path.exists(os.path.join(inc, "opencoreml", "opencoreml.hpp"))
    assert any(name.startswith("libopencoreml.so") for name in os.listdir(lib))
    out = str(tmp_path_factory.mktemp("cpp") / "describe_model")
    cmd = [compiler, "-std=c++17", "-O1", EXAMPLE, "-I" + inc, "-I" + os.path.join(inc, "opencoreml", "format"),
           "-L" + lib, "-lopencoreml", "-lprotobuf", "-Wl,-rpath," + lib, "-o", out]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)


def test_example_describes_an_ml_program_and_lists_blobs(example_binary):
    case = case_by_name("torch_mlp_fp32")
    result = run(example_binary, case.model_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "kind: mlProgram" in out and "specification version: 6" in out
    assert "x: MultiArray (Float32, 4 x 32)" in out
    assert "linear: 4" in out
    assert "spec: 1 input(s), 1 output(s)" in out
    from opencoreml.libmilstoragepython import _BlobStorageReader

    blobs = _BlobStorageReader(case.weight_file).blobs()
    assert "%d blob(s)" % len(blobs) in out
    for blob in blobs:
        assert "blob @%d " % blob.offset in out


def test_example_describes_a_neural_network(example_binary):
    result = run(example_binary, case_by_name("torch_mlp_nn").model_path)
    assert result.returncode == 0, result.stderr
    assert "kind: neuralNetwork" in result.stdout and "innerProduct" in result.stdout


def test_example_reports_errors(example_binary, tmp_path):
    bad = tmp_path / "bad.mlmodel"
    bad.write_bytes(b"\x08\x01\x12")
    result = run(example_binary, str(bad))
    assert result.returncode == 1
    assert "bad.mlmodel" in result.stderr
