"""opencoreml: load, edit, save and run Core ML models (.mlmodel, .mlpackage) anywhere.

Mirrors coremltools' models layer, so ``import opencoreml as ct`` runs a coremltools user's
script: ``ct.models.MLModel``, ``ct.utils``, ``ct.proto``, ``ct.ComputeUnit`` and friends.
"""
import os as _os

from .version import __version__


def _preload_openblas():
    """Load OpenBLAS (pip package scipy-openblas32) before the core, so the core finds it
    even when the two packages sit in different site-packages folders."""
    try:
        import ctypes

        import scipy_openblas32
    except ImportError:  # the core's run path may still find it; if not, the import below says so
        return
    path = _os.path.join(scipy_openblas32.get_lib_dir(), scipy_openblas32.get_library(fullname=True))
    if _os.path.exists(path):
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)


_preload_openblas()
from . import _core  # noqa: F401  (fail at import with the real error if the build is broken)
from ._enums import (  # noqa: F401
    SPECIFICATION_VERSION,
    _LOWEST_ALLOWED_SPECIFICATION_VERSION_FOR_MILPROGRAM,
    _LOWEST_ALLOWED_SPECIFICATION_VERSION_FOR_NEURALNETWORK,
    _MINIMUM_CUSTOM_LAYER_SPEC_VERSION,
    _MINIMUM_CUSTOM_MODEL_SPEC_VERSION,
    _MINIMUM_FLEXIBLE_SHAPES_SPEC_VERSION,
    _MINIMUM_FP16_SPEC_VERSION,
    _MINIMUM_LINKED_MODELS_SPEC_VERSION,
    _MINIMUM_NDARRAY_SPEC_VERSION,
    _MINIMUM_NEAREST_NEIGHBORS_SPEC_VERSION,
    _MINIMUM_QUANTIZED_MODEL_SPEC_VERSION,
    _MINIMUM_UPDATABLE_SPEC_VERSION,
    _OPSET,
    _SPECIFICATION_VERSION_IOS_13,
    _SPECIFICATION_VERSION_IOS_14,
    _SPECIFICATION_VERSION_IOS_15,
    _SPECIFICATION_VERSION_IOS_16,
    _SPECIFICATION_VERSION_IOS_17,
    _SPECIFICATION_VERSION_IOS_18,
    _SPECIFICATION_VERSION_IOS_26,
    ComputeUnit,
    ReshapeFrequency,
    SpecializationStrategy,
    precision,
    target,
)
from ._errors import (  # noqa: F401
    BlobStorageError,
    InvalidArgumentError,
    InvalidModelError,
    ModelIOError,
    ModelNotFoundError,
    OpenCoreMLError,
    UnsupportedSpecificationVersionError,
)
from . import proto, models  # noqa: E402
from .models import utils  # noqa: E402

MAXIMUM_SPECIFICATION_VERSION = _core.MAXIMUM_SPECIFICATION_VERSION


def get_include():
    """Folder holding the public C++ headers (``opencoreml/opencoreml.hpp``)."""
    return _os.path.join(_os.path.dirname(__file__), "include")


def get_lib_dir():
    """Folder holding ``libopencoreml.so`` for C++ programs to link against."""
    return _os.path.join(_os.path.dirname(__file__), "lib")
