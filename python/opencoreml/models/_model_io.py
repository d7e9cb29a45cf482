"""Reading and writing model specs on disk (``load_spec``, ``save_spec``) through the C++ core,
which validates what it reads and writes atomically."""
import os

from .. import _core
from ..proto import Model_pb2

_MLMODEL_EXTENSION = ".mlmodel"
_MLPACKAGE_EXTENSION = ".mlpackage"


def as_spec(spec):
    """Return ``spec`` as opencoreml's ``Model_pb2.Model``. Accepts any protobuf message with
    ``SerializeToString`` (e.g. a spec from Apple's coremltools, whose classes are distinct)."""
    if isinstance(spec, Model_pb2.Model):
        return spec
    if hasattr(spec, "SerializeToString"):
        return Model_pb2.Model.FromString(spec.SerializeToString())
    raise TypeError("expected a Core ML model spec (Model_pb2.Model), got %s" % type(spec).__name__)


def _expand(path):
    return os.path.abspath(os.path.expanduser(os.path.expandvars(os.fspath(path))))


def load_model_file(path):
    """Load a .mlmodel/.mlpackage; returns (spec, info dict with paths and weights_dir)."""
    info = _core.load_model_file(_expand(path))
    return Model_pb2.Model.FromString(info.pop("spec")), info


def load_spec(model_path):
    """Load a protobuf model specification from a ``.mlmodel`` file or an ``.mlpackage``."""
    return load_model_file(model_path)[0]


def save_spec(spec, filename, auto_set_specification_version=False, weights_dir=None):
    """Save a model specification as ``.mlmodel`` or ``.mlpackage`` (by extension; no
    extension means ``.mlmodel``). An ML program saved as a package needs ``weights_dir``, the
    folder holding its ``weight.bin`` (it may be empty when the program has no weights)."""
    spec = as_spec(spec)
    filename = os.path.expanduser(os.fspath(filename))
    _, ext = os.path.splitext(filename)
    if not ext:
        filename += _MLMODEL_EXTENSION
    elif ext not in (_MLMODEL_EXTENSION, _MLPACKAGE_EXTENSION):
        raise ValueError("Extension must be %s or %s (not %s)" % (_MLMODEL_EXTENSION, _MLPACKAGE_EXTENSION, ext))
    if auto_set_specification_version:
        from ._spec_version import set_minimum_specification_version

        spec = set_minimum_specification_version(spec)
    if ext == _MLPACKAGE_EXTENSION and spec.WhichOneof("Type") == "mlProgram" and weights_dir is None:
        raise ValueError(
            "spec of type mlProgram cannot be saved without its weights: pass the folder holding "
            "weight.bin as weights_dir (an empty folder if the program has no weights)"
        )
    _core.save_model_file(filename, spec.SerializeToString(), _expand(weights_dir) if weights_dir else "")
    return spec
