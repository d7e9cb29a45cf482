"""Bad model files raise clear Python exceptions that name the file and the problem — never
a crash or a hang — and a failed save leaves the previous model untouched."""
import json
import os
import shutil
import struct

import numpy as np
import pytest

import opencoreml as ct
from opencoreml import _core
from opencoreml._errors import (
    BlobStorageError,
    InvalidModelError,
    ModelNotFoundError,
    UnsupportedSpecificationVersionError,
)
from conftest import case_by_name

NN = case_by_name("torch_mlp_nn")
PROGRAM = case_by_name("torch_mlp_fp32")


def nn_bytes():
    with open(NN.model_path, "rb") as f:
        return f.read()


@pytest.fixture
def package(tmp_path):
    target = tmp_path / "model.mlpackage"
    shutil.copytree(PROGRAM.model_path, target)
    return target


def weight_file(pkg):
    return pkg / "Data" / "com.apple.CoreML" / "weights" / "weight.bin"


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.mlmodel")
    with pytest.raises(FileNotFoundError, match="nope.mlmodel"):
        ct.models.MLModel(path)
    with pytest.raises(ModelNotFoundError):
        ct.utils.load_spec(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mlmodel"
    path.write_bytes(b"")
    with pytest.raises(InvalidModelError, match="empty.mlmodel.*not a Core ML model"):
        ct.models.MLModel(str(path))


@pytest.mark.parametrize("fraction", [0.1, 0.33, 0.5, 0.9, 0.999])
def test_truncated_protobuf(tmp_path, fraction):
    data = nn_bytes()
    path = tmp_path / "cut.mlmodel"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(InvalidModelError, match="cut.mlmodel"):
        ct.models.MLModel(str(path))


def test_garbage_bytes(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "noise.mlmodel"
    for _ in range(20):
        path.write_bytes(rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes())
        with pytest.raises(InvalidModelError, match="noise.mlmodel"):
            ct.models.MLModel(str(path))


def test_spec_version_newer_than_supported(tmp_path):
    spec = ct.utils.load_spec(NN.model_path)
    spec.specificationVersion = ct.MAXIMUM_SPECIFICATION_VERSION + 1
    path = tmp_path / "future.mlmodel"
    path.write_bytes(spec.SerializeToString())
    with pytest.raises(UnsupportedSpecificationVersionError, match=r"future.mlmodel.*version %d" % spec.specificationVersion):
        ct.models.MLModel(str(path))
    with pytest.raises(UnsupportedSpecificationVersionError):
        ct.models.MLModel(spec)


def test_spec_without_model_type():
    spec = ct.utils.load_spec(NN.model_path)
    spec.ClearField("neuralNetwork")
    with pytest.raises(InvalidModelError, match="no model type"):
        ct.models.MLModel(spec)


def test_package_without_manifest(package):
    os.remove(package / "Manifest.json")
    with pytest.raises(InvalidModelError, match="has no Manifest.json"):
        ct.models.MLModel(str(package))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: "{not json", "not valid JSON"),
        (lambda m: json.dumps([1, 2]), "not a JSON object"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "rootModelIdentifier"}), "rootModelIdentifier"),
        (lambda m: json.dumps(dict(m, rootModelIdentifier="XYZ")), "XYZ names no item"),
        (lambda m: json.dumps(dict(m, fileFormatVersion="one")), "fileFormatVersion"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "itemInfoEntries"}), "itemInfoEntries"),
        (
            lambda m: json.dumps(
                dict(m, itemInfoEntries={k: {kk: vv for kk, vv in v.items() if kk != "author"} for k, v in m["itemInfoEntries"].items()})
            ),
            "no string field 'author'",
        ),
    ],
)
def test_bad_manifest(package, edit, message):
    manifest_path = package / "Manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(edit(manifest))
    with pytest.raises(InvalidModelError, match=message) as info:
        ct.models.MLModel(str(package))
    assert str(package) in str(info.value)


def test_manifest_from_the_future(package):
    manifest_path = package / "Manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["fileFormatVersion"] = "2.0.0"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(UnsupportedSpecificationVersionError, match="2.0.0"):
        ct.models.MLModel(str(package))


def test_manifest_item_missing_on_disk(package):
    shutil.rmtree(package / "Data" / "com.apple.CoreML" / "weights")
    with pytest.raises(InvalidModelError, match="weight.bin.*does not exist"):
        ct.models.MLModel(str(package))


def test_weight_file_truncated(package):
    data = weight_file(package).read_bytes()
    weight_file(package).write_bytes(data[: len(data) // 2])
    with pytest.raises(BlobStorageError, match="weight.bin") as info:
        ct.models.MLModel(str(package))
    assert "op '" in str(info.value)  # names the op whose weights are broken


def test_weight_blob_with_bad_sentinel(package):
    data = bytearray(weight_file(package).read_bytes())
    data[64:68] = b"\0\0\0\0"
    weight_file(package).write_bytes(bytes(data))
    with pytest.raises(BlobStorageError, match="sentinel"):
        ct.models.MLModel(str(package))


def test_weight_file_with_bad_header_version(package):
    data = bytearray(weight_file(package).read_bytes())
    data[4:8] = struct.pack("<I", 7)
    weight_file(package).write_bytes(bytes(data))
    with pytest.raises(BlobStorageError, match="version"):
        ct.models.MLModel(str(package))


def test_weight_offset_outside_file(package):
    spec = ct.utils.load_spec(str(package))
    size = os.path.getsize(weight_file(package))
    for function in spec.mlProgram.functions.values():
        for block in function.block_specializations.values():
            for op in block.operations:
                if op.type == "const" and op.attributes["val"].HasField("blobFileValue"):
                    op.attributes["val"].blobFileValue.offset = size + 4096
                    break
    spec_path = package / "Data" / "com.apple.CoreML" / "model.mlmodel"
    spec_path.write_bytes(spec.SerializeToString())
    with pytest.raises(BlobStorageError, match=str(size + 4096)):
        ct.models.MLModel(str(package))


def test_ml_program_needs_weights_dir_from_spec():
    spec = ct.utils.load_spec(PROGRAM.model_path)
    with pytest.raises(ValueError, match="weights_dir"):
        ct.models.MLModel(spec)


def test_ml_program_cannot_be_saved_as_mlmodel(tmp_path):
    model = ct.models.MLModel(PROGRAM.model_path)
    with pytest.raises(ValueError, match=r"only be saved as a \.mlpackage"):
        model.save(str(tmp_path / "x.mlmodel"))
    assert not os.path.exists(tmp_path / "x.mlmodel")


def test_failed_save_keeps_existing_package(tmp_path):
    model = ct.models.MLModel(PROGRAM.model_path)
    target = tmp_path / "keep.mlpackage"
    model.save(str(target))
    before = {p: open(os.path.join(target, p), "rb").read() for p in ("Manifest.json",)}
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _core.save_model_file(str(target), model.get_spec().SerializeToString(), str(tmp_path / "no-weights"))
    assert open(os.path.join(target, "Manifest.json"), "rb").read() == before["Manifest.json"]
    assert ct.models.MLModel(str(target)).get_spec() == model.get_spec()
    assert sorted(os.listdir(tmp_path)) == ["keep.mlpackage"]  # no temporary left behind


def test_save_replaces_existing_model_file(tmp_path):
    target = tmp_path / "m.mlmodel"
    target.write_bytes(b"old contents")
    model = ct.models.MLModel(NN.model_path)
    model.save(str(target))
    assert ct.utils.load_spec(str(target)) == model.get_spec()
    assert sorted(os.listdir(tmp_path)) == ["m.mlmodel"]


def test_save_to_a_directory_path_that_is_a_file(tmp_path):
    blocker = tmp_path / "blocked.mlpackage"
    blocker.write_bytes(b"a file, not a package")
    model = ct.models.MLModel(PROGRAM.model_path)
    with pytest.raises(OSError, match="blocked.mlpackage"):
        model.save(str(blocker))
    assert blocker.read_bytes() == b"a file, not a package"
