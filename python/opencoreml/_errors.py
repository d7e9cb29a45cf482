"""Exception classes raised by opencoreml.

Each subclasses the built-in exception a coremltools user would already catch (ValueError,
FileNotFoundError, OSError), so existing ``except`` clauses keep working.
"""


class OpenCoreMLError(Exception):
    """Base class of every error opencoreml raises on its own account."""


class InvalidArgumentError(OpenCoreMLError, ValueError):
    """An argument (feature value, shape, dtype, option) is not acceptable."""


class InvalidModelError(OpenCoreMLError, ValueError):
    """A model file or package is corrupt, truncated or inconsistent."""


class ModelNotFoundError(InvalidModelError, FileNotFoundError):
    """A model file, package item or weight file does not exist."""


class UnsupportedSpecificationVersionError(InvalidModelError):
    """The model's specification version is newer than this build supports."""


class BlobStorageError(InvalidModelError):
    """A weight file (``weight.bin``) is malformed or a weight offset is wrong."""


class ModelIOError(OpenCoreMLError, OSError):
    """Reading or writing a model on disk failed."""
