"""Read and write MIL weight files (``weight.bin``, blob storage format version 2).

Same API as ``coremltools.libmilstoragepython``: ``_BlobStorageWriter`` with
``write_<type>_data(ndarray) -> offset`` and ``_BlobStorageReader`` with
``read_<type>_data(offset) -> ndarray``, for types int4, uint1, uint2, uint3, uint4, uint6,
int8, uint8, int16, uint16, int32, uint32, fp16 and float. Sub-byte types take and return one
value per int8 (int4) or uint8 element; fp16 is passed and returned as uint16 bit patterns.
The offset is that of the blob's record, as a program's ``BlobFileValue.offset`` stores it.

Beyond coremltools:

* ``write_bf16_data``, ``write_fp8e4m3fn_data``, ``write_fp8e5m2_data`` (raw uint16/uint8 bit
  patterns; a floating-point array is rounded to the format instead, as are float32/float64
  arrays given to ``write_fp16_data``) and the matching ``read_*_data`` returning bit patterns.
* ``_BlobStorageReader.blobs()`` lists every blob as a :class:`BlobInfo`, ``info(offset)``
  describes one, ``read_data(offset)`` returns any blob as its natural array (float16 as
  ``np.float16``; bfloat16 and float8 decoded to float32) and ``read_raw(offset)`` its bytes.
* Reads of byte-sized types are read-only views into the memory-mapped file (no copy); the
  arrays keep the mapping alive after the reader is gone.
* ``encode_float32``, ``decode_to_float32``, ``pack_subbyte`` and ``unpack_subbyte`` expose the
  element codecs.

Errors: a missing file raises ``ModelNotFoundError`` (a ``FileNotFoundError``); a malformed
file, a bad offset or a read with the wrong type raises ``BlobStorageError`` (a
``ValueError``); out-of-range values raise ``InvalidArgumentError`` (a ``ValueError``).
"""
from collections import namedtuple

import numpy as np

from . import _core

__all__ = [
    "_BlobStorageWriter",
    "_BlobStorageReader",
    "BlobInfo",
    "encode_float32",
    "decode_to_float32",
    "pack_subbyte",
    "unpack_subbyte",
]

BlobInfo = namedtuple("BlobInfo", ["offset", "dtype", "size_in_bytes", "data_offset", "padding_bits", "count"])
BlobInfo.__doc__ = """One blob of a weight file: record offset, dtype name (e.g. "float16", "uint3"),
stored size in bytes, data offset, unused bits in the last byte, element count."""

# method-name suffix -> blob dtype name
_TYPES = {
    "int4": "int4",
    "uint1": "uint1",
    "uint2": "uint2",
    "uint3": "uint3",
    "uint4": "uint4",
    "uint6": "uint6",
    "int8": "int8",
    "uint8": "uint8",
    "int16": "int16",
    "uint16": "uint16",
    "int32": "int32",
    "uint32": "uint32",
    "fp16": "float16",
    "float": "float32",
    "bf16": "bfloat16",
    "fp8e4m3fn": "float8e4m3fn",
    "fp8e5m2": "float8e5m2",
}
# Formats numpy lacks are stored and read as bit patterns; floats given for them are rounded.
_BIT_PATTERN_TYPES = {"float16", "bfloat16", "float8e4m3fn", "float8e5m2"}


class _BlobStorageWriter:
    """Appends blobs to a weight file. ``truncate_file=False`` appends to an existing file
    (which must have a valid version-2 header) instead of starting a new one."""

    def __init__(self, file_name, truncate_file=True):
        self._writer = _core.BlobStorageWriter(str(file_name), bool(truncate_file))

    @property
    def file_name(self):
        return self._writer.path

    def _write(self, dtype, data):
        if dtype in _BIT_PATTERN_TYPES:
            arr = np.asarray(data)
            if arr.dtype.kind == "f" and not (dtype == "float16" and arr.dtype == np.float16):
                return self._writer.write_from_float32(dtype, arr.astype(np.float32, copy=False))
        return self._writer.write(dtype, data)

    def __repr__(self):
        return f"_BlobStorageWriter({self._writer.path!r}, blobs={self._writer.count})"


class _BlobStorageReader:
    """Memory-mapped reader of a weight file."""

    def __init__(self, file_name):
        self._reader = _core.BlobStorageReader(str(file_name))

    @property
    def file_name(self):
        return self._reader.path

    def blobs(self):
        """Every blob the file's header announces, in file order, as :class:`BlobInfo`."""
        return [BlobInfo(*t) for t in self._reader.blobs()]

    def info(self, offset):
        """The :class:`BlobInfo` of the blob whose record is at ``offset``."""
        return BlobInfo(*self._reader.info(int(offset)))

    def read_data(self, offset):
        """The blob at ``offset`` as its natural numpy array, whatever its type."""
        return self._reader.read_data(int(offset))

    def read_raw(self, offset):
        """The stored bytes of the blob at ``offset`` (packed for sub-byte types)."""
        return self._reader.read_raw(int(offset))

    def __len__(self):
        return self._reader.count

    def __repr__(self):
        return f"_BlobStorageReader({self._reader.path!r}, blobs={self._reader.count})"


def _make_write(suffix, dtype):
    def write(self, data):
        return self._write(dtype, data)

    write.__name__ = write.__qualname__ = f"write_{suffix}_data"
    write.__doc__ = f"Append ``data`` as a {dtype} blob; returns the blob's offset."
    return write


def _make_read(suffix, dtype):
    def read(self, offset):
        return self._reader.read(int(offset), dtype)

    read.__name__ = read.__qualname__ = f"read_{suffix}_data"
    read.__doc__ = f"The {dtype} blob at ``offset`` (an error if the blob holds another type)."
    return read


for _suffix, _dtype in _TYPES.items():
    setattr(_BlobStorageWriter, f"write_{_suffix}_data", _make_write(_suffix, _dtype))
    setattr(_BlobStorageReader, f"read_{_suffix}_data", _make_read(_suffix, _dtype))
del _suffix, _dtype


def encode_float32(values, dtype):
    """Round float32 ``values`` to a floating blob dtype ("float16", "bfloat16",
    "float8e4m3fn", "float8e5m2" or "float32"); returns the stored bit patterns."""
    return _core.blob_encode_float32(values, dtype)


def decode_to_float32(stored, dtype):
    """Stored elements (bit patterns for float16/bfloat16/float8) of a byte-sized dtype -> float32."""
    return _core.blob_decode_to_float32(stored, dtype)


def pack_subbyte(values, dtype):
    """Pack one value per element into the sub-byte bit stream; returns (uint8 bytes, padding bits)."""
    return _core.blob_pack_subbyte(values, dtype)


def unpack_subbyte(packed, dtype, count):
    """Unpack ``count`` sub-byte values (int8 for int4, uint8 otherwise)."""
    return _core.blob_unpack_subbyte(packed, dtype, int(count))
