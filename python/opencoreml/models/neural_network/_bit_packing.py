"""Packing of n-bit unsigned integers (1-8 bits) into the byte string a quantized
``WeightParams.rawValue`` holds, and back.

Core ML reads the values as one continuous bit stream: each value contributes its bits
most-significant first, and the stream fills every byte from its most-significant bit. The
last byte is padded with zero bits.
"""
import numpy as _np


def _value_bits(values, nbits):
    """(len(values), nbits) array of 0/1, most-significant bit first."""
    values = _np.asarray(values).astype(_np.int64).reshape(-1)
    if values.size and (values.min() < 0 or values.max() >= (1 << nbits)):
        raise ValueError("Quantized values must lie in [0, %d] for %d bits." % ((1 << nbits) - 1, nbits))
    shifts = _np.arange(nbits - 1, -1, -1, dtype=_np.int64)
    return ((values[:, None] >> shifts) & 1).astype(_np.uint8)


def pack_bits(values, nbits):
    """The packed bytes (as a uint8 array) of the unsigned ``nbits``-bit ``values``."""
    if not 1 <= nbits <= 8:
        raise ValueError("nbits must be between 1 and 8, got %r" % (nbits,))
    stream = _value_bits(values, nbits).reshape(-1)
    # At least one byte, even for an empty stream, as Core ML's writer does.
    padded = max(8, -(-stream.size // 8) * 8)
    stream = _np.concatenate([stream, _np.zeros(padded - stream.size, dtype=_np.uint8)])
    return _np.packbits(stream)


def unpack_bits(packed, count, nbits):
    """The first ``count`` unsigned ``nbits``-bit values stored in ``packed`` bytes."""
    count = int(count)
    stream = _np.unpackbits(as_uint8(packed))
    if stream.size < count * nbits:
        raise ValueError(
            "%d bytes hold fewer than %d values of %d bits." % (stream.size // 8, count, nbits)
        )
    bits = stream[: count * nbits].reshape(count, nbits).astype(_np.int64)
    weights = 1 << _np.arange(nbits - 1, -1, -1, dtype=_np.int64)
    return (bits * weights).sum(axis=1).astype(_np.uint8)


def as_uint8(packed):
    """``packed`` (bytes or an array of byte values) as a flat uint8 array."""
    if isinstance(packed, (bytes, bytearray, memoryview)):
        return _np.frombuffer(bytes(packed), dtype=_np.uint8)
    return _np.asarray(packed, dtype=_np.uint8).reshape(-1)


def packed_size(count, nbits):
    """Number of bytes ``count`` values of ``nbits`` bits occupy once packed."""
    return max(1, -(-int(count) * nbits // 8))
